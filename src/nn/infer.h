/* infer.h — the fast inference path of GoResNet (eval mode only; training stays in nn.h).
 *
 * An engine is built from a goresnet_t's parameters: every BatchNorm is folded into the
 * convolution before it (w' = w*g/sqrt(var+eps), b' = beta - mean*g/sqrt(var+eps), times the
 * depth-muP branch multiplier for the second conv of a block), ReLU and the residual add are
 * fused into the convolution's output, and 3x3 convolutions run as Winograd F(3x3,3x3) (a 9x9
 * board is exactly 3x3 tiles; 25 multiplies per 9 outputs instead of 81) with AVX2+FMA kernels
 * chosen at run time (plain C otherwise). The engine owns a small pool of threads: a batch is
 * split by positions, or, for batches too small to split evenly, by output channels.
 * Results equal goresnet_forward(train = 0) up to float rounding (tests/test_nn_infer.c checks
 * 1e-3 relative; measured ~1e-5).
 *
 * The engine copies (folds) the weights: later changes to the model are not seen until
 * nn_infer_refresh. One engine serves one caller at a time (not reentrant); use one engine per
 * search thread, or serialize calls.
 *
 * defines: nn_infer_isa_t, nn_infer_config_t, nn_infer_config_default, nn_infer_new,
 *          nn_infer_delete, nn_infer_refresh, nn_infer_forward, nn_infer_isa, nn_infer_threads,
 *          nn_bench_config_t, nn_bench_run (infer_bench.c, behind `rocks bench nn`)
 */
#ifndef ROCKS_NN_INFER_H
#define ROCKS_NN_INFER_H

#include "nn/nn.h"
#include "util/util.h"

typedef enum {
  NN_INFER_ISA_AUTO = -1, /* best the CPU supports                                         */
  NN_INFER_ISA_C = 0,     /* plain C kernels (the reference twins; slow)                    */
  NN_INFER_ISA_AVX2 = 1,  /* AVX2 + FMA                                                      */
} nn_infer_isa_t;

typedef struct {
  int threads;        /* threads working on a forward, the caller included (1..64)           */
  nn_infer_isa_t isa; /* kernel set; asking for one the CPU lacks is ROCKS_ERR_ARG           */
  int max_batch;      /* activation buffers for this many positions up front (grows later)   */
  int chunk;          /* positions per Winograd block; 0 = auto (V + M of a block ~ 512 KB)   */
} nn_infer_config_t;

/* Defaults: threads 2, isa auto, max_batch 8, chunk auto. */
nn_infer_config_t nn_infer_config_default(void);

typedef struct nn_infer nn_infer_t; /* opaque */

/* Builds an engine for m's architecture and current parameters (BN running statistics).
 * cfg may be NULL (defaults). NULL + err on a bad config or out of memory (ROCKS_ERR_NOMEM),
 * or if threads cannot be started. Free with nn_infer_delete (NULL ok). */
nn_infer_t *nn_infer_new(const goresnet_t *m, const nn_infer_config_t *cfg, rocks_error_t *err);
void nn_infer_delete(nn_infer_t *e);

/* Refolds the weights from m, which must have the architecture the engine was built for
 * (ROCKS_ERR_ARG otherwise). */
rocks_status_t nn_infer_refresh(nn_infer_t *e, const goresnet_t *m, rocks_error_t *err);

/* Eval-mode forward of B >= 1 positions. inp (B, planes, N, N) NCHW as goresnet_forward takes;
 * policy_logits (B, N*N+1) and value (B, tanh applied) are written by the call (either may be
 * NULL to skip that head). ROCKS_ERR_NOMEM if the buffers cannot grow to B. */
rocks_status_t nn_infer_forward(nn_infer_t *e, const float *inp, int B, float *policy_logits,
                                float *value, rocks_error_t *err);

/* The kernel set and thread count the engine uses. */
nn_infer_isa_t nn_infer_isa(const nn_infer_t *e);
int nn_infer_threads(const nn_infer_t *e);
/* Human-readable name of a kernel set ("c", "avx2", "auto"). Static string. */
const char *nn_infer_isa_name(nn_infer_isa_t isa);

/* ------------------------------------------------------------- benchmark (infer_bench.c) --- */

#define NN_BENCH_MAX_REPS 101

typedef struct {
  int size, planes, channels, blocks; /* the GoResNet (default init weights)                  */
  int batch;
  int train;          /* 0: inference via nn_infer_forward; 1: training steps through the
                       * goresnet API (forward + loss + backward + SGD Nesterov momentum step) */
  int threads;        /* engine threads (inference) or nn_set_threads (training)              */
  nn_infer_isa_t isa; /* inference kernel set                                                 */
  double seconds;     /* per repetition (at least one call); a quarter of it warms up first   */
  int reps;           /* 1..NN_BENCH_MAX_REPS                                                 */
  int cpu_time;       /* rates per second of process CPU time (all threads) instead of wall
                       * time: per-core throughput, robust to other load on a shared machine  */
  uint64_t seed;
} nn_bench_config_t;

typedef struct {
  double rate[NN_BENCH_MAX_REPS]; /* positions (inference) or samples (training) per second   */
  int reps;
  double median;
  double flops_per_item;          /* goresnet_flops_forward or _train                        */
  double gflops;                  /* median * flops_per_item / 1e9                            */
  nn_infer_isa_t isa;             /* kernel set used (inference)                              */
} nn_bench_result_t;

/* Defaults: 9x9, 17 planes, b6c64, batch 8, inference, 2 threads, auto isa, 1 s x 5, seed 1. */
nn_bench_config_t nn_bench_config_default(void);
/* Builds a model, runs the benchmark, fills *res. */
rocks_status_t nn_bench_run(const nn_bench_config_t *c, nn_bench_result_t *res, rocks_error_t *err);

#endif
