/* store.h — the replay service's storage (internal; no gRPC): episodes in FIFO order, their
 * training positions pre-encoded as Position messages, uniform sampling, and persistence
 * (write-ahead log + snapshot in a directory). Single-threaded: the server calls it from its
 * one event thread.
 *
 * Files in dir: wal.rpl (episode records, sample-counter records) and snapshot.rpl (a counters
 * record, then the stored episodes). Opening replays the snapshot, then the log records newer than
 * it; a torn log tail is cut off (it was never acknowledged: acks follow the fsync). */
#ifndef ROCKS_REPLAY_STORE_H
#define ROCKS_REPLAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

typedef struct replay_store replay_store_t;
typedef struct replay_item replay_item_t; /* an episode decoded and encoded, not yet stored */

typedef struct {
  int64_t episodes, positions;          /* stored now                                       */
  int64_t inserts, samples, evicted;    /* positions, ever (restored across restarts)       */
  int64_t episodes_total;               /* episodes inserted, ever                          */
  int64_t wal_bytes;
  uint64_t last_seq;                    /* newest episode sequence number                   */
  /* what opening found */
  int64_t loaded_snapshot_episodes, loaded_wal_episodes, dropped_tail_bytes;
} replay_store_stats_t;

/* dir NULL: memory only. capacity in positions (FIFO eviction by whole episodes). */
replay_store_t *replay_store_open(const char *dir, int64_t capacity, uint64_t seed, rocks_error_t *err);
void replay_store_close(replay_store_t *s);

/* Decodes and validates a packed PushRequest and encodes its training positions (the game is
 * replayed: illegal moves are rejected). ROCKS_ERR_PARSE (malformed), _ARG/_ILLEGAL (invalid). */
rocks_status_t replay_store_prepare(replay_store_t *s, const uint8_t *req, size_t len, replay_item_t **item,
                                    rocks_error_t *err);
int replay_item_positions(const replay_item_t *it);
uint64_t replay_item_seq(const replay_item_t *it);
void replay_item_free(replay_item_t *it);

/* Appends the item to the log (written, not yet synced) and stores it, evicting the oldest
 * episodes while over capacity. Takes ownership of it (also on error). */
rocks_status_t replay_store_insert(replay_store_t *s, replay_item_t *it, rocks_error_t *err);
/* Makes everything inserted so far durable: logs the sample counter if it changed, fsyncs. */
rocks_status_t replay_store_sync(replay_store_t *s, rocks_error_t *err);

/* Draws n positions uniformly with replacement; *reply points to a packed SampleReply in an
 * internal buffer (valid until the next call). ROCKS_ERR_STATE when the store is empty. */
rocks_status_t replay_store_sample(replay_store_t *s, int n, const uint8_t **reply, size_t *len, rocks_error_t *err);

/* Writes dir/snapshot.rpl atomically (temp, fsync, rename, fsync dir) and empties the log. */
rocks_status_t replay_store_checkpoint(replay_store_t *s, char *path, size_t pathlen, int64_t *bytes, rocks_error_t *err);

void replay_store_stats(const replay_store_t *s, replay_store_stats_t *st);

#endif
