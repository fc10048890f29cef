"""exp_cli: the C side of `rocks experiment` / `rocks sweep` (src/cli/cmd_experiment.c), also in
the ASan build (which has no Python extension): usage errors, a missing harness, a missing
interpreter, and a real `rocks experiment new` through a package folder that holds only rocks.exp.

    cli_check.py ROCKS_BIN SCRATCH_DIR
Exits non-zero on the first wrong answer.
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_EXP = os.path.join(os.path.dirname(os.path.dirname(HERE)), "python", "rocks", "exp")


def run(argv, env, want_rc, want_err=None, want_out=None):
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    ok = p.returncode == want_rc and (want_err is None or re.search(want_err, p.stderr)) and (
        want_out is None or re.search(want_out, p.stdout))
    if not ok:
        sys.stderr.write("FAIL: %s\n  rc %d (want %d)\n  stdout: %s\n  stderr: %s\n" % (
            " ".join(argv), p.returncode, want_rc, p.stdout, p.stderr))
        sys.exit(1)
    return p


def main():
    rocks, scratch = sys.argv[1], os.path.abspath(sys.argv[2])
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    env = {k: v for k, v in os.environ.items() if k not in ("ROCKS_PYTHONPATH", "ROCKS_PYTHON", "PYTHONPATH")}
    run([rocks, "experiment"], env, 2, r"unknown subcommand ''")
    run([rocks, "experiment", "old", "x"], env, 2, r"unknown subcommand 'old' \(known: new\)")
    run([rocks, "experiment", "new"], env, 2, r"give a SLUG")
    e = dict(env, ROCKS_PYTHONPATH=os.path.join(scratch, "nowhere"))
    run([rocks, "experiment", "new", "abc"], e, 1, r"Python harness is not at .*nowhere/rocks/exp/__main__\.py")
    run([rocks, "sweep", "--out", "x"], e, 1, r"Python harness is not at")
    # a package folder with only rocks.exp (the ASan build has no extension to import)
    pkg = os.path.join(scratch, "py", "rocks")
    os.makedirs(pkg)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    os.symlink(SRC_EXP, os.path.join(pkg, "exp"))
    e = dict(env, ROCKS_PYTHONPATH=os.path.join(scratch, "py"), ROCKS_PYTHON=os.path.join(scratch, "no-python"))
    run([rocks, "experiment", "new", "abc"], e, 1, r"cannot run .*no-python: No such file")
    e = dict(env, ROCKS_PYTHONPATH=os.path.join(scratch, "py"), ROCKS_PYTHON=sys.executable)
    root = os.path.join(scratch, "experiments")
    p = run([rocks, "experiment", "new", "asan-check", "--root", root], e, 0, None, r"asan-check")
    folder = p.stdout.strip()
    name = os.path.basename(folder)
    if not (re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-asan-check", name)
            and os.path.isfile(os.path.join(folder, name + ".py"))
            and os.path.isfile(os.path.join(folder, "report.md"))):
        sys.exit("FAIL: bad folder %s" % folder)
    run([rocks, "experiment", "new", "asan-check", "--root", root], e, 1, r"refusing to overwrite")
    run([rocks, "experiment", "new", "No", "--root", root], e, 1, r"bad experiment slug 'No'")
    run([rocks, "sweep"], e, 2, r"required: --space, --budget-flops, --out")
    print("exp_cli: ok")


if __name__ == "__main__":
    main()
