/* test_board.c — unit tests of the board API (src/go/board.h) beyond the rule cases in
 * tests/rules: init errors, rules presets, vertex text, policy indices, random games with
 * board_check and full undo, board_copy, playouts, random moves, scoring identities and error
 * paths. Prints each failed check as file:line and exits non-zero if any failed.
 *
 * Usage: test_board [--quick]     (--quick: fewer random games)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "go/board.h"

#include "check.h"

static const char LETTERS[] = "ABCDEFGHJKLMNOPQRST";

/* A fresh heap board (board_t is large). */
static board_t *new_board(int size, board_rules_t rules, float komi) {
  board_t *b = malloc(sizeof *b);
  rocks_error_t err = {0};
  if (!b || board_init(b, size, rules, komi, &err) != ROCKS_OK) {
    printf("board_init(%d) failed: %s\n", size, err.msg);
    exit(1);
  }
  return b;
}

static bool check_ok(const board_t *b, const char *what) {
  rocks_error_t err = {0};
  bool ok = board_check(b, &err);
  CHECKF(ok, "board_check after %s: %s", what, err.msg);
  return ok;
}

static int same_colours(const board_t *a, const board_t *b) {
  if (a->size != b->size) return 0;
  for (int y = 0; y < a->size; y++)
    for (int x = 0; x < a->size; x++)
      if (a->color[board_point(a, x, y)] != b->color[board_point(b, x, y)]) return 0;
  return 1;
}

/* A uniformly random legal move of b->to_play; a pass with probability pass_p or if nothing else. */
static int pick_move(const board_t *b, rocks_rng_t *rng, double pass_p) {
  int moves[BOARD_MAX_MOVES];
  int n = board_legal_moves(b, b->to_play, moves);
  if (n <= 1 || rocks_rng_double(rng) < pass_p) return BOARD_PASS;
  return moves[rocks_rng_below(rng, (uint32_t)(n - 1))];
}

/* ------------------------------------------------------------------ init and rules */

static void test_init(void) {
  board_t *b = malloc(sizeof *b);
  if (!b) exit(1);
  const int bad[] = {-1, 0, 1, 20, 21, 100};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rocks_error_t err = {0};
    rocks_status_t st = board_init(b, bad[i], board_rules_tromp_taylor(), 7.5f, &err);
    CHECKF(st == ROCKS_ERR_ARG, "board_init(%d) returned %s", bad[i], rocks_status_name(st));
    CHECKF(err.code == ROCKS_ERR_ARG && err.msg[0], "board_init(%d): error message '%s'", bad[i], err.msg);
    CHECKF(board_init(b, bad[i], board_rules_chinese(), 0, NULL) == ROCKS_ERR_ARG, "size %d with NULL err", bad[i]);
  }
  uint64_t empty_hash[BOARD_MAX_SIZE + 1];
  for (int n = BOARD_MIN_SIZE; n <= BOARD_MAX_SIZE; n++) {
    rocks_error_t err = {0};
    CHECKF(board_init(b, n, board_rules_chinese(), 6.5f, &err) == ROCKS_OK, "board_init(%d): %s", n, err.msg);
    CHECKF(b->size == n && b->stride == n + 2, "size %d stride %d", b->size, b->stride);
    CHECKF(b->nempty == n * n, "n=%d nempty %d", n, b->nempty);
    CHECKF(b->to_play == COLOR_BLACK && b->ko_point == 0 && b->passes == 0 && b->move_count == 0,
          "n=%d fresh state", n);
    CHECKF(b->nactions == 0 && b->history_ok && b->hashes[0] == b->hash, "n=%d fresh history", n);
    CHECKF(b->komi == 6.5f && !b->rules.suicide && b->rules.ko == BOARD_KO_POSITIONAL, "n=%d komi/rules kept", n);
    CHECKF(b->stones[COLOR_BLACK] == 0 && b->stones[COLOR_WHITE] == 0, "n=%d stones", n);
    CHECKF(b->captures[COLOR_BLACK] == 0 && b->captures[COLOR_WHITE] == 0, "n=%d captures", n);
    CHECKF(!board_game_over(b), "n=%d game over at start", n);
    int on = 0;
    for (int p = 0; p < b->stride * b->stride; p++) {
      if (board_on_board(b, p)) {
        on++;
        CHECKF(b->color[p] == COLOR_EMPTY, "n=%d point %d not empty", n, p);
      } else {
        CHECKF(b->color[p] == COLOR_OFFBOARD, "n=%d padding point %d is %d", n, p, b->color[p]);
      }
    }
    CHECKF(on == n * n, "n=%d: %d points on board", n, on);
    CHECKF(!board_on_board(b, -1) && !board_on_board(b, b->stride * b->stride), "n=%d bounds", n);
    check_ok(b, "board_init");
    empty_hash[n] = b->hash;
    /* a second init of the same size gives the same hash (Zobrist keys are fixed) */
    board_t *c = new_board(n, board_rules_tromp_taylor(), 0);
    CHECKF(c->hash == empty_hash[n], "n=%d empty hash differs between boards", n);
    free(c);
  }
  free(b);
}

