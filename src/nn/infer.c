/* infer.c — GoResNet inference engine: BatchNorm folded into the convolutions, fused bias +
 * residual + ReLU, Winograd F(3x3,3x3) convolutions (infer_kernels.c) and a small thread pool.
 *
 * Data flow for B positions (layouts in infer_kernels.h):
 *   inp (B,P,N,N) NCHW --copy--> xin padded NHWC (cpin = P rounded up to 8)
 *   stem:   x = ReLU(conv(xin))                 (BN folded)
 *   block:  h = ReLU(conv1(x)); x = ReLU(conv2(h) + x)   (conv2 written in place over x)
 *   heads per position: 1x1 convs (+BN+ReLU) from x, then the FCs, tanh.
 * Each 3x3 conv runs in chunks of `chunk` positions so that the Winograd buffers V (input
 * transform) and M (GEMM result) of a chunk stay in the L2 cache.
 *
 * Threads: the caller plus nthreads-1 workers. A batch that splits evenly over the threads (or is
 * large, >= 4 per thread) is split by positions: each thread runs the whole network on its
 * positions and no synchronisation is needed until the end. Smaller batches (batch 1 in
 * particular) are split by output channels: every thread transforms the whole input (cheap),
 * then computes its share of the output channels; threads meet at a barrier after each conv.
 * Workers spin briefly after a job (so back-to-back forwards start at once), then sleep.
 */
#include "nn/infer.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/infer_kernels.h"

#define INFER_MAX_THREADS 64
#define INFER_CHUNK_BYTES (512u << 10) /* V + M of one chunk: half the L2 (activations need room) */
#define INFER_SPIN_SECONDS 2e-4      /* workers spin this long for the next job, then sleep */

typedef struct {
  float *U;    /* Winograd weights [25][kp/16][cin][16] */
  float *bias; /* (kp) folded bias, zero beyond cout */
  int cin;
} infer_conv_t;

typedef struct {
  float *V, *M;         /* Winograd scratch of one chunk */
  float *ph, *vh, *h1;  /* head scratch: (2*N*N), (N*N), (C) */
} infer_scratch_t;

struct nn_infer {
  goresnet_config_t cfg;
  infer_geom_t g;
  nn_infer_isa_t isa;
  int nthreads;
  int C, cp, kp, planes, cpin, nconv, chunk, HW, NP; /* NP = N*N+1 policy outputs */
  /* folded weights, one slab */
  float *wslab;
  infer_conv_t *convs; /* [nconv]: stem, then conv1/conv2 of each block */
  float *pw, *pb;      /* policy 1x1 conv (2, cp) + bias (2) */
  float *vw, *vb;      /* value 1x1 conv (cp) + bias (1) */
  float *pfcT, *pfcb;  /* policy FC transposed (2*HW, NP), bias (NP) */
  float *vfc1T, *vfc1b;/* value fc1 transposed (HW, C), bias (C) */
  float *vfc2w, *vfc2b;/* value fc2 (C), bias (1) */
  float vmult;         /* value fc2 output multiplier (muP readout) */
  /* activations for `cap` positions, padded NHWC, borders zero */
  int cap;
  float *xin, *x, *h;
  infer_scratch_t scratch[INFER_MAX_THREADS];
  /* the job of the current forward */
  const float *job_inp;
  float *job_logits, *job_value;
  int job_B, job_split; /* job_split: 1 = split by channels (with barriers) */
  /* thread pool */
  pthread_t threads[INFER_MAX_THREADS];
  int nstarted;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int pool_ok;
  /* the spin-waited words, each on its own cache line */
  char pad0_[64];
  atomic_uint gen;  /* job generation; workers run a job when it changes */
  atomic_int quit;
  char pad1_[64];
  atomic_int done;  /* workers finished with the current job */
  char pad2_[64];
  atomic_int bar_count;
  char pad3_[64];
  atomic_uint bar_gen;
  char pad4_[64];
};

nn_infer_config_t nn_infer_config_default(void) {
  nn_infer_config_t c;
  c.threads = 2;
  c.isa = NN_INFER_ISA_AUTO;
  c.max_batch = 8;
  c.chunk = 0;
  return c;
}

const char *nn_infer_isa_name(nn_infer_isa_t isa) {
  switch (isa) {
    case NN_INFER_ISA_AUTO: return "auto";
    case NN_INFER_ISA_C: return "c";
    case NN_INFER_ISA_AVX2: return "avx2";
  }
  return "?";
}

