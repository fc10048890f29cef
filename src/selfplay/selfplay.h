/* selfplay.h — AlphaZero self-play: many games per process, their MCTS leaves evaluated together.
 *
 * What it is: a driver that keeps G games in flight, each with its own mcts_t over Go
 * (mcts_go.h). One round (selfplay_step) collects up to `batch` leaves from every game whose
 * search is running (mcts_collect), evaluates all of them in ONE evaluator call (a GoResNet
 * through nn_infer_forward, or any selfplay_eval_fn), and hands each tree its own slice back
 * (mcts_apply). Games whose search reached its visit budget then pick and play a move.
 *
 * Batching rule: a tree's search only ever sees its own leaves, collected exactly as
 * mcts_search with batch_size = `batch` collects them, so a game's moves do not depend on G or
 * on which other games share a batch — given an evaluator whose output for a position does not
 * depend on the rest of the batch (exactly true for a pure function, true up to float rounding
 * for the network). tests/test_selfplay.c checks G = 1 and G = 4 give identical episodes.
 *
 * Per game k (seeded by splitmix64(seed ^ k): tree noise, temperature, its own coin flips):
 *   - playout cap randomization (KataGo): each move is a full search of `visits` new
 *     simulations with probability full_prob (root Dirichlet noise on, recorded as a training
 *     position with the visit distribution as policy target) or else a fast search of
 *     `fast_visits` (no noise, not a training position). full_prob 1 = plain AlphaZero;
 *   - temperature: moves < temp_moves are sampled with probability ∝ N (T = 1), later the most
 *     visited move (T = 0);
 *   - resignation: the player to move resigns when the root value and the best child's Q are
 *     below resign_threshold (after min_resign_move moves); a resign_disabled_frac share of
 *     the games never resigns and records whether (and who) would have resigned: a false
 *     positive is a game the would-be resigner went on to win or draw (selfplay_stats_t);
 *   - move cap: a game stops after max_moves moves and is scored by Tromp-Taylor area;
 *   - pass only when every other move fills an own eye (pass_rule, mcts_go_set_pass_rule): tiny
 *     searches otherwise collapse into "a few stones, pass, pass" games;
 *   - a random one of the 8 symmetries per evaluation (symmetries = 1), inverse-mapped back.
 * Tree reuse: the chosen move's subtree is kept; the budget counts new simulations per move.
 *
 * What it is not: I/O. Finished games come out through a callback as replay_episode_t
 * (src/replay/episode.h); selfplay_worker.c turns them into shards, spool files, replay pushes.
 */
#ifndef ROCKS_SELFPLAY_H
#define ROCKS_SELFPLAY_H

#include <stdint.h>

#include "go/board.h"
#include "go/feat.h"
#include "mcts/mcts.h"
#include "nn/infer.h"
#include "nn/nn.h"
#include "replay/episode.h"
#include "util/util.h"

typedef struct {
  int size;                     /* board size (9)                                              */
  float komi;                   /* 7.5                                                          */
  int games_in_flight;          /* G (16)                                                       */
  int visits;                   /* full search: new simulations per move (64)                   */
  int fast_visits;              /* fast search (16)                                             */
  double full_prob;             /* probability of a full search (0.25); 1 = every move          */
  int batch;                    /* leaves per tree per round (8)                                */
  int temp_moves;               /* moves played at T = 1 (8 on 9x9)                             */
  double resign_threshold;      /* -0.9; <= -1 never resign                                     */
  int min_resign_move;          /* no resignation before this move (20)                         */
  double resign_disabled_frac;  /* 0.1                                                          */
  int max_moves;                /* move cap (0 = 2*N*N)                                         */
  int pass_rule;                /* MCTS_GO_PASS_WHEN_DONE (1) or _ANY (0)                       */
  double dirichlet_alpha;       /* 0 = 0.03*361/legal                                          */
  double dirichlet_epsilon;     /* 0.25                                                         */
  int symmetries;               /* random symmetry per evaluation (1)                           */
  feat_set_t features;          /* network input (agz)                                          */
  int threads;                  /* inference threads (1)                                        */
  uint64_t seed;                /* game k draws from splitmix64(seed ^ k) (1)                   */
  int64_t id_base;              /* episode game ids id_base + k (0)                             */
} selfplay_config_t;

selfplay_config_t selfplay_config_default(void);
rocks_status_t selfplay_config_check(const selfplay_config_t *c, rocks_error_t *err);

/* Batch evaluator over boards: priors (n x (N*N+1)) and values (n) for the player to move. */
typedef int (*selfplay_eval_fn)(void *ctx, const board_t *const *boards, int n, float *priors, float *values);

