/* train_goresnet.c — the fast training path of GoResNet: the same forward (training mode) and
 * backward as the reference path in goresnet.c, computed differently.
 *
 *  - Trunk activations are NHWC with channel stride Cp = tk_pad(channels) (train_kernels.h).
 *  - 3x3 convolutions are Winograd F(3x3,3x3) (25 instead of 81 multiplies per tile and channel
 *    pair), forward and backward (input gradient and weight gradient are the exact adjoints of
 *    the forward's linear steps), with GEMM micro-kernels over the transformed tiles.
 *  - Work is split over a thread pool (nn_set_threads threads): every parallel phase is cut
 *    into fixed items (chunks of images, parts of chunks, channel ranges of the weights) that
 *    threads claim as they come free, so a thread preempted by another job is helped out. What
 *    an item computes never depends on who runs it, and every reduction is summed in a fixed
 *    order (per-image partial sums added image by image in double; the weight gradient of
 *    each of NPARTS_ fixed parts accumulated in its own buffer, the parts added in order).
 *    So results depend neither on timing nor on the thread count. OpenBLAS is not called.
 *  - Each conv runs as one pass per chunk of images that stays in the core's cache: (pre-op)
 *    -> input transform -> 25 GEMMs -> output transform (+ BN channel sums) in the forward;
 *    (BN backward, fused) -> output adjoint -> input transform -> weight-gradient GEMMs ->
 *    input-gradient GEMMs -> input adjoint (+ the next BN's backward sums) in the backward. The
 *    BN+ReLU (and residual) of a layer is applied as the "pre-op" of the next conv's pass; the
 *    block outputs x are stored (the backward reads them), h is stored for m->acts but the
 *    backward recomputes it from c1 (in cache) instead of reading it.
 *  - The heads (1x1 convs to 2 and 1 channels, BN, FCs) are small: NCHW as on the reference
 *    path, with the reference BN/loss ops and plain vectorised linear layers.
 *
 * defines: goresnet_fast_forward, goresnet_fast_backward, goresnet_fast_delete
 */
#include "nn/train_goresnet.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nn/train_kernels.h"
#include "nn/train_pool.h"

/* per-channel vectors (Cp floats each) in f->cv: the current backward BN coefficients and the
 * heads' 1x1 conv weights (3 rows) */
enum { CV_K, CV_MD, CV_RM, CV_W3, CV_N = CV_W3 + 3 };

/* Target bytes of one thread's chunk buffers (transformed input + transformed output). */
#define CHUNK_BYTES_ (480 * 1024)
/* Image chunks of a backward conv are grouped into at most this many parts, each with its own
 * weight-gradient accumulator (summed in part order). Fixed, so results do not depend on the
 * thread count; > 2 so that a thread that is preempted (shared machine) can be helped. */
#define NPARTS_ 4
/* Channel parts of the weight-transform / weight-gradient epilogues. */
#define NEPI_ 8

/* Work is claimed dynamically from fixed items: what an item computes never depends on which
 * thread runs it, so results are the same whatever the timing. */
static int claim_(atomic_int *c) { return atomic_fetch_add_explicit(c, 1, memory_order_relaxed); }

struct goresnet_fast {
  tk_isa_t isa;
  nn_pool_t *pool;
  int nthreads;
  int cap;         /* batch capacity                                                      */
  int C, Cp, P, Pp;
  int ICmax;       /* max(Pp, Cp): widest conv input                                      */
  int nconv;       /* 1 + 2 * blocks                                                      */
  tk_geom_t g;
  int chunk;       /* images per chunk                                                    */
  size_t vsz;      /* floats of one thread's V (and M) chunk buffer                        */
  size_t hsz;      /* floats of one thread's H chunk buffer (a recomputed BN+ReLU output)  */
  size_t dusz;     /* floats of one part's dU partial: 25 * max(P, C) * Cp                */
  size_t usz;      /* floats of one Winograd weight buffer                                */
  float *mem;
  float *xin;      /* (cap, hw, Pp) the input, NHWC                                       */
  float *gb[3];    /* (cap, hw, Cp) trunk gradients                                       */
  float *U[2];     /* Winograd weights of conv l in U[l % 2] (forward U, backward Ut)     */
  float *vbuf, *mbuf, *hbuf, *tvec; /* per thread                                         */
  float *dup[2];   /* NPARTS_ dU partials of conv l in dup[l % 2]                          */
  float *ps1, *ps2;/* (cap, Cp) per-image partial sums                                    */
  float *hw3;      /* (cap, 3, Cp) per-image head weight gradients                        */
  float *lg, *lbe, *lmean; /* (nconv, Cp) per conv layer: BN y = c*g + be, batch mean     */
  float *cv;       /* CV_N * Cp                                                           */
  float *wt;       /* transposed FC weights                                               */
  /* head gradient buffers */
  float *dval, *dvpre, *dv1, *dv1b, *dvh, *dvh2, *dvc, *dlogits, *dph, *dph2, *dpc;
};

void goresnet_fast_delete(struct goresnet_fast *f) {
  if (!f) return;
  nn_pool_delete(f->pool);
  free(f->mem);
  free(f);
}

static size_t up16_(size_t n) { return (n + 15) & ~(size_t)15; }

