"""Job constructors against the real rocks binary: planned FLOPs (an upper bound, close to what
rocks train spends) for steps / epochs / flop_budget, argument errors, and the resume of a train
run that stopped before its end."""
import glob
import io
import os

import pandas as pd
import pytest

from rocks.exp import ExpError, model_info, run_jobs, train_job


def test_model_info(rocks_bin):
    i = model_info("b6c64")
    assert i["params"] == pytest.approx(472701, abs=1) and i["forward_flops"] == pytest.approx(73.318e6, rel=1e-4)
    assert i["train_flops"] >= 219.954e6 and i["train_flops"] == pytest.approx(219.954e6, rel=1e-5)
    assert model_info("b1c8")["train_flops"] == pytest.approx(1.25e6, rel=1e-3)
    with pytest.raises(ExpError, match="b<blocks>c<channels>"):
        model_info("resnet")


@pytest.mark.parametrize("length", [{"steps": 7}, {"epochs": 0.5}, {"flop_budget": 3e8}])
def test_planned_flops_bound_actual(tmp_path, dataset, length):
    job = train_job("j", str(tmp_path / "j"), train=dataset, val=dataset, model="b1c8", batch=16, threads=1, **length)
    assert job.kind == "train" and job.argv[1:4] == ["train", "--run", str(tmp_path / "j")]
    res = run_jobs([job], progress=False)
    assert res[0].status == "done"
    m = pd.read_csv(os.path.join(job.out, "metrics.csv"))
    actual = m["flops"].iloc[-1]
    assert actual <= job.flops and actual >= 0.93 * job.flops, (actual, job.flops)
    assert m["step"].iloc[-1] == job.total_steps
    assert job.record()["flops"] == pytest.approx(actual)


def test_train_job_errors(tmp_path, dataset):
    with pytest.raises(ExpError, match="one of steps, epochs, flop_budget"):
        train_job("j", str(tmp_path), train=dataset, steps=3, epochs=1)
    with pytest.raises(ExpError, match="'train'"):
        train_job("j", str(tmp_path), steps=3)
    with pytest.raises(ExpError, match="below one step"):
        train_job("j", str(tmp_path), train=dataset, model="b1c8", batch=16, flop_budget=1e6)
    with pytest.raises(ExpError, match="bad job name"):
        train_job("has space", str(tmp_path), train=dataset, steps=3)


def test_interrupted_train_run_resumes(tmp_path, dataset):
    out = str(tmp_path / "r")
    mk = lambda: train_job("r", out, train=dataset, val=dataset, model="b1c8", batch=16, steps=20, ckpt_every=10,
                           log_every=5, eval_every=10, threads=1)
    job = mk()
    run_jobs([job], progress=False)
    full = pd.read_csv(os.path.join(out, "metrics.csv"))
    # pretend the run died between step 10 and 20: drop the done marker and the last checkpoint
    os.unlink(job.marker())
    for f in glob.glob(os.path.join(out, "checkpoints", "step-00000020*")):
        os.unlink(f)
    buf = io.StringIO()
    res = run_jobs([mk()], stream=buf)
    assert res[0].status == "done" and "start r (train) resumed" in buf.getvalue()
    again = pd.read_csv(os.path.join(out, "metrics.csv"))
    cols = [c for c in full.columns if c not in ("samples_per_s", "wall_s")]
    assert again["step"].tolist() == [5, 10, 15, 20]
    assert again[cols].equals(full[cols])  # identical to the uninterrupted run (docs/train.md)
