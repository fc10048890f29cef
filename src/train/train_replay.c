/* train_replay.c — the AlphaZero trainer (train.h, `rocks train --replay`): positions from the
 * replay service or from self-play shards on disk, random symmetries, AdamW/SGD steps, models
 * published atomically to the models folder that self-play workers follow.
 *
 * Reading order: 1. the two data sources, 2. batches, 3. publishing, 4. the loop. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/ds.h"
#include "go/feat.h"
#include "replay/replay_client.h"
#include "train/train.h"

train_replay_config_t train_replay_config_default(void) {
  train_replay_config_t c;
  memset(&c, 0, sizeof c);
  strcpy(c.features, "agz");
  c.blocks = 4, c.channels = 32;
  strcpy(c.optim, "adamw");
  c.lr = 2e-3, c.weight_decay = 1e-4, c.momentum = 0.9, c.warmup = 50;
  c.batch = 128, c.publish_every = 100, c.log_every = 10;
  c.samples_per_insert = 4, c.window = 50000, c.min_positions = 1000;
  c.threads = 1, c.seed = 1;
  return c;
}

static void sleep_s(double s) {
  struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* ======================================================================= 1. data sources === */

typedef struct {
  char path[TRAIN_PATH_MAX];
  ds_shard_t s;
  int loaded;
} shard_slot_t;

typedef struct {
  /* dir source */
  char root[TRAIN_PATH_MAX];
  shard_slot_t *shards;       /* in order of discovery; the window is a suffix              */
  int nshards, cap, first;    /* shards[first..nshards) are loaded                           */
  int64_t window_positions, seen;
  char **known;               /* every shard path seen (loaded or skipped)                  */
  int nknown, known_cap;
  double last_scan;
  /* service */
  replay_client_t *client;
  ds_record_t *recs;
  float *dist;
  int rcap;
  rocks_rng_t rng;
} source_t;

static int known_has(const source_t *s, const char *p) {
  for (int i = 0; i < s->nknown; i++)
    if (!strcmp(s->known[i], p)) return 1;
  return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Shard files under dir, recursively (depth <= 3), appended to *list. */
static void find_shards(const char *dir, int depth, char ***list, int *n, int *cap) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char p[TRAIN_PATH_MAX];
    if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p) continue;
    size_t L = strlen(de->d_name);
    struct stat sb;
    if (stat(p, &sb) != 0) continue;
    if (S_ISDIR(sb.st_mode)) {
      if (depth < 3 && strcmp(de->d_name, "spool")) find_shards(p, depth + 1, list, n, cap);
    } else if (L > 4 && !strcmp(de->d_name + L - 4, ".npz") && !strncmp(de->d_name, "shard-", 6)) {
      if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        char **q = realloc(*list, (size_t)*cap * sizeof *q);
        if (!q) break;
        *list = q;
      }
      if (((*list)[*n] = strdup(p))) (*n)++;
    }
  }
  closedir(d);
}

