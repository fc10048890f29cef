/* test_match.c — the GTP referee (src/play/match.c) against scripted engines
 * (tests/play/fake_engine.py): scoring and adjudication against board_score, every way of
 * losing (resign, illegal move, bad vertex, GTP error, garbage, timeout, crash, refused play or
 * setup), SGF records parsed back, results.csv rows, resume, colour alternation, {game}
 * expansion, jobs determinism, and the Wilson/Elo statistics against hand-computed values.
 *
 * Runs with the repository root as working directory; needs /usr/bin/python3. Prints every
 * failed check and exits non-zero if any failed.
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
#include "go/sgf.h"
#include "play/match.h"
#include "util/util.h"

#include "check.h"
#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

#define FAKE "/usr/bin/python3 tests/play/fake_engine.py"

static char root_[256];
static int ndirs_ = 0;

static void new_dir_(char *out, size_t len) { snprintf(out, len, "%s/m%02d", root_, ndirs_++); }

/* --------------------------------------------------------------------------- statistics --- */

static void test_stats(void) {
  double lo, hi;
  match_wilson(7, 10, 1.96, &lo, &hi); /* p 0.7: centre 0.644492, half-width 0.247719 */
  CHECKF(NEAR(lo, 0.3967732200, 1e-9) && NEAR(hi, 0.8922107125, 1e-9), "wilson 7/10 = [%.10f, %.10f]", lo, hi);
  match_wilson(0, 10, 1.96, &lo, &hi);
  CHECKF(lo == 0 && NEAR(hi, 0.2775401688, 1e-9), "wilson 0/10 = [%.10f, %.10f]", lo, hi);
  match_wilson(10, 10, 1.96, &lo, &hi);
  CHECKF(NEAR(lo, 0.7224598312, 1e-9) && hi == 1, "wilson 10/10 = [%.10f, %.10f]", lo, hi);
  match_wilson(12.5, 20, 1.96, &lo, &hi);
  CHECKF(NEAR(lo, 0.4094859016, 1e-9) && NEAR(hi, 0.8002315670, 1e-9), "wilson 12.5/20 = [%.10f, %.10f]", lo, hi);
  match_wilson(0, 0, 1.96, &lo, &hi);
  CHECK(lo == 0 && hi == 1);
  CHECKF(NEAR(match_elo(0.75), 400 * log10(3.0), 1e-9), "elo(0.75) = %f", match_elo(0.75));
  CHECKF(NEAR(match_elo(0.75), 190.848501887865, 1e-9), "elo(0.75) = %f", match_elo(0.75));
  CHECK(NEAR(match_elo(0.5), 0, 1e-12));
  CHECK(NEAR(match_elo(0.25), -190.848501887865, 1e-9));
  CHECK(isinf(match_elo(0)) && match_elo(0) < 0);
  CHECK(isinf(match_elo(1)) && match_elo(1) > 0);

  match_row_t rows[4];
  memset(rows, 0, sizeof rows);
  rows[0] = (match_row_t){.engine_color = COLOR_BLACK, .winner = COLOR_BLACK, .reason = MATCH_REASON_SCORE, .moves = 10};
  rows[1] = (match_row_t){.engine_color = COLOR_WHITE, .winner = COLOR_BLACK, .reason = MATCH_REASON_RESIGN, .moves = 20};
  rows[2] = (match_row_t){.engine_color = COLOR_WHITE, .winner = COLOR_EMPTY, .reason = MATCH_REASON_MAX_MOVES, .moves = 30};
  rows[3] = (match_row_t){.engine_color = COLOR_BLACK, .winner = COLOR_WHITE, .reason = MATCH_REASON_TIMEOUT, .moves = 40};
  match_stats_t s;
  match_stats_compute(rows, 4, &s);
  CHECK(s.games == 4 && s.wins == 1.5 && s.winrate == 0.375);
  CHECK(s.engine_black_games == 2 && s.engine_black_wins == 1 && s.engine_white_games == 2 && s.engine_white_wins == 0.5);
  CHECK(s.reasons[MATCH_REASON_SCORE] == 1 && s.reasons[MATCH_REASON_RESIGN] == 1 &&
        s.reasons[MATCH_REASON_MAX_MOVES] == 1 && s.reasons[MATCH_REASON_TIMEOUT] == 1);
  CHECK(s.mean_moves == 25);
  match_wilson(1.5, 4, 1.96, &lo, &hi);
  CHECK(s.lo == lo && s.hi == hi);
  CHECKF(NEAR(s.elo, -400 * log10(1 / 0.375 - 1), 1e-9) && NEAR(s.elo_lo, match_elo(lo), 1e-9) &&
             NEAR(s.elo_hi, match_elo(hi), 1e-9), "elo %f [%f, %f]", s.elo, s.elo_lo, s.elo_hi);
}

