/* nn.h — the neural-network core: CPU ops, GoResNet, optimizers, schedules, muP, FLOP counting,
 * safetensors checkpoints and the muP coordinate check. The reference path (llm.c-style).
 *
 * defines: ops            <op>_forward / <op>_backward (+ _naive twins kept as references)
 *          GoResNet       goresnet_config_*, goresnet_new/delete/init/forward/loss/backward, ...
 *          optimizers     nn_optim_new/delete/step, nn_grad_norm, nn_lr_scale
 *          schedules      nn_sched_lr
 *          FLOPs          goresnet_flops_forward/_train, goresnet_param_count
 *          checkpoints    nn_checkpoint_save/load/load_new/load_optim/read_meta
 *          coordcheck     nn_coordcheck
 *
 * Memory and layout (read this before building on it, e.g. a fast inference engine):
 *  - Every activation is NCHW float32: (batch, channels, rows, cols), row = board y (0 = top),
 *    col = board x; element [((b*C + c)*N + y)*N + x]. Policy index y*N + x, pass = N*N, as in
 *    board_policy_index. Flattening before the FCs is PyTorch's (c*N*N + y*N + x).
 *  - Conv weights are (OC, IC, K, K) and linear weights (OUT, IN), exactly PyTorch's layout.
 *  - All parameters AND BatchNorm buffers live in ONE slab (m->params_memory), in the order of
 *    m->tensors[] (the PyTorch state_dict order). The gradients live in a second slab with the
 *    same offsets (buffers have an unused gradient slot), optimizer state in slabs of the same
 *    shape, activations in a third slab that grows to the largest batch seen.
 *  - m->params (goresnet_params_t) points every named layer into the slab; m->grads likewise.
 *
 * Kernel conventions (llm.c): outputs first, then inputs, then sizes; gradients have a `d`
 * prefix; every backward kernel ACCUMULATES (+=) into its d-outputs, so callers zero them first
 * (goresnet_zero_grad for parameters). `inp`/`out` may not alias unless a kernel says so.
 *
 * Errors: functions that can fail return rocks_status_t and fill a rocks_error_t; nothing here
 * prints or exits. Threads (nn_set_threads): the reference path's sgemm calls use OpenBLAS
 * threads; the fast training path (below) runs on its own pool of that many threads per model
 * and never calls OpenBLAS. Everything is deterministic: same seed => same weights and losses
 * (the fast path cuts work into fixed items and reduces in a fixed order, so its results depend
 * neither on thread timing nor on the thread count).
 *
 * Two implementations of the training step (goresnet_set_train_path):
 *  - the fast path (default): Winograd F(3x3,3x3) convolutions forward and backward, NHWC
 *    activations, BN/ReLU/residual fused into the convolution passes, threads
 *    (src/nn/train_goresnet.c, train_kernels.[ch], train_pool.[ch]). After a training forward on
 *    it, the trunk activations in m->acts (stem_conv, stem_out, c1, h, c2, x) are NHWC with
 *    channel stride goresnet_act_cstride (channels rounded up to 16; padding channels zero);
 *    the heads' activations are as below. Matches the reference to float rounding (~1e-6).
 *  - the reference path: im2col + OpenBLAS sgemm, NCHW, the plain ops below. Eval-mode
 *    forwards (train == 0) always take it.
 */
#ifndef ROCKS_NN_H
#define ROCKS_NN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

/* ================================================================== ops (src/nn/ops.c) === */

/* Threads: OpenBLAS threads of the reference path's sgemm calls and the size of the fast
 * training path's pool (0 = defaults: OpenBLAS's own, and the number of online CPUs). */
void nn_set_threads(int nthreads);
/* The fast path's thread count: the last nn_set_threads value > 0, else the online CPUs. */
int nn_get_threads(void);

/* 2-D convolution, stride 1, zero 'same' padding K/2 (K odd: 1 or 3), no bias.
 * inp (B,IC,H,W), weight (OC,IC,K,K), out (B,OC,H,W).
 * scratch holds conv2d_scratch_floats(B,IC,OC,H,W,K) floats (im2col columns + a gemm result).
 * Reference path: batched im2col + one OpenBLAS sgemm. */
size_t conv2d_scratch_floats(int B, int IC, int OC, int H, int W, int K);
void conv2d_forward(float *out, const float *inp, const float *weight, float *scratch,
                    int B, int IC, int OC, int H, int W, int K);
