/* test_gnugo_diff.c — differential test of the rules engine against GNU Go 3.8 over GTP.
 *
 * Mode 1 (default): rocks plays random legal games (rules chinese: no suicide; even games with
 * positional superko, odd games with simple ko) and sends every move to one GNU Go process
 * (`play`); GNU Go must accept each move, and after every move its `list_stones black/white`
 * must equal rocks' board. Some positions also get `is_legal` probes, compared where the rule
 * sets agree: a move rocks allows must be legal for GNU Go (positional superko forbids a subset
 * of what simple ko allows); a move rocks refuses as occupied, suicide or simple ko must be
 * illegal for GNU Go; under simple-ko games the two must agree on every probe. After every
 * single-stone capture the captured point is probed (the ko candidates).
 * Commands of a game are sent as one pipelined batch (poll() on both pipes, no deadlock) and the
 * answers compared afterwards.
 *
 * Mode 2 (--score): GNU Go plays itself (--level 1 --capture-all-dead --chinese-rules, komi
 * 7.5, a fresh process with its own --seed per game) after a few random opening moves by rocks;
 * every GNU Go move is replayed into rocks (rules chinese with simple ko, as GNU Go) and must be
 * legal; at two passes the final boards must agree and GNU Go's `final_score` must equal
 * board_score_string. Games reaching the move cap (300) are counted but not scored.
 *
 * Usage: test_gnugo_diff [--score] [--size N] [--games G] [--seed S] [--gnugo PATH] [--verbose]
 * Exits non-zero on any disagreement or error; deterministic for a given seed.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "go/board.h"

#define GTP_TIMEOUT_MS 120000

/* ------------------------------------------------------------------ growable text buffer */

typedef struct {
  char *s;
  size_t len, cap;
} buf_t;

static int buf_reserve(buf_t *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra + 1) cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s) return 0;
  b->s = s;
  b->cap = cap;
  return 1;
}

static int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int buf_printf(buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !buf_reserve(b, (size_t)n)) return 0;
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 1;
}

/* ------------------------------------------------------------------ the GNU Go process */

typedef struct {
  pid_t pid;
  int to_child;   /* its stdin (write end, non-blocking) */
  int from_child; /* its stdout (read end) */
  buf_t in;       /* bytes read and not yet consumed as answers */
  int verbose;
} gtp_t;

typedef struct {
  int ok;     /* '=' */
  char *text; /* answer text after "= " / "? ", without the trailing blank line (points into a buffer) */
} answer_t;

