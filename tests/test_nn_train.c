/* test_nn_train.c — tests of the fast training path (src/nn/train_*.c).
 *
 *  - kernels: the Winograd F(3x3,3x3) convolution (input transform, GEMMs, output transform)
 *    against the direct convolution twin, and its backward (output adjoint with the fused BN
 *    backward, weight-gradient GEMM + adjoint weight transform, input-gradient GEMM + input
 *    adjoint) against a direct double-precision backward, for board sizes 2..11, odd and padded
 *    channel counts, every ISA this CPU runs (plain C and AVX2); the elementwise kernels against
 *    plain loops (bitwise, they use the same float operations);
 *  - the whole network: fast path vs reference path (training-mode outputs, loss, every
 *    gradient, BN running statistics, a few SGD and AdamW steps) for sp / mup / depth-mup,
 *    several shapes (0 blocks, padded channels, boards not a multiple of 3, batch 1) and
 *    1 or 2 threads; determinism (bitwise-equal repeated runs, and 1 vs 3 threads; B = 12 has
 *    more chunks than threads), a batch larger than any before
 *    (buffers grow), a thread-count change, per-layer statistics of the coordinate check.
 *
 * Usage: test_nn_train. Exits 1 on a failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "nn/train_kernels.h"

#include "check.h"

static rocks_rng_t g_rng;
static float urand(void) { return (float)(2.0 * rocks_rng_double(&g_rng) - 1.0); }

static float *falloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, sizeof(float) * (n ? n : 1)) != 0) {
    printf("out of memory\n");
    exit(1);
  }
  memset(p, 0, sizeof(float) * (n ? n : 1));
  return p;
}

static double rel_maxdiff(const float *a, const float *b, size_t n) {
  double md = 0.0, mb = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    md = d > md ? d : md;
    mb = fabs(b[i]) > mb ? fabs(b[i]) : mb;
  }
  return mb > 0 ? md / mb : md;
}

/* As rel_maxdiff, relative to max(max |b|, floor): for a handful of values that may all be
 * near zero (the value head at batch 1), where a relative error means nothing. */
static double rel_maxdiff_floor(const float *a, const float *b, size_t n, double floor) {
  double md = 0.0, mb = floor;
  for (size_t i = 0; i < n; i++) {
    md = fmax(md, fabs((double)a[i] - b[i]));
    mb = fmax(mb, fabs(b[i]));
  }
  return md / mb;
}

static double rel_maxdiff_d(const float *a, const double *b, size_t n) {
  double md = 0.0, mb = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    md = d > md ? d : md;
    mb = fabs(b[i]) > mb ? fabs(b[i]) : mb;
  }
  return mb > 0 ? md / mb : md;
}

static int nisa(void) { return tk_isa_detect() == TK_ISA_AVX2 ? 2 : 1; }

/* ---------------------------------------------------------------------- kernels --- */

