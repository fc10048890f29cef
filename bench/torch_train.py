#!/usr/bin/python3
"""torch_train.py — the PyTorch twin of `rocks train` (src/train/train.c), for comparison.

    /usr/bin/python3 bench/torch_train.py --run RUN --out DIR [--threads 2] [--steps N]

Reads a rocks run's configuration (RUN/config.json) and initial weights
(RUN/checkpoints/step-00000000.safetensors), the same .npz shards (numpy only), and trains the
PyTorch reference GoResNet (tests/nn/goresnet_ref.py) with the same hyper-parameters:
optimizer (PyTorch's AdamW/SGD with rocks' muP LR table), schedule (warm-up + cosine/constant/
step as nn_sched_lr), batch, steps, loss (CE + MSE), evaluation cadence.

The data stream is rocks' own, re-implemented here (docs/data-format.md, "The loader"):
xoshiro256** seeded with splitmix64, the per-epoch shard shuffle, the shuffle buffer and the
random symmetry per sample — so both trainers see the same batches in the same order, and the
only differences left are floating-point ones. `--check-stream N` prints the first N samples
(global index, symmetry) for comparison with the C loader.

Writes DIR/metrics.csv with rocks' columns. Feature set: agz (17 planes) and rich (16 planes; a
slow Python flood fill for liberties).
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "nn"))
import goresnet_ref as ref  # noqa: E402

M64 = (1 << 64) - 1


# ------------------------------------------------------------------ rocks' RNG (util.h) --

def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed):
        self.s = [mix64((seed + i * 0x632BE59BD9B4E019) & M64) for i in range(4)]
        if not any(self.s):
            self.s[0] = 1

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        return ((self.next() >> 32) * n) >> 32


# ------------------------------------------------------------- the loader's sample stream --

class Stream:
    """rocks' ds_loader index stream (src/data/loader.c): yields (global index, symmetry)."""

    def __init__(self, counts, seed, shuffle=True, buffer=0, symmetries=True):
        self.counts, self.seed, self.shuffle, self.sym = counts, seed, shuffle, symmetries
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist()
        self.total = int(sum(counts))
        self.cap = buffer if 0 < buffer < self.total else self.total
        self.epoch_begin(0)

    def epoch_begin(self, e):
        self.epoch, self.emitted = e, 0
        self.rng = Rng(mix64(self.seed) ^ mix64(e + 1))
        n = len(self.counts)
        self.order = list(range(n))
        if self.shuffle:
            for i in range(n - 1, 0, -1):
                j = self.rng.below(i + 1)
                self.order[i], self.order[j] = self.order[j], self.order[i]
        self.pos, self.row, self.buf = 0, 0, []

    def take(self):
        while self.pos < len(self.order) and self.row >= self.counts[self.order[self.pos]]:
            self.pos, self.row = self.pos + 1, 0
        g = self.start[self.order[self.pos]] + self.row
        self.row += 1
        return g

    def __next__(self):
        if not self.shuffle:
            g = self.take()
        else:
            buf = self.buf
            left = self.total - self.emitted - len(buf)
            while len(buf) < self.cap and left > 0:
                buf.append(self.take())
                left -= 1
            j = self.rng.below(len(buf))
            g = buf[j]
            if left > 0:
                buf[j] = self.take()
            else:
                last = buf.pop()
                if j < len(buf):
                    buf[j] = last
        s = self.rng.below(8) if self.sym else 0
        self.emitted += 1
        if self.emitted == self.total:
            self.epoch_begin(self.epoch + 1)
        return g, s


# ------------------------------------------------------------------------------ shards --

def list_shards(path):
    if os.path.isfile(path):
        return [path]
    d = os.path.join(path, "shards") if os.path.isdir(os.path.join(path, "shards")) else path
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".npz") and ".tmp." not in f)


