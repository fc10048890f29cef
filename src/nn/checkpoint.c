/* checkpoint.c — GoResNet checkpoints as safetensors files, written atomically, read defensively.
 *
 * defines: nn_checkpoint_optim_path, nn_checkpoint_save, nn_checkpoint_read_config,
 *          nn_checkpoint_load, nn_checkpoint_load_new, nn_checkpoint_load_optim,
 *          nn_checkpoint_read_meta
 *
 * Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length n,
 * n bytes of JSON (padded with spaces to a multiple of 8), then the tensor bytes. Each tensor
 * entry is {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]} relative to the end of
 * the header; "__metadata__" maps strings to strings. Reading never trusts the file: every
 * length, offset, shape and dtype is checked before a byte of tensor data is used, and nothing
 * in the model changes unless the whole file is valid. Tensors named "*.num_batches_tracked"
 * (PyTorch's BN step counter, any dtype) are accepted and ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "nn/nn.h"

#define ST_MAX_HEADER (100u << 20) /* a header over 100 MB is corrupt */

static int little_endian_(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* ------------------------------------------------------------------------------ writing --- */

typedef struct {
  const char *name;
  const float *data;
  int ndim;
  const int *shape;
  size_t numel;
} st_tensor_t_;

/* Writes a complete file to `path` via a temporary in the same directory, fsync and rename. */
static rocks_status_t write_atomic_(const char *path, const st_tensor_t_ *ts, int n, const nn_meta_kv_t *meta, int nmeta,
                                    rocks_error_t *err) {
  if (!little_endian_()) return rocks_fail(err, ROCKS_ERR_STATE, "safetensors writing needs a little-endian host");
  cJSON *root = cJSON_CreateObject(), *md = cJSON_CreateObject();
  if (!root || !md) {
    cJSON_Delete(root);
    cJSON_Delete(md);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (safetensors header)");
  }
  cJSON_AddItemToObject(root, "__metadata__", md);
  for (int i = 0; i < nmeta; i++) cJSON_AddItemToObject(md, meta[i].key, cJSON_CreateString(meta[i].value));
  uint64_t off = 0;
  for (int i = 0; i < n; i++) {
    cJSON *e = cJSON_CreateObject(), *shape = cJSON_CreateArray(), *offs = cJSON_CreateArray();
    cJSON_AddItemToObject(root, ts[i].name, e);
    cJSON_AddItemToObject(e, "dtype", cJSON_CreateString("F32"));
    for (int d = 0; d < ts[i].ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber(ts[i].shape[d]));
    cJSON_AddItemToObject(e, "shape", shape);
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
    off += 4 * (uint64_t)ts[i].numel;
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
    cJSON_AddItemToObject(e, "data_offsets", offs);
  }
  char *json = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!json) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (safetensors header)");
  size_t jlen = strlen(json), hlen = (jlen + 7) & ~(size_t)7;

  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!tmp) {
    free(json);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    rocks_status_t st = rocks_fail(err, ROCKS_ERR_IO, "cannot create a temporary file beside %s: %s", path, strerror(errno));
    free(json);
    free(tmp);
    return st;
  }
  FILE *f = fdopen(fd, "wb");
  int ok = f != NULL;
  if (ok) {
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    ok = fwrite(len8, 1, 8, f) == 8 && fwrite(json, 1, jlen, f) == jlen;
    for (size_t i = jlen; ok && i < hlen; i++) ok = fputc(' ', f) != EOF;
    for (int i = 0; ok && i < n; i++) ok = fwrite(ts[i].data, sizeof(float), ts[i].numel, f) == ts[i].numel;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
  } else {
    close(fd);
  }
  free(json);
  if (!ok || rename(tmp, path) != 0) {
    rocks_status_t st = rocks_fail(err, ROCKS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return st;
  }
  free(tmp);
  // make the rename durable: fsync the directory
  char *dir = strdup(path);
  if (dir) {
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash == dir) d = "/";
    else if (slash) {
      *slash = 0;
      d = dir;
    }
    int dfd = open(d, O_RDONLY);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
    free(dir);
  }
  return ROCKS_OK;
}

int nn_checkpoint_optim_path(const char *path, char *out, size_t outlen) {
  size_t n = strlen(path);
  const char *ext = ".safetensors";
  size_t e = strlen(ext);
  int r;
  if (n > e && !strcmp(path + n - e, ext)) r = snprintf(out, outlen, "%.*s.optim%s", (int)(n - e), path, ext);
  else r = snprintf(out, outlen, "%s.optim%s", path, ext);
  return r >= 0 && (size_t)r < outlen;
}

