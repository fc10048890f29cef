#!/usr/bin/python3
"""gtp_transcripts.py — replays the GTP transcripts tests/gtp/*.gtp through the real CLI.

Usage: gtp_transcripts.py ROCKS_BINARY [TRANSCRIPT...]

Each transcript runs in a fresh `ROCKS gtp --seed 1 [ARGS]` with the repository root as working
directory; all its commands go down one pipe, and the whole output must match. Exits 1 (after
printing a diff per failing transcript) on any mismatch.

Transcript format, line by line:
  #args ARGS     extra arguments for `rocks gtp` (before the first command)
  # ...          a comment (outside a response)
  > TEXT         a command line, sent as is
  >> TEXT        a command line with Python escapes decoded first (\\t, \\r, \\x01, \\\\)
  (a blank line) ends the current expected response
  anything else  one line of the response expected for the previous command; the blank line
                 that ends every GTP response is implied. A line "~ REGEX" must match the whole
                 actual line (Python re.fullmatch); a last line "~* REGEX" must match all the
                 remaining lines of the response, joined by newlines (re.DOTALL).
A command with no response lines expects no response at all (empty and comment lines).
Trailing spaces are ignored on both sides, so "=" stands for the "= " of an empty result.
"$TMP" in a command is replaced by a fresh temporary directory (removed afterwards).
"""
import codecs
import difflib
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def parse(path):
    """Returns (extra args, input text, expected responses as lists of lines)."""
    args, commands, expected = [], [], []
    current = None  # the response being collected, or None between responses
    for n, line in enumerate(path.read_text().split("\n"), 1):
        if line.startswith(">"):
            if line.startswith(">> "):
                text = codecs.decode(line[3:], "unicode_escape")
            elif line.startswith("> ") or line == ">":
                text = line[2:]
            else:
                sys.exit(f"{path}:{n}: a command line starts with '> ' or '>> '")
            commands.append(text)
            current = None
        elif line.startswith("#args"):
            args += line[5:].split()
        elif line == "":
            current = None
        elif line.startswith("#") and current is None:
            continue
        else:
            if not commands:
                sys.exit(f"{path}:{n}: response line before any command")
            if current is None:
                current = []
                expected.append(current)
            current.append(line)
    return args, "".join(c + "\n" for c in commands), expected


def line_matches(want, got):
    if want.startswith("~ "):
        return re.fullmatch(want[2:], got) is not None
    return want.rstrip(" ") == got.rstrip(" ")


def run(rocks, path):
    args, text, expected = parse(path)
    try:
        with tempfile.TemporaryDirectory(prefix="rocks-gtp-") as tmp:
            proc = subprocess.run([rocks, "gtp", "--seed", "1", *args], input=text.replace("$TMP", tmp).encode(),
                                  cwd=ROOT, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        print(f"FAIL {path.name}: timed out")
        return False
    out = proc.stdout.decode(errors="replace")
    problems = []
    if proc.returncode != 0:
        problems.append(f"exit status {proc.returncode}; stderr: {proc.stderr.decode(errors='replace')}")
    if out and not out.endswith("\n\n"):
        problems.append("output does not end with an empty line")
    responses = [r.split("\n") for r in out[:-2].split("\n\n")] if out else []
    # Compare line by line; where a regex matched, show the actual line in the diff.
    want_lines, got_lines = [], []
    for i in range(max(len(expected), len(responses))):
        want = expected[i] if i < len(expected) else []
        got = responses[i] if i < len(responses) else []
        if want and want[-1].startswith("~* ") and len(got) >= len(want) - 1:
            k = len(want) - 1
            if re.fullmatch(want[-1][3:], "\n".join(got[k:]), re.DOTALL):
                want = want[:k] + got[k:]
        for j in range(max(len(want), len(got))):
            w = want[j] if j < len(want) else None
            g = got[j] if j < len(got) else None
            if w is not None and g is not None and line_matches(w, g):
                w = g
            if w is not None:
                want_lines.append(w.rstrip(" "))
            if g is not None:
                got_lines.append(g.rstrip(" "))
        want_lines.append("")
        got_lines.append("")
    if want_lines != got_lines:
        diff = difflib.unified_diff(want_lines, got_lines, "expected", "actual", lineterm="", n=4)
        problems.append("\n".join(diff))
    if problems:
        print(f"FAIL {path.name}:")
        for p in problems:
            print(p)
        return False
    print(f"ok   {path.name}: {len(expected)} responses")
    return True


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gtp_transcripts.py ROCKS_BINARY [TRANSCRIPT...]")
    rocks = str(pathlib.Path(sys.argv[1]).resolve())
    paths = [pathlib.Path(p) for p in sys.argv[2:]] or sorted((ROOT / "tests" / "gtp").glob("*.gtp"))
    if not paths:
        sys.exit("gtp_transcripts: no transcripts found")
    results = [run(rocks, p) for p in paths]
    failed = results.count(False)
    print(f"gtp_transcripts: {len(results) - failed} of {len(results)} transcripts passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
