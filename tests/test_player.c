/* test_player.c — the network player: evaluator symmetries and softmax, the NN-backed genmove,
 * board-size refusal, time budgets, and the analysis commands through gtp_handle_line.
 *
 * The networks here are small random ones with perturbed BatchNorm statistics (large logits, so
 * that a wrong symmetry shows); playing strength is tested by tests/play/vs_random.py.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* pipe, fdopen, nanosleep */
#endif
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "data/ds.h"
#include "go/board.h"
#include "mcts/mcts.h"
#include "nn/nn.h"
#include "play/gtp.h"
#include "play/nneval.h"
#include "play/player.h"
#include "util/util.h"

#include "check.h"

static float urand(rocks_rng_t *r, float lo, float hi) { return lo + (hi - lo) * (float)rocks_rng_double(r); }

/* A random GoResNet with BN statistics that blow activations up (logits of several units). */
static goresnet_t *random_net(int size, const char *features, int blocks, int channels, uint64_t seed) {
  goresnet_config_t c = goresnet_config_default();
  feat_set_t fs;
  feat_from_name(features, &fs, NULL);
  c.size = size;
  c.planes = feat_planes(fs);
  c.blocks = blocks;
  c.channels = channels;
  c.base_channels = channels;
  snprintf(c.features, sizeof c.features, "%s", features);
  rocks_error_t err;
  goresnet_t *m = goresnet_new(&c, &err);
  CHECKF(m != NULL, "goresnet_new: %s", err.msg);
  if (!m) return NULL;
  goresnet_init(m, seed);
  rocks_rng_t r;
  rocks_rng_seed(&r, seed + 99);
  for (int i = 0; i < m->ntensors; i++) {
    nn_tensor_t *t = &m->tensors[i];
    float *d = goresnet_tensor_data(m, i);
    for (size_t j = 0; j < t->numel; j++) {
      if (t->role == NN_ROLE_BN_VAR) d[j] = urand(&r, 0.02f, 0.1f);
      else if (t->role == NN_ROLE_BN_MEAN) d[j] = urand(&r, -0.2f, 0.2f);
      else if (t->role == NN_ROLE_BN_BIAS) d[j] = urand(&r, -0.3f, 0.3f);
    }
  }
  return m;
}

static board_t *new_board(int size) {
  board_t *b = malloc(sizeof *b);
  board_init(b, size, board_rules_tromp_taylor(), 7.5f, NULL);
  return b;
}

/* Plays `n` random legal non-eye moves from the empty board into b, recording them. */
static int random_game(board_t *b, int n, rocks_rng_t *r, int *moves) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    int m = board_random_move(b, b->to_play, r);
    if (m != BOARD_PASS && !board_is_legal(b, b->to_play, m)) m = BOARD_PASS;
    if (board_play(b, b->to_play, m, NULL) != ROCKS_OK) break;
    moves[k++] = m;
  }
  return k;
}

/* (d) The policy of a position evaluated under symmetry s equals the identity-symmetry policy of
 * the transformed position mapped back, and the values agree, within 1e-4. */
