/* mcts_go.h — Go as an mcts_game_t over board_t, and the built-in Go evaluators.
 *
 * States are board_t (state_size = sizeof(board_t), copied with board_copy). Actions are policy
 * indices: y*N + x for points, N*N for pass (num_actions = N*N + 1). legal() = board_legal_moves
 * for b->to_play (full legality, superko included); play() = board_play_legal. A state is terminal
 * after two passes, when b->move_count >= max_moves (if max_moves > 0), or when the game history
 * is full; the outcome is the sign of the Tromp-Taylor board_score for the player to move
 * (+1 win, -1 loss, 0 jigo). hash() mixes the colouring hash, the player to move, the simple-ko
 * point and the pass count (positional-superko history is not part of it).
 *
 * Evaluators (ctx = the mcts_go_t):
 *   mcts_go_eval_uniform: priors 1/A, value 0.
 *   mcts_go_eval_rollout: priors 1/A, value = the mean over `rollouts` (default 1) board_playouts
 *     (random non-eye-filling moves, no superko) on a scratch copy, each scored by board_score:
 *     +1/-1/0 for the player to move in the evaluated state. Deterministic given the seed (one rng
 *     stream per mcts_go_t).
 */
#ifndef ROCKS_MCTS_GO_H
#define ROCKS_MCTS_GO_H

#include <stdint.h>

#include "go/board.h"
#include "mcts/mcts.h"
#include "util/util.h"

typedef struct mcts_go mcts_go_t;

/* Go adapter for boards of `size` (2..19). max_moves: positions with move_count >= max_moves are
 * terminal (0 = no cap besides the history). seed: the rollout rng. NULL with err on failure. */
mcts_go_t *mcts_go_new(int size, int max_moves, uint64_t seed, rocks_error_t *err);
void mcts_go_delete(mcts_go_t *g); /* accepts NULL */
/* The game table (ctx = g), valid while g lives. */
const mcts_game_t *mcts_go_game(const mcts_go_t *g);
int mcts_go_size(const mcts_go_t *g);
void mcts_go_set_max_moves(mcts_go_t *g, int max_moves);
/* Pass rule of legal(): MCTS_GO_PASS_ANY (default: pass is always an action) or
 * MCTS_GO_PASS_WHEN_DONE: the actions are the legal points that do not fill one of the mover's
 * own eyes (board_is_eye), and when there is none, every legal move (pass included) — the
 * random-playout policy. Self-play and evaluation use the
 * latter: with small searches, games otherwise collapse into "a few stones, pass, pass" (under
 * Tromp-Taylor a few stones own the empty board), and a filled board scores exactly. */
enum { MCTS_GO_PASS_ANY = 0, MCTS_GO_PASS_WHEN_DONE = 1 };
void mcts_go_set_pass_rule(mcts_go_t *g, int rule);
/* Playout length cap for mcts_go_eval_rollout (<= 0: board_playout's default 3*N*N). */
void mcts_go_set_rollout_moves(mcts_go_t *g, int rollout_moves);
/* Playouts averaged per evaluation by mcts_go_eval_rollout (< 1: 1). */
void mcts_go_set_rollouts(mcts_go_t *g, int rollouts);
/* Re-seeds the rollout rng. */
void mcts_go_seed(mcts_go_t *g, uint64_t seed);

int mcts_go_eval_uniform(void *ctx, const void *const *states, int n, float *priors, float *values);
int mcts_go_eval_rollout(void *ctx, const void *const *states, int n, float *priors, float *values);

#endif
