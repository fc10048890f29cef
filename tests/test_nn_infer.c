/* test_nn_infer.c — the fast inference path against the reference path.
 *
 * 1. Kernels: Winograd F(3x3,3x3) (plain C and AVX2) against the direct-convolution twin
 *    (double accumulation), several board sizes, channel counts (odd ones too), residual/ReLU,
 *    output-channel sub-ranges as the channel-split threads use them.
 * 2. Engine: nn_infer_forward against goresnet_forward(train = 0) over random positions, random
 *    and perturbed weights and BatchNorm statistics, sp / mup / depth-mup, several sizes,
 *    widths, depths, batches (1, odd, even, large), thread counts and both kernel sets; also a
 *    model that went through a safetensors checkpoint, nn_infer_refresh after a change (and a
 *    stale engine as a negative control), real positions of random games through feat_encode
 *    (both feature sets), argument errors.
 * Relative error = max |fast - ref| / max |ref| per output tensor (logits, values); the bound is
 * 1e-3 (the acceptance criterion). Prints the worst errors; exits non-zero on any mismatch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go/board.h"
#include "go/feat.h"
#include "nn/infer.h"
#include "nn/infer_kernels.h"
#include "nn/nn.h"
#include "util/util.h"

static int failures = 0;
static double worst_kernel = 0.0, worst_logits = 0.0, worst_value = 0.0;

static float urand(rocks_rng_t *r, float lo, float hi) { return lo + (hi - lo) * (float)rocks_rng_double(r); }

static double rel_err(const float *a, const float *ref, size_t n) {
  double d = 0.0, m = 0.0;
  for (size_t i = 0; i < n; i++) {
    double x = fabs((double)a[i] - (double)ref[i]);
    if (!(x <= d)) d = x; /* NaN-propagating max */
    if (fabs((double)ref[i]) > m) m = fabs((double)ref[i]);
  }
  return d / (m > 1e-6 ? m : 1e-6);
}

/* ------------------------------------------------------------------------------ kernels --- */

static void test_kernel(rocks_rng_t *r, int n, int cin, int cout, int npos, int use_res, int isa, int nsplit) {
  infer_geom_t g = infer_geom_init(n);
  int cpi = (cin + 7) / 8 * 8, cpo = (cout + 7) / 8 * 8, kp = (cout + 15) / 16 * 16;
  size_t pp = (size_t)npos * (size_t)g.p * (size_t)g.p, T = (size_t)npos * (size_t)g.tiles;
  float *in = calloc(pp * (size_t)cpi, sizeof(float)), *res = calloc(pp * (size_t)cpo, sizeof(float));
  float *ref = calloc(pp * (size_t)cpo, sizeof(float)), *out = calloc(pp * (size_t)cpo, sizeof(float));
  float *w = malloc(sizeof(float) * (size_t)cout * (size_t)cin * 9), *bias = calloc((size_t)kp, sizeof(float));
  float *U = aligned_alloc(64, (infer_wino_weight_floats(cout, cin) * sizeof(float) + 63) / 64 * 64);
  float *V = malloc(sizeof(float) * 25 * T * (size_t)cpi), *M = malloc(sizeof(float) * 25 * T * (size_t)kp);
  for (int pos = 0; pos < npos; pos++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        size_t o = ((size_t)pos * (size_t)g.p + (size_t)(y + 1)) * (size_t)g.p + (size_t)(x + 1);
        for (int c = 0; c < cin; c++) in[o * (size_t)cpi + (size_t)c] = urand(r, -1, 1);
        for (int c = 0; c < cout; c++) res[o * (size_t)cpo + (size_t)c] = urand(r, -1, 1);
      }
  for (size_t i = 0; i < (size_t)cout * (size_t)cin * 9; i++) w[i] = urand(r, -1, 1) / sqrtf(9.0f * (float)cin);
  for (int k = 0; k < cout; k++) bias[k] = urand(r, -0.5f, 0.5f);
  infer_conv3x3_naive(ref, in, w, bias, use_res ? res : NULL, 1, npos, &g, cpi, cin, cpo, cout);
  infer_wino_weights(U, w, cout, cin);
  infer_wino_input((infer_isa_t)isa, V, in, npos, &g, cpi);
  int nkb = kp / 16;
  for (int s = 0; s < nsplit; s++) { /* output channel blocks in nsplit pieces, as threads do */
    int kb0 = nkb * s / nsplit, kb1 = nkb * (s + 1) / nsplit;
    int k0 = 16 * kb0, k1 = 16 * kb1 < cpo ? 16 * kb1 : cpo;
    infer_wino_gemm((infer_isa_t)isa, M, V, U, (int)T, cpi, cin, kp, kb0, kb1);
    if (k0 < k1)
      infer_wino_output((infer_isa_t)isa, out, M, bias, use_res ? res : NULL, 1, npos, &g, cpo, kp, k0, k1);
  }
  double e = rel_err(out, ref, pp * (size_t)cpo);
  /* padded channels and border points must stay zero */
  int dirty = 0;
  for (size_t i = 0; i < pp; i++) {
    size_t pos = i / ((size_t)g.p * (size_t)g.p), yx = i % ((size_t)g.p * (size_t)g.p);
    int y = (int)(yx / (size_t)g.p) - 1, x = (int)(yx % (size_t)g.p) - 1;
    (void)pos;
    for (int c = 0; c < cpo; c++) {
      int inside = y >= 0 && y < n && x >= 0 && x < n && c < cout;
      if (!inside && out[i * (size_t)cpo + (size_t)c] != 0.0f) dirty = 1;
    }
  }
  if (e > worst_kernel) worst_kernel = e;
  if (!(e < 1e-4) || dirty) {
    printf("FAIL kernel n=%d cin=%d cout=%d npos=%d res=%d isa=%s split=%d: rel err %.3g%s\n", n, cin, cout,
           npos, use_res, nn_infer_isa_name((nn_infer_isa_t)isa), nsplit, e, dirty ? " (padding written)" : "");
    failures++;
  }
  free(in); free(res); free(ref); free(out); free(w); free(bias); free(U); free(V); free(M);
}