static void test_rules_presets(void) {
  board_rules_t r = board_rules_tromp_taylor();
  CHECKF(r.suicide && r.ko == BOARD_KO_POSITIONAL, "tromp-taylor preset");
  CHECKF(!strcmp(board_rules_name(r), "tromp-taylor"), "name %s", board_rules_name(r));
  r = board_rules_chinese();
  CHECKF(!r.suicide && r.ko == BOARD_KO_POSITIONAL, "chinese preset");
  CHECKF(!strcmp(board_rules_name(r), "chinese"), "name %s", board_rules_name(r));
  r.ko = BOARD_KO_SIMPLE;
  CHECKF(!strcmp(board_rules_name(r), "custom"), "name %s", board_rules_name(r));
  rocks_error_t err = {0};
  board_rules_t q = {0};
  CHECKF(board_rules_from_name(&q, "tromp-taylor", &err) == ROCKS_OK && q.suicide && q.ko == BOARD_KO_POSITIONAL,
        "from_name tromp-taylor");
  CHECKF(board_rules_from_name(&q, "chinese", &err) == ROCKS_OK && !q.suicide && q.ko == BOARD_KO_POSITIONAL,
        "from_name chinese");
  CHECKF(board_rules_from_name(&q, "japanese-ish", &err) == ROCKS_ERR_ARG && err.msg[0], "unknown rules name");
  CHECKF(board_rules_from_name(&q, "", NULL) == ROCKS_ERR_ARG, "empty rules name");
}

/* ------------------------------------------------------------------ text */

static void test_vertices(void) {
  for (int n = BOARD_MIN_SIZE; n <= BOARD_MAX_SIZE; n++) {
    board_t *b = new_board(n, board_rules_tromp_taylor(), 0);
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        int p = board_point(b, x, y);
        CHECKF(board_x(b, p) == x && board_y(b, p) == y && board_on_board(b, p), "n=%d point(%d,%d)", n, x, y);
        char want[8], got[8] = "", lower[8];
        snprintf(want, sizeof want, "%c%d", LETTERS[x], n - y);
        board_vertex_string(b, p, got);
        CHECKF(!strcmp(want, got), "n=%d (%d,%d): vertex '%s', expected '%s'", n, x, y, got, want);
        int m = -99;
        rocks_error_t err = {0};
        CHECKF(board_parse_vertex(b, want, &m, &err) == ROCKS_OK && m == p, "n=%d parse '%s' -> %d (%s)", n, want,
              m, err.msg);
        snprintf(lower, sizeof lower, "%c%d", LETTERS[x] - 'A' + 'a', n - y);
        m = -99;
        CHECKF(board_parse_vertex(b, lower, &m, NULL) == ROCKS_OK && m == p, "n=%d parse '%s' -> %d", n, lower, m);
      }
    const char *passes[] = {"pass", "PASS", "Pass", "pAsS"};
    for (int i = 0; i < 4; i++) {
      int m = 0;
      CHECKF(board_parse_vertex(b, passes[i], &m, NULL) == ROCKS_OK && m == BOARD_PASS, "parse '%s'", passes[i]);
    }
    char s[8] = "";
    board_vertex_string(b, BOARD_PASS, s);
    CHECKF(!strcasecmp(s, "pass"), "vertex string of pass: '%s'", s);
    board_vertex_string(b, BOARD_RESIGN, s);
    CHECKF(!strcasecmp(s, "resign"), "vertex string of resign: '%s'", s);
    /* malformed text */
    const char *junk[] = {"", "Z99", "A0", "I1", "i1", "A", "1", "AA1", "A1x", "A-1", "A+1", " ", "3A", "A01x"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
      int m = 12345;
      rocks_error_t err = {0};
      rocks_status_t st = board_parse_vertex(b, junk[i], &m, &err);
      CHECKF(st == ROCKS_ERR_PARSE || st == ROCKS_ERR_ARG, "n=%d parse '%s' returned %s", n, junk[i],
            rocks_status_name(st));
      CHECKF(st == ROCKS_OK || err.msg[0], "n=%d parse '%s': no message", n, junk[i]);
    }
    {
      rocks_error_t err = {0};
      int m;
      CHECKF(board_parse_vertex(b, "", &m, &err) == ROCKS_ERR_PARSE, "n=%d empty vertex must be a parse error", n);
    }
    /* well-formed but off this board: ROCKS_ERR_ARG */
    char off[3][8];
    snprintf(off[0], sizeof off[0], "A%d", n + 1);
    snprintf(off[1], sizeof off[1], "%c1", n < BOARD_MAX_SIZE ? LETTERS[n] : 'A');
    snprintf(off[2], sizeof off[2], "%c%d", n < BOARD_MAX_SIZE ? LETTERS[n] : 'A', n + 1);
    for (int i = 0; i < 3; i++) {
      if (n == BOARD_MAX_SIZE && i == 1) continue;
      int m;
      rocks_status_t st = board_parse_vertex(b, off[i], &m, NULL);
      CHECKF(st == ROCKS_ERR_ARG, "n=%d off-board '%s' returned %s", n, off[i], rocks_status_name(st));
    }
    free(b);
  }
  CHECKF(board_parse_color("b") == COLOR_BLACK && board_parse_color("B") == COLOR_BLACK, "colour b");
  CHECKF(board_parse_color("black") == COLOR_BLACK && board_parse_color("BLACK") == COLOR_BLACK, "colour black");
  CHECKF(board_parse_color("w") == COLOR_WHITE && board_parse_color("White") == COLOR_WHITE, "colour white");
  CHECKF(board_parse_color("x") == COLOR_EMPTY && board_parse_color("") == COLOR_EMPTY &&
            board_parse_color("blackish") == COLOR_EMPTY,
        "bad colours");
}

