/* cmd_selfplay.c — `rocks selfplay` (self-play worker) and `rocks train --replay` (the
 * AlphaZero trainer); `rocks zero` lives in cmd_zero.c. docs/selfplay.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/ds.h"
#include "nn/nn.h"
#include "replay/replay_client.h"
#include "selfplay/selfplay.h"
#include "train/train.h"

extern char **environ;

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void cli_selfplay_install_signals(volatile sig_atomic_t **flag) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  *flag = &stop_flag;
}

static int parse_model(const char *s, int *blocks, int *channels) {
  int b, c;
  char tail;
  if (sscanf(s, "b%dc%d%c", &b, &c, &tail) != 2 || b < 1 || b > 64 || c < 1 || c > 1024) return 0;
  *blocks = b, *channels = c;
  return 1;
}

/* Pushes to the replay service: 0 when stored. */
static int push_replay(void *ctx, const replay_episode_t *ep, rocks_error_t *err) {
  rocks_status_t st = replay_client_push(ctx, ep, 10.0, err);
  return st == ROCKS_OK ? 0 : st == ROCKS_ERR_ARG ? 2 : 1;
}

typedef struct {
  int quiet;
} sp_progress_t;

static void sp_progress(const selfplay_worker_progress_t *p, void *ctx) {
  const sp_progress_t *q = ctx;
  if (q->quiet) return;
  char el[32];
  cli_fmt_secs(p->seconds, el, sizeof el);
  fprintf(stderr,
          "selfplay: %lld games (%lld positions, %lld shards) %s  %.0f games/h  %.0f visits/s  model %s  "
          "resign fp %lld/%lld  pushed %lld spooled %lld rejected %lld\n",
          (long long)p->games, (long long)p->positions, (long long)p->shards, el, p->games_per_hour, p->visits_per_s,
          p->model_id, (long long)p->stats.false_positives, (long long)p->stats.would_resign, (long long)p->pushed,
          (long long)p->spooled, (long long)p->rejected);
}

/* Flags shared by `rocks selfplay` and `rocks zero` (selfplay.h fields); returns 1 if used. */
static int cli_selfplay_flag(selfplay_config_t *c, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  if (!strcmp(a, "--games-in-flight")) c->games_in_flight = (int)parse_long(a, flag_value(argc, argv, i), 1, 4096);
  else if (!strcmp(a, "--visits")) c->visits = (int)parse_long(a, flag_value(argc, argv, i), 1, 1000000);
  else if (!strcmp(a, "--fast-visits")) c->fast_visits = (int)parse_long(a, flag_value(argc, argv, i), 1, 1000000);
  else if (!strcmp(a, "--full-prob")) c->full_prob = parse_double(a, flag_value(argc, argv, i), 0, 1);
  else if (!strcmp(a, "--batch")) c->batch = (int)parse_long(a, flag_value(argc, argv, i), 1, 1024);
  else if (!strcmp(a, "--temp-moves")) c->temp_moves = (int)parse_long(a, flag_value(argc, argv, i), 0, 100000);
  else if (!strcmp(a, "--resign")) c->resign_threshold = parse_double(a, flag_value(argc, argv, i), -1, 1);
  else if (!strcmp(a, "--resign-disabled")) c->resign_disabled_frac = parse_double(a, flag_value(argc, argv, i), 0, 1);
  else if (!strcmp(a, "--min-resign-move")) c->min_resign_move = (int)parse_long(a, flag_value(argc, argv, i), 0, 100000);
  else if (!strcmp(a, "--pass-rule")) c->pass_rule = (int)parse_long(a, flag_value(argc, argv, i), 0, 1);
  else if (!strcmp(a, "--max-moves")) c->max_moves = (int)parse_long(a, flag_value(argc, argv, i), 0, 1024);
  else if (!strcmp(a, "--size")) c->size = (int)parse_long(a, flag_value(argc, argv, i), 2, 19);
  else if (!strcmp(a, "--komi")) c->komi = (float)parse_double(a, flag_value(argc, argv, i), -1000, 1000);
  else if (!strcmp(a, "--dirichlet-alpha")) c->dirichlet_alpha = parse_double(a, flag_value(argc, argv, i), 0, 100);
  else if (!strcmp(a, "--symmetries")) c->symmetries = (int)parse_long(a, flag_value(argc, argv, i), 0, 1);
  else if (!strcmp(a, "--threads")) c->threads = (int)parse_long(a, flag_value(argc, argv, i), 1, 64);
  else if (!strcmp(a, "--seed")) c->seed = (uint64_t)parse_long(a, flag_value(argc, argv, i), 0, 0x7fffffffffffffffL);
  else return 0;
  return 1;
}

