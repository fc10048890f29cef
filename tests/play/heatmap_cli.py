#!/usr/bin/python3
"""`rocks heatmap` end to end on a tiny network: makes a 1-game GNU Go dataset, trains a b1c8 net
for one step, then draws a 9-move game (a capture, a pass, two final passes): checks
positions.json (one position per move plus the final one, softmax over legal moves only, the
moves played, values), the N+1 PNGs and the contact sheet, and the CLI's errors.
Usage: heatmap_cli.py path/to/rocks [--no-render]   (--no-render: positions.json only, for ASan)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

ROCKS = os.path.abspath(sys.argv[1])
RENDER = "--no-render" not in sys.argv
failures = 0


def check(ok, what):
    global failures
    if not ok:
        failures += 1
        print("FAILED:", what, file=sys.stderr)


def run(*args, expect=0):
    p = subprocess.run([ROCKS, *args], capture_output=True, text=True, timeout=280)
    check(p.returncode == expect, f"rocks {' '.join(args)}: exit {p.returncode} (want {expect})\n{p.stdout}\n{p.stderr}")
    return p


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


# B ba, W aa, B ab (captures aa), W ee, B pass, W cc, B dd, W pass, B pass
GAME = "(;FF[4]GM[1]SZ[9]KM[7.5]RU[chinese]PB[Alice]PW[Bob];B[ba];W[aa];B[ab];W[ee];B[];W[cc];B[dd];W[];B[])"
MOVES = ["B9", "A9", "A8", "E5", "pass", "C7", "D6", "pass", "pass"]

with tempfile.TemporaryDirectory() as tmp:
    data, runf = os.path.join(tmp, "data"), os.path.join(tmp, "run")
    run("data", "gnugo", "--games", "1", "--size", "9", "--level", "0", "--out", data, "--quiet")
    run("train", "--train", data, "--val", data, "--model", "b1c8", "--steps", "1", "--batch", "8", "--run", runf,
        "--quiet")
    ckpt = os.path.join(runf, "checkpoints", "step-00000001.safetensors")
    sgf = os.path.join(tmp, "game.sgf")
    with open(sgf, "w") as f:
        f.write(GAME)
    out = os.path.join(tmp, "heat")
    run("heatmap", sgf, "--model", ckpt, "--out", out, *([] if RENDER else ["--no-render"]))
    with open(os.path.join(out, "positions.json")) as f:
        d = json.load(f)
    pos = d["positions"]
    check(d["size"] == 9 and d["black"] == "Alice" and d["white"] == "Bob" and d["architecture"] == "b1c8", "header")
    check(len(pos) == len(MOVES) + 1, f"{len(pos)} positions (want {len(MOVES) + 1})")
    for k, p in enumerate(pos):
        check(p["move_number"] == k, f"position {k}: move_number {p['move_number']}")
        check(p["to_play"] == ("B" if k % 2 == 0 else "W"), f"position {k}: to_play {p['to_play']}")
        want = MOVES[k] if k < len(MOVES) else None
        check(p["next_move"] == want, f"position {k}: next_move {p['next_move']} (want {want})")
        check(k == 0 or p["last_move"] == MOVES[k - 1], f"position {k}: last_move {p['last_move']}")
        pol = p["policy"]
        check(len(pol) == 82 and abs(sum(pol) - 1) < 1e-3, f"position {k}: policy sums to {sum(pol)}")
        check(all(pol[i] == 0 for i in range(81) if p["stones"][i] != "."), f"position {k}: mass on a stone")
        check(sum(1 for x in pol if x > 0) <= p["legal"] and pol[81] > 0, f"position {k}: legal moves")
        check(abs(p["value"]) <= 1, f"position {k}: value {p['value']}")
        bw = (1 + p["value"]) / 2 if p["to_play"] == "B" else (1 - p["value"]) / 2
        check(abs(p["black_winrate"] - bw) < 2e-5, f"position {k}: black winrate {p['black_winrate']} vs value")
    # after B ba, W aa, B ab: the white stone at aa is captured, and retaking it is suicide
    s3 = pos[3]["stones"]
    check(s3[0] == "." and s3[1] == "X" and s3[9] == "X", f"capture: {s3[:18]}")
    check(pos[3]["policy"][0] == 0, "suicide point has policy mass")
    check(pos[3]["legal"] == 81 - 2 - 1 + 1, f"legal count {pos[3]['legal']}")  # 78 points + pass
    if RENDER:
        for k in range(len(pos)):
            size = png_size(os.path.join(out, f"move-{k:03d}.png"))
            check(size is not None and size[0] > 500 and size[1] > 500, f"move-{k:03d}.png: {size}")
        size = png_size(os.path.join(out, "contact-sheet.png"))
        check(size is not None and size[0] > 500, f"contact sheet: {size}")
        pngs = [f for f in os.listdir(out) if f.endswith(".png")]
        check(len(pngs) == len(pos) + 1, f"{len(pngs)} PNG files")

    # errors: a 19x19 game for a 9x9 model, a missing game, missing flags
    big = os.path.join(tmp, "big.sgf")
    with open(big, "w") as f:
        f.write("(;FF[4]GM[1]SZ[19];B[dd])")
    p = run("heatmap", big, "--model", ckpt, "--out", os.path.join(tmp, "x"), "--no-render", expect=1)
    check("9x9" in p.stderr and "19x19" in p.stderr, f"size mismatch message: {p.stderr}")
    p = run("heatmap", os.path.join(tmp, "none.sgf"), "--model", ckpt, "--out", os.path.join(tmp, "x"), expect=1)
    p = run("heatmap", sgf, "--model", os.path.join(tmp, "none.safetensors"), "--out", os.path.join(tmp, "x"), expect=1)
    p = run("heatmap", sgf, "--out", os.path.join(tmp, "x"), expect=2)
    check("--model" in p.stderr, "missing --model")
    bad = os.path.join(tmp, "bad.sgf")
    with open(bad, "w") as f:
        f.write("(;FF[4]SZ[9];B[aa];W[aa])")
    p = run("heatmap", bad, "--model", ckpt, "--out", os.path.join(tmp, "y"), "--no-render", expect=1)
    check("illegal" in p.stderr or "occupied" in p.stderr, f"illegal game: {p.stderr}")

print("heatmap_cli:", "FAILED" if failures else "ok")
sys.exit(1 if failures else 0)
