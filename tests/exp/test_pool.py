"""The job pool: concurrency limit, resumability, failures, FLOP budget, executor selection."""
import json
import os
import sys

import pytest

from rocks.exp import DEFAULT_LIMIT, ExpError, Job, LocalExecutor, SlurmExecutor, make_executor, run_jobs
from rocks.exp.experiment import Experiment, new_experiment

PY = sys.executable

# A fake job: appends "start t" and "end t" lines to LOG, sleeps, counts its runs in OUT/runs.
FAKE = r"""
import os, sys, time
log, out, secs, rc = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
with open(log, "a") as f: f.write("start %.6f\n" % time.time())
time.sleep(secs)
with open(log, "a") as f: f.write("end %.6f\n" % time.time())
with open(os.path.join(out, "runs"), "a") as f: f.write("x")
sys.exit(rc)
"""


def fake_jobs(tmp_path, n, secs=0.25, rc=None, flops=0.0):
    script = tmp_path / "fake.py"
    script.write_text(FAKE)
    jobs = []
    for i in range(n):
        out = tmp_path / "runs" / ("j%02d" % i)
        code = (rc or {}).get(i, 0)
        jobs.append(Job(name="j%02d" % i, out=str(out), flops=flops,
                        argv=[PY, str(script), str(tmp_path / ("log-%02d" % i)), str(out), str(secs), str(code)]))
    return jobs


def max_overlap(tmp_path, n):
    events = []
    for i in range(n):
        p = tmp_path / ("log-%02d" % i)
        if not p.exists():
            continue
        for line in p.read_text().split("\n"):
            if line:
                kind, t = line.split()
                events.append((float(t), 0 if kind == "end" else 1))
    cur = best = 0
    for _, k in sorted(events):
        cur += 1 if k else -1
        best = max(best, cur)
    return best


def runs(job):
    p = os.path.join(job.out, "runs")
    return len(open(p).read()) if os.path.exists(p) else 0


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_pool_never_exceeds_limit(tmp_path, limit):
    jobs = fake_jobs(tmp_path, 7)
    res = run_jobs(jobs, limit=limit, progress=False)
    assert [r.status for r in res] == ["done"] * 7
    assert all(runs(j) == 1 for j in jobs)
    ov = max_overlap(tmp_path, 7)
    assert ov <= limit, "pool ran %d jobs at once with limit %d" % (ov, limit)
    if limit > 1:
        assert ov >= 2, "the pool never ran jobs in parallel"


def test_default_limit_is_4(tmp_path):
    assert DEFAULT_LIMIT == 4
    jobs = fake_jobs(tmp_path, 9, secs=0.3)
    run_jobs(jobs, progress=False)
    assert 2 <= max_overlap(tmp_path, 9) <= 4


def test_fn_jobs_respect_limit(tmp_path):
    import threading
    import time
    lock, state = threading.Lock(), {"cur": 0, "max": 0, "calls": 0}

    def body(job):
        with lock:
            state["cur"] += 1
            state["calls"] += 1
            state["max"] = max(state["max"], state["cur"])
        time.sleep(0.1)
        with lock:
            state["cur"] -= 1

    jobs = [Job(name="f%d" % i, fn=body, kind="fn", out=str(tmp_path / ("f%d" % i))) for i in range(8)]
    run_jobs(jobs, limit=3, progress=False)
    assert state["calls"] == 8 and 2 <= state["max"] <= 3
    run_jobs(jobs, limit=3, progress=False)
    assert state["calls"] == 8  # second run: all skipped


def test_second_run_skips_done_jobs(tmp_path):
    jobs = fake_jobs(tmp_path, 4, secs=0.01, rc={2: 3})
    with pytest.raises(ExpError, match=r"1 job\(s\) failed: j02 \(log: .*j02/job.log\)"):
        run_jobs(jobs, limit=2, progress=False)
    assert [j.done() for j in jobs] == [True, True, False, True]
    rec = json.load(open(jobs[0].marker()))
    assert rec["rc"] == 0 and rec["name"] == "j00"
    # fix the failing job and run again: only it runs (its old folder is cleared first)
    jobs[2].argv[-1] = "0"
    res = run_jobs(jobs, limit=2, progress=False)
    assert [r.status for r in res] == ["skipped", "skipped", "done", "skipped"]
    assert [runs(j) for j in jobs] == [1, 1, 1, 1]
    res = run_jobs(jobs, limit=2, progress=False)
    assert [r.status for r in res] == ["skipped"] * 4
    assert [runs(j) for j in jobs] == [1, 1, 1, 1]