int cmd_selfplay(int argc, char **argv) {
  selfplay_worker_config_t c = selfplay_worker_config_default();
  const char *replay = NULL;
  sp_progress_t q = {0};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (cli_selfplay_flag(&c.sp, argc, argv, &i)) continue;
    if (!strcmp(a, "--replay")) replay = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--models")) c.models = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--out")) c.out = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--games")) c.games = parse_long(a, flag_value(argc, argv, &i), 0, 1L << 40);
    else if (!strcmp(a, "--shard-games")) c.shard_games = (int)parse_long(a, flag_value(argc, argv, &i), 1, 100000);
    else if (!strcmp(a, "--poll")) c.poll_s = parse_double(a, flag_value(argc, argv, &i), 0, 3600);
    else if (!strcmp(a, "--worker-id")) c.worker_id = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--id-base")) c.sp.id_base = parse_long(a, flag_value(argc, argv, &i), 0, 1L << 60);
    else if (!strcmp(a, "--model")) {
      const char *v = flag_value(argc, argv, &i);
      if (!parse_model(v, &c.blocks, &c.channels)) die_usage("selfplay: --model expects b<blocks>c<channels>, got '%s'", v);
    } else if (!strcmp(a, "--quiet")) q.quiet = 1;
    else die_usage("selfplay: unknown option '%s'", a);
  }
  if (!c.out) die_usage("selfplay: --out DIR is required%s", "");
  rocks_error_t err;
  replay_client_t *rc = NULL;
  if (replay) {
    if (!(rc = replay_client_new(replay, &err))) {
      fprintf(stderr, "rocks selfplay: %s\n", err.msg);
      return 2;
    }
    c.push = push_replay;
    c.push_ctx = rc;
  }
  cli_selfplay_install_signals(&c.stop);
  rocks_status_t st = selfplay_worker_run(&c, sp_progress, &q, &err);
  replay_client_delete(rc);
  if (st != ROCKS_OK) {
    fprintf(stderr, "rocks selfplay: %s\n", err.msg);
    return 1;
  }
  return 0;
}

/* ================================================================= rocks train --replay === */

static void tr_progress(const train_replay_progress_t *p, void *ctx) {
  const int *quiet = ctx;
  if (*quiet) return;
  char el[32];
  cli_fmt_secs(p->elapsed, el, sizeof el);
  if (p->event && !strcmp(p->event, "waiting"))
    fprintf(stderr, "train: step %ld  waiting for data (%lld positions seen, window %lld)  %s\n", p->step,
            (long long)p->positions_seen, (long long)p->window, el);
  else
    fprintf(stderr, "train: step %ld  loss %.4f (policy %.4f value %.4f)  lr %.2g  %.0f samples/s  seen %lld  %s%s%s\n",
            p->step, p->loss, p->policy_loss, p->value_loss, p->lr, p->samples_per_s, (long long)p->positions_seen, el,
            p->event ? "  published " : "", p->event ? p->model : "");
}

int cmd_train_replay(int argc, char **argv) {
  train_replay_config_t c = train_replay_config_default();
  int quiet = 0;
#define STR_(field) snprintf(c.field, sizeof c.field, "%s", flag_value(argc, argv, &i))
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--replay")) STR_(replay);
    else if (!strcmp(a, "--models")) STR_(models);
    else if (!strcmp(a, "--init")) STR_(init);
    else if (!strcmp(a, "--metrics")) STR_(metrics);
    else if (!strcmp(a, "--features")) STR_(features);
    else if (!strcmp(a, "--optim")) STR_(optim);
    else if (!strcmp(a, "--model")) {
      const char *v = flag_value(argc, argv, &i);
      if (!parse_model(v, &c.blocks, &c.channels)) die_usage("train: --model expects b<blocks>c<channels>, got '%s'", v);
    } else if (!strcmp(a, "--lr")) c.lr = parse_double(a, flag_value(argc, argv, &i), 0, 10);
    else if (!strcmp(a, "--weight-decay")) c.weight_decay = parse_double(a, flag_value(argc, argv, &i), 0, 10);
    else if (!strcmp(a, "--momentum")) c.momentum = parse_double(a, flag_value(argc, argv, &i), 0, 1);
    else if (!strcmp(a, "--warmup")) c.warmup = parse_long(a, flag_value(argc, argv, &i), 0, 1L << 40);
    else if (!strcmp(a, "--batch")) c.batch = (int)parse_long(a, flag_value(argc, argv, &i), 1, 65536);
    else if (!strcmp(a, "--publish-every")) c.publish_every = parse_long(a, flag_value(argc, argv, &i), 1, 1L << 40);
    else if (!strcmp(a, "--log-every")) c.log_every = parse_long(a, flag_value(argc, argv, &i), 1, 1L << 40);
    else if (!strcmp(a, "--steps")) c.steps = parse_long(a, flag_value(argc, argv, &i), 0, 1L << 40);
    else if (!strcmp(a, "--samples-per-insert")) c.samples_per_insert = parse_double(a, flag_value(argc, argv, &i), 0.001, 1e6);
    else if (!strcmp(a, "--window")) c.window = parse_long(a, flag_value(argc, argv, &i), 1, 1L << 40);
    else if (!strcmp(a, "--min-positions")) c.min_positions = parse_long(a, flag_value(argc, argv, &i), 0, 1L << 40);
    else if (!strcmp(a, "--threads")) c.threads = (int)parse_long(a, flag_value(argc, argv, &i), 1, 64);
    else if (!strcmp(a, "--seed")) c.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--quiet")) quiet = 1;
    else die_usage("train --replay: unknown option '%s'", a);
  }
