#!/usr/bin/python3
"""goresnet_ref.py — the PyTorch (1.13) reference of rocks' GoResNet, for tests/test_nn_torch.c.

The same network as src/nn/goresnet.c, with the same state_dict names (stem.conv.weight,
blocks.3.bn2.running_var, ...), the same muP / depth-muP rules (written independently here from
docs/nn.md), PyTorch's own SGD / AdamW / LambdaLR / clip_grad_norm_.

  goresnet_ref.py gen OUTDIR     writes OUTDIR/torch_state.bin (debug state, format below) and
                                 OUTDIR/py_model.safetensors (+ .optim) for the C test to read
  goresnet_ref.py check OUTDIR   loads OUTDIR/c_model.safetensors written by the C test into the
                                 PyTorch model and compares its eval outputs with
                                 OUTDIR/c_outputs.bin; exits non-zero on a mismatch

Debug state format (little-endian): b"RKNNDBG\\0", u32 version (1), u32 record count, then
records: u32 name length, name (UTF-8), u32 ndim, u32 shape[ndim], f32 data[prod(shape)].
Per parameterization P in (sp, mup, depth-mup):
  P/config            [size, planes, channels, blocks, base_channels, base_blocks, alpha, a, batch]
  P/param/NAME        initial tensors (parameters and BN buffers)
  P/policy_logits, P/value, P/loss [total, policy, value]   training-mode forward
  P/grad/NAME         gradient of every trainable tensor
  P/running/NAME      BN running statistics after that forward
  P/eval_logits, P/eval_value                                eval-mode forward after it
  P/RUN/hparams       [lr, momentum, nesterov, weight_decay, beta1, beta2, eps, clip, warmup,
                       total, min_lr, micro_batches]  (RUN in sgd, adamw, adamw_accum2)
  P/RUN/losses        10 losses, loss at step t computed before update t (same batch)
inputs (B,planes,N,N), policy_target (B,N*N+1), value_target (B) shared; py_ckpt/eval_logits and
py_ckpt/eval_value are the eval outputs of py_model.safetensors on the inputs.
"""
import copy
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MAGIC = b"RKNNDBG\0"
VERSION = 1


# ------------------------------------------------------------------------------ network --


class Cfg:
    def __init__(self, size=7, planes=17, channels=16, blocks=2, param="sp", base_channels=8,
                 base_blocks=1, alpha=0.5, a=1.0, bn_eps=1e-5, bn_momentum=0.1, features="agz"):
        self.size, self.planes, self.channels, self.blocks = size, planes, channels, blocks
        self.param, self.base_channels, self.base_blocks = param, base_channels, base_blocks
        self.alpha, self.a, self.bn_eps, self.bn_momentum = alpha, a, bn_eps, bn_momentum
        self.features = features

    def width_mult(self):
        return 1.0 if self.param == "sp" else self.channels / self.base_channels

    def branch_mult(self):
        if self.param != "depth-mup" or self.blocks == 0:
            return 1.0
        return self.a / (self.blocks / self.base_blocks) ** self.alpha

    def meta(self):
        f = lambda x: "%.9g" % x
        return {"rocks.format": "goresnet-v1", "size": str(self.size), "planes": str(self.planes),
                "channels": str(self.channels), "blocks": str(self.blocks), "param": self.param,
                "base_channels": str(self.base_channels), "base_blocks": str(self.base_blocks),
                "depth_alpha": f(self.alpha), "depth_a": f(self.a), "bn_eps": f(self.bn_eps),
                "bn_momentum": f(self.bn_momentum), "features": self.features}

    @staticmethod
    def from_meta(m):
        return Cfg(size=int(m["size"]), planes=int(m["planes"]), channels=int(m["channels"]),
                   blocks=int(m["blocks"]), param=m["param"], base_channels=int(m["base_channels"]),
                   base_blocks=int(m["base_blocks"]), alpha=float(m["depth_alpha"]), a=float(m["depth_a"]),
                   bn_eps=float(m["bn_eps"]), bn_momentum=float(m["bn_momentum"]),
                   features=m.get("features", ""))


def bn(c, cfg):
    return nn.BatchNorm2d(c, eps=cfg.bn_eps, momentum=cfg.bn_momentum)


