/* train_kernels.c — kernels of the fast training path: Winograd F(3x3,3x3) transforms and their
 * adjoints, GEMM micro-kernels, BatchNorm/ReLU elementwise passes, the heads' linear layers.
 * Layouts and formulas in train_kernels.h. The transforms and elementwise kernels are written
 * once with vector extensions (train_kernels.inc) and compiled for plain C (4-wide) and AVX2
 * (8-wide); the GEMMs are written per ISA (plain C, AVX2+FMA intrinsics). All carry target attributes, so this file
 * builds with the project's ordinary flags and runs on any x86-64 (or non-x86, plain C).
 */
#include "nn/train_kernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define TK_X86 1
#include <immintrin.h>
#define TK_AVX2_ATTR __attribute__((target("avx2,fma")))
#else
#define TK_X86 0
#endif

/* -------------------------------------------------------------------------- ISA --- */

tk_isa_t tk_isa_detect(void) {
#if TK_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return TK_ISA_AVX2;
#endif
  return TK_ISA_C;
}

const char *tk_isa_name(tk_isa_t isa) {
  switch (isa) {
    case TK_ISA_C: return "c";
    case TK_ISA_AVX2: return "avx2";
  }
  return "?";
}

tk_geom_t tk_geom(int n) {
  tk_geom_t g;
  g.n = n;
  g.nt = (n + 2) / 3;
  g.ti = g.nt * g.nt;
  g.hw = n * n;
  return g;
}

/* --------------------------------------------------------- vector-extension helpers --- */
/* The macros work on whatever `tkv` names at their point of use (TK_MASK needs `tki`). */

#define TK_LD(p) ((tkv)(*(const tkvu *)(const void *)(p)))
#define TK_ST(p, v) (*(tkvu *)(void *)(p) = (v))
#define TK_MASK(d, o) ((tkv)((tki)(d) & ((o) > (tkv){0})))
#define TK_RELU(y) TK_MASK(y, y)

/* D B^T (points 0, 1, -1, 2, inf; D = diag(1/2, -1/2, -1/6, 1/6, 1)) on a 5-vector. */
#define TK_BT5(o0, o1, o2, o3, o4, d0, d1, d2, d3, d4)                \
  do {                                                                \
    tkv t3_ = (d3) - (d1);                                            \
    o0 = ((d0) - (d2)) + 0.5f * t3_;                                  \
    o1 = 0.5f * (((d1) + (d2)) - t3_);                                \
    o2 = (-1.0f / 6.0f) * (2.0f * ((d1) - (d2)) + ((d3) - (d2)));     \
    o3 = (1.0f / 6.0f) * t3_;                                         \
    o4 = ((d4) - (d2)) - 2.0f * t3_;                                  \
  } while (0)

/* (D B^T)^T on a 5-vector: the input transform's adjoint. */
#define TK_BTT5(o0, o1, o2, o3, o4, v0, v1, v2, v3, v4)                              \
  do {                                                                               \
    o0 = (v0);                                                                       \
    o1 = (((v1) - 0.5f * (v0)) + 2.0f * (v4)) - (1.0f / 6.0f) * (2.0f * (v2) + (v3)); \
    o2 = 0.5f * ((v1) + (v2)) - ((v0) + (v4));                                       \
    o3 = (0.5f * ((v0) - (v1)) + (1.0f / 6.0f) * ((v3) - (v2))) - 2.0f * (v4);        \
    o4 = (v4);                                                                       \
  } while (0)

/* A^T on a 5-vector (3 outputs); also G^T, the weight transform's adjoint. */
#define TK_AT5(y0, y1, y2, m0, m1, m2, m3, m4) \
  do {                                         \
    tkv p_ = (m1) + (m2), q_ = (m1) - (m2);    \
    y0 = ((m0) + p_) + (m3);                   \
    y1 = q_ + 2.0f * (m3);                     \
    y2 = (p_ + 4.0f * (m3)) + (m4);            \
  } while (0)