/* One conv layer forward and backward through the Winograd kernels, against direct loops. */
static void check_conv(tk_isa_t isa, int n, int B, int IC, int OC) {
  const int ICp = tk_pad(IC), OCp = tk_pad(OC);
  const tk_geom_t g = tk_geom(n);
  const int T = B * g.ti, hw = g.hw;
  float *X = falloc((size_t)B * hw * ICp), *w = falloc((size_t)OC * IC * 9);
  for (int i = 0; i < B * hw; i++)
    for (int c = 0; c < IC; c++) X[(size_t)i * ICp + c] = urand();
  for (int i = 0; i < OC * IC * 9; i++) w[i] = urand();
  const size_t pv = (size_t)T * ICp, pm = (size_t)T * OCp;
  float *V = falloc(25 * pv), *M = falloc(25 * pm), *U = falloc(25 * (size_t)IC * OCp);
  float *Y = falloc((size_t)B * hw * OCp), *Yr = falloc((size_t)B * hw * OCp), *sums = falloc((size_t)B * OCp);
  tk_wino_weights(isa, U, w, OC, IC, OCp, 0, IC);
  tk_input(isa, V, pv, ICp, X, B, &g, ICp);
  for (int xi = 0; xi < 25; xi++)
    tk_gemm_nn(isa, M + xi * pm, OCp, V + xi * pv, ICp, U + (size_t)xi * IC * OCp, OCp, T, OCp, IC);
  tk_output(isa, Y, sums, M, pm, OCp, B, &g, OCp);
  tk_conv3x3_naive(Yr, X, w, B, n, IC, ICp, OC, OCp);
  double e = rel_maxdiff(Y, Yr, (size_t)B * hw * OCp);
  CHECKF(e < 2e-5, "%s winograd forward n=%d IC=%d OC=%d: rel maxdiff %.3g", tk_isa_name(isa), n, IC, OC, e);
  double es = 0.0;
  for (int b = 0; b < B; b++)
    for (int c = 0; c < OCp; c++) {
      double s = 0.0;
      for (int p = 0; p < hw; p++) s += Y[((size_t)b * hw + p) * OCp + c];
      es = fmax(es, fabs(s - sums[b * OCp + c]) / (1.0 + fabs(s)));
    }
  CHECKF(es < 1e-5, "%s output sums n=%d: %.3g", tk_isa_name(isa), n, es);
  int padok = 1;
  for (int i = 0; i < B * hw; i++)
    for (int c = OC; c < OCp; c++) padok &= Y[(size_t)i * OCp + c] == 0.0f;
  CHECKF(padok, "%s padding channels of the output stay zero", tk_isa_name(isa));

  /* backward through a BN-like source: dc = k*((mult*mask(d,o) - md) - (c - mean)*rm) */
  float *d = falloc((size_t)B * hw * OCp), *o = falloc((size_t)B * hw * OCp);
  float *k = falloc(OCp), *md = falloc(OCp), *mean = falloc(OCp), *rm = falloc(OCp);
  for (int i = 0; i < B * hw; i++)
    for (int c = 0; c < OC; c++) {
      d[(size_t)i * OCp + c] = urand();
      o[(size_t)i * OCp + c] = urand();
    }
  for (int c = 0; c < OC; c++) {
    k[c] = 0.5f + 0.5f * urand();
    md[c] = 0.1f * urand();
    mean[c] = 0.2f * urand();
    rm[c] = 0.3f * urand();
  }
  const float mult = 0.75f;
  tk_bnsrc_t src = {.d = d, .o = o, .c = Yr, .k = k, .md = md, .mean = mean, .rm = rm, .mult = mult};
  double *dc = calloc((size_t)B * hw * OCp, sizeof(double));
  for (int i = 0; i < B * hw; i++)
    for (int c = 0; c < OC; c++) {
      size_t q = (size_t)i * OCp + c;
      float gy = mult * (o[q] > 0.0f ? d[q] : 0.0f);
      dc[q] = k[c] * ((gy - md[c]) - (Yr[q] - mean[c]) * rm[c]);
    }
  double *dXr = calloc((size_t)B * hw * ICp, sizeof(double)), *dwr = calloc((size_t)OC * IC * 9, sizeof(double));
  for (int b = 0; b < B; b++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++)
        for (int oc = 0; oc < OC; oc++) {
          double dd = dc[((size_t)(b * n + y) * n + x) * OCp + oc];
          for (int ic = 0; ic < IC; ic++)
            for (int ky = 0; ky < 3; ky++)
              for (int kx = 0; kx < 3; kx++) {
                int iy = y + ky - 1, ix = x + kx - 1;
                if (iy < 0 || iy >= n || ix < 0 || ix >= n) continue;
                size_t xi = ((size_t)(b * n + iy) * n + ix) * ICp + ic, wi = ((size_t)(oc * IC + ic) * 3 + ky) * 3 + kx;
                dXr[xi] += dd * w[wi];
                dwr[wi] += dd * X[xi];
              }
        }
  /* the twin of the weight gradient is split in two "thread" partials over the images */
  float *dU = falloc(2 * 25 * (size_t)IC * OCp), *Ut = falloc(25 * (size_t)OC * ICp);
  float *dX = falloc((size_t)B * hw * ICp), *dw = falloc((size_t)OC * IC * 9);
  tk_output_adjoint(isa, M, pm, OCp, &src, B, &g, OCp);
  const int B0 = B / 2, T0 = B0 * g.ti;
  for (int part = 0; part < 2; part++) {
    const int r0 = part ? T0 : 0, rn = part ? T - T0 : T0;
    for (int xi = 0; xi < 25; xi++)
      tk_gemm_tn(isa, dU + (size_t)part * 25 * IC * OCp + (size_t)xi * IC * OCp, OCp, V + xi * pv + (size_t)r0 * ICp,
                 ICp, M + xi * pm + (size_t)r0 * OCp, OCp, IC, OCp, rn, 0);
  }
  tk_wino_dweights(isa, dw, dU, 2, 25 * (size_t)IC * OCp, OC, IC, OCp, 0, IC);
  tk_wino_weights_t(isa, Ut, w, OC, IC, ICp, 0, OC);
  for (int xi = 0; xi < 25; xi++)
    tk_gemm_nn(isa, V + xi * pv, ICp, M + xi * pm, OCp, Ut + (size_t)xi * OC * ICp, ICp, T, ICp, OC);
  tk_input_adjoint(isa, dX, V, pv, ICp, B, &g, ICp);
  double ex = rel_maxdiff_d(dX, dXr, (size_t)B * hw * ICp), ew = rel_maxdiff_d(dw, dwr, (size_t)OC * IC * 9);
  CHECKF(ex < 2e-5, "%s winograd input gradient n=%d IC=%d OC=%d: %.3g", tk_isa_name(isa), n, IC, OC, ex);
  CHECKF(ew < 2e-5, "%s winograd weight gradient n=%d IC=%d OC=%d: %.3g", tk_isa_name(isa), n, IC, OC, ew);
  free(X), free(w), free(V), free(M), free(U), free(Y), free(Yr), free(sums), free(d), free(o), free(k), free(md);
  free(mean), free(rm), free(dc), free(dXr), free(dwr), free(dU), free(Ut), free(dX), free(dw);
}

