/* util.h — small shared pieces: status codes with messages, a seeded RNG, timing.
 *
 * Library code never exits: it returns a rocks_status_t and, when the caller passes a
 * rocks_error_t, a human-readable message. Only src/cli turns errors into exit codes.
 */
#ifndef ROCKS_UTIL_H
#define ROCKS_UTIL_H

#include <stdint.h>
#include <stddef.h>

#define ROCKS_VERSION "0.1.0"

typedef enum {
  ROCKS_OK = 0,
  ROCKS_ERR_ARG,      /* bad argument (out of range, malformed)          */
  ROCKS_ERR_PARSE,    /* malformed input text (SGF, GTP, JSON, ...)       */
  ROCKS_ERR_ILLEGAL,  /* illegal move under the current rules             */
  ROCKS_ERR_IO,       /* file system or pipe failure                      */
  ROCKS_ERR_NOMEM,    /* allocation failed or a fixed capacity is full    */
  ROCKS_ERR_STATE,    /* operation not valid now (e.g. nothing to undo)   */
} rocks_status_t;

typedef struct {
  rocks_status_t code;
  char msg[256];
} rocks_error_t;

/* Fills *err (if not NULL) with code and a printf-style message; returns code. */
rocks_status_t rocks_fail(rocks_error_t *err, rocks_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short name of a status code ("ok", "parse error", ...). Static string. */
const char *rocks_status_name(rocks_status_t code);

/* ---- RNG: xoshiro256** seeded by splitmix64. Same seed => same stream. ---- */
typedef struct { uint64_t s[4]; } rocks_rng_t;

void rocks_rng_seed(rocks_rng_t *r, uint64_t seed);

static inline uint64_t rocks_rotl64_(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rocks_rng_next(rocks_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t result = rocks_rotl64_(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
  s[2] ^= t; s[3] = rocks_rotl64_(s[3], 45);
  return result;
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-32 for n < 2^16). */
static inline uint32_t rocks_rng_below(rocks_rng_t *r, uint32_t n) {
  return (uint32_t)(((rocks_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform double in [0, 1). */
static inline double rocks_rng_double(rocks_rng_t *r) {
  return (double)(rocks_rng_next(r) >> 11) * 0x1.0p-53;
}

/* splitmix64 finaliser: a good 64-bit mix, also used for Zobrist keys. */
static inline uint64_t rocks_mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* Monotonic wall clock in seconds. */
double rocks_now(void);

#endif