/* dinp (B,IC,H,W) may be NULL (no input gradient); dweight (OC,IC,K,K). Both accumulate. */
void conv2d_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, float *scratch, int B, int IC, int OC, int H, int W, int K);
/* Plain seven-loop twins (no scratch), the algorithmic reference. */
void conv2d_forward_naive(float *out, const float *inp, const float *weight,
                          int B, int IC, int OC, int H, int W, int K);
void conv2d_backward_naive(float *dinp, float *dweight, const float *dout, const float *inp,
                           const float *weight, int B, int IC, int OC, int H, int W, int K);

/* BatchNorm2d over (B,C,HW) per channel. Training mode: normalises with the batch statistics,
 * saves mean (C) and rstd (C) = 1/sqrt(var_biased + eps) for the backward, and updates the
 * running statistics as PyTorch does: r = (1-momentum)*r + momentum*batch, running_var taking
 * the UNBIASED batch variance (n/(n-1), n = B*HW). running_* may be NULL (no update).
 * out may alias inp. */
void batchnorm_forward(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                       const float *inp, const float *weight, const float *bias,
                       int B, int C, int HW, float eps, float momentum);
/* Eval mode: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias. out may alias inp. */
void batchnorm_forward_eval(float *out, const float *inp, const float *weight, const float *bias,
                            const float *running_mean, const float *running_var,
                            int B, int C, int HW, float eps);
/* Training-mode backward; inp is the forward input, mean/rstd what the forward saved. */
void batchnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *mean, const float *rstd,
                        const float *weight, int B, int C, int HW);
void batchnorm_forward_naive(float *out, float *mean, float *rstd, float *running_mean,
                             float *running_var, const float *inp, const float *weight,
                             const float *bias, int B, int C, int HW, float eps, float momentum);
void batchnorm_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *mean, const float *rstd,
                              const float *weight, int B, int C, int HW);

/* ReLU over n floats; out may alias inp. Backward uses the forward OUTPUT. */
void relu_forward(float *out, const float *inp, size_t n);
void relu_backward(float *dinp, const float *dout, const float *out, size_t n);

/* Residual add: out = inp1 + alpha * inp2 (alpha: the depth-muP branch multiplier, 1 under
 * sp/mup). out may alias inp1. Backward: dinp1 += dout, dinp2 += alpha * dout (either NULL ok). */
void residual_forward(float *out, const float *inp1, const float *inp2, float alpha, size_t n);
void residual_backward(float *dinp1, float *dinp2, const float *dout, float alpha, size_t n);

/* Linear: out (B,OC) = inp (B,IC) @ weight^T (OC,IC) + bias (OC, may be NULL), all times `mult`
 * applied to the weight only: out = mult * (inp @ W^T) + bias (mult = the muP readout
 * multiplier; 1 elsewhere). Reference path: OpenBLAS sgemm. dinp may be NULL. */
void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    float mult, int B, int IC, int OC);
void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, float mult, int B, int IC, int OC);
void linear_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          float mult, int B, int IC, int OC);
void linear_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, float mult, int B, int IC, int OC);

/* tanh; backward uses the forward output. out may alias inp. */
void tanh_forward(float *out, const float *inp, size_t n);
void tanh_backward(float *dinp, const float *dout, const float *out, size_t n);

/* Softmax cross-entropy with soft targets, mean over the batch:
 * loss = -(1/B) sum_b sum_v targets[b,v] * log softmax(logits[b])_v.
 * logits, targets, probs (B,V). Saves probs for the backward. Returns the loss. */
float softmax_crossentropy_forward(float *probs, const float *logits, const float *targets, int B, int V);
/* dlogits += dloss * (probs * sum_v targets - targets) / B. */
void softmax_crossentropy_backward(float *dlogits, const float *probs, const float *targets,
                                   float dloss, int B, int V);

/* Mean squared error: loss = (1/B) sum_b (pred[b] - target[b])^2. Backward: dpred += dloss*2(p-t)/B. */
float mse_forward(const float *pred, const float *target, int B);
void mse_backward(float *dpred, const float *pred, const float *target, float dloss, int B);

/* ========================================================= GoResNet (src/nn/goresnet.c) === */

