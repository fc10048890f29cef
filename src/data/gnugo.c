/* gnugo.c — GNU Go self-play over GTP into SGF games and .npz shards (ds_gnugo_run, ds.h).
 *
 * Layout of OUT:
 *   gnugo.json               the generator settings; a rerun must use the same ones
 *   games/game-%06d.sgf      game i, written atomically when it is complete (never rewritten)
 *   shards/shard-%06d.npz    games [k*shard_games, (k+1)*shard_games) of the dataset
 *   manifest.json            counts, settings, checksums
 *   .lock                    held (fcntl) while a run writes OUT
 *
 * Game i, attempt a: GNU Go seed s = game_seed(seed, i, a) (31 bits, never 0), a fresh process
 *   gnugo --mode gtp --seed s --level L --chinese-rules --capture-all-dead --positional-superko
 *         --never-resign
 * then boardsize/clear_board/komi; k random opening moves (k uniform in [opening_min,
 * opening_max], uniformly random legal non-pass moves that do not fill an own eye, drawn from
 * an RNG seeded by s, sent with `play`); then `genmove` for the side to move until two passes.
 * Every move is replayed on rocks' board (chinese rules: no suicide, positional superko); a
 * move rocks refuses, a resignation, a GNU Go error or more than max_moves moves discards the
 * attempt (counted) and attempt a+1 is played. The result is rocks' Tromp-Taylor score (GNU Go's
 * final_score is compared and mismatches counted). Training positions: the positions before
 * each GNU Go move (the random opening moves are not targets).
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/ds.h"
#include "util/proc.h"

#define MAX_ATTEMPTS 20
#define MAX_GAMES 10000000
#define COMMENT_FMT "rocks data gnugo: index=%d seed=%llu attempt=%d level=%d opening=%d gnugo_score=%s"

ds_gnugo_config_t ds_gnugo_config_default(void) {
  ds_gnugo_config_t c = {.gnugo = "/usr/games/gnugo", .out = NULL, .size = 9, .games = 0, .positions = 0, .level = 1,
                         .jobs = 1, .seed = 1, .komi = 7.5f, .opening_min = 3, .opening_max = 5, .max_moves = 0,
                         .shard_games = 256, .compress = 6, .name = NULL, .exclude = NULL};
  return c;
}

static uint64_t game_seed_(uint64_t seed, int index, int attempt) {
  uint64_t s = rocks_mix64(rocks_mix64(seed ^ 0x676e75676f2d3939ULL) + (uint64_t)index * 0x9E3779B97F4A7C15ULL +
                           (uint64_t)attempt * 0xD1B54A32D192ED03ULL) & 0x7fffffffULL;
  return s ? s : 1; /* GNU Go takes seed 0 as "seed from the clock" */
}

/* ======================================================================== GTP process === */

/* GNU Go is a util/proc.h process; these wrappers keep the generator's 1/0/-1 + why style. */

#define GTP_TIMEOUT_S 120.0
#define STOP_GRACE_S 3.0

static int proc_start_(rocks_proc_t *p, char *const argv[], char *why, size_t wlen) {
  rocks_error_t e = {0};
  if (rocks_proc_start(p, argv, NULL, &e) != ROCKS_OK) {
    snprintf(why, wlen, "%s", e.msg);
    return -1;
  }
  return 0;
}

/* Sends one command, reads its answer. Returns 1 for '=', 0 for '?', -1 on a process error.
 * *answer points into p->buf (valid until the next call), id and surrounding whitespace removed. */
static int proc_cmd_(rocks_proc_t *p, const char *cmd, char **answer, char *why, size_t wlen) {
  rocks_error_t e = {0};
  rocks_status_t st = rocks_proc_gtp(p, cmd, GTP_TIMEOUT_S, answer, &e);
  if (st == ROCKS_OK) return 1;
  if (st == ROCKS_ERR_STATE && p->pid > 0) return 0; /* '?': the caller words it */
  snprintf(why, wlen, "GNU Go: %.200s", e.msg);
  return -1;
}

static void proc_stop_(rocks_proc_t *p) { rocks_proc_stop(p, STOP_GRACE_S); }

/* ============================================================================== a game === */

typedef struct {
  const ds_gnugo_config_t *c;
  char games_dir[4096], shards_dir[4096];
  /* shared state, under mu */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  ds_game_t **games;     /* [cap] completed games by index (NULL = not done)            */
  int cap;
  int next;              /* next index to consider                                      */
  int inflight;
  int64_t done_positions;/* positions of the done games with index < next                */
  int stop;
  rocks_status_t status;
  rocks_error_t error;
  ds_gnugo_stats_t *stats;
  ds_progress_fn progress;
  void *ctx;
  double t0;
  char version[64];
} run_t;

