/* match.h — a referee for two GTP engines: games, adjudication, records, statistics.
 *
 * What it is: the library behind `rocks match` and `rocks eval` (docs/match.md). Each game runs
 * a fresh pair of engine processes (fork/exec + pipes), so a dead or hung engine costs only its
 * game and the next game starts new ones. The referee keeps its own board_t and checks every
 * move: an illegal move, a malformed or refused GTP answer, a crash or a move slower than the
 * per-move timeout loses the game (recorded with the reason). Games end on resignation, two
 * passes (Tromp-Taylor score of the referee's board) or at max_moves (adjudicated the same way).
 * Games run J at a time on J threads.
 *
 * Layout of OUT:
 *   match.json                  the settings; a rerun with the same OUT must use the same ones
 *                               (games, jobs and the per-move timeout may change)
 *   games/game-%06d.sgf         game i, FF[4], written atomically when it is finished
 *   games/game-%06d.json        its result row, written after the SGF (its presence = done)
 *   results.csv                 all finished rows, rewritten atomically after every game
 *   summary.json                win rate of the engine, Wilson interval, Elo estimate
 * A rerun skips the games whose row exists (resumable after a kill at any point).
 *
 * Colours: with alternate = 1 the engine is black in even games and white in odd ones; with
 * alternate = 0 it is always black (`rocks match --black E --white O`).
 *
 * Engine commands are shell-like strings split into argv (spaces; '...' and "..." quoting;
 * backslash escapes), run with PATH lookup. "{seed}" in a command is replaced by the game's
 * seed (31 bits, from the match seed and the game index) and "{game}" by the game index, so
 * deterministic engines can still play different games.
 *
 * defines: match_config_t, match_config_default, match_row_t, match_stats_t, match_progress_t,
 *          match_run, match_split_command, match_wilson, match_elo, match_stats_compute,
 *          match_reason_name
 */
#ifndef ROCKS_MATCH_H
#define ROCKS_MATCH_H

#include <stdbool.h>

#include "go/board.h"
#include "util/util.h"

#define MATCH_MAX_ARGS 64
#define MATCH_NAME_MAX 96

typedef enum {
  MATCH_REASON_SCORE = 0,  /* two passes: Tromp-Taylor score of the referee's board           */
  MATCH_REASON_MAX_MOVES,  /* move cap reached: adjudicated by the same score                  */
  MATCH_REASON_RESIGN,     /* the loser resigned                                                */
  MATCH_REASON_ILLEGAL,    /* the loser played an illegal move (or a malformed vertex)          */
  MATCH_REASON_GTP_ERROR,  /* the loser answered '?' (or garbage) to a command it must accept   */
  MATCH_REASON_TIMEOUT,    /* the loser exceeded the per-move timeout                           */
  MATCH_REASON_CRASH,      /* the loser's process exited or could not be started               */
  MATCH_REASON_COUNT
} match_reason_t;

/* "score", "max-moves", "resign", "illegal", "gtp-error", "timeout", "crash". Static string. */
const char *match_reason_name(int reason);

typedef struct {
  const char *engine;      /* command of the engine under test (required)                      */
  const char *opponent;    /* command of the opponent (required)                               */
  const char *out;         /* output folder (required)                                         */
  int games;               /* games to have in OUT (default 20)                                */
  int alternate;           /* 1: colours alternate (engine black in even games); 0: engine black */
  int size;                /* board size (default 9)                                           */
  float komi;              /* default 7.5                                                      */
  board_rules_t rules;     /* referee rules (default chinese: no suicide, positional superko)  */
  int max_moves;           /* cap on moves + passes per game; 0 = none (default 0)             */
  int jobs;                /* games in parallel (default 1)                                    */
  double move_timeout;     /* seconds per genmove (default 60); setup commands get max(this, 60) */
  int final_score;         /* ask both engines `final_score` at a scored end and record it     */
  uint64_t seed;           /* match seed, for "{seed}" (default 1)                              */
} match_config_t;

match_config_t match_config_default(void);

/* One finished game (a row of results.csv). */
typedef struct {
  int game;
  char black[MATCH_NAME_MAX], white[MATCH_NAME_MAX]; /* `name` + ' ' + `version` of each side  */
  int engine_color;        /* COLOR_BLACK / COLOR_WHITE: the side the engine played              */
  int winner;              /* COLOR_BLACK / COLOR_WHITE / COLOR_EMPTY (jigo)                     */
  double score;            /* board_score of the referee's final board (black - white - komi)   */
  int reason;              /* match_reason_t                                                     */
  char detail[160];        /* e.g. "white played D4: superko", "no answer within 5 s"           */
  char result[32];         /* SGF RE: "B+3.5", "W+R", "B+T", "W+F" (forfeit), "0"                */
  int moves;               /* moves and passes played on the referee's board                     */
  double seconds;          /* wall time of the game                                              */
  char final_black[32], final_white[32]; /* the engines' `final_score` answers, "" if not asked  */
} match_row_t;

typedef struct {
  int games;               /* finished games counted                                           */
  double wins;             /* engine wins, a jigo counting 1/2                                  */
  int engine_black_games, engine_white_games;
  double engine_black_wins, engine_white_wins;
  double winrate;          /* wins / games (0 if no games)                                      */
  double lo, hi;           /* 95% Wilson interval of the win rate                               */
  double elo, elo_lo, elo_hi; /* match_elo of winrate, lo, hi (may be +-INFINITY)               */
  int reasons[MATCH_REASON_COUNT];
  double mean_moves, seconds;
} match_stats_t;

/* Wilson score interval for k successes out of n (z = 1.96 for 95%): centre
 * (p + z^2/2n)/(1 + z^2/n), half-width z*sqrt(p(1-p)/n + z^2/4n^2)/(1 + z^2/n), p = k/n.
 * n = 0 gives [0, 1]. */
void match_wilson(double k, int n, double z, double *lo, double *hi);
/* Elo difference for a win rate p: -400*log10(1/p - 1); -INFINITY at 0, +INFINITY at 1. */
double match_elo(double p);
/* Statistics of rows[0..n) from the engine's point of view. */
void match_stats_compute(const match_row_t *rows, int n, match_stats_t *s);

typedef struct {
  int done, total;         /* finished games (including those found on disk) and games asked    */
  int resumed;             /* games found finished on disk at the start                          */
  int played;              /* games played by this run so far                                   */
  double elapsed;          /* seconds since the start of this run                                */
  const match_row_t *last; /* the game that just finished (NULL for the first report)           */
  match_stats_t stats;     /* over all finished games                                            */
} match_progress_t;

typedef void (*match_progress_fn)(const match_progress_t *p, void *ctx);

/* Plays the games of c that OUT does not hold yet. On success *rows (caller frees) holds every
 * finished game of OUT in game order and *nrows their count, and summary.json/results.csv are
 * up to date. progress (may be NULL) is called once at the start and after every game, from
 * one thread at a time. Errors: ROCKS_ERR_ARG (bad config), ROCKS_ERR_STATE (OUT holds another
 * match), ROCKS_ERR_IO. A failing engine is never an error of the run: it loses its game. */
rocks_status_t match_run(const match_config_t *c, match_progress_fn progress, void *ctx, match_row_t **rows,
                         int *nrows, rocks_error_t *err);

/* Splits a command string into argv (at most MATCH_MAX_ARGS - 1 words, NULL-terminated) stored in
 * buf (buflen bytes). Returns the word count, or -1 with err (unbalanced quote, too long, empty). */
int match_split_command(const char *cmd, char **argv, char *buf, size_t buflen, rocks_error_t *err);

#endif
