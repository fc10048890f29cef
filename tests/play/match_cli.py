#!/usr/bin/python3
"""`rocks match` end to end: rocks (random genmove) vs GNU Go level 1 on 9x9, 40 moves at most,
2 games with alternating colours, then the same pairing with fixed colours both ways; checks
results.csv against the SGF files and summary.json, a resume that plays nothing, the CLI's
errors, and the engine command `rocks eval` builds. Usage: match_cli.py path/to/rocks
"""
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROCKS = os.path.abspath(sys.argv[1])
GNUGO = "/usr/games/gnugo --mode gtp --level 1 --chinese-rules --positional-superko"
ENGINE = f"{ROCKS} gtp --rules chinese --seed {{seed}}"
FAKE = f"/usr/bin/python3 {os.path.dirname(os.path.abspath(__file__))}/fake_engine.py"
failures = 0


def check(ok, what):
    global failures
    if not ok:
        failures += 1
        print("FAILED:", what, file=sys.stderr)


def run(*args, expect=0):
    p = subprocess.run([ROCKS, *args], capture_output=True, text=True, timeout=240)
    check(p.returncode == expect, f"rocks {' '.join(args)}: exit {p.returncode} (want {expect})\n{p.stdout}\n{p.stderr}")
    return p


def rows_of(out):
    with open(os.path.join(out, "results.csv")) as f:
        return list(csv.DictReader(f))


def sgf_prop(text, prop):
    m = re.search(r"\b" + prop + r"\[([^\]]*)\]", text)
    return m.group(1) if m else None


def check_match(out, engine_colors):
    rows = rows_of(out)
    check(len(rows) == len(engine_colors), f"{out}: {len(rows)} rows")
    wins = 0.0
    for i, r in enumerate(rows):
        check(int(r["game"]) == i, f"game column {r['game']}")
        check(r["engine_color"] == engine_colors[i], f"game {i}: engine colour {r['engine_color']}")
        rocks_side, gnugo_side = ("black", "white") if r["engine_color"] == "B" else ("white", "black")
        check(r[rocks_side].startswith("rocks "), f"game {i}: {rocks_side} is {r[rocks_side]}")
        check(r[gnugo_side].startswith("GNU Go"), f"game {i}: {gnugo_side} is {r[gnugo_side]}")
        moves = int(r["moves"])
        check(0 < moves <= 40, f"game {i}: {moves} moves")
        check(r["reason"] in ("score", "max-moves", "resign"), f"game {i}: reason {r['reason']} ({r['detail']})")
        if r["reason"] == "max-moves":
            check(moves == 40, f"game {i}: adjudicated after {moves} moves")
        score = float(r["score"])
        if r["reason"] in ("score", "max-moves"):
            want = "B" if score > 0 else "W" if score < 0 else "0"
            check(r["winner"] == want, f"game {i}: winner {r['winner']} with score {score}")
            check(r["result"] == (f"{want}+{abs(score):g}" if want != "0" else "0"), f"game {i}: result {r['result']}")
        with open(os.path.join(out, r["sgf"])) as f:
            sgf = f.read()
        check(sgf.startswith("(;FF[4]"), f"game {i}: SGF header")
        for prop, want in (("SZ", "9"), ("KM", "7.5"), ("RU", "chinese"), ("RE", r["result"]), ("PB", r["black"]),
                           ("PW", r["white"])):
            check(sgf_prop(sgf, prop) == want, f"game {i}: SGF {prop} = {sgf_prop(sgf, prop)} (want {want})")
        check(len(re.findall(r";[BW]\[", sgf)) == moves, f"game {i}: SGF move count")
        wins += 1.0 if r["winner"] == r["engine_color"] else 0.5 if r["winner"] == "0" else 0.0
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    n = len(rows)
    check(s["games"] == n and s["engine_wins"] == wins, f"summary {s['games']} games {s['engine_wins']} wins (want {wins})")
    p, z = wins / n, 1.96
    d = 1 + z * z / n
    lo = (p + z * z / (2 * n)) / d - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    check(abs(s["winrate_lo"] - max(lo, 0)) < 1e-9, f"wilson lo {s['winrate_lo']} (want {lo})")
    if 0 < p < 1:
        check(abs(s["elo"] - round(-400 * math.log10(1 / p - 1), 1)) < 1e-9, f"elo {s['elo']}")
    return rows