static int random_opening_move_(const board_t *b, rocks_rng_t *rng) {
  int moves[BOARD_MAX_MOVES], k = 0;
  int n = board_legal_moves(b, b->to_play, moves);
  for (int i = 0; i < n; i++)
    if (moves[i] != BOARD_PASS && !board_is_eye(b, moves[i], b->to_play)) moves[k++] = moves[i];
  return k ? moves[rocks_rng_below(rng, (uint32_t)k)] : BOARD_PASS;
}

static const char *color_name_(int c) { return c == COLOR_BLACK ? "black" : "white"; }

/* Plays game `index`, attempt `attempt`. Returns 0 (g and b hold the game; gnugo_score set),
 * 1 for a discarded attempt (why), -1 if GNU Go cannot be started. */
static int play_game_(const run_t *R, int index, int attempt, ds_game_t *g, board_t *b, char *gnugo_score,
                      size_t gslen, char *why, size_t wlen) {
  const ds_gnugo_config_t *c = R->c;
  uint64_t gseed = game_seed_(c->seed, index, attempt);
  char seed_s[32], level_s[16];
  snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)gseed);
  snprintf(level_s, sizeof level_s, "%d", c->level);
  char *argv[] = {(char *)c->gnugo, "--mode", "gtp", "--seed", seed_s, "--level", level_s, "--chinese-rules",
                  "--capture-all-dead", "--positional-superko", "--never-resign", NULL};
  rocks_proc_t p;
  if (proc_start_(&p, argv, why, wlen) != 0) return -1;
  int result = 0;
  char *ans = NULL, cmd[64];
  rocks_rng_t rng;
  rocks_rng_seed(&rng, rocks_mix64(gseed ^ 0x6f70656e696e67ULL));
  int opening = c->opening_min + (int)rocks_rng_below(&rng, (uint32_t)(c->opening_max - c->opening_min + 1));
  memset(g, 0, sizeof *g);
  board_init(b, c->size, board_rules_chinese(), c->komi, NULL);
  snprintf(cmd, sizeof cmd, "boardsize %d", c->size);
  int r = proc_cmd_(&p, cmd, &ans, why, wlen);
  if (r == 1) r = proc_cmd_(&p, "clear_board", &ans, why, wlen);
  if (r == 1) {
    snprintf(cmd, sizeof cmd, "komi %g", (double)c->komi);
    r = proc_cmd_(&p, cmd, &ans, why, wlen);
  }
  if (r != 1) {
    if (r == 0) snprintf(why, wlen, "GNU Go refused the setup: %s", ans);
    result = 1;
  }
  while (result == 0 && !board_game_over(b)) {
    if (g->nmoves >= c->max_moves || g->nmoves >= DS_MAX_MOVES) {
      snprintf(why, wlen, "longer than %d moves", c->max_moves);
      result = 1;
      break;
    }
    int color = b->to_play, m;
    char v[8];
    if (g->nmoves < opening) {
      m = random_opening_move_(b, &rng);
      board_vertex_string(b, m, v);
      snprintf(cmd, sizeof cmd, "play %s %s", color_name_(color), v);
      if ((r = proc_cmd_(&p, cmd, &ans, why, wlen)) != 1) {
        if (r == 0) snprintf(why, wlen, "GNU Go refused the opening move %s: %s", v, ans);
        result = 1;
        break;
      }
    } else {
      snprintf(cmd, sizeof cmd, "genmove %s", color_name_(color));
      if ((r = proc_cmd_(&p, cmd, &ans, why, wlen)) != 1) {
        if (r == 0) snprintf(why, wlen, "genmove failed: %s", ans);
        result = 1;
        break;
      }
      rocks_error_t e2 = {0};
      if (board_parse_vertex(b, ans, &m, &e2) != ROCKS_OK) {
        snprintf(why, wlen, "GNU Go answered '%.20s' (resignation or bad vertex)", ans);
        result = 1;
        break;
      }
    }
    const char *ill = NULL;
    if (!board_is_legal_why(b, color, m, &ill) || board_play(b, color, m, NULL) != ROCKS_OK) {
      board_vertex_string(b, m, v);
      snprintf(why, wlen, "move %d %s %s is illegal for rocks (%s)", g->nmoves + 1, color_name_(color), v, ill ? ill : "?");
      result = 1;
      break;
    }
    g->moves[g->nmoves] = (int16_t)board_policy_index(b, m);
    g->colors[g->nmoves++] = (uint8_t)color;
  }
  gnugo_score[0] = '\0';
  if (result == 0) {
    if ((r = proc_cmd_(&p, "final_score", &ans, why, wlen)) == 1) snprintf(gnugo_score, gslen, "%s", ans);
    else if (r < 0) result = 1;
  }
  proc_stop_(&p);
  if (result) return result;
  g->id = (int64_t)c->seed * MAX_GAMES + index;
  g->size = c->size;
  g->komi = c->komi;
  g->rules = board_rules_chinese();
  g->first_target = opening < g->nmoves ? opening : g->nmoves;
  double s = board_score(b, NULL, NULL);
  g->score = (float)s;
  g->winner = s > 0 ? COLOR_BLACK : s < 0 ? COLOR_WHITE : COLOR_EMPTY;
  g->seed = gseed;
  snprintf(g->source, sizeof g->source, "gnugo %.32s level %d", R->version, c->level);
  board_score_string(b, g->result, sizeof g->result);
  return 0;
}

