/* cmd_selfplay.c — `rocks selfplay` (self-play worker) and `rocks train --replay` (the
 * AlphaZero trainer); `rocks zero` lives in cmd_zero.c. docs/selfplay.md. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "replay/replay_client.h"
#include "selfplay/selfplay.h"
#include "train/train.h"

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
  return replay_client_push(ctx, ep, 10.0, err) == ROCKS_OK ? 0 : 1;
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
          "resign fp %lld/%lld  pushed %lld spooled %lld\n",
          (long long)p->games, (long long)p->positions, (long long)p->shards, el, p->games_per_hour, p->visits_per_s,
          p->model_id, (long long)p->stats.false_positives, (long long)p->stats.would_resign, (long long)p->pushed,
          (long long)p->spooled);
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

int cmd_zero(int argc, char **argv) {
  (void)argc, (void)argv;
  return 1;
}