static void test_split(void) {
  char *argv[MATCH_MAX_ARGS], buf[512];
  rocks_error_t e = {0};
  int n = match_split_command("  gnugo --mode gtp  'a b' \"c \\\"d\" e\\ f  ", argv, buf, sizeof buf, &e);
  CHECKF(n == 6, "split count %d", n);
  if (n == 6)
    CHECK(!strcmp(argv[0], "gnugo") && !strcmp(argv[1], "--mode") && !strcmp(argv[2], "gtp") && !strcmp(argv[3], "a b") &&
          !strcmp(argv[4], "c \"d") && !strcmp(argv[5], "e f") && argv[6] == NULL);
  CHECK(match_split_command("x 'unbalanced", argv, buf, sizeof buf, &e) == -1 && strstr(e.msg, "unbalanced"));
  CHECK(match_split_command("   ", argv, buf, sizeof buf, &e) == -1 && strstr(e.msg, "empty"));
  CHECK(match_split_command("abcdefgh", argv, buf, 6, &e) == -1 && strstr(e.msg, "too long"));
  CHECK(match_split_command("''", argv, buf, sizeof buf, &e) == 1 && !strcmp(argv[0], ""));
}

/* ------------------------------------------------------------------------- single games --- */

/* One game on a 5x5 board, komi 0.5, black = engine. Returns match_run's status. */
static rocks_status_t play1_(const char *dir, const char *black, const char *white, int max_moves, double timeout,
                             match_row_t *row) {
  match_config_t c = match_config_default();
  c.engine = black;
  c.opponent = white;
  c.out = dir;
  c.games = 1;
  c.alternate = 0;
  c.size = 5;
  c.komi = 0.5f;
  c.max_moves = max_moves;
  c.move_timeout = timeout;
  match_row_t *rows = NULL;
  int n = 0;
  rocks_error_t e = {0};
  rocks_status_t st = match_run(&c, NULL, NULL, &rows, &n, &e);
  memset(row, 0, sizeof *row);
  if (st == ROCKS_OK && n == 1) *row = rows[0];
  else if (st == ROCKS_OK) CHECKF(n == 1, "%d rows", n);
  else fprintf(stderr, "match_run: %s\n", e.msg);
  free(rows);
  return st;
}

/* Replays GTP vertices on a 5x5 komi-0.5 board (alternating from black). */
static void replay_(board_t *b, const char *const *moves, int n) {
  board_init(b, 5, board_rules_chinese(), 0.5f, NULL);
  for (int i = 0; i < n; i++) {
    int m;
    if (board_parse_vertex(b, moves[i], &m, NULL) != ROCKS_OK || board_play(b, b->to_play, m, NULL) != ROCKS_OK)
      CHECKF(0, "replay of %s failed", moves[i]);
  }
}

static int read_file_(const char *path, char *out, size_t len) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(out, 1, len - 1, f);
  fclose(f);
  out[n] = '\0';
  return 1;
}

