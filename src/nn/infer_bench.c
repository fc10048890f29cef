/* infer_bench.c — throughput measurement behind `rocks bench nn`: inference through the fast
 * path (nn_infer_forward) and training steps through the goresnet API (goresnet_forward +
 * loss + backward + SGD step), on random positions. Reports every repetition and the median;
 * the CLI prints. defines: nn_bench_config_default, nn_bench_run
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/infer.h"

nn_bench_config_t nn_bench_config_default(void) {
  nn_bench_config_t c;
  memset(&c, 0, sizeof c);
  c.size = 9;
  c.planes = 17;
  c.channels = 64;
  c.blocks = 6;
  c.batch = 8;
  c.train = 0;
  c.threads = 2;
  c.isa = NN_INFER_ISA_AUTO;
  c.seconds = 1.0;
  c.reps = 5;
  c.seed = 1;
  return c;
}

/* Wall clock, or this process's CPU time (all threads) when cpu != 0. */
static double clock_(int cpu) {
  if (!cpu) return rocks_now();
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double_(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Binary feature planes, about a third set (as stone planes are), last plane side to move. */
static void random_planes_(float *inp, int B, int planes, int n, rocks_rng_t *r) {
  for (int b = 0; b < B; b++)
    for (int c = 0; c < planes; c++)
      for (int i = 0; i < n * n; i++)
        inp[((size_t)b * (size_t)planes + (size_t)c) * (size_t)(n * n) + (size_t)i] =
            c == planes - 1 ? (float)(b & 1) : (rocks_rng_below(r, 3) == 0 ? 1.0f : 0.0f);
}

rocks_status_t nn_bench_run(const nn_bench_config_t *bc, nn_bench_result_t *res, rocks_error_t *err) {
  memset(res, 0, sizeof *res);
  if (bc->reps < 1 || bc->reps > NN_BENCH_MAX_REPS)
    return rocks_fail(err, ROCKS_ERR_ARG, "bench: reps %d not in [1, %d]", bc->reps, NN_BENCH_MAX_REPS);
  if (bc->batch < 1 || bc->batch > 65536) return rocks_fail(err, ROCKS_ERR_ARG, "bench: batch %d not in [1, 65536]", bc->batch);
  goresnet_config_t c = goresnet_config_default();
  c.size = bc->size;
  c.planes = bc->planes;
  c.channels = bc->channels;
  c.blocks = bc->blocks;
  goresnet_t *m = goresnet_new(&c, err);
  if (!m) return err ? err->code : ROCKS_ERR_ARG;
  goresnet_init(m, bc->seed);
  const int B = bc->batch, n = c.size, NP = n * n + 1;
  float *inp = malloc(sizeof(float) * (size_t)B * (size_t)c.planes * (size_t)(n * n));
  float *pol = malloc(sizeof(float) * (size_t)B * (size_t)NP), *val = malloc(sizeof(float) * (size_t)B);
  rocks_status_t st = ROCKS_OK;
  nn_infer_t *e = NULL;
  nn_optim_t *opt = NULL;
  if (!inp || !pol || !val) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "bench: out of memory");
    goto done;
  }
  rocks_rng_t r;
  rocks_rng_seed(&r, bc->seed);
  random_planes_(inp, B, c.planes, n, &r);
  if (bc->train) {
    /* targets: a one-hot policy (soft targets work the same) and values +-1 */
    memset(pol, 0, sizeof(float) * (size_t)B * (size_t)NP);
    for (int b = 0; b < B; b++) {
      pol[(size_t)b * (size_t)NP + rocks_rng_below(&r, (uint32_t)NP)] = 1.0f;
      val[b] = rocks_rng_below(&r, 2) ? 1.0f : -1.0f;
    }
    nn_set_threads(bc->threads);
    nn_optim_config_t oc = nn_optim_config_default(NN_OPT_SGD);
    oc.momentum = 0.9f;
    oc.nesterov = 1;
    oc.weight_decay = 1e-4f;
    opt = nn_optim_new(m, &oc, err);
    if (!opt) {
      st = err ? err->code : ROCKS_ERR_NOMEM;
      goto done;
    }
  } else {
    nn_infer_config_t ic = nn_infer_config_default();
    ic.threads = bc->threads;
    ic.isa = bc->isa;
    ic.max_batch = B;
    e = nn_infer_new(m, &ic, err);
    if (!e) {
      st = err ? err->code : ROCKS_ERR_NOMEM;
      goto done;
    }
    res->isa = nn_infer_isa(e);
  }
  for (int rep = -1; rep < bc->reps; rep++) { /* rep -1: warm-up */
    long calls = 0;
    double t0 = clock_(bc->cpu_time), t;
    do {
      if (bc->train) {
        goresnet_zero_grad(m);
        if ((st = goresnet_forward(m, inp, B, 1, err)) != ROCKS_OK) goto done;
        goresnet_loss(m, pol, val);
        if ((st = goresnet_backward(m, 1.0f, err)) != ROCKS_OK) goto done;
        nn_optim_step(opt, m, 0.01f);
      } else if ((st = nn_infer_forward(e, inp, B, pol, val, err)) != ROCKS_OK) {
        goto done;
      }
      calls++;
      t = clock_(bc->cpu_time) - t0;
    } while (t < (rep < 0 ? bc->seconds * 0.25 : bc->seconds));
    if (rep >= 0) res->rate[rep] = (double)calls * (double)B / t;
  }
  res->reps = bc->reps;
  double sorted[NN_BENCH_MAX_REPS];
  memcpy(sorted, res->rate, sizeof(double) * (size_t)bc->reps);
  qsort(sorted, (size_t)bc->reps, sizeof(double), cmp_double_);
  res->median = bc->reps % 2 ? sorted[bc->reps / 2] : 0.5 * (sorted[bc->reps / 2 - 1] + sorted[bc->reps / 2]);
  res->flops_per_item = bc->train ? goresnet_flops_train(&c) : goresnet_flops_forward(&c);
  res->gflops = res->median * res->flops_per_item * 1e-9;
done:
  nn_optim_delete(opt);
  nn_infer_delete(e);
  goresnet_delete(m);
  free(inp);
  free(pol);
  free(val);
  return st;
}