with tempfile.TemporaryDirectory() as tmp:
    # alternating colours: the engine is black in game 0 and white in game 1
    out = os.path.join(tmp, "alt")
    p = run("match", "--engine", ENGINE, "--opponent", GNUGO, "--games", "2", "--max-moves", "40", "--out", out)
    check("win rate" in p.stdout and "Elo" in p.stdout, "printed summary")
    check("2/2 games" in p.stderr, "progress on stderr")
    rows = check_match(out, ["B", "W"])
    # resume: nothing to play, same rows
    p = run("match", "--engine", ENGINE, "--opponent", GNUGO, "--games", "2", "--max-moves", "40", "--out", out)
    check(rows_of(out) == rows, "resume changed the rows")
    # other settings in the same folder: refused
    p = run("match", "--engine", ENGINE, "--opponent", GNUGO, "--games", "2", "--max-moves", "50", "--out", out, expect=1)
    check("another match" in p.stderr, f"settings mismatch message: {p.stderr}")
    # fixed colours, both directions
    out = os.path.join(tmp, "rocks-black")
    run("match", "--black", ENGINE, "--white", GNUGO, "--games", "1", "--max-moves", "40", "--out", out)
    check_match(out, ["B"])
    out = os.path.join(tmp, "gnugo-black")
    run("match", "--black", GNUGO, "--white", ENGINE, "--games", "1", "--max-moves", "40", "--out", out)
    rows = rows_of(out)
    check(rows[0]["black"].startswith("GNU Go") and rows[0]["white"].startswith("rocks"), f"fixed colours: {rows}")

    # kill -9 in the middle of a match, then resume: every game exactly once, finished ones unchanged
    out = os.path.join(tmp, "killed")
    slow = [FAKE + " --delay 0.1 --script 'C3 D4 E5 F6 G7'", FAKE + " --delay 0.1 --script 'C7 D6 E4 F3 G3'"]
    args = [ROCKS, "match", "--engine", slow[0], "--opponent", slow[1], "--games", "6", "--jobs", "2", "--out", out,
            "--quiet"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 60 and not (os.path.exists(os.path.join(out, "results.csv")) and
                                         len(rows_of(out)) >= 2):
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    before = rows_of(out)
    check(2 <= len(before) < 6, f"killed run finished {len(before)} games")
    run(*args[1:])
    after = rows_of(out)
    check([r["game"] for r in after] == [str(i) for i in range(6)], f"resumed games {[r['game'] for r in after]}")
    check(all(after[int(r["game"])] == r for r in before), "resume rewrote a finished game")
    check(all(r["moves"] == "12" and r["reason"] == "score" for r in after), f"resumed rows {after}")
    check(not [f for f in os.listdir(os.path.join(out, "games")) if ".tmp" in f], "temporary files left")

    # CLI errors
    p = run("match", "--engine", ENGINE, "--opponent", GNUGO, expect=2)
    check("--out" in p.stderr, "missing --out")
    p = run("match", "--black", ENGINE, "--out", out, expect=2)
    p = run("match", "--engine", "/no/such/engine", "--opponent", GNUGO, "--out", os.path.join(tmp, "x"), expect=1)
    check("not an executable" in p.stderr, f"missing engine: {p.stderr}")
    p = run("match", "--engine", ENGINE, "--opponent", GNUGO, "--out", out, "--games", "0", expect=2)

    # rocks eval: the engine command it builds (the game itself is played by a scripted opponent)
    ckpt = os.path.join(tmp, "run", "checkpoints", "step-1.safetensors")
    os.makedirs(os.path.dirname(ckpt))
    open(ckpt, "wb").close()
    p = run("eval", "--model", ckpt, "--visits", "50", "--opponent", FAKE, "--games", "1", "--threads", "2", "--quiet")
    out = os.path.join(tmp, "run", "eval", "step-1-v50")
    with open(os.path.join(out, "match.json")) as f:
        m = json.load(f)
    want = f"{ROCKS} gtp --model {ckpt} --visits 50 --rules chinese --seed {{seed}} --threads 2"
    check(m["engine"] == want, f"eval engine command {m['engine']!r} (want {want!r})")
    check(m["max_moves"] == 81 and m["size"] == 9 and m["komi"] == 7.5 and m["alternate"], f"eval settings {m}")
    p = run("eval", "--visits", "5", expect=2)
    check("--model" in p.stderr, "eval without --model")
    default = run("eval", "--model", "/no/such.safetensors", expect=2)

print("match_cli:", "FAILED" if failures else "ok")
sys.exit(1 if failures else 0)
