/* selfplay.c — the self-play driver: G games in flight, their MCTS leaves evaluated in one batch
 * per round (selfplay.h), the network evaluator, episodes and their shards. */
#include "selfplay/selfplay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/ds.h"
#include "mcts/mcts_go.h"

selfplay_config_t selfplay_config_default(void) {
  selfplay_config_t c = {
      .size = 9, .komi = 7.5f, .games_in_flight = 16, .visits = 64, .fast_visits = 16, .full_prob = 0.25,
      .batch = 8, .temp_moves = 8, .resign_threshold = -0.9, .min_resign_move = 20, .resign_disabled_frac = 0.1,
      .max_moves = 0, .pass_rule = 1, .dirichlet_alpha = 0, .dirichlet_epsilon = 0.25, .symmetries = 1, .features = FEAT_AGZ,
      .threads = 1, .seed = 1, .id_base = 0,
  };
  return c;
}

rocks_status_t selfplay_config_check(const selfplay_config_t *c, rocks_error_t *err) {
  if (c->size < BOARD_MIN_SIZE || c->size > BOARD_MAX_SIZE)
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: board size %d is outside %d..%d", c->size, BOARD_MIN_SIZE, BOARD_MAX_SIZE);
  if (c->games_in_flight < 1 || c->games_in_flight > 4096)
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: games in flight %d is outside 1..4096", c->games_in_flight);
  if (c->visits < 1 || c->fast_visits < 1)
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: visits (%d) and fast visits (%d) must be >= 1", c->visits, c->fast_visits);
  if (!(c->full_prob >= 0 && c->full_prob <= 1))
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: full-search probability %g is outside [0, 1]", c->full_prob);
  if (c->batch < 1 || c->batch > 1024) return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: batch %d is outside 1..1024", c->batch);
  if (!(c->resign_disabled_frac >= 0 && c->resign_disabled_frac <= 1))
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: resign-disabled fraction %g is outside [0, 1]", c->resign_disabled_frac);
  if (!(c->resign_threshold >= -1 && c->resign_threshold <= 1))
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: resign threshold %g is outside [-1, 1]", c->resign_threshold);
  if (c->max_moves < 0 || c->max_moves > DS_MAX_MOVES)
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: move cap %d is outside 0..%d", c->max_moves, DS_MAX_MOVES);
  if (c->threads < 1 || c->threads > 64) return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: threads %d is outside 1..64", c->threads);
  if (c->temp_moves < 0) return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: negative temperature moves");
  if (c->pass_rule != MCTS_GO_PASS_ANY && c->pass_rule != MCTS_GO_PASS_WHEN_DONE)
    return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: pass rule %d is not 0 or 1", c->pass_rule);
  if (c->min_resign_move < 0) return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: negative min resign move");
  return ROCKS_OK;
}

/* ============================================================================ evaluator === */

struct selfplay_nn {
  nn_infer_t *engine;
  feat_set_t features;
  int size, planes;
  float *inp, *tmp, *logits, *values;
  int cap;
  int64_t positions;
};

selfplay_nn_t *selfplay_nn_new(const goresnet_t *m, feat_set_t features, int threads, rocks_error_t *err) {
  if (m->config.planes != feat_planes(features)) {
    rocks_fail(err, ROCKS_ERR_ARG, "selfplay: the network takes %d input planes, feature set %s has %d", m->config.planes,
               feat_name(features), feat_planes(features));
    return NULL;
  }
  selfplay_nn_t *e = calloc(1, sizeof *e);
  if (!e) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  nn_infer_config_t ic = nn_infer_config_default();
  ic.threads = threads;
  ic.max_batch = 64;
  e->engine = nn_infer_new(m, &ic, err);
  if (!e->engine) {
    free(e);
    return NULL;
  }
  e->features = features;
  e->size = m->config.size;
  e->planes = m->config.planes;
  return e;
}