/* GEMM kernels against plain loops for odd shapes (row tails, column blocks of 16..). */
static void check_gemm(tk_isa_t isa) {
  const int shapes[][3] = {{1, 16, 1}, {5, 32, 7}, {9, 64, 17}, {13, 48, 33}, {18, 128, 64}, {7, 80, 3}};
  double worst = 0.0;
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
    int m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
    float *A = falloc((size_t)m * k), *B = falloc((size_t)k * n), *C = falloc((size_t)m * n);
    float *At = falloc((size_t)k * m), *C2 = falloc((size_t)m * n);
    double *R = calloc((size_t)m * n, sizeof(double));
    for (int i = 0; i < m * k; i++) A[i] = urand();
    for (int i = 0; i < k * n; i++) B[i] = urand();
    for (int i = 0; i < m; i++)
      for (int p = 0; p < k; p++) At[(size_t)p * m + i] = A[(size_t)i * k + p];
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double s = 0.0;
        for (int p = 0; p < k; p++) s += (double)A[(size_t)i * k + p] * B[(size_t)p * n + j];
        R[(size_t)i * n + j] = s;
      }
    tk_gemm_nn(isa, C, n, A, k, B, n, m, n, k);
    worst = fmax(worst, rel_maxdiff_d(C, R, (size_t)m * n));
    for (int i = 0; i < m * n; i++) C2[i] = 1.0f;
    tk_gemm_tn(isa, C2, n, At, m, B, n, m, n, k, 1); /* accumulate onto ones */
    for (int i = 0; i < m * n; i++) C2[i] -= 1.0f;
    worst = fmax(worst, rel_maxdiff_d(C2, R, (size_t)m * n));
    tk_gemm_tn(isa, C2, n, At, m, B, n, m, n, k, 0); /* overwrite */
    worst = fmax(worst, rel_maxdiff_d(C2, R, (size_t)m * n));
    free(A), free(B), free(C), free(At), free(C2), free(R);
  }
  CHECKF(worst < 1e-5, "%s gemm kernels: rel maxdiff %.3g", tk_isa_name(isa), worst);
}