class Stem(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.conv = nn.Conv2d(cfg.planes, cfg.channels, 3, padding=1, bias=False)
        self.bn = bn(cfg.channels, cfg)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg.channels
        self.conv1 = nn.Conv2d(C, C, 3, padding=1, bias=False)
        self.bn1 = bn(C, cfg)
        self.conv2 = nn.Conv2d(C, C, 3, padding=1, bias=False)
        self.bn2 = bn(C, cfg)
        self.mult = cfg.branch_mult()

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.mult * self.bn2(self.conv2(h)))


class PolicyHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        N2 = cfg.size * cfg.size
        self.conv = nn.Conv2d(cfg.channels, 2, 1, bias=False)
        self.bn = bn(2, cfg)
        self.fc = nn.Linear(2 * N2, N2 + 1)

    def forward(self, x):
        return self.fc(torch.flatten(F.relu(self.bn(self.conv(x))), 1))


class ValueHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        N2 = cfg.size * cfg.size
        self.conv = nn.Conv2d(cfg.channels, 1, 1, bias=False)
        self.bn = bn(1, cfg)
        self.fc1 = nn.Linear(N2, cfg.channels)
        self.fc2 = nn.Linear(cfg.channels, 1)
        self.readout = 1.0 / cfg.width_mult()  # muP readout multiplier on fc2's weight

    def forward(self, x):
        h = F.relu(self.fc1(torch.flatten(F.relu(self.bn(self.conv(x))), 1)))
        return torch.tanh(F.linear(h, self.fc2.weight * self.readout, self.fc2.bias)).squeeze(1)


class GoResNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.stem = Stem(cfg)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.blocks)])
        self.policy = PolicyHead(cfg)
        self.value = ValueHead(cfg)
        if cfg.param != "sp":  # muP: zero-initialised readout
            nn.init.zeros_(self.value.fc2.weight)
            nn.init.zeros_(self.value.fc2.bias)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        return self.policy(x), self.value(x)


def loss_fn(logits, value, pt, vt):
    lp = -(pt * F.log_softmax(logits, dim=1)).sum(1).mean()
    lv = F.mse_loss(value, vt)
    return lp + lv, lp, lv


def lr_scale(cfg, name, opt):
    """The muP table of docs/nn.md, written out by parameter name."""
    if cfg.param == "sp":
        return 1.0
    m, sgd = cfg.width_mult(), opt == "sgd"
    in_block = name.startswith("blocks.")
    if in_block and ".conv" in name:                       # hidden
        s = 1.0 if sgd else 1.0 / m
    elif name in ("policy.conv.weight", "value.conv.weight"):  # BN-followed readout
        s = 1.0 / m
    elif (name in ("stem.conv.weight", "value.fc1.weight", "value.fc1.bias", "value.fc2.weight")
          or name.startswith("stem.bn.") or (in_block and ".bn" in name)):  # input, vector, readout
        s = m if sgd else 1.0
    else:                                                  # policy FC, head BN, value.fc2.bias
        s = 1.0
    if cfg.param == "depth-mup" and in_block and not sgd:
        s /= (cfg.blocks / cfg.base_blocks) ** cfg.alpha
    return s


def make_optimizer(model, opt, hp):
    groups = []
    for name, p in model.named_parameters():
        decay = p.dim() > 1
        groups.append({"params": [p], "lr": hp["lr"] * lr_scale(model.cfg, name, opt),
                       "weight_decay": hp["weight_decay"] if decay else 0.0})
    if opt == "sgd":
        return torch.optim.SGD(groups, lr=hp["lr"], momentum=hp["momentum"], nesterov=bool(hp["nesterov"]))
    return torch.optim.AdamW(groups, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"])


def sched_lambda(hp):
    warm, total, lr, mn = hp["warmup"], hp["total"], hp["lr"], hp["min_lr"]

    def f(step):
        if warm > 0 and step < warm:
            return (step + 1) / warm
        if total <= 0:
            return 1.0
        t, span = step - warm, total - warm
        if t >= span:
            return mn / lr
        return (mn + (lr - mn) * 0.5 * (1 + math.cos(math.pi * t / span))) / lr
    return f


# ---------------------------------------------------------------------- safetensors I/O --


def st_write(path, tensors, meta):
    header = {"__metadata__": meta}
    off, blobs = 0, []
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def st_read(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base, out = 8 + n, {}
    for name, e in header.items():
        assert e["dtype"] == "F32", (name, e["dtype"])
        b0, b1 = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[base + b0:base + b1], dtype="<f4").copy().reshape(e["shape"]))
    return out, meta