/* G on a 3-vector (5 outputs); also A, the output transform's adjoint. */
#define TK_G5(o0, o1, o2, o3, o4, g0, g1, g2) \
  do {                                        \
    tkv s_ = (g0) + (g2);                     \
    o0 = (g0);                                \
    o1 = s_ + (g1);                           \
    o2 = s_ - (g1);                           \
    o3 = ((g0) + 2.0f * (g1)) + 4.0f * (g2);  \
    o4 = (g2);                                \
  } while (0)

/* Channel strides are at most TK_MAXCP (channels and planes are at most 4096, nn.h). The input
 * transform reads padding from tk_zero_ (never written); the adjoint writes padding to a sink. */
#define TK_MAXCP 4096
static float tk_zero_[TK_MAXCP];
#define TK_WB 64 /* channel block of the weight transforms (a multiple of every TKW) */

/* plain C: 4-float vectors (SSE2 on x86-64, NEON elsewhere) */
typedef float tkv4 __attribute__((vector_size(16)));
typedef float tkv4u __attribute__((vector_size(16), aligned(4), may_alias));
typedef int tki4 __attribute__((vector_size(16)));
#define tkv tkv4
#define tkvu tkv4u
#define tki tki4
#define TKW 4
#define TKFN(name) tk_##name##_c
#define TKATTR
#include "nn/train_kernels.inc"
#undef TKFN
#undef TKATTR
#undef TKW
#undef tkv
#undef tkvu
#undef tki

#if TK_X86
/* AVX2: 8-float vectors */
typedef float tkv8 __attribute__((vector_size(32)));
typedef float tkv8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef int tki8 __attribute__((vector_size(32)));
#define tkv tkv8
#define tkvu tkv8u
#define tki tki8
#define TKW 8
#define TKFN(name) tk_##name##_avx2
#define TKATTR TK_AVX2_ATTR
#include "nn/train_kernels.inc"
#undef TKFN
#undef TKATTR
#undef TKW
#undef tkv
#undef tkvu
#undef tki
#endif

/* ---------------------------------------------------------------------- GEMM, C --- */

static void gemm_nn_c(float *C, size_t ldc, const float *A, size_t lda, const float *B, size_t ldb, int m, int n,
                      int k) {
  for (int i = 0; i < m; i++) {
    float *c = C + (size_t)i * ldc;
    for (int j = 0; j < n; j++) c[j] = 0.0f;
    for (int p = 0; p < k; p++) {
      const float a = A[(size_t)i * lda + (size_t)p], *b = B + (size_t)p * ldb;
      for (int j = 0; j < n; j++) c[j] += a * b[j];
    }
  }
}

static void gemm_tn_c(float *C, size_t ldc, const float *A, size_t lda, const float *B, size_t ldb, int m, int n,
                      int k, int acc) {
  for (int i = 0; i < m; i++) {
    float *c = C + (size_t)i * ldc;
    if (!acc)
      for (int j = 0; j < n; j++) c[j] = 0.0f;
    for (int p = 0; p < k; p++) {
      const float a = A[(size_t)p * lda + (size_t)i], *b = B + (size_t)p * ldb;
      for (int j = 0; j < n; j++) c[j] += a * b[j];
    }
  }
}

#if TK_X86
/* ------------------------------------------------------------------- GEMM, AVX2 --- */
/* 6 x 16 micro-kernels (12 accumulators). Rows >= mr read row 0 and are not stored. */

#define TK_ALWAYS_INLINE inline __attribute__((always_inline))

