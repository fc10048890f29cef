/* test_gtp.c — tests of the GTP engine (src/play/gtp.c) through gtp_handle_line and gtp_run.
 *
 * Every check sends one line and compares the complete response byte for byte ("=id result\n\n",
 * "?id message\n\n", or "" for lines that need no answer). Runs with the repository root as
 * working directory (fixtures in tests/gtp/), or with that root as argv[1]. Prints every failed
 * check with its line and exits non-zero if any failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go/board.h"
#include "play/gtp.h"
#include "util/util.h"

#include "check.h"

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                     */

/* s with control characters written as C escapes, into the caller's buffer. */
static const char *escaped(const char *s, char *buf, size_t n) {
  size_t w = 0;
  for (; s && *s && w + 5 < n; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\n') w += (size_t)snprintf(buf + w, n - w, "\\n");
    else if (c == '\t') w += (size_t)snprintf(buf + w, n - w, "\\t");
    else if (c < 32 || c == 127) w += (size_t)snprintf(buf + w, n - w, "\\x%02x", c);
    else buf[w++] = (char)c;
  }
  buf[w] = '\0';
  return s ? buf : "(null)";
}

/* Sends line; the response must be exactly want. */
static void expect_at(gtp_engine_t *e, const char *line, const char *want, int lineno) {
  bool quit;
  char *got = gtp_handle_line(e, line, &quit);
  char b1[512], b2[4096], b3[4096];
  check_at(got && !strcmp(got, want), lineno, "sent \"%s\"\n  want \"%s\"\n  got  \"%s\"",
           escaped(line, b1, sizeof b1), escaped(want, b2, sizeof b2), escaped(got, b3, sizeof b3));
  free(got);
}

#define EXPECT(e, line, want) expect_at((e), (line), (want), __LINE__)

/* Sends line and returns the response (caller frees). */
static char *send_line(gtp_engine_t *e, const char *line) {
  bool quit;
  return gtp_handle_line(e, line, &quit);
}

/* A fresh engine with the default configuration but the given board size. */
static gtp_engine_t *engine(int size) {
  gtp_config_t cfg = gtp_config_default();
  cfg.size = size;
  rocks_error_t err;
  gtp_engine_t *e = gtp_new(&cfg, &err);
  if (!e) {
    fprintf(stderr, "test_gtp: gtp_new: %s\n", err.msg);
    exit(1);
  }
  return e;
}

/* Counts the vertices in a one-line "= A1 B2 ...\n\n" response. */
static int count_vertices(const char *resp) {
  int n = 0;
  for (const char *p = resp + 1; *p; p++)
    if (p[-1] == ' ' && *p != ' ' && *p != '\n') n++;
  return n;
}

/* ------------------------------------------------------------------------------------------ */
/* protocol                                                                                    */

static void test_preprocessing(void) {
  gtp_engine_t *e = engine(19);
  EXPECT(e, "", "");
  EXPECT(e, "\n", "");
  EXPECT(e, "   \t  ", "");
  EXPECT(e, "# a comment", "");
  EXPECT(e, "   # indented comment", "");
  EXPECT(e, "\x01\x02\x1f\x7f", "");
  EXPECT(e, "name", "= rocks\n\n");
  EXPECT(e, "name\n", "= rocks\n\n");
  EXPECT(e, "name\r\n", "= rocks\n\n");
  EXPECT(e, "name # the engine's name", "= rocks\n\n");
  EXPECT(e, "name#", "= rocks\n\n");
  EXPECT(e, "\tname\t", "= rocks\n\n");
  EXPECT(e, "na\x01m\x7f" "e", "= rocks\n\n");     /* control characters are removed, not spaces */
  EXPECT(e, "\x01 name", "= rocks\n\n");
  EXPECT(e, "name\nversion", "= rocks\n\n");        /* one line per call: text after LF is ignored */
  EXPECT(e, "play\tb\td4", "= \n\n");               /* HT separates arguments */
  EXPECT(e, "list_stones   black   ", "= D4\n\n");
  /* ids */
  EXPECT(e, "7 name", "=7 rocks\n\n");
  EXPECT(e, "007 name", "=007 rocks\n\n");
  EXPECT(e, "  12   protocol_version  ", "=12 2\n\n");
  EXPECT(e, "3 foo", "?3 unknown command\n\n");
  EXPECT(e, "4 boardsize", "?4 syntax error\n\n");
  EXPECT(e, "5 play b e5 # comment", "=5 \n\n");
  EXPECT(e, "6 undo", "=6 \n\n");
  EXPECT(e, "8", "?8 unknown command\n\n");
  EXPECT(e, "-1 name", "? unknown command\n\n"); /* not an id: ids are unsigned */
  EXPECT(e, "1.5 name", "? unknown command\n\n");
  EXPECT(e, "9 # only an id and a comment", "?9 unknown command\n\n");
  /* names are case-sensitive; garbage never crashes */
  EXPECT(e, "NAME", "? unknown command\n\n");
  EXPECT(e, "\xff\xfe", "? unknown command\n\n");
  gtp_delete(e);
}