static void test_symmetries(int size, const char *features) {
  goresnet_t *m = random_net(size, features, 2, 16, 7);
  if (!m) return;
  rocks_error_t err;
  nneval_config_t ec = nneval_config_default();
  ec.symmetry = 0;
  nneval_t *e = nneval_new_from_model(m, &ec, &err);
  CHECKF(e != NULL, "nneval_new_from_model: %s", err.msg);
  goresnet_delete(m);
  if (!e) return;
  const int N = size, A = N * N + 1;
  float *p = malloc(sizeof(float) * A * 2), *q = malloc(sizeof(float) * A), *p0 = malloc(sizeof(float) * A);
  board_t *b = new_board(size), *t = new_board(size);
  rocks_rng_t r;
  rocks_rng_seed(&r, 11);
  double worst = 0, sensitivity = 0;
  int moves[400];
  for (int pos = 0; pos < 6; pos++) {
    board_clear(b);
    const int n = random_game(b, 4 + pos * (N * N / 8), &r, moves);
    float v0;
    const board_t *one[1] = {b};
    nneval_set_symmetry(e, 0);
    CHECKF(nneval_eval(e, one, 1, p0, &v0, &err) == ROCKS_OK, "%s", err.msg);
    /* softmax over the legal moves: sums to 1, exactly 0 on illegal moves */
    double sum = 0;
    int illegal_nonzero = 0;
    for (int a = 0; a < A; a++) {
      sum += p0[a];
      if (!board_is_legal(b, b->to_play, board_policy_point(b, a)) && p0[a] != 0) illegal_nonzero++;
    }
    CHECKF(fabs(sum - 1) < 1e-5, "%s %dx%d: priors sum to %.7f", features, N, N, sum);
    CHECKF(illegal_nonzero == 0, "%d illegal moves have a prior", illegal_nonzero);
    CHECKF(v0 >= -1 && v0 <= 1, "value %f", v0);
    for (int s = 0; s < 8; s++) {
      float v, vt;
      nneval_set_symmetry(e, s);
      CHECKF(nneval_eval(e, one, 1, p, &v, &err) == ROCKS_OK, "%s", err.msg);
      /* the transformed game, played move by move (history planes transform too) */
      board_clear(t);
      for (int i = 0; i < n; i++) {
        int mv = board_policy_point(t, ds_sym_point(N, s, board_policy_index(b, moves[i])));
        CHECKF(board_play(t, t->to_play, mv, NULL) == ROCKS_OK, "transformed move %d", i);
      }
      const board_t *tt[1] = {t};
      nneval_set_symmetry(e, 0);
      CHECKF(nneval_eval(e, tt, 1, q, &vt, &err) == ROCKS_OK, "%s", err.msg);
      for (int a = 0; a < A; a++) {
        double d = fabs((double)p[a] - q[ds_sym_point(N, s, a)]);
        if (d > worst) worst = d;
        d = fabs((double)p[a] - p0[a]);
        if (d > sensitivity) sensitivity = d;
      }
      double dv = fabs((double)v - vt);
      if (dv > worst) worst = dv;
    }
    /* a batch of two evaluates each position as alone */
    const board_t *two[2] = {b, t};
    nneval_set_symmetry(e, 0);
    CHECKF(nneval_eval(e, two, 2, p, NULL, &err) == ROCKS_OK, "%s", err.msg);
    for (int a = 0; a < A; a++) CHECKF(fabs(p[a] - p0[a]) < 1e-4, "batch of 2 differs at %d", a);
  }
  printf("  symmetries %s %dx%d: max |policy/value difference| %.2e (symmetry changes the policy by up to %.3f)\n",
         features, N, N, worst, sensitivity);
  CHECKF(worst <= 1e-4, "%s %dx%d: symmetric evaluation differs by %.2e", features, N, N, worst);
  CHECKF(sensitivity > 1e-2, "the net is too symmetric to test symmetries (%.2e)", sensitivity);
  /* random mode: deterministic given the seed */
  free(p);
  free(q);
  free(p0);
  free(b);
  free(t);
  nneval_delete(e);
}

/* Random symmetries come from the evaluator's seeded stream: same seed, same outputs. */
static void test_random_symmetry_seeded(void) {
  goresnet_t *m = random_net(9, "agz", 1, 8, 3);
  if (!m) return;
  rocks_error_t err;
  nneval_t *e1 = nneval_new_from_model(m, NULL, &err), *e2 = nneval_new_from_model(m, NULL, &err);
  goresnet_delete(m);
  CHECKF(e1 && e2, "nneval_new_from_model: %s", err.msg);
  if (!e1 || !e2) return;
  board_t *b = new_board(9);
  rocks_rng_t r;
  rocks_rng_seed(&r, 5);
  int moves[64];
  random_game(b, 12, &r, moves);
  const board_t *one[1] = {b};
  float p1[82], p2[82], v1, v2;
  int same = 1, varied = 0;
  float first[82];
  for (int i = 0; i < 16; i++) {
    nneval_eval(e1, one, 1, p1, &v1, &err);
    nneval_eval(e2, one, 1, p2, &v2, &err);
    same &= !memcmp(p1, p2, sizeof p1) && v1 == v2;
    if (i == 0) memcpy(first, p1, sizeof p1);
    else varied |= memcmp(first, p1, sizeof p1) != 0;
  }
  CHECKF(same, "two evaluators with the same seed differ");
  CHECKF(varied, "16 random-symmetry evaluations were all identical");
  CHECKF(nneval_positions(e1) == 16 && nneval_forwards(e1) == 16, "counters %lld %lld",
        (long long)nneval_positions(e1), (long long)nneval_forwards(e1));
  /* a board of another size is refused with a message */
  board_t *small = new_board(7);
  const board_t *bad[1] = {small};
  CHECKF(nneval_eval(e1, bad, 1, p1, &v1, &err) == ROCKS_ERR_ARG && strstr(err.msg, "9x9"), "size check: %s", err.msg);
  free(small);
  free(b);
  nneval_delete(e1);
  nneval_delete(e2);
}

