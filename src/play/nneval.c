/* nneval.c — GoResNet evaluator for the search (see nneval.h).
 *
 * One call: encode every board (feat_encode) into a scratch block, transform it by the chosen
 * symmetry into the network's input batch, one nn_infer_forward for the whole batch, then per
 * position: logits back through the inverse symmetry, softmax over the legal moves in double.
 */
#include "play/nneval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/ds.h"
#include "nn/infer.h"

struct nneval {
  nneval_config_t cfg;
  goresnet_config_t model; /* architecture (size, planes, features) */
  feat_set_t feat;
  int N, A, planes;        /* board size, actions N*N+1, input planes */
  nn_infer_t *engine;
  rocks_rng_t rng;         /* symmetry stream */
  int cap;                 /* positions the buffers hold */
  float *scratch;          /* (planes, N, N) untransformed planes of one position */
  float *inp;              /* (cap, planes, N, N) network input */
  float *logits;           /* (cap, A) */
  float *values;           /* (cap) */
  int *sym;                /* (cap) symmetry used per position */
  int64_t positions, forwards;
  rocks_error_t last;      /* last nneval_mcts failure */
};

nneval_config_t nneval_config_default(void) {
  return (nneval_config_t){.threads = 2, .symmetry = -1, .seed = 1, .max_batch = 16};
}

void nneval_delete(nneval_t *e) {
  if (!e) return;
  nn_infer_delete(e->engine);
  free(e->scratch);
  free(e->inp);
  free(e->logits);
  free(e->values);
  free(e->sym);
  free(e);
}

/* Buffers for n positions. */
static rocks_status_t reserve(nneval_t *e, int n, rocks_error_t *err) {
  if (n <= e->cap) return ROCKS_OK;
  const size_t plane = (size_t)e->planes * e->N * e->N;
  float *inp = realloc(e->inp, sizeof(float) * plane * (size_t)n);
  if (inp) e->inp = inp;
  float *logits = realloc(e->logits, sizeof(float) * (size_t)e->A * (size_t)n);
  if (logits) e->logits = logits;
  float *values = realloc(e->values, sizeof(float) * (size_t)n);
  if (values) e->values = values;
  int *sym = realloc(e->sym, sizeof(int) * (size_t)n);
  if (sym) e->sym = sym;
  if (!inp || !logits || !values || !sym)
    return rocks_fail(err, ROCKS_ERR_NOMEM, "nneval: out of memory for a batch of %d", n);
  e->cap = n;
  return ROCKS_OK;
}

nneval_t *nneval_new_from_model(const goresnet_t *m, const nneval_config_t *cfg, rocks_error_t *err) {
  nneval_config_t c = cfg ? *cfg : nneval_config_default();
  if (c.threads < 1 || c.threads > 64) {
    rocks_fail(err, ROCKS_ERR_ARG, "nneval: threads must be 1..64, got %d", c.threads);
    return NULL;
  }
  if (c.symmetry < -1 || c.symmetry > 7) {
    rocks_fail(err, ROCKS_ERR_ARG, "nneval: symmetry must be -1 (random) or 0..7, got %d", c.symmetry);
    return NULL;
  }
  if (c.max_batch < 1) c.max_batch = 1;
  feat_set_t feat = FEAT_AGZ;
  if (m->config.features[0] && feat_from_name(m->config.features, &feat, err) != ROCKS_OK) return NULL;
  if (feat_planes(feat) != m->config.planes) {
    rocks_fail(err, ROCKS_ERR_ARG, "nneval: the network takes %d input planes but its feature set '%s' has %d",
               m->config.planes, feat_name(feat), feat_planes(feat));
    return NULL;
  }
  if (m->config.size < BOARD_MIN_SIZE || m->config.size > BOARD_MAX_SIZE) {
    rocks_fail(err, ROCKS_ERR_ARG, "nneval: network board size %d is not playable (%d..%d)", m->config.size,
               BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    return NULL;
  }
  nneval_t *e = calloc(1, sizeof *e);
  if (!e) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "nneval: out of memory");
    return NULL;
  }
  e->cfg = c;
  e->model = m->config;
  e->feat = feat;
  e->N = m->config.size;
  e->A = e->N * e->N + 1;
  e->planes = m->config.planes;
  rocks_rng_seed(&e->rng, c.seed);
  nn_infer_config_t ic = nn_infer_config_default();
  ic.threads = c.threads;
  ic.max_batch = c.max_batch;
  e->engine = nn_infer_new(m, &ic, err);
  e->scratch = malloc(sizeof(float) * (size_t)e->planes * e->N * e->N);
  if (!e->engine || !e->scratch || reserve(e, c.max_batch, err) != ROCKS_OK) {
    if (e->engine && !e->scratch) rocks_fail(err, ROCKS_ERR_NOMEM, "nneval: out of memory");
    nneval_delete(e);
    return NULL;
  }
  return e;
}

