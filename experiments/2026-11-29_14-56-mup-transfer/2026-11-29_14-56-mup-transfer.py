#!/usr/bin/env python3
"""2026-11-29_14-56-mup-transfer: does the optimal learning rate transfer across GoResNet widths
under muP, and not under the standard parameterization (SP)?

Validation loss vs LR (7 values, half-decade grid 1e-4 .. 1e-1) for widths 16, 32, 64 (2 blocks,
muP base width 16) under sp and mup: 42 runs of 800 steps x 128 samples (the same data for every
run), AdamW, cosine schedule, evaluated at the end; plus the coordinate check of the same widths.
Per width: the best grid LR and the vertex of a parabola in log lr (rocks.analysis.lr_optima);
transfer = how far the optimum moves from width 16 to 64 (log2 units), SP vs muP.
~1.5e14 FLOPs, ~20 minutes on 2 quiet cores (2 jobs at a time, 1 thread each; measured here:
b2c64 trains at ~90 GFLOP/s per thread).

    PYTHONPATH=build/python /usr/bin/python3 experiments/2026-11-29_14-56-mup-transfer/2026-11-29_14-56-mup-transfer.py [--smoke]
Outputs: data/train.csv, data/lr-optima.csv, data/coordcheck.csv, figures/lr-curves.png, report.md block.
"""
import argparse
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "build", "python"))

import pandas as pd  # noqa: E402

from rocks import analysis, plots  # noqa: E402
from rocks.exp import Experiment  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=os.path.join(REPO, "data", "dev-train-100k"))
    ap.add_argument("--val", default=os.path.join(REPO, "data", "dev-val"))
    ap.add_argument("--executor", default=None, help="local (default) or slurm")
    ap.add_argument("--parallel", type=int, default=2, help="jobs at a time (2 = the cores; at most 4)")
    ap.add_argument("--smoke", action="store_true", help="2 widths x 3 LRs, 20 steps: checks the pipeline")
    args = ap.parse_args()
    for d in (args.train, args.val):
        if not os.path.exists(d):
            sys.exit("missing dataset %s (make it with `rocks data make dev-train-100k` / dev-val)" % d)

    exp = Experiment(HERE, budget_flops=1e15, executor=args.executor, max_parallel=args.parallel, smoke=args.smoke)
    if args.smoke:
        widths, lrs, steps, batch = [8, 16], [1e-3, 1e-2, 1e-1], 20, 32
    else:
        widths, lrs, steps, batch = [16, 32, 64], [10 ** (e / 2) for e in range(-8, -1)], 800, 128
    base = widths[0]
    jobs = []
    for param in ("sp", "mup"):
        for w in widths:
            for lr in lrs:
                name = "%s-w%d-lr%.0e" % (param, w, lr)
                jobs.append(exp.train(name, train=args.train, val=args.val, model="b2c%d" % w, param=param,
                                      base_channels=base, lr=lr, steps=steps, batch=batch, schedule="cosine",
                                      warmup=max(1, steps // 16), eval_every=steps, log_every=max(1, steps // 8),
                                      ckpt_every=steps, threads=1, seed=1))
    cc = exp.coordcheck("coordcheck", param="sp,mup", widths=",".join(str(w) for w in widths), base=base, blocks=2,
                        steps=3, seeds=2 if args.smoke else 3)
    exp.run(jobs + [cc])

    final, _ = exp.collect_train(jobs, "train.csv")
    final["width"] = final["channels"] if "channels" in final else final["model"].str.extract(r"c(\d+)$")[0].astype(int)
    exp.write_csv(final, "train.csv")
    exp.collect_coordcheck([cc], "coordcheck.csv")
    opt = analysis.lr_optima(final, lr="lr", loss="val_loss", group=["param", "width"])
    exp.write_csv(opt, "lr-optima.csv")
    plots.lr_curves(final, exp.figure("lr-curves.png"), optima=opt,
                    title="validation loss vs LR after %d steps (stars: fitted optimum)" % steps)

    shift = []
    for param, g in opt.groupby("param"):
        g = g.sort_values("width")
        shift.append({"param": param, "lr_opt_narrowest": g["lr_opt"].iloc[0], "lr_opt_widest": g["lr_opt"].iloc[-1],
                      "log2_shift": math.log2(g["lr_opt"].iloc[-1] / g["lr_opt"].iloc[0]),
                      "widths": "%d..%d" % (g["width"].iloc[0], g["width"].iloc[-1])})
    shift = pd.DataFrame(shift)
    exp.write_csv(shift, "lr-shift.csv")
    md = exp.results_markdown(opt, ["param", "width", "lr_best", "lr_opt", "loss_opt", "curvature", "points"],
                              "Optimal LR per parameterization and width (data/lr-optima.csv)")
    md += "\n" + exp.results_markdown(shift, caption="How far the optimum moves with width (data/lr-shift.csv; "
                                      "0 = perfect transfer)")
    md += "\n![LR curves](figures/lr-curves.png)\n"
    exp.update_report(md)
    print(opt.to_string(index=False))
    print(shift.to_string(index=False))


if __name__ == "__main__":
    main()
