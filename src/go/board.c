/* board.c — Go rules engine: incremental groups with pseudo-liberties, Tromp-Taylor scoring.
 *
 * Representation. Points live in a padded (N+2)^2 array whose border is COLOR_OFFBOARD, so the
 * four neighbours p-stride, p-1, p+1, p+stride always exist. A group is a cyclic list of stones
 * (next[]) labelled by its head stone (group[]); the head holds a board_group_t with:
 *   libs    the number of (stone, empty neighbour) pairs — "pseudo-liberties";
 *   lib_sum, lib_sq  the sum and sum of squares of those liberty points.
 * A group has no liberty iff libs == 0, and is in atari (exactly one real liberty) iff every
 * pseudo-liberty is the same point, i.e. lib_sum^2 == libs * lib_sq (Cauchy-Schwarz equality).
 * This is the pseudo-liberty scheme of fast playout engines: O(1) per stone per move, no sets.
 *
 * History. hashes[i] is the Zobrist hash of the colouring after actions[0..i-1]. Positional
 * superko compares a candidate's resulting hash against every colouring at which a move was
 * made (setup-only intermediate colourings excluded) plus the current one. A 64-bit Zobrist
 * collision would wrongly forbid a move; at 2^-64 per comparison we accept that, as every
 * engine does. Undo replays the history from the empty board.
 */
#include "go/board.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------------------------ */
/* rules                                                                                       */

board_rules_t board_rules_tromp_taylor(void) { return (board_rules_t){.suicide = true, .ko = BOARD_KO_POSITIONAL}; }
board_rules_t board_rules_chinese(void) { return (board_rules_t){.suicide = false, .ko = BOARD_KO_POSITIONAL}; }

rocks_status_t board_rules_from_name(board_rules_t *rules, const char *name, rocks_error_t *err) {
  if (!strcasecmp(name, "tromp-taylor") || !strcasecmp(name, "tromp_taylor") || !strcasecmp(name, "tt")) {
    *rules = board_rules_tromp_taylor();
  } else if (!strcasecmp(name, "chinese")) {
    *rules = board_rules_chinese();
  } else {
    return rocks_fail(err, ROCKS_ERR_ARG, "unknown rules '%s' (known: tromp-taylor, chinese)", name);
  }
  return ROCKS_OK;
}

const char *board_rules_name(board_rules_t r) {
  if (r.ko == BOARD_KO_POSITIONAL && r.suicide) return "tromp-taylor";
  if (r.ko == BOARD_KO_POSITIONAL && !r.suicide) return "chinese";
  return "custom";
}

/* ------------------------------------------------------------------------------------------ */
/* small helpers                                                                               */

/* Zobrist keys, filled once (pthread_once) by board_init: key(p, c) = splitmix64(4p + c). */
static uint64_t zobrist_keys[BOARD_MAX_POINTS][3];
static pthread_once_t zobrist_once = PTHREAD_ONCE_INIT;

static void zobrist_fill(void) {
  for (int p = 0; p < BOARD_MAX_POINTS; p++)
    for (int c = 0; c < 3; c++) zobrist_keys[p][c] = rocks_mix64(((uint64_t)p << 2) | (uint64_t)c);
}

static inline uint64_t zobrist(int p, int color) { return zobrist_keys[p][color]; }

static inline void seen_add(board_t *b, uint64_t h) { b->seen[(h >> 6) & 63] |= 1ULL << (h & 63); }
static inline bool seen_maybe(const board_t *b, uint64_t h) { return (b->seen[(h >> 6) & 63] >> (h & 63)) & 1; }

/* Runs the statements in ... with n bound to each of the four neighbours of p. */
#define FOR_NEIGHBORS(b, p, n, ...)                                             \
  do {                                                                          \
    const int nb_[4] = {(p) - (b)->stride, (p) - 1, (p) + 1, (p) + (b)->stride}; \
    for (int k_ = 0; k_ < 4; k_++) {                                            \
      const int n = nb_[k_];                                                    \
      __VA_ARGS__                                                               \
    }                                                                           \
  } while (0)

static inline void lib_add(board_group_t *g, int lib) {
  g->libs++;
  g->lib_sum += (uint32_t)lib;
  g->lib_sq += (uint32_t)(lib * lib);
}

static inline void lib_remove(board_group_t *g, int lib) {
  g->libs--;
  g->lib_sum -= (uint32_t)lib;
  g->lib_sq -= (uint32_t)(lib * lib);
}

