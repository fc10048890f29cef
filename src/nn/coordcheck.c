/* coordcheck.c — the muP coordinate check (Tensor Programs V, microsoft/mup's coord check):
 * train a few steps at several widths and record mean |activation| per layer. Under muP the
 * curves are flat in width; under SP the pre-BN conv outputs grow with the width after the
 * first update.
 *
 * defines: nn_coordcheck_config_default, nn_coordcheck
 */
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

nn_coordcheck_config_t nn_coordcheck_config_default(void) {
  nn_coordcheck_config_t c;
  memset(&c, 0, sizeof c);
  c.param = NN_PARAM_MUP;
  c.optim = NN_OPT_ADAMW;
  c.widths[0] = 64;
  c.widths[1] = 256;
  c.nwidths = 2;
  c.base_channels = 64;
  c.blocks = 2;
  c.size = 9;
  c.planes = 17;
  c.batch = 32;
  c.steps = 3;
  c.nseeds = 3;
  c.lr = 0.02f;
  c.seed = 1;
  return c;
}

rocks_status_t nn_coordcheck(const nn_coordcheck_config_t *c, nn_coordcheck_row_t **rows, int *nrows,
                             rocks_error_t *err) {
  *rows = NULL;
  *nrows = 0;
  if (c->nwidths < 1 || c->nwidths > 8) return rocks_fail(err, ROCKS_ERR_ARG, "coordcheck needs 1..8 widths");
  if (c->steps < 1 || c->steps > 1000 || c->nseeds < 1 || c->nseeds > 100 || c->batch < 2 || c->batch > 4096)
    return rocks_fail(err, ROCKS_ERR_ARG, "coordcheck: steps 1..1000, seeds 1..100, batch 2..4096");
  goresnet_config_t gc = goresnet_config_default();
  gc.size = c->size;
  gc.planes = c->planes;
  gc.blocks = c->blocks;
  gc.param = c->param;
  gc.base_channels = c->base_channels;
  gc.channels = c->widths[0];
  if (goresnet_config_check(&gc, err) != ROCKS_OK) return err ? err->code : ROCKS_ERR_ARG;
  int HW = c->size * c->size, B = c->batch;
  int nl = 2 + 3 * c->blocks + 5, total = c->nwidths * c->steps * nl;
  nn_coordcheck_row_t *r = calloc((size_t)total, sizeof *r);
  float *inp = malloc(sizeof(float) * (size_t)B * c->planes * HW);
  float *pt = calloc((size_t)B * (HW + 1), sizeof(float)), *vt = malloc(sizeof(float) * (size_t)B);
  if (!r || !inp || !pt || !vt) {
    free(r);
    free(inp);
    free(pt);
    free(vt);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (coordcheck)");
  }
  rocks_status_t st = ROCKS_OK;
  for (int s = 0; s < c->nseeds && st == ROCKS_OK; s++) {
    // one batch per seed, shared by all widths
    rocks_rng_t rng;
    rocks_rng_seed(&rng, c->seed * 1000003u + (uint64_t)s);
    for (size_t i = 0; i < (size_t)B * c->planes * HW; i++) inp[i] = rocks_rng_double(&rng) < 0.3 ? 1.0f : 0.0f;
    memset(pt, 0, sizeof(float) * (size_t)B * (HW + 1));
    for (int b = 0; b < B; b++) {
      pt[(size_t)b * (HW + 1) + rocks_rng_below(&rng, (uint32_t)(HW + 1))] = 1.0f;
      vt[b] = rocks_rng_double(&rng) < 0.5 ? -1.0f : 1.0f;
    }
    for (int w = 0; w < c->nwidths && st == ROCKS_OK; w++) {
      gc.channels = c->widths[w];
      goresnet_t *m = goresnet_new(&gc, err);
      nn_optim_config_t oc = nn_optim_config_default(c->optim);
      nn_optim_t *o = m ? nn_optim_new(m, &oc, err) : NULL;
      if (!m || !o) {
        goresnet_delete(m);
        st = err ? err->code : ROCKS_ERR_NOMEM;
        break;
      }
      goresnet_init(m, c->seed * 7919u + (uint64_t)s * 104729u + (uint64_t)w);
      for (int t = 0; t < c->steps && st == ROCKS_OK; t++) {
        st = goresnet_forward(m, inp, B, 1, err);
        if (st != ROCKS_OK) break;
        for (int l = 0; l < nl; l++) {
          nn_coordcheck_row_t *row = &r[(w * c->steps + t) * nl + l];
          row->width = c->widths[w];
          row->step = t + 1;
          goresnet_layer_name(m, l, row->layer, sizeof row->layer);
          row->mean_abs += goresnet_layer_mean_abs(m, l) / c->nseeds;
        }
        goresnet_loss(m, pt, vt);
        goresnet_zero_grad(m);
        st = goresnet_backward(m, 1.0f, err);
        if (st == ROCKS_OK) nn_optim_step(o, m, c->lr);
      }
      nn_optim_delete(o);
      goresnet_delete(m);
    }
  }
  free(inp);
  free(pt);
  free(vt);
  if (st != ROCKS_OK) {
    free(r);
    return st;
  }
  *rows = r;
  *nrows = total;
  return ROCKS_OK;
}
