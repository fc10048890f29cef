/* test_selfplay.c — self-play driver, episodes, shards, spool (src/selfplay, docs/selfplay.md).
 *
 *   determinism      same seed -> identical episodes (pure evaluator and a random network)
 *   batching         G = 1 and G = 4 games in flight give identical games (pure evaluator:
 *                    exact by construction; the network: measured exact as well), and the step
 *                    API equals mcts_search on one tree
 *   pcr              full-search share ~ full_prob; fast moves carry no target and are not in
 *                    the shard; the shard's policy_dist rows are the visit distributions
 *   resign           resign-disabled share ~ 10%; resigning side loses; false-positive count
 *   episode files    save/load round trip; corrupt files rejected
 *   spool            the push hook fails for a while: episodes are spooled, then all re-sent,
 *                    each exactly once, spool empty
 * Usage: test_selfplay [TMPDIR]. Exits non-zero on any failure.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ds.h"
#include "mcts/mcts_go.h"
#include "selfplay/selfplay.h"

static int failures = 0;
#define CHECK(cond, ...)                                            \
  do {                                                              \
    if (!(cond)) {                                                  \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
      fprintf(stderr, __VA_ARGS__);                                 \
      fprintf(stderr, "\n");                                        \
      failures++;                                                   \
    }                                                               \
  } while (0)

/* ---- a pure evaluator: priors and value are a function of the position only ---- */
static int pure_eval(void *ctx, const board_t *const *boards, int n, float *priors, float *values) {
  (void)ctx;
  for (int i = 0; i < n; i++) {
    const board_t *b = boards[i];
    const int A = b->size * b->size + 1;
    uint64_t h = rocks_mix64(b->hash ^ (uint64_t)b->to_play * 0x9e3779b97f4a7c15ull ^ (uint64_t)b->move_count);
    double s = 0;
    for (int a = 0; a < A; a++) {
      float p = (float)(0.1 + (double)(rocks_mix64(h + (uint64_t)a) >> 11) * 0x1.0p-53);
      priors[(size_t)i * A + a] = p;
      s += p;
    }
    for (int a = 0; a < A; a++) priors[(size_t)i * A + a] = (float)(priors[(size_t)i * A + a] / s);
    values[i] = (float)((double)(h >> 11) * 0x1.0p-53 * 1.6 - 0.8);
  }
  return 0;
}

/* "black is lost": value -0.99 for black to move, +0.99 for white (resignation tests) */
static int black_lost_eval(void *ctx, const board_t *const *boards, int n, float *priors, float *values) {
  pure_eval(ctx, boards, n, priors, values);
  for (int i = 0; i < n; i++) values[i] = boards[i]->to_play == COLOR_BLACK ? -0.99f : 0.99f;
  return 0;
}

typedef struct {
  replay_episode_t *eps;
  int n, cap;
} collect_t;

static int collect_ep(void *ctx, const replay_episode_t *ep) {
  collect_t *c = ctx;
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 32;
    c->eps = realloc(c->eps, (size_t)c->cap * sizeof *c->eps);
  }
  rocks_error_t e;
  if (selfplay_episode_copy(&c->eps[c->n], ep, &e) != ROCKS_OK) return 1;
  c->n++;
  return 0;
}

static void collect_free(collect_t *c) {
  for (int i = 0; i < c->n; i++) selfplay_episode_free(&c->eps[i]);
  free(c->eps);
  memset(c, 0, sizeof *c);
}

static const replay_episode_t *find_id(const collect_t *c, int64_t id) {
  for (int i = 0; i < c->n; i++)
    if (c->eps[i].game.id == id) return &c->eps[i];
  return NULL;
}

static int same_episode(const replay_episode_t *a, const replay_episode_t *b) {
  if (a->game.nmoves != b->game.nmoves || a->game.winner != b->game.winner || a->flags != b->flags) return 0;
  const int T = a->game.nmoves;
  if (memcmp(a->game.moves, b->game.moves, (size_t)T * sizeof *a->game.moves)) return 0;
  if (memcmp(a->full_search, b->full_search, (size_t)T)) return 0;
  if (memcmp(a->visit_offset, b->visit_offset, (size_t)(T + 1) * sizeof *a->visit_offset)) return 0;
  const int nv = a->visit_offset[T];
  for (int i = 0; i < nv; i++)
    if (a->visits[i].action != b->visits[i].action || a->visits[i].prob != b->visits[i].prob) return 0;
  return 1;
}

