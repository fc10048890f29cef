/* loader.c — the training data loader (ds.h): shard streaming, shuffle buffer, symmetries,
 * background prefetch, seek.
 *
 * The sample stream is defined on indices only, so it can be replayed cheaply to any point:
 *
 *   epoch e:   rng = xoshiro seeded with mix64(seed) ^ mix64(e + 1)
 *              shard order: identity, Fisher-Yates shuffled with rng when shuffle is on
 *              rows are streamed shard by shard, in row order, into a buffer of capacity C
 *              (C = min(buffer, positions), buffer 0 = all); once the buffer is full (or the
 *              rows are exhausted) each draw takes slot j = rng_below(n) and refills it with the
 *              next row, or with the last slot when no rows remain; then sym = rng_below(8)
 *              when symmetries are on. Without shuffle, rows come in order (a sym is still
 *              drawn when symmetries are on).
 *   An epoch emits every position exactly once; the next epoch starts fresh (empty buffer).
 *
 * Buffer slots hold the packed row (copied from its shard), so only the shard being streamed
 * is in memory besides the buffer. ds_loader_seek replays the index stream to the target, then
 * loads each shard that has rows in the buffer once to fill the slots.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/ds.h"
#include "data/npz.h"

/* packed row layout (bytes) */
typedef struct {
  int to_play, ko, last, policy, z, komi, stones, legal, dist, size;
} row_layout_t;

typedef struct {
  /* stream state */
  int64_t next_sample;   /* stream index of the next sample                                   */
  int64_t epoch;
  int64_t emitted;       /* samples emitted in this epoch                                     */
  rocks_rng_t rng;
  int order_pos;         /* position in order[] of the shard being streamed                  */
  int64_t row;           /* next row of that shard                                           */
  int64_t nbuf;          /* filled buffer slots                                              */
} stream_t;

struct ds_loader {
  ds_loader_config_t c;
  int nshards;
  char **paths;
  int64_t *count, *start; /* rows per shard, global index of its first row                  */
  int64_t total;
  int N, NN, planes, has_dist;
  row_layout_t L;
  int64_t cap;            /* buffer capacity                                                  */
  int64_t *buf_index;     /* [cap] global index per slot                                      */
  uint8_t *buf_rows;      /* [cap * L.size] packed rows (shuffle mode)                        */
  uint8_t *tmp_row;
  int *order;
  stream_t s;
  ds_shard_t cur;         /* the shard being streamed (data mode)                             */
  int cur_shard;          /* its index, or -1                                                  */
  /* batches: ring of nslots; the consumer holds one while the user reads it */
  int nslots;
  ds_batch_t *slots;
  int64_t *slot_seq;      /* sequence number filled into each slot, -1 = free                  */
  int64_t produce_seq, consume_seq;
  int held;               /* slot held by the consumer, or -1                                  */
  int64_t tell;           /* stream index of the next sample the consumer gets                 */
  float *feat_tmp;
  ds_record_t *rec;
  /* thread */
  pthread_t thread;
  int running, stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  rocks_status_t status;
  rocks_error_t error;
};

ds_loader_config_t ds_loader_config_default(void) {
  ds_loader_config_t c = {.features = FEAT_AGZ, .batch = 256, .shuffle = 1, .buffer = 0, .symmetries = 1,
                          .partial_last = 0, .prefetch = 4, .seed = 1};
  return c;
}

/* ------------------------------------------------------------------------- packed rows --- */

static void layout_(ds_loader_t *l) {
  int o = 0;
  const int B2 = ds_packed2_bytes(l->NN), B1 = ds_packed1_bytes(l->NN);
  l->L.z = o, o += 4;
  l->L.komi = o, o += 4;
  l->L.ko = o, o += 2;
  l->L.last = o, o += 6;
  l->L.policy = o, o += 2;
  l->L.to_play = o, o += 1;
  l->L.stones = o, o += DS_HISTORY * B2;
  l->L.legal = o, o += B1;
  o = (o + 3) & ~3;
  l->L.dist = o;
  if (l->has_dist) o += 4 * (l->NN + 1);
  l->L.size = o;
}