def test_failures_without_check(tmp_path):
    jobs = fake_jobs(tmp_path, 3, secs=0.01, rc={0: 1, 2: 7})
    res = run_jobs(jobs, limit=4, progress=False, check=False)
    assert [(r.status, r.rc) for r in res] == [("failed", 1), ("done", 0), ("failed", 7)]


def test_budget_refuses_before_starting(tmp_path):
    jobs = fake_jobs(tmp_path, 3, secs=0.01, flops=4e12)
    with pytest.raises(ExpError, match="FLOP budget exceeded"):
        run_jobs(jobs, budget_flops=1e13, progress=False)
    assert all(runs(j) == 0 for j in jobs) and not any(os.path.exists(j.out) for j in jobs)
    with pytest.raises(ExpError, match="FLOP budget exceeded"):
        run_jobs(jobs, budget_flops=1.25e13, spent_flops=1e12, progress=False)
    res = run_jobs(jobs, budget_flops=1.2e13, progress=False)
    assert all(r.status == "done" for r in res)


def test_experiment_ledger_counts_finished_jobs(tmp_path):
    f = new_experiment("ledger-check", str(tmp_path))
    exp = Experiment(f, budget_flops=1e13, progress=False)
    script = tmp_path / "ok.py"
    script.write_text("pass\n")
    a = [exp.cmd("a%d" % i, [PY, str(script)], flops=3e12) for i in range(3)]
    exp.run(a)
    assert exp.flops_spent() == pytest.approx(9e12)
    exp.run(a)  # all done: nothing planned, no error
    b = [exp.cmd("b0", [PY, str(script)], flops=2e12)]
    with pytest.raises(ExpError, match=r"9e\+12 already spent \+ 2e\+12 planned"):
        exp.run(b)
    assert not b[0].done()
    exp.run([exp.cmd("b1", [PY, str(script)], flops=1e12)])
    assert exp.flops_spent() == pytest.approx(1e13)


def test_job_validation(tmp_path):
    with pytest.raises(ExpError, match="bad job name"):
        Job(name="a b", argv=["true"], out=str(tmp_path))
    with pytest.raises(ExpError, match="exactly one of argv and fn"):
        Job(name="ab", out=str(tmp_path))
    j = Job(name="dup", argv=["true"], out=str(tmp_path / "d"))
    with pytest.raises(ExpError, match="duplicate job names: dup"):
        run_jobs([j, j], progress=False)
    with pytest.raises(ExpError, match="cannot start"):
        run_jobs([Job(name="nope", argv=[str(tmp_path / "missing-binary")], out=str(tmp_path / "n"))],
                 progress=False)


def test_make_executor(tmp_path, monkeypatch):
    monkeypatch.delenv("ROCKS_EXP_EXECUTOR", raising=False)
    monkeypatch.delenv("ROCKS_EXP_SLURM", raising=False)
    assert isinstance(make_executor(None, str(tmp_path)), LocalExecutor)
    (tmp_path / "exp.json").write_text(json.dumps({"executor": "slurm", "slurm": {"partition": "cpu", "poll_s": 2}}))
    ex = make_executor(None, str(tmp_path))
    assert isinstance(ex, SlurmExecutor) and ex.partition == "cpu" and ex.poll_s == 2
    monkeypatch.setenv("ROCKS_EXP_EXECUTOR", "local")
    assert isinstance(make_executor(None, str(tmp_path)), LocalExecutor)
    monkeypatch.setenv("ROCKS_EXP_EXECUTOR", "slurm")
    monkeypatch.setenv("ROCKS_EXP_SLURM", '{"time": "00:10:00"}')
    ex = make_executor(None, str(tmp_path))
    assert ex.time == "00:10:00" and ex.partition == "cpu"
    with pytest.raises(ExpError, match="unknown executor"):
        make_executor("kubernetes")
    with pytest.raises(ExpError, match="bad Slurm options"):
        make_executor({"executor": "slurm", "bogus": 1})


def test_progress_lines(tmp_path):
    import io
    jobs = fake_jobs(tmp_path, 3, secs=0.3)
    buf = io.StringIO()
    run_jobs(jobs, limit=2, stream=buf, label="lbl", heartbeat_s=0.1)
    text = buf.getvalue()
    assert "[lbl] 3 job(s) to run, at most 2 at a time, local executor" in text
    assert text.count("[lbl] start ") == 3 and text.count(" rc=0 in ") == 3
    assert "3/3 finished, 0 running, 0 queued" in text
    assert [text.count("%d/3 finished" % k) for k in (1, 2, 3)] == [1, 1, 1]
    assert "[lbl] running: j0" in text  # heartbeat
    buf = io.StringIO()
    run_jobs(jobs, limit=2, stream=buf, label="lbl")
    assert buf.getvalue() == "[lbl] 3 job(s) already done, skipped\n"
