/* server.h — the replay service (`rocks replay serve`; docs/replay.md): gRPC service
 * replay.Replay over the store (store.h) and the rate limiter (limiter.h).
 *
 * One event thread does everything: it decodes requests, answers or parks them, inserts and
 * samples, and group-commits pushes (their log records are fsync'd together when the queue runs
 * dry, after at most 256 pushes or 5 ms, and only then acknowledged). Calls the rate limiter holds
 * are parked in FIFO order (never blocking the thread) and dropped when their client cancels or
 * their deadline passes. */
#ifndef ROCKS_REPLAY_SERVER_H
#define ROCKS_REPLAY_SERVER_H

#include <signal.h>
#include <stdint.h>

#include "util/util.h"

typedef struct {
  const char *listen;        /* "host:port" (port 0: any free port, see replay_server_port)       */
  int64_t capacity;          /* stored training positions (FIFO eviction by episode)              */
  double samples_per_insert; /* the SampleToInsertRatio target (default 4)                        */
  int64_t min_size;          /* positions stored before any sampling (default 1000)               */
  double error_buffer;       /* allowed deviation in positions; <= 0: the smallest deadlock-free  */
  int64_t max_episode;       /* training positions per episode accepted (default 1024)            */
  int max_sample;            /* positions per Sample call accepted (default 4096)                 */
  const char *dir;           /* write-ahead log + snapshot folder; NULL: memory only              */
  uint64_t seed;             /* sampling RNG seed (default 1)                                     */
  double stats_every;        /* seconds between stats lines (default 10; 0: never)                */
  int64_t compact_bytes;     /* snapshot + empty the log when it grows past this (default 256 MiB;
                              * 0: only on Checkpoint)                                            */
} replay_server_config_t;

replay_server_config_t replay_server_config_default(void);

typedef void (*replay_log_fn)(void *ctx, const char *line);
typedef struct replay_server replay_server_t;

/* Checks the rate-limiter parameters (deadlock check), opens the store (replaying the log), binds
 * and starts listening. log (may be NULL) gets progress and stats lines. */
replay_server_t *replay_server_create(const replay_server_config_t *c, replay_log_fn log, void *log_ctx,
                                      rocks_error_t *err);
int replay_server_port(const replay_server_t *s);
/* Serves until *stop is nonzero (checked every 100 ms: set it from a signal handler). Failures of
 * single calls go to their callers and the log (a failed compaction is retried a minute later). */
rocks_status_t replay_server_run(replay_server_t *s, volatile sig_atomic_t *stop, rocks_error_t *err);
/* Clean shutdown: acknowledges committed pushes, fails parked calls with UNAVAILABLE, stops
 * gRPC (grace 2 s), syncs and closes the store. */
void replay_server_destroy(replay_server_t *s);

#endif
