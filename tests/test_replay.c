/* test_replay.c — the replay service without Python: rate limiter (Reverb semantics, deadlock
 * check), episodes (validation, protobuf round trip, positions == ds_record_from_board), store
 * (FIFO eviction, uniform sampling, write-ahead log, torn tails, snapshots), and an in-process
 * server with the C client (push, sample, stats, rate-limiter parking, errors).
 * Prints every failed check with its line and exits non-zero if any failed. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "replay.pb-c.h"
#include "replay/codec.h"
#include "replay/episode.h"
#include "replay/limiter.h"
#include "replay/replay_client.h"
#include "replay/server.h"
#include "replay/store.h"
#include "replay/wal.h"

static int failures = 0, checks = 0;
static bool check_at(bool ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool check_at(bool ok, int line, const char *fmt, ...) {
  checks++;
  if (ok) return true;
  failures++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "test_replay.c:%d: FAILED: ", line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return false;
}
#define CHECK(cond) check_at((cond), __LINE__, "%s", #cond)
#define CHECKF(cond, ...) check_at((cond), __LINE__, __VA_ARGS__)

/* ============================================================================== limiter === */

static void test_limiter(void) {
  replay_limiter_t l;
  rocks_error_t err = {0};
  /* parameter checks (deadlock check) */
  CHECK(replay_limiter_init(&l, 0.0, 10, 100, 5, 4, 100, &err) == ROCKS_ERR_ARG);
  CHECK(replay_limiter_init(&l, 2.0, 0, 100, 5, 4, 100, &err) == ROCKS_ERR_ARG);
  CHECK(replay_limiter_min_error_buffer(2.0, 5, 4) == 7.0);
  CHECK(replay_limiter_init(&l, 2.0, 10, 6.99, 5, 4, 100, &err) == ROCKS_ERR_ARG);
  CHECKF(strstr(err.msg, "deadlock") != NULL, "message: %s", err.msg);
  CHECK(replay_limiter_init(&l, 2.0, 10, 7.0, 5, 4, 14, &err) == ROCKS_ERR_ARG); /* capacity < min + K */
  CHECK(replay_limiter_init(&l, 2.0, 10, 7.0, 5, 4, 15, &err) == ROCKS_OK);
  /* Reverb semantics: min_diff = 2*10 - 7 = 13, max_diff = 27 */
  CHECK(l.min_diff == 13.0 && l.max_diff == 27.0);
  CHECK(!replay_limiter_can_sample(&l, 1));   /* below min size */
  CHECK(replay_limiter_can_insert(&l, 5));    /* free until min size */
  l.inserts = 9;
  CHECK(!replay_limiter_can_sample(&l, 1));
  CHECK(replay_limiter_can_insert(&l, 1));    /* 10 <= min size */
  l.inserts = 10;
  CHECK(replay_limiter_can_sample(&l, 4));    /* 20 - 0 - 4 = 16 >= 13 */
  CHECK(replay_limiter_can_sample(&l, 7));    /* 13 >= 13 */
  CHECK(!replay_limiter_can_sample(&l, 8));   /* 12 < 13 */
  CHECK(!replay_limiter_can_insert(&l, 5));   /* 30 - 0 > 27 */
  CHECK(replay_limiter_can_insert(&l, 3));    /* 26 <= 27 */
  l.samples = 4;
  CHECK(!replay_limiter_can_sample(&l, 4));   /* 20 - 4 - 4 = 12 < 13 */
  CHECK(replay_limiter_can_insert(&l, 5));    /* 30 - 4 = 26 <= 27 */
  l.deletes = 5;                              /* size 5 < min size: no sampling */
  CHECK(!replay_limiter_can_sample(&l, 1));
  /* below the bound a deadlock exists: spi 1, K 5, M 4, min 10, E 3: D = 10 blocks both */
  replay_limiter_t d = {.spi = 1, .error_buffer = 3, .min_size = 10, .min_diff = 7, .max_diff = 13,
                        .inserts = 20, .samples = 10};
  CHECK(!replay_limiter_can_sample(&d, 4) && !replay_limiter_can_insert(&d, 5));
  CHECK(replay_limiter_init(&d, 1.0, 10, 3.0, 5, 4, 100, &err) == ROCKS_ERR_ARG);
  /* at the bound, random walks with FIFO eviction never block both ways */
  const double spis[] = {0.25, 1.0, 4.0, 7.5};
  rocks_rng_t rng;
  rocks_rng_seed(&rng, 7);
  for (int si = 0; si < 4; si++) {
    const int K = 1 + (int)rocks_rng_below(&rng, 60), M = 1 + (int)rocks_rng_below(&rng, 300), minsz = 1 + (int)rocks_rng_below(&rng, 200);
    const int64_t cap = minsz + K + (int64_t)rocks_rng_below(&rng, 300);
    replay_limiter_t w;
    if (!CHECK(replay_limiter_init(&w, spis[si], minsz, replay_limiter_min_error_buffer(spis[si], K, M), K, M, cap, &err) == ROCKS_OK))
      continue;
    int fifo[4096], head = 0, count = 0, size = 0, deadlocks = 0;
    for (int step = 0; step < 200000 && !deadlocks; step++) {
      int k = 1 + (int)rocks_rng_below(&rng, (uint32_t)K), n = 1 + (int)rocks_rng_below(&rng, (uint32_t)M);
      bool ci = replay_limiter_can_insert(&w, k), cs = replay_limiter_can_sample(&w, n);
      if (!ci && !cs) {
        deadlocks++;
        break;
      }
      if (ci && (!cs || rocks_rng_below(&rng, 2))) {
        fifo[(head + count++) % 4096] = k;
        size += k;
        w.inserts += k;
        while (size > cap) size -= fifo[head], w.deletes += fifo[head], head = (head + 1) % 4096, count--;
      } else {
        w.samples += n;
      }
    }
    CHECKF(deadlocks == 0, "spi %g K %d M %d min %d cap %lld: both blocked", spis[si], K, M, minsz, (long long)cap);
  }
}

