/* ops.c — the CPU kernels of the reference path, each with a plain twin kept as the algorithmic
 * reference (tests compare the two, and both against PyTorch).
 *
 * defines: nn_set_threads, nn_get_threads, conv2d_*, batchnorm_*, relu_*, residual_*, linear_*, tanh_*,
 *          softmax_crossentropy_*, mse_*
 *
 * Conventions (nn.h): NCHW float32, outputs first, `d` prefix for gradients, every backward
 * accumulates (+=). Reductions accumulate in double so results do not depend on the order much.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "nn/nn.h"

static int nn_threads_ = 0; /* the last nn_set_threads value > 0 (0: not set) */

void nn_set_threads(int nthreads) {
  if (nthreads > 0) {
    openblas_set_num_threads(nthreads);
    nn_threads_ = nthreads;
  }
}

int nn_get_threads(void) {
  if (nn_threads_ > 0) return nn_threads_;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* ------------------------------------------------------------------------------- conv2d --- */

size_t conv2d_scratch_floats(int B, int IC, int OC, int H, int W, int K) {
  size_t bhw = (size_t)B * (size_t)H * (size_t)W;
  return (size_t)IC * (size_t)K * (size_t)K * bhw + (size_t)OC * bhw;
}

/* col (IC*K*K, B*H*W) from inp (B,IC,H,W), zero padding K/2: row (ic,ky,kx) holds the input
 * shifted by (ky-pad, kx-pad). Each output row is a memcpy of the valid span plus zeroed edges. */
static void im2col_(float *col, const float *inp, int B, int IC, int H, int W, int K) {
  int pad = K / 2, HW = H * W;
  size_t bhw = (size_t)B * (size_t)HW;
  for (int ic = 0; ic < IC; ic++) {
    for (int ky = 0; ky < K; ky++) {
      for (int kx = 0; kx < K; kx++) {
        float *row = col + ((size_t)(ic * K + ky) * K + kx) * bhw;
        int dx = kx - pad, x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? W - dx : W; // valid x in [x0, x1)
        for (int b = 0; b < B; b++) {
          const float *ip = inp + ((size_t)b * IC + ic) * HW;
          float *rp = row + (size_t)b * HW;
          if (K == 1) {
            memcpy(rp, ip, sizeof(float) * (size_t)HW);
            continue;
          }
          for (int y = 0; y < H; y++) {
            int iy = y + ky - pad;
            float *o = rp + y * W;
            if (iy < 0 || iy >= H || x1 <= x0) {
              memset(o, 0, sizeof(float) * (size_t)W);
              continue;
            }
            for (int x = 0; x < x0; x++) o[x] = 0.0f;
            memcpy(o + x0, ip + iy * W + x0 + dx, sizeof(float) * (size_t)(x1 - x0));
            for (int x = x1; x < W; x++) o[x] = 0.0f;
          }
        }
      }
    }
  }
}

/* dinp (B,IC,H,W) += col2im(dcol (IC*K*K, B*H*W)), the adjoint of im2col_. */
static void col2im_add_(float *dinp, const float *dcol, int B, int IC, int H, int W, int K) {
  int pad = K / 2, HW = H * W;
  size_t bhw = (size_t)B * (size_t)HW;
  for (int ic = 0; ic < IC; ic++) {
    for (int ky = 0; ky < K; ky++) {
      for (int kx = 0; kx < K; kx++) {
        const float *row = dcol + ((size_t)(ic * K + ky) * K + kx) * bhw;
        int dx = kx - pad, x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? W - dx : W;
        for (int b = 0; b < B; b++) {
          float *ip = dinp + ((size_t)b * IC + ic) * HW;
          const float *rp = row + (size_t)b * HW;
          for (int y = 0; y < H; y++) {
            int iy = y + ky - pad;
            if (iy < 0 || iy >= H) continue;
            float *d = ip + iy * W + dx;
            const float *r = rp + y * W;
            for (int x = x0; x < x1; x++) d[x] += r[x];
          }
        }
      }
    }
  }
}

void conv2d_forward(float *out, const float *inp, const float *weight, float *scratch,
                    int B, int IC, int OC, int H, int W, int K) {
  // col (IC*K*K, B*HW); res (OC, B*HW) = weight (OC, IC*K*K) @ col; then res -> out (B,OC,HW)
  int HW = H * W, CKK = IC * K * K;
  int BHW = B * HW;
  float *col = scratch;
  float *res = scratch + (size_t)CKK * (size_t)BHW;
  im2col_(col, inp, B, IC, H, W, K);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, BHW, CKK, 1.0f, weight, CKK, col, BHW,
              0.0f, res, BHW);
  for (int b = 0; b < B; b++)
    for (int oc = 0; oc < OC; oc++)
      memcpy(out + ((size_t)b * OC + oc) * HW, res + (size_t)oc * BHW + (size_t)b * HW, sizeof(float) * (size_t)HW);
}