static selfplay_config_t small_config(void) {
  selfplay_config_t c = selfplay_config_default();
  c.size = 7;
  c.visits = 12, c.fast_visits = 4, c.batch = 4;
  c.games_in_flight = 4;
  c.max_moves = 60;
  c.resign_threshold = -1;
  c.seed = 7;
  return c;
}

static void run_games(const selfplay_config_t *c, int games, selfplay_eval_fn fn, selfplay_nn_t *nn, collect_t *out,
                      selfplay_stats_t *stats) {
  rocks_error_t err;
  selfplay_t *s = selfplay_new(c, games, &err);
  if (!s) {
    CHECK(0, "selfplay_new: %s", err.msg);
    return;
  }
  if (nn) selfplay_set_nn(s, nn, "net");
  else selfplay_set_eval(s, fn, NULL, "pure");
  CHECK(selfplay_run(s, collect_ep, out, &err) == ROCKS_OK, "selfplay_run: %s", err.msg);
  if (stats) selfplay_get_stats(s, stats);
  selfplay_delete(s);
}

/* ------------------------------------------------------------------ determinism / batching */
static void test_determinism_and_batching(void) {
  selfplay_config_t c = small_config();
  collect_t a = {0}, b = {0}, g1 = {0};
  run_games(&c, 8, pure_eval, NULL, &a, NULL);
  run_games(&c, 8, pure_eval, NULL, &b, NULL);
  CHECK(a.n == 8 && b.n == 8, "8 games each (%d, %d)", a.n, b.n);
  for (int i = 0; i < a.n && i < b.n; i++) CHECK(same_episode(&a.eps[i], &b.eps[i]), "same seed, game %d differs", i);
  selfplay_config_t c1 = c;
  c1.games_in_flight = 1;
  run_games(&c1, 8, pure_eval, NULL, &g1, NULL);
  int same = 0;
  for (int i = 0; i < g1.n; i++) {
    const replay_episode_t *o = find_id(&a, g1.eps[i].game.id);
    same += o && same_episode(o, &g1.eps[i]);
  }
  CHECK(same == 8, "G=1 vs G=4: %d of 8 games identical", same);
  /* different seeds: different games */
  selfplay_config_t c2 = c;
  c2.seed = 8;
  collect_t d = {0};
  run_games(&c2, 8, pure_eval, NULL, &d, NULL);
  int diff = 0;
  for (int i = 0; i < d.n && i < a.n; i++) diff += !same_episode(&a.eps[i], &d.eps[i]);
  CHECK(diff > 0, "another seed gives other games");
  collect_free(&a), collect_free(&b), collect_free(&g1), collect_free(&d);

  /* the network evaluator: same seed -> same games; G = 1 vs 4 (batch composition) */
  rocks_error_t err;
  goresnet_config_t gc = goresnet_config_default();
  gc.size = 7, gc.blocks = 1, gc.channels = 8;
  goresnet_t *m = goresnet_new(&gc, &err);
  CHECK(m != NULL, "goresnet_new");
  if (!m) return;
  goresnet_init(m, 3);
  selfplay_nn_t *nn = selfplay_nn_new(m, FEAT_AGZ, 1, &err);
  CHECK(nn != NULL, "selfplay_nn_new: %s", err.msg);
  collect_t n1 = {0}, n2 = {0}, n3 = {0};
  run_games(&c, 4, NULL, nn, &n1, NULL);
  run_games(&c, 4, NULL, nn, &n2, NULL);
  run_games(&c1, 4, NULL, nn, &n3, NULL);
  CHECK(n1.n == 4 && n2.n == 4 && n3.n == 4, "network games played");
  for (int i = 0; i < n1.n && i < n2.n; i++) CHECK(same_episode(&n1.eps[i], &n2.eps[i]), "network, same seed, game %d differs", i);
  same = 0;
  for (int i = 0; i < n3.n; i++) {
    const replay_episode_t *o = find_id(&n1, n3.eps[i].game.id);
    same += o && same_episode(o, &n3.eps[i]);
  }
  CHECK(same == 4, "network: G=1 vs G=4: %d of 4 games identical", same);
  CHECK(selfplay_nn_positions(nn) > 0, "network evaluated positions");
  collect_free(&n1), collect_free(&n2), collect_free(&n3);
  selfplay_nn_delete(nn);
  goresnet_delete(m);
}