#define ARCH_KEYS_ 13

static void arch_meta_(const goresnet_config_t *c, char vals[ARCH_KEYS_][64], nn_meta_kv_t *kv) {
  static const char *keys[ARCH_KEYS_] = {"rocks.format", "size", "planes", "channels", "blocks", "param",
                                         "base_channels", "base_blocks", "depth_alpha", "depth_a", "bn_eps",
                                         "bn_momentum", "features"};
  snprintf(vals[0], 64, "goresnet-v1");
  snprintf(vals[1], 64, "%d", c->size);
  snprintf(vals[2], 64, "%d", c->planes);
  snprintf(vals[3], 64, "%d", c->channels);
  snprintf(vals[4], 64, "%d", c->blocks);
  snprintf(vals[5], 64, "%s", nn_param_name(c->param));
  snprintf(vals[6], 64, "%d", c->base_channels);
  snprintf(vals[7], 64, "%d", c->base_blocks);
  snprintf(vals[8], 64, "%.9g", (double)c->depth_alpha);
  snprintf(vals[9], 64, "%.9g", (double)c->depth_a);
  snprintf(vals[10], 64, "%.9g", (double)c->bn_eps);
  snprintf(vals[11], 64, "%.9g", (double)c->bn_momentum);
  snprintf(vals[12], 64, "%s", c->features);
  for (int i = 0; i < ARCH_KEYS_; i++) {
    kv[i].key = keys[i];
    kv[i].value = vals[i];
  }
}

rocks_status_t nn_checkpoint_save(const char *path, const goresnet_t *m, const nn_optim_t *opt,
                                  const nn_meta_kv_t *meta, int nmeta, rocks_error_t *err) {
  char vals[ARCH_KEYS_ + 8][64];
  int nkv = ARCH_KEYS_ + (nmeta > 0 ? nmeta : 0) + 4;
  nn_meta_kv_t *kv = malloc(sizeof *kv * (size_t)nkv);
  st_tensor_t_ *ts = malloc(sizeof *ts * (size_t)(2 * m->ntensors + 1));
  rocks_status_t st = ROCKS_OK;
  if (!kv || !ts) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto done;
  }
  arch_meta_(&m->config, vals, kv);
  int k = ARCH_KEYS_;
  for (int i = 0; i < nmeta; i++) {
    for (int j = 0; j < k; j++)
      if (!strcmp(kv[j].key, meta[i].key)) {
        st = rocks_fail(err, ROCKS_ERR_ARG, "metadata key '%s' given twice or clashes with an architecture key", meta[i].key);
        goto done;
      }
    kv[k++] = meta[i];
  }
  // the optimizer file first, so a model file on disk never refers to a missing/older optimizer state
  if (opt) {
    char opath[PATH_MAX];
    if (!nn_checkpoint_optim_path(path, opath, sizeof opath)) {
      st = rocks_fail(err, ROCKS_ERR_ARG, "checkpoint path too long");
      goto done;
    }
    if (opt->nfloats != m->nfloats || opt->ntensors != m->ntensors) {
      st = rocks_fail(err, ROCKS_ERR_ARG, "optimizer does not belong to this model");
      goto done;
    }
    char (*tn)[NN_NAME_MAX + 16] = malloc(sizeof *tn * (size_t)(2 * m->ntensors));
    if (!tn) {
      st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      goto done;
    }
    int n = 0;
    for (int i = 0; i < m->ntensors; i++) {
      const nn_tensor_t *t = &m->tensors[i];
      if (!t->trainable) continue;
      for (int s = 0; s < (opt->config.kind == NN_OPT_ADAMW ? 2 : 1); s++) {
        snprintf(tn[n], sizeof tn[n], "%s.%s", t->name,
                 opt->config.kind == NN_OPT_SGD ? "momentum_buffer" : s == 0 ? "exp_avg" : "exp_avg_sq");
        ts[n] = (st_tensor_t_){tn[n], (s == 0 ? opt->m : opt->v) + t->offset, t->ndim, t->shape, t->numel};
        n++;
      }
    }
    const nn_optim_config_t *oc = &opt->config;
    char ov[9][64];
    snprintf(ov[0], 64, "goresnet-optim-v1");
    snprintf(ov[1], 64, "%s", nn_optim_name(oc->kind));
    snprintf(ov[2], 64, "%ld", opt->step);
    snprintf(ov[3], 64, "%.9g", (double)oc->momentum);
    snprintf(ov[4], 64, "%d", oc->nesterov);
    snprintf(ov[5], 64, "%.9g,%.9g", (double)oc->beta1, (double)oc->beta2);
    snprintf(ov[6], 64, "%.9g", (double)oc->eps);
    snprintf(ov[7], 64, "%.9g", (double)oc->weight_decay);
    snprintf(ov[8], 64, "%.9g", (double)oc->clip_norm);
    nn_meta_kv_t okv[9] = {{"rocks.format", ov[0]}, {"optimizer", ov[1]}, {"step", ov[2]},
                           {"momentum", ov[3]},     {"nesterov", ov[4]},  {"betas", ov[5]},
                           {"eps", ov[6]},          {"weight_decay", ov[7]}, {"clip_norm", ov[8]}};
    st = write_atomic_(opath, ts, n, okv, 9, err);
    free(tn);
    if (st != ROCKS_OK) goto done;
  }
  // bookkeeping the caller did not set itself
  int has_flops = 0, has_step = 0;
  for (int j = ARCH_KEYS_; j < k; j++) {
    has_flops |= !strcmp(kv[j].key, "flops");
    has_step |= !strcmp(kv[j].key, "optimizer_step");
  }
  if (opt && !has_step) {
    snprintf(vals[ARCH_KEYS_], 64, "%ld", opt->step);
    kv[k++] = (nn_meta_kv_t){"optimizer_step", vals[ARCH_KEYS_]};
  }
  if (!has_flops) {
    snprintf(vals[ARCH_KEYS_ + 1], 64, "%.6g", m->flops);
    kv[k++] = (nn_meta_kv_t){"flops", vals[ARCH_KEYS_ + 1]};
  }
  for (int i = 0; i < m->ntensors; i++) {
    const nn_tensor_t *t = &m->tensors[i];
    ts[i] = (st_tensor_t_){t->name, m->params_memory + t->offset, t->ndim, t->shape, t->numel};
  }
  st = write_atomic_(path, ts, m->ntensors, kv, k, err);