void selfplay_nn_delete(selfplay_nn_t *e) {
  if (!e) return;
  nn_infer_delete(e->engine);
  free(e->inp), free(e->tmp), free(e->logits), free(e->values);
  free(e);
}

int64_t selfplay_nn_positions(const selfplay_nn_t *e) { return e->positions; }

static rocks_status_t nn_grow(selfplay_nn_t *e, int n, rocks_error_t *err) {
  if (n <= e->cap) return ROCKS_OK;
  int cap = e->cap ? e->cap : 64;
  while (cap < n) cap *= 2;
  const size_t NN = (size_t)e->size * (size_t)e->size, P = (size_t)e->planes;
  float *inp = realloc(e->inp, (size_t)cap * P * NN * sizeof *inp);
  if (inp) e->inp = inp;
  float *lg = realloc(e->logits, (size_t)cap * (NN + 1) * sizeof *lg);
  if (lg) e->logits = lg;
  float *v = realloc(e->values, (size_t)cap * sizeof *v);
  if (v) e->values = v;
  if (!e->tmp) e->tmp = malloc(P * NN * sizeof *e->tmp);
  if (!inp || !lg || !v || !e->tmp) return rocks_fail(err, ROCKS_ERR_NOMEM, "selfplay: out of memory for a batch of %d", n);
  e->cap = cap;
  return ROCKS_OK;
}

rocks_status_t selfplay_nn_eval(selfplay_nn_t *e, const board_t *const *boards, const int *sym, int n, float *priors,
                                float *values, rocks_error_t *err) {
  if (n <= 0) return ROCKS_OK;
  rocks_status_t st = nn_grow(e, n, err);
  if (st != ROCKS_OK) return st;
  const int N = e->size, NN = N * N, A = NN + 1;
  const size_t plane_floats = (size_t)e->planes * (size_t)NN;
  for (int i = 0; i < n; i++) {
    if (boards[i]->size != N)
      return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: a %dx%d board for a %dx%d network", boards[i]->size, boards[i]->size, N, N);
    float *dst = e->inp + (size_t)i * plane_floats;
    int s = sym ? sym[i] : 0;
    if (s == 0) feat_encode(boards[i], e->features, dst);
    else {
      feat_encode(boards[i], e->features, e->tmp);
      ds_sym_planes(dst, e->tmp, e->planes, N, s);
    }
  }
  if ((st = nn_infer_forward(e->engine, e->inp, n, e->logits, e->values, err)) != ROCKS_OK) return st;
  float probs[DS_MAX_NN + 1];
  for (int i = 0; i < n; i++) {
    const float *lg = e->logits + (size_t)i * A;
    float mx = lg[0];
    for (int a = 1; a < A; a++) mx = lg[a] > mx ? lg[a] : mx;
    double sum = 0;
    for (int a = 0; a < A; a++) sum += (probs[a] = expf(lg[a] - mx));
    for (int a = 0; a < A; a++) probs[a] = (float)(probs[a] / sum);
    float *out = priors + (size_t)i * A;
    int s = sym ? sym[i] : 0;
    if (s == 0) memcpy(out, probs, (size_t)A * sizeof *out);
    else ds_sym_policy(out, probs, N, ds_sym_inverse(s)); /* the net saw sym(board): undo it */
    values[i] = e->values[i];
  }
  e->positions += n;
  return ROCKS_OK;
}

/* =============================================================================== driver === */

typedef struct {
  int active;
  int64_t index;            /* game number k                                                   */
  board_t *board;
  mcts_t *mcts;
  rocks_rng_t rng;          /* coin flips of this game (PCR, symmetries)                        */
  int full;                 /* this move: full search                                          */
  int budget, done;         /* simulations wanted / done this move                             */
  int resign_disabled;
  int would_resign;         /* colour that would have resigned (resign-disabled games), or 0    */
  int nleaves;              /* pending leaves (this round)                                      */
  int first_leaf;           /* their offset in the round's batch                                */
  replay_episode_t ep;
  int nvisits, cap_visits;
} game_t;

