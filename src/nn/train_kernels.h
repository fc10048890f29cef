/* train_kernels.h — kernels of the fast training path (internal to src/nn; see train_goresnet.c).
 *
 * Layout: activations are NHWC with a padded channel stride Cp = channels rounded up to 16
 * (tk_pad); element (img, pos = y*n + x, c) at [(img*n*n + pos)*Cp + c]. Padded channels are
 * zero and every kernel keeps them zero (per-channel coefficient vectors are zero there).
 *
 * 3x3 convolutions (stride 1, zero padding 1) use Winograd F(3x3, 3x3) with the interpolation
 * points 0, 1, -1, 2, inf (the inference path's choice, infer_kernels.h): an n x n board is
 * cut into nt x nt tiles of 3x3 outputs (nt = ceil(n/3)), each reading a 5x5 input patch.
 *   U[xi][ic][oc]  = (G w[oc][ic] G^T)[xi]                weights  (G below, integer entries)
 *   V[xi][t][ic]   = (B^T d[t][ic] B)[xi]                 input tile t (B^T carries 1/2, 1/6)
 *   M[xi][t][oc]   = sum_ic V[xi][t][ic] U[xi][ic][oc]   25 GEMMs
 *   y[t][oc]       = A^T M[.][t][oc] A                    output tile
 * and the backward is the exact adjoint of each linear step:
 *   dM = A dy A^T,  dU[xi] = V[xi]^T dM[xi],  dV[xi] = dM[xi] U[xi]^T,  dd = B dV B^T (summed
 *   over the overlapping patches),  dw = G^T dU G.
 * Per tile and channel pair 25 multiplies instead of 81. Tiles t are numbered image-major:
 * t = img*nt*nt + ty*nt + tx. A transformed tensor holds element (xi, t, c) at
 * [xi*xs + t*ts + c]: xi-stride xs and tile stride ts (the training path uses the tile-major
 * xs = Cp, ts = 25*Cp, so a transform reads or writes one contiguous block per tile; then the
 * GEMM of point xi sees rows t with stride ts).
 *
 * Every kernel exists as plain C (the twin the tests compare against and the fallback) and as
 * AVX2+FMA; tk_isa_detect picks at run time. (No AVX-512 version: the development machine, a
 * Zen 3 EPYC, has none, and untested kernels are not shipped.) Results are bitwise
 * deterministic for a given ISA (no threads in here: callers partition by image or by rows).
 *
 * defines: tk_isa_t, tk_isa_detect, tk_isa_name, tk_geom_t, tk_geom, tk_pad, tk_input, tk_output,
 *          tk_output_adjoint, tk_input_adjoint, tk_gemm_nn, tk_gemm_tn, tk_wino_weights,
 *          tk_wino_weights_t, tk_wino_dweights, tk_bn_var, tk_bn_relu, tk_bn_add_relu,
 *          tk_bnb_reduce, tk_mask, tk_head_fwd, tk_head_bwd, tk_lin_fwd, tk_lin_bwd_w, tk_lin_bwd_x, tk_conv3x3_naive
 */
#ifndef ROCKS_NN_TRAIN_KERNELS_H
#define ROCKS_NN_TRAIN_KERNELS_H

#include <stddef.h>

typedef enum { TK_ISA_C = 0, TK_ISA_AVX2 = 1 } tk_isa_t;

/* Best kernel set this CPU runs: AVX2 needs avx2 + fma. */
tk_isa_t tk_isa_detect(void);
const char *tk_isa_name(tk_isa_t isa);

typedef struct {
  int n;  /* board side                    */
  int nt; /* tiles per side, ceil(n/3)      */
  int ti; /* tiles per image, nt*nt         */
  int hw; /* positions per image, n*n       */
} tk_geom_t;

tk_geom_t tk_geom(int n);
static inline int tk_pad(int c) { return (c + 15) & ~15; }

/* ---------------------------------------------------------------- Winograd transforms --- */

/* V (strides xs, ts) for nimg images of X (NHWC, stride Cp). */
void tk_input(tk_isa_t isa, float *V, size_t xs, size_t ts, const float *X, int nimg, const tk_geom_t *g, int Cp);
/* Y (NHWC) = A^T M A for nimg images; sums (nimg x Cp, may be NULL) = per-image channel sums of Y. */
void tk_output(tk_isa_t isa, float *Y, float *sums, const float *M, size_t xs, size_t ts, int nimg,
               const tk_geom_t *g, int Cp);

/* The gradient at a BatchNorm'd conv output, computed on the fly from the BN output gradient:
 *   gy  = mult * (o > 0 ? d : 0)          (o == NULL: mult * d)            -- ReLU + branch mult
 *   dc  = k * (gy - md - (c - mean) * rm)                                  -- BN backward
 * with per-channel vectors k = gamma*rstd, md = mean(gy), mean, rm = rstd * mean(gy*xhat).
 * When og != NULL the ReLU output is not stored: the mask is c*og + obe > 0 (the forward's
 * h = max(c*og + obe, 0) recomputed with the same float operations) and o is unused.
 * d, o, c are NHWC (stride Cp) and point at the first image of the call. */
typedef struct {
  const float *d, *o, *c;
  const float *og, *obe;
  const float *k, *md, *mean, *rm;
  float mult;
} tk_bnsrc_t;