/* ------------------------------------------------------------------------------- engine --- */

/* Random BN statistics and affine parameters, and a random scale on every weight, so that the
 * folding is exercised with values far from the init (gamma 1, beta 0, mean 0, var 1). */
static void perturb(goresnet_t *m, rocks_rng_t *r) {
  for (int i = 0; i < m->ntensors; i++) {
    nn_tensor_t *t = &m->tensors[i];
    float *d = goresnet_tensor_data(m, i);
    for (size_t j = 0; j < t->numel; j++) {
      switch (t->role) {
        case NN_ROLE_BN_WEIGHT: d[j] = urand(r, 0.5f, 1.5f); break;
        case NN_ROLE_BN_BIAS: d[j] = urand(r, -0.3f, 0.3f); break;
        case NN_ROLE_BN_MEAN: d[j] = urand(r, -0.5f, 0.5f); break;
        case NN_ROLE_BN_VAR: d[j] = urand(r, 0.2f, 2.0f); break;
        case NN_ROLE_FC_BIAS: d[j] += urand(r, -0.2f, 0.2f); break;
        default: d[j] *= urand(r, 0.8f, 1.6f); break;
      }
    }
  }
}

static void random_positions(float *inp, int B, int planes, int n, rocks_rng_t *r) {
  for (int b = 0; b < B; b++)
    for (int c = 0; c < planes; c++)
      for (int i = 0; i < n * n; i++) {
        float v;
        if (c == planes - 1) v = (float)(b & 1); /* side-to-move plane */
        else v = rocks_rng_below(r, 3) == 0 ? 1.0f : 0.0f;
        inp[((size_t)b * (size_t)planes + (size_t)c) * (size_t)(n * n) + (size_t)i] = v;
      }
}

/* Compares the engine with the reference forward on a random batch of B; returns the larger
 * relative error. expect_fail: a negative control (a stale engine must NOT match). */
