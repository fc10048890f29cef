/* mcts.c — PUCT tree search over an abstract game (see mcts.h for the exact formulas).
 *
 * Layout: one pool (array) of 32-byte nodes; index 0 is always the root; the children of a node
 * are one contiguous block [first, first + nchildren) in ascending action order. Nodes are only
 * appended during a search; mcts_advance slides the kept subtree to the front of the pool.
 * A simulation selects a path by statistics alone, and only a path ending in a fresh leaf
 * replays its actions on a scratch copy of the root state (terminal visits cost no copy).
 */
#include "mcts/mcts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* nodes                                                                                       */

enum { NODE_FRESH = 0, NODE_PENDING = 1, NODE_EXPANDED = 2, NODE_TERMINAL = 3 };

#define MCTS_MAX_ACTIONS 32767 /* actions fit int16_t */
#define MCTS_MAX_BATCH 4096    /* in-flight count fits int16_t */

typedef struct {
  double w;           /* sum of values for the player who chose the action into this node */
  int32_t n;          /* visits */
  float prior;        /* P (after root noise) */
  float logp;         /* log P */
  union {
    int32_t first;    /* NODE_EXPANDED: index of the first child */
    float outcome;    /* NODE_TERMINAL: outcome for the player to move here */
  } u;
  int16_t action;     /* the action leading here (-1 for a root never reached by one) */
  uint16_t nchildren; /* NODE_EXPANDED: number of children */
  int16_t vl;         /* in-flight simulations through this node */
  uint8_t kind;       /* NODE_* */
  uint8_t pad;
} node_t;

_Static_assert(sizeof(node_t) == 32, "node_t is meant to be 32 bytes");

/* One leaf waiting for the evaluator (or being handled): its path and legal actions. */
typedef struct {
  int32_t *path; /* node indices root..leaf */
  int len, cap;
  int nlegal;    /* legal actions of the leaf, in legal[slot * A ...] */
} slot_t;

struct mcts {
  mcts_game_t game;
  mcts_config_t cfg;
  mcts_eval_fn eval;
  void *eval_ctx;
  rocks_rng_t rng;

  node_t *pool;      /* [cap]; pool[0] is the root */
  int64_t cap, used;

  unsigned char *root_state; /* [state_size] */
  double *noise;             /* [A] Dirichlet draws */
  bool has_root;
  bool root_noised;          /* noise applied to the current root's children */

  /* batch scratch, for nslots = cfg.batch_size leaves */
  int nslots;
  size_t stride;             /* bytes per scratch state (state_size rounded up to 64) */
  unsigned char *states;     /* [nslots * stride] */
  const void **state_ptrs;   /* [nslots] */
  int *legal;                /* [nslots * A] */
  float *priors;             /* [nslots * A] */
  float *values;             /* [nslots] */
  slot_t *slots;             /* [nslots] */
  int npending;              /* leaves collected by mcts_collect, waiting for mcts_apply */
  bool pending_full;         /* that collection stopped at the pool cap */

  mcts_stats_t stats;
};

static inline node_t *children(const mcts_t *m, const node_t *x) { return m->pool + x->u.first; }

static void node_init(node_t *x, int action, float prior) {
  memset(x, 0, sizeof *x);
  x->action = (int16_t)action;
  x->prior = prior;
  x->logp = prior > 0 ? (float)log((double)prior) : -INFINITY;
  x->kind = NODE_FRESH;
}

static void copy_state(const mcts_t *m, void *dst, const void *src) {
  if (m->game.copy) m->game.copy(m->game.ctx, dst, src);
  else memcpy(dst, src, m->game.state_size);
}

/* ------------------------------------------------------------------------------------------ */
/* configuration                                                                               */

mcts_config_t mcts_config_default(void) {
  return (mcts_config_t){
      .c_init = 1.25,
      .c_base = 19652.0,
      .fpu_mode = MCTS_FPU_REDUCTION,
      .fpu_value = 0.25,
      .batch_size = 1,
      .virtual_loss = 1.0,
      .dirichlet = false,
      .dirichlet_alpha = 0.0,
      .dirichlet_epsilon = 0.25,
      .temperature = 0.0,
      .resign_threshold = -1.0,
      .seed = 1,
      .max_nodes = (int64_t)1 << 22,
  };
}