/* (Re)allocates the fast path's buffers for batch B and the current thread count. */
static rocks_status_t ensure_(goresnet_t *m, int B, rocks_error_t *err) {
  const goresnet_config_t *c = &m->config;
  struct goresnet_fast *f = m->fast;
  int want = nn_get_threads();
  if (f && f->cap >= B && f->nthreads == want && f->mem) return ROCKS_OK;
  if (!f) {
    f = calloc(1, sizeof *f);
    if (!f) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (fast training path)");
    f->isa = tk_isa_detect();
    m->fast = f;
  }
  if (f->nthreads != want) { /* per-thread buffers change size too */
    nn_pool_delete(f->pool);
    f->pool = NULL;
    f->nthreads = 0;
    free(f->mem);
    f->mem = NULL;
  }
  if (!f->pool) {
    f->pool = nn_pool_new(want);
    if (!f->pool) return rocks_fail(err, ROCKS_ERR_NOMEM, "cannot start %d threads (fast training path)", want);
    f->nthreads = want;
  }
  int cap = B > f->cap ? B : f->cap;
  f->C = c->channels;
  f->Cp = tk_pad(c->channels);
  f->P = c->planes;
  f->Pp = tk_pad(c->planes);
  f->ICmax = f->Pp > f->Cp ? f->Pp : f->Cp;
  f->nconv = 1 + 2 * c->blocks;
  f->g = tk_geom(c->size);
  size_t per_img = 25 * (size_t)f->g.ti * (size_t)(f->ICmax + f->Cp) * sizeof(float);
  f->chunk = (int)(CHUNK_BYTES_ / per_img); /* from the geometry only: the parts, and so the
                                               * rounding, must not depend on earlier batches */
  if (f->chunk < 1) f->chunk = 1;
  if (f->chunk > 64) f->chunk = 64;
  const size_t HW = (size_t)f->g.hw, Bs = (size_t)cap, Cp = (size_t)f->Cp, C = (size_t)f->C;
  const size_t icw = (size_t)(f->P > f->C ? f->P : f->C), nt = (size_t)f->nthreads, nc = (size_t)f->nconv;
  f->vsz = up16_(25 * (size_t)f->chunk * (size_t)f->g.ti * (size_t)f->ICmax);
  size_t msz = up16_(25 * (size_t)f->chunk * (size_t)f->g.ti * Cp);
  if (msz > f->vsz) f->vsz = msz;
  f->hsz = up16_((size_t)f->chunk * HW * Cp);
  f->dusz = up16_(25 * icw * Cp);
  f->usz = up16_(25 * icw * (size_t)f->ICmax);
  size_t V1 = HW + 1, wtn = 2 * HW * V1;
  if (HW * C > wtn) wtn = HW * C;
  size_t sizes[] = {Bs * HW * (size_t)f->Pp, Bs * HW * Cp, Bs * HW * Cp, Bs * HW * Cp, f->usz, f->usz,
                    nt * f->vsz, nt * f->vsz, nt * f->hsz, nt * Cp, NPARTS_ * f->dusz, NPARTS_ * f->dusz, Bs * Cp, Bs * Cp,
                    Bs * 3 * Cp, nc * Cp, nc * Cp, nc * Cp, CV_N * Cp, wtn,
                    Bs, Bs, Bs * C, Bs * C, Bs * HW, Bs * HW, Bs * HW, Bs * V1, Bs * 2 * HW, Bs * 2 * HW, Bs * 2 * HW};
  float **ptrs[] = {&f->xin, &f->gb[0], &f->gb[1], &f->gb[2], &f->U[0], &f->U[1], &f->vbuf, &f->mbuf, &f->hbuf,
                    &f->tvec, &f->dup[0], &f->dup[1], &f->ps1, &f->ps2, &f->hw3, &f->lg, &f->lbe, &f->lmean, &f->cv,
                    &f->wt, &f->dval, &f->dvpre, &f->dv1, &f->dv1b, &f->dvh, &f->dvh2, &f->dvc, &f->dlogits, &f->dph,
                    &f->dph2, &f->dpc};
  const int nbuf = (int)(sizeof sizes / sizeof sizes[0]);
  size_t total = 0;
  for (int i = 0; i < nbuf; i++) total += up16_(sizes[i]);
  void *mem = NULL;
  if (posix_memalign(&mem, 64, total * sizeof(float)) != 0 || !mem)
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (fast training path, batch %d: %.1f MB)", B,
                      (double)total * 4e-6);
  free(f->mem);
  f->mem = mem;
  f->cap = cap;
  size_t off = 0;
  for (int i = 0; i < nbuf; i++) {
    *ptrs[i] = f->mem + off;
    off += up16_(sizes[i]);
  }
  memset(f->mem, 0, total * sizeof(float)); /* padding channels of every vector stay zero */
  return ROCKS_OK;
}

static int cmax_(const goresnet_config_t *c) { return c->channels > 2 ? c->channels : 2; }
static size_t act_cap_(const goresnet_t *m) {
  return (size_t)m->batch_capacity * (size_t)tk_pad(m->config.channels) * (size_t)m->config.size * (size_t)m->config.size;
}
static float *lvec_(float *base, const struct goresnet_fast *f, int l) { return base + (size_t)l * (size_t)f->Cp; }
static int nchunks_(const struct goresnet_fast *f, int B) { return (B + f->chunk - 1) / f->chunk; }
static int nparts_(const struct goresnet_fast *f, int B) {
  int n = nchunks_(f, B);
  return n < NPARTS_ ? n : NPARTS_;
}
/* Chunks [*c0, *c1) of part p of np over nch chunks: every part gets one chunk plus a share of
 * the rest weighted np - p, so the parts shrink (the last one claimed is the shortest). */
static void part_range_(int nch, int np, int p, int *c0, int *c1) {
  const int extra = nch - np, wsum = np * (np + 1) / 2;
  int w0 = 0;
  for (int q = 0; q < p; q++) w0 += np - q;
  const int w1 = w0 + np - p;
  *c0 = p + (int)(((long long)extra * w0 + wsum / 2) / wsum);
  *c1 = p + 1 + (int)(((long long)extra * w1 + wsum / 2) / wsum);
}

/* ------------------------------------------------------------------ forward conv --- */

