/* main.c — the `rocks` command line: thin argument parsing that calls the library.
 *
 *   rocks gtp [--size N] [--komi K] [--rules NAME] [--seed S] [--name NAME] [--visits N] ...
 *   rocks bench playouts [--size N] [--seconds S] [--seed S]
 *   rocks bench mcts [--size N] [--visits N] [--eval uniform|rollout|both] [--batch B] [--reps R]
 *   rocks bench nn [--model b6c64,...] [--batch 1,8,...] [--train] [--threads T] [--reps R] [--csv]
 *   rocks model info [--blocks B] [--channels C] [--size N] [--features NAME] [--checkpoint PATH]
 *   rocks coordcheck [--param sp,mup] [--widths 64,256] [--optim adamw|sgd] ... (CSV)
 *   rocks version
 *
 * Only this file exits; errors from the library are printed with their message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go/board.h"
#include "go/feat.h"
#include "nn/infer.h"
#include "nn/nn.h"
#include "mcts/mcts.h"
#include "mcts/mcts_go.h"
#include "play/gtp.h"
#include "play/player.h"
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
          "      --visits N      genmove by MCTS with N root visits (default: random moves)\n"
          "      --eval E        MCTS evaluator: rollout (default) or uniform\n"
          "      --batch B       MCTS leaves per evaluation (default 1)\n"
          "      --resign T      resign when the root value is below T (default -1: never)\n"
          "      --max-nodes M   MCTS node pool cap (default 4194304)\n"
          "  bench playouts    random playouts per second on one core\n"
          "      --size N        board size (default 9)\n"
          "      --seconds S     measuring time per repetition (default 1)\n"
          "      --reps R        repetitions; the median is reported (default 5)\n"
          "      --seed S        RNG seed (default 1)\n"
          "  bench mcts        MCTS simulations per second from the empty board, one thread\n"
          "      --size N        board size (default 9)\n"
          "      --visits N      simulations per search (default 800)\n"
          "      --eval E        uniform, rollout or both (default both)\n"
          "      --batch B       leaves per evaluator call (default 1)\n"
          "      --reps R        searches; the median is reported (default 5)\n"
          "      --seed S        RNG seed (default 1)\n"
          "  bench nn          GoResNet positions/s (fast inference path) or training samples/s\n"
          "      --model LIST    b<blocks>c<channels>,... (default b6c64,b10c128,b12c192;\n"
          "                      with --train b6c64,b10c128)\n"
          "      --batch LIST    batch sizes (default 1,8,32,128; with --train 64,256)\n"
          "      --train         training steps (forward+backward+SGD) instead of inference\n"
          "      --size N        board size (default 9)\n"
          "      --planes P      input planes (default 17)\n"
          "      --threads T     threads (default 2)\n"
          "      --isa I         inference kernels: auto (default), avx2 or c\n"
          "      --seconds S     measuring time per repetition (default 1)\n"
          "      --reps R        repetitions; the median is reported (default 5)\n"
          "      --csv           machine-readable rows (for bench/bench_nn.py)\n"
          "  model info        parameter count and FLOPs of a GoResNet\n"
          "      --blocks B      residual blocks (default 6)\n"
          "      --channels C    width (default 64)\n"
          "      --size N        board size (default 9)\n"
          "      --features F    input feature set: agz (17 planes, default) or rich\n"
          "      --param P       sp (default), mup or depth-mup\n"
          "      --checkpoint P  describe a safetensors checkpoint instead\n"
          "  coordcheck        muP coordinate check: mean |activation| per layer, CSV on stdout\n"
          "      --param P,...   parameterizations (default sp,mup)\n"
          "      --widths W,...  widths (default 64,256)   --base C   base width (default 64)\n"
          "      --optim O       adamw (default) or sgd     --lr LR    (default 0.02 adamw, 0.1 sgd)\n"
          "      --blocks B --size N --batch B --steps S --seeds K --seed S  (2, 9, 32, 3, 3, 1)\n"
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
  player_config_t pcfg = player_config_default();
  pcfg.visits = 0; /* 0: no MCTS, random genmove */
  rocks_error_t err;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--size")) cfg.size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--komi")) cfg.komi = (float)parse_double(a, flag_value(argc, argv, &i), -1000, 1000);
    else if (!strcmp(a, "--seed")) cfg.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--name")) cfg.name = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--visits")) pcfg.visits = (int)parse_long(a, flag_value(argc, argv, &i), 1, 100000000);
    else if (!strcmp(a, "--batch")) pcfg.mcts.batch_size = (int)parse_long(a, flag_value(argc, argv, &i), 1, 4096);
    else if (!strcmp(a, "--resign")) pcfg.mcts.resign_threshold = parse_double(a, flag_value(argc, argv, &i), -1, 1);
    else if (!strcmp(a, "--max-nodes")) pcfg.mcts.max_nodes = parse_long(a, flag_value(argc, argv, &i), 1024, 0x7fffffffL);
    else if (!strcmp(a, "--eval")) {
      const char *v = flag_value(argc, argv, &i);
      if (!strcmp(v, "rollout")) pcfg.eval = PLAYER_EVAL_ROLLOUT;
      else if (!strcmp(v, "uniform")) pcfg.eval = PLAYER_EVAL_UNIFORM;
      else die_usage("gtp: --eval expects rollout or uniform, got '%s'", v);
    } else if (!strcmp(a, "--rules")) {
      if (board_rules_from_name(&cfg.rules, flag_value(argc, argv, &i), &err) != ROCKS_OK) {
        fprintf(stderr, "rocks: %s\n", err.msg);
        return 2;
      }
    } else die_usage("gtp: unknown option '%s'", a);
  }
  player_t *player = NULL;
  if (pcfg.visits > 0) {
    pcfg.mcts.seed = cfg.seed;
    player = player_new(&pcfg, &err);
    if (!player) {
      fprintf(stderr, "rocks gtp: %s\n", err.msg);
      return 1;
    }
  }
  gtp_engine_t *e = gtp_new(&cfg, &err);
  if (!e) {
    fprintf(stderr, "rocks gtp: %s\n", err.msg);
    player_delete(player);
    return 1;
  }
  if (player) gtp_set_genmove(e, player_genmove, player);
  rocks_status_t st = gtp_run(e, stdin, stdout, &err);
  gtp_delete(e);
  player_delete(player);
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

