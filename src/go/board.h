/* board.h — Go rules engine: any square board 2..19, Tromp-Taylor by default.
 *
 * What it is: stones, groups and (pseudo-)liberties maintained incrementally, captures, suicide
 * per rules, simple ko and positional superko (whole-board colouring history, Zobrist hashed),
 * pass, end on two passes, undo, legal move lists, Tromp-Taylor area scoring with komi, and a
 * fast random-playout routine. What it is not: search, features or I/O (see mcts/, feat, sgf).
 *
 * Coordinates. A point is an index into a padded (size+2)^2 array; x is the column (0 = left,
 * GTP letter A), y the row (0 = TOP, SGF 'a'; GTP row number = size - y). board_point(b, x, y)
 * makes one. BOARD_PASS and BOARD_RESIGN are negative. The "policy index" of a point is
 * y*size + x, and of a pass size*size (board_policy_index / board_policy_point).
 *
 * Tromp-Taylor as written: a move colours an empty point, then clears opponent groups without
 * liberties, then its own. Under positional superko no move may recreate an earlier whole-board
 * colouring — the current one included — so a single-stone suicide is always illegal, while a
 * multi-stone suicide is legal iff rules.suicide. Passes are always legal and never violate superko.
 *
 * The struct is visible for speed; treat it as read-only and change it only through functions.
 * It holds no pointers: copy it with board_copy (which copies only the used part of history).
 *
 * Fast mode (playouts): board_play_fast skips superko and history, so after it the board's
 * history and undo are invalid (b->history_ok == 0); use it only on scratch copies.
 */
#ifndef ROCKS_BOARD_H
#define ROCKS_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

#define BOARD_MIN_SIZE 2
#define BOARD_MAX_SIZE 19
#define BOARD_MAX_POINTS ((BOARD_MAX_SIZE + 2) * (BOARD_MAX_SIZE + 2)) /* 441 */
#define BOARD_MAX_MOVES (BOARD_MAX_SIZE * BOARD_MAX_SIZE + 1)          /* 362: points + pass */
#define BOARD_RECENT 7 /* previous colourings kept for history input planes (AlphaGo Zero: 7 + now) */
#define BOARD_MAX_HISTORY 4096 /* recorded actions (moves, passes, setup stones) per game */

enum { BOARD_PASS = -1, BOARD_RESIGN = -2 };

typedef enum { COLOR_EMPTY = 0, COLOR_BLACK = 1, COLOR_WHITE = 2, COLOR_OFFBOARD = 3 } board_color_t;

static inline int board_other(int color) { return 3 - color; }

typedef enum {
  BOARD_KO_SIMPLE = 0,     /* only the immediate ko recapture is forbidden */
  BOARD_KO_POSITIONAL = 1, /* positional superko: no earlier whole-board colouring may recur */
} board_ko_rule_t;

typedef struct {
  bool suicide;            /* multi-stone suicide legal (single-stone suicide never is) */
  board_ko_rule_t ko;
} board_rules_t;

/* Presets: "tromp-taylor" (default: suicide legal, positional superko, area scoring) and
 * "chinese" (suicide illegal, positional superko, area scoring). Returns ROCKS_ERR_ARG with a
 * message for an unknown name. */
rocks_status_t board_rules_from_name(board_rules_t *rules, const char *name, rocks_error_t *err);
board_rules_t board_rules_tromp_taylor(void);
board_rules_t board_rules_chinese(void);
/* Name of a rules value: "tromp-taylor", "chinese", or "custom". Static string. */
const char *board_rules_name(board_rules_t rules);

/* One group, stored at its head stone. libs counts pseudo-liberties (stone, empty neighbour)
 * pairs; lib_sum and lib_sq are the sum and sum of squares of those liberty points, so the
 * group is in atari iff libs > 0 and lib_sum^2 == libs * lib_sq (all pseudo-liberties equal). */
typedef struct {
  uint16_t libs;
  uint16_t stones;
  uint32_t lib_sum;
  uint32_t lib_sq;
} board_group_t;

/* One recorded action, for undo and SGF export. */
typedef struct {
  int16_t point;   /* point, BOARD_PASS */
  uint8_t color;   /* COLOR_BLACK / COLOR_WHITE (COLOR_EMPTY for an AE setup) */
  uint8_t setup;   /* 1 = setup (handicap, AB/AW/AE; color EMPTY = remove): no captures, no turn change */
} board_action_t;