done:
  free(kv);
  free(ts);
  return st;
}

/* ------------------------------------------------------------------------------ reading --- */

typedef struct {
  FILE *f;
  uint64_t file_size, header_len, data_start, data_len;
  cJSON *root;
  const char *path;
} st_file_t_;

static void st_close_(st_file_t_ *s) {
  if (s->f) fclose(s->f);
  cJSON_Delete(s->root);
  memset(s, 0, sizeof *s);
}

/* Opens a file and parses/validates the header (not the tensors against a model). */
static rocks_status_t st_open_(st_file_t_ *s, const char *path, rocks_error_t *err) {
  memset(s, 0, sizeof *s);
  s->path = path;
  s->f = fopen(path, "rb");
  if (!s->f) return rocks_fail(err, ROCKS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(s->f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    st_close_(s);
    return rocks_fail(err, ROCKS_ERR_IO, "%s: not a regular file", path);
  }
  s->file_size = (uint64_t)sb.st_size;
  uint8_t len8[8];
  if (s->file_size < 8 || fread(len8, 1, 8, s->f) != 8) {
    rocks_fail(err, ROCKS_ERR_PARSE, "%s: truncated: %llu bytes, a safetensors file needs at least 8", path,
               (unsigned long long)s->file_size);
    st_close_(s);
    return ROCKS_ERR_PARSE;
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)len8[i] << (8 * i);
  if (n < 2 || n > ST_MAX_HEADER || n > s->file_size - 8) {
    rocks_fail(err, ROCKS_ERR_PARSE, "%s: bad header length %llu (file has %llu bytes)%s", path, (unsigned long long)n,
               (unsigned long long)s->file_size, n > s->file_size - 8 && n <= ST_MAX_HEADER ? ": truncated?" : "");
    st_close_(s);
    return ROCKS_ERR_PARSE;
  }
  s->header_len = n;
  s->data_start = 8 + n;
  s->data_len = s->file_size - s->data_start;
  char *json = malloc((size_t)n + 1);
  if (!json) {
    st_close_(s);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (header of %llu bytes)", (unsigned long long)n);
  }
  if (fread(json, 1, (size_t)n, s->f) != (size_t)n) {
    free(json);
    st_close_(s);
    return rocks_fail(err, ROCKS_ERR_IO, "%s: read error in the header", path);
  }
  json[n] = 0;
  if (memchr(json, 0, (size_t)n)) {
    free(json);
    st_close_(s);
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: NUL byte in the JSON header", path);
  }
  const char *end = NULL;
  s->root = cJSON_ParseWithOpts(json, &end, 0);
  if (!s->root || !cJSON_IsObject(s->root)) {
    long at = end ? (long)(end - json) : -1;
    if (!s->root) at = cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - json) : -1;
    free(json);
    st_close_(s);
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: the header is not a JSON object (error near byte %ld)", path, at);
  }
  // only whitespace may follow the JSON object
  for (const char *p = end; p && *p; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
      free(json);
      st_close_(s);
      return rocks_fail(err, ROCKS_ERR_PARSE, "%s: garbage after the JSON header", path);
    }
  free(json);

  // every entry: dtype, shape, offsets within the data section, no overlaps, no gaps
  int nt = 0;
  for (cJSON *e = s->root->child; e; e = e->next) nt++;
  uint64_t(*rng)[2] = malloc(sizeof *rng * (size_t)(nt + 1));
  if (!rng) {
    st_close_(s);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  int nr = 0;
  rocks_status_t st = ROCKS_OK;
  for (cJSON *e = s->root->child; e && st == ROCKS_OK; e = e->next) {
    if (!e->string) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: unnamed header entry", path);
      break;
    }
    if (!strcmp(e->string, "__metadata__")) {
      if (!cJSON_IsObject(e)) st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: __metadata__ is not an object", path);
      for (cJSON *kv = e->child; st == ROCKS_OK && kv; kv = kv->next)
        if (!cJSON_IsString(kv)) st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: metadata '%s' is not a string", path, kv->string ? kv->string : "?");
      continue;
    }
    cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype"), *sh = cJSON_GetObjectItemCaseSensitive(e, "shape"),
          *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsObject(e) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s': needs dtype, shape and data_offsets [begin, end]", path, e->string);
      break;
    }
    int esize = 0;
    static const struct { const char *n; int s; } dts[] = {{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I64", 8},
                                                           {"I32", 4}, {"I16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1}};
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++)
      if (!strcmp(dt->valuestring, dts[i].n)) esize = dts[i].s;
    if (!esize) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s': unknown dtype '%.16s'", path, e->string, dt->valuestring);
      break;
    }
    double numel = 1.0;
    for (cJSON *d = sh->child; d; d = d->next) {
      if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble != (double)(int64_t)d->valuedouble || d->valuedouble > 1e12) {
        st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s': bad shape", path, e->string);
        break;
      }
      numel *= d->valuedouble;
    }
    if (st != ROCKS_OK) break;
    cJSON *b0 = cJSON_GetArrayItem(of, 0), *b1 = cJSON_GetArrayItem(of, 1);
    if (!cJSON_IsNumber(b0) || !cJSON_IsNumber(b1) || b0->valuedouble < 0 || b1->valuedouble < b0->valuedouble ||
        b0->valuedouble != (double)(int64_t)b0->valuedouble || b1->valuedouble != (double)(int64_t)b1->valuedouble) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s': bad data_offsets", path, e->string);
      break;
    }
    if (b1->valuedouble > (double)s->data_len) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s': data [%.0f, %.0f) beyond the %llu data bytes (truncated file?)",
                      path, e->string, b0->valuedouble, b1->valuedouble, (unsigned long long)s->data_len);
      break;
    }
    if (b1->valuedouble - b0->valuedouble != numel * esize) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s': data_offsets span %.0f bytes, shape x dtype needs %.0f", path,
                      e->string, b1->valuedouble - b0->valuedouble, numel * esize);
      break;
    }
    rng[nr][0] = (uint64_t)b0->valuedouble;
    rng[nr][1] = (uint64_t)b1->valuedouble;
    nr++;
  }
  if (st == ROCKS_OK) {
    // sort ranges (insertion sort; a few hundred) and require them to tile the data section
    for (int i = 1; i < nr; i++)
      for (int j = i; j > 0 && (rng[j][0] < rng[j - 1][0] || (rng[j][0] == rng[j - 1][0] && rng[j][1] < rng[j - 1][1])); j--) {
        uint64_t a0 = rng[j][0], a1 = rng[j][1];
        rng[j][0] = rng[j - 1][0];
        rng[j][1] = rng[j - 1][1];
        rng[j - 1][0] = a0;
        rng[j - 1][1] = a1;
      }
    uint64_t at = 0;
    for (int i = 0; i < nr && st == ROCKS_OK; i++) {
      if (rng[i][0] != at)
        st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor data %s at byte %llu (expected %llu)", path,
                        rng[i][0] < at ? "overlaps" : "has a gap", (unsigned long long)rng[i][0], (unsigned long long)at);
      at = rng[i][1];
    }
    if (st == ROCKS_OK && at != s->data_len)
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: %llu data bytes but the tensors cover %llu", path,
                      (unsigned long long)s->data_len, (unsigned long long)at);
  }
  free(rng);
  if (st != ROCKS_OK) st_close_(s);
  return st;
}

