/* test_sgf.c — tests of the SGF reader/writer (src/go/sgf.c) and its replay onto a board.
 *
 * Runs with the repository root as working directory (fixtures in tests/sgf/). Prints every
 * failed check with its line and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go/board.h"
#include "go/sgf.h"
#include "util/util.h"

#include "check.h"

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                     */

static rocks_status_t parse_str(const char *s, sgf_game_t **games, int *n, rocks_error_t *err);
static bool parse_one(const char *s, sgf_game_t **games, int line);
static bool event_is(const sgf_event_t *e, int kind, int color, int x, int y, int node);
static bool round_trip(const sgf_game_t *g, int line);
static void expect_parse_error(const char *s, size_t len, const char *where, int line);
static char *read_fixture(const char *path, size_t *len);
static int count_moves(const sgf_game_t *g);
static bool to_board(const char *sgf, board_t *b, int max_moves, rocks_error_t *err);

static rocks_status_t parse_str(const char *s, sgf_game_t **games, int *n, rocks_error_t *err) {
  return sgf_parse(s, strlen(s), games, n, err);
}

/* Parses s, which must hold exactly one game; reports and returns false otherwise. */
static bool parse_one(const char *s, sgf_game_t **games, int line) {
  rocks_error_t err = {0};
  int n = 0;
  rocks_status_t st = parse_str(s, games, &n, &err);
  if (!check_at(st == ROCKS_OK, line, "parse failed: %s (input %.60s)", err.msg, s)) return false;
  if (!check_at(n == 1, line, "expected 1 game, got %d", n)) {
    sgf_games_free(*games, n);
    *games = NULL;
    return false;
  }
  return true;
}

static bool event_is(const sgf_event_t *e, int kind, int color, int x, int y, int node) {
  return e->kind == kind && e->color == color && e->x == x && e->y == y && e->node == node;
}

/* write(g) parses back to a record equal to g, and writing that again gives the same text. */
static bool round_trip(const sgf_game_t *g, int line) {
  char *text = sgf_write(g);
  if (!check_at(text != NULL, line, "sgf_write returned NULL")) return false;
  sgf_game_t *back = NULL;
  int n = 0;
  rocks_error_t err = {0};
  rocks_status_t st = sgf_parse(text, strlen(text), &back, &n, &err);
  bool ok = check_at(st == ROCKS_OK && n == 1, line, "re-parse failed: %s\n%s", err.msg, text);
  if (ok) ok = check_at(sgf_game_equal(g, &back[0]), line, "round trip changed the record:\n%s", text);
  if (ok) {
    char *again = sgf_write(&back[0]);
    ok = check_at(again && !strcmp(again, text), line, "second write differs:\n%s\n%s", text, again ? again : "");
    free(again);
  }
  sgf_games_free(back, n);
  free(text);
  return ok;
}

/* s (len bytes) must fail with ROCKS_ERR_PARSE, no games, and a message starting with
 * "line L, column C" — exactly `where` when given. */
static void expect_parse_error(const char *s, size_t len, const char *where, int line) {
  sgf_game_t dummy;
  sgf_game_t *games = &dummy; /* must come back NULL */
  int n = -1;
  rocks_error_t err = {0};
  rocks_status_t st = sgf_parse(s, len, &games, &n, &err);
  char shown[48];
  snprintf(shown, sizeof shown, "%.*s", (int)(len < 40 ? len : 40), s);
  if (!check_at(st == ROCKS_ERR_PARSE, line, "expected a parse error for \"%s\", got %s", shown,
                rocks_status_name(st))) {
    if (st == ROCKS_OK) sgf_games_free(games, n);
    return;
  }
  check_at(games == NULL && n == 0, line, "games not cleared on error for \"%s\"", shown);
  size_t l = 0, c = 0;
  check_at(sscanf(err.msg, "line %zu, column %zu:", &l, &c) == 2 && l > 0 && c > 0, line,
           "message without position for \"%s\": %s", shown, err.msg);
  if (where)
    check_at(!strncmp(err.msg, where, strlen(where)) && err.msg[strlen(where)] == ':', line,
             "for \"%s\" expected \"%s: ...\", got \"%s\"", shown, where, err.msg);
}

/* Whole file into a malloc'd buffer (NUL-terminated), or NULL. */
static char *read_fixture(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(1 << 16);
  size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
  fclose(f);
  if (buf) buf[n] = '\0';
  *len = n;
  return buf;
}

static int count_moves(const sgf_game_t *g) {
  int n = 0;
  for (int i = 0; i < g->nevents; i++) n += g->events[i].kind == SGF_MOVE;
  return n;
}