static void test_policy_index(void) {
  for (int n = BOARD_MIN_SIZE; n <= BOARD_MAX_SIZE; n++) {
    board_t *b = new_board(n, board_rules_tromp_taylor(), 0);
    static int seen[BOARD_MAX_MOVES];
    memset(seen, 0, sizeof seen);
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        int p = board_point(b, x, y);
        int i = board_policy_index(b, p);
        CHECKF(i == y * n + x, "n=%d policy index of (%d,%d) = %d", n, x, y, i);
        CHECKF(board_policy_point(b, i) == p, "n=%d policy point of %d", n, i);
        if (i >= 0 && i < n * n) seen[i]++;
      }
    for (int i = 0; i < n * n; i++) CHECKF(seen[i] == 1, "n=%d index %d seen %d times", n, i, seen[i]);
    CHECKF(board_policy_index(b, BOARD_PASS) == n * n, "n=%d pass index", n);
    CHECKF(board_policy_point(b, n * n) == BOARD_PASS, "n=%d pass point", n);
    free(b);
  }
}

static void test_to_string(void) {
  board_t *b = new_board(9, board_rules_tromp_taylor(), 7.5f);
  CHECKF(board_play(b, COLOR_BLACK, board_point(b, 2, 6), NULL) == ROCKS_OK, "play C3");
  CHECKF(board_play(b, COLOR_WHITE, board_point(b, 6, 2), NULL) == ROCKS_OK, "play G7");
  char s[4096];
  int len = board_to_string(b, s, sizeof s);
  CHECKF(len > 81 && (size_t)len == strlen(s), "to_string length %d strlen %zu", len, strlen(s));
  CHECKF(strchr(s, 'X') && strchr(s, 'O') && strchr(s, 'J') && !strchr(s, 'I'), "to_string content:\n%s", s);
  char small[10];
  memset(small, '#', sizeof small);
  int l2 = board_to_string(b, small, sizeof small);
  CHECKF(l2 >= 0 && l2 <= 9 && small[l2] == '\0', "truncation: returned %d", l2);
  CHECKF(!strncmp(small, s, strlen(small)), "truncated text is a prefix");
  free(b);
}

/* ------------------------------------------------------------------ random games and undo */

/* True if every stone on the board belongs to a group with a liberty (checked by flood fill here,
 * independently of the engine's group bookkeeping). */
static int all_groups_breathe(const board_t *b) {
  int n = b->size;
  uint8_t done[BOARD_MAX_POINTS] = {0};
  int stack[BOARD_MAX_POINTS];
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      int p = board_point(b, x, y), c = b->color[p];
      if (c == COLOR_EMPTY || done[p]) continue;
      int sp = 0, lib = 0;
      stack[sp++] = p;
      done[p] = 1;
      while (sp) {
        int q = stack[--sp];
        const int nb[4] = {q - 1, q + 1, q - b->stride, q + b->stride};
        for (int k = 0; k < 4; k++) {
          if (b->color[nb[k]] == COLOR_EMPTY) lib = 1;
          else if (b->color[nb[k]] == c && !done[nb[k]]) done[nb[k]] = 1, stack[sp++] = nb[k];
        }
      }
      if (!lib) return 0;
    }
  return 1;
}

/* Plays one random game on b (already initialised), checking everything along the way, then
 * undoes it back to the start. */
