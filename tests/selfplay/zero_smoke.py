#!/usr/bin/python3
"""zero_smoke.py — `rocks zero` end to end (CTest zero_smoke, label slow).

    zero_smoke.py ROCKS_BIN WORKDIR

1. a fresh run of about a minute (small evaluation) -> exit 0; the run folder holds
   config.json, models/latest + model files, train.csv with rows, eval.csv with the initial
   and at least one later model, workers/w0/selfplay.csv + shards whose policy_dist rows sum
   to 1 and whose z is +-1/0, figures/{loss,elo,winrate,selfplay}.png (PNG signature),
   report.md with the evaluation table; no temporary files left anywhere;
2. --resume with Ctrl-C (SIGINT) after ~25 s -> exit 130 within 90 s, children reaped (no
   process of the run left), nothing half-written, the report regenerated, and the run goes on
   from where it stopped (trainer step and worker games do not go back);
3. a second fresh run into the same folder is refused (exit 2); unknown config keys are refused.
"""
import csv
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg, flush=True)


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def no_temp_files(run):
    bad = [p for p in glob.glob(os.path.join(run, "**", "*"), recursive=True)
           if ".tmp" in os.path.basename(p) or os.path.basename(p).startswith(".tmp")]
    return bad


def check_folder(run, label):
    cfg = json.load(open(os.path.join(run, "config.json")))
    check(cfg["model"] == "b2c16", "%s: config.json keeps the flags" % label)
    latest = open(os.path.join(run, "models", "latest")).read().strip()
    check(os.path.exists(os.path.join(run, "models", latest)), "%s: models/latest names a file" % label)
    tr = rows(os.path.join(run, "train.csv"))
    check(len(tr) >= 2, "%s: train.csv has %d rows" % (label, len(tr)))
    ev = rows(os.path.join(run, "eval.csv"))
    models = sorted({r["model"] for r in ev})
    check(len(models) >= 2 and "model-000000.safetensors" in models, "%s: eval.csv models %s" % (label, models))
    check(all(r["opponent"] in ("random", "gnugo-1") or r["opponent"].startswith("prev:") for r in ev),
          "%s: opponents" % label)
    check(all(int(r["wins"]) + int(r["draws"]) + int(r["losses"]) == int(r["games"]) for r in ev), "%s: W+D+L=games" % label)
    sp = rows(os.path.join(run, "workers", "w0", "selfplay.csv"))
    check(len(sp) >= 1 and int(sp[-1]["games"]) > 0, "%s: selfplay.csv" % label)
    shards = sorted(glob.glob(os.path.join(run, "workers", "w0", "shards", "shard-*.npz")))
    check(len(shards) >= 1, "%s: shards written" % label)
    for s in shards[:3]:
        z = np.load(s)
        pd = z["policy_dist"]
        check(pd.shape[0] == z["z"].shape[0] and pd.shape[1] == 82, "%s: %s policy_dist shape" % (label, s))
        check(np.allclose(pd.sum(1), 1, atol=1e-4), "%s: %s policy_dist rows sum to 1" % (label, s))
        check(set(np.unique(z["z"])) <= {-1.0, 0.0, 1.0}, "%s: z values" % label)
    for fig in ("loss", "elo", "winrate", "selfplay"):
        p = os.path.join(run, "figures", fig + ".png")
        check(os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n", "%s: %s is a PNG" % (label, p))
    rep = open(os.path.join(run, "report.md")).read()
    check("## Evaluation" in rep and "model-000000" in rep and "figures/elo.png" in rep, "%s: report.md content" % label)
    check(no_temp_files(run) == [], "%s: temporary files left: %s" % (label, no_temp_files(run)))
    return tr, sp


def main():
    rocks, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    run = os.path.join(work, "run")
    flags = ["--model", "b2c16", "--games-in-flight", "8", "--visits", "16", "--fast-visits", "4",
             "--eval-every", "20", "--eval-games", "2", "--random-games", "2", "--gnugo-games", "2",
             "--eval-visits", "8", "--publish-every", "20", "--min-positions", "200", "--shard-games", "8",
             "--train-batch", "64"]
    # 1. a fresh run
    t0 = time.time()
    p = subprocess.run([rocks, "zero", "--run", run, "--minutes", "1"] + flags, capture_output=True, text=True,
                       timeout=400)
    print(p.stderr[-3000:])
    check(p.returncode == 0, "fresh run exit code %d" % p.returncode)
    check(time.time() - t0 < 300, "the 1-minute run took %.0f s" % (time.time() - t0))
    tr1, sp1 = check_folder(run, "fresh")

    # 2. resume, interrupted by SIGINT
    p = subprocess.Popen([rocks, "zero", "--run", run, "--resume", "--minutes", "5"], stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    time.sleep(25)
    t1 = time.time()
    os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    try:
        _, err = p.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        check(False, "Ctrl-C: rocks zero did not stop within 90 s")
    print(err[-2000:])
    check(p.returncode == 130, "Ctrl-C exit code %d (want 130)" % p.returncode)
    check(time.time() - t1 < 90, "stopped in %.0f s" % (time.time() - t1))
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", run], capture_output=True, text=True).stdout.split()
    check(left == [], "processes of the run left after Ctrl-C: %s" % left)
    tr2, sp2 = check_folder(run, "resumed")
    check(int(tr2[-1]["step"]) >= int(tr1[-1]["step"]), "trainer continued (%s -> %s)" % (tr1[-1]["step"], tr2[-1]["step"]))
    check(int(sp2[-1]["games"]) >= int(sp1[-1]["games"]), "workers continued")

    # 3. refusals
    p = subprocess.run([rocks, "zero", "--run", run, "--minutes", "1"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "already holds a run" in p.stderr, "a second fresh run is refused")
    p = subprocess.run([rocks, "zero", "--run", os.path.join(work, "x"), "--no-such-key", "1"], capture_output=True,
                       text=True, timeout=60)
    check(p.returncode == 2 and "unknown option" in p.stderr, "unknown flag refused")
    bad = os.path.join(work, "bad.json")
    open(bad, "w").write('{"visits": 8, "nope": 1}')
    p = subprocess.run([rocks, "zero", "--run", os.path.join(work, "y"), "--config", bad], capture_output=True,
                       text=True, timeout=60)
    check(p.returncode == 2 and "unknown config key 'nope'" in p.stderr, "unknown config key refused")
    if failures:
        print("zero_smoke: %d failure(s)" % len(failures))
        return 1
    print("zero_smoke: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