typedef struct board {
  int size;                 /* N */
  int stride;               /* N + 2 */
  board_rules_t rules;
  float komi;
  int to_play;              /* COLOR_BLACK or COLOR_WHITE */
  int ko_point;             /* point where ko_color may not retake (simple ko), or 0 */
  int ko_color;             /* the colour the ko forbids */
  int last_move;            /* last point played (or BOARD_PASS), 0 before any move */
  int last_move2;           /* the move before that */
  int passes;               /* consecutive passes; game over at 2 */
  int move_count;           /* moves and passes played (setup stones excluded) */
  int captures[3];          /* stones captured BY colour (index COLOR_BLACK/COLOR_WHITE) */
  int stones[3];            /* stones on the board per colour */
  uint64_t hash;            /* Zobrist hash of the colouring (side to move not included) */
  int history_ok;           /* 0 after board_play_fast: history/undo no longer valid */
  int nempty;
  uint16_t empty[BOARD_MAX_SIZE * BOARD_MAX_SIZE]; /* the empty points, any order */
  uint16_t empty_pos[BOARD_MAX_POINTS];            /* index of a point in empty[] */
  uint8_t color[BOARD_MAX_POINTS];                 /* board_color_t per point */
  uint16_t nbcount[BOARD_MAX_POINTS];              /* neighbour colour counts, 4 bits per colour */
  uint16_t group[BOARD_MAX_POINTS];                /* head stone of the point's group (stones only) */
  uint16_t next[BOARD_MAX_POINTS];                 /* next stone in the group, cyclic */
  board_group_t groups[BOARD_MAX_POINTS];          /* valid at head stones */
  /* The colourings before the last BOARD_RECENT moves (row-major y*N+x, board_color_t), a ring:
   * recent[(recent_head + k) % BOARD_RECENT] is the colouring k+1 moves ago, for k < nrecent.
   * Updated by board_play / board_play_legal (not by fast play); read with board_colors_ago. */
  int recent_head, nrecent;
  uint8_t recent[BOARD_RECENT][BOARD_MAX_SIZE * BOARD_MAX_SIZE];
  /* history: hashes[i] is the colouring after actions[0..i-1]; hashes[0] is the empty board.
   * Keep these last: board_copy copies only the first nactions(+1) entries. */
  uint64_t seen[64];        /* 4096-bit filter of hashes[0..nactions]: bit (h & 4095) set */
  int nactions;
  board_action_t actions[BOARD_MAX_HISTORY];
  uint64_t hashes[BOARD_MAX_HISTORY + 1];
} board_t;

/* Empty board of the given size with rules and komi. ROCKS_ERR_ARG if size not in 2..19. */
rocks_status_t board_init(board_t *b, int size, board_rules_t rules, float komi, rocks_error_t *err);
/* Clears stones and history, keeping size, rules and komi. */
void board_clear(board_t *b);
/* dst = src; copies only the used part of the history. */
void board_copy(board_t *dst, const board_t *src);

static inline int board_point(const board_t *b, int x, int y) { return (y + 1) * b->stride + x + 1; }
static inline int board_x(const board_t *b, int p) { return p % b->stride - 1; }
static inline int board_y(const board_t *b, int p) { return p / b->stride - 1; }
static inline bool board_on_board(const board_t *b, int p) {
  return p >= 0 && p < b->stride * b->stride && b->color[p] != COLOR_OFFBOARD;
}
static inline int board_policy_index(const board_t *b, int move) {
  return move == BOARD_PASS ? b->size * b->size : board_y(b, move) * b->size + board_x(b, move);
}
static inline int board_policy_point(const board_t *b, int index) {
  return index == b->size * b->size ? BOARD_PASS : board_point(b, index % b->size, index / b->size);
}
/* Number of neighbours of p with colour c (COLOR_OFFBOARD included), from the packed counts. */
static inline int board_neighbors(const board_t *b, int p, int c) { return (b->nbcount[p] >> (4 * c)) & 15; }
static inline bool board_game_over(const board_t *b) { return b->passes >= 2; }

/* Full legality of `move` (a point or BOARD_PASS) for `color` under b->rules, superko included
 * (when rules.ko is positional and history is valid). Never modifies b. */
bool board_is_legal(const board_t *b, int color, int move);
/* Same, with a reason when illegal ("occupied", "suicide", "ko", "superko", "off board"). */
bool board_is_legal_why(const board_t *b, int color, int move, const char **why);

/* Plays `move` for `color` (need not be b->to_play: GTP allows either colour), records it in
 * the history, and sets to_play to the opponent. ROCKS_ERR_ILLEGAL with a reason if illegal;
 * ROCKS_ERR_NOMEM if the history is full. The board is unchanged on error. */
rocks_status_t board_play(board_t *b, int color, int move, rocks_error_t *err);

/* Plays a move already known to be legal (e.g. taken from board_legal_moves), recording history,
 * without re-checking legality. For search, where legality was established when expanding. */
void board_play_legal(board_t *b, int color, int move);