static double compare_(goresnet_t *m, nn_infer_t *e, int B, rocks_rng_t *r, const char *what, int expect_fail) {
  double worst = 0.0;
  const goresnet_config_t *c = &m->config;
  int n = c->size, NP = n * n + 1;
  float *inp = malloc(sizeof(float) * (size_t)B * (size_t)c->planes * (size_t)(n * n));
  float *lo = malloc(sizeof(float) * (size_t)B * (size_t)NP), *va = malloc(sizeof(float) * (size_t)B);
  rocks_error_t err;
  random_positions(inp, B, c->planes, n, r);
  if (goresnet_forward(m, inp, B, 0, &err) != ROCKS_OK || nn_infer_forward(e, inp, B, lo, va, &err) != ROCKS_OK) {
    printf("FAIL %s: %s\n", what, err.msg);
    failures++;
  } else {
    double el = rel_err(lo, m->acts.policy_logits, (size_t)B * (size_t)NP);
    double ev = rel_err(va, m->acts.value, (size_t)B);
    worst = el > ev ? el : ev;
    if (expect_fail) {
      if (el < 1e-3) {
        printf("FAIL %s B=%d: a stale engine matched (rel err %.3g): the comparison has no teeth\n", what, B, el);
        failures++;
      }
    } else {
      if (el > worst_logits) worst_logits = el;
      if (ev > worst_value) worst_value = ev;
      if (!(el < 1e-3) || !(ev < 1e-3)) {
        printf("FAIL %s B=%d: logits rel err %.3g, value rel err %.3g\n", what, B, el, ev);
        failures++;
      }
    }
  }
  free(inp);
  free(lo);
  free(va);
  return worst;
}

static void compare(goresnet_t *m, nn_infer_t *e, int B, rocks_rng_t *r, const char *what) {
  compare_(m, e, B, r, what, 0);
}

static goresnet_t *make_model(int size, int planes, int C, int blocks, nn_param_t param, uint64_t seed) {
  goresnet_config_t c = goresnet_config_default();
  c.size = size;
  c.planes = planes;
  c.channels = C;
  c.blocks = blocks;
  c.param = param;
  c.base_channels = C >= 32 ? 32 : C;
  rocks_error_t err;
  goresnet_t *m = goresnet_new(&c, &err);
  if (!m) {
    printf("FAIL goresnet_new: %s\n", err.msg);
    failures++;
    return NULL;
  }
  goresnet_init(m, seed);
  rocks_rng_t r;
  rocks_rng_seed(&r, seed * 7 + 1);
  perturb(m, &r);
  if (param != NN_PARAM_SP) { /* mup zero-initialises value.fc2: give it values */
    int i = goresnet_find(m, "value.fc2.weight");
    for (size_t j = 0; i >= 0 && j < m->tensors[i].numel; j++) goresnet_tensor_data(m, i)[j] = urand(&r, -0.5f, 0.5f);
  }
  return m;
}

static void test_engine(int size, int planes, int C, int blocks, nn_param_t param, int threads, nn_infer_isa_t isa,
                        int chunk, const int *batches, int nb, uint64_t seed) {
  double t0 = rocks_now();
  goresnet_t *m = make_model(size, planes, C, blocks, param, seed);
  if (!m) return;
  nn_infer_config_t cfg = nn_infer_config_default();
  cfg.threads = threads;
  cfg.isa = isa;
  cfg.max_batch = 1;
  cfg.chunk = chunk;
  rocks_error_t err;
  nn_infer_t *e = nn_infer_new(m, &cfg, &err);
  char what[160];
  snprintf(what, sizeof what, "engine %dx%d p%d b%dc%d %s threads=%d isa=%s chunk=%d", size, size, planes,
           blocks, C, nn_param_name(param), threads, nn_infer_isa_name(isa), chunk);
  if (!e) {
    printf("FAIL %s: %s\n", what, err.msg);
    failures++;
    goresnet_delete(m);
    return;
  }
  rocks_rng_t r;
  rocks_rng_seed(&r, seed);
  for (int i = 0; i < nb; i++) compare(m, e, batches[i], &r, what);
  printf("  %s: %.2fs\n", what, rocks_now() - t0);
  nn_infer_delete(e);
  goresnet_delete(m);
}

/* Checkpoint round trip: save, load into a new model, build an engine from it. Then perturb
 * the model and nn_infer_refresh the same engine. */