/* Elementwise kernels: the same float operations as these loops, so bitwise equal. */
static void check_elementwise(tk_isa_t isa) {
  const int npos = 37, Cp = 32;
  const size_t nf = (size_t)npos * Cp;
  float *c = falloc(nf), *xin = falloc(nf), *d = falloc(nf), *o = falloc(nf), *out = falloc(nf);
  float *g = falloc(Cp), *be = falloc(Cp), *mean = falloc(Cp), *s1 = falloc(Cp), *s2 = falloc(Cp);
  for (size_t i = 0; i < nf; i++) {
    c[i] = urand();
    xin[i] = urand();
    d[i] = urand();
    o[i] = urand();
  }
  for (int i = 0; i < Cp; i++) {
    g[i] = urand();
    be[i] = urand();
    mean[i] = urand();
  }
  int ok = 1;
  tk_bn_relu(isa, out, c, g, be, npos, Cp);
  for (size_t i = 0; i < nf; i++) {
    float y = c[i] * g[i % Cp] + be[i % Cp];
    ok &= out[i] == (y > 0.0f ? y : 0.0f);
  }
  CHECKF(ok, "%s bn_relu", tk_isa_name(isa));
  ok = 1;
  tk_bn_add_relu(isa, out, xin, c, g, be, 0.5f, npos, Cp);
  for (size_t i = 0; i < nf; i++) {
    float y = c[i] * g[i % Cp] + be[i % Cp];
    y = xin[i] + 0.5f * y;
    ok &= out[i] == (y > 0.0f ? y : 0.0f);
  }
  CHECKF(ok, "%s bn_add_relu", tk_isa_name(isa));
  ok = 1;
  tk_mask(isa, out, d, o, nf - 3);
  for (size_t i = 0; i < nf - 3; i++) ok &= out[i] == (o[i] > 0.0f ? d[i] : 0.0f);
  CHECKF(ok, "%s mask", tk_isa_name(isa));
  tk_bn_var(isa, s1, c, mean, npos, Cp);
  double e = 0.0;
  for (int ch = 0; ch < Cp; ch++) {
    double s = 0.0;
    for (int p = 0; p < npos; p++) s += ((double)c[p * Cp + ch] - mean[ch]) * ((double)c[p * Cp + ch] - mean[ch]);
    e = fmax(e, fabs(s - s1[ch]) / s);
  }
  CHECKF(e < 1e-5, "%s bn_var %.3g", tk_isa_name(isa), e);
  /* reduce: with a stored mask and with the recomputed BN-ReLU mask */
  for (int mode = 0; mode < 2; mode++) {
    tk_bnsrc_t src = {.d = d, .o = mode ? NULL : o, .og = mode ? g : NULL, .obe = mode ? be : NULL, .c = c, .mean = mean,
                      .mult = 0.5f};
    tk_bnb_reduce(isa, s1, s2, &src, npos, Cp);
    double e1 = 0.0, e2 = 0.0;
    for (int ch = 0; ch < Cp; ch++) {
      double a = 0.0, b = 0.0, ma = 0.0, mb = 0.0;
      for (int p = 0; p < npos; p++) {
        size_t q = (size_t)p * Cp + ch;
        float on = mode ? c[q] * g[ch] + be[ch] : o[q];
        double gy = 0.5 * (on > 0.0f ? d[q] : 0.0f);
        a += gy;
        b += gy * ((double)c[q] - mean[ch]);
        ma += fabs(gy);
        mb += fabs(gy * ((double)c[q] - mean[ch]));
      }
      e1 = fmax(e1, fabs(a - s1[ch]) / (ma + 1e-30));
      e2 = fmax(e2, fabs(b - s2[ch]) / (mb + 1e-30));
    }
    CHECKF(e1 < 1e-6 && e2 < 1e-6, "%s bnb_reduce mode %d: %.3g %.3g", tk_isa_name(isa), mode, e1, e2);
  }
  free(c), free(xin), free(d), free(o), free(out), free(g), free(be), free(mean), free(s1), free(s2);
}