static const char *st_meta_(const st_file_t_ *s, const char *key) {
  cJSON *md = cJSON_GetObjectItemCaseSensitive(s->root, "__metadata__");
  cJSON *v = md ? cJSON_GetObjectItemCaseSensitive(md, key) : NULL;
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Reads tensor `name` (F32 of the given shape) into dst. */
static rocks_status_t st_read_(st_file_t_ *s, const char *name, const int *shape, int ndim, float *dst, size_t numel,
                               rocks_error_t *err) {
  cJSON *e = cJSON_GetObjectItemCaseSensitive(s->root, name);
  if (!e) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: missing tensor '%s'", s->path, name);
  cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype"), *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
  if (strcmp(dt->valuestring, "F32"))
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s' has dtype %.16s, expected F32", s->path, name, dt->valuestring);
  int ok = cJSON_GetArraySize(sh) == ndim;
  for (int d = 0; ok && d < ndim; d++) ok = cJSON_GetArrayItem(sh, d)->valuedouble == shape[d];
  if (!ok) {
    char want[64], got[64];
    int wl = 0, gl = 0;
    for (int d = 0; d < ndim; d++) wl += snprintf(want + wl, sizeof want - (size_t)wl, "%s%d", d ? "," : "", shape[d]);
    for (cJSON *x = sh->child; x && gl < 48; x = x->next) gl += snprintf(got + gl, sizeof got - (size_t)gl, "%s%.0f", x == sh->child ? "" : ",", x->valuedouble);
    want[wl] = got[gl < 64 ? gl : 63] = 0;
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: tensor '%s' has shape [%s], expected [%s]", s->path, name, got, want);
  }
  uint64_t b0 = (uint64_t)cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "data_offsets"), 0)->valuedouble;
  if (fseeko(s->f, (off_t)(s->data_start + b0), SEEK_SET) != 0 || fread(dst, sizeof(float), numel, s->f) != numel)
    return rocks_fail(err, ROCKS_ERR_IO, "%s: read error in tensor '%s'", s->path, name);
  return ROCKS_OK;
}