/* MCTS from the empty board: `reps` searches of `visits` simulations each, per evaluator;
 * reports the median simulations/s. */
static int cmd_bench_mcts(int argc, char **argv) {
  int size = 9, visits = 800, reps = 5, batch = 1;
  uint64_t seed = 1;
  const char *which = "both";
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--size")) size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--visits")) visits = (int)parse_long(a, flag_value(argc, argv, &i), 1, 100000000);
    else if (!strcmp(a, "--reps")) reps = (int)parse_long(a, flag_value(argc, argv, &i), 1, 101);
    else if (!strcmp(a, "--batch")) batch = (int)parse_long(a, flag_value(argc, argv, &i), 1, 4096);
    else if (!strcmp(a, "--seed")) seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--eval")) {
      which = flag_value(argc, argv, &i);
      if (strcmp(which, "uniform") && strcmp(which, "rollout") && strcmp(which, "both"))
        die_usage("bench mcts: --eval expects uniform, rollout or both, got '%s'", which);
    } else die_usage("bench mcts: unknown option '%s'", a);
  }
  rocks_error_t err;
  board_t *root = malloc(sizeof *root);
  mcts_go_t *go = mcts_go_new(size, 0, seed, &err);
  double *rate = malloc(sizeof(double) * (size_t)reps);
  if (!root || !go || !rate) {
    fprintf(stderr, "rocks: out of memory\n");
    return 1;
  }
  if (board_init(root, size, board_rules_tromp_taylor(), 7.5f, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks: %s\n", err.msg);
    return 1;
  }
  printf("bench mcts: %dx%d, %d simulations per search, batch %d, 1 thread, median of %d\n", size, size, visits, batch, reps);
  for (int k = 0; k < 2; k++) {
    const char *name = k == 0 ? "uniform" : "rollout";
    if (strcmp(which, "both") && strcmp(which, name)) continue;
    mcts_config_t cfg = mcts_config_default();
    cfg.batch_size = batch;
    cfg.seed = seed;
    mcts_t *m = mcts_new(mcts_go_game(go), &cfg, k == 0 ? mcts_go_eval_uniform : mcts_go_eval_rollout, go, &err);
    if (!m) {
      fprintf(stderr, "rocks: %s\n", err.msg);
      return 1;
    }
    mcts_stats_t stats;
    for (int r = 0; r < reps; r++) {
      mcts_set_root(m, root, &err);
      mcts_clear(m);
      double t0 = rocks_now();
      if (mcts_search(m, visits, &err) != ROCKS_OK) {
        fprintf(stderr, "rocks: %s\n", err.msg);
        return 1;
      }
      rate[r] = visits / (rocks_now() - t0);
    }
    mcts_get_stats(m, &stats);
    qsort(rate, (size_t)reps, sizeof *rate, cmp_double);
    printf("  %-8s %10.0f simulations/s   (%lld nodes x %zu bytes, max depth %d)\n", name, rate[reps / 2],
           (long long)stats.nodes_used, stats.bytes_per_node, stats.max_depth);
    mcts_delete(m);
  }
  mcts_go_delete(go);
  free(root);
  free(rate);
  return 0;
}