#undef STR_
  if (!c.replay[0]) die_usage("train: --replay host:port|dir:PATH is required%s", "");
  if (!c.models[0]) die_usage("train: --models DIR is required%s", "");
  cli_selfplay_install_signals(&c.stop);
  rocks_error_t err;
  if (train_replay_run(&c, tr_progress, &quiet, &err) != ROCKS_OK) {
    fprintf(stderr, "rocks train: %s\n", err.msg);
    return 1;
  }
  return 0;
}

/* ============================================================================ rocks zero === */
/* The whole AlphaZero loop on one machine (docs/selfplay.md): W self-play workers and the
 * trainer as child processes (plus `rocks replay serve` with transport grpc), evaluations in
 * this process, a report at the end. */

typedef struct {
  double minutes;
  int workers;
  char transport[16];       /* dir | grpc                                                      */
  int replay_port;
  char model[32];           /* b4c32                                                           */
  char init[1024];          /* supervised checkpoint to start from ("" = random)               */
  /* self-play */
  int size;
  double komi;
  int games_in_flight, visits, fast_visits, batch, temp_moves, max_moves, pass_rule, shard_games, selfplay_threads;
  double full_prob, resign, resign_disabled;
  /* training */
  int train_batch, train_threads;
  double lr, weight_decay, samples_per_insert;
  long window, min_positions, publish_every;
  /* evaluation */
  double eval_every;        /* seconds between evaluations                                     */
  int eval_games, eval_visits, random_games, gnugo_games, gnugo_level;
  long seed;
} zero_config_t;

static zero_config_t zero_config_default(void) {
  zero_config_t c = {
      .minutes = 15, .workers = 1, .transport = "grpc", .replay_port = 0, .model = "b4c32", .init = "",
      .size = 9, .komi = 7.5, .games_in_flight = 16, .visits = 64, .fast_visits = 16, .batch = 8, .temp_moves = 8,
      .max_moves = 0, .pass_rule = 1, .shard_games = 16, .selfplay_threads = 1, .full_prob = 0.25, .resign = -0.9,
      .resign_disabled = 0.1, .train_batch = 128, .train_threads = 1, .lr = 2e-3, .weight_decay = 1e-4,
      .samples_per_insert = 8, .window = 30000, .min_positions = 1000, .publish_every = 50, .eval_every = 120,
      .eval_games = 10, .eval_visits = 32, .random_games = 10, .gnugo_games = 10, .gnugo_level = 1, .seed = 1,
  };
  return c;
}

typedef enum { ZK_INT, ZK_LONG, ZK_DOUBLE, ZK_STR } zk_type_t;
typedef struct {
  const char *name;
  zk_type_t type;
  size_t off, len;
  double lo, hi;
} zkey_t;

#define ZI(f, lo, hi) {#f, ZK_INT, offsetof(zero_config_t, f), 0, lo, hi}
#define ZL(f, lo, hi) {#f, ZK_LONG, offsetof(zero_config_t, f), 0, lo, hi}
#define ZD(f, lo, hi) {#f, ZK_DOUBLE, offsetof(zero_config_t, f), 0, lo, hi}
#define ZS(f) {#f, ZK_STR, offsetof(zero_config_t, f), sizeof(((zero_config_t *)0)->f), 0, 0}
static const zkey_t zkeys[] = {
    ZD(minutes, 0, 1e6), ZI(workers, 1, 64), ZS(transport), ZI(replay_port, 0, 65535), ZS(model), ZS(init),
    ZI(size, 2, 19), ZD(komi, -1000, 1000), ZI(games_in_flight, 1, 4096), ZI(visits, 1, 1000000),
    ZI(fast_visits, 1, 1000000), ZI(batch, 1, 1024), ZI(temp_moves, 0, 100000), ZI(max_moves, 0, 1024), ZI(pass_rule, 0, 1),
    ZI(shard_games, 1, 100000), ZI(selfplay_threads, 1, 64), ZD(full_prob, 0, 1), ZD(resign, -1, 1),
    ZD(resign_disabled, 0, 1), ZI(train_batch, 1, 65536), ZI(train_threads, 1, 64), ZD(lr, 0, 10),
    ZD(weight_decay, 0, 10), ZD(samples_per_insert, 0.001, 1e6), ZL(window, 1, 1L << 40),
    ZL(min_positions, 0, 1L << 40), ZL(publish_every, 1, 1L << 40), ZD(eval_every, 1, 1e7), ZI(eval_games, 0, 10000),
    ZI(eval_visits, 1, 1000000), ZI(random_games, 0, 10000), ZI(gnugo_games, 0, 10000), ZI(gnugo_level, 1, 10),
    ZL(seed, 0, 9007199254740992.0),
};
#define NZKEYS (int)(sizeof zkeys / sizeof zkeys[0])