typedef struct {
  goresnet_t *m;
  struct goresnet_fast *f;
  int B;
  int l;                  /* conv index: weights in U[l % 2]                                     */
  int pre;                /* 0: none; 1: X = relu(pc*pg+pbe); 2: X = relu(px + mult*(pc*pg+pbe));
                           * 3: X = NHWC of the NCHW input pin                                  */
  const float *pc, *px, *pin, *pg, *pbe;
  float pmult;
  float *X;               /* conv input (stored: the backward and m->acts read it), written by
                           * the pre-op                                                          */
  int IC, ICp;
  float *Y;               /* conv output (pre-BN); NULL: the heads' 1x1 convs instead           */
  const float *next_w;    /* epilogue: Winograd weights of the next conv into U[(l+1) % 2]      */
  int next_ic;
  atomic_int next_chunk, next_epi; /* claim counters (zero)                                   */
} convf_t_;

static void pre_op_(const convf_t_ *j, float *X, int b0, int nb) {
  const struct goresnet_fast *f = j->f;
  const size_t hw = (size_t)f->g.hw, o = (size_t)b0 * hw * (size_t)j->ICp;
  const int npos = nb * f->g.hw;
  switch (j->pre) {
    case 1: tk_bn_relu(f->isa, X, j->pc + o, j->pg, j->pbe, npos, j->ICp); break;
    case 2: tk_bn_add_relu(f->isa, X, j->px + o, j->pc + o, j->pg, j->pbe, j->pmult, npos, j->ICp); break;
    case 3:
      for (int b = b0; b < b0 + nb; b++) {
        float *x = X + (size_t)(b - b0) * hw * (size_t)j->ICp;
        const float *in = j->pin + (size_t)b * (size_t)j->IC * hw;
        for (size_t p = 0; p < hw; p++) {
          float *xp = x + p * (size_t)j->ICp;
          for (int c = 0; c < j->IC; c++) xp[c] = in[(size_t)c * hw + p];
          for (int c = j->IC; c < j->ICp; c++) xp[c] = 0.0f;
        }
      }
      break;
    default: break;
  }
}

static void convf_run_(void *ctx, int tid, int nth) {
  const convf_t_ *j = ctx;
  const struct goresnet_fast *f = j->f;
  const goresnet_acts_t *a = &j->m->acts;
  const int Cp = f->Cp, ICp = j->ICp, IC = j->IC, hw = f->g.hw;
  float *V = f->vbuf + (size_t)tid * f->vsz, *M = f->mbuf + (size_t)tid * f->vsz;
  float *imean = f->tvec + (size_t)tid * (size_t)Cp;
  const float *U = f->U[j->l % 2];
  (void)nth;
  for (int ci; (ci = claim_((atomic_int *)&j->next_chunk)) < nchunks_(f, j->B);) {
    const int b0 = ci * f->chunk, nb = j->B - b0 < f->chunk ? j->B - b0 : f->chunk, T = nb * f->g.ti;
    float *X = j->X + (size_t)b0 * (size_t)hw * (size_t)ICp;
    pre_op_(j, X, b0, nb);
    if (!j->Y) { /* heads: the 1x1 convs to the policy (2) and value (1) channels */
      tk_head_fwd(f->isa, a->policy_conv + (size_t)b0 * 2 * (size_t)hw, a->value_conv + (size_t)b0 * (size_t)hw, X,
                  f->cv + CV_W3 * (size_t)Cp, nb, hw, Cp);
      continue;
    }
    /* tile-major transformed tensors: (xi, t, c) at t*25*Cp + xi*Cp + c */
    const size_t tv = 25 * (size_t)ICp, tm = 25 * (size_t)Cp;
    tk_input(f->isa, V, (size_t)ICp, tv, X, nb, &f->g, ICp);
    for (int xi = 0; xi < 25; xi++)
      tk_gemm_nn(f->isa, M + (size_t)xi * (size_t)Cp, tm, V + (size_t)xi * (size_t)ICp, tv,
                 U + (size_t)xi * (size_t)IC * (size_t)Cp, (size_t)Cp, T, Cp, IC);
    float *Y = j->Y + (size_t)b0 * (size_t)hw * (size_t)Cp;
    tk_output(f->isa, Y, f->ps1 + (size_t)b0 * (size_t)Cp, M, (size_t)Cp, tm, nb, &f->g, Cp);
    /* per-image sum of squares about the image's own mean (the image is still in cache) */
    for (int b = b0; b < b0 + nb; b++) {
      const float *sb = f->ps1 + (size_t)b * (size_t)Cp;
      for (int ch = 0; ch < Cp; ch++) imean[ch] = sb[ch] / (float)hw;
      tk_bn_var(f->isa, f->ps2 + (size_t)b * (size_t)Cp, Y + (size_t)(b - b0) * (size_t)hw * (size_t)Cp, imean, hw, Cp);
    }
  }
  if (j->next_w)
    for (int e; (e = claim_((atomic_int *)&j->next_epi)) < NEPI_;) {
      int lo, hi;
      nn_pool_range(j->next_ic, e, NEPI_, &lo, &hi);
      tk_wino_weights(f->isa, f->U[(j->l + 1) % 2], j->next_w, f->C, j->next_ic, Cp, lo, hi);
    }
}

/* Winograd weights of the stem (the first conv) into U[0]. */
typedef struct {
  struct goresnet_fast *f;
  const float *w;
  int ic;
  float *dw;               /* or: the weight gradient of conv 0 from dup[0] (nparts partials) */
  int nparts;
  atomic_int next_epi;
} wphase_t_;

