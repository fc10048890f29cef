"""rocks.exp.runner — the job pool, its executors (local processes, Slurm) and the FLOP ledger.

run_jobs() starts at most `limit` jobs at a time (default 4), skips jobs that are already done
(OUT/job.json), resumes started train runs, refuses to start anything when the planned FLOPs of the
jobs to run plus what the experiment already spent exceed its budget, prints one progress line per
event on stderr, and writes the done marker of each job that exits 0.

Executors share one small interface: start(job, argv) -> handle, refresh(handles), poll(handle) ->
None while running else the exit status, cancel(handle). LocalExecutor runs processes on this
machine; SlurmExecutor submits each job with sbatch (one script per job, written into its folder)
and follows it with squeue; a job's exit status comes back through OUT/job.rc, so the folders must
be on a filesystem shared with the compute nodes.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time

from .jobs import write_marker
from .util import ExpError, atomic_write_text, fmt_secs

DEFAULT_LIMIT = 4


class LocalExecutor:
    """Processes on this machine (argv jobs) and threads (fn jobs)."""
    name = "local"

    def start(self, job, argv):
        os.makedirs(job.out, exist_ok=True)
        log = open(os.path.join(job.out, "job.log"), "ab")
        if job.fn is not None:
            box = {"rc": None}

            def body():
                try:
                    job.fn(job)
                    box["rc"] = 0
                except Exception as e:  # the job failed: its message goes to its log
                    log.write(("%s: %s\n" % (type(e).__name__, e)).encode())
                    box["rc"] = 1
                finally:
                    log.flush()

            t = threading.Thread(target=body, daemon=True)
            t.start()
            return {"thread": t, "box": box, "log": log}
        out = open(os.path.join(job.out, job.stdout), "wb") if job.stdout else log
        env = dict(os.environ, **{k: str(v) for k, v in job.env.items()})
        try:
            p = subprocess.Popen([str(a) for a in argv], stdout=out, stderr=log, cwd=job.cwd, env=env)
        except OSError as e:
            log.close()
            if out is not log:
                out.close()
            raise ExpError("job %s: cannot start %s: %s" % (job.name, argv[0], e))
        return {"proc": p, "log": log, "out": out}

    def refresh(self, handles):
        pass

    def poll(self, h):
        if "thread" in h:
            if h["thread"].is_alive():
                return None
            rc = h["box"]["rc"]
        else:
            rc = h["proc"].poll()
            if rc is None:
                return None
        for f in {id(h["log"]): h["log"], id(h.get("out")): h.get("out")}.values():
            if f is not None:
                f.close()
        return rc

    def cancel(self, h):
        if "proc" in h and h["proc"].poll() is None:
            h["proc"].terminate()
            try:
                h["proc"].wait(10)
            except subprocess.TimeoutExpired:
                h["proc"].kill()


# ---- Slurm ------------------------------------------------------------------------------------

TERMINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
                   "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"}


def parse_squeue(text):
    """`squeue -h -o '%i|%T'` output -> {job id: state}. Array/het suffixes are kept as printed."""
    states = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if "|" not in line:
            raise ExpError("unexpected squeue line %r (expected 'ID|STATE')" % line)
        jid, state = line.split("|", 1)
        states[jid.strip()] = state.strip().split()[0] if state.strip() else "UNKNOWN"
    return states


def parse_sbatch(text):
    """`sbatch --parsable` output ('ID' or 'ID;cluster') -> job id."""
    line = text.strip().splitlines()[-1] if text.strip() else ""
    jid = line.split(";")[0].strip()
    if not jid.isdigit():
        raise ExpError("unexpected sbatch output %r (expected a job id)" % text.strip())
    return jid


class SlurmExecutor:
    """sbatch/squeue. Options: partition, time (HH:MM:SS), cpus_per_task, mem, extra (more #SBATCH
    lines, e.g. ["--account=x"]), sbatch/squeue/scancel (commands), poll_s, name_prefix."""
    name = "slurm"

    def __init__(self, partition=None, time="04:00:00", cpus_per_task=2, mem=None, extra=(),
                 sbatch="sbatch", squeue="squeue", scancel="scancel", poll_s=10.0, name_prefix="rocks",
                 vanish_grace_s=30.0):
        self.partition, self.time, self.cpus, self.mem = partition, time, cpus_per_task, mem
        self.extra = list(extra)
        self.sbatch, self.squeue, self.scancel = sbatch, squeue, scancel
        self.poll_s, self.prefix, self.grace = float(poll_s), name_prefix, float(vanish_grace_s)
        self._states = {}

    def script(self, job, argv):
        """The sbatch script of a job (also written to OUT/job.sbatch)."""
        q = shlex.quote
        lines = ["#!/bin/bash",
                 "#SBATCH --job-name=%s" % q("%s-%s" % (self.prefix, job.name)),
                 "#SBATCH --output=%s" % q(os.path.join(job.out, "job.log")),
                 "#SBATCH --open-mode=append",
                 "#SBATCH --cpus-per-task=%d" % int(self.cpus),
                 "#SBATCH --ntasks=1"]
        if self.time:
            lines.append("#SBATCH --time=%s" % self.time)
        if self.partition:
            lines.append("#SBATCH --partition=%s" % self.partition)
        if self.mem:
            lines.append("#SBATCH --mem=%s" % self.mem)
        lines += ["#SBATCH %s" % e for e in self.extra]
        lines.append("# written by rocks.exp for job %s" % job.name)
        lines.append("cd %s || exit 1" % q(job.cwd or os.getcwd()))
        for k, v in sorted(job.env.items()):
            lines.append("export %s=%s" % (k, q(str(v))))
        cmd = " ".join(q(str(a)) for a in argv)
        if job.stdout:
            cmd += " > %s" % q(os.path.join(job.out, job.stdout))
        rc = os.path.join(job.out, "job.rc")
        lines += [cmd, "rc=$?",
                  "printf '%%d\\n' \"$rc\" > %s && mv -f %s %s" % (q(rc + ".tmp"), q(rc + ".tmp"), q(rc)),
                  "exit $rc", ""]
        return "\n".join(lines)

    def start(self, job, argv):
        if job.fn is not None:
            raise ExpError("job %s: Python-function jobs run only with the local executor" % job.name)
        os.makedirs(job.out, exist_ok=True)
        for stale in ("job.rc", "job.rc.tmp"):
            try:
                os.unlink(os.path.join(job.out, stale))
            except FileNotFoundError:
                pass
        path = os.path.join(job.out, "job.sbatch")
        atomic_write_text(path, self.script(job, argv))
        try:
            p = subprocess.run([self.sbatch, "--parsable", path], capture_output=True, text=True)
        except OSError as e:
            raise ExpError("cannot run sbatch (%s): %s" % (self.sbatch, e))
        if p.returncode != 0:
            raise ExpError("sbatch failed for job %s: %s" % (job.name, p.stderr.strip() or p.stdout.strip()))
        return {"id": parse_sbatch(p.stdout), "out": job.out, "gone_since": None}

    def refresh(self, handles):
        ids = [h["id"] for h in handles]
        if not ids:
            return
        try:
            p = subprocess.run([self.squeue, "-h", "-o", "%i|%T", "-j", ",".join(ids)],
                               capture_output=True, text=True)
        except OSError as e:
            raise ExpError("cannot run squeue (%s): %s" % (self.squeue, e))
        if p.returncode != 0:
            # squeue refuses a list when a job id is no longer known: all of them have left the queue
            if "Invalid job id" in p.stderr:
                self._states = {}
                return
            raise ExpError("squeue failed: %s" % (p.stderr.strip() or p.stdout.strip()))
        self._states = parse_squeue(p.stdout)

    def _rc(self, h):
        try:
            with open(os.path.join(h["out"], "job.rc")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def poll(self, h):
        rc = self._rc(h)
        if rc is not None:
            return rc
        state = self._states.get(h["id"])
        if state is not None and state not in TERMINAL_STATES:
            h["gone_since"] = None
            return None
        # left the queue (or terminal) without an exit status: wait a little for the shared
        # filesystem, then call it failed (killed, timed out, node failure)
        now = time.monotonic()
        if h["gone_since"] is None:
            h["gone_since"] = now
        if now - h["gone_since"] < self.grace:
            return None
        h["state"] = state or "GONE"
        try:
            with open(os.path.join(h["out"], "job.log"), "a") as f:
                f.write("rocks.exp: Slurm job %s left the queue (%s) without an exit status: killed, timed out "
                        "or lost; counted as failed (exit status 250)\n" % (h["id"], h["state"]))
        except OSError:
            pass
        return 250

    def cancel(self, h):
        subprocess.run([self.scancel, h["id"]], capture_output=True)


def make_executor(spec=None, folder=None):
    """Executor from a spec: None, 'local', 'slurm', or a dict {'executor': 'slurm', <options>}.
    With spec None: $ROCKS_EXP_EXECUTOR (local|slurm), else FOLDER/exp.json's "executor" entry,
    else local. Slurm options also come from $ROCKS_EXP_SLURM (JSON) or exp.json's "slurm"."""
    cfg = {}
    if folder and os.path.isfile(os.path.join(folder, "exp.json")):
        try:
            with open(os.path.join(folder, "exp.json")) as f:
                cfg = json.load(f)
        except ValueError as e:
            raise ExpError("%s/exp.json: %s" % (folder, e))
    if spec is None:
        spec = os.environ.get("ROCKS_EXP_EXECUTOR") or cfg.get("executor") or "local"
    opts = {}
    if isinstance(spec, dict):
        opts = {k: v for k, v in spec.items() if k != "executor"}
        spec = spec.get("executor", "slurm")
    if hasattr(spec, "start"):
        return spec
    if spec == "local":
        return LocalExecutor()
    if spec == "slurm":
        if not opts:
            opts = dict(cfg.get("slurm", {}))
            env = os.environ.get("ROCKS_EXP_SLURM")
            if env:
                try:
                    opts.update(json.loads(env))
                except ValueError as e:
                    raise ExpError("ROCKS_EXP_SLURM is not JSON: %s" % e)
        try:
            return SlurmExecutor(**opts)
        except TypeError as e:
            raise ExpError("bad Slurm options %s: %s" % (sorted(opts), e))
    raise ExpError("unknown executor %r (local or slurm)" % (spec,))


