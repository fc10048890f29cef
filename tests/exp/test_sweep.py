"""rocks sweep: successive halving on a fake objective (budget, schedule, promotion, determinism),
space validation, and a real tiny `rocks sweep` (b1c8, a few steps) through the CLI."""
import json
import math
import os
import subprocess

import pandas as pd
import pytest

from rocks.exp import ExpError, parse_space, successive_halving
from rocks.exp.sweep import schedule

SPACE = {"lr": {"log_uniform": [1e-4, 1e-1]}, "model": ["b2c16", "b4c32"], "weight_decay": {"uniform": [0, 1e-3]},
         "batch": {"int_uniform": [32, 64]}, "train": "data/x"}


def fake_objective(calls):
    def evaluate(trials):
        calls.append(trials)
        out = []
        for t in trials:
            c = t["config"]
            loss = (math.log10(c["lr"]) + 2.5) ** 2 + (0.1 if c["model"] == "b2c16" else 0) + 1e9 / t["flops"] ** 0.5
            out.append((loss, t["flops"] * 0.97))  # runs spend a little less than allowed (floor of steps)
        return out
    return evaluate


def test_schedule():
    assert schedule(9, 3) == [9, 3, 1]
    assert schedule(10, 3) == [10, 3, 1]
    assert schedule(27, 3) == [27, 9, 3, 1]
    assert schedule(4, 2) == [4, 2, 1]
    assert schedule(5, 0) == [5] and schedule(1, 3) == [1]
    with pytest.raises(ExpError):
        schedule(0, 3)


@pytest.mark.parametrize("n,eta,budget", [(9, 3, 1e15), (27, 3, 3e14), (8, 2, 1e13), (6, 0, 1e12)])
def test_halving_respects_budget(n, eta, budget):
    calls = []
    r = successive_halving(parse_space(SPACE), budget, fake_objective(calls), n_configs=n, eta=eta, seed=7)
    rungs = schedule(n, eta)
    assert [len(c) for c in calls] == rungs
    alloc = sum(t["flops"] for c in calls for t in c)
    assert alloc == pytest.approx(budget, rel=1e-9) and alloc <= budget * (1 + 1e-12)
    assert r["spent"] == pytest.approx(0.97 * budget, rel=1e-9) and r["spent"] <= budget
    df = pd.DataFrame(r["results"])
    assert df["flops"].sum() <= budget
    # each rung gets eta times the FLOPs of the previous one, and promotes its best
    for i in range(1, len(rungs)):
        prev, cur = df[df.rung == i - 1], df[df.rung == i]
        assert cur["flops_alloc"].iloc[0] == pytest.approx(eta * prev["flops_alloc"].iloc[0])
        assert set(cur["trial"]) == set(prev.nsmallest(len(cur), "loss")["trial"])
    best = r["best"]
    assert best["rung"] == len(rungs) - 1
    # the objective prefers lr near 10^-2.5 and the larger model: the winner is the best of rung 0 too
    first = df[df.rung == 0]
    assert best["trial"] == first.loc[first["loss"].idxmin(), "trial"]


def test_halving_is_deterministic_and_checks_overspend():
    a = successive_halving(parse_space(SPACE), 1e14, fake_objective([]), 9, 3, seed=3)
    b = successive_halving(parse_space(SPACE), 1e14, fake_objective([]), 9, 3, seed=3)
    c = successive_halving(parse_space(SPACE), 1e14, fake_objective([]), 9, 3, seed=4)
    assert a["results"] == b["results"] and a["results"] != c["results"]
    with pytest.raises(ExpError, match="more than its"):
        successive_halving(parse_space(SPACE), 1e14, lambda ts: [(1.0, t["flops"] * 1.5) for t in ts], 3, 3)
    with pytest.raises(ExpError, match="positive FLOP budget"):
        successive_halving(parse_space(SPACE), 0, fake_objective([]), 3, 3)
    # failed runs (NaN) are never promoted
    r = successive_halving(parse_space(SPACE), 1e14,
                           lambda ts: [(float("nan") if t["trial"] % 2 else t["trial"], t["flops"]) for t in ts], 6, 2)
    assert all(row["trial"] % 2 == 0 for row in r["results"] if row["rung"] > 0) and r["best"]["trial"] == 0