/* ============================================================================= episodes === */

/* The expected records of an episode, by replaying it (independent of codec.c's loop). */
static int expected_records(const replay_episode_t *ep, ds_record_t *out, float *dist) {
  board_t *b = malloc(sizeof *b);
  rocks_error_t err = {0};
  int n = 0;
  const int NN = ep->game.size * ep->game.size;
  for (int t = 0; t < ep->game.nmoves; t++) {
    if (!ep->full_search[t] || t < ep->game.first_target) continue;
    if (ds_game_replay(&ep->game, b, t, &err) != ROCKS_OK) break;
    if (b->to_play != ep->game.colors[t]) board_set_to_play(b, ep->game.colors[t]);
    ds_record_from_board(b, &out[n]);
    float *d = dist + (size_t)n * (NN + 1);
    for (int k = 0; k <= NN; k++) d[k] = 0;
    for (int k = ep->visit_offset[t]; k < ep->visit_offset[t + 1]; k++) d[ep->visits[k].action] += ep->visits[k].prob;
    out[n].dist = d;
    out[n].z = ep->game.winner == COLOR_EMPTY ? 0.0f : ep->game.winner == out[n].to_play ? 1.0f : -1.0f;
    n++;
  }
  free(b);
  return n;
}

static bool records_equal(const ds_record_t *a, const ds_record_t *b) {
  const int NN = a->size * a->size;
  if (a->size != b->size || a->to_play != b->to_play || a->komi != b->komi || a->ko != b->ko || a->z != b->z) return false;
  for (int t = 0; t < DS_HISTORY; t++)
    if (memcmp(a->colors[t], b->colors[t], (size_t)NN)) return false;
  if (memcmp(a->legal, b->legal, (size_t)NN) || memcmp(a->last, b->last, sizeof a->last)) return false;
  for (int k = 0; k <= NN; k++)
    if (fabsf(a->dist[k] - b->dist[k]) > 1e-6f) return false;
  /* and the network inputs */
  static float fa[64 * DS_MAX_NN], fb[64 * DS_MAX_NN];
  ds_record_features(a, FEAT_AGZ, fa);
  ds_record_features(b, FEAT_AGZ, fb);
  return !memcmp(fa, fb, sizeof(float) * (size_t)feat_planes(FEAT_AGZ) * (size_t)NN);
}