struct selfplay {
  selfplay_config_t c;
  int64_t max_games;
  mcts_go_t *go;
  game_t *games;
  int A;
  selfplay_nn_t *nn;
  selfplay_eval_fn eval;
  void *eval_ctx;
  char model_id[64];
  /* round buffers */
  const board_t **boards;
  int *sym;
  float *priors, *values;
  int bcap;
  float *pi;
  int32_t *visits;
  selfplay_stats_t stats;
};

static void game_free(game_t *g) {
  mcts_delete(g->mcts);
  free(g->board);
  free(g->ep.visit_offset), free(g->ep.visits), free(g->ep.full_search), free(g->ep.root_value);
}

selfplay_t *selfplay_new(const selfplay_config_t *c, int64_t max_games, rocks_error_t *err) {
  if (selfplay_config_check(c, err) != ROCKS_OK) return NULL;
  selfplay_t *s = calloc(1, sizeof *s);
  if (!s) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  s->c = *c;
  if (s->c.max_moves == 0) s->c.max_moves = 2 * c->size * c->size;
  s->max_games = max_games;
  s->A = c->size * c->size + 1;
  strcpy(s->model_id, "uniform");
  s->go = mcts_go_new(c->size, s->c.max_moves, c->seed, err);
  if (s->go) mcts_go_set_pass_rule(s->go, c->pass_rule);
  const int G = c->games_in_flight;
  s->games = calloc((size_t)G, sizeof *s->games);
  s->pi = malloc((size_t)s->A * sizeof *s->pi);
  s->visits = malloc((size_t)s->A * sizeof *s->visits);
  if (!s->go || !s->games || !s->pi || !s->visits) {
    if (s->go) rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    selfplay_delete(s);
    return NULL;
  }
  mcts_config_t mc = mcts_config_default();
  mc.batch_size = c->batch;
  mc.dirichlet_alpha = c->dirichlet_alpha;
  mc.dirichlet_epsilon = c->dirichlet_epsilon;
  mc.resign_threshold = c->resign_threshold;
  mc.max_nodes = 1 << 20;
  for (int i = 0; i < G; i++) {
    game_t *g = &s->games[i];
    g->board = malloc(sizeof *g->board);
    g->ep.visit_offset = malloc((DS_MAX_MOVES + 1) * sizeof *g->ep.visit_offset);
    g->ep.full_search = malloc(DS_MAX_MOVES * sizeof *g->ep.full_search);
    g->ep.root_value = malloc(DS_MAX_MOVES * sizeof *g->ep.root_value);
    g->mcts = mcts_new(mcts_go_game(s->go), &mc, mcts_go_eval_uniform, s->go, err);
    if (!g->board || !g->ep.visit_offset || !g->ep.full_search || !g->ep.root_value || !g->mcts) {
      if (g->mcts) rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      selfplay_delete(s);
      return NULL;
    }
  }
  return s;
}

void selfplay_delete(selfplay_t *s) {
  if (!s) return;
  if (s->games)
    for (int i = 0; i < s->c.games_in_flight; i++) game_free(&s->games[i]);
  free(s->games);
  mcts_go_delete(s->go);
  free(s->boards), free(s->sym), free(s->priors), free(s->values), free(s->pi), free(s->visits);
  free(s);
}

void selfplay_set_nn(selfplay_t *s, selfplay_nn_t *e, const char *model_id) {
  s->nn = e;
  s->eval = NULL;
  snprintf(s->model_id, sizeof s->model_id, "%s", model_id ? model_id : "network");
}

void selfplay_set_eval(selfplay_t *s, selfplay_eval_fn fn, void *ctx, const char *model_id) {
  s->nn = NULL;
  s->eval = fn;
  s->eval_ctx = ctx;
  snprintf(s->model_id, sizeof s->model_id, "%s", model_id ? model_id : "custom");
}

