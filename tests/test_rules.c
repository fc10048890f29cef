/* test_rules.c — runs the rule cases in tests/rules (the *.t files) against the board engine (src/go/board.h).
 *
 * Usage: test_rules DIR     runs every file DIR/NAME.t in name order
 *        test_rules FILE.t  runs one file
 * Prints "file:line: what was expected, what was got" for each failed check, then a summary, and
 * exits non-zero if any check failed, if a file could not be read or parsed, or if no case ran.
 *
 * ---- The .t format (also in tests/rules/README.md) ----
 * One command per line; blank lines are ignored; '%' starts a comment (anywhere on a line), and
 * so does '#' at the start of a line. Colours are b/black/w/white; vertices are GTP ("c3",
 * "pass"; column letters skip I; row 1 is the bottom line). A file holds any number of cases.
 *
 *   boardsize N        starts a new case: empty NxN board, rules tromp-taylor, komi 0
 *   rules NAME [suicide=0|1] [ko=simple|positional]
 *                      NAME is tromp-taylor or chinese (board_rules_from_name); the options
 *                      override single fields. Restarts the board empty with these rules.
 *   komi K             restarts the board empty with this komi
 *   board              the next N lines are the position, top row (row N) first: X black,
 *                      O white, '.' or '+' empty, spaces ignored. The board is cleared and the
 *                      stones are placed with board_setup_stone in reading order. The position
 *                      after the last stone is in the superko history, the ones in between are
 *                      not (docs/rules.md).
 *   play C V           C plays V; must succeed
 *   legal C V 0|1 [WHY[|WHY...]]
 *                      board_is_legal(C, V) must be 1 (legal) or 0; for 0 the reason from
 *                      board_is_legal_why must be one of the WHYs if they are given
 *   expect             the next N lines (same notation as board) must equal the board exactly
 *   owner              the next N lines must equal board_area_owner (X, O, '.' for dame)
 *   score S            board_score_string must be exactly S ("B+3.5", "W+0.5", "0")
 *   scorevalue V       board_score (black - white - komi) must equal V
 *   area B W           the black and white areas from board_score
 *   captures C N       stones captured by C
 *   toplay C           the side to move
 *   gameover 0|1       board_game_over (two consecutive passes)
 *   ko V|none          the simple-ko point (b->ko_point)
 *   legalcount C N     board_legal_moves(C) returns N moves (pass included)
 *   eye V C 0|1        board_is_eye(V, C)
 *   undo               board_undo must succeed
 *   noundo             board_undo must fail with ROCKS_ERR_STATE (nothing to undo)
 *
 * Besides the stated assertions the runner checks on its own: board_check after every action
 * (setup stone, move, refused move, undo); after each play, the bookkeeping (side to move, move
 * count, passes, last move, history hash) and that undo on a copy gives back the exact previous
 * state (board, counters, ko, recent colourings); for each legal assertion, agreement of board_is_legal, board_is_legal_why,
 * board_legal_moves and (for the side to move) board_is_legal_fast; and that a refused
 * board_play returns ROCKS_ERR_ILLEGAL and leaves the board unchanged.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "go/board.h"

#define MAX_TOKENS 8

typedef struct {
  const char *path;
  int line;            /* 1-based line of the command being run */
  char **lines;
  int nlines;
  board_t *b, *pre, *scratch;
  int size;
  board_rules_t rules;
  float komi;
  int in_case;
  int case_broken;     /* a play/undo/format error: skip the rest of the case */
  int case_failed;
  int cases, checks, failures, cases_failed;
} runner_t;

static void fail(runner_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(runner_t *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s:%d: ", r->path, r->line);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  r->failures++;
  r->case_failed = 1;
}

/* ------------------------------------------------------------------ board text helpers */

static char stone_char(int c) { return c == COLOR_BLACK ? 'X' : c == COLOR_WHITE ? 'O' : '.'; }

/* Rows of a grid (y*N+x, colours) as text, each row prefixed by indent. */
static void grid_text(int n, const uint8_t *grid, char *out, size_t outlen) {
  size_t k = 0;
  for (int y = 0; y < n; y++) {
    k += (size_t)snprintf(out + k, outlen - k, "\n    %2d ", n - y);
    for (int x = 0; x < n; x++) out[k++] = stone_char(grid[y * n + x]), out[k++] = ' ';
    out[k] = '\0';
  }
}

static void board_grid(const board_t *b, uint8_t *grid) {
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) grid[y * b->size + x] = b->color[board_point(b, x, y)];
}

