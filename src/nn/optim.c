/* optim.c — SGD (Nesterov) momentum and AdamW with PyTorch 1.13's exact update rules, the muP /
 * depth-muP per-tensor learning-rate table, global-norm gradient clipping and LR schedules.
 *
 * defines: nn_optim_from_name, nn_optim_name, nn_optim_config_default, nn_optim_new,
 *          nn_optim_delete, nn_lr_scale, nn_grad_norm, nn_optim_step, nn_sched_lr
 *
 * Gradient accumulation needs nothing here: goresnet_backward adds into the gradient slab, so
 * k micro-batches with scale 1/k followed by one nn_optim_step is one step on their mean.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

rocks_status_t nn_optim_from_name(const char *name, nn_optim_kind_t *k, rocks_error_t *err) {
  if (!strcmp(name, "sgd")) *k = NN_OPT_SGD;
  else if (!strcmp(name, "adamw") || !strcmp(name, "adam")) *k = NN_OPT_ADAMW;
  else return rocks_fail(err, ROCKS_ERR_ARG, "unknown optimizer '%s' (known: sgd, adamw)", name);
  return ROCKS_OK;
}

const char *nn_optim_name(nn_optim_kind_t k) { return k == NN_OPT_SGD ? "sgd" : "adamw"; }

nn_optim_config_t nn_optim_config_default(nn_optim_kind_t kind) {
  nn_optim_config_t c;
  memset(&c, 0, sizeof c);
  c.kind = kind;
  c.momentum = 0.9f;
  c.nesterov = 1;
  c.beta1 = 0.9f;
  c.beta2 = 0.999f;
  c.eps = 1e-8f;
  return c;
}

/* The muP table (docs/nn.md). m = width multiplier, Ld = (blocks/base_blocks)^alpha.
 *                     Adam/AdamW            SGD
 *   input  (stem conv, value.fc1.weight)   1          m
 *   vector (trunk BN, value.fc1.bias)      1          m
 *   hidden (block convs)                   1/m        1 (= fan_out/fan_in multiplier ratio)
 *   BN-followed readout (head 1x1 convs)   1/m        1/m
 *   readout (value.fc2.weight, x 1/m)      1          m
 *   fixed (policy FC, head BN, fc2 bias)   1          1
 * depth-mup also divides the Adam LR of every tensor inside a residual branch by Ld (SGD: no
 * change, the branch multiplier already scales its updates). sp: 1 everywhere. */
float nn_lr_scale(const goresnet_t *m, int i, nn_optim_kind_t kind) {
  const goresnet_config_t *c = &m->config;
  const nn_tensor_t *t = &m->tensors[i];
  if (c->param == NN_PARAM_SP || !t->trainable) return 1.0f;
  double w = goresnet_width_mult(c), s = 1.0;
  switch (t->mup) {
    case NN_MUP_FIXED: s = 1.0; break;
    case NN_MUP_INPUT:
    case NN_MUP_VECTOR:
    case NN_MUP_READOUT: s = kind == NN_OPT_SGD ? w : 1.0; break;
    case NN_MUP_HIDDEN: s = kind == NN_OPT_SGD ? 1.0 : 1.0 / w; break;
    case NN_MUP_BN_READOUT: s = 1.0 / w; break;
  }
  if (c->param == NN_PARAM_DEPTH_MUP && t->in_block && kind == NN_OPT_ADAMW && c->blocks > 0)
    s /= pow((double)c->blocks / (double)c->base_blocks, (double)c->depth_alpha);
  return (float)s;
}

nn_optim_t *nn_optim_new(const goresnet_t *m, const nn_optim_config_t *c, rocks_error_t *err) {
  if (c->kind != NN_OPT_SGD && c->kind != NN_OPT_ADAMW) {
    rocks_fail(err, ROCKS_ERR_ARG, "unknown optimizer kind %d", (int)c->kind);
    return NULL;
  }
  nn_optim_t *o = calloc(1, sizeof *o);
  if (!o) goto nomem;
  o->config = *c;
  o->nfloats = m->nfloats;
  o->ntensors = m->ntensors;
  o->m = calloc(m->nfloats, sizeof(float));
  if (c->kind == NN_OPT_ADAMW) o->v = calloc(m->nfloats, sizeof(float));
  o->lr_scale = calloc((size_t)m->ntensors, sizeof(float));
  o->has_state = calloc((size_t)m->ntensors, sizeof(int));
  if (!o->m || (c->kind == NN_OPT_ADAMW && !o->v) || !o->lr_scale || !o->has_state) goto nomem;
  for (int i = 0; i < m->ntensors; i++) o->lr_scale[i] = nn_lr_scale(m, i, c->kind);
  return o;
nomem:
  nn_optim_delete(o);
  rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (optimizer state)");
  return NULL;
}

