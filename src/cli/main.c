/* main.c — the `rocks` command line: thin argument parsing that calls the library.
 *
 *   rocks gtp [--model CKPT] [--visits N] [--time S] [--size N] [--komi K] ...  (cmd_gtp.c)
 *   rocks bench playouts [--size N] [--seconds S] [--seed S]
 *   rocks bench mcts [--size N] [--visits N] [--eval uniform|rollout|both] [--batch B] [--reps R]
 *   rocks bench nn [--model b6c64,...] [--batch 1,8,...] [--train] [--threads T] [--reps R] [--csv]
 *   rocks model info [--blocks B] [--channels C] [--size N] [--features NAME] [--checkpoint PATH]
 *   rocks coordcheck [--param sp,mup] [--widths 64,256] [--optim adamw|sgd] ... (CSV)
 *   rocks data gnugo|import|make|info ...   (training data: docs/data-format.md)
 *   rocks train [--config JSON] [flags] --run DIR | --resume DIR   (supervised training)
 *   rocks match|eval ...  (GTP referee: cmd_match.c)   rocks heatmap GAME.sgf ... (cmd_heatmap.c)
 *   rocks selfplay --out DIR [--models DIR] [--replay ADDR] ...  (self-play worker, cmd_selfplay.c)
 *   rocks train --replay ADDR|dir:PATH --models DIR ...          (AlphaZero trainer)
 *   rocks zero --run DIR [--resume] [--config JSON] ...            (the whole loop)
 *   rocks replay serve|stats|checkpoint ...   (replay service: docs/replay.md)
 *   rocks bench replay [--episodes N] [--batch B] [--seconds S] [--memory]
 *   rocks version
 *
 * Only this file exits; errors from the library are printed with their message.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/ds.h"
#include "go/board.h"
#include "go/feat.h"
#include "nn/infer.h"
#include "nn/nn.h"
#include "mcts/mcts.h"
#include "mcts/mcts_go.h"
#include "play/gtp.h"
#include "play/player.h"
#include "train/train.h"
#include "util/util.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: rocks <command> [options]\n"
          "\n"
          "commands:\n"
          "  gtp               GTP v2 engine on stdin/stdout (docs/play.md)\n"
          "      --model CKPT    play with this network + MCTS (the board size is the network's)\n"
          "      --visits N      root visits per move (default 800; no limit with --time alone);\n"
          "                      without --model: MCTS with rollout values (neither: random moves)\n"
          "      --time S        at most S seconds per move (GTP time_settings also limit it)\n"
          "      --batch B       leaves per network evaluation, virtual loss (default 8; 1 without --model)\n"
          "      --threads T     inference threads (default 2)   --symmetry random|0..7 (random)\n"
          "      --resign T      resign when the value is below T (default -0.9 with --model, else -1: never)\n"
          "      --resign-moves M  never resign before move M (default N*N/4)\n"
          "      --lag S         seconds kept back per move by time management (default 0.05)\n"
          "      --size N        initial board size, 2..19 (default 19)   --komi K (7.5)\n"
          "      --rules NAME    tromp-taylor (default) or chinese   --seed S (1)   --name NAME (rocks)\n"
          "      --eval E        MCTS evaluator without --model: rollout (default) or uniform\n"
          "      --max-nodes M   MCTS node pool cap (default 4194304)   --quiet (no per-move stats on stderr)\n"
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
          "      --cpu-time      rates per second of process CPU time (robust to other load)\n"
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
          "  data gnugo        GNU Go self-play -> OUT/games/game-N.sgf + OUT/shards/shard-N.npz (resumable)\n"
          "      --out DIR       output folder (required)    --games N | --positions P (one is required)\n"
          "      --size N --level L --jobs J --seed S --komi K   (9, 1, 1, 1, 7.5)\n"
          "      --opening MIN,MAX  random opening moves (3,5)  --max-moves M (3*N*N)  --shard-games G (256)\n"
          "      --compress L (6)  --gnugo PATH  --exclude DIR (leave out games equal to DIR's)  --quiet\n"
          "  data import       SGF files/folders -> OUT/shards (rejected files listed in OUT/import-report.tsv)\n"
          "      --sgf PATH...   --out DIR   [--rules NAME] [--shard-games G] [--id-base B] [--quiet]\n"
          "  data make NAME    a named dataset under ROOT/NAME: dev-train-100k, dev-val (README)\n"
          "      --root DIR (data)  --jobs J (2)\n"
          "  data info PATH    shards, games and positions of a dataset folder or shard\n"
          "  train             supervised training of a GoResNet on shards (RUN/metrics.csv, checkpoints/)\n"
          "      --run DIR       run folder (new)   or   --resume DIR (continue from its last checkpoint)\n"
          "      --config FILE   JSON with any of the keys below (flags override it)\n"
          "      --train DATA --val DATA   dataset folders (rocks data ...) or .npz shards\n"
          "      --model b6c64 --features agz|rich --param sp|mup|depth-mup --base-channels C\n"
          "      --optim adamw|sgd --lr LR --weight-decay WD --momentum M --clip C\n"
          "      --schedule cosine|constant|step --warmup N --min-lr LR --step-size N --gamma G\n"
          "      --batch B and --steps N | --epochs E | --flop-budget F   (256, epochs 1)\n"
          "      --eval-every N (500) --ckpt-every N (1000) --log-every N (100) --seed S --threads T\n"
          "      --buffer N (shuffle buffer, 0 = all) --symmetries 0|1 --prefetch N --quiet\n"
          "  match             referee for two GTP engines: OUT/results.csv, summary.json, games/ (docs/match.md)\n"
          "      --black CMD --white CMD  or  --engine CMD --opponent CMD (colours alternate)\n"
          "      --out DIR --games N (20) --max-moves M (0: none) --size N (9) --komi K (7.5)\n"
          "      --rules NAME (chinese) --jobs J (1) --move-timeout S (60) --seed S --final-score --quiet\n"
          "  eval              --model CKPT [--visits V (200)]: rocks gtp --model vs GNU Go level 10,\n"
          "                    20 games, 9x9, <= 81 moves, komi 7.5 (match flags apply; other flags go to gtp)\n"
          "  heatmap GAME.sgf  --model CKPT --out DIR: policy heatmap PNG per position + contact sheet\n"
          "  selfplay          self-play worker: OUT/shards, follows MODELS/latest (docs/selfplay.md)\n"
          "      --out DIR  --models DIR  --replay HOST:PORT  --games N  --games-in-flight G (16)\n"
          "      --visits V (64) --fast-visits v (16) --full-prob P (0.25) --batch B (8) --temp-moves K (8)\n"
          "      --resign T (-0.9) --resign-disabled F (0.1) --max-moves M --pass-rule 0|1 --seed S --threads T\n"
          "  train --replay    AlphaZero trainer: --replay HOST:PORT|dir:PATH --models DIR [--init CKPT]\n"
          "      --model b4c32 --batch 128 --lr 2e-3 --publish-every 100 --samples-per-insert 4 --window N\n"
          "  zero              the whole loop: workers + trainer + evaluations + report.md\n"
          "      --run DIR [--resume] [--config JSON] [--minutes 15] [--workers 1] [--transport dir|grpc]\n"
          "      [--KEY VALUE] for any key of docs/selfplay.md; --report only redraws the report\n"
          "  replay serve      the replay service (gRPC): --listen ADDR --dir DIR --capacity P\n"
          "      --samples-per-insert X (4) --min-size N (1000) --error-buffer E (smallest safe) (docs/replay.md)\n"
          "  replay stats|checkpoint --addr ADDR   ask a running replay service\n"
          "  bench replay      replay service pushes/s and sampled positions/s over loopback\n"
          "  experiment new SLUG  experiments/YYYY-MM-DD_HH-MM-SLUG/ (script, data/, figures/, report.md)\n"
          "      --root DIR      experiments folder (default: the repository's experiments/)\n"
          "  sweep             random search + successive halving of rocks train under a FLOP budget\n"
          "      --space JSON --budget-flops F --out DIR  [--configs N (9)] [--eta E (3)] [--seed S]\n"
          "      [--parallel P (4)] [--executor local|slurm] [--objective COL (val_loss)]   docs/experiments.md\n"
          "  version           print the version\n");
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
static int cmd_coordcheck(int argc, char **argv) {
  nn_coordcheck_config_t c = nn_coordcheck_config_default();
  nn_param_t params[3] = {NN_PARAM_SP, NN_PARAM_MUP, NN_PARAM_MUP};
  int nparams = 2, lr_set = 0;
  rocks_error_t err;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--widths")) c.nwidths = cli_parse_int_list(a, flag_value(argc, argv, &i), c.widths, 8, 1, 4096);
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
    else if (!strcmp(a, "--cpu-time")) bc.cpu_time = 1;
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
    printf("bench nn: %s, %dx%d, %d planes, %d threads, median of %d x %.2gs%s\n",
           bc.train ? "training steps (goresnet forward+backward, SGD)" : "inference (fast path)", bc.size, bc.size,
           bc.planes, bc.threads, bc.reps, bc.seconds, bc.cpu_time ? " of CPU time" : "");
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

/* ---- data: rocks data gnugo | import | make | info ---- */