static void test_scored(board_t *b) {
  char dir[512], path[600];
  match_row_t r;
  new_dir_(dir, sizeof dir);
  /* B C3, W D4, B B2, W pass, B pass: two passes */
  rocks_status_t st = play1_(dir, FAKE " --name fakeB --script 'C3 B2 pass'", FAKE " --name fakeW --script 'D4 pass'", 0, 10, &r);
  CHECK(st == ROCKS_OK);
  const char *mv[] = {"C3", "D4", "B2", "pass", "pass"};
  replay_(b, mv, 5);
  char res[32];
  board_score_string(b, res, sizeof res);
  CHECKF(r.reason == MATCH_REASON_SCORE && r.moves == 5, "reason %s moves %d", match_reason_name(r.reason), r.moves);
  CHECKF(r.score == board_score(b, NULL, NULL) && r.winner == board_winner(b) && !strcmp(r.result, res),
         "score %g (want %g) winner %d result %s (want %s)", r.score, board_score(b, NULL, NULL), r.winner, r.result, res);
  CHECKF(!strcmp(r.black, "fakeB 1.0") && !strcmp(r.white, "fakeW 1.0"), "names '%s' '%s'", r.black, r.white);
  CHECK(r.engine_color == COLOR_BLACK && r.game == 0 && r.seconds > 0);

  /* the SGF parses back with the same moves, names, result, komi, size, rules */
  snprintf(path, sizeof path, "%s/games/game-000000.sgf", dir);
  sgf_game_t *gs = NULL;
  int ng = 0;
  rocks_error_t e = {0};
  CHECKF(sgf_read_file(path, &gs, &ng, &e) == ROCKS_OK && ng == 1, "sgf: %s", e.msg);
  if (gs && ng == 1) {
    sgf_game_t *g = &gs[0];
    CHECKF(g->size == 5 && g->komi == 0.5 && !strcmp(g->rules, "chinese") && !strcmp(g->black, "fakeB 1.0") &&
               !strcmp(g->white, "fakeW 1.0") && !strcmp(g->result, res) && g->nevents == 5,
           "sgf SZ %d KM %g RU %s PB %s PW %s RE %s events %d", g->size, g->komi, g->rules, g->black, g->white, g->result,
           g->nevents);
    board_t *b2 = malloc(sizeof *b2);
    if (b2 && sgf_game_to_board(g, b2, board_rules_chinese(), 0, &e) == ROCKS_OK)
      CHECK(b2->hash == b->hash && b2->move_count == 5 && board_score(b2, NULL, NULL) == r.score);
    else CHECKF(0, "sgf replay: %s", e.msg);
    free(b2);
    CHECK(g->comments && g->comments[0] && strstr(g->comments[0], "engine black, score"));
  }
  sgf_games_free(gs, ng);

  /* results.csv: header and one row */
  char text[4096];
  snprintf(path, sizeof path, "%s/results.csv", dir);
  CHECK(read_file_(path, text, sizeof text));
  const char *hdr = "game,black,white,winner,score,reason,moves,seconds,sgf,result,engine_color,detail,"
                    "final_score_black,final_score_white\n";
  CHECKF(!strncmp(text, hdr, strlen(hdr)), "csv header: %.200s", text);
  char want[256];
  snprintf(want, sizeof want, "0,fakeB 1.0,fakeW 1.0,%s,%g,score,5,", r.winner == COLOR_BLACK ? "B" : "W", r.score);
  CHECKF(!strncmp(text + strlen(hdr), want, strlen(want)), "csv row: %s (want %s...)", text + strlen(hdr), want);
  CHECKF(strstr(text, ",games/game-000000.sgf,") != NULL, "csv sgf column: %s", text);
  int lines = 0;
  for (const char *p = text; *p; p++) lines += *p == '\n';
  CHECK(lines == 2);
  snprintf(path, sizeof path, "%s/summary.json", dir);
  CHECK(read_file_(path, text, sizeof text) && strstr(text, "\"games\":\t1"));
}

static void test_cap(board_t *b) {
  char dir[512];
  match_row_t r;
  new_dir_(dir, sizeof dir);
  CHECK(play1_(dir, FAKE " --script 'C3 B2 B4 D2'", FAKE " --script 'D4 C4 E2 A1'", 5, 10, &r) == ROCKS_OK);
  const char *mv[] = {"C3", "D4", "B2", "C4", "B4"};
  replay_(b, mv, 5);
  CHECKF(r.reason == MATCH_REASON_MAX_MOVES && r.moves == 5, "reason %s moves %d", match_reason_name(r.reason), r.moves);
  CHECKF(r.score == board_score(b, NULL, NULL) && r.winner == board_winner(b), "score %g want %g", r.score,
         board_score(b, NULL, NULL));
}