nn_infer_isa_t nn_infer_isa(const nn_infer_t *e) { return e->isa; }
int nn_infer_threads(const nn_infer_t *e) { return e->nthreads; }

static size_t round16_(size_t n) { return (n + 15) / 16 * 16; }

static float *falloc_(size_t n) {
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  float *p = aligned_alloc(64, bytes ? bytes : 64);
  if (p) memset(p, 0, bytes ? bytes : 64);
  return p;
}

/* ------------------------------------------------------------------------- thread pool --- */

static inline void cpu_relax_(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void barrier_(nn_infer_t *e) {
  if (e->nthreads == 1) return;
  unsigned g = atomic_load_explicit(&e->bar_gen, memory_order_acquire);
  if (atomic_fetch_add_explicit(&e->bar_count, 1, memory_order_acq_rel) == e->nthreads - 1) {
    atomic_store_explicit(&e->bar_count, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->bar_gen, 1, memory_order_release);
    return;
  }
  for (unsigned i = 0; atomic_load_explicit(&e->bar_gen, memory_order_acquire) == g; i++) {
    if (i < 4096) cpu_relax_();
    else sched_yield();
  }
}

static void run_job_(nn_infer_t *e, int tid);

static void *worker_main_(void *arg) {
  nn_infer_t *e = ((void **)arg)[0];
  int tid = (int)(intptr_t)((void **)arg)[1];
  free(arg);
  unsigned seen = 0; /* gen at creation: jobs start only after every worker was created */
  for (;;) {
    double t0 = rocks_now();
    unsigned i = 0;
    while (atomic_load_explicit(&e->gen, memory_order_acquire) == seen && !atomic_load(&e->quit)) {
      cpu_relax_();
      if ((++i & 255) == 0 && rocks_now() - t0 > INFER_SPIN_SECONDS) {
        pthread_mutex_lock(&e->mu);
        while (atomic_load(&e->gen) == seen && !atomic_load(&e->quit)) pthread_cond_wait(&e->cv, &e->mu);
        pthread_mutex_unlock(&e->mu);
      }
    }
    if (atomic_load(&e->quit)) break;
    seen = atomic_load(&e->gen);
    run_job_(e, tid);
    atomic_fetch_add_explicit(&e->done, 1, memory_order_acq_rel);
  }
  return NULL;
}

static void pool_stop_(nn_infer_t *e) {
  if (!e->pool_ok) return;
  pthread_mutex_lock(&e->mu);
  atomic_store(&e->quit, 1);
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  for (int i = 0; i < e->nstarted; i++) pthread_join(e->threads[i], NULL);
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  e->pool_ok = 0;
}

static rocks_status_t pool_start_(nn_infer_t *e, rocks_error_t *err) {
  if (pthread_mutex_init(&e->mu, NULL)) return rocks_fail(err, ROCKS_ERR_NOMEM, "infer: mutex init failed");
  if (pthread_cond_init(&e->cv, NULL)) {
    pthread_mutex_destroy(&e->mu);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "infer: condition variable init failed");
  }
  e->pool_ok = 1;
  for (int t = 1; t < e->nthreads; t++) {
    void **arg = malloc(2 * sizeof(void *));
    if (!arg) return rocks_fail(err, ROCKS_ERR_NOMEM, "infer: out of memory");
    arg[0] = e;
    arg[1] = (void *)(intptr_t)t;
    if (pthread_create(&e->threads[e->nstarted], NULL, worker_main_, arg)) {
      free(arg);
      return rocks_fail(err, ROCKS_ERR_NOMEM, "infer: cannot start thread %d", t);
    }
    e->nstarted++;
  }
  return ROCKS_OK;
}

/* Runs run_job_ on every thread (the caller is thread 0) and waits for all. */
static void pool_run_(nn_infer_t *e) {
  if (e->nthreads == 1) {
    run_job_(e, 0);
    return;
  }
  atomic_store_explicit(&e->done, 0, memory_order_relaxed);
  pthread_mutex_lock(&e->mu);
  atomic_fetch_add_explicit(&e->gen, 1, memory_order_release);
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  run_job_(e, 0);
  for (unsigned i = 0; atomic_load_explicit(&e->done, memory_order_acquire) != e->nthreads - 1; i++) {
    if (i < 4096) cpu_relax_();
    else sched_yield();
  }
}