static void game_path_(const run_t *R, int index, char *out, size_t len) {
  snprintf(out, len, "%s/game-%06d.sgf", R->games_dir, index);
}

static rocks_status_t save_game_(const run_t *R, int index, int attempt, const ds_game_t *g, const board_t *b,
                                 const char *gnugo_score, rocks_error_t *err) {
  sgf_game_t sg;
  char player[64];
  snprintf(player, sizeof player, "GNU Go %.16s level %d", R->version, R->c->level);
  rocks_status_t st = sgf_game_from_board(&sg, b, player, player, err);
  if (st != ROCKS_OK) return st;
  snprintf(sg.name, sizeof sg.name, "rocks-gnugo-%06d", index);
  char comment[512];
  snprintf(comment, sizeof comment, COMMENT_FMT, index, (unsigned long long)g->seed, attempt, R->c->level,
           g->first_target, gnugo_score[0] ? gnugo_score : "?");
  sg.comments[0] = strdup(comment);
  char path[4200];
  game_path_(R, index, path, sizeof path);
  st = sg.comments[0] ? sgf_write_file(path, &sg, err) : rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  sgf_game_clear(&sg);
  return st;
}

/* Loads an existing game file: 1 = valid (g filled), 0 = missing or invalid (regenerate),
 * -1 = it belongs to other settings (err). */
static int load_game_(const run_t *R, int index, ds_game_t *g, rocks_error_t *err) {
  char path[4200];
  game_path_(R, index, path, sizeof path);
  sgf_game_t *gs = NULL;
  int n = 0;
  rocks_error_t e2 = {0};
  if (sgf_read_file(path, &gs, &n, &e2) != ROCKS_OK) return 0;
  int ok = 0;
  int idx = -1, attempt = -1, level = -1, opening = -1;
  unsigned long long seed = 0;
  char score[32] = "";
  if (n == 1 && gs[0].nnodes > 0 && gs[0].comments[0] &&
      sscanf(gs[0].comments[0], "rocks data gnugo: index=%d seed=%llu attempt=%d level=%d opening=%d gnugo_score=%31s",
             &idx, &seed, &attempt, &level, &opening, score) == 6 &&
      ds_game_from_sgf(&gs[0], board_rules_chinese(), g, &e2) == ROCKS_OK && g->size == R->c->size &&
      fabsf(g->komi - R->c->komi) < 1e-4f) {
    if (idx != index || attempt < 0 || attempt >= MAX_ATTEMPTS || level != R->c->level ||
        seed != game_seed_(R->c->seed, index, attempt)) {
      rocks_fail(err, ROCKS_ERR_STATE, "%s was generated with other settings (index %d seed %llu level %d)", path, idx, seed, level);
      ok = -1;
    } else {
      g->id = (int64_t)R->c->seed * MAX_GAMES + index;
      g->first_target = opening < 0 ? 0 : opening > g->nmoves ? g->nmoves : opening;
      g->seed = seed;
      g->komi = R->c->komi;
      snprintf(g->source, sizeof g->source, "gnugo %.32s level %d", R->version, level);
      ok = 1;
    }
  }
  sgf_games_free(gs, n);
  return ok;
}

/* ============================================================================= workers === */