TK_AVX2_ATTR static TK_ALWAYS_INLINE void mk_nn_avx2(int mr, int k, const float *A, size_t lda, const float *B,
                                                     size_t ldb, float *C, size_t ldc) {
  const float *a0 = A, *a1 = A + (mr > 1 ? lda : 0), *a2 = A + (mr > 2 ? 2 * lda : 0),
              *a3 = A + (mr > 3 ? 3 * lda : 0), *a4 = A + (mr > 4 ? 4 * lda : 0), *a5 = A + (mr > 5 ? 5 * lda : 0);
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(),
         c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(),
         c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int p = 0; p < k; p++) {
    const float *b = B + (size_t)p * ldb;
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), t;
    t = _mm256_broadcast_ss(a0 + p); c00 = _mm256_fmadd_ps(t, b0, c00); c01 = _mm256_fmadd_ps(t, b1, c01);
    t = _mm256_broadcast_ss(a1 + p); c10 = _mm256_fmadd_ps(t, b0, c10); c11 = _mm256_fmadd_ps(t, b1, c11);
    t = _mm256_broadcast_ss(a2 + p); c20 = _mm256_fmadd_ps(t, b0, c20); c21 = _mm256_fmadd_ps(t, b1, c21);
    t = _mm256_broadcast_ss(a3 + p); c30 = _mm256_fmadd_ps(t, b0, c30); c31 = _mm256_fmadd_ps(t, b1, c31);
    t = _mm256_broadcast_ss(a4 + p); c40 = _mm256_fmadd_ps(t, b0, c40); c41 = _mm256_fmadd_ps(t, b1, c41);
    t = _mm256_broadcast_ss(a5 + p); c50 = _mm256_fmadd_ps(t, b0, c50); c51 = _mm256_fmadd_ps(t, b1, c51);
  }
  _mm256_storeu_ps(C, c00); _mm256_storeu_ps(C + 8, c01);
  if (mr > 1) { _mm256_storeu_ps(C + ldc, c10); _mm256_storeu_ps(C + ldc + 8, c11); }
  if (mr > 2) { _mm256_storeu_ps(C + 2 * ldc, c20); _mm256_storeu_ps(C + 2 * ldc + 8, c21); }
  if (mr > 3) { _mm256_storeu_ps(C + 3 * ldc, c30); _mm256_storeu_ps(C + 3 * ldc + 8, c31); }
  if (mr > 4) { _mm256_storeu_ps(C + 4 * ldc, c40); _mm256_storeu_ps(C + 4 * ldc + 8, c41); }
  if (mr > 5) { _mm256_storeu_ps(C + 5 * ldc, c50); _mm256_storeu_ps(C + 5 * ldc + 8, c51); }
}

TK_AVX2_ATTR static TK_ALWAYS_INLINE void mk_tn_avx2(int mr, int k, const float *A, size_t lda, const float *B,
                                                     size_t ldb, float *C, size_t ldc, int acc) {
  const size_t r1 = mr > 1 ? 1 : 0, r2 = mr > 2 ? 2 : 0, r3 = mr > 3 ? 3 : 0, r4 = mr > 4 ? 4 : 0, r5 = mr > 5 ? 5 : 0;
  float *C1 = C + r1 * ldc, *C2 = C + r2 * ldc, *C3 = C + r3 * ldc, *C4 = C + r4 * ldc, *C5 = C + r5 * ldc;
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  if (acc) { /* rows >= mr alias row 0: loaded but never stored */
    c00 = _mm256_loadu_ps(C); c01 = _mm256_loadu_ps(C + 8);
    c10 = _mm256_loadu_ps(C1); c11 = _mm256_loadu_ps(C1 + 8);
    c20 = _mm256_loadu_ps(C2); c21 = _mm256_loadu_ps(C2 + 8);
    c30 = _mm256_loadu_ps(C3); c31 = _mm256_loadu_ps(C3 + 8);
    c40 = _mm256_loadu_ps(C4); c41 = _mm256_loadu_ps(C4 + 8);
    c50 = _mm256_loadu_ps(C5); c51 = _mm256_loadu_ps(C5 + 8);
  }
  for (int p = 0; p < k; p++) {
    const float *b = B + (size_t)p * ldb, *a = A + (size_t)p * lda;
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), t;
    t = _mm256_broadcast_ss(a); c00 = _mm256_fmadd_ps(t, b0, c00); c01 = _mm256_fmadd_ps(t, b1, c01);
    t = _mm256_broadcast_ss(a + r1); c10 = _mm256_fmadd_ps(t, b0, c10); c11 = _mm256_fmadd_ps(t, b1, c11);
    t = _mm256_broadcast_ss(a + r2); c20 = _mm256_fmadd_ps(t, b0, c20); c21 = _mm256_fmadd_ps(t, b1, c21);
    t = _mm256_broadcast_ss(a + r3); c30 = _mm256_fmadd_ps(t, b0, c30); c31 = _mm256_fmadd_ps(t, b1, c31);
    t = _mm256_broadcast_ss(a + r4); c40 = _mm256_fmadd_ps(t, b0, c40); c41 = _mm256_fmadd_ps(t, b1, c41);
    t = _mm256_broadcast_ss(a + r5); c50 = _mm256_fmadd_ps(t, b0, c50); c51 = _mm256_fmadd_ps(t, b1, c51);
  }
  _mm256_storeu_ps(C, c00); _mm256_storeu_ps(C + 8, c01);
  if (mr > 1) { _mm256_storeu_ps(C1, c10); _mm256_storeu_ps(C1 + 8, c11); }
  if (mr > 2) { _mm256_storeu_ps(C2, c20); _mm256_storeu_ps(C2 + 8, c21); }
  if (mr > 3) { _mm256_storeu_ps(C3, c30); _mm256_storeu_ps(C3 + 8, c31); }
  if (mr > 4) { _mm256_storeu_ps(C4, c40); _mm256_storeu_ps(C4 + 8, c41); }
  if (mr > 5) { _mm256_storeu_ps(C5, c50); _mm256_storeu_ps(C5 + 8, c51); }
}

