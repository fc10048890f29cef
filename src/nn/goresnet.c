/* goresnet.c — the AlphaGo Zero-shaped policy/value ResNet on the reference ops (nn.h).
 *
 *   stem:   conv3x3(P->C) -> BN -> ReLU
 *   blocks: x -> conv3x3 -> BN -> ReLU -> conv3x3 -> BN -> (x branch_mult) -> + x -> ReLU
 *   policy: conv1x1(C->2) -> BN -> ReLU -> FC(2N^2 -> N^2+1)            (logits)
 *   value:  conv1x1(C->1) -> BN -> ReLU -> FC(N^2 -> C) -> ReLU -> FC(C -> 1) x readout -> tanh
 *
 * defines: goresnet_config_*, goresnet_width_mult/branch_mult/readout_mult, goresnet_param_count,
 *          goresnet_buffer_count, goresnet_flops_*, goresnet_new/delete/init/find,
 *          goresnet_forward/loss/backward/zero_grad, goresnet_nlayers/layer_name/layer_mean_abs,
 *          nn_param_from_name, nn_param_name
 *
 * One slab for parameters + BN buffers, one for gradients (same offsets), one for activations,
 * one for activation gradients and conv scratch (llm.c's layout). Tensor offsets are aligned
 * to 16 floats (64 bytes). Training-mode forwards/backwards go to the fast path
 * (train_goresnet.c) unless goresnet_set_train_path chose this file's reference path; the
 * activation slab is shared (trunk buffers sized for channels rounded up to 16, the fast
 * path's NHWC stride), the reference path's gradient/scratch slab is allocated when it runs.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "nn/train_goresnet.h"
#include "nn/train_kernels.h"

/* ------------------------------------------------------------------------------ config --- */

rocks_status_t nn_param_from_name(const char *name, nn_param_t *p, rocks_error_t *err) {
  if (!strcmp(name, "sp")) *p = NN_PARAM_SP;
  else if (!strcmp(name, "mup")) *p = NN_PARAM_MUP;
  else if (!strcmp(name, "depth-mup")) *p = NN_PARAM_DEPTH_MUP;
  else return rocks_fail(err, ROCKS_ERR_ARG, "unknown parameterization '%s' (known: sp, mup, depth-mup)", name);
  return ROCKS_OK;
}

const char *nn_param_name(nn_param_t p) {
  switch (p) {
    case NN_PARAM_SP: return "sp";
    case NN_PARAM_MUP: return "mup";
    case NN_PARAM_DEPTH_MUP: return "depth-mup";
  }
  return "?";
}

goresnet_config_t goresnet_config_default(void) {
  goresnet_config_t c;
  memset(&c, 0, sizeof c);
  c.size = 9;
  c.planes = 17;
  c.channels = 64;
  c.blocks = 6;
  c.param = NN_PARAM_SP;
  c.base_channels = 64;
  c.base_blocks = 1;
  c.depth_alpha = 0.5f;
  c.depth_a = 1.0f;
  c.bn_eps = 1e-5f;
  c.bn_momentum = 0.1f;
  snprintf(c.features, sizeof c.features, "agz");
  return c;
}

rocks_status_t goresnet_config_check(const goresnet_config_t *c, rocks_error_t *err) {
  if (c->size < 2 || c->size > 19) return rocks_fail(err, ROCKS_ERR_ARG, "board size %d not in 2..19", c->size);
  if (c->planes < 1 || c->planes > 1024) return rocks_fail(err, ROCKS_ERR_ARG, "input planes %d not in 1..1024", c->planes);
  if (c->channels < 1 || c->channels > 4096) return rocks_fail(err, ROCKS_ERR_ARG, "channels %d not in 1..4096", c->channels);
  if (c->blocks < 0 || c->blocks > 1000) return rocks_fail(err, ROCKS_ERR_ARG, "blocks %d not in 0..1000", c->blocks);
  if (c->param != NN_PARAM_SP && c->param != NN_PARAM_MUP && c->param != NN_PARAM_DEPTH_MUP)
    return rocks_fail(err, ROCKS_ERR_ARG, "unknown parameterization %d", (int)c->param);
  if (c->base_channels < 1 || c->base_channels > 4096)
    return rocks_fail(err, ROCKS_ERR_ARG, "base channels %d not in 1..4096", c->base_channels);
  if (c->base_blocks < 1 || c->base_blocks > 1000)
    return rocks_fail(err, ROCKS_ERR_ARG, "base blocks %d not in 1..1000", c->base_blocks);
  if (!(c->depth_alpha >= 0.0f && c->depth_alpha <= 2.0f))
    return rocks_fail(err, ROCKS_ERR_ARG, "depth alpha %g not in [0, 2]", (double)c->depth_alpha);
  if (!(c->depth_a > 0.0f && c->depth_a <= 100.0f))
    return rocks_fail(err, ROCKS_ERR_ARG, "depth multiplier a %g not in (0, 100]", (double)c->depth_a);
  if (!(c->bn_eps > 0.0f && c->bn_eps < 1.0f)) return rocks_fail(err, ROCKS_ERR_ARG, "bn eps %g not in (0, 1)", (double)c->bn_eps);
  if (!(c->bn_momentum >= 0.0f && c->bn_momentum <= 1.0f))
    return rocks_fail(err, ROCKS_ERR_ARG, "bn momentum %g not in [0, 1]", (double)c->bn_momentum);
  if (memchr(c->features, 0, sizeof c->features) == NULL)
    return rocks_fail(err, ROCKS_ERR_ARG, "features name not terminated");
  return ROCKS_OK;
}