static void report_(run_t *R, const char *phase, int64_t done, int64_t total) {
  if (!R->progress) return;
  ds_progress_t p = {.phase = phase, .done = done, .total = total, .positions = 0, .skipped = R->stats->resumed,
                     .elapsed = rocks_now() - R->t0};
  for (int i = 0; i < R->cap; i++)
    if (R->games[i]) p.positions += ds_game_positions(R->games[i]);
  p.rate = p.elapsed > 0 ? R->stats->generated / p.elapsed : 0;
  R->progress(&p, R->ctx);
}

static int grow_(run_t *R, int need) {
  if (need <= R->cap) return 1;
  int cap = R->cap ? R->cap : 1024;
  while (cap < need) cap *= 2;
  ds_game_t **ng = realloc(R->games, (size_t)cap * sizeof *ng);
  if (!ng) return 0;
  memset(ng + R->cap, 0, (size_t)(cap - R->cap) * sizeof *ng);
  R->games = ng;
  R->cap = cap;
  return 1;
}

static double avg_positions_(const run_t *R) {
  int64_t s = 0;
  int n = 0;
  for (int i = 0; i < R->cap; i++)
    if (R->games[i]) s += ds_game_positions(R->games[i]), n++;
  return n ? (double)s / n : 60.0;
}

/* Claims the next index to generate, or -1 when there is nothing more to do (under mu). */
static int claim_(run_t *R) {
  const ds_gnugo_config_t *c = R->c;
  for (;;) {
    if (R->stop) return -1;
    while (R->next < R->cap && R->games[R->next]) {
      R->done_positions += ds_game_positions(R->games[R->next]);
      R->next++;
    }
    if (c->games > 0) {
      if (R->next >= c->games) return -1;
    } else {
      if (R->done_positions >= c->positions && R->inflight == 0) return -1;
      double est = (double)R->done_positions + R->inflight * avg_positions_(R);
      if (est >= (double)c->positions || R->next >= MAX_GAMES) {
        if (R->inflight == 0) return -1;
        pthread_cond_wait(&R->cv, &R->mu); /* wait for the games in flight, then look again */
        continue;
      }
    }
    if (!grow_(R, R->next + 1)) {
      R->stop = 1;
      R->status = rocks_fail(&R->error, ROCKS_ERR_NOMEM, "out of memory");
      return -1;
    }
    R->inflight++;
    return R->next++;
  }
}

static void *worker_(void *arg) {
  run_t *R = arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE); /* a dead GNU Go makes write() fail with EPIPE instead */
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  board_t *b = malloc(sizeof *b);
  ds_game_t *g = malloc(sizeof *g);
  if (!b || !g) {
    pthread_mutex_lock(&R->mu);
    R->stop = 1;
    R->status = rocks_fail(&R->error, ROCKS_ERR_NOMEM, "out of memory");
    pthread_mutex_unlock(&R->mu);
    free(b), free(g);
    return NULL;
  }
  pthread_mutex_lock(&R->mu);
  for (;;) {
    int index = claim_(R);
    if (index < 0) break;
    pthread_mutex_unlock(&R->mu);
    int r = 1, attempt, failed = 0;
    char why[256] = "", score[32];
    for (attempt = 0; attempt < MAX_ATTEMPTS && r == 1; attempt++) {
      r = play_game_(R, index, attempt, g, b, score, sizeof score, why, sizeof why);
      if (r == 1) failed++;
    }
    attempt--;
    rocks_error_t e2 = {0};
    rocks_status_t st = ROCKS_OK;
    if (r == -1) st = rocks_fail(&e2, ROCKS_ERR_IO, "%s", why);
    else if (r == 1) st = rocks_fail(&e2, ROCKS_ERR_STATE, "game %d: %d attempts failed, the last: %s", index, MAX_ATTEMPTS, why);
    else st = save_game_(R, index, attempt, g, b, score, &e2);
    ds_game_t *keep = st == ROCKS_OK ? malloc(sizeof *keep) : NULL;
    if (keep) *keep = *g;
    else if (st == ROCKS_OK) st = rocks_fail(&e2, ROCKS_ERR_NOMEM, "out of memory");
    char sg[32];
    board_score_string(b, sg, sizeof sg);
    pthread_mutex_lock(&R->mu);
    R->inflight--;
    R->stats->failed_attempts += failed;
    if (st != ROCKS_OK) {
      if (R->status == ROCKS_OK) R->status = st, R->error = e2;
      R->stop = 1;
    } else {
      R->games[index] = keep;
      R->done_positions += ds_game_positions(keep); /* index < R->next: claimed earlier */
      R->stats->generated++;
      if (score[0] && strcmp(score, sg)) R->stats->score_mismatches++;
      int64_t total = R->c->games;
      if (!total) {
        int done = 0;
        for (int i = 0; i < R->cap; i++) done += R->games[i] != NULL;
        int64_t pos = 0;
        for (int i = 0; i < R->cap; i++)
          if (R->games[i]) pos += ds_game_positions(R->games[i]);
        double avg = avg_positions_(R);
        total = done + (pos < R->c->positions ? (int64_t)ceil((double)(R->c->positions - pos) / avg) : 0);
      }
      int64_t done = 0;
      for (int i = 0; i < R->cap && (R->c->games == 0 || i < R->c->games); i++) done += R->games[i] != NULL;
      report_(R, "games", done, total);
    }
    pthread_cond_broadcast(&R->cv);
  }
  pthread_mutex_unlock(&R->mu);
  free(b);
  free(g);
  return NULL;
}