/* Starts argv[0] with pipes on stdin/stdout. Returns 0 on success. */
static int gtp_start(gtp_t *g, char *const argv[], int verbose) {
  int in[2], out[2];
  memset(g, 0, sizeof *g);
  g->pid = -1;
  g->verbose = verbose;
  if (pipe(in) != 0) return -1;
  if (pipe(out) != 0) {
    close(in[0]), close(in[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    if (!verbose) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, STDERR_FILENO);
    }
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  g->pid = pid;
  g->to_child = in[1];
  g->from_child = out[0];
  fcntl(g->to_child, F_SETFL, fcntl(g->to_child, F_GETFL) | O_NONBLOCK);
  fcntl(g->to_child, F_SETFD, FD_CLOEXEC);
  fcntl(g->from_child, F_SETFD, FD_CLOEXEC);
  return 0;
}

/* Counts the complete answers (each ends with a blank line, "\n\n") in g->in from *scan on;
 * advances *scan past them. */
static int count_answers(gtp_t *g, size_t *scan) {
  int n = 0;
  size_t i = *scan;
  while (i + 1 < g->in.len) {
    if (g->in.s[i] == '\n' && g->in.s[i + 1] == '\n') {
      n++;
      i += 2;
    } else {
      i++;
    }
  }
  *scan = i;
  return n;
}

/* Sends `cmds` (nans newline-terminated commands) and reads nans answers into ans[] (texts point
 * into g->in, valid until the next call). Writing and reading are interleaved with poll(), so a
 * batch of any size cannot deadlock on full pipes. Returns 0, or -1 with a message on stderr. */
static int gtp_exchange(gtp_t *g, const char *cmds, size_t len, int nans, answer_t *ans) {
  size_t written = 0, scan = 0;
  int got = 0;
  g->in.len = 0;
  while (written < len || got < nans) {
    struct pollfd fds[2];
    int nf = 0;
    fds[nf].fd = g->from_child, fds[nf].events = POLLIN, fds[nf].revents = 0, nf++;
    if (written < len) fds[nf].fd = g->to_child, fds[nf].events = POLLOUT, fds[nf].revents = 0, nf++;
    int r = poll(fds, (nfds_t)nf, GTP_TIMEOUT_MS);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      fprintf(stderr, "gnugo: %s\n", r == 0 ? "timed out" : strerror(errno));
      return -1;
    }
    if (nf > 1 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(g->to_child, cmds + written, len - written);
      if (w < 0 && errno != EAGAIN && errno != EINTR) {
        fprintf(stderr, "gnugo: write: %s\n", strerror(errno));
        return -1;
      }
      if (w > 0) written += (size_t)w;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!buf_reserve(&g->in, 65536)) {
        fprintf(stderr, "gnugo: out of memory\n");
        return -1;
      }
      ssize_t k = read(g->from_child, g->in.s + g->in.len, g->in.cap - g->in.len - 1);
      if (k < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (k <= 0) {
        fprintf(stderr, "gnugo: %s after %d of %d answers\n", k == 0 ? "exited" : strerror(errno), got, nans);
        return -1;
      }
      g->in.len += (size_t)k;
      g->in.s[g->in.len] = '\0';
      got += count_answers(g, &scan);
    }
  }
  if (got != nans || scan != g->in.len) {
    fprintf(stderr, "gnugo: expected %d answers, got %d (and %zu extra bytes)\n", nans, got, g->in.len - scan);
    return -1;
  }
  /* split the answers */
  char *p = g->in.s;
  for (int i = 0; i < nans; i++) {
    char *end = strstr(p, "\n\n");
    if (!end || (*p != '=' && *p != '?')) {
      fprintf(stderr, "gnugo: malformed answer %d: %.40s\n", i, p);
      return -1;
    }
    *end = '\0';
    ans[i].ok = *p == '=';
    char *t = p + 1;
    while (*t >= '0' && *t <= '9') t++; /* an id, if any */
    while (*t == ' ') t++;
    ans[i].text = t;
    p = end + 2;
  }
  return 0;
}