static void test_admin(void) {
  gtp_engine_t *e = engine(19);
  EXPECT(e, "protocol_version", "= 2\n\n");
  EXPECT(e, "version", "= " ROCKS_VERSION "\n\n");
  EXPECT(e, "name extra", "? syntax error\n\n");
  EXPECT(e, "known_command play", "= true\n\n");
  EXPECT(e, "known_command genmove", "= true\n\n");
  EXPECT(e, "known_command rocks-rules", "= true\n\n");
  EXPECT(e, "known_command foo", "= false\n\n");
  EXPECT(e, "known_command PLAY", "= false\n\n");
  EXPECT(e, "known_command", "? syntax error\n\n");
  EXPECT(e, "known_command a b", "? syntax error\n\n");

  char *r = send_line(e, "1 list_commands");
  CHECK(r && !strncmp(r, "=1 protocol_version\nname\nversion\nknown_command\nlist_commands\nquit\n", 64));
  CHECK(r && strstr(r, "\nrocks-rules\n\n") && strstr(r, "\n\n") == r + strlen(r) - 2);
  const char *standard[] = {"boardsize", "clear_board", "komi", "play", "genmove", "undo", "showboard",
                            "final_score", "final_status_list", "fixed_handicap", "place_free_handicap",
                            "set_free_handicap", "loadsgf", "time_settings", "time_left",
                            "kgs-genmove_cleanup", "printsgf", "reg_genmove"};
  for (size_t i = 0; i < sizeof standard / sizeof *standard; i++) {
    char want[64];
    snprintf(want, sizeof want, "\n%s\n", standard[i]);
    check_at(r && strstr(r, want), __LINE__, "list_commands lacks %s", standard[i]);
  }
  free(r);

  bool quit = false;
  r = gtp_handle_line(e, "name", &quit);
  CHECK(!quit);
  free(r);
  r = gtp_handle_line(e, "99 quit", &quit);
  CHECK(quit && r && !strcmp(r, "=99 \n\n"));
  free(r);
  r = gtp_handle_line(e, "quit now", &quit);
  CHECK(!quit && r && !strcmp(r, "? syntax error\n\n"));
  free(r);
  r = gtp_handle_line(e, "", NULL); /* quit may be NULL */
  CHECK(r && !strcmp(r, ""));
  free(r);
  gtp_delete(e);
  gtp_delete(NULL);

  /* configuration */
  gtp_config_t cfg = gtp_config_default();
  CHECK(cfg.size == 19 && cfg.komi == 7.5f && cfg.seed == 1 && !strcmp(cfg.name, "rocks"));
  cfg.name = "tester\n2";
  cfg.size = 5;
  e = gtp_new(&cfg, NULL);
  CHECK(e != NULL);
  EXPECT(e, "name", "= tester2\n\n");
  CHECK(gtp_board(e)->size == 5 && gtp_board(e)->komi == 7.5f);
  gtp_delete(e);
  cfg.size = 1;
  rocks_error_t err = {0};
  CHECK(gtp_new(&cfg, &err) == NULL && err.code == ROCKS_ERR_ARG);
  cfg.size = 20;
  CHECK(gtp_new(&cfg, NULL) == NULL);
  e = gtp_new(NULL, NULL);
  CHECK(e && gtp_board(e)->size == 19);
  gtp_delete(e);
}

/* ------------------------------------------------------------------------------------------ */
/* setup                                                                                       */

