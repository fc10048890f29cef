/* cmd_replay.c — `rocks replay serve|stats|checkpoint` and `rocks bench replay` (docs/replay.md). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "replay/episode.h"
#include "replay/replay_client.h"
#include "replay/server.h"

static volatile sig_atomic_t stop_ = 0;
static void on_signal_(int sig) {
  (void)sig;
  stop_ = 1;
}

static void log_line_(void *ctx, const char *line) {
  (void)ctx;
  time_t t = time(NULL);
  struct tm tm;
  char ts[32];
  localtime_r(&t, &tm);
  strftime(ts, sizeof ts, "%H:%M:%S", &tm);
  fprintf(stderr, "%s %s\n", ts, line);
  fflush(stderr);
}

static int replay_serve_(int argc, char **argv) {
  replay_server_config_t c = replay_server_config_default();
  c.stats_every = 10;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--listen")) c.listen = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--capacity")) c.capacity = parse_long(a, flag_value(argc, argv, &i), 1, 1L << 40);
    else if (!strcmp(a, "--samples-per-insert")) c.samples_per_insert = parse_double(a, flag_value(argc, argv, &i), 1e-9, 1e9);
    else if (!strcmp(a, "--min-size")) c.min_size = parse_long(a, flag_value(argc, argv, &i), 1, 1L << 40);
    else if (!strcmp(a, "--error-buffer")) c.error_buffer = parse_double(a, flag_value(argc, argv, &i), 1e-9, 1e300);
    else if (!strcmp(a, "--max-episode")) c.max_episode = parse_long(a, flag_value(argc, argv, &i), 1, 1024);
    else if (!strcmp(a, "--max-sample")) c.max_sample = (int)parse_long(a, flag_value(argc, argv, &i), 1, 65536);
    else if (!strcmp(a, "--dir")) c.dir = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--memory")) c.dir = NULL;
    else if (!strcmp(a, "--seed")) c.seed = (uint64_t)parse_long(a, flag_value(argc, argv, &i), 0, 0x7fffffffffffffffL);
    else if (!strcmp(a, "--stats-every")) c.stats_every = parse_double(a, flag_value(argc, argv, &i), 0, 1e9);
    else if (!strcmp(a, "--compact-mb")) c.compact_bytes = parse_long(a, flag_value(argc, argv, &i), 0, 1L << 30) << 20;
    else die_usage("replay serve: unknown option '%s'", a);
  }
  int memory = 0;
  for (int i = 0; i < argc; i++) memory |= !strcmp(argv[i], "--memory");
  if (!c.dir && !memory) die_usage("replay serve: --dir DIR is required (or --memory for no persistence)%s", "");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal_;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  rocks_error_t err = {0};
  replay_server_t *s = replay_server_create(&c, log_line_, NULL, &err);
  if (!s) {
    fprintf(stderr, "rocks: replay serve: %s\n", err.msg);
    return 1;
  }
  printf("listening %d\n", replay_server_port(s)); /* a machine-readable line for scripts and tests */
  fflush(stdout);
  rocks_status_t st = replay_server_run(s, &stop_, &err);
  if (st == ROCKS_OK) log_line_(NULL, "replay: signal received, shutting down");
  replay_server_destroy(s);
  if (st != ROCKS_OK) {
    fprintf(stderr, "rocks: replay serve: %s\n", err.msg);
    return 1;
  }
  return 0;
}

static int replay_stats_(int argc, char **argv, int checkpoint) {
  const char *addr = "127.0.0.1:50051";
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--addr")) addr = flag_value(argc, argv, &i);
    else die_usage("replay stats/checkpoint: unknown option '%s'", argv[i]);
  }
  rocks_error_t err = {0};
  replay_client_t *cl = replay_client_new(addr, &err);
  if (!cl) {
    fprintf(stderr, "rocks: %s\n", err.msg);
    return 1;
  }
  int rc = 0;
  if (checkpoint) {
    char path[4096];
    if (replay_client_checkpoint(cl, path, sizeof path, &err) != ROCKS_OK) rc = 1;
    else printf("snapshot %s\n", path);
  } else {
    replay_stats_t st;
    if (replay_client_stats(cl, &st, &err) != ROCKS_OK) rc = 1;
    else
      printf("episodes %lld\npositions %lld\ninserts %lld\nsamples %lld\nratio %.3f\nevicted %lld\nepisodes_total %lld\n"
             "capacity %lld\nmin_size %lld\nsamples_per_insert %g\nerror_buffer %g\nparked_samples %lld\n"
             "parked_pushes %lld\nwal_bytes %lld\n",
             (long long)st.episodes, (long long)st.positions, (long long)st.inserts, (long long)st.samples, st.ratio,
             (long long)st.evicted, (long long)st.episodes_total, (long long)st.capacity, (long long)st.min_size,
             st.samples_per_insert, st.error_buffer, (long long)st.parked_samples, (long long)st.parked_pushes,
             (long long)st.wal_bytes);
  }
  if (rc) fprintf(stderr, "rocks: %s\n", err.msg);
  replay_client_delete(cl);
  return rc;
}