/* the step API on one tree == mcts_search (same batch size, same evaluator) */
static int go_pure(void *ctx, const void *const *states, int n, float *priors, float *values) {
  (void)ctx;
  return pure_eval(NULL, (const board_t *const *)states, n, priors, values);
}

static void test_step_api(void) {
  rocks_error_t err;
  mcts_go_t *go = mcts_go_new(7, 0, 1, &err);
  mcts_config_t mc = mcts_config_default();
  mc.batch_size = 5;
  mc.dirichlet = true;
  mc.seed = 11;
  mcts_t *a = mcts_new(mcts_go_game(go), &mc, go_pure, NULL, &err);
  mcts_t *b = mcts_new(mcts_go_game(go), &mc, go_pure, NULL, &err);
  board_t *bd = malloc(sizeof *bd);
  board_init(bd, 7, board_rules_tromp_taylor(), 7.5f, &err);
  mcts_set_root(a, bd, &err);
  mcts_set_root(b, bd, &err);
  CHECK(mcts_search(a, 97, &err) == ROCKS_OK, "search");
  int done = 0;
  float pri[64 * 50], val[64];
  while (done < 97) {
    const void *const *st;
    int k, t, want = 97 - done < 5 ? 97 - done : 5;
    CHECK(mcts_collect(b, want, &st, &k, &t, &err) == ROCKS_OK, "collect");
    CHECK(mcts_pending(b) == k, "pending");
    done += t;
    if (k) {
      pure_eval(NULL, (const board_t *const *)st, k, pri, val);
      CHECK(mcts_apply(b, pri, val, &err) == ROCKS_OK, "apply");
      done += k;
    }
  }
  int32_t va[50], vb[50];
  mcts_root_stats(a, va, NULL, NULL);
  mcts_root_stats(b, vb, NULL, NULL);
  CHECK(!memcmp(va, vb, sizeof va) && mcts_root_visits(a) == mcts_root_visits(b), "step API == mcts_search");
  /* collecting twice without apply is refused */
  const void *const *st;
  int k, t;
  CHECK(mcts_collect(b, 3, &st, &k, &t, &err) == ROCKS_OK && k > 0, "collect");
  CHECK(mcts_collect(b, 3, &st, &k, &t, &err) == ROCKS_ERR_STATE, "second collect refused");
  mcts_abandon(b);
  CHECK(mcts_pending(b) == 0 && mcts_search(b, 3, &err) == ROCKS_OK, "abandon, then search again");
  free(bd);
  mcts_delete(a), mcts_delete(b);
  mcts_go_delete(go);
}

/* ----------------------------------------------------------------------------------- PCR */
static void test_pcr(const char *tmp) { /* tmp: < 512 chars */
  selfplay_config_t c = small_config();
  c.full_prob = 0.25;
  collect_t a = {0};
  selfplay_stats_t st;
  run_games(&c, 24, pure_eval, NULL, &a, &st);
  int64_t moves = 0, full = 0, bad = 0;
  for (int i = 0; i < a.n; i++) {
    const replay_episode_t *e = &a.eps[i];
    for (int t = 0; t < e->game.nmoves; t++) {
      moves++;
      full += e->full_search[t];
      int nv = e->visit_offset[t + 1] - e->visit_offset[t];
      double s = 0;
      for (int j = e->visit_offset[t]; j < e->visit_offset[t + 1]; j++) s += e->visits[j].prob;
      if (e->full_search[t] ? (nv < 1 || fabs(s - 1) > 1e-4) : nv != 0) bad++;
    }
  }
  double frac = (double)full / (double)moves;
  CHECK(moves > 500 && fabs(frac - 0.25) < 0.05, "full-search share %.3f of %lld moves (want 0.25)", frac, (long long)moves);
  printf("pcr: %lld moves, full-search share %.3f\n", (long long)moves, frac);
  CHECK(bad == 0, "%lld moves with a wrong target (full: distribution summing to 1; fast: none)", (long long)bad);
  CHECK(st.moves == moves && st.full_moves == full, "stats count moves");
  /* the shard: training positions = full searches, policy_dist = visits */
  char path[1024];
  snprintf(path, sizeof path, "%.500s/pcr-shard.npz", tmp);
  rocks_error_t err;
  CHECK(selfplay_write_shard(path, a.eps, a.n, NULL, &err) == ROCKS_OK, "write shard: %s", err.msg);
  ds_shard_t sh;
  if (ds_shard_load(path, &sh, &err) == ROCKS_OK) {
    CHECK(sh.n == full, "shard has %lld positions, %lld full searches", (long long)sh.n, (long long)full);
    CHECK(sh.policy_dist != NULL, "shard has policy_dist");
    /* row order: games in order, full positions in move order */
    int64_t row = 0, mism = 0;
    const int A = 7 * 7 + 1;
    for (int i = 0; i < a.n && sh.policy_dist; i++) {
      float *dense = selfplay_episode_dense(&a.eps[i]);
      for (int t = 0; t < a.eps[i].game.nmoves; t++) {
        if (!a.eps[i].full_search[t]) continue;
        if (row < sh.n && memcmp(sh.policy_dist + row * A, dense + (size_t)t * A, A * sizeof(float))) mism++;
        int winner = a.eps[i].game.winner, tp = a.eps[i].game.colors[t];
        float z = winner == COLOR_EMPTY ? 0.f : winner == tp ? 1.f : -1.f;
        if (row < sh.n && sh.z[row] != z) mism++;
        row++;
      }
      free(dense);
    }
    CHECK(mism == 0, "%lld shard rows differ from the episodes", (long long)mism);
    ds_shard_free(&sh);
  } else CHECK(0, "load shard: %s", err.msg);
  collect_free(&a);
}

