/* store.c — episodes FIFO, pre-encoded positions, sampling, log and snapshot (store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/codec.h"
#include "replay/episode.h"
#include "replay/store.h"
#include "replay/wal.h"

struct replay_item {
  uint64_t seq;
  uint8_t *raw; /* the PushRequest as received (logged and snapshotted) */
  size_t raw_len;
  uint8_t *blob; /* npos packed Position messages */
  uint32_t *off; /* npos + 1 offsets */
  int npos;
};

typedef struct {
  replay_item_t *ep;
  int32_t i;
} posref_t;

struct replay_store {
  int64_t capacity;
  char dir[3800];
  int persistent;
  replay_wal_t wal;
  rocks_rng_t rng;
  uint64_t seed;
  replay_item_t **eps; /* ring */
  int64_t ep_head, ep_count, ep_cap;
  posref_t *pos; /* ring */
  int64_t pos_head, pos_count, pos_cap;
  int64_t inserts, samples, evicted, episodes_total, logged_samples;
  uint64_t last_seq, next_seq;
  uint8_t *out;
  size_t out_cap;
  int64_t loaded_snapshot, loaded_wal, dropped;
  int loading_snapshot;
};

void replay_item_free(replay_item_t *it) {
  if (!it) return;
  free(it->raw), free(it->blob), free(it->off), free(it);
}
int replay_item_positions(const replay_item_t *it) { return it->npos; }
uint64_t replay_item_seq(const replay_item_t *it) { return it->seq; }