/* Parses one game from sgf and replays it with tromp-taylor rules. */
static bool to_board(const char *sgf, board_t *b, int max_moves, rocks_error_t *err) {
  sgf_game_t *g = NULL;
  if (!parse_one(sgf, &g, __LINE__)) return false;
  rocks_status_t st = sgf_game_to_board(&g[0], b, board_rules_tromp_taylor(), max_moves, err);
  sgf_games_free(g, 1);
  return st == ROCKS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* parsing                                                                                     */

static void test_properties(void) {
  sgf_game_t *gs = NULL;
  int n = 0;
  rocks_error_t err = {0};
  rocks_status_t st = sgf_read_file("tests/sgf/properties.sgf", &gs, &n, &err);
  if (!CHECKF(st == ROCKS_OK && n == 1, "properties.sgf: %s", err.msg)) return;
  const sgf_game_t *g = &gs[0];
  CHECK(g->size == 9);
  CHECK(g->komi == 6.5);
  CHECK(g->handicap == 2);
  CHECK(!strcmp(g->rules, "Chinese"));
  CHECKF(!strcmp(g->black, "Black Player"), "PB with a line break read as \"%s\"", g->black);
  CHECKF(!strcmp(g->white, "White Player"), "PW with a tab read as \"%s\"", g->white);
  CHECK(!strcmp(g->result, "W+R"));
  CHECK(!strcmp(g->date, "2024-01-02"));
  CHECKF(!strcmp(g->name, "Game ] one"), "GN read as \"%s\"", g->name);
  CHECK(g->nnodes == 5);
  if (CHECK(g->nevents == 10)) {
    const sgf_event_t *e = g->events;
    CHECK(event_is(&e[0], SGF_ADD_BLACK, COLOR_BLACK, 2, 2, 0));
    CHECK(event_is(&e[1], SGF_ADD_BLACK, COLOR_BLACK, 6, 2, 0));
    CHECK(event_is(&e[2], SGF_ADD_WHITE, COLOR_WHITE, 4, 4, 0));
    CHECK(event_is(&e[3], SGF_ADD_EMPTY, COLOR_EMPTY, 4, 4, 0));
    CHECK(event_is(&e[4], SGF_PLAYER, COLOR_WHITE, -1, -1, 0));
    CHECK(event_is(&e[5], SGF_MOVE, COLOR_WHITE, 6, 6, 1));
    CHECK(event_is(&e[6], SGF_MOVE, COLOR_BLACK, -1, -1, 2)); /* B[] */
    CHECK(event_is(&e[7], SGF_MOVE, COLOR_WHITE, -1, -1, 3)); /* W[tt] */
    CHECK(event_is(&e[8], SGF_MOVE, COLOR_BLACK, 0, 0, 4));
    CHECK(event_is(&e[9], SGF_PLAYER, COLOR_BLACK, -1, -1, 4));
  }
  if (g->nnodes == 5) {
    CHECK(g->comments[0] && !strcmp(g->comments[0], "root comment"));
    CHECKF(g->comments[1] && !strcmp(g->comments[1], "a\\b]c"), "C with escapes read as \"%s\"",
           g->comments[1] ? g->comments[1] : "(null)");
    CHECK(g->comments[2] == NULL && g->comments[3] == NULL && g->comments[4] == NULL);
  }
  round_trip(g, __LINE__);
  sgf_games_free(gs, n);
}

static void test_defaults_and_values(void) {
  sgf_game_t *g = NULL;
  if (parse_one("(;)", &g, __LINE__)) { /* an empty root node is a valid game */
    CHECK(g->size == 19 && g->komi == 0 && g->handicap == 0 && g->nevents == 0 && g->nnodes == 1);
    CHECK(g->rules[0] == 0 && g->black[0] == 0 && g->result[0] == 0);
    round_trip(g, __LINE__);
    sgf_games_free(g, 1);
  }
  if (parse_one("(;SZ[19:19]KM[-3]HA[0];B[ss];W[tt];B[])", &g, __LINE__)) {
    CHECK(g->size == 19 && g->komi == -3.0);
    CHECK(g->nevents == 3 && event_is(&g->events[0], SGF_MOVE, COLOR_BLACK, 18, 18, 1));
    CHECK(event_is(&g->events[1], SGF_MOVE, COLOR_WHITE, -1, -1, 2)); /* tt = pass on 19x19 */
    CHECK(event_is(&g->events[2], SGF_MOVE, COLOR_BLACK, -1, -1, 3));
    round_trip(g, __LINE__);
    sgf_games_free(g, 1);
  }
  if (parse_one("(;SZ[2]KM[0.125];B[tt];W[ba])", &g, __LINE__)) { /* tt = pass on small boards too */
    CHECK(g->size == 2 && g->komi == 0.125);
    CHECK(g->nevents == 2 && g->events[0].x == -1 && g->events[1].x == 1 && g->events[1].y == 0);
    round_trip(g, __LINE__);
    sgf_games_free(g, 1);
  }
  if (parse_one("(;KM[]HA[]RU[]PL[b];PL[W])", &g, __LINE__)) {
    CHECK(g->komi == 0 && g->handicap == 0 && g->nevents == 2);
    CHECK(event_is(&g->events[0], SGF_PLAYER, COLOR_BLACK, -1, -1, 0));
    CHECK(event_is(&g->events[1], SGF_PLAYER, COLOR_WHITE, -1, -1, 1));
    sgf_games_free(g, 1);
  }
  /* Compressed point lists: rows top to bottom, columns left to right; corners in any order. */
  if (parse_one("(;SZ[9]AB[aa:cb]AW[ih:gi]AE[ee:ee][ff])", &g, __LINE__)) {
    static const int want[][3] = {
        {SGF_ADD_BLACK, 0, 0}, {SGF_ADD_BLACK, 1, 0}, {SGF_ADD_BLACK, 2, 0}, {SGF_ADD_BLACK, 0, 1},
        {SGF_ADD_BLACK, 1, 1}, {SGF_ADD_BLACK, 2, 1}, {SGF_ADD_WHITE, 6, 7}, {SGF_ADD_WHITE, 7, 7},
        {SGF_ADD_WHITE, 8, 7}, {SGF_ADD_WHITE, 6, 8}, {SGF_ADD_WHITE, 7, 8}, {SGF_ADD_WHITE, 8, 8},
        {SGF_ADD_EMPTY, 4, 4}, {SGF_ADD_EMPTY, 5, 5}};
    const int nwant = (int)(sizeof want / sizeof want[0]);
    if (CHECKF(g->nevents == nwant, "compressed lists: %d events", g->nevents))
      for (int i = 0; i < nwant; i++)
        CHECKF(g->events[i].kind == want[i][0] && g->events[i].x == want[i][1] && g->events[i].y == want[i][2],
               "compressed list event %d", i);
    round_trip(g, __LINE__);
    sgf_games_free(g, 1);
  }
  /* Repeated setup points are kept: they apply in order. */
  if (parse_one("(;AB[aa][aa:bb]AW[aa]AB[aa];AB[aa])", &g, __LINE__)) {
    CHECKF(g->nevents == 8, "repeats: %d events", g->nevents);
    round_trip(g, __LINE__);
    sgf_games_free(g, 1);
  }
  /* SZ after points in the root node still applies to them. */
  if (parse_one("(;AB[hh]SZ[9])", &g, __LINE__)) {
    CHECK(g->size == 9 && g->nevents == 1);
    sgf_games_free(g, 1);
  }
  /* Long names are cut on a UTF-8 character boundary. */
  {
    char s[400];
    char name[300] = "";
    for (int i = 0; i < 40; i++) strcat(name, "\xC3\xA9"); /* 80 bytes of 'é' */
    snprintf(s, sizeof s, "(;PB[x%s]PW[%s]RE[%s])", name, name, name);
    if (parse_one(s, &g, __LINE__)) {
      CHECKF(strlen(g->black) == 63 && strlen(g->white) == 62, "cut lengths %zu %zu", strlen(g->black),
             strlen(g->white));
      CHECK(strlen(g->result) == 30);
      round_trip(g, __LINE__);
      sgf_games_free(g, 1);
    }
  }
}

static void test_text_escapes(void) {
  sgf_game_t *gs = NULL;
  int n = 0;
  rocks_error_t err = {0};
  if (CHECKF(sgf_read_file("tests/sgf/comments.sgf", &gs, &n, &err) == ROCKS_OK && n == 1, "%s", err.msg)) {
    const sgf_game_t *g = &gs[0];
    if (CHECK(g->nnodes == 4)) {
      const char *want0 = "Escapes: ] and \\ and a softbreak.\nA hard break above; x stays x.";
      CHECKF(g->comments[0] && !strcmp(g->comments[0], want0), "comment 0 read as \"%s\"",
             g->comments[0] ? g->comments[0] : "(null)");
      CHECK(g->comments[1] == NULL); /* C[] */
      CHECK(g->comments[2] && !strcmp(g->comments[2], "Brackets [inside] are fine, ]]]."));
      CHECK(g->comments[3] && !strcmp(g->comments[3], "trailing backslash \\"));
    }
    round_trip(g, __LINE__);
    sgf_games_free(gs, n);
  }
  if (CHECKF(sgf_read_file("tests/sgf/crlf.sgf", &gs, &n, &err) == ROCKS_OK && n == 1, "%s", err.msg)) {
    CHECK(gs[0].nnodes == 3 && gs[0].comments[0] && !strcmp(gs[0].comments[0], "CRLF softbreak"));
    CHECK(gs[0].nevents == 2 && gs[0].events[1].x == 1);
    round_trip(&gs[0], __LINE__);
    sgf_games_free(gs, n);
  }
  /* Hard line breaks, backslashes and brackets in comments survive a round trip. */
  sgf_game_t *g = NULL;
  if (parse_one("(;C[line1\nline2\r\nline3\\\\\n]\n;B[aa]C[\\\\\\]\\\\])", &g, __LINE__)) {
    CHECK(!strcmp(g->comments[0], "line1\nline2\r\nline3\\\n"));
    CHECK(!strcmp(g->comments[1], "\\]\\"));
    round_trip(g, __LINE__);
    sgf_games_free(g, 1);
  }
}

static void test_structure(void) {
  sgf_game_t *gs = NULL;
  int n = 0;
  rocks_error_t err = {0};
  /* Variations: the main line follows the first child everywhere; other branches are not read. */
  if (CHECKF(sgf_read_file("tests/sgf/variations.sgf", &gs, &n, &err) == ROCKS_OK && n == 1, "%s", err.msg)) {
    const sgf_game_t *g = &gs[0];
    CHECK(g->nnodes == 5 && g->nevents == 4);
    if (g->nevents == 4) {
      CHECK(event_is(&g->events[0], SGF_MOVE, COLOR_BLACK, 4, 4, 1));
      CHECK(event_is(&g->events[1], SGF_MOVE, COLOR_WHITE, 2, 2, 2));
      CHECK(event_is(&g->events[2], SGF_MOVE, COLOR_BLACK, 6, 6, 3));
      CHECK(event_is(&g->events[3], SGF_MOVE, COLOR_WHITE, 2, 6, 4));
    }
    if (g->nnodes == 5) CHECK(g->comments[4] && !strcmp(g->comments[4], "main line"));
    round_trip(g, __LINE__);
    sgf_games_free(gs, n);
  }
  /* Several game trees in one file. */
  if (CHECKF(sgf_read_file("tests/sgf/collection.sgf", &gs, &n, &err) == ROCKS_OK && n == 3, "%s", err.msg)) {
    CHECK(gs[0].size == 9 && !strcmp(gs[0].name, "first") && count_moves(&gs[0]) == 2);
    CHECK(gs[1].size == 13 && !strcmp(gs[1].name, "second") && count_moves(&gs[1]) == 3);
    CHECK(gs[2].size == 19 && gs[2].handicap == 3 && gs[2].nevents == 3 && gs[2].nnodes == 1);
    for (int i = 0; i < n; i++) round_trip(&gs[i], __LINE__);
    sgf_games_free(gs, n);
  }
  /* White space anywhere between tokens; values keep theirs (trimmed for numbers and points). */
  sgf_game_t *g = NULL;
  if (parse_one(" \r\n\t( \n ;\n SZ \n [9] \t KM [ 5.5 ]\r\n ; B\n[ee]\n\n;\tW [ dd ]\n) \n\n", &g, __LINE__)) {
    CHECK(g->size == 9 && g->komi == 5.5 && g->nnodes == 3 && g->nevents == 2);
    CHECK(g->nevents == 2 && g->events[1].x == 3 && g->events[1].y == 3);
    sgf_games_free(g, 1);
  }
  /* Old FF[3] names: lowercase letters in identifiers are ignored. */
  if (CHECKF(sgf_read_file("tests/sgf/ff3.sgf", &gs, &n, &err) == ROCKS_OK && n == 1, "%s", err.msg)) {
    const sgf_game_t *f = &gs[0];
    CHECK(f->size == 19 && f->komi == 0.5 && !strcmp(f->black, "old"));
    CHECK(f->nevents == 8 && count_moves(f) == 3 && f->nnodes == 4);
    if (f->nevents == 8) {
      CHECK(event_is(&f->events[4], SGF_ADD_WHITE, COLOR_WHITE, 18, 18, 0));
      CHECK(event_is(&f->events[5], SGF_MOVE, COLOR_BLACK, 15, 3, 1));
      CHECK(event_is(&f->events[6], SGF_MOVE, COLOR_WHITE, -1, -1, 2));
    }
    CHECK(f->nnodes == 4 && f->comments[1] && !strcmp(f->comments[1], "old style names"));
    round_trip(f, __LINE__);
    sgf_games_free(gs, n);
  }
  /* Unknown properties are skipped, including multi-valued ones with escapes. */
  if (CHECKF(sgf_read_file("tests/sgf/unknown.sgf", &gs, &n, &err) == ROCKS_OK && n == 1, "%s", err.msg)) {
    CHECK(gs[0].size == 9 && gs[0].nevents == 2 && gs[0].nnodes == 3);
    round_trip(&gs[0], __LINE__);
    sgf_games_free(gs, n);
  }
  /* A UTF-8 byte order mark is allowed. */
  if (parse_one("\xEF\xBB\xBF(;SZ[9])", &g, __LINE__)) sgf_games_free(g, 1);
  /* Deep nesting costs no stack: 200000 nested trees, all on the main line. */
  {
    const int depth = 200000;
    char *s = malloc((size_t)depth * 3 + 16);
    size_t k = 0;
    for (int i = 0; i < depth; i++) s[k++] = '(', s[k++] = ';';
    for (int i = 0; i < depth; i++) s[k++] = ')';
    if (CHECK(sgf_parse(s, k, &gs, &n, &err) == ROCKS_OK && n == 1)) {
      CHECK(gs[0].nnodes == depth);
      sgf_games_free(gs, n);
    }
    /* The same without the closing parentheses: an error, not a crash. */
    CHECK(sgf_parse(s, k - (size_t)depth, &gs, &n, &err) == ROCKS_ERR_PARSE);
    CHECKF(strstr(err.msg, "200000 game tree(s) still open") != NULL, "%s", err.msg);
    /* Deeply nested side variations are syntax-checked too. */
    k = 0;
    s[k++] = '(', s[k++] = ';', s[k++] = '(', s[k++] = ';', s[k++] = ')';
    for (int i = 0; i < depth; i++) s[k++] = '(', s[k++] = ';';
    s[k++] = 'Q';
    for (int i = 0; i < depth; i++) s[k++] = ')';
    s[k++] = ')';
    CHECK(sgf_parse(s, k, &gs, &n, &err) == ROCKS_ERR_PARSE && strstr(err.msg, "without a value"));
    free(s);
  }
  /* Point lists expand 361-fold; a game is capped at 2^22 events. */
  {
    const int reps = 11700; /* 11700 * 361 > 2^22 */
    char *s = malloc((size_t)reps * 7 + 16);
    size_t k = (size_t)sprintf(s, "(;AB");
    for (int i = 0; i < reps; i++) k += (size_t)sprintf(s + k, "[aa:ss]");
    k += (size_t)sprintf(s + k, ")");
    CHECK(sgf_parse(s, k, &gs, &n, &err) == ROCKS_ERR_PARSE);
    CHECKF(strstr(err.msg, "line 1, column ") && strstr(err.msg, "more than"), "%s", err.msg);
    free(s);
  }
}

static void test_malformed(void) {
  expect_parse_error("", 0, "line 1, column 1", __LINE__);
  expect_parse_error(" \n\t\n", 4, "line 3, column 1", __LINE__);
  expect_parse_error("(", 1, "line 1, column 2", __LINE__);
  expect_parse_error("()", 2, "line 1, column 2", __LINE__);
  expect_parse_error("(;B[aa]", 7, "line 1, column 8", __LINE__);
  expect_parse_error("(;B[aa]))", 9, "line 1, column 9", __LINE__);
  expect_parse_error("((;B[aa]))", 10, "line 1, column 2", __LINE__);
  expect_parse_error("(;B[aa)", 7, "line 1, column 8", __LINE__);          /* missing ']' */
  expect_parse_error("(;C[abc\\", 8, "line 1, column 9", __LINE__);        /* EOF after '\' */
  expect_parse_error("(;B)", 4, "line 1, column 3", __LINE__);             /* no value */
  expect_parse_error("(;B", 3, "line 1, column 4", __LINE__);
  expect_parse_error("(;B;W[aa])", 10, "line 1, column 3", __LINE__);
  expect_parse_error("(;b[aa])", 8, "line 1, column 3", __LINE__);         /* no uppercase letter */
  expect_parse_error("(;B[zz])", 8, "line 1, column 4", __LINE__);         /* bad coordinate */
  expect_parse_error("(;B[a])", 7, "line 1, column 4", __LINE__);
  expect_parse_error("(;B[aaa])", 9, "line 1, column 4", __LINE__);
  expect_parse_error("(;B[ta])", 8, "line 1, column 4", __LINE__);
  expect_parse_error("(;B[aa:bb])", 11, "line 1, column 4", __LINE__);     /* moves are single points */
  expect_parse_error("(;AB[tt])", 9, "line 1, column 5", __LINE__);        /* tt is no setup point */
  expect_parse_error("(;AB[])", 7, "line 1, column 5", __LINE__);
  expect_parse_error("(;AB[aa:])", 10, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[9]\n;B[jj])", 15, "line 2, column 3", __LINE__); /* off a 9x9 board */
  expect_parse_error("(;AB[aa]\nAB[ai:jj]SZ[9])", 24, "line 2, column 3", __LINE__);
  expect_parse_error("(;SZ[1])", 8, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[20])", 9, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[0])", 8, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[-9])", 9, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[9:13])", 11, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[])", 7, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[nine])", 11, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[99999999999999999999999999999999])", 39, "line 1, column 5", __LINE__);
  expect_parse_error("(;SZ[9];SZ[9])", 14, "line 1, column 11", __LINE__);
  expect_parse_error("(;SZ[9][9])", 11, "line 1, column 8", __LINE__);
  expect_parse_error("(;KM[1e3])", 10, "line 1, column 5", __LINE__);
  expect_parse_error("(;KM[6,5])", 10, "line 1, column 5", __LINE__);
  expect_parse_error("(;KM[12345678901234567890123456789])", 36, "line 1, column 5", __LINE__);
  expect_parse_error("(;KM[1001])", 11, "line 1, column 5", __LINE__);
  expect_parse_error("(;KM[nan])", 10, "line 1, column 5", __LINE__);
  expect_parse_error("(;HA[99999999999999999999])", 27, "line 1, column 5", __LINE__);
  expect_parse_error("(;HA[2.5])", 10, "line 1, column 5", __LINE__);
  expect_parse_error("(;PL[X])", 8, "line 1, column 5", __LINE__);
  expect_parse_error("(;GM[2])", 8, "line 1, column 5", __LINE__);
  expect_parse_error("junk(;B[aa])", 12, "line 1, column 1", __LINE__);  /* text before '(' */
  expect_parse_error("\n\n  x(;)", 8, "line 3, column 3", __LINE__);
  expect_parse_error("(;)garbage", 10, "line 1, column 4", __LINE__);
  expect_parse_error("(;B[aa](;W[bb]);B[cc])", 22, "line 1, column 16", __LINE__); /* node after variation */
  expect_parse_error("(;B[aa](;W[bb])B[cc])", 21, "line 1, column 16", __LINE__);
  expect_parse_error("(;B[aa]\\)", 9, "line 1, column 8", __LINE__);
  expect_parse_error("(;B[aa]1[x])", 12, "line 1, column 8", __LINE__);
  expect_parse_error("(;B[aa](;W[bb])(;W[cc)", 22, "line 1, column 23", __LINE__); /* side branch too */
  expect_parse_error("(;PL[white])", 12, "line 1, column 5", __LINE__);
  /* NUL bytes, anywhere. */
  expect_parse_error("\0", 1, "line 1, column 1", __LINE__);
  expect_parse_error("(;B[a\0a])", 9, "line 1, column 6", __LINE__);
  expect_parse_error("(;B[aa]\0)", 9, "line 1, column 8", __LINE__);
  expect_parse_error("(;C[\\\0])", 8, "line 1, column 6", __LINE__);
  expect_parse_error("(;)\0", 4, "line 1, column 4", __LINE__);
  /* Positions count lines for \n, \r\n and a lone \r. */
  expect_parse_error("(;C[a\nb\r\nc\rd]\n\r\n;B[zz])", 22, "line 6, column 3", __LINE__);
}

