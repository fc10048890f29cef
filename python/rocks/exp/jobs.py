"""rocks.exp.jobs — what a job is, and constructors for the rocks commands an experiment runs.

A Job is one command line with its own output folder. It is *done* when OUT/job.json exists
(written atomically after the command exited 0); a re-run of the experiment skips done jobs. Train
jobs carry their planned training FLOPs (from `rocks model info` x batch x steps, or the
--flop-budget), which the runner checks against the experiment's budget before starting them.
"""
import json
import math
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field

from .util import ExpError, atomic_write_text

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=,+-]{0,119}$")
MODEL_RE = re.compile(r"^b(\d+)c(\d+)$")


def rocks_bin():
    """The rocks binary: $ROCKS_BIN, else the build's rocks next to this package
    (build/python/rocks/exp -> build/rocks), else `rocks` on PATH."""
    env = os.environ.get("ROCKS_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    cand = os.path.normpath(os.path.join(here, "..", "..", "..", "rocks"))
    if os.path.isfile(cand) and os.access(cand, os.X_OK):
        return cand
    found = shutil.which("rocks")
    if found:
        return found
    raise ExpError("cannot find the rocks binary: set ROCKS_BIN or build it (make build)")


@dataclass
class Job:
    """One command with its own output folder.

    name     unique within an experiment (letters, digits, . _ = , + -)
    argv     the command line (a list); run with cwd = the experiment folder
    out      the job's folder (created by the runner; the command may write into it)
    kind     train | eval | match | coordcheck | cmd | fn
    flops    planned FLOPs counted against the budget (train jobs; 0 otherwise)
    params   the job's parameters, copied into the collected CSVs
    stdout   file (relative to out) that receives the command's stdout, or None (-> job.log)
    resume_argv  command to continue a started-but-unfinished job (rocks train --resume)
    env, cwd extra environment variables and working folder of the command
    total_steps  train jobs: planned steps (progress lines read the step from OUT/metrics.csv)
    fn       instead of argv: a Python callable fn(job) run in a thread (tests, fake objectives)
    """
    name: str
    argv: list = None
    out: str = None
    kind: str = "cmd"
    flops: float = 0.0
    params: dict = field(default_factory=dict)
    stdout: str = None
    resume_argv: list = None
    fn: object = None
    env: dict = field(default_factory=dict)
    cwd: str = None
    total_steps: int = None

    def __post_init__(self):
        if not NAME_RE.fullmatch(self.name or ""):
            raise ExpError("bad job name %r: use letters, digits and . _ = , + - (at most 120)" % self.name)
        if (self.argv is None) == (self.fn is None):
            raise ExpError("job %s: give exactly one of argv and fn" % self.name)

    def marker(self):
        return os.path.join(self.out, "job.json")

    def done(self):
        return self.out is not None and os.path.isfile(self.marker())

    def record(self):
        """The done marker's content (None when not done)."""
        try:
            with open(self.marker()) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def progress(self):
        """'step S/T' of a running train job (from the last row of OUT/metrics.csv), else ''."""
        if self.kind != "train" or not self.out:
            return ""
        try:
            with open(os.path.join(self.out, "metrics.csv"), "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 4096))
                last = [ln for ln in f.read().decode(errors="replace").splitlines() if ln[:1].isdigit()]
            step = int(last[-1].split(",")[0]) if last else 0
        except (OSError, ValueError):
            step = 0
        return "step %d/%s" % (step, self.total_steps if self.total_steps else "?")

    def command_line(self):
        return " ".join(shlex.quote(str(a)) for a in self.argv) if self.argv else "<python %s>" % self.name


# ---- FLOPs ------------------------------------------------------------------------------------

_UNITS = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
_info_cache = {}


def model_info(model="b6c64", size=9, features="agz", param="sp", base_channels=None, rocks=None):
    """Parameters and FLOPs of a GoResNet from `rocks model info`:
    {'params', 'forward_flops' (per position), 'train_flops' (per sample = 3 x forward)}."""
    m = MODEL_RE.match(str(model))
    if not m:
        raise ExpError("model %r: expected b<blocks>c<channels>" % (model,))
    argv = [rocks or rocks_bin(), "model", "info", "--blocks", m.group(1), "--channels", m.group(2),
            "--size", str(size), "--features", features, "--param", param]
    if base_channels:
        argv += ["--base", str(base_channels)]
    key = tuple(argv)
    if key not in _info_cache:
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode != 0:
            raise ExpError("rocks model info failed: %s" % (p.stderr.strip() or p.stdout.strip()))
        out = {}
        for name, pat in (("params", r"parameters\s+([\d.]+)\s*([kMGTP]?)"),
                          ("forward_flops", r"forward\s+([\d.]+)\s*([kMGTP]?)FLOP"),
                          ("train_flops", r"training\s+([\d.]+)\s*([kMGTP]?)FLOP")):
            mm = re.search(pat, p.stdout)
            if not mm:
                raise ExpError("cannot parse `%s` output:\n%s" % (" ".join(argv), p.stdout))
            # printed with 3 decimals: add the rounding bound so that planned FLOPs are an upper bound
            frac = mm.group(1).split(".")[1] if "." in mm.group(1) else ""
            slack = 0.5 * 10.0 ** -len(frac) if name != "params" else 0.0
            out[name] = (float(mm.group(1)) + slack) * _UNITS[mm.group(2)]
        _info_cache[key] = out
    return dict(_info_cache[key])


def dataset_positions(path, rocks=None):
    """Number of positions in a dataset folder or shard (`rocks data info`)."""
    p = subprocess.run([rocks or rocks_bin(), "data", "info", path], capture_output=True, text=True)
    m = re.search(r"total: .*?\b(\d+) positions", p.stdout)
    if p.returncode != 0 or not m:
        raise ExpError("rocks data info %s failed: %s" % (path, p.stderr.strip() or p.stdout.strip()))
    return int(m.group(1))


# ---- constructors ---------------------------------------------------------------------------------

def _flag(k):
    return "--" + k.replace("_", "-")


def train_job(name, out, rocks=None, **cfg):
    """A `rocks train` job. cfg holds rocks train keys (docs/train.md): train, val, model, lr, batch,
    steps | epochs | flop_budget, param, ... Planned FLOPs (an upper bound): flop_budget, or training
    FLOPs per sample x batch x steps (epochs: steps = epochs x dataset positions / batch). Booleans
    are passed as 0/1."""
    rocks = rocks or rocks_bin()
    if "train" not in cfg:
        raise ExpError("train job %s: 'train' (dataset) is required" % name)
    lengths = [k for k in ("steps", "epochs", "flop_budget") if cfg.get(k) is not None]
    if len(lengths) > 1:
        raise ExpError("train job %s: give one of steps, epochs, flop_budget (got %s)" % (name, lengths))
    model = cfg.get("model")
    if model is None:
        model = "b%dc%d" % (cfg.get("blocks", 6), cfg.get("channels", 64))
    info = model_info(model, cfg.get("size", 9), cfg.get("features", "agz"), cfg.get("param", "sp"),
                      cfg.get("base_channels"), rocks)
    batch = int(cfg.get("batch", 256))
    per_step = info["train_flops"] * batch
    if cfg.get("flop_budget") is not None:
        steps = int(float(cfg["flop_budget"]) // per_step)
        if steps < 1:
            raise ExpError("train job %s: flop_budget %.3g is below one step (%.3g FLOPs)"
                           % (name, float(cfg["flop_budget"]), per_step))
    elif cfg.get("steps") is not None:
        steps = int(cfg["steps"])
    else:
        epochs = float(cfg.get("epochs", 1))
        steps = max(1, math.ceil(epochs * dataset_positions(cfg["train"], rocks) / batch))  # as rocks train
    argv = [rocks, "train", "--run", out]
    for k, v in cfg.items():
        if k == "size":
            continue
        if isinstance(v, bool):
            v = int(v)
        argv += [_flag(k), str(v)]
    if "quiet" not in cfg:
        argv.append("--quiet")
    params = dict(cfg, model=model, params=info["params"], flops_per_sample=info["train_flops"])
    # planned FLOPs: an upper bound (rocks train floors budget / exact FLOPs per step)
    planned = float(cfg["flop_budget"]) if cfg.get("flop_budget") is not None else steps * per_step
    return Job(name=name, argv=argv, out=out, kind="train", flops=planned, params=params, total_steps=steps,
               resume_argv=[rocks, "train", "--resume", out, "--quiet"])


def coordcheck_job(name, out, rocks=None, **opts):
    """A `rocks coordcheck` job; its CSV (stdout) goes to OUT/coordcheck.csv."""
    argv = [rocks or rocks_bin(), "coordcheck"]
    for k, v in opts.items():
        if isinstance(v, (list, tuple)):
            v = ",".join(str(x) for x in v)
        argv += [_flag(k), str(v)]
    return Job(name=name, argv=argv, out=out, kind="coordcheck", params=dict(opts), stdout="coordcheck.csv")


def match_job(name, out, engine, opponent, games, rocks=None, **opts):
    """A `rocks match` job (writes OUT/results.csv and OUT/summary.json)."""
    argv = [rocks or rocks_bin(), "match", "--engine", engine, "--opponent", opponent,
            "--games", str(games), "--out", out]
    for k, v in opts.items():
        argv += [_flag(k), str(v)]
    return Job(name=name, argv=argv, out=out, kind="match",
               params=dict(opts, engine=engine, opponent=opponent, games=games))


def eval_job(name, out, rocks=None, **opts):
    """A `rocks eval` job (flags as given; --out OUT is added)."""
    argv = [rocks or rocks_bin(), "eval"]
    for k, v in opts.items():
        argv += [_flag(k), str(v)]
    argv += ["--out", out]
    return Job(name=name, argv=argv, out=out, kind="eval", params=dict(opts))


def write_marker(job, rc, seconds, flops):
    atomic_write_text(job.marker(), json.dumps({"name": job.name, "kind": job.kind, "rc": rc,
                                                "seconds": round(seconds, 3), "flops": flops,
                                                "params": job.params, "argv": job.argv and [str(a) for a in job.argv]},
                                               indent=1, default=str) + "\n")
