#!/usr/bin/python3
"""A scripted GTP engine for the referee tests (tests/test_match.c, tests/play/*.py).

--script "C3 D4 !resign" gives the answers to successive `genmove` commands: a vertex (sent
as is, legal or not), or !resign, !error (a '?' answer), !hang (never answers), !crash (exits),
!garbage (a line that is not GTP). After the script: pass. --fail CMD answers '?' to every
CMD command (e.g. play, boardsize). --delay S sleeps S seconds per genmove. Every other command gets an empty '=' answer.
"""
import argparse
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--name", default="fake")
ap.add_argument("--version", default="1.0")
ap.add_argument("--script", default="")
ap.add_argument("--fail", action="append", default=[])
ap.add_argument("--delay", type=float, default=0.0, help="seconds to think per genmove")
a = ap.parse_args()
script = a.script.split()
out = sys.stdout


def reply(text="", ok=True):
    out.write(("= " if ok else "? ") + text + "\n\n")
    out.flush()


for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    cmd = words[0]
    if cmd in a.fail:
        reply("refused", ok=False)
    elif cmd == "name":
        reply(a.name)
    elif cmd == "version":
        reply(a.version)
    elif cmd == "quit":
        reply()
        break
    elif cmd == "genmove":
        time.sleep(a.delay)
        m = script.pop(0) if script else "pass"
        if m == "!resign":
            reply("resign")
        elif m == "!error":
            reply("cannot generate a move", ok=False)
        elif m == "!hang":
            time.sleep(3600)
        elif m == "!crash":
            sys.exit(3)
        elif m == "!garbage":
            out.write("this is not GTP\n\n")
            out.flush()
        else:
            reply(m)
    else:
        reply()