float goresnet_width_mult(const goresnet_config_t *c) {
  if (c->param == NN_PARAM_SP) return 1.0f;
  return (float)c->channels / (float)c->base_channels;
}

float goresnet_branch_mult(const goresnet_config_t *c) {
  if (c->param != NN_PARAM_DEPTH_MUP || c->blocks == 0) return 1.0f;
  return (float)(c->depth_a / pow((double)c->blocks / (double)c->base_blocks, (double)c->depth_alpha));
}

float goresnet_readout_mult(const goresnet_config_t *c) { return 1.0f / goresnet_width_mult(c); }

size_t goresnet_param_count(const goresnet_config_t *c) {
  size_t C = (size_t)c->channels, P = (size_t)c->planes, HW = (size_t)c->size * (size_t)c->size, B = (size_t)c->blocks;
  size_t n = C * P * 9 + 2 * C;                      // stem
  n += B * (2 * (C * C * 9 + 2 * C));                // blocks
  n += 2 * C + 2 * 2 + (HW + 1) * 2 * HW + (HW + 1); // policy
  n += C + 2 + C * HW + C + C + 1;                   // value
  return n;
}

size_t goresnet_buffer_count(const goresnet_config_t *c) {
  size_t C = (size_t)c->channels, B = (size_t)c->blocks;
  return 2 * (C + 2 * B * C + 2 + 1);
}

double goresnet_flops_forward(const goresnet_config_t *c) {
  double C = c->channels, P = c->planes, HW = (double)c->size * c->size, B = c->blocks;
  double macs = HW * (C * P * 9 + B * 2 * C * C * 9 + C * 2 + C * 1); // convs
  macs += 2 * HW * (HW + 1) + HW * C + C;                              // linears
  return 2.0 * macs;
}

double goresnet_flops_train(const goresnet_config_t *c) { return 3.0 * goresnet_flops_forward(c); }

/* ------------------------------------------------------------------------ tensor table --- */

typedef struct {
  nn_tensor_t *t;
  int n, cap;
  size_t nfloats;
  rocks_error_t *err;
  int failed;
} table_t_;

static void add_(table_t_ *tb, nn_role_t role, nn_mup_class_t mup, int in_block, int ndim, const int *shape,
                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add_(table_t_ *tb, nn_role_t role, nn_mup_class_t mup, int in_block, int ndim, const int *shape,
                 const char *fmt, ...) {
  if (tb->failed) return;
  if (tb->n == tb->cap) {
    int cap = tb->cap ? 2 * tb->cap : 64;
    nn_tensor_t *t = realloc(tb->t, sizeof *t * (size_t)cap);
    if (!t) {
      tb->failed = 1;
      return;
    }
    tb->t = t;
    tb->cap = cap;
  }
  nn_tensor_t *t = &tb->t[tb->n++];
  memset(t, 0, sizeof *t);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->name, sizeof t->name, fmt, ap);
  va_end(ap);
  t->ndim = ndim;
  t->numel = 1;
  for (int i = 0; i < ndim; i++) {
    t->shape[i] = shape[i];
    t->numel *= (size_t)shape[i];
  }
  t->offset = tb->nfloats;
  tb->nfloats += (t->numel + 15) & ~(size_t)15;
  t->role = role;
  t->trainable = role != NN_ROLE_BN_MEAN && role != NN_ROLE_BN_VAR;
  t->mup = t->trainable ? mup : NN_MUP_FIXED;
  t->decay = role == NN_ROLE_CONV_WEIGHT || role == NN_ROLE_FC_WEIGHT;
  t->in_block = in_block;
  t->fan_in = 1;
  if (role == NN_ROLE_CONV_WEIGHT || role == NN_ROLE_FC_WEIGHT)
    for (int i = 1; i < ndim; i++) t->fan_in *= shape[i];
}