/* Loads new shards, drops the oldest beyond the window. */
static rocks_status_t dir_scan(source_t *s, long window, rocks_error_t *err) {
  s->last_scan = rocks_now();
  char **list = NULL;
  int n = 0, cap = 0;
  find_shards(s->root, 0, &list, &n, &cap);
  if (n > 0) qsort(list, (size_t)n, sizeof *list, cmp_str);
  rocks_status_t st = ROCKS_OK;
  for (int i = 0; i < n && st == ROCKS_OK; i++) {
    if (known_has(s, list[i])) continue;
    if (s->nknown == s->known_cap) {
      s->known_cap = s->known_cap ? 2 * s->known_cap : 64;
      char **q = realloc(s->known, (size_t)s->known_cap * sizeof *q);
      if (!q) {
        st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
        break;
      }
      s->known = q;
    }
    s->known[s->nknown++] = strdup(list[i]);
    if (s->nshards == s->cap) {
      s->cap = s->cap ? 2 * s->cap : 64;
      shard_slot_t *q = realloc(s->shards, (size_t)s->cap * sizeof *q);
      if (!q) {
        st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
        break;
      }
      s->shards = q;
    }
    shard_slot_t *sl = &s->shards[s->nshards];
    memset(sl, 0, sizeof *sl);
    snprintf(sl->path, sizeof sl->path, "%s", list[i]);
    rocks_error_t e2;
    if (ds_shard_load(sl->path, &sl->s, &e2) != ROCKS_OK) continue; /* a foreign or broken file: skip it */
    if (sl->s.n == 0) {
      ds_shard_free(&sl->s);
      continue;
    }
    sl->loaded = 1;
    s->nshards++;
    s->window_positions += sl->s.n;
    s->seen += sl->s.n;
  }
  for (int i = 0; i < n; i++) free(list[i]);
  free(list);
  while (s->first < s->nshards - 1 && s->window_positions - s->shards[s->first].s.n >= window) {
    s->window_positions -= s->shards[s->first].s.n;
    ds_shard_free(&s->shards[s->first].s);
    s->shards[s->first].loaded = 0;
    s->first++;
  }
  return st;
}

static void source_free(source_t *s) {
  for (int i = s->first; i < s->nshards; i++)
    if (s->shards[i].loaded) ds_shard_free(&s->shards[i].s);
  free(s->shards);
  for (int i = 0; i < s->nknown; i++) free(s->known[i]);
  free(s->known);
  replay_client_delete(s->client);
  free(s->recs);
  free(s->dist);
}

/* n records into s->recs (dist pointers valid until the next call). ROCKS_ERR_STATE: not now. */
static rocks_status_t source_sample(source_t *s, int n, rocks_error_t *err) {
  if (n > s->rcap) {
    free(s->recs), free(s->dist);
    s->recs = malloc((size_t)n * sizeof *s->recs);
    s->dist = malloc((size_t)n * (DS_MAX_NN + 1) * sizeof *s->dist);
    if (!s->recs || !s->dist) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    s->rcap = n;
  }
  if (s->client) return replay_client_sample(s->client, n, 2.0, s->recs, s->dist, err);
  if (s->window_positions <= 0) return rocks_fail(err, ROCKS_ERR_STATE, "no positions yet");
  for (int k = 0; k < n; k++) {
    int64_t j = (int64_t)(rocks_rng_double(&s->rng) * (double)s->window_positions);
    int i = s->first;
    while (i < s->nshards - 1 && j >= s->shards[i].s.n) j -= s->shards[i++].s.n;
    if (j >= s->shards[i].s.n) j = s->shards[i].s.n - 1;
    ds_shard_record(&s->shards[i].s, j, &s->recs[k]);
  }
  return ROCKS_OK;
}

/* ============================================================================ 2. batches === */

typedef struct {
  int B, planes, N;
  float *inputs, *policy, *value, *tmp, *ptmp;
} batch_t;

static void make_batch(batch_t *b, const ds_record_t *recs, feat_set_t fs, rocks_rng_t *rng) {
  const int N = b->N, NN = N * N, A = NN + 1;
  const size_t PF = (size_t)b->planes * (size_t)NN;
  for (int i = 0; i < b->B; i++) {
    const ds_record_t *r = &recs[i];
    const int sym = (int)rocks_rng_below(rng, 8);
    ds_record_features(r, fs, b->tmp);
    ds_sym_planes(b->inputs + (size_t)i * PF, b->tmp, b->planes, N, sym);
    float *pol = b->policy + (size_t)i * (size_t)A;
    if (r->dist) ds_sym_policy(pol, r->dist, N, sym);
    else {
      memset(pol, 0, (size_t)A * sizeof *pol);
      if (r->policy >= 0 && r->policy <= NN) pol[ds_sym_point(N, sym, r->policy)] = 1.0f;
    }
    b->value[i] = r->z;
  }
}

/* ========================================================================= 3. publishing === */

