/* conv3x3_lab.c — kernel lab for the 3x3 convolution of the inference path (llm.c dev/ style).
 *
 * versions:
 *   0  direct convolution, double accumulation (reference twin, infer_conv3x3_naive)
 *   1  im2col + OpenBLAS sgemm (what the training/reference path does)
 *   2  Winograd F(3x3,3x3), plain C kernels
 *   3  Winograd F(3x3,3x3), AVX2+FMA kernels (6x16 + 3x32 micro-kernels): the library version
 *   4  Winograd F(3x3,3x3), transforms AVX2 + OpenBLAS sgemm for the 25 GEMMs
 *
 * build: gcc -O3 -std=c11 -D_POSIX_C_SOURCE=200809L -Isrc dev/nn/conv3x3_lab.c \
 *          src/nn/infer_kernels.c -lopenblas -lm -o /tmp/lab
 * run:   OPENBLAS_NUM_THREADS=1 /tmp/lab [C] [npos] [n]
 * Reports max relative error vs version 0 and effective GFLOP/s (direct-convolution FLOPs / s).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "nn/infer_kernels.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static unsigned long long rs = 88172645463325252ULL;
static float frand(void) {
  rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
  return (float)((rs >> 11) * 0x1.0p-53) * 2.0f - 1.0f;
}

static float *falloc(size_t n) {
  float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
  memset(p, 0, n * sizeof(float));
  return p;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* im2col on padded NHWC: col[(pos,y,x)][c*9 + i*3 + j]; out = col * W^T */
static void conv_im2col(float *out, float *col, const float *in, const float *w, const float *bias,
                        int npos, const infer_geom_t *g, int cp, int cin, int cout) {
  int n = g->n, p = g->p, K = cin * 9;
  for (int pos = 0; pos < npos; pos++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        float *r = col + ((size_t)(pos * n + y) * n + x) * K;
        for (int c = 0; c < cin; c++)
          for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
              r[c * 9 + i * 3 + j] = in[(((size_t)pos * p + y + i) * p + x + j) * cp + c];
      }
  int rows = npos * n * n;
  float *tmp = falloc((size_t)rows * cout);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cout, K, 1.0f, col, K, w, K, 0.0f, tmp, cout);
  for (int pos = 0; pos < npos; pos++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++)
        for (int k = 0; k < cout; k++)
          out[(((size_t)pos * p + y + 1) * p + x + 1) * cp + k] = tmp[((size_t)(pos * n + y) * n + x) * cout + k] + bias[k];
  free(tmp);
}

/* Winograd with sgemm: M[t][xi][k]; U_plain[xi][c][k] */
static void wino_blas(float *out, float *V, float *M, const float *Up, const float *in, const float *bias,
                      int npos, const infer_geom_t *g, int cp, int cin, int kp) {
  int T = npos * g->tiles;
  infer_wino_input(INFER_ISA_AVX2, V, in, npos, g, cp);
  for (int xi = 0; xi < 25; xi++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, kp, cin, 1.0f, V + (size_t)xi * T * cp, cp,
                Up + (size_t)xi * cin * kp, kp, 0.0f, M + (size_t)xi * kp, 25 * kp);
  infer_wino_output(INFER_ISA_AVX2, out, M, bias, NULL, 0, npos, g, cp, kp, 0, kp);
}