static inline bool group_in_atari(const board_group_t *g) {
  return g->libs > 0 && (uint64_t)g->lib_sum * g->lib_sum == (uint64_t)g->libs * g->lib_sq;
}

/* Neighbour counts of p's four neighbours: one neighbour changed from colour `from` to `to`. */
static inline void nbcount_update(board_t *b, int p, int from, int to) {
  const int delta = (1 << (4 * to)) - (1 << (4 * from));
  b->nbcount[p - b->stride] = (uint16_t)(b->nbcount[p - b->stride] + delta);
  b->nbcount[p - 1] = (uint16_t)(b->nbcount[p - 1] + delta);
  b->nbcount[p + 1] = (uint16_t)(b->nbcount[p + 1] + delta);
  b->nbcount[p + b->stride] = (uint16_t)(b->nbcount[p + b->stride] + delta);
}

/* Recomputes every point's neighbour counts from color[]. */
static void nbcount_rebuild(board_t *b) {
  const int n = b->stride * b->stride;
  memset(b->nbcount, 0, sizeof b->nbcount);
  for (int p = 0; p < n; p++) {
    if (b->color[p] == COLOR_OFFBOARD) continue;
    FOR_NEIGHBORS(b, p, nb, { b->nbcount[p] = (uint16_t)(b->nbcount[p] + (1 << (4 * b->color[nb]))); });
  }
}

static inline void empty_add(board_t *b, int p) {
  b->empty_pos[p] = (uint16_t)b->nempty;
  b->empty[b->nempty++] = (uint16_t)p;
}

static inline void empty_remove(board_t *b, int p) {
  int i = b->empty_pos[p], last = b->empty[--b->nempty];
  b->empty[i] = (uint16_t)last;
  b->empty_pos[last] = (uint16_t)i;
}

/* ------------------------------------------------------------------------------------------ */
/* init, copy                                                                                  */

rocks_status_t board_init(board_t *b, int size, board_rules_t rules, float komi, rocks_error_t *err) {
  if (size < BOARD_MIN_SIZE || size > BOARD_MAX_SIZE)
    return rocks_fail(err, ROCKS_ERR_ARG, "board size %d is not in %d..%d", size, BOARD_MIN_SIZE, BOARD_MAX_SIZE);
  pthread_once(&zobrist_once, zobrist_fill);
  b->size = size;
  b->stride = size + 2;
  b->rules = rules;
  b->komi = komi;
  board_clear(b);
  return ROCKS_OK;
}

void board_clear(board_t *b) {
  const int n = b->stride * b->stride;
  memset(b->color, COLOR_OFFBOARD, sizeof b->color);
  memset(b->group, 0, sizeof b->group);
  memset(b->next, 0, sizeof b->next);
  memset(b->groups, 0, sizeof b->groups);
  memset(b->empty_pos, 0, sizeof b->empty_pos);
  b->nempty = 0;
  for (int p = 0; p < n; p++) {
    int x = p % b->stride, y = p / b->stride;
    if (x >= 1 && x <= b->size && y >= 1 && y <= b->size) {
      b->color[p] = COLOR_EMPTY;
      empty_add(b, p);
    }
  }
  nbcount_rebuild(b);
  b->to_play = COLOR_BLACK;
  b->ko_point = 0;
  b->ko_color = COLOR_EMPTY;
  b->last_move = b->last_move2 = 0;
  b->passes = 0;
  b->move_count = 0;
  b->captures[0] = b->captures[1] = b->captures[2] = 0;
  b->stones[0] = b->stones[1] = b->stones[2] = 0;
  b->hash = 0;
  b->history_ok = 1;
  b->recent_head = b->nrecent = 0;
  b->nactions = 0;
  b->hashes[0] = 0;
  memset(b->seen, 0, sizeof b->seen);
  seen_add(b, 0);
}

void board_copy(board_t *dst, const board_t *src) {
  /* Field by field, copying only the used extent of each array: on 9x9 this moves ~4 KB
   * instead of the whole ~13 KB struct (playouts copy a board each). */
  if (dst == src) return;
  const size_t np = (size_t)(src->stride * src->stride), nn = (size_t)(src->size * src->size);
  memcpy(dst, src, offsetof(board_t, empty));
  memcpy(dst->empty, src->empty, sizeof src->empty[0] * (size_t)src->nempty);
  memcpy(dst->empty_pos, src->empty_pos, sizeof src->empty_pos[0] * np);
  memcpy(dst->color, src->color, sizeof src->color[0] * np);
  memcpy(dst->nbcount, src->nbcount, sizeof src->nbcount[0] * np);
  memcpy(dst->group, src->group, sizeof src->group[0] * np);
  memcpy(dst->next, src->next, sizeof src->next[0] * np);
  memcpy(dst->groups, src->groups, sizeof src->groups[0] * np);
  dst->recent_head = src->recent_head;
  dst->nrecent = src->nrecent;
  for (int k = 0; k < BOARD_RECENT; k++) memcpy(dst->recent[k], src->recent[k], nn);
  memcpy(dst->seen, src->seen, sizeof src->seen);
  dst->nactions = src->nactions;
  memcpy(dst->actions, src->actions, sizeof(board_action_t) * (size_t)src->nactions);
  memcpy(dst->hashes, src->hashes, sizeof(uint64_t) * (size_t)(src->nactions + 1));
}

