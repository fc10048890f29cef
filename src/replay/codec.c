/* codec.c — replay.proto messages <-> rocks structures (codec.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.pb-c.h"
#include "replay/codec.h"

size_t replay_put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

/* ============================================================================= episodes === */

rocks_status_t replay_push_pack(const replay_episode_t *ep, uint8_t **buf, size_t *len, rocks_error_t *err) {
  *buf = NULL;
  *len = 0;
  rocks_status_t st = replay_episode_validate(ep, err);
  if (st != ROCKS_OK) return st;
  const ds_game_t *g = &ep->game;
  const char *rules = board_rules_name(g->rules);
  if (!strcmp(rules, "custom")) return rocks_fail(err, ROCKS_ERR_ARG, "episode: rules must be tromp-taylor or chinese");
  const int nm = g->nmoves, nv = nm ? ep->visit_offset[nm] : 0;
  Replay__Move *moves = calloc((size_t)nm + 1, sizeof *moves);
  Replay__Move **mp = calloc((size_t)nm + 1, sizeof *mp);
  Replay__VisitDistribution *vd = calloc((size_t)nm + 1, sizeof *vd);
  uint32_t *acts = calloc((size_t)nv + 1, sizeof *acts);
  float *probs = calloc((size_t)nv + 1, sizeof *probs);
  Replay__Stone *stones = calloc((size_t)g->nsetup + 1, sizeof *stones);
  Replay__Stone **sp = calloc((size_t)g->nsetup + 1, sizeof *sp);
  st = ROCKS_OK;
  if (!moves || !mp || !vd || !acts || !probs || !stones || !sp) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (int k = 0; k < nv; k++) acts[k] = (uint32_t)ep->visits[k].action, probs[k] = ep->visits[k].prob;
  for (int t = 0; t < nm; t++) {
    Replay__Move *m = &moves[t];
    replay__move__init(m);
    m->action = (uint32_t)g->moves[t];
    m->color = g->colors[t];
    m->full_search = ep->full_search[t] != 0;
    m->root_value = ep->root_value ? ep->root_value[t] : 0.0f;
    int a = ep->visit_offset[t], b = ep->visit_offset[t + 1];
    if (b > a) {
      replay__visit_distribution__init(&vd[t]);
      vd[t].n_actions = vd[t].n_probs = (size_t)(b - a);
      vd[t].actions = acts + a;
      vd[t].probs = probs + a;
      m->visits = &vd[t];
    }
    mp[t] = m;
  }
  for (int i = 0; i < g->nsetup; i++) {
    replay__stone__init(&stones[i]);
    stones[i].point = (uint32_t)g->setup[i];
    stones[i].color = g->setup_colors[i];
    sp[i] = &stones[i];
  }
  char model[sizeof ep->model_id + 1], worker[sizeof ep->worker_id + 1];
  memcpy(model, ep->model_id, sizeof ep->model_id);
  model[sizeof ep->model_id] = 0;
  memcpy(worker, ep->worker_id, sizeof ep->worker_id);
  worker[sizeof ep->worker_id] = 0;
  Replay__Episode e = REPLAY__EPISODE__INIT;
  e.board_size = (uint32_t)g->size;
  e.komi = g->komi;
  e.rules = (char *)rules;
  e.n_setup = (size_t)g->nsetup;
  e.setup = sp;
  e.n_moves = (size_t)nm;
  e.moves = mp;
  e.winner = (uint32_t)g->winner;
  e.score = g->score;
  e.model_id = model;
  e.worker_id = worker;
  e.flags = ep->flags;
  e.first_target = (uint32_t)g->first_target;
  Replay__PushRequest req = REPLAY__PUSH_REQUEST__INIT;
  req.episode = &e;
  *len = replay__push_request__get_packed_size(&req);
  *buf = malloc(*len ? *len : 1);
  if (!*buf) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto done;
  }
  replay__push_request__pack(&req, *buf);
done:
  free(moves), free(mp), free(vd), free(acts), free(probs), free(stones), free(sp);
  return st;
}