/* 3 x 32 (12 accumulators): for row counts that are not multiples of 6 (a 9-tile chunk). */
TK_AVX2_ATTR static TK_ALWAYS_INLINE void mk_nn3_avx2(int mr, int k, const float *A, size_t lda, const float *B,
                                                      size_t ldb, float *C, size_t ldc) {
  const float *a0 = A, *a1 = A + (mr > 1 ? lda : 0), *a2 = A + (mr > 2 ? 2 * lda : 0);
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00,
         c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  for (int p = 0; p < k; p++) {
    const float *b = B + (size_t)p * ldb;
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), b2 = _mm256_loadu_ps(b + 16), b3 = _mm256_loadu_ps(b + 24), t;
    t = _mm256_broadcast_ss(a0 + p);
    c00 = _mm256_fmadd_ps(t, b0, c00); c01 = _mm256_fmadd_ps(t, b1, c01); c02 = _mm256_fmadd_ps(t, b2, c02); c03 = _mm256_fmadd_ps(t, b3, c03);
    t = _mm256_broadcast_ss(a1 + p);
    c10 = _mm256_fmadd_ps(t, b0, c10); c11 = _mm256_fmadd_ps(t, b1, c11); c12 = _mm256_fmadd_ps(t, b2, c12); c13 = _mm256_fmadd_ps(t, b3, c13);
    t = _mm256_broadcast_ss(a2 + p);
    c20 = _mm256_fmadd_ps(t, b0, c20); c21 = _mm256_fmadd_ps(t, b1, c21); c22 = _mm256_fmadd_ps(t, b2, c22); c23 = _mm256_fmadd_ps(t, b3, c23);
  }
  _mm256_storeu_ps(C, c00); _mm256_storeu_ps(C + 8, c01); _mm256_storeu_ps(C + 16, c02); _mm256_storeu_ps(C + 24, c03);
  if (mr > 1) { float *c = C + ldc; _mm256_storeu_ps(c, c10); _mm256_storeu_ps(c + 8, c11); _mm256_storeu_ps(c + 16, c12); _mm256_storeu_ps(c + 24, c13); }
  if (mr > 2) { float *c = C + 2 * ldc; _mm256_storeu_ps(c, c20); _mm256_storeu_ps(c + 8, c21); _mm256_storeu_ps(c + 16, c22); _mm256_storeu_ps(c + 24, c23); }
}

