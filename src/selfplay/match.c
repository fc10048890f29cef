/* match.c — evaluation games: network+MCTS, random and GNU Go players (selfplay.h). The GTP
 * process helpers follow src/data/gnugo.c's (kept local: one is a generator, this a referee). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mcts/mcts_go.h"
#include "selfplay/selfplay.h"

extern char **environ;

#define GTP_TIMEOUT_MS 60000

selfplay_match_config_t selfplay_match_config_default(void) {
  selfplay_match_config_t c = {.size = 9, .komi = 7.5f, .games = 10, .max_moves = 0, .open_moves = 4, .pass_rule = 1, .threads = 1, .seed = 1};
  return c;
}

/* ======================================================================== GTP process === */

typedef struct {
  pid_t pid;
  int to, from;
  char *buf;
  size_t len, cap;
} proc_t;

static rocks_status_t proc_start(proc_t *p, char *const argv[], rocks_error_t *err) {
  memset(p, 0, sizeof *p);
  p->pid = -1;
  int in[2], out[2];
  if (pipe(in) != 0) return rocks_fail(err, ROCKS_ERR_IO, "pipe: %s", strerror(errno));
  if (pipe(out) != 0) {
    close(in[0]), close(in[1]);
    return rocks_fail(err, ROCKS_ERR_IO, "pipe: %s", strerror(errno));
  }
  for (int k = 0; k < 2; k++) fcntl(in[k], F_SETFD, FD_CLOEXEC), fcntl(out[k], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP); /* own group: a terminal Ctrl-C reaches
                                                         * rocks only, which ends the match */
  posix_spawnattr_setpgroup(&at, 0);
  pid_t pid;
  int r = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (r != 0) {
    close(in[1]), close(out[0]);
    return rocks_fail(err, ROCKS_ERR_IO, "cannot start %s: %s", argv[0], strerror(r));
  }
  p->pid = pid, p->to = in[1], p->from = out[0];
  return ROCKS_OK;
}