/* Progress bar with ETA on stderr: redrawn in place on a terminal, a line every 10 s otherwise. */
static void data_progress_(const ds_progress_t *p, void *ctx) {
  static double last;
  static const char *last_phase;
  int quiet = ctx ? *(int *)ctx : 0;
  if (quiet) return;
  int tty = isatty(2), final = p->done >= p->total;
  if (!final && last_phase == p->phase && p->elapsed - last < (tty ? 0.2 : 10.0)) return;
  last = p->elapsed;
  last_phase = p->phase;
  char el[32], eta[32], bar[33];
  double frac = p->total > 0 ? (double)p->done / (double)p->total : 0;
  if (frac > 1) frac = 1;
  int fill = (int)(frac * 30);
  for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
  bar[30] = '\0';
  cli_fmt_secs(p->elapsed, el, sizeof el);
  double todo = (double)(p->total - p->done);
  cli_fmt_secs(p->rate > 0 ? todo / p->rate : -1, eta, sizeof eta);
  fprintf(stderr, "%s%-6s [%s] %lld/%lld %3.0f%% | %lld positions | %.2f/s | %s elapsed, ETA %s%s", tty ? "\r" : "",
          p->phase, bar, (long long)p->done, (long long)p->total, 100 * frac, (long long)p->positions, p->rate, el,
          final ? "0s" : eta, tty && !final ? "   " : "\n");
  fflush(stderr);
}