/* ---- the network evaluator: GoResNet through the fast inference path ---- */
typedef struct selfplay_nn selfplay_nn_t;
/* Engine over a copy of m's weights (m may be freed afterwards). */
selfplay_nn_t *selfplay_nn_new(const goresnet_t *m, feat_set_t features, int threads, rocks_error_t *err);
void selfplay_nn_delete(selfplay_nn_t *e);
/* Evaluates boards[0..n): features, symmetry (sym[i] in 0..7, NULL = identity), one forward,
 * softmax of the policy logits mapped back through the inverse symmetry. */
rocks_status_t selfplay_nn_eval(selfplay_nn_t *e, const board_t *const *boards, const int *sym, int n, float *priors,
                                float *values, rocks_error_t *err);
int64_t selfplay_nn_positions(const selfplay_nn_t *e); /* positions evaluated so far */

/* ---- the driver ---- */
typedef struct {
  int64_t games_started, games_finished;
  int64_t moves, full_moves;          /* moves played; of them full searches (training positions) */
  int64_t simulations;                /* completed simulations of every tree                     */
  int64_t evaluations, batches;       /* positions evaluated, evaluator calls                     */
  int64_t resigned;                   /* games ended by resignation                               */
  int64_t resign_disabled;            /* finished games with resignation disabled                 */
  int64_t would_resign;               /* of those, games where someone would have resigned        */
  int64_t false_positives;            /* of those, games the would-be resigner won or drew        */
  int64_t move_cap;                   /* games ended at the move cap                              */
  int64_t black_wins, white_wins, draws;
} selfplay_stats_t;

/* Called once per finished game; the episode is valid during the call only. Nonzero aborts. */
typedef int (*selfplay_episode_fn)(void *ctx, const replay_episode_t *ep);

typedef struct selfplay selfplay_t;

/* A driver that will start `max_games` games in total (< 0: no limit). The evaluator is set
 * with selfplay_set_nn or selfplay_set_eval before the first step. */
selfplay_t *selfplay_new(const selfplay_config_t *c, int64_t max_games, rocks_error_t *err);
void selfplay_delete(selfplay_t *s);
/* Evaluate with a network engine (borrowed; may be swapped between steps, e.g. a newer model)
 * and name the model in the episodes it plays from now on. */
void selfplay_set_nn(selfplay_t *s, selfplay_nn_t *e, const char *model_id);
/* Or with any evaluator (tests, the uniform baseline). */
void selfplay_set_eval(selfplay_t *s, selfplay_eval_fn fn, void *ctx, const char *model_id);
/* One round: collect leaves from every running search, evaluate them together, apply, play the
 * moves of searches that are done, finish games (callback), start new ones. Returns ROCKS_OK;
 * *finished (may be NULL) = 1 when max_games games have finished. */
rocks_status_t selfplay_step(selfplay_t *s, selfplay_episode_fn on_episode, void *ctx, int *finished,
                             rocks_error_t *err);
/* Steps until max_games games have finished (max_games must be >= 0). */
rocks_status_t selfplay_run(selfplay_t *s, selfplay_episode_fn on_episode, void *ctx, rocks_error_t *err);
void selfplay_get_stats(const selfplay_t *s, selfplay_stats_t *st);

/* ---- episodes ---- */
/* Deep copy (dst's arrays malloc'd; free with replay_episode_free_arrays). */
rocks_status_t selfplay_episode_copy(replay_episode_t *dst, const replay_episode_t *src, rocks_error_t *err);
void selfplay_episode_free(replay_episode_t *ep);
/* Dense policy targets (nmoves x (N*N+1), zero rows for fast-search moves; malloc'd). */
float *selfplay_episode_dense(const replay_episode_t *ep);
/* Writes episodes as one shard (ds_shard_write_targets): full-search positions only, with the
 * visit distributions as `policy_dist`. meta_json may be NULL. */
rocks_status_t selfplay_write_shard(const char *path, const replay_episode_t *eps, int n, const char *meta_json,
                                    rocks_error_t *err);

#endif

/* ==================================================================== worker (worker.c) === */
/* `rocks selfplay`: the driver in a loop that follows the newest model and stores every game.
 *
 *   MODELS/latest                  name of the newest model file (written atomically by the
 *                                  trainer after the model file itself): polled every poll_s;
 *                                  no file yet = a random network of blocks x channels (seed)
 *   OUT/shards/shard-%06d.npz      finished games, shard_games per shard (selfplay_write_shard)
 *   OUT/spool/ep-%012lld.npz       episodes not yet acknowledged by the replay service (push):
 *                                  written before the push, deleted after it; re-sent first on
 *                                  every model poll, so no finished game is lost while it is
 *                                  down; at the end the worker waits until the spool is empty
 *                                  (a stop request leaves it for the next start)
 *   OUT/worker.json                games and shards so far (atomic; a restart continues numbering
 *                                  and seeds from there)
 *   OUT/selfplay.csv               one row per shard: throughput, resignation false positives
 */
