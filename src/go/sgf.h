/* sgf.h — SGF FF[4] game records: read (any number of game trees, main line followed) and write.
 *
 * What it is: a tolerant-but-strict parser of the SGF grammar (Collection = GameTree+,
 * GameTree = "(" Sequence GameTree* ")", properties with [values] and \ escapes, soft line
 * breaks) that turns each game tree into a flat game record along its main line (the first
 * variation at every branch), and a writer of such records. Malformed input returns
 * ROCKS_ERR_PARSE with "line L, column C: ..." and never crashes. Knows the rules only through
 * sgf_game_to_board / sgf_game_from_board.
 *
 * Understood properties: SZ, KM, RU, HA, AB, AW, AE (with compressed point lists "aa:cc"),
 * B, W (pass as "" or "tt" on boards <= 19), PL, RE, PB, PW, DT, GN, C. Others are skipped
 * (kept syntax-checked). Coordinates: x = column from the left ('a' = 0), y = row from the
 * TOP ('a' = 0), the same convention as board.h.
 */
#ifndef ROCKS_SGF_H
#define ROCKS_SGF_H

#include <stdbool.h>
#include <stddef.h>

#include "go/board.h"
#include "util/util.h"

typedef enum {
  SGF_MOVE = 0,      /* B[] / W[]: color plays (x,y) or passes (x = y = -1) */
  SGF_ADD_BLACK,     /* AB */
  SGF_ADD_WHITE,     /* AW */
  SGF_ADD_EMPTY,     /* AE */
  SGF_PLAYER,        /* PL: color to play next */
} sgf_event_kind_t;

typedef struct {
  int kind;          /* sgf_event_kind_t */
  int color;         /* COLOR_BLACK / COLOR_WHITE for SGF_MOVE and SGF_PLAYER */
  int x, y;          /* point, or -1,-1 for a pass */
  int node;          /* index of the main-line node (0 = root) this came from */
} sgf_event_t;

typedef struct {
  int size;          /* SZ, default 19 */
  double komi;       /* KM, default 0 */
  int handicap;      /* HA, default 0 */
  char rules[32];    /* RU ("" if absent) */
  char black[64];    /* PB */
  char white[64];    /* PW */
  char result[32];   /* RE, e.g. "B+3.5", "W+R", "0" */
  char date[32];     /* DT */
  char name[64];     /* GN */
  int nevents;
  sgf_event_t *events;  /* main line, in order; owned */
  int nnodes;
  char **comments;      /* comments[i]: C[] of main-line node i, or NULL; owned */
} sgf_game_t;

/* Parses a collection. On success *games (owned by the caller; free with sgf_games_free) holds
 * *ngames >= 1 records. On error nothing is allocated and err says "line L, column C: why". */
rocks_status_t sgf_parse(const char *text, size_t len, sgf_game_t **games, int *ngames,
                         rocks_error_t *err);
rocks_status_t sgf_read_file(const char *path, sgf_game_t **games, int *ngames, rocks_error_t *err);
void sgf_games_free(sgf_game_t *games, int ngames);
/* Frees what one record owns (events, comments), not the record itself. */
void sgf_game_clear(sgf_game_t *g);
/* True if two records hold the same data (a NULL comment equals an empty one). */
bool sgf_game_equal(const sgf_game_t *a, const sgf_game_t *b);

/* Serialises one record as FF[4] GM[1] SGF text (escaping ] and \). Returns a malloc'd
 * NUL-terminated string (caller frees) or NULL when out of memory. */
char *sgf_write(const sgf_game_t *g);
/* Writes sgf_write(g) to path atomically (temp file + fsync + rename). */
rocks_status_t sgf_write_file(const char *path, const sgf_game_t *g, rocks_error_t *err);

/* Replays the record's main line onto a fresh board (size and komi from the record, `rules`
 * as given). Stops before main-line move number `max_moves` (1-based, as GTP loadsgf's
 * move_number: stop before that move is played), or plays everything when max_moves <= 0.
 * Setup stones are placed with board_setup_stone; AE and setups that conflict with the board
 * are applied by rebuilding. to_play follows the last move, or PL, or white after handicap;
 * when cut at max_moves it is the colour of that move.
 * ROCKS_ERR_ILLEGAL (with the move number) if the record has an illegal move. */
rocks_status_t sgf_game_to_board(const sgf_game_t *g, board_t *b, board_rules_t rules, int max_moves,
                                 rocks_error_t *err);

/* Fills a record from a board's history (setup stones, then moves) with SZ, KM, RU, and RE
 * when the game is over (two passes). Names may be NULL. Free with sgf_game_clear. */
rocks_status_t sgf_game_from_board(sgf_game_t *g, const board_t *b, const char *black,
                                   const char *white, rocks_error_t *err);

#endif
