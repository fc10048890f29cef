/* record.c — position records, their feature planes, the 8 symmetries, games and their replay,
 * SHA-256 (ds.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/ds.h"

/* ================================================================================ records === */

void ds_record_from_board(const board_t *b, ds_record_t *r) {
  const int N = b->size, NN = N * N;
  r->size = N;
  r->to_play = b->to_play;
  r->komi = b->komi;
  for (int t = 0; t < DS_HISTORY; t++) board_colors_ago(b, t, r->colors[t]);
  r->ko = -1;
  if (b->ko_point > 0 && b->ko_color == b->to_play && board_on_board(b, b->ko_point))
    r->ko = board_policy_index(b, b->ko_point);
  /* the last three moves (setup actions are not moves), as feat.c's recent_move_ */
  int k = 0;
  for (int i = b->nactions - 1; i >= 0 && k < 3; i--) {
    if (b->actions[i].setup) continue;
    int mv = b->actions[i].point;
    r->last[k++] = mv == BOARD_PASS ? NN : board_policy_index(b, mv);
  }
  for (; k < 3; k++) r->last[k] = -1;
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) {
      int p = board_point(b, x, y);
      r->legal[y * N + x] = b->color[p] == COLOR_EMPTY && board_is_legal(b, b->to_play, p);
    }
  r->policy = -1;
  r->dist = NULL;
  r->z = 0.0f;
}

int ds_record_legal_count(const ds_record_t *r) {
  int n = 1; /* pass */
  for (int i = 0; i < r->size * r->size; i++) n += r->legal[i];
  return n;
}

/* Exact liberties of every stone's group on an N x N colouring (0 for empty points). */
static void liberties_(const uint8_t *col, int N, int *libs) {
  int stack[DS_MAX_NN], group[DS_MAX_NN];
  uint8_t seen[DS_MAX_NN];
  int libseen[DS_MAX_NN];
  memset(seen, 0, sizeof seen);
  for (int i = 0; i < N * N; i++) libs[i] = 0, libseen[i] = 0;
  int stamp = 0;
  for (int i0 = 0; i0 < N * N; i0++) {
    int c = col[i0];
    if ((c != COLOR_BLACK && c != COLOR_WHITE) || seen[i0]) continue;
    stamp++;
    int sp = 0, ng = 0, nl = 0;
    stack[sp++] = i0;
    seen[i0] = 1;
    while (sp) {
      int p = stack[--sp];
      group[ng++] = p;
      int x = p % N, y = p / N;
      int nb[4], nnb = 0;
      if (x > 0) nb[nnb++] = p - 1;
      if (x < N - 1) nb[nnb++] = p + 1;
      if (y > 0) nb[nnb++] = p - N;
      if (y < N - 1) nb[nnb++] = p + N;
      for (int k = 0; k < nnb; k++) {
        int q = nb[k];
        if (col[q] == c && !seen[q]) {
          seen[q] = 1;
          stack[sp++] = q;
        } else if (col[q] == COLOR_EMPTY && libseen[q] != stamp) {
          libseen[q] = stamp;
          nl++;
        }
      }
    }
    for (int g = 0; g < ng; g++) libs[group[g]] = nl;
  }
}

static void fill_(float *plane, int n, float v) {
  for (int i = 0; i < n; i++) plane[i] = v;
}

void ds_record_features(const ds_record_t *r, feat_set_t set, float *out) {
  const int N = r->size, NN = N * N, own = r->to_play, opp = board_other(own);
  memset(out, 0, sizeof(float) * (size_t)feat_planes(set) * (size_t)NN);
  if (set == FEAT_AGZ) {
    for (int t = 0; t < DS_HISTORY; t++) {
      float *po = out + (size_t)(2 * t) * NN, *pp = out + (size_t)(2 * t + 1) * NN;
      const uint8_t *c = r->colors[t];
      for (int i = 0; i < NN; i++) {
        po[i] = c[i] == own;
        pp[i] = c[i] == opp;
      }
    }
    if (own == COLOR_BLACK) fill_(out + (size_t)16 * NN, NN, 1.0f);
    return;
  }
  /* FEAT_RICH */
  int libs[DS_MAX_NN];
  liberties_(r->colors[0], N, libs);
  for (int i = 0; i < NN; i++) {
    int c = r->colors[0][i];
    if (c == COLOR_EMPTY) {
      out[(size_t)8 * NN + i] = 1.0f;
      continue;
    }
    int l = libs[i] < 1 ? 1 : libs[i] > 4 ? 4 : libs[i];
    out[(size_t)((c == own ? 0 : 4) + l - 1) * NN + i] = 1.0f;
  }
  if (r->ko >= 0 && r->ko < NN) out[(size_t)9 * NN + r->ko] = 1.0f;
  for (int k = 0; k < 3; k++)
    if (r->last[k] >= 0 && r->last[k] < NN) out[(size_t)(10 + k) * NN + r->last[k]] = 1.0f;
  for (int i = 0; i < NN; i++)
    if (r->legal[i]) out[(size_t)13 * NN + i] = 1.0f;
  fill_(out + (size_t)14 * NN, NN, 1.0f);
  if (own == COLOR_BLACK) fill_(out + (size_t)15 * NN, NN, 1.0f);
}

