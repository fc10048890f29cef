/* shard.c — .npz shards of whole games: writing (replay -> records), reading games back,
 * loading the position arrays for the loader, listing a dataset's shards (ds.h,
 * docs/data-format.md). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/ds.h"
#include "data/npz.h"

static uint8_t rules_bits_(board_rules_t r) { return (uint8_t)((r.suicide ? 1 : 0) | (r.ko == BOARD_KO_POSITIONAL ? 2 : 0)); }
static board_rules_t rules_from_bits_(uint8_t v) {
  board_rules_t r = board_rules_tromp_taylor();
  r.suicide = v & 1;
  r.ko = v & 2 ? BOARD_KO_POSITIONAL : BOARD_KO_SIMPLE;
  return r;
}

/* ============================================================================== writing === */

static void pack2_(uint8_t *dst, const uint8_t *colors, int nn) {
  memset(dst, 0, (size_t)ds_packed2_bytes(nn));
  for (int i = 0; i < nn; i++) dst[i >> 2] |= (uint8_t)((colors[i] & 3) << (2 * (i & 3)));
}

static void pack1_(uint8_t *dst, const uint8_t *bits, int nn) {
  memset(dst, 0, (size_t)ds_packed1_bytes(nn));
  for (int i = 0; i < nn; i++) dst[i >> 3] |= (uint8_t)((bits[i] & 1) << (i & 7));
}

typedef struct {
  int64_t P, G, M, S;
  int32_t *game;
  int64_t *game_id;
  int16_t *move_number, *ko, *last_moves, *policy;
  uint8_t *size, *to_play, *stones, *legal;
  float *komi, *z;
  int64_t *g_id, *g_move_start, *g_setup_start;
  uint8_t *g_size, *g_rules, *g_winner, *g_move_color, *g_setup_color;
  float *g_komi, *g_score;
  int32_t *g_first_target, *g_nmoves;
  int16_t *g_moves, *g_setup;
  uint64_t *g_seed, *g_hash;
  char *g_source, *g_result;
} shard_arrays_t;

static void arrays_free_(shard_arrays_t *a) {
  void *ptrs[] = {a->game, a->game_id, a->move_number, a->ko, a->last_moves, a->policy, a->size, a->to_play, a->stones,
                  a->legal, a->komi, a->z, a->g_id, a->g_move_start, a->g_setup_start, a->g_size, a->g_rules,
                  a->g_winner, a->g_move_color, a->g_setup_color, a->g_komi, a->g_score, a->g_first_target,
                  a->g_nmoves, a->g_moves, a->g_setup, a->g_seed, a->g_hash, a->g_source, a->g_result};
  for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) free(ptrs[i]);
}

static char *meta_json_(const char *source_json, int size, int64_t games, int64_t positions, rocks_error_t *err) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "format", DS_FORMAT);
  cJSON_AddNumberToObject(o, "board_size", size);
  cJSON_AddNumberToObject(o, "games", (double)games);
  cJSON_AddNumberToObject(o, "positions", (double)positions);
  cJSON_AddStringToObject(o, "writer", "rocks " ROCKS_VERSION);
  if (source_json) {
    cJSON *src = cJSON_Parse(source_json);
    if (!src) {
      cJSON_Delete(o);
      rocks_fail(err, ROCKS_ERR_ARG, "shard metadata is not valid JSON");
      return NULL;
    }
    cJSON_AddItemToObject(o, "source", src);
  }
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!s) rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  return s;
}

rocks_status_t ds_shard_write(const char *path, const ds_game_t *games, int ngames, int compress_level,
                              const char *meta_json, ds_shard_info_t *info, rocks_error_t *err) {
  return ds_shard_write_targets(path, games, NULL, ngames, compress_level, meta_json, info, err);
}

/* Is position i of game g a training position? */
static int is_target_(const ds_game_t *g, const ds_game_targets_t *t, int i) {
  if (t && t->train) return t->train[i] != 0;
  return i >= g->first_target;
}