static void test_checkpoint(void) {
  goresnet_t *m = make_model(9, 17, 48, 3, NN_PARAM_SP, 99);
  if (!m) return;
  char path[] = "/tmp/rocks_test_nn_infer_XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  rocks_error_t err;
  goresnet_t *m2 = NULL;
  if (fd < 0 || nn_checkpoint_save(path, m, NULL, NULL, 0, &err) != ROCKS_OK || !(m2 = nn_checkpoint_load_new(path, &err))) {
    printf("FAIL checkpoint round trip: %s\n", fd < 0 ? "mkstemp" : err.msg);
    failures++;
    goresnet_delete(m);
    unlink(path);
    return;
  }
  unlink(path);
  nn_infer_t *e = nn_infer_new(m2, NULL, &err);
  if (!e) {
    printf("FAIL checkpoint engine: %s\n", err.msg);
    failures++;
  } else {
    rocks_rng_t r;
    rocks_rng_seed(&r, 5);
    compare(m, e, 7, &r, "engine from checkpoint vs original model");
    perturb(m2, &r);
    compare_(m2, e, 3, &r, "stale engine (negative control)", 1);
    if (nn_infer_refresh(e, m2, &err) != ROCKS_OK) {
      printf("FAIL refresh: %s\n", err.msg);
      failures++;
    } else {
      compare(m2, e, 4, &r, "engine after nn_infer_refresh");
    }
    /* refresh with another architecture must be refused */
    goresnet_t *m3 = make_model(9, 17, 32, 3, NN_PARAM_SP, 3);
    if (m3 && nn_infer_refresh(e, m3, &err) != ROCKS_ERR_ARG) {
      printf("FAIL refresh accepted a different architecture\n");
      failures++;
    }
    goresnet_delete(m3);
    nn_infer_delete(e);
  }
  goresnet_delete(m);
  goresnet_delete(m2);
}

/* Real positions: random games on 9x9, encoded with both feature sets (feat_encode). */
static void test_real_positions(void) {
  for (int set = FEAT_AGZ; set <= FEAT_RICH; set++) {
    int planes = feat_planes((feat_set_t)set), B = 6;
    goresnet_t *m = make_model(9, planes, 32, 3, NN_PARAM_SP, 30 + (uint64_t)set);
    if (!m) return;
    rocks_error_t err;
    nn_infer_t *e = nn_infer_new(m, NULL, &err);
    board_t *b = malloc(sizeof *b);
    float *inp = malloc(sizeof(float) * (size_t)B * (size_t)planes * 81), lo[6 * 82], va[6];
    rocks_rng_t r;
    rocks_rng_seed(&r, 77);
    int ok = e && b && inp;
    for (int i = 0; ok && i < B; i++) {
      ok = board_init(b, 9, board_rules_tromp_taylor(), 7.5f, &err) == ROCKS_OK;
      for (int k = 0; ok && k < 12 * i; k++) {
        int mv = board_random_move(b, b->to_play, &r);
        if (board_play(b, b->to_play, mv, NULL) != ROCKS_OK) board_play(b, b->to_play, BOARD_PASS, NULL);
      }
      if (ok) feat_encode(b, (feat_set_t)set, inp + (size_t)i * (size_t)planes * 81);
    }
    if (!ok || goresnet_forward(m, inp, B, 0, &err) != ROCKS_OK || nn_infer_forward(e, inp, B, lo, va, &err) != ROCKS_OK) {
      printf("FAIL real positions (%s): %s\n", feat_name((feat_set_t)set), ok ? err.msg : "setup");
      failures++;
    } else {
      double el = rel_err(lo, m->acts.policy_logits, (size_t)B * 82), ev = rel_err(va, m->acts.value, (size_t)B);
      if (el > worst_logits) worst_logits = el;
      if (ev > worst_value) worst_value = ev;
      if (!(el < 1e-3) || !(ev < 1e-3)) {
        printf("FAIL real positions (%s): logits rel err %.3g, value rel err %.3g\n", feat_name((feat_set_t)set), el, ev);
        failures++;
      }
    }
    free(inp);
    free(b);
    nn_infer_delete(e);
    goresnet_delete(m);
  }
}

