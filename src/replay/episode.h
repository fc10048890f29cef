/* episode.h — one finished self-play game as the replay service stores it (the C side of the
 * Episode message in replay.proto). Shared by the self-play workers (producers), the replay
 * service and client (transport, storage), and the trainer (consumer of sampled positions).
 *
 * A position t (0 <= t < game.nmoves) of an episode is the board before move t. Its policy target
 * is the sparse visit distribution visits[visit_offset[t] .. visit_offset[t+1]) (actions are
 * policy indices y*N+x, N*N = pass; probabilities sum to 1), present only when full_search[t]
 * is 1 (playout cap randomization: fast-search moves have no policy target, and are not sampled
 * as training positions). Its value target is z = +1/-1/0 from game.winner for the player to move.
 */
#ifndef ROCKS_REPLAY_EPISODE_H
#define ROCKS_REPLAY_EPISODE_H

#include <stdint.h>

#include "data/ds.h"

enum {
  REPLAY_EP_RESIGNED = 1u << 0,         /* the game ended by resignation                        */
  REPLAY_EP_RESIGN_DISABLED = 1u << 1,  /* resignation was disabled for this game (the 10% that
                                         * measure false positives)                              */
  REPLAY_EP_MOVE_CAP = 1u << 2,         /* ended at the move cap and was scored (Tromp-Taylor)  */
};

typedef struct {
  int16_t action; /* policy index */
  float prob;     /* visit share  */
} replay_visit_t;

typedef struct {
  ds_game_t game;           /* size, komi, rules, moves, colors, setup, winner, score, source   */
  int32_t *visit_offset;    /* game.nmoves + 1 offsets into visits (owned)                      */
  replay_visit_t *visits;   /* sparse visit distributions, concatenated (owned)                 */
  uint8_t *full_search;     /* game.nmoves flags: 1 = full search, a training position (owned)  */
  float *root_value;        /* game.nmoves root values for the player to move (owned; may be
                             * NULL), for resignation false-positive analysis                   */
  char model_id[64];        /* the network that played it (checkpoint name or "random")         */
  char worker_id[64];       /* the producing worker ("host:pid:k")                              */
  uint32_t flags;           /* REPLAY_EP_*                                                      */
} replay_episode_t;

/* Zeroes *ep: no moves, no arrays (safe to free). */
void replay_episode_init(replay_episode_t *ep);
/* Allocates the per-move arrays for nmoves moves and nvisits visit entries in total (zeroed;
 * root_value included) and sets game.nmoves; frees earlier arrays. ROCKS_ERR_ARG if nmoves is
 * not in 0..DS_MAX_MOVES, ROCKS_ERR_NOMEM. */
rocks_status_t replay_episode_alloc(replay_episode_t *ep, int nmoves, int nvisits, rocks_error_t *err);
/* Frees the arrays and zeroes *ep. */
void replay_episode_free(replay_episode_t *ep);
/* Number of training positions: full-search moves at or after game.first_target. */
int replay_episode_positions(const replay_episode_t *ep);
/* Checks everything but move legality: size 2..19, nmoves, colours, points, setup, winner,
 * offsets non-decreasing, actions in 0..N*N, probabilities finite and >= 0 summing to 1 (+-1e-3)
 * for every full-search move. ROCKS_ERR_ARG with the first problem. (Legality is checked when the
 * episode is replayed into positions.) */
rocks_status_t replay_episode_validate(const replay_episode_t *ep, rocks_error_t *err);
/* A synthetic episode for tests and benchmarks: a random legal game on an N x N board (random
 * non-eye-filling moves, superko respected, at most max_moves moves), each move with a random
 * sparse visit distribution over up to 16 legal moves (the move played included), 75% of moves
 * full-search, Tromp-Taylor winner. Deterministic given seed. */
rocks_status_t replay_episode_random(replay_episode_t *ep, int size, int max_moves, uint64_t seed, rocks_error_t *err);

#endif