nneval_t *nneval_new(const char *path, const nneval_config_t *cfg, rocks_error_t *err) {
  goresnet_t *m = nn_checkpoint_load_new(path, err);
  if (!m) return NULL;
  nneval_t *e = nneval_new_from_model(m, cfg, err);
  goresnet_delete(m); /* the engine keeps folded copies of the weights */
  return e;
}

int nneval_size(const nneval_t *e) { return e->N; }
feat_set_t nneval_features(const nneval_t *e) { return e->feat; }
const goresnet_config_t *nneval_model_config(const nneval_t *e) { return &e->model; }
void nneval_set_symmetry(nneval_t *e, int symmetry) {
  e->cfg.symmetry = symmetry < -1 || symmetry > 7 ? -1 : symmetry;
}
int64_t nneval_positions(const nneval_t *e) { return e->positions; }
int64_t nneval_forwards(const nneval_t *e) { return e->forwards; }

/* priors = softmax of logits over the legal moves of b->to_play (policy indices), 0 elsewhere. */
static void legal_softmax(const board_t *b, const float *logits, float *priors, int A) {
  int moves[BOARD_MAX_MOVES], idx[BOARD_MAX_MOVES];
  const int n = board_legal_moves(b, b->to_play, moves);
  memset(priors, 0, sizeof(float) * (size_t)A);
  double mx = -INFINITY;
  for (int i = 0; i < n; i++) {
    idx[i] = board_policy_index(b, moves[i]);
    if (logits[idx[i]] > mx) mx = logits[idx[i]];
  }
  if (n == 0) return;
  if (!isfinite(mx)) { /* degenerate logits: uniform over the legal moves */
    for (int i = 0; i < n; i++) priors[idx[i]] = (float)(1.0 / n);
    return;
  }
  double s = 0;
  for (int i = 0; i < n; i++) s += exp((double)logits[idx[i]] - mx);
  for (int i = 0; i < n; i++) priors[idx[i]] = (float)(exp((double)logits[idx[i]] - mx) / s);
}

rocks_status_t nneval_eval(nneval_t *e, const board_t *const *boards, int n, float *priors,
                           float *values, rocks_error_t *err) {
  if (n < 1) return rocks_fail(err, ROCKS_ERR_ARG, "nneval: empty batch");
  for (int i = 0; i < n; i++)
    if (boards[i]->size != e->N)
      return rocks_fail(err, ROCKS_ERR_ARG, "nneval: board size %d, but the network plays %dx%d",
                        boards[i]->size, e->N, e->N);
  rocks_status_t st = reserve(e, n, err);
  if (st != ROCKS_OK) return st;
  const size_t plane = (size_t)e->planes * e->N * e->N;
  for (int i = 0; i < n; i++) {
    const int s = e->cfg.symmetry >= 0 ? e->cfg.symmetry : (int)rocks_rng_below(&e->rng, 8);
    e->sym[i] = s;
    feat_encode(boards[i], e->feat, e->scratch);
    ds_sym_planes(e->inp + plane * (size_t)i, e->scratch, e->planes, e->N, s);
  }
  st = nn_infer_forward(e->engine, e->inp, n, e->logits, e->values, err);
  if (st != ROCKS_OK) return st;
  e->forwards++;
  e->positions += n;
  float back[BOARD_MAX_MOVES];
  for (int i = 0; i < n; i++) {
    if (priors) {
      /* The network saw point i at sym(i): logit of i = output at sym(i). */
      ds_sym_policy(back, e->logits + (size_t)e->A * i, e->N, ds_sym_inverse(e->sym[i]));
      legal_softmax(boards[i], back, priors + (size_t)e->A * i, e->A);
    }
    if (values) {
      float v = e->values[i];
      if (!isfinite(v)) return rocks_fail(err, ROCKS_ERR_STATE, "nneval: the network returned a non-finite value");
      values[i] = v > 1 ? 1 : v < -1 ? -1 : v;
    }
  }
  return ROCKS_OK;
}

int nneval_mcts(void *ctx, const void *const *states, int n, float *priors, float *values) {
  nneval_t *e = ctx;
  rocks_status_t st = nneval_eval(e, (const board_t *const *)states, n, priors, values, &e->last);
  return st == ROCKS_OK ? 0 : (int)st;
}

const rocks_error_t *nneval_last_error(const nneval_t *e) { return &e->last; }