static void test_setup(void) {
  gtp_engine_t *e = engine(19);
  EXPECT(e, "boardsize 9", "= \n\n");
  CHECK(gtp_board(e)->size == 9);
  EXPECT(e, "boardsize 2", "= \n\n");
  EXPECT(e, "boardsize 19", "= \n\n");
  EXPECT(e, "boardsize 1", "? unacceptable size\n\n");
  EXPECT(e, "boardsize 20", "? unacceptable size\n\n");
  EXPECT(e, "boardsize 25", "? unacceptable size\n\n");
  EXPECT(e, "boardsize -9", "? unacceptable size\n\n");
  EXPECT(e, "boardsize 99999999999999999999999", "? unacceptable size\n\n");
  EXPECT(e, "boardsize nine", "? syntax error\n\n");
  EXPECT(e, "boardsize 9.0", "? syntax error\n\n");
  EXPECT(e, "boardsize 9x9", "? syntax error\n\n");
  EXPECT(e, "boardsize", "? syntax error\n\n");
  EXPECT(e, "boardsize 9 9", "? syntax error\n\n");
  CHECK(gtp_board(e)->size == 19);

  /* boardsize and clear_board empty the board; komi survives both */
  EXPECT(e, "komi 6.5", "= \n\n");
  EXPECT(e, "play b d4", "= \n\n");
  EXPECT(e, "boardsize 13", "= \n\n");
  EXPECT(e, "list_stones b", "= \n\n");
  CHECK(gtp_board(e)->komi == 6.5f);
  EXPECT(e, "play w d4", "= \n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "list_stones w", "= \n\n");
  CHECK(gtp_board(e)->nactions == 0 && gtp_board(e)->komi == 6.5f);
  EXPECT(e, "clear_board now", "? syntax error\n\n");

  EXPECT(e, "komi 0", "= \n\n");
  EXPECT(e, "komi -3", "= \n\n");
  CHECK(gtp_board(e)->komi == -3.0f);
  EXPECT(e, "komi 1e1", "= \n\n");
  CHECK(gtp_board(e)->komi == 10.0f);
  EXPECT(e, "komi six", "? syntax error\n\n");
  EXPECT(e, "komi 6.5x", "? syntax error\n\n");
  EXPECT(e, "komi nan", "? syntax error\n\n");
  EXPECT(e, "komi inf", "? syntax error\n\n");
  EXPECT(e, "komi 0x10", "? syntax error\n\n");
  EXPECT(e, "komi 1e300", "? syntax error\n\n");
  EXPECT(e, "komi", "? syntax error\n\n");
  EXPECT(e, "komi 1 2", "? syntax error\n\n");
  CHECK(gtp_board(e)->komi == 10.0f);

  EXPECT(e, "rocks-rules", "= tromp-taylor\n\n");
  EXPECT(e, "rocks-rules chinese", "= \n\n");
  EXPECT(e, "rocks-rules", "= chinese\n\n");
  EXPECT(e, "rocks-rules go", "? unknown rules (known: tromp-taylor, chinese)\n\n");
  EXPECT(e, "rocks-rules tromp-taylor", "= \n\n");
  EXPECT(e, "rocks-rules a b", "? syntax error\n\n");
  gtp_delete(e);
}

/* ------------------------------------------------------------------------------------------ */
/* play, captures, ko, suicide, undo                                                           */

static void test_play(void) {
  gtp_engine_t *e = engine(9);
  /* colours and vertices are case-insensitive; pass is a move */
  EXPECT(e, "play B e5", "= \n\n");
  EXPECT(e, "play white D5", "= \n\n");
  EXPECT(e, "play BLACK f5", "= \n\n");
  EXPECT(e, "play W pass", "= \n\n");
  EXPECT(e, "play b PASS", "= \n\n");
  EXPECT(e, "play Wh e6", "? syntax error\n\n");
  EXPECT(e, "play x e6", "? syntax error\n\n");
  EXPECT(e, "play b", "? syntax error\n\n");
  EXPECT(e, "play b e6 e7", "? syntax error\n\n");
  EXPECT(e, "play", "? syntax error\n\n");
  EXPECT(e, "play b 5e", "? syntax error\n\n");
  EXPECT(e, "play b e", "? syntax error\n\n");
  EXPECT(e, "play b i5", "? syntax error\n\n"); /* there is no column I */
  EXPECT(e, "play b e5.", "? syntax error\n\n");
  EXPECT(e, "play b resign", "? syntax error\n\n");
  EXPECT(e, "play b e0", "? illegal move\n\n");  /* well-formed but off this board */
  EXPECT(e, "play b e10", "? illegal move\n\n");
  EXPECT(e, "play b j9", "= \n\n");
  EXPECT(e, "play b k9", "? illegal move\n\n");
  EXPECT(e, "play b z1", "? illegal move\n\n");
  EXPECT(e, "play w e5", "? illegal move\n\n");  /* occupied */
  EXPECT(e, "play b E5", "? illegal move\n\n");
  EXPECT(e, "list_stones black", "= J9 E5 F5\n\n");
  EXPECT(e, "list_stones white", "= D5\n\n");
  EXPECT(e, "list_stones empty", "? syntax error\n\n");
  EXPECT(e, "final_status_list alive", "= J9\nD5\nE5 F5\n\n");
  gtp_delete(e);

  /* the same colour may move twice; a capture removes the stone and counts */
  e = engine(9);
  EXPECT(e, "play w e5", "= \n\n");
  EXPECT(e, "play b d5", "= \n\n");
  EXPECT(e, "play b f5", "= \n\n");
  EXPECT(e, "play b e6", "= \n\n");
  EXPECT(e, "countlib e5", "= 1\n\n");
  EXPECT(e, "countlib d5", "= 3\n\n");
  EXPECT(e, "countlib e4", "? vertex must not be empty\n\n");
  EXPECT(e, "countlib pass", "? syntax error\n\n");
  EXPECT(e, "countlib z9", "? invalid coordinate\n\n");
  EXPECT(e, "is_legal w e4", "= 1\n\n"); /* self-atari, not suicide: e4 has liberties */
  EXPECT(e, "play b e4", "= \n\n");
  EXPECT(e, "list_stones w", "= \n\n");
  CHECK(gtp_board(e)->captures[COLOR_BLACK] == 1 && gtp_board(e)->stones[COLOR_WHITE] == 0);
  EXPECT(e, "countlib e6", "= 4\n\n");
  /* e5 is now a single-point eye of black: white playing there is suicide */
  EXPECT(e, "is_legal w e5", "= 0\n\n");
  EXPECT(e, "play w e5", "? illegal move\n\n");
  EXPECT(e, "is_legal b e5", "= 1\n\n");
  EXPECT(e, "is_legal b e4", "= 0\n\n");
  EXPECT(e, "is_legal b pass", "= 1\n\n");
  EXPECT(e, "is_legal b z1", "= 0\n\n");
  EXPECT(e, "is_legal b z", "? syntax error\n\n");
  EXPECT(e, "is_legal q e5", "? syntax error\n\n");
  /* undo restores the captured stone, then everything, then refuses */
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "list_stones w", "= E5\n\n");
  CHECK(gtp_board(e)->captures[COLOR_BLACK] == 0);
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "undo", "? cannot undo\n\n");
  EXPECT(e, "undo 1", "? syntax error\n\n");
  EXPECT(e, "list_stones w", "= \n\n");
  gtp_delete(e);

  /* simple ko: black takes, white may not retake at once, may after a ko threat exchange */
  e = engine(9);
  const char *ko[] = {"play b d5", "play b e6", "play b e4", "play w f6", "play w f4", "play w g5",
                      "play w e5", "play b f5"};
  for (size_t i = 0; i < sizeof ko / sizeof *ko; i++) EXPECT(e, ko[i], "= \n\n");
  EXPECT(e, "list_stones w", "= F6 G5 F4\n\n");
  EXPECT(e, "is_legal w e5", "= 0\n\n");
  EXPECT(e, "play w e5", "? illegal move\n\n");
  EXPECT(e, "all_legal w", "= A9 B9 C9 D9 E9 F9 G9 H9 J9 A8 B8 C8 D8 E8 F8 G8 H8 J8 A7 B7 C7 D7 E7 F7 G7 H7 J7 "
                           "A6 B6 C6 D6 G6 H6 J6 A5 B5 C5 H5 J5 A4 B4 C4 D4 G4 H4 J4 A3 B3 C3 D3 E3 F3 G3 "
                           "H3 J3 A2 B2 C2 D2 E2 F2 G2 H2 J2 A1 B1 C1 D1 E1 F1 G1 H1 J1\n\n");
  EXPECT(e, "play w a1", "= \n\n");
  EXPECT(e, "play b a9", "= \n\n");
  EXPECT(e, "play w e5", "= \n\n");
  EXPECT(e, "list_stones b", "= A9 E6 D5 E4\n\n");
  EXPECT(e, "play b f5", "? illegal move\n\n");
  gtp_delete(e);

  /* suicide: single-stone always illegal; multi-stone legal under tromp-taylor only (if it
   * does not recreate an earlier position, so black's a1 comes first) */
  e = engine(5);
  const char *cage[] = {"play b a1", "play w a2", "play w b2", "play w c1"};
  for (size_t i = 0; i < 4; i++) EXPECT(e, cage[i], "= \n\n");
  EXPECT(e, "list_stones b", "= A1\n\n");
  EXPECT(e, "play b b1", "= \n\n"); /* two-stone suicide */
  EXPECT(e, "list_stones b", "= \n\n");
  CHECK(gtp_board(e)->captures[COLOR_WHITE] == 2);
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "rocks-rules chinese", "= \n\n");
  EXPECT(e, "play b b1", "? illegal move\n\n");
  EXPECT(e, "list_stones b", "= A1\n\n");
  gtp_delete(e);
}