/* ============================================================================ symmetries === */

int ds_sym_point(int N, int sym, int index) {
  if (index < 0 || index >= N * N) return index;
  int x = index % N, y = index / N;
  if (sym & 4) {
    int t = x;
    x = y;
    y = t;
  }
  if (sym & 1) x = N - 1 - x;
  if (sym & 2) y = N - 1 - y;
  return y * N + x;
}

int ds_sym_inverse(int sym) {
  /* the inverse maps every point back; a 3x3 board tells the 8 apart */
  for (int s = 0; s < 8; s++) {
    int ok = 1;
    for (int i = 0; i < 9 && ok; i++) ok = ds_sym_point(3, s, ds_sym_point(3, sym, i)) == i;
    if (ok) return s;
  }
  return 0;
}

void ds_sym_planes(float *out, const float *in, int planes, int N, int sym) {
  const int NN = N * N;
  if (sym == 0) {
    memcpy(out, in, sizeof(float) * (size_t)planes * (size_t)NN);
    return;
  }
  int map[DS_MAX_NN];
  for (int i = 0; i < NN; i++) map[i] = ds_sym_point(N, sym, i);
  for (int p = 0; p < planes; p++) {
    const float *src = in + (size_t)p * NN;
    float *dst = out + (size_t)p * NN;
    for (int i = 0; i < NN; i++) dst[map[i]] = src[i];
  }
}

void ds_sym_policy(float *out, const float *in, int N, int sym) {
  ds_sym_planes(out, in, 1, N, sym);
  out[N * N] = in[N * N];
}

/* ================================================================================== games === */

rocks_status_t ds_game_replay(const ds_game_t *g, board_t *b, int nmoves, rocks_error_t *err) {
  rocks_error_t e2 = {0};
  if (board_init(b, g->size, g->rules, g->komi, &e2) != ROCKS_OK) return rocks_fail(err, ROCKS_ERR_ARG, "%s", e2.msg);
  const int NN = g->size * g->size;
  for (int i = 0; i < g->nsetup; i++) {
    if (g->setup[i] < 0 || g->setup[i] >= NN)
      return rocks_fail(err, ROCKS_ERR_ARG, "setup stone %d: point %d off the board", i + 1, g->setup[i]);
    if (board_setup_stone(b, g->setup_colors[i], board_policy_point(b, g->setup[i]), &e2) != ROCKS_OK)
      return rocks_fail(err, ROCKS_ERR_ILLEGAL, "setup stone %d: %s", i + 1, e2.msg);
  }
  if (nmoves < 0 || nmoves > g->nmoves) nmoves = g->nmoves;
  for (int i = 0; i < nmoves; i++) {
    int c = g->colors[i];
    if (g->moves[i] < 0 || g->moves[i] > NN || (c != COLOR_BLACK && c != COLOR_WHITE))
      return rocks_fail(err, ROCKS_ERR_ARG, "move %d: bad point %d or colour %d", i + 1, g->moves[i], c);
    if (c != b->to_play) board_set_to_play(b, c);
    if (board_play(b, c, board_policy_point(b, g->moves[i]), &e2) != ROCKS_OK)
      return rocks_fail(err, ROCKS_ERR_ILLEGAL, "move %d: %s", i + 1, e2.msg);
  }
  return ROCKS_OK;
}

uint64_t ds_game_hash(const ds_game_t *g) {
  uint64_t h = rocks_mix64((uint64_t)g->size * 1000003u + (uint64_t)(int64_t)lrintf(g->komi * 2.0f));
  for (int i = 0; i < g->nsetup; i++) h = rocks_mix64(h ^ ((uint64_t)g->setup[i] << 8 | g->setup_colors[i]));
  h = rocks_mix64(h ^ 0x5e7u);
  for (int i = 0; i < g->nmoves; i++) h = rocks_mix64(h ^ ((uint64_t)(uint16_t)g->moves[i] << 8 | g->colors[i]));
  return h;
}

/* Winner from an SGF RE value: 1 known (sets *winner), 0 unknown. */
static int parse_result_(const char *re, int *winner, float *score) {
  *score = NAN;
  if (!strcmp(re, "0") || !strcmp(re, "Draw") || !strcmp(re, "Jigo") || !strcmp(re, "draw") || !strcmp(re, "jigo")) {
    *winner = COLOR_EMPTY;
    *score = 0.0f;
    return 1;
  }
  if ((re[0] == 'B' || re[0] == 'W' || re[0] == 'b' || re[0] == 'w') && re[1] == '+') {
    *winner = re[0] == 'B' || re[0] == 'b' ? COLOR_BLACK : COLOR_WHITE;
    char *end;
    double v = strtod(re + 2, &end);
    if (end != re + 2 && *end == '\0' && isfinite(v)) *score = (float)(*winner == COLOR_BLACK ? v : -v);
    return 1;
  }
  return 0;
}