void selfplay_get_stats(const selfplay_t *s, selfplay_stats_t *st) { *st = s->stats; }

/* Sets up the search of the next move of g: PCR coin, noise on full searches only. */
static rocks_status_t begin_move(selfplay_t *s, game_t *g, rocks_error_t *err) {
  g->full = rocks_rng_double(&g->rng) < s->c.full_prob;
  g->budget = g->full ? s->c.visits : s->c.fast_visits;
  g->done = 0;
  mcts_config_t mc = mcts_get_config(g->mcts);
  mc.dirichlet = g->full != 0;
  return mcts_set_config(g->mcts, &mc, err);
}

static rocks_status_t start_game(selfplay_t *s, game_t *g, rocks_error_t *err) {
  const int64_t k = s->stats.games_started++;
  uint64_t seed = rocks_mix64(s->c.seed ^ rocks_mix64((uint64_t)k + 0x9e3779b97f4a7c15ull));
  rocks_rng_seed(&g->rng, seed);
  rocks_status_t st = board_init(g->board, s->c.size, board_rules_tromp_taylor(), s->c.komi, err);
  if (st != ROCKS_OK) return st;
  mcts_config_t mc = mcts_get_config(g->mcts);
  mc.seed = rocks_mix64(seed ^ 0x5e1fu);
  /* the tree's RNG is seeded by mcts_new only: a fresh tree per game keeps games independent */
  mcts_t *m = mcts_new(mcts_go_game(s->go), &mc, mcts_go_eval_uniform, s->go, err);
  if (!m) return err && err->code ? err->code : ROCKS_ERR_NOMEM;
  mcts_delete(g->mcts);
  g->mcts = m;
  if ((st = mcts_set_root(g->mcts, g->board, err)) != ROCKS_OK) return st;
  g->active = 1;
  g->index = k;
  g->resign_disabled = rocks_rng_double(&g->rng) < s->c.resign_disabled_frac;
  g->would_resign = 0;
  g->nvisits = 0;
  ds_game_t *dg = &g->ep.game;
  memset(dg, 0, sizeof *dg);
  dg->id = s->c.id_base + k;
  dg->size = s->c.size;
  dg->komi = s->c.komi;
  dg->rules = board_rules_tromp_taylor();
  dg->seed = seed;
  dg->score = NAN;
  snprintf(dg->source, sizeof dg->source, "selfplay %s game %lld", s->model_id, (long long)k);
  g->ep.visit_offset[0] = 0;
  g->ep.flags = g->resign_disabled ? REPLAY_EP_RESIGN_DISABLED : 0;
  snprintf(g->ep.model_id, sizeof g->ep.model_id, "%s", s->model_id);
  return begin_move(s, g, err);
}

static rocks_status_t push_visits(game_t *g, int A, const float *pi) {
  int need = g->nvisits + A;
  if (need > g->cap_visits) {
    int cap = g->cap_visits ? g->cap_visits : 4096;
    while (cap < need) cap *= 2;
    replay_visit_t *v = realloc(g->ep.visits, (size_t)cap * sizeof *v);
    if (!v) return ROCKS_ERR_NOMEM;
    g->ep.visits = v;
    g->cap_visits = cap;
  }
  for (int a = 0; a < A; a++)
    if (pi[a] > 0) g->ep.visits[g->nvisits++] = (replay_visit_t){.action = (int16_t)a, .prob = pi[a]};
  return ROCKS_OK;
}

