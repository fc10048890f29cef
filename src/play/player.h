/* player.h — an MCTS Go player: the genmove and analysis hooks behind `rocks gtp --visits N` and
 * `rocks gtp --model CKPT`.
 *
 * What it is: an mcts_t over the Go adapter (mcts/mcts_go.h) with an evaluator — a network
 * (play/nneval.h, batched leaves with virtual loss), random rollouts or uniform priors — rebuilt
 * when the board size changes, reusing the tree across genmoves when the new position extends
 * the previous one by played moves. A move's search stops at the visit target or at the time
 * budget, whichever comes first; with a budget, a slice of search is only started when the last
 * slice's duration still fits in what is left. Resignation: root value and best child's Q below
 * the threshold, and not before min_resign_moves moves. Passing (pass_rules): a network taught
 * on games scored with dead stones removed passes with the opponent's dead stones still on the
 * board, which Tromp-Taylor counts, and lets an opponent who keeps playing live inside its
 * area; so the player never passes first while it has a move that the search visited or that
 * does not fill an own eye, and after the opponent's pass it passes iff the board's score wins. What it is not: multi-threaded (the
 * network evaluator uses the inference engine's threads inside each batch).
 */
#ifndef ROCKS_PLAYER_H
#define ROCKS_PLAYER_H

#include <stdbool.h>

#include "go/board.h"
#include "mcts/mcts.h"
#include "play/gtp.h"
#include "play/nneval.h"
#include "util/util.h"

typedef enum {
  PLAYER_EVAL_ROLLOUT = 0, /* uniform priors + one random playout per leaf */
  PLAYER_EVAL_UNIFORM = 1, /* uniform priors, value 0 (search shape only) */
  PLAYER_EVAL_NN = 2,      /* the network in cfg.net */
} player_eval_t;

typedef struct {
  int visits;          /* target root visits per move (reused visits count), >= 1 (default 800) */
  double seconds;      /* > 0: at most this long per move even without a GTP clock (default 0) */
  player_eval_t eval;  /* default PLAYER_EVAL_ROLLOUT */
  nneval_t *net;       /* PLAYER_EVAL_NN: the network (borrowed: must outlive the player) */
  mcts_config_t mcts;  /* search settings (mcts_config_default; resign disabled) */
  int max_moves;       /* tree positions this many moves past the root are scored (0: 2*N*N) */
  int min_resign_moves;/* no resignation before this many moves (-1: N*N/4, the default) */
  bool pass_rules;     /* Tromp-Taylor pass rules of genmove (default true): after a pass, pass
                        * iff the board's score wins; never pass first while a move is left */
} player_config_t;

player_config_t player_config_default(void);

typedef struct player player_t;

/* NULL + err on a bad configuration (PLAYER_EVAL_NN without a network included). */
player_t *player_new(const player_config_t *cfg, rocks_error_t *err);
void player_delete(player_t *p); /* accepts NULL */

/* gtp_genmove_fn (ctx = player_t *): searches the position b with `color` to move and returns the
 * most visited move (a point or BOARD_PASS), or BOARD_RESIGN by the resign threshold. Stops early
 * when `seconds` > 0 (or cfg.seconds > 0; the smaller) runs out. If the search fails it passes;
 * player_last_error tells why (e.g. a board size the network cannot play).
 * The gtp rng is not used (the search is seeded by cfg.mcts.seed). */
int player_genmove(void *ctx, const board_t *b, int color, double seconds, rocks_rng_t *rng);

/* Statistics of the last genmove (or analysis) search. */
typedef struct {
  int visits;          /* root visits at the end (reused ones included) */
  int simulations;     /* simulations run by this search */
  double seconds;      /* wall time of the search */
  double winrate;      /* [0, 1] root value for the player to move */
  int pv[GTP_MAX_PV];  /* principal variation (points or BOARD_PASS) */
  int npv;
} player_stats_t;
void player_last_stats(const player_t *p, player_stats_t *s);

/* Last search error (code ROCKS_OK if none). */
const rocks_error_t *player_last_error(const player_t *p);
/* The underlying search (NULL before the first genmove); for stats and analysis. */
mcts_t *player_mcts(player_t *p);

/* The analysis hook over this player (ctx = p): begin sets up the root as genmove does, step runs
 * one batch-sized slice, candidates reads the root, done tells when a genmove_analyze search
 * has reached the visit target or the time budget, choose picks the move as genmove would. */
gtp_analyzer_t player_analyzer(player_t *p);

#endif