static int cmd_data_gnugo_(int argc, char **argv) {
  ds_gnugo_config_t c = ds_gnugo_config_default();
  int quiet = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--out")) c.out = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--size")) c.size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--games")) c.games = (int)parse_long(a, flag_value(argc, argv, &i), 1, 10000000);
    else if (!strcmp(a, "--positions")) c.positions = parse_long(a, flag_value(argc, argv, &i), 1, 1L << 40);
    else if (!strcmp(a, "--level")) c.level = (int)parse_long(a, flag_value(argc, argv, &i), 0, 10);
    else if (!strcmp(a, "--jobs")) c.jobs = (int)parse_long(a, flag_value(argc, argv, &i), 1, 256);
    else if (!strcmp(a, "--seed")) c.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 900000000000L);
    else if (!strcmp(a, "--komi")) c.komi = (float)parse_double(a, flag_value(argc, argv, &i), -100, 100);
    else if (!strcmp(a, "--opening")) {
      int v[2];
      if (cli_parse_int_list(a, flag_value(argc, argv, &i), v, 2, 0, 180) != 2) die_usage("--opening expects MIN,MAX%s", "");
      c.opening_min = v[0], c.opening_max = v[1];
    } else if (!strcmp(a, "--max-moves")) c.max_moves = (int)parse_long(a, flag_value(argc, argv, &i), 1, 1000);
    else if (!strcmp(a, "--shard-games")) c.shard_games = (int)parse_long(a, flag_value(argc, argv, &i), 1, 1000000);
    else if (!strcmp(a, "--compress")) c.compress = (int)parse_long(a, flag_value(argc, argv, &i), 0, 9);
    else if (!strcmp(a, "--gnugo")) c.gnugo = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--exclude")) c.exclude = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--name")) c.name = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--quiet")) quiet = 1;
    else die_usage("data gnugo: unknown option '%s'", a);
  }
  if (!c.out) die_usage("data gnugo: --out DIR is required%s", "");
  if (!c.games && !c.positions) die_usage("data gnugo: give --games N or --positions P%s", "");
  ds_gnugo_stats_t st;
  rocks_error_t err = {0};
  signal(SIGPIPE, SIG_IGN);
  if (ds_gnugo_run(&c, data_progress_, &quiet, &st, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks data gnugo: %s\n", err.msg);
    return 1;
  }
  printf("%s: %d games, %lld positions, %d shards (%d generated now, %d resumed, %d failed attempts, %d GNU Go score "
         "mismatches, %d excluded as duplicates) in %.1f s\n",
         c.out, st.games, (long long)st.positions, st.shards, st.generated, st.resumed, st.failed_attempts,
         st.score_mismatches, st.excluded, st.seconds);
  return 0;
}