/* conv weight + the four BN tensors, PyTorch names "<conv>.weight", "<bn>.{weight,bias,...}". */
static void add_convbn_(table_t_ *tb, const char *conv, const char *bn, int oc, int ic, int k,
                        nn_mup_class_t wclass, nn_mup_class_t bnclass, int in_block) {
  int ws[4] = {oc, ic, k, k}, vs[1] = {oc};
  add_(tb, NN_ROLE_CONV_WEIGHT, wclass, in_block, 4, ws, "%s.weight", conv);
  add_(tb, NN_ROLE_BN_WEIGHT, bnclass, in_block, 1, vs, "%s.weight", bn);
  add_(tb, NN_ROLE_BN_BIAS, bnclass, in_block, 1, vs, "%s.bias", bn);
  add_(tb, NN_ROLE_BN_MEAN, NN_MUP_FIXED, in_block, 1, vs, "%s.running_mean", bn);
  add_(tb, NN_ROLE_BN_VAR, NN_MUP_FIXED, in_block, 1, vs, "%s.running_var", bn);
}

static void build_table_(table_t_ *tb, const goresnet_config_t *c) {
  int C = c->channels, P = c->planes, HW = c->size * c->size;
  char conv[48], bn[48];
  add_convbn_(tb, "stem.conv", "stem.bn", C, P, 3, NN_MUP_INPUT, NN_MUP_VECTOR, 0);
  for (int i = 0; i < c->blocks; i++) {
    snprintf(conv, sizeof conv, "blocks.%d.conv1", i);
    snprintf(bn, sizeof bn, "blocks.%d.bn1", i);
    add_convbn_(tb, conv, bn, C, C, 3, NN_MUP_HIDDEN, NN_MUP_VECTOR, 1);
    snprintf(conv, sizeof conv, "blocks.%d.conv2", i);
    snprintf(bn, sizeof bn, "blocks.%d.bn2", i);
    add_convbn_(tb, conv, bn, C, C, 3, NN_MUP_HIDDEN, NN_MUP_VECTOR, 1);
  }
  add_convbn_(tb, "policy.conv", "policy.bn", 2, C, 1, NN_MUP_BN_READOUT, NN_MUP_FIXED, 0);
  int pw[2] = {HW + 1, 2 * HW}, pb[1] = {HW + 1};
  add_(tb, NN_ROLE_FC_WEIGHT, NN_MUP_FIXED, 0, 2, pw, "policy.fc.weight");
  add_(tb, NN_ROLE_FC_BIAS, NN_MUP_FIXED, 0, 1, pb, "policy.fc.bias");
  add_convbn_(tb, "value.conv", "value.bn", 1, C, 1, NN_MUP_BN_READOUT, NN_MUP_FIXED, 0);
  int w1[2] = {C, HW}, b1[1] = {C}, w2[2] = {1, C}, b2[1] = {1};
  add_(tb, NN_ROLE_FC_WEIGHT, NN_MUP_INPUT, 0, 2, w1, "value.fc1.weight");
  add_(tb, NN_ROLE_FC_BIAS, NN_MUP_VECTOR, 0, 1, b1, "value.fc1.bias");
  add_(tb, NN_ROLE_FC_WEIGHT, NN_MUP_READOUT, 0, 2, w2, "value.fc2.weight");
  add_(tb, NN_ROLE_FC_BIAS, NN_MUP_FIXED, 0, 1, b2, "value.fc2.bias");
  // FC biases: fan_in of their weight (PyTorch's bias init bound 1/sqrt(fan_in))
  for (int i = 0; i < tb->n; i++)
    if (tb->t[i].role == NN_ROLE_FC_BIAS) tb->t[i].fan_in = tb->t[i - 1].fan_in;
}

/* Points the named views at a slab (params or grads). t walks the table in build order. */
static void point_views_(goresnet_params_t *p, float *slab, const nn_tensor_t *t, int blocks) {
  int k = 0;
#define NEXT_ (slab + t[k++].offset)
#define CONVBN_(cb) do { (cb).weight = NEXT_; (cb).bn_weight = NEXT_; (cb).bn_bias = NEXT_; \
                         (cb).bn_mean = NEXT_; (cb).bn_var = NEXT_; } while (0)
  CONVBN_(p->stem);
  for (int i = 0; i < blocks; i++) {
    CONVBN_(p->conv1[i]);
    CONVBN_(p->conv2[i]);
  }
  CONVBN_(p->policy);
  p->policy_fc_weight = NEXT_;
  p->policy_fc_bias = NEXT_;
  CONVBN_(p->value);
  p->value_fc1_weight = NEXT_;
  p->value_fc1_bias = NEXT_;
  p->value_fc2_weight = NEXT_;
  p->value_fc2_bias = NEXT_;
#undef CONVBN_
#undef NEXT_
}

/* ------------------------------------------------------------------------- lifecycle --- */

