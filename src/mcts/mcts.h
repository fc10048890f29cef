/* mcts.h — PUCT Monte-Carlo tree search over an abstract two-player game (AlphaZero style).
 *
 * What it is: a search tree whose nodes live in one pool (array) with a hard cap, selection by
 * PUCT with the AlphaZero exploration schedule c(s), first-play urgency, batched leaf evaluation
 * with virtual loss through a batch evaluator callback, root Dirichlet noise, temperature move
 * selection, the visit distribution as a policy target, tree reuse across moves, resignation and
 * principal variations. Go is one game (mcts_go.h); toy games (tests) plug in the same way.
 * What it is not: a rules engine or a network — both come in through callbacks.
 *
 * ---- The game interface (mcts_game_t) ----
 * A state is a plain block of state_size bytes, copied with game.copy (memcpy when NULL). Actions
 * are integers 0..num_actions-1 (for Go the policy index: y*N+x, pass = N*N). The player to move
 * must alternate with every action (true for Go: a pass is an action). terminal() reports the
 * outcome in [-1, 1] for the player to move in the terminal state.
 *
 * ---- Tree, exactly (a Python reference reproduces visit counts with batch_size 1) ----
 * Node x reached from node s by action a carries:
 *   N(x)   int32 visit count (completed simulations through x; the evaluation that expanded x
 *          counts as its first visit),
 *   W(x)   double, sum of backed-up values from the perspective of the player to move at s
 *          (the player who chose a); Q(s,a) = W(x)/N(x),
 *   P(x)   float prior, logP(x) = (float)log(P) (float; -inf for P = 0),
 *   VL(x)  in-flight simulations through x (virtual loss count; 0 between searches).
 * The root's W is from the perspective of the player who moved into the root, so the root value
 * for the player to move there is -W(root)/N(root).
 *
 * Expansion of s with evaluator output (p[0..A-1], v): the legal actions a_1 < a_2 < ... < a_k
 * become one contiguous block of children in ascending action order. Priors are renormalised over
 * the legal actions in double: p_a := (float)p_a if finite and > 0 else 0, S = sum over legal a in
 * ascending order, P_a = p_a/S (P_a = 1/k if S <= 0), stored as (float)P_a. v (float, clamped to
 * [-1,1]) is for the player to move at s.
 *
 * Backup of value v (for the player to move at the leaf L): W(L) += -v, W(parent of L) += +v,
 * and so on alternating up to the root; N += 1 on every node of the path. A terminal node is
 * never expanded; each visit backs up its stored outcome the same way. All in double.
 *
 * Selection at expanded node s (L = config.virtual_loss, all arithmetic in double, in this order):
 *   Ns   = N(s) + L*VL(s)
 *   c    = log((1 + Ns + c_base) / c_base) + c_init
 *   for each child x in ascending action order:
 *     n  = N(x) + L*VL(x)
 *     q  = n > 0 ? (W(x) - L*VL(x)) / n : fpu
 *     u  = c * P(x) * sqrt(Ns) / (1 + n)
 *     pick x with the greatest q + u; ties go to the lowest action (first maximum wins).
 *   fpu (first-play urgency, for children with n == 0):
 *     MCTS_FPU_REDUCTION: fpu = Qs - fpu_value * sqrt(sum of P(x) over children with N(x) > 0),
 *                         Qs = -W(s)/N(s) (value of s for its player to move; no virtual loss);
 *     MCTS_FPU_ABSOLUTE:  fpu = fpu_value.
 *   (Ns is the parent's own visit count, i.e. 1 + sum of its children's N for a node expanded in
 *   the tree, as in the AlphaZero pseudocode, so the prior matters from the first selection.)
 *
 * Batched search: up to batch_size leaves are collected per evaluator call. Once a path to a fresh
 * leaf is complete, VL += 1 on every node of it (root included) until its value is backed up (a
 * path's own virtual loss never affects its own selection, so batch_size 1 never sees any). A path
 * ending in a terminal node is backed up at once, without virtual loss. A path ending at a leaf
 * already waiting in this batch is a collision: it is dropped (not a simulation) and the batch is
 * evaluated as collected so far. Non-finite evaluator values are an error (ROCKS_ERR_STATE).
 *
 * Root noise (config.dirichlet): when the root is expanded (or at the start of the first search
 * after it became the root) P(x) := (float)((1-eps)*P(x) + eps*eta_x), eta ~ Dir(alpha) over the
 * root's legal actions, alpha = dirichlet_alpha, or 0.03*361/k when dirichlet_alpha == 0. Only the
 * root's children change. Deterministic: all randomness (noise, temperature sampling) comes from
 * one xoshiro stream seeded with config.seed (re-seeded by mcts_new only).
 *
 * Memory: nodes come from a pool grown on demand up to config.max_nodes (hard cap). When an
 * expansion would exceed it, mcts_search stops and returns ROCKS_ERR_NOMEM with a message; the
 * tree stays valid (statistics so far are kept, search can still pick a move). mcts_advance keeps
 * the chosen child's subtree and compacts it to the front of the pool (no extra memory).
 *
 * Threading: an mcts_t is used by one thread at a time. Library code never prints or exits.
 */
