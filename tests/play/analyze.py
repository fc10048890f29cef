#!/usr/bin/python3
"""analyze.py — lz-analyze / kata-analyze / *-genmove_analyze output of `rocks gtp --model`.

Usage: analyze.py ROCKS_BINARY FIXTURE_FOLDER

Drives the real CLI through a pipe, as Sabaki and Lizzie do, and checks every info line against
the formats of Leela Zero and KataGo (docs/play.md): field order and types, ranges, order
numbering, visits sorted, every pv legal from the analysed position (replayed on a second
engine), termination by the next command, by an empty line and by end of input, genmove_analyze's
final "play MOVE", list_commands, and the board-size refusal. Exits 1 on any mismatch.
"""
import re
import subprocess
import sys
import time

from gtpclient import Engine, make_net

V = r"(?:[A-HJ](?:[1-9])|pass)"
LZ = re.compile(rf"move ({V}) visits (\d+) winrate (\d+) prior (\d+) lcb (\d+) order (\d+) pv((?: {V})+)")
F = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
KATA = re.compile(rf"move ({V}) visits (\d+) utility {F} winrate {F} scoreMean {F} scoreStdev {F} scoreLead {F} "
                  rf"scoreSelfplay {F} prior {F} lcb {F} utilityLcb {F} order (\d+) pv((?: {V})+)")

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg, flush=True)


def collect(eng, seconds):
    """Info lines arriving within `seconds`."""
    lines, end = [], time.time() + seconds
    while time.time() < end:
        try:
            ln = eng.line(timeout=max(0.01, end - time.time()))
        except Exception:
            break
        lines.append(ln)
    return lines


def parse_line(line, kata):
    """The candidates of one info line as dicts; records failures."""
    check(line.startswith("info move "), f"line starts with 'info move ': {line[:60]}")
    chunks = line.split("info ")[1:]
    out = []
    for c in chunks:
        c = c.strip()
        m = (KATA if kata else LZ).fullmatch(c)
        check(m is not None, f"{'kata' if kata else 'lz'} format: '{c}'")
        if not m:
            continue
        g = m.groups()
        if kata:
            d = dict(move=g[0], visits=int(g[1]), utility=float(g[2]), winrate=float(g[3]), prior=float(g[8]),
                     lcb=float(g[9]), order=int(g[11]), pv=g[12].split())
            check(0 <= d["winrate"] <= 1 and 0 <= d["prior"] <= 1 and 0 <= d["lcb"] <= d["winrate"] + 1e-9,
                  f"kata ranges: {c}")
            check(abs(d["utility"] - (2 * d["winrate"] - 1)) < 1e-4, f"utility = 2*winrate-1: {c}")
        else:
            d = dict(move=g[0], visits=int(g[1]), winrate=int(g[2]), prior=int(g[3]), lcb=int(g[4]),
                     order=int(g[5]), pv=g[6].split())
            check(0 <= d["winrate"] <= 10000 and 0 <= d["prior"] <= 10000 and 0 <= d["lcb"] <= d["winrate"],
                  f"lz ranges: {c}")
        check(d["pv"][0] == d["move"], f"pv starts with the move: {c}")
        out.append(d)
    for i, d in enumerate(out):
        check(d["order"] == i, f"order {d['order']} at position {i}")
        if i:
            check(d["visits"] <= out[i - 1]["visits"], "candidates sorted by visits")
    return out


def check_pvs(oracle, history, color, cands):
    """Every pv is legal from the analysed position (replayed on the oracle engine)."""
    for d in cands:
        oracle.cmd("clear_board")
        for c, mv in history:
            oracle.cmd(f"play {c} {mv}")
        col = color
        for mv in d["pv"]:
            oracle.send(f"play {col} {mv}")
            r = oracle.response()
            check(r[0].startswith("="), f"pv {' '.join(d['pv'])}: {col} {mv} is illegal ({r[0]})")
            if not r[0].startswith("="):
                break
            col = "W" if col == "B" else "B"