/* A game that one side loses: checks winner, reason, RE and a word of the detail. */
static void lose_(int line, const char *black, const char *white, double timeout, int loser, int reason,
                  const char *re, const char *detail_has, int moves) {
  char dir[512];
  match_row_t r;
  new_dir_(dir, sizeof dir);
  double t0 = rocks_now();
  rocks_status_t st = play1_(dir, black, white, 0, timeout, &r);
  double dt = rocks_now() - t0;
  check_at(st == ROCKS_OK, line, "match_run failed");
  check_at(r.winner == board_other(loser) && r.reason == reason && !strcmp(r.result, re) &&
               strstr(r.detail, detail_has) && r.moves == moves,
           line, "winner %d reason %s result %s detail '%s' moves %d (want loser %d, %s, %s, '%s', %d)", r.winner,
           match_reason_name(r.reason), r.result, r.detail, r.moves, loser, match_reason_name(reason), re, detail_has, moves);
  check_at(dt < 10, line, "game took %.1f s", dt);
  /* the SGF of a forfeit carries the forfeit result */
  char path[600];
  snprintf(path, sizeof path, "%s/games/game-000000.sgf", dir);
  sgf_game_t *gs = NULL;
  int ng = 0;
  if (sgf_read_file(path, &gs, &ng, NULL) == ROCKS_OK && ng == 1) check_at(!strcmp(gs[0].result, re), line, "RE %s", gs[0].result);
  else check_at(0, line, "cannot read %s", path);
  sgf_games_free(gs, ng);
}

static void test_forfeits(void) {
  lose_(__LINE__, FAKE " --script 'C3 !resign'", FAKE " --script D4", 10, COLOR_BLACK, MATCH_REASON_RESIGN, "W+R",
        "resigned", 2);
  lose_(__LINE__, FAKE " --script 'C3 D4'", FAKE " --script C3", 10, COLOR_WHITE, MATCH_REASON_ILLEGAL, "B+F",
        "occupied", 1);
  lose_(__LINE__, FAKE " --script Z9", FAKE, 10, COLOR_BLACK, MATCH_REASON_ILLEGAL, "W+F", "Z9", 0);
  lose_(__LINE__, FAKE " --script C3", FAKE " --script '!error'", 10, COLOR_WHITE, MATCH_REASON_GTP_ERROR, "B+F",
        "cannot generate", 1);
  lose_(__LINE__, FAKE " --script '!garbage'", FAKE, 10, COLOR_BLACK, MATCH_REASON_GTP_ERROR, "W+F", "malformed", 0);
  lose_(__LINE__, FAKE " --script C3", FAKE " --script '!hang'", 0.5, COLOR_WHITE, MATCH_REASON_TIMEOUT, "B+T",
        "within 0.5 s", 1);
  lose_(__LINE__, FAKE " --script '!crash'", FAKE, 10, COLOR_BLACK, MATCH_REASON_CRASH, "W+F", "exited", 0);
  lose_(__LINE__, FAKE " --script C3", FAKE " --fail play", 10, COLOR_WHITE, MATCH_REASON_GTP_ERROR, "B+F",
        "'play black C3' failed", 1);
  lose_(__LINE__, FAKE " --fail boardsize", FAKE, 10, COLOR_BLACK, MATCH_REASON_GTP_ERROR, "W+F", "boardsize", 0);
  lose_(__LINE__, "/bin/false", FAKE, 10, COLOR_BLACK, MATCH_REASON_CRASH, "W+F", "exited", 0);
  /* superko: black retakes a ko at once (C3 after white's capture) */
  lose_(__LINE__, FAKE " --script 'B3 C2 C4 D3 D3'", FAKE " --script 'D2 E3 D4 C3'", 10, COLOR_BLACK,
        MATCH_REASON_ILLEGAL, "W+F", "ko", 8);

  /* bad configurations are errors of the run, not lost games */
  char dir[512];
  match_row_t r;
  new_dir_(dir, sizeof dir);
  CHECK(play1_(dir, "/nonexistent/engine", FAKE, 0, 10, &r) == ROCKS_ERR_ARG);
  CHECK(play1_(dir, FAKE " 'unbalanced", FAKE, 0, 10, &r) == ROCKS_ERR_ARG);
  CHECK(play1_(dir, FAKE, FAKE, 0, 0, &r) == ROCKS_ERR_ARG);
}

/* ----------------------------------------------------------- match: alternation, resume --- */

typedef struct {
  int calls, played, resumed;
} prog_t;

static void prog_(const match_progress_t *p, void *ctx) {
  prog_t *pr = ctx;
  pr->calls++;
  pr->played = p->played;
  pr->resumed = p->resumed;
}

static rocks_status_t run_match_(const char *dir, int games, int jobs, float komi, prog_t *pr, match_row_t **rows, int *n) {
  match_config_t c = match_config_default();
  /* the engine resigns at once; the opponent plays D4 first when it is black */
  c.engine = FAKE " --name 'E{game}' --script '!resign'";
  c.opponent = FAKE " --name O --script 'D4 pass'";
  c.out = dir;
  c.games = games;
  c.jobs = jobs;
  c.size = 5;
  c.komi = komi;
  memset(pr, 0, sizeof *pr);
  rocks_error_t e = {0};
  rocks_status_t st = match_run(&c, prog_, pr, rows, n, &e);
  if (st != ROCKS_OK) fprintf(stderr, "match_run: %s\n", e.msg);
  return st;
}

