/* player.h — an MCTS Go player: the genmove hook behind `rocks gtp --visits N`.
 *
 * What it is: an mcts_t over the Go adapter (mcts/mcts_go.h) with a built-in evaluator (random
 * rollouts or uniform), rebuilt when the board size changes, reusing the tree across genmoves
 * when the new position extends the previous one by played moves. What it is not: a network
 * player yet (an evaluator hook will plug in here).
 */
#ifndef ROCKS_PLAYER_H
#define ROCKS_PLAYER_H

#include "go/board.h"
#include "mcts/mcts.h"
#include "util/util.h"

typedef enum {
  PLAYER_EVAL_ROLLOUT = 0, /* uniform priors + one random playout per leaf */
  PLAYER_EVAL_UNIFORM = 1, /* uniform priors, value 0 (search shape only) */
} player_eval_t;

typedef struct {
  int visits;          /* target root visits per move (reused visits count), >= 1 (default 800) */
  player_eval_t eval;  /* default PLAYER_EVAL_ROLLOUT */
  mcts_config_t mcts;  /* search settings (mcts_config_default; resign disabled) */
  int max_moves;       /* tree positions this many moves past the root are scored (0: 2*N*N) */
} player_config_t;

player_config_t player_config_default(void);

typedef struct player player_t;

player_t *player_new(const player_config_t *cfg, rocks_error_t *err);
void player_delete(player_t *p); /* accepts NULL */

/* gtp_genmove_fn (ctx = player_t *): searches the position b with `color` to move and returns the
 * most visited move (a point or BOARD_PASS), or BOARD_RESIGN by the resign threshold. Stops early
 * when `seconds` > 0 runs out. If the search fails it passes; player_last_error tells why.
 * The gtp rng is not used (the search is seeded by cfg.mcts.seed). */
int player_genmove(void *ctx, const board_t *b, int color, double seconds, rocks_rng_t *rng);

/* Last search error (code ROCKS_OK if none). */
const rocks_error_t *player_last_error(const player_t *p);
/* The underlying search (NULL before the first genmove); for stats and analysis. */
mcts_t *player_mcts(player_t *p);

#endif