/* Sets key (with '-' as '_') from text; 0 if the key is unknown. Exits on a bad value. */
static int zero_set(zero_config_t *c, const char *key, const char *value) {
  char k[64];
  snprintf(k, sizeof k, "%s", key);
  for (char *q = k; *q; q++)
    if (*q == '-') *q = '_';
  for (int i = 0; i < NZKEYS; i++) {
    const zkey_t *z = &zkeys[i];
    if (strcmp(z->name, k)) continue;
    char flag[80];
    snprintf(flag, sizeof flag, "zero: %s", k);
    void *p = (char *)c + z->off;
    switch (z->type) {
    case ZK_INT: *(int *)p = (int)parse_long(flag, value, (long)z->lo, (long)z->hi); break;
    case ZK_LONG: *(long *)p = parse_long(flag, value, (long)z->lo, (long)z->hi); break;
    case ZK_DOUBLE: *(double *)p = parse_double(flag, value, z->lo, z->hi); break;
    case ZK_STR:
      if (strlen(value) >= z->len) die_usage("zero: value too long: '%s'", value);
      snprintf((char *)p, z->len, "%s", value);
      break;
    }
    return 1;
  }
  return 0;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf) buf[n] = 0;
  fclose(f);
  return buf;
}

/* Applies a JSON object's keys; exits with a message on an unknown key or bad JSON. */
static void zero_from_json(zero_config_t *c, const char *path) {
  char *text = read_file(path);
  if (!text) die_usage("zero: cannot read config '%s'", path);
  cJSON *o = cJSON_Parse(text);
  free(text);
  if (!o || !cJSON_IsObject(o)) die_usage("zero: '%s' is not a JSON object", path);
  for (cJSON *it = o->child; it; it = it->next) {
    char v[1100];
    if (cJSON_IsString(it)) snprintf(v, sizeof v, "%s", it->valuestring);
    else if (cJSON_IsBool(it)) snprintf(v, sizeof v, "%d", cJSON_IsTrue(it) ? 1 : 0);
    else if (cJSON_IsNumber(it)) {
      double d = it->valuedouble;
      if (d == floor(d) && fabs(d) < 1e15) snprintf(v, sizeof v, "%.0f", d);
      else snprintf(v, sizeof v, "%.17g", d);
    } else die_usage("zero: config key '%s' has an unsupported value type", it->string);
    if (!zero_set(c, it->string, v)) die_usage("zero: unknown config key '%s'", it->string);
  }
  cJSON_Delete(o);
}

static char *zero_to_json(const zero_config_t *c) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; i < NZKEYS; i++) {
    const zkey_t *z = &zkeys[i];
    const void *p = (const char *)c + z->off;
    switch (z->type) {
    case ZK_INT: cJSON_AddNumberToObject(o, z->name, *(const int *)p); break;
    case ZK_LONG: cJSON_AddNumberToObject(o, z->name, (double)*(const long *)p); break;
    case ZK_DOUBLE: cJSON_AddNumberToObject(o, z->name, *(const double *)p); break;
    case ZK_STR: cJSON_AddStringToObject(o, z->name, (const char *)p); break;
    }
  }
  char *s = cJSON_Print(o);
  cJSON_Delete(o);
  return s;
}

/* ---- children ---- */

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t len = sizeof sa;
  int port = -1;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
    port = ntohs(sa.sin_port);
  close(fd);
  return port;
}

typedef struct {
  char name[32];
  pid_t pid;
  int status, exited;
} child_t;

static char self_exe[4096];

static int spawn_child(child_t *ch, const char *name, char **argv, const char *log_path) {
  snprintf(ch->name, sizeof ch->name, "%s", name);
  ch->exited = 0;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  int r = posix_spawn(&ch->pid, self_exe, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0) {
    fprintf(stderr, "rocks zero: cannot start %s: %s\n", name, strerror(r));
    ch->pid = -1;
    return -1;
  }
  return 0;
}

/* SIGINT to every live child, then wait up to `grace` seconds, then SIGKILL. */
static void stop_children(child_t *ch, int n, double grace) {
  for (int i = 0; i < n; i++)
    if (ch[i].pid > 0 && !ch[i].exited) kill(ch[i].pid, SIGINT);
  double t0 = rocks_now();
  for (;;) {
    int live = 0;
    for (int i = 0; i < n; i++) {
      if (ch[i].pid <= 0 || ch[i].exited) continue;
      if (waitpid(ch[i].pid, &ch[i].status, WNOHANG) == ch[i].pid) ch[i].exited = 1;
      else live++;
    }
    if (!live) return;
    if (rocks_now() - t0 > grace) break;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  for (int i = 0; i < n; i++)
    if (ch[i].pid > 0 && !ch[i].exited) {
      fprintf(stderr, "rocks zero: %s did not stop within %.0f s: killed\n", ch[i].name, grace);
      kill(ch[i].pid, SIGKILL);
      waitpid(ch[i].pid, &ch[i].status, 0);
      ch[i].exited = 1;
    }
}

static int64_t worker_games(const char *run, int workers) {
  int64_t total = 0;
  for (int w = 0; w < workers; w++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/workers/w%d/worker.json", run, w);
    char *t = read_file(path);
    long long g = 0, s = 0;
    if (t && sscanf(t, " {\"games\": %lld, \"shards\": %lld", &g, &s) == 2) total += g;
    free(t);
  }
  return total;
}

/* ---- evaluation ---- */

typedef struct {
  char model[128];  /* last evaluated model file name */
  double elo;
} zero_eval_state_t;

/* Reads the last evaluated model and its Elo back from eval.csv (resume). */
static void eval_state_load(const char *csv, zero_eval_state_t *es) {
  char *t = read_file(csv);
  if (!t) return;
  for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
    double wall, elo;
    char model[128];
    long step;
    if (sscanf(line, "%lf,%127[^,],%ld,%*[^,],%*d,%*d,%*d,%*d,%*f,%lf", &wall, model, &step, &elo) == 4) {
      snprintf(es->model, sizeof es->model, "%s", model);
      es->elo = elo;
    }
  }
  free(t);
}