/* ------------------------------------------------------------------------------------------ */
/* playing                                                                                     */

/* Removes the group with head g from the board; returns the number of stones removed. */
static int remove_group(board_t *b, int g) {
  const int color = b->color[g];
  int n = 0, s = g;
  do {
    b->color[s] = COLOR_EMPTY;
    b->hash ^= zobrist(s, color);
    nbcount_update(b, s, color, COLOR_EMPTY);
    empty_add(b, s);
    n++;
    s = b->next[s];
  } while (s != g);
  /* Second pass: the removed stones become liberties of their (other) neighbours. */
  do {
    FOR_NEIGHBORS(b, s, nb, {
      if (b->color[nb] == COLOR_BLACK || b->color[nb] == COLOR_WHITE) lib_add(&b->groups[b->group[nb]], s);
    });
    s = b->next[s];
  } while (s != g);
  b->stones[color] -= n;
  return n;
}

/* Merges the group with head `from` into the group with head `into`. */
static void merge_groups(board_t *b, int into, int from) {
  board_group_t *gi = &b->groups[into], *gf = &b->groups[from];
  gi->libs = (uint16_t)(gi->libs + gf->libs);
  gi->lib_sum += gf->lib_sum;
  gi->lib_sq += gf->lib_sq;
  gi->stones = (uint16_t)(gi->stones + gf->stones);
  int s = from;
  do {
    b->group[s] = (uint16_t)into;
    s = b->next[s];
  } while (s != from);
  uint16_t t = b->next[into];
  b->next[into] = b->next[from];
  b->next[from] = t;
}

/* Puts a stone of `color` on empty point p, merging with friends; no capture logic. */
static void place_stone(board_t *b, int color, int p) {
  empty_remove(b, p);
  b->color[p] = (uint8_t)color;
  b->hash ^= zobrist(p, color);
  nbcount_update(b, p, COLOR_EMPTY, color);
  b->stones[color]++;
  b->group[p] = (uint16_t)p;
  b->next[p] = (uint16_t)p;
  board_group_t *g = &b->groups[p];
  g->libs = 0;
  g->stones = 1;
  g->lib_sum = g->lib_sq = 0;
  FOR_NEIGHBORS(b, p, n, {
    const int c = b->color[n];
    if (c == COLOR_EMPTY) lib_add(g, n);
    else if (c != COLOR_OFFBOARD) lib_remove(&b->groups[b->group[n]], p);
  });
  FOR_NEIGHBORS(b, p, n, {
    if (b->color[n] == color && b->group[n] != b->group[p]) {
      const int a = b->group[p], d = b->group[n];
      if (b->groups[a].stones >= b->groups[d].stones) merge_groups(b, a, d);
      else merge_groups(b, d, a);
    }
  });
}

/* Plays a point move assumed legal (no superko check): place, capture, suicide, ko. */
static void play_point(board_t *b, int color, int p) {
  const int opp = board_other(color);
  int captured = 0, captured_at = 0;
  place_stone(b, color, p);
  FOR_NEIGHBORS(b, p, n, {
    if (b->color[n] == opp && b->groups[b->group[n]].libs == 0) {
      captured_at = n;
      captured += remove_group(b, b->group[n]);
    }
  });
  b->captures[color] += captured;
  const int g = b->group[p];
  if (b->groups[g].libs == 0) {           /* multi-stone suicide (rules permitting) */
    b->captures[opp] += remove_group(b, g);
    b->ko_point = 0;
  } else if (captured == 1 && b->groups[g].stones == 1 && b->groups[g].libs == 1) {
    b->ko_point = captured_at;
    b->ko_color = opp;
  } else {
    b->ko_point = 0;
  }
}