/* Parameterization of the network (how init, multipliers and per-tensor LRs scale with the
 * width and depth; see docs/nn.md and nn_lr_scale). */
typedef enum {
  NN_PARAM_SP = 0,        /* standard: PyTorch default init, one LR for all tensors        */
  NN_PARAM_MUP = 1,       /* muP in width (Tensor Programs V), base width base_channels     */
  NN_PARAM_DEPTH_MUP = 2, /* muP + depth-muP: branch multiplier a/L^alpha, LR scaled by depth */
} nn_param_t;

/* "sp", "mup", "depth-mup"; ROCKS_ERR_ARG for an unknown name. */
rocks_status_t nn_param_from_name(const char *name, nn_param_t *p, rocks_error_t *err);
const char *nn_param_name(nn_param_t p);

#define NN_NAME_MAX 64

typedef struct {
  int size;            /* board size N (2..19)                                              */
  int planes;          /* input planes (17 for the AlphaGo Zero feature set)                */
  int channels;        /* trunk width C; also the value head's hidden width                 */
  int blocks;          /* residual blocks B (depth L)                                        */
  nn_param_t param;    /* sp / mup / depth-mup                                               */
  int base_channels;   /* muP base width (width multiplier m = channels / base_channels)     */
  int base_blocks;     /* depth-muP base depth: L = blocks / base_blocks in a/L^alpha        */
  float depth_alpha;   /* depth-muP alpha (default 0.5; CompleteP uses 1)                    */
  float depth_a;       /* depth-muP a (default 1)                                            */
  float bn_eps;        /* BatchNorm eps (1e-5, PyTorch's)                                    */
  float bn_momentum;   /* BatchNorm running-stat momentum (0.1, PyTorch's)                   */
  char features[32];   /* name of the input feature set (metadata only; "" if unknown)      */
} goresnet_config_t;

/* Defaults: size 9, planes 17, channels 64, blocks 6, sp, base_channels 64, base_blocks 1,
 * alpha 0.5, a 1, eps 1e-5, momentum 0.1, features "agz". */
goresnet_config_t goresnet_config_default(void);
/* Checks ranges; ROCKS_ERR_ARG with a message on a bad config. */
rocks_status_t goresnet_config_check(const goresnet_config_t *c, rocks_error_t *err);
/* Width multiplier m = channels / base_channels (1 under sp). */
float goresnet_width_mult(const goresnet_config_t *c);
/* Residual branch multiplier: a / (blocks/base_blocks)^alpha under depth-mup, else 1. */
float goresnet_branch_mult(const goresnet_config_t *c);
/* Output multiplier of value.fc2 (the width readout): 1/m under mup/depth-mup, else 1. */
float goresnet_readout_mult(const goresnet_config_t *c);
/* Number of trainable parameters (BN running statistics excluded) and of BN buffers. */
size_t goresnet_param_count(const goresnet_config_t *c);
size_t goresnet_buffer_count(const goresnet_config_t *c);
/* Forward FLOPs per position = 2 * MACs of every conv and linear (BN, ReLU, adds not counted). */
double goresnet_flops_forward(const goresnet_config_t *c);
/* Training FLOPs per sample: forward + backward ~= 3x forward. */
double goresnet_flops_train(const goresnet_config_t *c);

/* What a tensor is, for init, weight decay and the muP rules. */
typedef enum {
  NN_ROLE_CONV_WEIGHT = 0, NN_ROLE_BN_WEIGHT, NN_ROLE_BN_BIAS, NN_ROLE_BN_MEAN, NN_ROLE_BN_VAR,
  NN_ROLE_FC_WEIGHT, NN_ROLE_FC_BIAS,
} nn_role_t;

/* muP class of a tensor: which of its dimensions grow with the width. */
typedef enum {
  NN_MUP_FIXED = 0,    /* no width dimension (policy FC, head BN, value.fc2 bias, buffers)    */
  NN_MUP_INPUT,        /* fan_out grows: stem conv, value.fc1 weight                          */
  NN_MUP_VECTOR,       /* a width-sized vector: trunk BN gains/biases, value.fc1 bias         */
  NN_MUP_HIDDEN,       /* both grow: block convs                                              */
  NN_MUP_BN_READOUT,   /* fan_in grows, followed by BN: policy.conv, value.conv              */
  NN_MUP_READOUT,      /* fan_in grows, the output layer: value.fc2 weight (multiplier 1/m) */
} nn_mup_class_t;