static long model_step(const char *name) {
  long s = 0;
  return sscanf(name, "model-%ld", &s) == 1 ? s : -1;
}

static int eval_row(FILE *f, double wall, const char *model, const char *opp, const selfplay_match_result_t *r, double elo) {
  fprintf(f, "%.1f,%s,%ld,%s,%d,%d,%d,%d,%.4f,%.1f,%.1f\n", wall, model, model_step(model), opp, r->games, r->wins, r->draws,
          r->losses, r->score, elo, r->seconds);
  return fflush(f);
}

/* One evaluation of `cand` (a file in models/): vs the previous evaluated model (Elo), the
 * random player and GNU Go. Returns 0, or 1 on an error (printed). */
static int evaluate(const zero_config_t *c, const char *run, const char *cand, zero_eval_state_t *es, FILE *ef,
                    double wall, volatile sig_atomic_t *stop) {
  char cpath[4400], ppath[4400];
  snprintf(cpath, sizeof cpath, "%s/models/%s", run, cand);
  snprintf(ppath, sizeof ppath, "%s/models/%s", run, es->model);
  selfplay_match_config_t mc = selfplay_match_config_default();
  mc.size = c->size, mc.komi = (float)c->komi, mc.max_moves = c->max_moves, mc.pass_rule = c->pass_rule;
  mc.seed = rocks_mix64((uint64_t)c->seed ^ (uint64_t)model_step(cand) * 7919u);
  mc.stop = stop;
  selfplay_player_t me = {.kind = SELFPLAY_PLAYER_NN, .model = cpath, .visits = c->eval_visits};
  rocks_error_t err;
  selfplay_match_result_t r;
  double elo = es->elo;
  const int first = es->model[0] == 0 || !strcmp(es->model, cand);
  if (!first && c->eval_games > 0 && !*stop) {
    selfplay_player_t prev = {.kind = SELFPLAY_PLAYER_NN, .model = ppath, .visits = c->eval_visits};
    mc.games = c->eval_games;
    if (selfplay_match(&me, &prev, &mc, &r, &err) != ROCKS_OK) {
      if (*stop) return 0; /* interrupted */
      fprintf(stderr, "rocks zero: evaluation %s vs %s: %s\n", cand, es->model, err.msg);
      return 1;
    }
    if (*stop) return 0; /* interrupted: a partial match is not recorded */
    double s = (r.wins + 0.5 * r.draws + 0.5) / (r.games + 1.0); /* +1/2 game each way: finite Elo */
    elo = es->elo + 400.0 * log10(s / (1 - s));
    char opp[160];
    snprintf(opp, sizeof opp, "prev:%s", es->model);
    eval_row(ef, wall, cand, opp, &r, elo);
    fprintf(stderr, "zero: eval %s vs %s: %d-%d-%d  Elo %+.0f\n", cand, es->model, r.wins, r.draws, r.losses, elo);
  }
  if (c->random_games > 0 && !*stop) {
    selfplay_player_t rnd = {.kind = SELFPLAY_PLAYER_RANDOM};
    mc.games = c->random_games;
    if (selfplay_match(&me, &rnd, &mc, &r, &err) != ROCKS_OK) {
      if (*stop) return 0;
      fprintf(stderr, "rocks zero: evaluation %s vs random: %s\n", cand, err.msg);
      return 1;
    }
    if (*stop) return 0; /* interrupted: a partial match is not recorded */
    eval_row(ef, wall, cand, "random", &r, elo);
    fprintf(stderr, "zero: eval %s vs random: %d-%d-%d\n", cand, r.wins, r.draws, r.losses);
  }
  if (c->gnugo_games > 0 && !*stop) {
    selfplay_player_t gg = {.kind = SELFPLAY_PLAYER_GNUGO, .level = c->gnugo_level};
    mc.games = c->gnugo_games;
    if (selfplay_match(&me, &gg, &mc, &r, &err) != ROCKS_OK) {
      if (*stop) return 0;
      fprintf(stderr, "rocks zero: evaluation %s vs GNU Go: %s\n", cand, err.msg);
      return 1;
    }
    if (*stop) return 0; /* interrupted: a partial match is not recorded */
    char opp[32];
    snprintf(opp, sizeof opp, "gnugo-%d", c->gnugo_level);
    eval_row(ef, wall, cand, opp, &r, elo);
    fprintf(stderr, "zero: eval %s vs GNU Go level %d: %d-%d-%d\n", cand, c->gnugo_level, r.wins, r.draws, r.losses);
  }
  snprintf(es->model, sizeof es->model, "%s", cand);
  es->elo = elo;
  return 0;
}