/* ------------------------------------------------------------------------------------------ */
/* scoring                                                                                     */

static void test_score(void) {
  gtp_engine_t *e = engine(19);
  EXPECT(e, "final_score", "= W+7.5\n\n");
  EXPECT(e, "komi 0", "= \n\n");
  EXPECT(e, "final_score", "= 0\n\n");
  EXPECT(e, "final_score now", "? syntax error\n\n");
  /* 5x5: black wall on column C, white wall on column D */
  EXPECT(e, "boardsize 5", "= \n\n");
  EXPECT(e, "komi 0.5", "= \n\n");
  const char *cols[] = {"c1", "c2", "c3", "c4", "c5"};
  for (int i = 0; i < 5; i++) {
    char b[32], w[32];
    snprintf(b, sizeof b, "play b %s", cols[i]);
    snprintf(w, sizeof w, "play w d%d", i + 1);
    EXPECT(e, b, "= \n\n");
    EXPECT(e, w, "= \n\n");
  }
  EXPECT(e, "play b pass", "= \n\n");
  EXPECT(e, "play w pass", "= \n\n");
  CHECK(board_game_over(gtp_board(e)));
  EXPECT(e, "final_score", "= B+4.5\n\n"); /* 15 - 10 - 0.5 */
  EXPECT(e, "final_status_list alive", "= C5 C4 C3 C2 C1\nD5 D4 D3 D2 D1\n\n");
  EXPECT(e, "final_status_list dead", "= \n\n");
  EXPECT(e, "final_status_list seki", "= \n\n");
  EXPECT(e, "final_status_list ALIVE", "? syntax error\n\n");
  EXPECT(e, "final_status_list", "? syntax error\n\n");
  /* a white stone inside black's area makes A-B neutral: 5 - 11 - 0.5 */
  EXPECT(e, "play w a3", "= \n\n");
  EXPECT(e, "final_score", "= W+6.5\n\n");
  EXPECT(e, "komi 7", "= \n\n");
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "final_score", "= W+2\n\n");
  gtp_delete(e);
}

/* ------------------------------------------------------------------------------------------ */
/* handicap                                                                                    */