class Data:
    NAMES = ("to_play", "stones", "ko", "last_moves", "legal", "policy", "z")

    def __init__(self, path):
        self.paths = list_shards(path)
        parts = {k: [] for k in self.NAMES}
        self.counts = []
        for p in self.paths:
            with np.load(p) as z:
                for k in self.NAMES:
                    parts[k].append(z[k])
                self.counts.append(len(z["to_play"]))
                self.size = int(json.loads(z["meta"].item())["board_size"])
        for k in self.NAMES:
            setattr(self, k, np.concatenate(parts[k]))
        self.nn = self.size * self.size
        n = self.size
        self.maps = []
        for s in range(8):  # ds_sym_point
            idx = np.arange(self.nn)
            x, y = idx % n, idx // n
            if s & 4:
                x, y = y, x
            if s & 1:
                x = n - 1 - x
            if s & 2:
                y = n - 1 - y
            self.maps.append(y * n + x)

    def colors(self, idx):
        st = self.stones[idx]
        c = (st[..., None] >> (2 * np.arange(4, dtype=np.uint8))) & 3
        return c.reshape(len(idx), 8, -1)[:, :, :self.nn]

    def legal_mask(self, idx):
        b = (self.legal[idx][..., None] >> np.arange(8, dtype=np.uint8)) & 1
        return b.reshape(len(idx), -1)[:, :self.nn]

    def features(self, idx, feat):
        """(B, planes, NN) float32, identity symmetry (ds_record_features)."""
        B, NN = len(idx), self.nn
        col = self.colors(idx)
        own = self.to_play[idx].astype(np.uint8)[:, None]
        opp = 3 - own
        if feat == "agz":
            out = np.zeros((B, 17, NN), np.float32)
            out[:, 0:16:2] = col == own[:, :, None]
            out[:, 1:16:2] = col == opp[:, :, None]
            out[:, 16] = (own == 1)
            return out
        out = np.zeros((B, 16, NN), np.float32)
        now = col[:, 0]
        for b in range(B):
            libs = liberties(now[b], self.size)
            for i in range(NN):
                c = now[b, i]
                if c == 0:
                    out[b, 8, i] = 1
                else:
                    lv = min(max(libs[i], 1), 4)
                    out[b, (0 if c == own[b, 0] else 4) + lv - 1, i] = 1
        ko = self.ko[idx]
        for b in range(B):
            if ko[b] >= 0:
                out[b, 9, ko[b]] = 1
            for k in range(3):
                m = self.last_moves[idx[b], k]
                if 0 <= m < NN:
                    out[b, 10 + k, m] = 1
        out[:, 13] = self.legal_mask(idx)
        out[:, 14] = 1
        out[:, 15] = (own == 1)
        return out

    def batch(self, items, feat):
        idx = np.array([g for g, _ in items])
        syms = [s for _, s in items]
        f = self.features(idx, feat)
        x = np.empty_like(f)
        pol = self.policy[idx].astype(np.int64)
        tgt = np.empty(len(idx), np.int64)
        for k, s in enumerate(syms):
            x[k][:, self.maps[s]] = f[k]
            tgt[k] = pol[k] if pol[k] == self.nn else self.maps[s][pol[k]]
        pt = np.zeros((len(idx), self.nn + 1), np.float32)
        pt[np.arange(len(idx)), tgt] = 1
        nlegal = self.legal_mask(idx).sum(1) + 1
        n = self.size
        return (torch.from_numpy(x.reshape(len(idx), -1, n, n)), torch.from_numpy(pt),
                torch.from_numpy(self.z[idx].astype(np.float32)), torch.from_numpy(tgt), nlegal)


def liberties(col, n):
    libs = np.zeros(n * n, np.int64)
    seen = np.zeros(n * n, bool)
    for i0 in range(n * n):
        c = col[i0]
        if c == 0 or seen[i0]:
            continue
        stack, group, lset = [i0], [], set()
        seen[i0] = True
        while stack:
            p = stack.pop()
            group.append(p)
            x, y = p % n, p // n
            for q in ([p - 1] if x > 0 else []) + ([p + 1] if x < n - 1 else []) + \
                     ([p - n] if y > 0 else []) + ([p + n] if y < n - 1 else []):
                if col[q] == c and not seen[q]:
                    seen[q] = True
                    stack.append(q)
                elif col[q] == 0:
                    lset.add(q)
        libs[group] = len(lset)
    return libs


# ------------------------------------------------------------------------------- train --

