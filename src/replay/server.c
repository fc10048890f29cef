/* server.c — the replay service's event loop and request handling (server.h). No grpc_* calls
 * here: the transport is grpc_glue.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.pb-c.h"
#include "replay/grpc_glue.h"
#include "replay/limiter.h"
#include "replay/server.h"
#include "replay/store.h"

enum { M_PUSH, M_SAMPLE, M_STATS, M_CHECKPOINT, M_COUNT };
static const char *const methods_[M_COUNT] = {"/replay.Replay/Push", "/replay.Replay/Sample", "/replay.Replay/Stats",
                                              "/replay.Replay/Checkpoint"};

enum { Q_SAMPLE, Q_PUSH, Q_ACK, Q_COUNT }; /* parked samples, parked pushes, pushes awaiting fsync */

typedef struct entry {
  struct entry *prev, *next;
  int q;
  rg_call_t *call;
  replay_item_t *item; /* Q_PUSH */
  int n;               /* Q_SAMPLE: positions; Q_ACK: positions added */
  uint64_t seq;        /* Q_ACK */
} entry_t;

typedef struct {
  entry_t *head, *tail;
  int64_t count;
} queue_t;

struct replay_server {
  replay_server_config_t c;
  replay_log_fn log;
  void *log_ctx;
  replay_store_t *store;
  replay_limiter_t lim;
  rg_server_t *rg;
  int port;
  queue_t q[Q_COUNT];
  double oldest_ack;
  int64_t synced_samples;
  /* stats line rates */
  double last_stats_t;
  int64_t last_stats_inserts, last_stats_samples;
  int64_t pushes_served;
};