TK_AVX2_ATTR static void gemm_nn_avx2(float *C, size_t ldc, const float *A, size_t lda, const float *B, size_t ldb,
                                      int m, int n, int k) {
  if (m % 6 != 0 && n % 32 == 0) {
    for (int j = 0; j < n; j += 32)
      for (int i = 0; i < m; i += 3)
        mk_nn3_avx2(m - i < 3 ? m - i : 3, k, A + (size_t)i * lda, lda, B + j, ldb, C + (size_t)i * ldc + j, ldc);
    return;
  }
  for (int j = 0; j < n; j += 16)
    for (int i = 0; i < m; i += 6)
      mk_nn_avx2(m - i < 6 ? m - i : 6, k, A + (size_t)i * lda, lda, B + j, ldb, C + (size_t)i * ldc + j, ldc);
}

TK_AVX2_ATTR static void gemm_tn_avx2(float *C, size_t ldc, const float *A, size_t lda, const float *B, size_t ldb,
                                      int m, int n, int k, int acc) {
  for (int i = 0; i < m; i += 6)
    for (int j = 0; j < n; j += 16)
      mk_tn_avx2(m - i < 6 ? m - i : 6, k, A + i, lda, B + j, ldb, C + (size_t)i * ldc + j, ldc, acc);
}

#endif /* TK_X86 */

/* ---------------------------------------------------------------------- dispatch --- */

#if TK_X86
#define TK_DISPATCH_(isa, name, ...)                         \
  do {                                                       \
    if ((isa) == TK_ISA_AVX2) name##_avx2(__VA_ARGS__);      \
    else name##_c(__VA_ARGS__);                              \
  } while (0)
#else
#define TK_DISPATCH_(isa, name, ...) \
  do {                               \
    (void)(isa);                     \
    name##_c(__VA_ARGS__);           \
  } while (0)
#endif

void tk_input(tk_isa_t isa, float *V, size_t xs, size_t ts, const float *X, int nimg, const tk_geom_t *g, int Cp) {
  TK_DISPATCH_(isa, tk_input, V, xs, ts, X, nimg, g, Cp);
}

void tk_output(tk_isa_t isa, float *Y, float *sums, const float *M, size_t xs, size_t ts, int nimg, const tk_geom_t *g,
               int Cp) {
  TK_DISPATCH_(isa, tk_output, Y, sums, M, xs, ts, nimg, g, Cp);
}

void tk_output_adjoint(tk_isa_t isa, float *dM, size_t xs, size_t ts, const tk_bnsrc_t *src, int nimg,
                       const tk_geom_t *g, int Cp) {
  TK_DISPATCH_(isa, tk_output_adjoint, dM, xs, ts, src, nimg, g, Cp);
}

void tk_input_adjoint(tk_isa_t isa, float *dX, const float *dV, size_t xs, size_t ts, int nimg, const tk_geom_t *g,
                      int Cp) {
  TK_DISPATCH_(isa, tk_input_adjoint, dX, dV, xs, ts, nimg, g, Cp);
}

void tk_gemm_nn(tk_isa_t isa, float *C, size_t ldc, const float *A, size_t lda, const float *B, size_t ldb, int m,
                int n, int k) {
  TK_DISPATCH_(isa, gemm_nn, C, ldc, A, lda, B, ldb, m, n, k);
}

void tk_gemm_tn(tk_isa_t isa, float *C, size_t ldc, const float *A, size_t lda, const float *B, size_t ldb, int m,
                int n, int k, int acc) {
  TK_DISPATCH_(isa, gemm_tn, C, ldc, A, lda, B, ldb, m, n, k, acc);
}

void tk_bn_var(tk_isa_t isa, float *part, const float *x, const float *mean, int npos, int Cp) {
  TK_DISPATCH_(isa, tk_bn_var, part, x, mean, npos, Cp);
}

void tk_bn_relu(tk_isa_t isa, float *h, const float *c, const float *g, const float *be, int npos, int Cp) {
  TK_DISPATCH_(isa, tk_bn_relu, h, c, g, be, npos, Cp);
}

void tk_bn_add_relu(tk_isa_t isa, float *x, const float *xin, const float *c, const float *g, const float *be,
                    float mult, int npos, int Cp) {
  TK_DISPATCH_(isa, tk_bn_add_relu, x, xin, c, g, be, mult, npos, Cp);
}