static int cmd_data_import_(int argc, char **argv) {
  ds_import_config_t c = ds_import_config_default();
  char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
  int n = 0, quiet = 0, in_sgf = 0;
  rocks_error_t err = {0};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--sgf")) in_sgf = 1;
    else if (!strcmp(a, "--out")) c.out = flag_value(argc, argv, &i), in_sgf = 0;
    else if (!strcmp(a, "--shard-games")) c.shard_games = (int)parse_long(a, flag_value(argc, argv, &i), 1, 1000000), in_sgf = 0;
    else if (!strcmp(a, "--compress")) c.compress = (int)parse_long(a, flag_value(argc, argv, &i), 0, 9), in_sgf = 0;
    else if (!strcmp(a, "--id-base")) c.id_base = parse_long(a, flag_value(argc, argv, &i), 0, 1L << 60), in_sgf = 0;
    else if (!strcmp(a, "--quiet")) quiet = 1, in_sgf = 0;
    else if (!strcmp(a, "--rules")) {
      if (board_rules_from_name(&c.rules, flag_value(argc, argv, &i), &err) != ROCKS_OK) die_usage("%s", err.msg);
      in_sgf = 0;
    } else if (in_sgf && strncmp(a, "--", 2)) inputs[n++] = argv[i];
    else die_usage("data import: unknown option '%s'", a);
  }
  if (!c.out || !n) die_usage("data import: --sgf PATH... and --out DIR are required%s", "");
  ds_import_stats_t st;
  if (ds_import_run(&c, inputs, n, data_progress_, &quiet, &st, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks data import: %s\n", err.msg);
    free(inputs);
    return 1;
  }
  free(inputs);
  printf("%s: %d files, %d games imported, %d rejected (see %s/import-report.tsv), %lld positions, %d shards\n", c.out,
         st.files, st.games, st.rejected, c.out, (long long)st.positions, st.shards);
  return 0;
}