static void random_game(board_t *b, uint64_t seed, int full_every) {
  rocks_rng_t rng;
  rocks_rng_seed(&rng, seed);
  int n = b->size, cap = 3 * n * n;
  if (cap > BOARD_MAX_HISTORY - 8) cap = BOARD_MAX_HISTORY - 8;
  static uint64_t hashes[BOARD_MAX_HISTORY + 1];
  static board_t copy;
  hashes[0] = b->hash;
  int nm = 0, moves[BOARD_MAX_MOVES];
  for (; nm < cap && !board_game_over(b); nm++) {
    int color = b->to_play, opp = board_other(color);
    int m = pick_move(b, &rng, 0.02);
    uint8_t before[BOARD_MAX_POINTS];
    memcpy(before, b->color, sizeof before);
    const int caps[3] = {0, b->captures[COLOR_BLACK], b->captures[COLOR_WHITE]};
    const char *why = NULL;
    CHECKF(board_is_legal_why(b, color, m, &why), "n=%d seed %llu: chosen move illegal (%s)", n,
          (unsigned long long)seed, why ? why : "?");
    rocks_error_t err = {0};
    if (board_play(b, color, m, &err) != ROCKS_OK) {
      CHECKF(0, "n=%d seed %llu move %d: board_play failed: %s", n, (unsigned long long)seed, nm, err.msg);
      break;
    }
    hashes[nm + 1] = b->hash;
    if (!check_ok(b, "a random move")) break;
    {
      /* what changed: only the played point, opponent stones taken (counted as captures) and,
       * for a suicide, the mover's own stones with the played one (counted for the opponent,
       * docs/rules.md) */
      int taken = 0, lost = 0, other = 0;
      for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
          int p = board_point(b, x, y);
          if (p == m || before[p] == b->color[p]) continue;
          if (before[p] == opp && b->color[p] == COLOR_EMPTY) taken++;
          else if (before[p] == color && b->color[p] == COLOR_EMPTY) lost++;
          else other++;
        }
      int suicided = m != BOARD_PASS && b->color[m] == COLOR_EMPTY ? lost + 1 : 0; /* the played stone too */
      CHECKF(other == 0 && b->captures[color] - caps[color] == taken && b->captures[opp] - caps[opp] == suicided,
            "n=%d seed %llu move %d: %d taken, %d lost, %d other changes; captures +%d +%d", n,
            (unsigned long long)seed, nm, taken, lost, other, b->captures[color] - caps[color],
            b->captures[opp] - caps[opp]);
      CHECKF(lost == 0 || (b->rules.suicide && b->color[m] == COLOR_EMPTY && taken == 0), "stones lost without suicide");
      if (nm % full_every == 0 || taken || lost)
        CHECKF(all_groups_breathe(b), "n=%d seed %llu move %d: a group without liberties is on the board", n,
              (unsigned long long)seed, nm);
    }
    CHECKF(b->hashes[b->nactions] == b->hash, "history hash");
    if (m != BOARD_PASS) {
      /* positional superko: a move never recreates an earlier colouring */
      if (b->rules.ko == BOARD_KO_POSITIONAL)
        for (int i = 0; i < b->nactions; i++)
          if (b->hashes[i] == b->hash) {
            CHECKF(0, "n=%d seed %llu move %d recreates the colouring after action %d", n,
                  (unsigned long long)seed, nm, i);
            break;
          }
      CHECKF(b->color[m] == color || (b->rules.suicide && b->color[m] == COLOR_EMPTY),
            "played point holds %d", b->color[m]);
    }
    /* simple ko, computed independently of ko_point: a single stone that captured exactly one
     * stone and whose only liberty is that point may not be taken back at once */
    if (m != BOARD_PASS && b->color[m] == color) {
      int taken = 0, at = 0, alone = 1, libs = 0;
      for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
          int p = board_point(b, x, y);
          if (before[p] == opp && b->color[p] == COLOR_EMPTY) taken++, at = p;
        }
      const int nb[4] = {m - 1, m + 1, m - b->stride, m + b->stride};
      for (int k = 0; k < 4; k++) {
        if (b->color[nb[k]] == color) alone = 0;
        if (b->color[nb[k]] == COLOR_EMPTY) libs++;
      }
      if (taken == 1 && alone && libs == 1)
        CHECKF(!board_is_legal(b, opp, at), "n=%d seed %llu move %d: immediate ko recapture allowed", n,
              (unsigned long long)seed, nm);
    }
    if (b->ko_point) {
      CHECKF(b->ko_color == b->to_play, "ko forbids colour %d, side to move %d", b->ko_color, b->to_play);
      CHECKF(!board_is_legal(b, b->ko_color, b->ko_point), "the ko point is legal for the colour it forbids");
    }
    if (nm % full_every == 0) {
      /* the legal move list equals board_is_legal over every point, for both colours */
      for (int c = COLOR_BLACK; c <= COLOR_WHITE; c++) {
        int k = board_legal_moves(b, c, moves), j = 0, bad = 0;
        for (int y = 0; y < n; y++)
          for (int x = 0; x < n; x++) {
            int p = board_point(b, x, y);
            const char *w = NULL;
            bool l = board_is_legal_why(b, c, p, &w);
            if (l != board_is_legal(b, c, p)) bad = 1;
            if (!l && !w) bad = 1;
            if (l && b->rules.ko == BOARD_KO_SIMPLE && c == b->to_play && !board_is_legal_fast(b, c, p)) bad = 1;
            if (l) {
              if (j >= k || moves[j] != p) bad = 1;
              j++;
            }
          }
        CHECKF(!bad && j + 1 == k && moves[k - 1] == BOARD_PASS && board_is_legal(b, c, BOARD_PASS),
              "n=%d seed %llu move %d colour %d: legal list (%d) disagrees with board_is_legal (%d)", n,
              (unsigned long long)seed, nm, c, k, j + 1);
      }
      /* a copy is an independent, equal board */
      board_copy(&copy, b);
      CHECKF(copy.hash == b->hash && same_colours(&copy, b) && copy.nactions == b->nactions, "copy equal");
      check_ok(&copy, "board_copy");
    }
  }
  /* undo back to the start, checking each position */
  for (int i = nm; i > 0; i--) {
    rocks_error_t err = {0};
    if (board_undo(b, &err) != ROCKS_OK) {
      CHECKF(0, "n=%d seed %llu: undo %d failed: %s", n, (unsigned long long)seed, i, err.msg);
      return;
    }
    CHECKF(b->hash == hashes[i - 1], "n=%d seed %llu: hash after undo to move %d", n, (unsigned long long)seed, i - 1);
    CHECKF(b->move_count == i - 1, "move_count %d after undo, expected %d", b->move_count, i - 1);
    if (i % full_every == 0 || i < 3) check_ok(b, "undo");
  }
  CHECKF(b->nactions == 0 && b->nempty == n * n && b->passes == 0 && b->to_play == COLOR_BLACK,
        "n=%d: back at the start after undoing everything", n);
  CHECKF(board_undo(b, NULL) == ROCKS_ERR_STATE, "undo on the empty history");
}

