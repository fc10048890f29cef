/* train.c — supervised training of a GoResNet on .npz shards, llm.c-style: one file, top to
 * bottom (train.h has the contract):
 *
 *   1. configuration: defaults, one setter per key (JSON config and flags share it), JSON out
 *   2. the run folder: config.json, manifests, metrics.csv, checkpoints (all writes atomic
 *      except the appends to metrics.csv, which resume repairs)
 *   3. evaluation: validation loss, policy top-1 accuracy, value MSE, uniform baseline
 *   4. the loop: batch -> forward -> loss -> backward -> AdamW/SGD step, rows, evaluations,
 *      checkpoints, progress
 *
 * Loss = CE(policy logits, target) + MSE(value, z); L2 is the optimizer's weight decay.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ds.h"
#include "go/feat.h"
#include "nn/nn.h"
#include "train/train.h"

/* =========================================================================== 1. config === */

train_config_t train_config_default(void) {
  train_config_t c;
  memset(&c, 0, sizeof c);
  snprintf(c.features, sizeof c.features, "agz");
  c.blocks = 6, c.channels = 64;
  snprintf(c.param, sizeof c.param, "sp");
  c.base_channels = 64, c.base_blocks = 1, c.depth_alpha = 0.5, c.depth_a = 1.0;
  snprintf(c.optim, sizeof c.optim, "adamw");
  c.lr = 2e-3, c.momentum = 0.9, c.nesterov = 1, c.beta1 = 0.9, c.beta2 = 0.999, c.eps = 1e-8;
  c.weight_decay = 1e-4, c.clip = 0;
  snprintf(c.schedule, sizeof c.schedule, "cosine");
  c.warmup = 100, c.min_lr = 0, c.step_size = 1000, c.gamma = 0.1;
  c.steps = 0, c.epochs = 1, c.flop_budget = 0;
  c.batch = 256;
  c.eval_every = 500, c.ckpt_every = 1000, c.log_every = 100;
  c.buffer = 0, c.symmetries = 1, c.prefetch = 4, c.threads = 2;
  c.seed = 1;
  return c;
}

typedef enum { K_STR, K_INT, K_LONG, K_DBL, K_U64, K_BOOL } ktype_t;

static const struct {
  const char *name;
  ktype_t type;
  size_t off, len;
  double lo, hi;
} keys_[] = {
#define S_(f) K_STR, offsetof(train_config_t, f), sizeof(((train_config_t *)0)->f), 0, 0
#define N_(t, f, lo, hi) t, offsetof(train_config_t, f), 0, lo, hi
    {"train", S_(train)},
    {"val", S_(val)},
    {"features", S_(features)},
    {"blocks", N_(K_INT, blocks, 0, 1000)},
    {"channels", N_(K_INT, channels, 1, 4096)},
    {"param", S_(param)},
    {"base_channels", N_(K_INT, base_channels, 1, 4096)},
    {"base_blocks", N_(K_INT, base_blocks, 1, 1000)},
    {"depth_alpha", N_(K_DBL, depth_alpha, 0, 4)},
    {"depth_a", N_(K_DBL, depth_a, 0, 100)},
    {"optim", S_(optim)},
    {"lr", N_(K_DBL, lr, 0, 100)},
    {"momentum", N_(K_DBL, momentum, 0, 1)},
    {"nesterov", N_(K_BOOL, nesterov, 0, 1)},
    {"beta1", N_(K_DBL, beta1, 0, 1)},
    {"beta2", N_(K_DBL, beta2, 0, 1)},
    {"eps", N_(K_DBL, eps, 0, 1)},
    {"weight_decay", N_(K_DBL, weight_decay, 0, 10)},
    {"clip", N_(K_DBL, clip, 0, 1e9)},
    {"schedule", S_(schedule)},
    {"warmup", N_(K_LONG, warmup, 0, 1e12)},
    {"min_lr", N_(K_DBL, min_lr, 0, 100)},
    {"step_size", N_(K_LONG, step_size, 1, 1e12)},
    {"gamma", N_(K_DBL, gamma, 0, 1)},
    {"steps", N_(K_LONG, steps, 0, 1e12)},
    {"epochs", N_(K_DBL, epochs, 0, 1e6)},
    {"flop_budget", N_(K_DBL, flop_budget, 0, 1e30)},
    {"batch", N_(K_INT, batch, 1, 65536)},
    {"eval_every", N_(K_LONG, eval_every, 1, 1e12)},
    {"ckpt_every", N_(K_LONG, ckpt_every, 1, 1e12)},
    {"log_every", N_(K_LONG, log_every, 1, 1e12)},
    {"buffer", N_(K_LONG, buffer, 0, 1e12)},
    {"symmetries", N_(K_BOOL, symmetries, 0, 1)},
    {"prefetch", N_(K_INT, prefetch, 0, 64)},
    {"threads", N_(K_INT, threads, 1, 256)},
    {"seed", N_(K_U64, seed, 0, 9007199254740992.0)},
#undef S_
#undef N_
};
#define NKEYS ((int)(sizeof keys_ / sizeof keys_[0]))

