/* feat.c — neural-network input planes (feat.h, docs/features.md). */
#include <string.h>

#include "go/feat.h"

int feat_planes(feat_set_t set) { return set == FEAT_RICH ? 16 : 17; }

rocks_status_t feat_from_name(const char *name, feat_set_t *set, rocks_error_t *err) {
  if (!strcmp(name, "agz") || !strcmp(name, "alphago-zero")) *set = FEAT_AGZ;
  else if (!strcmp(name, "rich")) *set = FEAT_RICH;
  else return rocks_fail(err, ROCKS_ERR_ARG, "unknown feature set '%s' (known: agz, rich)", name);
  return ROCKS_OK;
}

const char *feat_name(feat_set_t set) { return set == FEAT_RICH ? "rich" : "agz"; }

void feat_liberties(const board_t *b, int *libs) {
  int N = b->size;
  int stack[BOARD_MAX_POINTS], group[BOARD_MAX_POINTS];
  uint16_t seen[BOARD_MAX_POINTS], libseen[BOARD_MAX_POINTS];
  memset(seen, 0, sizeof seen);
  memset(libseen, 0, sizeof libseen);
  uint16_t stamp = 0;
  for (int i = 0; i < N * N; i++) libs[i] = 0;
  const int d[4] = {1, -1, b->stride, -b->stride};
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) {
      int p0 = board_point(b, x, y), col = b->color[p0];
      if ((col != COLOR_BLACK && col != COLOR_WHITE) || seen[p0]) continue;
      // flood fill the group, counting distinct empty neighbours
      stamp++;
      int sp = 0, ng = 0, nl = 0;
      stack[sp++] = p0;
      seen[p0] = 1;
      while (sp) {
        int p = stack[--sp];
        group[ng++] = p;
        for (int k = 0; k < 4; k++) {
          int q = p + d[k];
          if (b->color[q] == col && !seen[q]) {
            seen[q] = 1;
            stack[sp++] = q;
          } else if (b->color[q] == COLOR_EMPTY && libseen[q] != stamp) {
            libseen[q] = stamp;
            nl++;
          }
        }
      }
      for (int i = 0; i < ng; i++) libs[board_y(b, group[i]) * N + board_x(b, group[i])] = nl;
    }
}

static void fill_(float *plane, int n, float v) {
  for (int i = 0; i < n; i++) plane[i] = v;
}

/* The k-th most recent move (k = 0 last), a point or BOARD_PASS, or 0 if there is none. */
static int recent_move_(const board_t *b, int k) {
  for (int i = b->nactions - 1; i >= 0; i--) {
    if (b->actions[i].setup) continue;
    if (k-- == 0) return b->actions[i].point;
  }
  return 0;
}

void feat_encode(const board_t *b, feat_set_t set, float *out) {
  int N = b->size, NN = N * N, own = b->to_play, opp = board_other(own);
  memset(out, 0, sizeof(float) * (size_t)feat_planes(set) * (size_t)NN);
  if (set == FEAT_AGZ) {
    uint8_t colors[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
    for (int t = 0; t < 8; t++) {
      if (!board_colors_ago(b, t, colors)) continue;
      float *po = out + (size_t)(2 * t) * NN, *pp = out + (size_t)(2 * t + 1) * NN;
      for (int i = 0; i < NN; i++) {
        po[i] = colors[i] == own;
        pp[i] = colors[i] == opp;
      }
    }
    if (own == COLOR_BLACK) fill_(out + (size_t)16 * NN, NN, 1.0f);
    return;
  }
  // FEAT_RICH
  int libs[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
  feat_liberties(b, libs);
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) {
      int i = y * N + x, c = b->color[board_point(b, x, y)];
      if (c == COLOR_EMPTY) {
        out[(size_t)8 * NN + i] = 1.0f;
        continue;
      }
      int l = libs[i] < 1 ? 1 : libs[i] > 4 ? 4 : libs[i];
      out[(size_t)((c == own ? 0 : 4) + l - 1) * NN + i] = 1.0f;
    }
  if (b->ko_point > 0 && b->ko_color == own && board_on_board(b, b->ko_point))
    out[(size_t)9 * NN + board_policy_index(b, b->ko_point)] = 1.0f;
  for (int k = 0; k < 3; k++) {
    int mv = recent_move_(b, k);
    if (mv > 0 && board_on_board(b, mv)) out[(size_t)(10 + k) * NN + board_policy_index(b, mv)] = 1.0f;
  }
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) {
      int p = board_point(b, x, y);
      if (b->color[p] == COLOR_EMPTY && board_is_legal(b, own, p)) out[(size_t)13 * NN + y * N + x] = 1.0f;
    }
  fill_(out + (size_t)14 * NN, NN, 1.0f);
  if (own == COLOR_BLACK) fill_(out + (size_t)15 * NN, NN, 1.0f);
}