void conv2d_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, float *scratch, int B, int IC, int OC, int H, int W, int K) {
  int HW = H * W, CKK = IC * K * K;
  int BHW = B * HW;
  float *col = scratch;
  float *dres = scratch + (size_t)CKK * (size_t)BHW;
  // dres (OC, B*HW) <- dout (B,OC,HW)
  for (int b = 0; b < B; b++)
    for (int oc = 0; oc < OC; oc++)
      memcpy(dres + (size_t)oc * BHW + (size_t)b * HW, dout + ((size_t)b * OC + oc) * HW, sizeof(float) * (size_t)HW);
  // dweight (OC, CKK) += dres @ col^T
  im2col_(col, inp, B, IC, H, W, K);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, OC, CKK, BHW, 1.0f, dres, BHW, col, BHW,
              1.0f, dweight, CKK);
  if (!dinp) return;
  // dcol (CKK, B*HW) = weight^T @ dres, then scattered back onto dinp
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CKK, BHW, OC, 1.0f, weight, CKK, dres, BHW,
              0.0f, col, BHW);
  col2im_add_(dinp, col, B, IC, H, W, K);
}

void conv2d_forward_naive(float *out, const float *inp, const float *weight,
                          int B, int IC, int OC, int H, int W, int K) {
  int pad = K / 2;
  for (int b = 0; b < B; b++)
    for (int oc = 0; oc < OC; oc++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
          double s = 0.0;
          for (int ic = 0; ic < IC; ic++)
            for (int ky = 0; ky < K; ky++)
              for (int kx = 0; kx < K; kx++) {
                int iy = y + ky - pad, ix = x + kx - pad;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += (double)inp[((b * IC + ic) * H + iy) * W + ix] * weight[((oc * IC + ic) * K + ky) * K + kx];
              }
          out[((b * OC + oc) * H + y) * W + x] = (float)s;
        }
}

void conv2d_backward_naive(float *dinp, float *dweight, const float *dout, const float *inp,
                           const float *weight, int B, int IC, int OC, int H, int W, int K) {
  int pad = K / 2;
  for (int b = 0; b < B; b++)
    for (int oc = 0; oc < OC; oc++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
          float d = dout[((b * OC + oc) * H + y) * W + x];
          for (int ic = 0; ic < IC; ic++)
            for (int ky = 0; ky < K; ky++)
              for (int kx = 0; kx < K; kx++) {
                int iy = y + ky - pad, ix = x + kx - pad;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                int wi = ((oc * IC + ic) * K + ky) * K + kx, ii = ((b * IC + ic) * H + iy) * W + ix;
                dweight[wi] += d * inp[ii];
                if (dinp) dinp[ii] += d * weight[wi];
              }
        }
}

/* ---------------------------------------------------------------------------- batchnorm --- */

void batchnorm_forward(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                       const float *inp, const float *weight, const float *bias,
                       int B, int C, int HW, float eps, float momentum) {
  size_t n = (size_t)B * (size_t)HW;
  for (int c = 0; c < C; c++) {
    // two passes in double: mean, then the biased variance
    double s = 0.0;
    for (int b = 0; b < B; b++) {
      const float *x = inp + ((size_t)b * C + c) * HW;
      for (int i = 0; i < HW; i++) s += x[i];
    }
    double mu = s / (double)n, ss = 0.0;
    for (int b = 0; b < B; b++) {
      const float *x = inp + ((size_t)b * C + c) * HW;
      for (int i = 0; i < HW; i++) {
        double d = x[i] - mu;
        ss += d * d;
      }
    }
    double var = ss / (double)n;
    float m = (float)mu, r = (float)(1.0 / sqrt(var + (double)eps));
    mean[c] = m;
    rstd[c] = r;
    if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m;
    if (running_var) {
      double unbiased = n > 1 ? ss / (double)(n - 1) : var;
      running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (float)unbiased;
    }
    float g = weight[c] * r, be = bias[c] - m * g; // y = x*g + be
    for (int b = 0; b < B; b++) {
      const float *x = inp + ((size_t)b * C + c) * HW;
      float *y = out + ((size_t)b * C + c) * HW;
      for (int i = 0; i < HW; i++) y[i] = x[i] * g + be;
    }
  }
}