static void test_handicap(void) {
  gtp_engine_t *e = engine(19);
  EXPECT(e, "fixed_handicap 2", "= D4 Q16\n\n");
  EXPECT(e, "list_stones b", "= Q16 D4\n\n");
  EXPECT(e, "fixed_handicap 2", "? board not empty\n\n");
  EXPECT(e, "undo", "? cannot undo\n\n"); /* handicap stones are not moves */
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 3", "= D4 Q16 D16\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 4", "= D4 Q16 D16 Q4\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 5", "= D4 Q16 D16 Q4 K10\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 6", "= D4 Q16 D16 Q4 D10 Q10\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 7", "= D4 Q16 D16 Q4 D10 Q10 K10\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 8", "= D4 Q16 D16 Q4 D10 Q10 K4 K16\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 9", "= D4 Q16 D16 Q4 D10 Q10 K4 K16 K10\n\n");
  CHECK(gtp_board(e)->stones[COLOR_BLACK] == 9 && gtp_board(e)->move_count == 0);
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 1", "? invalid number of stones\n\n");
  EXPECT(e, "fixed_handicap 0", "? invalid number of stones\n\n");
  EXPECT(e, "fixed_handicap -2", "? invalid number of stones\n\n");
  EXPECT(e, "fixed_handicap 10", "? invalid number of stones\n\n");
  EXPECT(e, "fixed_handicap two", "? syntax error\n\n");
  EXPECT(e, "fixed_handicap", "? syntax error\n\n");
  EXPECT(e, "list_stones b", "= \n\n");
  /* a game in progress whose stones were all captured is empty again */
  EXPECT(e, "play b pass", "= \n\n");
  EXPECT(e, "fixed_handicap 2", "= D4 Q16\n\n");

  EXPECT(e, "boardsize 13", "= \n\n");
  EXPECT(e, "fixed_handicap 9", "= D4 K10 D10 K4 D7 K7 G4 G10 G7\n\n");
  EXPECT(e, "boardsize 9", "= \n\n");
  EXPECT(e, "fixed_handicap 9", "= C3 G7 C7 G3 C5 G5 E3 E7 E5\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 5", "= C3 G7 C7 G3 E5\n\n");
  EXPECT(e, "boardsize 10", "= \n\n"); /* even sizes: corners only */
  EXPECT(e, "fixed_handicap 4", "= C3 H8 C8 H3\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 5", "? invalid number of stones\n\n");
  EXPECT(e, "boardsize 7", "= \n\n");
  EXPECT(e, "fixed_handicap 4", "= C3 E5 C5 E3\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "fixed_handicap 5", "? invalid number of stones\n\n");
  EXPECT(e, "boardsize 6", "= \n\n");
  EXPECT(e, "fixed_handicap 2", "? invalid number of stones\n\n");

  /* free placement: the fixed points first, then any empty points */
  EXPECT(e, "boardsize 19", "= \n\n");
  EXPECT(e, "place_free_handicap 3", "= D4 Q16 D16\n\n");
  EXPECT(e, "place_free_handicap 3", "? board not empty\n\n");
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "place_free_handicap 1", "? invalid number of stones\n\n");
  EXPECT(e, "place_free_handicap 361", "? invalid number of stones\n\n");
  EXPECT(e, "place_free_handicap x", "? syntax error\n\n");
  EXPECT(e, "boardsize 9", "= \n\n");
  char *r = send_line(e, "place_free_handicap 12");
  CHECK(r && !strncmp(r, "= C3 G7 C7 G3 C5 G5 E3 E7 E5 ", 29) && count_vertices(r) == 12);
  free(r);
  CHECK(gtp_board(e)->stones[COLOR_BLACK] == 12);
  EXPECT(e, "boardsize 3", "= \n\n");
  r = send_line(e, "place_free_handicap 8");
  CHECK(r && count_vertices(r) == 8 && gtp_board(e)->stones[COLOR_BLACK] == 8);
  free(r);

  EXPECT(e, "boardsize 9", "= \n\n");
  EXPECT(e, "set_free_handicap a1", "? bad vertex list\n\n");
  EXPECT(e, "set_free_handicap a1 a1", "? bad vertex list\n\n");
  EXPECT(e, "set_free_handicap a1 pass", "? bad vertex list\n\n");
  EXPECT(e, "set_free_handicap a1 z1", "? bad vertex list\n\n");
  EXPECT(e, "set_free_handicap a1 1a", "? syntax error\n\n");
  EXPECT(e, "set_free_handicap", "? syntax error\n\n");
  EXPECT(e, "list_stones b", "= \n\n");
  EXPECT(e, "set_free_handicap a1 B2 j9", "= \n\n");
  EXPECT(e, "list_stones b", "= J9 B2 A1\n\n");
  EXPECT(e, "set_free_handicap c3 d4", "? board not empty\n\n");
  EXPECT(e, "boardsize 2", "= \n\n");
  EXPECT(e, "set_free_handicap a1 a2 b1 b2", "? bad vertex list\n\n"); /* all points */
  EXPECT(e, "set_free_handicap a1 a2 b1", "= \n\n");
  gtp_delete(e);
}

/* ------------------------------------------------------------------------------------------ */
/* SGF                                                                                         */