#ifndef ROCKS_MCTS_H
#define ROCKS_MCTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* ---- game interface ---- */

typedef struct mcts_game {
  int num_actions;    /* A: size of the action space (and of every policy vector) */
  size_t state_size;  /* bytes of one state */
  void *ctx;          /* passed to every callback */
  /* dst = src (both state_size bytes). NULL: memcpy. */
  void (*copy)(void *ctx, void *dst, const void *src);
  /* Writes the legal actions of a non-terminal state into actions[] (room for num_actions),
   * any order; returns the count (>= 1 for a non-terminal state). */
  int (*legal)(void *ctx, const void *state, int *actions);
  /* Plays a legal action in place. */
  void (*play)(void *ctx, void *state, int action);
  /* Identifier of the player to move (any two distinct ints, e.g. COLOR_BLACK/COLOR_WHITE). */
  int (*to_play)(void *ctx, const void *state);
  /* true if the game is over; then *outcome = result in [-1, 1] for the player to move. */
  bool (*terminal)(void *ctx, const void *state, double *outcome);
  /* A hash of the position (and player to move); equal states hash equal. */
  uint64_t (*hash)(void *ctx, const void *state);
} mcts_game_t;

/* ---- evaluator ----
 * Batch callback: states[i] (i < n) are positions to evaluate (non-terminal, owned by the search,
 * valid only during the call). Writes priors[i*A + a] (n x A probabilities; entries of illegal
 * actions are ignored, the rest renormalised) and values[i] in [-1, 1] for the player to move in
 * states[i]. Returns 0 on success, or a nonzero error (a rocks_status_t if it has one). */
typedef int (*mcts_eval_fn)(void *ctx, const void *const *states, int n, float *priors, float *values);

/* ---- configuration ---- */

typedef enum {
  MCTS_FPU_REDUCTION = 0, /* fpu = Q(parent) - fpu_value * sqrt(visited prior mass) (Leela Zero) */
  MCTS_FPU_ABSOLUTE = 1,  /* fpu = fpu_value */
} mcts_fpu_mode_t;

typedef struct {
  double c_init;            /* 1.25 */
  double c_base;            /* 19652 */
  mcts_fpu_mode_t fpu_mode; /* MCTS_FPU_REDUCTION */
  double fpu_value;         /* 0.25 (a reduction, or the absolute Q of unvisited children) */
  int batch_size;           /* leaves per evaluator call, 1..4096 (default 1) */
  double virtual_loss;      /* L: each in-flight path counts as L lost visits (default 1) */
  bool dirichlet;           /* root noise on/off (default false; self-play turns it on) */
  double dirichlet_alpha;   /* 0 = auto: 0.03*361/(legal root actions) */
  double dirichlet_epsilon; /* 0.25 */
  double temperature;       /* used by mcts_select_action when it is passed a negative value (0) */
  double resign_threshold;  /* resign when root value and best child Q < this; <= -1 never (-1) */
  uint64_t seed;            /* seeds noise and temperature sampling (1) */
  int64_t max_nodes;        /* hard cap on pool nodes, >= 2 (default 1<<22 = 128 MiB) */
} mcts_config_t;

