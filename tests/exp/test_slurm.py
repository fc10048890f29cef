"""The Slurm executor: sbatch script content, sbatch/squeue parsing, and whole runs through a fake
sbatch/squeue/scancel on PATH (the fake sbatch runs the script in the background; the fake squeue
lists the jobs whose process is alive)."""
import os
import shlex
import stat


import pytest

from rocks.exp import ExpError, Job, SlurmExecutor, parse_sbatch, parse_squeue, run_jobs

from test_pool import fake_jobs, max_overlap, runs

FAKE_SBATCH = r"""#!/bin/bash
# fake sbatch --parsable SCRIPT: runs SCRIPT in the background, prints a job id
set -e
d="$FAKE_SLURM_DIR"; mkdir -p "$d/jobs"
[ "$1" = "--parsable" ] || { echo "fake sbatch: expected --parsable" >&2; exit 2; }
script="$2"
id=$(( $(cat "$d/counter" 2>/dev/null || echo 1000) + 1 )); echo $id > "$d/counter"
cp "$script" "$d/jobs/$id.sh"
out=$(sed -n 's/^#SBATCH --output=//p' "$script")
if [ -n "$FAKE_SLURM_LOSE" ]; then echo 0 > "$d/jobs/$id.pid"; echo "$id;fakecluster"; exit 0; fi
nohup bash "$script" >>"$out" 2>&1 </dev/null &
echo $! > "$d/jobs/$id.pid"
echo "$id;fakecluster"
"""

FAKE_SQUEUE = r"""#!/bin/bash
# fake squeue -h -o '%i|%T' -j ID,ID,...: RUNNING for each job whose process is alive
d="$FAKE_SLURM_DIR"
echo "$*" >> "$d/squeue.args"
[ "$1 $2 $3 $4" = "-h -o %i|%T -j" ] || { echo "fake squeue: unexpected arguments: $*" >&2; exit 2; }
any=0
for id in ${5//,/ }; do
  pid=$(cat "$d/jobs/$id.pid" 2>/dev/null || echo 0)
  if [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null; then echo "$id|RUNNING"; any=1; fi
done
if [ $any = 0 ] && [ -n "$FAKE_SQUEUE_INVALID" ]; then
  echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1
fi
exit 0
"""

FAKE_SCANCEL = r"""#!/bin/bash
d="$FAKE_SLURM_DIR"; echo "$1" >> "$d/scancel.args"
pid=$(cat "$d/jobs/$1.pid" 2>/dev/null || echo 0); [ "$pid" != 0 ] && kill "$pid" 2>/dev/null; exit 0
"""


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("squeue", FAKE_SQUEUE), ("scancel", FAKE_SCANCEL)):
        p = bindir / name
        p.write_text(text)
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    state = tmp_path / "slurm-state"
    state.mkdir()
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("FAKE_SLURM_DIR", str(state))
    return state


def test_sbatch_script_content(tmp_path):
    ex = SlurmExecutor(partition="cpu", time="01:30:00", cpus_per_task=3, mem="4G", extra=["--account=go"])
    job = Job(name="train-b2c16", argv=["/x/rocks", "train", "--run", "/r/with space"], out=str(tmp_path / "o"),
              env={"OMP_NUM_THREADS": "3"}, cwd="/exp dir", stdout="out.csv")
    s = ex.script(job, job.argv)
    lines = s.splitlines()
    assert lines[0] == "#!/bin/bash"
    for want in ("#SBATCH --job-name=rocks-train-b2c16", "#SBATCH --output=%s/job.log" % job.out,
                 "#SBATCH --cpus-per-task=3", "#SBATCH --ntasks=1", "#SBATCH --time=01:30:00",
                 "#SBATCH --partition=cpu", "#SBATCH --mem=4G", "#SBATCH --account=go",
                 "cd '/exp dir' || exit 1", "export OMP_NUM_THREADS=3", "rc=$?", "exit $rc"):
        assert want in lines, want
    cmd = [ln for ln in lines if ln.startswith("/x/rocks")]
    assert len(cmd) == 1
    assert shlex.split(cmd[0]) == ["/x/rocks", "train", "--run", "/r/with space", ">", job.out + "/out.csv"]
    rcline = [ln for ln in lines if "job.rc.tmp" in ln][0]
    assert rcline.endswith("mv -f %s/job.rc.tmp %s/job.rc" % (job.out, job.out))
    # directives come before the first command (sbatch stops reading them there)
    first_cmd = min(i for i, ln in enumerate(lines) if ln and not ln.startswith("#"))
    assert all(not ln.startswith("#SBATCH") for ln in lines[first_cmd:])
    # no partition/mem lines when not configured
    s2 = SlurmExecutor().script(job, job.argv)
    assert "--partition" not in s2 and "--mem" not in s2 and "--cpus-per-task=2" in s2


