/* mcts_go.c — Go adapter for the search (board_t states, policy-index actions) and the built-in
 * uniform / random-rollout evaluators. See mcts_go.h for the contracts.
 */
#include "mcts/mcts_go.h"

#include <stdlib.h>
#include <string.h>

struct mcts_go {
  mcts_game_t game;   /* ctx = this */
  int size;
  int max_moves;      /* 0 = no cap */
  int pass_rule;      /* MCTS_GO_PASS_* */
  int rollout_moves;  /* <= 0: board_playout default */
  int rollouts;       /* playouts averaged per evaluation (>= 1) */
  rocks_rng_t rng;    /* rollouts */
  board_t scratch;    /* rollout board */
};

static void go_copy(void *ctx, void *dst, const void *src) {
  (void)ctx;
  board_copy(dst, src);
}

static int go_legal(void *ctx, const void *state, int *actions) {
  const mcts_go_t *g = ctx;
  const board_t *b = state;
  int moves[BOARD_MAX_MOVES];
  int n = board_legal_moves(b, b->to_play, moves); /* points in row-major order, pass last */
  int k = 0;
  if (g->pass_rule == MCTS_GO_PASS_WHEN_DONE) { /* points that fill no own eye; pass when none */
    for (int i = 0; i < n; i++)
      if (moves[i] != BOARD_PASS && !board_is_eye(b, moves[i], b->to_play)) actions[k++] = board_policy_index(b, moves[i]);
    if (k > 0) return k;
  }
  for (int i = 0; i < n; i++) actions[i] = board_policy_index(b, moves[i]);
  return n;
}

static void go_play(void *ctx, void *state, int action) {
  (void)ctx;
  board_t *b = state;
  board_play_legal(b, b->to_play, board_policy_point(b, action));
}

static int go_to_play(void *ctx, const void *state) {
  (void)ctx;
  return ((const board_t *)state)->to_play;
}

/* Outcome of a scored board for `color`: +1 win, -1 loss, 0 jigo. */
static double go_result(const board_t *b, int color) {
  double s = board_score(b, NULL, NULL); /* black - white - komi */
  double black = s > 0 ? 1.0 : s < 0 ? -1.0 : 0.0;
  return color == COLOR_BLACK ? black : -black;
}

static bool go_terminal(void *ctx, const void *state, double *outcome) {
  const mcts_go_t *g = ctx;
  const board_t *b = state;
  bool over = board_game_over(b) || (g->max_moves > 0 && b->move_count >= g->max_moves) ||
              b->nactions >= BOARD_MAX_HISTORY || !b->history_ok;
  if (over) *outcome = go_result(b, b->to_play);
  return over;
}

static uint64_t go_hash(void *ctx, const void *state) {
  (void)ctx;
  const board_t *b = state;
  uint64_t h = b->hash;
  h = rocks_mix64(h ^ ((uint64_t)b->to_play << 56));
  h = rocks_mix64(h ^ ((uint64_t)(unsigned)b->ko_point << 8) ^ (uint64_t)b->passes);
  return h;
}

mcts_go_t *mcts_go_new(int size, int max_moves, uint64_t seed, rocks_error_t *err) {
  if (size < BOARD_MIN_SIZE || size > BOARD_MAX_SIZE) {
    rocks_fail(err, ROCKS_ERR_ARG, "mcts_go: board size %d not in %d..%d", size, BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    return NULL;
  }
  mcts_go_t *g = calloc(1, sizeof *g);
  if (!g) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "mcts_go: out of memory");
    return NULL;
  }
  g->size = size;
  g->max_moves = max_moves > 0 ? max_moves : 0;
  g->rollouts = 1;
  rocks_rng_seed(&g->rng, seed);
  g->game = (mcts_game_t){
      .num_actions = size * size + 1,
      .state_size = sizeof(board_t),
      .ctx = g,
      .copy = go_copy,
      .legal = go_legal,
      .play = go_play,
      .to_play = go_to_play,
      .terminal = go_terminal,
      .hash = go_hash,
  };
  return g;
}

void mcts_go_delete(mcts_go_t *g) { free(g); }
const mcts_game_t *mcts_go_game(const mcts_go_t *g) { return &g->game; }
int mcts_go_size(const mcts_go_t *g) { return g->size; }
void mcts_go_set_max_moves(mcts_go_t *g, int max_moves) { g->max_moves = max_moves > 0 ? max_moves : 0; }
void mcts_go_set_pass_rule(mcts_go_t *g, int rule) { g->pass_rule = rule == MCTS_GO_PASS_WHEN_DONE ? rule : MCTS_GO_PASS_ANY; }
void mcts_go_set_rollout_moves(mcts_go_t *g, int rollout_moves) { g->rollout_moves = rollout_moves; }
void mcts_go_seed(mcts_go_t *g, uint64_t seed) { rocks_rng_seed(&g->rng, seed); }
void mcts_go_set_rollouts(mcts_go_t *g, int rollouts) { g->rollouts = rollouts > 1 ? rollouts : 1; }

/* priors[i*A ..] = 1/A for n positions */
static void uniform_priors(const mcts_go_t *g, int n, float *priors) {
  const int A = g->game.num_actions;
  const float p = 1.0f / (float)A;
  for (size_t i = 0; i < (size_t)n * (size_t)A; i++) priors[i] = p;
}

int mcts_go_eval_uniform(void *ctx, const void *const *states, int n, float *priors, float *values) {
  (void)states;
  uniform_priors(ctx, n, priors);
  for (int i = 0; i < n; i++) values[i] = 0.0f;
  return 0;
}

int mcts_go_eval_rollout(void *ctx, const void *const *states, int n, float *priors, float *values) {
  mcts_go_t *g = ctx;
  uniform_priors(g, n, priors);
  for (int i = 0; i < n; i++) {
    const board_t *b = states[i];
    if (b->size != g->size) return ROCKS_ERR_ARG;
    double sum = 0;
    for (int r = 0; r < g->rollouts; r++) {
      board_copy(&g->scratch, b);
      board_playout(&g->scratch, &g->rng, g->rollout_moves);
      sum += go_result(&g->scratch, b->to_play);
    }
    values[i] = (float)(sum / g->rollouts);
  }
  return 0;
}