# ---- the pool -----------------------------------------------------------------------------------

class Result:
    def __init__(self, job, status, rc=None, seconds=0.0):
        self.job, self.status, self.rc, self.seconds = job, status, rc, seconds

    def __repr__(self):
        return "Result(%s, %s, rc=%s)" % (self.job.name, self.status, self.rc)


def _actual_flops(job):
    """Training FLOPs a finished job spent: the last `flops` of its metrics.csv (train), else planned."""
    if job.kind == "train":
        try:
            with open(os.path.join(job.out, "metrics.csv")) as f:
                lines = [ln for ln in f.read().splitlines() if ln.strip()]
            head = lines[0].split(",")
            return float(lines[-1].split(",")[head.index("flops")])
        except (OSError, ValueError, IndexError):
            pass
    return float(job.flops)


def _prepare(job):
    """The command to run: resume a started train run, else clear the leftovers of a failed
    attempt (only folders this runner started: they hold job.log) and run argv."""
    if job.fn is not None:
        return None
    if job.resume_argv and os.path.isfile(os.path.join(job.out, "config.json")):
        return job.resume_argv
    if os.path.isdir(job.out) and os.path.exists(os.path.join(job.out, "job.log")):
        shutil.rmtree(job.out)
    return job.argv


def run_jobs(jobs, executor=None, limit=DEFAULT_LIMIT, budget_flops=None, spent_flops=0.0,
             check=True, progress=True, label="exp", stream=None, poll_s=None, heartbeat_s=60.0):
    """Runs the jobs (at most `limit` at a time) and returns one Result per job, in order.
    Done jobs are skipped. With budget_flops: raises ExpError before starting anything when
    spent_flops + the planned FLOPs of the jobs to run exceed it. With check: raises ExpError after
    the pool drained if any job failed (its log path in the message). Progress: a line per start
    and end, and every heartbeat_s seconds a line with each running job's time (and step)."""
    executor = executor or LocalExecutor()
    stream = stream or sys.stderr
    if limit < 1:
        raise ExpError("the job limit must be >= 1 (got %r)" % (limit,))
    names = [j.name for j in jobs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ExpError("duplicate job names: %s" % ", ".join(dup))
    results = {j.name: Result(j, "skipped") for j in jobs if j.done()}
    todo = [j for j in jobs if j.name not in results]
    planned = sum(float(j.flops) for j in todo)
    if budget_flops is not None and spent_flops + planned > budget_flops * (1 + 1e-9):
        raise ExpError("FLOP budget exceeded: %.3g already spent + %.3g planned for %d job(s) = %.3g > budget %.3g;"
                       " nothing started (shrink the jobs or raise the budget)"
                       % (spent_flops, planned, len(todo), spent_flops + planned, budget_flops))

    def say(msg):
        if progress:
            stream.write("[%s] %s\n" % (label, msg))
            stream.flush()

    total, t0 = len(todo), time.monotonic()
    if results:
        say("%d job(s) already done, skipped" % len(results))
    if not todo:
        return [results[n] for n in names]
    say("%d job(s) to run, at most %d at a time, %s executor, %.3g FLOPs planned"
        % (total, limit, executor.name, planned))
    local = LocalExecutor()
    queue, running, durations, failed = list(todo), [], [], []
    last_beat = time.monotonic()
    if poll_s is None:
        poll_s = getattr(executor, "poll_s", 0.05)
    try:
        while queue or running:
            while queue and len(running) < limit:
                job = queue.pop(0)
                ex = local if job.fn is not None else executor
                argv = _prepare(job)
                h = ex.start(job, argv)
                running.append((job, ex, h, time.monotonic()))
                say("start %s (%s)%s" % (job.name, job.kind, " resumed" if argv is job.resume_argv and argv else ""))
            for ex in {id(e): e for _, e, _, _ in running}.values():
                ex.refresh([h for _, e, h, _ in running if e is ex])
            still, finished = [], []
            for job, ex, h, ts in running:
                rc = ex.poll(h)
                if rc is None:
                    still.append((job, ex, h, ts))
                else:
                    finished.append((job, rc, time.monotonic() - ts))
            for job, rc, dt in finished:
                durations.append(dt)
                if rc == 0:
                    write_marker(job, rc, dt, _actual_flops(job))
                    results[job.name] = Result(job, "done", rc, dt)
                else:
                    results[job.name] = Result(job, "failed", rc, dt)
                    failed.append(job)
            for i, (job, rc, dt) in enumerate(finished):
                left = len(queue) + len(still)
                mean = sum(durations) / len(durations)
                eta = mean * ((left + limit - 1) // limit) if left else 0
                say("%s %s rc=%d in %s | %d/%d finished, %d running, %d queued | %s elapsed, ETA ~%s"
                    % ("done" if rc == 0 else "FAILED", job.name, rc, fmt_secs(dt),
                       total - left - (len(finished) - 1 - i), total, len(still), len(queue),
                       fmt_secs(time.monotonic() - t0), fmt_secs(eta)))
            running = still
            now = time.monotonic()
            if running and heartbeat_s and now - last_beat >= heartbeat_s:
                last_beat = now
                say("running: %s | %d queued, %s elapsed" % (", ".join(
                    "%s (%s%s)" % (j.name, fmt_secs(now - ts), (", " + j.progress()) if j.progress() else "")
                    for j, _, _, ts in running), len(queue), fmt_secs(now - t0)))
            if running:
                time.sleep(poll_s)
    except BaseException:
        for job, ex, h, _ in running:
            ex.cancel(h)
        raise
    if failed and check:
        raise ExpError("%d job(s) failed: %s" % (len(failed), "; ".join(
            "%s (log: %s)" % (j.name, os.path.join(j.out, "job.log")) for j in failed)))
    return [results[n] for n in names]