/* A SampleReply holding every position of an item, decoded through the client's decoder. */
static int decode_all(const uint8_t *blob, const uint32_t *off, int npos, ds_record_t *out, float *dist) {
  size_t cap = off[npos] + (size_t)npos * 8 + 16, used = 0;
  uint8_t *buf = malloc(cap);
  for (int i = 0; i < npos; i++) {
    buf[used++] = 0x0A;
    used += replay_put_varint(buf + used, off[i + 1] - off[i]);
    memcpy(buf + used, blob + off[i], off[i + 1] - off[i]);
    used += off[i + 1] - off[i];
  }
  rocks_error_t err = {0};
  rocks_status_t st = replay_sample_decode(buf, used, npos, out, dist, &err);
  free(buf);
  CHECKF(st == ROCKS_OK, "decode: %s", err.msg);
  return st == ROCKS_OK ? npos : -1;
}

static void test_episode(void) {
  rocks_error_t err = {0};
  replay_episode_t ep, back;
  replay_episode_init(&ep);
  replay_episode_init(&back);
  static ds_record_t exp[DS_MAX_MOVES], got[DS_MAX_MOVES];
  static float dexp[DS_MAX_MOVES * 82], dgot[DS_MAX_MOVES * 82];
  for (int g = 0; g < 6; g++) {
    CHECK(replay_episode_random(&ep, g < 5 ? 9 : 5, g == 3 ? 20 : 0, 100 + (uint64_t)g, &err) == ROCKS_OK);
    if (g == 4) ep.game.first_target = 10;
    CHECKF(replay_episode_validate(&ep, &err) == ROCKS_OK, "validate: %s", err.msg);
    CHECK(ep.game.nmoves > 0 && replay_episode_positions(&ep) > 0);
    uint8_t *buf;
    size_t len;
    CHECK(replay_push_pack(&ep, &buf, &len, &err) == ROCKS_OK);
    CHECKF(replay_push_unpack(buf, len, &back, &err) == ROCKS_OK, "unpack: %s", err.msg);
    CHECK(back.game.nmoves == ep.game.nmoves && back.game.size == ep.game.size && back.game.komi == ep.game.komi);
    CHECK(!memcmp(back.game.moves, ep.game.moves, sizeof(int16_t) * (size_t)ep.game.nmoves));
    CHECK(!memcmp(back.game.colors, ep.game.colors, (size_t)ep.game.nmoves));
    CHECK(!memcmp(back.full_search, ep.full_search, (size_t)ep.game.nmoves));
    CHECK(!memcmp(back.root_value, ep.root_value, sizeof(float) * (size_t)ep.game.nmoves));
    CHECK(!memcmp(back.visit_offset, ep.visit_offset, sizeof(int32_t) * (size_t)(ep.game.nmoves + 1)));
    CHECK(!memcmp(back.visits, ep.visits, sizeof(replay_visit_t) * (size_t)ep.visit_offset[ep.game.nmoves]));
    CHECK(back.game.winner == ep.game.winner && back.flags == ep.flags && back.game.first_target == ep.game.first_target);
    CHECK(back.game.rules.suicide == ep.game.rules.suicide && !strcmp(back.model_id, "random"));
    /* positions: the client's records == ds_record_from_board on the replayed board */
    uint8_t *blob;
    uint32_t *off;
    int npos;
    CHECKF(replay_episode_encode(&back, 42, &blob, &off, &npos, &err) == ROCKS_OK, "encode: %s", err.msg);
    int ne = expected_records(&ep, exp, dexp);
    CHECKF(npos == ne && ne == replay_episode_positions(&ep), "positions %d expected %d", npos, ne);
    if (npos > 0 && decode_all(blob, off, npos, got, dgot) == npos)
      for (int i = 0; i < npos; i++) CHECKF(records_equal(&got[i], &exp[i]), "episode %d position %d differs", g, i);
    free(blob), free(off), free(buf);
    replay_episode_free(&back);
  }
  /* validation failures */
  replay_episode_t bad;
  replay_episode_init(&bad);
  CHECK(replay_episode_random(&bad, 9, 0, 5, &err) == ROCKS_OK);
  bad.game.moves[3] = 82;
  CHECK(replay_episode_validate(&bad, &err) == ROCKS_ERR_ARG);
  bad.game.moves[3] = ep.game.moves[3];
  bad.game.moves[3] = 0;
  int k = bad.visit_offset[2];
  bad.full_search[1] = 1;
  bad.visits[bad.visit_offset[1]].prob += 0.5f;
  CHECK(replay_episode_validate(&bad, &err) == ROCKS_ERR_ARG && strstr(err.msg, "sum"));
  bad.visits[bad.visit_offset[1]].prob -= 0.5f;
  bad.visits[k].action = 500;
  CHECK(replay_episode_validate(&bad, &err) == ROCKS_ERR_ARG);
  replay_episode_free(&bad);
  /* an illegal move (a stone on an occupied point) is caught when encoding */
  CHECK(replay_episode_random(&bad, 9, 0, 6, &err) == ROCKS_OK);
  int first = bad.game.moves[0];
  for (int t = 1; t < bad.game.nmoves; t++)
    if (bad.game.moves[t] != 81) {
      bad.game.moves[t] = (int16_t)first;
      break;
    }
  uint8_t *buf, *blob;
  size_t len;
  uint32_t *off;
  int npos;
  CHECK(replay_push_pack(&bad, &buf, &len, &err) == ROCKS_OK);
  CHECK(replay_push_unpack(buf, len, &back, &err) == ROCKS_OK);
  CHECK(replay_episode_encode(&back, 1, &blob, &off, &npos, &err) == ROCKS_ERR_ILLEGAL);
  replay_episode_free(&back);
  /* malformed protobuf */
  buf[0] ^= 0xff;
  buf[1] = 0xff;
  CHECK(replay_push_unpack(buf, len > 40 ? 40 : len, &back, &err) != ROCKS_OK);
  replay_episode_free(&back);
  free(buf);
  const uint8_t junk[] = {0x0a, 0x80, 0x80, 0x80};
  CHECK(replay_push_unpack(junk, sizeof junk, &back, &err) == ROCKS_ERR_PARSE);
  replay_episode_free(&back);
  replay_episode_free(&bad);
  replay_episode_free(&ep);
}

