/* fuzz_sgf.c — libFuzzer target for the SGF reader/writer (src/go/sgf.c).
 *
 * Parses the input bytes; for every game read: writes it, parses the text back (must succeed
 * and give an equal record, else abort()), and for sizes 2..19 replays it onto a board (errors
 * are fine). When the replay succeeds, the board is exported with sgf_game_from_board, written,
 * parsed and replayed again, which must reproduce the same position (else abort()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go/board.h"
#include "go/sgf.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const sgf_game_t *g);
static void check_board(const sgf_game_t *g, board_t *b, board_t *c, int max_moves);
static void die(const char *what, const char *detail);

static void die(const char *what, const char *detail) {
  fprintf(stderr, "fuzz_sgf: %s\n%s\n", what, detail ? detail : "");
  abort();
}

/* write -> parse gives one record equal to g. */
static void check_round_trip(const sgf_game_t *g) {
  char *text = sgf_write(g);
  if (!text) die("sgf_write returned NULL", NULL);
  sgf_game_t *back = NULL;
  int n = 0;
  rocks_error_t err = {0};
  if (sgf_parse(text, strlen(text), &back, &n, &err) != ROCKS_OK) die(err.msg, text);
  if (n != 1) die("re-parse gave a different number of games", text);
  if (!sgf_game_equal(g, &back[0])) die("round trip changed the record", text);
  sgf_games_free(back, n);
  free(text);
}

/* Replays g; on success, board -> record -> text -> record -> board must be the same position. */
static void check_board(const sgf_game_t *g, board_t *b, board_t *c, int max_moves) {
  rocks_error_t err = {0};
  if (sgf_game_to_board(g, b, board_rules_tromp_taylor(), max_moves, &err) != ROCKS_OK) return;
  sgf_game_t exported;
  if (sgf_game_from_board(&exported, b, "black", "white", &err) != ROCKS_OK) die("from_board failed", err.msg);
  check_round_trip(&exported);
  if (sgf_game_to_board(&exported, c, b->rules, 0, &err) != ROCKS_OK) die("exported record does not replay", err.msg);
  if (c->hash != b->hash || c->to_play != b->to_play || memcmp(c->color, b->color, sizeof b->color) ||
      c->move_count != b->move_count || c->passes != b->passes)
    die("exported record replays to a different position", NULL);
  sgf_game_clear(&exported);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sgf_game_t *games = NULL;
  int n = 0;
  rocks_error_t err = {0};
  if (sgf_parse((const char *)data, size, &games, &n, &err) != ROCKS_OK) return 0;
  board_t *b = malloc(sizeof *b), *c = malloc(sizeof *c);
  if (!b || !c) die("out of memory", NULL);
  for (int i = 0; i < n; i++) {
    check_round_trip(&games[i]);
    if (games[i].size >= BOARD_MIN_SIZE && games[i].size <= BOARD_MAX_SIZE) {
      check_board(&games[i], b, c, 0);
      check_board(&games[i], b, c, (int)(size % 7)); /* a loadsgf-style cut as well */
    }
  }
  free(b);
  free(c);
  sgf_games_free(games, n);
  return 0;
}