goresnet_t *goresnet_new(const goresnet_config_t *c, rocks_error_t *err) {
  if (goresnet_config_check(c, err) != ROCKS_OK) return NULL;
  goresnet_t *m = calloc(1, sizeof *m);
  if (!m) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (model struct)");
    return NULL;
  }
  m->config = *c;
  table_t_ tb = {0};
  build_table_(&tb, c);
  m->tensors = tb.t;
  m->ntensors = tb.n;
  m->nfloats = tb.nfloats;
  size_t nb = (size_t)(c->blocks > 0 ? c->blocks : 1);
  m->params.conv1 = calloc(nb, sizeof(goresnet_convbn_t));
  m->params.conv2 = calloc(nb, sizeof(goresnet_convbn_t));
  m->grads.conv1 = calloc(nb, sizeof(goresnet_convbn_t));
  m->grads.conv2 = calloc(nb, sizeof(goresnet_convbn_t));
  m->params_memory = calloc(m->nfloats, sizeof(float));
  m->grads_memory = calloc(m->nfloats, sizeof(float));
  if (tb.failed || !m->params.conv1 || !m->params.conv2 || !m->grads.conv1 || !m->grads.conv2 ||
      !m->params_memory || !m->grads_memory) {
    goresnet_delete(m);
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (parameters)");
    return NULL;
  }
  point_views_(&m->params, m->params_memory, m->tensors, c->blocks);
  point_views_(&m->grads, m->grads_memory, m->tensors, c->blocks);
  // BN running variance starts at 1 (PyTorch), so a fresh model is usable in eval mode
  for (int i = 0; i < m->ntensors; i++)
    if (m->tensors[i].role == NN_ROLE_BN_VAR || m->tensors[i].role == NN_ROLE_BN_WEIGHT)
      for (size_t j = 0; j < m->tensors[i].numel; j++) goresnet_tensor_data(m, i)[j] = 1.0f;
  return m;
}

void goresnet_delete(goresnet_t *m) {
  if (!m) return;
  free(m->tensors);
  free(m->params.conv1);
  free(m->params.conv2);
  free(m->grads.conv1);
  free(m->grads.conv2);
  free(m->params_memory);
  free(m->grads_memory);
  free(m->acts_memory);
  free(m->dacts_memory);
  goresnet_fast_delete(m->fast);
  free(m);
}

void goresnet_set_train_path(goresnet_t *m, goresnet_train_path_t path) { m->train_path = path; }

int goresnet_act_cstride(const goresnet_t *m) {
  return m->last_fast ? tk_pad(m->config.channels) : m->config.channels;
}

int goresnet_find(const goresnet_t *m, const char *name) {
  for (int i = 0; i < m->ntensors; i++)
    if (!strcmp(m->tensors[i].name, name)) return i;
  return -1;
}

void goresnet_init(goresnet_t *m, uint64_t seed) {
  rocks_rng_t rng;
  rocks_rng_seed(&rng, seed);
  int zero_readout = m->config.param != NN_PARAM_SP;
  for (int i = 0; i < m->ntensors; i++) {
    const nn_tensor_t *t = &m->tensors[i];
    float *d = goresnet_tensor_data(m, i);
    float fill = 0.0f;
    switch (t->role) {
      case NN_ROLE_CONV_WEIGHT:
      case NN_ROLE_FC_WEIGHT:
      case NN_ROLE_FC_BIAS: {
        // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for conv/linear weights and biases
        int readout = !strncmp(t->name, "value.fc2.", 10);
        double bound = 1.0 / sqrt((double)t->fan_in);
        for (size_t j = 0; j < t->numel; j++) {
          double u = rocks_rng_double(&rng);
          d[j] = (zero_readout && readout) ? 0.0f : (float)((2.0 * u - 1.0) * bound);
        }
        continue;
      }
      case NN_ROLE_BN_WEIGHT: fill = 1.0f; break;
      case NN_ROLE_BN_VAR: fill = 1.0f; break;
      case NN_ROLE_BN_BIAS:
      case NN_ROLE_BN_MEAN: fill = 0.0f; break;
    }
    for (size_t j = 0; j < t->numel; j++) d[j] = fill;
  }
}

void goresnet_zero_grad(goresnet_t *m) { memset(m->grads_memory, 0, sizeof(float) * m->nfloats); }

/* ------------------------------------------------------------------------ activations --- */

static int nconv_(const goresnet_config_t *c) { return 1 + 2 * c->blocks + 2; }

/* Sizes of the scratch/gradient part: conv scratch, a BN temp, four trunk gradient buffers, head grads. */
typedef struct {
  float *scratch;          /* conv2d scratch, the largest conv                            */
  float *tmp;              /* (B,C,HW) BN2 output in the forward                          */
  float *g[4];             /* (B,C,HW) trunk gradients                                     */
  float *dph, *dph2, *dpc; /* (B,2,HW) policy head                                         */
  float *dlogits;          /* (B,HW+1)                                                    */
  float *dvh, *dvh2, *dvc; /* (B,1,HW) value head                                          */
  float *dv1, *dv1b;       /* (B,C)                                                        */
  float *dvpre, *dval;     /* (B)                                                          */
} dacts_t_;

