/* test_ds.c — tests of records, shards, symmetries and the loader (src/data/ds.h).
 *
 *   test_ds SCRATCH_DIR
 *
 * - records: ds_record_features == feat_encode (agz and rich) at every position of random games
 *   on 5x5, 9x9 and 19x19, before and after a shard round trip (pack/unpack);
 * - games: ds_shard_read_games gives back what was written; SGF conversion accepts and rejects
 *   what it should; shard checksums; corrupt shards are errors; visit-distribution targets
 *   (policy_dist) reach the batches, moved by the symmetry;
 * - symmetries: for all 8, replaying the transformed game gives exactly the transformed planes,
 *   and the policy target moves with the board (pass stays pass);
 * - loader: same seed => identical batches (with and without the prefetch thread), different
 *   seed => different order, every epoch is a permutation of the dataset, seek == reading on,
 *   sample contents equal the shard's records under the reported symmetry, partial batches.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ds.h"
#include "data/npz.h"
#include "go/feat.h"
#include "go/sgf.h"

#include "check.h"

static char scratch[256];

/* A random game: uniformly random legal moves (no own-eye filling), passes with p = 0.03,
 * until two passes or 2*N*N moves; optional handicap setup; scored by Tromp-Taylor. */
static void random_game(ds_game_t *g, int N, uint64_t seed, int handicap, board_t *b) {
  memset(g, 0, sizeof *g);
  rocks_rng_t rng;
  rocks_rng_seed(&rng, seed);
  board_rules_t rules = seed % 2 ? board_rules_chinese() : board_rules_tromp_taylor();
  board_init(b, N, rules, 7.5f, NULL);
  g->id = (int64_t)seed;
  g->size = N;
  g->komi = 7.5f;
  g->rules = rules;
  g->seed = seed;
  snprintf(g->source, sizeof g->source, "random seed %llu", (unsigned long long)seed);
  for (int i = 0; i < handicap; i++) {
    int idx = (int)rocks_rng_below(&rng, (uint32_t)(N * N)), p = board_point(b, idx % N, idx / N);
    if (b->color[p] != COLOR_EMPTY) continue;
    board_setup_stone(b, COLOR_BLACK, p, NULL);
    g->setup[g->nsetup] = (int16_t)idx;
    g->setup_colors[g->nsetup++] = COLOR_BLACK;
  }
  if (g->nsetup) board_set_to_play(b, COLOR_WHITE);
  int moves[BOARD_MAX_MOVES];
  while (!board_game_over(b) && g->nmoves < 2 * N * N && g->nmoves < DS_MAX_MOVES) {
    int c = b->to_play, m = BOARD_PASS;
    if (rocks_rng_double(&rng) > 0.03) {
      int n = board_legal_moves(b, c, moves), k = 0;
      for (int i = 0; i < n; i++)
        if (moves[i] != BOARD_PASS && !board_is_eye(b, moves[i], c)) moves[k++] = moves[i];
      if (k) m = moves[rocks_rng_below(&rng, (uint32_t)k)];
    }
    board_play(b, c, m, NULL);
    g->moves[g->nmoves] = (int16_t)board_policy_index(b, m);
    g->colors[g->nmoves++] = (uint8_t)c;
  }
  double s = board_score(b, NULL, NULL);
  g->score = (float)s;
  g->winner = s > 0 ? COLOR_BLACK : s < 0 ? COLOR_WHITE : COLOR_EMPTY;
  board_score_string(b, g->result, sizeof g->result);
  g->first_target = (int)(seed % 3);
}