rocks_status_t replay_push_unpack(const uint8_t *buf, size_t len, replay_episode_t *ep, rocks_error_t *err) {
  replay_episode_init(ep);
  Replay__PushRequest *req = replay__push_request__unpack(NULL, len, buf);
  if (!req) return rocks_fail(err, ROCKS_ERR_PARSE, "malformed PushRequest (%zu bytes are not a valid protobuf message)", len);
  rocks_status_t st = ROCKS_OK;
  const Replay__Episode *e = req->episode;
  if (!e) {
    st = rocks_fail(err, ROCKS_ERR_ARG, "PushRequest without an episode");
    goto done;
  }
  if (e->board_size < 2 || e->board_size > BOARD_MAX_SIZE) {
    st = rocks_fail(err, ROCKS_ERR_ARG, "episode: board size %u (2..19)", e->board_size);
    goto done;
  }
  if (e->n_moves > DS_MAX_MOVES || e->n_setup > DS_MAX_NN) {
    st = rocks_fail(err, ROCKS_ERR_ARG, "episode: %zu moves, %zu setup stones (at most %d, %d)", e->n_moves, e->n_setup,
                    DS_MAX_MOVES, DS_MAX_NN);
    goto done;
  }
  int nv = 0;
  for (size_t t = 0; t < e->n_moves; t++) {
    const Replay__VisitDistribution *v = e->moves[t]->visits;
    if (v && v->n_actions != v->n_probs) {
      st = rocks_fail(err, ROCKS_ERR_ARG, "episode: move %zu: %zu actions but %zu visit shares", t + 1, v->n_actions, v->n_probs);
      goto done;
    }
    if (v && v->n_actions > (size_t)DS_MAX_NN + 1) {
      st = rocks_fail(err, ROCKS_ERR_ARG, "episode: move %zu: %zu visit entries", t + 1, v->n_actions);
      goto done;
    }
    nv += v ? (int)v->n_actions : 0;
  }
  if ((st = replay_episode_alloc(ep, (int)e->n_moves, nv, err)) != ROCKS_OK) goto done;
  ds_game_t *g = &ep->game;
  g->size = (int)e->board_size;
  g->komi = e->komi;
  const char *rules = e->rules && *e->rules ? e->rules : "tromp-taylor";
  if (board_rules_from_name(&g->rules, rules, err) != ROCKS_OK) {
    st = rocks_fail(err, ROCKS_ERR_ARG, "episode: unknown rules '%.40s' (tromp-taylor or chinese)", rules);
    goto done;
  }
  g->nsetup = (int)e->n_setup;
  for (int i = 0; i < g->nsetup; i++) {
    g->setup[i] = (int16_t)(e->setup[i]->point > 32767 ? 32767 : e->setup[i]->point);
    g->setup_colors[i] = (uint8_t)(e->setup[i]->color > 255 ? 255 : e->setup[i]->color);
  }
  int k = 0;
  for (int t = 0; t < g->nmoves; t++) {
    const Replay__Move *m = e->moves[t];
    g->moves[t] = (int16_t)(m->action > 32767 ? 32767 : m->action);
    g->colors[t] = (uint8_t)(m->color > 255 ? 255 : m->color);
    ep->full_search[t] = m->full_search ? 1 : 0;
    ep->root_value[t] = m->root_value;
    ep->visit_offset[t] = k;
    if (m->visits)
      for (size_t j = 0; j < m->visits->n_actions; j++, k++) {
        ep->visits[k].action = (int16_t)(m->visits->actions[j] > 32767 ? 32767 : m->visits->actions[j]);
        ep->visits[k].prob = m->visits->probs[j];
      }
    if (ep->full_search[t] && (!m->visits || m->visits->n_actions == 0) && t >= (int)e->first_target) {
      st = rocks_fail(err, ROCKS_ERR_ARG, "episode: move %d is a full-search move without visits", t + 1);
      goto done;
    }
  }
  ep->visit_offset[g->nmoves] = k;
  g->winner = e->winner > 2 ? 99 : (int)e->winner;
  g->score = e->score;
  g->first_target = e->first_target > DS_MAX_MOVES ? DS_MAX_MOVES : (int)e->first_target;
  snprintf(g->source, sizeof g->source, "replay");
  if (e->model_id) snprintf(ep->model_id, sizeof ep->model_id, "%s", e->model_id);
  if (e->worker_id) snprintf(ep->worker_id, sizeof ep->worker_id, "%s", e->worker_id);
  ep->flags = e->flags;
  st = replay_episode_validate(ep, err);
done:
  replay__push_request__free_unpacked(req, NULL);
  return st;
}