/* ---------------------------------------------------------------------------- the network --- */

/* One 3x3 conv over positions [p0, p1), output-channel blocks [kb0, kb1) (16 each). */
static void conv_(nn_infer_t *e, int tid, int layer, const float *in, int cpi, float *out,
                  const float *res, int p0, int p1, int kb0, int kb1) {
  const infer_conv_t *cv = &e->convs[layer];
  const infer_geom_t *g = &e->g;
  infer_scratch_t *s = &e->scratch[tid];
  size_t psi = (size_t)g->p * (size_t)g->p * (size_t)cpi, pso = (size_t)g->p * (size_t)g->p * (size_t)e->cp;
  int k0 = 16 * kb0, k1 = 16 * kb1 < e->cp ? 16 * kb1 : e->cp;
  if (k0 >= k1) return;
  for (int c0 = p0; c0 < p1; c0 += e->chunk) {
    int np = p1 - c0 < e->chunk ? p1 - c0 : e->chunk, T = np * g->tiles;
    infer_wino_input(e->isa, s->V, in + (size_t)c0 * psi, np, g, cpi);
    infer_wino_gemm(e->isa, s->M, s->V, cv->U, T, cpi, cv->cin, e->kp, kb0, kb1);
    infer_wino_output(e->isa, out + (size_t)c0 * pso, s->M, cv->bias, res ? res + (size_t)c0 * pso : NULL, 1,
                      np, g, e->cp, e->kp, k0, k1);
  }
}

static float dot_(const float *a, const float *b, int n) { /* n multiple of 8 */
  float acc[8] = {0};
  for (int c = 0; c < n; c += 8)
    for (int j = 0; j < 8; j++) acc[j] += a[c + j] * b[c + j];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static void heads_(nn_infer_t *e, int tid, int p0, int p1) {
  const infer_geom_t *g = &e->g;
  infer_scratch_t *s = &e->scratch[tid];
  const int n = g->n, HW = e->HW, NP = e->NP, C = e->C, cp = e->cp;
  for (int pos = p0; pos < p1; pos++) {
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        const float *pix = e->x + (((size_t)pos * (size_t)g->p + (size_t)(y + 1)) * (size_t)g->p + (size_t)(x + 1)) * (size_t)cp;
        float a = dot_(pix, e->pw, cp) + e->pb[0], b = dot_(pix, e->pw + cp, cp) + e->pb[1];
        float v = dot_(pix, e->vw, cp) + e->vb[0];
        s->ph[y * n + x] = a > 0.0f ? a : 0.0f;
        s->ph[HW + y * n + x] = b > 0.0f ? b : 0.0f;
        s->vh[y * n + x] = v > 0.0f ? v : 0.0f;
      }
    if (e->job_logits) {
      float *lo = e->job_logits + (size_t)pos * (size_t)NP;
      memcpy(lo, e->pfcb, sizeof(float) * (size_t)NP);
      for (int i = 0; i < 2 * HW; i++) {
        float a = s->ph[i];
        if (a == 0.0f) continue;
        const float *w = e->pfcT + (size_t)i * (size_t)NP;
        for (int j = 0; j < NP; j++) lo[j] += a * w[j];
      }
    }
    if (e->job_value) {
      memcpy(s->h1, e->vfc1b, sizeof(float) * (size_t)C);
      for (int i = 0; i < HW; i++) {
        float a = s->vh[i];
        if (a == 0.0f) continue;
        const float *w = e->vfc1T + (size_t)i * (size_t)C;
        for (int j = 0; j < C; j++) s->h1[j] += a * w[j];
      }
      double acc = 0.0;
      for (int j = 0; j < C; j++) acc += (double)(s->h1[j] > 0.0f ? s->h1[j] : 0.0f) * e->vfc2w[j];
      e->job_value[pos] = tanhf((float)(e->vmult * acc) + e->vfc2b[0]);
    }
  }
}

static void load_input_(nn_infer_t *e, int p0, int p1) {
  const infer_geom_t *g = &e->g;
  const int n = g->n, P = e->planes;
  for (int pos = p0; pos < p1; pos++)
    for (int c = 0; c < P; c++) {
      const float *src = e->job_inp + ((size_t)pos * (size_t)P + (size_t)c) * (size_t)(n * n);
      for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
          e->xin[(((size_t)pos * (size_t)g->p + (size_t)(y + 1)) * (size_t)g->p + (size_t)(x + 1)) * (size_t)e->cpin + (size_t)c] =
              src[y * n + x];
    }
}