/* The NN player: legal moves, visit target, batched evaluation, tree reuse, size refusal. */
static void test_nn_player(void) {
  goresnet_t *m = random_net(9, "agz", 1, 16, 5);
  if (!m) return;
  rocks_error_t err;
  nneval_t *net = nneval_new_from_model(m, NULL, &err);
  goresnet_delete(m);
  if (!net) return;
  player_config_t pc = player_config_default();
  pc.eval = PLAYER_EVAL_NN;
  CHECKF(player_new(&pc, &err) == NULL && strstr(err.msg, "network"), "NN player without a net: %s", err.msg);
  pc.net = net;
  pc.visits = 96;
  pc.mcts.batch_size = 8;
  player_t *p = player_new(&pc, &err);
  CHECKF(p != NULL, "player_new: %s", err.msg);
  if (!p) return;
  board_t *b = new_board(9);
  rocks_rng_t rng;
  rocks_rng_seed(&rng, 1);
  for (int i = 0; i < 6; i++) {
    const int color = b->to_play;
    int mv = player_genmove(p, b, color, 0, &rng);
    CHECKF(mv != BOARD_RESIGN && (mv == BOARD_PASS || board_is_legal(b, color, mv)), "genmove %d legal", i);
    player_stats_t s;
    player_last_stats(p, &s);
    CHECKF(s.visits >= 96 && s.npv >= 1 && s.pv[0] == mv, "stats: %d visits, pv %d", s.visits, s.npv);
    CHECKF(board_play(b, color, mv, NULL) == ROCKS_OK, "play");
  }
  mcts_stats_t st;
  mcts_get_stats(player_mcts(p), &st);
  CHECKF(st.evaluations > st.batches, "batched: %lld evaluations in %lld batches", (long long)st.evaluations,
        (long long)st.batches);
  CHECKF(st.simulations < 6 * 96, "tree reuse: %lld simulations for 6 moves of 96 visits", (long long)st.simulations);
  /* another size: pass, with the reason */
  board_t *small = new_board(7);
  CHECKF(player_genmove(p, small, COLOR_BLACK, 0, &rng) == BOARD_PASS, "7x7 with a 9x9 network passes");
  CHECKF(player_last_error(p)->code == ROCKS_ERR_ARG && strstr(player_last_error(p)->msg, "plays 9x9"), "error: %s",
        player_last_error(p)->msg);
  /* back on 9x9 it plays again */
  int mv = player_genmove(p, b, b->to_play, 0, &rng);
  CHECKF(mv != BOARD_RESIGN && (mv == BOARD_PASS || board_is_legal(b, b->to_play, mv)), "9x9 again");
  /* the analysis hook: candidates by visits, pv starting with the move, values in range */
  gtp_analyzer_t an = player_analyzer(p);
  CHECKF(an.begin(an.ctx, b, b->to_play, &err) == ROCKS_OK, "begin: %s", err.msg);
  for (int i = 0; i < 20; i++) an.step(an.ctx);
  gtp_candidate_t c[BOARD_MAX_MOVES];
  int n = an.candidates(an.ctx, c, BOARD_MAX_MOVES, 0);
  CHECKF(n >= 2, "%d candidates", n);
  for (int i = 0; i < n; i++) {
    CHECKF(c[i].visits > 0 && c[i].npv >= 1 && c[i].pv[0] == c[i].move, "candidate %d", i);
    CHECKF(c[i].winrate >= 0 && c[i].winrate <= 1 && c[i].lcb >= 0 && c[i].lcb <= c[i].winrate && c[i].prior > 0 &&
              c[i].prior <= 1,
          "candidate %d values", i);
    if (i) CHECKF(c[i].visits <= c[i - 1].visits, "order by visits at %d", i);
  }
  int n2 = an.candidates(an.ctx, c, 3, 0);
  CHECKF(n2 == (n < 3 ? n : 3), "max 3: %d", n2);
  int n3 = an.candidates(an.ctx, c, BOARD_MAX_MOVES, 60);
  CHECKF(n3 >= 60 && c[n3 - 1].visits == 0, "min 60: %d", n3);
  player_delete(p);
  /* resignation: a threshold every position is below, from move 0 or from move 50 */
  pc.mcts.resign_threshold = 0.999;
  pc.min_resign_moves = 0;
  p = player_new(&pc, &err);
  CHECKF(player_genmove(p, b, b->to_play, 0, &rng) == BOARD_RESIGN, "resigns below the threshold");
  player_delete(p);
  pc.min_resign_moves = 50;
  p = player_new(&pc, &err);
  CHECKF(player_genmove(p, b, b->to_play, 0, &rng) != BOARD_RESIGN, "no resignation before move 50");
  player_delete(p);
  free(small);
  free(b);
  nneval_delete(net);
}