/* ---- nn: rocks model info / rocks coordcheck ---- */

static void print_count_(const char *label, double v, const char *unit) {
  if (v >= 1e9) printf("  %-16s %10.3f G%s\n", label, v / 1e9, unit);
  else if (v >= 1e6) printf("  %-16s %10.3f M%s\n", label, v / 1e6, unit);
  else if (v >= 1e3) printf("  %-16s %10.3f k%s\n", label, v / 1e3, unit);
  else printf("  %-16s %10.0f %s\n", label, v, unit);
}

static int cmd_model(int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "info")) die_usage("model: unknown subcommand '%s' (known: info)", argc ? argv[0] : "");
  goresnet_config_t c = goresnet_config_default();
  const char *ckpt = NULL;
  rocks_error_t err;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--blocks")) c.blocks = (int)parse_long(a, flag_value(argc, argv, &i), 0, 1000);
    else if (!strcmp(a, "--channels")) c.channels = (int)parse_long(a, flag_value(argc, argv, &i), 1, 4096);
    else if (!strcmp(a, "--size")) c.size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--base")) c.base_channels = (int)parse_long(a, flag_value(argc, argv, &i), 1, 4096);
    else if (!strcmp(a, "--checkpoint")) ckpt = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--features")) {
      feat_set_t fs;
      if (feat_from_name(flag_value(argc, argv, &i), &fs, &err) != ROCKS_OK) die_usage("%s", err.msg);
      c.planes = feat_planes(fs);
      snprintf(c.features, sizeof c.features, "%s", feat_name(fs));
    } else if (!strcmp(a, "--param")) {
      if (nn_param_from_name(flag_value(argc, argv, &i), &c.param, &err) != ROCKS_OK) die_usage("%s", err.msg);
    } else die_usage("model info: unknown option '%s'", a);
  }
  if (ckpt && nn_checkpoint_read_config(ckpt, &c, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks model info: %s\n", err.msg);
    return 1;
  }
  if (goresnet_config_check(&c, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks model info: %s\n", err.msg);
    return 2;
  }
  printf("GoResNet b%dc%d, %dx%d, %d input planes%s%s%s, %s", c.blocks, c.channels, c.size, c.size, c.planes,
         c.features[0] ? " (" : "", c.features, c.features[0] ? ")" : "", nn_param_name(c.param));
  if (c.param != NN_PARAM_SP) printf(" (base width %d, m = %g)", c.base_channels, (double)goresnet_width_mult(&c));
  printf("\n");
  print_count_("parameters", (double)goresnet_param_count(&c), "");
  print_count_("BN buffers", (double)goresnet_buffer_count(&c), "");
  print_count_("forward", goresnet_flops_forward(&c), "FLOP per position (2 x MACs)");
  print_count_("training", goresnet_flops_train(&c), "FLOP per sample (3 x forward)");
  return 0;
}

/* Comma-separated list of integers into out[max]; returns the count. */
static int parse_int_list_(const char *flag, const char *s, int *out, int max, long lo, long hi) {
  int n = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    if (n == max) die_usage("too many values for %s", flag);
    out[n++] = (int)parse_long(flag, tok, lo, hi);
  }
  if (!n) die_usage("%s needs at least one value", flag);
  return n;
}

