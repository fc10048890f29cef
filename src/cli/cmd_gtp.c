/* cmd_gtp.c — `rocks gtp`: the GTP engine on stdin/stdout (docs/play.md).
 *
 *   rocks gtp                           random legal moves (protocol tests, referees)
 *   rocks gtp --visits N                MCTS with random-rollout values
 *   rocks gtp --model CKPT [--visits N | --time S] [--batch B] [--resign T] ...
 *                                       MCTS over the network: the player for Sabaki/Lizzie
 *
 * Per-move statistics (visits, visits/s, winrate, principal variation) go to stderr, which GUIs
 * show in their engine console; --quiet turns them off.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "go/board.h"
#include "play/gtp.h"
#include "play/nneval.h"
#include "play/player.h"
#include "util/util.h"

typedef struct {
  player_t *player;
  bool quiet;
} gtp_cli_t;

/* genmove hook: the player, plus a line of statistics on stderr. */
static int genmove_logged(void *ctx, const board_t *b, int color, double seconds, rocks_rng_t *rng) {
  gtp_cli_t *g = ctx;
  const int move = player_genmove(g->player, b, color, seconds, rng);
  const rocks_error_t *e = player_last_error(g->player);
  if (e->code != ROCKS_OK && e->code != ROCKS_ERR_NOMEM) fprintf(stderr, "rocks gtp: %s\n", e->msg);
  if (g->quiet) return move;
  player_stats_t s;
  player_last_stats(g->player, &s);
  char v[8];
  board_vertex_string(b, move, v);
  fprintf(stderr, "genmove %s: %s  %d visits (%d new) in %.3f s, %.0f visits/s, winrate %.1f%%", color == COLOR_BLACK ? "B" : "W",
          v, s.visits, s.simulations, s.seconds, s.seconds > 0 ? s.simulations / s.seconds : 0.0, 100 * s.winrate);
  if (seconds > 0) fprintf(stderr, ", budget %.3f s", seconds);
  fputs(", pv", stderr);
  for (int i = 0; i < s.npv && i < 12; i++) {
    board_vertex_string(b, s.pv[i], v);
    fprintf(stderr, " %s", v);
  }
  fputc('\n', stderr);
  return move;
}

int cmd_gtp(int argc, char **argv) {
  gtp_config_t cfg = gtp_config_default();
  player_config_t pcfg = player_config_default();
  nneval_config_t ncfg = nneval_config_default();
  const char *model = NULL;
  int visits = 0, batch = 0, size = 0;
  double resign = -2;
  bool quiet = false;
  rocks_error_t err;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--size")) size = (int)parse_long(a, flag_value(argc, argv, &i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    else if (!strcmp(a, "--komi")) cfg.komi = (float)parse_double(a, flag_value(argc, argv, &i), -1000, 1000);
    else if (!strcmp(a, "--seed")) cfg.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--name")) cfg.name = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--model")) model = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--visits")) visits = (int)parse_long(a, flag_value(argc, argv, &i), 1, 100000000);
    else if (!strcmp(a, "--time")) pcfg.seconds = parse_double(a, flag_value(argc, argv, &i), 0.001, 1e6);
    else if (!strcmp(a, "--batch")) batch = (int)parse_long(a, flag_value(argc, argv, &i), 1, 4096);
    else if (!strcmp(a, "--threads")) ncfg.threads = (int)parse_long(a, flag_value(argc, argv, &i), 1, 64);
    else if (!strcmp(a, "--resign")) resign = parse_double(a, flag_value(argc, argv, &i), -1, 1);
    else if (!strcmp(a, "--resign-moves")) pcfg.min_resign_moves = (int)parse_long(a, flag_value(argc, argv, &i), 0, 100000);
    else if (!strcmp(a, "--lag")) cfg.lag = parse_double(a, flag_value(argc, argv, &i), 0, 60);
    else if (!strcmp(a, "--max-nodes")) pcfg.mcts.max_nodes = parse_long(a, flag_value(argc, argv, &i), 1024, 0x7fffffffL);
    else if (!strcmp(a, "--quiet")) quiet = true;
    else if (!strcmp(a, "--symmetry")) {
      const char *v = flag_value(argc, argv, &i);
      ncfg.symmetry = !strcmp(v, "random") ? -1 : (int)parse_long(a, v, 0, 7);
    } else if (!strcmp(a, "--eval")) {
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

  nneval_t *net = NULL;
  if (model) {
    ncfg.seed = cfg.seed;
    net = nneval_new(model, &ncfg, &err);
    if (!net) {
      fprintf(stderr, "rocks gtp: %s: %s\n", model, err.msg);
      return 1;
    }
    const int n = nneval_size(net);
    if (size && size != n) {
      fprintf(stderr, "rocks gtp: --size %d, but the network %s plays %dx%d only\n", size, model, n, n);
      nneval_delete(net);
      return 2;
    }
    size = n;
    cfg.only_size = n; /* boardsize answers "unacceptable size" for any other */
    pcfg.eval = PLAYER_EVAL_NN;
    pcfg.net = net;
    if (!quiet) {
      const goresnet_config_t *mc = nneval_model_config(net);
      fprintf(stderr, "rocks gtp: network b%dc%d, %dx%d, features %s, %d threads\n", mc->blocks, mc->channels, n, n,
              feat_name(nneval_features(net)), ncfg.threads);
    }
  }
  if (size) cfg.size = size;
  const bool search = model || visits > 0 || pcfg.seconds > 0;
  pcfg.visits = visits > 0 ? visits : pcfg.seconds > 0 ? 100000000 : 800;
  pcfg.mcts.batch_size = batch > 0 ? batch : model ? 8 : 1;
  pcfg.mcts.resign_threshold = resign > -2 ? resign : model ? -0.9 : -1;
  pcfg.mcts.seed = cfg.seed;

  gtp_cli_t g = {.player = NULL, .quiet = quiet};
  if (search) {
    g.player = player_new(&pcfg, &err);
    if (!g.player) {
      fprintf(stderr, "rocks gtp: %s\n", err.msg);
      nneval_delete(net);
      return 1;
    }
  }
  gtp_engine_t *e = gtp_new(&cfg, &err);
  if (!e) {
    fprintf(stderr, "rocks gtp: %s\n", err.msg);
    player_delete(g.player);
    nneval_delete(net);
    return 1;
  }
  if (g.player) {
    gtp_set_genmove(e, genmove_logged, &g);
    const gtp_analyzer_t an = player_analyzer(g.player);
    gtp_set_analyzer(e, &an);
  }
  rocks_status_t st = gtp_run(e, stdin, stdout, &err);
  gtp_delete(e);
  player_delete(g.player);
  nneval_delete(net);
  if (st != ROCKS_OK) {
    fprintf(stderr, "rocks gtp: %s\n", err.msg);
    return 1;
  }
  return 0;
}