static void test_random_games(int quick) {
  int games = 0;
  for (int n = BOARD_MIN_SIZE; n <= BOARD_MAX_SIZE; n++) {
    int count = n <= 5 ? 40 : n <= 9 ? 12 : n <= 13 ? 4 : 2;
    if (quick) count = (count + 3) / 4;
    for (int g = 0; g < count; g++) {
      board_rules_t rules = g % 3 == 0 ? board_rules_chinese() : board_rules_tromp_taylor();
      if (g % 4 == 3) rules.ko = BOARD_KO_SIMPLE;
      board_t *b = new_board(n, rules, 7.5f);
      random_game(b, (uint64_t)(n * 1000 + g), n <= 9 ? 1 : 7);
      free(b);
      games++;
    }
  }
  printf("random games: %d\n", games);
}

/* ------------------------------------------------------------------ copy */

static void test_copy(void) {
  board_t *a = new_board(9, board_rules_tromp_taylor(), 7.5f);
  rocks_rng_t rng;
  rocks_rng_seed(&rng, 77);
  for (int i = 0; i < 30; i++) board_play(a, a->to_play, pick_move(a, &rng, 0), NULL);
  board_t *c = malloc(sizeof *c);
  if (!c) exit(1);
  memset(c, 0xab, sizeof *c);
  board_copy(c, a);
  check_ok(c, "board_copy");
  uint64_t ha = a->hash;
  int na = a->nactions;
  CHECKF(c->hash == ha && same_colours(a, c) && c->nactions == na && c->to_play == a->to_play, "copy equals");
  /* moves on the copy leave the original alone, and the other way round */
  for (int i = 0; i < 10; i++) board_play(c, c->to_play, pick_move(c, &rng, 0), NULL);
  CHECKF(a->hash == ha && a->nactions == na, "original unchanged by moves on the copy");
  check_ok(a, "original after moves on the copy");
  check_ok(c, "the copy after its moves");
  board_t *d = malloc(sizeof *d);
  if (!d) exit(1);
  board_copy(d, a);
  board_play(a, a->to_play, pick_move(a, &rng, 0), NULL);
  CHECKF(d->hash == ha && d->nactions == na, "copy unchanged by moves on the original");
  /* the copy's history works: undo on it gives the original's earlier positions */
  CHECKF(board_undo(d, NULL) == ROCKS_OK && d->hash == a->hashes[na - 1], "undo on a copy");
  /* legal move lists agree between a board and its copy */
  board_copy(d, a);
  int m1[BOARD_MAX_MOVES], m2[BOARD_MAX_MOVES];
  int k1 = board_legal_moves(a, a->to_play, m1), k2 = board_legal_moves(d, d->to_play, m2);
  CHECKF(k1 == k2 && !memcmp(m1, m2, sizeof(int) * (size_t)k1), "legal moves of a copy");
  free(a);
  free(c);
  free(d);
}

/* ------------------------------------------------------------------ playouts and random moves */

static int has_candidate(const board_t *b, int color) {
  for (int i = 0; i < b->nempty; i++) {
    int p = b->empty[i];
    if (board_is_legal_fast(b, color, p) && !board_is_eye(b, p, color)) return 1;
  }
  return 0;
}

static void check_random_move(const board_t *b, int color, rocks_rng_t *rng) {
  int m = board_random_move(b, color, rng);
  if (m == BOARD_PASS) {
    CHECKF(!has_candidate(b, color), "board_random_move passed with a non-eye legal move available");
  } else {
    CHECKF(board_on_board(b, m) && b->color[m] == COLOR_EMPTY, "random move %d not an empty point", m);
    CHECKF(board_is_legal_fast(b, color, m), "random move %d not legal (fast)", m);
    CHECKF(!board_is_eye(b, m, color), "random move %d fills an own eye", m);
  }
}