/* ================================================================================ store === */

static replay_item_t *make_item(replay_store_t *s, uint64_t seed, int max_moves) {
  replay_episode_t ep;
  replay_episode_init(&ep);
  rocks_error_t err = {0};
  replay_episode_random(&ep, 9, max_moves, seed, &err);
  uint8_t *buf;
  size_t len;
  replay_item_t *it = NULL;
  if (replay_push_pack(&ep, &buf, &len, &err) == ROCKS_OK) {
    CHECKF(replay_store_prepare(s, buf, len, &it, &err) == ROCKS_OK, "prepare: %s", err.msg);
    free(buf);
  }
  replay_episode_free(&ep);
  return it;
}

/* Episode sequence numbers of n sampled positions. */
static void sample_seqs(replay_store_t *s, int n, uint64_t *seqs) {
  const uint8_t *buf;
  size_t len;
  rocks_error_t err = {0};
  CHECK(replay_store_sample(s, n, &buf, &len, &err) == ROCKS_OK);
  Replay__SampleReply *r = replay__sample_reply__unpack(NULL, len, buf);
  if (!CHECK(r && r->n_positions == (size_t)n)) return;
  for (int i = 0; i < n; i++) seqs[i] = r->positions[i]->episode;
  replay__sample_reply__free_unpacked(r, NULL);
}

