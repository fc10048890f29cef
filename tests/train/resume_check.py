"""`rocks train`: kill -9 at a random step, --resume, and compare with an uninterrupted run.

    resume_check.py ROCKS_BIN TEST_DS_BIN SCRATCH_DIR

A tiny model (b1c8) on a random-game dataset (test_ds --random-dataset). Run A goes through
uninterrupted; run B is killed (SIGKILL) twice at random steps and resumed each time (checkpoints every 10 steps, rows every 4: a checkpoint falls inside a
log interval, whose partial sums the checkpoint carries). Then:
metrics.csv has the same rows (same steps) and every column except the timing columns
(samples_per_s, wall_s) is byte-identical; the final checkpoints hold byte-identical tensors
and optimizer state. Also: a JSON config with flags overriding it, the copied manifests, an
existing run is not overwritten, resuming a finished run is a no-op.
"""
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time

TIMING = 2  # the last two columns: samples_per_s, wall_s
STEPS = 90


def safetensors_data(path):
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8:8 + n])
    header.pop("__metadata__", None)
    return header, b[8 + n:]


def rows(path):
    lines = open(path).read().splitlines()
    return lines[0], [line.split(",") for line in lines[1:]]


def last_step(path):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return 0
    for line in reversed(lines[1:]):
        try:
            return int(line.split(",")[0])
        except ValueError:
            continue
    return 0


def main():
    rocks, test_ds, scratch = sys.argv[1:4]
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    data, val = os.path.join(scratch, "data"), os.path.join(scratch, "val")
    subprocess.run([test_ds, "--random-dataset", data, "7", "24", "1"], check=True)
    subprocess.run([test_ds, "--random-dataset", val, "7", "3", "2"], check=True)
    with open(os.path.join(data, "manifest.json"), "w") as f:
        json.dump({"name": "random-test", "counts": {"games": 24}}, f)
    cfg = os.path.join(scratch, "cfg.json")
    with open(cfg, "w") as f:
        json.dump({"model": "b1c8", "batch": 16, "steps": 1000, "lr": 0.003, "optim": "adamw", "warmup": 10,
                   "eval_every": 20, "ckpt_every": 10, "log_every": 4, "buffer": 300, "seed": 3, "features": "rich"}, f)
    args = ["--config", cfg, "--train", data, "--val", val, "--steps", str(STEPS), "--threads", "2", "--quiet"]
    a, b = os.path.join(scratch, "a"), os.path.join(scratch, "b")
    failures = []
    t = time.time()
    r = subprocess.run([rocks, "train", "--run", a, *args], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        sys.exit(1)
    print(f"uninterrupted run: {time.time() - t:.1f} s")
    conf = json.load(open(os.path.join(a, "config.json")))
    if conf["steps"] != STEPS or conf["blocks"] != 1 or conf["channels"] != 8 or conf["features"] != "rich" or conf["lr"] != 0.003:
        failures.append(f"config.json does not reflect config + flags: {conf}")
    if json.load(open(os.path.join(a, "train-manifest.json")))["name"] != "random-test":
        failures.append("train manifest not copied")

    rng = random.Random(int(os.environ.get("ROCKS_TEST_SEED", time.time_ns())))
    kills = sorted(rng.sample(range(3, STEPS - 5), 2))
    print(f"kill -9 at steps >= {kills} (ROCKS_TEST_SEED to reproduce)")
    first = True
    for k in kills:
        cmd = [rocks, "train", "--run", b, *args] if first else [rocks, "train", "--resume", b, "--threads", "2", "--quiet"]
        first = False
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while p.poll() is None and last_step(os.path.join(b, "metrics.csv")) < k and time.time() - t0 < 300:
            time.sleep(0.005)
        p.send_signal(signal.SIGKILL)
        p.wait()
        print(f"  killed at metrics step {last_step(os.path.join(b, 'metrics.csv'))}")
    r = subprocess.run([rocks, "train", "--resume", b, "--threads", "2"], capture_output=True, text=True)
    if r.returncode != 0 or "resumed" not in r.stdout:
        failures.append(f"resume failed: {r.stdout} {r.stderr[-300:]}")
    ha, ra = rows(os.path.join(a, "metrics.csv"))
    hb, rb = rows(os.path.join(b, "metrics.csv"))
    if ha != hb:
        failures.append("headers differ")
    if [x[0] for x in ra] != [x[0] for x in rb]:
        failures.append(f"steps differ: {[x[0] for x in ra]} vs {[x[0] for x in rb]}")
    for x, y in zip(ra, rb):
        if x[:-TIMING] != y[:-TIMING]:
            failures.append(f"step {x[0]}: {','.join(x[:-TIMING])} != {','.join(y[:-TIMING])}")
    want_rows = sum(1 for s in range(1, STEPS + 1) if s % 4 == 0 or s % 20 == 0 or s == STEPS)
    if len(ra) != want_rows or not ra[-1][9]:
        failures.append(f"{len(ra)} rows / no final evaluation")
    for suffix in (".safetensors", ".optim.safetensors"):
        fa = os.path.join(a, "checkpoints", f"step-{STEPS:08d}{suffix}")
        fb = os.path.join(b, "checkpoints", f"step-{STEPS:08d}{suffix}")
        if safetensors_data(fa) != safetensors_data(fb):
            failures.append(f"final checkpoint{suffix} differs")
    # a fresh run into an existing run folder is refused; resuming a finished run is a no-op
    r = subprocess.run([rocks, "train", "--run", a, *args], capture_output=True, text=True)
    if r.returncode == 0 or "already holds a run" not in r.stderr:
        failures.append(f"an existing run was not protected: {r.returncode} {r.stderr}")
    before = open(os.path.join(a, "metrics.csv")).read()
    r = subprocess.run([rocks, "train", "--resume", a, "--quiet"], capture_output=True, text=True)
    if r.returncode != 0 or open(os.path.join(a, "metrics.csv")).read() != before:
        failures.append(f"resuming a finished run changed it: {r.returncode} {r.stderr}")
    r = subprocess.run([rocks, "train", "--resume", a, "--lr", "1"], capture_output=True, text=True)
    if r.returncode == 0:
        failures.append("--resume accepted a changed hyper-parameter")
    # the length from a FLOP budget and from epochs
    per_sample = float(ra[0][3]) / float(ra[0][1])
    for flags, want in ((["--flop-budget", str(per_sample * 16 * 7.5)], 7), (["--epochs", "0.25"], None)):
        d = os.path.join(scratch, "len")
        shutil.rmtree(d, ignore_errors=True)
        r = subprocess.run([rocks, "train", "--run", d, *args, *flags], capture_output=True, text=True)
        _, rr = rows(os.path.join(d, "metrics.csv")) if r.returncode == 0 else (None, [["-1"]])
        if want is None:
            want = -(-int(0.25 * float(ra[0][1]) / float(ra[0][2])) // 16)  # ceil(0.25 * P / batch)
        if int(rr[-1][0]) != want:
            failures.append(f"{flags}: ran {rr[-1][0]} steps, want {want} ({r.stderr[-200:]})")
    for f in failures[:20]:
        print("FAILED:", f)
    if failures:
        sys.exit(1)
    print(f"resume_check: {len(ra)} metrics rows identical (timing columns excepted) after kills at {kills}; "
          f"final model and optimizer state identical")


if __name__ == "__main__":
    main()
