"""rocks.exp.sweep — the non-agent baseline: random search + successive halving over rocks train
hyper-parameters under a total FLOP budget (`rocks sweep`).

Space (JSON): {key: spec} over rocks train keys (docs/train.md), spec one of
    value                        fixed (also "train", "val")
    [v1, v2, ...] | {"choice": [...]}
    {"uniform": [lo, hi]}  {"log_uniform": [lo, hi]}  {"int_uniform": [lo, hi]}
Successive halving: n configurations (random search) are trained with b0 FLOPs each; the best
1/eta go on to the next rung with eta times the FLOPs (trained from scratch: the LR schedule
depends on the run length), until one is left. b0 is chosen so that the whole schedule,
sum_i n_i * b0 * eta^i, fits the budget; each run's steps = floor(FLOPs / FLOPs per step), so the
sum of the FLOPs actually spent never exceeds it. eta = 0 or a single configuration is plain
random search (every configuration gets budget / n).
"""
import json
import math
import os
import random

from .util import ExpError, atomic_write_text

SPEC_KINDS = ("choice", "uniform", "log_uniform", "int_uniform")


def parse_space(obj):
    """A space from a dict, a JSON string or a JSON file path; validates every spec."""
    if isinstance(obj, str):
        text = obj
        if os.path.isfile(obj):
            with open(obj) as f:
                text = f.read()
        try:
            obj = json.loads(text)
        except ValueError as e:
            raise ExpError("--space: not JSON (nor a JSON file): %s" % e)
    if not isinstance(obj, dict) or not obj:
        raise ExpError("--space: expected a JSON object of key -> spec")
    space = {}
    for k, v in obj.items():
        if isinstance(v, list):
            v = {"choice": v}
        if isinstance(v, dict):
            if len(v) != 1 or next(iter(v)) not in SPEC_KINDS:
                raise ExpError("--space: %s: expected one of %s, got %s" % (k, ", ".join(SPEC_KINDS), json.dumps(v)))
            kind, arg = next(iter(v.items()))
            if kind == "choice":
                if not isinstance(arg, list) or not arg:
                    raise ExpError("--space: %s: choice needs a non-empty list" % k)
            else:
                if (not isinstance(arg, list) or len(arg) != 2
                        or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in arg)
                        or arg[0] > arg[1]):
                    raise ExpError("--space: %s: %s needs [lo, hi] with lo <= hi" % (k, kind))
                if kind == "log_uniform" and arg[0] <= 0:
                    raise ExpError("--space: %s: log_uniform needs lo > 0" % k)
            space[k] = (kind, arg)
        else:
            space[k] = ("fixed", v)
    return space


def sample_config(space, rng):
    cfg = {}
    for k in sorted(space):
        kind, arg = space[k]
        if kind == "fixed":
            cfg[k] = arg
        elif kind == "choice":
            cfg[k] = arg[rng.randrange(len(arg))]
        elif kind == "uniform":
            cfg[k] = rng.uniform(arg[0], arg[1])
        elif kind == "log_uniform":
            cfg[k] = math.exp(rng.uniform(math.log(arg[0]), math.log(arg[1])))
        else:
            cfg[k] = rng.randint(int(arg[0]), int(arg[1]))
    return cfg


