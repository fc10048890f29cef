/* infer_kernels.c — Winograd F(3x3,3x3) convolution kernels (plain C and AVX2+FMA) and the
 * direct-convolution reference twin. Layouts and the algorithm are described in
 * infer_kernels.h. The AVX2 functions carry target attributes, so this file builds with the
 * project's ordinary flags and runs on any x86-64; callers pick the ISA at run time.
 */
#include "nn/infer_kernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define INFER_X86 1
#include <immintrin.h>
#define AVX2_FN __attribute__((target("avx2,fma")))
#else
#define INFER_X86 0
#endif

/* ------------------------------------------------------------------------------- ISA */

infer_isa_t infer_isa_detect(void) {
#if INFER_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return INFER_ISA_AVX2;
#endif
  return INFER_ISA_C;
}

infer_geom_t infer_geom_init(int n) {
  infer_geom_t g;
  g.n = n;
  g.nt = (n + 2) / 3;
  g.p = 3 * g.nt + 2;
  g.tiles = g.nt * g.nt;
  return g;
}

/* ---------------------------------------------------------------- weight transform */
/* G = D G'' for points 0, 1, -1, 2, inf, with D = diag(1/2, -1/2, -1/6, 1/6, 1) and the integer
 * G'' below. The weights use G'' (U = G'' g G''^T, exact small-integer combinations) and the
 * input transform carries D on both sides (V = D B^T d B D), which gives the same products
 * U (.) V as G g G^T (.) B^T d B. */
static const double wino_G[5][3] = {
    {1, 0, 0},
    {1, 1, 1},
    {1, -1, 1},
    {1, 2, 4},
    {0, 0, 1},
};

size_t infer_wino_weight_floats(int cout, int cin) {
  size_t kp = (size_t)((cout + 15) / 16 * 16);
  return 25 * kp * (size_t)cin;
}

void infer_wino_weights(float *U, const float *w, int cout, int cin) {
  int kp = (cout + 15) / 16 * 16, nkb = kp / 16;
  memset(U, 0, sizeof(float) * infer_wino_weight_floats(cout, cin));
  for (int k = 0; k < cout; k++) {
    for (int c = 0; c < cin; c++) {
      const float *g = w + ((size_t)k * (size_t)cin + (size_t)c) * 9;
      double t[5][3]; /* G g */
      for (int a = 0; a < 5; a++)
        for (int j = 0; j < 3; j++)
          t[a][j] = wino_G[a][0] * g[j] + wino_G[a][1] * g[3 + j] + wino_G[a][2] * g[6 + j];
      for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
          double u = t[a][0] * wino_G[b][0] + t[a][1] * wino_G[b][1] + t[a][2] * wino_G[b][2];
          int xi = a * 5 + b, kb = k / 16;
          U[(((size_t)xi * (size_t)nkb + (size_t)kb) * (size_t)cin + (size_t)c) * 16 + (size_t)(k % 16)] =
              (float)u;
        }
    }
  }
}

/* ---------------------------------------------------------------- 1-D transforms */
/* D B^T d for a 5-vector (points 0, 1, -1, 2, inf; D as above):
 *   v0 = (2d0 - d1 - 2d2 + d3)/2   v1 = (2d1 + d2 - d3)/2   v2 = (-2d1 + 3d2 - d3)/6
 *   v3 = (d3 - d1)/6               v4 = 2d1 - d2 - 2d3 + d4                          */
static inline void bt5_c(float v[5], float d0, float d1, float d2, float d3, float d4) {
  float v3 = d3 - d1;
  v[0] = (d0 - d2) + 0.5f * v3;
  v[1] = 0.5f * ((d1 + d2) - v3);
  v[2] = (-1.0f / 6.0f) * (2.0f * (d1 - d2) + (d3 - d2));
  v[3] = (1.0f / 6.0f) * v3;
  v[4] = (d4 - d2) - 2.0f * v3;
}

/* A^T m for a 5-vector: y0 = m0+m1+m2+m3, y1 = m1-m2+2m3, y2 = m1+m2+4m3+m4. */
static inline void at5_c(float y[3], float m0, float m1, float m2, float m3, float m4) {
  float p = m1 + m2, q = m1 - m2;
  y[0] = m0 + p + m3;
  y[1] = q + 2.0f * m3;
  y[2] = p + 4.0f * m3 + m4;
}