static void run_job_(nn_infer_t *e, int tid) {
  const int B = e->job_B, nt = e->nthreads, nkb = e->kp / 16;
  const int q0 = (int)((long)B * tid / nt), q1 = (int)((long)B * (tid + 1) / nt); /* my positions */
  int p0 = q0, p1 = q1, kb0 = 0, kb1 = nkb;
  if (e->job_split) {
    p0 = 0;
    p1 = B;
    kb0 = nkb * tid / nt;
    kb1 = nkb * (tid + 1) / nt;
  }
  load_input_(e, q0, q1);
  if (e->job_split) barrier_(e);
  conv_(e, tid, 0, e->xin, e->cpin, e->x, NULL, p0, p1, kb0, kb1);
  if (e->job_split) barrier_(e);
  for (int b = 0; b < e->cfg.blocks; b++) {
    conv_(e, tid, 1 + 2 * b, e->x, e->cp, e->h, NULL, p0, p1, kb0, kb1);
    if (e->job_split) barrier_(e);
    conv_(e, tid, 2 + 2 * b, e->h, e->cp, e->x, e->x, p0, p1, kb0, kb1);
    if (e->job_split) barrier_(e);
  }
  heads_(e, tid, q0, q1);
}

/* ------------------------------------------------------------------------------ weights --- */

/* Folds conv weight w (cout, cin, k, k) and its BN (eps) times mult into wf and bf. */
static void fold_(float *wf, float *bf, const goresnet_convbn_t *p, int cout, int cin, int kk, float eps,
                  float mult) {
  for (int o = 0; o < cout; o++) {
    double s = (double)p->bn_weight[o] / sqrt((double)p->bn_var[o] + (double)eps);
    for (int i = 0; i < cin * kk; i++) wf[(size_t)o * (size_t)(cin * kk) + (size_t)i] = (float)(mult * s * p->weight[(size_t)o * (size_t)(cin * kk) + (size_t)i]);
    bf[o] = (float)(mult * ((double)p->bn_bias[o] - (double)p->bn_mean[o] * s));
  }
}

static size_t weight_floats_(const nn_infer_t *e) {
  size_t n = 0;
  n += round16_(infer_wino_weight_floats(e->C, e->planes)) + (size_t)e->kp;
  n += (size_t)(2 * e->cfg.blocks) * (round16_(infer_wino_weight_floats(e->C, e->C)) + (size_t)e->kp);
  n += round16_((size_t)3 * (size_t)e->cp) + 16;                                  /* pw, vw, pb, vb */
  n += round16_((size_t)2 * (size_t)e->HW * (size_t)e->NP) + round16_((size_t)e->NP); /* policy FC */
  n += round16_((size_t)e->HW * (size_t)e->C) + 2 * round16_((size_t)e->C) + 16;     /* value FCs */
  return n;
}

/* Points the weight views into the slab (layout as counted by weight_floats_). */
static void point_weights_(nn_infer_t *e) {
  float *p = e->wslab;
  for (int l = 0; l < e->nconv; l++) {
    int cin = l == 0 ? e->planes : e->C;
    e->convs[l].cin = cin;
    e->convs[l].U = p;
    p += round16_(infer_wino_weight_floats(e->C, cin));
    e->convs[l].bias = p;
    p += e->kp;
  }
  e->pw = p;
  e->vw = p + 2 * e->cp;
  p += round16_((size_t)3 * (size_t)e->cp);
  e->pb = p;
  e->vb = p + 2;
  p += 16;
  e->pfcT = p;
  p += round16_((size_t)2 * (size_t)e->HW * (size_t)e->NP);
  e->pfcb = p;
  p += round16_((size_t)e->NP);
  e->vfc1T = p;
  p += round16_((size_t)e->HW * (size_t)e->C);
  e->vfc1b = p;
  p += round16_((size_t)e->C);
  e->vfc2w = p;
  p += round16_((size_t)e->C);
  e->vfc2b = p;
}

