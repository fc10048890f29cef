"""End to end: `rocks experiment new` + its template script with tiny real train jobs (--smoke) on
a generated dataset -> data/*.csv, a figure, report.md's results block; a second run skips."""
import glob
import os
import subprocess

import pandas as pd

from rocks.exp.experiment import RESULTS_BEGIN, RESULTS_END


def test_template_end_to_end(tmp_path, dataset, rocks_bin, env):
    p = subprocess.run([rocks_bin, "experiment", "new", "tiny-e2e", "--root", str(tmp_path)], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 0, p.stderr
    folder = p.stdout.strip()
    script = os.path.join(folder, os.path.basename(folder) + ".py")
    run = ["/usr/bin/python3", script, "--smoke", "--train", dataset, "--val", dataset]
    p = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "start train-b1c8" in p.stderr and "done train-b2c16 rc=0" in p.stderr
    final = pd.read_csv(os.path.join(folder, "data", "train.csv"))
    assert list(final["model"]) == ["b1c8", "b2c16"]
    assert final["val_loss"].between(0.5, 20).all() and (final["flops"] <= 2e8).all() and (final["flops"] > 1e8).all()
    assert (final["params"] > 1e4).all() and final["lr"].eq(2e-3).all()
    curves = pd.read_csv(os.path.join(folder, "data", "curves.csv"))
    assert set(curves["job"]) == {"train-b1c8", "train-b2c16"} and "lr_step" in curves
    png = os.path.join(folder, "figures", "loss-vs-flops.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    report = open(os.path.join(folder, "report.md")).read()
    block = report[report.index(RESULTS_BEGIN):report.index(RESULTS_END)]
    assert "| b1c8 |" in block and "| b2c16 |" in block and "figures/loss-vs-flops.png" in block
    assert "Smoke run" in block
    markers = glob.glob(os.path.join(folder, "data", "runs", "smoke", "*", "job.json"))
    assert len(markers) == 2
    mtimes = [os.path.getmtime(m) for m in sorted(markers)]
    p = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0 and "2 job(s) already done, skipped" in p.stderr and "start " not in p.stderr
    assert [os.path.getmtime(m) for m in sorted(markers)] == mtimes
    assert pd.read_csv(os.path.join(folder, "data", "train.csv")).equals(final)