rocks_status_t train_config_set(train_config_t *c, const char *key, const char *value, rocks_error_t *err) {
  char k[64];
  snprintf(k, sizeof k, "%s", key);
  for (char *p = k; *p; p++)
    if (*p == '-') *p = '_';
  if (!strcmp(k, "model")) { /* "b6c64" */
    int b, ch;
    char tail;
    if (sscanf(value, "b%dc%d%c", &b, &ch, &tail) != 2 || b < 0 || b > 1000 || ch < 1 || ch > 4096)
      return rocks_fail(err, ROCKS_ERR_ARG, "model: expected b<blocks>c<channels> (e.g. b6c64), got '%s'", value);
    c->blocks = b, c->channels = ch;
    return ROCKS_OK;
  }
  for (int i = 0; i < NKEYS; i++) {
    if (strcmp(k, keys_[i].name)) continue;
    char *dst = (char *)c + keys_[i].off;
    if (keys_[i].type == K_STR) {
      if (strlen(value) >= keys_[i].len) return rocks_fail(err, ROCKS_ERR_ARG, "%s: value too long", k);
      snprintf(dst, keys_[i].len, "%s", value);
      return ROCKS_OK;
    }
    if (keys_[i].type == K_BOOL) {
      int v;
      if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "on") || !strcmp(value, "yes")) v = 1;
      else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "off") || !strcmp(value, "no")) v = 0;
      else return rocks_fail(err, ROCKS_ERR_ARG, "%s: expected true/false, got '%s'", k, value);
      memcpy(dst, &v, sizeof v);
      return ROCKS_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !(v >= keys_[i].lo && v <= keys_[i].hi))
      return rocks_fail(err, ROCKS_ERR_ARG, "%s: expected a number in [%g, %g], got '%s'", k, keys_[i].lo, keys_[i].hi, value);
    if (keys_[i].type != K_DBL && v != floor(v)) return rocks_fail(err, ROCKS_ERR_ARG, "%s: expected an integer, got '%s'", k, value);
    /* the length is one of steps | epochs | flop_budget: setting one (> 0) clears the others,
     * so a flag overrides the length a config file gave */
    if (v > 0 && (!strcmp(k, "steps") || !strcmp(k, "epochs") || !strcmp(k, "flop_budget"))) {
      c->steps = 0;
      c->epochs = 0;
      c->flop_budget = 0;
    }
    if (keys_[i].type == K_DBL) memcpy(dst, &v, sizeof v);
    else if (keys_[i].type == K_INT) {
      int x = (int)v;
      memcpy(dst, &x, sizeof x);
    } else if (keys_[i].type == K_LONG) {
      long x = (long)v;
      memcpy(dst, &x, sizeof x);
    } else {
      uint64_t x = (uint64_t)v;
      memcpy(dst, &x, sizeof x);
    }
    return ROCKS_OK;
  }
  return rocks_fail(err, ROCKS_ERR_ARG, "unknown training option '%s'", key);
}

