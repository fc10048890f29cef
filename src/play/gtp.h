/* gtp.h — a GTP v2 engine (Go Text Protocol, version 2 draft) over the rules engine.
 *
 * What it is: command parsing (optional numeric id, comments, control characters, empty lines
 * per the spec), the standard commands and their standard error messages, board state, time
 * settings, SGF load/print. What it is not: a search. Move generation is a hook
 * (gtp_set_genmove); until one is set, genmove plays a uniformly random legal move that does
 * not fill the mover's own single-point eye, and passes when there is none. Analysis
 * (lz-analyze, kata-analyze and their genmove_analyze forms, for Sabaki/Lizzie) is a second
 * hook (gtp_set_analyzer): gtp_run searches on a background thread while it waits for the next
 * command line and writes an `info` line every interval (docs/play.md has the formats).
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
  int only_size;          /* > 0: boardsize (and loadsgf) accept only this size (a network's) */
  double lag;             /* seconds kept back per move by time management (default 0.05) */
} gtp_config_t;

/* Defaults: 19x19, komi 7.5, tromp-taylor, seed 1, name "rocks", any size, lag 0.05 s. */
gtp_config_t gtp_config_default(void);

/* Move generation hook: returns a point, BOARD_PASS or BOARD_RESIGN for `color` on board b
 * (which the hook must not modify). `seconds` is the time budget from time management
 * (0 = no limit). The engine checks legality of the answer. */
typedef int (*gtp_genmove_fn)(void *ctx, const board_t *b, int color, double seconds,
                              rocks_rng_t *rng);

/* ---- analysis hook ----
 * One candidate move at the root, as the analysis commands report it. */
#define GTP_MAX_PV 32
typedef struct {
  int move;        /* a point or BOARD_PASS */
  int visits;
  double winrate;  /* [0, 1] for the player to move (0.5 + Q/2) */
  double prior;    /* [0, 1] policy prior */
  double lcb;      /* [0, 1] lower confidence bound of the winrate */
  int npv;         /* pv[0] == move; pv[1..] the continuation (points or BOARD_PASS) */
  int pv[GTP_MAX_PV];
} gtp_candidate_t;

typedef struct {
  void *ctx;
  /* Prepares a search of b with `color` to move (the hook must not keep b). */
  rocks_status_t (*begin)(void *ctx, const board_t *b, int color, rocks_error_t *err);
  /* Runs a short slice of search (a few milliseconds). false when no more search is possible
   * (finished game, tree full, error): the caller then only waits. */
  bool (*step)(void *ctx);
  /* Candidates best first: visited moves by visits (then winrate), then, up to min_moves in
   * all, unvisited legal moves by prior. At most max. Returns the count. */
  int (*candidates)(void *ctx, gtp_candidate_t *out, int max, int min_moves);
  /* Root visits so far and whether a genmove_analyze search is done (visits/time budget met). */
  bool (*done)(void *ctx, double seconds_spent, double budget);
  /* The move to play after a genmove_analyze search: a point, BOARD_PASS or BOARD_RESIGN. */
  int (*choose)(void *ctx);
} gtp_analyzer_t;

gtp_engine_t *gtp_new(const gtp_config_t *cfg, rocks_error_t *err);
void gtp_delete(gtp_engine_t *e); /* accepts NULL */
void gtp_set_genmove(gtp_engine_t *e, gtp_genmove_fn fn, void *ctx);
/* Enables lz-analyze, kata-analyze, lz-genmove_analyze and kata-genmove_analyze (copied; NULL
 * disables them: they then answer an error). */
void gtp_set_analyzer(gtp_engine_t *e, const gtp_analyzer_t *a);
/* The engine's current board (read-only). */
const board_t *gtp_board(const gtp_engine_t *e);
/* Whether commands may write files (`printsgf FILE`); default true. Fuzzers turn it off. */
void gtp_set_allow_writes(gtp_engine_t *e, bool allow);

/* Processes one input line. Returns the complete response text ("=id result\n\n" or
 * "?id message\n\n"; empty string for lines that need no response) as a malloc'd string the
 * caller frees (NULL only when out of memory). *quit is set after `quit`. No I/O. */
char *gtp_handle_line(gtp_engine_t *e, const char *line, bool *quit);

/* Analysis commands through gtp_handle_line: the response is only the opening "=id\n"; the
 * search and its info lines happen in gtp_run. gtp_analysis_pending tells whether the last
 * command was one (gtp_run then streams); any next gtp_handle_line call ends it. */
bool gtp_analysis_pending(const gtp_engine_t *e);

/* Reads commands from in until EOF or quit, writing responses to out (flushed per response).
 * While an analysis command runs, a search thread writes its info lines to out and the next
 * input line (an empty one included) ends it with the empty line that closes the response. */
rocks_status_t gtp_run(gtp_engine_t *e, FILE *in, FILE *out, rocks_error_t *err);

#endif
