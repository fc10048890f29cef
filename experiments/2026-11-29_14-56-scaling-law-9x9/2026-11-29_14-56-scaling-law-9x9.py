#!/usr/bin/env python3
"""2026-11-29_14-56-scaling-law-9x9: how does the validation loss of GoResNet on 9x9 GNU Go games
fall with training compute — L(C) = a·C^b (and with an irreducible term E) — and how does the
compute-optimal model size grow, N_opt(C) (Chinchilla approach 1)?

Five sizes (b1c16 .. b6c64, 22k .. 473k parameters) trained on dev-train-100k with a constant
LR after warm-up (so every evaluation along a run is a point of its loss-vs-compute curve),
evaluated on dev-val about 12 times per run. Per-size FLOP caps (small models saturate early),
2.05e14 FLOPs in all: ~30 minutes on 2 quiet cores (2 jobs at a time, 1 thread each; measured
here: b6c64 trains at ~85 GFLOP/s per thread, evaluations included).

    PYTHONPATH=build/python /usr/bin/python3 experiments/2026-11-29_14-56-scaling-law-9x9/2026-11-29_14-56-scaling-law-9x9.py [--smoke]
Outputs: data/train.csv (one row per size), data/curves.csv (every metrics row), data/frontier.csv,
data/fits.csv, figures/curves.png, figures/frontier.png, figures/loss-vs-compute.png, report.md block.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "build", "python"))

import pandas as pd  # noqa: E402

from rocks import analysis, plots  # noqa: E402
from rocks.exp import Experiment  # noqa: E402

# model -> training FLOP cap; batch 256 (about 12 evaluations per run)
SIZES = {"b1c16": 1.5e13, "b2c24": 3e13, "b3c32": 4e13, "b4c48": 6e13, "b6c64": 6e13}
SMOKE = {"b1c8": 2e9, "b1c16": 4e9, "b2c16": 6e9}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=os.path.join(REPO, "data", "dev-train-100k"))
    ap.add_argument("--val", default=os.path.join(REPO, "data", "dev-val"))
    ap.add_argument("--executor", default=None, help="local (default) or slurm")
    ap.add_argument("--parallel", type=int, default=2, help="jobs at a time (2 = the cores; at most 4)")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap resamples (1000)")
    ap.add_argument("--smoke", action="store_true", help="3 tiny models, a few steps: checks the pipeline")
    args = ap.parse_args()
    for d in (args.train, args.val):
        if not os.path.exists(d):
            sys.exit("missing dataset %s (make it with `rocks data make dev-train-100k` / dev-val)" % d)

    exp = Experiment(HERE, budget_flops=1e15, executor=args.executor, max_parallel=args.parallel, smoke=args.smoke)
    sizes, batch = (SMOKE, 32) if args.smoke else (SIZES, 256)
    jobs = []
    for model, cap in sizes.items():
        per_step = exp_flops_per_sample(model) * batch
        steps = int(cap // per_step)
        jobs.append(exp.train(model, train=args.train, val=args.val, model=model, flop_budget=cap, batch=batch,
                              lr=2e-3, schedule="constant", warmup=min(100, max(1, steps // 10)),
                              eval_every=max(1, steps // 12), log_every=max(1, steps // 24),
                              ckpt_every=max(1, steps // 4), threads=1, seed=1))
    exp.run(jobs)

    final, curves = exp.collect_train(jobs, "train.csv", curves="curves.csv")
    ev = curves.dropna(subset=["val_loss"])
    ev = ev[ev["step"] > 0]
    front = analysis.chinchilla_frontier(ev, compute="flops", loss="val_loss", size="params", n_grid=40)
    exp.write_csv(front, "frontier.csv")

    rows = []
    fit = analysis.bootstrap_power_law(front["flops"], front["val_loss"], n=args.boot, seed=1)
    f = fit["fit"]
    rows.append({"fit": "L(C) = a C^b (frontier)", "a": f.a, "b": f.b, "E": 0.0, "r2": f.r2,
                 "a_lo": fit["a"][0], "a_hi": fit["a"][1], "b_lo": fit["b"][0], "b_hi": fit["b"][1],
                 "E_lo": 0.0, "E_hi": 0.0, "n": f.n})
    fitE = None
    try:
        fitE = analysis.bootstrap_power_law(front["flops"], front["val_loss"], n=min(args.boot, 300), seed=1,
                                            irreducible=True)
        g = fitE["fit"]
        rows.append({"fit": "L(C) = E + a C^b (frontier)", "a": g.a, "b": g.b, "E": g.E, "r2": g.r2,
                     "a_lo": fitE["a"][0], "a_hi": fitE["a"][1], "b_lo": fitE["b"][0], "b_hi": fitE["b"][1],
                     "E_lo": fitE["E"][0], "E_hi": fitE["E"][1], "n": g.n})
    except ValueError as e:
        print("the fit with E failed: %s" % e, file=sys.stderr)
    nfit = None
    multi = front[front["models"] >= 2]
    if multi["params"].nunique() >= 2:
        nfit = analysis.n_opt_fit(front)
        rows.append({"fit": "N_opt(C) = k C^alpha", "a": nfit.a, "b": nfit.b, "E": 0.0, "r2": nfit.r2, "n": nfit.n})
    else:
        print("N_opt(C): fewer than 2 distinct optimal sizes where sizes overlap; no fit", file=sys.stderr)
    fits = pd.DataFrame(rows)
    exp.write_csv(fits, "fits.csv")

    plots.loss_vs_flops(curves, exp.figure("curves.png"), title="validation loss vs training FLOPs, per size")
    plots.frontier(ev, front, exp.figure("frontier.png"), nfit=nfit, title="compute-optimal frontier (approach 1)")
    plots.power_law(front["flops"], front["val_loss"], f, exp.figure("loss-vs-compute.png"), ci=fit,
                    ylabel="validation loss on the frontier", title="L(C) on the frontier")

    md = exp.results_markdown(final, ["model", "params", "flops", "step", "epoch", "val_loss", "val_acc"],
                              "Final validation loss per size (data/train.csv)")
    md += "\n" + exp.results_markdown(fits, ["fit", "a", "b", "E", "b_lo", "b_hi", "E_lo", "E_hi", "r2", "n"],
                                      "Fits (data/fits.csv; 95% percentile-bootstrap intervals over frontier points)")
    md += "\n![curves](figures/curves.png)\n![frontier](figures/frontier.png)\n![L(C)](figures/loss-vs-compute.png)\n"
    exp.update_report(md)
    print(fits.to_string(index=False))


def exp_flops_per_sample(model):
    from rocks.exp import model_info
    return model_info(model)["train_flops"]


if __name__ == "__main__":
    main()