/* The report script: $ROCKS_ZERO_REPORT, else python/rocks/zero_report.py above the binary. */
static int find_report_script(char *out, size_t len) {
  const char *env = getenv("ROCKS_ZERO_REPORT");
  if (env && access(env, R_OK) == 0) return snprintf(out, len, "%s", env), 1;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", self_exe);
  for (int up = 0; up < 4; up++) {
    char *sl = strrchr(dir, '/');
    if (!sl) break;
    *sl = 0;
    snprintf(out, len, "%s/python/rocks/zero_report.py", dir);
    if (access(out, R_OK) == 0) return 1;
  }
  return 0;
}

static int run_report(const char *run) {
  char script[4200];
  if (!find_report_script(script, sizeof script)) {
    fprintf(stderr, "rocks zero: python/rocks/zero_report.py not found (set ROCKS_ZERO_REPORT): no report\n");
    return 1;
  }
  char *argv[] = {"/usr/bin/python3", script, (char *)run, NULL};
  pid_t pid;
  int r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
  if (r != 0) {
    fprintf(stderr, "rocks zero: cannot run %s: %s\n", argv[0], strerror(r));
    return 1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "rocks zero: the report script failed\n");
    return 1;
  }
  return 0;
}

int cmd_zero(int argc, char **argv) {
  zero_config_t c = zero_config_default();
  const char *run = NULL, *config = NULL;
  int resume = 0, report_only = 0;
  /* the config file first, flags override it */
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[i + 1];
  if (config) zero_from_json(&c, config);
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--config")) (void)flag_value(argc, argv, &i);
    else if (!strcmp(a, "--run")) run = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--resume")) resume = 1;
    else if (!strcmp(a, "--report")) report_only = 1;
    else if (!strncmp(a, "--", 2) && zero_set(&c, a + 2, flag_value(argc, argv, &i))) {
    } else die_usage("zero: unknown option '%s'", a);
  }
  if (!run) {
    die_usage("zero: --run DIR is required%s", "");
    return 2;
  }
  if (strlen(run) > 1000) die_usage("zero: run path too long: '%s'", run);
  if (report_only) return run_report(run);
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
  if (n <= 0) {
    fprintf(stderr, "rocks zero: cannot find its own executable\n");
    return 1;
  }
  self_exe[n] = 0;
  rocks_error_t err;
  char path[4400], cfg_path[4400];
  snprintf(cfg_path, sizeof cfg_path, "%s/config.json", run);
  if (resume) {
    if (access(cfg_path, R_OK) != 0) {
      fprintf(stderr, "rocks zero: %s holds no run to resume (no config.json)\n", run);
      return 2;
    }
    zero_config_t saved = zero_config_default();
    zero_from_json(&saved, cfg_path);
    saved.minutes = c.minutes; /* a resumed run gets its own duration */
    c = saved;
  } else if (access(cfg_path, F_OK) == 0) {
    fprintf(stderr, "rocks zero: %s already holds a run (use --resume to continue it)\n", run);
    return 2;
  }
  if (strcmp(c.transport, "dir") && strcmp(c.transport, "grpc")) die_usage("zero: transport must be dir or grpc, got '%s'", c.transport);
  int blocks = 0, channels = 0;
  if (!parse_model(c.model, &blocks, &channels)) die_usage("zero: model must be b<blocks>c<channels>, got '%s'", c.model);
  const char *subdirs[] = {"models", "workers", "logs", "figures"};
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/%s", run, subdirs[i]);
    if (ds_mkdirs(path, &err) != ROCKS_OK) {
      fprintf(stderr, "rocks zero: %s\n", err.msg);
      return 1;
    }
  }
  if (!resume) {
    char *text = zero_to_json(&c);
    if (!text || ds_write_text_atomic(cfg_path, text, &err) != ROCKS_OK) {
      fprintf(stderr, "rocks zero: %s\n", text ? err.msg : "out of memory");
      free(text);
      return 1;
    }
    free(text);
  }
  volatile sig_atomic_t *stop;
  cli_selfplay_install_signals(&stop);
  signal(SIGPIPE, SIG_IGN);

  /* the first model (random or --init) is published by the trainer before its first step; we
   * publish it here too so that workers and the evaluation never start without one */
  char models[4400], latest[128];
  snprintf(models, sizeof models, "%s/models", run);
  if (selfplay_latest_model(models, latest, sizeof latest, &err) != ROCKS_OK) {
    goresnet_t *m = NULL;
    if (c.init[0]) m = nn_checkpoint_load_new(c.init, &err);
    else {
      goresnet_config_t gc = goresnet_config_default();
      gc.size = c.size, gc.blocks = blocks, gc.channels = channels;
      if ((m = goresnet_new(&gc, &err))) goresnet_init(m, (uint64_t)c.seed);
    }
    if (!m || train_replay_publish(models, 0, m, NULL, latest, sizeof latest, &err) != ROCKS_OK) {
      fprintf(stderr, "rocks zero: initial model: %s\n", err.msg);
      goresnet_delete(m);
      return 1;
    }
    goresnet_delete(m);
  }

  /* ---- children ---- */
  child_t ch[70];
  int nch = 0;
  char addr[64] = "";
  static char a[64][4500];
  char *av[64];
