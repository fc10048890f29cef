#!/usr/bin/python3
"""bench_nn.py — rocks vs PyTorch on GoResNet, side by side in one run (`make bench-nn`).

For every configuration the repetitions alternate: one `rocks bench nn` run (a fresh process:
the fast inference path, or goresnet training steps), then one measurement of every PyTorch variant
(a long-lived bench/torch_bench.py --serve process, so the TorchScript variants are compiled
once per model). The machine's run-to-run noise is about ±15%, so only figures taken side by
side are comparable; each cell is the median of --reps repetitions, PyTorch's is the best
variant's median (eager / channels_last / TorchScript frozen / optimize_for_inference for
inference; eager / channels_last for training).

Both sides use 2 threads (rocks: engine threads, or nn_set_threads for training; PyTorch:
torch.set_num_threads(2) with OPENBLAS_NUM_THREADS=1). 9x9 boards, 17 input planes.

  /usr/bin/python3 bench/bench_nn.py [--rocks build/rocks] [--reps 5] [--seconds 0.5]
                                     [--only infer|train] [--model b6c64,...] [--threads 2]
                                     [--cpu-time] [--out build/bench/bench_nn]

Writes <out>.csv (every repetition) and <out>.md (the table) and prints the table; the last column
is the 1-minute load average when the row started (other work on the machine skews both sides,
PyTorch's threads much more than rocks': compare rows measured at low load).
--cpu-time measures both sides in process CPU time instead of wall time (per-core throughput; use
with --threads 1 when the machine is shared and wall-clock figures are dominated by other load).
Targets (issue 4): inference >= 3x PyTorch's best at batch 1 and >= 1.5x at batch >= 8 for
b6c64 and b10c128 (b12c192 reported without a target); training >= 1.0x (goal 1.2x).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

INFER = [(m, b) for m in ("b6c64", "b10c128", "b12c192") for b in (1, 8, 32, 128)]
TRAIN = [(m, b) for m in ("b6c64", "b10c128") for b in (64, 256)]


def target(mode, model, batch):
    if mode == "train":
        return 1.0
    if model == "b12c192":
        return None
    return 3.0 if batch == 1 else 1.5


def rocks_rate(rocks, mode, model, batch, seconds, threads, cpu_time):
    cmd = [rocks, "bench", "nn", "--model", model, "--batch", str(batch), "--reps", "1",
           "--seconds", str(seconds), "--threads", str(threads), "--csv"]
    if cpu_time:
        cmd.append("--cpu-time")
    if mode == "train":
        cmd.append("--train")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split(",")
        if len(f) >= 5 and f[0] == "rocks":
            return float(f[4])
    raise RuntimeError("no result from: " + " ".join(cmd) + "\n" + out)


class Torch:
    def __init__(self, threads, cpu_time):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        self.p = subprocess.Popen([sys.executable, os.path.join(HERE, "torch_bench.py"), "--serve",
                                   "--threads", str(threads)] + (["--cpu-time"] if cpu_time else []),
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)
        self.info = json.loads(self.p.stdout.readline())

    def rates(self, mode, model, batch, seconds):
        self.p.stdin.write(json.dumps({"mode": mode, "model": model, "batch": batch,
                                       "seconds": seconds}) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("torch_bench.py died")
        return json.loads(line)

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rocks", default=os.path.join(ROOT, "build", "rocks"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.5, help="per measurement (inference)")
    ap.add_argument("--train-seconds", type=float, default=1.5, help="per measurement (training)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", choices=("infer", "train"))
    ap.add_argument("--model", help="comma list: only these models (default: all of the table)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="rates per second of process CPU time (use with --threads 1 on a loaded machine)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "bench_nn"))
    a = ap.parse_args()

    configs = []
    if a.only != "train":
        configs += [("infer", m, b) for m, b in INFER]
    if a.only != "infer":
        configs += [("train", m, b) for m, b in TRAIN]
    if a.model:
        configs = [c for c in configs if c[1] in a.model.split(",")]
    torch = Torch(a.threads, a.cpu_time)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    t_start = time.time()
    load_start = " ".join("%.2f" % x for x in os.getloadavg())
    rows, raw = [], []
    clock = "CPU time" if a.cpu_time else "wall time"
    print("bench nn: rocks vs PyTorch %s, %d threads each, 9x9, median of %d side-by-side repetitions, %s"
          % (torch.info.get("torch"), a.threads, a.reps, clock), flush=True)
    for mode, model, batch in configs:
        secs = a.seconds if mode == "infer" else a.train_seconds
        load = os.getloadavg()[0]
        r_rates, t_rates = [], {}
        for rep in range(a.reps):
            r_rates.append(rocks_rate(a.rocks, mode, model, batch, secs, a.threads, a.cpu_time))
            for k, v in torch.rates(mode, model, batch, secs).items():
                t_rates.setdefault(k, []).append(v)
            raw.append((mode, model, batch, rep, r_rates[-1], t_rates))
        r_med = statistics.median(r_rates)
        t_med = {k: statistics.median(v) for k, v in t_rates.items()}
        best = max(t_med, key=t_med.get)
        ratio = r_med / t_med[best]
        tgt = target(mode, model, batch)
        rows.append(dict(mode=mode, model=model, batch=batch, load=load, rocks=r_med, torch=t_med[best], variant=best,
                         ratio=ratio, target=tgt, rocks_reps=r_rates, torch_reps=t_rates, torch_medians=t_med))
        print("  %-5s %-8s %4d  rocks %9.1f  torch %9.1f (%s)  ratio %5.2fx%s  [load %.1f]" % (
            mode, model, batch, r_med, t_med[best], best, ratio,
            "" if tgt is None else "  target %.1fx %s" % (tgt, "ok" if ratio >= tgt else "MISSED"), load), flush=True)
    torch.close()

    with open(a.out + ".csv", "w") as f:
        f.write("mode,model,batch,side,variant,rep,rate\n")
        for r in rows:
            for i, v in enumerate(r["rocks_reps"]):
                f.write("%s,%s,%d,rocks,fast,%d,%.3f\n" % (r["mode"], r["model"], r["batch"], i, v))
            for k, vs in r["torch_reps"].items():
                for i, v in enumerate(vs):
                    f.write("%s,%s,%d,torch,%s,%d,%.3f\n" % (r["mode"], r["model"], r["batch"], k, i, v))
    lines = ["# rocks vs PyTorch, GoResNet 9x9 (%s)" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
             "",
             "%s, %d threads each; rocks: fast inference path (folded BN, Winograd F(3x3,3x3), "
             "threads) / training step (goresnet forward + loss + backward + SGD); PyTorch %s "
             "(OPENBLAS_NUM_THREADS=1), best of %s. "
             "Medians of %d side-by-side repetitions (%.2g s inference, %.2g s training, %s); load "
             "average at the start %s, at the end %s; %.0f s in all." % (
                 platform.processor() or platform.machine(), a.threads, torch.info.get("torch"),
                 "eager / channels_last / TorchScript frozen / optimize_for_inference", a.reps, a.seconds,
                 a.train_seconds, clock, load_start, " ".join("%.2f" % x for x in os.getloadavg()), time.time() - t_start)]
    if a.cpu_time:
        lines += ["", "Rates are per second of process CPU time (all threads): per-core throughput, robust to "
                  "other load on a shared machine. The targets are for the 2-thread wall-clock run."]
    lines += ["",
             "| mode | model | batch | rocks /s | PyTorch best /s | PyTorch variant | ratio | target | load |",
             "|---|---|---:|---:|---:|---|---:|---|---:|"]
    for r in rows:
        tgt = "" if r["target"] is None else "%.1fx %s" % (r["target"], "ok" if r["ratio"] >= r["target"] else "**missed**")
        lines.append("| %s | %s | %d | %.1f | %.1f | %s | %.2fx | %s | %.1f |" % (
            "inference (positions/s)" if r["mode"] == "infer" else "training (samples/s)", r["model"], r["batch"],
            r["rocks"], r["torch"], r["variant"], r["ratio"], tgt, r["load"]))
    md = "\n".join(lines) + "\n"
    with open(a.out + ".md", "w") as f:
        f.write(md)
    print()
    print(md)
    print("wrote %s.csv and %s.md" % (a.out, a.out))


if __name__ == "__main__":
    main()