/* Inputs that look odd but are valid SGF. */
static void test_valid_oddities(void) {
  sgf_game_t *g = NULL;
  if (parse_one("(;B[aa](;W[bb])(;)(;W[cc]))", &g, __LINE__)) { /* an empty side variation */
    CHECK(count_moves(&g[0]) == 2);
    sgf_games_free(g, 1);
  }
  if (parse_one("(;B[aa]\n;W[bb](;B[cc]ZZ[(;)]))", &g, __LINE__)) { /* brackets in a value */
    CHECK(count_moves(&g[0]) == 3 && g[0].nnodes == 3);
    sgf_games_free(g, 1);
  }
}

/* Every proper prefix of a valid single-game file (cut before its final ')') is an error. */
static void test_truncated(void) {
  const char *files[] = {"tests/sgf/properties.sgf", "tests/sgf/variations.sgf", "tests/sgf/comments.sgf",
                         "tests/sgf/ff3.sgf", "tests/sgf/crlf.sgf"};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    size_t len = 0;
    char *text = read_fixture(files[f], &len);
    if (!CHECKF(text != NULL, "cannot read %s", files[f])) continue;
    const char *close = strrchr(text, ')');
    size_t end = close ? (size_t)(close - text) : 0;
    int bad = 0;
    for (size_t k = 0; k <= end; k++) {
      sgf_game_t *g = NULL;
      int n = 0;
      rocks_error_t err = {0};
      rocks_status_t st = sgf_parse(text, k, &g, &n, &err);
      if (st == ROCKS_OK) sgf_games_free(g, n);
      if (st != ROCKS_ERR_PARSE || strncmp(err.msg, "line ", 5)) {
        if (bad++ < 3) CHECKF(false, "%s cut at %zu: %s %s", files[f], k, rocks_status_name(st), err.msg);
      }
    }
    CHECKF(bad == 0, "%s: %d prefixes not rejected", files[f], bad);
    /* Every byte flipped to NUL: rejected, never a crash. */
    for (size_t k = 0; k < len; k++) {
      char saved = text[k];
      text[k] = '\0';
      sgf_game_t *g = NULL;
      int n = 0;
      rocks_status_t st = sgf_parse(text, len, &g, &n, NULL);
      if (st == ROCKS_OK) sgf_games_free(g, n);
      if (st != ROCKS_ERR_PARSE && bad++ < 3) CHECKF(false, "%s with NUL at %zu accepted", files[f], k);
      text[k] = saved;
    }
    free(text);
  }
}