static void test_sgf(void) {
  gtp_engine_t *e = engine(19);
  EXPECT(e, "loadsgf tests/gtp/capture.sgf", "= \n\n");
  CHECK(gtp_board(e)->size == 9 && gtp_board(e)->komi == 5.5f);
  EXPECT(e, "list_stones b", "= E6 D5 F5 E4\n\n");
  EXPECT(e, "list_stones w", "= A9 B9 C9\n\n");
  CHECK(gtp_board(e)->captures[COLOR_BLACK] == 1 && gtp_board(e)->move_count == 8);
  EXPECT(e, "undo", "= \n\n"); /* a loaded game can be taken back */
  EXPECT(e, "list_stones w", "= A9 B9\n\n");
  EXPECT(e, "2 loadsgf tests/gtp/capture.sgf 7", "=2 \n\n"); /* the position before move 7 */
  EXPECT(e, "list_stones w", "= A9 B9 E5\n\n");
  EXPECT(e, "loadsgf tests/gtp/capture.sgf 1", "= \n\n");
  EXPECT(e, "list_stones b", "= \n\n");
  CHECK(gtp_board(e)->size == 9);
  EXPECT(e, "loadsgf tests/gtp/capture.sgf 1000", "= \n\n");
  EXPECT(e, "list_stones w", "= A9 B9 C9\n\n");
  EXPECT(e, "loadsgf tests/gtp/capture.sgf 0", "? syntax error\n\n");
  EXPECT(e, "loadsgf tests/gtp/capture.sgf x", "? syntax error\n\n");
  EXPECT(e, "loadsgf tests/gtp/capture.sgf 1 2", "? syntax error\n\n");
  EXPECT(e, "loadsgf", "? syntax error\n\n");
  /* failures leave the position alone */
  EXPECT(e, "loadsgf tests/gtp/no-such-file.sgf", "? cannot load file\n\n");
  EXPECT(e, "loadsgf tests/gtp/broken.sgf", "? cannot load file\n\n");
  EXPECT(e, "loadsgf tests/gtp", "? cannot load file\n\n");
  EXPECT(e, "loadsgf /dev/null", "? cannot load file\n\n");
  EXPECT(e, "list_stones w", "= A9 B9 C9\n\n");
  /* setup stones load; they are not moves */
  EXPECT(e, "loadsgf tests/gtp/handicap.sgf", "= \n\n");
  EXPECT(e, "list_stones b", "= D10 K10 D4\n\n");
  EXPECT(e, "list_stones w", "= G7\n\n");
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "undo", "= \n\n");
  EXPECT(e, "undo", "? cannot undo\n\n");

  /* printsgf: to the response, or to a file that loadsgf reads back */
  EXPECT(e, "boardsize 9", "= \n\n");
  EXPECT(e, "komi 6.5", "= \n\n");
  const char *moves[] = {"play b e5", "play w c3", "play b pass", "play w g7"};
  for (int i = 0; i < 4; i++) EXPECT(e, moves[i], "= \n\n");
  char *r = send_line(e, "3 printsgf");
  CHECK(r && !strncmp(r, "=3 (;FF[4]", 10) && strstr(r, "SZ[9]") && strstr(r, "KM[6.5]") &&
        strstr(r, "B[ee]") && strstr(r, "W[cg]") && strstr(r, "W[gc]") && strstr(r, "B[]") &&
        strstr(r, "\n\n") == r + strlen(r) - 2);
  free(r);
  char path[] = "/tmp/rocks_test_gtp_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd >= 0) {
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "printsgf %s", path);
    EXPECT(e, cmd, "= \n\n");
    EXPECT(e, "clear_board", "= \n\n");
    EXPECT(e, "komi 0", "= \n\n");
    snprintf(cmd, sizeof cmd, "loadsgf %s", path);
    EXPECT(e, cmd, "= \n\n");
    EXPECT(e, "list_stones b", "= E5\n\n");
    EXPECT(e, "list_stones w", "= G7 C3\n\n");
    CHECK(gtp_board(e)->komi == 6.5f && gtp_board(e)->move_count == 4);
    gtp_set_allow_writes(e, false);
    snprintf(cmd, sizeof cmd, "printsgf %s", path);
    EXPECT(e, cmd, "? file writes are disabled\n\n");
    gtp_set_allow_writes(e, true);
    unlink(path);
  }
  EXPECT(e, "printsgf /nonexistent-dir/x.sgf", "? cannot write file\n\n");
  EXPECT(e, "printsgf a b", "? syntax error\n\n");
  gtp_delete(e);
}

/* ------------------------------------------------------------------------------------------ */
/* genmove, the hook, time                                                                     */

typedef struct {
  int calls;
  int answer;        /* what the hook returns; 0 = the first empty point */
  double seconds;    /* the budget of the last call */
  int color;
} hook_t;

static int hook_genmove(void *ctx, const board_t *b, int color, double seconds, rocks_rng_t *rng) {
  hook_t *h = ctx;
  (void)rng;
  h->calls++;
  h->seconds = seconds;
  h->color = color;
  return h->answer ? h->answer : b->empty[0];
}

/* Sends "genmove COLOR" and returns the move it played (BOARD_RESIGN for resign, 0 on error). */
static int genmove(gtp_engine_t *e, const char *color) {
  char cmd[32];
  snprintf(cmd, sizeof cmd, "genmove %s", color);
  char *r = send_line(e, cmd);
  int move = 0;
  if (r && r[0] == '=' && r[1] == ' ') {
    char v[16] = {0};
    size_t n = strcspn(r + 2, "\n");
    if (n < sizeof v) memcpy(v, r + 2, n);
    if (!strcmp(v, "resign")) move = BOARD_RESIGN;
    else if (board_parse_vertex(gtp_board(e), v, &move, NULL) != ROCKS_OK) move = 0;
  }
  check_at(move != 0, __LINE__, "genmove %s answered \"%s\"", color, r ? r : "(null)");
  free(r);
  return move;
}