/* ------------------------------------------------------------------------------ resign */
static void test_resign(void) {
  selfplay_config_t c = small_config();
  c.size = 5;
  c.visits = 4, c.fast_visits = 2, c.batch = 2, c.games_in_flight = 16;
  c.resign_threshold = -0.9;
  c.min_resign_move = 4;
  c.resign_disabled_frac = 0.1;
  c.max_moves = 20;
  collect_t a = {0};
  selfplay_stats_t st;
  run_games(&c, 400, black_lost_eval, NULL, &a, &st);
  int disabled = 0, resigned = 0, wrong = 0, fp = 0, would = 0;
  for (int i = 0; i < a.n; i++) {
    const replay_episode_t *e = &a.eps[i];
    int dis = (e->flags & REPLAY_EP_RESIGN_DISABLED) != 0, res = (e->flags & REPLAY_EP_RESIGNED) != 0;
    disabled += dis;
    resigned += res;
    if (dis && res) wrong++;
    if (res && (e->game.winner != COLOR_WHITE || e->game.nmoves < 4 || strcmp(e->game.result, "W+R"))) wrong++;
    if (!dis && !res) wrong++; /* black always wants to resign by move 4 */
    if (dis) {
      would++; /* black's root value is always below the threshold */
      fp += e->game.winner != COLOR_WHITE;
    }
  }
  printf("resign: %d games, %d resigned, %d resign-disabled, %d false positives\n", a.n, resigned, disabled, fp);
  CHECK(a.n == 400, "400 games (%d)", a.n);
  CHECK(disabled >= 22 && disabled <= 62, "resign-disabled games %d of 400 (want ~40)", disabled);
  CHECK(wrong == 0, "%d games break the resignation rules", wrong);
  CHECK(st.resigned == resigned && st.resign_disabled == disabled && st.would_resign == would && st.false_positives == fp,
        "stats: resigned %lld/%d disabled %lld/%d would %lld/%d fp %lld/%d", (long long)st.resigned, resigned,
        (long long)st.resign_disabled, disabled, (long long)st.would_resign, would, (long long)st.false_positives, fp);
  collect_free(&a);
}