/* ============================================================================ positions === */

rocks_status_t replay_episode_encode(const replay_episode_t *ep, uint64_t seq, uint8_t **blob, uint32_t **off,
                                     int *npos, rocks_error_t *err) {
  *blob = NULL;
  *off = NULL;
  *npos = 0;
  const ds_game_t *g = &ep->game;
  const int N = g->size, NN = N * N, B2 = ds_packed2_bytes(NN), B1 = ds_packed1_bytes(NN);
  const int total = replay_episode_positions(ep);
  board_t *b = malloc(sizeof *b);
  ds_record_t *r = malloc(sizeof *r);
  uint32_t *offs = calloc((size_t)total + 1, sizeof *offs);
  uint32_t *acts = malloc(sizeof(uint32_t) * (DS_MAX_NN + 1));
  uint8_t hist[DS_HISTORY * ((DS_MAX_NN + 3) / 4)], legal[(DS_MAX_NN + 7) / 8];
  size_t cap = 1024, used = 0;
  uint8_t *out = malloc(cap);
  rocks_status_t st = ROCKS_OK;
  rocks_error_t e2 = {0};
  if (!b || !r || !offs || !acts || !out) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto done;
  }
  if ((st = ds_game_replay(g, b, 0, err)) != ROCKS_OK) goto done;
  int k = 0;
  for (int t = 0; t < g->nmoves; t++) {
    int c = g->colors[t];
    if (c != b->to_play) board_set_to_play(b, c);
    if (t >= g->first_target && ep->full_search[t]) {
      ds_record_from_board(b, r);
      memset(hist, 0, sizeof hist);
      memset(legal, 0, sizeof legal);
      for (int h = 0; h < DS_HISTORY; h++)
        for (int i = 0; i < NN; i++) hist[h * B2 + (i >> 2)] |= (uint8_t)((r->colors[h][i] & 3) << (2 * (i & 3)));
      for (int i = 0; i < NN; i++) legal[i >> 3] |= (uint8_t)((r->legal[i] & 1) << (i & 7));
      int a = ep->visit_offset[t], n = ep->visit_offset[t + 1] - a;
      for (int j = 0; j < n; j++) acts[j] = (uint32_t)ep->visits[a + j].action;
      float probs[DS_MAX_NN + 1];
      for (int j = 0; j < n; j++) probs[j] = ep->visits[a + j].prob;
      int32_t last[3] = {r->last[0], r->last[1], r->last[2]};
      Replay__VisitDistribution vd = REPLAY__VISIT_DISTRIBUTION__INIT;
      vd.n_actions = vd.n_probs = (size_t)n;
      vd.actions = acts;
      vd.probs = probs;
      Replay__Position p = REPLAY__POSITION__INIT;
      p.board_size = (uint32_t)N;
      p.to_play = (uint32_t)r->to_play;
      p.komi = r->komi;
      p.history.data = hist;
      p.history.len = (size_t)(DS_HISTORY * B2);
      p.ko = r->ko;
      p.n_last_moves = 3;
      p.last_moves = last;
      p.legal.data = legal;
      p.legal.len = (size_t)B1;
      p.policy = &vd;
      p.z = g->winner == COLOR_EMPTY ? 0.0f : (g->winner == r->to_play ? 1.0f : -1.0f);
      p.episode = seq;
      p.move_number = (uint32_t)t;
      size_t sz = replay__position__get_packed_size(&p);
      if (used + sz > cap) {
        while (used + sz > cap) cap *= 2;
        uint8_t *nb = realloc(out, cap);
        if (!nb) {
          st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
          goto done;
        }
        out = nb;
      }
      replay__position__pack(&p, out + used);
      used += sz;
      offs[++k] = (uint32_t)used;
    }
    if (board_play(b, c, board_policy_point(b, g->moves[t]), &e2) != ROCKS_OK) {
      st = rocks_fail(err, ROCKS_ERR_ILLEGAL, "episode: move %d is illegal: %s", t + 1, e2.msg);
      goto done;
    }
  }
  *blob = out;
  *off = offs;
  *npos = k;
  out = NULL;
  offs = NULL;