typedef struct {
  char name[NN_NAME_MAX]; /* PyTorch state_dict name, e.g. "blocks.3.bn2.running_var"          */
  int ndim;
  int shape[4];
  size_t numel;
  size_t offset;          /* in floats, into params_memory (and grads/optimizer slabs)          */
  nn_role_t role;
  nn_mup_class_t mup;
  int trainable;          /* 0 for BN running statistics                                        */
  int decay;              /* weight decay applies: conv and linear weights only                 */
  int in_block;           /* inside a residual branch (depth-muP scales its LR)                 */
  int fan_in;             /* IC*K*K or IN (1 for vectors)                                       */
} nn_tensor_t;

/* One conv + its BatchNorm, as pointers into a slab. */
typedef struct {
  float *weight;          /* conv (OC, IC, K, K), no bias                                       */
  float *bn_weight;       /* (OC) gamma                                                         */
  float *bn_bias;         /* (OC) beta                                                          */
  float *bn_mean;         /* (OC) running mean (buffer)                                         */
  float *bn_var;          /* (OC) running variance, unbiased (buffer)                           */
} goresnet_convbn_t;

/* Every named layer of the network (N = size, C = channels, P = planes). */
typedef struct {
  goresnet_convbn_t stem;     /* stem.conv (C,P,3,3),  stem.bn (C)                           */
  goresnet_convbn_t *conv1;   /* [blocks]: blocks.i.conv1 (C,C,3,3), blocks.i.bn1 (C)         */
  goresnet_convbn_t *conv2;   /* [blocks]: blocks.i.conv2 (C,C,3,3), blocks.i.bn2 (C)         */
  goresnet_convbn_t policy;   /* policy.conv (2,C,1,1), policy.bn (2)                          */
  float *policy_fc_weight;    /* policy.fc.weight (N*N+1, 2*N*N)                                */
  float *policy_fc_bias;      /* policy.fc.bias (N*N+1)                                         */
  goresnet_convbn_t value;    /* value.conv (1,C,1,1), value.bn (1)                             */
  float *value_fc1_weight;    /* value.fc1.weight (C, N*N)                                      */
  float *value_fc1_bias;      /* value.fc1.bias (C)                                             */
  float *value_fc2_weight;    /* value.fc2.weight (1, C), output times goresnet_readout_mult   */
  float *value_fc2_bias;      /* value.fc2.bias (1)                                             */
} goresnet_params_t;

/* Activations kept for the backward (pointers into the activation slab; Bmax = capacity). */
typedef struct {
  float *stem_conv;     /* (B,C,N,N) stem conv output (pre-BN)                                */
  float *stem_out;      /* (B,C,N,N) after BN + ReLU = x_0                                     */
  float *c1, *h, *c2;   /* [blocks] each (B,C,N,N): conv1 out, ReLU(BN1), conv2 out             */
  float *x;             /* [blocks] (B,C,N,N): x_{i+1} = ReLU(x_i + mult*BN2(c2))               */
  float *bn_mean;       /* (nconv, Cmax) batch means saved per conv layer                       */
  float *bn_rstd;       /* (nconv, Cmax) batch 1/std saved per conv layer                        */
  float *policy_conv;   /* (B,2,N,N) pre-BN                                                    */
  float *policy_h;      /* (B,2,N,N) ReLU(BN)                                                  */
  float *policy_logits; /* (B,N*N+1)                                                           */
  float *policy_probs;  /* (B,N*N+1) softmax (after goresnet_loss)                             */
  float *value_conv;    /* (B,1,N,N) pre-BN                                                    */
  float *value_h;       /* (B,1,N,N) ReLU(BN)                                                  */
  float *value_fc1;     /* (B,C) ReLU(fc1)                                                     */
  float *value_pre;     /* (B) fc2 output (before tanh)                                        */
  float *value;         /* (B) tanh                                                            */
} goresnet_acts_t;

/* Implementation of training-mode forwards and backwards (see the top of this file). */
typedef enum { GORESNET_TRAIN_FAST = 0, GORESNET_TRAIN_REFERENCE = 1 } goresnet_train_path_t;

struct goresnet_fast; /* the fast path's buffers and thread pool (train_goresnet.c) */

