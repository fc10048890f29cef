/* gtp.h — a GTP v2 engine (Go Text Protocol, version 2 draft) over the rules engine.
 *
 * What it is: command parsing (optional numeric id, comments, control characters, empty lines
 * per the spec), the standard commands and their standard error messages, board state, time
 * settings, SGF load/print. What it is not: a search. Move generation is a hook
 * (gtp_set_genmove); until one is set, genmove plays a uniformly random legal move that does
 * not fill the mover's own single-point eye, and passes when there is none.
 */
#ifndef ROCKS_GTP_H
#define ROCKS_GTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "go/board.h"
#include "util/util.h"

typedef struct gtp_engine gtp_engine_t;

typedef struct {
  int size;               /* initial board size (default 19) */
  float komi;             /* initial komi (default 7.5) */
  board_rules_t rules;    /* default tromp-taylor */
  uint64_t seed;          /* RNG seed for genmove (same seed, same commands => same answers) */
  const char *name;       /* answer to `name` (default "rocks") */
} gtp_config_t;

/* Defaults: 19x19, komi 7.5, tromp-taylor, seed 1, name "rocks". */
gtp_config_t gtp_config_default(void);

/* Move generation hook: returns a point, BOARD_PASS or BOARD_RESIGN for `color` on board b
 * (which the hook must not modify). `seconds` is the time budget from time management
 * (0 = no limit). The engine checks legality of the answer. */
typedef int (*gtp_genmove_fn)(void *ctx, const board_t *b, int color, double seconds,
                              rocks_rng_t *rng);

gtp_engine_t *gtp_new(const gtp_config_t *cfg, rocks_error_t *err);
void gtp_delete(gtp_engine_t *e); /* accepts NULL */
void gtp_set_genmove(gtp_engine_t *e, gtp_genmove_fn fn, void *ctx);
/* The engine's current board (read-only). */
const board_t *gtp_board(const gtp_engine_t *e);
/* Whether commands may write files (`printsgf FILE`); default true. Fuzzers turn it off. */
void gtp_set_allow_writes(gtp_engine_t *e, bool allow);

/* Processes one input line. Returns the complete response text ("=id result\n\n" or
 * "?id message\n\n"; empty string for lines that need no response) as a malloc'd string the
 * caller frees (NULL only when out of memory). *quit is set after `quit`. No I/O. */
char *gtp_handle_line(gtp_engine_t *e, const char *line, bool *quit);

/* Reads commands from in until EOF or quit, writing responses to out (flushed per response). */
rocks_status_t gtp_run(gtp_engine_t *e, FILE *in, FILE *out, rocks_error_t *err);

#endif
