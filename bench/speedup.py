#!/usr/bin/python3
"""Speedup report: the C engine (through the rocks extension) against the pure-Python reference
(rocks.reference), side by side in one run.

Measured, interleaved C / Python within every repetition (the machine's run-to-run noise is about
±15%, so only side-by-side figures are comparable), medians over --reps repetitions. Rates are per
second of this process's CPU time (time.process_time; everything runs on one thread), so other
load on a shared machine does not skew them; on an idle machine CPU time equals wall time.

  * random 9x9 playouts/s: playouts from the empty board, uniform over legal non-eye-filling
    moves, superko skipped (board_playout vs reference Board.playout), one thread;
  * MCTS simulations/s with the uniform evaluator at 800 simulations per move: a game from the
    empty board where every move is a fresh 800-simulation search followed by the most visited
    move (both searches are identical, so both play the same game; this is checked);
  * tree memory per node: C = the pool node size (and the search's allocated bytes per node in
    use, pool slack included); Python = bytes retained by the tree (tracemalloc) per node.

Writes <out>.csv and <out>.md (default build/bench/speedup) and prints the markdown table.

    PYTHONPATH=build/python /usr/bin/python3 bench/speedup.py [--reps 5] [--seconds 1]
"""
import argparse
import csv
import datetime
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import rocks
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "build", "python"))
    import rocks
from rocks import reference as R  # noqa: E402
from rocks.reference.mcts import MCTS as RefMCTS  # noqa: E402


# ------------------------------------------------------------------------------ playouts

def c_playouts(size, seconds, seed):
    """Playouts/s and moves/playout of the C engine (GIL released inside, Python loop outside)."""
    n = moves = 0
    t0 = time.process_time()
    while True:
        r = rocks.random_playouts(256, size=size, seed=seed + n)
        n += r["playouts"]
        moves += r["moves"]
        dt = time.process_time() - t0
        if dt >= seconds:
            return n / dt, moves / n


def py_playouts(size, seconds, seed):
    rng = random.Random(seed)
    root = R.Board(size, komi=7.5)
    n = moves = 0
    t0 = time.process_time()
    while True:
        b = root.scratch_copy()
        moves += b.playout(rng)
        n += 1
        dt = time.process_time() - t0
        if dt >= seconds:
            return n / dt, moves / n


# ------------------------------------------------------------------------------ MCTS

def c_mcts(size, sims, seconds, min_moves):
    """Simulations/s of the C search: fresh `sims`-simulation searches, move after move."""
    m = rocks.MCTS("uniform", size)
    b = rocks.Board(size, komi=7.5)
    played, total = [], 0
    t0 = time.process_time()
    while True:
        m.clear()
        m.search(b, sims)
        a = m.select_move()
        played.append(a)
        b.play(a)
        total += sims
        if b.game_over:
            b = rocks.Board(size, komi=7.5)
        dt = time.process_time() - t0
        if dt >= seconds and len(played) >= min_moves:
            return total / dt, played


def py_mcts(size, sims, moves):
    m = RefMCTS("uniform", size)
    b = R.Board(size, komi=7.5)
    played = []
    t0 = time.process_time()
    for _ in range(moves):
        m.clear()
        m.search(b, sims)
        a = m.select_move()
        played.append(a)
        b.play(a)
        if b.game_over:
            b = R.Board(size, komi=7.5)
    return moves * sims / (time.process_time() - t0), played


def c_memory(size, sims):
    m = rocks.MCTS("uniform", size)
    m.search(rocks.Board(size, komi=7.5), sims)
    st = m.stats
    return st["bytes_per_node"], st["bytes_allocated"] / st["nodes_used"], st["nodes_used"]


def py_memory(size, sims):
    m = RefMCTS("uniform", size)
    b = R.Board(size, komi=7.5)
    m.set_root(b)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    m.search(b, sims)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = m.node_count()
    return (after - before) / nodes, nodes


# ------------------------------------------------------------------------------ report

