/* util.c — status messages, RNG seeding, clock. */
#include "util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

rocks_status_t rocks_fail(rocks_error_t *err, rocks_status_t code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

const char *rocks_status_name(rocks_status_t code) {
  switch (code) {
    case ROCKS_OK: return "ok";
    case ROCKS_ERR_ARG: return "invalid argument";
    case ROCKS_ERR_PARSE: return "parse error";
    case ROCKS_ERR_ILLEGAL: return "illegal move";
    case ROCKS_ERR_IO: return "i/o error";
    case ROCKS_ERR_NOMEM: return "out of memory";
    case ROCKS_ERR_STATE: return "invalid state";
  }
  return "unknown error";
}

void rocks_rng_seed(rocks_rng_t *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = rocks_mix64(seed + (uint64_t)i * 0x632be59bd9b4e019ULL);
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

double rocks_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