/* ============================================================================ the run === */

static cJSON *settings_json_(const ds_gnugo_config_t *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "generator", "gnugo");
  cJSON_AddNumberToObject(o, "size", c->size);
  cJSON_AddNumberToObject(o, "level", c->level);
  cJSON_AddNumberToObject(o, "seed", (double)c->seed);
  cJSON_AddNumberToObject(o, "komi", c->komi);
  cJSON_AddNumberToObject(o, "opening_min", c->opening_min);
  cJSON_AddNumberToObject(o, "opening_max", c->opening_max);
  cJSON_AddNumberToObject(o, "max_moves", c->max_moves);
  cJSON_AddStringToObject(o, "rules", "chinese (no suicide, positional superko), Tromp-Taylor score");
  cJSON_AddStringToObject(o, "gnugo_args",
                          "--mode gtp --seed S --level L --chinese-rules --capture-all-dead --positional-superko --never-resign");
  return o;
}

static rocks_status_t check_settings_(const ds_gnugo_config_t *c, const char *out, rocks_error_t *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/gnugo.json", out);
  cJSON *want = settings_json_(c);
  if (!want) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  rocks_status_t st = ROCKS_OK;
  FILE *f = fopen(path, "rb");
  if (f) {
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *have = cJSON_Parse(buf);
    const char *keys[] = {"size", "level", "seed", "komi", "opening_min", "opening_max", "max_moves"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && st == ROCKS_OK; i++) {
      cJSON *a = cJSON_GetObjectItemCaseSensitive(have, keys[i]), *b = cJSON_GetObjectItemCaseSensitive(want, keys[i]);
      if (!cJSON_IsNumber(a) || fabs(a->valuedouble - b->valuedouble) > 1e-6)
        st = rocks_fail(err, ROCKS_ERR_STATE, "%s: %s was generated with %s = %g, not %g (use another --out)", path, out,
                        keys[i], cJSON_IsNumber(a) ? a->valuedouble : NAN, b->valuedouble);
    }
    cJSON_Delete(have);
  } else {
    char *text = cJSON_Print(want);
    st = text ? ds_write_text_atomic(path, text, err) : rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    free(text);
  }
  cJSON_Delete(want);
  return st;
}

/* Removes temporaries a killed run left behind (name contains ".tmp."). */
static void remove_temps_(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[4400];
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".tmp.")) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  closedir(d);
}

