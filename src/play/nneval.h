/* nneval.h — a GoResNet position evaluator for the search: the network behind `rocks gtp --model`.
 *
 * What it is: the fast inference engine (nn/infer.h) over a checkpoint's network, fed with the
 * checkpoint's input feature set (go/feat.h), one of the 8 symmetries of the square per position
 * (random by default, from the evaluator's own seeded stream; or a fixed one), the policy mapped
 * back through the inverse symmetry and turned into probabilities by a softmax over the legal
 * moves of the player to move (superko included; illegal moves get exactly 0). The value is the
 * network's tanh output, for the player to move. nneval_mcts is an mcts_eval_fn over board_t
 * states (mcts/mcts_go.h), so a batch of leaves collected with virtual loss is one forward.
 * What it is not: a search, a cache, or thread-safe (one caller at a time; the inference engine
 * uses its own threads inside a call).
 *
 * defines: nneval_config_t, nneval_config_default, nneval_new, nneval_new_from_model,
 *          nneval_delete, nneval_size, nneval_features, nneval_config, nneval_eval, nneval_mcts
 */
#ifndef ROCKS_NNEVAL_H
#define ROCKS_NNEVAL_H

#include <stdint.h>

#include "go/board.h"
#include "go/feat.h"
#include "nn/nn.h"
#include "util/util.h"

typedef struct {
  int threads;       /* inference threads, the caller included (default 2)                    */
  int symmetry;      /* -1: a random symmetry per position (default); 0..7: always this one   */
  uint64_t seed;     /* seeds the symmetry stream (default 1)                                 */
  int max_batch;     /* positions per forward before buffers grow (default 16)                 */
} nneval_config_t;

nneval_config_t nneval_config_default(void);

typedef struct nneval nneval_t; /* opaque */

/* Loads the checkpoint at path (nn_checkpoint_load_new), reads its feature set from the
 * metadata ("agz" when empty) and builds the inference engine. cfg may be NULL (defaults).
 * NULL + err on a missing/corrupt file, an unknown feature set, a plane count that does not
 * match it, or a bad config. Free with nneval_delete (NULL ok). */
nneval_t *nneval_new(const char *path, const nneval_config_t *cfg, rocks_error_t *err);
/* The same over a model in memory (its weights are folded in: later changes are not seen). */
nneval_t *nneval_new_from_model(const goresnet_t *m, const nneval_config_t *cfg, rocks_error_t *err);
void nneval_delete(nneval_t *e);

/* The board size the network plays (its policy head is sized for it). */
int nneval_size(const nneval_t *e);
feat_set_t nneval_features(const nneval_t *e);
/* The network's architecture. */
const goresnet_config_t *nneval_model_config(const nneval_t *e);
/* Changes the symmetry mode (-1 random, 0..7 fixed). */
void nneval_set_symmetry(nneval_t *e, int symmetry);

/* Evaluates n >= 1 boards of the network's size (ROCKS_ERR_ARG otherwise), each for its
 * b->to_play: priors[i*(N*N+1) + a] (policy index a, pass last) sum to 1 over the legal moves,
 * 0 elsewhere; values[i] in [-1, 1] for the player to move. Either output may be NULL. */
rocks_status_t nneval_eval(nneval_t *e, const board_t *const *boards, int n, float *priors,
                           float *values, rocks_error_t *err);

/* mcts_eval_fn (ctx = nneval_t *; states are board_t). Returns 0 or the failing status. */
int nneval_mcts(void *ctx, const void *const *states, int n, float *priors, float *values);

/* Why the last failing nneval_mcts call failed. */
const rocks_error_t *nneval_last_error(const nneval_t *e);

/* Positions evaluated and forwards run since nneval_new. */
int64_t nneval_positions(const nneval_t *e);
int64_t nneval_forwards(const nneval_t *e);

#endif