static int cmd_coordcheck(int argc, char **argv) {
  nn_coordcheck_config_t c = nn_coordcheck_config_default();
  nn_param_t params[3] = {NN_PARAM_SP, NN_PARAM_MUP, NN_PARAM_MUP};
  int nparams = 2, lr_set = 0;
  rocks_error_t err;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--widths")) c.nwidths = parse_int_list_(a, flag_value(argc, argv, &i), c.widths, 8, 1, 4096);
    else if (!strcmp(a, "--base")) c.base_channels = (int)parse_long(a, flag_value(argc, argv, &i), 1, 4096);
    else if (!strcmp(a, "--blocks")) c.blocks = (int)parse_long(a, flag_value(argc, argv, &i), 0, 100);
    else if (!strcmp(a, "--size")) c.size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--batch")) c.batch = (int)parse_long(a, flag_value(argc, argv, &i), 2, 4096);
    else if (!strcmp(a, "--steps")) c.steps = (int)parse_long(a, flag_value(argc, argv, &i), 1, 1000);
    else if (!strcmp(a, "--seeds")) c.nseeds = (int)parse_long(a, flag_value(argc, argv, &i), 1, 100);
    else if (!strcmp(a, "--seed")) c.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--lr")) {
      c.lr = (float)parse_double(a, flag_value(argc, argv, &i), 0, 100);
      lr_set = 1;
    } else if (!strcmp(a, "--optim")) {
      if (nn_optim_from_name(flag_value(argc, argv, &i), &c.optim, &err) != ROCKS_OK) die_usage("%s", err.msg);
    } else if (!strcmp(a, "--param")) {
      char buf[128];
      snprintf(buf, sizeof buf, "%s", flag_value(argc, argv, &i));
      nparams = 0;
      for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (nparams == 3) die_usage("--param: at most 3 values%s", "");
        if (nn_param_from_name(tok, &params[nparams++], &err) != ROCKS_OK) die_usage("%s", err.msg);
      }
    } else die_usage("coordcheck: unknown option '%s'", a);
  }
  if (!lr_set && c.optim == NN_OPT_SGD) c.lr = 0.1f;
  printf("param,optim,width,step,layer,mean_abs\n");
  for (int p = 0; p < nparams; p++) {
    c.param = params[p];
    nn_coordcheck_row_t *rows;
    int n;
    if (nn_coordcheck(&c, &rows, &n, &err) != ROCKS_OK) {
      fprintf(stderr, "rocks coordcheck: %s\n", err.msg);
      return 1;
    }
    for (int i = 0; i < n; i++)
      printf("%s,%s,%d,%d,%s,%.6g\n", nn_param_name(c.param), nn_optim_name(c.optim), rows[i].width, rows[i].step,
             rows[i].layer, rows[i].mean_abs);
    free(rows);
  }
  return 0;
}

/* GoResNet throughput: inference through the fast path (nn/infer.h) or training steps.
 * Models are "b<blocks>c<channels>" lists; the median of --reps is reported. --csv prints
 * "rocks,<infer|train>,<model>,<batch>,<median>,<rep1;rep2;...>" rows for bench/bench_nn.py. */