/* Argument errors, and a value-only call giving the same values as a full one. */
static void test_api(void) {
  goresnet_t *m = make_model(9, 17, 16, 1, NN_PARAM_SP, 21);
  if (!m) return;
  rocks_error_t err;
  nn_infer_config_t cfg = nn_infer_config_default();
  cfg.threads = 0;
  if (nn_infer_new(m, &cfg, &err) != NULL || err.code != ROCKS_ERR_ARG) {
    printf("FAIL api: threads 0 accepted\n");
    failures++;
  }
  nn_infer_t *e = nn_infer_new(m, NULL, &err);
  if (!e) {
    printf("FAIL api: %s\n", err.msg);
    failures++;
    goresnet_delete(m);
    return;
  }
  float inp[3 * 17 * 81], lo[3 * 82], v1[3], v2[3];
  rocks_rng_t r;
  rocks_rng_seed(&r, 3);
  random_positions(inp, 3, 17, 9, &r);
  if (nn_infer_forward(e, inp, 0, lo, v1, &err) != ROCKS_ERR_ARG) {
    printf("FAIL api: batch 0 accepted\n");
    failures++;
  }
  if (nn_infer_forward(e, inp, 3, lo, v1, &err) != ROCKS_OK || nn_infer_forward(e, inp, 3, NULL, v2, &err) != ROCKS_OK ||
      memcmp(v1, v2, sizeof v1) != 0) {
    printf("FAIL api: value-only forward differs\n");
    failures++;
  }
  nn_infer_delete(e);
  nn_infer_delete(NULL);
  goresnet_delete(m);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  rocks_rng_t r;
  rocks_rng_seed(&r, 2024);
  int isas[2] = {NN_INFER_ISA_C, NN_INFER_ISA_AVX2};
  int nisa = infer_isa_detect() == INFER_ISA_AVX2 ? 2 : 1;
  if (nisa == 1) printf("note: no AVX2+FMA on this CPU, testing the plain C kernels only\n");

  /* kernels */
  static const int kc[][4] = {/* n, cin, cout, npos */
                              {9, 64, 64, 1}, {9, 64, 64, 3}, {9, 17, 64, 2}, {9, 128, 128, 5},
                              {9, 24, 40, 4}, {7, 5, 24, 3},  {13, 33, 16, 1}, {19, 32, 48, 2},
                              {2, 8, 8, 1},   {5, 3, 1, 7},   {9, 192, 192, 1}, {10, 16, 32, 3}};
  for (size_t i = 0; i < sizeof kc / sizeof kc[0]; i++)
    for (int a = 0; a < nisa; a++)
      for (int res = 0; res < 2; res++)
        for (int split = 1; split <= 3; split += 2) test_kernel(&r, kc[i][0], kc[i][1], kc[i][2], kc[i][3], res, isas[a], split);
  printf("kernels: worst rel err %.3g (bound 1e-4)\n", worst_kernel);

  /* engine */
  static const int b_small[] = {1, 2, 3, 5};
  static const int b_many[] = {1, 2, 3, 5, 8, 13, 32};
  nn_infer_isa_t best = nisa == 2 ? NN_INFER_ISA_AVX2 : NN_INFER_ISA_C;
  /* chunk: positions per Winograd block (0 = auto); small values exercise the chunk loop */
  test_engine(9, 17, 64, 6, NN_PARAM_SP, 2, best, 0, b_many, 7, 1);      /* b6c64 */
  test_engine(9, 17, 64, 6, NN_PARAM_SP, 2, best, 3, b_many, 7, 1);
  test_engine(9, 17, 128, 2, NN_PARAM_SP, 2, best, 0, b_small, 4, 2);
  test_engine(9, 17, 128, 10, NN_PARAM_SP, 2, best, 0, b_small, 2, 12);  /* b10c128 */
  test_engine(9, 17, 32, 2, NN_PARAM_MUP, 1, best, 0, b_many, 7, 3);
  test_engine(9, 17, 32, 4, NN_PARAM_DEPTH_MUP, 3, best, 2, b_many, 7, 4);
  test_engine(9, 17, 24, 1, NN_PARAM_SP, 2, NN_INFER_ISA_C, 0, b_small, 4, 5);
  test_engine(9, 17, 24, 1, NN_PARAM_SP, 2, NN_INFER_ISA_C, 1, b_small, 4, 5);
  test_engine(7, 18, 40, 2, NN_PARAM_SP, 2, best, 1, b_small, 4, 6);
  test_engine(13, 17, 16, 1, NN_PARAM_MUP, 2, best, 0, b_small, 4, 7);
  test_engine(19, 17, 32, 2, NN_PARAM_SP, 2, best, 0, b_small, 4, 8);
  test_engine(19, 17, 48, 1, NN_PARAM_SP, 2, best, 1, b_small, 4, 8);
  test_engine(5, 3, 8, 1, NN_PARAM_SP, 4, best, 0, b_small, 4, 9);
  test_engine(9, 17, 192, 1, NN_PARAM_SP, 2, best, 0, b_small, 2, 10);
  test_engine(9, 17, 16, 0, NN_PARAM_SP, 2, best, 0, b_small, 4, 11);   /* no blocks */
  test_checkpoint();
  test_api();
  test_real_positions();
  printf("engine: worst rel err logits %.3g, value %.3g (bound 1e-3)\n", worst_logits, worst_value);

  if (failures) {
    printf("test_nn_infer: %d FAILED\n", failures);
    return 1;
  }
  printf("test_nn_infer: all passed\n");
  return 0;
}