static void pack_row_(const ds_loader_t *l, const ds_shard_t *s, int64_t i, uint8_t *row) {
  const int B2 = ds_packed2_bytes(l->NN), B1 = ds_packed1_bytes(l->NN);
  memcpy(row + l->L.z, &s->z[i], 4);
  memcpy(row + l->L.komi, &s->komi[i], 4);
  memcpy(row + l->L.ko, &s->ko[i], 2);
  memcpy(row + l->L.last, &s->last_moves[3 * i], 6);
  memcpy(row + l->L.policy, &s->policy[i], 2);
  row[l->L.to_play] = s->to_play[i];
  memcpy(row + l->L.stones, s->stones + (size_t)i * DS_HISTORY * (size_t)B2, (size_t)(DS_HISTORY * B2));
  memcpy(row + l->L.legal, s->legal + (size_t)i * (size_t)B1, (size_t)B1);
  if (l->has_dist) {
    float *d = (float *)(void *)(row + l->L.dist);
    if (s->policy_dist) {
      memcpy(d, s->policy_dist + (size_t)i * (size_t)(l->NN + 1), sizeof(float) * (size_t)(l->NN + 1));
    } else {
      memset(d, 0, sizeof(float) * (size_t)(l->NN + 1));
      d[s->policy[i]] = 1.0f;
    }
  }
}

static void unpack_row_(const ds_loader_t *l, const uint8_t *row, ds_record_t *r) {
  const int NN = l->NN, B2 = ds_packed2_bytes(NN), B1 = ds_packed1_bytes(NN);
  int16_t v16;
  r->size = l->N;
  r->to_play = row[l->L.to_play];
  memcpy(&r->komi, row + l->L.komi, 4);
  memcpy(&r->z, row + l->L.z, 4);
  memcpy(&v16, row + l->L.ko, 2), r->ko = v16;
  for (int k = 0; k < 3; k++) memcpy(&v16, row + l->L.last + 2 * k, 2), r->last[k] = v16;
  memcpy(&v16, row + l->L.policy, 2), r->policy = v16;
  for (int t = 0; t < DS_HISTORY; t++) {
    const uint8_t *src = row + l->L.stones + t * B2;
    for (int k = 0; k < NN; k++) r->colors[t][k] = (src[k >> 2] >> (2 * (k & 3))) & 3;
  }
  const uint8_t *lg = row + l->L.legal;
  (void)B1;
  for (int k = 0; k < NN; k++) r->legal[k] = (lg[k >> 3] >> (k & 7)) & 1;
  r->dist = l->has_dist ? (const float *)(const void *)(row + l->L.dist) : NULL;
}

/* ------------------------------------------------------------------------------ stream --- */