void tk_bnb_reduce(tk_isa_t isa, float *s1, float *s2, const tk_bnsrc_t *src, int npos, int Cp) {
  TK_DISPATCH_(isa, tk_bnb_reduce, s1, s2, src, npos, Cp);
}

void tk_mask(tk_isa_t isa, float *out, const float *d, const float *o, size_t n) {
  TK_DISPATCH_(isa, tk_mask, out, d, o, n);
}

void tk_head_fwd(tk_isa_t isa, float *pc, float *vc, const float *x, const float *w3, int nimg, int hw, int Cp) {
  TK_DISPATCH_(isa, tk_head_fwd, pc, vc, x, w3, nimg, hw, Cp);
}

void tk_head_bwd(tk_isa_t isa, float *dx, float *dw3, const float *dpc, const float *dvc, const float *x,
                 const float *w3, int nimg, int hw, int Cp) {
  TK_DISPATCH_(isa, tk_head_bwd, dx, dw3, dpc, dvc, x, w3, nimg, hw, Cp);
}

void tk_lin_fwd(tk_isa_t isa, float *out, const float *inp, const float *Wt, const float *bias, float mult, int B,
                int IC, int OC) {
  TK_DISPATCH_(isa, tk_lin_fwd, out, inp, Wt, bias, mult, B, IC, OC);
}

void tk_lin_bwd_w(tk_isa_t isa, float *dW, const float *dout, const float *inp, float mult, int B, int IC, int OC,
                  int o0, int o1) {
  TK_DISPATCH_(isa, tk_lin_bwd_w, dW, dout, inp, mult, B, IC, OC, o0, o1);
}

void tk_lin_bwd_x(tk_isa_t isa, float *dinp, const float *dout, const float *W, float mult, int B, int IC, int OC) {
  TK_DISPATCH_(isa, tk_lin_bwd_x, dinp, dout, W, mult, B, IC, OC);
}

/* ------------------------------------------------------------- weight transforms --- */

void tk_wino_weights(tk_isa_t isa, float *U, const float *w, int OC, int IC, int OCp, int ic0, int ic1) {
  TK_DISPATCH_(isa, tk_wino_weights, U, w, OC, IC, OCp, ic0, ic1);
}

void tk_wino_weights_t(tk_isa_t isa, float *Ut, const float *w, int OC, int IC, int ICp, int oc0, int oc1) {
  TK_DISPATCH_(isa, tk_wino_weights_t, Ut, w, OC, IC, ICp, oc0, oc1);
}

void tk_wino_dweights(tk_isa_t isa, float *dw, const float *dU, int nparts, size_t pstride, int OC, int IC, int OCp,
                      int ic0, int ic1) {
  TK_DISPATCH_(isa, tk_wino_dweights, dw, dU, nparts, pstride, OC, IC, OCp, ic0, ic1);
}

/* ------------------------------------------------------------------ naive twin --- */

void tk_conv3x3_naive(float *Y, const float *X, const float *w, int nimg, int n, int IC, int ICp, int OC, int OCp) {
  for (int im = 0; im < nimg; im++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        float *out = Y + (((size_t)im * (size_t)n + (size_t)y) * (size_t)n + (size_t)x) * (size_t)OCp;
        for (int oc = 0; oc < OCp; oc++) {
          double s = 0.0;
          for (int ic = 0; oc < OC && ic < IC; ic++)
            for (int ky = 0; ky < 3; ky++)
              for (int kx = 0; kx < 3; kx++) {
                int iy = y + ky - 1, ix = x + kx - 1;
                if (iy < 0 || iy >= n || ix < 0 || ix >= n) continue;
                s += (double)X[(((size_t)im * (size_t)n + (size_t)iy) * (size_t)n + (size_t)ix) * (size_t)ICp + (size_t)ic] *
                     w[(((size_t)oc * (size_t)IC + (size_t)ic) * 3 + (size_t)ky) * 3 + (size_t)kx];
              }
          out[oc] = (float)s;
        }
      }
}