/* One command; *answer points into p->buf. ROCKS_OK for '=', ROCKS_ERR_STATE for '?'. */
static rocks_status_t proc_cmd(proc_t *p, const char *cmd, char **answer, rocks_error_t *err) {
  char line[256];
  int n = snprintf(line, sizeof line, "%s\n", cmd);
  for (int off = 0; off < n;) {
    ssize_t w = write(p->to, line + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return rocks_fail(err, ROCKS_ERR_IO, "GNU Go: write '%s': %s", cmd, strerror(errno));
    off += (int)w;
  }
  p->len = 0;
  if (p->buf) p->buf[0] = 0;
  for (;;) {
    char *end = p->len >= 2 ? strstr(p->buf, "\n\n") : NULL;
    if (end) {
      *end = '\0';
      char *t = p->buf;
      while (*t == '\n' || *t == '\r') t++;
      if (*t != '=' && *t != '?') return rocks_fail(err, ROCKS_ERR_PARSE, "GNU Go: malformed answer to '%s'", cmd);
      int ok = *t == '=';
      t++;
      while (*t >= '0' && *t <= '9') t++;
      while (*t == ' ') t++;
      size_t l = strlen(t);
      while (l && (t[l - 1] == ' ' || t[l - 1] == '\n' || t[l - 1] == '\r')) t[--l] = '\0';
      *answer = t;
      return ok ? ROCKS_OK : rocks_fail(err, ROCKS_ERR_STATE, "GNU Go: '%s' failed: %s", cmd, t);
    }
    if (p->cap - p->len < 4096) {
      size_t cap = p->cap ? 2 * p->cap : 8192;
      char *nb = realloc(p->buf, cap);
      if (!nb) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      p->buf = nb, p->cap = cap;
    }
    struct pollfd fd = {.fd = p->from, .events = POLLIN};
    int r = poll(&fd, 1, GTP_TIMEOUT_MS);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return rocks_fail(err, ROCKS_ERR_IO, "GNU Go: no answer to '%s' within %d s", cmd, GTP_TIMEOUT_MS / 1000);
    ssize_t k = read(p->from, p->buf + p->len, p->cap - p->len - 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return rocks_fail(err, ROCKS_ERR_IO, "GNU Go exited while answering '%s'", cmd);
    p->len += (size_t)k;
    p->buf[p->len] = '\0';
  }
}

static void proc_stop(proc_t *p) {
  if (p->pid <= 0) return;
  static const char quit[] = "quit\n";
  if (write(p->to, quit, sizeof quit - 1) < 0) { /* already gone */
  }
  close(p->to);
  int status = 0;
  pid_t r = 0;
  for (int i = 0; i < 300 && (r = waitpid(p->pid, &status, WNOHANG)) == 0; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (r == 0) {
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
  }
  close(p->from);
  free(p->buf);
  p->buf = NULL;
  p->pid = -1;
}

/* ============================================================================== players === */

typedef struct {
  const selfplay_player_t *spec;
  goresnet_t *model;
  selfplay_nn_t *nn;
  mcts_t *mcts;
  rocks_rng_t rng;
  int sym[1024];
  proc_t gtp;
  mcts_go_t *go;
} player_t;

static int nn_eval_cb(void *ctx, const void *const *states, int n, float *priors, float *values) {
  player_t *p = ctx;
  for (int i = 0; i < n && i < 1024; i++) p->sym[i] = (int)rocks_rng_below(&p->rng, 8);
  rocks_error_t e;
  return selfplay_nn_eval(p->nn, (const board_t *const *)states, p->sym, n, priors, values, &e) == ROCKS_OK ? 0 : 1;
}

static void player_free(player_t *p) {
  if (p->gtp.pid > 0) proc_stop(&p->gtp);
  mcts_delete(p->mcts);
  mcts_go_delete(p->go);
  selfplay_nn_delete(p->nn);
  goresnet_delete(p->model);
}

static rocks_status_t player_init(player_t *p, const selfplay_player_t *spec, const selfplay_match_config_t *c,
                                  uint64_t seed, rocks_error_t *err) {
  memset(p, 0, sizeof *p);
  p->spec = spec;
  p->gtp.pid = -1;
  rocks_rng_seed(&p->rng, seed);
  rocks_status_t st;
  if (spec->kind == SELFPLAY_PLAYER_NN) {
    if (!spec->model || spec->visits < 1) return rocks_fail(err, ROCKS_ERR_ARG, "match: a network player needs a model and visits >= 1");
    if (!(p->model = nn_checkpoint_load_new(spec->model, err))) return err && err->code ? err->code : ROCKS_ERR_IO;
    feat_set_t fs = FEAT_AGZ;
    if (p->model->config.features[0] && feat_from_name(p->model->config.features, &fs, err) != ROCKS_OK) return ROCKS_ERR_ARG;
    if (p->model->config.size != c->size)
      return rocks_fail(err, ROCKS_ERR_ARG, "match: %s is a %dx%d network, the match is %dx%d", spec->model,
                        p->model->config.size, p->model->config.size, c->size, c->size);
    if (!(p->nn = selfplay_nn_new(p->model, fs, c->threads, err))) return err && err->code ? err->code : ROCKS_ERR_NOMEM;
    if (!(p->go = mcts_go_new(c->size, c->max_moves, seed, err))) return ROCKS_ERR_NOMEM;
    mcts_go_set_pass_rule(p->go, c->pass_rule);
    mcts_config_t mc = mcts_config_default();
    mc.batch_size = 8;
    mc.seed = seed;
    mc.max_nodes = 1 << 20;
    if (!(p->mcts = mcts_new(mcts_go_game(p->go), &mc, nn_eval_cb, p, err))) return ROCKS_ERR_NOMEM;
  } else if (spec->kind == SELFPLAY_PLAYER_GNUGO) {
    char level[16], size[16], komi[32], sd[32];
    snprintf(level, sizeof level, "%d", spec->level < 1 ? 1 : spec->level);
    snprintf(size, sizeof size, "%d", c->size);
    snprintf(komi, sizeof komi, "%g", (double)c->komi);
    snprintf(sd, sizeof sd, "%llu", (unsigned long long)(seed % 1000000007ull));
    const char *bin = spec->gnugo ? spec->gnugo : "/usr/games/gnugo";
    if (access(bin, X_OK) != 0) return rocks_fail(err, ROCKS_ERR_IO, "match: %s is not an executable (install gnugo)", bin);
    char *argv[] = {(char *)bin, "--mode", "gtp", "--level", level, "--chinese-rules", "--capture-all-dead",
                    "--boardsize", size, "--komi", komi, "--seed", sd, NULL};
    if ((st = proc_start(&p->gtp, argv, err)) != ROCKS_OK) return st;
  }
  return ROCKS_OK;
}

static const char *color_name(int c) { return c == COLOR_BLACK ? "black" : "white"; }

/* The player's move for b->to_play (a policy index; -1 = resign). */
static rocks_status_t player_move(player_t *p, const board_t *b, int ply, int open_moves, int *action, rocks_error_t *err) {
  const int NN = b->size * b->size;
  rocks_status_t st;
  switch (p->spec->kind) {
  case SELFPLAY_PLAYER_NN:
    mcts_clear(p->mcts);
    if ((st = mcts_set_root(p->mcts, b, err)) != ROCKS_OK) return st;
    mcts_clear(p->mcts);
    st = mcts_search(p->mcts, p->spec->visits, err);
    if (st != ROCKS_OK && st != ROCKS_ERR_NOMEM) return st;
    return mcts_select_action(p->mcts, ply < open_moves ? 1.0 : 0.0, action, err);
  case SELFPLAY_PLAYER_RANDOM: {
    int mv = board_random_move(b, b->to_play, &p->rng);
    if (!board_is_legal(b, b->to_play, mv)) mv = BOARD_PASS; /* the playout move ignores superko */
    *action = board_policy_index(b, mv);
    return ROCKS_OK;
  }
  case SELFPLAY_PLAYER_GNUGO: {
    char cmd[64], *ans;
    snprintf(cmd, sizeof cmd, "genmove %s", color_name(b->to_play));
    if ((st = proc_cmd(&p->gtp, cmd, &ans, err)) != ROCKS_OK) return st;
    if (!strcasecmp(ans, "resign")) {
      *action = -1;
      return ROCKS_OK;
    }
    int mv;
    if ((st = board_parse_vertex(b, ans, &mv, err)) != ROCKS_OK) return st;
    *action = board_policy_index(b, mv);
    return *action >= 0 && *action <= NN ? ROCKS_OK : rocks_fail(err, ROCKS_ERR_PARSE, "GNU Go: bad move '%s'", ans);
  }
  }
  return rocks_fail(err, ROCKS_ERR_ARG, "match: unknown player kind");
}

/* Tells a GTP player about a move the other side made (vertex text). */
static rocks_status_t player_observe(player_t *p, const board_t *b, int color, int action, rocks_error_t *err) {
  if (p->spec->kind != SELFPLAY_PLAYER_GNUGO) return ROCKS_OK;
  char v[8], cmd[64], *ans;
  board_vertex_string(b, board_policy_point(b, action), v);
  snprintf(cmd, sizeof cmd, "play %s %s", color_name(color), v);
  return proc_cmd(&p->gtp, cmd, &ans, err);
}

static rocks_status_t player_new_game(player_t *p, rocks_error_t *err) {
  if (p->spec->kind != SELFPLAY_PLAYER_GNUGO) return ROCKS_OK;
  char *ans;
  return proc_cmd(&p->gtp, "clear_board", &ans, err);
}

rocks_status_t selfplay_match(const selfplay_player_t *a, const selfplay_player_t *b, const selfplay_match_config_t *c,
                              selfplay_match_result_t *res, rocks_error_t *err) {
  memset(res, 0, sizeof *res);
  const int max_moves = c->max_moves > 0 ? c->max_moves : 2 * c->size * c->size;
  player_t pl[2];
  memset(pl, 0, sizeof pl);
  pl[0].gtp.pid = pl[1].gtp.pid = -1;
  board_t *bd = malloc(sizeof *bd);
  if (!bd) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  double t0 = rocks_now();
  rocks_status_t st = player_init(&pl[0], a, c, rocks_mix64(c->seed ^ 0xa1), err);
  if (st == ROCKS_OK) st = player_init(&pl[1], b, c, rocks_mix64(c->seed ^ 0xb2), err);
  for (int g = 0; g < c->games && st == ROCKS_OK && !(c->stop && *c->stop); g++) {
    const int a_black = g % 2 == 0;
    if ((st = board_init(bd, c->size, board_rules_chinese(), c->komi, err)) != ROCKS_OK) break; /* GNU Go forbids suicide */
    if ((st = player_new_game(&pl[0], err)) != ROCKS_OK || (st = player_new_game(&pl[1], err)) != ROCKS_OK) break;
    int resigned = 0; /* colour that resigned */
    for (int ply = 0; ply < max_moves && !board_game_over(bd); ply++) {
      const int color = bd->to_play;
      const int who = (color == COLOR_BLACK) == a_black ? 0 : 1;
      int action;
      if ((st = player_move(&pl[who], bd, ply, c->open_moves, &action, err)) != ROCKS_OK) break;
      if (action < 0) {
        resigned = color;
        break;
      }
      if (!board_is_legal(bd, color, board_policy_point(bd, action))) {
        if (pl[who].spec->kind != SELFPLAY_PLAYER_GNUGO) {
          st = rocks_fail(err, ROCKS_ERR_ILLEGAL, "match: illegal move %d by player %c", action, who ? 'b' : 'a');
          break;
        }
        resigned = color; /* GNU Go broke positional superko: it forfeits */
        break;
      }
      if ((st = board_play(bd, color, board_policy_point(bd, action), err)) != ROCKS_OK) break;
      if ((st = player_observe(&pl[1 - who], bd, color, action, err)) != ROCKS_OK) break;
      res->moves++;
    }
    if (st != ROCKS_OK) break;
    int winner;
    if (resigned) winner = board_other(resigned);
    else {
      double s = board_score(bd, NULL, NULL);
      winner = s > 0 ? COLOR_BLACK : s < 0 ? COLOR_WHITE : COLOR_EMPTY;
    }
    const int a_color = a_black ? COLOR_BLACK : COLOR_WHITE;
    res->games++;
    if (winner == COLOR_EMPTY) res->draws++;
    else if (winner == a_color) res->wins++;
    else res->losses++;
  }
  res->score = res->games ? (res->wins + 0.5 * res->draws) / res->games : 0;
  res->seconds = rocks_now() - t0;
  player_free(&pl[0]);
  player_free(&pl[1]);
  free(bd);
  return st;
}