#include <signal.h>

/* Push hook: 0 = stored; 1 = not now (service down, deadline): keep it in the spool and retry;
 * 2 = refused as invalid: moved to spool/ep-N.npz.rejected, never retried (counted). */
typedef int (*selfplay_push_fn)(void *ctx, const replay_episode_t *ep, rocks_error_t *err);

typedef struct {
  selfplay_config_t sp;
  const char *models;           /* models folder (may be empty or missing)                      */
  const char *out;              /* output folder                                                */
  const char *worker_id;        /* "w0"                                                         */
  int64_t games;                /* games to finish (< 0: until *stop)                           */
  int shard_games;              /* 32                                                           */
  double poll_s;                /* 2                                                            */
  int blocks, channels;         /* random network when no model is published (4, 32)            */
  selfplay_push_fn push;        /* NULL: shards only                                            */
  void *push_ctx;
  volatile sig_atomic_t *stop;  /* set (e.g. by SIGINT): finish the shard in hand and return    */
} selfplay_worker_config_t;

typedef struct {
  int64_t games, shards, positions, pushed, spooled, rejected;
  double seconds, games_per_hour, visits_per_s;
  char model_id[64];
  selfplay_stats_t stats;
} selfplay_worker_progress_t;
typedef void (*selfplay_worker_progress_fn)(const selfplay_worker_progress_t *p, void *ctx);

selfplay_worker_config_t selfplay_worker_config_default(void);
rocks_status_t selfplay_worker_run(const selfplay_worker_config_t *c, selfplay_worker_progress_fn progress, void *ctx,
                                   rocks_error_t *err);

/* Episode files (the spool): one episode as a small .npz, written atomically. */
rocks_status_t selfplay_episode_save(const char *path, const replay_episode_t *ep, rocks_error_t *err);
rocks_status_t selfplay_episode_load(const char *path, replay_episode_t *ep, rocks_error_t *err);

/* The newest published model of a models folder: its file name (from MODELS/latest) into name;
 * ROCKS_ERR_STATE if nothing is published yet. */
rocks_status_t selfplay_latest_model(const char *models, char *name, size_t len, rocks_error_t *err);

/* ===================================================================== matches (match.c) === */
/* Evaluation games between two players, for `rocks zero`: a network with MCTS (no noise, the
 * first open_moves plies of the game sampled at T = 1 from the visits so that games differ,
 * then the most visited move), the uniformly random player (random legal moves that do not
 * fill an own eye; pass when none), or GNU Go over GTP (--level L --chinese-rules
 * --capture-all-dead, so that Tromp-Taylor scoring of the final board is fair). Colours
 * alternate (player a is black in even games). Rules: chinese (area scoring, positional superko,
 * no suicide: what GNU Go plays). A game ends with two passes, a resignation
 * (GNU Go only) or the move cap, and is scored by Tromp-Taylor area. */
typedef enum { SELFPLAY_PLAYER_NN = 0, SELFPLAY_PLAYER_RANDOM = 1, SELFPLAY_PLAYER_GNUGO = 2 } selfplay_player_kind_t;

typedef struct {
  selfplay_player_kind_t kind;
  const char *model;            /* NN: checkpoint path                                          */
  int visits;                   /* NN: simulations per move                                     */
  int level;                    /* GNU Go level 1..10                                           */
  const char *gnugo;            /* GNU Go binary (NULL: /usr/games/gnugo)                       */
} selfplay_player_t;

typedef struct {
  int size;                     /* 9                                                            */
  float komi;                   /* 7.5                                                          */
  int games;                    /* 10                                                           */
  int max_moves;                /* 0 = 2*N*N                                                    */
  int open_moves;               /* 4                                                            */
  int pass_rule;                /* network players: as selfplay_config_t (1)                    */
  int threads;                  /* inference threads (1)                                        */
  uint64_t seed;
  volatile sig_atomic_t *stop;  /* set: no new game starts (the result so far is returned)     */
} selfplay_match_config_t;

typedef struct {
  int games, wins, draws, losses; /* for player a                                                */
  double score;                 /* (wins + draws/2) / games                                     */
  double seconds;
  int64_t moves;
} selfplay_match_result_t;

selfplay_match_config_t selfplay_match_config_default(void);
rocks_status_t selfplay_match(const selfplay_player_t *a, const selfplay_player_t *b, const selfplay_match_config_t *c,
                              selfplay_match_result_t *res, rocks_error_t *err);