static void test_files(void) {
  sgf_game_t *gs = NULL;
  int n = 0;
  rocks_error_t err = {0};
  CHECK(sgf_read_file("tests/sgf/no-such-file.sgf", &gs, &n, &err) == ROCKS_ERR_IO && gs == NULL && n == 0);
  /* A parse error from a file names the file and the position. */
  char dir[] = "/tmp/test_sgf.XXXXXX";
  if (!CHECK(mkdtemp(dir) != NULL)) return;
  char path[128], bad[128];
  snprintf(path, sizeof path, "%s/game.sgf", dir);
  snprintf(bad, sizeof bad, "%s/bad.sgf", dir);
  FILE *f = fopen(bad, "wb");
  if (f) {
    fputs("(;SZ[9]\n;B[ee]\n;W[zz])\n", f);
    fclose(f);
  }
  CHECK(sgf_read_file(bad, &gs, &n, &err) == ROCKS_ERR_PARSE);
  CHECKF(strstr(err.msg, "bad.sgf: line 3, column 3:") != NULL, "%s", err.msg);
  unlink(bad);

  /* Atomic write: the file appears complete, no temporary file is left behind. */
  if (CHECK(sgf_read_file("tests/sgf/properties.sgf", &gs, &n, &err) == ROCKS_OK)) {
    CHECKF(sgf_write_file(path, &gs[0], &err) == ROCKS_OK, "%s", err.msg);
    CHECKF(sgf_write_file(path, &gs[0], &err) == ROCKS_OK, "overwrite: %s", err.msg); /* replaces */
    sgf_game_t *back = NULL;
    int nb = 0;
    if (CHECKF(sgf_read_file(path, &back, &nb, &err) == ROCKS_OK && nb == 1, "%s", err.msg)) {
      CHECK(sgf_game_equal(&gs[0], &back[0]));
      sgf_games_free(back, nb);
    }
    int entries = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));)
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) entries++;
    if (d) closedir(d);
    CHECKF(entries == 1, "%d files in %s after writing (temporary file left?)", entries, dir);
    char nodir[160];
    snprintf(nodir, sizeof nodir, "%s/missing/game.sgf", dir);
    CHECK(sgf_write_file(nodir, &gs[0], &err) == ROCKS_ERR_IO);
    sgf_games_free(gs, n);
  }
  unlink(path);
  rmdir(dir);
}