def state_for_save(model):
    return {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def load_model(path):
    tensors, meta = st_read(path)
    model = GoResNet(Cfg.from_meta(meta))
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError("checkpoint %s: missing %s unexpected %s" % (path, missing, unexpected))
    return model


# ---------------------------------------------------------------------- debug state I/O --


class StateWriter:
    def __init__(self):
        self.records = []

    def add(self, name, t):
        a = np.array(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype="<f4", copy=True)  # a copy: tensors change later
        self.records.append((name, a))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack("<II", VERSION, len(self.records)))
            for name, a in self.records:
                nb = name.encode()
                f.write(struct.pack("<I", len(nb)))
                f.write(nb)
                f.write(struct.pack("<I", a.ndim))
                f.write(struct.pack("<%dI" % a.ndim, *a.shape))
                f.write(a.tobytes())


def read_state(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == MAGIC, "bad magic in %s" % path
    version, n = struct.unpack_from("<II", data, 8)
    assert version == VERSION
    pos, out = 16, {}
    for _ in range(n):
        (ln,) = struct.unpack_from("<I", data, pos)
        name = data[pos + 4:pos + 4 + ln].decode()
        pos += 4 + ln
        (nd,) = struct.unpack_from("<I", data, pos)
        shape = struct.unpack_from("<%dI" % nd, data, pos + 4)
        pos += 4 + 4 * nd
        cnt = int(np.prod(shape)) if nd else 1
        out[name] = np.frombuffer(data, dtype="<f4", count=cnt, offset=pos).reshape(shape)
        pos += 4 * cnt
    return out


# --------------------------------------------------------------------------------- gen --

HPARAMS = {
    # SGD: constant LR, Nesterov momentum, coupled L2, global-norm clipping
    "sgd": dict(lr=0.02, momentum=0.9, nesterov=1, weight_decay=1e-4, beta1=0.9, beta2=0.999, eps=1e-8,
                clip=1.0, warmup=0, total=0, min_lr=0.0, micro=1),
    # AdamW: decoupled weight decay, 3 warm-up steps then cosine to step 10
    "adamw": dict(lr=2e-3, momentum=0.0, nesterov=0, weight_decay=0.01, beta1=0.9, beta2=0.999, eps=1e-8,
                  clip=0.0, warmup=3, total=10, min_lr=2e-4, micro=1),
    # the same with the batch split into two accumulated micro-batches
    "adamw_accum2": dict(lr=2e-3, momentum=0.0, nesterov=0, weight_decay=0.01, beta1=0.9, beta2=0.999, eps=1e-8,
                         clip=0.0, warmup=3, total=10, min_lr=2e-4, micro=2),
}
HP_ORDER = ["lr", "momentum", "nesterov", "weight_decay", "beta1", "beta2", "eps", "clip", "warmup", "total",
            "min_lr", "micro"]


def train_losses(model, opt, hp, x, pt, vt, steps=10):
    model.train()
    o = make_optimizer(model, "sgd" if opt == "sgd" else "adamw", hp)
    sched = torch.optim.lr_scheduler.LambdaLR(o, sched_lambda(hp))
    losses, k, B = [], hp["micro"], x.shape[0]
    for _ in range(steps):
        o.zero_grad()
        total = 0.0
        for j in range(k):
            sl = slice(j * B // k, (j + 1) * B // k)
            logits, value = model(x[sl])
            loss, _, _ = loss_fn(logits, value, pt[sl], vt[sl])
            (loss / k).backward()
            total += loss.item() / k
        losses.append(total)
        if hp["clip"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), hp["clip"])
        o.step()
        sched.step()
    return losses, o


def gen(outdir):
    torch.manual_seed(1234)
    torch.set_num_threads(1)  # tiny tensors: threads only add overhead (and contention)
    os.makedirs(outdir, exist_ok=True)
    base = Cfg()
    B, N2 = 8, base.size * base.size
    x = (torch.rand(B, base.planes, base.size, base.size) < 0.3).float()
    pt = torch.rand(B, N2 + 1) ** 4
    pt = pt / pt.sum(1, keepdim=True)
    vt = torch.rand(B) * 2 - 1
    w = StateWriter()
    w.add("inputs", x)
    w.add("policy_target", pt)
    w.add("value_target", vt)
    ckpt_model = None
    for param in ("sp", "mup", "depth-mup"):
        cfg = Cfg(param=param)
        model = GoResNet(cfg)
        init = copy.deepcopy(model.state_dict())
        w.add(param + "/config", [cfg.size, cfg.planes, cfg.channels, cfg.blocks, cfg.base_channels,
                                  cfg.base_blocks, cfg.alpha, cfg.a, B])
        for k, v in state_for_save(model).items():
            w.add(param + "/param/" + k, v)
        model.train()
        logits, value = model(x)
        loss, lp, lv = loss_fn(logits, value, pt, vt)
        loss.backward()
        w.add(param + "/policy_logits", logits)
        w.add(param + "/value", value)
        w.add(param + "/loss", [loss.item(), lp.item(), lv.item()])
        for k, p in model.named_parameters():
            w.add(param + "/grad/" + k, p.grad)
        for k, v in state_for_save(model).items():
            if "running" in k:
                w.add(param + "/running/" + k, v)
        model.eval()
        with torch.no_grad():
            el, ev = model(x)
        w.add(param + "/eval_logits", el)
        w.add(param + "/eval_value", ev)
        for run, hp in HPARAMS.items():
            model.load_state_dict(init)
            losses, o = train_losses(model, run, hp, x, pt, vt)
            w.add(param + "/" + run + "/hparams", [hp[k] for k in HP_ORDER])
            w.add(param + "/" + run + "/losses", losses)
            if param == "sp" and run == "adamw":
                ckpt_model, ckpt_opt = copy.deepcopy(model), o
    # a PyTorch-trained checkpoint for the C side to load
    meta = ckpt_model.cfg.meta()
    meta["trained_by"] = "goresnet_ref.py"
    st_write(os.path.join(outdir, "py_model.safetensors"), state_for_save(ckpt_model), meta)
    ckpt_model.eval()
    with torch.no_grad():
        el, ev = ckpt_model(x)
    w.add("py_ckpt/eval_logits", el)
    w.add("py_ckpt/eval_value", ev)
    w.write(os.path.join(outdir, "torch_state.bin"))
    print("goresnet_ref: wrote %s (%d records)" % (os.path.join(outdir, "torch_state.bin"), len(w.records)))


def rel_maxdiff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def check(outdir):
    torch.set_num_threads(1)
    state = read_state(os.path.join(outdir, "torch_state.bin"))
    couts = read_state(os.path.join(outdir, "c_outputs.bin"))
    model = load_model(os.path.join(outdir, "c_model.safetensors"))
    model.eval()
    x = torch.from_numpy(state["inputs"].copy())
    with torch.no_grad():
        logits, value = model(x)
    dl = rel_maxdiff(logits.numpy(), couts["eval_logits"])
    dv = rel_maxdiff(value.numpy(), couts["eval_value"])
    ok = dl <= 1e-6 and dv <= 1e-6
    print("C checkpoint -> PyTorch: eval logits rel maxdiff %.3g, value %.3g (tol 1e-6) %s"
          % (dl, dv, "ok" if ok else "MISMATCH"))
    # the optimizer file: PyTorch AdamW's state names for every parameter
    opt, ometa = st_read(os.path.join(outdir, "c_model.optim.safetensors"))
    names = [k for k, _ in model.named_parameters()]
    want = sorted([n + ".exp_avg" for n in names] + [n + ".exp_avg_sq" for n in names])
    ok_opt = sorted(opt.keys()) == want and ometa.get("optimizer") == "adamw"
    print("C optimizer file: %d tensors, names %s" % (len(opt), "ok" if ok_opt else "MISMATCH"))
    return 0 if ok and ok_opt else 1


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        print(__doc__)
        sys.exit(2)
    sys.exit(gen(sys.argv[2]) or 0 if sys.argv[1] == "gen" else check(sys.argv[2]))
