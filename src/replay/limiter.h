/* limiter.h — Reverb's SampleToInsertRatio rate limiter, counted in training positions
 * (internal to src/replay; semantics in docs/replay.md).
 *
 * With spi = samples per insert, D = inserts*spi - samples, min_diff = spi*min_size - E and
 * max_diff = spi*min_size + E (E = error buffer):
 *   a sample of n may proceed iff size >= min_size and D - n >= min_diff;
 *   an insert of k may proceed iff size + k <= min_size or D + k*spi <= max_diff.
 * Otherwise the call waits (the server parks it). This is deepmind/reverb's RateLimiter with
 * items = positions, an insert = one episode (k positions) and a sample = one batch (n).
 *
 * Deadlock freedom: with inserts of at most K positions and samples of at most M, a state where
 * both wait exists iff 2E < K*spi + M; eviction could also drop the size below min_size unless
 * capacity >= min_size + K. replay_limiter_init rejects such parameters with a clear message.
 */
#ifndef ROCKS_REPLAY_LIMITER_H
#define ROCKS_REPLAY_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

typedef struct {
  double spi, error_buffer, min_diff, max_diff;
  int64_t min_size;
  int64_t inserts, samples, deletes; /* positions */
} replay_limiter_t;

/* The smallest deadlock-free error buffer for inserts of at most max_insert positions and
 * samples of at most max_sample. */
double replay_limiter_min_error_buffer(double spi, int64_t max_insert, int64_t max_sample);

/* Checks the parameters (spi > 0, min_size >= 1, E >= the minimum above, capacity >= min_size +
 * max_insert); ROCKS_ERR_ARG naming the fix otherwise. Counters start at 0. */
rocks_status_t replay_limiter_init(replay_limiter_t *l, double spi, int64_t min_size, double error_buffer,
                                   int64_t max_insert, int64_t max_sample, int64_t capacity, rocks_error_t *err);

bool replay_limiter_can_sample(const replay_limiter_t *l, int64_t n);
bool replay_limiter_can_insert(const replay_limiter_t *l, int64_t k);
static inline int64_t replay_limiter_size(const replay_limiter_t *l) { return l->inserts - l->deletes; }

#endif
