/* train_pool.h — a small fork-join thread pool for the fast training path (internal to src/nn).
 *
 * nn_pool_run(pool, fn, ctx) calls fn(ctx, tid, nthreads) once for every tid in [0, nthreads)
 * — tid 0 on the calling thread, the others on the pool's workers — and returns when all have
 * finished. Callers keep results independent of timing: either partition statically by tid
 * (nn_pool_range), or (train_goresnet.c) cut the work into fixed items that threads claim with
 * an atomic counter, each item computing the same thing whoever runs it, with any reduction
 * over items done afterwards in item order; tid only selects per-thread scratch. Workers spin
 * briefly for the next job, then sleep on a condition variable (the machine is shared: a
 * sleeping worker costs nothing).
 *
 * defines: nn_pool_t, nn_pool_new, nn_pool_delete, nn_pool_threads, nn_pool_run, nn_pool_range
 */
#ifndef ROCKS_NN_TRAIN_POOL_H
#define ROCKS_NN_TRAIN_POOL_H

typedef struct nn_pool nn_pool_t;
typedef void (*nn_pool_fn)(void *ctx, int tid, int nthreads);

/* A pool of nthreads threads in all (the caller counts as one; nthreads - 1 workers are
 * started). NULL when out of memory or threads cannot be created. nthreads <= 1: no workers. */
nn_pool_t *nn_pool_new(int nthreads);
void nn_pool_delete(nn_pool_t *p);
int nn_pool_threads(const nn_pool_t *p);
/* Runs fn on every thread and waits. Not reentrant: one run at a time per pool. */
void nn_pool_run(nn_pool_t *p, nn_pool_fn fn, void *ctx);

/* [*lo, *hi): the tid-th of nthreads near-equal parts of [0, n). */
static inline void nn_pool_range(int n, int tid, int nthreads, int *lo, int *hi) {
  *lo = (int)((long long)n * tid / nthreads);
  *hi = (int)((long long)n * (tid + 1) / nthreads);
}

#endif