static void store_counts(replay_store_t *s, int64_t *eps, int64_t *pos, int64_t *ins, int64_t *smp) {
  replay_store_stats_t st;
  replay_store_stats(s, &st);
  *eps = st.episodes, *pos = st.positions, *ins = st.inserts, *smp = st.samples;
}

static void test_store(const char *tmp) {
  rocks_error_t err = {0};
  /* memory store: FIFO eviction by episode, uniform sampling */
  replay_store_t *s = replay_store_open(NULL, 300, 1, &err);
  int sizes[64];
  int64_t total = 0;
  for (int i = 0; i < 20; i++) {
    replay_item_t *it = make_item(s, 200 + (uint64_t)i, 30 + 3 * i);
    sizes[i] = replay_item_positions(it);
    CHECK(replay_item_seq(it) == (uint64_t)i + 1);
    total += sizes[i];
    CHECK(replay_store_insert(s, it, &err) == ROCKS_OK);
  }
  replay_store_stats_t st;
  replay_store_stats(s, &st);
  int64_t kept = 0;
  int oldest = 20;
  while (oldest > 0 && kept + sizes[oldest - 1] <= 300) kept += sizes[--oldest];
  CHECKF(st.positions == kept && st.episodes == 20 - oldest, "positions %lld episodes %lld, expected %lld %d",
         (long long)st.positions, (long long)st.episodes, (long long)kept, 20 - oldest);
  CHECK(st.inserts == total && st.evicted == total - kept && st.episodes_total == 20);
  /* uniform over positions: counts per episode follow their sizes */
  enum { NS = 40000 };
  static uint64_t seqs[NS];
  sample_seqs(s, NS, seqs);
  int hits[21] = {0};
  for (int i = 0; i < NS; i++) {
    CHECK(seqs[i] > (uint64_t)oldest && seqs[i] <= 20);
    if (seqs[i] <= 20) hits[seqs[i]]++;
  }
  double chi2 = 0;
  for (int e = oldest; e < 20; e++) {
    double expct = (double)NS * sizes[e] / (double)kept;
    chi2 += (hits[e + 1] - expct) * (hits[e + 1] - expct) / expct;
  }
  CHECKF(chi2 < 3.0 * (20 - oldest) + 20, "chi2 %.1f over %d episodes", chi2, 20 - oldest);
  replay_store_stats(s, &st);
  CHECK(st.samples == NS);
  replay_store_close(s);

  /* persistence: log, reopen, torn tail, snapshot */
  char dir[512], wal[600], snap[600];
  snprintf(dir, sizeof dir, "%s/store", tmp);
  snprintf(wal, sizeof wal, "%s/wal.rpl", dir);
  snprintf(snap, sizeof snap, "%s/snapshot.rpl", dir);
  s = replay_store_open(dir, 100000, 1, &err);
  if (!CHECKF(s != NULL, "open: %s", err.msg)) return;
  for (int i = 0; i < 10; i++) CHECK(replay_store_insert(s, make_item(s, 300 + (uint64_t)i, 0), &err) == ROCKS_OK);
  sample_seqs(s, 7, seqs);
  CHECK(replay_store_sync(s, &err) == ROCKS_OK);
  int64_t e0, p0, i0, s0, e1, p1, i1, s1;
  store_counts(s, &e0, &p0, &i0, &s0);
  replay_store_close(s);
  s = replay_store_open(dir, 100000, 1, &err);
  store_counts(s, &e1, &p1, &i1, &s1);
  CHECKF(e1 == 10 && p1 == p0 && i1 == i0 && s1 == 7, "reopen: %lld %lld %lld %lld", (long long)e1, (long long)p1,
         (long long)i1, (long long)s1);
  replay_store_close(s);
  /* torn tail: cut the last record short (kill -9 mid-write) */
  struct stat sb;
  stat(wal, &sb);
  int64_t full = sb.st_size;
  CHECK(truncate(wal, full - 30) == 0); /* drops the 24-byte samples record and 6 bytes of the last episode */
  s = replay_store_open(dir, 100000, 1, &err);
  replay_store_stats(s, &st);
  CHECKF(st.episodes == 9 && st.dropped_tail_bytes > 0, "torn: %lld episodes, dropped %lld", (long long)st.episodes,
         (long long)st.dropped_tail_bytes);
  /* appending after a torn tail works (the tail was cut before appending) */
  CHECK(replay_store_insert(s, make_item(s, 400, 0), &err) == ROCKS_OK);
  CHECK(replay_store_sync(s, &err) == ROCKS_OK);
  replay_store_close(s);
  /* garbage appended + a flipped bit inside the last record: both detected by the CRC */
  FILE *f = fopen(wal, "ab");
  fputs("garbage after the end", f);
  fclose(f);
  s = replay_store_open(dir, 100000, 1, &err);
  replay_store_stats(s, &st);
  CHECKF(st.episodes == 10 && st.dropped_tail_bytes == 21, "garbage: %lld episodes, dropped %lld",
         (long long)st.episodes, (long long)st.dropped_tail_bytes);
  uint64_t last_seq = st.last_seq;
  replay_store_close(s);
  stat(wal, &sb);
  f = fopen(wal, "r+b");
  fseek(f, sb.st_size - 50, SEEK_SET);
  int ch = fgetc(f);
  fseek(f, sb.st_size - 50, SEEK_SET);
  fputc(ch ^ 0x10, f);
  fclose(f);
  s = replay_store_open(dir, 100000, 1, &err);
  replay_store_stats(s, &st);
  CHECKF(st.episodes == 9 && st.last_seq < last_seq, "bit flip: %lld episodes", (long long)st.episodes);
  /* snapshot: contents and counters survive, the log is emptied; a crash between the snapshot's
   * rename and the log's truncation replays nothing twice */
  for (int i = 0; i < 3; i++) CHECK(replay_store_insert(s, make_item(s, 500 + (uint64_t)i, 0), &err) == ROCKS_OK);
  sample_seqs(s, 11, seqs);
  CHECK(replay_store_sync(s, &err) == ROCKS_OK);
  store_counts(s, &e0, &p0, &i0, &s0);
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s.old'", wal, wal);
  CHECK(system(cmd) == 0);
  char path[4096];
  int64_t bytes = 0;
  CHECKF(replay_store_checkpoint(s, path, sizeof path, &bytes, &err) == ROCKS_OK, "checkpoint: %s", err.msg);
  CHECK(!strcmp(path, snap) && bytes > 0);
  replay_store_stats(s, &st);
  CHECK(st.wal_bytes == 0);
  replay_store_close(s);
  s = replay_store_open(dir, 100000, 1, &err);
  store_counts(s, &e1, &p1, &i1, &s1);
  CHECKF(e1 == e0 && p1 == p0 && i1 == i0 && s1 == s0, "after snapshot: %lld/%lld %lld/%lld %lld/%lld %lld/%lld",
         (long long)e1, (long long)e0, (long long)p1, (long long)p0, (long long)i1, (long long)i0, (long long)s1, (long long)s0);
  replay_store_close(s);
  snprintf(cmd, sizeof cmd, "cp '%s.old' '%s'", wal, wal);
  CHECK(system(cmd) == 0);
  s = replay_store_open(dir, 100000, 1, &err);
  store_counts(s, &e1, &p1, &i1, &s1);
  CHECKF(e1 == e0 && p1 == p0 && i1 == i0, "stale log after snapshot: %lld episodes (expected %lld)", (long long)e1, (long long)e0);
  replay_store_stats(s, &st);
  CHECK(st.loaded_wal_episodes == 0);
  replay_store_close(s);
  /* a damaged snapshot is an error, not silent loss */
  f = fopen(snap, "r+b");
  fseek(f, 100, SEEK_SET);
  ch = fgetc(f);
  fseek(f, 100, SEEK_SET);
  fputc(ch ^ 1, f);
  fclose(f);
  s = replay_store_open(dir, 100000, 1, &err);
  CHECKF(s == NULL && strstr(err.msg, "damaged"), "damaged snapshot: %s", err.msg);
  replay_store_close(s);
}