/* Reads the N rows after line index *i (0-based index of the command line) into grid. */
static int read_rows(runner_t *r, int i, uint8_t *grid) {
  int n = r->size;
  for (int y = 0; y < n; y++) {
    if (i + 1 + y >= r->nlines) {
      r->line = r->nlines;
      fail(r, "format: board ends after %d of %d rows", y, n);
      return 0;
    }
    const char *s = r->lines[i + 1 + y];
    int x = 0;
    for (; *s && *s != '%'; s++) {
      int c;
      switch (*s) {
        case ' ': case '\t': case '\r': continue;
        case '.': case '+': c = COLOR_EMPTY; break;
        case 'X': case 'x': c = COLOR_BLACK; break;
        case 'O': case 'o': c = COLOR_WHITE; break;
        default:
          r->line = i + 2 + y;
          fail(r, "format: unexpected character '%c' in a board row", *s);
          return 0;
      }
      if (x >= n) {
        r->line = i + 2 + y;
        fail(r, "format: board row longer than %d", n);
        return 0;
      }
      grid[y * n + x++] = (uint8_t)c;
    }
    if (x != n) {
      r->line = i + 2 + y;
      fail(r, "format: board row has %d points, expected %d", x, n);
      return 0;
    }
  }
  return 1;
}

/* ------------------------------------------------------------------ checks */

static void check_board(runner_t *r, const board_t *b, const char *after) {
  rocks_error_t err = {0};
  if (!board_check(b, &err)) fail(r, "board_check failed after %s: %s", after, err.msg);
}

