/* match.c — evaluation games: network+MCTS, random and GNU Go players (selfplay.h). GNU Go runs
 * as a util/proc.h process. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mcts/mcts_go.h"
#include "selfplay/selfplay.h"
#include "util/proc.h"

selfplay_match_config_t selfplay_match_config_default(void) {
  selfplay_match_config_t c = {.size = 9, .komi = 7.5f, .games = 10, .max_moves = 0, .open_moves = 4, .pass_rule = 1, .threads = 1, .seed = 1};
  return c;
}

/* ======================================================================== GTP process === */

/* GNU Go is a util/proc.h process in its own process group (a terminal Ctrl-C reaches rocks
 * only, which ends the match). */

#define GTP_TIMEOUT_S 60.0
#define STOP_GRACE_S 3.0

static rocks_status_t proc_start(rocks_proc_t *p, char *const argv[], rocks_error_t *err) {
  static const rocks_proc_opts_t opts = {.own_pgroup = true};
  return rocks_proc_start(p, argv, &opts, err);
}

/* One command; *answer points into p->buf. ROCKS_OK for '=', ROCKS_ERR_STATE for '?'. */
static rocks_status_t proc_cmd(rocks_proc_t *p, const char *cmd, char **answer, rocks_error_t *err) {
  rocks_error_t e = {0};
  rocks_status_t st = rocks_proc_gtp(p, cmd, GTP_TIMEOUT_S, answer, &e);
  return st == ROCKS_OK ? ROCKS_OK : rocks_fail(err, st, "GNU Go: %s", e.msg);
}

static void proc_stop(rocks_proc_t *p) { rocks_proc_stop(p, STOP_GRACE_S); }

/* ============================================================================== players === */

typedef struct {
  const selfplay_player_t *spec;
  goresnet_t *model;
  selfplay_nn_t *nn;
  mcts_t *mcts;
  rocks_rng_t rng;
  int sym[1024];
  rocks_proc_t gtp;
  mcts_go_t *go;
} player_t;

static int nn_eval_cb(void *ctx, const void *const *states, int n, float *priors, float *values) {
  player_t *p = ctx;
  for (int i = 0; i < n && i < 1024; i++) p->sym[i] = (int)rocks_rng_below(&p->rng, 8);
  rocks_error_t e;
  return selfplay_nn_eval(p->nn, (const board_t *const *)states, p->sym, n, priors, values, &e) == ROCKS_OK ? 0 : 1;
}

static void player_free(player_t *p) {
  if (p->gtp.pid > 0) proc_stop(&p->gtp);
  mcts_delete(p->mcts);
  mcts_go_delete(p->go);
  selfplay_nn_delete(p->nn);
  goresnet_delete(p->model);
}