/* Rejects any entry that is neither metadata, a known name, nor "*.num_batches_tracked". */
static rocks_status_t st_check_names_(const st_file_t_ *s, const char *const *names, int n, rocks_error_t *err) {
  for (cJSON *e = s->root->child; e; e = e->next) {
    if (!strcmp(e->string, "__metadata__")) continue;
    size_t l = strlen(e->string), k = strlen(".num_batches_tracked");
    if (l > k && !strcmp(e->string + l - k, ".num_batches_tracked")) continue;
    int found = 0;
    for (int i = 0; i < n && !found; i++) found = !strcmp(names[i], e->string);
    if (!found) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: unexpected tensor '%.80s'", s->path, e->string);
  }
  return ROCKS_OK;
}

static rocks_status_t config_from_meta_(const st_file_t_ *s, goresnet_config_t *c, int require_all, rocks_error_t *err) {
  const char *fmt = st_meta_(s, "rocks.format");
  if (fmt && strcmp(fmt, "goresnet-v1"))
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: rocks.format is '%.40s', expected goresnet-v1", s->path, fmt);
  static const char *ikeys[] = {"size", "planes", "channels", "blocks", "base_channels", "base_blocks"};
  int *ivals[] = {&c->size, &c->planes, &c->channels, &c->blocks, &c->base_channels, &c->base_blocks};
  for (int i = 0; i < 6; i++) {
    const char *v = st_meta_(s, ikeys[i]);
    if (!v) {
      if (require_all) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: metadata lacks '%s'", s->path, ikeys[i]);
      continue;
    }
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < 0 || x > 100000)
      return rocks_fail(err, ROCKS_ERR_PARSE, "%s: metadata %s='%.32s' is not a valid integer", s->path, ikeys[i], v);
    *ivals[i] = (int)x;
  }
  static const char *fkeys[] = {"depth_alpha", "depth_a", "bn_eps", "bn_momentum"};
  float *fvals[] = {&c->depth_alpha, &c->depth_a, &c->bn_eps, &c->bn_momentum};
  for (int i = 0; i < 4; i++) {
    const char *v = st_meta_(s, fkeys[i]);
    if (!v) {
      if (require_all) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: metadata lacks '%s'", s->path, fkeys[i]);
      continue;
    }
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: metadata %s='%.32s' is not a number", s->path, fkeys[i], v);
    *fvals[i] = (float)x;
  }
  const char *p = st_meta_(s, "param");
  if (p) {
    if (nn_param_from_name(p, &c->param, err) != ROCKS_OK) return ROCKS_ERR_PARSE;
  } else if (require_all) {
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: metadata lacks 'param'", s->path);
  }
  const char *f = st_meta_(s, "features");
  if (f) snprintf(c->features, sizeof c->features, "%s", f);
  return goresnet_config_check(c, err) == ROCKS_OK ? ROCKS_OK : ROCKS_ERR_PARSE;
}