static rocks_status_t prepare_seq_(const uint8_t *req, size_t len, uint64_t seq, replay_item_t **item, rocks_error_t *err) {
  *item = NULL;
  replay_episode_t ep;
  rocks_status_t st = replay_push_unpack(req, len, &ep, err);
  replay_item_t *it = NULL;
  if (st == ROCKS_OK) {
    it = calloc(1, sizeof *it);
    if (!it || !(it->raw = malloc(len ? len : 1))) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  if (st == ROCKS_OK) {
    memcpy(it->raw, req, len);
    it->raw_len = len;
    it->seq = seq;
    st = replay_episode_encode(&ep, seq, &it->blob, &it->off, &it->npos, err);
  }
  replay_episode_free(&ep);
  if (st != ROCKS_OK) {
    replay_item_free(it);
    return st;
  }
  *item = it;
  return ROCKS_OK;
}

rocks_status_t replay_store_prepare(replay_store_t *s, const uint8_t *req, size_t len, replay_item_t **item,
                                    rocks_error_t *err) {
  rocks_status_t st = prepare_seq_(req, len, s->next_seq, item, err);
  if (st == ROCKS_OK) s->next_seq++;
  return st;
}

static int grow_(void **ring, int64_t *cap, int64_t head, int64_t count, size_t elem) {
  int64_t ncap = *cap ? *cap * 2 : 1024;
  uint8_t *nr = malloc((size_t)ncap * elem);
  if (!nr) return -1;
  for (int64_t i = 0; i < count; i++) memcpy(nr + i * (int64_t)elem, (uint8_t *)*ring + ((head + i) % *cap) * (int64_t)elem, elem);
  free(*ring);
  *ring = nr;
  *cap = ncap;
  return 0;
}

/* Stores an item in memory (no log), counting it; evicts while over capacity. */
static rocks_status_t store_mem_(replay_store_t *s, replay_item_t *it, int count, rocks_error_t *err) {
  if (s->ep_count == s->ep_cap) {
    void *r = s->eps;
    if (grow_(&r, &s->ep_cap, s->ep_head, s->ep_count, sizeof *s->eps)) goto nomem;
    s->eps = r, s->ep_head = 0;
  }
  while (s->pos_count + it->npos > s->pos_cap) {
    void *r = s->pos;
    if (grow_(&r, &s->pos_cap, s->pos_head, s->pos_count, sizeof *s->pos)) goto nomem;
    s->pos = r, s->pos_head = 0;
  }
  s->eps[(s->ep_head + s->ep_count++) % s->ep_cap] = it;
  for (int i = 0; i < it->npos; i++) s->pos[(s->pos_head + s->pos_count++) % s->pos_cap] = (posref_t){it, i};
  if (it->seq > s->last_seq) s->last_seq = it->seq;
  if (it->seq >= s->next_seq) s->next_seq = it->seq + 1;
  if (count) s->inserts += it->npos, s->episodes_total++;
  while (s->pos_count > s->capacity && s->ep_count > 0) {
    replay_item_t *old = s->eps[s->ep_head];
    s->ep_head = (s->ep_head + 1) % s->ep_cap;
    s->ep_count--;
    s->pos_head = (s->pos_head + old->npos) % s->pos_cap;
    s->pos_count -= old->npos;
    if (count) s->evicted += old->npos;
    replay_item_free(old);
  }
  return ROCKS_OK;
nomem:
  replay_item_free(it);
  return rocks_fail(err, ROCKS_ERR_NOMEM, "replay store: out of memory");
}

static void put64_(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64_(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static rocks_status_t load_record_(void *ctx, uint32_t type, const uint8_t *p, size_t len, rocks_error_t *err) {
  replay_store_t *s = ctx;
  if (type == REPLAY_REC_SNAPSHOT && len >= 40 && s->loading_snapshot) {
    s->last_seq = get64_(p);
    s->next_seq = s->last_seq + 1;
    s->inserts = (int64_t)get64_(p + 8);
    s->samples = s->logged_samples = (int64_t)get64_(p + 16);
    s->evicted = (int64_t)get64_(p + 24);
    s->episodes_total = (int64_t)get64_(p + 32);
    return ROCKS_OK;
  }
  if (type == REPLAY_REC_SAMPLES && len >= 8) {
    int64_t v = (int64_t)get64_(p);
    if (v > s->samples) s->samples = s->logged_samples = v;
    return ROCKS_OK;
  }
  if (type == REPLAY_REC_EPISODE && len >= 8) {
    uint64_t seq = get64_(p);
    if (!s->loading_snapshot && seq <= s->last_seq) return ROCKS_OK; /* already in the snapshot */
    replay_item_t *it;
    rocks_error_t e2 = {0};
    if (prepare_seq_(p + 8, len - 8, seq, &it, &e2) != ROCKS_OK)
      return rocks_fail(err, ROCKS_ERR_PARSE, "episode %llu in the log does not decode: %s", (unsigned long long)seq, e2.msg);
    rocks_status_t st = store_mem_(s, it, !s->loading_snapshot, err);
    if (st == ROCKS_OK) (s->loading_snapshot ? s->loaded_snapshot++ : s->loaded_wal++);
    return st;
  }
  return rocks_fail(err, ROCKS_ERR_PARSE, "unknown record type %u", type);
}

replay_store_t *replay_store_open(const char *dir, int64_t capacity, uint64_t seed, rocks_error_t *err) {
  if (capacity < 1) {
    rocks_fail(err, ROCKS_ERR_ARG, "capacity must be >= 1 position");
    return NULL;
  }
  replay_store_t *s = calloc(1, sizeof *s);
  if (!s) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  s->capacity = capacity;
  s->next_seq = 1;
  s->wal.fd = -1;
  s->seed = seed;
  if (dir) {
    if (strlen(dir) > sizeof s->dir - 32) {
      rocks_fail(err, ROCKS_ERR_ARG, "replay dir path too long");
      free(s);
      return NULL;
    }
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->persistent = 1;
    if (ds_mkdirs(dir, err) != ROCKS_OK) goto fail;
    char path[4096];
    int64_t valid, dropped;
    snprintf(path, sizeof path, "%s/snapshot.rpl", dir);
    s->loading_snapshot = 1;
    rocks_status_t st = replay_wal_read(path, load_record_, s, &valid, &dropped, err);
    if (st == ROCKS_OK && dropped)
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s is damaged at byte %lld (snapshots are written atomically: "
                      "disk corruption?); move it away to start from the log alone", path, (long long)valid);
    if (st != ROCKS_OK) goto fail;
    s->loading_snapshot = 0;
    snprintf(path, sizeof path, "%s/wal.rpl", dir);
    if (replay_wal_read(path, load_record_, s, &valid, &dropped, err) != ROCKS_OK) goto fail;
    s->dropped = dropped;
    if (replay_wal_open(&s->wal, path, valid, err) != ROCKS_OK) goto fail;
  }
  rocks_rng_seed(&s->rng, rocks_mix64(seed) ^ (uint64_t)s->samples);
  return s;
fail:
  replay_store_close(s);
  return NULL;
}

void replay_store_close(replay_store_t *s) {
  if (!s) return;
  for (int64_t i = 0; i < s->ep_count; i++) replay_item_free(s->eps[(s->ep_head + i) % s->ep_cap]);
  free(s->eps);
  free(s->pos);
  free(s->out);
  replay_wal_close(&s->wal);
  free(s);
}

rocks_status_t replay_store_insert(replay_store_t *s, replay_item_t *it, rocks_error_t *err) {
  if (s->persistent) {
    uint8_t seq[8];
    put64_(seq, it->seq);
    rocks_status_t st = replay_wal_append(&s->wal, REPLAY_REC_EPISODE, seq, 8, it->raw, it->raw_len, err);
    if (st != ROCKS_OK) {
      replay_item_free(it);
      return st;
    }
  }
  return store_mem_(s, it, 1, err);
}

rocks_status_t replay_store_sync(replay_store_t *s, rocks_error_t *err) {
  if (!s->persistent) return ROCKS_OK;
  if (s->samples != s->logged_samples) {
    uint8_t v[8];
    put64_(v, (uint64_t)s->samples);
    rocks_status_t st = replay_wal_append(&s->wal, REPLAY_REC_SAMPLES, v, 8, NULL, 0, err);
    if (st != ROCKS_OK) return st;
    s->logged_samples = s->samples;
  }
  return replay_wal_sync(&s->wal, err);
}

rocks_status_t replay_store_sample(replay_store_t *s, int n, const uint8_t **reply, size_t *len, rocks_error_t *err) {
  if (s->pos_count == 0) return rocks_fail(err, ROCKS_ERR_STATE, "replay store is empty");
  if (n < 0) return rocks_fail(err, ROCKS_ERR_ARG, "sample of %d positions", n);
  size_t used = 0;
  for (int k = 0; k < n; k++) {
    uint64_t r = rocks_rng_next(&s->rng) % (uint64_t)s->pos_count;
    posref_t pr = s->pos[(s->pos_head + (int64_t)r) % s->pos_cap];
    uint32_t a = pr.ep->off[pr.i], plen = pr.ep->off[pr.i + 1] - a;
    if (used + plen + 16 > s->out_cap) {
      size_t nc = s->out_cap ? s->out_cap * 2 : 1 << 16;
      while (used + plen + 16 > nc) nc *= 2;
      uint8_t *nb = realloc(s->out, nc);
      if (!nb) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      s->out = nb, s->out_cap = nc;
    }
    s->out[used++] = 0x0A; /* field 1 (positions), length-delimited */
    used += replay_put_varint(s->out + used, plen);
    memcpy(s->out + used, pr.ep->blob + a, plen);
    used += plen;
  }
  s->samples += n;
  *reply = s->out;
  *len = used;
  return ROCKS_OK;
}

rocks_status_t replay_store_checkpoint(replay_store_t *s, char *path, size_t pathlen, int64_t *bytes, rocks_error_t *err) {
  if (!s->persistent) return rocks_fail(err, ROCKS_ERR_STATE, "the replay store has no directory (memory only)");
  char tmp[4096], fin[4096];
  snprintf(fin, sizeof fin, "%s/snapshot.rpl", s->dir);
  snprintf(tmp, sizeof tmp, "%s/snapshot.rpl.tmp", s->dir);
  replay_wal_t w;
  unlink(tmp);
  rocks_status_t st = replay_wal_open(&w, tmp, 0, err);
  if (st != ROCKS_OK) return st;
  uint8_t h[40];
  put64_(h, s->last_seq);
  put64_(h + 8, (uint64_t)s->inserts);
  put64_(h + 16, (uint64_t)s->samples);
  put64_(h + 24, (uint64_t)s->evicted);
  put64_(h + 32, (uint64_t)s->episodes_total);
  st = replay_wal_append(&w, REPLAY_REC_SNAPSHOT, h, sizeof h, NULL, 0, err);
  for (int64_t i = 0; st == ROCKS_OK && i < s->ep_count; i++) {
    const replay_item_t *it = s->eps[(s->ep_head + i) % s->ep_cap];
    uint8_t seq[8];
    put64_(seq, it->seq);
    st = replay_wal_append(&w, REPLAY_REC_EPISODE, seq, 8, it->raw, it->raw_len, err);
  }
  if (st == ROCKS_OK && fsync(w.fd) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "fsync of %s failed: %s", tmp, strerror(errno));
  int64_t size = w.bytes;
  replay_wal_close(&w);
  if (st == ROCKS_OK && rename(tmp, fin) != 0)
    st = rocks_fail(err, ROCKS_ERR_IO, "cannot rename %s: %s", tmp, strerror(errno));
  if (st != ROCKS_OK) {
    unlink(tmp);
    return st;
  }
  int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    if (fsync(dfd) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "fsync of %s failed: %s", s->dir, strerror(errno));
    close(dfd);
  }
  if (st == ROCKS_OK) st = replay_wal_truncate(&s->wal, err);
  if (st == ROCKS_OK) s->logged_samples = s->samples;
  if (path && pathlen) snprintf(path, pathlen, "%s", fin);
  if (bytes) *bytes = size;
  return st;
}

void replay_store_stats(const replay_store_t *s, replay_store_stats_t *st) {
  *st = (replay_store_stats_t){
      .episodes = s->ep_count, .positions = s->pos_count, .inserts = s->inserts, .samples = s->samples,
      .evicted = s->evicted, .episodes_total = s->episodes_total, .wal_bytes = s->persistent ? s->wal.bytes : 0,
      .last_seq = s->last_seq, .loaded_snapshot_episodes = s->loaded_snapshot, .loaded_wal_episodes = s->loaded_wal,
      .dropped_tail_bytes = s->dropped};
}