/* Ends the game: result, statistics, callback, then a new game (or idle). */
static rocks_status_t finish_game(selfplay_t *s, game_t *g, int resigner, selfplay_episode_fn cb, void *ctx,
                                  rocks_error_t *err) {
  ds_game_t *dg = &g->ep.game;
  if (resigner) {
    dg->winner = board_other(resigner);
    dg->score = NAN;
    snprintf(dg->result, sizeof dg->result, "%c+R", dg->winner == COLOR_BLACK ? 'B' : 'W');
    g->ep.flags |= REPLAY_EP_RESIGNED;
    s->stats.resigned++;
  } else {
    double sc = board_score(g->board, NULL, NULL);
    dg->score = (float)sc;
    dg->winner = sc > 0 ? COLOR_BLACK : sc < 0 ? COLOR_WHITE : COLOR_EMPTY;
    if (sc == 0) snprintf(dg->result, sizeof dg->result, "0");
    else snprintf(dg->result, sizeof dg->result, "%c+%g", sc > 0 ? 'B' : 'W', fabs(sc));
    if (!board_game_over(g->board)) g->ep.flags |= REPLAY_EP_MOVE_CAP, s->stats.move_cap++;
  }
  s->stats.black_wins += dg->winner == COLOR_BLACK;
  s->stats.white_wins += dg->winner == COLOR_WHITE;
  s->stats.draws += dg->winner == COLOR_EMPTY;
  if (g->resign_disabled) {
    s->stats.resign_disabled++;
    if (g->would_resign) {
      s->stats.would_resign++;
      if (dg->winner != board_other(g->would_resign)) s->stats.false_positives++;
    }
  }
  dg->first_target = 0;
  s->stats.games_finished++;
  g->active = 0;
  if (cb && cb(ctx, &g->ep) != 0) return rocks_fail(err, ROCKS_ERR_STATE, "selfplay: the episode consumer failed");
  if (s->max_games < 0 || s->stats.games_started < s->max_games) return start_game(s, g, err);
  return ROCKS_OK;
}

/* The search of g is done: record, choose, play; maybe finish the game. */
static rocks_status_t play_move(selfplay_t *s, game_t *g, selfplay_episode_fn cb, void *ctx, rocks_error_t *err) {
  ds_game_t *dg = &g->ep.game;
  const int t = dg->nmoves, A = s->A;
  const int color = g->board->to_play;
  rocks_status_t st = mcts_policy_target(g->mcts, s->pi, err);
  if (st != ROCKS_OK) return st;
  g->ep.full_search[t] = (uint8_t)g->full;
  g->ep.root_value[t] = (float)mcts_root_value(g->mcts);
  if (g->full && push_visits(g, A, s->pi) != ROCKS_OK) return rocks_fail(err, ROCKS_ERR_NOMEM, "selfplay: out of memory");
  g->ep.visit_offset[t + 1] = g->nvisits;
  s->stats.moves++;
  s->stats.full_moves += g->full;
  /* resignation (checked before choosing: the side to move gives up) */
  if (s->c.resign_threshold > -1 && t >= s->c.min_resign_move && mcts_should_resign(g->mcts)) {
    if (!g->resign_disabled) {
      dg->nmoves = t; /* the resignation is not a move: drop this position's record */
      g->nvisits = g->ep.visit_offset[t];
      s->stats.moves--;
      s->stats.full_moves -= g->full;
      return finish_game(s, g, color, cb, ctx, err);
    }
    if (!g->would_resign) g->would_resign = color;
  }
  int action;
  double temp = t < s->c.temp_moves ? 1.0 : 0.0;
  if ((st = mcts_select_action(g->mcts, temp, &action, err)) != ROCKS_OK) return st;
  dg->moves[t] = (int16_t)action;
  dg->colors[t] = (uint8_t)color;
  dg->nmoves = t + 1;
  if ((st = board_play(g->board, color, board_policy_point(g->board, action), err)) != ROCKS_OK) return st;
  if ((st = mcts_advance(g->mcts, action, err)) != ROCKS_OK) return st;
  if (board_game_over(g->board) || g->board->move_count >= s->c.max_moves || dg->nmoves >= DS_MAX_MOVES)
    return finish_game(s, g, 0, cb, ctx, err);
  return begin_move(s, g, err);
}