int cmd_replay(int argc, char **argv) {
  if (argc >= 1 && !strcmp(argv[0], "serve")) return replay_serve_(argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "stats")) return replay_stats_(argc - 1, argv + 1, 0);
  if (argc >= 1 && !strcmp(argv[0], "checkpoint")) return replay_stats_(argc - 1, argv + 1, 1);
  die_usage("replay: unknown subcommand '%s' (known: serve, stats, checkpoint)", argc ? argv[0] : "");
  return 2;
}

/* ============================================================================ bench replay === */

typedef struct {
  replay_server_t *s;
  rocks_status_t st;
  rocks_error_t err;
} server_thread_t;

static volatile sig_atomic_t bench_stop_ = 0;

static void *server_main_(void *p) {
  server_thread_t *t = p;
  t->st = replay_server_run(t->s, &bench_stop_, &t->err);
  return NULL;
}

int cmd_bench_replay(int argc, char **argv) {
  int episodes = 500, batch = 256, size = 9, persist = 1;
  double seconds = 5;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--episodes")) episodes = (int)parse_long(a, flag_value(argc, argv, &i), 1, 1000000);
    else if (!strcmp(a, "--batch")) batch = (int)parse_long(a, flag_value(argc, argv, &i), 1, 4096);
    else if (!strcmp(a, "--seconds")) seconds = parse_double(a, flag_value(argc, argv, &i), 0.1, 3600);
    else if (!strcmp(a, "--size")) size = (int)parse_long(a, flag_value(argc, argv, &i), 2, 19);
    else if (!strcmp(a, "--memory")) persist = 0;
    else die_usage("bench replay: unknown option '%s'", a);
  }
  char dir[] = "/tmp/rocks-bench-replay-XXXXXX";
  if (persist && !mkdtemp(dir)) {
    perror("rocks: bench replay: mkdtemp");
    return 1;
  }
  replay_server_config_t c = replay_server_config_default();
  c.listen = "127.0.0.1:0";
  c.capacity = 1L << 30;
  c.min_size = 1;
  c.error_buffer = 1e300; /* no rate limiting: measure the transport and the store */
  c.dir = persist ? dir : NULL;
  c.stats_every = 0;
  c.compact_bytes = 0;
  rocks_error_t err = {0};
  replay_server_t *s = replay_server_create(&c, NULL, NULL, &err);
  if (!s) {
    fprintf(stderr, "rocks: bench replay: %s\n", err.msg);
    return 1;
  }
  server_thread_t th = {s, ROCKS_OK, {0}};
  pthread_t tid;
  pthread_create(&tid, NULL, server_main_, &th);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", replay_server_port(s));
  replay_client_t *cl = replay_client_new(addr, &err);
  int rc = 0;
  replay_episode_t ep;
  replay_episode_init(&ep);
  /* episodes are generated up front (a pool of 64) so that the push rate is the service's */
  enum { POOL = 64 };
  replay_episode_t *pool = calloc(POOL, sizeof *pool);
  int64_t pushed_pos = 0;
  for (int i = 0; i < POOL && rc == 0; i++)
    if (replay_episode_random(&pool[i], size, 3 * size * size, 1000 + (uint64_t)i, &err) != ROCKS_OK) rc = 1;
  printf("bench replay: %dx%d episodes, server %s, %s\n", size, size, addr, persist ? "log + fsync per push (group commit)" : "memory only");
  double t0 = rocks_now();
  for (int i = 0; i < episodes && rc == 0; i++) {
    if (replay_client_push(cl, &pool[i % POOL], 30, &err) != ROCKS_OK) rc = 1;
    pushed_pos += replay_episode_positions(&pool[i % POOL]);
  }
  double tp = rocks_now() - t0;
  if (rc == 0)
    printf("push:   %d episodes (%lld positions) in %.2fs: %.0f episodes/s, %.0f positions/s (one client, sequential)\n",
           episodes, (long long)pushed_pos, tp, episodes / tp, (double)pushed_pos / tp);
  ds_record_t *recs = malloc(sizeof *recs * (size_t)batch);
  float *dist = malloc(sizeof(float) * (size_t)batch * (size_t)(size * size + 1));
  int64_t sampled = 0;
  int calls = 0;
  t0 = rocks_now();
  while (rc == 0 && rocks_now() - t0 < seconds) {
    if (replay_client_sample(cl, batch, 30, recs, dist, &err) != ROCKS_OK) rc = 1;
    sampled += batch;
    calls++;
  }
  double ts = rocks_now() - t0;
  if (rc == 0)
    printf("sample: %lld positions in %d calls of %d in %.2fs: %.0f positions/s (decoded into ds_record_t)\n",
           (long long)sampled, calls, batch, ts, (double)sampled / ts);
  replay_stats_t st;
  if (rc == 0 && replay_client_stats(cl, &st, &err) == ROCKS_OK)
    printf("server: episodes %lld positions %lld inserts %lld samples %lld\n", (long long)st.episodes,
           (long long)st.positions, (long long)st.inserts, (long long)st.samples);
  if (rc) fprintf(stderr, "rocks: bench replay: %s\n", err.msg);
  for (int i = 0; i < POOL; i++) replay_episode_free(&pool[i]);
  free(pool);
  free(recs);
  free(dist);
  replay_client_delete(cl);
  bench_stop_ = 1;
  pthread_join(tid, NULL);
  replay_server_destroy(s);
  if (persist) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "rocks: bench replay: could not remove %s\n", dir);
  }
  return rc;
}