/* ---------------------------------------------------------------- plain C kernels */

static void wino_input_c(float *V, const float *act, int npos, const infer_geom_t *g, int cp) {
  const int nt = g->nt, p = g->p;
  const size_t T = (size_t)npos * (size_t)g->tiles;
  for (int pos = 0; pos < npos; pos++)
    for (int ty = 0; ty < nt; ty++)
      for (int tx = 0; tx < nt; tx++) {
        size_t t = ((size_t)pos * (size_t)nt + (size_t)ty) * (size_t)nt + (size_t)tx;
        const float *base = act + (((size_t)pos * (size_t)p + (size_t)(3 * ty)) * (size_t)p + (size_t)(3 * tx)) * (size_t)cp;
        for (int c = 0; c < cp; c++) {
          float d[5][5], tmp[5][5], v[5];
          for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) d[i][j] = base[((size_t)i * (size_t)p + (size_t)j) * (size_t)cp + (size_t)c];
          for (int j = 0; j < 5; j++) {
            bt5_c(v, d[0][j], d[1][j], d[2][j], d[3][j], d[4][j]);
            for (int i = 0; i < 5; i++) tmp[i][j] = v[i];
          }
          for (int i = 0; i < 5; i++) {
            bt5_c(v, tmp[i][0], tmp[i][1], tmp[i][2], tmp[i][3], tmp[i][4]);
            for (int j = 0; j < 5; j++) V[((size_t)(i * 5 + j) * T + t) * (size_t)cp + (size_t)c] = v[j];
          }
        }
      }
}

static void wino_gemm_c(float *M, const float *V, const float *U, int T, int cp, int cin, int kp,
                        int kb0, int kb1) {
  const int nkb = kp / 16;
  for (int xi = 0; xi < 25; xi++)
    for (int kb = kb0; kb < kb1; kb++) {
      const float *u = U + ((size_t)xi * (size_t)nkb + (size_t)kb) * (size_t)cin * 16;
      for (int t = 0; t < T; t++) {
        const float *v = V + ((size_t)xi * (size_t)T + (size_t)t) * (size_t)cp;
        float acc[16] = {0};
        for (int c = 0; c < cin; c++)
          for (int j = 0; j < 16; j++) acc[j] += v[c] * u[(size_t)c * 16 + (size_t)j];
        memcpy(M + ((size_t)t * 25 + (size_t)xi) * (size_t)kp + (size_t)kb * 16, acc, sizeof acc);
      }
    }
}

static void wino_output_c(float *out, const float *M, const float *bias, const float *res,
                          int relu, int npos, const infer_geom_t *g, int cpo, int kp, int k0,
                          int k1) {
  const int nt = g->nt, p = g->p, n = g->n;
  for (int pos = 0; pos < npos; pos++)
    for (int ty = 0; ty < nt; ty++)
      for (int tx = 0; tx < nt; tx++) {
        size_t t = ((size_t)pos * (size_t)nt + (size_t)ty) * (size_t)nt + (size_t)tx;
        const float *m = M + t * 25 * (size_t)kp;
        for (int k = k0; k < k1; k++) {
          float tmp[3][5], y[3][3], r[3];
          for (int j = 0; j < 5; j++) {
            at5_c(r, m[(0 * 5 + j) * kp + k], m[(1 * 5 + j) * kp + k], m[(2 * 5 + j) * kp + k],
                  m[(3 * 5 + j) * kp + k], m[(4 * 5 + j) * kp + k]);
            for (int i = 0; i < 3; i++) tmp[i][j] = r[i];
          }
          for (int i = 0; i < 3; i++) at5_c(y[i], tmp[i][0], tmp[i][1], tmp[i][2], tmp[i][3], tmp[i][4]);
          for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
              int yy = 3 * ty + i, xx = 3 * tx + j;
              if (yy >= n || xx >= n) continue;
              size_t o = (((size_t)pos * (size_t)p + (size_t)(yy + 1)) * (size_t)p + (size_t)(xx + 1)) * (size_t)cpo + (size_t)k;
              float val = y[i][j] + bias[k];
              if (res) val += res[o];
              if (relu && val < 0.0f) val = 0.0f;
              out[o] = val;
            }
        }
      }
}

/* ---------------------------------------------------------------- AVX2 + FMA kernels */
#if INFER_X86