static void test_genmove(void) {
  gtp_engine_t *e = engine(9);
  /* random moves are legal, played, and the same for the same seed */
  gtp_engine_t *twin = engine(9);
  for (int i = 0; i < 40; i++) {
    const char *color = i % 2 ? "w" : "b";
    int m = genmove(e, color), m2 = genmove(twin, color);
    CHECK(m == m2);
    /* the stone is there, unless it was a (legal, multi-stone) suicide */
    CHECK(m == BOARD_PASS || gtp_board(e)->color[m] == (i % 2 ? COLOR_WHITE : COLOR_BLACK) ||
          gtp_board(e)->color[m] == COLOR_EMPTY);
    CHECK(gtp_board(e)->move_count == i + 1);
  }
  gtp_delete(twin);
  /* reg_genmove generates without playing */
  const int nactions = gtp_board(e)->nactions;
  char *r1 = send_line(e, "reg_genmove b");
  CHECK(r1 && r1[0] == '=' && gtp_board(e)->nactions == nactions);
  free(r1);
  EXPECT(e, "reg_genmove", "? syntax error\n\n");
  EXPECT(e, "genmove", "? syntax error\n\n");
  EXPECT(e, "genmove red", "? syntax error\n\n");
  EXPECT(e, "genmove b w", "? syntax error\n\n");

  /* a random player never fills its own eyes, so on a small board it ends up passing */
  EXPECT(e, "boardsize 3", "= \n\n");
  int passes = 0, moves = 0;
  while (passes < 2 && moves < 200) {
    int m = genmove(e, moves % 2 ? "white" : "black");
    passes = m == BOARD_PASS ? passes + 1 : 0;
    moves++;
  }
  CHECK(passes == 2 && board_game_over(gtp_board(e)));
  EXPECT(e, "kgs-genmove_cleanup b", "= pass\n\n"); /* still nothing to do */

  /* the hook: its legal answers are played, illegal ones replaced, resign reported */
  hook_t h = {0};
  gtp_set_genmove(e, hook_genmove, &h);
  EXPECT(e, "boardsize 9", "= \n\n");
  EXPECT(e, "genmove b", "= A9\n\n"); /* the first empty point of a fresh board */
  CHECK(h.calls == 1 && h.color == COLOR_BLACK && h.seconds == 0);
  h.answer = board_point(gtp_board(e), 4, 4);
  EXPECT(e, "reg_genmove w", "= E5\n\n");
  EXPECT(e, "genmove w", "= E5\n\n");
  int fallback = genmove(e, "b"); /* E5 is occupied: a random legal move instead */
  CHECK(h.calls == 4 && fallback != h.answer && fallback > 0 && gtp_board(e)->color[fallback] == COLOR_BLACK);
  h.answer = BOARD_PASS;
  EXPECT(e, "genmove w", "= pass\n\n");
  h.answer = BOARD_RESIGN;
  const int before = gtp_board(e)->nactions;
  EXPECT(e, "genmove b", "= resign\n\n");
  CHECK(gtp_board(e)->nactions == before);
  h.answer = 5000; /* nonsense points are replaced by a legal move */
  int m = genmove(e, "b");
  CHECK(m > 0 && gtp_board(e)->color[m] == COLOR_BLACK);

  /* time budgets handed to the hook (each less the default per-move lag, 0.05 s) */
  const double LAG = gtp_config_default().lag;
  h.answer = BOARD_PASS;
  EXPECT(e, "clear_board", "= \n\n");
  EXPECT(e, "time_settings 600 0 0", "= \n\n"); /* absolute: 600 s over max(81/2, 10) = 40 moves */
  EXPECT(e, "genmove b", "= pass\n\n");
  CHECK(fabs(h.seconds - (15.0 - LAG)) < 0.01);
  EXPECT(e, "time_left w 100 5", "= \n\n"); /* byo-yomi: 5 stones in 100 s */
  EXPECT(e, "genmove w", "= pass\n\n");
  CHECK(fabs(h.seconds - (20.0 - LAG)) < 0.01);
  EXPECT(e, "time_left b 5 0", "= \n\n"); /* main time almost gone: at least 10 moves */
  EXPECT(e, "genmove b", "= pass\n\n");
  CHECK(fabs(h.seconds - (0.125 - LAG)) < 0.01);
  EXPECT(e, "time_settings 60 30 5", "= \n\n"); /* main 60/40 = 1.5 s, but byo-yomi gives 6 s */
  EXPECT(e, "genmove b", "= pass\n\n");
  CHECK(fabs(h.seconds - (6.0 - LAG)) < 0.01);
  EXPECT(e, "time_settings 0 30 5", "= \n\n"); /* byo-yomi only */
  EXPECT(e, "genmove w", "= pass\n\n");
  CHECK(fabs(h.seconds - (6.0 - LAG)) < 0.01);
  EXPECT(e, "time_settings 0 1 0", "= \n\n"); /* the spec's "no time limit" */
  EXPECT(e, "genmove w", "= pass\n\n");
  CHECK(h.seconds == 0);
  EXPECT(e, "time_settings 0 0 0", "= \n\n"); /* absolute zero: the minimum budget */
  EXPECT(e, "genmove w", "= pass\n\n");
  CHECK(h.seconds > 0 && h.seconds < 0.1);
  EXPECT(e, "kgs-time_settings none", "= \n\n");
  EXPECT(e, "genmove w", "= pass\n\n");
  CHECK(h.seconds == 0);
  EXPECT(e, "kgs-time_settings absolute 810", "= \n\n");
  EXPECT(e, "genmove w", "= pass\n\n");
  CHECK(fabs(h.seconds - (810.0 / 40 - LAG)) < 0.01);
  EXPECT(e, "kgs-time_settings byoyomi 0 10 5", "= \n\n"); /* a period per stone */
  EXPECT(e, "genmove b", "= pass\n\n");
  CHECK(fabs(h.seconds - (10.0 - LAG)) < 0.01);
  EXPECT(e, "kgs-time_settings canadian 0 300 25", "= \n\n");
  EXPECT(e, "genmove b", "= pass\n\n");
  CHECK(fabs(h.seconds - (12.0 - LAG)) < 0.01);
  EXPECT(e, "kgs-time_settings fischer 10 10 10", "? syntax error\n\n");
  EXPECT(e, "kgs-time_settings absolute", "? syntax error\n\n");
  EXPECT(e, "kgs-time_settings none 5", "? syntax error\n\n");
  EXPECT(e, "time_settings 1 2", "? syntax error\n\n");
  EXPECT(e, "time_settings a 2 3", "? syntax error\n\n");
  EXPECT(e, "time_settings 1 2 -3", "? syntax error\n\n");
  EXPECT(e, "time_settings -1 2 3", "? syntax error\n\n");
  EXPECT(e, "time_left b 10", "? syntax error\n\n");
  EXPECT(e, "time_left x 10 0", "? syntax error\n\n");
  EXPECT(e, "time_left b ten 0", "? syntax error\n\n");
  EXPECT(e, "time_left b 10 1.5", "? syntax error\n\n");
  EXPECT(e, "time_left b -2 0", "= \n\n"); /* overtime reported: the minimum budget */
  gtp_set_genmove(e, NULL, NULL);
  gtp_delete(e);

  /* without time_settings, time_left alone starts a clock for that colour */
  e = engine(9);
  gtp_set_genmove(e, hook_genmove, &h);
  h.answer = BOARD_PASS;
  EXPECT(e, "time_left b 300 0", "= \n\n");
  EXPECT(e, "genmove b", "= pass\n\n");
  CHECK(fabs(h.seconds - (7.5 - LAG)) < 0.01);
  EXPECT(e, "genmove w", "= pass\n\n");
  CHECK(h.seconds == 0);
  gtp_delete(e);

  char *r;
  e = engine(9);
  r = send_line(e, "cputime");
  CHECK(r && r[0] == '=' && strchr(r, '.'));
  free(r);
  gtp_delete(e);
}