int main(int argc, char **argv) {
  int C = argc > 1 ? atoi(argv[1]) : 64, npos = argc > 2 ? atoi(argv[2]) : 4, n = argc > 3 ? atoi(argv[3]) : 9;
  infer_geom_t g = infer_geom_init(n);
  int cp = (C + 7) / 8 * 8, kp = (C + 15) / 16 * 16, cin = C, cout = C;
  size_t act = (size_t)npos * g.p * g.p * cp;
  float *in = falloc(act), *w = falloc((size_t)cout * cin * 9), *bias = falloc(kp);
  for (int pos = 0; pos < npos; pos++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++)
        for (int c = 0; c < cin; c++) in[(((size_t)pos * g.p + y + 1) * g.p + x + 1) * cp + c] = frand();
  for (size_t i = 0; i < (size_t)cout * cin * 9; i++) w[i] = frand() * sqrtf(3.0f / (9.0f * cin));
  for (int k = 0; k < cout; k++) bias[k] = frand() * 0.1f;
  float *U = falloc(infer_wino_weight_floats(cout, cin));
  infer_wino_weights(U, w, cout, cin);
  float *Up = falloc((size_t)25 * cin * kp); /* unpacked [xi][c][k] for sgemm */
  for (int xi = 0; xi < 25; xi++)
    for (int c = 0; c < cin; c++)
      for (int k = 0; k < kp; k++) Up[((size_t)xi * cin + c) * kp + k] = U[(((size_t)xi * (kp / 16) + k / 16) * cin + c) * 16 + k % 16];
  int T = npos * g.tiles;
  float *V = falloc((size_t)25 * T * cp), *M = falloc((size_t)25 * T * kp), *col = falloc((size_t)npos * n * n * cin * 9);
  float *ref = falloc(act), *out = falloc(act);
  infer_conv3x3_naive(ref, in, w, bias, NULL, 0, npos, &g, cp, cin, cp, cout);
  double flops = 2.0 * npos * n * n * 9.0 * cin * cout;
  printf("C=%d npos=%d n=%d T=%d  direct MFLOP=%.2f\n", C, npos, n, T, flops * 1e-6);
  for (int v = 1; v <= 4; v++) {
    double times[15];
    int reps = 15;
    for (int r = 0; r < reps; r++) {
      memset(out, 0, act * sizeof(float));
      double t0 = now();
      int inner = 0;
      do {
        switch (v) {
          case 1: conv_im2col(out, col, in, w, bias, npos, &g, cp, cin, cout); break;
          case 2:
            infer_wino_input(INFER_ISA_C, V, in, npos, &g, cp);
            infer_wino_gemm(INFER_ISA_C, M, V, U, T, cp, cin, kp, 0, kp / 16);
            infer_wino_output(INFER_ISA_C, out, M, bias, NULL, 0, npos, &g, cp, kp, 0, cout);
            break;
          case 3:
            infer_wino_input(INFER_ISA_AVX2, V, in, npos, &g, cp);
            infer_wino_gemm(INFER_ISA_AVX2, M, V, U, T, cp, cin, kp, 0, kp / 16);
            infer_wino_output(INFER_ISA_AVX2, out, M, bias, NULL, 0, npos, &g, cp, kp, 0, cout);
            break;
          case 4: wino_blas(out, V, M, Up, in, bias, npos, &g, cp, cin, kp); break;
        }
        inner++;
      } while (now() - t0 < 0.02);
      times[r] = (now() - t0) / inner;
    }
    qsort(times, reps, sizeof(double), cmpd);
    double maxd = 0, maxr = 0;
    for (size_t i = 0; i < act; i++) {
      double d = fabs((double)out[i] - ref[i]);
      if (d > maxd) maxd = d;
      if (fabs(ref[i]) > maxr) maxr = fabs(ref[i]);
    }
    printf("  v%d  %8.1f us  %6.1f GFLOP/s eff   max rel err %.2e\n", v, times[reps / 2] * 1e6,
           flops / times[reps / 2] * 1e-9, maxd / maxr);
  }
  for (int chunk = 1; chunk <= npos; chunk *= 2) { /* v3 in chunks of positions */
    double best = 1e9;
    size_t ps = (size_t)g.p * g.p * cp;
    for (int r = 0; r < 30; r++) {
      double t0 = now();
      for (int p0 = 0; p0 < npos; p0 += chunk) {
        int np = npos - p0 < chunk ? npos - p0 : chunk, Tc = np * g.tiles;
        infer_wino_input(INFER_ISA_AVX2, V, in + p0 * ps, np, &g, cp);
        infer_wino_gemm(INFER_ISA_AVX2, M, V, U, Tc, cp, cin, kp, 0, kp / 16);
        infer_wino_output(INFER_ISA_AVX2, out + p0 * ps, M, bias, NULL, 0, np, &g, cp, kp, 0, cout);
      }
      double t = now() - t0;
      if (t < best) best = t;
    }
    printf("  chunk %3d: %8.1f us (min) %6.1f GFLOP/s eff\n", chunk, best * 1e6, flops / best * 1e-9);
  }
  { /* phase breakdown of v3 */
    double ti = 1e9, tg = 1e9, to = 1e9;
    for (int r = 0; r < 200; r++) {
      double t0 = now(); infer_wino_input(INFER_ISA_AVX2, V, in, npos, &g, cp);
      double t1 = now(); infer_wino_gemm(INFER_ISA_AVX2, M, V, U, T, cp, cin, kp, 0, kp / 16);
      double t2 = now(); infer_wino_output(INFER_ISA_AVX2, out, M, bias, NULL, 0, npos, &g, cp, kp, 0, cout);
      double t3 = now();
      if (t1 - t0 < ti) ti = t1 - t0;
      if (t2 - t1 < tg) tg = t2 - t1;
      if (t3 - t2 < to) to = t3 - t2;
    }
    double gf = 2.0 * 25 * T * cin * kp;
    printf("  v3 phases (min): input %.1f us, gemm %.1f us (%.1f GFLOP/s real), output %.1f us\n", ti * 1e6, tg * 1e6, gf / tg * 1e-9, to * 1e6);
  }
  return 0;
}