#define ARGS_BEGIN() int na_ = 0
#define ARG(...) (snprintf(a[na_], sizeof a[na_], __VA_ARGS__), av[na_] = a[na_], na_++)
#define ARGS_END() (av[na_] = NULL)
  if (!strcmp(c.transport, "grpc")) {
    /* port 0: a free port found here (bind to port 0, read it back, close) */
    int port = c.replay_port ? c.replay_port : free_port();
    if (port <= 0) {
      fprintf(stderr, "rocks zero: no free TCP port for the replay service\n");
      return 1;
    }
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    ARGS_BEGIN();
    ARG("rocks"), ARG("replay"), ARG("serve"), ARG("--listen"), ARG("%s", addr), ARG("--dir"), ARG("%s/replay", run);
    ARG("--capacity"), ARG("%ld", c.window), ARG("--min-size"), ARG("%ld", c.min_positions);
    ARG("--samples-per-insert"), ARG("%g", c.samples_per_insert);
    ARGS_END();
    snprintf(path, sizeof path, "%s/logs/replay.log", run);
    if (spawn_child(&ch[nch++], "replay", av, path) != 0) return 1;
    /* ready when it answers a Stats call */
    replay_client_t *rc = replay_client_new(addr, &err);
    int up = 0;
    for (int k = 0; rc && k < 150 && !up && !*stop; k++) {
      replay_stats_t rs;
      if (replay_client_stats(rc, &rs, &err) == ROCKS_OK) up = 1;
      else {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
      }
      if (waitpid(ch[0].pid, &ch[0].status, WNOHANG) == ch[0].pid) {
        ch[0].exited = 1;
        break;
      }
    }
    replay_client_delete(rc);
    if (!up) {
      fprintf(stderr, "rocks zero: the replay service did not start on %s (see %s)\n", addr, path);
      stop_children(ch, nch, 10);
      return 1;
    }
  }
  {
    ARGS_BEGIN();
    ARG("rocks"), ARG("train"), ARG("--models"), ARG("%s", models), ARG("--metrics"), ARG("%s/train.csv", run);
    if (addr[0]) ARG("--replay"), ARG("%s", addr);
    else ARG("--replay"), ARG("dir:%s/workers", run);
    ARG("--model"), ARG("%s", c.model), ARG("--batch"), ARG("%d", c.train_batch), ARG("--lr"), ARG("%g", c.lr);
    ARG("--weight-decay"), ARG("%g", c.weight_decay), ARG("--samples-per-insert"), ARG("%g", c.samples_per_insert);
    ARG("--window"), ARG("%ld", c.window), ARG("--min-positions"), ARG("%ld", c.min_positions);
    ARG("--publish-every"), ARG("%ld", c.publish_every), ARG("--threads"), ARG("%d", c.train_threads);
    ARG("--seed"), ARG("%ld", c.seed);
    ARGS_END();
    snprintf(path, sizeof path, "%s/logs/train.log", run);
    if (spawn_child(&ch[nch++], "trainer", av, path) != 0) {
      stop_children(ch, nch, 30);
      return 1;
    }
  }
  for (int w = 0; w < c.workers; w++) {
    ARGS_BEGIN();
    ARG("rocks"), ARG("selfplay"), ARG("--models"), ARG("%s", models), ARG("--out"), ARG("%s/workers/w%d", run, w);
    if (addr[0]) ARG("--replay"), ARG("%s", addr);
    ARG("--worker-id"), ARG("w%d", w), ARG("--id-base"), ARG("%lld", (long long)w * 1000000000LL);
    ARG("--seed"), ARG("%lld", (long long)rocks_mix64((uint64_t)c.seed * 1000 + (uint64_t)w) & 0x7fffffffffffLL);
    ARG("--size"), ARG("%d", c.size), ARG("--komi"), ARG("%g", c.komi), ARG("--games-in-flight"), ARG("%d", c.games_in_flight);
    ARG("--visits"), ARG("%d", c.visits), ARG("--fast-visits"), ARG("%d", c.fast_visits), ARG("--full-prob"), ARG("%g", c.full_prob);
    ARG("--batch"), ARG("%d", c.batch), ARG("--temp-moves"), ARG("%d", c.temp_moves), ARG("--max-moves"), ARG("%d", c.max_moves);
    ARG("--pass-rule"), ARG("%d", c.pass_rule);
    ARG("--resign"), ARG("%g", c.resign), ARG("--resign-disabled"), ARG("%g", c.resign_disabled);
    ARG("--shard-games"), ARG("%d", c.shard_games), ARG("--threads"), ARG("%d", c.selfplay_threads), ARG("--model"), ARG("%s", c.model);
    ARGS_END();
    char name[32];
    snprintf(name, sizeof name, "worker w%d", w);
    snprintf(path, sizeof path, "%s/logs/w%d.log", run, w);
    if (spawn_child(&ch[nch++], name, av, path) != 0) {
      stop_children(ch, nch, 30);
      return 1;
    }
  }