static void wphase_run_(void *ctx, int tid, int nth) {
  const wphase_t_ *j = ctx;
  const struct goresnet_fast *f = j->f;
  (void)tid, (void)nth;
  for (int e; (e = claim_((atomic_int *)&j->next_epi)) < NEPI_;) {
    int lo, hi;
    nn_pool_range(j->ic, e, NEPI_, &lo, &hi);
    if (j->w) tk_wino_weights(f->isa, f->U[0], j->w, f->C, j->ic, f->Cp, lo, hi);
    if (j->dw) tk_wino_dweights(f->isa, j->dw, f->dup[0], j->nparts, f->dusz, f->C, j->ic, f->Cp, lo, hi);
  }
}

/* ------------------------------------------------------------------- BatchNorm --- */

/* Forward BN of conv layer l from the per-image sums (ps1) and sums of squares about each
 * image's float mean sum/hw (ps2), combined in double (Chan et al.); running statistics, the
 * saved mean/rstd, and the coefficients y*g + be (f->lg, f->lbe) and mean (f->lmean). */
static void bn_forward_(goresnet_t *m, const goresnet_convbn_t *p, int l, int B) {
  struct goresnet_fast *f = m->fast;
  const goresnet_config_t *c = &m->config;
  const int C = f->C, Cp = f->Cp, hw = f->g.hw;
  const double n = (double)B * (double)hw;
  float *mean = m->acts.bn_mean + (size_t)l * (size_t)cmax_(c), *rstd = m->acts.bn_rstd + (size_t)l * (size_t)cmax_(c);
  float *lg = lvec_(f->lg, f, l), *lbe = lvec_(f->lbe, f, l), *lmean = lvec_(f->lmean, f, l);
  for (int ch = 0; ch < C; ch++) {
    double s = 0.0;
    for (int b = 0; b < B; b++) s += f->ps1[(size_t)b * (size_t)Cp + (size_t)ch];
    const double mu = s / n;
    double ss = 0.0;
    for (int b = 0; b < B; b++) {
      const float sb = f->ps1[(size_t)b * (size_t)Cp + (size_t)ch];
      const double ab = (double)(sb / (float)hw); /* the centre ps2 was taken about */
      ss += (double)f->ps2[(size_t)b * (size_t)Cp + (size_t)ch] + 2.0 * (ab - mu) * ((double)sb - hw * ab) +
            hw * (ab - mu) * (ab - mu);
    }
    if (ss < 0.0) ss = 0.0;
    const double var = ss / n;
    float muf = (float)mu, r = (float)(1.0 / sqrt(var + (double)c->bn_eps));
    mean[ch] = muf;
    rstd[ch] = r;
    lmean[ch] = muf;
    p->bn_mean[ch] = (1.0f - c->bn_momentum) * p->bn_mean[ch] + c->bn_momentum * muf;
    double unbiased = n > 1 ? ss / (n - 1.0) : var;
    p->bn_var[ch] = (1.0f - c->bn_momentum) * p->bn_var[ch] + c->bn_momentum * (float)unbiased;
    float gg = p->bn_weight[ch] * r;
    lg[ch] = gg;
    lbe[ch] = p->bn_bias[ch] - muf * gg;
  }
}

/* Backward BN of conv layer l from the per-image sums of gy (ps1) and gy*(c - mean) (ps2):
 * parameter gradients and the coefficients k, md, rm of the fused BN backward (f->cv). */
static void bn_backward_(goresnet_t *m, const goresnet_convbn_t *p, goresnet_convbn_t *g, int l, int B) {
  struct goresnet_fast *f = m->fast;
  const int C = f->C, Cp = f->Cp;
  const double n = (double)B * (double)f->g.hw;
  const float *rstd = m->acts.bn_rstd + (size_t)l * (size_t)cmax_(&m->config);
  float *k = f->cv + CV_K * (size_t)Cp, *md = f->cv + CV_MD * (size_t)Cp, *rm = f->cv + CV_RM * (size_t)Cp;
  for (int ch = 0; ch < C; ch++) {
    double sd = 0.0, sxm = 0.0;
    for (int b = 0; b < B; b++) {
      sd += f->ps1[(size_t)b * (size_t)Cp + (size_t)ch];
      sxm += f->ps2[(size_t)b * (size_t)Cp + (size_t)ch];
    }
    float r = rstd[ch];
    double sdx = sxm * (double)r;
    g->bn_bias[ch] += (float)sd;
    g->bn_weight[ch] += (float)sdx;
    k[ch] = p->bn_weight[ch] * r;
    md[ch] = (float)(sd / n);
    rm[ch] = r * (float)(sdx / n);
  }
}

/* The per-image BN-backward partial sums of src for images [b0, b0 + nb). */
static void reduce_(const struct goresnet_fast *f, const tk_bnsrc_t *src, int b0, int nb) {
  const int Cp = f->Cp, hw = f->g.hw;
  for (int b = b0; b < b0 + nb; b++) {
    const size_t o = (size_t)b * (size_t)hw * (size_t)Cp;
    tk_bnsrc_t s = *src;
    s.d += o;
    s.c += o;
    if (s.o) s.o += o;
    tk_bnb_reduce(f->isa, f->ps1 + (size_t)b * (size_t)Cp, f->ps2 + (size_t)b * (size_t)Cp, &s, hw, Cp);
  }
}

/* --------------------------------------------------------------- backward conv --- */