AVX2_FN static inline void bt5_v(__m256 v[5], __m256 d0, __m256 d1, __m256 d2, __m256 d3, __m256 d4) {
  const __m256 half = _mm256_set1_ps(0.5f), mtwo = _mm256_set1_ps(-2.0f), two = _mm256_set1_ps(2.0f);
  __m256 v3 = _mm256_sub_ps(d3, d1);
  v[0] = _mm256_fmadd_ps(half, v3, _mm256_sub_ps(d0, d2));
  v[1] = _mm256_mul_ps(half, _mm256_sub_ps(_mm256_add_ps(d1, d2), v3));
  v[2] = _mm256_mul_ps(_mm256_set1_ps(-1.0f / 6.0f), _mm256_fmadd_ps(two, _mm256_sub_ps(d1, d2), _mm256_sub_ps(d3, d2)));
  v[3] = _mm256_mul_ps(_mm256_set1_ps(1.0f / 6.0f), v3);
  v[4] = _mm256_fmadd_ps(mtwo, v3, _mm256_sub_ps(d4, d2));
}

AVX2_FN static inline void at5_v(__m256 y[3], __m256 m0, __m256 m1, __m256 m2, __m256 m3, __m256 m4) {
  __m256 p = _mm256_add_ps(m1, m2), q = _mm256_sub_ps(m1, m2);
  y[0] = _mm256_add_ps(_mm256_add_ps(m0, p), m3);
  y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), m3, q);
  y[2] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(4.0f), m3, p), m4);
}

AVX2_FN static void wino_input_avx2(float *V, const float *act, int npos, const infer_geom_t *g, int cp) {
  const int nt = g->nt, p = g->p;
  const size_t T = (size_t)npos * (size_t)g->tiles, rs = (size_t)p * (size_t)cp, ps = T * (size_t)cp;
  float tmp[25 * 8] __attribute__((aligned(32))); /* column pass result, [i][j][8] */
  for (int pos = 0; pos < npos; pos++)
    for (int ty = 0; ty < nt; ty++)
      for (int tx = 0; tx < nt; tx++) {
        size_t t = ((size_t)pos * (size_t)nt + (size_t)ty) * (size_t)nt + (size_t)tx;
        const float *base = act + (((size_t)pos * (size_t)p + (size_t)(3 * ty)) * (size_t)p + (size_t)(3 * tx)) * (size_t)cp;
        float *vt = V + t * (size_t)cp;
        for (int c = 0; c < cp; c += 8) {
          __m256 v[5];
          const float *b = base + c;
          for (int j = 0; j < 5; j++) { /* columns: 5 loads, 5 results to tmp */
            const float *col = b + (size_t)j * (size_t)cp;
            bt5_v(v, _mm256_loadu_ps(col), _mm256_loadu_ps(col + rs), _mm256_loadu_ps(col + 2 * rs),
                  _mm256_loadu_ps(col + 3 * rs), _mm256_loadu_ps(col + 4 * rs));
            for (int i = 0; i < 5; i++) _mm256_store_ps(tmp + (i * 5 + j) * 8, v[i]);
          }
          float *o = vt + c;
          for (int i = 0; i < 5; i++) { /* rows: 5 loads from tmp, 5 results to V */
            const float *r = tmp + i * 40;
            bt5_v(v, _mm256_load_ps(r), _mm256_load_ps(r + 8), _mm256_load_ps(r + 16), _mm256_load_ps(r + 24),
                  _mm256_load_ps(r + 32));
            for (int j = 0; j < 5; j++) _mm256_storeu_ps(o + (size_t)(i * 5 + j) * ps, v[j]);
          }
        }
      }
}

/* 6 x 16 micro-kernel: c[r][0..16) = sum_p a[r][p] * b[p][0..16), rows r < mr stored.
 * a rows have stride lda; b is a packed panel [kc][16]; c rows have stride ldc. */