rocks_status_t mcts_config_check(const mcts_config_t *c, rocks_error_t *err) {
  if (!c) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: no config");
  if (!(c->c_init >= 0 && isfinite(c->c_init))) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: c_init must be finite and >= 0");
  if (!(c->c_base > 0 && isfinite(c->c_base))) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: c_base must be > 0");
  if (c->fpu_mode != MCTS_FPU_REDUCTION && c->fpu_mode != MCTS_FPU_ABSOLUTE)
    return rocks_fail(err, ROCKS_ERR_ARG, "mcts: unknown fpu_mode %d", (int)c->fpu_mode);
  if (!isfinite(c->fpu_value)) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: fpu_value must be finite");
  if (c->batch_size < 1 || c->batch_size > MCTS_MAX_BATCH)
    return rocks_fail(err, ROCKS_ERR_ARG, "mcts: batch_size must be in [1, %d], got %d", MCTS_MAX_BATCH, c->batch_size);
  if (!(c->virtual_loss >= 0 && isfinite(c->virtual_loss)))
    return rocks_fail(err, ROCKS_ERR_ARG, "mcts: virtual_loss must be finite and >= 0");
  if (!(c->dirichlet_alpha >= 0 && isfinite(c->dirichlet_alpha)))
    return rocks_fail(err, ROCKS_ERR_ARG, "mcts: dirichlet_alpha must be >= 0 (0 = auto)");
  if (!(c->dirichlet_epsilon >= 0 && c->dirichlet_epsilon <= 1))
    return rocks_fail(err, ROCKS_ERR_ARG, "mcts: dirichlet_epsilon must be in [0, 1]");
  if (!isfinite(c->temperature)) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: temperature must be finite");
  if (isnan(c->resign_threshold)) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: resign_threshold is NaN");
  if (c->max_nodes < 2 || c->max_nodes > INT32_MAX)
    return rocks_fail(err, ROCKS_ERR_ARG, "mcts: max_nodes must be in [2, %d]", INT32_MAX);
  return ROCKS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* allocation                                                                                  */

static void free_slots(mcts_t *m) {
  if (m->slots)
    for (int i = 0; i < m->nslots; i++) free(m->slots[i].path);
  free(m->slots);
  free(m->states);
  free(m->state_ptrs);
  free(m->legal);
  free(m->priors);
  free(m->values);
  m->slots = NULL;
  m->states = NULL;
  m->state_ptrs = NULL;
  m->legal = NULL;
  m->priors = NULL;
  m->values = NULL;
  m->nslots = 0;
}

static rocks_status_t alloc_slots(mcts_t *m, int n, rocks_error_t *err) {
  free_slots(m);
  const size_t A = (size_t)m->game.num_actions, un = (size_t)n;
  m->slots = calloc(un, sizeof *m->slots);
  m->states = malloc(un * m->stride);
  m->state_ptrs = calloc(un, sizeof *m->state_ptrs);
  m->legal = malloc(un * A * sizeof *m->legal);
  m->priors = malloc(un * A * sizeof *m->priors);
  m->values = malloc(un * sizeof *m->values);
  if (!m->slots || !m->states || !m->state_ptrs || !m->legal || !m->priors || !m->values) {
    free_slots(m);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: out of memory for %d batch slots", n);
  }
  m->nslots = n;
  for (int i = 0; i < n; i++) m->state_ptrs[i] = m->states + (size_t)i * m->stride;
  return ROCKS_OK;
}

/* Grows the pool so that it holds at least `need` nodes (need <= max_nodes). */
static bool reserve_nodes(mcts_t *m, int64_t need) {
  if (need <= m->cap) return true;
  int64_t cap = m->cap ? m->cap : 1024;
  while (cap < need) cap *= 2;
  if (cap > m->cfg.max_nodes) cap = m->cfg.max_nodes;
  if (cap < need) return false;
  node_t *p = realloc(m->pool, (size_t)cap * sizeof *p);
  if (!p) return false;
  m->pool = p;
  m->cap = cap;
  return true;
}

static bool path_push(slot_t *s, int32_t idx) {
  if (s->len == s->cap) {
    int cap = s->cap ? 2 * s->cap : 64;
    int32_t *p = realloc(s->path, (size_t)cap * sizeof *p);
    if (!p) return false;
    s->path = p;
    s->cap = cap;
  }
  s->path[s->len++] = idx;
  return true;
}

mcts_t *mcts_new(const mcts_game_t *game, const mcts_config_t *cfg, mcts_eval_fn eval, void *eval_ctx,
                 rocks_error_t *err) {
  if (!game || !game->legal || !game->play || !game->terminal || !game->to_play || !game->hash) {
    rocks_fail(err, ROCKS_ERR_ARG, "mcts: game table is missing a callback");
    return NULL;
  }
  if (game->num_actions < 1 || game->num_actions > MCTS_MAX_ACTIONS) {
    rocks_fail(err, ROCKS_ERR_ARG, "mcts: num_actions must be in [1, %d], got %d", MCTS_MAX_ACTIONS, game->num_actions);
    return NULL;
  }
  if (game->state_size == 0) {
    rocks_fail(err, ROCKS_ERR_ARG, "mcts: state_size is 0");
    return NULL;
  }
  if (!eval) {
    rocks_fail(err, ROCKS_ERR_ARG, "mcts: no evaluator");
    return NULL;
  }
  mcts_config_t c = cfg ? *cfg : mcts_config_default();
  if (mcts_config_check(&c, err) != ROCKS_OK) return NULL;
  mcts_t *m = calloc(1, sizeof *m);
  if (!m) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: out of memory");
    return NULL;
  }
  m->game = *game;
  m->cfg = c;
  m->eval = eval;
  m->eval_ctx = eval_ctx;
  rocks_rng_seed(&m->rng, c.seed);
  m->stride = (game->state_size + 63) & ~(size_t)63;
  m->root_state = malloc(game->state_size);
  m->noise = malloc((size_t)game->num_actions * sizeof *m->noise);
  if (!m->root_state || !m->noise || !reserve_nodes(m, 2) || alloc_slots(m, c.batch_size, err) != ROCKS_OK) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: out of memory");
    mcts_delete(m);
    return NULL;
  }
  node_init(&m->pool[0], -1, 1.0f);
  m->used = 1;
  m->npending = 0;
  m->stats.bytes_per_node = sizeof(node_t);
  return m;
}