/* ---- GTP: size refusal, clocks, analysis through gtp_handle_line ---- */

static char *send(gtp_engine_t *e, const char *line) {
  bool quit;
  return gtp_handle_line(e, line, &quit);
}

static void expect(gtp_engine_t *e, const char *line, const char *want) {
  char *got = send(e, line);
  CHECKF(got && !strcmp(got, want), "'%s' answered '%s', want '%s'", line, got ? got : "(null)", want);
  free(got);
}

static double seen_budget;
static int budget_hook(void *ctx, const board_t *b, int color, double seconds, rocks_rng_t *rng) {
  (void)ctx, (void)b, (void)color, (void)rng;
  seen_budget = seconds;
  return BOARD_PASS;
}

static void test_gtp_size_and_clock(void) {
  rocks_error_t err;
  gtp_config_t cfg = gtp_config_default();
  cfg.only_size = 9;
  CHECKF(gtp_new(&cfg, &err) == NULL && strstr(err.msg, "9x9"), "19x19 with only 9x9: %s", err.msg);
  cfg.size = 9;
  gtp_engine_t *e = gtp_new(&cfg, &err);
  CHECKF(e != NULL, "gtp_new: %s", err.msg);
  if (!e) return;
  expect(e, "boardsize 19", "? unacceptable size\n\n");
  expect(e, "boardsize 9", "= \n\n");
  expect(e, "loadsgf tests/sgf/captures.sgf", "? cannot load file\n\n"); /* 5x5 */
  expect(e, "loadsgf tests/sgf/handicap.sgf", "= \n\n");                  /* 9x9 */
  gtp_set_genmove(e, budget_hook, NULL);
  expect(e, "clear_board", "= \n\n");
  /* main time: left / max(empty/2, 10) - lag = 5 / 40 - 0.05 on the empty 9x9 board */
  expect(e, "time_settings 5 0 0", "= \n\n");
  expect(e, "genmove b", "= pass\n\n");
  CHECKF(fabs(seen_budget - (5.0 / 40 - 0.05)) < 1e-9, "main-time budget %.6f", seen_budget);
  /* byo-yomi only: the period over its stones */
  expect(e, "clear_board", "= \n\n");
  expect(e, "time_settings 0 10 2", "= \n\n");
  expect(e, "genmove b", "= pass\n\n");
  CHECKF(fabs(seen_budget - (10.0 / 2 - 0.05)) < 1e-9, "byo-yomi budget %.6f", seen_budget);
  /* the controller's time_left wins */
  expect(e, "time_left w 3 1", "= \n\n");
  expect(e, "genmove w", "= pass\n\n");
  CHECKF(fabs(seen_budget - 2.95) < 1e-9, "time_left budget %.6f", seen_budget);
  /* almost nothing left: the floor */
  expect(e, "time_settings 0.01 0 0", "= \n\n");
  expect(e, "genmove b", "= pass\n\n");
  CHECKF(seen_budget > 0 && seen_budget <= 0.001, "floor budget %.6f", seen_budget);
  expect(e, "time_settings 0 1 0", "= \n\n"); /* no time limit */
  expect(e, "genmove b", "= pass\n\n");
  CHECKF(seen_budget == 0, "no limit: %.6f", seen_budget);
  gtp_delete(e);
}