/* Compares the observable state of two boards; reports the first difference. */
static int same_state(runner_t *r, const board_t *got, const board_t *want, const char *what) {
  for (int y = 0; y < want->size; y++)
    for (int x = 0; x < want->size; x++) {
      int p = board_point(want, x, y);
      if (got->color[p] != want->color[p]) {
        uint8_t g1[BOARD_MAX_POINTS], g2[BOARD_MAX_POINTS];
        char t1[2048], t2[2048];
        board_grid(want, g1);
        board_grid(got, g2);
        grid_text(want->size, g1, t1, sizeof t1);
        grid_text(want->size, g2, t2, sizeof t2);
        fail(r, "%s: board differs; expected%s\n  got%s", what, t1, t2);
        return 0;
      }
    }
#define SAME(field)                                                                       \
  if (got->field != want->field) {                                                        \
    fail(r, "%s: " #field " expected %lld got %lld", what, (long long)want->field,        \
         (long long)got->field);                                                          \
    return 0;                                                                             \
  }
  SAME(hash) SAME(to_play) SAME(ko_point) SAME(passes) SAME(move_count) SAME(nactions)
  SAME(captures[COLOR_BLACK]) SAME(captures[COLOR_WHITE]) SAME(stones[COLOR_BLACK])
  SAME(stones[COLOR_WHITE]) SAME(nempty) SAME(last_move) SAME(last_move2)
  if (want->ko_point) SAME(ko_color)
#undef SAME
  /* the recent colourings (history input planes) */
  for (int ago = 0; ago <= BOARD_RECENT; ago++) {
    uint8_t a[BOARD_MAX_SIZE * BOARD_MAX_SIZE], c[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
    bool oka = board_colors_ago(got, ago, a), okc = board_colors_ago(want, ago, c);
    if (oka != okc || (oka && memcmp(a, c, (size_t)(want->size * want->size)) != 0)) {
      fail(r, "%s: board_colors_ago(%d) differs", what, ago);
      return 0;
    }
  }
  return 1;
}

static int contains(const int *moves, int n, int m) {
  for (int i = 0; i < n; i++)
    if (moves[i] == m) return 1;
  return 0;
}

/* ------------------------------------------------------------------ commands */

static void new_board(runner_t *r) {
  rocks_error_t err = {0};
  if (board_init(r->b, r->size, r->rules, r->komi, &err) != ROCKS_OK) {
    fail(r, "board_init(%d) failed: %s", r->size, err.msg);
    r->case_broken = 1;
    return;
  }
  check_board(r, r->b, "board_init");
}

static int parse_color(runner_t *r, const char *s) {
  int c = board_parse_color(s);
  if (c != COLOR_BLACK && c != COLOR_WHITE) {
    fail(r, "format: bad colour '%s'", s);
    r->case_broken = 1;
  }
  return c;
}

static int parse_vertex(runner_t *r, const char *s, int *move) {
  rocks_error_t err = {0};
  if (board_parse_vertex(r->b, s, move, &err) != ROCKS_OK) {
    fail(r, "bad vertex '%s': %s", s, err.msg);
    r->case_broken = 1;
    return 0;
  }
  return 1;
}

static void cmd_play(runner_t *r, int color, int move, const char *vtx) {
  rocks_error_t err = {0};
  board_t *b = r->b;
  board_copy(r->pre, b);
  const char *why = NULL;
  bool legal = board_is_legal_why(b, color, move, &why);
  rocks_status_t st = board_play(b, color, move, &err);
  if (st != ROCKS_OK) {
    fail(r, "play %s %s failed: %s: %s", color == COLOR_BLACK ? "b" : "w", vtx,
         rocks_status_name(st), err.msg);
    r->case_broken = 1;
    same_state(r, b, r->pre, "board after a failed play");
    return;
  }
  check_board(r, b, "play");
  if (!legal) fail(r, "board_play accepted %s, which board_is_legal_why refused (%s)", vtx, why ? why : "?");
  if (b->to_play != board_other(color)) fail(r, "after play: to_play is %d", b->to_play);
  if (b->move_count != r->pre->move_count + 1) fail(r, "after play: move_count %d, was %d", b->move_count, r->pre->move_count);
  if (b->last_move != move) fail(r, "after play: last_move %d, expected %d", b->last_move, move);
  if (b->last_move2 != r->pre->last_move) fail(r, "after play: last_move2 %d, expected %d", b->last_move2, r->pre->last_move);
  int want_passes = move == BOARD_PASS ? r->pre->passes + 1 : 0;
  if (b->passes != want_passes) fail(r, "after play: passes %d, expected %d", b->passes, want_passes);
  if (b->nactions != r->pre->nactions + 1) fail(r, "after play: nactions %d, expected %d", b->nactions, r->pre->nactions + 1);
  else if (b->hashes[b->nactions] != b->hash) fail(r, "after play: hashes[nactions] != hash");
  if (move == BOARD_PASS && b->hash != r->pre->hash) fail(r, "a pass changed the hash");
  if (move != BOARD_PASS && b->color[move] != color && b->color[move] != COLOR_EMPTY)
    fail(r, "after play: the played point holds colour %d", b->color[move]);
  if (move != BOARD_PASS && b->ko_point == move) fail(r, "after play: ko_point is the point just played");
  /* undo on a copy gives back the exact previous state */
  board_copy(r->scratch, b);
  if (board_undo(r->scratch, &err) != ROCKS_OK) {
    fail(r, "undo (on a copy) after play %s failed: %s", vtx, err.msg);
  } else {
    check_board(r, r->scratch, "undo of the play (on a copy)");
    same_state(r, r->scratch, r->pre, "undo of the play (on a copy)");
  }
}

static void cmd_legal(runner_t *r, int color, int move, const char *vtx, int want, const char *whys) {
  board_t *b = r->b;
  const char *why = NULL;
  bool l = board_is_legal(b, color, move);
  bool l2 = board_is_legal_why(b, color, move, &why);
  if (l != l2) fail(r, "%s: board_is_legal %d but board_is_legal_why %d", vtx, l, l2);
  if ((int)l != want) {
    fail(r, "legal %s %s: expected %d got %d%s%s%s", color == COLOR_BLACK ? "b" : "w", vtx, want, l,
         l2 ? "" : " (", l2 ? "" : (why ? why : "no reason"), l2 ? "" : ")");
    return;
  }
  if (!l) {
    if (!why) {
      fail(r, "%s illegal but board_is_legal_why gave no reason", vtx);
    } else if (whys) {
      int ok = 0;
      char buf[128];
      snprintf(buf, sizeof buf, "%s", whys);
      for (char *save = NULL, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
        if (strcmp(t, why) == 0) ok = 1;
      if (!ok) fail(r, "%s illegal: reason expected %s got %s", vtx, whys, why);
    }
  }
  int moves[BOARD_MAX_MOVES];
  int n = board_legal_moves(b, color, moves);
  if (n < 1 || n > b->size * b->size + 1 || moves[n - 1] != BOARD_PASS)
    fail(r, "board_legal_moves: %d moves, last %d (pass must be last)", n, n > 0 ? moves[n - 1] : 0);
  if (contains(moves, n, move) != (int)l)
    fail(r, "%s: board_is_legal %d but board_legal_moves %s it", vtx, l, l ? "lacks" : "has");
  if (move != BOARD_PASS && color == b->to_play) {
    bool f = board_is_legal_fast(b, color, move);
    if (l && !f) fail(r, "%s legal but board_is_legal_fast refuses it", vtx);
    if (b->rules.ko == BOARD_KO_SIMPLE && f != l)
      fail(r, "%s: simple-ko rules, board_is_legal %d but board_is_legal_fast %d", vtx, l, f);
  }
  if (!l) { /* board_play must refuse it and leave the board as it was */
    rocks_error_t err = {0};
    board_copy(r->pre, b);
    rocks_status_t st = board_play(b, color, move, &err);
    if (st != ROCKS_ERR_ILLEGAL) {
      fail(r, "board_play of illegal %s returned %s, expected %s", vtx, rocks_status_name(st),
           rocks_status_name(ROCKS_ERR_ILLEGAL));
      if (st == ROCKS_OK) board_copy(b, r->pre);
    } else {
      same_state(r, b, r->pre, "board after a refused play");
    }
    check_board(r, b, "a refused play");
  }
}

static void cmd_grid(runner_t *r, int i, int owner) {
  uint8_t want[BOARD_MAX_POINTS], got[BOARD_MAX_POINTS];
  if (!read_rows(r, i, want)) {
    r->case_broken = 1;
    return;
  }
  board_t *b = r->b;
  if (owner) {
    uint8_t own[BOARD_MAX_POINTS];
    memset(own, 0xee, sizeof own);
    board_area_owner(b, own);
    for (int y = 0; y < b->size; y++)
      for (int x = 0; x < b->size; x++) got[y * b->size + x] = own[board_point(b, x, y)];
  } else {
    board_grid(b, got);
  }
  if (memcmp(want, got, (size_t)(b->size * b->size)) != 0) {
    char t1[2048], t2[2048];
    grid_text(b->size, want, t1, sizeof t1);
    grid_text(b->size, got, t2, sizeof t2);
    fail(r, "%s: expected%s\n  got%s", owner ? "owner" : "board", t1, t2);
  }
}

static void cmd_board(runner_t *r, int i) {
  uint8_t grid[BOARD_MAX_POINTS];
  if (!read_rows(r, i, grid)) {
    r->case_broken = 1;
    return;
  }
  board_t *b = r->b;
  board_clear(b);
  check_board(r, b, "board_clear");
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) {
      int c = grid[y * b->size + x];
      if (c == COLOR_EMPTY) continue;
      rocks_error_t err = {0};
      if (board_setup_stone(b, c, board_point(b, x, y), &err) != ROCKS_OK) {
        fail(r, "board_setup_stone(%c at %d,%d) failed: %s", stone_char(c), x, y, err.msg);
        r->case_broken = 1;
        return;
      }
      check_board(r, b, "board_setup_stone");
    }
  /* the setup itself must read back */
  uint8_t got[BOARD_MAX_POINTS];
  board_grid(b, got);
  if (memcmp(grid, got, (size_t)(b->size * b->size)) != 0) {
    fail(r, "board after setup differs from the diagram");
    r->case_broken = 1;
  }
}

static int parse_int(runner_t *r, const char *s, int *v) {
  char *end;
  long x = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0') {
    fail(r, "format: bad integer '%s'", s);
    r->case_broken = 1;
    return 0;
  }
  *v = (int)x;
  return 1;
}

