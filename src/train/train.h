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

#include "nn/nn.h"
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

/* ==================================================== AlphaZero trainer (train_replay.c) === */
/* `rocks train --replay SRC --models DIR`: samples positions from the replay service (SRC =
 * host:port, replay_client_sample; its rate limiter paces the trainer) or from self-play shards
 * on disk (SRC = dir:PATH: every shard-*.npz below PATH, rescanned; the newest `window`
 * positions are sampled uniformly with replacement, and a step is taken only while
 * steps*batch <= samples_per_insert * positions seen since the start), applies a random one of
 * the 8 symmetries per sample, trains with AdamW (or SGD), and publishes:
 *
 *   MODELS/model-%06ld.safetensors (+ .optim.safetensors)   every publish_every steps and at
 *                                  the end, written atomically, then
 *   MODELS/latest                  its file name (atomic): what self-play workers follow
 *   METRICS (default MODELS/../train.csv)  one row every log_every steps
 *
 * Start: MODELS/latest exists -> continue from it (model, optimizer, step); else `init` (a
 * checkpoint) or a random network (seed), published as model-000000 before the first step. */
#include <signal.h>

typedef struct {
  char replay[TRAIN_PATH_MAX];  /* host:port or dir:PATH                                        */
  char models[TRAIN_PATH_MAX];
  char init[TRAIN_PATH_MAX];    /* initial checkpoint ("" = random)                             */
  char metrics[TRAIN_PATH_MAX]; /* CSV path ("" = MODELS/../train.csv)                          */
  char features[16];            /* agz                                                         */
  int blocks, channels;         /* 4, 32 (ignored when resuming or with init)                   */
  char optim[16];               /* adamw | sgd                                                 */
  double lr, weight_decay, momentum; /* 2e-3, 1e-4, 0.9                                        */
  long warmup;                  /* linear LR warm-up steps (50)                                 */
  int batch;                    /* 128                                                          */
  long publish_every;           /* 100                                                          */
  long log_every;               /* 10                                                           */
  long steps;                   /* stop after this many steps in total (0 = until *stop)        */
  double samples_per_insert;    /* dir source only (4)                                         */
  long window;                  /* dir source only: positions (50000)                          */
  long min_positions;           /* dir source only: before the first step (1000)               */
  int threads;                  /* 1                                                            */
  uint64_t seed;                /* init and sampling (1)                                        */
  volatile sig_atomic_t *stop;  /* set: publish and return                                      */
} train_replay_config_t;

train_replay_config_t train_replay_config_default(void);

typedef struct {
  long step;
  int64_t samples, positions_seen, window;
  double loss, policy_loss, value_loss, lr, samples_per_s, elapsed;
  const char *event;            /* NULL, "publish", "waiting"                                  */
  const char *model;            /* the last published file name                                */
} train_replay_progress_t;
typedef void (*train_replay_progress_fn)(const train_replay_progress_t *p, void *ctx);

rocks_status_t train_replay_run(const train_replay_config_t *c, train_replay_progress_fn progress, void *ctx,
                                rocks_error_t *err);
/* Publishes m (and o, may be NULL) as MODELS/model-%06ld.safetensors + MODELS/latest. */
rocks_status_t train_replay_publish(const char *models, long step, const goresnet_t *m, const nn_optim_t *optim,
                                    char *name, size_t len, rocks_error_t *err);

#endif