/* The player keeps to a time budget even with an unreachable visit target. */
static void test_player_time(void) {
  rocks_error_t err;
  player_config_t pc = player_config_default();
  pc.visits = 100000000;
  player_t *p = player_new(&pc, &err);
  board_t *b = new_board(9);
  rocks_rng_t rng;
  rocks_rng_seed(&rng, 1);
  const double budgets[3] = {0.2, 0.05, 0.001};
  for (int i = 0; i < 3; i++) {
    const double t0 = rocks_now();
    int mv = player_genmove(p, b, b->to_play, budgets[i], &rng);
    const double dt = rocks_now() - t0;
    player_stats_t s;
    player_last_stats(p, &s);
    printf("  budget %.3f s: %.3f s, %d simulations\n", budgets[i], dt, s.simulations);
    CHECKF(dt < budgets[i] + 0.25, "budget %.3f s took %.3f s", budgets[i], dt);
    CHECKF(mv != BOARD_RESIGN && board_play(b, b->to_play, mv, NULL) == ROCKS_OK, "legal");
  }
  player_delete(p);
  free(b);
}

static void test_gtp_analysis(void) {
  rocks_error_t err;
  gtp_config_t cfg = gtp_config_default();
  cfg.size = 9;
  gtp_engine_t *e = gtp_new(&cfg, &err);
  /* without an analyzer the commands do not exist */
  expect(e, "lz-analyze 10", "? unknown command\n\n");
  expect(e, "known_command kata-analyze", "= false\n\n");
  player_config_t pc = player_config_default();
  pc.visits = 50;
  player_t *p = player_new(&pc, &err);
  gtp_analyzer_t an = player_analyzer(p);
  gtp_set_analyzer(e, &an);
  expect(e, "known_command kata-analyze", "= true\n\n");
  char *l = send(e, "list_commands");
  CHECKF(l && strstr(l, "\nlz-analyze\n") && strstr(l, "\nkata-analyze\n") && strstr(l, "\nlz-genmove_analyze\n") &&
            strstr(l, "kata-genmove_analyze"),
        "list_commands: %s", l ? l : "(null)");
  free(l);
  /* streaming starts with "=id\n"; the next line closes it with the empty line */
  expect(e, "7 lz-analyze b 10", "=7\n");
  CHECKF(gtp_analysis_pending(e), "pending");
  expect(e, "name", "\n= rocks\n\n");
  CHECKF(!gtp_analysis_pending(e), "ended");
  expect(e, "kata-analyze interval 5 maxmoves 3 minmoves 1 ownership true", "=\n");
  expect(e, "", "\n"); /* an empty line ends it too, and answers nothing else */
  expect(e, "lz-analyze b 10 bogus 3", "? syntax error\n\n");
  expect(e, "lz-analyze b 10 interval", "? syntax error\n\n");
  expect(e, "kata-analyze -5", "? syntax error\n\n");
  /* genmove_analyze without gtp_run: the search completes when the next line comes */
  expect(e, "lz-genmove_analyze b 10", "=\n");
  char *r = send(e, "list_stones b");
  const char *rs = r ? r : "(null)";
  CHECKF(r && !strncmp(r, "play ", 5) && strstr(r, "\n\n= "), "genmove_analyze ends: '%s'", rs);
  CHECKF(r && gtp_board(e)->stones[COLOR_BLACK] == 1 && strstr(r, "\n\n= ") && strlen(strstr(r, "\n\n= ")) > 6,
        "the move was played: '%s'", rs);
  free(r);
  gtp_delete(e);
  player_delete(p);
}

/* ---- gtp_run with the search thread: a pipe feeds commands with pauses ---- */

typedef struct {
  int fd;
  const char *const *lines; /* NULL-terminated; "" entries are 150 ms pauses */
} feeder_t;