rocks_status_t nn_checkpoint_read_config(const char *path, goresnet_config_t *c, rocks_error_t *err) {
  st_file_t_ s;
  rocks_status_t st = st_open_(&s, path, err);
  if (st != ROCKS_OK) return st;
  goresnet_config_t cfg = goresnet_config_default();
  st = config_from_meta_(&s, &cfg, 1, err);
  st_close_(&s);
  if (st == ROCKS_OK) *c = cfg;
  return st;
}

rocks_status_t nn_checkpoint_load(const char *path, goresnet_t *m, rocks_error_t *err) {
  st_file_t_ s;
  rocks_status_t st = st_open_(&s, path, err);
  if (st != ROCKS_OK) return st;
  // architecture: keys present in the metadata must match the model
  goresnet_config_t fc = m->config;
  st = config_from_meta_(&s, &fc, 0, err);
  const goresnet_config_t *c = &m->config;
  if (st == ROCKS_OK && (fc.size != c->size || fc.planes != c->planes || fc.channels != c->channels ||
                         fc.blocks != c->blocks || fc.param != c->param || fc.base_channels != c->base_channels ||
                         fc.base_blocks != c->base_blocks || fc.depth_alpha != c->depth_alpha || fc.depth_a != c->depth_a))
    st = rocks_fail(err, ROCKS_ERR_ARG, "%s: architecture b%dc%d %dx%d %d planes %s (base %d) does not match the model's "
                    "b%dc%d %dx%d %d planes %s (base %d)", path, fc.blocks, fc.channels, fc.size, fc.size, fc.planes,
                    nn_param_name(fc.param), fc.base_channels, c->blocks, c->channels, c->size, c->size, c->planes,
                    nn_param_name(c->param), c->base_channels);
  const char **names = NULL;
  float *tmp = NULL;
  if (st == ROCKS_OK) {
    names = malloc(sizeof *names * (size_t)m->ntensors);
    tmp = malloc(sizeof(float) * m->nfloats);
    if (!names || !tmp) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  if (st == ROCKS_OK) {
    for (int i = 0; i < m->ntensors; i++) names[i] = m->tensors[i].name;
    memcpy(tmp, m->params_memory, sizeof(float) * m->nfloats); // keeps the alignment padding as is
    st = st_check_names_(&s, names, m->ntensors, err);
  }
  for (int i = 0; st == ROCKS_OK && i < m->ntensors; i++) {
    const nn_tensor_t *t = &m->tensors[i];
    st = st_read_(&s, t->name, t->shape, t->ndim, tmp + t->offset, t->numel, err);
  }
  if (st == ROCKS_OK) memcpy(m->params_memory, tmp, sizeof(float) * m->nfloats);
  free(names);
  free(tmp);
  st_close_(&s);
  return st;
}

goresnet_t *nn_checkpoint_load_new(const char *path, rocks_error_t *err) {
  goresnet_config_t c;
  if (nn_checkpoint_read_config(path, &c, err) != ROCKS_OK) return NULL;
  goresnet_t *m = goresnet_new(&c, err);
  if (!m) return NULL;
  if (nn_checkpoint_load(path, m, err) != ROCKS_OK) {
    goresnet_delete(m);
    return NULL;
  }
  return m;
}

rocks_status_t nn_checkpoint_load_optim(const char *path, nn_optim_t *o, const goresnet_t *m, rocks_error_t *err) {
  char opath[PATH_MAX];
  if (!nn_checkpoint_optim_path(path, opath, sizeof opath)) return rocks_fail(err, ROCKS_ERR_ARG, "checkpoint path too long");
  if (o->nfloats != m->nfloats || o->ntensors != m->ntensors)
    return rocks_fail(err, ROCKS_ERR_ARG, "optimizer does not belong to this model");
  st_file_t_ s;
  rocks_status_t st = st_open_(&s, opath, err);
  if (st != ROCKS_OK) return st;
  const char *fmt = st_meta_(&s, "rocks.format"), *kind = st_meta_(&s, "optimizer"), *step = st_meta_(&s, "step");
  long stepv = 0;
  char *end = NULL;
  if (!fmt || strcmp(fmt, "goresnet-optim-v1"))
    st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: not a rocks optimizer file (rocks.format)", opath);
  else if (!kind || strcmp(kind, nn_optim_name(o->config.kind)))
    st = rocks_fail(err, ROCKS_ERR_ARG, "%s: optimizer is '%.16s', expected %s", opath, kind ? kind : "?",
                    nn_optim_name(o->config.kind));
  else if (!step || (stepv = strtol(step, &end, 10), end == step || *end || stepv < 0))
    st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: bad or missing 'step' metadata", opath);
  int nstate = o->config.kind == NN_OPT_ADAMW ? 2 : 1, n = 0;
  char(*tn)[NN_NAME_MAX + 16] = NULL;
  const char **names = NULL;
  float *tm = NULL, *tv = NULL;
  if (st == ROCKS_OK) {
    tn = malloc(sizeof *tn * (size_t)(2 * m->ntensors));
    names = malloc(sizeof *names * (size_t)(2 * m->ntensors));
    tm = calloc(m->nfloats, sizeof(float));
    tv = nstate == 2 ? calloc(m->nfloats, sizeof(float)) : NULL;
    if (!tn || !names || !tm || (nstate == 2 && !tv)) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; st == ROCKS_OK && i < m->ntensors; i++) {
    const nn_tensor_t *t = &m->tensors[i];
    if (!t->trainable) continue;
    for (int k = 0; k < nstate && st == ROCKS_OK; k++) {
      snprintf(tn[n], sizeof tn[n], "%s.%s", t->name, nstate == 1 ? "momentum_buffer" : k == 0 ? "exp_avg" : "exp_avg_sq");
      names[n] = tn[n];
      st = st_read_(&s, tn[n], t->shape, t->ndim, (k == 0 ? tm : tv) + t->offset, t->numel, err);
      n++;
    }
  }
  if (st == ROCKS_OK) st = st_check_names_(&s, names, n, err);
  if (st == ROCKS_OK) {
    memcpy(o->m, tm, sizeof(float) * m->nfloats);
    if (tv) memcpy(o->v, tv, sizeof(float) * m->nfloats);
    o->step = stepv;
    for (int i = 0; i < m->ntensors; i++) o->has_state[i] = stepv > 0;
  }
  free(tn);
  free(names);
  free(tm);
  free(tv);
  st_close_(&s);
  return st;
}

rocks_status_t nn_checkpoint_read_meta(const char *path, const char *key, char *out, size_t outlen, rocks_error_t *err) {
  st_file_t_ s;
  rocks_status_t st = st_open_(&s, path, err);
  if (st != ROCKS_OK) return st;
  const char *v = st_meta_(&s, key);
  if (!v) st = rocks_fail(err, ROCKS_ERR_ARG, "%s: no metadata '%s'", path, key);
  else if ((size_t)snprintf(out, outlen, "%s", v) >= outlen) st = rocks_fail(err, ROCKS_ERR_ARG, "%s: metadata '%s' too long", path, key);
  st_close_(&s);
  return st;
}