/* Pushes the current colouring onto the ring of recent colourings (before a move). */
static void push_recent(board_t *b) {
  b->recent_head = (b->recent_head + BOARD_RECENT - 1) % BOARD_RECENT;
  uint8_t *dst = b->recent[b->recent_head];
  for (int y = 0; y < b->size; y++)
    memcpy(dst + y * b->size, b->color + board_point(b, 0, y), (size_t)b->size);
  if (b->nrecent < BOARD_RECENT) b->nrecent++;
}

bool board_colors_ago(const board_t *b, int ago, uint8_t *out) {
  const int n = b->size;
  if (ago < 0 || ago > BOARD_RECENT) return false;
  if (ago == 0) {
    for (int y = 0; y < n; y++) memcpy(out + y * n, b->color + board_point(b, 0, y), (size_t)n);
  } else if (ago <= b->nrecent) {
    memcpy(out, b->recent[(b->recent_head + ago - 1) % BOARD_RECENT], (size_t)(n * n));
  } else {
    memset(out, COLOR_EMPTY, (size_t)(n * n));
  }
  return true;
}

static void play_move(board_t *b, int color, int move) {
  if (move == BOARD_PASS) {
    b->passes++;
    b->ko_point = 0;
  } else {
    play_point(b, color, move);
    b->passes = 0;
  }
  b->last_move2 = b->last_move;
  b->last_move = move;
  b->move_count++;
  b->to_play = board_other(color);
}