rocks_status_t ds_shard_write_targets(const char *path, const ds_game_t *games, const ds_game_targets_t *targets,
                                      int ngames, int compress_level, const char *meta_json, ds_shard_info_t *info,
                                      rocks_error_t *err) {
  const int N = ngames ? games[0].size : BOARD_MIN_SIZE, NN = N * N;
  const int B2 = ds_packed2_bytes(NN), B1 = ds_packed1_bytes(NN);
  shard_arrays_t a;
  memset(&a, 0, sizeof a);
  a.G = ngames;
  for (int g = 0; g < ngames; g++) {
    if (games[g].size != N) return rocks_fail(err, ROCKS_ERR_ARG, "%s: games of sizes %d and %d in one shard", path, N, games[g].size);
    if (games[g].nmoves < 0 || games[g].nmoves > DS_MAX_MOVES || games[g].nsetup < 0 || games[g].nsetup > DS_MAX_NN)
      return rocks_fail(err, ROCKS_ERR_ARG, "%s: game %d: bad move or setup count", path, g);
    if (targets && targets[g].train)
      for (int i = 0; i < games[g].nmoves; i++) a.P += targets[g].train[i] != 0;
    else a.P += ds_game_positions(&games[g]);
    a.M += games[g].nmoves;
    a.S += games[g].nsetup;
  }
  const size_t P = (size_t)a.P, G = (size_t)a.G;
#define ALLOC_(f, n) (a.f = calloc((size_t)(n) + 1, sizeof *a.f))
  ALLOC_(game, P), ALLOC_(game_id, P), ALLOC_(move_number, P), ALLOC_(ko, P), ALLOC_(last_moves, 3 * P), ALLOC_(policy, P);
  ALLOC_(size, P), ALLOC_(to_play, P), ALLOC_(stones, P * DS_HISTORY * (size_t)B2), ALLOC_(legal, P * (size_t)B1);
  ALLOC_(komi, P), ALLOC_(z, P), ALLOC_(g_id, G), ALLOC_(g_move_start, G + 1), ALLOC_(g_setup_start, G + 1);
  ALLOC_(g_size, G), ALLOC_(g_rules, G), ALLOC_(g_winner, G), ALLOC_(g_move_color, a.M), ALLOC_(g_setup_color, a.S);
  ALLOC_(g_komi, G), ALLOC_(g_score, G), ALLOC_(g_first_target, G), ALLOC_(g_nmoves, G), ALLOC_(g_moves, a.M);
  ALLOC_(g_setup, a.S), ALLOC_(g_seed, G), ALLOC_(g_hash, G);
#undef ALLOC_
  int with_dist = 0;
  for (int g = 0; targets && g < ngames; g++) with_dist |= targets[g].dist != NULL;
  float *policy_dist = with_dist ? calloc(P * (size_t)(NN + 1) + 1, sizeof *policy_dist) : NULL;
  a.g_source = calloc(G ? G : 1, DS_SOURCE_MAX);
  a.g_result = calloc(G ? G : 1, 32);
  board_t *b = malloc(sizeof *b);
  ds_record_t *r = malloc(sizeof *r);
  rocks_status_t st = ROCKS_OK;
  if (!b || !r || (with_dist && !policy_dist) || !a.game || !a.game_id || !a.move_number || !a.ko || !a.last_moves || !a.policy || !a.size ||
      !a.to_play || !a.stones || !a.legal || !a.komi || !a.z || !a.g_id || !a.g_move_start || !a.g_setup_start ||
      !a.g_size || !a.g_rules || !a.g_winner || !a.g_move_color || !a.g_setup_color || !a.g_komi || !a.g_score ||
      !a.g_first_target || !a.g_nmoves || !a.g_moves || !a.g_setup || !a.g_seed || !a.g_hash || !a.g_source || !a.g_result) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto done;
  }
  int64_t p = 0, m = 0, s = 0;
  for (int g = 0; g < ngames && st == ROCKS_OK; g++) {
    const ds_game_t *gm = &games[g];
    a.g_id[g] = gm->id;
    a.g_size[g] = (uint8_t)gm->size;
    a.g_komi[g] = gm->komi;
    a.g_rules[g] = rules_bits_(gm->rules);
    a.g_score[g] = gm->score;
    a.g_winner[g] = (uint8_t)gm->winner;
    a.g_first_target[g] = gm->first_target;
    a.g_nmoves[g] = gm->nmoves;
    a.g_seed[g] = gm->seed;
    a.g_hash[g] = ds_game_hash(gm);
    strncpy(a.g_source + (size_t)g * DS_SOURCE_MAX, gm->source, DS_SOURCE_MAX);
    strncpy(a.g_result + (size_t)g * 32, gm->result, 32);
    a.g_move_start[g] = m;
    a.g_setup_start[g] = s;
    for (int i = 0; i < gm->nmoves; i++, m++) a.g_moves[m] = gm->moves[i], a.g_move_color[m] = gm->colors[i];
    for (int i = 0; i < gm->nsetup; i++, s++) a.g_setup[s] = gm->setup[i], a.g_setup_color[s] = gm->setup_colors[i];
    /* replay, one record per training position */
    rocks_error_t e2 = {0};
    ds_game_t setup_only = *gm;
    setup_only.nmoves = 0;
    if (ds_game_replay(&setup_only, b, 0, &e2) != ROCKS_OK) {
      st = rocks_fail(err, ROCKS_ERR_ILLEGAL, "%s: game %lld: %s", path, (long long)gm->id, e2.msg);
      break;
    }
    for (int i = 0; i < gm->nmoves; i++) {
      int c = gm->colors[i];
      if (gm->moves[i] < 0 || gm->moves[i] > NN || (c != COLOR_BLACK && c != COLOR_WHITE)) {
        st = rocks_fail(err, ROCKS_ERR_ARG, "%s: game %lld move %d: bad point or colour", path, (long long)gm->id, i + 1);
        break;
      }
      if (c != b->to_play) board_set_to_play(b, c);
      if (is_target_(gm, targets ? &targets[g] : NULL, i)) {
        ds_record_from_board(b, r);
        if (with_dist) {
          float *d = policy_dist + (size_t)p * (size_t)(NN + 1);
          if (targets[g].dist) memcpy(d, targets[g].dist + (size_t)i * (size_t)(NN + 1), (size_t)(NN + 1) * sizeof *d);
          else d[gm->moves[i]] = 1.0f;
        }
        a.game[p] = g;
        a.game_id[p] = gm->id;
        a.move_number[p] = (int16_t)i;
        a.size[p] = (uint8_t)N;
        a.to_play[p] = (uint8_t)c;
        a.komi[p] = gm->komi;
        for (int t = 0; t < DS_HISTORY; t++) pack2_(a.stones + ((size_t)p * DS_HISTORY + (size_t)t) * (size_t)B2, r->colors[t], NN);
        a.ko[p] = (int16_t)r->ko;
        for (int k = 0; k < 3; k++) a.last_moves[3 * p + k] = (int16_t)r->last[k];
        pack1_(a.legal + (size_t)p * (size_t)B1, r->legal, NN);
        a.policy[p] = gm->moves[i];
        a.z[p] = gm->winner == COLOR_EMPTY ? 0.0f : gm->winner == c ? 1.0f : -1.0f;
        p++;
      }
      if (board_play(b, c, board_policy_point(b, gm->moves[i]), &e2) != ROCKS_OK) {
        st = rocks_fail(err, ROCKS_ERR_ILLEGAL, "%s: game %lld move %d: %s", path, (long long)gm->id, i + 1, e2.msg);
        break;
      }
    }
  }
  if (st != ROCKS_OK) goto done;
  a.g_move_start[G] = m;
  a.g_setup_start[G] = s;

  char *meta = meta_json_(meta_json, N, a.G, a.P, err);
  if (!meta) {
    st = err && err->code ? err->code : ROCKS_ERR_NOMEM;
    goto done;
  }
  npz_writer_t *w = npz_writer_open(path, compress_level, err);
  if (!w) {
    free(meta);
    st = ROCKS_ERR_IO;
    goto done;
  }
  int64_t sh3[3] = {a.P, DS_HISTORY, B2};
  size_t mlen = strlen(meta);
  if ((st = npz_writer_add(w, "meta", NPZ_BYTES, mlen ? mlen : 1, 0, NULL, meta, err)) ||
      (st = npz_writer_add1(w, "game", NPZ_I32, a.P, a.game, err)) ||
      (st = npz_writer_add1(w, "game_id", NPZ_I64, a.P, a.game_id, err)) ||
      (st = npz_writer_add1(w, "move_number", NPZ_I16, a.P, a.move_number, err)) ||
      (st = npz_writer_add1(w, "size", NPZ_U8, a.P, a.size, err)) ||
      (st = npz_writer_add1(w, "to_play", NPZ_U8, a.P, a.to_play, err)) ||
      (st = npz_writer_add1(w, "komi", NPZ_F32, a.P, a.komi, err)) ||
      (st = npz_writer_add(w, "stones", NPZ_U8, 0, 3, sh3, a.stones, err)) ||
      (st = npz_writer_add1(w, "ko", NPZ_I16, a.P, a.ko, err)) ||
      (st = npz_writer_add2(w, "last_moves", NPZ_I16, a.P, 3, a.last_moves, err)) ||
      (st = npz_writer_add2(w, "legal", NPZ_U8, a.P, B1, a.legal, err)) ||
      (st = npz_writer_add1(w, "policy", NPZ_I16, a.P, a.policy, err)) ||
      (st = npz_writer_add1(w, "z", NPZ_F32, a.P, a.z, err)) ||
      (with_dist && (st = npz_writer_add2(w, "policy_dist", NPZ_F32, a.P, NN + 1, policy_dist, err))) ||
      (st = npz_writer_add1(w, "g_id", NPZ_I64, a.G, a.g_id, err)) ||
      (st = npz_writer_add1(w, "g_size", NPZ_U8, a.G, a.g_size, err)) ||
      (st = npz_writer_add1(w, "g_komi", NPZ_F32, a.G, a.g_komi, err)) ||
      (st = npz_writer_add1(w, "g_rules", NPZ_U8, a.G, a.g_rules, err)) ||
      (st = npz_writer_add1(w, "g_score", NPZ_F32, a.G, a.g_score, err)) ||
      (st = npz_writer_add1(w, "g_winner", NPZ_U8, a.G, a.g_winner, err)) ||
      (st = npz_writer_add1(w, "g_first_target", NPZ_I32, a.G, a.g_first_target, err)) ||
      (st = npz_writer_add1(w, "g_nmoves", NPZ_I32, a.G, a.g_nmoves, err)) ||
      (st = npz_writer_add1(w, "g_move_start", NPZ_I64, a.G + 1, a.g_move_start, err)) ||
      (st = npz_writer_add1(w, "g_moves", NPZ_I16, a.M, a.g_moves, err)) ||
      (st = npz_writer_add1(w, "g_move_color", NPZ_U8, a.M, a.g_move_color, err)) ||
      (st = npz_writer_add1(w, "g_setup_start", NPZ_I64, a.G + 1, a.g_setup_start, err)) ||
      (st = npz_writer_add1(w, "g_setup", NPZ_I16, a.S, a.g_setup, err)) ||
      (st = npz_writer_add1(w, "g_setup_color", NPZ_U8, a.S, a.g_setup_color, err)) ||
      (st = npz_writer_add1(w, "g_seed", NPZ_U64, a.G, a.g_seed, err)) ||
      (st = npz_writer_add1(w, "g_hash", NPZ_U64, a.G, a.g_hash, err)) ||
      (st = npz_writer_add(w, "g_source", NPZ_BYTES, DS_SOURCE_MAX, 1, &a.G, a.g_source, err)) ||
      (st = npz_writer_add(w, "g_result", NPZ_BYTES, 32, 1, &a.G, a.g_result, err))) {
    npz_writer_abort(w);
    free(meta);
    goto done;
  }
  free(meta);
  if ((st = npz_writer_close(w, err)) != ROCKS_OK) goto done;
  if (info) {
    memset(info, 0, sizeof *info);
    info->games = ngames;
    info->positions = a.P;
    struct stat sb;
    if (stat(path, &sb) == 0) info->bytes = (int64_t)sb.st_size;
    st = ds_sha256_file(path, info->sha256, err);
  }
