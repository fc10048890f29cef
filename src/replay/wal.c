/* wal.c — record files: append, sync, scan with torn-tail detection (wal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "replay/wal.h"

uint32_t replay_crc32(uint32_t crc, const void *data, size_t len) {
  static uint32_t table[256];
  static int ready = 0;
  if (!ready) { /* benign race: every thread computes the same table */
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    ready = 1;
  }
  const uint8_t *p = data;
  crc = ~crc;
  for (size_t i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static void put32_(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32_(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

rocks_status_t replay_wal_open(replay_wal_t *w, const char *path, int64_t valid_bytes, rocks_error_t *err) {
  w->fd = -1;
  snprintf(w->path, sizeof w->path, "%s", path);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return rocks_fail(err, ROCKS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return rocks_fail(err, ROCKS_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
  }
  w->bytes = sb.st_size;
  if (valid_bytes >= 0 && valid_bytes < sb.st_size) {
    if (ftruncate(fd, valid_bytes) != 0 || fsync(fd) != 0) {
      close(fd);
      return rocks_fail(err, ROCKS_ERR_IO, "cannot truncate %s: %s", path, strerror(errno));
    }
    w->bytes = valid_bytes;
  }
  w->fd = fd;
  return ROCKS_OK;
}

rocks_status_t replay_wal_append(replay_wal_t *w, uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
                                 rocks_error_t *err) {
  if (alen + blen > REPLAY_WAL_MAX_RECORD) return rocks_fail(err, ROCKS_ERR_ARG, "record of %zu bytes too large", alen + blen);
  uint8_t h[REPLAY_WAL_HEADER];
  put32_(h, REPLAY_WAL_MAGIC);
  put32_(h + 4, type);
  put32_(h + 8, (uint32_t)(alen + blen));
  uint32_t crc = replay_crc32(0, h + 4, 8);
  crc = replay_crc32(crc, a, alen);
  crc = replay_crc32(crc, b, blen);
  put32_(h + 12, crc);
  struct iovec iov[3] = {{h, sizeof h}, {(void *)a, alen}, {(void *)b, blen}};
  size_t total = sizeof h + alen + blen, done = 0;
  int first = 0;
  while (done < total) {
    ssize_t k = writev(w->fd, iov + first, 3 - first);
    if (k < 0) {
      if (errno == EINTR) continue;
      return rocks_fail(err, ROCKS_ERR_IO, "write to %s failed: %s", w->path, strerror(errno));
    }
    done += (size_t)k;
    while (first < 3 && (size_t)k >= iov[first].iov_len) k -= (ssize_t)iov[first].iov_len, first++;
    if (first < 3) iov[first].iov_base = (uint8_t *)iov[first].iov_base + k, iov[first].iov_len -= (size_t)k;
  }
  w->bytes += (int64_t)total;
  return ROCKS_OK;
}

rocks_status_t replay_wal_sync(replay_wal_t *w, rocks_error_t *err) {
  if (fdatasync(w->fd) != 0) return rocks_fail(err, ROCKS_ERR_IO, "fsync of %s failed: %s", w->path, strerror(errno));
  return ROCKS_OK;
}

rocks_status_t replay_wal_truncate(replay_wal_t *w, rocks_error_t *err) {
  if (ftruncate(w->fd, 0) != 0 || fsync(w->fd) != 0)
    return rocks_fail(err, ROCKS_ERR_IO, "cannot truncate %s: %s", w->path, strerror(errno));
  w->bytes = 0;
  return ROCKS_OK;
}

void replay_wal_close(replay_wal_t *w) {
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
}

rocks_status_t replay_wal_read(const char *path, replay_wal_fn fn, void *ctx, int64_t *valid_bytes, int64_t *dropped,
                               rocks_error_t *err) {
  *valid_bytes = 0;
  *dropped = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT) return ROCKS_OK;
    return rocks_fail(err, ROCKS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  }
  if (fseeko(f, 0, SEEK_END) != 0) {
    fclose(f);
    return rocks_fail(err, ROCKS_ERR_IO, "cannot seek in %s", path);
  }
  int64_t size = ftello(f), pos = 0;
  rewind(f);
  uint8_t *buf = NULL;
  size_t cap = 0;
  rocks_status_t st = ROCKS_OK;
  while (pos + REPLAY_WAL_HEADER <= size) {
    uint8_t h[REPLAY_WAL_HEADER];
    if (fread(h, 1, sizeof h, f) != sizeof h) break;
    uint32_t len = get32_(h + 8);
    if (get32_(h) != REPLAY_WAL_MAGIC || len > REPLAY_WAL_MAX_RECORD || pos + REPLAY_WAL_HEADER + (int64_t)len > size) break;
    if (len + 1 > cap) {
      uint8_t *nb = realloc(buf, len + 1);
      if (!nb) {
        st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory reading %s", path);
        break;
      }
      buf = nb, cap = len + 1;
    }
    if (fread(buf, 1, len, f) != len) break;
    uint32_t crc = replay_crc32(replay_crc32(0, h + 4, 8), buf, len);
    if (crc != get32_(h + 12)) break;
    if ((st = fn(ctx, get32_(h + 4), buf, len, err)) != ROCKS_OK) break;
    pos += REPLAY_WAL_HEADER + (int64_t)len;
  }
  free(buf);
  fclose(f);
  *valid_bytes = pos;
  *dropped = size - pos;
  return st;
}