#undef ARGS_BEGIN
#undef ARG
#undef ARGS_END
  fprintf(stderr, "zero: run %s: %d worker(s), trainer%s; %s%s, visits %d/%d; logs in %s/logs\n", run, c.workers,
          addr[0] ? ", replay service" : "", c.init[0] ? "from " : "", c.init[0] ? c.init : c.model, c.visits,
          c.fast_visits, run);

  /* ---- the loop: evaluations and progress until the time is up or Ctrl-C ---- */
  char eval_csv[4400];
  snprintf(eval_csv, sizeof eval_csv, "%s/eval.csv", run);
  zero_eval_state_t es = {.model = "", .elo = 0};
  eval_state_load(eval_csv, &es);
  FILE *ef = fopen(eval_csv, "a");
  if (!ef) {
    fprintf(stderr, "rocks zero: %s: %s\n", eval_csv, strerror(errno));
    stop_children(ch, nch, 30);
    return 1;
  }
  if (ftell(ef) == 0) fprintf(ef, "wall_s,model,step,opponent,games,wins,draws,losses,score,elo,seconds\n");
  fflush(ef);
  /* wall time continues across --resume: offset = the last row's time */
  double offset = 0;
  {
    char *t = read_file(eval_csv);
    for (char *line = t ? strtok(t, "\n") : NULL; line; line = strtok(NULL, "\n")) {
      double w;
      if (sscanf(line, "%lf,", &w) == 1 && w > offset) offset = w;
    }
    free(t);
  }
  const double t0 = rocks_now() - offset, end = rocks_now() + c.minutes * 60;
  double last_eval = es.model[0] ? rocks_now() : -1e18, last_print = 0;
  int rc = 0;
  while (!*stop && (c.minutes <= 0 || rocks_now() < end)) {
    for (int i = 0; i < nch; i++)
      if (!ch[i].exited && waitpid(ch[i].pid, &ch[i].status, WNOHANG) == ch[i].pid) {
        ch[i].exited = 1;
        fprintf(stderr, "rocks zero: %s exited unexpectedly (status %d); see %s/logs\n", ch[i].name,
                WIFEXITED(ch[i].status) ? WEXITSTATUS(ch[i].status) : 128 + WTERMSIG(ch[i].status), run);
        rc = 1;
      }
    if (rc) break;
    char cand[128];
    if (rocks_now() - last_eval >= c.eval_every && selfplay_latest_model(models, cand, sizeof cand, &err) == ROCKS_OK &&
        strcmp(cand, es.model)) {
      last_eval = rocks_now();
      if (evaluate(&c, run, cand, &es, ef, rocks_now() - t0, stop) != 0) {
        rc = 1;
        break;
      }
    }
    if (rocks_now() - last_print >= 10) {
      last_print = rocks_now();
      char el[32], left[32];
      cli_fmt_secs(rocks_now() - t0, el, sizeof el);
      cli_fmt_secs(end - rocks_now(), left, sizeof left);
      char lm[128] = "-";
      selfplay_latest_model(models, lm, sizeof lm, &err);
      fprintf(stderr, "zero: %s  games %lld  model %s  Elo %+.0f (%s)  %s left\n", el,
              (long long)worker_games(run, c.workers), lm, es.elo, es.model[0] ? es.model : "-",
              c.minutes > 0 ? left : "no limit,");
    }
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "zero: stopping (%s)\n", *stop ? "interrupted" : rc ? "error" : "time is up");
  stop_children(ch, nch, 60);
  /* a last evaluation of the newest model, unless interrupted */
  char cand[128];
  if (!*stop && !rc && selfplay_latest_model(models, cand, sizeof cand, &err) == ROCKS_OK && strcmp(cand, es.model))
    if (evaluate(&c, run, cand, &es, ef, rocks_now() - t0, stop) != 0) rc = 1;
  fclose(ef);
  fprintf(stderr, "zero: %lld self-play games; last model %s, Elo %+.0f over the initial model\n",
          (long long)worker_games(run, c.workers), es.model, es.elo);
  if (run_report(run) == 0) fprintf(stderr, "zero: report: %s/report.md, figures in %s/figures\n", run, run);
  else rc = rc ? rc : 1;
  return *stop && !rc ? 130 : rc;
}