static size_t layout_dacts_(dacts_t_ *d, float *base, const goresnet_config_t *c, int B) {
  size_t C = (size_t)c->channels, HW = (size_t)c->size * (size_t)c->size, Bs = (size_t)B;
  size_t s1 = conv2d_scratch_floats(B, c->planes, c->channels, c->size, c->size, 3);
  size_t s2 = conv2d_scratch_floats(B, c->channels, c->channels, c->size, c->size, 3);
  size_t s = s1 > s2 ? s1 : s2, off = 0;
#define TAKE_(ptr, n) do { (ptr) = base ? base + off : NULL; off += ((size_t)(n) + 15) & ~(size_t)15; } while (0)
  TAKE_(d->scratch, s);
  TAKE_(d->tmp, Bs * C * HW);
  for (int i = 0; i < 4; i++) TAKE_(d->g[i], Bs * C * HW);
  TAKE_(d->dph, Bs * 2 * HW);
  TAKE_(d->dph2, Bs * 2 * HW);
  TAKE_(d->dpc, Bs * 2 * HW);
  TAKE_(d->dlogits, Bs * (HW + 1));
  TAKE_(d->dvh, Bs * HW);
  TAKE_(d->dvh2, Bs * HW);
  TAKE_(d->dvc, Bs * HW);
  TAKE_(d->dv1, Bs * C);
  TAKE_(d->dv1b, Bs * C);
  TAKE_(d->dvpre, Bs);
  TAKE_(d->dval, Bs);
  return off;
}

/* Trunk buffers hold B * Cp * HW floats (Cp = channels rounded up to 16: the fast path's NHWC
 * stride; the reference path uses the first B * C * HW of each). */
static size_t layout_acts_(goresnet_acts_t *a, float *base, const goresnet_config_t *c, int B) {
  size_t C = (size_t)c->channels, Cp = (size_t)tk_pad(c->channels), HW = (size_t)c->size * (size_t)c->size, Bs = (size_t)B;
  size_t L = (size_t)c->blocks, off = 0, cmax = C > 2 ? C : 2;
  TAKE_(a->stem_conv, Bs * Cp * HW);
  TAKE_(a->stem_out, Bs * Cp * HW);
  TAKE_(a->c1, L * Bs * Cp * HW);
  TAKE_(a->h, L * Bs * Cp * HW);
  TAKE_(a->c2, L * Bs * Cp * HW);
  TAKE_(a->x, L * Bs * Cp * HW);
  TAKE_(a->bn_mean, (size_t)nconv_(c) * cmax);
  TAKE_(a->bn_rstd, (size_t)nconv_(c) * cmax);
  TAKE_(a->policy_conv, Bs * 2 * HW);
  TAKE_(a->policy_h, Bs * 2 * HW);
  TAKE_(a->policy_logits, Bs * (HW + 1));
  TAKE_(a->policy_probs, Bs * (HW + 1));
  TAKE_(a->value_conv, Bs * HW);
  TAKE_(a->value_h, Bs * HW);
  TAKE_(a->value_fc1, Bs * C);
  TAKE_(a->value_pre, Bs);
  TAKE_(a->value, Bs);
#undef TAKE_
  return off;
}

/* The activation slab (64-byte aligned), grown to batch B. */
static rocks_status_t ensure_acts_(goresnet_t *m, int B, rocks_error_t *err) {
  if (B <= m->batch_capacity && m->acts_memory) {
    layout_acts_(&m->acts, m->acts_memory, &m->config, m->batch_capacity);
    return ROCKS_OK;
  }
  goresnet_acts_t a;
  size_t na = layout_acts_(&a, NULL, &m->config, B);
  void *am = NULL;
  if (posix_memalign(&am, 64, sizeof(float) * na) != 0 || !am)
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (activations for batch %d: %.1f MB)", B, (double)na * 4e-6);
  free(m->acts_memory);
  free(m->dacts_memory); /* sized for the old capacity: the reference path reallocates it */
  m->dacts_memory = NULL;
  m->acts_memory = am;
  m->batch_capacity = B;
  layout_acts_(&m->acts, m->acts_memory, &m->config, B);
  return ROCKS_OK;
}

/* The reference path's gradient + scratch slab, for the current capacity. */
static rocks_status_t ensure_ref_dacts_(goresnet_t *m, rocks_error_t *err) {
  if (m->dacts_memory) return ROCKS_OK;
  dacts_t_ d;
  size_t nd = layout_dacts_(&d, NULL, &m->config, m->batch_capacity);
  m->dacts_memory = malloc(sizeof(float) * nd);
  if (!m->dacts_memory)
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (reference-path scratch for batch %d: %.1f MB)",
                      m->batch_capacity, (double)nd * 4e-6);
  return ROCKS_OK;
}

/* Floats between consecutive blocks' trunk buffers (c1, h, c2, x). */
static size_t act_cap_(const goresnet_t *m) {
  return (size_t)m->batch_capacity * (size_t)tk_pad(m->config.channels) * (size_t)m->config.size * (size_t)m->config.size;
}

/* -------------------------------------------------------------------------- forward --- */

