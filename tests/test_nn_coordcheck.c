/* test_nn_coordcheck.c — the muP coordinate check as a test (nn_coordcheck, docs/nn.md).
 *
 * Under mup (AdamW), mean |activation| of every recorded layer at steps 1-3 must agree between
 * widths 64 and 256 within a factor 1.2; under sp at least one layer must leave that band (the
 * pre-BN conv outputs grow ~ width after the first update). The pre-BN outputs of the heads'
 * width->2 and width->1 convs (policy.conv, value.conv) are printed but not held to the band:
 * a BatchNorm right after a readout undoes muP's small readout, so they grow ~ sqrt(width) under
 * mup as well (shown in docs/nn.md; zeroing their LR does not change it); what follows them
 * (policy.logits, value.fc1, value.out) is held to the band.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

/* Worst ratio (max(r, 1/r)) between the two widths over the checked layers; prints them all. */
static double worst_ratio(const nn_coordcheck_config_t *c, const char *label, char *worst_layer, int *worst_step) {
  nn_coordcheck_row_t *rows;
  int n;
  rocks_error_t err;
  if (nn_coordcheck(c, &rows, &n, &err) != ROCKS_OK) {
    printf("nn_coordcheck: %s\n", err.msg);
    exit(1);
  }
  int per_width = n / 2;
  double worst = 1.0;
  printf("%-5s %-16s %4s %10s %10s %7s\n", label, "layer", "step", "w64", "w256", "ratio");
  for (int i = 0; i < per_width; i++) {
    const nn_coordcheck_row_t *a = &rows[i], *b = &rows[per_width + i];
    if (strcmp(a->layer, b->layer) || a->step != b->step) {
      printf("row mismatch\n");
      exit(1);
    }
    int diag = !strcmp(a->layer, "policy.conv") || !strcmp(a->layer, "value.conv");
    double r = (a->mean_abs < 1e-12 && b->mean_abs < 1e-12) ? 1.0 : b->mean_abs / fmax(a->mean_abs, 1e-30);
    double w = r >= 1.0 ? r : 1.0 / r;
    printf("%-5s %-16s %4d %10.4g %10.4g %7.3f%s\n", label, a->layer, a->step, a->mean_abs, b->mean_abs, r,
           diag ? "  (diagnostic)" : w > 1.2 ? "  <-- outside [1/1.2, 1.2]" : "");
    if (!diag && w > worst) {
      worst = w;
      snprintf(worst_layer, NN_NAME_MAX, "%s", a->layer);
      *worst_step = a->step;
    }
  }
  free(rows);
  return worst;
}

int main(void) {
  nn_set_threads(2);
  nn_coordcheck_config_t c = nn_coordcheck_config_default(); // widths 64, 256; base 64; adamw
  c.blocks = 1;
  c.batch = 32;
  c.steps = 3;
  char layer[NN_NAME_MAX] = "";
  int step = 0, fails = 0;

  c.param = NN_PARAM_MUP;
  c.nseeds = 8; // the one-channel value head is noisy at 3 seeds
  double wm = worst_ratio(&c, "mup", layer, &step);
  printf("mup: worst ratio %.3f (%s, step %d); must be <= 1.2\n", wm, layer, step);
  if (wm > 1.2) fails++;

  c.param = NN_PARAM_SP;
  c.nseeds = 2;
  double ws = worst_ratio(&c, "sp", layer, &step);
  printf("sp: worst ratio %.3f (%s, step %d); must be > 1.2\n", ws, layer, step);
  if (ws <= 1.2) fails++;

  printf("test_nn_coordcheck: %s\n", fails ? "FAILED" : "ok");
  return fails ? 1 : 0;
}