@pytest.mark.parametrize("bad,msg", [
    ("{", "not JSON"), ("[1, 2]", "JSON object"), ('{"lr": {"uniform": [2, 1]}}', "lo <= hi"),
    ('{"lr": {"log_uniform": [0, 1]}}', "lo > 0"), ('{"lr": {"gauss": [0, 1]}}', "expected one of"),
    ('{"lr": {"choice": []}}', "non-empty"), ('{"lr": {"uniform": ["a", 1]}}', "lo <= hi")])
def test_space_errors(bad, msg):
    with pytest.raises(ExpError, match=msg):
        parse_space(bad)


def test_space_from_file(tmp_path):
    p = tmp_path / "space.json"
    p.write_text(json.dumps(SPACE))
    s = parse_space(str(p))
    assert s["lr"] == ("log_uniform", [1e-4, 1e-1]) and s["model"] == ("choice", ["b2c16", "b4c32"])
    assert s["train"] == ("fixed", "data/x")


def test_rocks_sweep_cli(tmp_path, dataset, rocks_bin, env):
    space = {"train": dataset, "val": dataset, "model": "b1c8", "batch": 16, "threads": 1, "warmup": 1,
             "eval_every": 1000, "lr": {"log_uniform": [1e-4, 3e-2]}}
    per_step = 1.25e6 * 16  # b1c8 training FLOPs per sample x batch
    # 4 configs, eta 2: 12 x b0 in all; b0 = 10.5 steps -> runs of 10, 20 and 41 steps (rocks train
    # floors budget / exact FLOPs per step; the exact b1c8 FLOPs per sample are a bit above 1.25e6)
    budget = 12 * 10.5 * per_step
    out = str(tmp_path / "sweep")
    argv = [rocks_bin, "sweep", "--space", json.dumps(space), "--budget-flops", "%g" % budget, "--out", out,
            "--configs", "4", "--eta", "2", "--parallel", "2"]
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(os.path.join(out, "results.csv"))
    assert list(df.groupby("rung").size()) == [4, 2, 1]
    assert df["flops"].sum() <= budget and df["flops"].sum() == pytest.approx(budget, rel=0.06)
    assert df["loss"].notna().all() and (df["loss"] > 0).all()
    best = json.load(open(os.path.join(out, "best.json")))
    assert best["spent_flops"] <= budget and best["best"]["rung"] == 2
    assert best["best"]["loss"] == pytest.approx(df[df.rung == 2]["loss"].iloc[0])
    steps = sorted(pd.read_csv(os.path.join(out, "runs", d, "metrics.csv"))["step"].iloc[-1]
                   for d in os.listdir(os.path.join(out, "runs")))
    assert steps == [10, 10, 10, 10, 20, 20, 41]
    # re-run: everything is done, nothing retrained, same results
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0 and "already done" in p.stderr and "start " not in p.stderr
    assert pd.read_csv(os.path.join(out, "results.csv")).equals(df)
    # other settings in the same folder, a budget below one step, usage errors
    p = subprocess.run(argv[:-2] + ["--parallel", "2", "--seed", "5"], capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "other settings" in p.stderr
    tiny = argv[:5] + ["%g" % (per_step * 3), "--out", str(tmp_path / "tiny"), "--configs", "4", "--eta", "2"]
    p = subprocess.run(tiny, capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "below one step" in p.stderr
    p = subprocess.run([rocks_bin, "sweep", "--out", out], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "--space" in p.stderr
    p = subprocess.run(argv[:5] + ["-3", "--out", out], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "positive" in p.stderr