static void test_kernels(void) {
  for (int ii = 0; ii < nisa(); ii++) {
    tk_isa_t isa = ii ? TK_ISA_AVX2 : TK_ISA_C;
    check_gemm(isa);
    check_elementwise(isa);
    for (int n = 2; n <= 11; n++) check_conv(isa, n, 3, n % 2 ? 17 : 16, n % 3 ? 20 : 32);
    check_conv(isa, 9, 2, 64, 64);
  }
  /* the two ISAs agree on a whole conv (different rounding: FMA) */
  if (nisa() == 2) {
    const tk_geom_t g = tk_geom(9);
    const int B = 2, IC = 24, OC = 40, ICp = tk_pad(IC), OCp = tk_pad(OC), T = B * g.ti;
    float *X = falloc((size_t)B * g.hw * ICp), *w = falloc((size_t)OC * IC * 9);
    for (int i = 0; i < B * g.hw; i++)
      for (int c = 0; c < IC; c++) X[(size_t)i * ICp + c] = urand();
    for (int i = 0; i < OC * IC * 9; i++) w[i] = urand();
    float *Y[2];
    for (int ii = 0; ii < 2; ii++) {
      tk_isa_t isa = ii ? TK_ISA_AVX2 : TK_ISA_C;
      const size_t pv = (size_t)T * ICp, pm = (size_t)T * OCp;
      float *V = falloc(25 * pv), *M = falloc(25 * pm), *U = falloc(25 * (size_t)IC * OCp);
      Y[ii] = falloc((size_t)B * g.hw * OCp);
      tk_wino_weights(isa, U, w, OC, IC, OCp, 0, IC);
      /* the training path's tile-major layout this time */
      tk_input(isa, V, (size_t)ICp, 25 * (size_t)ICp, X, B, &g, ICp);
      for (int xi = 0; xi < 25; xi++)
        tk_gemm_nn(isa, M + (size_t)xi * OCp, 25 * (size_t)OCp, V + (size_t)xi * ICp, 25 * (size_t)ICp,
                   U + (size_t)xi * IC * OCp, OCp, T, OCp, IC);
      tk_output(isa, Y[ii], NULL, M, (size_t)OCp, 25 * (size_t)OCp, B, &g, OCp);
      free(V), free(M), free(U);
    }
    double e = rel_maxdiff(Y[1], Y[0], (size_t)B * g.hw * OCp);
    CHECKF(e < 1e-5, "avx2 vs c conv: %.3g", e);
    float *Yr = falloc((size_t)B * g.hw * OCp);
    tk_conv3x3_naive(Yr, X, w, B, 9, IC, ICp, OC, OCp);
    e = rel_maxdiff(Y[1], Yr, (size_t)B * g.hw * OCp);
    CHECKF(e < 2e-5, "tile-major conv vs direct: %.3g", e);
    free(Yr);
    free(X), free(w), free(Y[0]), free(Y[1]);
  }
}

/* -------------------------------------------------------------------- the model --- */

typedef struct {
  int size, planes, channels, blocks, batch;
  nn_param_t param;
} shape_t;

static goresnet_t *make_model(const shape_t *s, uint64_t seed, goresnet_train_path_t path) {
  goresnet_config_t c = goresnet_config_default();
  c.size = s->size;
  c.planes = s->planes;
  c.channels = s->channels;
  c.blocks = s->blocks;
  c.param = s->param;
  c.base_channels = s->channels > 8 ? s->channels / 2 : s->channels;
  c.base_blocks = 1;
  rocks_error_t err;
  goresnet_t *m = goresnet_new(&c, &err);
  if (!m) {
    printf("goresnet_new: %s\n", err.msg);
    exit(1);
  }
  goresnet_init(m, seed);
  if (s->param != NN_PARAM_SP) /* give the zero-initialised readout a value: every path gets gradient */
    for (int j = 0; j < c.channels; j++) m->params.value_fc2_weight[j] = 0.3f * urand();
  goresnet_set_train_path(m, path);
  return m;
}

static void make_batch(const shape_t *s, float **x, float **pt, float **vt) {
  const int B = s->batch, N2 = s->size * s->size, V = N2 + 1;
  *x = falloc((size_t)B * s->planes * N2);
  *pt = falloc((size_t)B * V);
  *vt = falloc((size_t)B);
  for (int i = 0; i < B * s->planes * N2; i++) (*x)[i] = rocks_rng_double(&g_rng) < 0.35 ? 1.0f : 0.0f;
  for (int b = 0; b < B; b++) {
    (*pt)[(size_t)b * V + rocks_rng_below(&g_rng, (uint32_t)V)] += 0.7f;
    (*pt)[(size_t)b * V + rocks_rng_below(&g_rng, (uint32_t)V)] += 0.3f;
    (*vt)[b] = urand();
  }
}