static rocks_status_t grow_round(selfplay_t *s, int n, rocks_error_t *err) {
  if (n <= s->bcap) return ROCKS_OK;
  int cap = s->bcap ? s->bcap : 64;
  while (cap < n) cap *= 2;
  const board_t **b = realloc(s->boards, (size_t)cap * sizeof *b);
  if (b) s->boards = b;
  int *sym = realloc(s->sym, (size_t)cap * sizeof *sym);
  if (sym) s->sym = sym;
  float *p = realloc(s->priors, (size_t)cap * (size_t)s->A * sizeof *p);
  if (p) s->priors = p;
  float *v = realloc(s->values, (size_t)cap * sizeof *v);
  if (v) s->values = v;
  if (!b || !sym || !p || !v) return rocks_fail(err, ROCKS_ERR_NOMEM, "selfplay: out of memory");
  s->bcap = cap;
  return ROCKS_OK;
}

rocks_status_t selfplay_step(selfplay_t *s, selfplay_episode_fn cb, void *ctx, int *finished, rocks_error_t *err) {
  if (finished) *finished = 0;
  if (!s->nn && !s->eval) return rocks_fail(err, ROCKS_ERR_STATE, "selfplay: no evaluator (selfplay_set_nn / _set_eval)");
  const int G = s->c.games_in_flight;
  rocks_status_t st = ROCKS_OK;
  /* start games up to G in flight */
  for (int i = 0; i < G; i++)
    if (!s->games[i].active && (s->max_games < 0 || s->stats.games_started < s->max_games))
      if ((st = start_game(s, &s->games[i], err)) != ROCKS_OK) return st;
  /* collect */
  if ((st = grow_round(s, G * s->c.batch, err)) != ROCKS_OK) return st;
  int n = 0;
  for (int i = 0; i < G; i++) {
    game_t *g = &s->games[i];
    g->nleaves = 0;
    if (!g->active) continue;
    const void *const *states;
    int k, completed, want = g->budget - g->done;
    if ((st = mcts_collect(g->mcts, want, &states, &k, &completed, err)) != ROCKS_OK) return st;
    g->done += completed;
    s->stats.simulations += completed;
    g->first_leaf = n;
    g->nleaves = k;
    for (int j = 0; j < k; j++, n++) {
      s->boards[n] = states[j];
      s->sym[n] = s->c.symmetries ? (int)rocks_rng_below(&g->rng, 8) : 0;
    }
  }
  /* evaluate every leaf of every game in one call */
  if (n > 0) {
    if (s->nn) st = selfplay_nn_eval(s->nn, s->boards, s->sym, n, s->priors, s->values, err);
    else if (s->eval(s->eval_ctx, s->boards, n, s->priors, s->values) != 0)
      st = rocks_fail(err, ROCKS_ERR_STATE, "selfplay: the evaluator failed");
    if (st != ROCKS_OK) {
      for (int i = 0; i < G; i++) mcts_abandon(s->games[i].mcts);
      return st;
    }
    s->stats.evaluations += n;
    s->stats.batches++;
  }
  /* apply, then move where the search is done */
  for (int i = 0; i < G; i++) {
    game_t *g = &s->games[i];
    if (!g->active) continue;
    if (g->nleaves > 0) {
      st = mcts_apply(g->mcts, s->priors + (size_t)g->first_leaf * (size_t)s->A, s->values + g->first_leaf, err);
      if (st != ROCKS_OK && st != ROCKS_ERR_NOMEM) return st;
      g->done += g->nleaves;
      s->stats.simulations += g->nleaves;
      if (st == ROCKS_ERR_NOMEM) g->done = g->budget; /* pool cap: play with what we have */
    }
    if (g->done >= g->budget && (st = play_move(s, g, cb, ctx, err)) != ROCKS_OK) return st;
  }
  if (finished) *finished = s->max_games >= 0 && s->stats.games_finished >= s->max_games;
  return ROCKS_OK;
}