static int cmd_data_make_(int argc, char **argv) {
  if (argc < 1 || !strncmp(argv[0], "--", 2)) die_usage("data make: which dataset? (dev-train-100k, dev-val)%s", "");
  const char *name = argv[0], *root = "data";
  int jobs = 2, quiet = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--root")) root = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--jobs")) jobs = (int)parse_long(a, flag_value(argc, argv, &i), 1, 256);
    else if (!strcmp(a, "--quiet")) quiet = 1;
    else die_usage("data make: unknown option '%s'", a);
  }
  ds_gnugo_config_t c;
  char outdir[4096], exclude[4096];
  rocks_error_t err = {0};
  if (ds_named_config(name, root, jobs, &c, outdir, sizeof outdir, exclude, sizeof exclude, &err) != ROCKS_OK)
    die_usage("data make: %s", err.msg);
  ds_gnugo_stats_t st;
  signal(SIGPIPE, SIG_IGN);
  if (ds_gnugo_run(&c, data_progress_, &quiet, &st, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks data make %s: %s\n", name, err.msg);
    return 1;
  }
  printf("%s: %d games, %lld positions, %d shards, manifest %s/manifest.json (%d games generated now in %.1f s, %d "
         "resumed, %d excluded as duplicates of %s)\n",
         name, st.games, (long long)st.positions, st.shards, outdir, st.generated, st.seconds, st.resumed, st.excluded,
         exclude);
  return 0;
}

static int cmd_data_info_(int argc, char **argv) {
  if (argc != 1) die_usage("data info: expects one dataset folder or shard%s", "");
  char **paths;
  int n;
  rocks_error_t err = {0};
  if (ds_list_shards(argv[0], &paths, &n, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks data info: %s\n", err.msg);
    return 1;
  }
  int64_t total = 0, games = 0;
  for (int i = 0; i < n; i++) {
    int64_t pos;
    int size;
    ds_game_t *g = NULL;
    int ng = 0;
    if (ds_shard_count(paths[i], &pos, &size, &err) != ROCKS_OK || ds_shard_read_games(paths[i], &g, &ng, &err) != ROCKS_OK) {
      fprintf(stderr, "rocks data info: %s\n", err.msg);
      ds_paths_free(paths, n);
      return 1;
    }
    printf("%s: %dx%d, %d games, %lld positions\n", paths[i], size, size, ng, (long long)pos);
    free(g);
    total += pos;
    games += ng;
  }
  printf("total: %d shards, %lld games, %lld positions\n", n, (long long)games, (long long)total);
  ds_paths_free(paths, n);
  return 0;
}

static int cmd_data(int argc, char **argv) {
  if (argc >= 1 && !strcmp(argv[0], "gnugo")) return cmd_data_gnugo_(argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "import")) return cmd_data_import_(argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "make")) return cmd_data_make_(argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "info")) return cmd_data_info_(argc - 1, argv + 1);
  die_usage("data: unknown subcommand '%s' (known: gnugo, import, make, info)", argc ? argv[0] : "");
  return 2;
}

/* ---- train: rocks train ---- */

static void train_progress_(const train_progress_t *p, void *ctx) {
  static double last = -1e9;
  if (ctx && *(int *)ctx) return;
  int tty = isatty(2), final = p->step >= p->total_steps;
  if (!final && !p->event && p->elapsed - last < (tty ? 0.25 : 30.0)) return;
  if (!tty && !final && p->event && strcmp(p->event, "eval") && p->elapsed - last < 30.0) return;
  last = p->elapsed;
  char el[32], eta[32], val[64] = "";
  cli_fmt_secs(p->elapsed, el, sizeof el);
  cli_fmt_secs(p->eta, eta, sizeof eta);
  if (p->val_loss == p->val_loss) snprintf(val, sizeof val, " | val %.4f acc %.1f%%", p->val_loss, 100 * p->val_acc);
  fprintf(stderr, "%sstep %ld/%ld (%.1f%%) epoch %.2f | loss %.4f | lr %.2e%s | %.0f samples/s | %s elapsed, ETA %s%s",
          tty ? "\r" : "", p->step, p->total_steps, 100.0 * (double)p->step / (double)p->total_steps, p->epoch, p->loss,
          (double)p->lr, val, p->samples_per_s, el, final ? "0s" : eta, tty && !final ? "   " : "\n");
  fflush(stderr);
}

