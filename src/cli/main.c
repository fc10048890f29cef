/* main.c — the `rocks` command line: thin argument parsing that calls the library.
 *
 *   rocks gtp [--size N] [--komi K] [--rules NAME] [--seed S] [--name NAME]
 *   rocks bench playouts [--size N] [--seconds S] [--seed S]
 *   rocks version
 *
 * Only this file exits; errors from the library are printed with their message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go/board.h"
#include "play/gtp.h"
#include "util/util.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: rocks <command> [options]\n"
          "\n"
          "commands:\n"
          "  gtp               GTP v2 engine on stdin/stdout\n"
          "      --size N        initial board size, 2..19 (default 19)\n"
          "      --komi K        initial komi (default 7.5)\n"
          "      --rules NAME    tromp-taylor (default) or chinese\n"
          "      --seed S        RNG seed (default 1)\n"
          "      --name NAME     engine name reported by `name` (default rocks)\n"
          "  bench playouts    random playouts per second on one core\n"
          "      --size N        board size (default 9)\n"
          "      --seconds S     measuring time per repetition (default 1)\n"
          "      --reps R        repetitions; the median is reported (default 5)\n"
          "      --seed S        RNG seed (default 1)\n"
          "  version           print the version\n");
}

static void die_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "rocks: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(run `rocks help` for usage)\n");
  exit(2);
}

/* Strict number parsing for flags: the whole string must be a number. */
static long parse_long(const char *flag, const char *s, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    fprintf(stderr, "rocks: %s expects an integer in [%ld, %ld], got '%s'\n", flag, lo, hi, s);
    exit(2);
  }
  return v;
}

static double parse_double(const char *flag, const char *s, double lo, double hi) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= lo && v <= hi)) {
    fprintf(stderr, "rocks: %s expects a number in [%g, %g], got '%s'\n", flag, lo, hi, s);
    exit(2);
  }
  return v;
}

static const char *flag_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) die_usage("%s needs a value", argv[*i]);
  return argv[++*i];
}

static int cmd_gtp(int argc, char **argv) {
  gtp_config_t cfg = gtp_config_default();
  rocks_error_t err;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--size")) cfg.size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--komi")) cfg.komi = (float)parse_double(a, flag_value(argc, argv, &i), -1000, 1000);
    else if (!strcmp(a, "--seed")) cfg.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--name")) cfg.name = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--rules")) {
      if (board_rules_from_name(&cfg.rules, flag_value(argc, argv, &i), &err) != ROCKS_OK) {
        fprintf(stderr, "rocks: %s\n", err.msg);
        return 2;
      }
    } else die_usage("gtp: unknown option '%s'", a);
  }
  gtp_engine_t *e = gtp_new(&cfg, &err);
  if (!e) {
    fprintf(stderr, "rocks gtp: %s\n", err.msg);
    return 1;
  }
  rocks_status_t st = gtp_run(e, stdin, stdout, &err);
  gtp_delete(e);
  if (st != ROCKS_OK) {
    fprintf(stderr, "rocks gtp: %s\n", err.msg);
    return 1;
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Random playouts from the empty board, on one thread; reports the median of `reps`. */
static int cmd_bench_playouts(int argc, char **argv) {
  int size = 9, reps = 5;
  double seconds = 1.0;
  uint64_t seed = 1;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--size")) size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--seconds")) seconds = parse_double(a, flag_value(argc, argv, &i), 0.01, 3600);
    else if (!strcmp(a, "--reps")) reps = (int)parse_long(a, flag_value(argc, argv, &i), 1, 101);
    else if (!strcmp(a, "--seed")) seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else die_usage("bench playouts: unknown option '%s'", a);
  }
  rocks_error_t err;
  board_t *root = malloc(sizeof *root), *b = malloc(sizeof *b);
  if (!root || !b) {
    fprintf(stderr, "rocks: out of memory\n");
    return 1;
  }
  if (board_init(root, size, board_rules_tromp_taylor(), 7.5f, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks: %s\n", err.msg);
    return 1;
  }
  rocks_rng_t rng;
  rocks_rng_seed(&rng, seed);
  double *rate = malloc(sizeof(double) * (size_t)reps), *mrate = malloc(sizeof(double) * (size_t)reps);
  long black_wins = 0, total = 0;
  for (int r = 0; r < reps; r++) {
    long n = 0, moves = 0;
    double t0 = rocks_now(), t;
    do {
      for (int k = 0; k < 64; k++) {
        board_copy(b, root);
        moves += board_playout(b, &rng, 0);
        black_wins += board_score(b, NULL, NULL) > 0;
        n++;
      }
      t = rocks_now() - t0;
    } while (t < seconds);
    rate[r] = (double)n / t;
    mrate[r] = (double)moves / t;
    total += n;
  }
  qsort(rate, (size_t)reps, sizeof *rate, cmp_double);
  qsort(mrate, (size_t)reps, sizeof *mrate, cmp_double);
  printf("bench playouts: %dx%d, 1 thread, median of %d x %.2gs\n", size, size, reps, seconds);
  printf("  playouts/s  %10.0f\n", rate[reps / 2]);
  printf("  moves/s     %10.0f\n", mrate[reps / 2]);
  printf("  moves/playout %8.1f\n", mrate[reps / 2] / rate[reps / 2]);
  printf("  black wins  %9.1f%% (komi 7.5, %ld playouts)\n", 100.0 * (double)black_wins / (double)total, total);
  free(rate);
  free(mrate);
  free(root);
  free(b);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "gtp")) return cmd_gtp(argc - 2, argv + 2);
  if (!strcmp(cmd, "bench")) {
    if (argc >= 3 && !strcmp(argv[2], "playouts")) return cmd_bench_playouts(argc - 3, argv + 3);
    die_usage("bench: unknown benchmark '%s' (known: playouts)", argc >= 3 ? argv[2] : "");
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("rocks %s\n", ROCKS_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  die_usage("unknown command '%s'", cmd);
  return 2;
}