/* Max over trainable tensors of the per-tensor max-norm relative gradient difference. */
static double grad_diff(const goresnet_t *a, const goresnet_t *b, const char **worst) {
  double w = 0.0;
  for (int i = 0; i < a->ntensors; i++) {
    const nn_tensor_t *t = &a->tensors[i];
    if (!t->trainable) continue;
    double e = rel_maxdiff(a->grads_memory + t->offset, b->grads_memory + t->offset, t->numel);
    if (e > w) {
      w = e;
      *worst = t->name;
    }
  }
  return w;
}

/* Reference vs fast: one training step's outputs, gradients and running statistics, then the
 * losses of a few optimizer steps. */
static void check_model(const shape_t *s, int threads) {
  nn_set_threads(threads);
  char name[96];
  snprintf(name, sizeof name, "N%d P%d C%d b%d B%d %s t%d", s->size, s->planes, s->channels, s->blocks, s->batch,
           nn_param_name(s->param), threads);
  uint64_t seed = rocks_rng_next(&g_rng);
  goresnet_t *ref = make_model(s, seed, GORESNET_TRAIN_REFERENCE);
  rocks_rng_t keep = g_rng;
  goresnet_t *fast = make_model(s, seed, GORESNET_TRAIN_FAST);
  g_rng = keep;
  memcpy(fast->params_memory, ref->params_memory, sizeof(float) * ref->nfloats);
  float *x, *pt, *vt;
  make_batch(s, &x, &pt, &vt);
  const int B = s->batch, V = s->size * s->size + 1;
  rocks_error_t err;
  goresnet_t *mm[2] = {ref, fast};
  float loss[2];
  for (int k = 0; k < 2; k++) {
    CHECKF(goresnet_forward(mm[k], x, B, 1, &err) == ROCKS_OK, "%s forward", name);
    loss[k] = goresnet_loss(mm[k], pt, vt);
    goresnet_zero_grad(mm[k]);
    CHECKF(goresnet_backward(mm[k], 0.5f, &err) == ROCKS_OK, "%s backward", name);
  }
  CHECKF(fast->last_fast && !ref->last_fast, "%s: paths taken", name);
  double el = rel_maxdiff(fast->acts.policy_logits, ref->acts.policy_logits, (size_t)B * V);
  double ev = rel_maxdiff_floor(fast->acts.value, ref->acts.value, (size_t)B, 0.1);
  CHECKF(el < 1e-4 && ev < 1e-4, "%s: outputs differ: logits %.3g value %.3g", name, el, ev);
  CHECKF(fabs(loss[0] - loss[1]) <= 1e-4 * fabs(loss[0]), "%s: loss %g vs %g", name, loss[1], loss[0]);
  const char *worst = "";
  double eg = grad_diff(fast, ref, &worst);
  CHECKF(eg < 1e-3, "%s: gradients differ by %.3g (%s)", name, eg, worst);
  double er = 0.0;
  for (int i = 0; i < ref->ntensors; i++) {
    const nn_tensor_t *t = &ref->tensors[i];
    if (t->role != NN_ROLE_BN_MEAN && t->role != NN_ROLE_BN_VAR) continue;
    er = fmax(er, rel_maxdiff(fast->params_memory + t->offset, ref->params_memory + t->offset, t->numel));
  }
  CHECKF(er < 1e-4, "%s: BN running statistics differ by %.3g", name, er);
  /* per-layer statistics (coordinate check) do not depend on the activation layout */
  double elayer = 0.0;
  for (int l = 0; l < goresnet_nlayers(ref); l++) {
    double a = goresnet_layer_mean_abs(fast, l), b = goresnet_layer_mean_abs(ref, l);
    elayer = fmax(elayer, fabs(a - b) / fmax(fabs(b), 0.1));
  }
  CHECKF(elayer < 1e-4, "%s: layer mean |x| differs by %.3g", name, elayer);
  printf("  %-34s logits %.1e value %.1e grads %.1e (%s) running %.1e\n", name, el, ev, eg, worst, er);

  /* a few steps of SGD (Nesterov, L2) then AdamW: the loss trajectories agree */
  for (int opt = 0; opt < 2; opt++) {
    nn_optim_config_t oc = nn_optim_config_default(opt ? NN_OPT_ADAMW : NN_OPT_SGD);
    oc.weight_decay = 1e-4f;
    nn_optim_t *o[2];
    float l[2][4];
    for (int k = 0; k < 2; k++) {
      o[k] = nn_optim_new(mm[k], &oc, &err);
      for (int st = 0; st < 4; st++) {
        goresnet_zero_grad(mm[k]);
        goresnet_forward(mm[k], x, B, 1, &err);
        l[k][st] = goresnet_loss(mm[k], pt, vt);
        goresnet_backward(mm[k], 1.0f, &err);
        nn_optim_step(o[k], mm[k], opt ? 1e-3f : 0.01f);
      }
      nn_optim_delete(o[k]);
    }
    double e = rel_maxdiff(l[1], l[0], 4);
    CHECKF(e < 1e-3, "%s: %s losses differ by %.3g", name, opt ? "adamw" : "sgd", e);
  }
  free(x), free(pt), free(vt);
  goresnet_delete(ref);
  goresnet_delete(fast);
}