/* Sets a point by setup (handicap, SGF AB/AW/AE): color BLACK/WHITE places a stone on an empty
 * point, COLOR_EMPTY removes a stone. No captures, no turn change; recorded for undo. Groups
 * are rebuilt, so this is slower than a move (fine for setup). Leaves a position where groups
 * may have no liberties as it is (SGF allows it). ROCKS_ERR_ILLEGAL if off board or if placing
 * on an occupied point. */
rocks_status_t board_setup_stone(board_t *b, int color, int point, rocks_error_t *err);

/* Changes komi (affects scoring only) or the rules (affect the legality of later moves). */
void board_set_komi(board_t *b, float komi);
void board_set_rules(board_t *b, board_rules_t rules);

/* Sets the side to move (after setup, e.g. handicap or SGF PL). Ignores other values. Not
 * recorded in the history: after board_undo the side to move follows the last remaining move. */
void board_set_to_play(board_t *b, int color);

/* Undoes the last recorded action (move, pass or setup stone) by replaying the history.
 * ROCKS_ERR_STATE if there is nothing to undo or the history is invalid. */
rocks_status_t board_undo(board_t *b, rocks_error_t *err);

/* Fills moves[] with every legal move for `color` (points, then BOARD_PASS last); returns the
 * count. moves must hold BOARD_MAX_MOVES entries. */
int board_legal_moves(const board_t *b, int color, int *moves);

/* A single-point eye of `color`: empty point whose on-board neighbours are all `color`, and
 * at most one diagonal is the opponent's (none on the edge). */
bool board_is_eye(const board_t *b, int point, int color);

/* Writes the colouring `ago` moves back (0 = now, up to BOARD_RECENT) into out[y*N+x] as
 * board_color_t values. Before the start of the game (or beyond what is kept after setup) the
 * board is reported empty, as AlphaGo Zero zero-fills missing history. Returns false if `ago`
 * is out of range. Invalid after board_play_fast. */
bool board_colors_ago(const board_t *b, int ago, uint8_t *out);

/* ---- scoring ---- */

/* Tromp-Taylor area score: stones of each colour plus empty points that reach only that colour.
 * black/white may be NULL. Returns black - white - komi (positive: black wins). */
double board_score(const board_t *b, int *black_area, int *white_area);
/* Winner by board_score: COLOR_BLACK, COLOR_WHITE or COLOR_EMPTY for a jigo. */
int board_winner(const board_t *b);
/* Writes "B+3.5", "W+0.5" or "0" into out (GTP final_score / SGF RE format). */
void board_score_string(const board_t *b, char *out, int outlen);
/* Area owner per point for an ended game: COLOR_BLACK/WHITE for stones and territory, EMPTY for
 * dame. owner must hold BOARD_MAX_POINTS entries. */
void board_area_owner(const board_t *b, uint8_t *owner);

/* ---- fast play for playouts ---- */

/* Legal under simple ko and the suicide rule, ignoring superko. */
bool board_is_legal_fast(const board_t *b, int color, int point);
/* Plays a move that board_is_legal_fast accepted (or BOARD_PASS). No superko, no history. */
void board_play_fast(board_t *b, int color, int move);
/* A uniformly random legal move for `color` that does not fill its own single-point eye, or
 * BOARD_PASS if there is none. Ignores superko (see board_is_legal_fast). */
int board_random_move(const board_t *b, int color, rocks_rng_t *rng);
/* Plays random non-eye-filling moves from b (modified in place) until two passes or
 * max_moves moves (0 = 3*N*N). Returns the number of moves played. */
int board_playout(board_t *b, rocks_rng_t *rng, int max_moves);

/* ---- text ---- */

/* Parses a GTP vertex ("D4", "pass", case-insensitive; letter I is skipped) into a point.
 * Returns ROCKS_ERR_PARSE for malformed text, ROCKS_ERR_ARG if off this board. */
rocks_status_t board_parse_vertex(const board_t *b, const char *s, int *move, rocks_error_t *err);
/* Writes a GTP vertex ("D4", "pass", "resign") into out (>= 5 bytes). */
void board_vertex_string(const board_t *b, int move, char *out);
/* Parses "b"/"black"/"w"/"white" (case-insensitive). Returns the colour or COLOR_EMPTY. */
int board_parse_color(const char *s);
/* ASCII diagram: rows from the top with GTP coordinates, X = black, O = white, . empty,
 * with the last move marked. Returns the length written (truncates to outlen-1). */
int board_to_string(const board_t *b, char *out, int outlen);

/* Consistency check of the incremental state (groups, liberties, hash, empty list) against a
 * recomputation from scratch; for tests. Returns true if consistent, else fills err. */
bool board_check(const board_t *b, rocks_error_t *err);

#endif