done:
  arrays_free_(&a);
  free(policy_dist);
  free(b);
  free(r);
  return st;
}

/* ============================================================================== reading === */

typedef struct {
  const char *name;
  npz_dtype_t dtype;
  int ndim;
  npz_array_t arr;
} want_t;

#define W_(n, t, d) {.name = (n), .dtype = (t), .ndim = (d)}

/* Reads every wanted array; all-or-nothing. */
static rocks_status_t read_all_(npz_t *z, want_t *w, int n, rocks_error_t *err) {
  for (int i = 0; i < n; i++) {
    memset(&w[i].arr, 0, sizeof w[i].arr);
    rocks_status_t st = npz_read_expect(z, w[i].name, w[i].dtype, w[i].ndim, &w[i].arr, err);
    if (st != ROCKS_OK) {
      for (int k = 0; k < i; k++) npz_array_free(&w[k].arr);
      return st;
    }
  }
  return ROCKS_OK;
}

static void free_all_(want_t *w, int n) {
  for (int i = 0; i < n; i++) npz_array_free(&w[i].arr);
}

rocks_status_t ds_shard_read_games(const char *path, ds_game_t **games, int *ngames, rocks_error_t *err) {
  *games = NULL;
  *ngames = 0;
  npz_t *z = npz_open(path, err);
  if (!z) return err && err->code ? err->code : ROCKS_ERR_IO;
  enum { ID, SIZE, KOMI, RULES, SCORE, WIN, FIRST, NMOV, MSTART, MOVES, MCOL, SSTART, SETUP, SCOL, SEED, SRC, RES, NW };
  want_t w[NW] = {
      [ID] = W_("g_id", NPZ_I64, 1),          [SIZE] = W_("g_size", NPZ_U8, 1),
      [KOMI] = W_("g_komi", NPZ_F32, 1),      [RULES] = W_("g_rules", NPZ_U8, 1),
      [SCORE] = W_("g_score", NPZ_F32, 1),    [WIN] = W_("g_winner", NPZ_U8, 1),
      [FIRST] = W_("g_first_target", NPZ_I32, 1), [NMOV] = W_("g_nmoves", NPZ_I32, 1),
      [MSTART] = W_("g_move_start", NPZ_I64, 1), [MOVES] = W_("g_moves", NPZ_I16, 1),
      [MCOL] = W_("g_move_color", NPZ_U8, 1), [SSTART] = W_("g_setup_start", NPZ_I64, 1),
      [SETUP] = W_("g_setup", NPZ_I16, 1),    [SCOL] = W_("g_setup_color", NPZ_U8, 1),
      [SEED] = W_("g_seed", NPZ_U64, 1),      [SRC] = W_("g_source", NPZ_BYTES, 1),
      [RES] = W_("g_result", NPZ_BYTES, 1),
  };
  rocks_status_t st = read_all_(z, w, NW, err);
  npz_close(z);
  if (st != ROCKS_OK) return st;
  const int64_t G = w[ID].arr.shape[0];
  for (int i = 0; i < NW; i++) {
    int64_t want = i == MSTART || i == SSTART ? G + 1 : i == MOVES || i == MCOL ? w[MOVES].arr.shape[0]
                 : i == SETUP || i == SCOL ? w[SETUP].arr.shape[0] : G;
    if (w[i].arr.shape[0] != want) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: %s has %lld entries, expected %lld", path, w[i].name,
                      (long long)w[i].arr.shape[0], (long long)want);
      goto out;
    }
  }
  if (G > 10000000) {
    st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: %lld games", path, (long long)G);
    goto out;
  }
  ds_game_t *gs = calloc(G ? (size_t)G : 1, sizeof *gs);
  if (!gs) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto out;
  }
  const int64_t *ms = w[MSTART].arr.data, *ss = w[SSTART].arr.data;
  const int64_t M = w[MOVES].arr.shape[0], S = w[SETUP].arr.shape[0];
  for (int64_t g = 0; g < G; g++) {
    ds_game_t *x = &gs[g];
    x->id = ((int64_t *)w[ID].arr.data)[g];
    x->size = ((uint8_t *)w[SIZE].arr.data)[g];
    x->komi = ((float *)w[KOMI].arr.data)[g];
    x->rules = rules_from_bits_(((uint8_t *)w[RULES].arr.data)[g]);
    x->score = ((float *)w[SCORE].arr.data)[g];
    x->winner = ((uint8_t *)w[WIN].arr.data)[g];
    x->first_target = ((int32_t *)w[FIRST].arr.data)[g];
    x->nmoves = ((int32_t *)w[NMOV].arr.data)[g];
    x->seed = ((uint64_t *)w[SEED].arr.data)[g];
    int64_t m0 = ms[g], m1 = ms[g + 1], s0 = ss[g], s1 = ss[g + 1];
    if (x->size < BOARD_MIN_SIZE || x->size > BOARD_MAX_SIZE || x->winner > 2 || m0 < 0 || m1 < m0 || m1 > M ||
        m1 - m0 != x->nmoves || x->nmoves > DS_MAX_MOVES || s0 < 0 || s1 < s0 || s1 > S || s1 - s0 > DS_MAX_NN ||
        x->first_target < 0) {
      free(gs);
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: game %lld: inconsistent game arrays", path, (long long)g);
      goto out;
    }
    for (int64_t i = m0; i < m1; i++) {
      x->moves[i - m0] = ((int16_t *)w[MOVES].arr.data)[i];
      x->colors[i - m0] = ((uint8_t *)w[MCOL].arr.data)[i];
    }
    x->nsetup = (int)(s1 - s0);
    for (int64_t i = s0; i < s1; i++) {
      x->setup[i - s0] = ((int16_t *)w[SETUP].arr.data)[i];
      x->setup_colors[i - s0] = ((uint8_t *)w[SCOL].arr.data)[i];
    }
    size_t sw = w[SRC].arr.itemsize, rw = w[RES].arr.itemsize;
    size_t sl = sw < DS_SOURCE_MAX - 1 ? sw : DS_SOURCE_MAX - 1, rl = rw < 31 ? rw : 31;
    memcpy(x->source, (char *)w[SRC].arr.data + (size_t)g * sw, sl);
    x->source[sl] = '\0';
    memcpy(x->result, (char *)w[RES].arr.data + (size_t)g * rw, rl);
    x->result[rl] = '\0';
  }
  *games = gs;
  *ngames = (int)G;