/* ========================================================================= client/server === */

static volatile sig_atomic_t stop_ = 0;
static void *serve_(void *p) {
  rocks_error_t err = {0};
  replay_server_run(p, &stop_, &err);
  return NULL;
}

static void test_service(const char *tmp) {
  rocks_error_t err = {0};
  char dir[600];
  snprintf(dir, sizeof dir, "%s/service", tmp);
  replay_server_config_t c = replay_server_config_default();
  c.listen = "127.0.0.1:0";
  c.capacity = 5000;
  c.min_size = 100;
  c.samples_per_insert = 1.0;
  c.max_episode = 250;
  c.max_sample = 256;
  c.dir = dir;
  c.stats_every = 0;
  replay_server_t *s = replay_server_create(&c, NULL, NULL, &err);
  if (!CHECKF(s != NULL, "server: %s", err.msg)) return;
  pthread_t tid;
  pthread_create(&tid, NULL, serve_, s);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", replay_server_port(s));
  replay_client_t *cl = replay_client_new(addr, &err);
  CHECK(cl != NULL);
  static ds_record_t recs[256], exp[DS_MAX_MOVES];
  static float dist[256 * 82], dexp[DS_MAX_MOVES * 82];
  /* below min size a sample waits until its deadline: ROCKS_ERR_STATE */
  double t0 = rocks_now();
  CHECK(replay_client_sample(cl, 8, 0.3, recs, dist, &err) == ROCKS_ERR_STATE);
  CHECKF(rocks_now() - t0 >= 0.25, "returned after %.3fs", rocks_now() - t0);
  /* one episode with >= 100 positions, then every sampled record is one of its positions */
  replay_episode_t ep;
  replay_episode_init(&ep);
  uint64_t seed = 900;
  do replay_episode_random(&ep, 9, 0, seed++, &err);
  while (replay_episode_positions(&ep) < 100 || replay_episode_positions(&ep) > 250);
  CHECKF(replay_client_push(cl, &ep, 5, &err) == ROCKS_OK, "push: %s", err.msg);
  int ne = expected_records(&ep, exp, dexp);
  CHECKF(replay_client_sample(cl, 64, 5, recs, dist, &err) == ROCKS_OK, "sample: %s", err.msg);
  for (int i = 0; i < 64; i++) {
    int found = 0;
    for (int j = 0; j < ne && !found; j++) found = records_equal(&recs[i], &exp[j]);
    CHECKF(found, "sampled record %d is not a position of the episode", i);
    CHECK(recs[i].dist == dist + i * 82 && recs[i].policy == -1);
  }
  /* the rate limiter: spi 1 allows about inserts + E samples, then a sample is parked */
  replay_stats_t st;
  CHECK(replay_client_stats(cl, &st, &err) == ROCKS_OK);
  CHECK(st.episodes == 1 && st.positions == ne && st.inserts == ne && st.samples == 64 && st.parked_samples == 0);
  int blocked = 0;
  for (int k = 0; k < 40 && !blocked; k++) {
    rocks_status_t r = replay_client_sample(cl, 256, 0.2, recs, dist, &err);
    blocked = r == ROCKS_ERR_STATE;
    if (!blocked) CHECKF(r == ROCKS_OK, "sample: %s", err.msg);
  }
  CHECK(blocked);
  CHECK(replay_client_stats(cl, &st, &err) == ROCKS_OK);
  /* Reverb's bound (spi 1, min size 100): samples <= inserts - (100 - E), and the refused 256 would cross it */
  double bound = (double)st.inserts - (100.0 - st.error_buffer);
  CHECKF((double)st.samples <= bound && (double)st.samples + 256 > bound, "samples %lld inserts %lld E %g",
         (long long)st.samples, (long long)st.inserts, st.error_buffer);
  CHECK(st.parked_samples == 0); /* the timed-out call was dropped */
  /* a push releases sampling again */
  replay_episode_t ep2;
  replay_episode_init(&ep2);
  do replay_episode_random(&ep2, 9, 0, seed++, &err);
  while (replay_episode_positions(&ep2) < 100 || replay_episode_positions(&ep2) > 250);
  CHECK(replay_client_push(cl, &ep2, 5, &err) == ROCKS_OK);
  CHECKF(replay_client_sample(cl, 64, 2, recs, dist, &err) == ROCKS_OK, "sample after push: %s", err.msg);
  /* invalid episodes: INVALID_ARGUMENT -> ROCKS_ERR_ARG with the server's reason */
  ep2.game.moves[1] = ep2.game.moves[0] == 81 ? 0 : ep2.game.moves[0];
  if (ep2.game.moves[0] == 81) ep2.game.moves[2] = 0;
  rocks_status_t r = replay_client_push(cl, &ep2, 5, &err);
  CHECKF(r == ROCKS_ERR_ARG && strstr(err.msg, "illegal"), "illegal push: %d %s", r, err.msg);
  CHECK(replay_client_sample(cl, 1000, 2, recs, dist, &err) == ROCKS_ERR_ARG); /* > --max-sample */
  char path[4096];
  CHECK(replay_client_checkpoint(cl, path, sizeof path, &err) == ROCKS_OK && strstr(path, "snapshot.rpl"));
  replay_client_delete(cl);
  /* unreachable service: ROCKS_ERR_IO, quickly */
  cl = replay_client_new("127.0.0.1:1", &err);
  t0 = rocks_now();
  CHECK(replay_client_push(cl, &ep, 5, &err) == ROCKS_ERR_IO);
  CHECKF(rocks_now() - t0 < 4.0, "unreachable took %.1fs", rocks_now() - t0);
  replay_client_delete(cl);
  CHECK(replay_client_new("nonsense", &err) == NULL);
  stop_ = 1;
  pthread_join(tid, NULL);
  replay_server_destroy(s);
  /* restart: both episodes and the counters are back */
  stop_ = 0;
  c.compact_bytes = 1; /* and periodic compaction: any log is too long */
  s = replay_server_create(&c, NULL, NULL, &err);
  if (CHECKF(s != NULL, "restart: %s", err.msg)) {
    pthread_create(&tid, NULL, serve_, s);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", replay_server_port(s));
    cl = replay_client_new(addr, &err);
    replay_stats_t st2;
    CHECK(replay_client_stats(cl, &st2, &err) == ROCKS_OK);
    CHECKF(st2.episodes == 2 && st2.inserts == st.inserts + replay_episode_positions(&ep2) && st2.samples >= st.samples + 64,
           "restart: episodes %lld inserts %lld samples %lld", (long long)st2.episodes, (long long)st2.inserts,
           (long long)st2.samples);
    CHECK(replay_client_push(cl, &ep, 5, &err) == ROCKS_OK);
    CHECK(replay_client_stats(cl, &st2, &err) == ROCKS_OK && st2.wal_bytes > 0);
    double tw = rocks_now();
    while (rocks_now() - tw < 5 && replay_client_stats(cl, &st2, &err) == ROCKS_OK && st2.wal_bytes > 0) nanosleep(&(struct timespec){0, 50000000}, NULL);
    CHECKF(st2.wal_bytes == 0 && st2.episodes == 3, "periodic compaction: log %lld bytes", (long long)st2.wal_bytes);
    replay_client_delete(cl);
    stop_ = 1;
    pthread_join(tid, NULL);
    replay_server_destroy(s);
  }
  /* deadlock-prone parameters are refused at startup */
  c.error_buffer = 10;
  CHECK(replay_server_create(&c, NULL, NULL, &err) == NULL && strstr(err.msg, "deadlock"));
  replay_episode_free(&ep);
  replay_episode_free(&ep2);
}

int main(void) {
  char tmp[] = "/tmp/rocks-test-replay-XXXXXX";
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  test_limiter();
  test_episode();
  test_store(tmp);
  test_service(tmp);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  printf("test_replay: %d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