typedef struct goresnet {
  goresnet_config_t config;
  int ntensors;
  nn_tensor_t *tensors;        /* [ntensors], state_dict order                                  */
  size_t nfloats;              /* floats in each of params_memory / grads_memory                */
  float *params_memory;        /* the parameter + buffer slab                                   */
  float *grads_memory;         /* the gradient slab (same offsets)                              */
  goresnet_params_t params;    /* named views into params_memory                                */
  goresnet_params_t grads;     /* named views into grads_memory                                 */
  /* activations (allocated on the first forward, grown when a larger batch comes) */
  int batch;                   /* batch of the last forward                                     */
  int batch_capacity;
  int last_train;              /* the last forward was in training mode                         */
  float *acts_memory;
  goresnet_acts_t acts;
  float *dacts_memory;         /* activation-gradient + conv scratch slab                       */
  const float *input;          /* the last forward's input (caller-owned, read by backward)     */
  const float *policy_target;  /* targets given to the last goresnet_loss (caller-owned)       */
  const float *value_target;
  float loss_policy, loss_value, loss; /* from the last goresnet_loss                           */
  double flops;                /* FLOPs executed so far (forward 1x, backward 2x per sample)     */
  goresnet_train_path_t train_path; /* GORESNET_TRAIN_FAST (default) or _REFERENCE               */
  int last_fast;               /* the last forward ran on the fast path (NHWC trunk activations) */
  struct goresnet_fast *fast;  /* allocated on the first fast training forward                   */
} goresnet_t;

/* Allocates a model (parameters zeroed: call goresnet_init). Returns NULL and fills err on a bad
 * config or out of memory. Free with goresnet_delete (NULL ok). */
goresnet_t *goresnet_new(const goresnet_config_t *c, rocks_error_t *err);
void goresnet_delete(goresnet_t *m);
/* Initialises every tensor from `seed` (deterministic), per the parameterization:
 * conv/linear weights and linear biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default),
 * BN gamma 1, beta 0, running mean 0, var 1; under mup/depth-mup value.fc2 is zero-initialised. */
void goresnet_init(goresnet_t *m, uint64_t seed);
/* Chooses the training implementation (takes effect at the next training forward). */
void goresnet_set_train_path(goresnet_t *m, goresnet_train_path_t path);
/* Channel stride of the trunk activations in m->acts: channels after a reference-path forward
 * (NCHW), channels rounded up to 16 after a fast-path training forward (NHWC). */
int goresnet_act_cstride(const goresnet_t *m);
/* Index of the tensor with this state_dict name, or -1. */
int goresnet_find(const goresnet_t *m, const char *name);
static inline float *goresnet_tensor_data(const goresnet_t *m, int i) { return m->params_memory + m->tensors[i].offset; }

/* Forward pass over inp (B, planes, N, N) (caller-owned; must stay valid until the backward).
 * train != 0: BatchNorm uses batch statistics and updates the running statistics, and the
 * activations are kept for goresnet_backward. train == 0: running statistics (eval).
 * Results: m->acts.policy_logits (B, N*N+1) and m->acts.value (B). ROCKS_ERR_NOMEM if the
 * activation slab cannot grow. */
rocks_status_t goresnet_forward(goresnet_t *m, const float *inp, int B, int train, rocks_error_t *err);
/* Loss of the last forward: CE(policy logits, policy_target (B, N*N+1)) + MSE(value, value_target (B)).
 * Sets m->loss_policy, m->loss_value, m->loss and returns m->loss. Targets are caller-owned and
 * must stay valid until goresnet_backward. */
float goresnet_loss(goresnet_t *m, const float *policy_target, const float *value_target);
/* Accumulates (+=) d(scale * loss)/d(param) into m->grads_memory, for the last training forward
 * + goresnet_loss. scale = 1/k when accumulating k micro-batches. ROCKS_ERR_STATE if the last
 * forward was not a training forward followed by goresnet_loss. */
rocks_status_t goresnet_backward(goresnet_t *m, float scale, rocks_error_t *err);
void goresnet_zero_grad(goresnet_t *m);

/* Per-layer activations for the coordinate check: mean |x| of each recorded layer over the
 * last forward. Layers: stem.conv, stem.out, blocks.i.conv1, blocks.i.conv2, blocks.i.out,
 * policy.conv, policy.logits, value.conv, value.fc1, value.out (pre-tanh). */
