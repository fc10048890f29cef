/* import.c — SGF files and folders into .npz shards (ds_import_run, ds.h).
 *
 * Files are collected (folders recursively, names ending in .sgf in any case), sorted by path
 * and read in that order; every game tree of a file is one game. A game is kept when
 * ds_game_from_sgf accepts it (supported size, setup only in the root, every move legal, a
 * known winner); anything else — an unreadable or malformed file, an unsupported game — is
 * counted and listed in OUT/import-report.tsv with its reason, and the import goes on. Kept
 * games are grouped by board size; a shard is written whenever a size has shard_games games,
 * and at the end for the rest (sizes in increasing order). Game ids: id_base + k, k counting
 * kept games in import order.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ds.h"

ds_import_config_t ds_import_config_default(void) {
  board_rules_t r = board_rules_tromp_taylor();
  r.ko = BOARD_KO_SIMPLE;
  ds_import_config_t c = {.out = NULL, .rules = r, .shard_games = 256, .compress = 6, .id_base = 0};
  return c;
}

typedef struct {
  char **v;
  int n, cap;
} strvec_t;

static int push_(strvec_t *s, const char *p) {
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 256;
    char **nv = realloc(s->v, (size_t)cap * sizeof *nv);
    if (!nv) return 0;
    s->v = nv;
    s->cap = cap;
  }
  return (s->v[s->n] = strdup(p)) ? (s->n++, 1) : 0;
}

static int is_sgf_name_(const char *name) {
  size_t n = strlen(name);
  return n > 4 && !strcasecmp(name + n - 4, ".sgf");
}

/* Adds path (a file, or a folder walked recursively) to files; unreadable folders and missing
 * paths go to bad with a reason. */
static int collect_(const char *path, int depth, strvec_t *files, strvec_t *bad) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    char msg[4400];
    snprintf(msg, sizeof msg, "%s\t-\trejected\t%s", path, strerror(errno));
    return push_(bad, msg);
  }
  if (!S_ISDIR(sb.st_mode)) return push_(files, path);
  DIR *d = depth < 64 ? opendir(path) : NULL;
  if (!d) {
    char msg[4400];
    snprintf(msg, sizeof msg, "%s\t-\trejected\tcannot read folder%s", path, depth >= 64 ? " (too deep)" : "");
    return push_(bad, msg);
  }
  struct dirent *e;
  int ok = 1;
  while (ok && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char child[4400];
    if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child) continue;
    struct stat cs;
    if (stat(child, &cs) != 0) continue;
    if (S_ISDIR(cs.st_mode)) ok = collect_(child, depth + 1, files, bad);
    else if (is_sgf_name_(e->d_name)) ok = push_(files, child);
  }
  closedir(d);
  return ok;
}