/* dM = A dc A^T for nimg images (dc from src as above). */
void tk_output_adjoint(tk_isa_t isa, float *dM, size_t xs, size_t ts, const tk_bnsrc_t *src, int nimg,
                       const tk_geom_t *g, int Cp);
/* dX (NHWC) += B dV B^T summed over the patches of nimg images (dX initialised by the caller). */
void tk_input_adjoint(tk_isa_t isa, float *dX, const float *dV, size_t xs, size_t ts, int nimg,
                      const tk_geom_t *g, int Cp);

/* ---------------------------------------------------------------------------- GEMMs --- */

/* C (m x n) = A (m x k) B (k x n); row strides lda, ldb, ldc; n a multiple of 16. */
void tk_gemm_nn(tk_isa_t isa, float *C, size_t ldc, const float *A, size_t lda, const float *B,
                size_t ldb, int m, int n, int k);
/* C (m x n) += A^T B (acc != 0) or = A^T B (acc == 0), with A (k x m), B (k x n); n a multiple
 * of 16. */
void tk_gemm_tn(tk_isa_t isa, float *C, size_t ldc, const float *A, size_t lda, const float *B,
                size_t ldb, int m, int n, int k, int acc);

/* ------------------------------------------------------------------ weight transforms --- */

/* U[xi][ic][oc] (plane stride IC*OCp, oc >= OC zero) for ic in [ic0, ic1), w (OC, IC, 3, 3). */
void tk_wino_weights(tk_isa_t isa, float *U, const float *w, int OC, int IC, int OCp, int ic0, int ic1);
/* Ut[xi][oc][ic] (plane stride OC*ICp, ic >= IC zero) for oc in [oc0, oc1). */
void tk_wino_weights_t(tk_isa_t isa, float *Ut, const float *w, int OC, int IC, int ICp, int oc0, int oc1);
/* dw (OC, IC, 3, 3) += G^T (sum_p dU_p) G for ic in [ic0, ic1), where dU_p = dU + p*pstride,
 * p < nparts, each laid out as U (plane stride IC*OCp). The parts are summed in order p = 0.. */
void tk_wino_dweights(tk_isa_t isa, float *dw, const float *dU, int nparts, size_t pstride, int OC, int IC, int OCp,
                      int ic0, int ic1);

/* ----------------------------------------------------------------------- elementwise --- */
/* npos positions of Cp channels (NHWC rows); per-channel vectors have Cp entries.          */

/* part[c] = sum_pos (x[pos][c] - mean[c])^2 */
void tk_bn_var(tk_isa_t isa, float *part, const float *x, const float *mean, int npos, int Cp);
/* h = max(c*g + be, 0) */
void tk_bn_relu(tk_isa_t isa, float *h, const float *c, const float *g, const float *be, int npos, int Cp);
/* x = max(xin + mult*(c*g + be), 0) */
void tk_bn_add_relu(tk_isa_t isa, float *x, const float *xin, const float *c, const float *g, const float *be,
                    float mult, int npos, int Cp);
/* s1[c] = sum_pos gy, s2[c] = sum_pos gy*(c - mean) with gy as in tk_bnsrc_t (k, md, rm unused). */
void tk_bnb_reduce(tk_isa_t isa, float *s1, float *s2, const tk_bnsrc_t *src, int npos, int Cp);
/* out = o > 0 ? d : 0 over n floats. */
void tk_mask(tk_isa_t isa, float *out, const float *d, const float *o, size_t n);

/* The heads' 1x1 convs on the trunk output x (NHWC): w3 holds 3 rows of Cp weights (policy
 * channels 0 and 1, value). fwd: pc (nimg, 2, hw) and vc (nimg, 1, hw), NCHW as the heads use.
 * bwd: dx (NHWC, written, not accumulated) = sum_k d_k w3[k]; dw3 (nimg x 3 x Cp) = the
 * per-image weight gradients sum_pos d_k(pos) x[pos]. */
void tk_head_fwd(tk_isa_t isa, float *pc, float *vc, const float *x, const float *w3, int nimg, int hw, int Cp);
void tk_head_bwd(tk_isa_t isa, float *dx, float *dw3, const float *dpc, const float *dvc, const float *x,
                 const float *w3, int nimg, int hw, int Cp);

/* Linear layers of the heads (rows b of B; weights (OC, IC) as PyTorch; Wt = W^T (IC, OC)).
 * fwd: out[b] = mult * inp[b] W^T + bias (bias may be NULL).
 * bwd_w: dW[o][i] += mult * sum_b dout[b][o] inp[b][i] for o in [o0, o1).
 * bwd_x: dinp[b][i] += mult * sum_o dout[b][o] W[o][i] for the given rows. */
void tk_lin_fwd(tk_isa_t isa, float *out, const float *inp, const float *Wt, const float *bias, float mult,
                int B, int IC, int OC);
void tk_lin_bwd_w(tk_isa_t isa, float *dW, const float *dout, const float *inp, float mult, int B, int IC,
                  int OC, int o0, int o1);
void tk_lin_bwd_x(tk_isa_t isa, float *dinp, const float *dout, const float *W, float mult, int B, int IC,
                  int OC);

/* Reference twin for the tests: direct 3x3 convolution (padding 1) on NHWC, double sums. */
void tk_conv3x3_naive(float *Y, const float *X, const float *w, int nimg, int n, int IC, int ICp, int OC,
                      int OCp);

#endif