def lr_lambda(c, total):
    warm, lr, mn = c["warmup"], c["lr"], c["min_lr"]

    def f(step):
        if warm > 0 and step < warm:
            return (step + 1) / warm
        t = step - (warm if warm > 0 else 0)
        if c["schedule"] == "constant":
            return 1.0
        if c["schedule"] == "step":
            return c["gamma"] ** (t // c["step_size"])
        span = total - (warm if warm > 0 else 0)
        if span <= 0 or t >= span:
            return mn / lr
        return (mn + (lr - mn) * 0.5 * (1 + math.cos(math.pi * t / span))) / lr
    return f


def evaluate(model, data, c):
    model.eval()
    n = pol = val = acc = uni = 0.0
    stream = Stream(data.counts, 0, shuffle=False, symmetries=False)
    with torch.no_grad():
        while n < stream.total:
            k = min(c["batch"], stream.total - int(n))
            x, pt, vt, tgt, nlegal = data.batch([next(stream) for _ in range(k)], c["features"])
            logits, value = model(x)
            _, lp, lv = ref.loss_fn(logits, value, pt, vt)
            pol += lp.item() * k
            val += lv.item() * k
            acc += (logits.argmax(1) == tgt).sum().item()
            uni += (1.0 / nlegal).sum()
            n += k
    model.train()
    return {"loss": (pol + val) / n, "policy": pol / n, "value": val / n, "acc": acc / n, "uniform": uni / n}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="a rocks run folder (config.json, checkpoints/step-00000000)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=0, help="override the number of steps")
    ap.add_argument("--check-stream", type=int, default=0, help="print the first N (index, symmetry) and exit")
    a = ap.parse_args()
    c = json.load(open(os.path.join(a.run, "config.json")))
    if c["features"] not in ("agz", "rich"):
        sys.exit(f"unsupported feature set {c['features']}")
    torch.set_num_threads(a.threads)
    data = Data(c["train"])
    seed = mix64((int(c["seed"]) ^ 0x747261696E) & M64)
    stream = Stream(data.counts, seed, shuffle=True, buffer=int(c["buffer"]), symmetries=bool(c["symmetries"]))
    if a.check_stream:
        for _ in range(a.check_stream):
            g, s = next(stream)
            print(g, s)
        return
    val = Data(c["val"]) if c.get("val") else None
    P = stream.total
    if a.steps:
        total = a.steps
    elif c["steps"] > 0:
        total = int(c["steps"])
    elif c["epochs"] > 0:
        total = math.ceil(c["epochs"] * P / c["batch"])
    else:
        sys.exit("flop_budget runs: give --steps")
    model = ref.load_model(os.path.join(a.run, "checkpoints", "step-00000000.safetensors"))
    model.train()
    hp = {"lr": c["lr"], "weight_decay": c["weight_decay"], "momentum": c["momentum"], "nesterov": c["nesterov"],
          "beta1": c["beta1"], "beta2": c["beta2"], "eps": c["eps"]}
    opt = ref.make_optimizer(model, c["optim"], hp)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(c, total))
    os.makedirs(a.out, exist_ok=True)
    f = open(os.path.join(a.out, "metrics.csv"), "w", newline="")
    w = csv.writer(f)
    w.writerow(["step", "samples", "epoch", "flops", "lr", "train_loss", "train_policy_loss", "train_value_loss",
                "train_acc", "val_loss", "val_policy_loss", "val_value_mse", "val_acc", "val_uniform_acc",
                "samples_per_s", "wall_s"])
    t0 = time.time()
    iv = [0.0, 0.0, 0.0, 0.0, 0, 0.0]  # loss, policy, value, hits, n, seconds
    for step in range(1, total + 1):
        ts = time.time()
        x, pt, vt, tgt, _ = data.batch([next(stream) for _ in range(c["batch"])], c["features"])
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad()
        logits, value = model(x)
        loss, lp, lv = ref.loss_fn(logits, value, pt, vt)
        loss.backward()
        if c["clip"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), c["clip"])
        opt.step()
        sched.step()
        k = x.shape[0]
        iv[0] += loss.item() * k
        iv[1] += lp.item() * k
        iv[2] += lv.item() * k
        iv[3] += (logits.argmax(1) == tgt).sum().item()
        iv[4] += k
        iv[5] += time.time() - ts
        do_eval = val is not None and (step % c["eval_every"] == 0 or step == total)
        if step % c["log_every"] == 0 or do_eval or step == total:
            ev = evaluate(model, val, c) if do_eval else None
            n = iv[4]
            row = [step, step * c["batch"], f"{step * c['batch'] / P:.6f}", "", f"{lr:.6g}", f"{iv[0] / n:.6f}",
                   f"{iv[1] / n:.6f}", f"{iv[2] / n:.6f}", f"{iv[3] / n:.6f}"]
            row += [f"{ev[k]:.6f}" for k in ("loss", "policy", "value", "acc", "uniform")] if ev else [""] * 5
            row += [f"{n / iv[5]:.1f}", f"{time.time() - t0:.3f}"]
            w.writerow(row)
            f.flush()
            iv = [0.0, 0.0, 0.0, 0.0, 0, 0.0]
            msg = f"step {step}/{total} loss {float(row[5]):.4f}"
            if ev:
                msg += f" | val {ev['loss']:.4f} acc {100 * ev['acc']:.1f}%"
            print(msg + f" | {float(row[-2]):.0f} samples/s | {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    f.close()


if __name__ == "__main__":
    main()