static int cmp_str_(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One pending shard per board size. */
typedef struct {
  ds_game_t *g;
  int n;
} pending_t;

typedef struct {
  const ds_import_config_t *c;
  char shards_dir[4200];
  int nshards;
  cJSON *jshards;
  ds_import_stats_t *stats;
} imp_t;

static rocks_status_t flush_(imp_t *I, pending_t *p, rocks_error_t *err) {
  if (p->n == 0) return ROCKS_OK;
  char path[4300], rel[64];
  snprintf(rel, sizeof rel, "shards/shard-%06d.npz", I->nshards);
  snprintf(path, sizeof path, "%s/shard-%06d.npz", I->shards_dir, I->nshards);
  ds_shard_info_t info;
  rocks_status_t st = ds_shard_write(path, p->g, p->n, I->c->compress, "{\"generator\": \"sgf-import\"}", &info, err);
  if (st != ROCKS_OK) return st;
  cJSON *js = cJSON_CreateObject();
  cJSON_AddStringToObject(js, "file", rel);
  cJSON_AddNumberToObject(js, "board_size", p->g[0].size);
  cJSON_AddNumberToObject(js, "games", info.games);
  cJSON_AddNumberToObject(js, "positions", (double)info.positions);
  cJSON_AddNumberToObject(js, "bytes", (double)info.bytes);
  cJSON_AddStringToObject(js, "sha256", info.sha256);
  cJSON_AddItemToArray(I->jshards, js);
  I->nshards++;
  I->stats->shards++;
  p->n = 0;
  return ROCKS_OK;
}

/* Report text: tabs and newlines in a reason would break the TSV. */
static void clean_(char *s) {
  for (; *s; s++)
    if (*s == '\t' || *s == '\n' || *s == '\r') *s = ' ';
}

rocks_status_t ds_import_run(const ds_import_config_t *c, char *const *inputs, int ninputs, ds_progress_fn progress,
                             void *ctx, ds_import_stats_t *stats, rocks_error_t *err) {
  if (!c->out || ninputs < 1) return rocks_fail(err, ROCKS_ERR_ARG, "import: no inputs or no output directory");
  if (c->shard_games < 1) return rocks_fail(err, ROCKS_ERR_ARG, "import: shard_games must be positive");
  ds_import_stats_t local;
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  imp_t I = {.c = c, .stats = stats};
  snprintf(I.shards_dir, sizeof I.shards_dir, "%s/shards", c->out);
  rocks_status_t st = ds_mkdirs(I.shards_dir, err);
  if (st != ROCKS_OK) return st;
  double t0 = rocks_now();
  strvec_t files = {0}, bad = {0};
  for (int i = 0; i < ninputs; i++)
    if (!collect_(inputs[i], 0, &files, &bad)) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  if (files.n) qsort(files.v, (size_t)files.n, sizeof *files.v, cmp_str_);
  int nf = 0; /* drop repeated paths (a file given twice, or inside a given folder) */
  for (int i = 0; i < files.n; i++) {
    if (nf && !strcmp(files.v[nf - 1], files.v[i])) {
      free(files.v[i]);
      continue;
    }
    files.v[nf++] = files.v[i];
  }
  files.n = nf;
  stats->files = files.n;

  char rpath[4300];
  snprintf(rpath, sizeof rpath, "%s/import-report.tsv.part", c->out);
  FILE *rep = fopen(rpath, "w");
  pending_t pend[BOARD_MAX_SIZE + 1];
  memset(pend, 0, sizeof pend);
  I.jshards = cJSON_CreateArray();
  ds_game_t *g = malloc(sizeof *g);
  if (!rep || !g || !I.jshards) {
    st = rep ? rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory") : rocks_fail(err, ROCKS_ERR_IO, "%s: %s", rpath, strerror(errno));
    goto out;
  }
  fprintf(rep, "path\tgame\tstatus\treason\n");
  for (int i = 0; i < bad.n; i++) {
    fprintf(rep, "%s\n", bad.v[i]);
    stats->rejected++;
  }
  for (int f = 0; f < files.n && st == ROCKS_OK; f++) {
    sgf_game_t *gs = NULL;
    int ng = 0;
    rocks_error_t e2 = {0};
    if (sgf_read_file(files.v[f], &gs, &ng, &e2) != ROCKS_OK) {
      clean_(e2.msg);
      fprintf(rep, "%s\t-\trejected\t%s\n", files.v[f], e2.msg);
      stats->rejected++;
    } else {
      for (int k = 0; k < ng && st == ROCKS_OK; k++) {
        memset(&e2, 0, sizeof e2);
        if (ds_game_from_sgf(&gs[k], c->rules, g, &e2) != ROCKS_OK) {
          clean_(e2.msg);
          fprintf(rep, "%s\t%d\trejected\t%s\n", files.v[f], k, e2.msg);
          stats->rejected++;
          continue;
        }
        g->id = c->id_base + stats->games;
        size_t len = strlen(files.v[f]);
        const char *tail = len > DS_SOURCE_MAX - 16 ? files.v[f] + len - (DS_SOURCE_MAX - 16) : files.v[f];
        snprintf(g->source, sizeof g->source, "%s#%d", tail, k);
        pending_t *p = &pend[g->size];
        if (!p->g && !(p->g = malloc(sizeof *p->g * (size_t)c->shard_games))) {
          st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
          break;
        }
        p->g[p->n++] = *g;
        stats->games++;
        stats->positions += ds_game_positions(g);
        fprintf(rep, "%s\t%d\tok\t%d moves, %d positions\n", files.v[f], k, g->nmoves, ds_game_positions(g));
        if (p->n == c->shard_games) st = flush_(&I, p, err);
      }
      sgf_games_free(gs, ng);
    }
    if (progress) {
      ds_progress_t pr = {.phase = "import", .done = f + 1, .total = files.n, .positions = stats->positions,
                          .skipped = stats->rejected, .elapsed = rocks_now() - t0};
      pr.rate = pr.elapsed > 0 ? (f + 1) / pr.elapsed : 0;
      progress(&pr, ctx);
    }
  }
  for (int s = 0; s <= BOARD_MAX_SIZE && st == ROCKS_OK; s++) st = flush_(&I, &pend[s], err);
  if (st == ROCKS_OK) {
    if (fclose(rep) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", rpath, strerror(errno));
    rep = NULL;
    char final[4300];
    snprintf(final, sizeof final, "%s/import-report.tsv", c->out);
    if (st == ROCKS_OK && rename(rpath, final) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", final, strerror(errno));
  }
  /* shards of an earlier, larger import into the same folder */
  for (int s = I.nshards; st == ROCKS_OK; s++) {
    char path[4300];
    snprintf(path, sizeof path, "%s/shard-%06d.npz", I.shards_dir, s);
    if (unlink(path) != 0) break;
  }
  if (st == ROCKS_OK) {
    cJSON *man = cJSON_CreateObject();
    cJSON_AddStringToObject(man, "format", "rocks-dataset-v1");
    cJSON_AddNullToObject(man, "name");
    cJSON_AddStringToObject(man, "source", "sgf import");
    cJSON *gen = cJSON_CreateObject();
    cJSON *in = cJSON_CreateArray();
    for (int i = 0; i < ninputs; i++) cJSON_AddItemToArray(in, cJSON_CreateString(inputs[i]));
    cJSON_AddItemToObject(gen, "inputs", in);
    cJSON_AddStringToObject(gen, "rules", c->rules.suicide ? (c->rules.ko == BOARD_KO_SIMPLE ? "suicide legal, simple ko" : "tromp-taylor")
                                                          : (c->rules.ko == BOARD_KO_SIMPLE ? "no suicide, simple ko" : "chinese"));
    cJSON_AddNumberToObject(gen, "id_base", (double)c->id_base);
    cJSON_AddNumberToObject(gen, "shard_games", c->shard_games);
    cJSON_AddItemToObject(man, "generator", gen);
    cJSON *counts = cJSON_CreateObject();
    cJSON_AddNumberToObject(counts, "files", stats->files);
    cJSON_AddNumberToObject(counts, "games", stats->games);
    cJSON_AddNumberToObject(counts, "rejected", stats->rejected);
    cJSON_AddNumberToObject(counts, "positions", (double)stats->positions);
    cJSON_AddNumberToObject(counts, "shards", stats->shards);
    cJSON_AddItemToObject(man, "counts", counts);
    cJSON_AddStringToObject(man, "report", "import-report.tsv");
    cJSON_AddItemToObject(man, "shards", I.jshards);
    I.jshards = NULL;
    cJSON_AddStringToObject(man, "created_by", "rocks " ROCKS_VERSION);
    char *text = cJSON_Print(man);
    char path[4300];
    snprintf(path, sizeof path, "%s/manifest.json", c->out);
    st = text ? ds_write_text_atomic(path, text, err) : rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    free(text);
    cJSON_Delete(man);
  }
out:
  if (rep) {
    fclose(rep);
    unlink(rpath);
  }
  cJSON_Delete(I.jshards);
  for (int s = 0; s <= BOARD_MAX_SIZE; s++) free(pend[s].g);
  free(g);
  for (int i = 0; i < files.n; i++) free(files.v[i]);
  for (int i = 0; i < bad.n; i++) free(bad.v[i]);
  free(files.v);
  free(bad.v);
  return st;
}