static rocks_status_t player_init(player_t *p, const selfplay_player_t *spec, const selfplay_match_config_t *c,
                                  uint64_t seed, rocks_error_t *err) {
  memset(p, 0, sizeof *p);
  p->spec = spec;
  rocks_proc_init(&p->gtp);
  rocks_rng_seed(&p->rng, seed);
  rocks_status_t st;
  if (spec->kind == SELFPLAY_PLAYER_NN) {
    if (!spec->model || spec->visits < 1) return rocks_fail(err, ROCKS_ERR_ARG, "match: a network player needs a model and visits >= 1");
    if (!(p->model = nn_checkpoint_load_new(spec->model, err))) return err && err->code ? err->code : ROCKS_ERR_IO;
    feat_set_t fs = FEAT_AGZ;
    if (p->model->config.features[0] && feat_from_name(p->model->config.features, &fs, err) != ROCKS_OK) return ROCKS_ERR_ARG;
    if (p->model->config.size != c->size)
      return rocks_fail(err, ROCKS_ERR_ARG, "match: %s is a %dx%d network, the match is %dx%d", spec->model,
                        p->model->config.size, p->model->config.size, c->size, c->size);
    if (!(p->nn = selfplay_nn_new(p->model, fs, c->threads, err))) return err && err->code ? err->code : ROCKS_ERR_NOMEM;
    if (!(p->go = mcts_go_new(c->size, c->max_moves, seed, err))) return ROCKS_ERR_NOMEM;
    mcts_go_set_pass_rule(p->go, c->pass_rule);
    mcts_config_t mc = mcts_config_default();
    mc.batch_size = 8;
    mc.seed = seed;
    mc.max_nodes = 1 << 20;
    if (!(p->mcts = mcts_new(mcts_go_game(p->go), &mc, nn_eval_cb, p, err))) return ROCKS_ERR_NOMEM;
  } else if (spec->kind == SELFPLAY_PLAYER_GNUGO) {
    char level[16], size[16], komi[32], sd[32];
    snprintf(level, sizeof level, "%d", spec->level < 1 ? 1 : spec->level);
    snprintf(size, sizeof size, "%d", c->size);
    snprintf(komi, sizeof komi, "%g", (double)c->komi);
    snprintf(sd, sizeof sd, "%llu", (unsigned long long)(seed % 1000000007ull));
    const char *bin = spec->gnugo ? spec->gnugo : "/usr/games/gnugo";
    if (access(bin, X_OK) != 0) return rocks_fail(err, ROCKS_ERR_IO, "match: %s is not an executable (install gnugo)", bin);
    char *argv[] = {(char *)bin, "--mode", "gtp", "--level", level, "--chinese-rules", "--capture-all-dead",
                    "--boardsize", size, "--komi", komi, "--seed", sd, NULL};
    if ((st = proc_start(&p->gtp, argv, err)) != ROCKS_OK) return st;
  }
  return ROCKS_OK;
}

static const char *color_name(int c) { return c == COLOR_BLACK ? "black" : "white"; }

/* The player's move for b->to_play (a policy index; -1 = resign). */
static rocks_status_t player_move(player_t *p, const board_t *b, int ply, int open_moves, int *action, rocks_error_t *err) {
  const int NN = b->size * b->size;
  rocks_status_t st;
  switch (p->spec->kind) {
  case SELFPLAY_PLAYER_NN:
    mcts_clear(p->mcts);
    if ((st = mcts_set_root(p->mcts, b, err)) != ROCKS_OK) return st;
    mcts_clear(p->mcts);
    st = mcts_search(p->mcts, p->spec->visits, err);
    if (st != ROCKS_OK && st != ROCKS_ERR_NOMEM) return st;
    return mcts_select_action(p->mcts, ply < open_moves ? 1.0 : 0.0, action, err);
  case SELFPLAY_PLAYER_RANDOM: {
    int mv = board_random_move(b, b->to_play, &p->rng);
    if (!board_is_legal(b, b->to_play, mv)) mv = BOARD_PASS; /* the playout move ignores superko */
    *action = board_policy_index(b, mv);
    return ROCKS_OK;
  }
  case SELFPLAY_PLAYER_GNUGO: {
    char cmd[64], *ans;
    snprintf(cmd, sizeof cmd, "genmove %s", color_name(b->to_play));
    if ((st = proc_cmd(&p->gtp, cmd, &ans, err)) != ROCKS_OK) return st;
    if (!strcasecmp(ans, "resign")) {
      *action = -1;
      return ROCKS_OK;
    }
    int mv;
    if ((st = board_parse_vertex(b, ans, &mv, err)) != ROCKS_OK) return st;
    *action = board_policy_index(b, mv);
    return *action >= 0 && *action <= NN ? ROCKS_OK : rocks_fail(err, ROCKS_ERR_PARSE, "GNU Go: bad move '%s'", ans);
  }
  }
  return rocks_fail(err, ROCKS_ERR_ARG, "match: unknown player kind");
}