typedef struct {
  struct goresnet_fast *f;
  int B;
  int l;                     /* conv index: Ut in U[l % 2], dU partials into dup[l % 2]         */
  tk_bnsrc_t src;            /* gradient at the conv output, via the fused BN backward          */
  const float *X;            /* the conv's forward input (NHWC, stride ICp), or NULL: recompute */
  const float *xc, *xg, *xbe;/*   it as relu(xc*xg + xbe) (a block's h)                         */
  int IC, ICp;
  float *dX;                 /* input gradient (NULL: none)                                     */
  const float *init_d, *init_o; /* dX starts as mask(init_d, init_o); NULL: zero               */
  const tk_bnsrc_t *next;    /* fused: BN-backward partial sums of the conv below (its src)     */
  const float *ut_w;         /* epilogue: Ut of conv l-1 (weights ut_w, ut_ic inputs) into      */
  int ut_ic, ut_icp;         /*   U[(l-1) % 2]                                                   */
  float *dw;                 /* epilogue: dW of conv l+1 (dw_ic inputs) from dup[(l+1) % 2]      */
  int dw_ic;
  atomic_int next_part, next_epi; /* claim counters (zero)                                     */
} convb_t_;

/* One part (a fixed range of image chunks) of a backward conv, its dU partial in dup[part]. */
static void convb_part_(const convb_t_ *j, int tid, int part, int nparts) {
  const struct goresnet_fast *f = j->f;
  const int Cp = f->Cp, ICp = j->ICp, IC = j->IC, hw = f->g.hw, C = f->C;
  float *V = f->vbuf + (size_t)tid * f->vsz, *M = f->mbuf + (size_t)tid * f->vsz, *H = f->hbuf + (size_t)tid * f->hsz;
  float *dU = f->dup[j->l % 2] + (size_t)part * f->dusz;
  const float *Ut = f->U[j->l % 2];
  const size_t tv = 25 * (size_t)ICp, tm = 25 * (size_t)Cp; /* tile-major, as in the forward */
  int c0, c1;
  part_range_(nchunks_(f, j->B), nparts, part, &c0, &c1);
  for (int ci = c0; ci < c1; ci++) {
    const int b0 = ci * f->chunk, nb = j->B - b0 < f->chunk ? j->B - b0 : f->chunk, T = nb * f->g.ti;
    const size_t oo = (size_t)b0 * (size_t)hw * (size_t)Cp, oi = (size_t)b0 * (size_t)hw * (size_t)ICp;
    tk_bnsrc_t s = j->src;
    s.d += oo;
    s.c += oo;
    if (s.o) s.o += oo;
    tk_output_adjoint(f->isa, M, (size_t)Cp, tm, &s, nb, &f->g, Cp);
    const float *X = j->X ? j->X + oi : H;
    if (!j->X) tk_bn_relu(f->isa, H, j->xc + oi, j->xg, j->xbe, nb * hw, ICp);
    tk_input(f->isa, V, (size_t)ICp, tv, X, nb, &f->g, ICp);
    for (int xi = 0; xi < 25; xi++)
      tk_gemm_tn(f->isa, dU + (size_t)xi * (size_t)IC * (size_t)Cp, (size_t)Cp, V + (size_t)xi * (size_t)ICp, tv,
                 M + (size_t)xi * (size_t)Cp, tm, IC, Cp, T, ci > c0);
    if (j->dX) {
      for (int xi = 0; xi < 25; xi++)
        tk_gemm_nn(f->isa, V + (size_t)xi * (size_t)ICp, tv, M + (size_t)xi * (size_t)Cp, tm,
                   Ut + (size_t)xi * (size_t)C * (size_t)ICp, (size_t)ICp, T, ICp, C);
      const size_t nfl = (size_t)nb * (size_t)hw * (size_t)ICp;
      if (j->init_d) tk_mask(f->isa, j->dX + oi, j->init_d + oi, j->init_o + oi, nfl);
      else memset(j->dX + oi, 0, sizeof(float) * nfl);
      tk_input_adjoint(f->isa, j->dX + oi, V, (size_t)ICp, tv, nb, &f->g, ICp);
    }
    if (j->next) reduce_(f, j->next, b0, nb);
  }
}

static void convb_run_(void *ctx, int tid, int nth) {
  const convb_t_ *j = ctx;
  const struct goresnet_fast *f = j->f;
  const int np = nparts_(f, j->B);
  (void)nth;
  for (int part; (part = claim_((atomic_int *)&j->next_part)) < np;) convb_part_(j, tid, part, np);
  for (int e; (e = claim_((atomic_int *)&j->next_epi)) < 2 * NEPI_;) {
    int lo, hi;
    if (e < NEPI_) { /* dW of conv l+1 from its parts, summed in part order */
      if (!j->dw) continue;
      nn_pool_range(j->dw_ic, e, NEPI_, &lo, &hi);
      tk_wino_dweights(f->isa, j->dw, f->dup[(j->l + 1) % 2], np, f->dusz, f->C, j->dw_ic, f->Cp, lo, hi);
    } else if (j->ut_w) { /* Ut of conv l-1 into U[(l-1) % 2] == U[(l+1) % 2] */
      nn_pool_range(f->C, e - NEPI_, NEPI_, &lo, &hi);
      tk_wino_weights_t(f->isa, f->U[(j->l + 1) % 2], j->ut_w, f->C, j->ut_ic, j->ut_icp, lo, hi);
    }
  }
}

/* ------------------------------------------------------------------ head phase --- */

typedef struct {
  struct goresnet_fast *f;
  int B;
  const float *x;            /* trunk output */
  const tk_bnsrc_t *next;    /* fused: BN-backward partial sums of the last conv              */
  const float *ut_w;         /* epilogue: Ut of the last conv (index ut_l) */
  int ut_l;
  atomic_int next_chunk, next_epi;
} headb_t_;

