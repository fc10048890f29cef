/* files.c — small file helpers of the data module: atomic text writes, mkdir -p (ds.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ds.h"

rocks_status_t ds_write_text_atomic(const char *path, const char *text, rocks_error_t *err) {
  size_t plen = strlen(path), len = strlen(text);
  char *tmp = malloc(plen + sizeof ".tmp.XXXXXX");
  if (!tmp) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  int fd = mkstemp(tmp);
  if (fd < 0) {
    rocks_status_t st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", path, strerror(errno));
    free(tmp);
    return st;
  }
  rocks_status_t st = ROCKS_OK;
  (void)fchmod(fd, 0644);
  size_t off = 0;
  while (off < len && st == ROCKS_OK) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) st = rocks_fail(err, ROCKS_ERR_IO, "%s: write: %s", tmp, strerror(errno));
    else off += (size_t)w;
  }
  if (st == ROCKS_OK && fsync(fd) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
  if (close(fd) != 0 && st == ROCKS_OK) st = rocks_fail(err, ROCKS_ERR_IO, "%s: close: %s", tmp, strerror(errno));
  if (st == ROCKS_OK && rename(tmp, path) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "rename %s -> %s: %s", tmp, path, strerror(errno));
  if (st != ROCKS_OK) {
    unlink(tmp);
  } else {
    char *slash = strrchr(tmp, '/');
    if (slash) slash[slash == tmp ? 1 : 0] = '\0';
    int dfd = open(slash ? tmp : ".", O_RDONLY);
    if (dfd >= 0) {
      (void)fsync(dfd);
      close(dfd);
    }
  }
  free(tmp);
  return st;
}

rocks_status_t ds_mkdirs(const char *path, rocks_error_t *err) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return rocks_fail(err, ROCKS_ERR_ARG, "path too long");
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, 0755) != 0 && errno != EEXIST) return rocks_fail(err, ROCKS_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
      *p = c;
      if (!c) break;
    }
  }
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return rocks_fail(err, ROCKS_ERR_IO, "%s: not a directory", path);
  return ROCKS_OK;
}
