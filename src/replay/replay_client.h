/* replay_client.h — the C client of the replay service (`rocks replay serve`, replay.proto).
 *
 * One client = one gRPC channel to "host:port"; calls are synchronous and thread-safe only when
 * each thread uses its own client (create one per thread). Every call takes a deadline in
 * seconds; the server honours it (a parked call is dropped when it passes).
 *
 * Statuses: ROCKS_ERR_IO when the service is unreachable, the deadline passed, or the server
 * failed the call (err says which, with the gRPC status name); ROCKS_ERR_ARG when the server
 * rejected the request as invalid (INVALID_ARGUMENT: a malformed or illegal episode, a bad n);
 * ROCKS_ERR_STATE when a Sample's deadline passed while the rate limiter held it (the server is
 * up, there is just not enough fresh data yet: retry).
 */
#ifndef ROCKS_REPLAY_CLIENT_H
#define ROCKS_REPLAY_CLIENT_H

#include <stdint.h>

#include "data/ds.h"
#include "replay/episode.h"
#include "util/util.h"

typedef struct replay_client replay_client_t;

typedef struct {
  int64_t episodes;        /* episodes stored now                                             */
  int64_t positions;       /* training positions stored now (the sampling population)         */
  int64_t inserts;         /* training positions inserted since the service was created       */
  int64_t samples;         /* positions sampled since the service was created                 */
  int64_t evicted;         /* training positions evicted (FIFO by episode)                    */
  int64_t episodes_total;  /* episodes inserted since the service was created                 */
  int64_t capacity;        /* --capacity (positions)                                          */
  int64_t min_size;        /* --min-size (positions before any sampling)                      */
  double samples_per_insert; /* --samples-per-insert                                          */
  double error_buffer;     /* --error-buffer                                                  */
  double ratio;            /* samples / inserts (0 before any insert)                         */
  int64_t parked_samples;  /* Sample calls waiting on the rate limiter now                    */
  int64_t parked_pushes;   /* Push calls waiting on the rate limiter now                      */
  int64_t wal_bytes;       /* size of the write-ahead log now                                 */
} replay_stats_t;

/* Connects lazily: a bad address format fails here (ROCKS_ERR_ARG), an unreachable server on
 * the first call. */
replay_client_t *replay_client_new(const char *addr, rocks_error_t *err);
void replay_client_delete(replay_client_t *c);

/* Pushes one episode; returns after the server acknowledged it (appended to its write-ahead log
 * and fsync'd). The server may hold the call while the rate limiter says too few samples were
 * drawn (then it counts against timeout_s). */
rocks_status_t replay_client_push(replay_client_t *c, const replay_episode_t *ep, double timeout_s, rocks_error_t *err);

/* Samples n positions uniformly i.i.d. (with replacement) over all stored training positions.
 * Blocks while the rate limiter holds the call (at most timeout_s, then ROCKS_ERR_STATE).
 * out[i] is a full ds_record_t (ds_record_features gives the planes; no symmetry applied); its
 * target is the visit distribution, N*N+1 floats written to dist_buf + i*(N*N+1) (dist_buf
 * holds n*(DS_MAX_NN+1) floats at most; n*(N*N+1) is enough for one board size), out[i].dist
 * points there and out[i].policy is -1. n in 1..65536. */
rocks_status_t replay_client_sample(replay_client_t *c, int n, double timeout_s, ds_record_t *out, float *dist_buf,
                                    rocks_error_t *err);

rocks_status_t replay_client_stats(replay_client_t *c, replay_stats_t *st, rocks_error_t *err);

/* Asks the server to write a snapshot of its storage atomically and truncate its write-ahead
 * log. path (may be NULL) gets the snapshot's path on the server's machine. */
rocks_status_t replay_client_checkpoint(replay_client_t *c, char *path, size_t pathlen, rocks_error_t *err);

#endif
