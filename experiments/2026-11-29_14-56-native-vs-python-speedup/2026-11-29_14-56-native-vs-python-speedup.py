#!/usr/bin/env python3
"""2026-11-29_14-56-native-vs-python-speedup: how much faster is the C engine than the pure-Python
reference (rocks.reference) at random playouts and at MCTS simulations, on 9x9 and 19x19?

Runs bench/speedup.py (C and Python interleaved in every repetition, rates per CPU-second of one
thread) once per board size as a job, collects data/speedup.csv, draws figures/speedup.png and
regenerates the report's results block. About 4 minutes in all (2 jobs in parallel, 7 reps).

    PYTHONPATH=build/python /usr/bin/python3 experiments/2026-11-29_14-56-native-vs-python-speedup/2026-11-29_14-56-native-vs-python-speedup.py [--smoke]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "build", "python"))

import pandas as pd  # noqa: E402

from rocks import plots  # noqa: E402
from rocks.exp import Experiment  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="9,19", help="board sizes (9,19)")
    ap.add_argument("--reps", type=int, default=7, help="repetitions per size; medians are reported (7)")
    ap.add_argument("--executor", default=None, help="local (default) or slurm")
    ap.add_argument("--parallel", type=int, default=2, help="jobs at a time (2: one per core; at most 4)")
    ap.add_argument("--smoke", action="store_true", help="1 short repetition, to check the pipeline")
    args = ap.parse_args()

    exp = Experiment(HERE, budget_flops=1e15, executor=args.executor, max_parallel=args.parallel, smoke=args.smoke)
    bench = os.path.join(REPO, "bench", "speedup.py")
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = []
    for n in sizes:
        name = "speedup-%dx%d" % (n, n)
        flags = (["--reps", "1", "--seconds", "0.2", "--sims", "100", "--py-moves", "1"] if args.smoke
                 else ["--reps", str(args.reps), "--seconds", "1", "--sims", "800", "--py-moves", "2"])
        # a job's command runs with cwd = the experiment folder; its output goes into its job folder
        out = os.path.join(exp.job_dir(name), "speedup")
        jobs.append(exp.cmd(name, ["/usr/bin/python3", bench, "--size", str(n), "--out", out] + flags,
                            params={"size": n}))
    for j in jobs:
        j.env["PYTHONPATH"] = os.path.join(REPO, "build", "python")
    exp.run(jobs)

    frames = []
    for j in jobs:
        d = pd.read_csv(os.path.join(j.out, "speedup.csv"))
        d.insert(0, "size", j.params["size"])
        frames.append(d)
    df = pd.concat(frames, ignore_index=True)
    exp.write_csv(df, "speedup.csv")
    speed = df[df["unit"].isin(["playouts/s", "simulations/s"])]
    labels = ["%s %dx%d" % ("playouts" if u == "playouts/s" else "MCTS sims", s, s)
              for s, u in zip(speed["size"], speed["unit"])]
    plots.bars(labels, list(speed["ratio"]), exp.figure("speedup.png"), "C / Python (rate per CPU-second)",
               log=True, title="rocks C engine vs pure-Python reference")
    table = speed[["size", "metric", "c", "python", "ratio", "reps"]]
    exp.update_report(exp.results_markdown(table, caption="Medians over repetitions (data/speedup.csv); "
                                           "ratio = C rate / Python rate")
                      + "\n![speedup](figures/speedup.png)\n")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
