/* gtp.c — a GTP v2 engine (Go Text Protocol, version 2, draft 2) over the rules engine.
 *
 * One call of gtp_handle_line is one input line and one complete response (or none):
 *   1. preprocessing as the spec orders it: drop control characters except HT and LF, cut at
 *      '#', turn HT into SPACE, and answer nothing for an empty or whitespace-only line;
 *   2. an optional numeric id, echoed in the response ("=12 result", "?12 error");
 *   3. the command name looked up in COMMANDS (name -> handler, argument counts), a wrong
 *      argument count being "syntax error" and an unknown name "unknown command";
 *   4. the handler writes its result (or error message) into a growable buffer; the response
 *      is "=id result\n\n" or "?id message\n\n", with multi-line results kept free of empty
 *      lines so that the two newlines always end the response.
 * Standard error messages are those of the spec: "unacceptable size", "illegal move",
 * "cannot undo", "cannot score", "cannot load file", "invalid number of stones",
 * "board not empty", "bad vertex list", "syntax error", "unknown command".
 *
 * Commands: the spec's administrative, setup, core play, tournament (final_status_list: every
 * stone is alive, as scoring is Tromp-Taylor area), regression (loadsgf, reg_genmove) and debug
 * (showboard) ones; the KGS extensions kgs-genmove_cleanup and kgs-time_settings; GNU Go-style
 * helpers for referees and tests (printsgf, list_stones, is_legal, all_legal, countlib,
 * cputime); rocks-rules to switch the rules preset; and the analysis extensions of Leela Zero
 * and KataGo (lz-analyze, kata-analyze, lz-genmove_analyze, kata-genmove_analyze) over an
 * analyzer hook.
 *
 * Analysis: the command's handler only checks its arguments, prepares the hook's search and
 * records the request (e->an); the response so far is "=id\n". gtp_run then starts a search
 * thread that runs slices of search and, every interval, writes one line with all candidates
 * ("info move ... info move ...") while the main thread blocks reading the next command line.
 * That line stops the thread; the empty line closing the response goes out before the next
 * response (gtp_handle_line prefixes it while a request is pending, so the no-I/O API keeps a
 * well-formed stream too). The genmove_analyze forms do not wait for input: the thread stops at
 * the visit target or time budget, and the response ends with "play MOVE" and the empty line.
 *
 * The engine owns all its state (board, RNG, clocks); there is no global mutable state.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* getline, stat */
#endif

#include "play/gtp.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "go/sgf.h"

#define GTP_MAX_SGF_BYTES (16L << 20) /* loadsgf refuses larger files */
#define GTP_MIN_BUDGET 0.001          /* smallest time budget handed to genmove under a clock */
#define GTP_MAX_KOMI 1000.0           /* |komi| beyond this is rejected */

/* ------------------------------------------------------------------------------------------ */
/* growable text buffer                                                                        */

typedef struct {
  char *s;
  size_t len, cap;
  bool oom; /* an allocation failed; the text is incomplete */
} sbuf_t;

/* Makes room for n more bytes plus a NUL; false (and oom set) when out of memory. */
static bool sb_reserve(sbuf_t *b, size_t n) {
  if (b->oom) return false;
  if (b->len + n + 1 <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + n + 1) cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s) return !(b->oom = true);
  b->s = s;
  b->cap = cap;
  return true;
}