static void *feed(void *arg) {
  feeder_t *f = arg;
  for (const char *const *l = f->lines; *l; l++) {
    if (!**l) {
      struct timespec ts = {0, 150 * 1000000L};
      nanosleep(&ts, NULL);
      continue;
    }
    if (write(f->fd, *l, strlen(*l)) < 0) break;
  }
  close(f->fd);
  return NULL;
}

static void test_gtp_run_analysis(void) {
  goresnet_t *m = random_net(9, "agz", 1, 8, 9);
  if (!m) return;
  rocks_error_t err;
  nneval_t *net = nneval_new_from_model(m, NULL, &err);
  goresnet_delete(m);
  player_config_t pc = player_config_default();
  pc.eval = PLAYER_EVAL_NN;
  pc.net = net;
  pc.visits = 64;
  pc.mcts.batch_size = 8;
  pc.mcts.max_nodes = 20000; /* the pool fills during the pause: the thread then just waits */
  player_t *p = player_new(&pc, &err);
  gtp_config_t cfg = gtp_config_default();
  cfg.size = 9;
  gtp_engine_t *e = gtp_new(&cfg, &err);
  gtp_set_genmove(e, player_genmove, p);
  gtp_analyzer_t an = player_analyzer(p);
  gtp_set_analyzer(e, &an);
  static const char *const lines[] = {"play b E5\n", "lz-analyze w 2\n", "", "", "name\n",
                                      "kata-analyze 3 maxmoves 2\n", "", "\n",
                                      "lz-genmove_analyze w 1\n", "showboard\n", "kata-analyze 1\n", NULL};
  int fds[2];
  CHECKF(pipe(fds) == 0, "pipe");
  feeder_t f = {fds[1], lines};
  pthread_t t;
  pthread_create(&t, NULL, feed, &f);
  FILE *in = fdopen(fds[0], "r"), *out = tmpfile();
  CHECKF(gtp_run(e, in, out, &err) == ROCKS_OK, "gtp_run: %s", err.msg);
  pthread_join(t, NULL);
  fclose(in);
  long n = ftell(out);
  char *text = calloc(1, (size_t)n + 1);
  rewind(out);
  CHECKF(fread(text, 1, (size_t)n, out) == (size_t)n, "read back");
  fclose(out);
  /* expected shape: "= \n\n" "=\n" info... "\n" "= rocks\n\n" "=\n" info... "\n" "=\n" info... "play X\n\n"
   * "= board..." "=\n" (EOF) "\n" */
  const char *a = strstr(text, "= \n\n=\ninfo move ");
  const char *b = a ? strstr(a, "\n\n= rocks\n\n=\ninfo move ") : NULL;
  const char *c = b ? strstr(b + 12, "\n\n=\ninfo move ") : NULL;
  const char *d = c ? strstr(c, "\nplay ") : NULL;
  CHECKF(a && b && c && d, "gtp_run analysis stream:\n%.600s", text);
  if (b) {
    /* kata lines carry at most 2 candidates */
    const char *k = b + 15, *end = c ? c : k;
    int lines_ok = 1;
    for (const char *l = k; l && l < end; l = strchr(l + 1, '\n')) {
      const char *ln = *l == '\n' ? l + 1 : l;
      if (strncmp(ln, "info move ", 10)) continue;
      int cnt = 0;
      for (const char *q = ln; (q = strstr(q, "info move ")) && q < strchr(ln, '\n'); q++) cnt++;
      lines_ok &= cnt <= 2 && strstr(ln, " utility ") != NULL;
    }
    CHECKF(lines_ok, "kata-analyze maxmoves 2 lines");
  }
  CHECKF(n >= 2 && text[n - 1] == '\n' && text[n - 2] == '\n', "the stream ends with an empty line");
  CHECKF(gtp_board(e)->stones[COLOR_WHITE] + (strstr(text, "play pass") != NULL) == 1, "genmove_analyze played");
  free(text);
  gtp_delete(e);
  player_delete(p);
  nneval_delete(net);
}

int main(void) {
  test_symmetries(9, "agz");
  test_symmetries(7, "rich");
  test_random_symmetry_seeded();
  test_nn_player();
  test_gtp_size_and_clock();
  test_player_time();
  test_gtp_analysis();
  test_gtp_run_analysis();
  return check_report("test_player");
}