int goresnet_nlayers(const goresnet_t *m);
const char *goresnet_layer_name(const goresnet_t *m, int layer, char *buf, size_t buflen);
double goresnet_layer_mean_abs(const goresnet_t *m, int layer);

/* ======================================================= optimizers (src/nn/optim.c) === */

typedef enum { NN_OPT_SGD = 0, NN_OPT_ADAMW = 1 } nn_optim_kind_t;

/* "sgd", "adamw"; ROCKS_ERR_ARG otherwise. */
rocks_status_t nn_optim_from_name(const char *name, nn_optim_kind_t *k, rocks_error_t *err);
const char *nn_optim_name(nn_optim_kind_t k);

typedef struct {
  nn_optim_kind_t kind;
  float momentum;       /* SGD momentum (0.9); PyTorch semantics: buf = mu*buf + g (first: g) */
  int nesterov;         /* SGD: g + mu*buf instead of buf                                       */
  float beta1, beta2;   /* AdamW (0.9, 0.999)                                                   */
  float eps;            /* AdamW (1e-8), added after the bias-corrected sqrt as PyTorch does   */
  float weight_decay;   /* conv/linear weights only. SGD: coupled L2 (g += wd*p).
                         * AdamW: decoupled, p *= 1 - lr_t*wd with lr_t the tensor's LR        */
  float clip_norm;      /* clip the global gradient L2 norm to this (0 = off); PyTorch's
                         * clip_grad_norm_: g *= clip/(norm + 1e-6) when norm > clip           */
} nn_optim_config_t;

/* Defaults: adamw, momentum 0.9, nesterov 1, betas (0.9, 0.999), eps 1e-8, wd 0, no clipping. */
nn_optim_config_t nn_optim_config_default(nn_optim_kind_t kind);

typedef struct {
  nn_optim_config_t config;
  long step;            /* optimizer steps taken                                               */
  size_t nfloats;       /* same as the model's                                                 */
  float *m;             /* SGD momentum buffer / AdamW exp_avg, same offsets as the params     */
  float *v;             /* AdamW exp_avg_sq (NULL for SGD)                                     */
  int ntensors;
  float *lr_scale;      /* [ntensors] muP / depth-muP LR multiplier per tensor (nn_lr_scale)    */
  int *has_state;       /* [ntensors] SGD: momentum buffer initialised (PyTorch creates it lazily) */
  float last_grad_norm; /* global gradient norm before clipping, of the last step               */
} nn_optim_t;

nn_optim_t *nn_optim_new(const goresnet_t *m, const nn_optim_config_t *c, rocks_error_t *err);
void nn_optim_delete(nn_optim_t *o);
/* LR multiplier of tensor i under the model's parameterization for optimizer `kind`
 * (table in docs/nn.md). 1 for every tensor under sp. */
float nn_lr_scale(const goresnet_t *m, int i, nn_optim_kind_t kind);
/* Global L2 norm of the trainable tensors' gradients (double accumulation). */
float nn_grad_norm(const goresnet_t *m);
/* One update with base learning rate lr (from a schedule): clips if configured, then applies
 * SGD or AdamW to every trainable tensor with LR lr * lr_scale[i]. Does not zero the grads. */
void nn_optim_step(nn_optim_t *o, goresnet_t *m, float lr);

/* ------------------------------------------------------------------ schedules --- */
typedef enum { NN_SCHED_CONSTANT = 0, NN_SCHED_COSINE = 1, NN_SCHED_STEP = 2 } nn_sched_kind_t;

typedef struct {
  nn_sched_kind_t kind;
  float lr;             /* peak learning rate                                                  */
  long warmup;          /* linear warm-up steps: lr * (step+1)/warmup for step < warmup         */
  long total;           /* cosine: total steps (warm-up included); lr reaches min_lr at total   */
  float min_lr;         /* cosine floor                                                        */
  long step_size;       /* step: multiply by gamma every step_size steps after the warm-up      */
  float gamma;
} nn_sched_t;

/* Learning rate for 0-based step `step`. */
float nn_sched_lr(const nn_sched_t *s, long step);

/* =================================================== checkpoints (src/nn/checkpoint.c) === */

