"""python -m rocks.exp — behind `rocks experiment new` and `rocks sweep` (src/cli/cmd_experiment.c).

    python -m rocks.exp new SLUG [--root DIR]
    python -m rocks.exp sweep --space JSON --budget-flops F --out DIR [--configs N] [--eta E]
                              [--seed S] [--parallel P] [--executor local|slurm] [--objective COL]
Exit status: 0 ok, 1 failure (message on stderr), 2 usage error.
"""
import argparse
import sys

from .experiment import new_experiment
from .sweep import run_sweep
from .util import ExpError

PROG = "rocks"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("%s: %s\n(run `%s --help` for usage)\n" % (self.prog, message, self.prog))
        sys.exit(2)


def _positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number, got %r" % s)
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError("expected a positive number, got %r" % s)
    return v


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("new", "sweep"):
        sys.stderr.write("usage: %s experiment new SLUG [--root DIR]\n"
                         "       %s sweep --space JSON --budget-flops F --out DIR ...\n" % (PROG, PROG))
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "new":
        ap = _Parser(prog="rocks experiment new", description="create experiments/YYYY-MM-DD_HH-MM-SLUG/")
        ap.add_argument("slug")
        ap.add_argument("--root", help="the experiments folder (default: the repository's experiments/)")
        a = ap.parse_args(rest)
        try:
            folder = new_experiment(a.slug, a.root)
        except ExpError as e:
            sys.stderr.write("rocks experiment new: %s\n" % e)
            return 1
        print(folder)
        return 0
    ap = _Parser(prog="rocks sweep", description="random search + successive halving under a FLOP budget")
    ap.add_argument("--space", required=True, help="JSON object (or file) of rocks train key -> spec")
    ap.add_argument("--budget-flops", required=True, type=_positive_float, help="total training FLOPs")
    ap.add_argument("--out", required=True, help="output folder (results.csv, best.json, runs/)")
    ap.add_argument("--configs", type=int, default=9, help="random configurations in the first rung (9)")
    ap.add_argument("--eta", type=int, default=3, help="halving rate (3); 0 = plain random search")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=4, help="runs at a time (4)")
    ap.add_argument("--executor", default=None, help="local (default) or slurm")
    ap.add_argument("--objective", default="val_loss", help="metrics.csv column to minimise (val_loss)")
    a = ap.parse_args(rest)
    if a.configs < 1 or a.parallel < 1 or a.eta < 0 or a.eta == 1:
        ap.error("--configs and --parallel must be >= 1, --eta 0 or >= 2")
    try:
        r = run_sweep(a.space, a.budget_flops, a.out, a.configs, a.eta, a.seed, a.parallel, a.executor,
                      a.objective, log=lambda m: sys.stderr.write("[sweep] %s\n" % m))
    except ExpError as e:
        sys.stderr.write("rocks sweep: %s\n" % e)
        return 1
    b = r["best"]
    print("%s: %d runs, %.4g of %.4g FLOPs; best %s = %s (trial %s)" % (
        a.out, len(r["results"]), r["spent"], a.budget_flops, a.objective, b and "%.4f" % b["loss"],
        b and b["trial"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