/* conv -> BN (train or eval) into out; layer = index of the saved BN statistics. */
static void convbn_forward_(goresnet_t *m, float *conv_out, float *out, const float *inp, const goresnet_convbn_t *p,
                            int layer, int B, int IC, int OC, int K, int train, float *scratch) {
  const goresnet_config_t *c = &m->config;
  int N = c->size, HW = N * N, cmax = c->channels > 2 ? c->channels : 2;
  conv2d_forward(conv_out, inp, p->weight, scratch, B, IC, OC, N, N, K);
  if (train)
    batchnorm_forward(out, m->acts.bn_mean + (size_t)layer * cmax, m->acts.bn_rstd + (size_t)layer * cmax,
                      p->bn_mean, p->bn_var, conv_out, p->bn_weight, p->bn_bias, B, OC, HW, c->bn_eps, c->bn_momentum);
  else
    batchnorm_forward_eval(out, conv_out, p->bn_weight, p->bn_bias, p->bn_mean, p->bn_var, B, OC, HW, c->bn_eps);
}

static void forward_done_(goresnet_t *m, const float *inp, int B, int train, int fast) {
  m->batch = B;
  m->last_train = train ? 1 : 0;
  m->last_fast = fast;
  m->input = inp;
  m->policy_target = m->value_target = NULL;
  m->flops += goresnet_flops_forward(&m->config) * B;
}

rocks_status_t goresnet_forward(goresnet_t *m, const float *inp, int B, int train, rocks_error_t *err) {
  if (B < 1) return rocks_fail(err, ROCKS_ERR_ARG, "batch %d < 1", B);
  if (ensure_acts_(m, B, err) != ROCKS_OK) return err ? err->code : ROCKS_ERR_NOMEM;
  if (train && m->train_path == GORESNET_TRAIN_FAST) {
    m->last_train = 0; /* until the forward succeeds */
    rocks_status_t st = goresnet_fast_forward(m, inp, B, err);
    if (st != ROCKS_OK) return st;
    forward_done_(m, inp, B, train, 1);
    return ROCKS_OK;
  }
  if (ensure_ref_dacts_(m, err) != ROCKS_OK) return err ? err->code : ROCKS_ERR_NOMEM;
  const goresnet_config_t *c = &m->config;
  goresnet_params_t *p = &m->params;
  goresnet_acts_t *a = &m->acts;
  dacts_t_ d;
  layout_dacts_(&d, m->dacts_memory, c, m->batch_capacity);
  int N = c->size, HW = N * N, C = c->channels, P = c->planes;
  size_t act = (size_t)B * C * HW, cap = act_cap_(m);
  float mult = goresnet_branch_mult(c);

  // stem
  convbn_forward_(m, a->stem_conv, a->stem_out, inp, &p->stem, 0, B, P, C, 3, train, d.scratch);
  relu_forward(a->stem_out, a->stem_out, act);
  // residual blocks
  const float *x = a->stem_out;
  for (int i = 0; i < c->blocks; i++) {
    float *c1 = a->c1 + i * cap, *h = a->h + i * cap, *c2 = a->c2 + i * cap, *xo = a->x + i * cap;
    convbn_forward_(m, c1, h, x, &p->conv1[i], 1 + 2 * i, B, C, C, 3, train, d.scratch);
    relu_forward(h, h, act);
    convbn_forward_(m, c2, d.tmp, h, &p->conv2[i], 2 + 2 * i, B, C, C, 3, train, d.scratch);
    residual_forward(xo, x, d.tmp, mult, act);
    relu_forward(xo, xo, act);
    x = xo;
  }
  // policy head
  int L = 1 + 2 * c->blocks;
  convbn_forward_(m, a->policy_conv, a->policy_h, x, &p->policy, L, B, C, 2, 1, train, d.scratch);
  relu_forward(a->policy_h, a->policy_h, (size_t)B * 2 * HW);
  linear_forward(a->policy_logits, a->policy_h, p->policy_fc_weight, p->policy_fc_bias, 1.0f, B, 2 * HW, HW + 1);
  // value head
  convbn_forward_(m, a->value_conv, a->value_h, x, &p->value, L + 1, B, C, 1, 1, train, d.scratch);
  relu_forward(a->value_h, a->value_h, (size_t)B * HW);
  linear_forward(a->value_fc1, a->value_h, p->value_fc1_weight, p->value_fc1_bias, 1.0f, B, HW, C);
  relu_forward(a->value_fc1, a->value_fc1, (size_t)B * C);
  linear_forward(a->value_pre, a->value_fc1, p->value_fc2_weight, p->value_fc2_bias, goresnet_readout_mult(c), B, C, 1);
  tanh_forward(a->value, a->value_pre, (size_t)B);
  forward_done_(m, inp, B, train, 0);
  return ROCKS_OK;
}