static void sb_putn(sbuf_t *b, const char *s, size_t n) {
  if (!sb_reserve(b, n)) return;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_puts(sbuf_t *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_putc(sbuf_t *b, char c) { sb_putn(b, &c, 1); }

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !sb_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

static void sb_clear(sbuf_t *b) {
  b->len = 0;
  if (b->s) b->s[0] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* engine state                                                                                */

/* Time control as the controller announced it, and what is left per colour. */
typedef struct {
  bool settings;     /* time_settings (or kgs-time_settings) with a limit received */
  bool unlimited;    /* explicitly no time limit */
  double main_time;  /* seconds */
  double byo_time;   /* seconds per byo-yomi period */
  int byo_stones;    /* stones per period (0 with byo_time 0: absolute time) */
  bool known[3];     /* time_left received for this colour */
  double left[3];    /* seconds left per colour (main time, or of the current period) */
  int stones[3];     /* stones left in the current period; 0 = still in main time */
} gtp_clock_t;

/* A pending analysis request (see the file comment). */
typedef enum { AN_NONE = 0, AN_ANALYZE, AN_GENMOVE } an_mode_t;
typedef struct {
  an_mode_t mode;
  bool kata;         /* kata-* format */
  int color;         /* player analysed / to move */
  int interval_cs;   /* centiseconds between info lines (0: none) */
  int max_moves;     /* candidates per line at most */
  int min_moves;     /* candidates per line at least (unvisited ones by prior) */
  double budget;     /* genmove: seconds from time management (0 = none) */
  double t0;         /* when the request began */
} gtp_analysis_t;

struct gtp_engine {
  board_t board; /* the game; komi and rules live here */
  rocks_rng_t rng;
  char name[64];
  gtp_genmove_fn genmove; /* NULL: uniformly random legal non-eye-filling moves */
  void *genmove_ctx;
  bool allow_writes; /* printsgf FILE permitted */
  gtp_clock_t clock;
  int only_size;     /* > 0: the only board size accepted */
  double lag;        /* seconds kept back per move */
  bool has_analyzer;
  gtp_analyzer_t analyzer;
  gtp_analysis_t an; /* pending analysis request (mode AN_NONE: none) */
};

/* One command being executed. Handlers write the result, or on failure the error message,
 * into out and return true on success. */
typedef struct {
  gtp_engine_t *e;
  int argc;    /* arguments after the command name */
  char **argv;
  sbuf_t *out;
  bool quit;
  bool stream; /* an analysis request started: the response is only "=id\n" for now */
} gtp_call_t;

typedef bool (*gtp_handler_t)(gtp_call_t *c);

typedef struct {
  const char *name;
  gtp_handler_t fn;
  int min_args, max_args; /* max_args < 0: no upper bound */
  bool analysis;          /* exists only with an analyzer hook */
} gtp_command_t;

static const gtp_command_t *find_command(const gtp_engine_t *e, const char *name);
static void list_command_names(const gtp_engine_t *e, sbuf_t *out);

/* ------------------------------------------------------------------------------------------ */
/* argument parsing                                                                            */

/* Replaces out with msg and reports failure. */
static bool fail(gtp_call_t *c, const char *msg) {
  sb_clear(c->out);
  sb_puts(c->out, msg);
  return false;
}

static bool syntax_error(gtp_call_t *c) { return fail(c, "syntax error"); }

/* A decimal integer with optional sign, nothing else. Out-of-range values saturate. */
static bool parse_int(const char *s, long *v) {
  const char *p = s + (*s == '+' || *s == '-');
  if (*p < '0' || *p > '9') return false;
  char *end;
  *v = strtol(s, &end, 10);
  return *end == '\0';
}

/* A finite decimal number (no hex, inf or nan), nothing else. */
static bool parse_number(const char *s, double *v) {
  for (const char *p = s; *p; p++)
    if (!strchr("0123456789+-.eE", *p)) return false;
  char *end;
  *v = strtod(s, &end);
  return end != s && *end == '\0' && isfinite(*v);
}

/* A non-negative integer that fits an int (saturating at INT_MAX). */
static bool parse_count(const char *s, int *n) {
  long v;
  if (!parse_int(s, &v) || v < 0) return false;
  *n = v > INT_MAX ? INT_MAX : (int)v;
  return true;
}

static bool parse_color(const char *s, int *color) {
  *color = board_parse_color(s);
  return *color != COLOR_EMPTY;
}

typedef enum { VERTEX_OK, VERTEX_SYNTAX, VERTEX_OFF_BOARD } vertex_parse_t;

/* A vertex or "pass" (case-insensitive); well-formed vertices beyond the board are told apart. */
static vertex_parse_t parse_vertex(const board_t *b, const char *s, int *move) {
  switch (board_parse_vertex(b, s, move, NULL)) {
    case ROCKS_OK: return VERTEX_OK;
    case ROCKS_ERR_ARG: return VERTEX_OFF_BOARD;
    default: return VERTEX_SYNTAX;
  }
}

static void put_vertex(sbuf_t *out, const board_t *b, int move) {
  char v[8];
  board_vertex_string(b, move, v);
  sb_puts(out, v);
}

/* ------------------------------------------------------------------------------------------ */
/* move generation and clocks                                                                  */

/* Seconds to spend on this move (0 = no limit), docs/play.md. lag = e->lag, the per-move
 * margin for what the search cannot see (its last slice, answering, the controller's pipe):
 *   in byo-yomi (stones left > 0): the period's time left over its stones left, less the lag;
 *   in main time: what is left over max(empty points / 2, 10) moves, less the lag (each move
 *     takes at most a tenth of what is left; once what is left falls below 10 lags, moves are
 *     answered at once), or, when a byo-yomi follows, at least the per-stone byo-yomi time
 *     less the lag (the overrun is charged to the first period, which holds it).
 * Never below GTP_MIN_BUDGET (the player then answers after one slice of search, or at once). */
static double clock_budget(const gtp_engine_t *e, int color) {
  const gtp_clock_t *k = &e->clock;
  if (k->unlimited || (!k->settings && !k->known[color])) return 0;
  double budget;
  if (k->stones[color] > 0) {
    budget = k->left[color] / k->stones[color] - e->lag;
  } else {
    int moves = e->board.nempty / 2;
    if (moves < 10) moves = 10;
    budget = k->left[color] / moves - e->lag;
    if (k->byo_time > 0 && k->byo_stones > 0 && k->byo_time / k->byo_stones - e->lag > budget)
      budget = k->byo_time / k->byo_stones - e->lag;
  }
  return budget > GTP_MIN_BUDGET ? budget : GTP_MIN_BUDGET;
}

/* Own bookkeeping between time_left commands: charges `spent` seconds to color's clock. */
static void clock_spend(gtp_engine_t *e, int color, double spent) {
  gtp_clock_t *k = &e->clock;
  if (k->unlimited || (!k->settings && !k->known[color])) return;
  k->left[color] -= spent;
  if (k->stones[color] > 0) {
    if (--k->stones[color] == 0 || k->left[color] <= 0) {
      k->left[color] = k->byo_time;
      k->stones[color] = k->byo_stones;
    }
  } else if (k->left[color] <= 0 && k->byo_stones > 0) {
    k->left[color] = k->byo_time;
    k->stones[color] = k->byo_stones;
  }
}

/* Resets both colours to the announced main time (new settings or a new game). */
static void clock_restart(gtp_clock_t *k) {
  for (int c = COLOR_BLACK; c <= COLOR_WHITE; c++) {
    k->known[c] = false;
    k->left[c] = k->main_time;
    k->stones[c] = 0;
    if (k->main_time <= 0 && k->byo_stones > 0) {
      k->left[c] = k->byo_time;
      k->stones[c] = k->byo_stones;
    }
  }
}

/* A uniformly random move for color that is fully legal (superko included) and does not fill
 * its own single-point eye; BOARD_PASS when there is none. */
static int random_move(gtp_engine_t *e, int color) {
  const board_t *b = &e->board;
  /* board_random_move ignores superko; its candidates are a superset of the legal ones. */
  for (int tries = 0; tries < 16; tries++) {
    int m = board_random_move(b, color, &e->rng);
    if (m == BOARD_PASS || board_is_legal(b, color, m)) return m;
  }
  int moves[BOARD_MAX_MOVES], k = 0;
  const int n = board_legal_moves(b, color, moves);
  for (int i = 0; i < n; i++)
    if (moves[i] != BOARD_PASS && !board_is_eye(b, moves[i], color)) moves[k++] = moves[i];
  return k ? moves[rocks_rng_below(&e->rng, (uint32_t)k)] : BOARD_PASS;
}

/* ------------------------------------------------------------------------------------------ */
/* administrative commands                                                                     */

static bool cmd_protocol_version(gtp_call_t *c) {
  sb_puts(c->out, "2");
  return true;
}

static bool cmd_name(gtp_call_t *c) {
  sb_puts(c->out, c->e->name);
  return true;
}

static bool cmd_version(gtp_call_t *c) {
  sb_puts(c->out, ROCKS_VERSION);
  return true;
}

static bool cmd_known_command(gtp_call_t *c) {
  sb_puts(c->out, find_command(c->e, c->argv[0]) ? "true" : "false");
  return true;
}

static bool cmd_list_commands(gtp_call_t *c) {
  list_command_names(c->e, c->out);
  return true;
}

static bool cmd_quit(gtp_call_t *c) {
  c->quit = true;
  return true;
}

/* ------------------------------------------------------------------------------------------ */
/* setup commands                                                                              */

static bool cmd_boardsize(gtp_call_t *c) {
  long n;
  if (!parse_int(c->argv[0], &n)) return syntax_error(c);
  if (n < BOARD_MIN_SIZE || n > BOARD_MAX_SIZE) return fail(c, "unacceptable size");
  if (c->e->only_size > 0 && n != c->e->only_size) return fail(c, "unacceptable size");
  board_t *b = &c->e->board;
  board_init(b, (int)n, b->rules, b->komi, NULL);
  return true;
}

static bool cmd_clear_board(gtp_call_t *c) {
  board_clear(&c->e->board);
  if (c->e->clock.settings) clock_restart(&c->e->clock);
  return true;
}

static bool cmd_komi(gtp_call_t *c) {
  double k;
  if (!parse_number(c->argv[0], &k) || fabs(k) > GTP_MAX_KOMI) return syntax_error(c);
  /* Komi only enters scoring, never the incremental state, and board.h has no setter. */
  board_set_komi(&c->e->board, (float)k);
  return true;
}

/* rocks-rules [NAME]: shows or switches the rules preset (tromp-taylor, chinese). */
static bool cmd_rules(gtp_call_t *c) {
  board_t *b = &c->e->board;
  if (c->argc == 0) {
    sb_puts(c->out, board_rules_name(b->rules));
    return true;
  }
  board_rules_t r;
  if (board_rules_from_name(&r, c->argv[0], NULL) != ROCKS_OK)
    return fail(c, "unknown rules (known: tromp-taylor, chinese)");
  /* Rules only decide the legality of future moves, so switching mid-game is sound. */
  board_set_rules(b, r);
  return true;
}

/* Largest fixed handicap the spec defines for this size: none below 7x7, 4 on 7x7 and on even
 * sizes, 9 on odd sizes from 9x9. */
static int fixed_handicap_max(int size) {
  if (size < 7) return 0;
  return size == 7 || size % 2 == 0 ? 4 : 9;
}

/* The spec's fixed handicap points for n stones (2..fixed_handicap_max), in its order.
 * Lines 3 (boards below 13x13) or 4 from the edges, and the centre lines. */
static void fixed_handicap_points(const board_t *b, int n, int *points) {
  /* (column, row from the bottom) as 0 = low line, 1 = centre, 2 = high line:
   * D4 Q16 D16 Q4 | K10 | D10 Q10 | K4 K16 on 19x19. */
  static const char *const pattern[10] = {
      NULL, NULL, "0022", "002202", "00220220", "0022022011", "002202200121",
      "00220220012111", "0022022001211012", "002202200121101211"};
  const int size = b->size, lo = size < 13 ? 2 : 3;
  const int line[3] = {lo, (size - 1) / 2, size - 1 - lo};
  for (int i = 0; i < n; i++) {
    int col = line[pattern[n][2 * i] - '0'], row = line[pattern[n][2 * i + 1] - '0'];
    points[i] = board_point(b, col, size - 1 - row);
  }
}

static bool board_has_stones(const board_t *b) { return b->stones[COLOR_BLACK] + b->stones[COLOR_WHITE] > 0; }

/* Places black setup stones and lists them; fails only if the history is full. */
static bool place_handicap(gtp_call_t *c, const int *points, int n) {
  board_t *b = &c->e->board;
  if (b->nactions + n > BOARD_MAX_HISTORY) return fail(c, "game history full");
  for (int i = 0; i < n; i++) {
    board_setup_stone(b, COLOR_BLACK, points[i], NULL);
    if (i) sb_putc(c->out, ' ');
    put_vertex(c->out, b, points[i]);
  }
  board_set_to_play(b, COLOR_WHITE); /* White moves first after handicap stones */
  return true;
}

static bool cmd_fixed_handicap(gtp_call_t *c) {
  const board_t *b = &c->e->board;
  long n;
  if (!parse_int(c->argv[0], &n)) return syntax_error(c);
  if (n < 2 || n > fixed_handicap_max(b->size)) return fail(c, "invalid number of stones");
  if (board_has_stones(b)) return fail(c, "board not empty");
  int points[9];
  fixed_handicap_points(b, (int)n, points);
  return place_handicap(c, points, (int)n);
}

/* place_free_handicap N: the fixed points as far as they go, then random empty points. */
static bool cmd_place_free_handicap(gtp_call_t *c) {
  gtp_engine_t *e = c->e;
  const board_t *b = &e->board;
  long n;
  if (!parse_int(c->argv[0], &n)) return syntax_error(c);
  if (n < 2 || n > b->size * b->size - 1) return fail(c, "invalid number of stones");
  if (board_has_stones(b)) return fail(c, "board not empty");
  int points[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
  int k = fixed_handicap_max(b->size) < n ? fixed_handicap_max(b->size) : (int)n;
  if (k >= 2) fixed_handicap_points(b, k, points);
  else k = 0;
  uint8_t taken[BOARD_MAX_POINTS] = {0};
  for (int i = 0; i < k; i++) taken[points[i]] = 1;
  int free_points[BOARD_MAX_SIZE * BOARD_MAX_SIZE], nfree = 0;
  for (int i = 0; i < b->nempty; i++)
    if (!taken[b->empty[i]]) free_points[nfree++] = b->empty[i];
  while (k < n && nfree > 0) {
    int i = (int)rocks_rng_below(&e->rng, (uint32_t)nfree);
    points[k++] = free_points[i];
    free_points[i] = free_points[--nfree];
  }
  return place_handicap(c, points, k);
}

static bool cmd_set_free_handicap(gtp_call_t *c) {
  const board_t *b = &c->e->board;
  int points[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
  uint8_t seen[BOARD_MAX_POINTS] = {0};
  bool bad = c->argc < 2 || c->argc > b->size * b->size - 1;
  for (int i = 0; i < c->argc; i++) {
    int p;
    vertex_parse_t v = parse_vertex(b, c->argv[i], &p);
    if (v == VERTEX_SYNTAX) return syntax_error(c);
    if (v == VERTEX_OFF_BOARD || p == BOARD_PASS || seen[p]) bad = true;
    else if (i < BOARD_MAX_SIZE * BOARD_MAX_SIZE) points[i] = p, seen[p] = 1;
  }
  if (board_has_stones(b)) return fail(c, "board not empty");
  if (bad) return fail(c, "bad vertex list");
  if (!place_handicap(c, points, c->argc)) return false;
  sb_clear(c->out); /* set_free_handicap answers nothing */
  return true;
}

/* ------------------------------------------------------------------------------------------ */
/* playing                                                                                     */

static bool cmd_play(gtp_call_t *c) {
  board_t *b = &c->e->board;
  int color, move;
  if (!parse_color(c->argv[0], &color)) return syntax_error(c);
  vertex_parse_t v = parse_vertex(b, c->argv[1], &move);
  if (v == VERTEX_SYNTAX) return syntax_error(c);
  if (v == VERTEX_OFF_BOARD) return fail(c, "illegal move");
  rocks_status_t st = board_play(b, color, move, NULL);
  if (st == ROCKS_ERR_ILLEGAL) return fail(c, "illegal move");
  if (st != ROCKS_OK) return fail(c, "game history full");
  return true;
}

/* The move for color: the hook's answer if it is a legal move (or pass, or resign), else a
 * random one. Does not play it. */
static int generate_move(gtp_engine_t *e, int color) {
  const board_t *b = &e->board;
  if (e->genmove) {
    int m = e->genmove(e->genmove_ctx, b, color, clock_budget(e, color), &e->rng);
    if (m == BOARD_RESIGN || m == BOARD_PASS || (board_on_board(b, m) && board_is_legal(b, color, m))) return m;
  }
  return random_move(e, color);
}

/* genmove COLOR (and kgs-genmove_cleanup): generates a move and plays it. */
static bool cmd_genmove(gtp_call_t *c) {
  gtp_engine_t *e = c->e;
  int color;
  if (!parse_color(c->argv[0], &color)) return syntax_error(c);
  const double t0 = rocks_now();
  const int move = generate_move(e, color);
  if (move != BOARD_RESIGN && board_play(&e->board, color, move, NULL) != ROCKS_OK)
    return fail(c, "game history full");
  clock_spend(e, color, rocks_now() - t0);
  put_vertex(c->out, &e->board, move);
  return true;
}

/* reg_genmove COLOR: the move genmove would generate, not played (spec: regression command). */
static bool cmd_reg_genmove(gtp_call_t *c) {
  int color;
  if (!parse_color(c->argv[0], &color)) return syntax_error(c);
  put_vertex(c->out, &c->e->board, generate_move(c->e, color));
  return true;
}

static bool cmd_undo(gtp_call_t *c) {
  board_t *b = &c->e->board;
  /* Moves and passes only: handicap and SGF setup stones are not moves. */
  if (b->nactions == 0 || b->actions[b->nactions - 1].setup || board_undo(b, NULL) != ROCKS_OK)
    return fail(c, "cannot undo");
  return true;
}

/* ------------------------------------------------------------------------------------------ */
/* position, scoring                                                                           */

static bool cmd_showboard(gtp_call_t *c) {
  char text[4096];
  board_to_string(&c->e->board, text, (int)sizeof text);
  sb_putc(c->out, '\n'); /* the diagram starts on its own line */
  sb_puts(c->out, text);
  return true;
}

static bool cmd_final_score(gtp_call_t *c) {
  char s[64];
  board_score_string(&c->e->board, s, (int)sizeof s);
  sb_puts(c->out, s);
  return true;
}

/* Lists the vertices of the string at p on one line, marking them in seen. */
static void put_string(sbuf_t *out, const board_t *b, int p, uint8_t *seen) {
  uint16_t stack[BOARD_MAX_POINTS];
  int n = 0, first = 1;
  const int color = b->color[p], d[4] = {1, -1, b->stride, -b->stride};
  stack[n++] = (uint16_t)p;
  seen[p] = 1;
  while (n > 0) {
    int q = stack[--n];
    if (!first) sb_putc(out, ' ');
    first = 0;
    put_vertex(out, b, q);
    for (int k = 0; k < 4; k++)
      if (b->color[q + d[k]] == color && !seen[q + d[k]]) {
        seen[q + d[k]] = 1;
        stack[n++] = (uint16_t)(q + d[k]);
      }
  }
}

/* final_status_list alive|dead|seki: scoring is Tromp-Taylor, so every stone is alive. */
static bool cmd_final_status_list(gtp_call_t *c) {
  const char *s = c->argv[0];
  if (!strcmp(s, "dead") || !strcmp(s, "seki")) return true;
  if (strcmp(s, "alive")) return syntax_error(c);
  const board_t *b = &c->e->board;
  uint8_t seen[BOARD_MAX_POINTS] = {0};
  int lines = 0;
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) {
      int p = board_point(b, x, y);
      if (b->color[p] != COLOR_EMPTY && !seen[p]) {
        if (lines++) sb_putc(c->out, '\n');
        put_string(c->out, b, p, seen);
      }
    }
  return true;
}

static bool cmd_list_stones(gtp_call_t *c) {
  const board_t *b = &c->e->board;
  int color, n = 0;
  if (!parse_color(c->argv[0], &color)) return syntax_error(c);
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++)
      if (b->color[board_point(b, x, y)] == color) {
        if (n++) sb_putc(c->out, ' ');
        put_vertex(c->out, b, board_point(b, x, y));
      }
  return true;
}

static bool cmd_is_legal(gtp_call_t *c) {
  const board_t *b = &c->e->board;
  int color, move;
  if (!parse_color(c->argv[0], &color)) return syntax_error(c);
  vertex_parse_t v = parse_vertex(b, c->argv[1], &move);
  if (v == VERTEX_SYNTAX) return syntax_error(c);
  sb_puts(c->out, v == VERTEX_OK && board_is_legal(b, color, move) ? "1" : "0");
  return true;
}

static bool cmd_all_legal(gtp_call_t *c) {
  const board_t *b = &c->e->board;
  int color, moves[BOARD_MAX_MOVES];
  if (!parse_color(c->argv[0], &color)) return syntax_error(c);
  const int n = board_legal_moves(b, color, moves);
  for (int i = 0, k = 0; i < n; i++)
    if (moves[i] != BOARD_PASS) {
      if (k++) sb_putc(c->out, ' ');
      put_vertex(c->out, b, moves[i]);
    }
  return true;
}

/* countlib VERTEX: the number of distinct liberties of the string there. */
static bool cmd_countlib(gtp_call_t *c) {
  const board_t *b = &c->e->board;
  int p;
  vertex_parse_t v = parse_vertex(b, c->argv[0], &p);
  if (v == VERTEX_OFF_BOARD) return fail(c, "invalid coordinate");
  if (v == VERTEX_SYNTAX || p == BOARD_PASS) return syntax_error(c);
  if (b->color[p] == COLOR_EMPTY) return fail(c, "vertex must not be empty");
  uint8_t seen[BOARD_MAX_POINTS] = {0};
  uint16_t stack[BOARD_MAX_POINTS];
  const int color = b->color[p], d[4] = {1, -1, b->stride, -b->stride};
  int n = 0, libs = 0;
  stack[n++] = (uint16_t)p;
  seen[p] = 1;
  while (n > 0) {
    int q = stack[--n];
    for (int k = 0; k < 4; k++) {
      int r = q + d[k];
      if (seen[r]) continue;
      if (b->color[r] == COLOR_EMPTY) seen[r] = 1, libs++;
      else if (b->color[r] == color) seen[r] = 1, stack[n++] = (uint16_t)r;
    }
  }
  sb_printf(c->out, "%d", libs);
  return true;
}

/* ------------------------------------------------------------------------------------------ */
/* SGF                                                                                         */

/* sgf_read_file, but only for regular files, and reading at most GTP_MAX_SGF_BYTES: a FIFO or
 * device could block, and some /proc files report size 0 yet never end. */
static bool read_sgf_file(const char *path, sgf_game_t **games, int *ngames) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > GTP_MAX_SGF_BYTES) return false;
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  sbuf_t text = {0};
  char chunk[8192];
  size_t n;
  while (!text.oom && text.len <= GTP_MAX_SGF_BYTES && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    sb_putn(&text, chunk, n);
  bool ok = !ferror(f) && !text.oom && text.len <= GTP_MAX_SGF_BYTES;
  fclose(f);
  ok = ok && sgf_parse(text.s ? text.s : "", text.len, games, ngames, NULL) == ROCKS_OK;
  free(text.s);
  return ok;
}

/* loadsgf FILE [MOVE_NUMBER]: the position before that move (or after the whole main line). */
static bool cmd_loadsgf(gtp_call_t *c) {
  gtp_engine_t *e = c->e;
  long moveno = 0;
  if (c->argc == 2 && (!parse_int(c->argv[1], &moveno) || moveno < 1)) return syntax_error(c);
  sgf_game_t *games = NULL;
  int ngames = 0;
  if (!read_sgf_file(c->argv[0], &games, &ngames)) return fail(c, "cannot load file");
  board_t *b = malloc(sizeof *b);
  bool ok = b && sgf_game_to_board(&games[0], b, e->board.rules, moveno > INT_MAX ? INT_MAX : (int)moveno,
                                   NULL) == ROCKS_OK;
  ok = ok && (e->only_size <= 0 || b->size == e->only_size);
  if (ok) board_copy(&e->board, b);
  free(b);
  sgf_games_free(games, ngames);
  if (!ok) return fail(c, "cannot load file");
  if (e->clock.settings) clock_restart(&e->clock);
  return true;
}

/* printsgf [FILE]: the game as SGF, as the response or written to FILE. */
static bool cmd_printsgf(gtp_call_t *c) {
  gtp_engine_t *e = c->e;
  if (c->argc == 1 && !e->allow_writes) return fail(c, "file writes are disabled");
  sgf_game_t g;
  if (sgf_game_from_board(&g, &e->board, NULL, NULL, NULL) != ROCKS_OK) {
    sgf_game_clear(&g);
    return fail(c, "cannot export game");
  }
  bool ok = true;
  if (c->argc == 1) {
    ok = sgf_write_file(c->argv[0], &g, NULL) == ROCKS_OK;
  } else {
    char *text = sgf_write(&g);
    if (text) sb_puts(c->out, text);
    else c->out->oom = true;
    free(text);
  }
  sgf_game_clear(&g);
  return ok ? true : fail(c, "cannot write file");
}

/* ------------------------------------------------------------------------------------------ */
/* time                                                                                        */

static void clock_set(gtp_clock_t *k, double main_time, double byo_time, int byo_stones) {
  k->settings = true;
  /* The spec: byo-yomi time with zero stones means no time limit. */
  k->unlimited = byo_time > 0 && byo_stones == 0;
  k->main_time = main_time;
  k->byo_time = byo_time;
  k->byo_stones = byo_stones;
  clock_restart(k);
}

/* A time value in seconds: a non-negative finite number below a year. */
static bool parse_seconds(const char *s, double *v) { return parse_number(s, v) && *v >= 0 && *v < 3.2e7; }

static bool cmd_time_settings(gtp_call_t *c) {
  double main_time, byo_time;
  int stones;
  if (!parse_seconds(c->argv[0], &main_time) || !parse_seconds(c->argv[1], &byo_time) ||
      !parse_count(c->argv[2], &stones))
    return syntax_error(c);
  clock_set(&c->e->clock, main_time, byo_time, stones);
  return true;
}

/* kgs-time_settings none | absolute MAIN | byoyomi MAIN PERIOD PERIODS | canadian MAIN TIME STONES.
 * Japanese byo-yomi is modelled as one stone per period. */
static bool cmd_kgs_time_settings(gtp_call_t *c) {
  gtp_clock_t *k = &c->e->clock;
  const char *kind = c->argv[0];
  double main_time = 0, byo_time = 0;
  int stones = 0;
  if (!strcmp(kind, "none") && c->argc == 1) {
    clock_set(k, 0, 1, 0);
    return true;
  }
  if (c->argc < 2 || !parse_seconds(c->argv[1], &main_time)) return syntax_error(c);
  if (!strcmp(kind, "absolute") && c->argc == 2) {
    clock_set(k, main_time, 0, 0);
    return true;
  }
  if (c->argc != 4 || !parse_seconds(c->argv[2], &byo_time) || !parse_count(c->argv[3], &stones))
    return syntax_error(c);
  if (!strcmp(kind, "byoyomi")) clock_set(k, main_time, byo_time, stones > 0 ? 1 : 0);
  else if (!strcmp(kind, "canadian")) clock_set(k, main_time, byo_time, stones);
  else return syntax_error(c);
  return true;
}

static bool cmd_time_left(gtp_call_t *c) {
  gtp_clock_t *k = &c->e->clock;
  int color, stones;
  double left;
  if (!parse_color(c->argv[0], &color) || !parse_number(c->argv[1], &left) || fabs(left) > 3.2e7 ||
      !parse_count(c->argv[2], &stones))
    return syntax_error(c);
  k->known[color] = true;
  k->left[color] = left;
  k->stones[color] = stones;
  return true;
}

static bool cmd_cputime(gtp_call_t *c) {
  sb_printf(c->out, "%.3f", (double)clock() / CLOCKS_PER_SEC);
  return true;
}

/* ------------------------------------------------------------------------------------------ */
/* analysis (lz-analyze, kata-analyze, *-genmove_analyze)                                      */

/* [color] [interval] then KEY VALUE pairs: interval, minmoves, maxmoves (integers); KataGo's
 * boolean options (ownership, ownershipStdev, movesOwnership, pvVisits, pvEdgeVisits, rootInfo)
 * are accepted and ignored (this network has no ownership head). */
static bool parse_analysis_args(gtp_call_t *c, gtp_analysis_t *a) {
  static const char *const bool_keys[] = {"ownership", "ownershipStdev", "movesOwnership",
                                          "pvVisits", "pvEdgeVisits", "rootInfo"};
  int i = 0, color;
  long v;
  a->color = c->e->board.to_play;
  a->interval_cs = 0;
  a->max_moves = BOARD_MAX_MOVES;
  a->min_moves = 0;
  if (i < c->argc && parse_color(c->argv[i], &color)) a->color = color, i++;
  if (i < c->argc && parse_int(c->argv[i], &v)) {
    if (v < 0) return false;
    a->interval_cs = v > 1000000 ? 1000000 : (int)v;
    i++;
  }
  for (; i < c->argc; i += 2) {
    const char *key = c->argv[i], *val = i + 1 < c->argc ? c->argv[i + 1] : NULL;
    if (!val) return false;
    if (!strcmp(key, "interval") || !strcmp(key, "minmoves") || !strcmp(key, "maxmoves")) {
      if (!parse_int(val, &v) || v < 0) return false;
      const int n = v > 1000000 ? 1000000 : (int)v;
      if (key[0] == 'i') a->interval_cs = n;
      else if (key[1] == 'i') a->min_moves = n > BOARD_MAX_MOVES ? BOARD_MAX_MOVES : n;
      else a->max_moves = n > BOARD_MAX_MOVES ? BOARD_MAX_MOVES : n;
      continue;
    }
    bool known = false;
    for (size_t k = 0; k < sizeof bool_keys / sizeof bool_keys[0]; k++) known |= !strcmp(key, bool_keys[k]);
    if (!known || (strcmp(val, "true") && strcmp(val, "false"))) return false;
  }
  return true;
}

static bool start_analysis(gtp_call_t *c, an_mode_t mode, bool kata) {
  gtp_engine_t *e = c->e;
  gtp_analysis_t a = {.mode = mode, .kata = kata};
  if (!parse_analysis_args(c, &a)) return syntax_error(c);
  rocks_error_t err = {.code = ROCKS_OK, .msg = ""};
  if (e->analyzer.begin(e->analyzer.ctx, &e->board, a.color, &err) != ROCKS_OK)
    return fail(c, err.msg[0] ? err.msg : "cannot analyse this position");
  if (mode == AN_GENMOVE) a.budget = clock_budget(e, a.color);
  a.t0 = rocks_now();
  e->an = a;
  c->stream = true;
  return true;
}

static bool cmd_lz_analyze(gtp_call_t *c) { return start_analysis(c, AN_ANALYZE, false); }
static bool cmd_kata_analyze(gtp_call_t *c) { return start_analysis(c, AN_ANALYZE, true); }
static bool cmd_lz_genmove_analyze(gtp_call_t *c) { return start_analysis(c, AN_GENMOVE, false); }
static bool cmd_kata_genmove_analyze(gtp_call_t *c) { return start_analysis(c, AN_GENMOVE, true); }

/* x in [0, 1] as an integer 0..10000 (Leela Zero's fields). */
static int per10000(double x) {
  long v = lround(x * 10000.0);
  return (int)(v < 0 ? 0 : v > 10000 ? 10000 : v);
}

/* One info line (all candidates, best first) into line, "\n" included; nothing when the
 * search has no visited move yet. cands has room for BOARD_MAX_MOVES. */
static void analysis_line(gtp_engine_t *e, gtp_candidate_t *cands, sbuf_t *line) {
  const gtp_analysis_t *a = &e->an;
  int n = e->analyzer.candidates(e->analyzer.ctx, cands, a->max_moves, a->min_moves);
  sb_clear(line);
  if (n <= 0 || cands[0].visits <= 0) return;
  for (int i = 0; i < n; i++) {
    const gtp_candidate_t *k = &cands[i];
    if (i) sb_putc(line, ' ');
    sb_puts(line, "info move ");
    put_vertex(line, &e->board, k->move);
    if (a->kata) {
      const double u = 2 * k->winrate - 1;
      sb_printf(line, " visits %d utility %.6f winrate %.6f scoreMean 0 scoreStdev 0 scoreLead 0"
                      " scoreSelfplay 0 prior %.6f lcb %.6f utilityLcb %.6f order %d pv",
                k->visits, u, k->winrate, k->prior, k->lcb, 2 * k->lcb - 1, i);
    } else {
      sb_printf(line, " visits %d winrate %d prior %d lcb %d order %d pv", k->visits, per10000(k->winrate),
                per10000(k->prior), per10000(k->lcb), i);
    }
    for (int j = 0; j < k->npv && j < GTP_MAX_PV; j++) {
      sb_putc(line, ' ');
      put_vertex(line, &e->board, k->pv[j]);
    }
  }
  sb_putc(line, '\n');
}

/* Ends a pending request into r: the empty line of an analysis; for genmove_analyze the search
 * is completed (if the thread did not), the move chosen and played, and "play MOVE\n\n". */
static void end_analysis(gtp_engine_t *e, sbuf_t *r) {
  gtp_analysis_t *a = &e->an;
  if (a->mode == AN_ANALYZE) {
    sb_putc(r, '\n');
  } else if (a->mode == AN_GENMOVE) {
    const gtp_analyzer_t *h = &e->analyzer;
    while (!h->done(h->ctx, rocks_now() - a->t0, a->budget) && h->step(h->ctx)) {
    }
    int move = h->choose(h->ctx);
    const board_t *b = &e->board;
    if (move != BOARD_RESIGN && move != BOARD_PASS && !(board_on_board(b, move) && board_is_legal(b, a->color, move)))
      move = random_move(e, a->color);
    if (move != BOARD_RESIGN && board_play(&e->board, a->color, move, NULL) != ROCKS_OK) move = BOARD_PASS;
    clock_spend(e, a->color, rocks_now() - a->t0);
    sb_puts(r, "play ");
    put_vertex(r, &e->board, move);
    sb_puts(r, "\n\n");
  }
  a->mode = AN_NONE;
}

bool gtp_analysis_pending(const gtp_engine_t *e) { return e->an.mode != AN_NONE; }

void gtp_set_analyzer(gtp_engine_t *e, const gtp_analyzer_t *a) {
  e->has_analyzer = a != NULL;
  if (a) e->analyzer = *a;
  e->an.mode = AN_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* command table and dispatch                                                                  */

static const gtp_command_t COMMANDS[] = {
    {"protocol_version", cmd_protocol_version, 0, 0, false},
    {"name", cmd_name, 0, 0, false},
    {"version", cmd_version, 0, 0, false},
    {"known_command", cmd_known_command, 1, 1, false},
    {"list_commands", cmd_list_commands, 0, 0, false},
    {"quit", cmd_quit, 0, 0, false},
    {"boardsize", cmd_boardsize, 1, 1, false},
    {"clear_board", cmd_clear_board, 0, 0, false},
    {"komi", cmd_komi, 1, 1, false},
    {"play", cmd_play, 2, 2, false},
    {"genmove", cmd_genmove, 1, 1, false},
    {"kgs-genmove_cleanup", cmd_genmove, 1, 1, false},
    {"undo", cmd_undo, 0, 0, false},
    {"showboard", cmd_showboard, 0, 0, false},
    {"final_score", cmd_final_score, 0, 0, false},
    {"final_status_list", cmd_final_status_list, 1, 1, false},
    {"fixed_handicap", cmd_fixed_handicap, 1, 1, false},
    {"place_free_handicap", cmd_place_free_handicap, 1, 1, false},
    {"set_free_handicap", cmd_set_free_handicap, 1, -1, false},
    {"loadsgf", cmd_loadsgf, 1, 2, false},
    {"reg_genmove", cmd_reg_genmove, 1, 1, false},
    {"printsgf", cmd_printsgf, 0, 1, false},
    {"time_settings", cmd_time_settings, 3, 3, false},
    {"time_left", cmd_time_left, 3, 3, false},
    {"kgs-time_settings", cmd_kgs_time_settings, 1, 4, false},
    {"list_stones", cmd_list_stones, 1, 1, false},
    {"is_legal", cmd_is_legal, 2, 2, false},
    {"all_legal", cmd_all_legal, 1, 1, false},
    {"countlib", cmd_countlib, 1, 1, false},
    {"cputime", cmd_cputime, 0, 0, false},
    {"rocks-rules", cmd_rules, 0, 1, false},
    {"lz-analyze", cmd_lz_analyze, 0, -1, true},
    {"kata-analyze", cmd_kata_analyze, 0, -1, true},
    {"lz-genmove_analyze", cmd_lz_genmove_analyze, 0, -1, true},
    {"kata-genmove_analyze", cmd_kata_genmove_analyze, 0, -1, true},
};

#define NCOMMANDS ((int)(sizeof COMMANDS / sizeof COMMANDS[0]))

/* Command names are case-sensitive, as in the spec. */
static const gtp_command_t *find_command(const gtp_engine_t *e, const char *name) {
  for (int i = 0; i < NCOMMANDS; i++)
    if (!strcmp(COMMANDS[i].name, name) && (!COMMANDS[i].analysis || e->has_analyzer)) return &COMMANDS[i];
  return NULL;
}

static void list_command_names(const gtp_engine_t *e, sbuf_t *out) {
  for (int i = 0, n = 0; i < NCOMMANDS; i++) {
    if (COMMANDS[i].analysis && !e->has_analyzer) continue;
    if (n++) sb_putc(out, '\n');
    sb_puts(out, COMMANDS[i].name);
  }
}

/* Spec preprocessing of one line into a fresh string: only the text before the first LF,
 * control characters other than HT removed, cut at '#', HT turned into SPACE. NULL: no memory. */
static char *preprocess(const char *line) {
  size_t n = strcspn(line, "\n");
  char *s = malloc(n + 1), *w = s;
  if (!s) return NULL;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)line[i];
    if ((ch < 32 && ch != '\t') || ch == 127) continue;
    if (ch == '#') break;
    *w++ = ch == '\t' ? ' ' : (char)ch;
  }
  *w = '\0';
  return s;
}

/* Splits s in place at spaces; returns the number of words stored in words (>= strlen/2+1). */
static int split_words(char *s, char **words) {
  int n = 0;
  for (char *p = s; *p;) {
    while (*p == ' ') *p++ = '\0';
    if (!*p) break;
    words[n++] = p;
    while (*p && *p != ' ') p++;
  }
  return n;
}

static bool all_digits(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

/* Appends "=id body\n\n" or "?id body\n\n", keeping the body free of empty lines and control
 * characters so that only the final two newlines end the response. */
static void put_response(sbuf_t *r, bool ok, const char *id, const sbuf_t *body) {
  sb_putc(r, ok ? '=' : '?');
  sb_puts(r, id);
  sb_putc(r, ' ');
  char prev = ' ';
  for (size_t i = 0; i < body->len; i++) {
    char ch = body->s[i];
    if (ch == '\t') ch = ' ';
    if ((ch != '\n' && (unsigned char)ch < 32) || ch == 127) continue;
    if (ch == '\n' && prev == '\n') continue;
    sb_putc(r, ch);
    prev = ch;
  }
  while (r->len > 0 && r->s[r->len - 1] == '\n') r->s[--r->len] = '\0';
  sb_puts(r, "\n\n");
}

char *gtp_handle_line(gtp_engine_t *e, const char *line, bool *quit) {
  if (quit) *quit = false;
  char *text = preprocess(line ? line : "");
  char **words = text ? malloc(sizeof *words * (strlen(text) / 2 + 2)) : NULL;
  sbuf_t body = {0}, r = {0};
  sb_putn(&r, "", 0); /* the empty response is "" */
  if (e->an.mode != AN_NONE) end_analysis(e, &r); /* any line ends a pending analysis */
  if (!text || !words) r.oom = true;
  const int nwords = r.oom ? 0 : split_words(text, words);
  if (nwords > 0) {
    const bool has_id = all_digits(words[0]);
    const char *id = has_id ? words[0] : "";
    const gtp_command_t *cmd = nwords > has_id ? find_command(e, words[has_id]) : NULL;
    gtp_call_t call = {.e = e, .argc = nwords - has_id - 1, .argv = words + has_id + 1, .out = &body};
    bool ok;
    if (!cmd) ok = fail(&call, "unknown command");
    else if (call.argc < cmd->min_args || (cmd->max_args >= 0 && call.argc > cmd->max_args))
      ok = syntax_error(&call);
    else ok = cmd->fn(&call);
    if (body.oom) r.oom = true;
    if (ok && call.stream) {
      sb_putc(&r, '=');
      sb_puts(&r, id);
      sb_putc(&r, '\n');
    } else {
      put_response(&r, ok, id, &body);
    }
    if (quit && call.quit) *quit = true;
  }
  free(words);
  free(text);
  free(body.s);
  if (r.oom) {
    free(r.s);
    return NULL;
  }
  return r.s;
}

/* ------------------------------------------------------------------------------------------ */
/* lifecycle, I/O loop                                                                         */

gtp_config_t gtp_config_default(void) {
  return (gtp_config_t){.size = 19,
                        .komi = 7.5f,
                        .rules = board_rules_tromp_taylor(),
                        .seed = 1,
                        .name = "rocks",
                        .only_size = 0,
                        .lag = 0.05};
}

gtp_engine_t *gtp_new(const gtp_config_t *cfg, rocks_error_t *err) {
  const gtp_config_t def = gtp_config_default();
  if (!cfg) cfg = &def;
  if (!isfinite(cfg->komi) || fabs(cfg->komi) > GTP_MAX_KOMI) {
    rocks_fail(err, ROCKS_ERR_ARG, "komi %g out of range", (double)cfg->komi);
    return NULL;
  }
  gtp_engine_t *e = calloc(1, sizeof *e);
  if (!e) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  if (board_init(&e->board, cfg->size, cfg->rules, cfg->komi, err) != ROCKS_OK) {
    free(e);
    return NULL;
  }
  rocks_rng_seed(&e->rng, cfg->seed);
  /* The name goes into responses: keep printable characters only. */
  const char *name = cfg->name && *cfg->name ? cfg->name : "rocks";
  size_t n = 0;
  for (; *name && n + 1 < sizeof e->name; name++)
    if ((unsigned char)*name >= 32 && *name != 127) e->name[n++] = *name;
  e->allow_writes = true;
  e->only_size = cfg->only_size > 0 ? cfg->only_size : 0;
  e->lag = isfinite(cfg->lag) && cfg->lag >= 0 ? cfg->lag : 0.05;
  if (e->only_size > 0 && cfg->size != e->only_size) {
    rocks_fail(err, ROCKS_ERR_ARG, "board size %d, but only %dx%d can be played", cfg->size, e->only_size,
               e->only_size);
    free(e);
    return NULL;
  }
  return e;
}

void gtp_delete(gtp_engine_t *e) { free(e); }

void gtp_set_genmove(gtp_engine_t *e, gtp_genmove_fn fn, void *ctx) {
  e->genmove = fn;
  e->genmove_ctx = ctx;
}

const board_t *gtp_board(const gtp_engine_t *e) { return &e->board; }

void gtp_set_allow_writes(gtp_engine_t *e, bool allow) { e->allow_writes = allow; }

/* The search thread of a pending request (see the file comment). */
typedef struct {
  gtp_engine_t *e;
  FILE *out;
  atomic_bool stop;
  bool io_error;
} an_thread_t;

static void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
  nanosleep(&ts, NULL);
}

static void *analysis_thread(void *arg) {
  an_thread_t *t = arg;
  gtp_engine_t *e = t->e;
  const gtp_analysis_t *a = &e->an;
  const gtp_analyzer_t *h = &e->analyzer;
  gtp_candidate_t *cands = malloc(sizeof *cands * BOARD_MAX_MOVES);
  sbuf_t line = {0};
  const double interval = a->interval_cs / 100.0;
  double next = a->t0 + interval;
  bool can = cands != NULL;
  while (!atomic_load(&t->stop)) {
    if (can) can = h->step(h->ctx);
    else sleep_ms(5); /* nothing left to search: wait for the next command */
    const double now = rocks_now();
    const bool finished = a->mode == AN_GENMOVE && (!can || h->done(h->ctx, now - a->t0, a->budget));
    if (cands && interval > 0 && (now >= next || finished)) {
      analysis_line(e, cands, &line);
      if (line.len && !line.oom && (fputs(line.s, t->out) == EOF || fflush(t->out) == EOF)) t->io_error = true;
      next = now + interval;
    }
    if (finished) break;
  }
  free(line.s);
  free(cands);
  return NULL;
}

rocks_status_t gtp_run(gtp_engine_t *e, FILE *in, FILE *out, rocks_error_t *err) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  rocks_status_t st = ROCKS_OK;
  an_thread_t t = {.e = e, .out = out};
  pthread_t thread;
  bool running = false;
  for (;;) {
    if (e->an.mode != AN_NONE && !running) {
      atomic_store(&t.stop, false);
      running = pthread_create(&thread, NULL, analysis_thread, &t) == 0;
      if (e->an.mode == AN_GENMOVE) { /* synchronous: no input ends it */
        if (running) pthread_join(thread, NULL);
        running = false;
        sbuf_t r = {0};
        end_analysis(e, &r);
        if (r.oom || fputs(r.s, out) == EOF || fflush(out) == EOF)
          st = rocks_fail(err, r.oom ? ROCKS_ERR_NOMEM : ROCKS_ERR_IO, "writing a response");
        free(r.s);
        if (st != ROCKS_OK) break;
        continue;
      }
    }
    if ((len = getline(&line, &cap, in)) < 0) break;
    if (running) { /* the next line ends the analysis (gtp_handle_line closes the response) */
      atomic_store(&t.stop, true);
      pthread_join(thread, NULL);
      running = false;
    }
    /* NUL is a control character: drop it rather than let it end the C string. */
    size_t w = 0;
    for (ssize_t i = 0; i < len; i++)
      if (line[i]) line[w++] = line[i];
    line[w] = '\0';
    bool quit = false;
    char *resp = gtp_handle_line(e, line, &quit);
    if (!resp) {
      st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      break;
    }
    if (*resp && (fputs(resp, out) == EOF || fflush(out) == EOF))
      st = rocks_fail(err, ROCKS_ERR_IO, "writing a response: %s", strerror(errno));
    free(resp);
    if (quit || st != ROCKS_OK) break;
  }
  if (running) {
    atomic_store(&t.stop, true);
    pthread_join(thread, NULL);
  }
  if (e->an.mode == AN_ANALYZE) { /* input ended during an analysis: close its response */
    sbuf_t r = {0};
    end_analysis(e, &r);
    if (r.s && st == ROCKS_OK) {
      fputs(r.s, out);
      fflush(out);
    }
    free(r.s);
  }
  if (st == ROCKS_OK && t.io_error) st = rocks_fail(err, ROCKS_ERR_IO, "writing analysis output");
  if (st == ROCKS_OK && ferror(in)) st = rocks_fail(err, ROCKS_ERR_IO, "reading commands: %s", strerror(errno));
  free(line);
  return st;
}