static void test_model_vs_reference(void) {
  const shape_t shapes[] = {
      {9, 17, 16, 2, 8, NN_PARAM_SP},        {7, 17, 16, 2, 8, NN_PARAM_MUP},     {9, 5, 20, 1, 3, NN_PARAM_DEPTH_MUP},
      {5, 3, 12, 0, 4, NN_PARAM_SP},         {3, 2, 4, 2, 5, NN_PARAM_MUP},       {2, 1, 3, 1, 2, NN_PARAM_SP},
      {9, 17, 32, 3, 1, NN_PARAM_SP},        {11, 4, 24, 2, 6, NN_PARAM_DEPTH_MUP}, {9, 17, 64, 2, 13, NN_PARAM_SP},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int t = 1; t <= 2; t++) check_model(&shapes[i], t);
}

/* Same inputs, same seed => bitwise the same, with any thread count. */
static void test_determinism(void) {
  const shape_t s = {9, 17, 32, 2, 12, NN_PARAM_SP};
  float *x, *pt, *vt;
  make_batch(&s, &x, &pt, &vt);
  float *grads[4];
  float losses[4][3];
  size_t nf = 0;
  for (int run = 0; run < 4; run++) {
    nn_set_threads(run < 2 ? 2 : run == 2 ? 1 : 3);
    rocks_rng_t keep = g_rng;
    goresnet_t *m = make_model(&s, 99, GORESNET_TRAIN_FAST);
    g_rng = keep;
    nn_optim_config_t oc = nn_optim_config_default(NN_OPT_SGD);
    rocks_error_t err;
    nn_optim_t *o = nn_optim_new(m, &oc, &err);
    for (int st = 0; st < 3; st++) {
      goresnet_zero_grad(m);
      goresnet_forward(m, x, s.batch, 1, &err);
      losses[run][st] = goresnet_loss(m, pt, vt);
      goresnet_backward(m, 1.0f, &err);
      nn_optim_step(o, m, 0.01f);
    }
    nf = m->nfloats;
    grads[run] = malloc(sizeof(float) * nf);
    memcpy(grads[run], m->grads_memory, sizeof(float) * nf);
    nn_optim_delete(o);
    goresnet_delete(m);
  }
  CHECKF(!memcmp(losses[0], losses[1], sizeof losses[0]) && !memcmp(grads[0], grads[1], sizeof(float) * nf),
        "two runs with 2 threads are bitwise equal");
  /* work is cut into fixed items whatever the thread count: 1 thread gives the same bits */
  CHECKF(!memcmp(losses[0], losses[2], sizeof losses[0]) && !memcmp(grads[0], grads[2], sizeof(float) * nf),
        "1 and 2 threads are bitwise equal");
  CHECKF(!memcmp(losses[0], losses[3], sizeof losses[0]) && !memcmp(grads[0], grads[3], sizeof(float) * nf),
        "3 and 2 threads are bitwise equal");
  /* nor on the batches seen before (buffer sizes): a batch-1 step first, then the same step */
  {
    nn_set_threads(2);
    rocks_rng_t keep = g_rng;
    goresnet_t *a = make_model(&s, 7, GORESNET_TRAIN_FAST);
    g_rng = keep;
    goresnet_t *b = make_model(&s, 7, GORESNET_TRAIN_FAST);
    memcpy(b->params_memory, a->params_memory, sizeof(float) * a->nfloats);
    rocks_error_t err;
    goresnet_forward(a, x, 1, 1, &err);
    goresnet_loss(a, pt, vt);
    goresnet_backward(a, 1.0f, &err);
    goresnet_t *mm[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      goresnet_zero_grad(mm[k]);
      goresnet_forward(mm[k], x, s.batch, 1, &err);
      goresnet_loss(mm[k], pt, vt);
      goresnet_backward(mm[k], 1.0f, &err);
    }
    CHECKF(!memcmp(a->grads_memory, b->grads_memory, sizeof(float) * a->nfloats) && a->loss == b->loss,
          "gradients do not depend on earlier batch sizes");
    goresnet_delete(a);
    goresnet_delete(b);
  }
  for (int r = 0; r < 4; r++) free(grads[r]);
  free(x), free(pt), free(vt);
}