/* A safetensors file: u64 little-endian header length, a JSON header
 * {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}},
 * then the raw little-endian float32 data. Model files hold every tensor of m->tensors
 * (parameters and BN buffers) under its PyTorch name; the metadata holds the architecture
 * (rocks.format, size, planes, channels, blocks, param, base_channels, base_blocks, depth_alpha,
 * depth_a, bn_eps, bn_momentum, features) plus caller-given training metadata. The optimizer
 * state goes to a second file beside it (nn_checkpoint_optim_path): "<name>.exp_avg",
 * "<name>.exp_avg_sq" (AdamW) or "<name>.momentum_buffer" (SGD) per trainable tensor, with its
 * kind, step and hyper-parameters in the metadata. Writes are atomic: temp file + fsync + rename. */

typedef struct {
  const char *key;
  const char *value;
} nn_meta_kv_t;

/* The optimizer file for a checkpoint path: "x.safetensors" -> "x.optim.safetensors", any other
 * name gets ".optim.safetensors" appended. Returns false if out is too small. */
int nn_checkpoint_optim_path(const char *path, char *out, size_t outlen);
/* Saves the model to path and, when opt != NULL, its state to the optimizer path. meta
 * (nmeta pairs, may be NULL) is added to the model file's __metadata__ (keys must not clash
 * with the architecture keys). ROCKS_ERR_IO on a file-system failure (no partial file left). */
rocks_status_t nn_checkpoint_save(const char *path, const goresnet_t *m, const nn_optim_t *opt,
                                  const nn_meta_kv_t *meta, int nmeta, rocks_error_t *err);
/* Reads the architecture from a checkpoint's metadata into *c. */
rocks_status_t nn_checkpoint_read_config(const char *path, goresnet_config_t *c, rocks_error_t *err);
/* Loads a model file into an existing model. Rejects (ROCKS_ERR_PARSE / _IO / _ARG, clear message,
 * model unchanged) truncated or corrupt files, a bad header length or JSON, dtypes other than
 * F32, wrong shapes, missing or unexpected tensors, offsets out of range or overlapping, and an
 * architecture that differs from m->config. */
rocks_status_t nn_checkpoint_load(const char *path, goresnet_t *m, rocks_error_t *err);
/* Creates a model from a checkpoint (config from the metadata). NULL + err on failure. */
goresnet_t *nn_checkpoint_load_new(const char *path, rocks_error_t *err);
/* Loads the optimizer file of checkpoint `path` (nn_checkpoint_optim_path) into o, which was
 * created for m (same kind, same tensors); restores o->step. o unchanged on error. */
rocks_status_t nn_checkpoint_load_optim(const char *path, nn_optim_t *o, const goresnet_t *m, rocks_error_t *err);
/* Copies the __metadata__ value of `key` into out. ROCKS_ERR_ARG if absent. */
rocks_status_t nn_checkpoint_read_meta(const char *path, const char *key, char *out, size_t outlen,
                                       rocks_error_t *err);

/* ================================================ coordinate check (src/nn/coordcheck.c) === */

typedef struct {
  nn_param_t param;
  nn_optim_kind_t optim;
  int widths[8];
  int nwidths;
  int base_channels;     /* muP base width (default 64)                                      */
  int blocks, size, planes, batch;
  int steps;             /* record steps 1..steps (step t = forward after t-1 updates)      */
  int nseeds;            /* average over this many seeds (data and init)                    */
  float lr;
  uint64_t seed;
} nn_coordcheck_config_t;

/* Defaults: mup, adamw, widths {64, 256}, base 64, blocks 2, size 9, planes 17, batch 32,
 * steps 3, nseeds 3, lr 0.02, seed 1 (`rocks coordcheck --optim sgd` uses lr 0.1). */
nn_coordcheck_config_t nn_coordcheck_config_default(void);

typedef struct {
  int width;
  int step;
  char layer[NN_NAME_MAX];
  double mean_abs;       /* mean |activation|, averaged over the seeds                       */
} nn_coordcheck_row_t;

/* Trains a fresh model per width and seed for `steps` steps on one fixed random batch (binary
 * input planes, one-hot policy targets, +-1 values; the same data for every width) and records
 * mean |activation| per layer (goresnet_layer_*) in the forward of each step.
 * *rows (caller frees with free()) holds nwidths * steps * nlayers rows, width-major. */
rocks_status_t nn_coordcheck(const nn_coordcheck_config_t *c, nn_coordcheck_row_t **rows, int *nrows,
                             rocks_error_t *err);

#endif