/* Recomputes groups, liberties, empty list, hash and stone counts from color[] alone. */
static void rebuild(board_t *b) {
  const int n = b->stride * b->stride;
  uint8_t seen[BOARD_MAX_POINTS] = {0};
  uint16_t stack[BOARD_MAX_POINTS];
  b->nempty = 0;
  b->hash = 0;
  b->stones[1] = b->stones[2] = 0;
  nbcount_rebuild(b);
  for (int p = 0; p < n; p++) {
    if (b->color[p] == COLOR_EMPTY) empty_add(b, p);
    else if (b->color[p] != COLOR_OFFBOARD) {
      b->hash ^= zobrist(p, b->color[p]);
      b->stones[b->color[p]]++;
    }
  }
  for (int p = 0; p < n; p++) {
    const int c = b->color[p];
    if (seen[p] || (c != COLOR_BLACK && c != COLOR_WHITE)) continue;
    board_group_t *g = &b->groups[p];
    memset(g, 0, sizeof *g);
    int sp = 0, prev = p;
    stack[sp++] = (uint16_t)p;
    seen[p] = 1;
    b->next[p] = (uint16_t)p;
    while (sp) {
      int s = stack[--sp];
      b->group[s] = (uint16_t)p;
      g->stones++;
      if (s != p) { /* link s after prev */
        b->next[s] = b->next[prev];
        b->next[prev] = (uint16_t)s;
        prev = s;
      }
      FOR_NEIGHBORS(b, s, nb, {
        if (b->color[nb] == COLOR_EMPTY) lib_add(g, nb);
        else if (b->color[nb] == c && !seen[nb]) {
          seen[nb] = 1;
          stack[sp++] = (uint16_t)nb;
        }
      });
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* legality                                                                                    */

static inline bool legal_fast_(const board_t *b, int color, int p) {
  if (b->color[p] != COLOR_EMPTY) return false;
  if (p == b->ko_point && color == b->ko_color) return false;
  if (board_neighbors(b, p, COLOR_EMPTY)) return true;
  bool friend_nb = false;
  FOR_NEIGHBORS(b, p, n, {
    const int c = b->color[n];
    if (c == COLOR_EMPTY) return true;
    if (c == color) {
      if (!group_in_atari(&b->groups[b->group[n]])) return true;
      friend_nb = true;
    } else if (c != COLOR_OFFBOARD) {
      if (group_in_atari(&b->groups[b->group[n]])) return true; /* captures */
    }
  });
  return friend_nb && b->rules.suicide; /* multi-stone suicide */
}

bool board_is_legal_fast(const board_t *b, int color, int p) { return legal_fast_(b, color, p); }

/* Hash of the colouring after `color` plays legal-fast point p (captures/suicide applied). */
static uint64_t hash_after(const board_t *b, int color, int p) {
  uint64_t h = b->hash ^ zobrist(p, color);
  int done[4], ndone = 0;
  bool liberty = false;
  FOR_NEIGHBORS(b, p, n, {
    const int c = b->color[n];
    if (c == COLOR_EMPTY) liberty = true;
    else if (c != COLOR_OFFBOARD && c != color) {
      const int g = b->group[n];
      bool dup = false;
      for (int i = 0; i < ndone; i++) dup |= done[i] == g;
      if (!dup && group_in_atari(&b->groups[g])) {
        done[ndone++] = g;
        liberty = true;
        int s = g;
        do {
          h ^= zobrist(s, c);
          s = b->next[s];
        } while (s != g);
      }
    } else if (c == color && !group_in_atari(&b->groups[b->group[n]])) {
      liberty = true;
    }
  });
  if (liberty) return h;
  /* Suicide: the placed stone and every friendly neighbour group disappear. */
  h ^= zobrist(p, color);
  ndone = 0;
  FOR_NEIGHBORS(b, p, n, {
    if (b->color[n] == color) {
      const int g = b->group[n];
      bool dup = false;
      for (int i = 0; i < ndone; i++) dup |= done[i] == g;
      if (!dup) {
        done[ndone++] = g;
        int s = g;
        do {
          h ^= zobrist(s, color);
          s = b->next[s];
        } while (s != g);
      }
    }
  });
  return h;
}

/* True if h is a colouring at which a move was made in this game, or the current one. */
static bool in_history(const board_t *b, uint64_t h) {
  if (!seen_maybe(b, h)) return false;
  for (int i = 0; i <= b->nactions; i++)
    if (b->hashes[i] == h && (i == b->nactions || !b->actions[i].setup)) return true;
  return false;
}

bool board_is_legal_why(const board_t *b, int color, int move, const char **why) {
  const char *dummy;
  if (!why) why = &dummy;
  *why = NULL;
  if (color != COLOR_BLACK && color != COLOR_WHITE) return *why = "bad color", false;
  if (move == BOARD_PASS) return true;
  if (!board_on_board(b, move)) return *why = "off board", false;
  if (b->color[move] != COLOR_EMPTY) return *why = "occupied", false;
  if (move == b->ko_point && color == b->ko_color) return *why = "ko", false;
  if (!legal_fast_(b, color, move)) return *why = "suicide", false;
  if (b->rules.ko == BOARD_KO_POSITIONAL && b->history_ok && in_history(b, hash_after(b, color, move)))
    return *why = "superko", false;
  return true;
}

bool board_is_legal(const board_t *b, int color, int move) { return board_is_legal_why(b, color, move, NULL); }

static rocks_status_t check_capacity(const board_t *b, rocks_error_t *err) {
  if (b->nactions >= BOARD_MAX_HISTORY)
    return rocks_fail(err, ROCKS_ERR_NOMEM, "game history full (%d actions)", BOARD_MAX_HISTORY);
  return ROCKS_OK;
}

static void append_history(board_t *b, int color, int move, int setup) {
  b->actions[b->nactions] = (board_action_t){.point = (int16_t)move, .color = (uint8_t)color, .setup = (uint8_t)setup};
  b->nactions++;
  b->hashes[b->nactions] = b->hash;
  seen_add(b, b->hash);
}

rocks_status_t board_play(board_t *b, int color, int move, rocks_error_t *err) {
  const char *why;
  if (move == BOARD_RESIGN) return rocks_fail(err, ROCKS_ERR_ARG, "resign is not a board move");
  if (!board_is_legal_why(b, color, move, &why)) {
    char v[8];
    board_vertex_string(b, move, v);
    return rocks_fail(err, ROCKS_ERR_ILLEGAL, "illegal move %s %s: %s", color == COLOR_WHITE ? "W" : "B", v, why);
  }
  rocks_status_t st = check_capacity(b, err);
  if (st != ROCKS_OK) return st;
  push_recent(b);
  play_move(b, color, move);
  if (b->history_ok) append_history(b, color, move, 0);
  return ROCKS_OK;
}

void board_play_legal(board_t *b, int color, int move) {
  push_recent(b);
  play_move(b, color, move);
  if (b->history_ok && b->nactions < BOARD_MAX_HISTORY) append_history(b, color, move, 0);
  else b->history_ok = 0;
}

void board_play_fast(board_t *b, int color, int move) {
  b->history_ok = 0;
  play_move(b, color, move);
}

/* Setup: placing on an empty point is incremental; removing a stone (AE) rebuilds the groups. */
static void apply_setup(board_t *b, int color, int p) {
  if (color == b->color[p]) {
    /* nothing changes */
  } else if (b->color[p] == COLOR_EMPTY) {
    place_stone(b, color, p);
  } else {
    b->color[p] = (uint8_t)color;
    rebuild(b);
  }
  b->ko_point = 0;
}

void board_set_komi(board_t *b, float komi) { b->komi = komi; }
void board_set_rules(board_t *b, board_rules_t rules) { b->rules = rules; }

void board_set_to_play(board_t *b, int color) {
  if (color == COLOR_BLACK || color == COLOR_WHITE) b->to_play = color;
}

rocks_status_t board_setup_stone(board_t *b, int color, int point, rocks_error_t *err) {
  if (color != COLOR_EMPTY && color != COLOR_BLACK && color != COLOR_WHITE)
    return rocks_fail(err, ROCKS_ERR_ARG, "bad setup colour %d", color);
  if (!board_on_board(b, point)) return rocks_fail(err, ROCKS_ERR_ILLEGAL, "setup point is off the board");
  if (color != COLOR_EMPTY && b->color[point] != COLOR_EMPTY)
    return rocks_fail(err, ROCKS_ERR_ILLEGAL, "setup point is occupied");
  rocks_status_t st = check_capacity(b, err);
  if (st != ROCKS_OK) return st;
  apply_setup(b, color, point);
  if (b->history_ok) append_history(b, color, point, 1);
  return ROCKS_OK;
}

rocks_status_t board_undo(board_t *b, rocks_error_t *err) {
  if (!b->history_ok) return rocks_fail(err, ROCKS_ERR_STATE, "history is not valid (fast play was used)");
  if (b->nactions == 0) return rocks_fail(err, ROCKS_ERR_STATE, "nothing to undo");
  /* Replay the first n-1 actions in place: the actions array is only ever appended to again
   * with the same entries, so reading it while replaying is safe. */
  const int n = b->nactions - 1;
  board_clear(b);
  for (int i = 0; i < n; i++) {
    const board_action_t a = b->actions[i];
    if (a.setup) {
      apply_setup(b, a.color, a.point);
    } else {
      push_recent(b);
      play_move(b, a.color, a.point);
    }
    b->nactions++;
    b->hashes[b->nactions] = b->hash;
    seen_add(b, b->hash);
  }
  return ROCKS_OK;
}

int board_legal_moves(const board_t *b, int color, int *moves) {
  int n = 0;
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) {
      int p = board_point(b, x, y);
      if (b->color[p] == COLOR_EMPTY && board_is_legal(b, color, p)) moves[n++] = p;
    }
  moves[n++] = BOARD_PASS;
  return n;
}

static inline bool is_eye_(const board_t *b, int p, int color) {
  if (b->color[p] != COLOR_EMPTY) return false;
  if (board_neighbors(b, p, color) + board_neighbors(b, p, COLOR_OFFBOARD) != 4) return false;
  const int s = b->stride, opp = board_other(color);
  const int diag[4] = {p - s - 1, p - s + 1, p + s - 1, p + s + 1};
  int bad = 0, edge = 0;
  for (int k = 0; k < 4; k++) {
    bad += b->color[diag[k]] == opp;
    edge |= b->color[diag[k]] == COLOR_OFFBOARD;
  }
  return bad < (edge ? 1 : 2);
}

bool board_is_eye(const board_t *b, int p, int color) { return is_eye_(b, p, color); }

/* ------------------------------------------------------------------------------------------ */
/* playouts                                                                                    */

int board_random_move(const board_t *b, int color, rocks_rng_t *rng) {
  /* Uniform over the acceptable moves. First a few draws with replacement from all empty points
   * (rejection sampling: uniform given acceptance); then, if all were rejected, draws without
   * replacement from a copy, swap-removing rejects (also uniform over the acceptable set). */
  if (b->nempty == 0) return BOARD_PASS;
  for (int t = 0; t < 4; t++) {
    const int p = b->empty[rocks_rng_below(rng, (uint32_t)b->nempty)];
    if (!is_eye_(b, p, color) && legal_fast_(b, color, p)) return p;
  }
  uint16_t cand[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
  int m = b->nempty;
  memcpy(cand, b->empty, sizeof(uint16_t) * (size_t)m);
  while (m > 0) {
    int i = (int)rocks_rng_below(rng, (uint32_t)m);
    int p = cand[i];
    if (!is_eye_(b, p, color) && legal_fast_(b, color, p)) return p;
    cand[i] = cand[--m];
  }
  return BOARD_PASS;
}

int board_playout(board_t *b, rocks_rng_t *rng, int max_moves) {
  if (max_moves <= 0) max_moves = 3 * b->size * b->size;
  int n = 0;
  while (n < max_moves && b->passes < 2) {
    const int color = b->to_play;
    board_play_fast(b, color, board_random_move(b, color, rng));
    n++;
  }
  return n;
}

/* ------------------------------------------------------------------------------------------ */
/* scoring                                                                                     */

/* Flood-fills empty regions; owner[p] = colour for stones and regions reaching only that colour. */
void board_area_owner(const board_t *b, uint8_t *owner) {
  const int n = b->stride * b->stride;
  uint16_t stack[BOARD_MAX_POINTS], region[BOARD_MAX_POINTS];
  uint8_t seen[BOARD_MAX_POINTS] = {0};
  for (int p = 0; p < n; p++) owner[p] = b->color[p] == COLOR_BLACK || b->color[p] == COLOR_WHITE ? b->color[p] : COLOR_EMPTY;
  for (int p = 0; p < n; p++) {
    if (b->color[p] != COLOR_EMPTY || seen[p]) continue;
    int sp = 0, nr = 0, reach = 0;
    stack[sp++] = (uint16_t)p;
    seen[p] = 1;
    while (sp) {
      int s = stack[--sp];
      region[nr++] = (uint16_t)s;
      FOR_NEIGHBORS(b, s, nb, {
        const int c = b->color[nb];
        if (c == COLOR_EMPTY) {
          if (!seen[nb]) {
            seen[nb] = 1;
            stack[sp++] = (uint16_t)nb;
          }
        } else if (c != COLOR_OFFBOARD) {
          reach |= c;
        }
      });
    }
    if (reach == COLOR_BLACK || reach == COLOR_WHITE)
      for (int i = 0; i < nr; i++) owner[region[i]] = (uint8_t)reach;
  }
}

double board_score(const board_t *b, int *black_area, int *white_area) {
  uint8_t owner[BOARD_MAX_POINTS];
  board_area_owner(b, owner);
  int area[4] = {0};
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) area[owner[board_point(b, x, y)]]++;
  if (black_area) *black_area = area[COLOR_BLACK];
  if (white_area) *white_area = area[COLOR_WHITE];
  return (double)area[COLOR_BLACK] - (double)area[COLOR_WHITE] - (double)b->komi;
}

int board_winner(const board_t *b) {
  double s = board_score(b, NULL, NULL);
  return s > 0 ? COLOR_BLACK : s < 0 ? COLOR_WHITE : COLOR_EMPTY;
}

void board_score_string(const board_t *b, char *out, int outlen) {
  double s = board_score(b, NULL, NULL);
  if (s == 0) snprintf(out, (size_t)outlen, "0");
  else snprintf(out, (size_t)outlen, "%c+%g", s > 0 ? 'B' : 'W', s > 0 ? s : -s);
}

/* ------------------------------------------------------------------------------------------ */
/* text                                                                                        */

static const char COLUMNS[] = "ABCDEFGHJKLMNOPQRSTUVWXYZ";

rocks_status_t board_parse_vertex(const board_t *b, const char *s, int *move, rocks_error_t *err) {
  if (!strcasecmp(s, "pass")) {
    *move = BOARD_PASS;
    return ROCKS_OK;
  }
  int letter = toupper((unsigned char)s[0]);
  const char *col = letter ? strchr(COLUMNS, letter) : NULL;
  if (!col || !isdigit((unsigned char)s[1])) return rocks_fail(err, ROCKS_ERR_PARSE, "invalid vertex '%s'", s);
  int row = 0, i = 1;
  for (; isdigit((unsigned char)s[i]) && i < 4; i++) row = row * 10 + (s[i] - '0');
  if (s[i] != '\0') return rocks_fail(err, ROCKS_ERR_PARSE, "invalid vertex '%s'", s);
  int x = (int)(col - COLUMNS);
  if (x >= b->size || row < 1 || row > b->size)
    return rocks_fail(err, ROCKS_ERR_ARG, "vertex '%s' is off the %dx%d board", s, b->size, b->size);
  *move = board_point(b, x, b->size - row);
  return ROCKS_OK;
}

void board_vertex_string(const board_t *b, int move, char *out) {
  if (move == BOARD_PASS) strcpy(out, "pass");
  else if (move == BOARD_RESIGN) strcpy(out, "resign");
  else if (!board_on_board(b, move)) strcpy(out, "?");
  else snprintf(out, 5, "%c%d", COLUMNS[board_x(b, move)], b->size - board_y(b, move));
}

int board_parse_color(const char *s) {
  if (!strcasecmp(s, "b") || !strcasecmp(s, "black")) return COLOR_BLACK;
  if (!strcasecmp(s, "w") || !strcasecmp(s, "white")) return COLOR_WHITE;
  return COLOR_EMPTY;
}

int board_to_string(const board_t *b, char *out, int outlen) {
  int len = 0;
#define EMIT(...)                                                                          \
  do {                                                                                     \
    len += len < outlen ? snprintf(out + len, (size_t)(outlen - len), __VA_ARGS__)         \
                        : snprintf(NULL, 0, __VA_ARGS__);                                  \
  } while (0)
  if (outlen > 0) out[0] = '\0';
  EMIT("   ");
  for (int x = 0; x < b->size; x++) EMIT(" %c", COLUMNS[x]);
  EMIT("\n");
  for (int y = 0; y < b->size; y++) {
    EMIT("%2d ", b->size - y);
    for (int x = 0; x < b->size; x++) {
      int p = board_point(b, x, y);
      char ch = ".XO"[b->color[p]];
      char sep = p == b->last_move ? '(' : (x > 0 && board_point(b, x - 1, y) == b->last_move ? ')' : ' ');
      EMIT("%c%c", sep, ch);
    }
    EMIT("%c%d\n", board_point(b, b->size - 1, y) == b->last_move ? ')' : ' ', b->size - y);
  }
  EMIT("   ");
  for (int x = 0; x < b->size; x++) EMIT(" %c", COLUMNS[x]);
  EMIT("\n");
#undef EMIT
  if (len >= outlen && outlen > 0) len = outlen - 1;
  return len;
}

/* ------------------------------------------------------------------------------------------ */
/* consistency check (tests)                                                                   */

static bool check_position(const board_t *b, const board_t *r, rocks_error_t *err);

bool board_check(const board_t *b, rocks_error_t *err) {
  /* Recompute the position (not the history) from color[] alone in a scratch board. */
  board_t *r = malloc(sizeof *r);
  if (!r) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory"), false;
  memcpy(r, b, offsetof(board_t, actions));
  rebuild(r);
  bool ok = check_position(b, r, err);
  free(r);
  return ok;
}

static bool check_position(const board_t *b, const board_t *r, rocks_error_t *err) {
  if (r->hash != b->hash) return rocks_fail(err, ROCKS_ERR_STATE, "hash mismatch"), false;
  if (r->nempty != b->nempty) return rocks_fail(err, ROCKS_ERR_STATE, "empty count %d != %d", b->nempty, r->nempty), false;
  for (int i = 0; i < b->nempty; i++) {
    int p = b->empty[i];
    if (b->color[p] != COLOR_EMPTY || b->empty_pos[p] != i)
      return rocks_fail(err, ROCKS_ERR_STATE, "empty list broken at %d", p), false;
  }
  for (int p = 0; p < b->stride * b->stride; p++) /* border points' counts are never read */
    if (b->color[p] != COLOR_OFFBOARD && r->nbcount[p] != b->nbcount[p])
      return rocks_fail(err, ROCKS_ERR_STATE, "neighbour counts mismatch at %d", p), false;
  for (int c = 1; c <= 2; c++)
    if (r->stones[c] != b->stones[c]) return rocks_fail(err, ROCKS_ERR_STATE, "stone count mismatch"), false;
  const int n = b->stride * b->stride;
  for (int p = 0; p < n; p++) {
    if (b->color[p] != COLOR_BLACK && b->color[p] != COLOR_WHITE) continue;
    int g = b->group[p], rg = r->group[p];
    if (b->color[g] != b->color[p]) return rocks_fail(err, ROCKS_ERR_STATE, "group head colour at %d", p), false;
    const board_group_t *x = &b->groups[g], *y = &r->groups[rg];
    if (x->libs != y->libs || x->lib_sum != y->lib_sum || x->lib_sq != y->lib_sq || x->stones != y->stones)
      return rocks_fail(err, ROCKS_ERR_STATE, "group at %d: libs %d/%d stones %d/%d", p, x->libs, y->libs, x->stones,
                        y->stones), false;
    /* same partition: walking the cycle from p stays in the recomputed group and has the right length */
    int s = p, len = 0;
    do {
      if (r->group[s] != rg || b->group[s] != g) return rocks_fail(err, ROCKS_ERR_STATE, "group cycle at %d", p), false;
      s = b->next[s];
      if (++len > n) return rocks_fail(err, ROCKS_ERR_STATE, "group cycle does not close at %d", p), false;
    } while (s != p);
    if (len != x->stones) return rocks_fail(err, ROCKS_ERR_STATE, "group cycle length at %d", p), false;
  }
  return true;
}