rocks_status_t train_config_from_json(train_config_t *c, const char *json, rocks_error_t *err) {
  cJSON *root = cJSON_Parse(json);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return rocks_fail(err, ROCKS_ERR_PARSE, "the training config is not a JSON object");
  }
  rocks_status_t st = ROCKS_OK;
  for (cJSON *it = root->child; it && st == ROCKS_OK; it = it->next) {
    char buf[TRAIN_PATH_MAX];
    if (cJSON_IsString(it)) snprintf(buf, sizeof buf, "%s", it->valuestring);
    else if (cJSON_IsBool(it)) snprintf(buf, sizeof buf, "%s", cJSON_IsTrue(it) ? "true" : "false");
    else if (cJSON_IsNumber(it)) snprintf(buf, sizeof buf, "%.17g", it->valuedouble);
    else if (cJSON_IsNull(it)) continue;
    else {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "config key '%s': expected a string, number or boolean", it->string);
      break;
    }
    if (!strcmp(it->string, "total_steps") || !strcmp(it->string, "comment")) continue; /* informational */
    st = train_config_set(c, it->string, buf, err);
  }
  cJSON_Delete(root);
  return st;
}

char *train_config_to_json(const train_config_t *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  for (int i = 0; i < NKEYS; i++) {
    const char *src = (const char *)c + keys_[i].off;
    switch (keys_[i].type) {
    case K_STR: cJSON_AddStringToObject(o, keys_[i].name, src); break;
    case K_BOOL: { int v; memcpy(&v, src, sizeof v); cJSON_AddBoolToObject(o, keys_[i].name, v); break; }
    case K_INT: { int v; memcpy(&v, src, sizeof v); cJSON_AddNumberToObject(o, keys_[i].name, v); break; }
    case K_LONG: { long v; memcpy(&v, src, sizeof v); cJSON_AddNumberToObject(o, keys_[i].name, (double)v); break; }
    case K_DBL: { double v; memcpy(&v, src, sizeof v); cJSON_AddNumberToObject(o, keys_[i].name, v); break; }
    case K_U64: { uint64_t v; memcpy(&v, src, sizeof v); cJSON_AddNumberToObject(o, keys_[i].name, (double)v); break; }
    }
  }
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  return s;
}

static nn_sched_kind_t sched_kind_(const char *s, int *ok) {
  *ok = 1;
  if (!strcmp(s, "constant")) return NN_SCHED_CONSTANT;
  if (!strcmp(s, "cosine")) return NN_SCHED_COSINE;
  if (!strcmp(s, "step")) return NN_SCHED_STEP;
  *ok = 0;
  return NN_SCHED_CONSTANT;
}

rocks_status_t train_config_check(const train_config_t *c, rocks_error_t *err) {
  feat_set_t fs;
  nn_param_t p;
  nn_optim_kind_t o;
  int ok;
  rocks_status_t st;
  if (!c->train[0]) return rocks_fail(err, ROCKS_ERR_ARG, "no training data (train / --train DIR)");
  if ((st = feat_from_name(c->features, &fs, err)) != ROCKS_OK) return st;
  if ((st = nn_param_from_name(c->param, &p, err)) != ROCKS_OK) return st;
  if ((st = nn_optim_from_name(c->optim, &o, err)) != ROCKS_OK) return st;
  sched_kind_(c->schedule, &ok);
  if (!ok) return rocks_fail(err, ROCKS_ERR_ARG, "unknown schedule '%s' (known: constant, cosine, step)", c->schedule);
  if (c->steps <= 0 && c->epochs <= 0 && c->flop_budget <= 0)
    return rocks_fail(err, ROCKS_ERR_ARG, "give the length: steps, epochs or flop_budget");
  return ROCKS_OK;
}

/* ======================================================================= 2. run folder === */

void train_checkpoint_path(const char *run, long step, char *out, size_t len) {
  snprintf(out, len, "%s/checkpoints/step-%08ld.safetensors", run, step);
}