/* Buffers grow with the batch; the pool follows nn_set_threads; eval forwards in between. */
static void test_lifecycle(void) {
  shape_t s = {9, 17, 20, 1, 2, NN_PARAM_SP};
  goresnet_t *m = make_model(&s, 5, GORESNET_TRAIN_FAST);
  goresnet_t *r = make_model(&s, 5, GORESNET_TRAIN_REFERENCE);
  memcpy(r->params_memory, m->params_memory, sizeof(float) * m->nfloats);
  rocks_error_t err;
  const int batches[] = {2, 7, 3, 16, 1};
  for (int i = 0; i < 5; i++) {
    nn_set_threads(1 + i % 2);
    s.batch = batches[i];
    float *x, *pt, *vt;
    make_batch(&s, &x, &pt, &vt);
    for (int k = 0; k < 2; k++) {
      goresnet_t *mm = k ? r : m;
      goresnet_forward(mm, x, s.batch, 0, &err); /* eval forward (reference path) in between */
      CHECKF(goresnet_forward(mm, x, s.batch, 1, &err) == ROCKS_OK, "forward batch %d", s.batch);
      goresnet_loss(mm, pt, vt);
      goresnet_zero_grad(mm);
      CHECKF(goresnet_backward(mm, 1.0f, &err) == ROCKS_OK, "backward batch %d", s.batch);
    }
    const char *worst = "";
    double e = grad_diff(m, r, &worst);
    CHECKF(e < 1e-3, "batch %d: gradients %.3g (%s)", s.batch, e, worst);
    free(x), free(pt), free(vt);
  }
  CHECKF(goresnet_act_cstride(m) == 32 && goresnet_act_cstride(r) == 20, "activation strides %d %d", goresnet_act_cstride(m),
        goresnet_act_cstride(r));
  /* an eval forward after a training forward: backward refused, as on the reference path */
  float *x, *pt, *vt;
  make_batch(&s, &x, &pt, &vt);
  goresnet_forward(m, x, s.batch, 0, &err);
  CHECKF(goresnet_backward(m, 1.0f, &err) == ROCKS_ERR_STATE, "backward after an eval forward refused");
  free(x), free(pt), free(vt);
  goresnet_delete(m);
  goresnet_delete(r);
}

int main(void) {
  rocks_rng_seed(&g_rng, 4242);
  printf("kernels (%s available)\n", tk_isa_name(tk_isa_detect()));
  test_kernels();
  printf("model: fast vs reference path\n");
  test_model_vs_reference();
  test_determinism();
  test_lifecycle();
  printf("test_nn_train: %d checks, %d failures\n", check_count, check_failures);
  return check_failures ? 1 : 0;
}