void batchnorm_forward_eval(float *out, const float *inp, const float *weight, const float *bias,
                            const float *running_mean, const float *running_var,
                            int B, int C, int HW, float eps) {
  for (int c = 0; c < C; c++) {
    float g = weight[c] / sqrtf(running_var[c] + eps), be = bias[c] - running_mean[c] * g;
    for (int b = 0; b < B; b++) {
      const float *x = inp + ((size_t)b * C + c) * HW;
      float *y = out + ((size_t)b * C + c) * HW;
      for (int i = 0; i < HW; i++) y[i] = x[i] * g + be;
    }
  }
}

void batchnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *mean, const float *rstd,
                        const float *weight, int B, int C, int HW) {
  size_t n = (size_t)B * (size_t)HW;
  for (int c = 0; c < C; c++) {
    // sums of dout and dout*xhat over the channel
    double sd = 0.0, sdx = 0.0;
    float m = mean[c], r = rstd[c];
    for (int b = 0; b < B; b++) {
      const float *x = inp + ((size_t)b * C + c) * HW;
      const float *dy = dout + ((size_t)b * C + c) * HW;
      for (int i = 0; i < HW; i++) {
        sd += dy[i];
        sdx += (double)dy[i] * ((x[i] - m) * r);
      }
    }
    dbias[c] += (float)sd;
    dweight[c] += (float)sdx;
    // dx = gamma*rstd * (dy - mean(dy) - xhat*mean(dy*xhat))
    float k = weight[c] * r, md = (float)(sd / (double)n), mdx = (float)(sdx / (double)n);
    for (int b = 0; b < B; b++) {
      const float *x = inp + ((size_t)b * C + c) * HW;
      const float *dy = dout + ((size_t)b * C + c) * HW;
      float *dx = dinp + ((size_t)b * C + c) * HW;
      for (int i = 0; i < HW; i++) dx[i] += k * (dy[i] - md - (x[i] - m) * r * mdx);
    }
  }
}

/* Twin: the textbook chain rule through mean and variance, one element at a time. */
void batchnorm_forward_naive(float *out, float *mean, float *rstd, float *running_mean,
                             float *running_var, const float *inp, const float *weight,
                             const float *bias, int B, int C, int HW, float eps, float momentum) {
  float n = (float)(B * HW);
  for (int c = 0; c < C; c++) {
    float s = 0.0f;
    for (int b = 0; b < B; b++)
      for (int i = 0; i < HW; i++) s += inp[(b * C + c) * HW + i];
    float mu = s / n, v = 0.0f;
    for (int b = 0; b < B; b++)
      for (int i = 0; i < HW; i++) {
        float d = inp[(b * C + c) * HW + i] - mu;
        v += d * d;
      }
    float var = v / n;
    mean[c] = mu;
    rstd[c] = 1.0f / sqrtf(var + eps);
    if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mu;
    if (running_var) running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (n > 1 ? v / (n - 1) : var);
    for (int b = 0; b < B; b++)
      for (int i = 0; i < HW; i++) {
        int k = (b * C + c) * HW + i;
        out[k] = (inp[k] - mu) / sqrtf(var + eps) * weight[c] + bias[c];
      }
  }
}

void batchnorm_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *mean, const float *rstd,
                              const float *weight, int B, int C, int HW) {
  float n = (float)(B * HW);
  for (int c = 0; c < C; c++) {
    float mu = mean[c], r = rstd[c];
    // y = gamma*xhat + beta, xhat = (x-mu)*r, r = (var+eps)^-1/2
    float dvar = 0.0f, dmu = 0.0f, sumdx = 0.0f;
    for (int b = 0; b < B; b++)
      for (int i = 0; i < HW; i++) {
        int k = (b * C + c) * HW + i;
        float dxhat = dout[k] * weight[c];
        dbias[c] += dout[k];
        dweight[c] += dout[k] * (inp[k] - mu) * r;
        dvar += dxhat * (inp[k] - mu) * -0.5f * r * r * r;
        dmu += -dxhat * r;
        sumdx += -2.0f * (inp[k] - mu);
      }
    dmu += dvar * sumdx / n;
    for (int b = 0; b < B; b++)
      for (int i = 0; i < HW; i++) {
        int k = (b * C + c) * HW + i;
        dinp[k] += dout[k] * weight[c] * r + dvar * 2.0f * (inp[k] - mu) / n + dmu / n;
      }
  }
}