rocks_status_t train_replay_publish(const char *models, long step, const goresnet_t *m, const nn_optim_t *o, char *name,
                                    size_t len, rocks_error_t *err) {
  char file[64], path[TRAIN_PATH_MAX + 80], step_s[32];
  snprintf(file, sizeof file, "model-%06ld.safetensors", step);
  snprintf(path, sizeof path, "%s/%s", models, file);
  snprintf(step_s, sizeof step_s, "%ld", step);
  nn_meta_kv_t kv[1] = {{"train.step", step_s}};
  rocks_status_t st = nn_checkpoint_save(path, m, o, kv, 1, err);
  if (st != ROCKS_OK) return st;
  char latest[TRAIN_PATH_MAX + 16], text[80];
  snprintf(latest, sizeof latest, "%s/latest", models);
  snprintf(text, sizeof text, "%s\n", file);
  if ((st = ds_write_text_atomic(latest, text, err)) != ROCKS_OK) return st;
  if (name) snprintf(name, len, "%s", file);
  return ROCKS_OK;
}

/* ============================================================================== 4. loop === */

rocks_status_t train_replay_run(const train_replay_config_t *c, train_replay_progress_fn progress, void *ctx,
                                rocks_error_t *err) {
  rocks_status_t st = ROCKS_OK;
  feat_set_t fs;
  if ((st = feat_from_name(c->features, &fs, err)) != ROCKS_OK) return st;
  if (c->batch < 1 || c->batch > 65536) return rocks_fail(err, ROCKS_ERR_ARG, "train: batch %d is outside 1..65536", c->batch);
  if (c->publish_every < 1 || c->log_every < 1) return rocks_fail(err, ROCKS_ERR_ARG, "train: publish/log intervals must be >= 1");
  if (!c->models[0]) return rocks_fail(err, ROCKS_ERR_ARG, "train: --models DIR is required");
  if ((st = ds_mkdirs(c->models, err)) != ROCKS_OK) return st;
  nn_optim_kind_t ok;
  if ((st = nn_optim_from_name(c->optim, &ok, err)) != ROCKS_OK) return st;

  source_t src;
  memset(&src, 0, sizeof src);
  rocks_rng_seed(&src.rng, rocks_mix64(c->seed ^ 0xda7au));
  if (!strncmp(c->replay, "dir:", 4)) snprintf(src.root, sizeof src.root, "%s", c->replay + 4);
  else if (!(src.client = replay_client_new(c->replay, err))) return err && err->code ? err->code : ROCKS_ERR_ARG;

  goresnet_t *m = NULL;
  nn_optim_t *o = NULL;
  batch_t b = {0};
  FILE *mf = NULL;
  char name[128] = "", path[TRAIN_PATH_MAX + 128];
  long step = 0;
  nn_set_threads(c->threads);
  /* ---- model: resume, init, or random ---- */
  rocks_error_t e2;
  FILE *lf;
  snprintf(path, sizeof path, "%s/latest", c->models);
  if ((lf = fopen(path, "r"))) {
    char nm[128] = {0};
    if (!fgets(nm, sizeof nm, lf)) nm[0] = 0;
    fclose(lf);
    nm[strcspn(nm, "\r\n")] = 0;
    snprintf(path, sizeof path, "%s/%s", c->models, nm);
    if (!(m = nn_checkpoint_load_new(path, err))) {
      st = err && err->code ? err->code : ROCKS_ERR_IO;
      goto out;
    }
    char sv[32];
    if (nn_checkpoint_read_meta(path, "train.step", sv, sizeof sv, &e2) == ROCKS_OK) step = atol(sv);
    snprintf(name, sizeof name, "%s", nm);
  } else if (c->init[0]) {
    if (!(m = nn_checkpoint_load_new(c->init, err))) {
      st = err && err->code ? err->code : ROCKS_ERR_IO;
      goto out;
    }
  } else {
    goresnet_config_t mc = goresnet_config_default();
    mc.blocks = c->blocks, mc.channels = c->channels, mc.planes = feat_planes(fs);
    snprintf(mc.features, sizeof mc.features, "%s", feat_name(fs));
    if (!(m = goresnet_new(&mc, err))) {
      st = err && err->code ? err->code : ROCKS_ERR_ARG;
      goto out;
    }
    goresnet_init(m, c->seed);
  }
  if (m->config.planes != feat_planes(fs)) {
    st = rocks_fail(err, ROCKS_ERR_ARG, "train: the model takes %d planes, features %s have %d", m->config.planes,
                    feat_name(fs), feat_planes(fs));
    goto out;
  }
  nn_optim_config_t oc = nn_optim_config_default(ok);
  oc.weight_decay = (float)c->weight_decay;
  oc.momentum = (float)c->momentum;
  if (!(o = nn_optim_new(m, &oc, err))) {
    st = err && err->code ? err->code : ROCKS_ERR_NOMEM;
    goto out;
  }
  if (name[0]) {
    snprintf(path, sizeof path, "%s/%s", c->models, name);
    char op[TRAIN_PATH_MAX + 160];
    nn_checkpoint_optim_path(path, op, sizeof op);
    if (access(op, F_OK) == 0 && (st = nn_checkpoint_load_optim(path, o, m, err)) != ROCKS_OK) goto out;
  } else if ((st = train_replay_publish(c->models, 0, m, o, name, sizeof name, err)) != ROCKS_OK) goto out;

  /* ---- metrics ---- */
  if (c->metrics[0]) snprintf(path, sizeof path, "%s", c->metrics);
  else snprintf(path, sizeof path, "%s/../train.csv", c->models);
  if (!(mf = fopen(path, "a"))) {
    st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", path, strerror(errno));
    goto out;
  }
  if (ftell(mf) == 0) fprintf(mf, "step,samples,positions_seen,window,lr,loss,policy_loss,value_loss,samples_per_s,wall_s,model\n");
  fflush(mf);

  const int N = m->config.size, A = N * N + 1;
  b.B = c->batch, b.planes = m->config.planes, b.N = N;
  b.inputs = malloc((size_t)c->batch * (size_t)b.planes * (size_t)(N * N) * sizeof(float));
  b.policy = malloc((size_t)c->batch * (size_t)A * sizeof(float));
  b.value = malloc((size_t)c->batch * sizeof(float));
  b.tmp = malloc((size_t)b.planes * (size_t)(N * N) * sizeof(float));
  if (!b.inputs || !b.policy || !b.value || !b.tmp) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto out;
  }
  rocks_rng_t rng;
  rocks_rng_seed(&rng, rocks_mix64(c->seed ^ (uint64_t)step ^ 0x5b3u));
  nn_sched_t sched = {.kind = NN_SCHED_CONSTANT, .lr = (float)c->lr, .warmup = c->warmup};
  const double t0 = rocks_now();
  const long step0 = step;
  double iv_loss = 0, iv_pol = 0, iv_val = 0, iv_t = 0;
  long iv_n = 0, last_pub = step;
  double last_wait_report = 0;
  while (!(c->stop && *c->stop) && (c->steps <= 0 || step < c->steps)) {
    /* ---- data: may we take a step? ---- */
    if (!src.client) {
      if (rocks_now() - src.last_scan > 1.0 && (st = dir_scan(&src, c->window, err)) != ROCKS_OK) break;
      const double allowed = c->samples_per_insert * (double)src.seen;
      if (src.seen < c->min_positions || (double)(step - step0 + 1) * c->batch > allowed) {
        if (progress && rocks_now() - last_wait_report > 10) {
          last_wait_report = rocks_now();
          train_replay_progress_t p = {.step = step, .samples = (int64_t)step * c->batch, .positions_seen = src.seen,
                                       .window = src.window_positions, .elapsed = rocks_now() - t0, .event = "waiting",
                                       .model = name};
          progress(&p, ctx);
        }
        sleep_s(0.2);
        continue;
      }
    }
    rocks_error_t se;
    rocks_status_t ss = source_sample(&src, c->batch, &se);
    if (ss == ROCKS_ERR_STATE || ss == ROCKS_ERR_IO) { /* not enough data yet / service away: wait */
      if (progress && rocks_now() - last_wait_report > 10) {
        last_wait_report = rocks_now();
        train_replay_progress_t p = {.step = step, .elapsed = rocks_now() - t0, .event = "waiting", .model = name};
        progress(&p, ctx);
      }
      sleep_s(ss == ROCKS_ERR_IO ? 0.5 : 0.05);
      continue;
    }
    if (ss != ROCKS_OK) {
      st = ss;
      *err = se;
      break;
    }
    /* ---- one step ---- */
    double ts = rocks_now();
    make_batch(&b, src.recs, fs, &rng);
    goresnet_zero_grad(m);
    if ((st = goresnet_forward(m, b.inputs, b.B, 1, err)) != ROCKS_OK) break;
    goresnet_loss(m, b.policy, b.value);
    if ((st = goresnet_backward(m, 1.0f, err)) != ROCKS_OK) break;
    float lr = nn_sched_lr(&sched, step);
    nn_optim_step(o, m, lr);
    if (!isfinite(m->loss)) {
      st = rocks_fail(err, ROCKS_ERR_STATE, "train: the loss became %g at step %ld", (double)m->loss, step);
      break;
    }
    iv_loss += m->loss, iv_pol += m->loss_policy, iv_val += m->loss_value, iv_n++;
    iv_t += rocks_now() - ts;
    step++;
    const char *event = NULL;
    if (step % c->publish_every == 0) {
      char prev[TRAIN_PATH_MAX + 160], prev_optim[TRAIN_PATH_MAX + 200];
      snprintf(prev, sizeof prev, "%s/%s", c->models, name);
      if ((st = train_replay_publish(c->models, step, m, o, name, sizeof name, err)) != ROCKS_OK) break;
      /* only the newest optimizer state is needed (to continue); the models stay for evaluation */
      if (nn_checkpoint_optim_path(prev, prev_optim, sizeof prev_optim)) unlink(prev_optim);
      last_pub = step;
      event = "publish";
    }
    if (step % c->log_every == 0 || event) {
      replay_stats_t rs;
      rocks_error_t e3;
      if (src.client && replay_client_stats(src.client, &rs, &e3) == ROCKS_OK)
        src.seen = rs.inserts, src.window_positions = rs.positions;
      const double sps = iv_t > 0 ? (double)(iv_n * c->batch) / iv_t : 0;
      fprintf(mf, "%ld,%lld,%lld,%lld,%.6g,%.6f,%.6f,%.6f,%.1f,%.2f,%s\n", step, (long long)step * c->batch,
              (long long)src.seen, (long long)src.window_positions, (double)lr, iv_loss / (double)iv_n,
              iv_pol / (double)iv_n, iv_val / (double)iv_n, sps, rocks_now() - t0, name);
      fflush(mf);
      if (progress) {
        train_replay_progress_t p = {.step = step, .samples = (int64_t)step * c->batch, .positions_seen = src.seen,
                                     .window = src.window_positions, .loss = iv_loss / (double)iv_n,
                                     .policy_loss = iv_pol / (double)iv_n, .value_loss = iv_val / (double)iv_n,
                                     .lr = lr, .samples_per_s = sps, .elapsed = rocks_now() - t0, .event = event,
                                     .model = name};
        progress(&p, ctx);
      }
      iv_loss = iv_pol = iv_val = iv_t = 0;
      iv_n = 0;
    }
  }
  if (st == ROCKS_OK && step > last_pub) st = train_replay_publish(c->models, step, m, o, name, sizeof name, err);
out:
  if (mf) fclose(mf);
  free(b.inputs), free(b.policy), free(b.value), free(b.tmp);
  nn_optim_delete(o);
  goresnet_delete(m);
  source_free(&src);
  return st;
}