rocks_status_t ds_game_from_sgf(const sgf_game_t *s, board_rules_t rules, ds_game_t *g, rocks_error_t *err) {
  memset(g, 0, sizeof *g);
  if (s->size < BOARD_MIN_SIZE || s->size > BOARD_MAX_SIZE)
    return rocks_fail(err, ROCKS_ERR_ARG, "unsupported board size %d (2..19)", s->size);
  g->size = s->size;
  g->komi = (float)s->komi;
  g->rules = rules;
  g->score = NAN;
  snprintf(g->result, sizeof g->result, "%s", s->result);
  if (!s->result[0]) return rocks_fail(err, ROCKS_ERR_ARG, "no result (RE): the value target is unknown");
  if (!parse_result_(s->result, &g->winner, &g->score))
    return rocks_fail(err, ROCKS_ERR_ARG, "result '%s' names no winner (void, unknown or unfinished)", s->result);
  const int N = s->size, NN = N * N;
  int have_move = 0;
  for (int i = 0; i < s->nevents; i++) {
    const sgf_event_t *e = &s->events[i];
    if (e->kind == SGF_MOVE) {
      if (g->nmoves == DS_MAX_MOVES) return rocks_fail(err, ROCKS_ERR_ARG, "more than %d moves", DS_MAX_MOVES);
      int idx = e->x < 0 ? NN : e->y * N + e->x;
      if (e->x >= N || e->y >= N || (e->x < 0) != (e->y < 0))
        return rocks_fail(err, ROCKS_ERR_ARG, "move %d off the board", g->nmoves + 1);
      g->moves[g->nmoves] = (int16_t)idx;
      g->colors[g->nmoves++] = (uint8_t)e->color;
      have_move = 1;
    } else if (e->kind == SGF_ADD_BLACK || e->kind == SGF_ADD_WHITE) {
      if (have_move || e->node != 0)
        return rocks_fail(err, ROCKS_ERR_ARG, "unsupported: setup stones after the root node (node %d)", e->node);
      if (e->x < 0 || e->x >= N || e->y < 0 || e->y >= N || g->nsetup == DS_MAX_NN)
        return rocks_fail(err, ROCKS_ERR_ARG, "bad setup stone");
      g->setup[g->nsetup] = (int16_t)(e->y * N + e->x);
      g->setup_colors[g->nsetup++] = e->kind == SGF_ADD_BLACK ? COLOR_BLACK : COLOR_WHITE;
    } else if (e->kind == SGF_ADD_EMPTY) {
      return rocks_fail(err, ROCKS_ERR_ARG, "unsupported: AE (stone removal) in node %d", e->node);
    }
    /* SGF_PLAYER: the side to move follows each move's colour anyway */
  }
  if (g->nmoves == 0) return rocks_fail(err, ROCKS_ERR_ARG, "no moves");
  board_t *b = malloc(sizeof *b);
  if (!b) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  rocks_status_t st = ds_game_replay(g, b, -1, err); /* every move must be legal */
  free(b);
  return st;
}

/* ================================================================================ SHA-256 === */

typedef struct {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t nbuf;
} sha256_t;

static const uint32_t sha_k_[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror_(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha_block_(sha256_t *s, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror_(w[i - 15], 7) ^ ror_(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror_(w[i - 2], 17) ^ ror_(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ror_(e, 6) ^ ror_(e, 11) ^ ror_(e, 25)) + ((e & f) ^ (~e & g)) + sha_k_[i] + w[i];
    uint32_t t2 = (ror_(a, 2) ^ ror_(a, 13) ^ ror_(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init_(sha256_t *s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, h0, sizeof h0);
  s->len = 0;
  s->nbuf = 0;
}

static void sha_update_(sha256_t *s, const void *data, size_t len) {
  const uint8_t *p = data;
  s->len += len;
  while (len) {
    size_t take = 64 - s->nbuf < len ? 64 - s->nbuf : len;
    memcpy(s->buf + s->nbuf, p, take);
    s->nbuf += take, p += take, len -= take;
    if (s->nbuf == 64) {
      sha_block_(s, s->buf);
      s->nbuf = 0;
    }
  }
}

static void sha_final_(sha256_t *s, char hex[65]) {
  uint64_t bits = s->len * 8;
  uint8_t pad = 0x80;
  sha_update_(s, &pad, 1);
  pad = 0;
  while (s->nbuf != 56) sha_update_(s, &pad, 1);
  uint8_t lenb[8];
  for (int i = 0; i < 8; i++) lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha_update_(s, lenb, 8);
  for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

void ds_sha256(const void *data, size_t len, char hex[65]) {
  sha256_t s;
  sha_init_(&s);
  sha_update_(&s, data, len);
  sha_final_(&s, hex);
}

rocks_status_t ds_sha256_file(const char *path, char hex[65], rocks_error_t *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return rocks_fail(err, ROCKS_ERR_IO, "%s: cannot open", path);
  sha256_t s;
  sha_init_(&s);
  uint8_t buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha_update_(&s, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) return rocks_fail(err, ROCKS_ERR_IO, "%s: read error", path);
  sha_final_(&s, hex);
  return ROCKS_OK;
}
