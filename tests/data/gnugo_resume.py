"""`rocks data gnugo`: kill -9 in the middle, rerun, and compare with an uninterrupted run.

    gnugo_resume.py ROCKS_BIN SCRATCH_DIR DOC(docs/data-format.md)

Checks: the interrupted run leaves only complete games (plus temporaries that the rerun
removes); the rerun resumes them and generates the rest; games and shards are byte-identical to
an uninterrupted run with the same seed; the manifest's checksums match; the shards have the
documented schema; changed settings are refused; a larger --games extends the set; a progress
bar with an ETA goes to stderr.
"""
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shard_schema  # noqa: E402

GAMES = 4


def run(rocks, out, games=GAMES, extra=()):
    return subprocess.run([rocks, "data", "gnugo", "--games", str(games), "--jobs", "2", "--seed", "11",
                           "--shard-games", "2", "--level", "0", "--out", out, *extra], capture_output=True, text=True)


def files(out):
    return sorted(os.path.relpath(p, out) for p in glob.glob(os.path.join(out, "games", "*")) +
                  glob.glob(os.path.join(out, "shards", "*")))


def main():
    rocks, scratch, doc = sys.argv[1:4]
    shutil.rmtree(scratch, ignore_errors=True)
    a, b = os.path.join(scratch, "a"), os.path.join(scratch, "b")
    failures = []
    r = run(rocks, a)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        sys.exit(1)
    if "ETA" not in r.stderr or "games" not in r.stderr:
        failures.append("no progress bar on stderr")

    # interrupted run: kill -9 once at least one game is complete
    p = subprocess.Popen([rocks, "data", "gnugo", "--games", str(GAMES), "--jobs", "2", "--seed", "11",
                          "--shard-games", "2", "--level", "0", "--out", b], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 120 and not glob.glob(os.path.join(b, "games", "game-*.sgf")):
        time.sleep(0.02)
    time.sleep(0.3)
    p.send_signal(signal.SIGKILL)
    p.wait()
    done = sorted(f for f in os.listdir(os.path.join(b, "games")) if f.endswith(".sgf"))
    print(f"killed with {len(done)} complete games")
    for f in done:
        if open(os.path.join(b, "games", f), "rb").read() != open(os.path.join(a, "games", f), "rb").read():
            failures.append(f"{f} written by the killed run differs from the uninterrupted run")
    if len(done) >= GAMES:
        failures.append("the run finished before the kill (test too slow to interrupt?)")
    # GNU Go processes of the killed run get EOF on stdin and exit; give them a moment
    time.sleep(0.5)
    r = run(rocks, b)
    if r.returncode != 0:
        failures.append(f"rerun failed: {r.stderr[-300:]}")
    if f"{len(done)} resumed" not in r.stdout:
        failures.append(f"rerun did not report {len(done)} resumed games: {r.stdout}")
    if files(a) != files(b):
        failures.append(f"file lists differ: {files(a)} vs {files(b)}")
    for f in files(a):
        if open(os.path.join(a, f), "rb").read() != open(os.path.join(b, f), "rb").read():
            failures.append(f"{f}: interrupted+resumed differs from uninterrupted")
    if any(".tmp." in f for f in os.listdir(os.path.join(b, "games"))):
        failures.append("temporary files left")
    man = json.load(open(os.path.join(b, "manifest.json")))
    if man["counts"]["games"] != GAMES or man["counts"]["shards"] != (GAMES + 1) // 2:
        failures.append(f"manifest counts {man['counts']}")
    total = 0
    for s in man["shards"]:
        path = os.path.join(b, s["file"])
        if hashlib.sha256(open(path, "rb").read()).hexdigest() != s["sha256"]:
            failures.append(f"{s['file']}: sha256 mismatch")
        errs, info = shard_schema.check_shard(path, doc)
        failures += [f"{s['file']}: {e}" for e in errs]
        if info:
            total += info["positions"]
            if any(not src.startswith("gnugo ") for src in info["sources"]):
                failures.append("g_source")
            if any(w not in (1, 2) for w in info["winners"]):
                failures.append("a GNU Go game without a winner (komi 7.5)")
    if total != man["counts"]["positions"] or total < GAMES * 20:
        failures.append(f"{total} positions")
    # other settings are refused; more games extend the set
    r = run(rocks, b, extra=("--komi", "6.5"))
    if r.returncode == 0 or "komi" not in r.stderr:
        failures.append(f"changed --komi accepted: {r.returncode} {r.stderr}")
    r = run(rocks, b, games=GAMES + 1)
    if r.returncode != 0 or f"{GAMES} resumed" not in r.stdout or "1 generated" not in r.stdout:
        failures.append(f"extending: {r.returncode} {r.stdout} {r.stderr[-200:]}")
    # --positions: the smallest prefix of games with at least that many positions; generation
    # stops (at most --jobs - 1 games beyond it are in flight)
    c = os.path.join(scratch, "c")
    r = subprocess.run([rocks, "data", "gnugo", "--positions", "150", "--jobs", "2", "--seed", "5", "--level", "0",
                        "--out", c], capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"--positions run failed: {r.stderr[-300:]}")
    else:
        man = json.load(open(os.path.join(c, "manifest.json")))
        errs, info = shard_schema.check_shard(os.path.join(c, man["shards"][0]["file"]), doc)
        failures += errs
        on_disk = len([f for f in os.listdir(os.path.join(c, "games")) if f.endswith(".sgf")])
        n, pos = man["counts"]["games"], man["counts"]["positions"]
        import numpy as np
        z = np.load(os.path.join(c, man["shards"][0]["file"]))
        last = int(np.sum(z["game"] == n - 1))
        if not (pos >= 150 and pos - last < 150 and n <= on_disk <= n + 1):
            failures.append(f"--positions 150: {n} games, {pos} positions (last game {last}), {on_disk} on disk")
    for f in failures:
        print("FAILED:", f)
    if failures:
        sys.exit(1)
    print(f"gnugo_resume: killed after {len(done)} games, resumed, {GAMES} games + shards byte-identical, {total} positions")


if __name__ == "__main__":
    main()