def analyse(eng, oracle, history, command, color, kata, seconds=1.2):
    eng.send(command)
    first = eng.line()
    check(first == "=", f"'{command}' answered '{first}' first")
    lines = collect(eng, seconds)
    eng.send("name")
    rest = []
    while True:
        ln = eng.line()
        if ln == "= rocks":
            break
        rest.append(ln)
    check(eng.line() == "", "the name response ends")
    # the analysis response ends with one empty line before the next response
    check(rest[-1:] == [""] and all(r.startswith("info") for r in rest[:-1]), f"termination: {rest[-3:]}")
    infos = [ln for ln in lines + rest if ln.startswith("info")]
    check(len(infos) >= 2, f"'{command}': {len(infos)} info lines in {seconds} s")
    check(all(ln.startswith("info") for ln in lines), "only info lines while analysing")
    total = 0
    for ln in infos:
        cands = parse_line(ln, kata)
        total += len(cands)
    if infos:
        last = parse_line(infos[-1], kata)
        check_pvs(oracle, history, color, last)
        check_pvs(oracle, history, color, parse_line(infos[0], kata))
    print(f"  {command}: {len(infos)} lines, {total} candidates; last best "
          f"{infos[-1][:110] if infos else '-'}", flush=True)
    return infos


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rocks, folder = sys.argv[1], sys.argv[2]
    net = str(make_net(rocks, folder))
    eng = Engine([rocks, "gtp", "--model", net, "--quiet", "--visits", "200"])
    oracle = Engine([rocks, "gtp", "--size", "9"])
    try:
        names = eng.cmd("list_commands").split("\n")
        for c in ("lz-analyze", "kata-analyze", "lz-genmove_analyze", "kata-genmove_analyze"):
            check(c in names, f"list_commands has {c}")
        eng.send("boardsize 19")
        check(eng.response() == ["? unacceptable size"], "boardsize 19 refused")
        check(eng.cmd("boardsize 9") == "", "boardsize 9 accepted")
        history = [("B", "E5"), ("W", "C3"), ("B", "G7")]
        for c, mv in history:
            eng.cmd(f"play {c} {mv}")
        analyse(eng, oracle, history, "lz-analyze 10", "W", False)
        analyse(eng, oracle, history, "kata-analyze W 10", "W", True)
        infos = analyse(eng, oracle, history, "kata-analyze b interval 10 maxmoves 4", "B", True)
        check(all(ln.count("info ") <= 4 for ln in infos), "maxmoves 4")
        infos = analyse(eng, oracle, history, "lz-analyze w 10 minmoves 30", "W", False)
        check(all(ln.count("info ") >= 30 for ln in infos), "minmoves 30")
        # an empty line ends an analysis (and answers nothing more)
        eng.send("lz-analyze 5")
        check(eng.line() == "=", "lz-analyze 5 starts")
        time.sleep(0.3)
        eng.send("")
        lines = []
        while True:
            ln = eng.line()
            if ln == "":
                break
            lines.append(ln)
        check(all(ln.startswith("info") for ln in lines), "info lines before the empty line")
        check(eng.cmd("name") == "rocks", "next command after an empty line")
        # genmove_analyze: info lines, then "play MOVE", then the empty line; the move is played
        for command, kata in (("lz-genmove_analyze W 5", False), ("kata-genmove_analyze B 5", True)):
            eng.send(command)
            check(eng.line() == "=", f"{command} starts")
            lines = []
            while True:
                ln = eng.line()
                if ln == "":
                    break
                lines.append(ln)
            check(lines and lines[-1].startswith("play "), f"{command} ends with play: {lines[-1:]}")
            check(all(ln.startswith("info") for ln in lines[:-1]), f"{command}: info lines")
            for ln in lines[:-1]:
                parse_line(ln, kata)
            mv = lines[-1].split()[1] if lines and lines[-1].startswith("play ") else "?"
            color = command.split()[1].upper()
            oracle_hist = history + [(color, mv)]
            stones = eng.cmd(f"list_stones {color.lower()}").split()
            check(mv.lower() == "pass" or mv in stones, f"{command}: {mv} was played ({stones})")
            history = oracle_hist
            print(f"  {command}: {len(lines) - 1} info lines, {lines[-1] if lines else '-'}", flush=True)
    finally:
        eng.close()
        oracle.close()
    # end of input during an analysis: the response is still closed, exit status 0
    p = subprocess.run([rocks, "gtp", "--model", net, "--quiet"], input="lz-analyze 5\n", capture_output=True,
                       text=True, timeout=60)
    check(p.returncode == 0 and p.stdout.startswith("=\n") and p.stdout.endswith("\n\n"),
          f"EOF during analysis: rc {p.returncode}, {p.stdout[:20]!r}...{p.stdout[-20:]!r}")
    # a network for another size: a clear error at startup
    p = subprocess.run([rocks, "gtp", "--model", net, "--size", "19"], input="", capture_output=True, text=True)
    check(p.returncode == 2 and "plays 9x9" in p.stderr, f"--size 19 with a 9x9 net: {p.returncode} {p.stderr}")
    print(f"analyze: {'FAILED ' + str(len(failures)) if failures else 'all passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