static int cmd_train(int argc, char **argv) {
  train_config_t c = train_config_default();
  const char *run = NULL, *config = NULL;
  int resume = 0, quiet = 0;
  rocks_error_t err = {0};
  /* pass 1: the run folder and the config file; pass 2: flags override the config */
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--run")) run = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--resume")) run = flag_value(argc, argv, &i), resume = 1;
    else if (!strcmp(a, "--config")) config = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--quiet")) quiet = 1;
    else if (!strncmp(a, "--", 2) && a[2]) flag_value(argc, argv, &i);
    else die_usage("train: unexpected argument '%s'", a);
  }
  if (!run) die_usage("train: --run DIR (or --resume DIR) is required%s", "");
  if (config) {
    FILE *f = fopen(config, "rb");
    if (!f) die_usage("train: cannot read --config %s", config);
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[n] = '\0';
    if (train_config_from_json(&c, text, &err) != ROCKS_OK) {
      fprintf(stderr, "rocks train: %s: %s\n", config, err.msg);
      free(text);
      return 2;
    }
    free(text);
  }
  int threads_only = 1;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--run") || !strcmp(a, "--resume") || !strcmp(a, "--config")) {
      i++;
      continue;
    }
    if (!strcmp(a, "--quiet")) continue;
    const char *v = flag_value(argc, argv, &i);
    if (train_config_set(&c, a + 2, v, &err) != ROCKS_OK) die_usage("train: %s", err.msg);
    if (strcmp(a, "--threads")) threads_only = 0;
  }
  if (resume && (!threads_only || config)) die_usage("train: --resume takes the run's own config.json (only --threads may be given)%s", "");
  if (resume) {
    train_config_t r = c;
    int given = 0;
    for (int i = 0; i < argc; i++) given |= !strcmp(argv[i], "--threads");
    if (!given) r.threads = 0;
    c = r;
  }
  train_result_t res;
  if (train_run(run, &c, resume, train_progress_, &quiet, &res, &err) != ROCKS_OK) {
    fprintf(stderr, "\nrocks train: %s\n", err.msg);
    return 1;
  }
  printf("%s: %ld steps, %lld samples%s, %.0f samples/s (training steps, this process), %.1f s\n", run, res.steps,
         (long long)res.samples, res.resumed_from >= 0 ? " (resumed)" : "", res.samples_per_s, res.seconds);
  if (res.val_loss == res.val_loss)
    printf("  validation: loss %.4f (policy %.4f + value MSE %.4f), policy top-1 %.2f%% (uniform over legal moves %.2f%%)\n",
           res.val_loss, res.val_policy_loss, res.val_value_mse, 100 * res.val_acc, 100 * res.val_uniform_acc);
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
    if (argc >= 3 && !strcmp(argv[2], "replay")) return cmd_bench_replay(argc - 3, argv + 3);
    die_usage("bench: unknown benchmark '%s' (known: playouts, mcts, nn)", argc >= 3 ? argv[2] : "");
  }
  if (!strcmp(cmd, "model")) return cmd_model(argc - 2, argv + 2);
  if (!strcmp(cmd, "coordcheck")) return cmd_coordcheck(argc - 2, argv + 2);
  if (!strcmp(cmd, "data")) return cmd_data(argc - 2, argv + 2);
  if (!strcmp(cmd, "match")) return cmd_match(argc - 2, argv + 2);
  if (!strcmp(cmd, "eval")) return cmd_eval(argc - 2, argv + 2);
  if (!strcmp(cmd, "heatmap")) return cmd_heatmap(argc - 2, argv + 2);
  if (!strcmp(cmd, "train")) {
    for (int i = 2; i < argc; i++)
      if (!strcmp(argv[i], "--replay")) return cmd_train_replay(argc - 2, argv + 2);
    return cmd_train(argc - 2, argv + 2);
  }
  if (!strcmp(cmd, "selfplay")) return cmd_selfplay(argc - 2, argv + 2);
  if (!strcmp(cmd, "zero")) return cmd_zero(argc - 2, argv + 2);
  if (!strcmp(cmd, "replay")) return cmd_replay(argc - 2, argv + 2);
  if (!strcmp(cmd, "experiment")) return cmd_experiment(argc - 2, argv + 2);
  if (!strcmp(cmd, "sweep")) return cmd_sweep(argc - 2, argv + 2);
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