AVX2_FN static inline void kern_6x16(int mr, int kc, const float *a, size_t lda, const float *b,
                                     float *c, size_t ldc, int acc) {
  const float *a0 = a, *a1 = mr > 1 ? a + lda : a, *a2 = mr > 2 ? a + 2 * lda : a,
              *a3 = mr > 3 ? a + 3 * lda : a, *a4 = mr > 4 ? a + 4 * lda : a,
              *a5 = mr > 5 ? a + 5 * lda : a;
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  if (acc) { /* rows >= mr are never stored, so loading row 0 for them is harmless */
    const float *r1 = mr > 1 ? c + ldc : c, *r2 = mr > 2 ? c + 2 * ldc : c, *r3 = mr > 3 ? c + 3 * ldc : c,
                *r4 = mr > 4 ? c + 4 * ldc : c, *r5 = mr > 5 ? c + 5 * ldc : c;
    c00 = _mm256_loadu_ps(c); c01 = _mm256_loadu_ps(c + 8);
    c10 = _mm256_loadu_ps(r1); c11 = _mm256_loadu_ps(r1 + 8);
    c20 = _mm256_loadu_ps(r2); c21 = _mm256_loadu_ps(r2 + 8);
    c30 = _mm256_loadu_ps(r3); c31 = _mm256_loadu_ps(r3 + 8);
    c40 = _mm256_loadu_ps(r4); c41 = _mm256_loadu_ps(r4 + 8);
    c50 = _mm256_loadu_ps(r5); c51 = _mm256_loadu_ps(r5 + 8);
  }
  for (int p = 0; p < kc; p++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8), t;
    b += 16;
    t = _mm256_broadcast_ss(a0 + p); c00 = _mm256_fmadd_ps(t, b0, c00); c01 = _mm256_fmadd_ps(t, b1, c01);
    t = _mm256_broadcast_ss(a1 + p); c10 = _mm256_fmadd_ps(t, b0, c10); c11 = _mm256_fmadd_ps(t, b1, c11);
    t = _mm256_broadcast_ss(a2 + p); c20 = _mm256_fmadd_ps(t, b0, c20); c21 = _mm256_fmadd_ps(t, b1, c21);
    t = _mm256_broadcast_ss(a3 + p); c30 = _mm256_fmadd_ps(t, b0, c30); c31 = _mm256_fmadd_ps(t, b1, c31);
    t = _mm256_broadcast_ss(a4 + p); c40 = _mm256_fmadd_ps(t, b0, c40); c41 = _mm256_fmadd_ps(t, b1, c41);
    t = _mm256_broadcast_ss(a5 + p); c50 = _mm256_fmadd_ps(t, b0, c50); c51 = _mm256_fmadd_ps(t, b1, c51);
  }
  _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01);
  if (mr > 1) { _mm256_storeu_ps(c + ldc, c10); _mm256_storeu_ps(c + ldc + 8, c11); }
  if (mr > 2) { _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21); }
  if (mr > 3) { _mm256_storeu_ps(c + 3 * ldc, c30); _mm256_storeu_ps(c + 3 * ldc + 8, c31); }
  if (mr > 4) { _mm256_storeu_ps(c + 4 * ldc, c40); _mm256_storeu_ps(c + 4 * ldc + 8, c41); }
  if (mr > 5) { _mm256_storeu_ps(c + 5 * ldc, c50); _mm256_storeu_ps(c + 5 * ldc + 8, c51); }
}