/* Tromp-Taylor areas computed here from the colours alone (flood fill of empty regions). */
static void reference_areas(const board_t *b, int *black, int *white) {
  int n = b->size, area[4] = {0, 0, 0, 0};
  uint8_t seen[BOARD_MAX_SIZE * BOARD_MAX_SIZE] = {0};
  int stack[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
  for (int i = 0; i < n * n; i++) {
    int c = b->color[board_point(b, i % n, i / n)];
    if (c != COLOR_EMPTY) {
      area[c]++;
      continue;
    }
    if (seen[i]) continue;
    int sp = 0, nr = 0, reach = 0;
    stack[sp++] = i;
    seen[i] = 1;
    while (sp) {
      int j = stack[--sp], x = j % n, y = j / n;
      nr++;
      const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
      for (int k = 0; k < 4; k++) {
        int u = x + dx[k], v = y + dy[k];
        if (u < 0 || v < 0 || u >= n || v >= n) continue;
        int q = v * n + u, cq = b->color[board_point(b, u, v)];
        if (cq == COLOR_EMPTY) {
          if (!seen[q]) seen[q] = 1, stack[sp++] = q;
        } else {
          reach |= cq;
        }
      }
    }
    if (reach == COLOR_BLACK || reach == COLOR_WHITE) area[reach] += nr;
  }
  *black = area[COLOR_BLACK];
  *white = area[COLOR_WHITE];
}

static void check_score_identity(const board_t *b) {
  int ba = -1, wa = -1, rb, rw;
  double s = board_score(b, &ba, &wa);
  reference_areas(b, &rb, &rw);
  CHECKF(ba == rb && wa == rw, "board_score areas %d %d, reference %d %d", ba, wa, rb, rw);
  uint8_t owner[BOARD_MAX_POINTS];
  board_area_owner(b, owner);
  int cnt[3] = {0, 0, 0}, n = b->size, bad = 0;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      int p = board_point(b, x, y);
      int o = owner[p];
      if (o > COLOR_WHITE) { bad = 1; continue; }
      cnt[o]++;
      if (b->color[p] != COLOR_EMPTY && o != b->color[p]) bad = 1;
    }
  CHECKF(!bad, "area owner: a stone not owned by its colour or a bad value");
  CHECKF(ba + wa + cnt[COLOR_EMPTY] == n * n, "black %d + white %d + dame %d != %d", ba, wa, cnt[COLOR_EMPTY], n * n);
  CHECKF(cnt[COLOR_BLACK] == ba && cnt[COLOR_WHITE] == wa, "owner counts %d %d vs areas %d %d", cnt[COLOR_BLACK],
        cnt[COLOR_WHITE], ba, wa);
  CHECKF(fabs(s - (ba - wa - b->komi)) < 1e-9, "score %g != %d - %d - %g", s, ba, wa, b->komi);
  CHECKF(fabs(board_score(b, NULL, NULL) - s) < 1e-12, "score with NULL areas");
  int w = board_winner(b);
  CHECKF(w == (s > 0 ? COLOR_BLACK : s < 0 ? COLOR_WHITE : COLOR_EMPTY), "winner %d for score %g", w, s);
  char str[32];
  board_score_string(b, str, sizeof str);
  if (s == 0) {
    CHECKF(!strcmp(str, "0"), "score string '%s' for a jigo", str);
  } else {
    CHECKF(str[0] == (s > 0 ? 'B' : 'W') && str[1] == '+' && fabs(strtod(str + 2, NULL) - fabs(s)) < 1e-6,
          "score string '%s' for %g", str, s);
  }
}

static void test_playouts(int quick) {
  const int sizes[] = {2, 3, 5, 7, 9, 13, 19};
  int playouts = 0;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    int n = sizes[si];
    board_t *base = new_board(n, board_rules_tromp_taylor(), 7.5f);
    board_t *a = malloc(sizeof *a), *c = malloc(sizeof *c);
    if (!a || !c) exit(1);
    rocks_rng_t rng;
    rocks_rng_seed(&rng, (uint64_t)n);
    for (int i = 0; i < n; i++) board_play(base, base->to_play, pick_move(base, &rng, 0), NULL);
    uint64_t first_hash = 0;
    int distinct = 0, reps = quick ? 6 : 20;
    for (int s = 0; s < reps; s++) {
      rocks_rng_t r1, r2;
      rocks_rng_seed(&r1, 1000 + (uint64_t)s);
      rocks_rng_seed(&r2, 1000 + (uint64_t)s);
      board_copy(a, base);
      board_copy(c, base);
      int k1 = board_playout(a, &r1, 0), k2 = board_playout(c, &r2, 0);
      playouts += 2;
      CHECKF(k1 == k2 && a->hash == c->hash && same_colours(a, c), "n=%d seed %d: playout not deterministic", n, s);
      CHECKF(k1 >= 0 && k1 <= 3 * n * n, "n=%d playout length %d", n, k1);
      CHECKF(k1 == 3 * n * n || board_game_over(a), "n=%d: playout stopped after %d moves without two passes", n, k1);
      CHECKF(!a->history_ok, "history_ok after a playout");
      CHECKF(board_undo(a, NULL) == ROCKS_ERR_STATE, "undo after a playout must fail");
      check_ok(a, "board_playout");
      if (board_game_over(a)) {
        /* the side that passed last had no legal non-eye move: nor has it now */
        int last = board_other(a->to_play);
        CHECKF(!has_candidate(a, last), "n=%d: playout ended while %d still had a move", n, last);
        CHECKF(board_random_move(a, last, &r1) == BOARD_PASS, "random move at the end of a playout");
      }
      check_score_identity(a);
      if (s == 0) first_hash = a->hash;
      else if (a->hash != first_hash) distinct = 1;
      /* max_moves is honoured */
      board_copy(a, base);
      int k3 = board_playout(a, &r1, 5);
      CHECKF(k3 <= 5, "playout with max 5 played %d", k3);
    }
    if (n >= 5) CHECKF(distinct, "n=%d: %d seeds all gave the same playout", n, reps);
    free(base);
    free(a);
    free(c);
  }
  printf("playouts: %d\n", playouts);
}

