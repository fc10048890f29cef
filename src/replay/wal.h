/* wal.h — record files of the replay service: the write-ahead log and snapshots (internal).
 *
 * A file is a sequence of records: a 16-byte header (magic "RPWL", type, payload length, CRC-32
 * of type + length + payload; little-endian u32s) then the payload. A reader accepts the longest
 * prefix of intact records: a torn tail (a write cut short by kill -9 or a crash) or a damaged
 * record ends the file there. */
#ifndef ROCKS_REPLAY_WAL_H
#define ROCKS_REPLAY_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define REPLAY_WAL_MAGIC 0x4C575052u /* "RPWL" */
#define REPLAY_WAL_HEADER 16
#define REPLAY_WAL_MAX_RECORD (256u << 20)

enum { REPLAY_REC_EPISODE = 1, REPLAY_REC_SAMPLES = 2, REPLAY_REC_SNAPSHOT = 3 };

uint32_t replay_crc32(uint32_t crc, const void *data, size_t len);

typedef struct {
  int fd;
  int64_t bytes;
  char path[4096];
} replay_wal_t;

/* Opens (creates) path for appending; truncates it to valid_bytes first when >= 0. */
rocks_status_t replay_wal_open(replay_wal_t *w, const char *path, int64_t valid_bytes, rocks_error_t *err);
/* Appends one record (payload = a then b; either may be empty) with one write. Not synced. */
rocks_status_t replay_wal_append(replay_wal_t *w, uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
                                 rocks_error_t *err);
rocks_status_t replay_wal_sync(replay_wal_t *w, rocks_error_t *err);
/* Empties the log (after a snapshot) and syncs. */
rocks_status_t replay_wal_truncate(replay_wal_t *w, rocks_error_t *err);
void replay_wal_close(replay_wal_t *w);

/* Calls fn for every intact record of path, in order (payload valid during the call; fn may stop
 * the scan by returning an error, which is returned). *valid_bytes: length of the intact prefix;
 * *dropped: bytes after it (a torn or damaged tail). A missing file is empty. */
typedef rocks_status_t (*replay_wal_fn)(void *ctx, uint32_t type, const uint8_t *payload, size_t len, rocks_error_t *err);
rocks_status_t replay_wal_read(const char *path, replay_wal_fn fn, void *ctx, int64_t *valid_bytes, int64_t *dropped,
                               rocks_error_t *err);

#endif