/* 3 x 32 micro-kernel over two adjacent packed panels b and b2 (each [kc][16]). */
AVX2_FN static inline void kern_3x32(int mr, int kc, const float *a, size_t lda, const float *b,
                                     const float *b2, float *c, size_t ldc, int acc) {
  const float *a0 = a, *a1 = mr > 1 ? a + lda : a, *a2 = mr > 2 ? a + 2 * lda : a;
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c02 = _mm256_setzero_ps(),
         c03 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(),
         c12 = _mm256_setzero_ps(), c13 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(),
         c21 = _mm256_setzero_ps(), c22 = _mm256_setzero_ps(), c23 = _mm256_setzero_ps();
  if (acc) {
    const float *r1 = mr > 1 ? c + ldc : c, *r2 = mr > 2 ? c + 2 * ldc : c;
    c00 = _mm256_loadu_ps(c); c01 = _mm256_loadu_ps(c + 8); c02 = _mm256_loadu_ps(c + 16); c03 = _mm256_loadu_ps(c + 24);
    c10 = _mm256_loadu_ps(r1); c11 = _mm256_loadu_ps(r1 + 8); c12 = _mm256_loadu_ps(r1 + 16); c13 = _mm256_loadu_ps(r1 + 24);
    c20 = _mm256_loadu_ps(r2); c21 = _mm256_loadu_ps(r2 + 8); c22 = _mm256_loadu_ps(r2 + 16); c23 = _mm256_loadu_ps(r2 + 24);
  }
  for (int p = 0; p < kc; p++) { /* 3 broadcasts + 1 weight vector + 12 sums = 16 registers */
    __m256 t0 = _mm256_broadcast_ss(a0 + p), t1 = _mm256_broadcast_ss(a1 + p), t2 = _mm256_broadcast_ss(a2 + p), w;
    w = _mm256_load_ps(b);
    c00 = _mm256_fmadd_ps(t0, w, c00); c10 = _mm256_fmadd_ps(t1, w, c10); c20 = _mm256_fmadd_ps(t2, w, c20);
    w = _mm256_load_ps(b + 8);
    c01 = _mm256_fmadd_ps(t0, w, c01); c11 = _mm256_fmadd_ps(t1, w, c11); c21 = _mm256_fmadd_ps(t2, w, c21);
    w = _mm256_load_ps(b2);
    c02 = _mm256_fmadd_ps(t0, w, c02); c12 = _mm256_fmadd_ps(t1, w, c12); c22 = _mm256_fmadd_ps(t2, w, c22);
    w = _mm256_load_ps(b2 + 8);
    c03 = _mm256_fmadd_ps(t0, w, c03); c13 = _mm256_fmadd_ps(t1, w, c13); c23 = _mm256_fmadd_ps(t2, w, c23);
    b += 16;
    b2 += 16;
  }
  _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01);
  _mm256_storeu_ps(c + 16, c02); _mm256_storeu_ps(c + 24, c03);
  if (mr > 1) {
    _mm256_storeu_ps(c + ldc, c10); _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + ldc + 16, c12); _mm256_storeu_ps(c + ldc + 24, c13);
  }
  if (mr > 2) {
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 2 * ldc + 16, c22); _mm256_storeu_ps(c + 2 * ldc + 24, c23);
  }
}

/* Rows in blocks of 6 (6x16 kernel); a tail of 1-3 rows uses the 3x32 kernel over panel pairs. */
AVX2_FN static void wino_gemm_avx2(float *M, const float *V, const float *U, int T, int cp, int cin,
                                   int kp, int kb0, int kb1) {
  const int nkb = kp / 16;
  const size_t ldc = 25 * (size_t)kp;
  for (int xi = 0; xi < 25; xi++)
    for (int kb = kb0; kb < kb1; kb++) {
      const float *u = U + ((size_t)xi * (size_t)nkb + (size_t)kb) * (size_t)cin * 16;
      const float *v = V + (size_t)xi * (size_t)T * (size_t)cp;
      float *m = M + (size_t)xi * (size_t)kp + (size_t)kb * 16;
      int tmain = T % 6 <= 3 ? T - T % 6 : T;
      for (int t = 0; t < tmain; t += 6) {
        int mr = T - t < 6 ? T - t : 6;
        kern_6x16(mr, cin, v + (size_t)t * (size_t)cp, (size_t)cp, u, m + (size_t)t * ldc, ldc, 0);
      }
      if (tmain < T && (kb - kb0) % 2 == 0 && kb + 1 < kb1) /* tail rows, two panels at a time */
        kern_3x32(T - tmain, cin, v + (size_t)tmain * (size_t)cp, (size_t)cp, u, u + (size_t)cin * 16,
                  m + (size_t)tmain * ldc, ldc, 0);
      else if (tmain < T && (kb - kb0) % 2 == 0) /* odd last panel */
        kern_6x16(T - tmain, cin, v + (size_t)tmain * (size_t)cp, (size_t)cp, u, m + (size_t)tmain * ldc, ldc, 0);
    }
}

