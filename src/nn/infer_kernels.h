/* infer_kernels.h — kernels of the fast inference path (internal to src/nn; see infer.h).
 *
 * Activation layout ("padded NHWC"): act[pos][p][p][cp] with p = 3*nt + 2, nt = ceil(n/3),
 * board point (y, x) stored at (y+1, x+1); the border and the points beyond the board
 * (y or x >= n) are zero and stay zero, so 3x3 convolutions need no bounds checks.
 * cp (channel stride) is a multiple of 8 (one AVX2 vector); padded channels are zero.
 *
 * 3x3 convolution: Winograd F(3x3, 3x3) with interpolation points 0, 1, -1, 2, inf.
 * A 9x9 board is exactly 3x3 tiles of 3x3 outputs; each tile reads a 5x5 input patch.
 * Per tile and channel pair: 25 multiplies instead of 81 (3.24x fewer).
 *   U[xi][c][k] = (G'' w[k][c] G''^T)[xi]    weights, once at build time (double precision)
 *   V[xi][t][c] = (D B^T d[t][c] B D)[xi]     input transform, per tile t (G = D G'', see .c)
 *   M[t][xi][k] = sum_c V[xi][t][c] U[xi][c][k]   25 GEMMs (T x cin) x (cin x kp)
 *   y[t][k]     = A^T M[t][.][k] A + bias[k] (+ residual) (ReLU)
 * U is packed in panels of 16 output channels: U[xi][kp/16][cin][16].
 *
 * Every kernel has a plain C version (the reference twin and the fallback) and an AVX2+FMA
 * version chosen at run time (infer_isa_detect); the tests compare them.
 *
 * defines: infer_isa_t, infer_isa_detect, infer_geom_t, infer_geom_init,
 *          infer_wino_weights, infer_wino_weight_floats, infer_wino_input, infer_wino_gemm,
 *          infer_wino_output, infer_conv3x3_naive
 */
#ifndef ROCKS_NN_INFER_KERNELS_H
#define ROCKS_NN_INFER_KERNELS_H

#include <stddef.h>

#include "nn/infer.h"

typedef nn_infer_isa_t infer_isa_t;
#define INFER_ISA_C NN_INFER_ISA_C
#define INFER_ISA_AVX2 NN_INFER_ISA_AVX2

/* Best kernel set this CPU runs (AVX2 needs avx2 + fma). */
infer_isa_t infer_isa_detect(void);

typedef struct {
  int n;     /* board side                          */
  int nt;    /* Winograd tiles per side, ceil(n/3)   */
  int p;     /* padded side, 3*nt + 2                */
  int tiles; /* tiles per position, nt*nt           */
} infer_geom_t;

infer_geom_t infer_geom_init(int n);

/* Floats of a transformed, packed weight tensor for cout x cin (kp = cout rounded up to 16). */
size_t infer_wino_weight_floats(int cout, int cin);

/* U[25][kp/16][cin][16] from w (cout, cin, 3, 3) (PyTorch order); columns k >= cout are 0. */
void infer_wino_weights(float *U, const float *w, int cout, int cin);

/* V[25][T][cp] for the npos positions at act (T = npos * g->tiles; all cp channels). */
void infer_wino_input(infer_isa_t isa, float *V, const float *act, int npos, const infer_geom_t *g,
                      int cp);

/* M[T][25][kp] columns [16*kb0, 16*kb1) = V (T x cin, row stride cp) times U (cin x kp). */
void infer_wino_gemm(infer_isa_t isa, float *M, const float *V, const float *U, int T, int cp,
                     int cin, int kp, int kb0, int kb1);

/* Output transform of channels [k0, k1) (multiples of 8) into out (padded NHWC, stride cpo):
 * out = A^T M A + bias, plus res (same layout as out) when res != NULL, then ReLU if relu. */
void infer_wino_output(infer_isa_t isa, float *out, const float *M, const float *bias,
                       const float *res, int relu, int npos, const infer_geom_t *g, int cpo,
                       int kp, int k0, int k1);

/* Reference twin: direct 3x3 convolution, padding 1, on padded NHWC; w (cout, cin, 3, 3).
 * Writes channels [0, cout) of out; same bias/residual/ReLU contract as infer_wino_output. */
void infer_conv3x3_naive(float *out, const float *in, const float *w, const float *bias,
                         const float *res, int relu, int npos, const infer_geom_t *g, int cpi,
                         int cin, int cpo, int cout);

#endif
