/* train.h — supervised training of a GoResNet on .npz shards (src/train/train.c, llm.c-style).
 *
 * What it is: the configuration (every key settable from a JSON config or a `--key value` flag,
 * the same names), and one function that runs (or resumes) a training run in a folder:
 *
 *   RUN/config.json                 the effective configuration (resume reads it back)
 *   RUN/train-manifest.json         the training dataset's manifest.json, copied
 *   RUN/val-manifest.json           the validation dataset's, copied
 *   RUN/metrics.csv                 one row every log_every steps (and at evaluations / the end)
 *   RUN/checkpoints/step-%08ld.safetensors (+ .optim.safetensors)   model + optimizer state,
 *                                   every ckpt_every steps, at step 0 and at the end (atomic)
 *
 * Resume: the last complete checkpoint gives the model, the optimizer state, the step, the
 * partial loss sums of the current log interval and the wall time; the loader is positioned at
 * sample step*batch (ds_loader_seek replays its stream); metrics.csv keeps the rows up to that
 * step. Everything in a row except `samples_per_s` and `wall_s` is then byte-identical to an
 * uninterrupted run with the same configuration (same thread count). A run killed before its
 * step-0 checkpoint restarts from step 0 on --resume.
 * What it is not: printing — a progress callback reports each step.
 */
#ifndef ROCKS_TRAIN_H
#define ROCKS_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define TRAIN_PATH_MAX 1024

typedef struct {
  char train[TRAIN_PATH_MAX];   /* training dataset: folder (shards/ inside) or one .npz       */
  char val[TRAIN_PATH_MAX];     /* validation dataset ("" = none)                              */
  char features[16];            /* agz | rich                                                  */
  /* model */
  int blocks, channels;         /* also "model": "b6c64"                                        */
  char param[16];               /* sp | mup | depth-mup                                        */
  int base_channels, base_blocks;
  double depth_alpha, depth_a;
  /* optimizer */
  char optim[16];               /* adamw | sgd                                                 */
  double lr, momentum, beta1, beta2, eps, weight_decay, clip;
  int nesterov;
  /* schedule */
  char schedule[16];            /* constant | cosine | step                                    */
  long warmup, step_size;
  double min_lr, gamma;
  /* length: one of steps, epochs, flop_budget (train_config_set of one > 0 clears the others;
   * if several are > 0 the first of steps, epochs, flop_budget counts) */
  long steps;
  double epochs, flop_budget;
  int batch;
  /* bookkeeping */
  long eval_every, ckpt_every, log_every;
  long buffer;                  /* shuffle buffer in positions (0 = the whole dataset)          */
  int symmetries;               /* random symmetry per sample                                  */
  int prefetch;                 /* loader batches prepared ahead                               */
  int threads;                  /* nn threads                                                  */
  uint64_t seed;                /* model init and data order                                   */
} train_config_t;

/* Defaults: features agz, b6c64 sp (base 64, 1, alpha 0.5, a 1), adamw lr 2e-3 momentum 0.9
 * nesterov betas 0.9/0.999 eps 1e-8 wd 1e-4 no clipping, cosine with 100 warm-up steps to 0,
 * epochs 1, batch 256, eval every 500, checkpoint every 1000, log every 100, buffer 0,
 * symmetries on, prefetch 4, threads 2, seed 1. */
train_config_t train_config_default(void);
/* Sets one key ("lr", "model", "flop_budget", ... — the field names; '-' works as '_') from
 * text. ROCKS_ERR_ARG with a message for an unknown key or a bad value. */
rocks_status_t train_config_set(train_config_t *c, const char *key, const char *value, rocks_error_t *err);
/* Applies a JSON object's keys (numbers, strings, booleans) with train_config_set. */
rocks_status_t train_config_from_json(train_config_t *c, const char *json, rocks_error_t *err);
/* The configuration as a JSON object (malloc'd text; NULL when out of memory). */
char *train_config_to_json(const train_config_t *c);
/* Checks values and names. */
rocks_status_t train_config_check(const train_config_t *c, rocks_error_t *err);

typedef struct {
  long step, total_steps;
  int64_t samples;
  double epoch;                 /* samples / training positions                                */
  float lr;
  double loss;                  /* training loss of this step's batch                           */
  double val_loss, val_acc;     /* last evaluation (NaN before the first)                       */
  double samples_per_s;         /* this process                                                */
  double elapsed, eta;          /* seconds                                                      */
  const char *event;            /* NULL, "eval", "checkpoint"                                   */
} train_progress_t;
typedef void (*train_progress_fn)(const train_progress_t *p, void *ctx);

typedef struct {
  long steps;                   /* steps completed in total                                    */
  long resumed_from;            /* checkpoint step resumed from (-1: fresh run)                 */
  int64_t samples;
  double val_loss, val_policy_loss, val_value_mse, val_acc, val_uniform_acc; /* last eval      */
  double train_loss;            /* last logged interval                                        */
  double samples_per_s;         /* this process, training steps only                           */
  double seconds;
} train_result_t;

/* Runs training into folder `run` (created). resume = 0: a fresh run with config c (error if
 * RUN already holds a run); resume = 1: continues RUN from its last checkpoint with
 * RUN/config.json (c is ignored, except c->threads when > 0). */
rocks_status_t train_run(const char *run, const train_config_t *c, int resume, train_progress_fn progress, void *ctx,
                         train_result_t *result, rocks_error_t *err);

/* The checkpoint path of a step: RUN/checkpoints/step-%08ld.safetensors. */
void train_checkpoint_path(const char *run, long step, char *out, size_t len);

#endif