static char *read_text_(const char *path, size_t max) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(max + 1);
  size_t n = buf ? fread(buf, 1, max, f) : 0;
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* Copies DATA/manifest.json (a dataset folder's) to RUN/name, if there is one. */
static rocks_status_t copy_manifest_(const char *data, const char *run, const char *name, rocks_error_t *err) {
  char src[TRAIN_PATH_MAX + 32], dst[TRAIN_PATH_MAX + 64];
  snprintf(src, sizeof src, "%s/manifest.json", data);
  char *text = read_text_(src, 64u << 20);
  if (!text) return ROCKS_OK;
  snprintf(dst, sizeof dst, "%s/%s", run, name);
  rocks_status_t st = ds_write_text_atomic(dst, text, err);
  free(text);
  return st;
}

static const char *const METRICS_HEADER =
    "step,samples,epoch,flops,lr,train_loss,train_policy_loss,train_value_loss,train_acc,"
    "val_loss,val_policy_loss,val_value_mse,val_acc,val_uniform_acc,samples_per_s,wall_s\n";

/* Keeps the header and the complete rows with step <= keep_step (a killed run may have left
 * later rows or half a row). Atomic. */
static rocks_status_t truncate_metrics_(const char *path, long keep_step, rocks_error_t *err) {
  char *text = read_text_(path, 1u << 30);
  if (!text) return rocks_fail(err, ROCKS_ERR_IO, "%s: cannot read", path);
  size_t hl = strlen(METRICS_HEADER);
  if (strncmp(text, METRICS_HEADER, hl)) {
    free(text);
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: unexpected header", path);
  }
  size_t keep = hl;
  for (char *line = text + hl; *line;) {
    char *nl = strchr(line, '\n');
    if (!nl) break; /* half a row */
    long step = strtol(line, NULL, 10);
    if (step > keep_step) break;
    keep = (size_t)(nl + 1 - text);
    line = nl + 1;
  }
  text[keep] = '\0';
  rocks_status_t st = ds_write_text_atomic(path, text, err);
  free(text);
  return st;
}

/* The highest step with a loadable checkpoint (model + optimizer), or -1. */
static long find_checkpoints_(const char *run, long *steps, int max) {
  char dir[TRAIN_PATH_MAX + 32];
  snprintf(dir, sizeof dir, "%s/checkpoints", run);
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < max) {
    long s;
    char canon[64];
    if (sscanf(e->d_name, "step-%ld.safetensors", &s) != 1 || s < 0) continue;
    snprintf(canon, sizeof canon, "step-%08ld.safetensors", s);
    if (!strcmp(canon, e->d_name)) steps[n++] = s;
  }
  closedir(d);
  /* descending */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && steps[j] > steps[j - 1]; j--) {
      long t = steps[j];
      steps[j] = steps[j - 1];
      steps[j - 1] = t;
    }
  return n;
}

/* Training loss sums of the current log interval (restored on resume). */
typedef struct {
  double loss, policy, value, acc;
  int64_t n;
  long steps;
  double seconds; /* training time in this process (samples/s) */
} interval_t;

static double meta_double_(const char *path, const char *key, int *ok) {
  char buf[128];
  if (nn_checkpoint_read_meta(path, key, buf, sizeof buf, NULL) != ROCKS_OK) {
    *ok = 0;
    return 0;
  }
  char *end;
  double v = strtod(buf, &end);
  if (end == buf || *end) *ok = 0;
  return v;
}

static rocks_status_t save_checkpoint_(const char *run, long step, int64_t samples, double wall, const interval_t *iv,
                                       const goresnet_t *m, const nn_optim_t *o, rocks_error_t *err) {
  char path[TRAIN_PATH_MAX + 64], v[8][64];
  train_checkpoint_path(run, step, path, sizeof path);
  snprintf(v[0], 64, "%ld", step);
  snprintf(v[1], 64, "%lld", (long long)samples);
  snprintf(v[2], 64, "%a", wall);
  snprintf(v[3], 64, "%a", iv->loss);
  snprintf(v[4], 64, "%a", iv->policy);
  snprintf(v[5], 64, "%a", iv->value);
  snprintf(v[6], 64, "%a", iv->acc);
  snprintf(v[7], 64, "%lld", (long long)iv->n);
  nn_meta_kv_t kv[8] = {{"train.step", v[0]},        {"train.samples", v[1]},     {"train.wall_s", v[2]},
                        {"train.interval_loss", v[3]}, {"train.interval_policy", v[4]}, {"train.interval_value", v[5]},
                        {"train.interval_acc", v[6]},  {"train.interval_n", v[7]}};
  return nn_checkpoint_save(path, m, o, kv, 8, err);
}