static int cmp_u64_(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Hashes of every game of another dataset (sorted), or n = -1 if it does not exist. */
static rocks_status_t exclude_hashes_(const char *dir, uint64_t **h, int64_t *n, rocks_error_t *err) {
  *h = NULL;
  *n = -1;
  struct stat sb;
  if (!dir || stat(dir, &sb) != 0) return ROCKS_OK;
  char **paths = NULL;
  int np = 0;
  rocks_error_t e2 = {0};
  if (ds_list_shards(dir, &paths, &np, &e2) != ROCKS_OK) return ROCKS_OK; /* no shards yet */
  int64_t cap = 0, cnt = 0;
  uint64_t *hs = NULL;
  rocks_status_t st = ROCKS_OK;
  for (int i = 0; i < np && st == ROCKS_OK; i++) {
    ds_game_t *gs = NULL;
    int ng = 0;
    if ((st = ds_shard_read_games(paths[i], &gs, &ng, err)) != ROCKS_OK) break;
    if (cnt + ng > cap) {
      cap = (cnt + ng) * 2;
      uint64_t *nh = realloc(hs, (size_t)cap * sizeof *nh);
      if (!nh) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      else hs = nh;
    }
    for (int k = 0; k < ng && st == ROCKS_OK; k++) hs[cnt++] = ds_game_hash(&gs[k]);
    free(gs);
  }
  ds_paths_free(paths, np);
  if (st != ROCKS_OK) {
    free(hs);
    return st;
  }
  if (cnt) qsort(hs, (size_t)cnt, sizeof *hs, cmp_u64_);
  *h = hs;
  *n = cnt;
  return ROCKS_OK;
}

/* True if shard `path` already holds exactly these games (same ids and move counts). */
static int shard_matches_(const char *path, ds_game_t *const *games, int n) {
  ds_game_t *gs = NULL;
  int ng = 0;
  if (ds_shard_read_games(path, &gs, &ng, NULL) != ROCKS_OK) return 0;
  int ok = ng == n;
  for (int i = 0; ok && i < n; i++) ok = gs[i].id == games[i]->id && gs[i].nmoves == games[i]->nmoves && ds_game_hash(&gs[i]) == ds_game_hash(games[i]);
  free(gs);
  return ok;
}

static rocks_status_t gnugo_version_(run_t *R, rocks_error_t *err) {
  char *argv[] = {(char *)R->c->gnugo, "--mode", "gtp", NULL};
  rocks_proc_t p;
  char why[256], *ans = NULL;
  if (proc_start_(&p, argv, why, sizeof why) != 0) return rocks_fail(err, ROCKS_ERR_IO, "%s", why);
  int r = proc_cmd_(&p, "version", &ans, why, sizeof why);
  if (r == 1) snprintf(R->version, sizeof R->version, "%s", ans);
  proc_stop_(&p);
  if (r != 1) return rocks_fail(err, ROCKS_ERR_IO, "%s does not speak GTP: %s", R->c->gnugo, r < 0 ? why : ans);
  return ROCKS_OK;
}

rocks_status_t ds_gnugo_run(const ds_gnugo_config_t *cin, ds_progress_fn progress, void *ctx, ds_gnugo_stats_t *stats,
                            rocks_error_t *err) {
  ds_gnugo_config_t c = *cin;
  if (!c.out || !c.gnugo) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: no output directory or GNU Go binary");
  if (c.size < 2 || c.size > 19) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: --size %d not in 2..19", c.size);
  if (c.max_moves <= 0) c.max_moves = 3 * c.size * c.size;
  if ((c.games <= 0) == (c.positions <= 0)) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: give --games N or --positions P");
  if (c.games > MAX_GAMES) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: at most %d games", MAX_GAMES);
  if (c.level < 0 || c.level > 10) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: --level %d not in 0..10", c.level);
  if (c.jobs < 1 || c.jobs > 256) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: --jobs %d not in 1..256", c.jobs);
  if (c.seed > 900000000000ULL) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: --seed above 9e11");
  if (c.opening_min < 0 || c.opening_max < c.opening_min || c.opening_max > c.size * c.size / 2)
    return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: bad opening move range %d..%d", c.opening_min, c.opening_max);
  if (c.shard_games < 1) return rocks_fail(err, ROCKS_ERR_ARG, "gnugo: shard_games must be positive");
  if (access(c.gnugo, X_OK) != 0) return rocks_fail(err, ROCKS_ERR_IO, "gnugo: %s is not an executable (install gnugo)", c.gnugo);

  ds_gnugo_stats_t local;
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  run_t R;
  memset(&R, 0, sizeof R);
  R.c = &c;
  R.stats = stats;
  R.progress = progress;
  R.ctx = ctx;
  R.t0 = rocks_now();
  pthread_mutex_init(&R.mu, NULL);
  pthread_cond_init(&R.cv, NULL);
  snprintf(R.games_dir, sizeof R.games_dir, "%s/games", c.out);
  snprintf(R.shards_dir, sizeof R.shards_dir, "%s/shards", c.out);
  rocks_status_t st;
  int lockfd = -1;
  uint64_t *ex = NULL;
  if ((st = ds_mkdirs(R.games_dir, err)) != ROCKS_OK || (st = ds_mkdirs(R.shards_dir, err)) != ROCKS_OK) goto out;
  {
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/.lock", c.out);
    lockfd = open(lp, O_RDWR | O_CREAT, 0644);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (lockfd < 0 || fcntl(lockfd, F_SETLK, &fl) != 0) {
      st = rocks_fail(err, ROCKS_ERR_STATE, "%s is being written by another run", c.out);
      goto out;
    }
  }
  if ((st = check_settings_(&c, c.out, err)) != ROCKS_OK) goto out;
  if ((st = gnugo_version_(&R, err)) != ROCKS_OK) goto out;
  remove_temps_(R.games_dir);
  remove_temps_(R.shards_dir);

  /* resume: every complete game already on disk */
  {
    DIR *d = opendir(R.games_dir);
    if (!d) {
      st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", R.games_dir, strerror(errno));
      goto out;
    }
    struct dirent *e;
    ds_game_t *g = malloc(sizeof *g);
    while (g && (e = readdir(d)) && st == ROCKS_OK) {
      int index;
      char canon[64];
      if (sscanf(e->d_name, "game-%d.sgf", &index) != 1 || index < 0 || index >= MAX_GAMES) continue;
      snprintf(canon, sizeof canon, "game-%06d.sgf", index);
      if (strcmp(canon, e->d_name)) continue;
      int r = load_game_(&R, index, g, err);
      if (r < 0) st = err && err->code ? err->code : ROCKS_ERR_STATE;
      else if (r == 1) {
        if (!grow_(&R, index + 1) || !(R.games[index] = malloc(sizeof *g))) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
        else *R.games[index] = *g, stats->resumed++;
      }
    }
    closedir(d);
    if (!g) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    free(g);
    if (st != ROCKS_OK) goto out;
  }

  /* generate */
  {
    pthread_t th[256];
    int started = 0;
    for (int j = 0; j < c.jobs; j++) {
      if (pthread_create(&th[j], NULL, worker_, &R) != 0) break;
      started++;
    }
    for (int j = 0; j < started; j++) pthread_join(th[j], NULL);
    if (!started) {
      st = rocks_fail(err, ROCKS_ERR_NOMEM, "cannot start worker threads");
      goto out;
    }
    if (R.status != ROCKS_OK) {
      st = R.status;
      if (err) *err = R.error;
      goto out;
    }
  }

  /* the dataset: games [0, k) */
  int k = 0;
  if (c.games > 0) {
    k = c.games;
  } else {
    int64_t pos = 0;
    while (pos < c.positions && k < R.cap && R.games[k]) pos += ds_game_positions(R.games[k++]);
  }
  for (int i = 0; i < k; i++)
    if (i >= R.cap || !R.games[i]) {
      st = rocks_fail(err, ROCKS_ERR_STATE, "game %d is missing after generation", i);
      goto out;
    }

  /* hold-out by game: leave out games equal to one of the exclude dataset's */
  int64_t nex = -1;
  if ((st = exclude_hashes_(c.exclude, &ex, &nex, err)) != ROCKS_OK) goto out;
  ds_game_t **kept = malloc(sizeof *kept * (size_t)(k ? k : 1));
  if (!kept) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto out;
  }
  int nshards = (k + c.shard_games - 1) / c.shard_games;
  cJSON *man = cJSON_CreateObject(), *jshards = cJSON_CreateArray();
  int64_t total_pos = 0;
  int total_games = 0;
  for (int s = 0; s < nshards && st == ROCKS_OK; s++) {
    int nk = 0;
    for (int i = s * c.shard_games; i < k && i < (s + 1) * c.shard_games; i++) {
      uint64_t h = ds_game_hash(R.games[i]);
      if (nex > 0 && bsearch(&h, ex, (size_t)nex, sizeof *ex, cmp_u64_)) {
        stats->excluded++;
        continue;
      }
      kept[nk++] = R.games[i];
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/shard-%06d.npz", R.shards_dir, s);
    ds_shard_info_t info;
    memset(&info, 0, sizeof info);
    if (shard_matches_(path, kept, nk)) {
      struct stat sb;
      info.games = nk;
      for (int i = 0; i < nk; i++) info.positions += ds_game_positions(kept[i]);
      if (stat(path, &sb) == 0) info.bytes = (int64_t)sb.st_size;
      st = ds_sha256_file(path, info.sha256, err);
    } else {
      ds_game_t *arr = malloc(sizeof *arr * (size_t)(nk ? nk : 1));
      if (!arr) {
        st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
        break;
      }
      for (int i = 0; i < nk; i++) arr[i] = *kept[i];
      char meta[512];
      snprintf(meta, sizeof meta, "{\"generator\": \"gnugo\", \"level\": %d, \"seed\": %llu, \"first_game\": %d}", c.level,
               (unsigned long long)c.seed, s * c.shard_games);
      st = ds_shard_write(path, arr, nk, c.compress, meta, &info, err);
      free(arr);
    }
    if (st != ROCKS_OK) break;
    cJSON *js = cJSON_CreateObject();
    char rel[64];
    snprintf(rel, sizeof rel, "shards/shard-%06d.npz", s);
    cJSON_AddStringToObject(js, "file", rel);
    cJSON_AddNumberToObject(js, "games", info.games);
    cJSON_AddNumberToObject(js, "positions", (double)info.positions);
    cJSON_AddNumberToObject(js, "bytes", (double)info.bytes);
    cJSON_AddStringToObject(js, "sha256", info.sha256);
    cJSON_AddItemToArray(jshards, js);
    total_pos += info.positions;
    total_games += info.games;
    pthread_mutex_lock(&R.mu);
    report_(&R, "shards", s + 1, nshards);
    pthread_mutex_unlock(&R.mu);
  }
  free(kept);
  /* stale shards from an earlier, larger run */
  for (int s = nshards; st == ROCKS_OK; s++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/shard-%06d.npz", R.shards_dir, s);
    if (unlink(path) != 0) break;
  }
  if (st == ROCKS_OK) {
    stats->games = total_games;
    stats->positions = total_pos;
    stats->shards = nshards;
    stats->seconds = rocks_now() - R.t0;
    cJSON_AddStringToObject(man, "format", "rocks-dataset-v1");
    if (c.name) cJSON_AddStringToObject(man, "name", c.name);
    else cJSON_AddNullToObject(man, "name");
    cJSON_AddStringToObject(man, "source", "gnugo self-play");
    cJSON_AddNumberToObject(man, "board_size", c.size);
    cJSON *gen = settings_json_(&c);
    cJSON_AddStringToObject(gen, "gnugo", c.gnugo);
    cJSON_AddStringToObject(gen, "gnugo_version", R.version);
    if (c.games > 0) cJSON_AddNumberToObject(gen, "games_requested", c.games);
    else cJSON_AddNumberToObject(gen, "positions_requested", (double)c.positions);
    cJSON_AddNumberToObject(gen, "shard_games", c.shard_games);
    cJSON_AddItemToObject(man, "generator", gen);
    cJSON *counts = cJSON_CreateObject();
    cJSON_AddNumberToObject(counts, "games", total_games);
    cJSON_AddNumberToObject(counts, "positions", (double)total_pos);
    cJSON_AddNumberToObject(counts, "shards", nshards);
    cJSON_AddNumberToObject(counts, "games_generated_this_run", stats->generated);
    cJSON_AddNumberToObject(counts, "games_resumed", stats->resumed);
    cJSON_AddNumberToObject(counts, "failed_attempts_this_run", stats->failed_attempts);
    cJSON_AddNumberToObject(counts, "gnugo_score_mismatches_this_run", stats->score_mismatches);
    cJSON_AddNumberToObject(counts, "excluded_duplicates", stats->excluded);
    cJSON_AddItemToObject(man, "counts", counts);
    cJSON *ids = cJSON_CreateObject();
    cJSON_AddNumberToObject(ids, "first", (double)((int64_t)c.seed * MAX_GAMES));
    cJSON_AddNumberToObject(ids, "last", (double)((int64_t)c.seed * MAX_GAMES + k - 1));
    cJSON_AddStringToObject(ids, "rule", "game id = seed * 10000000 + game index");
    cJSON_AddItemToObject(man, "game_ids", ids);
    cJSON *exj = cJSON_CreateObject();
    if (c.exclude) cJSON_AddStringToObject(exj, "dataset", c.exclude);
    else cJSON_AddNullToObject(exj, "dataset");
    cJSON_AddBoolToObject(exj, "checked", nex >= 0);
    cJSON_AddNumberToObject(exj, "games_compared", (double)(nex > 0 ? nex : 0));
    cJSON_AddItemToObject(man, "held_out_against", exj);
    cJSON_AddItemToObject(man, "shards", jshards);
    jshards = NULL;
    cJSON_AddNumberToObject(man, "seconds_this_run", stats->seconds);
    cJSON_AddStringToObject(man, "created_by", "rocks " ROCKS_VERSION);
    char *text = cJSON_Print(man);
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", c.out);
    st = text ? ds_write_text_atomic(path, text, err) : rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    free(text);
  }
  cJSON_Delete(jshards);
  cJSON_Delete(man);
out:
  free(ex);
  for (int i = 0; i < R.cap; i++) free(R.games[i]);
  free(R.games);
  if (lockfd >= 0) close(lockfd);
  pthread_mutex_destroy(&R.mu);
  pthread_cond_destroy(&R.cv);
  return st;
}
