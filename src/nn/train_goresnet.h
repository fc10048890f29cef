/* train_goresnet.h — the fast training path of GoResNet (internal to src/nn; used by goresnet.c).
 * defines: goresnet_fast_forward, goresnet_fast_backward, goresnet_fast_delete
 */
#ifndef ROCKS_NN_TRAIN_GORESNET_H
#define ROCKS_NN_TRAIN_GORESNET_H

#include "nn/nn.h"

/* Training-mode forward on the fast path (m->acts already sized for B by goresnet.c). Trunk
 * activations end up NHWC with channel stride tk_pad(channels); heads as on the reference path. */
rocks_status_t goresnet_fast_forward(goresnet_t *m, const float *inp, int B, rocks_error_t *err);
/* Backward of the last fast forward + goresnet_loss (accumulates scale * gradients). */
void goresnet_fast_backward(goresnet_t *m, float scale);
void goresnet_fast_delete(struct goresnet_fast *f);

#endif