/* One command, one answer. Returns 0 and the answer, or -1. */
static int gtp_command(gtp_t *g, answer_t *ans, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int gtp_command(gtp_t *g, answer_t *ans, const char *fmt, ...) {
  char cmd[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(cmd, sizeof cmd - 1, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= (int)sizeof cmd - 1) return -1;
  cmd[n++] = '\n';
  cmd[n] = '\0';
  if (g->verbose > 1) fprintf(stderr, ">> %s", cmd);
  int r = gtp_exchange(g, cmd, (size_t)n, 1, ans);
  if (r == 0 && g->verbose > 1) fprintf(stderr, "<< %c %s\n", ans->ok ? '=' : '?', ans->text);
  return r;
}

/* Asks the child to quit, then waits; kills it if it does not exit within a few seconds. */
static void gtp_stop(gtp_t *g) {
  if (g->pid <= 0) return;
  static const char quit[] = "quit\n";
  if (write(g->to_child, quit, sizeof quit - 1) < 0) { /* it may be gone already */ }
  close(g->to_child);
  int status = 0;
  pid_t r = 0;
  for (int i = 0; i < 300 && (r = waitpid(g->pid, &status, WNOHANG)) == 0; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (r == 0) {
    kill(g->pid, SIGKILL);
    waitpid(g->pid, &status, 0);
  }
  close(g->from_child);
  free(g->in.s);
  g->pid = -1;
}

/* ------------------------------------------------------------------ helpers */

typedef struct {
  int score_mode, size, games, verbose;
  uint64_t seed;
  const char *gnugo;
} options_t;

static const char *color_name(int c) { return c == COLOR_BLACK ? "black" : "white"; }

/* Fills grid (y*N+x) from GNU Go's list_stones answers. Returns 0, or -1 for an unparsable vertex. */
static int parse_stones(const board_t *b, char *text, int color, uint8_t *grid) {
  for (char *save = NULL, *t = strtok_r(text, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
    int p;
    if (board_parse_vertex(b, t, &p, NULL) != ROCKS_OK || p == BOARD_PASS) return -1;
    grid[board_y(b, p) * b->size + board_x(b, p)] = (uint8_t)color;
  }
  return 0;
}

static void board_grid(const board_t *b, uint8_t *grid) {
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) grid[y * b->size + x] = b->color[board_point(b, x, y)];
}

static void print_grids(int n, const uint8_t *rocks, const uint8_t *gnugo) {
  printf("    rocks%*s  gnugo\n", 2 * n - 4, "");
  for (int y = 0; y < n; y++) {
    printf(" %2d ", n - y);
    for (int x = 0; x < n; x++) printf("%c ", ".XO"[rocks[y * n + x] % 3]);
    printf("   ");
    for (int x = 0; x < n; x++) {
      int d = rocks[y * n + x] != gnugo[y * n + x];
      printf("%c%c", ".XO"[gnugo[y * n + x] % 3], d ? '!' : ' ');
    }
    printf("\n");
  }
}

/* A random legal move for b->to_play: a pass with probability pass_p or when nothing else is legal. */
static int random_legal(const board_t *b, rocks_rng_t *rng, double pass_p) {
  int moves[BOARD_MAX_MOVES];
  int n = board_legal_moves(b, b->to_play, moves);
  if (n <= 1 || rocks_rng_double(rng) < pass_p) return BOARD_PASS;
  return moves[rocks_rng_below(rng, (uint32_t)(n - 1))];
}

/* ------------------------------------------------------------------ mode 1: random games */

typedef struct {
  int move_index; /* probe made before this move */
  int point, color, legal;
  const char *why;
} probe_t;

typedef struct {
  long games, moves, positions, disagreements, rejected, probes, probe_agree_checks, probe_disagreements;
  long probe_skipped;
} diff_stats_t;

/* Plays one random game in rocks, recording what to ask GNU Go, then checks all the answers.
 * Returns 0 if GNU Go agreed throughout, 1 on a disagreement, -1 on a process error. */
static int diff_game(gtp_t *g, const options_t *o, int game, board_t *b, diff_stats_t *st) {
  int n = o->size, nn = n * n, cap = 2 * nn;
  board_rules_t rules = board_rules_chinese();
  if (game % 2) rules.ko = BOARD_KO_SIMPLE;
  if (board_init(b, n, rules, 7.5f, NULL) != ROCKS_OK) return -1;
  rocks_rng_t rng;
  rocks_rng_seed(&rng, rocks_mix64(o->seed) ^ (uint64_t)game);

  static buf_t cmds;
  cmds.len = 0;
  int *moves = malloc(sizeof(int) * (size_t)cap);
  int *colors = malloc(sizeof(int) * (size_t)cap);
  uint8_t *snap = malloc((size_t)cap * (size_t)nn);
  probe_t *probes = malloc(sizeof(probe_t) * (size_t)cap * 3);
  answer_t *ans = malloc(sizeof(answer_t) * ((size_t)cap * 6 + 4));
  if (!moves || !colors || !snap || !probes || !ans) {
    free(moves), free(colors), free(snap), free(probes), free(ans);
    return -1;
  }
  int nmoves = 0, nprobes = 0, ncmds = 0, ko_probe = 0;
  buf_printf(&cmds, "clear_board\n");
  ncmds++;
  char v[8];
  for (; nmoves < cap && !board_game_over(b); nmoves++) {
    int color = b->to_play;
    /* a probe at the point of a single stone captured by the last move: the ko candidates */
    if (nmoves > 0 && moves[nmoves - 1] != BOARD_PASS && ko_probe) {
      probe_t *pr = &probes[nprobes++];
      pr->move_index = nmoves;
      pr->point = ko_probe;
      pr->color = color;
      pr->why = NULL;
      pr->legal = board_is_legal_why(b, color, ko_probe, &pr->why);
      board_vertex_string(b, ko_probe, v);
      buf_printf(&cmds, "is_legal %s %s\n", color_name(color), v);
      ncmds++;
    }
    /* legality probes in this position (before the move) */
    if (rocks_rng_double(&rng) < 0.3) {
      int cand[BOARD_MAX_SIZE * BOARD_MAX_SIZE], nc = 0;
      for (int i = 0; i < nn; i++) {
        int p = board_policy_point(b, i);
        const char *why = NULL;
        if (b->color[p] == COLOR_EMPTY && !board_is_legal_why(b, color, p, &why)) cand[nc++] = p;
      }
      int pts[2], np = 0;
      pts[np++] = board_policy_point(b, (int)rocks_rng_below(&rng, (uint32_t)nn));
      if (nc) pts[np++] = cand[rocks_rng_below(&rng, (uint32_t)nc)];
      for (int k = 0; k < np; k++) {
        probe_t *pr = &probes[nprobes++];
        pr->move_index = nmoves;
        pr->point = pts[k];
        pr->color = color;
        pr->why = NULL;
        pr->legal = board_is_legal_why(b, color, pts[k], &pr->why);
        board_vertex_string(b, pts[k], v);
        buf_printf(&cmds, "is_legal %s %s\n", color_name(color), v);
        ncmds++;
      }
    }
    int m = random_legal(b, &rng, 0.02);
    rocks_error_t err = {0};
    int caps_before = b->captures[color];
    if (board_play(b, color, m, &err) != ROCKS_OK) {
      printf("game %d move %d: rocks refused its own legal move: %s\n", game, nmoves + 1, err.msg);
      st->disagreements++;
      break;
    }
    moves[nmoves] = m;
    colors[nmoves] = color;
    board_grid(b, snap + (size_t)nmoves * (size_t)nn);
    ko_probe = 0;
    if (b->captures[color] == caps_before + 1) /* find the captured stone */
      for (int i = 0; i < nn; i++) {
        const uint8_t *prev = nmoves ? snap + (size_t)(nmoves - 1) * (size_t)nn : NULL;
        if (prev && prev[i] == board_other(color) && snap[(size_t)nmoves * (size_t)nn + (size_t)i] == COLOR_EMPTY)
          ko_probe = board_policy_point(b, i);
      }
    board_vertex_string(b, m, v);
    buf_printf(&cmds, "play %s %s\nlist_stones black\nlist_stones white\n", color_name(color), v);
    ncmds += 3;
  }
  if (!cmds.s || gtp_exchange(g, cmds.s, cmds.len, ncmds, ans) != 0) {
    free(moves), free(colors), free(snap), free(probes), free(ans);
    return -1;
  }
  /* walk the answers in the order the commands were sent */
  int a = 0, pi = 0, result = 0;
  if (!ans[a++].ok) {
    printf("game %d: clear_board refused\n", game);
    result = 1;
  }
  uint8_t grid[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
  for (int i = 0; i < nmoves && result == 0; i++) {
    for (; pi < nprobes && probes[pi].move_index == i; pi++) {
      probe_t *pr = &probes[pi];
      answer_t *an = &ans[a++];
      st->probes++;
      board_vertex_string(b, pr->point, v);
      if (!an->ok || (strcmp(an->text, "0") && strcmp(an->text, "1"))) {
        printf("game %d before move %d: is_legal %s %s: bad answer '%s'\n", game, i + 1, color_name(pr->color), v, an->text);
        st->probe_disagreements++;
        result = 1;
        continue;
      }
      int gl = an->text[0] == '1';
      /* compare only where the two rule sets agree */
      int comparable = pr->legal || rules.ko == BOARD_KO_SIMPLE ||
                       (pr->why && (!strcmp(pr->why, "occupied") || !strcmp(pr->why, "suicide") || !strcmp(pr->why, "ko")));
      if (!comparable) {
        st->probe_skipped++;
        continue;
      }
      st->probe_agree_checks++;
      if (gl != pr->legal) {
        printf("game %d before move %d: is_legal %s %s: rocks %d (%s), gnugo %d\n", game, i + 1, color_name(pr->color),
               v, pr->legal, pr->why ? pr->why : "legal", gl);
        st->probe_disagreements++;
        result = 1;
      }
    }
    answer_t *play = &ans[a++], *lb = &ans[a++], *lw = &ans[a++];
    st->moves++;
    board_vertex_string(b, moves[i], v);
    if (!play->ok) {
      printf("game %d move %d: gnugo refused play %s %s: %s\n", game, i + 1, color_name(colors[i]), v, play->text);
      st->rejected++;
      result = 1;
      break;
    }
    memset(grid, 0, sizeof grid);
    if (parse_stones(b, lb->text, COLOR_BLACK, grid) || parse_stones(b, lw->text, COLOR_WHITE, grid)) {
      printf("game %d move %d: cannot parse gnugo's list_stones\n", game, i + 1);
      result = 1;
      break;
    }
    st->positions++;
    const uint8_t *mine = snap + (size_t)i * (size_t)nn;
    if (memcmp(grid, mine, (size_t)nn) != 0) {
      printf("game %d (seed %llu, %s ko) move %d: %s %s: boards differ\n", game, (unsigned long long)o->seed,
             rules.ko == BOARD_KO_SIMPLE ? "simple" : "positional", i + 1, color_name(colors[i]), v);
      print_grids(n, mine, grid);
      st->disagreements++;
      result = 1;
      break;
    }
  }
  if (o->verbose)
    printf("game %d: %d moves, %d probes, %s\n", game, nmoves, nprobes, result ? "DISAGREEMENT" : "agree");
  free(moves), free(colors), free(snap), free(probes), free(ans);
  return result;
}

static int run_diff(const options_t *o) {
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
  char *argv[] = {(char *)o->gnugo, "--mode", "gtp", "--seed", seed, "--chinese-rules", NULL};
  gtp_t g;
  if (gtp_start(&g, argv, o->verbose) != 0) {
    printf("cannot start %s: %s\n", o->gnugo, strerror(errno));
    return 1;
  }
  answer_t ans;
  if (gtp_command(&g, &ans, "boardsize %d", o->size) != 0 || !ans.ok ||
      gtp_command(&g, &ans, "komi 7.5") != 0 || !ans.ok) {
    printf("gnugo did not accept boardsize %d\n", o->size);
    gtp_stop(&g);
    return 1;
  }
  board_t *b = malloc(sizeof *b);
  if (!b) return 1;
  diff_stats_t st = {0};
  int bad_games = 0, err = 0;
  double t0 = rocks_now();
  for (int game = 0; game < o->games; game++) {
    int r = diff_game(&g, o, game, b, &st);
    if (r < 0) {
      printf("game %d: GTP exchange failed\n", game);
      err = 1;
      break;
    }
    st.games++;
    bad_games += r;
  }
  gtp_stop(&g);
  free(b);
  printf("gnugo diff %dx%d seed %llu: %ld games, %ld moves, %ld positions compared, %ld disagreements, "
         "%ld moves refused by gnugo; %ld is_legal probes (%ld compared, %ld skipped as superko), %ld legality "
         "disagreements; %d games with a problem (%.1f s)\n",
         o->size, o->size, (unsigned long long)o->seed, st.games, st.moves, st.positions, st.disagreements, st.rejected,
         st.probes, st.probe_agree_checks, st.probe_skipped, st.probe_disagreements, bad_games, rocks_now() - t0);
  if (st.games == 0 || st.positions == 0) {
    printf("no positions were compared\n");
    return 1;
  }
  return err || bad_games ? 1 : 0;
}

/* ------------------------------------------------------------------ mode 2: scoring */

/* One GNU Go self-play game with a fresh process. Returns 0 agree, 1 disagreement, 2 unfinished,
 * -1 on a process error. */
static int score_game(const options_t *o, int game, board_t *b, long *moves_total) {
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)(o->seed * 100003u + (uint64_t)game));
  char *argv[] = {(char *)o->gnugo, "--mode", "gtp", "--seed", seed, "--level", "1", "--chinese-rules",
                  "--capture-all-dead", "--never-resign", NULL};
  gtp_t g;
  if (gtp_start(&g, argv, o->verbose) != 0) return -1;
  int result = 0;
  answer_t ans;
  board_rules_t rules = board_rules_chinese();
  rules.ko = BOARD_KO_SIMPLE; /* exactly GNU Go's rules */
  if (board_init(b, o->size, rules, 7.5f, NULL) != ROCKS_OK) result = -1;
  if (!result && (gtp_command(&g, &ans, "boardsize %d", o->size) || !ans.ok || gtp_command(&g, &ans, "clear_board") ||
                  !ans.ok || gtp_command(&g, &ans, "komi 7.5") || !ans.ok))
    result = -1;
  rocks_rng_t rng;
  rocks_rng_seed(&rng, rocks_mix64(o->seed + 7) ^ (uint64_t)game);
  int opening = game % 4, nm = 0;
  char v[8];
  while (result == 0 && !board_game_over(b) && nm < 300) {
    int color = b->to_play, m;
    if (nm < opening) {
      m = random_legal(b, &rng, 0);
      board_vertex_string(b, m, v);
      if (gtp_command(&g, &ans, "play %s %s", color_name(color), v)) { result = -1; break; }
      if (!ans.ok) {
        printf("score game %d move %d: gnugo refused opening move %s: %s\n", game, nm + 1, v, ans.text);
        result = 1;
        break;
      }
    } else {
      if (gtp_command(&g, &ans, "genmove %s", color_name(color))) { result = -1; break; }
      rocks_error_t err = {0};
      if (!ans.ok || board_parse_vertex(b, ans.text, &m, &err) != ROCKS_OK) {
        printf("score game %d move %d: bad genmove answer '%s' %s\n", game, nm + 1, ans.text, err.msg);
        result = 1;
        break;
      }
    }
    const char *why = NULL;
    if (!board_is_legal_why(b, color, m, &why) || board_play(b, color, m, NULL) != ROCKS_OK) {
      board_vertex_string(b, m, v);
      printf("score game %d move %d: rocks refuses gnugo's %s %s (%s)\n", game, nm + 1, color_name(color), v,
             why ? why : "?");
      result = 1;
      break;
    }
    nm++;
  }
  *moves_total += nm;
  if (result == 0 && !board_game_over(b)) result = 2;
  if (result == 0) {
    /* the boards must agree, then the scores */
    uint8_t grid[BOARD_MAX_SIZE * BOARD_MAX_SIZE], mine[BOARD_MAX_SIZE * BOARD_MAX_SIZE];
    memset(grid, 0, sizeof grid);
    board_grid(b, mine);
    char stones[2][8192];
    for (int c = COLOR_BLACK; c <= COLOR_WHITE && result == 0; c++) {
      if (gtp_command(&g, &ans, "list_stones %s", color_name(c)) || !ans.ok) { result = -1; break; }
      snprintf(stones[c - 1], sizeof stones[0], "%s", ans.text);
      if (parse_stones(b, stones[c - 1], c, grid)) result = 1;
    }
    if (result == 0 && memcmp(grid, mine, (size_t)(o->size * o->size)) != 0) {
      printf("score game %d: final boards differ\n", game);
      print_grids(o->size, mine, grid);
      result = 1;
    }
    if (result == 0) {
      if (gtp_command(&g, &ans, "final_score") || !ans.ok) {
        result = -1;
      } else {
        char s[32];
        board_score_string(b, s, sizeof s);
        if (strcmp(s, ans.text) != 0) {
          printf("score game %d (gnugo seed %s, %d moves): gnugo final_score %s, rocks %s\n", game, seed, nm, ans.text, s);
          print_grids(o->size, mine, grid);
          result = 1;
        } else if (o->verbose) {
          printf("score game %d: %d moves, %s agree\n", game, nm, s);
        }
      }
    }
  }
  gtp_stop(&g);
  return result;
}

static int run_score(const options_t *o) {
  board_t *b = malloc(sizeof *b);
  if (!b) return 1;
  int agree = 0, disagree = 0, unfinished = 0, errors = 0;
  long moves = 0;
  double t0 = rocks_now();
  for (int game = 0; game < o->games; game++) {
    int r = score_game(o, game, b, &moves);
    if (r == 0) agree++;
    else if (r == 1) disagree++;
    else if (r == 2) unfinished++;
    else {
      errors++;
      printf("score game %d: GTP exchange with gnugo failed\n", game);
    }
  }
  free(b);
  printf("gnugo score %dx%d seed %llu: %d games, %ld moves, %d scores agree, %d disagree, %d unfinished "
         "(move cap), %d errors (%.1f s)\n",
         o->size, o->size, (unsigned long long)o->seed, o->games, moves, agree, disagree, unfinished, errors,
         rocks_now() - t0);
  if (agree == 0) {
    printf("no game was scored\n");
    return 1;
  }
  return disagree || errors ? 1 : 0;
}

/* ------------------------------------------------------------------ main */

static int parse_args(int argc, char **argv, options_t *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    char *end = NULL;
    if (!strcmp(a, "--score")) o->score_mode = 1;
    else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) o->verbose++;
    else if (i + 1 < argc && !strcmp(a, "--size")) o->size = (int)strtol(argv[++i], &end, 10);
    else if (i + 1 < argc && !strcmp(a, "--games")) o->games = (int)strtol(argv[++i], &end, 10);
    else if (i + 1 < argc && !strcmp(a, "--seed")) o->seed = strtoull(argv[++i], &end, 10);
    else if (i + 1 < argc && !strcmp(a, "--gnugo")) o->gnugo = argv[++i];
    else return -1;
    if (end && *end) return -1;
  }
  if (o->size < BOARD_MIN_SIZE || o->size > BOARD_MAX_SIZE || o->games < 1) return -1;
  return 0;
}

int main(int argc, char **argv) {
  options_t o = {0, 9, 20, 0, 1, "/usr/games/gnugo"};
  if (parse_args(argc, argv, &o) != 0) {
    fprintf(stderr,
            "usage: %s [--score] [--size N(2..19)] [--games G] [--seed S] [--gnugo PATH] [--verbose]\n", argv[0]);
    return 2;
  }
  if (access(o.gnugo, X_OK) != 0) {
    printf("test_gnugo_diff: %s not found or not executable\n", o.gnugo);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN); /* a dead child shows up as EPIPE, not as our death */
  setvbuf(stdout, NULL, _IOLBF, 0);
  return o.score_mode ? run_score(&o) : run_diff(&o);
}