out:
  free_all_(w, NW);
  return st;
}

void ds_shard_free(ds_shard_t *s) {
  if (!s) return;
  free(s->to_play), free(s->stones), free(s->ko), free(s->last_moves), free(s->legal), free(s->policy);
  free(s->policy_dist), free(s->z), free(s->komi), free(s->game_id);
  memset(s, 0, sizeof *s);
}

rocks_status_t ds_shard_load(const char *path, ds_shard_t *s, rocks_error_t *err) {
  memset(s, 0, sizeof *s);
  npz_t *z = npz_open(path, err);
  if (!z) return err && err->code ? err->code : ROCKS_ERR_IO;
  enum { SIZE, TP, ST, KO, LAST, LEGAL, POL, Z, KOMI, GID, NW };
  want_t w[NW] = {
      [SIZE] = W_("size", NPZ_U8, 1),   [TP] = W_("to_play", NPZ_U8, 1),   [ST] = W_("stones", NPZ_U8, 3),
      [KO] = W_("ko", NPZ_I16, 1),      [LAST] = W_("last_moves", NPZ_I16, 2), [LEGAL] = W_("legal", NPZ_U8, 2),
      [POL] = W_("policy", NPZ_I16, 1), [Z] = W_("z", NPZ_F32, 1),         [KOMI] = W_("komi", NPZ_F32, 1),
      [GID] = W_("game_id", NPZ_I64, 1),
  };
  rocks_status_t st = read_all_(z, w, NW, err);
  npz_array_t dist;
  memset(&dist, 0, sizeof dist);
  int have_dist = st == ROCKS_OK && npz_find(z, "policy_dist") >= 0;
  if (have_dist) st = npz_read_expect(z, "policy_dist", NPZ_F32, 2, &dist, err);
  npz_close(z);
  if (st != ROCKS_OK) {
    if (have_dist) free_all_(w, NW);
    return st;
  }
  const int64_t n = w[TP].arr.shape[0];
  int N = n ? ((uint8_t *)w[SIZE].arr.data)[0] : BOARD_MIN_SIZE;
  const char *bad = NULL;
  if (N < BOARD_MIN_SIZE || N > BOARD_MAX_SIZE) bad = "board size out of range";
  const int NN = N * N, B2 = ds_packed2_bytes(NN), B1 = ds_packed1_bytes(NN);
  for (int i = 0; i < NW && !bad; i++)
    if (w[i].arr.shape[0] != n) bad = "arrays of different lengths";
  if (!bad && (w[ST].arr.shape[1] != DS_HISTORY || w[ST].arr.shape[2] != B2)) bad = "stones has the wrong shape";
  if (!bad && w[LAST].arr.shape[1] != 3) bad = "last_moves has the wrong shape";
  if (!bad && w[LEGAL].arr.shape[1] != B1) bad = "legal has the wrong shape";
  if (!bad && have_dist && (dist.shape[0] != n || dist.shape[1] != NN + 1)) bad = "policy_dist has the wrong shape";
  for (int64_t i = 0; i < n && !bad; i++) {
    const uint8_t *sz = w[SIZE].arr.data, *tp = w[TP].arr.data;
    const int16_t *ko = w[KO].arr.data, *last = w[LAST].arr.data, *pol = w[POL].arr.data;
    const float *zz = w[Z].arr.data;
    if (sz[i] != N) bad = "positions of different board sizes";
    else if (tp[i] != COLOR_BLACK && tp[i] != COLOR_WHITE) bad = "to_play not 1 or 2";
    else if (ko[i] < -1 || ko[i] >= NN) bad = "ko out of range";
    else if (last[3 * i] < -1 || last[3 * i] > NN || last[3 * i + 1] < -1 || last[3 * i + 1] > NN || last[3 * i + 2] < -1 || last[3 * i + 2] > NN) bad = "last_moves out of range";
    else if (pol[i] < -1 || pol[i] > NN || (pol[i] == -1 && !have_dist)) bad = "policy out of range";
    else if (!(zz[i] >= -1.0f && zz[i] <= 1.0f)) bad = "z not in [-1, 1]";
  }
  const uint8_t *stones = w[ST].arr.data;
  for (size_t i = 0; i < w[ST].arr.numel && !bad; i++) {
    uint8_t v = stones[i];
    if ((v & 3) == 3 || ((v >> 2) & 3) == 3 || ((v >> 4) & 3) == 3 || ((v >> 6) & 3) == 3) bad = "stones holds the value 3";
  }
  if (bad) {
    free_all_(w, NW);
    npz_array_free(&dist);
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: %s", path, bad);
  }
  s->size = N;
  s->nn = NN;
  s->n = n;
  s->to_play = w[TP].arr.data;
  s->stones = w[ST].arr.data;
  s->ko = w[KO].arr.data;
  s->last_moves = w[LAST].arr.data;
  s->legal = w[LEGAL].arr.data;
  s->policy = w[POL].arr.data;
  s->z = w[Z].arr.data;
  s->komi = w[KOMI].arr.data;
  s->game_id = w[GID].arr.data;
  s->policy_dist = have_dist ? dist.data : NULL;
  npz_array_free(&w[SIZE].arr);
  return ROCKS_OK;
}

