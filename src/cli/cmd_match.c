/* cmd_match.c — `rocks match` (a referee for any two GTP engines) and `rocks eval` (a checkpoint
 * against GNU Go level 10, the evaluation protocol). Library: src/play/match.h; docs/match.md.
 */
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "go/board.h"
#include "play/match.h"

typedef struct {
  int quiet, tty;
} progress_ctx_t;

static void fmt_elo_(double v, char *out, size_t len) {
  if (isinf(v)) snprintf(out, len, "%sinf", v < 0 ? "-" : "+");
  else snprintf(out, len, "%+.0f", round(v) + 0.0); /* + 0.0: no "-0" */
}

static void progress_(const match_progress_t *p, void *arg) {
  const progress_ctx_t *pc = arg;
  if (pc->quiet) return;
  if (!p->last && pc->tty == 0 && p->resumed == 0) return;
  const int width = 24;
  int fill = p->total ? p->done * width / p->total : width;
  char bar[64];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '-';
  bar[width] = '\0';
  char eta[32] = "?";
  int left = p->total - p->done;
  if (p->played > 0) cli_fmt_secs(p->elapsed / p->played * left, eta, sizeof eta);
  else if (left == 0) snprintf(eta, sizeof eta, "0s");
  char last[200] = "";
  if (p->last)
    snprintf(last, sizeof last, "  game %d %s (%s)", p->last->game, p->last->result, match_reason_name(p->last->reason));
  fprintf(stderr, "%s[%s] %d/%d games  engine %.1f/%d (%.0f%%)  ETA %s%s%s", pc->tty ? "\r" : "", bar, p->done,
          p->total, p->stats.wins, p->stats.games, 100 * p->stats.winrate, eta, last, pc->tty ? "\033[K" : "\n");
  fflush(stderr);
}

static void print_summary_(const match_config_t *c, const match_row_t *rows, int n) {
  match_stats_t s;
  match_stats_compute(rows, n, &s);
  char elo[16], lo[16], hi[16];
  fmt_elo_(s.elo, elo, sizeof elo);
  fmt_elo_(s.elo_lo, lo, sizeof lo);
  fmt_elo_(s.elo_hi, hi, sizeof hi);
  printf("engine    %s\nopponent  %s\n", c->engine, c->opponent);
  printf("games     %d of %d (engine black %d, white %d), %dx%d, komi %g, %s rules%s\n", s.games, c->games,
         s.engine_black_games, s.engine_white_games, c->size, c->size, (double)c->komi, board_rules_name(c->rules),
         c->max_moves ? ", adjudicated at the move cap" : "");
  printf("engine    %.1f wins: win rate %.1f%% [%.1f%%, %.1f%%] (95%% Wilson), Elo %s [%s, %s]\n", s.wins,
         100 * s.winrate, 100 * s.lo, 100 * s.hi, elo, lo, hi);
  printf("by colour engine black %.1f/%d, engine white %.1f/%d\n", s.engine_black_wins, s.engine_black_games,
         s.engine_white_wins, s.engine_white_games);
  printf("ends     ");
  for (int i = 0; i < MATCH_REASON_COUNT; i++)
    if (s.reasons[i]) printf(" %s %d", match_reason_name(i), s.reasons[i]);
  printf("; mean %.1f moves\n", s.mean_moves);
  printf("results   %s/results.csv, %s/summary.json, SGF in %s/games/\n", c->out, c->out, c->out);
}

/* Parses the flags common to match and eval; returns 1 if argv[*i] was one of them. */
static int common_flag_(match_config_t *c, progress_ctx_t *pc, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  rocks_error_t err = {0};
  if (!strcmp(a, "--out")) c->out = flag_value(argc, argv, i);
  else if (!strcmp(a, "--games")) c->games = (int)parse_long(a, flag_value(argc, argv, i), 1, 1000000);
  else if (!strcmp(a, "--max-moves")) c->max_moves = (int)parse_long(a, flag_value(argc, argv, i), 0, 4000);
  else if (!strcmp(a, "--komi")) c->komi = (float)parse_double(a, flag_value(argc, argv, i), -1000, 1000);
  else if (!strcmp(a, "--size")) c->size = (int)parse_long(a, flag_value(argc, argv, i), BOARD_MIN_SIZE, BOARD_MAX_SIZE);
  else if (!strcmp(a, "--jobs")) c->jobs = (int)parse_long(a, flag_value(argc, argv, i), 1, 256);
  else if (!strcmp(a, "--move-timeout")) c->move_timeout = parse_double(a, flag_value(argc, argv, i), 0.001, 1e6);
  else if (!strcmp(a, "--seed")) c->seed = (uint64_t)parse_long(a, flag_value(argc, argv, i), 0, 0x7fffffffffffffffL);
  else if (!strcmp(a, "--final-score")) c->final_score = 1;
  else if (!strcmp(a, "--quiet")) pc->quiet = 1;
  else if (!strcmp(a, "--rules")) {
    const char *v = flag_value(argc, argv, i);
    if (board_rules_from_name(&c->rules, v, &err) != ROCKS_OK) die_usage("--rules: %s", err.msg);
  } else return 0;
  return 1;
}

static int run_(const char *cmd, match_config_t *c, progress_ctx_t *pc) {
  signal(SIGPIPE, SIG_IGN);
  pc->tty = isatty(STDERR_FILENO);
  match_row_t *rows = NULL;
  int n = 0;
  rocks_error_t err = {0};
  if (match_run(c, progress_, pc, &rows, &n, &err) != ROCKS_OK) {
    if (pc->tty && !pc->quiet) fprintf(stderr, "\n");
    fprintf(stderr, "rocks %s: %s\n", cmd, err.msg);
    return 1;
  }
  if (pc->tty && !pc->quiet) fprintf(stderr, "\n");
  print_summary_(c, rows, n);
  free(rows);
  return 0;
}

