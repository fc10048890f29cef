#!/usr/bin/python3
"""train_compare.py — rocks vs its PyTorch twin on the same shards, same hyper-parameters.

    /usr/bin/python3 bench/train_compare.py [--rocks build/rocks] [--train data/dev-train-100k]
        [--val data/dev-val] [--out build/train-compare] [--model b6c64] [--epochs 1]
        [--batch 256] [--lr 0.002] [--eval-every 40] [--threads 2] [--skip-rocks] [--skip-torch]

1. `rocks train` (fresh run in OUT/rocks) with the given settings;
2. bench/torch_train.py on OUT/rocks's configuration, initial weights and data stream, into
   OUT/torch;
3. OUT/val_curves.png: validation loss and policy top-1 accuracy against the step, both
   trainers in one figure (with the uniform-over-legal-moves baseline), and OUT/summary.json
   with the final numbers and their relative difference.
Nothing here is committed: OUT lives under build/ by default.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_metrics(path):
    rows = list(csv.DictReader(open(path)))
    return [r for r in rows if r["val_loss"]], rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rocks", default=os.path.join(ROOT, "build", "rocks"))
    ap.add_argument("--train", default=os.path.join(ROOT, "data", "dev-train-100k"))
    ap.add_argument("--val", default=os.path.join(ROOT, "data", "dev-val"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "train-compare"))
    ap.add_argument("--model", default="b6c64")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-rocks", action="store_true", help="reuse OUT/rocks")
    ap.add_argument("--skip-torch", action="store_true", help="reuse OUT/torch")
    a = ap.parse_args()
    rdir, tdir = os.path.join(a.out, "rocks"), os.path.join(a.out, "torch")
    os.makedirs(a.out, exist_ok=True)
    times = {}
    if not a.skip_rocks:
        shutil.rmtree(rdir, ignore_errors=True)
        t = time.time()
        subprocess.run([a.rocks, "train", "--run", rdir, "--train", a.train, "--val", a.val, "--model", a.model,
                        "--epochs", str(a.epochs), "--batch", str(a.batch), "--lr", str(a.lr), "--optim", "adamw",
                        "--weight-decay", str(a.weight_decay), "--schedule", "cosine", "--warmup", str(a.warmup),
                        "--eval-every", str(a.eval_every), "--log-every", "10", "--ckpt-every", "1000",
                        "--threads", str(a.threads), "--seed", str(a.seed)], check=True)
        times["rocks_seconds"] = time.time() - t
    if not a.skip_torch:
        shutil.rmtree(tdir, ignore_errors=True)
        t = time.time()
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "torch_train.py"), "--run", rdir, "--out", tdir,
                        "--threads", str(a.threads)], check=True, env=env)
        times["torch_seconds"] = time.time() - t
    rv, rall = read_metrics(os.path.join(rdir, "metrics.csv"))
    tv, tall = read_metrics(os.path.join(tdir, "metrics.csv"))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for rows, name, style in ((rv, "rocks (C)", "-o"), (tv, "PyTorch twin", "--s")):
        steps = [int(r["step"]) for r in rows]
        ax[0].plot(steps, [float(r["val_loss"]) for r in rows], style, label=name, ms=3)
        ax[1].plot(steps, [100 * float(r["val_acc"]) for r in rows], style, label=name, ms=3)
    if rv:
        ax[1].axhline(100 * float(rv[-1]["val_uniform_acc"]), color="gray", ls=":", label="uniform over legal moves")
    ax[0].set_xlabel("step")
    ax[0].set_ylabel("validation loss (policy CE + value MSE)")
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("validation policy top-1 accuracy (%)")
    for x in ax:
        x.grid(alpha=0.3)
        x.legend()
    cfg = json.load(open(os.path.join(rdir, "config.json")))
    fig.suptitle(f"{a.model} on {os.path.basename(a.train.rstrip('/'))}, {a.epochs:g} epoch, batch {a.batch}, "
                 f"AdamW lr {a.lr:g} cosine, {cfg['features']} features")
    fig.tight_layout()
    png = os.path.join(a.out, "val_curves.png")
    fig.savefig(png, dpi=120)
    fr, ft = rv[-1], tv[-1]
    rel = abs(float(fr["val_loss"]) - float(ft["val_loss"])) / float(ft["val_loss"])
    sps_r = [float(r["samples_per_s"]) for r in rall if r["samples_per_s"]]
    sps_t = [float(r["samples_per_s"]) for r in tall if r["samples_per_s"]]
    summary = {
        "rocks": {k: float(fr[k]) for k in ("val_loss", "val_policy_loss", "val_value_mse", "val_acc", "val_uniform_acc")},
        "torch": {k: float(ft[k]) for k in ("val_loss", "val_policy_loss", "val_value_mse", "val_acc", "val_uniform_acc")},
        "steps": int(fr["step"]),
        "val_loss_rel_diff": rel,
        "rocks_samples_per_s_median": sorted(sps_r)[len(sps_r) // 2] if sps_r else None,
        "torch_samples_per_s_median": sorted(sps_t)[len(sps_t) // 2] if sps_t else None,
        **times,
        "png": png,
    }
    json.dump(summary, open(os.path.join(a.out, "summary.json"), "w"), indent=2)
    print(json.dumps(summary, indent=2))
    ok = rel < 0.02 and summary["rocks"]["val_acc"] > 3 * summary["rocks"]["val_uniform_acc"]
    print(f"final validation loss: rocks {float(fr['val_loss']):.4f}, PyTorch {float(ft['val_loss']):.4f} "
          f"({100 * rel:.2f}% apart); top-1: rocks {100 * float(fr['val_acc']):.1f}%, PyTorch "
          f"{100 * float(ft['val_acc']):.1f}%, uniform {100 * float(fr['val_uniform_acc']):.1f}% -> "
          f"{'OK' if ok else 'NOT within the acceptance bounds'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