/* Tells a GTP player about a move the other side made (vertex text). */
static rocks_status_t player_observe(player_t *p, const board_t *b, int color, int action, rocks_error_t *err) {
  if (p->spec->kind != SELFPLAY_PLAYER_GNUGO) return ROCKS_OK;
  char v[8], cmd[64], *ans;
  board_vertex_string(b, board_policy_point(b, action), v);
  snprintf(cmd, sizeof cmd, "play %s %s", color_name(color), v);
  return proc_cmd(&p->gtp, cmd, &ans, err);
}

static rocks_status_t player_new_game(player_t *p, rocks_error_t *err) {
  if (p->spec->kind != SELFPLAY_PLAYER_GNUGO) return ROCKS_OK;
  char *ans;
  return proc_cmd(&p->gtp, "clear_board", &ans, err);
}

rocks_status_t selfplay_match(const selfplay_player_t *a, const selfplay_player_t *b, const selfplay_match_config_t *c,
                              selfplay_match_result_t *res, rocks_error_t *err) {
  memset(res, 0, sizeof *res);
  const int max_moves = c->max_moves > 0 ? c->max_moves : 2 * c->size * c->size;
  player_t pl[2];
  memset(pl, 0, sizeof pl);
  rocks_proc_init(&pl[0].gtp), rocks_proc_init(&pl[1].gtp);
  board_t *bd = malloc(sizeof *bd);
  if (!bd) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  double t0 = rocks_now();
  rocks_status_t st = player_init(&pl[0], a, c, rocks_mix64(c->seed ^ 0xa1), err);
  if (st == ROCKS_OK) st = player_init(&pl[1], b, c, rocks_mix64(c->seed ^ 0xb2), err);
  for (int g = 0; g < c->games && st == ROCKS_OK && !(c->stop && *c->stop); g++) {
    const int a_black = g % 2 == 0;
    if ((st = board_init(bd, c->size, board_rules_chinese(), c->komi, err)) != ROCKS_OK) break; /* GNU Go forbids suicide */
    if ((st = player_new_game(&pl[0], err)) != ROCKS_OK || (st = player_new_game(&pl[1], err)) != ROCKS_OK) break;
    int resigned = 0; /* colour that resigned */
    for (int ply = 0; ply < max_moves && !board_game_over(bd); ply++) {
      const int color = bd->to_play;
      const int who = (color == COLOR_BLACK) == a_black ? 0 : 1;
      int action;
      if ((st = player_move(&pl[who], bd, ply, c->open_moves, &action, err)) != ROCKS_OK) break;
      if (action < 0) {
        resigned = color;
        break;
      }
      if (!board_is_legal(bd, color, board_policy_point(bd, action))) {
        if (pl[who].spec->kind != SELFPLAY_PLAYER_GNUGO) {
          st = rocks_fail(err, ROCKS_ERR_ILLEGAL, "match: illegal move %d by player %c", action, who ? 'b' : 'a');
          break;
        }
        resigned = color; /* GNU Go broke positional superko: it forfeits */
        break;
      }
      if ((st = board_play(bd, color, board_policy_point(bd, action), err)) != ROCKS_OK) break;
      if ((st = player_observe(&pl[1 - who], bd, color, action, err)) != ROCKS_OK) break;
      res->moves++;
    }
    if (st != ROCKS_OK) break;
    int winner;
    if (resigned) winner = board_other(resigned);
    else {
      double s = board_score(bd, NULL, NULL);
      winner = s > 0 ? COLOR_BLACK : s < 0 ? COLOR_WHITE : COLOR_EMPTY;
    }
    const int a_color = a_black ? COLOR_BLACK : COLOR_WHITE;
    res->games++;
    if (winner == COLOR_EMPTY) res->draws++;
    else if (winner == a_color) res->wins++;
    else res->losses++;
  }
  res->score = res->games ? (res->wins + 0.5 * res->draws) / res->games : 0;
  res->seconds = rocks_now() - t0;
  player_free(&pl[0]);
  player_free(&pl[1]);
  free(bd);
  return st;
}