static void test_random_move(int quick) {
  rocks_rng_t rng;
  rocks_rng_seed(&rng, 4242);
  /* on many random positions, for both colours */
  int positions = 0;
  for (int n = 2; n <= 19; n += (n < 9 ? 1 : 5)) {
    for (int g = 0; g < (quick ? 3 : 10); g++) {
      board_t *b = new_board(n, g % 2 ? board_rules_chinese() : board_rules_tromp_taylor(), 7.5f);
      for (int i = 0; i < 3 * n * n && !board_game_over(b); i++) {
        if (i % 3 == 0) {
          check_random_move(b, COLOR_BLACK, &rng);
          check_random_move(b, COLOR_WHITE, &rng);
          check_score_identity(b);
          positions++;
        }
        board_play(b, b->to_play, pick_move(b, &rng, 0.01), NULL);
      }
      free(b);
    }
  }
  /* fast play agrees with full play where superko does not matter */
  {
    board_t *b = new_board(9, board_rules_tromp_taylor(), 7.5f);
    board_t *f = malloc(sizeof *f);
    if (!f) exit(1);
    board_copy(f, b);
    for (int i = 0; i < 60; i++) {
      int m = board_random_move(b, b->to_play, &rng);
      if (m != BOARD_PASS && !board_is_legal(b, b->to_play, m)) break; /* superko: stop comparing */
      board_play(b, b->to_play, m, NULL);
      board_play_fast(f, f->to_play, m);
      CHECKF(f->hash == b->hash && same_colours(f, b) && f->to_play == b->to_play, "fast play differs at move %d", i);
      CHECKF(!f->history_ok, "history_ok after board_play_fast");
      check_ok(f, "board_play_fast");
    }
    free(b);
    free(f);
  }
  /* uniform on the empty 3x3 board: each of the 9 points about 1/9 of the time */
  board_t *b = new_board(3, board_rules_tromp_taylor(), 0);
  int count[BOARD_MAX_POINTS] = {0};
  const int draws = 9000;
  for (int i = 0; i < draws; i++) {
    int m = board_random_move(b, COLOR_BLACK, &rng);
    if (m >= 0 && m < BOARD_MAX_POINTS) count[m]++;
  }
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 3; x++) {
      int k = count[board_point(b, x, y)];
      CHECKF(k > 850 && k < 1150, "3x3 random move (%d,%d) drawn %d of %d times", x, y, k, draws);
    }
  free(b);
  printf("random-move positions: %d\n", positions);
}

/* ------------------------------------------------------------------ recent colourings, play_legal */

static void grid_of(const board_t *b, uint8_t *g) {
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) g[y * b->size + x] = b->color[board_point(b, x, y)];
}

/* board_colors_ago against snapshots taken while playing; the same after undo; board_play_legal
 * gives exactly what board_play gives. */
static void test_history_planes(void) {
  enum { N = 7, MOVES = 60 };
  static uint8_t snap[MOVES + 1][N * N];
  board_t *b = new_board(N, board_rules_tromp_taylor(), 7.5f);
  board_t *l = new_board(N, board_rules_tromp_taylor(), 7.5f);
  rocks_rng_t rng;
  rocks_rng_seed(&rng, 99);
  uint8_t got[N * N], empty[N * N];
  memset(empty, COLOR_EMPTY, sizeof empty);
  grid_of(b, snap[0]);
  int nm = 0;
  for (; nm < MOVES && !board_game_over(b); nm++) {
    int m = pick_move(b, &rng, 0.03);
    CHECKF(board_play(b, b->to_play, m, NULL) == ROCKS_OK, "play");
    board_play_legal(l, l->to_play, m);
    grid_of(b, snap[nm + 1]);
    CHECKF(l->hash == b->hash && same_colours(l, b) && l->nactions == b->nactions && l->ko_point == b->ko_point &&
              l->to_play == b->to_play && l->passes == b->passes && l->captures[1] == b->captures[1] &&
              l->captures[2] == b->captures[2] && l->history_ok,
          "board_play_legal differs from board_play at move %d", nm);
    check_ok(l, "board_play_legal");
    for (int ago = 0; ago <= BOARD_RECENT; ago++) {
      int at = nm + 1 - ago;
      CHECKF(board_colors_ago(b, ago, got), "colors_ago(%d) refused", ago);
      CHECKF(!memcmp(got, at >= 0 ? snap[at] : empty, sizeof got), "move %d: colors_ago(%d) wrong", nm, ago);
      CHECKF(board_colors_ago(l, ago, got) && !memcmp(got, at >= 0 ? snap[at] : empty, sizeof got),
            "play_legal board: colors_ago(%d) wrong", ago);
    }
  }
  CHECKF(!board_colors_ago(b, BOARD_RECENT + 1, got) && !board_colors_ago(b, -1, got), "colors_ago out of range");
  for (int k = nm; k > 0; k--) {
    CHECKF(board_undo(b, NULL) == ROCKS_OK, "undo");
    for (int ago = 0; ago <= BOARD_RECENT; ago++) {
      int at = k - 1 - ago;
      CHECKF(board_colors_ago(b, ago, got) && !memcmp(got, at >= 0 ? snap[at] : empty, sizeof got),
            "after undo to move %d: colors_ago(%d) wrong", k - 1, ago);
    }
  }
  free(b);
  free(l);
}

/* ------------------------------------------------------------------ error paths */