static void headb_run_(void *ctx, int tid, int nth) {
  const headb_t_ *j = ctx;
  const struct goresnet_fast *f = j->f;
  const int Cp = f->Cp, hw = f->g.hw;
  (void)tid, (void)nth;
  for (int ci; (ci = claim_((atomic_int *)&j->next_chunk)) < nchunks_(f, j->B);) {
    const int b0 = ci * f->chunk, nb = j->B - b0 < f->chunk ? j->B - b0 : f->chunk;
    const size_t o = (size_t)b0 * (size_t)hw * (size_t)Cp;
    tk_head_bwd(f->isa, f->gb[0] + o, f->hw3 + (size_t)b0 * 3 * (size_t)Cp, f->dpc + (size_t)b0 * 2 * (size_t)hw,
                f->dvc + (size_t)b0 * (size_t)hw, j->x + o, f->cv + CV_W3 * (size_t)Cp, nb, hw, Cp);
    reduce_(f, j->next, b0, nb);
  }
  if (j->ut_w)
    for (int e; (e = claim_((atomic_int *)&j->next_epi)) < NEPI_;) {
      const int ic = j->ut_l ? f->C : f->P, icp = j->ut_l ? f->Cp : f->Pp;
      int lo, hi;
      nn_pool_range(f->C, e, NEPI_, &lo, &hi);
      tk_wino_weights_t(f->isa, f->U[j->ut_l % 2], j->ut_w, f->C, ic, icp, lo, hi);
    }
}

/* ------------------------------------------------------------------------ forward --- */

static void transpose_(float *dst, const float *src, int rows, int cols) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[(size_t)c * (size_t)rows + (size_t)r] = src[(size_t)r * (size_t)cols + (size_t)c];
}

rocks_status_t goresnet_fast_forward(goresnet_t *m, const float *inp, int B, rocks_error_t *err) {
  if (ensure_(m, B, err) != ROCKS_OK) return err ? err->code : ROCKS_ERR_NOMEM;
  struct goresnet_fast *f = m->fast;
  const goresnet_config_t *c = &m->config;
  goresnet_params_t *p = &m->params;
  goresnet_acts_t *a = &m->acts;
  const int C = f->C, Cp = f->Cp, P = f->P, HW = f->g.hw, nb = c->blocks;
  const size_t cap = act_cap_(m);
  const float mult = goresnet_branch_mult(c);

  /* head conv weights as three Cp rows (pads zero) */
  float *w3 = f->cv + CV_W3 * (size_t)Cp;
  for (int ch = 0; ch < C; ch++) {
    w3[ch] = p->policy.weight[ch];
    w3[(size_t)Cp + (size_t)ch] = p->policy.weight[(size_t)C + (size_t)ch];
    w3[2 * (size_t)Cp + (size_t)ch] = p->value.weight[ch];
  }

  /* stem: its Winograd weights, then the conv (the pre-op writes the NHWC input) */
  wphase_t_ wj = {.f = f, .w = p->stem.weight, .ic = P};
  nn_pool_run(f->pool, wphase_run_, &wj);
  convf_t_ j0 = {.m = m, .f = f, .B = B, .l = 0, .pre = 3, .pin = inp, .X = f->xin, .IC = P, .ICp = f->Pp,
                 .Y = a->stem_conv, .next_w = nb ? p->conv1[0].weight : NULL, .next_ic = C};
  nn_pool_run(f->pool, convf_run_, &j0);
  bn_forward_(m, &p->stem, 0, B);

  /* blocks: conv1's pre-op finishes the previous block (x = relu(xprev + mult*BN2(c2))) or the
   * stem (relu(BN(stem_conv))); conv2's pre-op computes h = relu(BN1(c1)). Both are stored in
   * m->acts; the backward reads x but recomputes h from c1. */
  const float *xprev = NULL, *pc = a->stem_conv;
  float *xcur = a->stem_out;
  int pre = 1, lprev = 0;
  for (int i = 0; i < nb; i++) {
    const int l1 = 1 + 2 * i, l2 = 2 + 2 * i;
    float *c1 = a->c1 + (size_t)i * cap, *h = a->h + (size_t)i * cap, *c2 = a->c2 + (size_t)i * cap;
    convf_t_ j1 = {.m = m, .f = f, .B = B, .l = l1, .pre = pre, .pc = pc, .px = xprev, .pg = lvec_(f->lg, f, lprev),
                   .pbe = lvec_(f->lbe, f, lprev), .pmult = mult, .X = xcur, .IC = C, .ICp = Cp, .Y = c1,
                   .next_w = p->conv2[i].weight, .next_ic = C};
    nn_pool_run(f->pool, convf_run_, &j1);
    bn_forward_(m, &p->conv1[i], l1, B);
    convf_t_ j2 = {.m = m, .f = f, .B = B, .l = l2, .pre = 1, .pc = c1, .pg = lvec_(f->lg, f, l1),
                   .pbe = lvec_(f->lbe, f, l1), .X = h, .IC = C, .ICp = Cp, .Y = c2,
                   .next_w = i + 1 < nb ? p->conv1[i + 1].weight : NULL, .next_ic = C};
    nn_pool_run(f->pool, convf_run_, &j2);
    bn_forward_(m, &p->conv2[i], l2, B);
    pre = 2;
    pc = c2;
    lprev = l2;
    xprev = xcur;
    xcur = a->x + (size_t)i * cap;
  }
  /* the last pre-op writes the trunk output; the heads' 1x1 convs read it */
  convf_t_ jh = {.m = m, .f = f, .B = B, .l = 0, .pre = pre, .pc = pc, .px = xprev, .pg = lvec_(f->lg, f, lprev),
                 .pbe = lvec_(f->lbe, f, lprev), .pmult = mult, .X = xcur, .IC = C, .ICp = Cp, .Y = NULL};
  nn_pool_run(f->pool, convf_run_, &jh);

  /* heads (small; NCHW as on the reference path) */
  const int L = 1 + 2 * nb, cm = cmax_(c);
  batchnorm_forward(a->policy_h, a->bn_mean + (size_t)L * (size_t)cm, a->bn_rstd + (size_t)L * (size_t)cm,
                    p->policy.bn_mean, p->policy.bn_var, a->policy_conv, p->policy.bn_weight, p->policy.bn_bias, B, 2, HW,
                    c->bn_eps, c->bn_momentum);
  relu_forward(a->policy_h, a->policy_h, (size_t)B * 2 * (size_t)HW);
  transpose_(f->wt, p->policy_fc_weight, HW + 1, 2 * HW);
  tk_lin_fwd(f->isa, a->policy_logits, a->policy_h, f->wt, p->policy_fc_bias, 1.0f, B, 2 * HW, HW + 1);
  batchnorm_forward(a->value_h, a->bn_mean + (size_t)(L + 1) * (size_t)cm, a->bn_rstd + (size_t)(L + 1) * (size_t)cm,
                    p->value.bn_mean, p->value.bn_var, a->value_conv, p->value.bn_weight, p->value.bn_bias, B, 1, HW,
                    c->bn_eps, c->bn_momentum);
  relu_forward(a->value_h, a->value_h, (size_t)B * (size_t)HW);
  transpose_(f->wt, p->value_fc1_weight, C, HW);
  tk_lin_fwd(f->isa, a->value_fc1, a->value_h, f->wt, p->value_fc1_bias, 1.0f, B, HW, C);
  relu_forward(a->value_fc1, a->value_fc1, (size_t)B * (size_t)C);
  tk_lin_fwd(f->isa, a->value_pre, a->value_fc1, p->value_fc2_weight, p->value_fc2_bias, goresnet_readout_mult(c), B, C,
             1);
  tanh_forward(a->value, a->value_pre, (size_t)B);
  return ROCKS_OK;
}