static int parse_double(runner_t *r, const char *s, double *v) {
  char *end;
  *v = strtod(s, &end);
  if (*s == '\0' || *end != '\0') {
    fail(r, "format: bad number '%s'", s);
    r->case_broken = 1;
    return 0;
  }
  return 1;
}

static void end_case(runner_t *r) {
  if (r->in_case && r->case_failed) r->cases_failed++;
  r->in_case = 0;
  r->case_failed = 0;
  r->case_broken = 0;
}

/* Runs the command on line index i; returns how many extra lines it consumed. */
static int run_line(runner_t *r, int i) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", r->lines[i]);
  char *pct = strchr(buf, '%');
  if (pct) *pct = '\0';
  char *tok[MAX_TOKENS];
  int nt = 0;
  for (char *save = NULL, *t = strtok_r(buf, " \t\r", &save); t && nt < MAX_TOKENS; t = strtok_r(NULL, " \t\r", &save))
    tok[nt++] = t;
  if (nt == 0 || tok[0][0] == '#') return 0;
  r->line = i + 1;
  const char *cmd = tok[0];
  int grid_cmd = !strcmp(cmd, "board") || !strcmp(cmd, "expect") || !strcmp(cmd, "owner");
  int skip = grid_cmd && r->in_case ? r->size : 0;

  if (!strcmp(cmd, "boardsize")) {
    end_case(r);
    int n;
    if (nt != 2 || !parse_int(r, tok[1], &n)) {
      fail(r, "format: boardsize N");
      r->in_case = 1, r->case_broken = 1;
      r->cases++;
      return 0;
    }
    r->in_case = 1;
    r->cases++;
    r->size = n;
    r->rules = board_rules_tromp_taylor();
    r->komi = 0;
    new_board(r);
    return 0;
  }
  if (!r->in_case) {
    fail(r, "format: '%s' before the first boardsize", cmd);
    return 0;
  }
  if (r->case_broken) return skip;
  r->checks++;

  if (!strcmp(cmd, "rules")) {
    rocks_error_t err = {0};
    if (nt < 2 || board_rules_from_name(&r->rules, tok[1], &err) != ROCKS_OK) {
      fail(r, "rules: %s", nt < 2 ? "missing name" : err.msg);
      r->case_broken = 1;
      return 0;
    }
    if (strcmp(board_rules_name(r->rules), tok[1]) != 0)
      fail(r, "board_rules_name gives '%s' for preset '%s'", board_rules_name(r->rules), tok[1]);
    for (int k = 2; k < nt; k++) {
      if (!strcmp(tok[k], "suicide=0")) r->rules.suicide = false;
      else if (!strcmp(tok[k], "suicide=1")) r->rules.suicide = true;
      else if (!strcmp(tok[k], "ko=simple")) r->rules.ko = BOARD_KO_SIMPLE;
      else if (!strcmp(tok[k], "ko=positional")) r->rules.ko = BOARD_KO_POSITIONAL;
      else {
        fail(r, "format: unknown rules option '%s'", tok[k]);
        r->case_broken = 1;
        return 0;
      }
    }
    new_board(r);
  } else if (!strcmp(cmd, "komi")) {
    double k;
    if (nt != 2 || !parse_double(r, tok[1], &k)) return 0;
    r->komi = (float)k;
    new_board(r);
  } else if (!strcmp(cmd, "board")) {
    cmd_board(r, i);
  } else if (!strcmp(cmd, "expect") || !strcmp(cmd, "owner")) {
    cmd_grid(r, i, cmd[0] == 'o');
  } else if (!strcmp(cmd, "play") || !strcmp(cmd, "legal")) {
    int play = cmd[0] == 'p';
    if (nt < (play ? 3 : 4) || nt > (play ? 3 : 5)) {
      fail(r, "format: %s", play ? "play C V" : "legal C V 0|1 [WHY]");
      r->case_broken = 1;
      return 0;
    }
    int color = parse_color(r, tok[1]), move, want = 0;
    if (r->case_broken || !parse_vertex(r, tok[2], &move)) return 0;
    if (play) {
      cmd_play(r, color, move, tok[2]);
    } else {
      if (!parse_int(r, tok[3], &want)) return 0;
      cmd_legal(r, color, move, tok[2], want, nt == 5 ? tok[4] : NULL);
    }
  } else if (!strcmp(cmd, "score")) {
    char s[64];
    board_score_string(r->b, s, sizeof s);
    if (nt != 2 || strcmp(s, tok[1]) != 0) fail(r, "score: expected %s got %s", nt == 2 ? tok[1] : "?", s);
  } else if (!strcmp(cmd, "scorevalue")) {
    double v;
    if (nt != 2 || !parse_double(r, tok[1], &v)) return 0;
    double got = board_score(r->b, NULL, NULL);
    if (fabs(got - v) > 1e-6) fail(r, "scorevalue: expected %g got %g", v, got);
  } else if (!strcmp(cmd, "area")) {
    int wb, ww, gb = -1, gw = -1;
    if (nt != 3 || !parse_int(r, tok[1], &wb) || !parse_int(r, tok[2], &ww)) return 0;
    double s = board_score(r->b, &gb, &gw);
    if (gb != wb || gw != ww) fail(r, "area: expected %d %d got %d %d", wb, ww, gb, gw);
    if (fabs(s - (gb - gw - r->b->komi)) > 1e-6) fail(r, "board_score %g != %d - %d - komi", s, gb, gw);
  } else if (!strcmp(cmd, "captures")) {
    int n;
    if (nt != 3) { fail(r, "format: captures C N"); return 0; }
    int c = parse_color(r, tok[1]);
    if (r->case_broken || !parse_int(r, tok[2], &n)) return 0;
    if (r->b->captures[c] != n) fail(r, "captures %s: expected %d got %d", tok[1], n, r->b->captures[c]);
  } else if (!strcmp(cmd, "toplay")) {
    if (nt != 2) { fail(r, "format: toplay C"); return 0; }
    int c = parse_color(r, tok[1]);
    if (!r->case_broken && r->b->to_play != c) fail(r, "toplay: expected %s got %d", tok[1], r->b->to_play);
  } else if (!strcmp(cmd, "gameover")) {
    int want;
    if (nt != 2 || !parse_int(r, tok[1], &want)) return 0;
    if ((int)board_game_over(r->b) != want)
      fail(r, "gameover: expected %d got %d (passes %d)", want, board_game_over(r->b), r->b->passes);
  } else if (!strcmp(cmd, "ko")) {
    int want = 0;
    if (nt != 2) { fail(r, "format: ko V|none"); return 0; }
    if (strcmp(tok[1], "none") != 0 && !parse_vertex(r, tok[1], &want)) return 0;
    if (r->b->ko_point != want) {
      char v[8] = "none";
      if (r->b->ko_point > 0) board_vertex_string(r->b, r->b->ko_point, v);
      fail(r, "ko: expected %s got %s", tok[1], v);
    }
  } else if (!strcmp(cmd, "legalcount")) {
    int n, moves[BOARD_MAX_MOVES];
    if (nt != 3) { fail(r, "format: legalcount C N"); return 0; }
    int c = parse_color(r, tok[1]);
    if (r->case_broken || !parse_int(r, tok[2], &n)) return 0;
    int got = board_legal_moves(r->b, c, moves);
    if (got != n) fail(r, "legalcount %s: expected %d got %d", tok[1], n, got);
    for (int k = 0; k < got; k++)
      if (!board_is_legal(r->b, c, moves[k])) fail(r, "board_legal_moves lists move %d, which board_is_legal refuses", moves[k]);
  } else if (!strcmp(cmd, "eye")) {
    int p, want;
    if (nt != 4) { fail(r, "format: eye V C 0|1"); return 0; }
    if (!parse_vertex(r, tok[1], &p)) return 0;
    int c = parse_color(r, tok[2]);
    if (r->case_broken || !parse_int(r, tok[3], &want)) return 0;
    if ((int)board_is_eye(r->b, p, c) != want) fail(r, "eye %s %s: expected %d got %d", tok[1], tok[2], want, !want);
  } else if (!strcmp(cmd, "undo")) {
    rocks_error_t err = {0};
    if (board_undo(r->b, &err) != ROCKS_OK) {
      fail(r, "undo failed: %s", err.msg);
      r->case_broken = 1;
    }
    check_board(r, r->b, "undo");
  } else if (!strcmp(cmd, "noundo")) {
    rocks_error_t err = {0};
    board_copy(r->pre, r->b);
    rocks_status_t st = board_undo(r->b, &err);
    if (st != ROCKS_ERR_STATE) {
      fail(r, "noundo: board_undo returned %s, expected %s", rocks_status_name(st), rocks_status_name(ROCKS_ERR_STATE));
      r->case_broken = 1;
    } else {
      same_state(r, r->b, r->pre, "board after a refused undo");
    }
    check_board(r, r->b, "a refused undo");
  } else {
    fail(r, "format: unknown command '%s'", cmd);
    r->case_broken = 1;
  }
  return skip;
}