/* ======================================================================= 3. evaluation === */

typedef struct {
  double loss, policy, value, acc, uniform;
  int64_t n;
} eval_t;

static int argmax_(const float *v, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[best]) best = i;
  return best;
}

/* One pass over the validation set in eval mode. */
static rocks_status_t evaluate_(goresnet_t *m, ds_loader_t *val, eval_t *out, rocks_error_t *err) {
  memset(out, 0, sizeof *out);
  rocks_status_t st = ds_loader_seek(val, 0, err);
  const int64_t P = ds_loader_positions(val);
  const int V = m->config.size * m->config.size + 1;
  double pol = 0, vmse = 0, acc = 0, uni = 0;
  int64_t n = 0;
  while (st == ROCKS_OK && n < P) {
    const ds_batch_t *b;
    if ((st = ds_loader_next(val, &b, err)) != ROCKS_OK) break;
    if ((st = goresnet_forward(m, b->inputs, b->n, 0, err)) != ROCKS_OK) break;
    goresnet_loss(m, b->policy, b->value);
    pol += (double)m->loss_policy * b->n;
    vmse += (double)m->loss_value * b->n;
    for (int k = 0; k < b->n; k++) {
      acc += argmax_(m->acts.policy_logits + (size_t)k * (size_t)V, V) == b->target[k];
      uni += 1.0 / b->legal_count[k];
    }
    n += b->n;
  }
  if (st != ROCKS_OK) return st;
  out->n = n;
  out->policy = pol / (double)n;
  out->value = vmse / (double)n;
  out->loss = out->policy + out->value;
  out->acc = acc / (double)n;
  out->uniform = uni / (double)n;
  return ROCKS_OK;
}

/* ============================================================================= 4. loop === */

