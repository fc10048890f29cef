/* player.c — MCTS Go player behind `rocks gtp --visits N` (see player.h).
 *
 * Each genmove: (re)build the search for the board size if needed, walk the previous root
 * forward along the moves played since (tree reuse), search until the root has cfg.visits
 * visits (or the time budget runs out), then answer the most visited move or resign.
 */
#include "play/player.h"

#include <stdlib.h>
#include <string.h>

#include "mcts/mcts_go.h"

struct player {
  player_config_t cfg;
  mcts_go_t *go;     /* game adapter + rollout evaluator for the current size */
  mcts_t *m;
  rocks_error_t last;
  board_t board;     /* the position searched (the GTP board with `color` to move) */
};

player_config_t player_config_default(void) {
  return (player_config_t){.visits = 800, .eval = PLAYER_EVAL_ROLLOUT, .mcts = mcts_config_default(), .max_moves = 0};
}

player_t *player_new(const player_config_t *cfg, rocks_error_t *err) {
  player_config_t c = cfg ? *cfg : player_config_default();
  if (c.visits < 1) {
    rocks_fail(err, ROCKS_ERR_ARG, "player: visits must be >= 1, got %d", c.visits);
    return NULL;
  }
  if (c.eval != PLAYER_EVAL_ROLLOUT && c.eval != PLAYER_EVAL_UNIFORM) {
    rocks_fail(err, ROCKS_ERR_ARG, "player: unknown evaluator %d", (int)c.eval);
    return NULL;
  }
  if (mcts_config_check(&c.mcts, err) != ROCKS_OK) return NULL;
  player_t *p = calloc(1, sizeof *p);
  if (!p) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "player: out of memory");
    return NULL;
  }
  p->cfg = c;
  return p;
}

void player_delete(player_t *p) {
  if (!p) return;
  mcts_delete(p->m);
  mcts_go_delete(p->go);
  free(p);
}

const rocks_error_t *player_last_error(const player_t *p) { return &p->last; }
mcts_t *player_mcts(player_t *p) { return p->m; }

/* Search objects for boards of `size`. */
static rocks_status_t rebuild(player_t *p, int size) {
  mcts_delete(p->m);
  mcts_go_delete(p->go);
  p->m = NULL;
  p->go = mcts_go_new(size, 0, p->cfg.mcts.seed, &p->last);
  if (!p->go) return p->last.code;
  mcts_eval_fn fn = p->cfg.eval == PLAYER_EVAL_UNIFORM ? mcts_go_eval_uniform : mcts_go_eval_rollout;
  p->m = mcts_new(mcts_go_game(p->go), &p->cfg.mcts, fn, p->go, &p->last);
  return p->m ? ROCKS_OK : p->last.code;
}

/* Moves the search root forward to `cur` along the actions played since (when cur's history
 * extends the root's), then sets cur as the root; the tree survives iff the position matches. */
static void follow(player_t *p, const board_t *cur) {
  const board_t *r = mcts_root_state(p->m);
  rocks_error_t e;
  if (r && (r->komi != cur->komi || r->rules.suicide != cur->rules.suicide || r->rules.ko != cur->rules.ko)) {
    mcts_clear(p->m);
  } else if (r && r->history_ok && cur->history_ok && r->nactions <= cur->nactions &&
             memcmp(r->actions, cur->actions, (size_t)r->nactions * sizeof r->actions[0]) == 0) {
    for (int i = r->nactions; i < cur->nactions; i++) {
      const board_action_t *a = &cur->actions[i];
      r = mcts_root_state(p->m);
      if (a->setup || a->color != r->to_play ||
          mcts_advance(p->m, board_policy_index(r, a->point), &e) != ROCKS_OK) {
        mcts_clear(p->m);
        break;
      }
    }
  } else if (r) {
    mcts_clear(p->m);
  }
  mcts_set_root(p->m, cur, &e); /* keeps the tree iff the hash matches; cannot fail here */
}

int player_genmove(void *ctx, const board_t *b, int color, double seconds, rocks_rng_t *rng) {
  player_t *p = ctx;
  (void)rng;
  p->last = (rocks_error_t){.code = ROCKS_OK, .msg = ""};
  if ((!p->go || mcts_go_size(p->go) != b->size) && rebuild(p, b->size) != ROCKS_OK) return BOARD_PASS;
  board_copy(&p->board, b);
  board_set_to_play(&p->board, color); /* GTP may ask for either colour */
  const int n2 = b->size * b->size;
  mcts_go_set_max_moves(p->go, b->move_count + (p->cfg.max_moves > 0 ? p->cfg.max_moves : 2 * n2));
  follow(p, &p->board);

  const double t0 = rocks_now();
  const int chunk = p->cfg.mcts.batch_size > 32 ? p->cfg.mcts.batch_size : 32;
  while (mcts_root_visits(p->m) < p->cfg.visits) {
    int want = p->cfg.visits - mcts_root_visits(p->m);
    if (mcts_search(p->m, want < chunk ? want : chunk, &p->last) != ROCKS_OK) break;
    if (seconds > 0 && rocks_now() - t0 >= seconds) break;
  }
  if (mcts_should_resign(p->m)) return BOARD_RESIGN;
  int action;
  rocks_error_t e;
  if (mcts_select_action(p->m, 0.0, &action, &e) != ROCKS_OK) {
    if (p->last.code == ROCKS_OK) p->last = e;
    return BOARD_PASS;
  }
  return board_policy_point(b, action);
}