rocks_status_t selfplay_run(selfplay_t *s, selfplay_episode_fn cb, void *ctx, rocks_error_t *err) {
  if (s->max_games < 0) return rocks_fail(err, ROCKS_ERR_ARG, "selfplay_run needs a game limit");
  int fin = s->stats.games_finished >= s->max_games;
  while (!fin) {
    rocks_status_t st = selfplay_step(s, cb, ctx, &fin, err);
    if (st != ROCKS_OK) return st;
  }
  return ROCKS_OK;
}

/* ============================================================================= episodes === */

rocks_status_t selfplay_episode_copy(replay_episode_t *dst, const replay_episode_t *src, rocks_error_t *err) {
  const int T = src->game.nmoves, nv = src->visit_offset[T];
  *dst = *src;
  dst->visit_offset = malloc((size_t)(T + 1) * sizeof *dst->visit_offset);
  dst->visits = malloc((size_t)(nv > 0 ? nv : 1) * sizeof *dst->visits);
  dst->full_search = malloc((size_t)(T > 0 ? T : 1));
  dst->root_value = malloc((size_t)(T > 0 ? T : 1) * sizeof *dst->root_value);
  if (!dst->visit_offset || !dst->visits || !dst->full_search || !dst->root_value) {
    selfplay_episode_free(dst);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  memcpy(dst->visit_offset, src->visit_offset, (size_t)(T + 1) * sizeof *dst->visit_offset);
  if (nv > 0) memcpy(dst->visits, src->visits, (size_t)nv * sizeof *dst->visits);
  if (T > 0) memcpy(dst->full_search, src->full_search, (size_t)T);
  if (T > 0 && src->root_value) memcpy(dst->root_value, src->root_value, (size_t)T * sizeof *dst->root_value);
  else if (T > 0) memset(dst->root_value, 0, (size_t)T * sizeof *dst->root_value);
  return ROCKS_OK;
}

void selfplay_episode_free(replay_episode_t *ep) {
  free(ep->visit_offset), free(ep->visits), free(ep->full_search), free(ep->root_value);
  ep->visit_offset = NULL, ep->visits = NULL, ep->full_search = NULL, ep->root_value = NULL;
}

float *selfplay_episode_dense(const replay_episode_t *ep) {
  const int T = ep->game.nmoves, A = ep->game.size * ep->game.size + 1;
  float *d = calloc((size_t)(T > 0 ? T : 1) * (size_t)A, sizeof *d);
  if (!d) return NULL;
  for (int t = 0; t < T; t++)
    for (int j = ep->visit_offset[t]; j < ep->visit_offset[t + 1]; j++) {
      int a = ep->visits[j].action;
      if (a >= 0 && a < A) d[(size_t)t * (size_t)A + (size_t)a] = ep->visits[j].prob;
    }
  return d;
}

rocks_status_t selfplay_write_shard(const char *path, const replay_episode_t *eps, int n, const char *meta_json,
                                    rocks_error_t *err) {
  ds_game_t *games = malloc((size_t)(n > 0 ? n : 1) * sizeof *games);
  ds_game_targets_t *tg = calloc((size_t)(n > 0 ? n : 1), sizeof *tg);
  float **dense = calloc((size_t)(n > 0 ? n : 1), sizeof *dense);
  rocks_status_t st = ROCKS_OK;
  if (!games || !tg || !dense) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  for (int i = 0; i < n && st == ROCKS_OK; i++) {
    games[i] = eps[i].game;
    if (!(dense[i] = selfplay_episode_dense(&eps[i]))) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    tg[i].train = eps[i].full_search;
    tg[i].dist = dense[i];
  }
  if (st == ROCKS_OK) st = ds_shard_write_targets(path, games, tg, n, 1, meta_json, NULL, err);
  for (int i = 0; dense && i < n; i++) free(dense[i]);
  free(dense), free(tg), free(games);
  return st;
}
