"""rocks.exp.util — errors and atomic file writes shared by the harness."""
import os
import tempfile


class ExpError(Exception):
    """A harness error with a message meant for the user (bad slug, budget exceeded, job failed)."""


def atomic_write_text(path, text):
    """Write text to path atomically: temp file in the same folder, fsync, rename."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_csv(df, path):
    """pandas DataFrame -> CSV, atomically."""
    atomic_write_text(path, df.to_csv(index=False))


def fmt_secs(s):
    if s is None or s < 0:
        return "?"
    s = int(round(s))
    if s < 60:
        return "%ds" % s
    if s < 3600:
        return "%dm%02ds" % (s // 60, s % 60)
    return "%dh%02dm" % (s // 3600, s % 3600 // 60)