/* The defaults above. */
mcts_config_t mcts_config_default(void);
/* ROCKS_ERR_ARG with a message if a field is out of range. */
rocks_status_t mcts_config_check(const mcts_config_t *cfg, rocks_error_t *err);

/* ---- the search ---- */

typedef struct mcts mcts_t;

/* New search for `game` (the table is copied; its ctx must outlive the search) with evaluator
 * eval(eval_ctx, ...). No root yet: call mcts_set_root. NULL with err filled on failure. */
mcts_t *mcts_new(const mcts_game_t *game, const mcts_config_t *cfg, mcts_eval_fn eval, void *eval_ctx,
                 rocks_error_t *err);
void mcts_delete(mcts_t *m); /* accepts NULL */

/* Replaces the evaluator (the tree is kept). */
void mcts_set_evaluator(mcts_t *m, mcts_eval_fn eval, void *eval_ctx);
/* Current configuration. */
mcts_config_t mcts_get_config(const mcts_t *m);
/* Changes the configuration between searches (the tree is kept; the seed does not re-seed;
 * max_nodes may not drop below the nodes in use). ROCKS_ERR_ARG if invalid. */
rocks_status_t mcts_set_config(mcts_t *m, const mcts_config_t *cfg, rocks_error_t *err);

/* Copies `state` as the new root and clears the tree — unless a root is set and the new state has
 * the same game.hash as the current root, in which case the tree is kept (hash match is trusted). */
rocks_status_t mcts_set_root(mcts_t *m, const void *state, rocks_error_t *err);
/* Drops the tree, keeping the root state. */
void mcts_clear(mcts_t *m);
/* The root state (NULL before mcts_set_root). Read-only. */
const void *mcts_root_state(const mcts_t *m);
int mcts_num_actions(const mcts_t *m);

/* Runs `simulations` more completed simulations (evaluated leaves + terminal visits) from the
 * root. Errors: ROCKS_ERR_STATE (no root, root is terminal, evaluator failed, game reported no
 * legal actions), ROCKS_ERR_NOMEM (pool cap reached: the tree keeps what was done). */
rocks_status_t mcts_search(mcts_t *m, int simulations, rocks_error_t *err);

/* ---- step API: one search split in two, to evaluate the leaves of many trees in one batch ----
 * mcts_search(m, n) is exactly this loop (the same trees, statistics, RNG draws and errors):
 *     done = 0
 *     while done < n:
 *       mcts_collect(m, min(n - done, batch_size), &states, &k, &t); done += t
 *       if k > 0: evaluate states[0..k) into priors (k x A), values (k); mcts_apply(...); done += k
 * mcts_collect selects up to `want` paths (clipped to config.batch_size): terminal visits are
 * backed up at once and counted in *completed; fresh leaves are left pending (virtual loss on)
 * and their states returned in *states[0..*nleaves) (owned by the search, valid until
 * mcts_apply / mcts_abandon). Collection stops early at a collision or at the pool cap. A
 * driver that evaluates several trees' leaves together gets, tree by tree, the search that
 * mcts_search with the same batch_size and the same evaluator outputs gives (the batch a
 * tree's leaves share with other trees does not matter: each tree only ever sees its own).
 * Errors: as mcts_search; ROCKS_ERR_STATE when leaves are already pending; ROCKS_ERR_NOMEM at
 * the pool cap when no leaf could be collected (mcts_apply returns it after applying a batch
 * that stopped at the cap). mcts_abandon drops pending leaves (virtual loss off, e.g. when the
 * caller's evaluator failed). mcts_advance abandons pending leaves; mcts_set_config refuses. */
rocks_status_t mcts_collect(mcts_t *m, int want, const void *const **states, int *nleaves, int *completed,
                            rocks_error_t *err);