/* Every fixture round-trips. */
static void test_round_trips(void) {
  const char *files[] = {"properties", "variations", "collection", "ff3", "comments",
                         "crlf", "captures", "handicap", "ko", "unknown"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[128];
    snprintf(path, sizeof path, "tests/sgf/%s.sgf", files[i]);
    sgf_game_t *gs = NULL;
    int n = 0;
    rocks_error_t err = {0};
    if (!CHECKF(sgf_read_file(path, &gs, &n, &err) == ROCKS_OK, "%s: %s", path, err.msg)) continue;
    for (int k = 0; k < n; k++) round_trip(&gs[k], __LINE__);
    sgf_games_free(gs, n);
  }
  /* The writer's root node carries the fixed header; empty texts are left out. */
  sgf_game_t *g = NULL;
  if (parse_one("(;SZ[9]KM[7.5])", &g, __LINE__)) {
    char *text = sgf_write(g);
    const char *head = "(;FF[4]GM[1]CA[UTF-8]AP[rocks:" ROCKS_VERSION "]SZ[9]KM[7.5]";
    CHECKF(text && !strncmp(text, head, strlen(head)),
           "header: %s", text ? text : "(null)");
    CHECK(text && !strstr(text, "PB[") && !strstr(text, "RE[") && !strstr(text, "HA["));
    free(text);
    sgf_games_free(g, 1);
  }
  /* A hand-made record with out-of-order nodes and stray values still writes valid SGF. */
  sgf_event_t ev[] = {{SGF_MOVE, COLOR_BLACK, 3, 3, 2}, {SGF_ADD_WHITE, COLOR_WHITE, 1, 1, 1},
                      {SGF_MOVE, COLOR_WHITE, -1, -1, 5}, {SGF_ADD_BLACK, COLOR_BLACK, -7, 2, 5}};
  char *comments[7] = {"root", NULL, "two", NULL, NULL, NULL, "six ]"};
  sgf_game_t made = {.size = 9, .komi = 0.1, .events = ev, .nevents = 4, .comments = comments, .nnodes = 7};
  char *text = sgf_write(&made);
  int n = 0;
  rocks_error_t err = {0};
  if (CHECK(text != NULL) && CHECKF(parse_str(text, &g, &n, &err) == ROCKS_OK, "%s\n%s", err.msg, text)) {
    CHECK(g[0].nnodes == 7 && g[0].nevents == 3 && g[0].komi == 0.1);
    CHECK(g[0].comments[6] && !strcmp(g[0].comments[6], "six ]"));
    sgf_games_free(g, n);
  }
  free(text);
}