/* ------------------------------------------------------------------ files */

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  size_t k;
  while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (cap - n - 1 == 0) {
      char *t = realloc(s, cap * 2);
      if (!t) { free(s); s = NULL; break; }
      s = t;
      cap *= 2;
    }
  }
  fclose(f);
  if (s) s[n] = '\0';
  return s;
}

static void run_file(runner_t *r, const char *path) {
  char *text = read_file(path);
  r->path = path;
  r->line = 0;
  if (!text) {
    fail(r, "cannot read file");
    return;
  }
  int cap = 64;
  r->lines = malloc(sizeof(char *) * (size_t)cap);
  r->nlines = 0;
  for (char *s = text; s && r->lines;) {
    if (r->nlines == cap) {
      cap *= 2;
      char **t = realloc(r->lines, sizeof(char *) * (size_t)cap);
      if (!t) break;
      r->lines = t;
    }
    r->lines[r->nlines++] = s;
    char *nl = strchr(s, '\n');
    if (nl) *nl = '\0', s = nl + 1;
    else s = NULL;
  }
  int cases0 = r->cases, fails0 = r->failures;
  for (int i = 0; r->lines && i < r->nlines; i++) i += run_line(r, i);
  end_case(r);
  printf("%s: %d cases, %s\n", path, r->cases - cases0, r->failures == fails0 ? "ok" : "FAILED");
  free(r->lines);
  r->lines = NULL;
  free(text);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR|FILE.t\n", argv[0]);
    return 2;
  }
  runner_t r;
  memset(&r, 0, sizeof r);
  r.b = malloc(sizeof(board_t));
  r.pre = malloc(sizeof(board_t));
  r.scratch = malloc(sizeof(board_t));
  if (!r.b || !r.pre || !r.scratch) return 2;
  int nfiles = 0;
  struct stat st;
  if (stat(argv[1], &st) == 0 && S_ISREG(st.st_mode)) {
    run_file(&r, argv[1]);
    nfiles = 1;
  } else {
    DIR *d = opendir(argv[1]);
    if (!d) {
      fprintf(stderr, "test_rules: cannot open %s\n", argv[1]);
      return 1;
    }
    char **names = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
      size_t len = strlen(e->d_name);
      if (len < 3 || strcmp(e->d_name + len - 2, ".t") != 0) continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 32;
        char **t = realloc(names, sizeof(char *) * (size_t)cap);
        if (!t) return 2;
        names = t;
      }
      size_t plen = strlen(argv[1]) + len + 2;
      names[n] = malloc(plen);
      if (!names[n]) return 2;
      snprintf(names[n++], plen, "%s/%s", argv[1], e->d_name);
    }
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof(char *), cmp_str);
    for (int i = 0; i < n; i++) run_file(&r, names[i]);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    nfiles = n;
  }
  printf("test_rules: %d files, %d cases, %d checks; %d failures in %d cases\n", nfiles, r.cases, r.checks,
         r.failures, r.cases_failed);
  free(r.b);
  free(r.pre);
  free(r.scratch);
  if (r.cases == 0) {
    printf("test_rules: no cases ran\n");
    return 1;
  }
  return r.failures ? 1 : 0;
}