/* ------------------------------------------------------------------------------------------ */
/* robustness, the I/O loop                                                                    */

static void test_robustness(void) {
  gtp_engine_t *e = engine(9);
  /* a long line and a line with many words answer normally */
  size_t n = 200000;
  char *big = malloc(n + 1);
  memset(big, 'a', n);
  big[n] = '\0';
  EXPECT(e, big, "? unknown command\n\n");
  for (size_t i = 0; i + 1 < n; i += 2) big[i] = 'a', big[i + 1] = ' ';
  EXPECT(e, big, "? unknown command\n\n");
  memcpy(big, "set_free_handicap ", 18);
  EXPECT(e, big, "? syntax error\n\n");
  free(big);
  /* every byte value in every position of a few commands */
  const char *cmds[] = {"play b e5", "genmove w", "boardsize 9", "loadsgf x 2", "undo", "komi 5"};
  for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++)
    for (size_t pos = 0; pos <= strlen(cmds[c]); pos++)
      for (int byte = 1; byte < 256; byte++) {
        char line[64];
        snprintf(line, sizeof line, "%.*s%c%s", (int)pos, cmds[c], byte, cmds[c] + pos);
        char *r = send_line(e, line);
        size_t len = r ? strlen(r) : 0;
        check_at(r && (len == 0 || (len >= 3 && !strcmp(r + len - 2, "\n\n") && !strstr(r, "\n\n\n") &&
                                    (r[0] == '=' || r[0] == '?'))),
                 __LINE__, "bad response to byte %d at %zu of '%s'", byte, pos, cmds[c]);
        free(r);
      }
  gtp_delete(e);
}

static void test_run(void) {
  gtp_engine_t *e = engine(9);
  FILE *in = tmpfile(), *out = tmpfile();
  if (!CHECK(in && out)) return;
  const char input[] = "1 name\n\n# comment\nboardsize\t7\r\n2 na\0me\nplay b d4\n3 quit\nname\n";
  fwrite(input, 1, sizeof input - 1, in);
  rewind(in);
  rocks_error_t err = {0};
  CHECK(gtp_run(e, in, out, &err) == ROCKS_OK);
  rewind(out);
  char buf[256] = {0};
  size_t got = fread(buf, 1, sizeof buf - 1, out);
  const char *want = "=1 rocks\n\n= \n\n=2 rocks\n\n= \n\n=3 \n\n";
  char b1[512], b2[512];
  check_at(got == strlen(want) && !strcmp(buf, want), __LINE__, "gtp_run wrote \"%s\", want \"%s\"",
           escaped(buf, b1, sizeof b1), escaped(want, b2, sizeof b2));
  CHECK(gtp_board(e)->size == 7 && gtp_board(e)->stones[COLOR_BLACK] == 1);
  fclose(in);
  fclose(out);

  /* EOF without quit, and a last line without LF */
  in = tmpfile();
  out = tmpfile();
  fputs("version\nprotocol_version", in);
  rewind(in);
  CHECK(gtp_run(e, in, out, NULL) == ROCKS_OK);
  rewind(out);
  memset(buf, 0, sizeof buf);
  got = fread(buf, 1, sizeof buf - 1, out);
  CHECK(!strcmp(buf, "= " ROCKS_VERSION "\n\n= 2\n\n"));
  fclose(in);
  fclose(out);
  gtp_delete(e);
}

int main(int argc, char **argv) {
  if (argc > 1 && chdir(argv[1]) != 0) {
    fprintf(stderr, "test_gtp: cannot enter %s\n", argv[1]);
    return 2;
  }
  test_preprocessing();
  test_admin();
  test_setup();
  test_play();
  test_score();
  test_handicap();
  test_sgf();
  test_genmove();
  test_robustness();
  test_run();
  return check_report("test_gtp");
}