rocks_status_t ds_shard_count(const char *path, int64_t *positions, int *size, rocks_error_t *err) {
  npz_t *z = npz_open(path, err);
  if (!z) return err && err->code ? err->code : ROCKS_ERR_IO;
  npz_array_t a, gs;
  rocks_status_t st = npz_info(z, "to_play", &a, err);
  if (st == ROCKS_OK && a.ndim != 1) st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: to_play is not 1-D", path);
  if (st == ROCKS_OK) st = npz_read_expect(z, "g_size", NPZ_U8, 1, &gs, err);
  npz_close(z);
  if (st != ROCKS_OK) return st;
  *positions = a.shape[0];
  *size = gs.numel ? ((uint8_t *)gs.data)[0] : 0;
  npz_array_free(&gs);
  return ROCKS_OK;
}

void ds_shard_record(const ds_shard_t *s, int64_t i, ds_record_t *r) {
  const int NN = s->nn, B2 = ds_packed2_bytes(NN), B1 = ds_packed1_bytes(NN);
  r->size = s->size;
  r->to_play = s->to_play[i];
  r->komi = s->komi[i];
  for (int t = 0; t < DS_HISTORY; t++) {
    const uint8_t *src = s->stones + ((size_t)i * DS_HISTORY + (size_t)t) * (size_t)B2;
    for (int k = 0; k < NN; k++) r->colors[t][k] = (src[k >> 2] >> (2 * (k & 3))) & 3;
  }
  r->ko = s->ko[i];
  for (int k = 0; k < 3; k++) r->last[k] = s->last_moves[3 * i + k];
  const uint8_t *lg = s->legal + (size_t)i * (size_t)B1;
  for (int k = 0; k < NN; k++) r->legal[k] = (lg[k >> 3] >> (k & 7)) & 1;
  r->policy = s->policy[i];
  r->dist = s->policy_dist ? s->policy_dist + (size_t)i * (size_t)(NN + 1) : NULL;
  r->z = s->z[i];
}