static void logf_(replay_server_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(replay_server_t *s, const char *fmt, ...) {
  if (!s->log) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  s->log(s->log_ctx, line);
}

replay_server_config_t replay_server_config_default(void) {
  return (replay_server_config_t){.listen = "127.0.0.1:50051", .capacity = 1000000, .samples_per_insert = 4.0,
                                  .min_size = 1000, .error_buffer = 0, .max_episode = 1024, .max_sample = 4096,
                                  .dir = NULL, .seed = 1, .stats_every = 10, .compact_bytes = 256ll << 20};
}

static void q_push_(queue_t *q, entry_t *e) {
  e->next = NULL;
  e->prev = q->tail;
  if (q->tail) q->tail->next = e;
  else q->head = e;
  q->tail = e;
  q->count++;
}
static void q_remove_(queue_t *q, entry_t *e) {
  if (e->prev) e->prev->next = e->next;
  else q->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else q->tail = e->prev;
  q->count--;
}

static void sync_limiter_(replay_server_t *s) {
  replay_store_stats_t st;
  replay_store_stats(s->store, &st);
  s->lim.inserts = st.inserts;
  s->lim.samples = st.samples;
  s->lim.deletes = st.evicted;
}

static void reply_msg_(rg_call_t *call, const ProtobufCMessage *m) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t stackbuf[512], *buf = n <= sizeof stackbuf ? stackbuf : malloc(n);
  if (!buf) {
    rg_reply(call, RG_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
    return;
  }
  protobuf_c_message_pack(m, buf);
  rg_reply(call, RG_OK, NULL, buf, n);
  if (buf != stackbuf) free(buf);
}

/* Acknowledges every push whose record is written: one fsync for all of them. */
static void flush_acks_(replay_server_t *s) {
  if (!s->q[Q_ACK].count) return;
  rocks_error_t err = {0};
  rocks_status_t st = replay_store_sync(s->store, &err);
  if (st == ROCKS_OK) s->synced_samples = s->lim.samples;
  else logf_(s, "replay: ERROR %s (pushes not acknowledged)", err.msg);
  while (s->q[Q_ACK].head) {
    entry_t *e = s->q[Q_ACK].head;
    q_remove_(&s->q[Q_ACK], e);
    if (st == ROCKS_OK) {
      Replay__PushReply r = REPLAY__PUSH_REPLY__INIT;
      r.sequence = e->seq;
      r.positions = (uint32_t)e->n;
      reply_msg_(e->call, &r.base);
      s->pushes_served++;
    } else {
      rg_reply(e->call, RG_INTERNAL, err.msg, NULL, 0);
    }
    free(e);
  }
}

static void do_sample_(replay_server_t *s, rg_call_t *call, int n) {
  const uint8_t *buf;
  size_t len;
  rocks_error_t err = {0};
  if (replay_store_sample(s->store, n, &buf, &len, &err) != ROCKS_OK) {
    rg_reply(call, RG_INTERNAL, err.msg, NULL, 0);
    return;
  }
  rg_reply(call, RG_OK, NULL, buf, len);
  sync_limiter_(s);
}

/* Inserts (log write, memory) and queues the acknowledgement for the next fsync. */
static void do_insert_(replay_server_t *s, rg_call_t *call, replay_item_t *it) {
  rocks_error_t err = {0};
  int n = replay_item_positions(it);
  uint64_t seq = replay_item_seq(it);
  if (replay_store_insert(s->store, it, &err) != ROCKS_OK) {
    logf_(s, "replay: ERROR %s", err.msg);
    rg_reply(call, RG_INTERNAL, err.msg, NULL, 0);
    return;
  }
  sync_limiter_(s);
  entry_t *e = calloc(1, sizeof *e);
  if (!e) { /* cannot track the ack: commit now */
    flush_acks_(s);
    replay_store_sync(s->store, &err);
    rg_reply(call, RG_RESOURCE_EXHAUSTED, "out of memory after storing the episode", NULL, 0);
    return;
  }
  e->q = Q_ACK;
  e->call = call;
  e->n = n;
  e->seq = seq;
  if (!s->q[Q_ACK].count) s->oldest_ack = rocks_now();
  q_push_(&s->q[Q_ACK], e);
  rg_call_set_user(call, e);
}

/* Serves parked calls (FIFO per kind) while the rate limiter allows. */
static void wake_(replay_server_t *s) {
  for (int progress = 1; progress;) {
    progress = 0;
    while (s->q[Q_SAMPLE].head && replay_limiter_can_sample(&s->lim, s->q[Q_SAMPLE].head->n)) {
      entry_t *e = s->q[Q_SAMPLE].head;
      q_remove_(&s->q[Q_SAMPLE], e);
      rg_call_set_user(e->call, NULL);
      do_sample_(s, e->call, e->n);
      free(e);
      progress = 1;
    }
    while (s->q[Q_PUSH].head && replay_limiter_can_insert(&s->lim, replay_item_positions(s->q[Q_PUSH].head->item))) {
      entry_t *e = s->q[Q_PUSH].head;
      q_remove_(&s->q[Q_PUSH], e);
      rg_call_set_user(e->call, NULL);
      rg_call_t *call = e->call;
      replay_item_t *it = e->item;
      free(e);
      do_insert_(s, call, it);
      progress = 1;
    }
  }
}

static void park_(replay_server_t *s, int q, rg_call_t *call, replay_item_t *it, int n) {
  entry_t *e = calloc(1, sizeof *e);
  if (!e) {
    replay_item_free(it);
    rg_reply(call, RG_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
    return;
  }
  e->q = q;
  e->call = call;
  e->item = it;
  e->n = n;
  q_push_(&s->q[q], e);
  rg_call_set_user(call, e);
}

static void stats_reply_(replay_server_t *s, rg_call_t *call) {
  replay_store_stats_t st;
  replay_store_stats(s->store, &st);
  Replay__StatsReply r = REPLAY__STATS_REPLY__INIT;
  r.episodes = st.episodes;
  r.positions = st.positions;
  r.inserts = st.inserts;
  r.samples = st.samples;
  r.evicted = st.evicted;
  r.episodes_total = st.episodes_total;
  r.capacity = s->c.capacity;
  r.min_size = s->c.min_size;
  r.samples_per_insert = s->c.samples_per_insert;
  r.error_buffer = s->lim.error_buffer;
  r.ratio = st.inserts ? (double)st.samples / (double)st.inserts : 0.0;
  r.parked_samples = s->q[Q_SAMPLE].count;
  r.parked_pushes = s->q[Q_PUSH].count;
  r.wal_bytes = st.wal_bytes;
  reply_msg_(call, &r.base);
}

static rocks_status_t checkpoint_(replay_server_t *s, char *path, size_t pathlen, int64_t *bytes, rocks_error_t *err) {
  flush_acks_(s);
  double t0 = rocks_now();
  rocks_status_t st = replay_store_checkpoint(s->store, path, pathlen, bytes, err);
  if (st == ROCKS_OK) {
    s->synced_samples = s->lim.samples;
    logf_(s, "replay: snapshot %s (%" PRId64 " bytes, %.2fs), log emptied", path, *bytes, rocks_now() - t0);
  }
  return st;
}

static void on_call_(void *ctx, int method, rg_call_t *call, const uint8_t *req, size_t len) {
  replay_server_t *s = ctx;
  rocks_error_t err = {0};
  if (method == M_PUSH) {
    replay_item_t *it;
    rocks_status_t st = replay_store_prepare(s->store, req, len, &it, &err);
    if (st != ROCKS_OK) {
      rg_reply(call, st == ROCKS_ERR_NOMEM ? RG_RESOURCE_EXHAUSTED : RG_INVALID_ARGUMENT, err.msg, NULL, 0);
      return;
    }
    int n = replay_item_positions(it);
    if (n > s->c.max_episode) {
      char msg[160];
      snprintf(msg, sizeof msg, "episode has %d training positions, the server accepts at most %" PRId64 " (--max-episode)",
               n, s->c.max_episode);
      replay_item_free(it);
      rg_reply(call, RG_INVALID_ARGUMENT, msg, NULL, 0);
      return;
    }
    if (s->q[Q_PUSH].count || !replay_limiter_can_insert(&s->lim, n)) park_(s, Q_PUSH, call, it, n);
    else do_insert_(s, call, it);
    wake_(s);
  } else if (method == M_SAMPLE) {
    Replay__SampleRequest *r = replay__sample_request__unpack(NULL, len, req);
    if (!r) {
      rg_reply(call, RG_INVALID_ARGUMENT, "malformed SampleRequest (not a valid protobuf message)", NULL, 0);
      return;
    }
    uint32_t n = r->n;
    replay__sample_request__free_unpacked(r, NULL);
    if (n < 1 || n > (uint32_t)s->c.max_sample) {
      char msg[128];
      snprintf(msg, sizeof msg, "SampleRequest.n = %u: must be in 1..%d (--max-sample)", n, s->c.max_sample);
      rg_reply(call, RG_INVALID_ARGUMENT, msg, NULL, 0);
      return;
    }
    if (s->q[Q_SAMPLE].count || !replay_limiter_can_sample(&s->lim, n)) park_(s, Q_SAMPLE, call, NULL, (int)n);
    else do_sample_(s, call, (int)n);
    wake_(s);
  } else if (method == M_STATS) {
    Replay__StatsRequest *r = replay__stats_request__unpack(NULL, len, req);
    if (!r) {
      rg_reply(call, RG_INVALID_ARGUMENT, "malformed StatsRequest", NULL, 0);
      return;
    }
    replay__stats_request__free_unpacked(r, NULL);
    stats_reply_(s, call);
  } else if (method == M_CHECKPOINT) {
    Replay__CheckpointRequest *r = replay__checkpoint_request__unpack(NULL, len, req);
    if (!r) {
      rg_reply(call, RG_INVALID_ARGUMENT, "malformed CheckpointRequest", NULL, 0);
      return;
    }
    replay__checkpoint_request__free_unpacked(r, NULL);
    char path[4096];
    int64_t bytes = 0;
    if (checkpoint_(s, path, sizeof path, &bytes, &err) != ROCKS_OK) {
      rg_reply(call, RG_FAILED_PRECONDITION, err.msg, NULL, 0);
      return;
    }
    replay_store_stats_t st;
    replay_store_stats(s->store, &st);
    Replay__CheckpointReply r2 = REPLAY__CHECKPOINT_REPLY__INIT;
    r2.path = path;
    r2.episodes = st.episodes;
    r2.bytes = bytes;
    reply_msg_(call, &r2.base);
  } else {
    rg_reply(call, RG_UNIMPLEMENTED, "unknown method", NULL, 0);
  }
}

static void on_cancel_(void *ctx, rg_call_t *call) {
  replay_server_t *s = ctx;
  entry_t *e = rg_call_user(call);
  if (!e) return;
  rg_call_set_user(call, NULL);
  q_remove_(&s->q[e->q], e);
  replay_item_free(e->item); /* a parked push is dropped: never logged, never acknowledged */
  free(e);
  wake_(s);
}

replay_server_t *replay_server_create(const replay_server_config_t *c, replay_log_fn log, void *log_ctx,
                                      rocks_error_t *err) {
  replay_server_t *s = calloc(1, sizeof *s);
  if (!s) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  s->c = *c;
  s->log = log;
  s->log_ctx = log_ctx;
  if (c->max_sample < 1 || c->max_sample > 65536) {
    rocks_fail(err, ROCKS_ERR_ARG, "max sample %d: must be in 1..65536", c->max_sample);
    free(s);
    return NULL;
  }
  double eb = c->error_buffer > 0 ? c->error_buffer
                                  : replay_limiter_min_error_buffer(c->samples_per_insert, c->max_episode, c->max_sample);
  if (replay_limiter_init(&s->lim, c->samples_per_insert, c->min_size, eb, c->max_episode, c->max_sample, c->capacity,
                          err) != ROCKS_OK) {
    free(s);
    return NULL;
  }
  double t0 = rocks_now();
  s->store = replay_store_open(c->dir, c->capacity, c->seed, err);
  if (!s->store) {
    free(s);
    return NULL;
  }
  sync_limiter_(s);
  s->synced_samples = s->lim.samples;
  if (c->dir) {
    replay_store_stats_t st;
    replay_store_stats(s->store, &st);
    logf_(s,
          "replay: %s: restored %" PRId64 " episodes (%" PRId64 " from the snapshot, %" PRId64 " from the log), %" PRId64
          " positions, inserts %" PRId64 ", samples %" PRId64 "%s in %.2fs",
          c->dir, st.episodes, st.loaded_snapshot_episodes, st.loaded_wal_episodes, st.positions, st.inserts, st.samples,
          st.dropped_tail_bytes ? " (a torn log tail was cut off)" : "", rocks_now() - t0);
    if (st.dropped_tail_bytes) logf_(s, "replay: dropped %" PRId64 " bytes of torn log tail (never acknowledged)", st.dropped_tail_bytes);
  }
  rg_handler_t h = {s, on_call_, on_cancel_};
  s->rg = rg_server_start(c->listen, methods_, M_COUNT, &h, &s->port, err);
  if (!s->rg) {
    replay_store_close(s->store);
    free(s);
    return NULL;
  }
  logf_(s, "replay: listening on %s (port %d), capacity %" PRId64 ", samples/insert %g, min size %" PRId64
        ", error buffer %g", c->listen, s->port, c->capacity, c->samples_per_insert, c->min_size, s->lim.error_buffer);
  s->last_stats_t = rocks_now();
  return s;
}

int replay_server_port(const replay_server_t *s) { return s->port; }

static void stats_line_(replay_server_t *s) {
  replay_store_stats_t st;
  replay_store_stats(s->store, &st);
  double now = rocks_now(), dt = now - s->last_stats_t;
  logf_(s,
        "replay: episodes %" PRId64 " positions %" PRId64 " inserts %" PRId64 " samples %" PRId64
        " ratio %.2f evicted %" PRId64 " parked %" PRId64 "s/%" PRId64 "p | %.0f pos/s in, %.0f pos/s out | log %.1f MB",
        st.episodes, st.positions, st.inserts, st.samples, st.inserts ? (double)st.samples / (double)st.inserts : 0.0,
        st.evicted, s->q[Q_SAMPLE].count, s->q[Q_PUSH].count,
        dt > 0 ? (double)(st.inserts - s->last_stats_inserts) / dt : 0.0,
        dt > 0 ? (double)(st.samples - s->last_stats_samples) / dt : 0.0, (double)st.wal_bytes / 1e6);
  s->last_stats_t = now;
  s->last_stats_inserts = st.inserts;
  s->last_stats_samples = st.samples;
}

rocks_status_t replay_server_run(replay_server_t *s, volatile sig_atomic_t *stop, rocks_error_t *err) {
  (void)err; /* errors of single calls go to their callers and the log; the loop itself does not fail */
  double next_tick = rocks_now() + 1.0, next_compact = 0;
  s->last_stats_inserts = s->lim.inserts;
  s->last_stats_samples = s->lim.samples;
  while (!*stop) {
    int got = rg_server_poll(s->rg, s->q[Q_ACK].count ? 0.0 : 0.1) ? 1 : 0;
    (void)got;
    if (s->q[Q_ACK].count && (!got || s->q[Q_ACK].count >= 256 || rocks_now() - s->oldest_ack > 0.005)) flush_acks_(s);
    double now = rocks_now();
    if (now >= next_tick) {
      next_tick = now + 1.0;
      if (s->c.dir && s->lim.samples != s->synced_samples) { /* persist the sample counter about once a second */
        rocks_error_t e2 = {0};
        if (replay_store_sync(s->store, &e2) == ROCKS_OK) s->synced_samples = s->lim.samples;
        else logf_(s, "replay: ERROR %s", e2.msg);
      }
      if (s->c.stats_every > 0 && now - s->last_stats_t >= s->c.stats_every) stats_line_(s);
      replay_store_stats_t st;
      replay_store_stats(s->store, &st);
      if (s->c.dir && s->c.compact_bytes > 0 && st.wal_bytes > s->c.compact_bytes && now >= next_compact) {
        char path[4096];
        int64_t bytes;
        rocks_error_t e2 = {0};
        if (checkpoint_(s, path, sizeof path, &bytes, &e2) != ROCKS_OK) { /* keep serving; retried next tick */
          logf_(s, "replay: ERROR compaction failed: %s", e2.msg);
          next_compact = now + 60.0;
        }
      }
    }
  }
  return ROCKS_OK;
}

void replay_server_destroy(replay_server_t *s) {
  if (!s) return;
  flush_acks_(s);
  for (int q = Q_SAMPLE; q <= Q_PUSH; q++)
    while (s->q[q].head) {
      entry_t *e = s->q[q].head;
      q_remove_(&s->q[q], e);
      rg_call_set_user(e->call, NULL);
      rg_reply(e->call, RG_UNAVAILABLE, "replay server shutting down", NULL, 0);
      replay_item_free(e->item);
      free(e);
    }
  rg_server_stop(s->rg, 2.0);
  rocks_error_t err = {0};
  if (s->c.dir && replay_store_sync(s->store, &err) != ROCKS_OK) logf_(s, "replay: ERROR %s", err.msg);
  replay_store_stats_t st;
  replay_store_stats(s->store, &st);
  logf_(s, "replay: stopped: %" PRId64 " episodes, %" PRId64 " positions, inserts %" PRId64 ", samples %" PRId64,
        st.episodes, st.positions, st.inserts, st.samples);
  replay_store_close(s->store);
  free(s);
}