int cmd_match(int argc, char **argv) {
  match_config_t c = match_config_default();
  progress_ctx_t pc = {0};
  const char *black = NULL, *white = NULL, *engine = NULL, *opponent = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (common_flag_(&c, &pc, argc, argv, &i)) continue;
    if (!strcmp(a, "--black")) black = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--white")) white = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--engine")) engine = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--opponent")) opponent = flag_value(argc, argv, &i);
    else die_usage("match: unknown option '%s'", a);
  }
  if ((black || white) && (engine || opponent)) die_usage("match: give --black/--white or --engine/--opponent, not both%s", "");
  if (black || white) {
    if (!black || !white) die_usage("match: --black and --white go together%s", "");
    c.engine = black, c.opponent = white, c.alternate = 0;
  } else {
    if (!engine || !opponent) die_usage("match: give --black CMD --white CMD or --engine CMD --opponent CMD%s", "");
    c.engine = engine, c.opponent = opponent, c.alternate = 1;
  }
  if (!c.out) die_usage("match: --out DIR is required%s", "");
  return run_("match", &c, &pc);
}

/* Appends a word to a command line, single-quoted when it needs it. */
static void append_word_(char *cmd, size_t len, const char *w) {
  size_t o = strlen(cmd);
  int plain = *w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@{}") == strlen(w);
  if (plain) {
    snprintf(cmd + o, len - o, "%s%s", o ? " " : "", w);
    return;
  }
  if (o + 4 < len) cmd[o++] = ' ', cmd[o++] = '"';
  for (; *w && o + 3 < len; w++) {
    if (*w == '"' || *w == '\\') cmd[o++] = '\\';
    cmd[o++] = *w;
  }
  if (o + 2 < len) cmd[o++] = '"';
  cmd[o] = '\0';
}

int cmd_eval(int argc, char **argv) {
  match_config_t c = match_config_default();
  c.games = 20, c.max_moves = 81, c.size = 9, c.komi = 7.5f, c.alternate = 1;
  progress_ctx_t pc = {0};
  const char *model = NULL, *opponent = NULL;
  long visits = 200;
  static char engine[8192], out[4096];
  char self[PATH_MAX];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) snprintf(self, sizeof self, "rocks");
  else self[sl] = '\0';
  char extra[4096] = "";
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (common_flag_(&c, &pc, argc, argv, &i)) continue;
    if (!strcmp(a, "--model")) model = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--visits")) visits = parse_long(a, flag_value(argc, argv, &i), 1, 100000000);
    else if (!strcmp(a, "--opponent")) opponent = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--")) {
      for (i++; i < argc; i++) append_word_(extra, sizeof extra, argv[i]);
    } else if (!strncmp(a, "--", 2)) { /* an engine flag: forwarded with its value, if any */
      append_word_(extra, sizeof extra, a);
      if (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) append_word_(extra, sizeof extra, argv[++i]);
    } else die_usage("eval: unexpected argument '%s'", a);
  }
  if (!model) die_usage("eval: --model CKPT is required%s", "");
  if (access(model, R_OK) != 0) die_usage("eval: cannot read the checkpoint '%s'", model);
  append_word_(engine, sizeof engine, self);
  append_word_(engine, sizeof engine, "gtp");
  append_word_(engine, sizeof engine, "--model");
  append_word_(engine, sizeof engine, model);
  char vs[32];
  snprintf(vs, sizeof vs, "%ld", visits);
  append_word_(engine, sizeof engine, "--visits");
  append_word_(engine, sizeof engine, vs);
  append_word_(engine, sizeof engine, "--rules");
  append_word_(engine, sizeof engine, board_rules_name(c.rules));
  append_word_(engine, sizeof engine, "--seed");
  append_word_(engine, sizeof engine, "{seed}");
  if (extra[0]) snprintf(engine + strlen(engine), sizeof engine - strlen(engine), " %s", extra);
  c.engine = engine;
  c.opponent = opponent ? opponent
                        : "/usr/games/gnugo --mode gtp --level 10 --chinese-rules --positional-superko --seed {seed}";
  if (!c.out) { /* runs/X/checkpoints/step-N.safetensors -> runs/X/eval/step-N-v200 */
    char dir[4096], stem[512];
    snprintf(dir, sizeof dir, "%s", model);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : model;
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strstr(stem, ".safetensors");
    if (dot) *dot = '\0';
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    const char *parent = dir;
    char up[4096];
    size_t dl = strlen(dir);
    if (dl >= 12 && !strcmp(dir + dl - 11, "checkpoints") && dir[dl - 12] == '/') {
      snprintf(up, sizeof up, "%.*s", (int)(dl - 12), dir);
      parent = up;
    } else if (!strcmp(dir, "checkpoints")) parent = ".";
    int ol = snprintf(out, sizeof out, "%s/eval/%s-v%ld", parent, stem, visits);
    if (ol < 0 || (size_t)ol >= sizeof out) die_usage("eval: checkpoint path too long: '%s'", model);
    c.out = out;
  }
  if (!pc.quiet) fprintf(stderr, "rocks eval: %s\n  vs %s\n  -> %s\n", c.engine, c.opponent, c.out);
  return run_("eval", &c, &pc);
}
