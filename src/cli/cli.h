/* cli.h — what the `rocks` subcommands share. main.c dispatches; each larger command lives in
 * its own src/cli/cmd_<name>.c with an `int cmd_<name>(int argc, char **argv)` entry point
 * (argv after the command word). Only src/cli exits: these helpers exit(2) on a bad flag.
 */
#ifndef ROCKS_CLI_H
#define ROCKS_CLI_H

#include <stddef.h>

/* Prints "rocks: " + fmt (one %s for arg) + a hint to stderr and exits 2. */
void die_usage(const char *fmt, const char *arg);
/* Strict number parsing: the whole string must be a number in [lo, hi], else die_usage-style exit. */
long parse_long(const char *flag, const char *s, long lo, long hi);
double parse_double(const char *flag, const char *s, double lo, double hi);
/* argv[*i] is a flag; returns argv[*i + 1] and advances *i (exits if the value is missing). */
const char *flag_value(int argc, char **argv, int *i);
/* Comma-separated integers in [lo, hi] into out[0..max); returns the count (>= 1). */
int cli_parse_int_list(const char *flag, const char *s, int *out, int max, long lo, long hi);
/* "42s", "3m05s", "1h02m" or "?" for a duration in seconds. */
void cli_fmt_secs(double s, char *out, size_t len);

/* Subcommands in their own files. */
int cmd_gtp(int argc, char **argv);          /* cmd_gtp.c */
int cmd_match(int argc, char **argv);        /* cmd_match.c */
int cmd_eval(int argc, char **argv);         /* cmd_match.c */
int cmd_heatmap(int argc, char **argv);      /* cmd_heatmap.c */
int cmd_selfplay(int argc, char **argv);     /* cmd_selfplay.c */
int cmd_train_replay(int argc, char **argv); /* cmd_selfplay.c: rocks train --replay */
int cmd_zero(int argc, char **argv);         /* cmd_selfplay.c: the whole loop */
int cmd_replay(int argc, char **argv);       /* cmd_replay.c */
int cmd_bench_replay(int argc, char **argv); /* cmd_replay.c */
int cmd_experiment(int argc, char **argv);   /* cmd_experiment.c: execs python -m rocks.exp */
int cmd_sweep(int argc, char **argv);        /* cmd_experiment.c */

#endif