rocks_status_t train_run(const char *run, const train_config_t *cin, int resume, train_progress_fn progress, void *ctx,
                         train_result_t *result, rocks_error_t *err) {
  train_config_t c = *cin;
  char cfg_path[TRAIN_PATH_MAX + 32], metrics_path[TRAIN_PATH_MAX + 32], ck_dir[TRAIN_PATH_MAX + 32];
  snprintf(cfg_path, sizeof cfg_path, "%s/config.json", run);
  snprintf(metrics_path, sizeof metrics_path, "%s/metrics.csv", run);
  snprintf(ck_dir, sizeof ck_dir, "%s/checkpoints", run);
  rocks_status_t st = ROCKS_OK;
  train_result_t res_local;
  if (!result) result = &res_local;
  memset(result, 0, sizeof *result);
  result->resumed_from = -1;
  result->val_loss = result->val_acc = NAN;

  if (resume) {
    char *text = read_text_(cfg_path, 1u << 20);
    if (!text) return rocks_fail(err, ROCKS_ERR_IO, "%s: no run to resume (no config.json)", run);
    c = train_config_default();
    st = train_config_from_json(&c, text, err);
    free(text);
    if (st != ROCKS_OK) return st;
    if (cin && cin->threads > 0) c.threads = cin->threads;
  } else {
    struct stat sb;
    if (stat(cfg_path, &sb) == 0 || stat(metrics_path, &sb) == 0)
      return rocks_fail(err, ROCKS_ERR_STATE, "%s already holds a run (resume it with --resume, or choose another folder)", run);
  }
  if ((st = train_config_check(&c, err)) != ROCKS_OK) return st;
  if ((st = ds_mkdirs(ck_dir, err)) != ROCKS_OK) return st;
  char lock_path[TRAIN_PATH_MAX + 32];
  snprintf(lock_path, sizeof lock_path, "%s/.lock", run);
  int lockfd = open(lock_path, O_RDWR | O_CREAT, 0644);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (lockfd < 0 || fcntl(lockfd, F_SETLK, &fl) != 0) {
    if (lockfd >= 0) close(lockfd);
    return rocks_fail(err, ROCKS_ERR_STATE, "%s is in use by another training process", run);
  }

  /* ---- data ---- */
  feat_set_t fs;
  feat_from_name(c.features, &fs, NULL);
  char **tpaths = NULL, **vpaths = NULL;
  int ntp = 0, nvp = 0;
  ds_loader_t *train = NULL, *val = NULL;
  goresnet_t *m = NULL;
  nn_optim_t *o = NULL;
  FILE *mf = NULL;
  if ((st = ds_list_shards(c.train, &tpaths, &ntp, err)) != ROCKS_OK) goto out;
  ds_loader_config_t lc = ds_loader_config_default();
  lc.features = fs;
  lc.batch = c.batch;
  lc.shuffle = 1;
  lc.buffer = c.buffer;
  lc.symmetries = c.symmetries;
  lc.prefetch = c.prefetch;
  lc.seed = rocks_mix64(c.seed ^ 0x747261696eULL);
  if (!(train = ds_loader_open(tpaths, ntp, &lc, err))) {
    st = err && err->code ? err->code : ROCKS_ERR_IO;
    goto out;
  }
  if (c.val[0]) {
    if ((st = ds_list_shards(c.val, &vpaths, &nvp, err)) != ROCKS_OK) goto out;
    ds_loader_config_t vc = lc;
    vc.shuffle = 0, vc.symmetries = 0, vc.partial_last = 1, vc.prefetch = c.prefetch ? 2 : 0;
    if (!(val = ds_loader_open(vpaths, nvp, &vc, err))) {
      st = err && err->code ? err->code : ROCKS_ERR_IO;
      goto out;
    }
    if (ds_loader_board_size(val) != ds_loader_board_size(train)) {
      st = rocks_fail(err, ROCKS_ERR_ARG, "validation board size %d != training %d", ds_loader_board_size(val), ds_loader_board_size(train));
      goto out;
    }
  }
  const int64_t P = ds_loader_positions(train);

  /* ---- model and optimizer ---- */
  nn_set_threads(c.threads);
  goresnet_config_t mc = goresnet_config_default();
  mc.size = ds_loader_board_size(train);
  mc.planes = feat_planes(fs);
  mc.channels = c.channels;
  mc.blocks = c.blocks;
  nn_param_from_name(c.param, &mc.param, NULL);
  mc.base_channels = c.base_channels;
  mc.base_blocks = c.base_blocks;
  mc.depth_alpha = (float)c.depth_alpha;
  mc.depth_a = (float)c.depth_a;
  snprintf(mc.features, sizeof mc.features, "%s", feat_name(fs));
  if (!(m = goresnet_new(&mc, err))) {
    st = err && err->code ? err->code : ROCKS_ERR_ARG;
    goto out;
  }
  goresnet_init(m, c.seed);
  nn_optim_kind_t ok_kind;
  nn_optim_from_name(c.optim, &ok_kind, NULL);
  nn_optim_config_t oc = nn_optim_config_default(ok_kind);
  oc.momentum = (float)c.momentum;
  oc.nesterov = c.nesterov;
  oc.beta1 = (float)c.beta1;
  oc.beta2 = (float)c.beta2;
  oc.eps = (float)c.eps;
  oc.weight_decay = (float)c.weight_decay;
  oc.clip_norm = (float)c.clip;
  if (!(o = nn_optim_new(m, &oc, err))) {
    st = err && err->code ? err->code : ROCKS_ERR_NOMEM;
    goto out;
  }
  const double flops_per_sample = goresnet_flops_train(&mc);
  long total = c.steps > 0 ? c.steps
               : c.epochs > 0 ? (long)ceil(c.epochs * (double)P / c.batch)
                              : (long)floor(c.flop_budget / (flops_per_sample * c.batch));
  if (total < 1) {
    st = rocks_fail(err, ROCKS_ERR_ARG, "the run would have no steps (flop budget %g < one step of %g FLOP?)", c.flop_budget,
                    flops_per_sample * c.batch);
    goto out;
  }
  int sk_ok;
  nn_sched_t sched = {.kind = sched_kind_(c.schedule, &sk_ok), .lr = (float)c.lr, .warmup = c.warmup, .total = total,
                      .min_lr = (float)c.min_lr, .step_size = c.step_size, .gamma = (float)c.gamma};

  /* ---- fresh run or resume ---- */
  long step = 0;
  double wall0 = 0; /* wall time before this process (resume) */
  interval_t iv = {0};
  if (!resume) {
    char *text = train_config_to_json(&c);
    if (!text) {
      st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      goto out;
    }
    st = ds_write_text_atomic(cfg_path, text, err);
    free(text);
    if (st == ROCKS_OK) st = copy_manifest_(c.train, run, "train-manifest.json", err);
    if (st == ROCKS_OK && c.val[0]) st = copy_manifest_(c.val, run, "val-manifest.json", err);
    if (st == ROCKS_OK) st = ds_write_text_atomic(metrics_path, METRICS_HEADER, err);
    if (st == ROCKS_OK) st = save_checkpoint_(run, 0, 0, 0, &iv, m, o, err);
    if (st != ROCKS_OK) goto out;
  } else {
    long steps[4096];
    int n = (int)find_checkpoints_(run, steps, 4096), found = 0;
    for (int i = 0; i < n && !found; i++) {
      char path[TRAIN_PATH_MAX + 64];
      train_checkpoint_path(run, steps[i], path, sizeof path);
      rocks_error_t e2 = {0};
      int ok = 1;
      long s = (long)meta_double_(path, "train.step", &ok);
      int64_t samples = (int64_t)meta_double_(path, "train.samples", &ok);
      double w = meta_double_(path, "train.wall_s", &ok);
      interval_t r = {.loss = meta_double_(path, "train.interval_loss", &ok),
                      .policy = meta_double_(path, "train.interval_policy", &ok),
                      .value = meta_double_(path, "train.interval_value", &ok),
                      .acc = meta_double_(path, "train.interval_acc", &ok),
                      .n = (int64_t)meta_double_(path, "train.interval_n", &ok)};
      if (!ok || s != steps[i] || samples != (int64_t)s * c.batch) continue;
      if (nn_checkpoint_load(path, m, &e2) != ROCKS_OK || nn_checkpoint_load_optim(path, o, m, &e2) != ROCKS_OK) continue;
      step = s, wall0 = w, iv = r, found = 1;
    }
    result->resumed_from = step;
    if (!found) { /* killed before the step-0 checkpoint: start over (the same init from the seed) */
      if ((st = ds_write_text_atomic(metrics_path, METRICS_HEADER, err)) != ROCKS_OK) goto out;
      if ((st = save_checkpoint_(run, 0, 0, 0, &iv, m, o, err)) != ROCKS_OK) goto out;
    }
    if ((st = truncate_metrics_(metrics_path, step, err)) != ROCKS_OK) goto out;
    if ((st = ds_loader_seek(train, (int64_t)step * c.batch, err)) != ROCKS_OK) goto out;
  }
  if (!(mf = fopen(metrics_path, "a"))) {
    st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", metrics_path, strerror(errno));
    goto out;
  }

  /* ---- the loop ---- */
  const int V = mc.size * mc.size + 1;
  const long start_step = step;
  const double t0 = rocks_now();
  double train_seconds = 0, last_val_loss = NAN, last_val_acc = NAN;
  eval_t ev = {0};
  int have_eval = 0;
  while (step < total) {
    const ds_batch_t *b;
    double ts = rocks_now();
    if ((st = ds_loader_next(train, &b, err)) != ROCKS_OK) break;
    goresnet_zero_grad(m);
    if ((st = goresnet_forward(m, b->inputs, b->n, 1, err)) != ROCKS_OK) break;
    goresnet_loss(m, b->policy, b->value);
    if ((st = goresnet_backward(m, 1.0f, err)) != ROCKS_OK) break;
    float lr = nn_sched_lr(&sched, step);
    nn_optim_step(o, m, lr);
    int hits = 0;
    for (int k = 0; k < b->n; k++) hits += argmax_(m->acts.policy_logits + (size_t)k * (size_t)V, V) == b->target[k];
    double dt = rocks_now() - ts;
    train_seconds += dt;
    iv.loss += (double)m->loss * b->n;
    iv.policy += (double)m->loss_policy * b->n;
    iv.value += (double)m->loss_value * b->n;
    iv.acc += hits;
    iv.n += b->n;
    iv.steps++;
    iv.seconds += dt;
    step++;
    const float batch_loss = m->loss; /* (an evaluation below overwrites m->loss) */
    const int64_t samples = (int64_t)step * c.batch;
    const char *event = NULL;
    int do_eval = val && (step % c.eval_every == 0 || step == total);
    if (do_eval) {
      if ((st = evaluate_(m, val, &ev, err)) != ROCKS_OK) break;
      have_eval = 1;
      last_val_loss = ev.loss, last_val_acc = ev.acc;
      event = "eval";
    }
    if (step % c.log_every == 0 || do_eval || step == total) {
      double wall = wall0 + (rocks_now() - t0);
      double n = iv.n ? (double)iv.n : 1;
      fprintf(mf, "%ld,%lld,%.6f,%.6e,%.6g,%.6f,%.6f,%.6f,%.6f,", step, (long long)samples, (double)samples / (double)P,
              flops_per_sample * (double)samples, (double)lr, iv.loss / n, iv.policy / n, iv.value / n, iv.acc / n);
      if (do_eval) fprintf(mf, "%.6f,%.6f,%.6f,%.6f,%.6f,", ev.loss, ev.policy, ev.value, ev.acc, ev.uniform);
      else fprintf(mf, ",,,,,");
      fprintf(mf, "%.1f,%.3f\n", iv.seconds > 0 ? (double)(iv.steps * c.batch) / iv.seconds : 0.0, wall);
      if (fflush(mf) != 0) {
        st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", metrics_path, strerror(errno));
        break;
      }
      result->train_loss = iv.loss / n;
      memset(&iv, 0, sizeof iv);
    }
    if (step % c.ckpt_every == 0 || step == total) {
      if ((st = save_checkpoint_(run, step, samples, wall0 + (rocks_now() - t0), &iv, m, o, err)) != ROCKS_OK) break;
      event = event ? event : "checkpoint";
    }
    if (progress) {
      double el = rocks_now() - t0;
      train_progress_t p = {.step = step, .total_steps = total, .samples = samples, .epoch = (double)samples / (double)P,
                            .lr = lr, .loss = batch_loss, .val_loss = last_val_loss, .val_acc = last_val_acc,
                            .samples_per_s = train_seconds > 0 ? (double)(step - start_step) * c.batch / train_seconds : 0,
                            .elapsed = el, .event = event};
      double sps = (double)(step - start_step) / el;
      p.eta = sps > 0 ? (double)(total - step) / sps : NAN;
      progress(&p, ctx);
    }
  }
  if (st == ROCKS_OK) {
    result->steps = step;
    result->samples = (int64_t)step * c.batch;
    long done_here = step - start_step;
    result->samples_per_s = train_seconds > 0 ? (double)done_here * c.batch / train_seconds : 0;
    result->seconds = rocks_now() - t0;
    if (have_eval) {
      result->val_loss = ev.loss, result->val_policy_loss = ev.policy, result->val_value_mse = ev.value;
      result->val_acc = ev.acc, result->val_uniform_acc = ev.uniform;
    }
  }
out:
  if (mf) fclose(mf);
  ds_loader_close(train);
  ds_loader_close(val);
  ds_paths_free(tpaths, ntp);
  ds_paths_free(vpaths, nvp);
  nn_optim_delete(o);
  goresnet_delete(m);
  close(lockfd);
  return st;
}