rocks_status_t nn_infer_refresh(nn_infer_t *e, const goresnet_t *m, rocks_error_t *err) {
  const goresnet_config_t *c = &m->config;
  if (c->size != e->cfg.size || c->planes != e->cfg.planes || c->channels != e->cfg.channels ||
      c->blocks != e->cfg.blocks)
    return rocks_fail(err, ROCKS_ERR_ARG, "infer: model is %dx%d b%dc%d p%d, engine built for %dx%d b%dc%d p%d",
                      c->size, c->size, c->blocks, c->channels, c->planes, e->cfg.size, e->cfg.size,
                      e->cfg.blocks, e->cfg.channels, e->cfg.planes);
  e->cfg = *c;
  const goresnet_params_t *P = &m->params;
  const int C = e->C, HW = e->HW, NP = e->NP;
  size_t big = (size_t)C * (size_t)(C > e->planes ? C : e->planes) * 9;
  float *wf = malloc(sizeof(float) * big), *bf = malloc(sizeof(float) * (size_t)(C > 2 ? C : 2));
  if (!wf || !bf) {
    free(wf);
    free(bf);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "infer: out of memory folding weights");
  }
  float mult = goresnet_branch_mult(c);
  for (int l = 0; l < e->nconv; l++) {
    const goresnet_convbn_t *cb = l == 0 ? &P->stem : (l % 2 ? &P->conv1[(l - 1) / 2] : &P->conv2[(l - 1) / 2]);
    int cin = e->convs[l].cin;
    fold_(wf, bf, cb, C, cin, 9, c->bn_eps, (l > 0 && l % 2 == 0) ? mult : 1.0f);
    infer_wino_weights(e->convs[l].U, wf, C, cin);
    memset(e->convs[l].bias, 0, sizeof(float) * (size_t)e->kp);
    memcpy(e->convs[l].bias, bf, sizeof(float) * (size_t)C);
  }
  /* heads: 1x1 convs folded, FC weights transposed so the per-position loops run over outputs */
  fold_(wf, bf, &P->policy, 2, C, 1, c->bn_eps, 1.0f);
  memset(e->pw, 0, sizeof(float) * 2 * (size_t)e->cp);
  for (int o = 0; o < 2; o++) {
    memcpy(e->pw + (size_t)o * (size_t)e->cp, wf + (size_t)o * (size_t)C, sizeof(float) * (size_t)C);
    e->pb[o] = bf[o];
  }
  fold_(wf, bf, &P->value, 1, C, 1, c->bn_eps, 1.0f);
  memset(e->vw, 0, sizeof(float) * (size_t)e->cp);
  memcpy(e->vw, wf, sizeof(float) * (size_t)C);
  e->vb[0] = bf[0];
  for (int j = 0; j < NP; j++)
    for (int i = 0; i < 2 * HW; i++) e->pfcT[(size_t)i * (size_t)NP + (size_t)j] = P->policy_fc_weight[(size_t)j * (size_t)(2 * HW) + (size_t)i];
  memcpy(e->pfcb, P->policy_fc_bias, sizeof(float) * (size_t)NP);
  for (int j = 0; j < C; j++)
    for (int i = 0; i < HW; i++) e->vfc1T[(size_t)i * (size_t)C + (size_t)j] = P->value_fc1_weight[(size_t)j * (size_t)HW + (size_t)i];
  memcpy(e->vfc1b, P->value_fc1_bias, sizeof(float) * (size_t)C);
  memcpy(e->vfc2w, P->value_fc2_weight, sizeof(float) * (size_t)C);
  e->vfc2b[0] = P->value_fc2_bias[0];
  e->vmult = goresnet_readout_mult(c);
  free(wf);
  free(bf);
  return ROCKS_OK;
}

/* ------------------------------------------------------------------------------ buffers --- */

static void free_acts_(nn_infer_t *e) {
  free(e->xin);
  free(e->x);
  free(e->h);
  e->xin = e->x = e->h = NULL;
  e->cap = 0;
}

static rocks_status_t grow_(nn_infer_t *e, int B, rocks_error_t *err) {
  if (B <= e->cap) return ROCKS_OK;
  free_acts_(e);
  size_t pp = (size_t)e->g.p * (size_t)e->g.p * (size_t)B;
  e->xin = falloc_(pp * (size_t)e->cpin);
  e->x = falloc_(pp * (size_t)e->cp);
  e->h = falloc_(pp * (size_t)e->cp);
  if (!e->xin || !e->x || !e->h) {
    free_acts_(e);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "infer: out of memory for a batch of %d", B);
  }
  e->cap = B;
  return ROCKS_OK;
}

