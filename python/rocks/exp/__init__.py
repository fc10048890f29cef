"""rocks.exp — the research harness: experiment folders, a job pool over rocks commands
(local processes or Slurm), FLOP budgets, resumable runs, and the `rocks sweep` baseline.

    from rocks.exp import Experiment
    exp = Experiment(budget_flops=1e15)                      # the folder of the running script
    jobs = [exp.train("b2c32", train=..., val=..., model="b2c32", flop_budget=1e13)]
    exp.run(jobs)                                            # <= 4 at a time; done jobs skipped
    final, curves = exp.collect_train(jobs, "train.csv", curves="curves.csv")

docs/experiments.md is the guide; `rocks experiment new SLUG` creates a folder.
"""
from .experiment import Experiment, find_root, new_experiment, validate_slug
from .jobs import Job, coordcheck_job, eval_job, match_job, model_info, rocks_bin, train_job
from .runner import (DEFAULT_LIMIT, LocalExecutor, SlurmExecutor, make_executor, parse_sbatch, parse_squeue,
                     run_jobs)
from .sweep import parse_space, run_sweep, successive_halving
from .util import ExpError

__all__ = ["DEFAULT_LIMIT", "Experiment", "ExpError", "Job", "LocalExecutor", "SlurmExecutor", "coordcheck_job",
           "eval_job", "find_root", "make_executor", "match_job", "model_info", "new_experiment", "parse_sbatch",
           "parse_space", "parse_squeue", "rocks_bin", "run_jobs", "run_sweep", "successive_halving",
           "train_job", "validate_slug"]