void mcts_delete(mcts_t *m) {
  if (!m) return;
  free_slots(m);
  free(m->pool);
  free(m->root_state);
  free(m->noise);
  free(m);
}

void mcts_set_evaluator(mcts_t *m, mcts_eval_fn eval, void *eval_ctx) {
  m->eval = eval;
  m->eval_ctx = eval_ctx;
}

mcts_config_t mcts_get_config(const mcts_t *m) { return m->cfg; }

rocks_status_t mcts_set_config(mcts_t *m, const mcts_config_t *cfg, rocks_error_t *err) {
  rocks_status_t st = mcts_config_check(cfg, err);
  if (st != ROCKS_OK) return st;
  if (m->npending > 0) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: leaves are waiting for mcts_apply");
  if (cfg->max_nodes < m->used)
    return rocks_fail(err, ROCKS_ERR_ARG, "mcts: max_nodes %lld is below the %lld nodes in use",
                      (long long)cfg->max_nodes, (long long)m->used);
  if (cfg->batch_size != m->nslots) {
    st = alloc_slots(m, cfg->batch_size, err);
    if (st != ROCKS_OK) {
      rocks_error_t ignored;
      alloc_slots(m, m->cfg.batch_size, &ignored); /* back to the old size (may also fail) */
      return st;
    }
  }
  m->cfg = *cfg;
  return ROCKS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* root                                                                                        */

void mcts_clear(mcts_t *m) {
  node_init(&m->pool[0], -1, 1.0f);
  m->used = 1;
  m->npending = 0;
  m->root_noised = false;
}

rocks_status_t mcts_set_root(mcts_t *m, const void *state, rocks_error_t *err) {
  if (!state) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: no root state");
  bool keep = m->has_root && m->game.hash(m->game.ctx, state) == m->game.hash(m->game.ctx, m->root_state);
  copy_state(m, m->root_state, state);
  m->has_root = true;
  if (!keep) mcts_clear(m);
  return ROCKS_OK;
}

const void *mcts_root_state(const mcts_t *m) { return m->has_root ? m->root_state : NULL; }
int mcts_num_actions(const mcts_t *m) { return m->game.num_actions; }

/* ------------------------------------------------------------------------------------------ */
/* Dirichlet noise                                                                             */

static double rng_normal(rocks_rng_t *r) {
  double u1 = 1.0 - rocks_rng_double(r), u2 = rocks_rng_double(r); /* u1 in (0, 1] */
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Gamma(a, 1) by Marsaglia-Tsang; a < 1 via Gamma(a+1) * U^(1/a). */
static double rng_gamma(rocks_rng_t *r, double a) {
  if (a < 1.0) {
    double u = 1.0 - rocks_rng_double(r);
    return rng_gamma(r, a + 1.0) * pow(u, 1.0 / a);
  }
  const double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = rng_normal(r);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    double u = 1.0 - rocks_rng_double(r);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
  }
}

/* P := (1-eps) P + eps Dir(alpha) on the root's children, once per root, when enabled. */
static void apply_root_noise(mcts_t *m) {
  node_t *root = &m->pool[0];
  if (root->kind != NODE_EXPANDED || !m->cfg.dirichlet || m->root_noised) return;
  m->root_noised = true;
  const int k = root->nchildren;
  node_t *ch = children(m, root);
  double alpha = m->cfg.dirichlet_alpha > 0 ? m->cfg.dirichlet_alpha : 0.03 * 361.0 / k;
  double *eta = m->noise, sum = 0;
  for (int i = 0; i < k; i++) sum += eta[i] = rng_gamma(&m->rng, alpha);
  const double eps = m->cfg.dirichlet_epsilon;
  if (!(sum > 0) || !isfinite(sum)) { /* every draw underflowed (tiny alpha): a random vertex */
    int hit = (int)rocks_rng_below(&m->rng, (uint32_t)k);
    for (int i = 0; i < k; i++) eta[i] = i == hit;
    sum = 1.0;
  }
  for (int i = 0; i < k; i++) {
    double p = (1.0 - eps) * (double)ch[i].prior + eps * (eta[i] / sum);
    ch[i].prior = (float)p;
    ch[i].logp = p > 0 ? (float)log(p) : -INFINITY;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* search                                                                                      */

/* PUCT choice at expanded node s (see mcts.h for the exact formula). Returns a pool index. */
static int32_t select_child(const mcts_t *m, const node_t *s) {
  const double L = m->cfg.virtual_loss;
  const node_t *ch = children(m, s);
  const int k = s->nchildren;
  const double ns = (double)s->n + L * (double)s->vl;
  const double c = log((1.0 + ns + m->cfg.c_base) / m->cfg.c_base) + m->cfg.c_init;
  const double sq = sqrt(ns);
  double fpu = m->cfg.fpu_value;
  if (m->cfg.fpu_mode == MCTS_FPU_REDUCTION) {
    double mass = 0;
    for (int i = 0; i < k; i++)
      if (ch[i].n > 0) mass += (double)ch[i].prior;
    double qs = s->n > 0 ? -s->w / (double)s->n : 0.0;
    fpu = qs - m->cfg.fpu_value * sqrt(mass);
  }
  int best = 0;
  double best_v = -INFINITY;
  for (int i = 0; i < k; i++) {
    const double vl = L * (double)ch[i].vl;
    const double n = (double)ch[i].n + vl;
    const double q = n > 0 ? (ch[i].w - vl) / n : fpu;
    const double u = c * (double)ch[i].prior * sq / (1.0 + n);
    const double v = q + u;
    if (v > best_v) {
      best_v = v;
      best = i;
    }
  }
  return s->u.first + best;
}

/* Adds value v (for the player to move at the path's last node) along the path; removes the
 * path's virtual loss if it had one. */
static void backup(mcts_t *m, const slot_t *s, double v, bool had_vl) {
  double x = -v;
  for (int i = s->len - 1; i >= 0; i--) {
    node_t *nd = &m->pool[s->path[i]];
    nd->n++;
    nd->w += x;
    if (had_vl) nd->vl--;
    x = -x;
  }
  m->stats.simulations++;
}

static void add_vl(mcts_t *m, const slot_t *s, int d) {
  for (int i = 0; i < s->len; i++) m->pool[s->path[i]].vl = (int16_t)(m->pool[s->path[i]].vl + d);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Sorts the legal list and checks it: actions in range, no repeats. */
static bool tidy_legal(int *a, int k, int A) {
  bool sorted = true;
  for (int i = 1; i < k; i++)
    if (a[i] <= a[i - 1]) sorted = false;
  if (!sorted) qsort(a, (size_t)k, sizeof *a, cmp_int);
  for (int i = 0; i < k; i++)
    if (a[i] < 0 || a[i] >= A || (i > 0 && a[i] == a[i - 1])) return false;
  return true;
}

/* Creates leaf's children from the slot's legal list and evaluator priors. The pool has room. */
static void expand(mcts_t *m, int slot) {
  const int A = m->game.num_actions;
  const slot_t *s = &m->slots[slot];
  const int *acts = m->legal + (size_t)slot * A;
  const float *p = m->priors + (size_t)slot * A;
  const int k = s->nlegal;
  int32_t first = (int32_t)m->used;
  m->used += k;
  double sum = 0;
  for (int i = 0; i < k; i++) {
    float pa = p[acts[i]];
    if (isfinite(pa) && pa > 0) sum += (double)pa;
  }
  float last_p = -1.0f, last_logp = 0.0f; /* priors often repeat (uniform): one log each */
  for (int i = 0; i < k; i++) {
    float pa = p[acts[i]];
    double q = sum > 0 ? (isfinite(pa) && pa > 0 ? (double)pa / sum : 0.0) : 1.0 / k;
    node_t *x = &m->pool[first + i];
    memset(x, 0, sizeof *x);
    x->action = (int16_t)acts[i];
    x->prior = (float)q;
    if (x->prior != last_p) {
      last_p = x->prior;
      last_logp = last_p > 0 ? (float)log((double)last_p) : -INFINITY;
    }
    x->logp = last_logp;
    x->kind = NODE_FRESH;
  }
  node_t *leaf = &m->pool[s->path[s->len - 1]];
  leaf->u.first = first;
  leaf->nchildren = (uint16_t)k;
  leaf->kind = NODE_EXPANDED;
}

/* Undoes the collection of pending slots [0, n): virtual loss off, leaves fresh again. */
static void abandon(mcts_t *m, int n) {
  for (int i = 0; i < n; i++) {
    slot_t *s = &m->slots[i];
    add_vl(m, s, -1);
    m->pool[s->path[s->len - 1]].kind = NODE_FRESH;
  }
}

/* Checks the root before collecting: terminal root, pending noise. */
static rocks_status_t search_begin(mcts_t *m, rocks_error_t *err) {
  if (!m->has_root) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: no root position (call mcts_set_root)");
  node_t *root = &m->pool[0];
  if (root->kind == NODE_FRESH) {
    double o;
    if (m->game.terminal(m->game.ctx, m->root_state, &o)) {
      root->kind = NODE_TERMINAL;
      root->u.outcome = (float)o;
    }
  }
  if (root->kind == NODE_TERMINAL) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: the root position is terminal");
  if (root->kind == NODE_EXPANDED && !m->root_noised) apply_root_noise(m);
  return ROCKS_OK;
}

/* Selects up to `want` (<= nslots) paths: terminal visits are backed up at once (*completed),
 * fresh leaves become pending in slots [0, *nb) with virtual loss. Stops early at a collision or
 * when the pool could not hold the pending leaves' children (*full). Reserves the pool. */
static rocks_status_t collect_(mcts_t *m, int want, int *nb_out, int *completed, bool *full_out, rocks_error_t *err) {
  const int A = m->game.num_actions;
  int nb = 0, done = 0;
  int64_t reserved = 0; /* children those leaves will need */
  bool full = false;
  *nb_out = 0, *completed = 0, *full_out = false;
  for (int t = 0; t < want && !full; t++) {
    slot_t *s = &m->slots[nb];
    s->len = 0;
    int32_t x = 0;
    if (!path_push(s, 0)) return (abandon(m, nb), *completed = done, rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: out of memory (path)"));
    while (m->pool[x].kind == NODE_EXPANDED) {
      x = select_child(m, &m->pool[x]);
      if (!path_push(s, x)) return (abandon(m, nb), *completed = done, rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: out of memory (path)"));
    }
    if (s->len - 1 > m->stats.max_depth) m->stats.max_depth = s->len - 1;
    node_t *leaf = &m->pool[x];
    if (leaf->kind == NODE_TERMINAL) {
      backup(m, s, (double)leaf->u.outcome, false);
      m->stats.terminal_visits++;
      done++;
      continue;
    }
    if (leaf->kind == NODE_PENDING) { /* collision: evaluate what we have */
      m->stats.collisions++;
      break;
    }
    /* fresh leaf: rebuild its state */
    void *st = (void *)m->state_ptrs[nb];
    copy_state(m, st, m->root_state);
    for (int i = 1; i < s->len; i++) m->game.play(m->game.ctx, st, m->pool[s->path[i]].action);
    double o;
    if (m->game.terminal(m->game.ctx, st, &o)) {
      leaf->kind = NODE_TERMINAL;
      leaf->u.outcome = (float)(o > 1 ? 1 : o < -1 ? -1 : o);
      backup(m, s, (double)leaf->u.outcome, false);
      m->stats.terminal_visits++;
      done++;
      continue;
    }
    int *acts = m->legal + (size_t)nb * A;
    int k = m->game.legal(m->game.ctx, st, acts);
    if (k < 1 || k > A || !tidy_legal(acts, k, A)) {
      abandon(m, nb);
      *completed = done;
      return rocks_fail(err, ROCKS_ERR_STATE, "mcts: the game reported %d legal actions (or bad ones) in a non-terminal state", k);
    }
    if (m->used + reserved + k > m->cfg.max_nodes) {
      full = true;
      break;
    }
    reserved += k;
    s->nlegal = k;
    leaf->kind = NODE_PENDING;
    add_vl(m, s, +1);
    nb++;
  }
  *completed = done;
  if (nb > 0 && !reserve_nodes(m, m->used + reserved)) {
    abandon(m, nb);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: out of memory growing the node pool to %lld nodes",
                      (long long)(m->used + reserved));
  }
  *nb_out = nb;
  *full_out = full;
  return ROCKS_OK;
}

/* Expands and backs up the nb pending slots with the evaluator's output in m->priors/values
 * (rc = the evaluator's return code). */
static rocks_status_t apply_(mcts_t *m, int nb, int rc, rocks_error_t *err) {
  m->stats.batches++;
  m->stats.evaluations += nb;
  if (rc != 0) {
    abandon(m, nb);
    return rocks_fail(err, rc > 0 && rc <= ROCKS_ERR_STATE ? (rocks_status_t)rc : ROCKS_ERR_STATE,
                      "mcts: evaluator failed (%d)", rc);
  }
  for (int i = 0; i < nb; i++)
    if (!isfinite(m->values[i])) {
      abandon(m, nb);
      return rocks_fail(err, ROCKS_ERR_STATE, "mcts: evaluator returned a non-finite value");
    }
  for (int i = 0; i < nb; i++) {
    slot_t *s = &m->slots[i];
    expand(m, i);
    if (s->len == 1 && !m->root_noised) apply_root_noise(m);
    float v = m->values[i];
    backup(m, s, (double)(v > 1 ? 1.0f : v < -1 ? -1.0f : v), true);
  }
  return ROCKS_OK;
}

rocks_status_t mcts_search(mcts_t *m, int simulations, rocks_error_t *err) {
  if (!m->has_root) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: no root position (call mcts_set_root)");
  if (simulations < 0) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: negative simulation count");
  if (m->npending > 0) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: leaves collected by mcts_collect are waiting for mcts_apply");
  rocks_status_t st = search_begin(m, err);
  if (st != ROCKS_OK) return st;
  int done = 0;
  while (done < simulations) {
    const int want = simulations - done < m->nslots ? simulations - done : m->nslots;
    int nb, completed;
    bool full;
    st = collect_(m, want, &nb, &completed, &full, err);
    done += completed;
    if (st != ROCKS_OK) return st;
    if (nb > 0) {
      int rc = m->eval(m->eval_ctx, m->state_ptrs, nb, m->priors, m->values);
      if ((st = apply_(m, nb, rc, err)) != ROCKS_OK) return st;
      done += nb;
    }
    if (full)
      return rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: node pool exhausted (max_nodes = %lld, %lld in use); search stopped after %d of %d simulations",
                        (long long)m->cfg.max_nodes, (long long)m->used, done, simulations);
  }
  return ROCKS_OK;
}

rocks_status_t mcts_collect(mcts_t *m, int want, const void *const **states, int *nleaves, int *completed,
                            rocks_error_t *err) {
  *nleaves = 0, *completed = 0;
  if (states) *states = NULL;
  if (want < 0) return rocks_fail(err, ROCKS_ERR_ARG, "mcts: negative leaf count");
  if (m->npending > 0) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: mcts_collect called twice without mcts_apply");
  rocks_status_t st = search_begin(m, err);
  if (st != ROCKS_OK) return st;
  if (want > m->nslots) want = m->nslots;
  if (want == 0) return ROCKS_OK;
  int nb;
  bool full;
  st = collect_(m, want, &nb, completed, &full, err);
  if (st != ROCKS_OK) return st;
  if (nb == 0 && full)
    return rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: node pool exhausted (max_nodes = %lld, %lld in use)",
                      (long long)m->cfg.max_nodes, (long long)m->used);
  m->npending = nb;
  m->pending_full = full;
  *nleaves = nb;
  if (states) *states = m->state_ptrs;
  return ROCKS_OK;
}

rocks_status_t mcts_apply(mcts_t *m, const float *priors, const float *values, rocks_error_t *err) {
  const int nb = m->npending;
  if (nb == 0) return ROCKS_OK;
  const size_t A = (size_t)m->game.num_actions;
  memcpy(m->priors, priors, (size_t)nb * A * sizeof *m->priors);
  memcpy(m->values, values, (size_t)nb * sizeof *m->values);
  m->npending = 0;
  rocks_status_t st = apply_(m, nb, 0, err);
  if (st != ROCKS_OK) return st;
  if (m->pending_full)
    return rocks_fail(err, ROCKS_ERR_NOMEM, "mcts: node pool exhausted (max_nodes = %lld, %lld in use)",
                      (long long)m->cfg.max_nodes, (long long)m->used);
  return ROCKS_OK;
}

void mcts_abandon(mcts_t *m) {
  abandon(m, m->npending);
  m->npending = 0;
}

int mcts_pending(const mcts_t *m) { return m->npending; }

/* ------------------------------------------------------------------------------------------ */
/* results                                                                                     */

int32_t mcts_root_visits(const mcts_t *m) { return m->pool[0].n; }

double mcts_root_value(const mcts_t *m) {
  const node_t *r = &m->pool[0];
  return r->n > 0 ? -r->w / (double)r->n : 0.0;
}

int mcts_root_stats(const mcts_t *m, int32_t *visits, double *q, double *prior) {
  const int A = m->game.num_actions;
  for (int a = 0; a < A; a++) {
    if (visits) visits[a] = 0;
    if (q) q[a] = 0;
    if (prior) prior[a] = 0;
  }
  const node_t *r = &m->pool[0];
  if (r->kind != NODE_EXPANDED) return 0;
  const node_t *ch = children(m, r);
  for (int i = 0; i < r->nchildren; i++) {
    const int a = ch[i].action;
    if (visits) visits[a] = ch[i].n;
    if (q) q[a] = ch[i].n > 0 ? ch[i].w / (double)ch[i].n : 0.0;
    if (prior) prior[a] = (double)ch[i].prior;
  }
  return r->nchildren;
}

/* Index (into the children block) of the most visited child, ties to the lowest action; -1 if
 * none has a visit. */
static int most_visited(const mcts_t *m, const node_t *x) {
  if (x->kind != NODE_EXPANDED) return -1;
  const node_t *ch = children(m, x);
  int best = -1;
  for (int i = 0; i < x->nchildren; i++)
    if (ch[i].n > 0 && (best < 0 || ch[i].n > ch[best].n)) best = i;
  return best;
}

rocks_status_t mcts_policy_target(const mcts_t *m, float *pi, rocks_error_t *err) {
  const int A = m->game.num_actions;
  const node_t *r = &m->pool[0];
  int64_t total = 0;
  if (r->kind == NODE_EXPANDED)
    for (int i = 0; i < r->nchildren; i++) total += children(m, r)[i].n;
  if (total == 0) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: no root child has been visited");
  for (int a = 0; a < A; a++) pi[a] = 0;
  const node_t *ch = children(m, r);
  for (int i = 0; i < r->nchildren; i++) pi[ch[i].action] = (float)((double)ch[i].n / (double)total);
  return ROCKS_OK;
}

rocks_status_t mcts_select_action(mcts_t *m, double temperature, int *action, rocks_error_t *err) {
  const node_t *r = &m->pool[0];
  int best = most_visited(m, r);
  if (best < 0) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: no root child has been visited");
  if (temperature < 0) temperature = m->cfg.temperature;
  const node_t *ch = children(m, r);
  if (temperature < 1e-3) {
    *action = ch[best].action;
    return ROCKS_OK;
  }
  const double nmax = (double)ch[best].n, inv = 1.0 / temperature;
  double sum = 0;
  for (int i = 0; i < r->nchildren; i++)
    if (ch[i].n > 0) sum += pow((double)ch[i].n / nmax, inv);
  double x = rocks_rng_double(&m->rng) * sum;
  int pick = best;
  for (int i = 0; i < r->nchildren; i++) {
    if (ch[i].n <= 0) continue;
    pick = i;
    x -= pow((double)ch[i].n / nmax, inv);
    if (x < 0) break;
  }
  *action = ch[pick].action;
  return ROCKS_OK;
}

bool mcts_should_resign(const mcts_t *m) {
  const double t = m->cfg.resign_threshold;
  if (!(t > -1.0)) return false;
  const node_t *r = &m->pool[0];
  int best = most_visited(m, r);
  if (r->n <= 0 || best < 0) return false;
  const node_t *b = &children(m, r)[best];
  return mcts_root_value(m) < t && b->w / (double)b->n < t;
}

int mcts_pv(const mcts_t *m, int *actions, int max) {
  int n = 0;
  const node_t *x = &m->pool[0];
  while (n < max) {
    int best = most_visited(m, x);
    if (best < 0) break;
    x = &children(m, x)[best];
    actions[n++] = x->action;
  }
  return n;
}

void mcts_get_stats(const mcts_t *m, mcts_stats_t *stats) {
  *stats = m->stats;
  stats->nodes_used = m->used;
  stats->nodes_capacity = m->cap;
  stats->max_nodes = m->cfg.max_nodes;
  stats->bytes_per_node = sizeof(node_t);
  size_t slot_bytes = m->stride + (size_t)m->game.num_actions * (sizeof(int) + sizeof(float)) + sizeof(float) +
                      sizeof(slot_t) + sizeof(void *);
  size_t paths = 0;
  for (int i = 0; i < m->nslots; i++) paths += (size_t)m->slots[i].cap * sizeof(int32_t);
  stats->bytes_allocated = (size_t)m->cap * sizeof(node_t) + (size_t)m->nslots * slot_bytes + paths +
                           m->game.state_size + sizeof *m;
}

/* ------------------------------------------------------------------------------------------ */
/* tree reuse                                                                                  */

typedef struct {
  int32_t start, count, dest;
} block_t;

static int cmp_block(const void *a, const void *b) {
  int32_t x = ((const block_t *)a)->start, y = ((const block_t *)b)->start;
  return (x > y) - (x < y);
}

/* New index of a child block that started at `start` (binary search in the sorted blocks). */
static int32_t block_dest(const block_t *bl, int64_t nb, int32_t start) {
  int64_t lo = 0, hi = nb - 1;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (bl[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return bl[lo].dest;
}

/* Makes node `keep` (a root child) the root, sliding its subtree's child blocks to the front of
 * the pool in their old order (so every move goes to a lower or equal index). Falls back to a
 * fresh root (statistics dropped) if the temporary arrays cannot be allocated. */
static void reroot(mcts_t *m, int32_t keep) {
  node_t nr = m->pool[keep];
  if (nr.kind != NODE_EXPANDED) {
    m->pool[0] = nr;
    m->used = 1;
    return;
  }
  /* collect the subtree's child blocks */
  int64_t cap = 64, nb = 0, sp = 0;
  block_t *bl = malloc((size_t)cap * sizeof *bl);
  int32_t *stack = malloc((size_t)m->used * sizeof *stack);
  if (!bl || !stack) goto fallback;
  stack[sp++] = keep;
  while (sp) {
    const node_t *x = &m->pool[stack[--sp]];
    if (x->kind != NODE_EXPANDED) continue;
    if (nb == cap) {
      block_t *p = realloc(bl, (size_t)(cap * 2) * sizeof *bl);
      if (!p) goto fallback;
      bl = p;
      cap *= 2;
    }
    bl[nb++] = (block_t){x->u.first, x->nchildren, 0};
    for (int i = 0; i < x->nchildren; i++) stack[sp++] = x->u.first + i;
  }
  qsort(bl, (size_t)nb, sizeof *bl, cmp_block);
  int32_t next = 1;
  for (int64_t i = 0; i < nb; i++) {
    bl[i].dest = next;
    next += bl[i].count;
  }
  /* slide blocks down (ascending order: a destination never overlaps a block not yet moved) */
  for (int64_t i = 0; i < nb; i++)
    memmove(&m->pool[bl[i].dest], &m->pool[bl[i].start], (size_t)bl[i].count * sizeof(node_t));
  /* re-point every expanded node at its block's new place */
  for (int32_t j = 1; j < next; j++)
    if (m->pool[j].kind == NODE_EXPANDED) m->pool[j].u.first = block_dest(bl, nb, m->pool[j].u.first);
  nr.u.first = block_dest(bl, nb, nr.u.first);
  m->pool[0] = nr;
  m->used = next;
  free(bl);
  free(stack);
  return;
fallback:
  free(bl);
  free(stack);
  node_init(&m->pool[0], nr.action, 1.0f);
  m->used = 1;
}

rocks_status_t mcts_advance(mcts_t *m, int action, rocks_error_t *err) {
  if (!m->has_root) return rocks_fail(err, ROCKS_ERR_STATE, "mcts: no root position");
  if (m->npending > 0) mcts_abandon(m);
  const int A = m->game.num_actions;
  if (action < 0 || action >= A) return rocks_fail(err, ROCKS_ERR_ILLEGAL, "mcts: action %d out of range", action);
  node_t *r = &m->pool[0];
  int32_t keep = -1;
  if (r->kind == NODE_EXPANDED) {
    for (int i = 0; i < r->nchildren; i++)
      if (children(m, r)[i].action == action) keep = r->u.first + i;
    if (keep < 0) return rocks_fail(err, ROCKS_ERR_ILLEGAL, "mcts: action %d is not legal at the root", action);
  } else {
    double o;
    if (m->game.terminal(m->game.ctx, m->root_state, &o))
      return rocks_fail(err, ROCKS_ERR_ILLEGAL, "mcts: action %d: the root position is terminal", action);
    int *acts = m->legal; /* slot 0's legal buffer as scratch */
    int k = m->game.legal(m->game.ctx, m->root_state, acts);
    bool ok = false;
    for (int i = 0; i < k; i++) ok |= acts[i] == action;
    if (!ok) return rocks_fail(err, ROCKS_ERR_ILLEGAL, "mcts: action %d is not legal at the root", action);
  }
  m->game.play(m->game.ctx, m->root_state, action);
  m->root_noised = false;
  if (keep < 0) mcts_clear(m);
  else reroot(m, keep);
  return ROCKS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* built-in evaluators                                                                         */

int mcts_eval_uniform(void *ctx, const void *const *states, int n, float *priors, float *values) {
  const mcts_game_t *g = ctx;
  (void)states;
  const int A = g->num_actions;
  const float p = 1.0f / (float)A;
  for (int i = 0; i < n; i++) {
    for (int a = 0; a < A; a++) priors[(size_t)i * A + a] = p;
    values[i] = 0.0f;
  }
  return 0;
}

struct mcts_rollout {
  mcts_game_t game;
  rocks_rng_t rng;
  int max_len;
  unsigned char *state; /* scratch [state_size] */
  int *actions;         /* [num_actions] */
};

mcts_rollout_t *mcts_rollout_new(const mcts_game_t *game, uint64_t seed, int max_len, rocks_error_t *err) {
  if (!game || game->num_actions < 1 || game->state_size == 0) {
    rocks_fail(err, ROCKS_ERR_ARG, "mcts_rollout: bad game table");
    return NULL;
  }
  mcts_rollout_t *r = calloc(1, sizeof *r);
  if (r) {
    r->state = malloc(game->state_size);
    r->actions = malloc((size_t)game->num_actions * sizeof *r->actions);
  }
  if (!r || !r->state || !r->actions) {
    mcts_rollout_delete(r);
    rocks_fail(err, ROCKS_ERR_NOMEM, "mcts_rollout: out of memory");
    return NULL;
  }
  r->game = *game;
  r->max_len = max_len > 0 ? max_len : 1000;
  rocks_rng_seed(&r->rng, seed);
  return r;
}

void mcts_rollout_delete(mcts_rollout_t *r) {
  if (!r) return;
  free(r->state);
  free(r->actions);
  free(r);
}

int mcts_eval_rollout(void *ctx, const void *const *states, int n, float *priors, float *values) {
  mcts_rollout_t *r = ctx;
  const mcts_game_t *g = &r->game;
  const int A = g->num_actions;
  const float p = 1.0f / (float)A;
  for (int i = 0; i < n; i++) {
    for (int a = 0; a < A; a++) priors[(size_t)i * A + a] = p;
    if (g->copy) g->copy(g->ctx, r->state, states[i]);
    else memcpy(r->state, states[i], g->state_size);
    const int mover = g->to_play(g->ctx, r->state);
    double v = 0, o;
    for (int ply = 0; ply <= r->max_len; ply++) {
      if (g->terminal(g->ctx, r->state, &o)) {
        v = g->to_play(g->ctx, r->state) == mover ? o : -o;
        break;
      }
      if (ply == r->max_len) break;
      int k = g->legal(g->ctx, r->state, r->actions);
      if (k < 1) return ROCKS_ERR_STATE;
      g->play(g->ctx, r->state, r->actions[rocks_rng_below(&r->rng, (uint32_t)k)]);
    }
    values[i] = (float)v;
  }
  return 0;
}
