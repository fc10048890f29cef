/* replay_client.c — the C client of the replay service (replay_client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.pb-c.h"
#include "replay/codec.h"
#include "replay/grpc_glue.h"
#include "replay/replay_client.h"

struct replay_client {
  rg_channel_t *ch;
  char addr[256];
};

replay_client_t *replay_client_new(const char *addr, rocks_error_t *err) {
  replay_client_t *c = calloc(1, sizeof *c);
  if (!c) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  snprintf(c->addr, sizeof c->addr, "%s", addr ? addr : "");
  c->ch = rg_channel_new(addr, err);
  if (!c->ch) {
    free(c);
    return NULL;
  }
  return c;
}

void replay_client_delete(replay_client_t *c) {
  if (!c) return;
  rg_channel_delete(c->ch);
  free(c);
}

/* One call; maps the gRPC status to rocks statuses (replay_client.h). */
static rocks_status_t call_(replay_client_t *c, const char *what, const char *method, const uint8_t *req, size_t len,
                            double timeout_s, uint8_t **resp, size_t *resp_len, rocks_error_t *err) {
  int code = RG_UNKNOWN;
  char msg[200];
  rocks_status_t st = rg_unary(c->ch, method, req, len, timeout_s, &code, msg, sizeof msg, resp, resp_len, err);
  if (st != ROCKS_OK) return st;
  if (code == RG_OK) return ROCKS_OK;
  free(*resp);
  *resp = NULL;
  if (code == RG_INVALID_ARGUMENT)
    return rocks_fail(err, ROCKS_ERR_ARG, "replay %s rejected by %s: %s", what, c->addr, msg);
  if (code == RG_DEADLINE_EXCEEDED && !strcmp(what, "sample"))
    return rocks_fail(err, ROCKS_ERR_STATE, "replay sample from %s: deadline of %gs passed (rate limiter: not enough new data yet?)",
                      c->addr, timeout_s);
  return rocks_fail(err, ROCKS_ERR_IO, "replay %s to %s failed: %s%s%s", what, c->addr, rg_status_name(code),
                    msg[0] ? ": " : "", msg);
}

rocks_status_t replay_client_push(replay_client_t *c, const replay_episode_t *ep, double timeout_s, rocks_error_t *err) {
  uint8_t *req = NULL, *resp = NULL;
  size_t len = 0, rlen = 0;
  rocks_status_t st = replay_push_pack(ep, &req, &len, err);
  if (st == ROCKS_OK) st = call_(c, "push", "/replay.Replay/Push", req, len, timeout_s, &resp, &rlen, err);
  if (st == ROCKS_OK) {
    Replay__PushReply *r = replay__push_reply__unpack(NULL, rlen, resp);
    if (!r) st = rocks_fail(err, ROCKS_ERR_PARSE, "replay push: malformed reply from %s", c->addr);
    else replay__push_reply__free_unpacked(r, NULL);
  }
  free(req);
  free(resp);
  return st;
}

rocks_status_t replay_client_sample(replay_client_t *c, int n, double timeout_s, ds_record_t *out, float *dist_buf,
                                    rocks_error_t *err) {
  if (n < 1 || n > 65536) return rocks_fail(err, ROCKS_ERR_ARG, "replay sample: n = %d (1..65536)", n);
  Replay__SampleRequest r = REPLAY__SAMPLE_REQUEST__INIT;
  r.n = (uint32_t)n;
  uint8_t req[16], *resp = NULL;
  size_t len = replay__sample_request__pack(&r, req), rlen = 0;
  rocks_status_t st = call_(c, "sample", "/replay.Replay/Sample", req, len, timeout_s, &resp, &rlen, err);
  if (st == ROCKS_OK) st = replay_sample_decode(resp ? resp : req, rlen, n, out, dist_buf, err);
  free(resp);
  return st;
}

rocks_status_t replay_client_stats(replay_client_t *c, replay_stats_t *st, rocks_error_t *err) {
  uint8_t *resp = NULL;
  size_t rlen = 0;
  rocks_status_t s = call_(c, "stats", "/replay.Replay/Stats", (const uint8_t *)"", 0, 10.0, &resp, &rlen, err);
  if (s != ROCKS_OK) return s;
  Replay__StatsReply *r = replay__stats_reply__unpack(NULL, rlen, resp ? resp : (const uint8_t *)"");
  free(resp);
  if (!r) return rocks_fail(err, ROCKS_ERR_PARSE, "replay stats: malformed reply from %s", c->addr);
  *st = (replay_stats_t){.episodes = r->episodes, .positions = r->positions, .inserts = r->inserts, .samples = r->samples,
                         .evicted = r->evicted, .episodes_total = r->episodes_total, .capacity = r->capacity,
                         .min_size = r->min_size, .samples_per_insert = r->samples_per_insert,
                         .error_buffer = r->error_buffer, .ratio = r->ratio, .parked_samples = r->parked_samples,
                         .parked_pushes = r->parked_pushes, .wal_bytes = r->wal_bytes};
  replay__stats_reply__free_unpacked(r, NULL);
  return ROCKS_OK;
}

rocks_status_t replay_client_checkpoint(replay_client_t *c, char *path, size_t pathlen, rocks_error_t *err) {
  uint8_t *resp = NULL;
  size_t rlen = 0;
  rocks_status_t s = call_(c, "checkpoint", "/replay.Replay/Checkpoint", (const uint8_t *)"", 0, 600.0, &resp, &rlen, err);
  if (s != ROCKS_OK) return s;
  Replay__CheckpointReply *r = replay__checkpoint_reply__unpack(NULL, rlen, resp ? resp : (const uint8_t *)"");
  free(resp);
  if (!r) return rocks_fail(err, ROCKS_ERR_PARSE, "replay checkpoint: malformed reply from %s", c->addr);
  if (path && pathlen) snprintf(path, pathlen, "%s", r->path ? r->path : "");
  replay__checkpoint_reply__free_unpacked(r, NULL);
  return ROCKS_OK;
}