def schedule(n_configs, eta):
    """Configurations per rung: n, n//eta, ... down to 1 (eta < 2: one rung)."""
    if n_configs < 1:
        raise ExpError("the sweep needs at least 1 configuration")
    rungs = [n_configs]
    if eta and eta >= 2:
        while rungs[-1] > 1:
            rungs.append(max(1, rungs[-1] // eta))
    return rungs


def successive_halving(space, budget_flops, evaluate, n_configs=9, eta=3, seed=1, log=None):
    """Runs the search. evaluate(trials) gets a list of {'trial', 'rung', 'config', 'flops'} (the
    FLOPs allowed for that run) and returns one (loss, flops_spent) per trial (loss NaN = failed).
    Returns {'results': [rows], 'best': row, 'spent': FLOPs, 'rungs': [...], 'b0': FLOPs}."""
    if not budget_flops or budget_flops <= 0:
        raise ExpError("the sweep needs a positive FLOP budget")
    rng = random.Random(seed)
    configs = [sample_config(space, rng) for _ in range(n_configs)]
    rungs = schedule(n_configs, eta)
    mult = [float(eta) ** i if len(rungs) > 1 else 1.0 for i in range(len(rungs))]
    b0 = budget_flops / sum(n * m for n, m in zip(rungs, mult))
    alive = list(range(n_configs))
    results, spent = [], 0.0
    for r, (n, m) in enumerate(zip(rungs, mult)):
        b = b0 * m
        if spent + n * b > budget_flops * (1 + 1e-9):
            raise ExpError("internal: rung %d would exceed the budget" % r)
        trials = [{"trial": t, "rung": r, "config": configs[t], "flops": b} for t in alive[:n]]
        if log:
            log("rung %d/%d: %d configuration(s) x %.3g FLOPs (%.3g of %.3g spent)"
                % (r + 1, len(rungs), len(trials), b, spent, budget_flops))
        out = evaluate(trials)
        if len(out) != len(trials):
            raise ExpError("evaluate returned %d results for %d trials" % (len(out), len(trials)))
        for tr, (loss, used) in zip(trials, out):
            if used > tr["flops"] * (1 + 1e-9):
                raise ExpError("trial %d spent %.3g FLOPs, more than its %.3g" % (tr["trial"], used, tr["flops"]))
            spent += used
            results.append(dict(trial=tr["trial"], rung=r, flops_alloc=tr["flops"], flops=used,
                                loss=float(loss), **tr["config"]))
        scored = sorted(((x[0] if x[0] == x[0] else math.inf), tr["trial"]) for tr, x in zip(trials, out))
        if r + 1 < len(rungs):
            alive = [t for _, t in scored[:rungs[r + 1]]]
    last = [row for row in results if row["rung"] == len(rungs) - 1 and row["loss"] == row["loss"]]
    best = min(last or [row for row in results if row["loss"] == row["loss"]] or [None],
               key=lambda row: row["loss"] if row else 0)
    return {"results": results, "best": best, "spent": spent, "rungs": rungs, "b0": b0}


# ---- rocks train as the objective ------------------------------------------------------------

def _final(metrics_path, objective):
    import pandas as pd
    m = pd.read_csv(metrics_path)
    flops = float(m["flops"].iloc[-1]) if len(m) else 0.0
    ev = m.dropna(subset=[objective]) if objective in m else m.iloc[0:0]
    return (float(ev[objective].iloc[-1]) if len(ev) else float("nan")), flops


def run_sweep(space, budget_flops, out, n_configs=9, eta=3, seed=1, parallel=4, executor=None,
              objective="val_loss", log=None):
    """`rocks sweep`: successive halving with rocks train runs in OUT/runs/r<rung>-t<trial>/.
    Writes OUT/sweep.json (settings), OUT/results.csv, OUT/best.json. Re-running resumes."""
    import pandas as pd

    from .jobs import train_job
    from .runner import make_executor, run_jobs
    space = parse_space(space)
    if "train" not in space or space["train"][0] != "fixed":
        raise ExpError("the space needs a fixed \"train\" dataset (and usually \"val\")")
    for k in ("steps", "epochs", "flop_budget"):
        if k in space:
            raise ExpError("the space must not set %s: the sweep sets each run's FLOP budget" % k)
    os.makedirs(out, exist_ok=True)
    settings = {"space": {k: ({kind: arg} if kind != "fixed" else arg) for k, (kind, arg) in space.items()},
                "budget_flops": budget_flops, "configs": n_configs, "eta": eta, "seed": seed,
                "objective": objective}
    sj = os.path.join(out, "sweep.json")
    if os.path.isfile(sj):
        with open(sj) as f:
            old = json.load(f)
        if old != json.loads(json.dumps(settings)):
            raise ExpError("%s holds a sweep with other settings; use another --out" % out)
    atomic_write_text(sj, json.dumps(settings, indent=1) + "\n")
    ex = make_executor(executor)

    def evaluate(trials):
        names = ["r%d-t%03d" % (t["rung"], t["trial"]) for t in trials]
        jobs = [train_job(n, os.path.join(out, "runs", n), flop_budget=t["flops"], **t["config"])
                for n, t in zip(names, trials)]
        for j in jobs:
            j.cwd = out
        results = run_jobs(jobs, ex, parallel, check=False, label="sweep")
        vals = []
        for res in results:
            if res.status == "failed":
                vals.append((float("nan"), 0.0))
                continue
            vals.append(_final(os.path.join(res.job.out, "metrics.csv"), objective))
        return vals

    r = successive_halving(space, budget_flops, evaluate, n_configs, eta, seed, log)
    df = pd.DataFrame(r["results"])
    atomic_write_text(os.path.join(out, "results.csv"), df.to_csv(index=False))
    best = {"objective": objective, "spent_flops": r["spent"], "budget_flops": budget_flops, "best": r["best"]}
    atomic_write_text(os.path.join(out, "best.json"), json.dumps(best, indent=1, default=str) + "\n")
    return r
