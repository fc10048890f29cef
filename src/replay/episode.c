/* episode.c — init, allocation and validation of replay episodes (episode.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/episode.h"

void replay_episode_init(replay_episode_t *ep) { memset(ep, 0, sizeof *ep); }

void replay_episode_free(replay_episode_t *ep) {
  free(ep->visit_offset);
  free(ep->visits);
  free(ep->full_search);
  free(ep->root_value);
  replay_episode_init(ep);
}

rocks_status_t replay_episode_alloc(replay_episode_t *ep, int nmoves, int nvisits, rocks_error_t *err) {
  if (nmoves < 0 || nmoves > DS_MAX_MOVES) return rocks_fail(err, ROCKS_ERR_ARG, "episode: %d moves (0..%d)", nmoves, DS_MAX_MOVES);
  if (nvisits < 0) return rocks_fail(err, ROCKS_ERR_ARG, "episode: %d visit entries", nvisits);
  free(ep->visit_offset);
  free(ep->visits);
  free(ep->full_search);
  free(ep->root_value);
  ep->visit_offset = calloc((size_t)nmoves + 1, sizeof *ep->visit_offset);
  ep->visits = calloc((size_t)nvisits + 1, sizeof *ep->visits);
  ep->full_search = calloc((size_t)nmoves + 1, 1);
  ep->root_value = calloc((size_t)nmoves + 1, sizeof *ep->root_value);
  if (!ep->visit_offset || !ep->visits || !ep->full_search || !ep->root_value) {
    replay_episode_free(ep);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "episode: out of memory");
  }
  ep->game.nmoves = nmoves;
  return ROCKS_OK;
}

int replay_episode_positions(const replay_episode_t *ep) {
  int n = 0;
  if (!ep->full_search) return 0;
  for (int t = ep->game.first_target < 0 ? 0 : ep->game.first_target; t < ep->game.nmoves; t++) n += ep->full_search[t] != 0;
  return n;
}

rocks_status_t replay_episode_validate(const replay_episode_t *ep, rocks_error_t *err) {
  const ds_game_t *g = &ep->game;
  if (g->size < 2 || g->size > BOARD_MAX_SIZE) return rocks_fail(err, ROCKS_ERR_ARG, "episode: board size %d (2..19)", g->size);
  const int NN = g->size * g->size;
  if (!isfinite(g->komi)) return rocks_fail(err, ROCKS_ERR_ARG, "episode: komi is not finite");
  if (g->nmoves < 0 || g->nmoves > DS_MAX_MOVES) return rocks_fail(err, ROCKS_ERR_ARG, "episode: %d moves (0..%d)", g->nmoves, DS_MAX_MOVES);
  if (g->nsetup < 0 || g->nsetup > NN) return rocks_fail(err, ROCKS_ERR_ARG, "episode: %d setup stones (0..%d)", g->nsetup, NN);
  if (g->first_target < 0) return rocks_fail(err, ROCKS_ERR_ARG, "episode: first_target %d < 0", g->first_target);
  if (g->winner != COLOR_EMPTY && g->winner != COLOR_BLACK && g->winner != COLOR_WHITE)
    return rocks_fail(err, ROCKS_ERR_ARG, "episode: winner %d (0 draw, 1 black, 2 white)", g->winner);
  for (int i = 0; i < g->nsetup; i++) {
    if (g->setup[i] < 0 || g->setup[i] >= NN) return rocks_fail(err, ROCKS_ERR_ARG, "episode: setup stone %d at point %d", i + 1, g->setup[i]);
    if (g->setup_colors[i] != COLOR_BLACK && g->setup_colors[i] != COLOR_WHITE)
      return rocks_fail(err, ROCKS_ERR_ARG, "episode: setup stone %d has colour %d", i + 1, g->setup_colors[i]);
  }
  if (g->nmoves > 0 && (!ep->visit_offset || !ep->full_search))
    return rocks_fail(err, ROCKS_ERR_ARG, "episode: per-move arrays missing");
  for (int t = 0; t < g->nmoves; t++) {
    if (g->moves[t] < 0 || g->moves[t] > NN) return rocks_fail(err, ROCKS_ERR_ARG, "episode: move %d at point %d (0..%d)", t + 1, g->moves[t], NN);
    if (g->colors[t] != COLOR_BLACK && g->colors[t] != COLOR_WHITE)
      return rocks_fail(err, ROCKS_ERR_ARG, "episode: move %d has colour %d", t + 1, g->colors[t]);
  }
  if (g->nmoves > 0 && ep->visit_offset[0] != 0) return rocks_fail(err, ROCKS_ERR_ARG, "episode: visit_offset[0] != 0");
  for (int t = 0; t < g->nmoves; t++) {
    int a = ep->visit_offset[t], b = ep->visit_offset[t + 1];
    if (b < a) return rocks_fail(err, ROCKS_ERR_ARG, "episode: move %d: visit offsets decrease", t + 1);
    if (b > a && !ep->visits) return rocks_fail(err, ROCKS_ERR_ARG, "episode: visits missing");
    double sum = 0;
    for (int k = a; k < b; k++) {
      const replay_visit_t *v = &ep->visits[k];
      if (v->action < 0 || v->action > NN) return rocks_fail(err, ROCKS_ERR_ARG, "episode: move %d: visit action %d (0..%d)", t + 1, v->action, NN);
      if (!isfinite(v->prob) || v->prob < 0) return rocks_fail(err, ROCKS_ERR_ARG, "episode: move %d: visit share %g", t + 1, (double)v->prob);
      sum += v->prob;
    }
    if (ep->full_search[t] && t >= g->first_target && fabs(sum - 1.0) > 1e-3)
      return rocks_fail(err, ROCKS_ERR_ARG, "episode: move %d: full-search visit shares sum to %g, not 1", t + 1, sum);
  }
  return ROCKS_OK;
}

rocks_status_t replay_episode_random(replay_episode_t *ep, int size, int max_moves, uint64_t seed, rocks_error_t *err) {
  replay_episode_free(ep);
  if (max_moves < 1 || max_moves > DS_MAX_MOVES) max_moves = DS_MAX_MOVES;
  board_t *b = malloc(sizeof *b);
  if (!b) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  rocks_status_t st = board_init(b, size, board_rules_tromp_taylor(), 7.5f, err);
  if (st == ROCKS_OK) st = replay_episode_alloc(ep, max_moves, max_moves * 16, err);
  if (st != ROCKS_OK) {
    free(b);
    return st;
  }
  rocks_rng_t rng;
  rocks_rng_seed(&rng, seed);
  ds_game_t *g = &ep->game;
  g->size = size;
  g->komi = 7.5f;
  g->rules = board_rules_tromp_taylor();
  g->seed = seed;
  const int NN = size * size;
  int nv = 0, t = 0;
  int *legal = malloc(sizeof(int) * (BOARD_MAX_SIZE + 2) * (BOARD_MAX_SIZE + 2));
  if (!legal) {
    free(b);
    replay_episode_free(ep);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  while (t < max_moves && !board_game_over(b)) {
    int c = b->to_play, mv = BOARD_PASS;
    for (int tries = 0; tries < 8; tries++) {
      int m = board_random_move(b, c, &rng);
      if (m == BOARD_PASS || board_is_legal(b, c, m)) {
        mv = m;
        break;
      }
    }
    int action = mv == BOARD_PASS ? NN : board_policy_index(b, mv);
    /* a random sparse distribution over the move played and up to 15 other legal moves */
    int nl = board_legal_moves(b, c, legal), k = 0;
    ep->visit_offset[t] = nv;
    float total = 0;
    ep->visits[nv + k].action = (int16_t)action;
    ep->visits[nv + k].prob = 1.0f + (float)rocks_rng_double(&rng) * 4.0f;
    total += ep->visits[nv + k++].prob;
    for (int i = 0; i < nl && k < 16; i++) {
      int a = legal[i] == BOARD_PASS ? NN : board_policy_index(b, legal[i]);
      if (a == action || rocks_rng_below(&rng, 3)) continue;
      ep->visits[nv + k].action = (int16_t)a;
      ep->visits[nv + k].prob = (float)rocks_rng_double(&rng);
      total += ep->visits[nv + k++].prob;
    }
    for (int i = 0; i < k; i++) ep->visits[nv + i].prob /= total;
    nv += k;
    ep->full_search[t] = rocks_rng_below(&rng, 4) != 0;
    ep->root_value[t] = (float)(rocks_rng_double(&rng) * 2 - 1);
    g->moves[t] = (int16_t)action;
    g->colors[t] = (uint8_t)c;
    board_play_legal(b, c, mv);
    t++;
  }
  ep->visit_offset[t] = nv;
  g->nmoves = t;
  g->winner = board_winner(b);
  g->score = (float)board_score(b, NULL, NULL);
  snprintf(ep->model_id, sizeof ep->model_id, "random");
  snprintf(ep->worker_id, sizeof ep->worker_id, "synthetic:%llu", (unsigned long long)seed);
  ep->flags = t >= max_moves ? REPLAY_EP_MOVE_CAP : 0;
  free(legal);
  free(b);
  return ROCKS_OK;
}