void nn_optim_delete(nn_optim_t *o) {
  if (!o) return;
  free(o->m);
  free(o->v);
  free(o->lr_scale);
  free(o->has_state);
  free(o);
}

float nn_grad_norm(const goresnet_t *m) {
  double s = 0.0;
  for (int i = 0; i < m->ntensors; i++) {
    const nn_tensor_t *t = &m->tensors[i];
    if (!t->trainable) continue;
    const float *g = m->grads_memory + t->offset;
    for (size_t j = 0; j < t->numel; j++) s += (double)g[j] * g[j];
  }
  return (float)sqrt(s);
}

void nn_optim_step(nn_optim_t *o, goresnet_t *m, float lr) {
  const nn_optim_config_t *c = &o->config;
  float clip = 1.0f;
  o->last_grad_norm = nn_grad_norm(m);
  if (c->clip_norm > 0.0f) {
    // torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), applied when < 1
    float coef = c->clip_norm / (o->last_grad_norm + 1e-6f);
    if (coef < 1.0f) clip = coef;
  }
  o->step++;
  double bc1 = 1.0 - pow((double)c->beta1, (double)o->step);
  double bc2 = 1.0 - pow((double)c->beta2, (double)o->step);
  for (int i = 0; i < m->ntensors; i++) {
    const nn_tensor_t *t = &m->tensors[i];
    if (!t->trainable) continue;
    float *p = m->params_memory + t->offset, *g = m->grads_memory + t->offset;
    float *mb = o->m + t->offset;
    float lr_t = lr * o->lr_scale[i];
    float wd = t->decay ? c->weight_decay : 0.0f;
    if (c->kind == NN_OPT_SGD) {
      // torch.optim.SGD: d = g + wd*p; buf = mu*buf + d (buf = d at first); d = nesterov ? d + mu*buf : buf
      for (size_t j = 0; j < t->numel; j++) {
        float dp = g[j] * clip;
        if (wd != 0.0f) dp += wd * p[j];
        if (c->momentum != 0.0f) {
          mb[j] = o->has_state[i] ? c->momentum * mb[j] + dp : dp;
          dp = c->nesterov ? dp + c->momentum * mb[j] : mb[j];
        }
        p[j] -= lr_t * dp;
      }
      o->has_state[i] = 1;
    } else {
      // torch.optim.AdamW: p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
      // p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
      float *vb = o->v + t->offset;
      float step_size = (float)(lr_t / bc1), sbc2 = (float)sqrt(bc2);
      for (size_t j = 0; j < t->numel; j++) {
        float gj = g[j] * clip;
        if (wd != 0.0f) p[j] *= 1.0f - lr_t * wd;
        mb[j] = mb[j] * c->beta1 + (1.0f - c->beta1) * gj;
        vb[j] = vb[j] * c->beta2 + (1.0f - c->beta2) * gj * gj;
        float denom = sqrtf(vb[j]) / sbc2 + c->eps;
        p[j] -= step_size * mb[j] / denom;
      }
      o->has_state[i] = 1;
    }
  }
}

float nn_sched_lr(const nn_sched_t *s, long step) {
  if (step < 0) step = 0;
  if (s->warmup > 0 && step < s->warmup) return s->lr * (float)(step + 1) / (float)s->warmup;
  long t = step - (s->warmup > 0 ? s->warmup : 0);
  switch (s->kind) {
    case NN_SCHED_CONSTANT: return s->lr;
    case NN_SCHED_COSINE: {
      long span = s->total - (s->warmup > 0 ? s->warmup : 0);
      if (span <= 0 || t >= span) return s->min_lr;
      double f = 0.5 * (1.0 + cos(3.14159265358979323846 * (double)t / (double)span));
      return (float)(s->min_lr + (s->lr - s->min_lr) * f);
    }
    case NN_SCHED_STEP: {
      if (s->step_size <= 0) return s->lr;
      return (float)(s->lr * pow((double)s->gamma, (double)(t / s->step_size)));
    }
  }
  return s->lr;
}