void nn_infer_delete(nn_infer_t *e) {
  if (!e) return;
  pool_stop_(e);
  free_acts_(e);
  for (int t = 0; t < INFER_MAX_THREADS; t++) {
    infer_scratch_t *s = &e->scratch[t];
    free(s->V);
    free(s->M);
    free(s->ph);
    free(s->vh);
    free(s->h1);
  }
  free(e->convs);
  free(e->wslab);
  free(e);
}

nn_infer_t *nn_infer_new(const goresnet_t *m, const nn_infer_config_t *cfg, rocks_error_t *err) {
  nn_infer_config_t c = cfg ? *cfg : nn_infer_config_default();
  if (goresnet_config_check(&m->config, err) != ROCKS_OK) return NULL;
  if (c.threads < 1 || c.threads > INFER_MAX_THREADS) {
    rocks_fail(err, ROCKS_ERR_ARG, "infer: threads %d not in [1, %d]", c.threads, INFER_MAX_THREADS);
    return NULL;
  }
  nn_infer_isa_t best = infer_isa_detect();
  if (c.isa == NN_INFER_ISA_AUTO) c.isa = best;
  if (c.isa != NN_INFER_ISA_C && !(c.isa == NN_INFER_ISA_AVX2 && best == NN_INFER_ISA_AVX2)) {
    rocks_fail(err, ROCKS_ERR_ARG, "infer: kernel set '%s' not supported on this CPU", nn_infer_isa_name(c.isa));
    return NULL;
  }
  nn_infer_t *e = calloc(1, sizeof *e);
  if (!e) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "infer: out of memory");
    return NULL;
  }
  e->cfg = m->config;
  e->g = infer_geom_init(m->config.size);
  e->isa = c.isa;
  e->nthreads = c.threads;
  e->C = m->config.channels;
  e->cp = (e->C + 7) / 8 * 8;
  e->kp = (e->C + 15) / 16 * 16;
  e->planes = m->config.planes;
  e->cpin = (e->planes + 7) / 8 * 8;
  e->nconv = 1 + 2 * m->config.blocks;
  e->HW = e->g.n * e->g.n;
  e->NP = e->HW + 1;
  int cmax = e->cp > e->cpin ? e->cp : e->cpin;
  size_t per_pos = (size_t)25 * (size_t)e->g.tiles * (size_t)(cmax + e->kp) * sizeof(float);
  e->chunk = c.chunk > 0 ? c.chunk : (int)(INFER_CHUNK_BYTES / per_pos);
  if (e->chunk < 1) e->chunk = 1;
  if (e->chunk > 64) e->chunk = 64;

  e->convs = calloc((size_t)e->nconv, sizeof *e->convs);
  e->wslab = falloc_(weight_floats_(e));
  if (!e->convs || !e->wslab) goto nomem;
  point_weights_(e);
  for (int t = 0; t < e->nthreads; t++) {
    infer_scratch_t *s = &e->scratch[t];
    size_t T = (size_t)e->chunk * (size_t)e->g.tiles;
    s->V = falloc_(25 * T * (size_t)cmax);
    s->M = falloc_(25 * T * (size_t)e->kp);
    s->ph = falloc_((size_t)2 * (size_t)e->HW);
    s->vh = falloc_((size_t)e->HW);
    s->h1 = falloc_((size_t)e->C);
    if (!s->V || !s->M || !s->ph || !s->vh || !s->h1) goto nomem;
  }
  if (nn_infer_refresh(e, m, err) != ROCKS_OK) goto fail;
  if (grow_(e, c.max_batch > 0 ? c.max_batch : 1, err) != ROCKS_OK) goto fail;
  if (pool_start_(e, err) != ROCKS_OK) goto fail;
  return e;
nomem:
  rocks_fail(err, ROCKS_ERR_NOMEM, "infer: out of memory");
fail:
  nn_infer_delete(e);
  return NULL;
}

rocks_status_t nn_infer_forward(nn_infer_t *e, const float *inp, int B, float *policy_logits,
                                float *value, rocks_error_t *err) {
  if (B < 1) return rocks_fail(err, ROCKS_ERR_ARG, "infer: batch %d < 1", B);
  rocks_status_t st = grow_(e, B, err);
  if (st != ROCKS_OK) return st;
  e->job_inp = inp;
  e->job_logits = policy_logits;
  e->job_value = value;
  e->job_B = B;
  e->job_split = e->nthreads > 1 && !(B % e->nthreads == 0 || B >= 4 * e->nthreads);
  pool_run_(e);
  return ROCKS_OK;
}