/* ------------------------------------------------------------------------ episode files */
static void test_episode_files(const char *tmp) {
  selfplay_config_t c = small_config();
  collect_t a = {0};
  run_games(&c, 3, pure_eval, NULL, &a, NULL);
  char path[1024];
  snprintf(path, sizeof path, "%.500s/ep.npz", tmp);
  rocks_error_t err;
  for (int i = 0; i < a.n; i++) {
    snprintf(a.eps[i].worker_id, sizeof a.eps[i].worker_id, "w%d", i);
    CHECK(selfplay_episode_save(path, &a.eps[i], &err) == ROCKS_OK, "save: %s", err.msg);
    replay_episode_t b;
    CHECK(selfplay_episode_load(path, &b, &err) == ROCKS_OK, "load: %s", err.msg);
    CHECK(same_episode(&a.eps[i], &b) && b.game.id == a.eps[i].game.id && !strcmp(b.worker_id, a.eps[i].worker_id) &&
              !strcmp(b.model_id, a.eps[i].model_id) && b.game.komi == a.eps[i].game.komi &&
              !memcmp(b.root_value, a.eps[i].root_value, (size_t)b.game.nmoves * sizeof(float)),
          "episode %d round trip", i);
    selfplay_episode_free(&b);
  }
  /* truncated file: a clean error */
  FILE *f = fopen(path, "r+b");
  if (f) {
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    CHECK(ftruncate(fileno(f), n / 2) == 0, "truncate");
    fclose(f);
    replay_episode_t b;
    CHECK(selfplay_episode_load(path, &b, &err) != ROCKS_OK, "a truncated episode file is rejected");
  }
  collect_free(&a);
}

/* -------------------------------------------------------------------------------- spool */
typedef struct {
  int calls, fail_from, fail_to; /* calls in [fail_from, fail_to) fail: the service is down */
  int64_t ids[256];
  int n;
} fake_service_t;

static int fake_push(void *ctx, const replay_episode_t *ep, rocks_error_t *err) {
  fake_service_t *s = ctx;
  int k = s->calls++;
  if (k >= s->fail_from && k < s->fail_to) {
    rocks_fail(err, ROCKS_ERR_IO, "service down");
    return 1;
  }
  if (s->n < 256) s->ids[s->n++] = ep->game.id;
  return 0;
}

static int count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t L = strlen(de->d_name), S = strlen(suffix);
    n += L > S && !strcmp(de->d_name + L - S, suffix);
  }
  closedir(d);
  return n;
}

static void test_spool(const char *tmp) {
  char out[1024];
  snprintf(out, sizeof out, "%.500s/worker", tmp);
  selfplay_worker_config_t c = selfplay_worker_config_default();
  c.sp = small_config();
  c.sp.games_in_flight = 3;
  c.models = NULL;
  c.out = out;
  c.games = 12;
  c.shard_games = 5;
  c.poll_s = 0; /* retry the spool every round */
  c.blocks = 1, c.channels = 8;
  fake_service_t svc = {.fail_from = 2, .fail_to = 9};
  c.push = fake_push;
  c.push_ctx = &svc;
  rocks_error_t err;
  CHECK(selfplay_worker_run(&c, NULL, NULL, &err) == ROCKS_OK, "worker: %s", err.msg);
  printf("spool: %d push calls for 12 episodes (calls 2..8 failed)\n", svc.calls);
  CHECK(svc.n == 12, "the service got %d of 12 episodes", svc.n);
  int dup = 0;
  for (int i = 0; i < svc.n; i++)
    for (int j = 0; j < i; j++) dup += svc.ids[i] == svc.ids[j];
  CHECK(dup == 0, "%d episodes pushed twice", dup);
  CHECK(svc.calls > 12, "some pushes failed (%d calls)", svc.calls);
  char sp[1100];
  snprintf(sp, sizeof sp, "%s/spool", out);
  CHECK(count_files(sp, ".npz") == 0, "spool empty after the service came back");
  char sh[1100];
  snprintf(sh, sizeof sh, "%s/shards", out);
  CHECK(count_files(sh, ".npz") == 3, "3 shards (5+5+2 games), got %d", count_files(sh, ".npz"));
  /* a rerun continues: nothing more to do for 12 games */
  svc.n = 0;
  CHECK(selfplay_worker_run(&c, NULL, NULL, &err) == ROCKS_OK && svc.n == 0, "rerun of a finished worker adds nothing");
}

int main(int argc, char **argv) {
  char tmp[512];
  if (argc > 1) snprintf(tmp, sizeof tmp, "%.400s/test_selfplay.tmp", argv[1]);
  else snprintf(tmp, sizeof tmp, "/tmp/test_selfplay.%d", (int)getpid());
  rocks_error_t err;
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not clean %s\n", tmp);
  if (ds_mkdirs(tmp, &err) != ROCKS_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  test_step_api();
  test_determinism_and_batching();
  test_pcr(tmp);
  test_resign();
  test_episode_files(tmp);
  test_spool(tmp);
  if (failures) {
    fprintf(stderr, "test_selfplay: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_selfplay: all passed\n");
  return 0;
}