def fmt(x):
    if x >= 100:
        return "{:,.0f}".format(x)
    return "{:.1f}".format(x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "speedup"),
                    help="output path without extension (.csv and .md are written)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions; medians are reported")
    ap.add_argument("--seconds", type=float, default=1.0, help="measuring time per playout/C-MCTS run")
    ap.add_argument("--size", type=int, default=9)
    ap.add_argument("--sims", type=int, default=800, help="simulations per move")
    ap.add_argument("--py-moves", type=int, default=2, help="moves searched by the Python MCTS per repetition")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--require", type=float, default=0,
                    help="exit 1 unless both speed ratios are at least this (e.g. 100)")
    args = ap.parse_args(argv)
    if args.reps < 1 or args.seconds <= 0 or args.sims < 1 or args.py_moves < 1:
        ap.error("--reps, --seconds, --sims and --py-moves must be positive")
    out = args.out[:-4] if args.out.endswith((".csv", ".md")) else args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)

    load0 = os.getloadavg()[0]
    cp, pp, cm, pm, cmov, pmov = [], [], [], [], [], []
    for r in range(args.reps):
        rate, mv = c_playouts(args.size, args.seconds, args.seed + 1000 * r)
        cp.append(rate)
        cmov.append(mv)
        rate, mv = py_playouts(args.size, args.seconds, args.seed + 1000 * r)
        pp.append(rate)
        pmov.append(mv)
        rate, c_played = c_mcts(args.size, args.sims, args.seconds, args.py_moves)
        cm.append(rate)
        rate, p_played = py_mcts(args.size, args.sims, args.py_moves)
        pm.append(rate)
        if c_played[:args.py_moves] != p_played:
            print("warning: the C and Python searches chose different moves: %s vs %s"
                  % (c_played[:args.py_moves], p_played), file=sys.stderr)
        print("rep %d/%d: playouts/s C %s Python %s | MCTS sims/s C %s Python %s"
              % (r + 1, args.reps, fmt(cp[-1]), fmt(pp[-1]), fmt(cm[-1]), fmt(pm[-1])), file=sys.stderr)
    c_node, c_alloc, c_nodes = c_memory(args.size, args.sims)
    p_node, p_nodes = py_memory(args.size, args.sims)
    load1 = os.getloadavg()[0]

    med = statistics.median
    rows = [
        ("random %dx%d playouts/s" % (args.size, args.size), "playouts/s", med(cp), med(pp), cp, pp),
        ("MCTS simulations/s (uniform evaluator, %d simulations/move)" % args.sims, "simulations/s",
         med(cm), med(pm), cm, pm),
        ("tree memory per node", "bytes/node", c_node, p_node, [c_node], [p_node]),
    ]
    with open(out + ".csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "unit", "c", "python", "ratio", "reps", "c_values", "python_values"])
        for name, unit, c, p, cv, pv in rows:
            ratio = c / p if unit != "bytes/node" else p / c
            w.writerow([name, unit, "%.6g" % c, "%.6g" % p, "%.4g" % ratio, len(cv),
                        " ".join("%.6g" % x for x in cv), " ".join("%.6g" % x for x in pv)])
        w.writerow(["C bytes allocated per node in use (pool slack, scratch)", "bytes/node", "%.6g" % c_alloc,
                    "", "", 1, "%.6g" % c_alloc, ""])
    lines = [
        "| benchmark | C (rocks) | Python (rocks.reference) | C advantage |",
        "|---|---:|---:|---:|",
    ]
    for name, unit, c, p, cv, pv in rows:
        if unit == "bytes/node":
            lines.append("| %s | %d B (%.1f B with pool slack) | %.0f B | %.1fx smaller |"
                         % (name, c, c_alloc, p, p / c))
        else:
            lines.append("| %s | %s | %s | **%.0fx** |" % (name, fmt(c), fmt(p), c / p))
    speed_ok = med(cp) / med(pp) >= args.require and med(cm) / med(pm) >= args.require
    meta = [
        "",
        "Medians of %d repetitions, C and Python interleaved in each; rates per CPU-second of one thread; "
        "%s, %s, Python %s; "
        "load average %.1f before, %.1f after. Playouts: %.1f (C) / %.1f (Python) moves each. "
        "MCTS: a game of fresh %d-simulation searches from the empty board (C: as many moves as fit "
        "in %.1f s, at least %d; Python: %d moves per repetition; both choose the same moves). "
        "Memory after one %d-simulation search: C %d nodes, Python %d nodes."
        % (args.reps, datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), platform.machine(),
           platform.python_version(), load0, load1, med(cmov), med(pmov), args.sims, args.seconds,
           args.py_moves, args.py_moves, args.sims, c_nodes, p_nodes),
    ]
    if args.require:
        meta.append("")
        meta.append("Required speedup %.0fx: %s" % (args.require, "met" if speed_ok else "NOT met"))
    md = "\n".join(["# rocks speedup: C vs pure Python", ""] + lines + meta) + "\n"
    with open(out + ".md", "w") as f:
        f.write(md)
    print(md, end="")
    print("wrote %s.csv and %s.md" % (out, out), file=sys.stderr)
    return 0 if speed_ok else 1


if __name__ == "__main__":
    sys.exit(main())
