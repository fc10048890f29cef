/* fuzz_gtp.c — libFuzzer target for the GTP engine (src/play/gtp.c).
 *
 * The first input byte picks the starting board size (2..19, 9 most often, as `rocks gtp
 * --size 9` would); the rest is split into lines (NUL bytes dropped, as gtp_run does), each fed
 * to one engine. Every response must be well framed — "" or "=..."/"?..." ending in exactly one
 * empty line with no empty line before — and whenever the position changed the board must be
 * consistent (board_check); otherwise abort(). File writes (printsgf FILE) are disabled;
 * loadsgf may read any path.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go/board.h"
#include "play/gtp.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *line, const char *resp) {
  fprintf(stderr, "fuzz_gtp: %s\n  line: %s\n  response: %s\n", what, line ? line : "", resp ? resp : "(null)");
  abort();
}

/* "" or '=' / '?' ... "\n\n" with no empty line inside. */
static bool well_framed(const char *r) {
  size_t n = strlen(r);
  if (n == 0) return true;
  if ((r[0] != '=' && r[0] != '?') || n < 3 || strcmp(r + n - 2, "\n\n")) return false;
  const char *first_blank = strstr(r, "\n\n");
  return first_blank == r + n - 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gtp_config_t cfg = gtp_config_default();
  cfg.size = 9;
  if (size > 0) {
    if (data[0] < 128) cfg.size = 2 + data[0] % 18;
    data++;
    size--;
  }
  gtp_engine_t *e = gtp_new(&cfg, NULL);
  if (!e) die("gtp_new failed", NULL, NULL);
  gtp_set_allow_writes(e, false);
  char *line = malloc(size + 1);
  if (!line) die("out of memory", NULL, NULL);
  uint64_t checked_hash = gtp_board(e)->hash;
  int checked_actions = gtp_board(e)->nactions, checked_size = gtp_board(e)->size;
  size_t start = 0;
  while (start < size) {
    size_t end = start, n = 0;
    while (end < size && data[end] != '\n') {
      if (data[end]) line[n++] = (char)data[end];
      end++;
    }
    line[n] = '\0';
    bool quit = false;
    char *r = gtp_handle_line(e, line, &quit);
    if (!r) die("gtp_handle_line returned NULL", line, NULL);
    if (!well_framed(r)) die("badly framed response", line, r);
    /* board_check is costly under instrumentation: run it only when the position changed */
    const board_t *b = gtp_board(e);
    if (b->hash != checked_hash || b->nactions != checked_actions || b->size != checked_size) {
      rocks_error_t err;
      if (!board_check(b, &err)) die(err.msg, line, r);
      checked_hash = b->hash, checked_actions = b->nactions, checked_size = b->size;
    }
    free(r);
    start = end + 1;
  }
  free(line);
  gtp_delete(e);
  return 0;
}
