/* worker.c — the self-play worker loop behind `rocks selfplay` (selfplay.h): follows the newest
 * published model, writes shards, pushes episodes with a spool for when the service is down,
 * and the episode files of that spool. */
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
#include "data/npz.h"
#include "selfplay/selfplay.h"

/* ======================================================================== episode files === */

rocks_status_t selfplay_episode_save(const char *path, const replay_episode_t *ep, rocks_error_t *err) {
  const ds_game_t *g = &ep->game;
  const int T = g->nmoves;
  const int64_t nv = ep->visit_offset[T];
  int16_t *act = malloc((size_t)(nv > 0 ? nv : 1) * sizeof *act);
  float *prob = malloc((size_t)(nv > 0 ? nv : 1) * sizeof *prob);
  float *rv = calloc((size_t)(T > 0 ? T : 1), sizeof *rv);
  if (!act || !prob || !rv) {
    free(act), free(prob), free(rv);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  for (int64_t i = 0; i < nv; i++) act[i] = ep->visits[i].action, prob[i] = ep->visits[i].prob;
  if (ep->root_value && T > 0) memcpy(rv, ep->root_value, (size_t)T * sizeof *rv);
  int64_t info[8] = {g->id, g->size, g->winner, ep->flags, (int64_t)g->seed, g->rules.suicide, g->rules.ko, 1};
  float fl[2] = {g->komi, g->score};
  char strs[4][DS_SOURCE_MAX];
  memset(strs, 0, sizeof strs);
  snprintf(strs[0], DS_SOURCE_MAX, "%s", ep->model_id);
  snprintf(strs[1], DS_SOURCE_MAX, "%s", ep->worker_id);
  snprintf(strs[2], DS_SOURCE_MAX, "%s", g->result);
  snprintf(strs[3], DS_SOURCE_MAX, "%s", g->source);
  int64_t four = 4;
  rocks_status_t st;
  npz_writer_t *w = npz_writer_open(path, 0, err);
  if (!w) st = err && err->code ? err->code : ROCKS_ERR_IO;
  else if ((st = npz_writer_add1(w, "info", NPZ_I64, 8, info, err)) ||
           (st = npz_writer_add1(w, "komi_score", NPZ_F32, 2, fl, err)) ||
           (st = npz_writer_add(w, "strings", NPZ_BYTES, DS_SOURCE_MAX, 1, &four, strs, err)) ||
           (st = npz_writer_add1(w, "moves", NPZ_I16, T, g->moves, err)) ||
           (st = npz_writer_add1(w, "colors", NPZ_U8, T, g->colors, err)) ||
           (st = npz_writer_add1(w, "full_search", NPZ_U8, T, ep->full_search, err)) ||
           (st = npz_writer_add1(w, "root_value", NPZ_F32, T, rv, err)) ||
           (st = npz_writer_add1(w, "visit_offset", NPZ_I32, T + 1, ep->visit_offset, err)) ||
           (st = npz_writer_add1(w, "visit_action", NPZ_I16, nv, act, err)) ||
           (st = npz_writer_add1(w, "visit_prob", NPZ_F32, nv, prob, err)))
    npz_writer_abort(w);
  else st = npz_writer_close(w, err);
  free(act), free(prob), free(rv);
  return st;
}

rocks_status_t selfplay_episode_load(const char *path, replay_episode_t *ep, rocks_error_t *err) {
  memset(ep, 0, sizeof *ep);
  npz_t *z = npz_open(path, err);
  if (!z) return err && err->code ? err->code : ROCKS_ERR_IO;
  enum { INFO, KS, STR, MOV, COL, FULL, RV, VOFF, VACT, VPROB, NA };
  static const struct { const char *name; npz_dtype_t t; } want[NA] = {
      {"info", NPZ_I64}, {"komi_score", NPZ_F32}, {"strings", NPZ_BYTES}, {"moves", NPZ_I16},
      {"colors", NPZ_U8}, {"full_search", NPZ_U8}, {"root_value", NPZ_F32}, {"visit_offset", NPZ_I32},
      {"visit_action", NPZ_I16}, {"visit_prob", NPZ_F32}};
  npz_array_t a[NA];
  memset(a, 0, sizeof a);
  rocks_status_t st = ROCKS_OK;
  for (int i = 0; i < NA && st == ROCKS_OK; i++) st = npz_read_expect(z, want[i].name, want[i].t, 1, &a[i], err);
  npz_close(z);
  if (st != ROCKS_OK) goto out;
  const int64_t T = a[MOV].shape[0], nv = a[VACT].shape[0];
  const int64_t *info = a[INFO].data;
  const int32_t *voff = a[VOFF].data;
  if (a[INFO].shape[0] != 8 || a[KS].shape[0] != 2 || a[STR].shape[0] != 4 || a[STR].itemsize > DS_SOURCE_MAX ||
      T > DS_MAX_MOVES || a[COL].shape[0] != T || a[FULL].shape[0] != T || a[RV].shape[0] != T ||
      a[VOFF].shape[0] != T + 1 || a[VPROB].shape[0] != nv || info[1] < BOARD_MIN_SIZE || info[1] > BOARD_MAX_SIZE ||
      voff[0] != 0 || voff[T] != nv) {
    st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: not a consistent episode file", path);
    goto out;
  }
  for (int64_t t = 0; t < T; t++)
    if (voff[t + 1] < voff[t]) {
      st = rocks_fail(err, ROCKS_ERR_PARSE, "%s: visit offsets decrease", path);
      goto out;
    }
  ds_game_t *g = &ep->game;
  g->id = info[0];
  g->size = (int)info[1];
  g->winner = (int)info[2];
  ep->flags = (uint32_t)info[3];
  g->seed = (uint64_t)info[4];
  g->rules = board_rules_tromp_taylor();
  g->rules.suicide = info[5] != 0;
  g->rules.ko = (int)info[6];
  const float *ks = a[KS].data;
  g->komi = ks[0];
  g->score = ks[1];
  g->nmoves = (int)T;
  memcpy(g->moves, a[MOV].data, (size_t)T * sizeof *g->moves);
  memcpy(g->colors, a[COL].data, (size_t)T);
  const char *s = a[STR].data;
  const size_t W = a[STR].itemsize;
  snprintf(ep->model_id, sizeof ep->model_id, "%.*s", (int)W, s);
  snprintf(ep->worker_id, sizeof ep->worker_id, "%.*s", (int)W, s + W);
  snprintf(g->result, sizeof g->result, "%.*s", (int)W, s + 2 * W);
  snprintf(g->source, sizeof g->source, "%.*s", (int)W, s + 3 * W);
  ep->visit_offset = malloc((size_t)(T + 1) * sizeof *ep->visit_offset);
  ep->visits = malloc((size_t)(nv > 0 ? nv : 1) * sizeof *ep->visits);
  ep->full_search = malloc((size_t)(T > 0 ? T : 1));
  ep->root_value = malloc((size_t)(T > 0 ? T : 1) * sizeof *ep->root_value);
  if (!ep->visit_offset || !ep->visits || !ep->full_search || !ep->root_value) {
    selfplay_episode_free(ep);
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto out;
  }
  memcpy(ep->visit_offset, voff, (size_t)(T + 1) * sizeof *voff);
  memcpy(ep->full_search, a[FULL].data, (size_t)T);
  memcpy(ep->root_value, a[RV].data, (size_t)T * sizeof *ep->root_value);
  const int16_t *act = a[VACT].data;
  const float *prob = a[VPROB].data;
  for (int64_t i = 0; i < nv; i++) ep->visits[i] = (replay_visit_t){.action = act[i], .prob = prob[i]};
out:
  for (int i = 0; i < NA; i++) npz_array_free(&a[i]);
  return st;
}

/* =============================================================================== models === */

rocks_status_t selfplay_latest_model(const char *models, char *name, size_t len, rocks_error_t *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/latest", models);
  FILE *f = fopen(path, "r");
  if (!f) return rocks_fail(err, ROCKS_ERR_STATE, "%s: no model published yet", models);
  char buf[512] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
  if (n == 0 || strchr(buf, '/') || n >= len) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: bad model name '%s'", path, buf);
  memcpy(name, buf, n + 1);
  return ROCKS_OK;
}

/* ================================================================================ worker === */

selfplay_worker_config_t selfplay_worker_config_default(void) {
  selfplay_worker_config_t c = {.sp = selfplay_config_default(), .worker_id = "w0", .games = -1, .shard_games = 32,
                                .poll_s = 2, .blocks = 4, .channels = 32};
  return c;
}

typedef struct {
  const selfplay_worker_config_t *c;
  replay_episode_t *eps;     /* finished, not yet in a shard */
  int neps, cap;
  int64_t pushed, spooled, rejected;
  char spool[4096];
  rocks_error_t push_err;
  int push_failed;           /* the service looked down this round: spool without trying */
} wstate_t;

/* Spool file path of an episode. */
static void spool_path(const wstate_t *w, int64_t id, char *out, size_t len) {
  snprintf(out, len, "%s/ep-%012lld.npz", w->spool, (long long)id);
}

/* The service refused an episode as invalid: keep it aside (never retried), count it. */
static void reject(wstate_t *w, const char *path) {
  char bad[4410];
  snprintf(bad, sizeof bad, "%s.rejected", path);
  rename(path, bad);
  w->rejected++;
}

static int on_episode(void *ctx, const replay_episode_t *ep) {
  wstate_t *w = ctx;
  rocks_error_t e;
  if (w->neps == w->cap) {
    int cap = w->cap ? 2 * w->cap : 64;
    replay_episode_t *p = realloc(w->eps, (size_t)cap * sizeof *p);
    if (!p) return 1;
    w->eps = p, w->cap = cap;
  }
  replay_episode_t *dst = &w->eps[w->neps];
  if (selfplay_episode_copy(dst, ep, &e) != ROCKS_OK) return 1;
  snprintf(dst->worker_id, sizeof dst->worker_id, "%s", w->c->worker_id);
  w->neps++;
  if (w->c->push) {
    /* spool first (atomic), push, then drop the spool file: a crash at any point loses nothing */
    char path[4200];
    spool_path(w, dst->game.id, path, sizeof path);
    if (selfplay_episode_save(path, dst, &w->push_err) != ROCKS_OK) return 1;
    w->spooled++;
    int r = w->push_failed ? 1 : w->c->push(w->c->push_ctx, dst, &w->push_err);
    if (r == 0 || r == 2) {
      if (r == 0) unlink(path), w->pushed++;
      else reject(w, path);
      w->spooled--;
    } else w->push_failed = 1;
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Re-sends spooled episodes (oldest first); stops at the first failure. */
static void resend_spool(wstate_t *w) {
  DIR *d = opendir(w->spool);
  if (!d) return;
  char **names = NULL;
  int n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t L = strlen(de->d_name);
    if (strncmp(de->d_name, "ep-", 3) || L < 5 || strcmp(de->d_name + L - 4, ".npz")) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **p = realloc(names, (size_t)cap * sizeof *p);
      if (!p) break;
      names = p;
    }
    if (!(names[n] = strdup(de->d_name))) break;
    n++;
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  int64_t left = n;
  for (int i = 0; i < n; i++) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", w->spool, names[i]);
    replay_episode_t ep;
    rocks_error_t e;
    if (selfplay_episode_load(path, &ep, &e) != ROCKS_OK) { /* unreadable: keep it aside */
      char bad[4410];
      snprintf(bad, sizeof bad, "%s.bad", path);
      rename(path, bad);
      left--;
      continue;
    }
    int r = w->c->push(w->c->push_ctx, &ep, &w->push_err);
    selfplay_episode_free(&ep);
    if (r == 1) {
      w->push_failed = 1;
      break;
    }
    if (r == 0) unlink(path), w->pushed++;
    else reject(w, path);
    left--;
  }
  w->spooled = left;
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

static rocks_status_t read_state(const char *out, int64_t *games, int64_t *shards, int64_t *positions) {
  char path[4200];
  snprintf(path, sizeof path, "%s/worker.json", out);
  *games = 0, *shards = 0, *positions = 0;
  FILE *f = fopen(path, "r");
  if (!f) return ROCKS_OK;
  long long g = 0, s = 0, p = 0;
  int n = fscanf(f, " {\"games\": %lld, \"shards\": %lld, \"positions\": %lld", &g, &s, &p);
  fclose(f);
  if (n >= 2 && g >= 0 && s >= 0) *games = g, *shards = s;
  if (n == 3 && p >= 0) *positions = p;
  return ROCKS_OK;
}

rocks_status_t selfplay_worker_run(const selfplay_worker_config_t *c, selfplay_worker_progress_fn progress, void *ctx,
                                   rocks_error_t *err) {
  char path[4200], csv[4200];
  rocks_status_t st;
  if (c->shard_games < 1) return rocks_fail(err, ROCKS_ERR_ARG, "selfplay: shard games must be >= 1");
  snprintf(path, sizeof path, "%s/shards", c->out);
  if ((st = ds_mkdirs(path, err)) != ROCKS_OK) return st;
  wstate_t w = {.c = c};
  snprintf(w.spool, sizeof w.spool, "%s/spool", c->out);
  if (c->push && (st = ds_mkdirs(w.spool, err)) != ROCKS_OK) return st;
  int64_t games0, shards, positions;
  read_state(c->out, &games0, &shards, &positions);
  selfplay_config_t sp = c->sp;
  sp.seed = rocks_mix64(c->sp.seed ^ rocks_mix64((uint64_t)games0 * 0x9e37u + 17));
  sp.id_base = c->sp.id_base + games0;
  int64_t todo = c->games < 0 ? -1 : c->games > games0 ? c->games - games0 : 0;
  selfplay_t *s = selfplay_new(&sp, todo, err);
  if (!s) return err && err->code ? err->code : ROCKS_ERR_NOMEM;
  snprintf(csv, sizeof csv, "%s/selfplay.csv", c->out);
  FILE *cf = fopen(csv, "a");
  if (!cf) {
    selfplay_delete(s);
    return rocks_fail(err, ROCKS_ERR_IO, "%s: %s", csv, strerror(errno));
  }
  fseek(cf, 0, SEEK_END);
  if (ftell(cf) == 0)
    fprintf(cf, "wall_s,games,shards,positions,moves,full_moves,evaluations,visits_per_s,games_per_hour,resigned,"
                "resign_disabled,would_resign,false_positives,move_cap,black_wins,white_wins,draws,model\n");
  fflush(cf);

  goresnet_t *model = NULL;
  selfplay_nn_t *nn = NULL;
  char model_name[512] = "", model_id[64] = "";
  double t0 = rocks_now(), last_poll = -1e9;
  int64_t sims0 = 0;
  int finished = todo == 0;
  selfplay_stats_t stt;
  memset(&stt, 0, sizeof stt);
  if (c->push) { /* episodes left in the spool by an earlier run: count them, send at the first poll */
    DIR *d = opendir(w.spool);
    struct dirent *de;
    while (d && (de = readdir(d))) {
      size_t L = strlen(de->d_name);
      w.spooled += !strncmp(de->d_name, "ep-", 3) && L > 4 && !strcmp(de->d_name + L - 4, ".npz");
    }
    if (d) closedir(d);
  }
  while (st == ROCKS_OK && !finished && !(c->stop && *c->stop)) {
    /* follow the newest model */
    double now = rocks_now();
    if (now - last_poll >= c->poll_s || !nn) {
      last_poll = now;
      char name[512];
      rocks_error_t e2;
      if (c->models && selfplay_latest_model(c->models, name, sizeof name, &e2) == ROCKS_OK) {
        if (strcmp(name, model_name) != 0) {
          snprintf(path, sizeof path, "%s/%s", c->models, name);
          goresnet_t *m = nn_checkpoint_load_new(path, &e2);
          selfplay_nn_t *e = m ? selfplay_nn_new(m, sp.features, sp.threads, &e2) : NULL;
          if (e) {
            selfplay_nn_delete(nn), goresnet_delete(model);
            nn = e, model = m;
            snprintf(model_name, sizeof model_name, "%s", name);
            snprintf(model_id, sizeof model_id, "%.*s", (int)(strcspn(name, ".")), name);
            selfplay_set_nn(s, nn, model_id);
          } else {
            goresnet_delete(m);
            if (!nn) { /* nothing to play with: the published model is broken */
              st = rocks_fail(err, e2.code ? e2.code : ROCKS_ERR_IO, "selfplay: %s", e2.msg);
              break;
            }
          }
        }
      }
      if (!nn) { /* nothing published: a random network */
        goresnet_config_t gc = goresnet_config_default();
        gc.size = sp.size, gc.planes = feat_planes(sp.features), gc.blocks = c->blocks, gc.channels = c->channels;
        snprintf(gc.features, sizeof gc.features, "%s", feat_name(sp.features));
        if (!(model = goresnet_new(&gc, err))) {
          st = err && err->code ? err->code : ROCKS_ERR_NOMEM;
          break;
        }
        goresnet_init(model, sp.seed);
        if (!(nn = selfplay_nn_new(model, sp.features, sp.threads, err))) {
          st = err && err->code ? err->code : ROCKS_ERR_NOMEM;
          break;
        }
        strcpy(model_id, "random");
        selfplay_set_nn(s, nn, model_id);
      }
      if (c->push && w.spooled > 0) {
        w.push_failed = 0;
        resend_spool(&w);
      }
      w.push_failed = 0;
    }
    if ((st = selfplay_step(s, on_episode, &w, &finished, err)) != ROCKS_OK) break;
    int flush = w.neps >= c->shard_games || (w.neps > 0 && (finished || (c->stop && *c->stop)));
    if (flush) {
      snprintf(path, sizeof path, "%s/shards/shard-%06lld.npz", c->out, (long long)shards);
      char meta[256];
      snprintf(meta, sizeof meta, "{\"generator\": \"rocks selfplay\", \"worker\": \"%s\", \"model\": \"%s\"}", c->worker_id,
               model_id);
      if ((st = selfplay_write_shard(path, w.eps, w.neps, meta, err)) != ROCKS_OK) break;
      for (int i = 0; i < w.neps; i++)
        for (int t = 0; t < w.eps[i].game.nmoves; t++) positions += w.eps[i].full_search[t];
      shards++;
      selfplay_get_stats(s, &stt);
      char state[128];
      snprintf(state, sizeof state, "{\"games\": %lld, \"shards\": %lld, \"positions\": %lld}\n",
               (long long)(games0 + stt.games_finished), (long long)shards, (long long)positions);
      snprintf(path, sizeof path, "%s/worker.json", c->out);
      if ((st = ds_write_text_atomic(path, state, err)) != ROCKS_OK) break;
      for (int i = 0; i < w.neps; i++) selfplay_episode_free(&w.eps[i]);
      w.neps = 0;
      double el = rocks_now() - t0;
      selfplay_worker_progress_t p = {.games = games0 + stt.games_finished, .shards = shards, .positions = positions,
                                      .pushed = w.pushed, .spooled = w.spooled, .rejected = w.rejected,
                                      .seconds = el, .games_per_hour = el > 0 ? 3600.0 * (double)stt.games_finished / el : 0,
                                      .visits_per_s = el > 0 ? (double)(stt.simulations - sims0) / el : 0, .stats = stt};
      snprintf(p.model_id, sizeof p.model_id, "%s", model_id);
      fprintf(cf, "%.1f,%lld,%lld,%lld,%lld,%lld,%lld,%.1f,%.1f,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s\n", el,
              (long long)p.games, (long long)shards, (long long)positions, (long long)stt.moves, (long long)stt.full_moves,
              (long long)stt.evaluations, p.visits_per_s, p.games_per_hour, (long long)stt.resigned,
              (long long)stt.resign_disabled, (long long)stt.would_resign, (long long)stt.false_positives,
              (long long)stt.move_cap, (long long)stt.black_wins, (long long)stt.white_wins, (long long)stt.draws, model_id);
      fflush(cf);
      if (progress) progress(&p, ctx);
    }
  }
  /* the spool must drain: wait for the service (a stop request leaves the rest for next time) */
  for (double last = 0; st == ROCKS_OK && c->push && w.spooled > 0 && !(c->stop && *c->stop);) {
    w.push_failed = 0;
    resend_spool(&w);
    if (w.spooled == 0) break;
    if (progress && rocks_now() - last > 10) {
      last = rocks_now();
      selfplay_get_stats(s, &stt);
      double el = rocks_now() - t0;
      selfplay_worker_progress_t p = {.games = games0 + stt.games_finished, .shards = shards, .positions = positions,
                                      .pushed = w.pushed, .spooled = w.spooled, .seconds = el, .stats = stt};
      snprintf(p.model_id, sizeof p.model_id, "(waiting for the replay service)");
      progress(&p, ctx);
    }
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
  }
  if (st == ROCKS_OK && progress && c->push) { /* the final count */
    selfplay_get_stats(s, &stt);
    double el = rocks_now() - t0;
    selfplay_worker_progress_t p = {.games = games0 + stt.games_finished, .shards = shards, .positions = positions,
                                    .pushed = w.pushed, .spooled = w.spooled, .rejected = w.rejected, .seconds = el,
                                    .stats = stt};
    snprintf(p.model_id, sizeof p.model_id, "%s", model_id);
    progress(&p, ctx);
  }
  /* leftover episodes on error: they are in the spool if pushing; else lost with the error */
  for (int i = 0; i < w.neps; i++) selfplay_episode_free(&w.eps[i]);
  free(w.eps);
  fclose(cf);
  selfplay_nn_delete(nn);
  goresnet_delete(model);
  selfplay_delete(s);
  return st;
}