/* ----------------------------------------------------------------------- backward --- */

static void bias_grad_(float *db, const float *dout, int B, int OC) {
  for (int o = 0; o < OC; o++) {
    double s = 0.0;
    for (int b = 0; b < B; b++) s += dout[(size_t)b * (size_t)OC + (size_t)o];
    db[o] += (float)s;
  }
}

void goresnet_fast_backward(goresnet_t *m, float scale) {
  struct goresnet_fast *f = m->fast;
  const goresnet_config_t *c = &m->config;
  goresnet_params_t *p = &m->params, *g = &m->grads;
  goresnet_acts_t *a = &m->acts;
  const int B = m->batch, C = f->C, Cp = f->Cp, HW = f->g.hw, nb = c->blocks, P = f->P;
  const size_t cap = act_cap_(m), Bs = (size_t)B, hw = (size_t)HW;
  const float mult = goresnet_branch_mult(c), readout = goresnet_readout_mult(c);
  const int L = 1 + 2 * nb, cm = cmax_(c);
  const float *trunk = nb ? a->x + (size_t)(nb - 1) * cap : a->stem_out;

  /* value head: tanh <- fc2 <- relu <- fc1 <- relu <- BN */
  memset(f->dval, 0, sizeof(float) * Bs);
  memset(f->dvpre, 0, sizeof(float) * Bs);
  memset(f->dv1, 0, sizeof(float) * Bs * (size_t)C);
  memset(f->dv1b, 0, sizeof(float) * Bs * (size_t)C);
  memset(f->dvh, 0, sizeof(float) * Bs * hw);
  memset(f->dvh2, 0, sizeof(float) * Bs * hw);
  memset(f->dvc, 0, sizeof(float) * Bs * hw);
  mse_backward(f->dval, a->value, m->value_target, scale, B);
  tanh_backward(f->dvpre, f->dval, a->value, Bs);
  tk_lin_bwd_w(f->isa, g->value_fc2_weight, f->dvpre, a->value_fc1, readout, B, C, 1, 0, 1);
  tk_lin_bwd_x(f->isa, f->dv1, f->dvpre, p->value_fc2_weight, readout, B, C, 1);
  bias_grad_(g->value_fc2_bias, f->dvpre, B, 1);
  relu_backward(f->dv1b, f->dv1, a->value_fc1, Bs * (size_t)C);
  tk_lin_bwd_w(f->isa, g->value_fc1_weight, f->dv1b, a->value_h, 1.0f, B, HW, C, 0, C);
  tk_lin_bwd_x(f->isa, f->dvh, f->dv1b, p->value_fc1_weight, 1.0f, B, HW, C);
  bias_grad_(g->value_fc1_bias, f->dv1b, B, C);
  relu_backward(f->dvh2, f->dvh, a->value_h, Bs * hw);
  batchnorm_backward(f->dvc, g->value.bn_weight, g->value.bn_bias, f->dvh2, a->value_conv,
                     a->bn_mean + (size_t)(L + 1) * (size_t)cm, a->bn_rstd + (size_t)(L + 1) * (size_t)cm,
                     p->value.bn_weight, B, 1, HW);
  /* policy head: CE <- fc <- relu <- BN */
  memset(f->dlogits, 0, sizeof(float) * Bs * (hw + 1));
  memset(f->dph, 0, sizeof(float) * Bs * 2 * hw);
  memset(f->dph2, 0, sizeof(float) * Bs * 2 * hw);
  memset(f->dpc, 0, sizeof(float) * Bs * 2 * hw);
  softmax_crossentropy_backward(f->dlogits, a->policy_probs, m->policy_target, scale, B, HW + 1);
  tk_lin_bwd_w(f->isa, g->policy_fc_weight, f->dlogits, a->policy_h, 1.0f, B, 2 * HW, HW + 1, 0, HW + 1);
  tk_lin_bwd_x(f->isa, f->dph, f->dlogits, p->policy_fc_weight, 1.0f, B, 2 * HW, HW + 1);
  bias_grad_(g->policy_fc_bias, f->dlogits, B, HW + 1);
  relu_backward(f->dph2, f->dph, a->policy_h, Bs * 2 * hw);
  batchnorm_backward(f->dpc, g->policy.bn_weight, g->policy.bn_bias, f->dph2, a->policy_conv,
                     a->bn_mean + (size_t)L * (size_t)cm, a->bn_rstd + (size_t)L * (size_t)cm, p->policy.bn_weight, B, 2,
                     HW);

  /* BN-backward sources of the convs: conv 2+2i (conv2 of block i), 1+2i (conv1), 0 (stem). The
   * gradient buffers rotate: dx = dL/dx_{i+1} entering block i, dh = dL/dh_i, dxn = dL/dx_i. */
  float *dx = f->gb[0], *dxn = f->gb[1], *dh = f->gb[2];
  const float *k = f->cv + CV_K * (size_t)Cp, *md = f->cv + CV_MD * (size_t)Cp, *rm = f->cv + CV_RM * (size_t)Cp;
  tk_bnsrc_t src; /* of the conv about to run */
  if (nb) src = (tk_bnsrc_t){.d = dx, .o = trunk, .c = a->c2 + (size_t)(nb - 1) * cap, .mean = lvec_(f->lmean, f, L - 1),
                             .k = k, .md = md, .rm = rm, .mult = mult};
  else src = (tk_bnsrc_t){.d = dx, .o = a->stem_out, .c = a->stem_conv, .mean = lvec_(f->lmean, f, 0), .k = k, .md = md,
                          .rm = rm, .mult = 1.0f};
  /* the heads' 1x1 convs: dx (written), their weight gradients (per image), the first BN sums */
  headb_t_ hj = {.f = f, .B = B, .x = trunk, .next = &src, .ut_w = nb ? p->conv2[nb - 1].weight : NULL, .ut_l = L - 1};
  nn_pool_run(f->pool, headb_run_, &hj);
  for (int kk = 0; kk < 3; kk++) {
    float *dw = kk < 2 ? g->policy.weight + (size_t)kk * (size_t)C : g->value.weight;
    for (int ch = 0; ch < C; ch++) {
      double s = 0.0;
      for (int b = 0; b < B; b++) s += f->hw3[((size_t)b * 3 + (size_t)kk) * (size_t)Cp + (size_t)ch];
      dw[ch] += (float)s;
    }
  }

  float *pending_dw = NULL; /* weight gradient of the conv above, its dU partials in dup */
  for (int i = nb - 1; i >= 0; i--) {
    const int l1 = 1 + 2 * i, l2 = 2 + 2 * i;
    const float *xin = i ? a->x + (size_t)(i - 1) * cap : a->stem_out, *xout = a->x + (size_t)i * cap;
    const float *c1 = a->c1 + (size_t)i * cap;
    /* conv2 (src: BN2 backward of mult * mask(dx, xout)); V from h = relu(BN1(c1)), recomputed;
     * dh = its input gradient; fused: BN1 sums of mask(dh, h) */
    bn_backward_(m, &p->conv2[i], &g->conv2[i], l2, B);
    tk_bnsrc_t s1 = {.d = dh, .og = lvec_(f->lg, f, l1), .obe = lvec_(f->lbe, f, l1), .c = c1,
                     .mean = lvec_(f->lmean, f, l1), .k = k, .md = md, .rm = rm, .mult = 1.0f};
    convb_t_ j2 = {.f = f, .B = B, .l = l2, .src = src, .X = NULL, .xc = c1, .xg = lvec_(f->lg, f, l1),
                   .xbe = lvec_(f->lbe, f, l1), .IC = C, .ICp = Cp, .dX = dh, .next = &s1, .ut_w = p->conv1[i].weight,
                   .ut_ic = C, .ut_icp = Cp, .dw = pending_dw, .dw_ic = C};
    nn_pool_run(f->pool, convb_run_, &j2);
    pending_dw = g->conv2[i].weight;
    /* conv1 (src s1); V from xin; dxn = mask(dx, xout) + its input gradient; fused: the sums
     * of the conv below (conv2 of block i-1, or the stem) */
    bn_backward_(m, &p->conv1[i], &g->conv1[i], l1, B);
    tk_bnsrc_t s0;
    if (i) s0 = (tk_bnsrc_t){.d = dxn, .o = xin, .c = a->c2 + (size_t)(i - 1) * cap, .mean = lvec_(f->lmean, f, l1 - 1),
                             .k = k, .md = md, .rm = rm, .mult = mult};
    else s0 = (tk_bnsrc_t){.d = dxn, .o = a->stem_out, .c = a->stem_conv, .mean = lvec_(f->lmean, f, 0), .k = k,
                           .md = md, .rm = rm, .mult = 1.0f};
    convb_t_ j1 = {.f = f, .B = B, .l = l1, .src = s1, .X = xin, .IC = C, .ICp = Cp, .dX = dxn, .init_d = dx,
                   .init_o = xout, .next = &s0, .ut_w = i ? p->conv2[i - 1].weight : NULL, .ut_ic = C, .ut_icp = Cp,
                   .dw = pending_dw, .dw_ic = C};
    nn_pool_run(f->pool, convb_run_, &j1);
    pending_dw = g->conv1[i].weight;
    src = s0;
    float *t = dx;
    dx = dxn;
    dxn = t;
  }
  /* stem: no input gradient; then its own weight gradient */
  bn_backward_(m, &p->stem, &g->stem, 0, B);
  convb_t_ j0 = {.f = f, .B = B, .l = 0, .src = src, .X = f->xin, .IC = P, .ICp = f->Pp, .dX = NULL,
                 .dw = pending_dw, .dw_ic = C};
  nn_pool_run(f->pool, convb_run_, &j0);
  wphase_t_ wj = {.f = f, .dw = g->stem.weight, .ic = P, .nparts = nparts_(f, B)};
  nn_pool_run(f->pool, wphase_run_, &wj);
}