static int shard_of_(const ds_loader_t *l, int64_t g) {
  int lo = 0, hi = l->nshards - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (l->start[mid] <= g) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

static void epoch_begin_(ds_loader_t *l, int64_t e) {
  stream_t *s = &l->s;
  s->epoch = e;
  s->emitted = 0;
  rocks_rng_seed(&s->rng, rocks_mix64(l->c.seed) ^ rocks_mix64((uint64_t)e + 1));
  for (int i = 0; i < l->nshards; i++) l->order[i] = i;
  if (l->c.shuffle)
    for (int i = l->nshards - 1; i > 0; i--) {
      int j = (int)rocks_rng_below(&s->rng, (uint32_t)(i + 1));
      int t = l->order[i];
      l->order[i] = l->order[j];
      l->order[j] = t;
    }
  s->order_pos = 0;
  s->row = 0;
  s->nbuf = 0;
}

/* Makes the streamed shard's data available (data mode). */
static rocks_status_t ensure_shard_(ds_loader_t *l, int sh, rocks_error_t *err) {
  if (l->cur_shard == sh) return ROCKS_OK;
  ds_shard_free(&l->cur);
  l->cur_shard = -1;
  rocks_status_t st = ds_shard_load(l->paths[sh], &l->cur, err);
  if (st != ROCKS_OK) return st;
  if (l->cur.n != l->count[sh] || l->cur.size != l->N) {
    ds_shard_free(&l->cur);
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: changed since the loader was opened", l->paths[sh]);
  }
  l->cur_shard = sh;
  return ROCKS_OK;
}

/* Takes the next streamed row: its global index, and (data mode) its packed bytes into dst. */
static rocks_status_t take_row_(ds_loader_t *l, int data, int64_t *g, uint8_t *dst, rocks_error_t *err) {
  stream_t *s = &l->s;
  while (s->order_pos < l->nshards && s->row >= l->count[l->order[s->order_pos]]) s->order_pos++, s->row = 0;
  int sh = l->order[s->order_pos]; /* a row remains: the caller checked */
  if (data) {
    rocks_status_t st = ensure_shard_(l, sh, err);
    if (st != ROCKS_OK) return st;
    pack_row_(l, &l->cur, s->row, dst);
  }
  *g = l->start[sh] + s->row;
  s->row++;
  return ROCKS_OK;
}

static int64_t rows_left_(const ds_loader_t *l) {
  /* rows not yet streamed in this epoch = total - emitted - nbuf */
  return l->total - l->s.emitted - l->s.nbuf;
}

/* Emits one sample: *g, *sym, and (data mode) its packed row into l->tmp_row. */
static rocks_status_t emit_(ds_loader_t *l, int data, int64_t *g, int *sym, rocks_error_t *err) {
  stream_t *s = &l->s;
  rocks_status_t st;
  if (!l->c.shuffle) {
    if ((st = take_row_(l, data, g, l->tmp_row, err)) != ROCKS_OK) return st;
  } else {
    while (s->nbuf < l->cap && rows_left_(l) > 0) {
      if ((st = take_row_(l, data, &l->buf_index[s->nbuf], data ? l->buf_rows + (size_t)s->nbuf * (size_t)l->L.size : NULL, err)) != ROCKS_OK)
        return st;
      s->nbuf++;
    }
    int64_t j = (int64_t)rocks_rng_below(&s->rng, (uint32_t)s->nbuf);
    uint8_t *slot = data ? l->buf_rows + (size_t)j * (size_t)l->L.size : NULL;
    *g = l->buf_index[j];
    if (data) memcpy(l->tmp_row, slot, (size_t)l->L.size);
    if (rows_left_(l) > 0) {
      if ((st = take_row_(l, data, &l->buf_index[j], slot, err)) != ROCKS_OK) return st;
    } else {
      s->nbuf--;
      l->buf_index[j] = l->buf_index[s->nbuf];
      if (data) memcpy(slot, l->buf_rows + (size_t)s->nbuf * (size_t)l->L.size, (size_t)l->L.size);
    }
  }
  *sym = l->c.symmetries ? (int)rocks_rng_below(&s->rng, 8) : 0;
  s->emitted++;
  s->next_sample++;
  if (s->emitted == l->total) epoch_begin_(l, s->epoch + 1);
  return ROCKS_OK;
}

/* After an index-only replay: loads the packed rows of the buffer slots, one shard at a time
 * (slots grouped by shard with a counting sort). */
static rocks_status_t fill_buffer_data_(ds_loader_t *l, rocks_error_t *err) {
  if (!l->c.shuffle || l->s.nbuf == 0) return ROCKS_OK;
  const int64_t n = l->s.nbuf;
  int *sid = malloc(sizeof(int) * (size_t)n);
  int64_t *first = calloc((size_t)l->nshards + 1, sizeof *first), *sorted = malloc(sizeof(int64_t) * (size_t)n);
  rocks_status_t st = ROCKS_OK;
  if (!sid || !first || !sorted) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (int64_t j = 0; j < n; j++) first[(sid[j] = shard_of_(l, l->buf_index[j])) + 1]++;
  for (int sh = 0; sh < l->nshards; sh++) first[sh + 1] += first[sh];
  for (int64_t j = 0; j < n; j++) sorted[first[sid[j]]++] = j;
  for (int64_t k = 0; k < n && st == ROCKS_OK; k++) {
    int64_t j = sorted[k];
    if ((st = ensure_shard_(l, sid[j], err)) == ROCKS_OK)
      pack_row_(l, &l->cur, l->buf_index[j] - l->start[sid[j]], l->buf_rows + (size_t)j * (size_t)l->L.size);
  }
out:
  free(sid);
  free(first);
  free(sorted);
  return st;
}

/* ----------------------------------------------------------------------------- batches --- */

static rocks_status_t produce_(ds_loader_t *l, ds_batch_t *b, rocks_error_t *err) {
  const int NN = l->NN, P = l->planes;
  b->n = 0;
  b->first_sample = l->s.next_sample;
  b->epoch = l->s.epoch;
  for (int k = 0; k < l->c.batch; k++) {
    if (k > 0 && l->c.partial_last && l->s.emitted == 0) break; /* an epoch just ended */
    int64_t g;
    int sym;
    rocks_status_t st = emit_(l, 1, &g, &sym, err);
    if (st != ROCKS_OK) return st;
    unpack_row_(l, l->tmp_row, l->rec);
    ds_record_features(l->rec, l->c.features, l->feat_tmp);
    ds_sym_planes(b->inputs + (size_t)k * (size_t)P * (size_t)NN, l->feat_tmp, P, l->N, sym);
    float *pol = b->policy + (size_t)k * (size_t)(NN + 1);
    if (l->rec->dist) {
      ds_sym_policy(pol, l->rec->dist, l->N, sym);
      b->target[k] = -1;
      if (l->rec->policy >= 0) b->target[k] = ds_sym_point(l->N, sym, l->rec->policy);
    } else {
      memset(pol, 0, sizeof(float) * (size_t)(NN + 1));
      b->target[k] = ds_sym_point(l->N, sym, l->rec->policy);
      pol[b->target[k]] = 1.0f;
    }
    b->value[k] = l->rec->z;
    b->legal_count[k] = ds_record_legal_count(l->rec);
    b->sym[k] = sym;
    b->index[k] = g;
    b->n++;
  }
  return ROCKS_OK;
}

static void *thread_main_(void *arg) {
  ds_loader_t *l = arg;
  pthread_mutex_lock(&l->mu);
  while (!l->stop) {
    /* a free slot: not held, not filled */
    int slot = -1;
    for (int i = 0; i < l->nslots; i++)
      if (l->slot_seq[i] < 0 && i != l->held) {
        slot = i;
        break;
      }
    if (slot < 0 || l->status != ROCKS_OK) {
      pthread_cond_wait(&l->cv, &l->mu);
      continue;
    }
    int64_t seq = l->produce_seq;
    pthread_mutex_unlock(&l->mu);
    rocks_error_t e2 = {0};
    rocks_status_t st = produce_(l, &l->slots[slot], &e2);
    pthread_mutex_lock(&l->mu);
    if (st != ROCKS_OK) {
      l->status = st;
      l->error = e2;
    } else {
      l->slot_seq[slot] = seq;
      l->produce_seq++;
    }
    pthread_cond_broadcast(&l->cv);
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

static void stop_thread_(ds_loader_t *l) {
  if (!l->running) return;
  pthread_mutex_lock(&l->mu);
  l->stop = 1;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->thread, NULL);
  l->running = 0;
  l->stop = 0;
}

static rocks_status_t start_thread_(ds_loader_t *l, rocks_error_t *err) {
  for (int i = 0; i < l->nslots; i++) l->slot_seq[i] = -1;
  l->held = -1;
  l->produce_seq = l->consume_seq = 0;
  l->status = ROCKS_OK;
  if (l->c.prefetch <= 0) return ROCKS_OK;
  if (pthread_create(&l->thread, NULL, thread_main_, l) != 0) return rocks_fail(err, ROCKS_ERR_NOMEM, "cannot start the prefetch thread");
  l->running = 1;
  return ROCKS_OK;
}

/* ------------------------------------------------------------------------------ public --- */

void ds_loader_close(ds_loader_t *l) {
  if (!l) return;
  stop_thread_(l);
  if (l->slots)
    for (int i = 0; i < l->nslots; i++) {
      ds_batch_t *b = &l->slots[i];
      free(b->inputs), free(b->policy), free(b->value), free(b->legal_count), free(b->target), free(b->sym), free(b->index);
    }
  free(l->slots);
  free(l->slot_seq);
  ds_shard_free(&l->cur);
  ds_paths_free(l->paths, l->nshards);
  free(l->count), free(l->start), free(l->order), free(l->buf_index), free(l->buf_rows), free(l->tmp_row);
  free(l->feat_tmp), free(l->rec);
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  free(l);
}

ds_loader_t *ds_loader_open(char *const *paths, int npaths, const ds_loader_config_t *c, rocks_error_t *err) {
  if (npaths < 1 || c->batch < 1 || c->buffer < 0 || c->prefetch < 0 || c->prefetch > 64 ||
      (c->features != FEAT_AGZ && c->features != FEAT_RICH)) {
    rocks_fail(err, ROCKS_ERR_ARG, "loader: bad configuration (shards %d, batch %d, buffer %lld, prefetch %d)", npaths,
               c->batch, (long long)c->buffer, c->prefetch);
    return NULL;
  }
  ds_loader_t *l = calloc(1, sizeof *l);
  if (!l) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  l->c = *c;
  l->cur_shard = -1;
  l->nshards = npaths;
  l->paths = calloc((size_t)npaths, sizeof *l->paths);
  l->count = calloc((size_t)npaths, sizeof *l->count);
  l->start = calloc((size_t)npaths, sizeof *l->start);
  l->order = calloc((size_t)npaths, sizeof *l->order);
  if (!l->paths || !l->count || !l->start || !l->order) goto nomem;
  for (int i = 0; i < npaths; i++) {
    if (!(l->paths[i] = strdup(paths[i]))) goto nomem;
    int size = 0;
    if (ds_shard_count(paths[i], &l->count[i], &size, err) != ROCKS_OK) goto fail;
    npz_t *z = npz_open(paths[i], err);
    if (!z) goto fail;
    if (npz_find(z, "policy_dist") >= 0) l->has_dist = 1;
    npz_close(z);
    if (l->count[i] == 0) continue;
    if (l->N == 0) l->N = size;
    if (size != l->N) {
      rocks_fail(err, ROCKS_ERR_ARG, "%s: board size %d, but %s has %d (one size per loader)", paths[i], size, paths[0], l->N);
      goto fail;
    }
    l->start[i] = l->total;
    l->total += l->count[i];
  }
  for (int i = 0; i < npaths; i++)
    if (l->count[i] == 0) l->start[i] = i ? l->start[i - 1] + l->count[i - 1] : 0;
  if (l->total == 0) {
    rocks_fail(err, ROCKS_ERR_ARG, "loader: the shards hold no positions");
    goto fail;
  }
  if (l->total > ((int64_t)1 << 40)) {
    rocks_fail(err, ROCKS_ERR_ARG, "loader: too many positions");
    goto fail;
  }
  l->NN = l->N * l->N;
  l->planes = feat_planes(c->features);
  layout_(l);
  l->cap = c->buffer > 0 && c->buffer < l->total ? c->buffer : l->total;
  if (l->cap > 0xffffffffLL) l->cap = 0xffffffffLL;
  if (c->shuffle) {
    l->buf_index = malloc((size_t)l->cap * sizeof *l->buf_index);
    l->buf_rows = malloc((size_t)l->cap * (size_t)l->L.size);
    if (!l->buf_index || !l->buf_rows) {
      rocks_fail(err, ROCKS_ERR_NOMEM, "loader: out of memory for a shuffle buffer of %lld positions", (long long)l->cap);
      goto fail;
    }
  }
  l->tmp_row = malloc((size_t)l->L.size);
  l->feat_tmp = malloc(sizeof(float) * (size_t)l->planes * (size_t)l->NN);
  l->rec = malloc(sizeof *l->rec);
  l->nslots = c->prefetch > 0 ? c->prefetch + 1 : 1;
  l->slots = calloc((size_t)l->nslots, sizeof *l->slots);
  l->slot_seq = calloc((size_t)l->nslots, sizeof *l->slot_seq);
  if (!l->tmp_row || !l->feat_tmp || !l->rec || !l->slots || !l->slot_seq) goto nomem;
  for (int i = 0; i < l->nslots; i++) {
    ds_batch_t *b = &l->slots[i];
    size_t B = (size_t)c->batch;
    b->planes = l->planes;
    b->size = l->N;
    b->inputs = malloc(sizeof(float) * B * (size_t)l->planes * (size_t)l->NN);
    b->policy = malloc(sizeof(float) * B * (size_t)(l->NN + 1));
    b->value = malloc(sizeof(float) * B);
    b->legal_count = malloc(sizeof(int) * B);
    b->target = malloc(sizeof(int) * B);
    b->sym = malloc(sizeof(int) * B);
    b->index = malloc(sizeof(int64_t) * B);
    if (!b->inputs || !b->policy || !b->value || !b->legal_count || !b->target || !b->sym || !b->index) goto nomem;
  }
  l->s.next_sample = 0;
  epoch_begin_(l, 0);
  if (start_thread_(l, err) != ROCKS_OK) goto fail;
  return l;
nomem:
  rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
fail:
  ds_loader_close(l);
  return NULL;
}

int64_t ds_loader_positions(const ds_loader_t *l) { return l->total; }
int ds_loader_board_size(const ds_loader_t *l) { return l->N; }
int ds_loader_planes(const ds_loader_t *l) { return l->planes; }

int64_t ds_loader_tell(const ds_loader_t *l) { return l->tell; }

rocks_status_t ds_loader_next(ds_loader_t *l, const ds_batch_t **batch, rocks_error_t *err) {
  if (!l->running) {
    rocks_status_t st = produce_(l, &l->slots[0], err);
    if (st != ROCKS_OK) return st;
    l->held = 0;
    l->tell = l->slots[0].first_sample + l->slots[0].n;
    *batch = &l->slots[0];
    return ROCKS_OK;
  }
  pthread_mutex_lock(&l->mu);
  if (l->held >= 0) l->slot_seq[l->held] = -1, l->held = -1;
  pthread_cond_broadcast(&l->cv);
  for (;;) {
    int found = -1;
    for (int i = 0; i < l->nslots; i++)
      if (l->slot_seq[i] == l->consume_seq) found = i;
    if (found >= 0) {
      l->held = found;
      l->consume_seq++;
      l->tell = l->slots[found].first_sample + l->slots[found].n;
      *batch = &l->slots[found];
      pthread_mutex_unlock(&l->mu);
      return ROCKS_OK;
    }
    if (l->status != ROCKS_OK) {
      rocks_status_t st = l->status;
      if (err) *err = l->error;
      pthread_mutex_unlock(&l->mu);
      return st;
    }
    pthread_cond_wait(&l->cv, &l->mu);
  }
}

rocks_status_t ds_loader_seek(ds_loader_t *l, int64_t sample, rocks_error_t *err) {
  if (sample < 0) return rocks_fail(err, ROCKS_ERR_ARG, "loader: seek to %lld", (long long)sample);
  stop_thread_(l);
  l->held = -1;
  /* replay indices only from the start of the target's epoch */
  int64_t e = sample / l->total, r = sample % l->total;
  epoch_begin_(l, e);
  l->tell = sample;
  l->s.next_sample = e * l->total;
  rocks_status_t st = ROCKS_OK;
  for (int64_t k = 0; k < r && st == ROCKS_OK; k++) {
    int64_t g;
    int sym;
    st = emit_(l, 0, &g, &sym, err);
  }
  if (st == ROCKS_OK) st = fill_buffer_data_(l, err);
  if (st == ROCKS_OK) st = start_thread_(l, err);
  return st;
}
