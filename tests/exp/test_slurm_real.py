"""Optional: the Slurm executor against a real Slurm (ROCKS_TEST_SLURM=1 and a working `sinfo`,
e.g. a single-node slurmctld + slurmd; docs/experiments.md). Skipped otherwise — the fake-Slurm
tests in test_slurm.py are the ones that always run."""
import os
import shutil
import subprocess

import pytest

from rocks.exp import ExpError
from rocks.exp.experiment import Experiment, new_experiment


def slurm_ready():
    if os.environ.get("ROCKS_TEST_SLURM") != "1" or not shutil.which("sbatch"):
        return False
    p = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return p.returncode == 0 and any(s.strip() in ("idle", "mixed", "allocated") for s in p.stdout.splitlines())


@pytest.mark.skipif(not slurm_ready(), reason="no Slurm (set ROCKS_TEST_SLURM=1 with a running cluster)")
def test_real_slurm(tmp_path, dataset):
    f = new_experiment("slurm-real", str(tmp_path))
    exp = Experiment(f, budget_flops=1e11, executor={"executor": "slurm", "time": "00:05:00", "cpus_per_task": 1,
                                                      "poll_s": 0.5, "vanish_grace_s": 3}, progress=False)
    jobs = [exp.train("t-%s" % m, train=dataset, val=dataset, model=m, batch=16, steps=12, eval_every=6, threads=1)
            for m in ("b1c8", "b1c16", "b2c8")]
    jobs.append(exp.coordcheck("cc", widths="8,16", base=8, blocks=1, steps=1, seeds=1))
    res = exp.run(jobs)
    assert [r.status for r in res] == ["done"] * 4
    final, _ = exp.collect_train(jobs[:3], "train.csv")
    assert list(final["step"]) == [12, 12, 12] and final["val_loss"].between(0.5, 20).all()
    assert exp.collect_coordcheck([jobs[3]])["width"].tolist().count(16) > 0
    assert exp.flops_spent() == pytest.approx(final["flops"].sum())
    assert [r.status for r in exp.run(jobs)] == ["skipped"] * 4
    bad = [exp.cmd("fails", ["sh", "-c", "exit 3"])]
    with pytest.raises(ExpError, match="1 job"):
        exp.run(bad)
    assert open(os.path.join(bad[0].out, "job.rc")).read().strip() == "3"
