#!/usr/bin/python3
"""torch_bench.py — PyTorch (Debian python3-torch 1.13, CPU) throughput of the GoResNet that
rocks runs, for the side-by-side table of bench/bench_nn.py (`make bench-nn`).

The network is GoResNet in the standard parameterization (AlphaGo Zero shape, the same layers and
state_dict names as tests/nn/goresnet_ref.py, without the muP multipliers, which at sp are 1 and
would only add work): stem conv3x3-BN-ReLU, blocks of conv3x3-BN-ReLU-conv3x3-BN-+skip-ReLU,
policy conv1x1(2)-BN-ReLU-FC(N*N+1), value conv1x1(1)-BN-ReLU-FC(C)-ReLU-FC(1)-tanh.

Inference variants (eval mode, torch.inference_mode, batch of random 0/1 planes):
  eager          the nn.Module as is
  channels_last  model and input in torch.channels_last
  frozen         torch.jit.freeze(torch.jit.script(model))          (folds BN into the convs)
  optimized      torch.jit.optimize_for_inference(torch.jit.script(model))  (freeze + oneDNN)
Training variants (SGD Nesterov momentum 0.9, wd 1e-4; soft-target cross-entropy + MSE):
  eager, channels_last
The best variant is what rocks is compared with.

Threads: OPENBLAS_NUM_THREADS=1 (Debian's torch fights OpenBLAS threads otherwise; set here
before torch is imported) and torch.set_num_threads(--threads, default 2).

  torch_bench.py [--model b6c64,b10c128] [--batch 1,8] [--train] [--reps 5] [--seconds 1]
                 [--threads 2] [--cpu-time]
  torch_bench.py --serve     JSON lines on stdin: {"mode": "infer"|"train", "model": "b6c64",
                             "batch": 8, "seconds": 1.0}; one JSON line of {variant: rate} back
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

warnings.filterwarnings("ignore")

INFER_VARIANTS = ("eager", "channels_last", "frozen", "optimized")
TRAIN_VARIANTS = ("eager", "channels_last")


class ConvBN(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(h)))


class Stem(ConvBN):
    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Policy(nn.Module):
    def __init__(self, c, n2):
        super().__init__()
        self.conv = nn.Conv2d(c, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2 * n2, n2 + 1)

    def forward(self, x):
        return self.fc(torch.flatten(F.relu(self.bn(self.conv(x))), 1))


class Value(nn.Module):
    def __init__(self, c, n2):
        super().__init__()
        self.conv = nn.Conv2d(c, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(1)
        self.fc1 = nn.Linear(n2, c)
        self.fc2 = nn.Linear(c, 1)

    def forward(self, x):
        h = F.relu(self.fc1(torch.flatten(F.relu(self.bn(self.conv(x))), 1)))
        return torch.tanh(self.fc2(h)).squeeze(1)


class GoResNet(nn.Module):
    def __init__(self, size, planes, channels, blocks):
        super().__init__()
        self.stem = Stem(planes, channels, 3)
        self.blocks = nn.ModuleList([Block(channels) for _ in range(blocks)])
        self.policy = Policy(channels, size * size)
        self.value = Value(channels, size * size)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        return self.policy(x), self.value(x)


def parse_model(s):
    b, c = s[1:].split("c")
    return int(b), int(c)


def random_planes(batch, planes, size, gen):
    x = (torch.rand(batch, planes, size, size, generator=gen) < 1 / 3).float()
    x[:, planes - 1] = (torch.arange(batch) % 2).float().view(batch, 1, 1)
    return x


class Bench:
    """Builds models and variants once per (mode, model) and measures rates."""

    def __init__(self, size=9, planes=17, cpu_time=False):
        self.size, self.planes = size, planes
        self.clock = time.process_time if cpu_time else time.perf_counter
        self.cache = {}

    def _variants(self, mode, model):
        key = (mode, model)
        if key in self.cache:
            return self.cache[key]
        self.cache.clear()
        blocks, channels = parse_model(model)
        torch.manual_seed(1)
        net = GoResNet(self.size, self.planes, channels, blocks)
        ex = random_planes(2, self.planes, self.size, torch.Generator().manual_seed(0))
        v = {}
        if mode == "infer":
            net.eval()
            # randomised BN statistics so that folding is not trivially the identity
            with torch.no_grad():
                for m in net.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.running_mean.uniform_(-0.1, 0.1)
                        m.running_var.uniform_(0.5, 1.5)
            v["eager"] = (net, False)
            cl = GoResNet(self.size, self.planes, channels, blocks)
            cl.load_state_dict(net.state_dict())
            v["channels_last"] = (cl.eval().to(memory_format=torch.channels_last), True)
            with torch.no_grad():
                v["frozen"] = (torch.jit.freeze(torch.jit.script(net)), False)
                v["optimized"] = (torch.jit.optimize_for_inference(torch.jit.script(net)), False)
                for name, (m, cl_) in v.items():  # compile / warm up every variant
                    for _ in range(3):
                        m(ex.to(memory_format=torch.channels_last) if cl_ else ex)
        else:
            for name in TRAIN_VARIANTS:
                torch.manual_seed(1)
                m = GoResNet(self.size, self.planes, channels, blocks).train()
                cl_ = name == "channels_last"
                if cl_:
                    m = m.to(memory_format=torch.channels_last)
                opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
                v[name] = ((m, opt), cl_)
        self.cache[key] = v
        return v

    def measure(self, mode, model, batch, seconds, variants=None):
        """One measurement of every variant: {variant: items per second}."""
        v = self._variants(mode, model)
        gen = torch.Generator().manual_seed(batch)
        x = random_planes(batch, self.planes, self.size, gen)
        n2 = self.size * self.size
        out = {}
        for name in variants or v.keys():
            m, cl_ = v[name]
            xin = x.to(memory_format=torch.channels_last) if cl_ else x
            if mode == "infer":
                with torch.inference_mode():
                    step = lambda: m(xin)  # noqa: E731
                    run(step, seconds * 0.25, self.clock)  # warm-up (shape specialisation, caches)
                    calls, t = run(step, seconds, self.clock)
            else:
                net, opt = m
                pt = torch.zeros(batch, n2 + 1)
                pt[torch.arange(batch), torch.randint(0, n2 + 1, (batch,), generator=gen)] = 1.0
                z = torch.randint(0, 2, (batch,), generator=gen).float() * 2 - 1

                def step():
                    opt.zero_grad(set_to_none=True)
                    logits, val = net(xin)
                    loss = -(pt * F.log_softmax(logits, 1)).sum(1).mean() + F.mse_loss(val, z)
                    loss.backward()
                    opt.step()

                run(step, seconds * 0.25, self.clock)
                calls, t = run(step, seconds, self.clock)
            out[name] = calls * batch / t
        return out


def run(step, seconds, clock=time.perf_counter):
    calls, t0 = 0, clock()
    while True:
        step()
        calls += 1
        t = clock() - t0
        if t >= seconds:
            return calls, t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--batch", default=None)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", type=int, default=9)
    ap.add_argument("--planes", type=int, default=17)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--cpu-time", action="store_true",
                    help="rates per second of process CPU time (all threads), robust to other load")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    bench = Bench(a.size, a.planes, a.cpu_time)
    if a.serve:
        print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            res = bench.measure(req["mode"], req["model"], int(req["batch"]), float(req["seconds"]),
                                req.get("variants"))
            print(json.dumps(res), flush=True)
        return
    mode = "train" if a.train else "infer"
    models = (a.model or ("b6c64,b10c128" if a.train else "b6c64,b10c128,b12c192")).split(",")
    batches = [int(b) for b in (a.batch or ("64,256" if a.train else "1,8,32,128")).split(",")]
    print("torch %s, %d threads, OPENBLAS_NUM_THREADS=%s, %s, %dx%d, median of %d x %gs"
          % (torch.__version__, torch.get_num_threads(), os.environ.get("OPENBLAS_NUM_THREADS"), mode,
             a.size, a.size, a.reps, a.seconds))
    for model in models:
        for batch in batches:
            runs = [bench.measure(mode, model, batch, a.seconds) for _ in range(a.reps)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            best = max(med, key=med.get)
            print("  %-8s %5d  " % (model, batch) + "  ".join("%s %.1f" % (k, med[k]) for k in med)
                  + "  | best %s %.1f" % (best, med[best]), flush=True)


if __name__ == "__main__":
    main()