/* --------------------------------------------------------------- relu, residual, tanh --- */

void relu_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void relu_backward(float *dinp, const float *dout, const float *out, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}

void residual_forward(float *out, const float *inp1, const float *inp2, float alpha, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = inp1[i] + alpha * inp2[i];
}

void residual_backward(float *dinp1, float *dinp2, const float *dout, float alpha, size_t n) {
  if (dinp1)
    for (size_t i = 0; i < n; i++) dinp1[i] += dout[i];
  if (dinp2)
    for (size_t i = 0; i < n; i++) dinp2[i] += alpha * dout[i];
}

void tanh_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

void tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

/* ------------------------------------------------------------------------------- linear --- */

void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    float mult, int B, int IC, int OC) {
  // out (B,OC) = bias + mult * inp (B,IC) @ weight^T (IC,OC)
  for (int b = 0; b < B; b++)
    for (int o = 0; o < OC; o++) out[(size_t)b * OC + o] = bias ? bias[o] : 0.0f;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OC, IC, mult, inp, IC, weight, IC, 1.0f, out, OC);
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, float mult, int B, int IC, int OC) {
  // dweight (OC,IC) += mult * dout^T (OC,B) @ inp (B,IC); dinp (B,IC) += mult * dout (B,OC) @ weight
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, B, mult, dout, OC, inp, IC, 1.0f, dweight, IC);
  if (dinp)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, IC, OC, mult, dout, OC, weight, IC, 1.0f, dinp, IC);
  if (dbias)
    for (int o = 0; o < OC; o++) {
      double s = 0.0;
      for (int b = 0; b < B; b++) s += dout[(size_t)b * OC + o];
      dbias[o] += (float)s;
    }
}

void linear_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          float mult, int B, int IC, int OC) {
  for (int b = 0; b < B; b++)
    for (int o = 0; o < OC; o++) {
      double s = 0.0;
      for (int i = 0; i < IC; i++) s += (double)inp[b * IC + i] * weight[o * IC + i];
      out[b * OC + o] = (float)(mult * s) + (bias ? bias[o] : 0.0f);
    }
}

void linear_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, float mult, int B, int IC, int OC) {
  for (int b = 0; b < B; b++)
    for (int o = 0; o < OC; o++) {
      float d = mult * dout[b * OC + o];
      for (int i = 0; i < IC; i++) {
        dweight[o * IC + i] += d * inp[b * IC + i];
        if (dinp) dinp[b * IC + i] += d * weight[o * IC + i];
      }
      if (dbias) dbias[o] += dout[b * OC + o];
    }
}

/* ------------------------------------------------------------------------------- losses --- */

float softmax_crossentropy_forward(float *probs, const float *logits, const float *targets, int B, int V) {
  double total = 0.0;
  for (int b = 0; b < B; b++) {
    const float *z = logits + (size_t)b * V;
    const float *t = targets + (size_t)b * V;
    float *p = probs + (size_t)b * V;
    float mx = z[0];
    for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
    double s = 0.0;
    for (int v = 0; v < V; v++) s += exp((double)(z[v] - mx));
    double lse = mx + log(s), st = 0.0, stz = 0.0;
    for (int v = 0; v < V; v++) {
      p[v] = (float)exp((double)z[v] - lse);
      st += t[v];
      stz += (double)t[v] * z[v];
    }
    total += lse * st - stz;
  }
  return (float)(total / B);
}

void softmax_crossentropy_backward(float *dlogits, const float *probs, const float *targets,
                                   float dloss, int B, int V) {
  float k = dloss / (float)B;
  for (int b = 0; b < B; b++) {
    const float *p = probs + (size_t)b * V;
    const float *t = targets + (size_t)b * V;
    float *dz = dlogits + (size_t)b * V;
    double st = 0.0;
    for (int v = 0; v < V; v++) st += t[v];
    for (int v = 0; v < V; v++) dz[v] += k * (p[v] * (float)st - t[v]);
  }
}

float mse_forward(const float *pred, const float *target, int B) {
  double s = 0.0;
  for (int b = 0; b < B; b++) {
    double d = (double)pred[b] - target[b];
    s += d * d;
  }
  return (float)(s / B);
}

void mse_backward(float *dpred, const float *pred, const float *target, float dloss, int B) {
  float k = 2.0f * dloss / (float)B;
  for (int b = 0; b < B; b++) dpred[b] += k * (pred[b] - target[b]);
}