float goresnet_loss(goresnet_t *m, const float *policy_target, const float *value_target) {
  int B = m->batch, HW = m->config.size * m->config.size;
  m->loss_policy = softmax_crossentropy_forward(m->acts.policy_probs, m->acts.policy_logits, policy_target, B, HW + 1);
  m->loss_value = mse_forward(m->acts.value, value_target, B);
  m->loss = m->loss_policy + m->loss_value;
  m->policy_target = policy_target;
  m->value_target = value_target;
  return m->loss;
}

/* ------------------------------------------------------------------------- backward --- */

static void zero_(float *p, size_t n) { memset(p, 0, sizeof(float) * n); }

/* dinp = dout where out > 0, else 0 (relu_backward into a fresh buffer, without zeroing it first). */
static void relu_mask_(float *dinp, const float *dout, const float *out, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

/* BN backward then conv backward, for one conv+BN whose BN output gradient is dbn.
 * dconv: scratch for the conv-output gradient (zeroed here). dinp accumulates (may be NULL). */
static void convbn_backward_(goresnet_t *m, float *dinp, float *dconv, const float *dbn, const float *conv_out,
                             const float *inp, const goresnet_convbn_t *p, goresnet_convbn_t *g, int layer,
                             int B, int IC, int OC, int K, float *scratch) {
  const goresnet_config_t *c = &m->config;
  int N = c->size, HW = N * N, cmax = c->channels > 2 ? c->channels : 2;
  zero_(dconv, (size_t)B * OC * HW);
  batchnorm_backward(dconv, g->bn_weight, g->bn_bias, dbn, conv_out, m->acts.bn_mean + (size_t)layer * cmax,
                     m->acts.bn_rstd + (size_t)layer * cmax, p->bn_weight, B, OC, HW);
  conv2d_backward(dinp, g->weight, dconv, inp, p->weight, scratch, B, IC, OC, N, N, K);
}

rocks_status_t goresnet_backward(goresnet_t *m, float scale, rocks_error_t *err) {
  if (!m->last_train || !m->policy_target || !m->value_target || !m->input)
    return rocks_fail(err, ROCKS_ERR_STATE, "backward needs a training forward followed by goresnet_loss");
  if (m->last_fast) {
    goresnet_fast_backward(m, scale);
    m->flops += 2.0 * goresnet_flops_forward(&m->config) * m->batch;
    return ROCKS_OK;
  }
  const goresnet_config_t *c = &m->config;
  goresnet_params_t *p = &m->params, *g = &m->grads;
  goresnet_acts_t *a = &m->acts;
  dacts_t_ d;
  layout_dacts_(&d, m->dacts_memory, c, m->batch_capacity);
  int B = m->batch, N = c->size, HW = N * N, C = c->channels, P = c->planes;
  size_t act = (size_t)B * C * HW, cap = act_cap_(m);
  float mult = goresnet_branch_mult(c);
  int L = 1 + 2 * c->blocks;
  const float *trunk = c->blocks ? a->x + (size_t)(c->blocks - 1) * cap : a->stem_out;
  float *dx = d.g[0], *dxin = d.g[1], *t1 = d.g[2], *t2 = d.g[3];
  zero_(dx, act);

  // value head: tanh <- fc2 <- relu <- fc1 <- relu <- BN <- conv
  zero_(d.dval, (size_t)B);
  zero_(d.dvpre, (size_t)B);
  zero_(d.dv1, (size_t)B * C);
  zero_(d.dv1b, (size_t)B * C);
  zero_(d.dvh, (size_t)B * HW);
  zero_(d.dvh2, (size_t)B * HW);
  mse_backward(d.dval, a->value, m->value_target, scale, B);
  tanh_backward(d.dvpre, d.dval, a->value, (size_t)B);
  linear_backward(d.dv1, g->value_fc2_weight, g->value_fc2_bias, d.dvpre, a->value_fc1, p->value_fc2_weight,
                  goresnet_readout_mult(c), B, C, 1);
  relu_backward(d.dv1b, d.dv1, a->value_fc1, (size_t)B * C);
  linear_backward(d.dvh, g->value_fc1_weight, g->value_fc1_bias, d.dv1b, a->value_h, p->value_fc1_weight, 1.0f, B, HW, C);
  relu_backward(d.dvh2, d.dvh, a->value_h, (size_t)B * HW);
  convbn_backward_(m, dx, d.dvc, d.dvh2, a->value_conv, trunk, &p->value, &g->value, L + 1, B, C, 1, 1, d.scratch);

  // policy head: CE <- fc <- relu <- BN <- conv
  zero_(d.dlogits, (size_t)B * (HW + 1));
  zero_(d.dph, (size_t)B * 2 * HW);
  zero_(d.dph2, (size_t)B * 2 * HW);
  softmax_crossentropy_backward(d.dlogits, a->policy_probs, m->policy_target, scale, B, HW + 1);
  linear_backward(d.dph, g->policy_fc_weight, g->policy_fc_bias, d.dlogits, a->policy_h, p->policy_fc_weight, 1.0f,
                  B, 2 * HW, HW + 1);
  relu_backward(d.dph2, d.dph, a->policy_h, (size_t)B * 2 * HW);
  convbn_backward_(m, dx, d.dpc, d.dph2, a->policy_conv, trunk, &p->policy, &g->policy, L, B, C, 2, 1, d.scratch);

  // residual blocks, last to first; dx = dL/dx_{i+1} on entry, dL/dx_i on exit.
  // Four (B,C,N,N) buffers rotate: the skip gradient dL/d(sum) doubles as the accumulator of dL/dx_i.
  for (int i = c->blocks - 1; i >= 0; i--) {
    const float *xin = i ? a->x + (size_t)(i - 1) * cap : a->stem_out;
    const float *xout = a->x + (size_t)i * cap, *h = a->h + (size_t)i * cap;
    relu_mask_(t1, dx, xout, act);                 // t1 = dL/d(sum) = skip part of dL/dx_i
    const float *dbn2 = t1;
    if (mult != 1.0f) {                            // branch: mult * dsum
      zero_(t2, act);
      residual_backward(NULL, t2, t1, mult, act);
      dbn2 = t2;
    }
    zero_(dxin, act);
    convbn_backward_(m, dxin, d.tmp, dbn2, a->c2 + (size_t)i * cap, h, &p->conv2[i], &g->conv2[i], 2 + 2 * i,
                     B, C, C, 3, d.scratch);       // dxin = dL/dh
    relu_mask_(t2, dxin, h, act);                  // t2 = dL/d(BN1 out)
    convbn_backward_(m, t1, d.tmp, t2, a->c1 + (size_t)i * cap, xin, &p->conv1[i], &g->conv1[i], 1 + 2 * i,
                     B, C, C, 3, d.scratch);       // t1 += conv1 path: t1 = dL/dx_i
    float *sw = dx;
    dx = t1;
    t1 = sw;
  }
  // stem (no input gradient)
  relu_mask_(t1, dx, a->stem_out, act);
  convbn_backward_(m, NULL, d.tmp, t1, a->stem_conv, m->input, &p->stem, &g->stem, 0, B, P, C, 3, d.scratch);
  m->flops += 2.0 * goresnet_flops_forward(c) * B;
  return ROCKS_OK;
}

/* ---------------------------------------------------------------------- coordcheck --- */

int goresnet_nlayers(const goresnet_t *m) { return 2 + 3 * m->config.blocks + 5; }

const char *goresnet_layer_name(const goresnet_t *m, int layer, char *buf, size_t buflen) {
  int nb = m->config.blocks;
  if (layer == 0) snprintf(buf, buflen, "stem.conv");
  else if (layer == 1) snprintf(buf, buflen, "stem.out");
  else if (layer < 2 + 3 * nb) {
    int i = (layer - 2) / 3, k = (layer - 2) % 3;
    snprintf(buf, buflen, "blocks.%d.%s", i, k == 0 ? "conv1" : k == 1 ? "conv2" : "out");
  } else {
    static const char *heads[5] = {"policy.conv", "policy.logits", "value.conv", "value.fc1", "value.out"};
    int k = layer - 2 - 3 * nb;
    snprintf(buf, buflen, "%s", k >= 0 && k < 5 ? heads[k] : "?");
  }
  return buf;
}

static double mean_abs_(const float *x, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += fabs((double)x[i]);
  return n ? s / (double)n : 0.0;
}

double goresnet_layer_mean_abs(const goresnet_t *m, int layer) {
  const goresnet_config_t *c = &m->config;
  const goresnet_acts_t *a = &m->acts;
  int nb = c->blocks;
  size_t B = (size_t)m->batch, HW = (size_t)c->size * (size_t)c->size, C = (size_t)c->channels;
  // trunk: B*HW*stride floats, the padding channels (fast path) are zero
  size_t act = B * C * HW, span = B * HW * (size_t)goresnet_act_cstride(m), cap = act_cap_(m);
  double k_ = span ? (double)span / (double)act : 1.0;
  if (layer == 0) return mean_abs_(a->stem_conv, span) * k_;
  if (layer == 1) return mean_abs_(a->stem_out, span) * k_;
  if (layer < 2 + 3 * nb) {
    int i = (layer - 2) / 3, k = (layer - 2) % 3;
    const float *base = k == 0 ? a->c1 : k == 1 ? a->c2 : a->x;
    return mean_abs_(base + (size_t)i * cap, span) * k_;
  }
  switch (layer - 2 - 3 * nb) {
    case 0: return mean_abs_(a->policy_conv, B * 2 * HW);
    case 1: return mean_abs_(a->policy_logits, B * (HW + 1));
    case 2: return mean_abs_(a->value_conv, B * HW);
    case 3: return mean_abs_(a->value_fc1, B * C);
    case 4: return mean_abs_(a->value_pre, B);
  }
  return 0.0;
}