/* ============================================================================== listing === */

static int cmp_str_(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void ds_paths_free(char **paths, int n) {
  if (!paths) return;
  for (int i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

rocks_status_t ds_list_shards(const char *path, char ***paths, int *npaths, rocks_error_t *err) {
  *paths = NULL;
  *npaths = 0;
  struct stat sb;
  if (stat(path, &sb) != 0) return rocks_fail(err, ROCKS_ERR_IO, "%s: %s", path, strerror(errno));
  if (S_ISREG(sb.st_mode)) {
    char **p = malloc(sizeof *p);
    if (!p || !(p[0] = strdup(path))) {
      free(p);
      return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    }
    *paths = p;
    *npaths = 1;
    return ROCKS_OK;
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/shards", path);
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) snprintf(dir, sizeof dir, "%s", path);
  DIR *d = opendir(dir);
  if (!d) return rocks_fail(err, ROCKS_ERR_IO, "%s: %s", dir, strerror(errno));
  char **list = NULL;
  int n = 0, cap = 0;
  struct dirent *e;
  rocks_status_t st = ROCKS_OK;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".npz") || strstr(e->d_name, ".tmp.")) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **nl = realloc(list, (size_t)cap * sizeof *nl);
      if (!nl) {
        st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
        break;
      }
      list = nl;
    }
    size_t plen = strlen(dir) + len + 2;
    if (!(list[n] = malloc(plen))) {
      st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      break;
    }
    snprintf(list[n++], plen, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  if (st == ROCKS_OK && n == 0) st = rocks_fail(err, ROCKS_ERR_ARG, "%s: no .npz shards", dir);
  if (st != ROCKS_OK) {
    ds_paths_free(list, n);
    return st;
  }
  qsort(list, (size_t)n, sizeof *list, cmp_str_);
  *paths = list;
  *npaths = n;
  return ROCKS_OK;
}