done:
  free(b), free(r), free(offs), free(acts), free(out);
  return st;
}

rocks_status_t replay_sample_decode(const uint8_t *buf, size_t len, int n, ds_record_t *out, float *dist_buf,
                                    rocks_error_t *err) {
  Replay__SampleReply *rep = replay__sample_reply__unpack(NULL, len, buf);
  if (!rep) return rocks_fail(err, ROCKS_ERR_PARSE, "malformed SampleReply (%zu bytes)", len);
  rocks_status_t st = ROCKS_OK;
  if (rep->n_positions != (size_t)n) {
    st = rocks_fail(err, ROCKS_ERR_PARSE, "SampleReply has %zu positions, asked for %d", rep->n_positions, n);
    goto done;
  }
  float *dist = dist_buf;
  for (int i = 0; i < n; i++) {
    const Replay__Position *p = rep->positions[i];
    ds_record_t *r = &out[i];
    if (p->board_size < 2 || p->board_size > BOARD_MAX_SIZE) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "position %d: board size %u", i, p->board_size);
      goto done;
    }
    const int N = (int)p->board_size, NN = N * N, B2 = ds_packed2_bytes(NN), B1 = ds_packed1_bytes(NN);
    const Replay__VisitDistribution *v = p->policy;
    if (p->history.len != (size_t)(DS_HISTORY * B2) || p->legal.len != (size_t)B1 || p->n_last_moves != 3 ||
        (p->to_play != COLOR_BLACK && p->to_play != COLOR_WHITE) || p->ko < -1 || p->ko >= NN || !v ||
        v->n_actions != v->n_probs || !isfinite(p->z)) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "position %d: malformed fields", i);
      goto done;
    }
    r->size = N;
    r->to_play = (int)p->to_play;
    r->komi = p->komi;
    for (int h = 0; h < DS_HISTORY; h++) {
      const uint8_t *src = p->history.data + h * B2;
      for (int k = 0; k < NN; k++) r->colors[h][k] = (src[k >> 2] >> (2 * (k & 3))) & 3;
    }
    r->ko = p->ko;
    for (int k = 0; k < 3; k++) {
      if (p->last_moves[k] < -1 || p->last_moves[k] > NN) {
        st = rocks_fail(err, ROCKS_ERR_PARSE, "position %d: last move %d", i, p->last_moves[k]);
        goto done;
      }
      r->last[k] = p->last_moves[k];
    }
    for (int k = 0; k < NN; k++) r->legal[k] = (p->legal.data[k >> 3] >> (k & 7)) & 1;
    for (int k = 0; k <= NN; k++) dist[k] = 0.0f;
    for (size_t k = 0; k < v->n_actions; k++) {
      if (v->actions[k] > (uint32_t)NN) {
        st = rocks_fail(err, ROCKS_ERR_PARSE, "position %d: action %u off the board", i, v->actions[k]);
        goto done;
      }
      dist[v->actions[k]] += v->probs[k];
    }
    r->policy = -1;
    r->dist = dist;
    r->z = p->z;
    dist += NN + 1;
  }
done:
  replay__sample_reply__free_unpacked(rep, NULL);
  return st;
}