static void test_match(void) {
  char dir[512], dir2[512];
  new_dir_(dir, sizeof dir);
  match_row_t *rows = NULL;
  int n = 0;
  prog_t pr;
  CHECK(run_match_(dir, 2, 1, 0.5f, &pr, &rows, &n) == ROCKS_OK && n == 2);
  if (n == 2) {
    CHECK(rows[0].engine_color == COLOR_BLACK && rows[1].engine_color == COLOR_WHITE);
    CHECK(rows[0].winner == COLOR_WHITE && rows[1].winner == COLOR_BLACK);
    CHECK(!strcmp(rows[0].result, "W+R") && !strcmp(rows[1].result, "B+R") && rows[0].moves == 0 && rows[1].moves == 1);
    CHECKF(!strcmp(rows[0].black, "E0 1.0") && !strcmp(rows[0].white, "O 1.0") && !strcmp(rows[1].black, "O 1.0") &&
               !strcmp(rows[1].white, "E1 1.0"), "names %s %s %s %s", rows[0].black, rows[0].white, rows[1].black,
           rows[1].white);
  }
  CHECK(pr.calls == 3 && pr.played == 2 && pr.resumed == 0);
  free(rows);
  /* resume: one more game is played, the two on disk are kept */
  CHECK(run_match_(dir, 3, 1, 0.5f, &pr, &rows, &n) == ROCKS_OK && n == 3);
  CHECKF(pr.played == 1 && pr.resumed == 2, "played %d resumed %d", pr.played, pr.resumed);
  if (n == 3) CHECK(rows[2].engine_color == COLOR_BLACK && rows[2].winner == COLOR_WHITE && rows[2].game == 2);
  free(rows);
  /* nothing left: nothing played */
  CHECK(run_match_(dir, 3, 1, 0.5f, &pr, &rows, &n) == ROCKS_OK && n == 3 && pr.played == 0 && pr.resumed == 3);
  free(rows);
  char text[8192], path[600];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  CHECK(read_file_(path, text, sizeof text) && strstr(text, "\"engine_wins\":\t0") && strstr(text, "\"elo\":\tnull") &&
        strstr(text, "\"resign\":\t3"));
  /* other settings in the same folder: refused */
  rows = NULL;
  CHECK(run_match_(dir, 3, 1, 1.5f, &pr, &rows, &n) == ROCKS_ERR_STATE && rows == NULL);
  /* jobs = 2 plays the same games */
  new_dir_(dir2, sizeof dir2);
  match_row_t *rows2 = NULL;
  int n2 = 0;
  CHECK(run_match_(dir2, 3, 2, 0.5f, &pr, &rows2, &n2) == ROCKS_OK && n2 == 3 && pr.played == 3);
  CHECK(run_match_(dir, 3, 1, 0.5f, &pr, &rows, &n) == ROCKS_OK && n == 3);
  for (int i = 0; i < 3 && n == 3 && n2 == 3; i++)
    CHECKF(rows[i].game == rows2[i].game && rows[i].winner == rows2[i].winner && rows[i].moves == rows2[i].moves &&
               !strcmp(rows[i].result, rows2[i].result) && !strcmp(rows[i].black, rows2[i].black),
           "game %d differs with jobs 2", i);
  free(rows);
  free(rows2);
}

int main(void) {
  if (access("/usr/bin/python3", X_OK) != 0 || access("tests/play/fake_engine.py", R_OK) != 0) {
    fprintf(stderr, "test_match: needs /usr/bin/python3 and the repository root as working directory\n");
    return 1;
  }
  snprintf(root_, sizeof root_, "/tmp/rocks-test-match-XXXXXX");
  if (!mkdtemp(root_)) {
    perror("mkdtemp");
    return 1;
  }
  test_stats();
  test_split();
  board_t *b = malloc(sizeof *b);
  if (!b) return 1;
  test_scored(b);
  test_cap(b);
  test_forfeits();
  test_match();
  free(b);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root_);
  if (check_failures == 0 && system(cmd) != 0) fprintf(stderr, "test_match: could not remove %s\n", root_);
  return check_report("test_match");
}