static bool planes_equal(const float *a, const float *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

/* ----------------------------------------------------------------------------- records -- */

static void test_records(void) {
  board_t *b = malloc(sizeof *b), *r = malloc(sizeof *r);
  ds_game_t *g = malloc(sizeof *g);
  ds_record_t *rec = malloc(sizeof *rec);
  float *fa = malloc(sizeof(float) * FEAT_MAX_PLANES * DS_MAX_NN), *fb = malloc(sizeof(float) * FEAT_MAX_PLANES * DS_MAX_NN);
  const int sizes[] = {5, 9, 19};
  long positions = 0, bad = 0;
  for (int si = 0; si < 3; si++)
    for (int k = 0; k < (sizes[si] == 19 ? 2 : 8); k++) {
      random_game(g, sizes[si], 100 + (uint64_t)k * 7 + (uint64_t)si, k % 3 == 0 ? 3 : 0, b);
      ds_game_t setup = *g;
      setup.nmoves = 0;
      if (!CHECK(ds_game_replay(&setup, r, 0, NULL) == ROCKS_OK)) continue;
      for (int i = 0; i <= g->nmoves; i++) {
        if (i < g->nmoves && g->colors[i] != r->to_play) board_set_to_play(r, g->colors[i]);
        ds_record_from_board(r, rec);
        for (int set = 0; set < 2; set++) {
          feat_encode(r, (feat_set_t)set, fa);
          ds_record_features(rec, (feat_set_t)set, fb);
          if (!planes_equal(fa, fb, (size_t)feat_planes((feat_set_t)set) * (size_t)(r->size * r->size))) bad++;
        }
        int legal = 1;
        for (int p = 0; p < r->size * r->size; p++)
          legal += r->color[board_point(r, p % r->size, p / r->size)] == COLOR_EMPTY && board_is_legal(r, r->to_play, board_point(r, p % r->size, p / r->size));
        if (ds_record_legal_count(rec) != legal) bad++;
        positions++;
        if (i < g->nmoves) board_play(r, g->colors[i], board_policy_point(r, g->moves[i]), NULL);
      }
    }
  CHECKF(bad == 0, "%ld of %ld positions: record features differ from feat_encode", bad, positions);
  printf("records: %ld positions, agz and rich planes equal to feat_encode\n", positions);
  free(b), free(r), free(g), free(rec), free(fa), free(fb);
}

/* ------------------------------------------------------------------------------ shards -- */

static bool games_equal(const ds_game_t *a, const ds_game_t *b) {
  if (a->id != b->id || a->size != b->size || a->komi != b->komi || a->rules.suicide != b->rules.suicide ||
      a->rules.ko != b->rules.ko || a->nmoves != b->nmoves || a->nsetup != b->nsetup || a->first_target != b->first_target ||
      a->winner != b->winner || a->seed != b->seed || strcmp(a->source, b->source) || strcmp(a->result, b->result))
    return false;
  if (!(a->score == b->score || (isnan(a->score) && isnan(b->score)))) return false;
  for (int i = 0; i < a->nmoves; i++)
    if (a->moves[i] != b->moves[i] || a->colors[i] != b->colors[i]) return false;
  for (int i = 0; i < a->nsetup; i++)
    if (a->setup[i] != b->setup[i] || a->setup_colors[i] != b->setup_colors[i]) return false;
  return true;
}

/* Writes `n` random N x N games (seeds seed0..) to path. */
static bool write_random_shard(const char *path, int N, int n, uint64_t seed0, ds_game_t *games, ds_shard_info_t *info) {
  board_t *b = malloc(sizeof *b);
  for (int i = 0; i < n; i++) random_game(&games[i], N, seed0 + (uint64_t)i, i % 4 == 1 ? 2 : 0, b);
  free(b);
  rocks_error_t err = {0};
  bool ok = ds_shard_write(path, games, n, 6, "{\"test\": true}", info, &err) == ROCKS_OK;
  CHECKF(ok, "ds_shard_write %s: %s", path, err.msg);
  return ok;
}

static void test_shards(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/shard-a.npz", scratch);
  const int n = 12;
  ds_game_t *games = malloc(sizeof *games * n), *back = NULL;
  ds_shard_info_t info;
  if (!write_random_shard(path, 7, n, 500, games, &info)) return;
  int64_t want_pos = 0;
  for (int i = 0; i < n; i++) want_pos += ds_game_positions(&games[i]);
  CHECK(info.games == n && info.positions == want_pos && info.bytes > 0);
  char hex[65];
  rocks_error_t err = {0};
  CHECK(ds_sha256_file(path, hex, &err) == ROCKS_OK && !strcmp(hex, info.sha256));
  /* rewriting the same games gives the same bytes */
  char path2[512];
  snprintf(path2, sizeof path2, "%s/shard-a2.npz", scratch);
  ds_shard_info_t info2;
  CHECK(ds_shard_write(path2, games, n, 6, "{\"test\": true}", &info2, &err) == ROCKS_OK && !strcmp(info2.sha256, info.sha256));
  unlink(path2);

  int nb = 0;
  CHECKF(ds_shard_read_games(path, &back, &nb, &err) == ROCKS_OK && nb == n, "read games: %s", err.msg);
  for (int i = 0; i < nb && i < n; i++) CHECKF(games_equal(&games[i], &back[i]), "game %d differs after the round trip", i);
  free(back);

  int64_t count = 0;
  int size = 0;
  CHECK(ds_shard_count(path, &count, &size, &err) == ROCKS_OK && count == want_pos && size == 7);

  /* every stored record == the record of the replayed position */
  ds_shard_t s;
  if (!CHECKF(ds_shard_load(path, &s, &err) == ROCKS_OK, "load: %s", err.msg)) return;
  CHECK(s.n == want_pos && s.size == 7 && s.policy_dist == NULL);
  board_t *b = malloc(sizeof *b);
  ds_record_t *r1 = malloc(sizeof *r1), *r2 = malloc(sizeof *r2);
  float fa[FEAT_MAX_PLANES * 49], fb[FEAT_MAX_PLANES * 49];
  int64_t row = 0, bad = 0;
  for (int i = 0; i < n; i++) {
    ds_game_t setup = games[i];
    setup.nmoves = 0;
    ds_game_replay(&setup, b, 0, NULL);
    for (int m = 0; m < games[i].nmoves; m++) {
      if (games[i].colors[m] != b->to_play) board_set_to_play(b, games[i].colors[m]);
      if (m >= games[i].first_target) {
        ds_record_from_board(b, r1);
        ds_shard_record(&s, row, r2);
        for (int set = 0; set < 2; set++) {
          ds_record_features(r1, (feat_set_t)set, fa);
          ds_record_features(r2, (feat_set_t)set, fb);
          if (!planes_equal(fa, fb, (size_t)feat_planes((feat_set_t)set) * 49)) bad++;
        }
        float z = games[i].winner == COLOR_EMPTY ? 0.0f : games[i].winner == b->to_play ? 1.0f : -1.0f;
        if (r2->policy != games[i].moves[m] || r2->z != z || s.game_id[row] != games[i].id || r2->komi != 7.5f) bad++;
        row++;
      }
      board_play(b, games[i].colors[m], board_policy_point(b, games[i].moves[m]), NULL);
    }
  }
  CHECKF(bad == 0 && row == s.n, "%lld mismatching records of %lld", (long long)bad, (long long)row);
  ds_shard_free(&s);

  /* numpy-visible metadata */
  npz_t *z = npz_open(path, &err);
  npz_array_t meta;
  CHECK(z && npz_read_expect(z, "meta", NPZ_BYTES, 0, &meta, &err) == ROCKS_OK && strstr(meta.data, "rocks-shard-v1") &&
        strstr(meta.data, "\"test\""));
  npz_array_free(&meta);
  npz_close(z);

  /* truncated shard: an error, never a crash */
  size_t len = (size_t)info.bytes;
  FILE *f = fopen(path, "rb");
  char *buf = malloc(len);
  CHECK(f && fread(buf, 1, len, f) == len);
  if (f) fclose(f);
  char bad_path[512];
  snprintf(bad_path, sizeof bad_path, "%s/bad-shard.npz", scratch);
  int errors = 0, tries = 0;
  for (size_t cut = 0; cut < len; cut += len / 97 + 1, tries++) {
    unlink(bad_path);
    f = fopen(bad_path, "wb");
    fwrite(buf, 1, cut, f);
    fclose(f);
    ds_shard_t t;
    if (ds_shard_load(bad_path, &t, &err) != ROCKS_OK) errors++;
    else ds_shard_free(&t);
  }
  CHECKF(errors == tries, "%d of %d truncated shards loaded", tries - errors, tries);
  free(buf);

  /* a shard with an invalid value is rejected with a reason */
  npz_writer_t *w = npz_writer_open(bad_path, 0, &err);
  z = npz_open(path, &err);
  for (int i = 0; z && i < npz_count(z); i++) {
    npz_array_t a;
    npz_read(z, npz_name(z, i), &a, &err);
    if (!strcmp(a.name, "to_play")) ((uint8_t *)a.data)[0] = 3;
    npz_writer_add(w, a.name, a.dtype, a.itemsize, a.ndim, a.shape, a.data, &err);
    npz_array_free(&a);
  }
  npz_close(z);
  CHECK(npz_writer_close(w, &err) == ROCKS_OK);
  ds_shard_t t;
  CHECKF(ds_shard_load(bad_path, &t, &err) == ROCKS_ERR_PARSE && strstr(err.msg, "to_play"), "bad to_play: %s", err.msg);

  /* self-play style targets: a visit distribution (policy_dist) replaces the one-hot target;
   * every odd row has no single move (policy -1). The loader moves it with the symmetry. */
  char dist_dir[300], dist_path[512];
  snprintf(dist_dir, sizeof dist_dir, "%s/dist", scratch);
  snprintf(dist_path, sizeof dist_path, "%s/shard-000000.npz", dist_dir);
  CHECK(ds_mkdirs(dist_dir, &err) == ROCKS_OK);
  w = npz_writer_open(dist_path, 6, &err);
  z = npz_open(path, &err);
  int64_t np_ = 0;
  float *dist = NULL;
  for (int i = 0; z && i < npz_count(z); i++) {
    npz_array_t a;
    npz_read(z, npz_name(z, i), &a, &err);
    if (!strcmp(a.name, "policy")) {
      np_ = a.shape[0];
      dist = calloc((size_t)np_ * 50, sizeof *dist);
      for (int64_t k = 0; k < np_; k++) {
        int16_t *pol = a.data;
        dist[k * 50 + pol[k]] = 0.75f; /* most visits on the move played */
        dist[k * 50 + (pol[k] + 1 + k % 7) % 50] += 0.25f;
        if (k % 2) pol[k] = -1;
      }
    }
    npz_writer_add(w, a.name, a.dtype, a.itemsize, a.ndim, a.shape, a.data, &err);
    npz_array_free(&a);
  }
  npz_close(z);
  CHECK(dist && npz_writer_add2(w, "policy_dist", NPZ_F32, np_, 50, dist, &err) == ROCKS_OK);
  CHECK(npz_writer_close(w, &err) == ROCKS_OK);
  char *dp[1] = {dist_path};
  ds_loader_config_t lc = ds_loader_config_default();
  lc.batch = 8, lc.seed = 3, lc.prefetch = 0;
  ds_loader_t *l = ds_loader_open(dp, 1, &lc, &err);
  int dist_bad = 0, seen_minus = 0;
  for (int it = 0; l && it < 20; it++) {
    const ds_batch_t *bt;
    if (!CHECK(ds_loader_next(l, &bt, &err) == ROCKS_OK)) break;
    for (int k = 0; k < bt->n; k++) {
      float want[50];
      ds_sym_policy(want, dist + bt->index[k] * 50, 7, bt->sym[k]);
      if (!planes_equal(want, bt->policy + (size_t)k * 50, 50)) dist_bad++;
      if (bt->index[k] % 2) seen_minus += bt->target[k] == -1;
      else if (bt->target[k] < 0 || want[bt->target[k]] != 0.75f) dist_bad++;
    }
  }
  CHECKF(l && dist_bad == 0 && seen_minus > 0, "policy_dist targets: %d wrong (%s)", dist_bad, err.msg);
  ds_loader_close(l);
  free(dist);

  free(b), free(r1), free(r2), free(games);
}

static void test_sha256(void) {
  char hex[65];
  ds_sha256("", 0, hex);
  CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  ds_sha256("abc", 3, hex);
  CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  ds_sha256(m, strlen(m), hex);
  CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

static void test_sgf_games(void) {
  struct { const char *sgf; int ok; const char *why; } cases[] = {
      {"(;SZ[9]KM[7.5]RE[B+2.5];B[ee];W[cc];B[gg];W[];B[])", 1, NULL},
      {"(;SZ[9]KM[6.5]HA[2]AB[cc][gg]RE[W+R];W[ee];B[ce])", 1, NULL},
      {"(;SZ[9]RE[0];B[ee];W[cc])", 1, NULL},
      {"(;SZ[9];B[ee];W[cc])", 0, "no result"},
      {"(;SZ[9]RE[Void];B[ee];W[cc])", 0, "names no winner"},
      {"(;SZ[9]RE[?];B[ee];W[cc])", 0, "names no winner"},
      {"(;SZ[9]RE[B+1];B[ee];W[ee])", 0, "move 2"},
      {"(;SZ[9]RE[B+1];B[ee];AB[aa];W[cc])", 0, "setup"},
      {"(;SZ[9]RE[B+1];B[ee];AE[ee];W[cc])", 0, "AE"},
      {"(;SZ[9]RE[B+1])", 0, "no moves"},
      {"(;SZ[25]RE[B+1];B[aa])", 0, "size"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sgf_game_t *gs = NULL;
    int n = 0;
    rocks_error_t err = {0};
    if (sgf_parse(cases[i].sgf, strlen(cases[i].sgf), &gs, &n, &err) != ROCKS_OK) {
      CHECKF(!cases[i].ok, "case %zu: parse error %s", i, err.msg);
      continue;
    }
    ds_game_t g;
    rocks_status_t st = ds_game_from_sgf(&gs[0], board_rules_chinese(), &g, &err);
    if (cases[i].ok) {
      CHECKF(st == ROCKS_OK, "case %zu: %s", i, err.msg);
    } else {
      CHECKF(st != ROCKS_OK && strstr(err.msg, cases[i].why), "case %zu: expected '%s', got '%s'", i, cases[i].why, err.msg);
    }
    if (i == 0) CHECK(g.nmoves == 5 && g.moves[3] == 81 && g.winner == COLOR_BLACK && g.score == 2.5f && g.komi == 7.5f);
    if (i == 1) CHECK(g.nsetup == 2 && g.winner == COLOR_WHITE && isnan(g.score) && g.colors[0] == COLOR_WHITE);
    if (i == 2) CHECK(g.winner == COLOR_EMPTY);
    sgf_games_free(gs, n);
  }
}

/* --------------------------------------------------------------------------- symmetries -- */

static void test_symmetries(void) {
  const int N = 9;
  /* the 8 images of the point (x=1, y=0) are 8 different points, the expected ones */
  int seen[81] = {0};
  const int want[8] = {1, 7, 73, 79, 9, 17, 63, 71}; /* sym 0..7 */
  for (int s = 0; s < 8; s++) {
    int p = ds_sym_point(N, s, 1);
    CHECKF(p == want[s], "sym %d maps (1,0) to %d, want %d", s, p, want[s]);
    seen[p]++;
    CHECK(ds_sym_point(N, s, N * N) == N * N); /* pass stays pass */
    int inv = ds_sym_inverse(s);
    for (int i = 0; i < N * N; i++) CHECK(ds_sym_point(N, inv, ds_sym_point(N, s, i)) == i);
    /* a bijection */
    int hit[81] = {0};
    for (int i = 0; i < N * N; i++) hit[ds_sym_point(N, s, i)]++;
    int ok = 1;
    for (int i = 0; i < N * N; i++) ok &= hit[i] == 1;
    CHECKF(ok, "sym %d is not a bijection", s);
  }
  /* replaying the transformed game gives the transformed planes; the target moves along */
  board_t *b = malloc(sizeof *b), *tb = malloc(sizeof *tb);
  ds_game_t *g = malloc(sizeof *g), *tg = malloc(sizeof *tg);
  float *f = malloc(sizeof(float) * FEAT_MAX_PLANES * 81), *ft = malloc(sizeof(float) * FEAT_MAX_PLANES * 81),
        *fs = malloc(sizeof(float) * FEAT_MAX_PLANES * 81);
  float pol[82], tpol[82], spol[82];
  long bad = 0, positions = 0;
  for (int k = 0; k < 4; k++) {
    random_game(g, N, 900 + (uint64_t)k, k == 1 ? 3 : 0, b);
    for (int s = 0; s < 8; s++) {
      *tg = *g;
      for (int i = 0; i < g->nmoves; i++) tg->moves[i] = (int16_t)ds_sym_point(N, s, g->moves[i]);
      for (int i = 0; i < g->nsetup; i++) tg->setup[i] = (int16_t)ds_sym_point(N, s, g->setup[i]);
      ds_game_t s0 = *g, s1 = *tg;
      s0.nmoves = s1.nmoves = 0;
      ds_game_replay(&s0, b, 0, NULL);
      ds_game_replay(&s1, tb, 0, NULL);
      for (int i = 0; i < g->nmoves; i++) {
        if (g->colors[i] != b->to_play) board_set_to_play(b, g->colors[i]), board_set_to_play(tb, g->colors[i]);
        for (int set = 0; set < 2; set++) {
          int P = feat_planes((feat_set_t)set);
          feat_encode(b, (feat_set_t)set, f);
          feat_encode(tb, (feat_set_t)set, ft);
          ds_sym_planes(fs, f, P, N, s);
          if (!planes_equal(fs, ft, (size_t)P * 81)) bad++;
        }
        memset(pol, 0, sizeof pol);
        memset(tpol, 0, sizeof tpol);
        pol[g->moves[i]] = 1.0f;
        tpol[tg->moves[i]] = 1.0f;
        ds_sym_policy(spol, pol, N, s);
        if (!planes_equal(spol, tpol, 82)) bad++;
        positions++;
        if (board_play(b, g->colors[i], board_policy_point(b, g->moves[i]), NULL) != ROCKS_OK ||
            board_play(tb, tg->colors[i], board_policy_point(tb, tg->moves[i]), NULL) != ROCKS_OK)
          bad++;
      }
    }
  }
  CHECKF(bad == 0, "%ld symmetry mismatches in %ld positions", bad, positions);
  printf("symmetries: %ld positions x 2 feature sets, transformed games == transformed planes and targets\n", positions);
  free(b), free(tb), free(g), free(tg), free(f), free(ft), free(fs);
}

/* ------------------------------------------------------------------------------ loader -- */

typedef struct {
  int n;
  int64_t first;
  int64_t index[64];
  int sym[64], target[64];
  float value[64];
  uint64_t hash; /* of inputs + policy */
} batch_copy_t;

static void copy_batch(const ds_batch_t *b, batch_copy_t *c, int batch) {
  c->n = b->n;
  c->first = b->first_sample;
  uint64_t h = 0;
  const size_t ni = (size_t)b->n * (size_t)b->planes * (size_t)(b->size * b->size);
  for (size_t i = 0; i < ni; i++) h = rocks_mix64(h ^ (uint64_t)(b->inputs[i] != 0.0f) ^ (i << 1));
  for (size_t i = 0; i < (size_t)b->n * (size_t)(b->size * b->size + 1); i++)
    if (b->policy[i] != 0.0f) h = rocks_mix64(h ^ i);
  c->hash = h;
  for (int k = 0; k < b->n && k < batch; k++) {
    c->index[k] = b->index[k];
    c->sym[k] = b->sym[k];
    c->target[k] = b->target[k];
    c->value[k] = b->value[k];
  }
}

static bool batch_same(const batch_copy_t *a, const batch_copy_t *b) {
  if (a->n != b->n || a->first != b->first || a->hash != b->hash) return false;
  for (int k = 0; k < a->n; k++)
    if (a->index[k] != b->index[k] || a->sym[k] != b->sym[k] || a->target[k] != b->target[k] || a->value[k] != b->value[k]) return false;
  return true;
}

static void test_loader(void) {
  /* a dataset of 3 shards (different sizes) of 7x7 random games */
  char dir[512], path[3][600];
  snprintf(dir, sizeof dir, "%s/dataset", scratch);
  mkdir(dir, 0755);
  ds_game_t *games = malloc(sizeof *games * 10);
  const int ngames[3] = {4, 7, 2};
  for (int s = 0; s < 3; s++) {
    snprintf(path[s], sizeof path[s], "%s/shard-%06d.npz", dir, s);
    if (!write_random_shard(path[s], 7, ngames[s], 1000 + 100 * (uint64_t)s, games, NULL)) return;
  }
  free(games);
  char **paths = NULL;
  int np = 0;
  rocks_error_t err = {0};
  if (!CHECKF(ds_list_shards(dir, &paths, &np, &err) == ROCKS_OK && np == 3, "list: %s", err.msg)) return;
  CHECK(!strcmp(paths[0], path[0]) && !strcmp(paths[2], path[2]));
  /* all records, by global index, for content checks */
  ds_shard_t sh[3];
  int64_t total = 0, start[3];
  for (int s = 0; s < 3; s++) {
    CHECK(ds_shard_load(paths[s], &sh[s], &err) == ROCKS_OK);
    start[s] = total;
    total += sh[s].n;
  }
  const int B = 16;
  ds_loader_config_t c = ds_loader_config_default();
  c.batch = B;
  c.buffer = 50; /* smaller than the dataset: a real shuffle buffer */
  c.seed = 7;
  c.features = FEAT_RICH;
  ds_loader_config_t c0 = c;
  c0.prefetch = 0;
  ds_loader_t *la = ds_loader_open(paths, np, &c, &err), *lb = ds_loader_open(paths, np, &c0, &err);
  if (!CHECKF(la && lb, "open: %s", err.msg)) return;
  CHECK(ds_loader_positions(la) == total && ds_loader_board_size(la) == 7 && ds_loader_planes(la) == 16);
  const int nbatches = (int)(3 * total / B) + 2; /* a little over 3 epochs */
  batch_copy_t *A = calloc((size_t)nbatches, sizeof *A), *Bc = calloc((size_t)nbatches, sizeof *Bc);
  int64_t *seen_count = calloc((size_t)total, sizeof *seen_count);
  int symhist[8] = {0};
  long content_bad = 0;
  ds_record_t *rec = malloc(sizeof *rec);
  float *feat = malloc(sizeof(float) * 16 * 49), *want = malloc(sizeof(float) * 16 * 49);
  for (int i = 0; i < nbatches; i++) {
    const ds_batch_t *b;
    if (!CHECK(ds_loader_next(la, &b, &err) == ROCKS_OK)) break;
    copy_batch(b, &A[i], B);
    CHECK(b->n == B && b->first_sample == (int64_t)i * B && ds_loader_tell(la) == (int64_t)(i + 1) * B);
    for (int k = 0; k < b->n; k++) {
      int64_t sample = b->first_sample + k, g = b->index[k];
      if (sample < total) seen_count[g]++;
      symhist[b->sym[k]]++;
      int s = g >= start[2] ? 2 : g >= start[1] ? 1 : 0;
      ds_shard_record(&sh[s], g - start[s], rec);
      ds_record_features(rec, FEAT_RICH, feat);
      ds_sym_planes(want, feat, 16, 7, b->sym[k]);
      int tgt = ds_sym_point(7, b->sym[k], rec->policy);
      if (!planes_equal(want, b->inputs + (size_t)k * 16 * 49, 16 * 49) || b->target[k] != tgt ||
          b->policy[(size_t)k * 50 + (size_t)tgt] != 1.0f || b->value[k] != rec->z ||
          b->legal_count[k] != ds_record_legal_count(rec))
        content_bad++;
    }
    if (!CHECK(ds_loader_next(lb, &b, &err) == ROCKS_OK)) break;
    copy_batch(b, &Bc[i], B);
    CHECKF(batch_same(&A[i], &Bc[i]), "batch %d: prefetch and synchronous loaders differ", i);
  }
  CHECKF(content_bad == 0, "%ld samples differ from their shard record under the symmetry", content_bad);
  int perm_ok = 1;
  for (int64_t g = 0; g < total; g++) perm_ok &= seen_count[g] == 1;
  CHECKF(perm_ok, "the first epoch is not a permutation of the %lld positions", (long long)total);
  for (int s = 0; s < 8; s++) CHECKF(symhist[s] > 0, "symmetry %d never drawn", s);
  /* the order is shuffled (not the identity) */
  int inorder = 0;
  for (int k = 0; k < B; k++) inorder += A[0].index[k] == k;
  CHECK(inorder < B / 2);

  /* same seed, fresh loader: identical; another seed: different */
  ds_loader_t *lc = ds_loader_open(paths, np, &c, &err);
  c.seed = 8;
  ds_loader_t *ld = ds_loader_open(paths, np, &c, &err);
  c.seed = 7;
  int same = 0, diff = 0;
  for (int i = 0; i < 5; i++) {
    const ds_batch_t *b;
    batch_copy_t t;
    ds_loader_next(lc, &b, &err);
    copy_batch(b, &t, B);
    same += batch_same(&t, &A[i]);
    ds_loader_next(ld, &b, &err);
    copy_batch(b, &t, B);
    diff += !batch_same(&t, &A[i]);
  }
  CHECK(same == 5 && diff == 5);

  /* seek: to batch boundaries, into later epochs, and to unaligned samples */
  const int64_t targets[] = {0, 3 * B, total, total + 5, 2 * total - 1, 2 * total + 7 * B, 5};
  for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
    int64_t at = targets[t];
    for (int pass = 0; pass < 2; pass++) {
      ds_loader_t *l = pass ? lc : lb;
      if (!CHECK(ds_loader_seek(l, at, &err) == ROCKS_OK && ds_loader_tell(l) == at)) continue;
      const ds_batch_t *b;
      CHECK(ds_loader_next(l, &b, &err) == ROCKS_OK && b->first_sample == at);
      /* compare with the reference stream sample by sample */
      int ok = 1;
      for (int k = 0; k < b->n; k++) {
        int64_t sidx = at + k;
        int64_t bi = sidx / B, bk = sidx % B;
        if (bi >= nbatches) continue;
        ok &= A[bi].index[bk] == b->index[k] && A[bi].sym[bk] == b->sym[k];
      }
      CHECKF(ok, "seek to %lld (%s): the stream differs", (long long)at, pass ? "prefetch" : "sync");
    }
  }
  ds_loader_close(lc);
  ds_loader_close(ld);

  /* evaluation: file order, identity symmetry, a short last batch per epoch */
  ds_loader_config_t ce = ds_loader_config_default();
  ce.batch = 7;
  ce.shuffle = 0;
  ce.symmetries = 0;
  ce.partial_last = 1;
  ce.features = FEAT_AGZ;
  ds_loader_t *le = ds_loader_open(paths, np, &ce, &err);
  int64_t next = 0;
  int nb = 0, ok = 1;
  while (next < total) {
    const ds_batch_t *b;
    if (!CHECK(ds_loader_next(le, &b, &err) == ROCKS_OK)) break;
    for (int k = 0; k < b->n; k++) ok &= b->index[k] == next + k && b->sym[k] == 0;
    ok &= b->n == (next + 7 <= total ? 7 : (int)(total - next));
    next += b->n;
    nb++;
  }
  CHECKF(ok && nb == (int)((total + 6) / 7), "evaluation batches wrong (%d batches)", nb);
  const ds_batch_t *b;
  CHECK(ds_loader_next(le, &b, &err) == ROCKS_OK && b->index[0] == 0 && b->epoch == 1); /* wraps */
  ds_loader_close(le);

  /* bad configurations */
  ce.batch = 0;
  CHECK(ds_loader_open(paths, np, &ce, &err) == NULL && err.code == ROCKS_ERR_ARG);
  printf("loader: %lld positions in 3 shards, %d batches x2 identical, seeks ok\n", (long long)total, nbatches);

  ds_loader_close(la);
  ds_loader_close(lb);
  for (int s = 0; s < 3; s++) ds_shard_free(&sh[s]);
  ds_paths_free(paths, np);
  free(A), free(Bc), free(seen_count), free(rec), free(feat), free(want);
}

/* test_ds --random-dataset DIR SIZE GAMES SEED: a dataset of random games (DIR/shards/), for
 * the training tests (no GNU Go needed). */
static int random_dataset(const char *dir, int size, int ngames, uint64_t seed) {
  char path[600];
  rocks_error_t err = {0};
  snprintf(path, sizeof path, "%s/shards", dir);
  if (ds_mkdirs(path, &err) != ROCKS_OK) return fprintf(stderr, "%s\n", err.msg), 1;
  ds_game_t *games = malloc(sizeof *games * 16);
  board_t *b = malloc(sizeof *b);
  for (int s = 0; s * 16 < ngames; s++) {
    int n = ngames - s * 16 < 16 ? ngames - s * 16 : 16;
    for (int i = 0; i < n; i++) random_game(&games[i], size, seed * 100000 + (uint64_t)(s * 16 + i), 0, b);
    snprintf(path, sizeof path, "%s/shards/shard-%06d.npz", dir, s);
    if (ds_shard_write(path, games, n, 1, NULL, NULL, &err) != ROCKS_OK) return fprintf(stderr, "%s\n", err.msg), 1;
  }
  free(games);
  free(b);
  return 0;
}

/* test_ds --stream DATA SEED BUFFER FEATURES N: the loader's first N samples, one line each:
 * "index sym target value legal_count checksum" (checksum = sum_i inputs[i] * (i % 97 + 1)),
 * for tests/train/stream_twin.py (the PyTorch twin's re-implementation must print the same). */
static int dump_stream(const char *data, uint64_t seed, long buffer, const char *features, long n) {
  char **paths;
  int np;
  rocks_error_t err = {0};
  ds_loader_config_t c = ds_loader_config_default();
  c.seed = seed;
  c.buffer = buffer;
  c.batch = 32;
  if (feat_from_name(features, &c.features, &err) != ROCKS_OK || ds_list_shards(data, &paths, &np, &err) != ROCKS_OK)
    return fprintf(stderr, "%s\n", err.msg), 1;
  ds_loader_t *l = ds_loader_open(paths, np, &c, &err);
  if (!l) return fprintf(stderr, "%s\n", err.msg), 1;
  const int P = ds_loader_planes(l), NN = ds_loader_board_size(l) * ds_loader_board_size(l);
  for (long done = 0; done < n;) {
    const ds_batch_t *b;
    if (ds_loader_next(l, &b, &err) != ROCKS_OK) return fprintf(stderr, "%s\n", err.msg), 1;
    for (int k = 0; k < b->n && done < n; k++, done++) {
      double sum = 0;
      const float *x = b->inputs + (size_t)k * (size_t)P * (size_t)NN;
      for (int i = 0; i < P * NN; i++) sum += x[i] * (double)(i % 97 + 1);
      printf("%lld %d %d %g %d %.0f\n", (long long)b->index[k], b->sym[k], b->target[k], (double)b->value[k],
             b->legal_count[k], sum);
    }
  }
  ds_loader_close(l);
  ds_paths_free(paths, np);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 7 && !strcmp(argv[1], "--stream"))
    return dump_stream(argv[2], strtoull(argv[3], NULL, 10), atol(argv[4]), argv[5], atol(argv[6]));
  if (argc == 6 && !strcmp(argv[1], "--random-dataset"))
    return random_dataset(argv[2], atoi(argv[3]), atoi(argv[4]), (uint64_t)atoll(argv[5]));
  if (argc != 2) {
    fprintf(stderr, "usage: test_ds SCRATCH_DIR | --random-dataset DIR SIZE GAMES SEED | --stream DATA SEED BUFFER FEAT N\n");
    return 2;
  }
  snprintf(scratch, sizeof scratch, "%.200s/test_ds.d", argv[1]);
  mkdir(scratch, 0755);
  test_sha256();
  test_records();
  test_shards();
  test_sgf_games();
  test_symmetries();
  test_loader();
  return check_report("test_ds");
}