static void test_errors(void) {
  board_t *b = new_board(5, board_rules_tromp_taylor(), 7.5f);
  rocks_error_t err = {0};
  int c3 = board_point(b, 2, 2);
  CHECKF(board_undo(b, &err) == ROCKS_ERR_STATE && err.msg[0], "undo on a fresh board");
  /* setup stones */
  CHECKF(board_setup_stone(b, COLOR_BLACK, c3, &err) == ROCKS_OK, "setup: %s", err.msg);
  CHECKF(b->to_play == COLOR_BLACK && b->move_count == 0 && b->stones[COLOR_BLACK] == 1, "setup changes no turn");
  CHECKF(board_setup_stone(b, COLOR_WHITE, c3, &err) == ROCKS_ERR_ILLEGAL, "setup on an occupied point");
  CHECKF(board_setup_stone(b, COLOR_WHITE, 0, &err) == ROCKS_ERR_ILLEGAL, "setup off board");
  CHECKF(board_setup_stone(b, COLOR_EMPTY, c3, &err) == ROCKS_OK && b->color[c3] == COLOR_EMPTY, "setup removal");
  check_ok(b, "setup removal");
  CHECKF(board_undo(b, &err) == ROCKS_OK && b->color[c3] == COLOR_BLACK, "undo of a removal");
  CHECKF(board_undo(b, &err) == ROCKS_OK && b->color[c3] == COLOR_EMPTY && b->nactions == 0, "undo of a setup");
  /* setup leaving a group without liberties is kept as it is */
  board_t *t = new_board(2, board_rules_tromp_taylor(), 0);
  for (int i = 0; i < 4; i++)
    CHECKF(board_setup_stone(t, COLOR_WHITE, board_point(t, i % 2, i / 2), &err) == ROCKS_OK, "fill 2x2: %s", err.msg);
  CHECKF(t->stones[COLOR_WHITE] == 4 && t->nempty == 0, "full 2x2 by setup");
  check_ok(t, "a setup without liberties");
  CHECKF(board_legal_moves(t, COLOR_BLACK, (int[BOARD_MAX_MOVES]){0}) == 1, "only pass on a full board");
  free(t);
  /* moves: occupied and off-board points are refused and change nothing */
  CHECKF(board_play(b, COLOR_BLACK, c3, &err) == ROCKS_OK, "play c3");
  uint64_t h = b->hash;
  const char *why = NULL;
  CHECKF(!board_is_legal_why(b, COLOR_WHITE, c3, &why) && why && !strcmp(why, "occupied"), "occupied: %s",
        why ? why : "(null)");
  CHECKF(board_play(b, COLOR_WHITE, c3, &err) == ROCKS_ERR_ILLEGAL && err.msg[0], "play on an occupied point");
  const int offs[] = {0, 1, b->stride, b->stride - 1, b->stride * b->stride - 1};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    why = NULL;
    CHECKF(!board_is_legal_why(b, COLOR_WHITE, offs[i], &why) && why && !strcmp(why, "off board"), "point %d: %s",
          offs[i], why ? why : "(null)");
    CHECKF(board_play(b, COLOR_WHITE, offs[i], &err) == ROCKS_ERR_ILLEGAL, "play off board %d", offs[i]);
  }
  CHECKF(b->hash == h && b->nactions == 1 && b->to_play == COLOR_WHITE, "board unchanged by refused moves");
  check_ok(b, "refused moves");
  /* the same colour may move twice */
  CHECKF(board_play(b, COLOR_BLACK, board_point(b, 0, 0), &err) == ROCKS_OK && b->to_play == COLOR_WHITE,
        "black twice");
  /* board_clear keeps size, rules and komi */
  board_clear(b);
  CHECKF(b->size == 5 && b->komi == 7.5f && b->rules.suicide && b->nactions == 0 && b->nempty == 25 &&
            b->to_play == COLOR_BLACK && b->captures[COLOR_BLACK] == 0,
        "board_clear");
  check_ok(b, "board_clear");
  /* a full history: passes are always legal until the history is full */
  int played = 0;
  rocks_status_t st = ROCKS_OK;
  while (played < BOARD_MAX_HISTORY + 10 && (st = board_play(b, b->to_play, BOARD_PASS, &err)) == ROCKS_OK) played++;
  CHECKF(played == BOARD_MAX_HISTORY && st == ROCKS_ERR_NOMEM, "history holds %d passes, then %s", played,
        rocks_status_name(st));
  CHECKF(board_game_over(b) && b->move_count == played, "after many passes");
  CHECKF(board_undo(b, &err) == ROCKS_OK && b->nactions == BOARD_MAX_HISTORY - 1, "undo from a full history");
  free(b);
  /* scores of the empty board: jigo with komi 0, white by komi otherwise */
  board_t *e = new_board(9, board_rules_tromp_taylor(), 0);
  char str[32];
  board_score_string(e, str, sizeof str);
  CHECKF(!strcmp(str, "0") && board_winner(e) == COLOR_EMPTY && board_score(e, NULL, NULL) == 0, "empty board: %s", str);
  check_score_identity(e);
  free(e);
  e = new_board(9, board_rules_tromp_taylor(), 7.5f);
  board_score_string(e, str, sizeof str);
  CHECKF(!strcmp(str, "W+7.5") && board_winner(e) == COLOR_WHITE, "empty board, komi 7.5: %s", str);
  free(e);
}

int main(int argc, char **argv) {
  int quick = argc > 1 && !strcmp(argv[1], "--quick");
  double t0 = rocks_now();
  test_init();
  test_rules_presets();
  test_vertices();
  test_policy_index();
  test_to_string();
  test_copy();
  test_history_planes();
  test_errors();
  test_random_games(quick);
  test_playouts(quick);
  test_random_move(quick);
  printf("test_board: %d checks, %d failed (%.1f s)\n", check_count, check_failures, rocks_now() - t0);
  return check_failures ? 1 : 0;
}