AVX2_FN static void wino_output_avx2(float *out, const float *M, const float *bias, const float *res,
                                     int relu, int npos, const infer_geom_t *g, int cpo, int kp,
                                     int k0, int k1) {
  const int nt = g->nt, p = g->p, n = g->n;
  const __m256 zero = _mm256_setzero_ps();
  for (int pos = 0; pos < npos; pos++)
    for (int ty = 0; ty < nt; ty++)
      for (int tx = 0; tx < nt; tx++) {
        size_t t = ((size_t)pos * (size_t)nt + (size_t)ty) * (size_t)nt + (size_t)tx;
        const float *m = M + t * 25 * (size_t)kp;
        int ni = n - 3 * ty < 3 ? n - 3 * ty : 3, nj = n - 3 * tx < 3 ? n - 3 * tx : 3;
        size_t o0 = (((size_t)pos * (size_t)p + (size_t)(3 * ty + 1)) * (size_t)p + (size_t)(3 * tx + 1)) * (size_t)cpo;
        for (int k = k0; k < k1; k += 8) {
          __m256 tmp[3][5], y[3][3], r[3];
          const float *mk = m + k;
          for (int j = 0; j < 5; j++) {
            at5_v(r, _mm256_loadu_ps(mk + (size_t)(0 * 5 + j) * (size_t)kp),
                  _mm256_loadu_ps(mk + (size_t)(1 * 5 + j) * (size_t)kp),
                  _mm256_loadu_ps(mk + (size_t)(2 * 5 + j) * (size_t)kp),
                  _mm256_loadu_ps(mk + (size_t)(3 * 5 + j) * (size_t)kp),
                  _mm256_loadu_ps(mk + (size_t)(4 * 5 + j) * (size_t)kp));
            for (int i = 0; i < 3; i++) tmp[i][j] = r[i];
          }
          for (int i = 0; i < 3; i++) at5_v(y[i], tmp[i][0], tmp[i][1], tmp[i][2], tmp[i][3], tmp[i][4]);
          __m256 bk = _mm256_loadu_ps(bias + k);
          for (int i = 0; i < ni; i++)
            for (int j = 0; j < nj; j++) {
              size_t o = o0 + ((size_t)i * (size_t)p + (size_t)j) * (size_t)cpo + (size_t)k;
              __m256 val = _mm256_add_ps(y[i][j], bk);
              if (res) val = _mm256_add_ps(val, _mm256_loadu_ps(res + o));
              if (relu) val = _mm256_max_ps(val, zero);
              _mm256_storeu_ps(out + o, val);
            }
        }
      }
}
#endif /* INFER_X86 */

/* ---------------------------------------------------------------- dispatch */

void infer_wino_input(infer_isa_t isa, float *V, const float *act, int npos, const infer_geom_t *g,
                      int cp) {
#if INFER_X86
  if (isa == INFER_ISA_AVX2) { wino_input_avx2(V, act, npos, g, cp); return; }
#endif
  (void)isa;
  wino_input_c(V, act, npos, g, cp);
}

void infer_wino_gemm(infer_isa_t isa, float *M, const float *V, const float *U, int T, int cp,
                     int cin, int kp, int kb0, int kb1) {
#if INFER_X86
  if (isa == INFER_ISA_AVX2) { wino_gemm_avx2(M, V, U, T, cp, cin, kp, kb0, kb1); return; }
#endif
  (void)isa;
  wino_gemm_c(M, V, U, T, cp, cin, kp, kb0, kb1);
}

void infer_wino_output(infer_isa_t isa, float *out, const float *M, const float *bias,
                       const float *res, int relu, int npos, const infer_geom_t *g, int cpo,
                       int kp, int k0, int k1) {
#if INFER_X86
  if (isa == INFER_ISA_AVX2) { wino_output_avx2(out, M, bias, res, relu, npos, g, cpo, kp, k0, k1); return; }
#endif
  (void)isa;
  wino_output_c(out, M, bias, res, relu, npos, g, cpo, kp, k0, k1);
}

/* ---------------------------------------------------------------- reference twin */

void infer_conv3x3_naive(float *out, const float *in, const float *w, const float *bias,
                         const float *res, int relu, int npos, const infer_geom_t *g, int cpi,
                         int cin, int cpo, int cout) {
  const int n = g->n, p = g->p;
  for (int pos = 0; pos < npos; pos++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        size_t o = (((size_t)pos * (size_t)p + (size_t)(y + 1)) * (size_t)p + (size_t)(x + 1)) * (size_t)cpo;
        for (int k = 0; k < cout; k++) {
          double acc = bias[k];
          for (int c = 0; c < cin; c++)
            for (int i = 0; i < 3; i++)
              for (int j = 0; j < 3; j++)
                acc += (double)w[(((size_t)k * (size_t)cin + (size_t)c) * 3 + (size_t)i) * 3 + (size_t)j] *
                       in[(((size_t)pos * (size_t)p + (size_t)(y + i)) * (size_t)p + (size_t)(x + j)) * (size_t)cpi + (size_t)c];
          float val = (float)acc;
          if (res) val += res[o + (size_t)k];
          if (relu && val < 0.0f) val = 0.0f;
          out[o + (size_t)k] = val;
        }
      }
}