static int cmd_bench_nn(int argc, char **argv) {
  nn_bench_config_t bc = nn_bench_config_default();
  const char *models = NULL, *batches = NULL;
  int csv = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--model")) models = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--batch")) batches = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--train")) bc.train = 1;
    else if (!strcmp(a, "--size")) bc.size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--planes")) bc.planes = (int)parse_long(a, flag_value(argc, argv, &i), 1, 1024);
    else if (!strcmp(a, "--threads")) bc.threads = (int)parse_long(a, flag_value(argc, argv, &i), 1, 64);
    else if (!strcmp(a, "--seconds")) bc.seconds = parse_double(a, flag_value(argc, argv, &i), 0.001, 3600);
    else if (!strcmp(a, "--reps")) bc.reps = (int)parse_long(a, flag_value(argc, argv, &i), 1, NN_BENCH_MAX_REPS);
    else if (!strcmp(a, "--seed")) bc.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--csv")) csv = 1;
    else if (!strcmp(a, "--isa")) {
      const char *v = flag_value(argc, argv, &i);
      if (!strcmp(v, "auto")) bc.isa = NN_INFER_ISA_AUTO;
      else if (!strcmp(v, "c")) bc.isa = NN_INFER_ISA_C;
      else if (!strcmp(v, "avx2")) bc.isa = NN_INFER_ISA_AVX2;
      else die_usage("bench nn: --isa expects auto, c or avx2, got '%s'", v);
    } else die_usage("bench nn: unknown option '%s'", a);
  }
  if (!models) models = bc.train ? "b6c64,b10c128" : "b6c64,b10c128,b12c192";
  if (!batches) batches = bc.train ? "64,256" : "1,8,32,128";
  if (!csv)
    printf("bench nn: %s, %dx%d, %d planes, %d threads, median of %d x %.2gs\n",
           bc.train ? "training steps (reference path, SGD)" : "inference (fast path)", bc.size, bc.size,
           bc.planes, bc.threads, bc.reps, bc.seconds);
  if (!csv) printf("  %-9s %6s %14s %9s\n", "model", "batch", bc.train ? "samples/s" : "positions/s", "GFLOP/s");
  char mbuf[256];
  snprintf(mbuf, sizeof mbuf, "%s", models);
  for (char *ms = strtok(mbuf, ","); ms; ms = strtok(NULL, ",")) {
    if (sscanf(ms, "b%dc%d", &bc.blocks, &bc.channels) != 2 || bc.blocks < 0 || bc.channels < 1)
      die_usage("bench nn: --model expects b<blocks>c<channels>, got '%s'", ms);
    const char *bs = batches;
    while (*bs) {
      char *end;
      long b = strtol(bs, &end, 10);
      if (end == bs || b < 1 || b > 65536 || (*end && *end != ',')) die_usage("bench nn: bad --batch list '%s'", batches);
      bc.batch = (int)b;
      bs = *end ? end + 1 : end;
      nn_bench_result_t res;
      rocks_error_t err;
      if (nn_bench_run(&bc, &res, &err) != ROCKS_OK) {
        fprintf(stderr, "rocks bench nn: %s\n", err.msg);
        return 1;
      }
      if (csv) {
        printf("rocks,%s,%s,%d,%.2f,", bc.train ? "train" : "infer", ms, bc.batch, res.median);
        for (int r = 0; r < res.reps; r++) printf("%s%.2f", r ? ";" : "", res.rate[r]);
        printf("\n");
      } else {
        printf("  %-9s %6d %14.1f %9.1f%s%s\n", ms, bc.batch, res.median, res.gflops, bc.train ? "" : "  ",
               bc.train ? "" : nn_infer_isa_name(res.isa));
      }
      fflush(stdout);
    }
  }
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
    if (argc >= 3 && !strcmp(argv[2], "mcts")) return cmd_bench_mcts(argc - 3, argv + 3);
    if (argc >= 3 && !strcmp(argv[2], "nn")) return cmd_bench_nn(argc - 3, argv + 3);
    die_usage("bench: unknown benchmark '%s' (known: playouts, mcts, nn)", argc >= 3 ? argv[2] : "");
  }
  if (!strcmp(cmd, "model")) return cmd_model(argc - 2, argv + 2);
  if (!strcmp(cmd, "coordcheck")) return cmd_coordcheck(argc - 2, argv + 2);
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