/* ------------------------------------------------------------------------------------------ */
/* boards                                                                                      */

static void test_to_board(board_t *b) {
  rocks_error_t err = {0};
  sgf_game_t *gs = NULL;
  int n = 0;
  /* Captures are replayed. */
  if (CHECK(sgf_read_file("tests/sgf/captures.sgf", &gs, &n, &err) == ROCKS_OK)) {
    CHECKF(sgf_game_to_board(&gs[0], b, board_rules_tromp_taylor(), 0, &err) == ROCKS_OK, "%s", err.msg);
    CHECK(b->size == 5 && b->komi == 0.5f);
    CHECK(b->color[board_point(b, 0, 0)] == COLOR_EMPTY);
    CHECK(b->color[board_point(b, 4, 4)] == COLOR_EMPTY);
    CHECK(b->color[board_point(b, 1, 0)] == COLOR_BLACK && b->color[board_point(b, 2, 2)] == COLOR_WHITE);
    CHECK(b->captures[COLOR_BLACK] == 2 && b->captures[COLOR_WHITE] == 0);
    CHECK(b->move_count == 9 && board_game_over(b) && b->to_play == COLOR_WHITE);
    CHECK(board_check(b, &err));
    /* loadsgf-style cut: stop before move 3 (B[ab]): nothing captured yet, black to play. */
    CHECK(sgf_game_to_board(&gs[0], b, board_rules_tromp_taylor(), 3, &err) == ROCKS_OK);
    CHECK(b->move_count == 2 && b->to_play == COLOR_BLACK && b->color[board_point(b, 0, 0)] == COLOR_WHITE);
    CHECK(sgf_game_to_board(&gs[0], b, board_rules_tromp_taylor(), 1, &err) == ROCKS_OK);
    CHECK(b->move_count == 0 && b->stones[COLOR_BLACK] == 0 && b->to_play == COLOR_BLACK);
    CHECK(sgf_game_to_board(&gs[0], b, board_rules_tromp_taylor(), 2, &err) == ROCKS_OK);
    CHECK(b->move_count == 1 && b->to_play == COLOR_WHITE);
    CHECK(sgf_game_to_board(&gs[0], b, board_rules_tromp_taylor(), 1000, &err) == ROCKS_OK);
    CHECK(b->move_count == 9);
    sgf_games_free(gs, n);
  }
  /* Handicap stones via AB; white moves first after them. */
  if (CHECK(sgf_read_file("tests/sgf/handicap.sgf", &gs, &n, &err) == ROCKS_OK)) {
    CHECKF(sgf_game_to_board(&gs[0], b, board_rules_chinese(), 0, &err) == ROCKS_OK, "%s", err.msg);
    CHECK(b->stones[COLOR_BLACK] == 3 && b->stones[COLOR_WHITE] == 2 && b->move_count == 3);
    CHECK(b->color[board_point(b, 2, 2)] == COLOR_BLACK && b->color[board_point(b, 6, 6)] == COLOR_BLACK);
    CHECK(b->to_play == COLOR_BLACK && !b->rules.suicide);
    CHECK(sgf_game_to_board(&gs[0], b, board_rules_chinese(), 1, &err) == ROCKS_OK);
    CHECK(b->stones[COLOR_BLACK] == 2 && b->move_count == 0 && b->to_play == COLOR_WHITE);
    sgf_games_free(gs, n);
  }
  if (to_board("(;SZ[9]HA[2]AB[cc][gg])", b, 0, &err)) CHECK(b->to_play == COLOR_WHITE);
  if (to_board("(;SZ[9]AB[cc][gg])", b, 0, &err)) CHECK(b->to_play == COLOR_BLACK);
  if (to_board("(;SZ[9]AB[cc]PL[W])", b, 0, &err)) CHECK(b->to_play == COLOR_WHITE);
  if (to_board("(;SZ[9];B[cc];W[dd]PL[W])", b, 0, &err)) CHECK(b->to_play == COLOR_WHITE);
  /* Setup replaces stones and AE removes them; setup stones are not moves. */
  if (CHECK(to_board("(;SZ[9];B[aa];W[bb];AE[aa]AB[bb];W[cc])", b, 0, &err))) {
    CHECK(b->color[board_point(b, 0, 0)] == COLOR_EMPTY && b->color[board_point(b, 1, 1)] == COLOR_BLACK);
    CHECK(b->move_count == 3 && b->to_play == COLOR_BLACK && board_check(b, &err));
  }
  /* Setup applies in order, repeats included. */
  if (CHECK(to_board("(;SZ[5]AB[aa]AE[aa]AB[aa]AW[bb:cc]AE[cc]AB[cc])", b, 0, &err))) {
    CHECK(b->color[board_point(b, 0, 0)] == COLOR_BLACK && b->color[board_point(b, 2, 2)] == COLOR_BLACK);
    CHECK(b->stones[COLOR_BLACK] == 2 && b->stones[COLOR_WHITE] == 3 && board_check(b, &err));
  }
  /* Illegal moves carry their move number. */
  if (CHECK(sgf_read_file("tests/sgf/ko.sgf", &gs, &n, &err) == ROCKS_OK)) {
    CHECK(sgf_game_to_board(&gs[0], b, board_rules_tromp_taylor(), 0, &err) == ROCKS_ERR_ILLEGAL);
    CHECKF(strstr(err.msg, "move 2") && strstr(err.msg, "ko"), "%s", err.msg);
    CHECK(sgf_game_to_board(&gs[0], b, board_rules_tromp_taylor(), 2, &err) == ROCKS_OK);
    CHECK(b->captures[COLOR_WHITE] == 1 && b->to_play == COLOR_BLACK);
    sgf_games_free(gs, n);
  }
  CHECK(!to_board("(;SZ[9];B[ee];W[dd];B[ee])", b, 0, &err) && err.code == ROCKS_ERR_ILLEGAL);
  CHECKF(strstr(err.msg, "move 3") && strstr(err.msg, "occupied"), "%s", err.msg);
  /* Single-stone suicide is always illegal. */
  CHECK(!to_board("(;SZ[3]AB[ba][ab];W[aa])", b, 0, &err) && err.code == ROCKS_ERR_ILLEGAL);
  CHECKF(strstr(err.msg, "move 1"), "%s", err.msg);
  /* A hand-made record the board cannot hold. */
  sgf_game_t big = {.size = 25};
  CHECK(sgf_game_to_board(&big, b, board_rules_tromp_taylor(), 0, &err) == ROCKS_ERR_ARG);
  sgf_event_t off[] = {{SGF_MOVE, COLOR_BLACK, 9, 0, 1}};
  sgf_game_t offg = {.size = 9, .events = off, .nevents = 1, .nnodes = 2};
  CHECK(sgf_game_to_board(&offg, b, board_rules_tromp_taylor(), 0, &err) == ROCKS_ERR_ILLEGAL);
}

