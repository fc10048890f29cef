/* train_pool.c — the fork-join pool of the fast training path (see train_pool.h).
 *
 * A job is published by bumping `gen`; workers spin on it for a short while (the phases of a
 * training step follow each other within microseconds), then sleep on `cond`. The caller runs
 * tid 0 itself and waits for `done` to reach nthreads - 1.
 */
#include "nn/train_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define POOL_SPIN_ 20000 /* pause iterations before a worker sleeps (~0.1-1 ms)            */

typedef struct {
  nn_pool_t *pool;
  int tid;
} worker_arg_t_;

struct nn_pool {
  int nthreads, nstarted;
  pthread_t *threads;
  worker_arg_t_ *args;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  atomic_uint gen;  /* job generation                                              */
  atomic_int done;  /* workers finished with the current job                         */
  atomic_int stop;
  nn_pool_fn fn;
  void *ctx;
};

static inline void cpu_relax_(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void *worker_(void *arg) {
  worker_arg_t_ *wa = arg;
  nn_pool_t *p = wa->pool;
  unsigned seen = 0;
  for (;;) {
    unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
    for (int i = 0; g == seen && i < POOL_SPIN_; i++) {
      cpu_relax_();
      g = atomic_load_explicit(&p->gen, memory_order_acquire);
    }
    if (g == seen) {
      pthread_mutex_lock(&p->mu);
      while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen &&
             !atomic_load_explicit(&p->stop, memory_order_acquire))
        pthread_cond_wait(&p->cond, &p->mu);
      pthread_mutex_unlock(&p->mu);
    }
    if (atomic_load_explicit(&p->stop, memory_order_acquire)) break;
    seen = g;
    p->fn(p->ctx, wa->tid, p->nthreads);
    atomic_fetch_add_explicit(&p->done, 1, memory_order_acq_rel);
  }
  return NULL;
}

nn_pool_t *nn_pool_new(int nthreads) {
  if (nthreads < 1) nthreads = 1;
  nn_pool_t *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nthreads = nthreads;
  atomic_init(&p->gen, 0u);
  atomic_init(&p->done, 0);
  atomic_init(&p->stop, 0);
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->cond, NULL) != 0) {
    pthread_mutex_destroy(&p->mu);
    free(p);
    return NULL;
  }
  if (nthreads > 1) {
    p->threads = calloc((size_t)nthreads, sizeof *p->threads);
    p->args = calloc((size_t)nthreads, sizeof *p->args);
    if (!p->threads || !p->args) {
      nn_pool_delete(p);
      return NULL;
    }
    for (int t = 1; t < nthreads; t++) {
      p->args[t].pool = p;
      p->args[t].tid = t;
      if (pthread_create(&p->threads[t], NULL, worker_, &p->args[t]) != 0) {
        nn_pool_delete(p);
        return NULL;
      }
      p->nstarted = t;
    }
  }
  return p;
}

void nn_pool_delete(nn_pool_t *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  atomic_store_explicit(&p->stop, 1, memory_order_release);
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  for (int t = 1; t <= p->nstarted; t++) pthread_join(p->threads[t], NULL);
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->mu);
  free(p->threads);
  free(p->args);
  free(p);
}

int nn_pool_threads(const nn_pool_t *p) { return p ? p->nthreads : 1; }

void nn_pool_run(nn_pool_t *p, nn_pool_fn fn, void *ctx) {
  if (!p || p->nthreads <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  p->fn = fn;
  p->ctx = ctx;
  atomic_store_explicit(&p->done, 0, memory_order_relaxed);
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add_explicit(&p->gen, 1u, memory_order_acq_rel);
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  fn(ctx, 0, p->nthreads);
  const int want = p->nthreads - 1;
  for (long i = 0; atomic_load_explicit(&p->done, memory_order_acquire) < want; i++) {
    if (i < POOL_SPIN_) cpu_relax_();
    else sched_yield();
  }
}