rocks_status_t mcts_apply(mcts_t *m, const float *priors, const float *values, rocks_error_t *err);
void mcts_abandon(mcts_t *m);
/* Leaves collected and waiting for mcts_apply (0 or the last *nleaves). */
int mcts_pending(const mcts_t *m);

/* ---- results at the root ---- */

/* Root visit count N(root) (0 before the first simulation). */
int32_t mcts_root_visits(const mcts_t *m);
/* Root value for the player to move at the root: -W(root)/N(root); 0 when unvisited. */
double mcts_root_value(const mcts_t *m);
/* Per-action statistics of the root's children, arrays of num_actions (each may be NULL):
 * visits[a] = N, q[a] = Q(root,a) (0 when N = 0), prior[a] = P as used (after noise). Actions that
 * are not children (illegal, or root not expanded) get 0. Returns the number of children. */
int mcts_root_stats(const mcts_t *m, int32_t *visits, double *q, double *prior);
/* Policy target: pi[a] = N(root,a) / sum_b N(root,b) (num_actions floats). ROCKS_ERR_STATE if no
 * child has a visit. */
rocks_status_t mcts_policy_target(const mcts_t *m, float *pi, rocks_error_t *err);
/* Picks a root action: temperature 0 (or < 1e-3): the most visited, ties to the lowest action;
 * otherwise sampled with probability proportional to N^(1/temperature) from the search RNG.
 * A negative temperature means config.temperature. ROCKS_ERR_STATE if no child has a visit. */
rocks_status_t mcts_select_action(mcts_t *m, double temperature, int *action, rocks_error_t *err);
/* Resignation: resign_threshold > -1, the root has visits, root value < threshold and the Q of
 * the most visited child < threshold. */
bool mcts_should_resign(const mcts_t *m);
/* Principal variation: from the root, repeatedly the most visited child (ties: lowest action)
 * while it has visits. Writes up to max actions; returns the count. */
int mcts_pv(const mcts_t *m, int *actions, int max);

/* Plays `action` at the root, keeping its subtree (statistics intact) as the new tree; the rest
 * is freed. ROCKS_ERR_ILLEGAL if the action is not legal at the root, ROCKS_ERR_STATE if no root. */
rocks_status_t mcts_advance(mcts_t *m, int action, rocks_error_t *err);

/* ---- statistics ---- */

typedef struct {
  int64_t nodes_used;       /* nodes in the tree now */
  int64_t nodes_capacity;   /* pool slots allocated now (grows up to max_nodes) */
  int64_t max_nodes;        /* the hard cap */
  size_t bytes_per_node;    /* sizeof one pool node */
  size_t bytes_allocated;   /* pool + scratch buffers */
  int64_t simulations;      /* completed simulations since mcts_new */
  int64_t evaluations;      /* states sent to the evaluator */
  int64_t batches;          /* evaluator calls */
  int64_t collisions;       /* batches cut short by a collision */
  int64_t terminal_visits;  /* simulations that ended in a terminal node */
  int max_depth;            /* deepest selection path (edges) since mcts_new */
} mcts_stats_t;

void mcts_get_stats(const mcts_t *m, mcts_stats_t *stats);

/* ---- built-in evaluators (usable with any game) ----
 * mcts_eval_uniform: ctx = the const mcts_game_t *; priors 1/A, values 0.
 * mcts_eval_rollout: ctx = an mcts_rollout_t; priors 1/A, value = outcome of one uniformly random
 *   playout through the game interface (legal/play/terminal), seen by the player to move in the
 *   evaluated state (0 if it runs past max_len plies). Deterministic given the seed. */
int mcts_eval_uniform(void *ctx, const void *const *states, int n, float *priors, float *values);

typedef struct mcts_rollout mcts_rollout_t;
/* max_len: playout length cap in plies (<= 0: 1000). The game table is copied. */
mcts_rollout_t *mcts_rollout_new(const mcts_game_t *game, uint64_t seed, int max_len, rocks_error_t *err);
void mcts_rollout_delete(mcts_rollout_t *r); /* accepts NULL */
int mcts_eval_rollout(void *ctx, const void *const *states, int n, float *priors, float *values);

#endif