/* Board -> record -> SGF text -> record -> board gives the same position. */
static void test_from_board(board_t *b, board_t *c) {
  rocks_error_t err = {0};
  CHECK(board_init(b, 7, board_rules_tromp_taylor(), 6.5f, &err) == ROCKS_OK);
  CHECK(board_setup_stone(b, COLOR_BLACK, board_point(b, 2, 2), &err) == ROCKS_OK);
  CHECK(board_setup_stone(b, COLOR_BLACK, board_point(b, 4, 4), &err) == ROCKS_OK);
  const int moves[][3] = {{COLOR_WHITE, 1, 0}, {COLOR_BLACK, 0, 0}, {COLOR_WHITE, 3, 3}, {COLOR_BLACK, 0, 1},
                          {COLOR_WHITE, 1, 1}, {COLOR_BLACK, 6, 6}, {COLOR_WHITE, 0, 2}};
  for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
    CHECKF(board_play(b, moves[i][0], board_point(b, moves[i][1], moves[i][2]), &err) == ROCKS_OK, "%s", err.msg);
  CHECK(b->captures[COLOR_WHITE] == 2); /* W[ac] captured the black stones at aa and ab */
  CHECK(board_play(b, COLOR_BLACK, BOARD_PASS, &err) == ROCKS_OK);
  CHECK(board_play(b, COLOR_WHITE, BOARD_PASS, &err) == ROCKS_OK);

  sgf_game_t g;
  if (!CHECKF(sgf_game_from_board(&g, b, "Alice ]", NULL, &err) == ROCKS_OK, "%s", err.msg)) return;
  char score[32];
  board_score_string(b, score, sizeof score);
  CHECK(g.size == 7 && g.komi == 6.5 && g.handicap == 2 && !strcmp(g.black, "Alice ]") && g.white[0] == 0);
  CHECK(!strcmp(g.result, score) && !strcmp(g.rules, "tromp-taylor"));
  CHECK(count_moves(&g) == 9 && g.nnodes == 10);
  round_trip(&g, __LINE__);
  char *text = sgf_write(&g);
  sgf_game_t *back = NULL;
  int n = 0;
  if (CHECK(text && sgf_parse(text, strlen(text), &back, &n, &err) == ROCKS_OK)) {
    CHECK(sgf_game_to_board(&back[0], c, board_rules_tromp_taylor(), 0, &err) == ROCKS_OK);
    CHECK(c->hash == b->hash && c->to_play == b->to_play && c->captures[COLOR_WHITE] == 2);
    CHECK(!memcmp(c->color, b->color, sizeof b->color) && board_game_over(c));
    sgf_games_free(back, n);
  }
  free(text);
  sgf_game_clear(&g);

  /* Handicap without moves: white to play; a board whose side to move is unusual gets PL. */
  CHECK(board_init(b, 9, board_rules_tromp_taylor(), 0.5f, &err) == ROCKS_OK);
  CHECK(board_setup_stone(b, COLOR_BLACK, board_point(b, 2, 2), &err) == ROCKS_OK);
  CHECK(board_setup_stone(b, COLOR_WHITE, board_point(b, 6, 6), &err) == ROCKS_OK);
  CHECK(board_play(b, COLOR_BLACK, board_point(b, 4, 4), &err) == ROCKS_OK);
  CHECK(board_play(b, COLOR_BLACK, board_point(b, 4, 5), &err) == ROCKS_OK); /* GTP allows this */
  CHECK(board_setup_stone(b, COLOR_EMPTY, board_point(b, 2, 2), &err) == ROCKS_OK);
  CHECK(board_setup_stone(b, COLOR_WHITE, board_point(b, 2, 2), &err) == ROCKS_OK);
  CHECK(board_setup_stone(b, COLOR_EMPTY, board_point(b, 2, 2), &err) == ROCKS_OK); /* repeats */
  if (CHECKF(sgf_game_from_board(&g, b, NULL, NULL, &err) == ROCKS_OK, "%s", err.msg)) {
    CHECK(g.handicap == 0 && g.result[0] == 0 && g.nnodes == 4);
    if (CHECK(sgf_game_to_board(&g, c, board_rules_tromp_taylor(), 0, &err) == ROCKS_OK))
      CHECK(c->hash == b->hash && c->to_play == b->to_play && !memcmp(c->color, b->color, sizeof b->color));
    round_trip(&g, __LINE__);
    sgf_game_clear(&g);
  }
  /* A float komi is exported as its short decimal; names become SimpleText. */
  CHECK(board_init(c, 9, board_rules_chinese(), 7.1f, &err) == ROCKS_OK);
  if (CHECKF(sgf_game_from_board(&g, c, "A\nB", "\tC", &err) == ROCKS_OK, "%s", err.msg)) {
    CHECKF(g.komi == 7.1, "komi %.17g", g.komi);
    CHECK(!strcmp(g.black, "A B") && !strcmp(g.white, " C") && !strcmp(g.rules, "chinese"));
    CHECK(g.nnodes == 1 && g.nevents == 0);
    round_trip(&g, __LINE__);
    sgf_game_clear(&g);
  }
  /* After fast play the history is gone: refused. */
  board_play_fast(b, COLOR_WHITE, BOARD_PASS);
  CHECK(sgf_game_from_board(&g, b, NULL, NULL, &err) == ROCKS_ERR_STATE);
  sgf_game_clear(&g);
}

int main(void) {
  test_properties();
  test_defaults_and_values();
  test_text_escapes();
  test_structure();
  test_malformed();
  test_valid_oddities();
  test_truncated();
  test_files();
  test_round_trips();
  board_t *b = malloc(sizeof *b), *c = malloc(sizeof *c);
  if (b && c) {
    test_to_board(b);
    test_from_board(b, c);
  }
  free(b);
  free(c);
  return check_report("test_sgf");
}