def test_parse_squeue_and_sbatch():
    assert parse_squeue("101|RUNNING\n102|PENDING\n\n 103 | COMPLETING \n") == {
        "101": "RUNNING", "102": "PENDING", "103": "COMPLETING"}
    assert parse_squeue("") == {}
    assert parse_squeue("7_1|RUNNING\n") == {"7_1": "RUNNING"}
    with pytest.raises(ExpError, match="unexpected squeue line"):
        parse_squeue("101 RUNNING\n")
    assert parse_sbatch("4242\n") == "4242"
    assert parse_sbatch("4242;cluster-a\n") == "4242"
    with pytest.raises(ExpError, match="unexpected sbatch output"):
        parse_sbatch("sbatch: error: invalid partition\n")
    with pytest.raises(ExpError):
        parse_sbatch("")


def test_slurm_run_limit_and_resume(tmp_path, fake_slurm):
    jobs = fake_jobs(tmp_path, 5, secs=0.3)
    ex = SlurmExecutor(poll_s=0.05, partition="debug")
    res = run_jobs(jobs, ex, limit=2, progress=False)
    assert [r.status for r in res] == ["done"] * 5
    assert all(runs(j) == 1 for j in jobs)
    assert 1 <= max_overlap(tmp_path, 5) <= 2
    assert sorted(os.listdir(str(fake_slurm / "jobs")))[:2] == ["1001.pid", "1001.sh"]
    assert len([f for f in os.listdir(str(fake_slurm / "jobs")) if f.endswith(".sh")]) == 5
    assert "#SBATCH --partition=debug" in (fake_slurm / "jobs" / "1001.sh").read_text()
    for j in jobs:
        assert open(os.path.join(j.out, "job.rc")).read().strip() == "0"
        assert os.path.isfile(os.path.join(j.out, "job.sbatch"))
    args = (fake_slurm / "squeue.args").read_text().splitlines()
    assert args and all(a.startswith("-h -o %i|%T -j 10") for a in args)
    assert max(len(a.split()[-1].split(",")) for a in args) <= 2
    res = run_jobs(jobs, ex, limit=2, progress=False)  # all done: nothing submitted
    assert [r.status for r in res] == ["skipped"] * 5
    assert len([f for f in os.listdir(str(fake_slurm / "jobs")) if f.endswith(".sh")]) == 5


def test_slurm_failed_and_vanished_jobs(tmp_path, fake_slurm, monkeypatch):
    jobs = fake_jobs(tmp_path, 2, secs=0.05, rc={1: 5})
    monkeypatch.setenv("FAKE_SQUEUE_INVALID", "1")
    res = run_jobs(jobs, SlurmExecutor(poll_s=0.05), limit=4, progress=False, check=False)
    assert [(r.status, r.rc) for r in res] == [("done", 0), ("failed", 5)]
    # a job that leaves the queue without writing its exit status (killed, node failure)
    monkeypatch.setenv("FAKE_SLURM_LOSE", "1")
    (tmp_path / "l").mkdir()
    lost = fake_jobs(tmp_path / "l", 1)
    with pytest.raises(ExpError, match=r"1 job\(s\) failed: j00"):
        run_jobs(lost, SlurmExecutor(poll_s=0.05, vanish_grace_s=0.2), progress=False)
    assert not lost[0].done()
    assert "left the queue (GONE) without an exit status" in open(os.path.join(lost[0].out, "job.log")).read()


def test_slurm_sbatch_errors(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "sbatch").write_text("#!/bin/sh\necho 'sbatch: error: Batch job submission failed: Invalid partition' >&2\nexit 1\n")
    (bindir / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ["PATH"])
    jobs = fake_jobs(tmp_path, 1)
    with pytest.raises(ExpError, match="sbatch failed for job j00: .*Invalid partition"):
        run_jobs(jobs, SlurmExecutor(poll_s=0.05), progress=False)
    with pytest.raises(ExpError, match="cannot run sbatch"):
        run_jobs(jobs, SlurmExecutor(sbatch=str(tmp_path / "no-sbatch")), progress=False)
    fn = Job(name="f", fn=lambda j: None, out=str(tmp_path / "f"))
    # Python-function jobs always run locally, whatever the executor
    assert run_jobs([fn], SlurmExecutor(sbatch=str(tmp_path / "no-sbatch")), progress=False)[0].status == "done"

