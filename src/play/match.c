/* match.c — the GTP referee behind `rocks match` / `rocks eval` (match.h, docs/match.md).
 *
 * One game = two fresh engine processes (util/proc.h: spawned with the pipes as stdin and
 * stdout, stderr to /dev/null, argv[0] looked up on PATH), `name`/`version`, `boardsize`/`clear_board`/`komi`, then
 * `genmove` for the side to move, the move checked and played on the referee's board, and
 * `play` sent to the other side, until resignation, two passes, the move cap or a fault. Every
 * command has a deadline (poll); a missed deadline kills the engine. Workers block SIGPIPE so a
 * dead engine shows up as EPIPE/EOF, never as a signal.
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
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/ds.h"
#include "go/sgf.h"
#include "play/match.h"
#include "util/proc.h"

#define MAX_GAMES 1000000
#define SETUP_TIMEOUT_MIN 60.0
#define CMD_MAX 4096

static const char *const reason_names_[MATCH_REASON_COUNT] = {"score", "max-moves", "resign", "illegal",
                                                              "gtp-error", "timeout", "crash"};

const char *match_reason_name(int reason) {
  return reason >= 0 && reason < MATCH_REASON_COUNT ? reason_names_[reason] : "?";
}

static int reason_from_name_(const char *s) {
  for (int i = 0; i < MATCH_REASON_COUNT; i++)
    if (!strcmp(s, reason_names_[i])) return i;
  return -1;
}

match_config_t match_config_default(void) {
  match_config_t c = {.engine = NULL, .opponent = NULL, .out = NULL, .games = 20, .alternate = 1, .size = 9,
                      .komi = 7.5f, .rules = board_rules_chinese(), .max_moves = 0, .jobs = 1, .move_timeout = 60,
                      .final_score = 0, .seed = 1};
  return c;
}

/* ========================================================================== statistics === */

void match_wilson(double k, int n, double z, double *lo, double *hi) {
  if (n <= 0) {
    *lo = 0, *hi = 1;
    return;
  }
  double p = k / n, z2 = z * z, denom = 1 + z2 / n;
  double centre = (p + z2 / (2.0 * n)) / denom;
  double half = z * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
  *lo = centre - half < 0 ? 0 : centre - half;
  *hi = centre + half > 1 ? 1 : centre + half;
}

double match_elo(double p) {
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  return -400.0 * log10(1.0 / p - 1.0);
}

void match_stats_compute(const match_row_t *rows, int n, match_stats_t *s) {
  memset(s, 0, sizeof *s);
  double moves = 0;
  for (int i = 0; i < n; i++) {
    const match_row_t *r = &rows[i];
    double w = r->winner == COLOR_EMPTY ? 0.5 : r->winner == r->engine_color ? 1.0 : 0.0;
    s->games++;
    s->wins += w;
    if (r->engine_color == COLOR_BLACK) s->engine_black_games++, s->engine_black_wins += w;
    else s->engine_white_games++, s->engine_white_wins += w;
    if (r->reason >= 0 && r->reason < MATCH_REASON_COUNT) s->reasons[r->reason]++;
    moves += r->moves;
    s->seconds += r->seconds;
  }
  s->winrate = n ? s->wins / n : 0;
  s->mean_moves = n ? moves / n : 0;
  match_wilson(s->wins, n, 1.96, &s->lo, &s->hi);
  s->elo = n ? match_elo(s->winrate) : 0;
  s->elo_lo = n ? match_elo(s->lo) : -INFINITY;
  s->elo_hi = n ? match_elo(s->hi) : INFINITY;
}

/* ======================================================================= command lines === */

int match_split_command(const char *cmd, char **argv, char *buf, size_t buflen, rocks_error_t *err) {
  int argc = 0;
  size_t o = 0;
  const char *s = cmd;
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (!*s) break;
    if (argc >= MATCH_MAX_ARGS - 1) return rocks_fail(err, ROCKS_ERR_ARG, "command has more than %d words", MATCH_MAX_ARGS - 1), -1;
    argv[argc++] = buf + o;
    char quote = 0;
    while (*s && (quote || (*s != ' ' && *s != '\t' && *s != '\n'))) {
      char ch = *s++;
      if (quote && ch == quote) {
        quote = 0;
        continue;
      }
      if (!quote && (ch == '\'' || ch == '"')) {
        quote = ch;
        continue;
      }
      if (ch == '\\' && quote != '\'') {
        if (!*s) return rocks_fail(err, ROCKS_ERR_ARG, "command ends with a backslash: %.100s", cmd), -1;
        ch = *s++;
      }
      if (o + 2 >= buflen) return rocks_fail(err, ROCKS_ERR_ARG, "command too long: %.100s", cmd), -1;
      buf[o++] = ch;
    }
    if (quote) return rocks_fail(err, ROCKS_ERR_ARG, "unbalanced %c quote in command: %.100s", quote, cmd), -1;
    if (o + 1 >= buflen) return rocks_fail(err, ROCKS_ERR_ARG, "command too long: %.100s", cmd), -1;
    buf[o++] = '\0';
  }
  argv[argc] = NULL;
  if (argc == 0) return rocks_fail(err, ROCKS_ERR_ARG, "empty engine command"), -1;
  return argc;
}

/* Replaces {seed} and {game} in cmd. Returns 0, or -1 if out is too small. */
static int expand_command_(const char *cmd, uint64_t seed, int game, char *out, size_t len) {
  size_t o = 0;
  for (const char *s = cmd; *s;) {
    char num[32];
    const char *rep = NULL;
    if (!strncmp(s, "{seed}", 6)) snprintf(num, sizeof num, "%llu", (unsigned long long)seed), rep = num, s += 6;
    else if (!strncmp(s, "{game}", 6)) snprintf(num, sizeof num, "%d", game), rep = num, s += 6;
    if (rep) {
      size_t l = strlen(rep);
      if (o + l + 1 > len) return -1;
      memcpy(out + o, rep, l);
      o += l;
    } else {
      if (o + 2 > len) return -1;
      out[o++] = *s++;
    }
  }
  out[o] = '\0';
  return 0;
}

/* True if argv0 names an executable file (directly when it has a '/', else on PATH). */
static bool find_program_(const char *argv0) {
  if (strchr(argv0, '/')) return access(argv0, X_OK) == 0;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  for (const char *p = path;;) {
    const char *e = strchr(p, ':');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    char full[4096];
    if (l + strlen(argv0) + 2 < sizeof full) {
      snprintf(full, sizeof full, "%.*s/%s", (int)l, l ? p : ".", argv0);
      if (access(full, X_OK) == 0) return true;
    }
    if (!e) return false;
    p = e + 1;
  }
}

/* ======================================================================== GTP process === */

/* The engine processes are util/proc.h's rocks_proc_t; proc_cmd_ maps its statuses onto the
 * referee's answer kinds. */

enum { ANS_OK = 1, ANS_ERROR = 0, ANS_DEAD = -1, ANS_TIMEOUT = -2, ANS_GARBAGE = -3 };

#define STOP_GRACE_S 2.0

/* Starts argv (looked up on PATH). 0, or -1 with why. */
static int proc_start_(rocks_proc_t *p, char *const argv[], char *why, size_t wlen) {
  static const rocks_proc_opts_t opts = {.search_path = true};
  rocks_error_t e = {0};
  if (rocks_proc_start(p, argv, &opts, &e) != ROCKS_OK) {
    snprintf(why, wlen, "%s", e.msg);
    return -1;
  }
  return 0;
}

/* Sends one command and reads its answer within `timeout` seconds. Returns ANS_*; *answer
 * points into p->buf (valid until the next call), id and surrounding whitespace removed. */
static int proc_cmd_(rocks_proc_t *p, const char *cmd, double timeout, char **answer, char *why, size_t wlen) {
  rocks_error_t e = {0};
  p->timed_out = false;
  rocks_status_t st = rocks_proc_gtp(p, cmd, timeout, answer, &e);
  if (st == ROCKS_OK) return ANS_OK;
  if (st == ROCKS_ERR_IO && !p->timed_out && strncmp(e.msg, "write ", 6) == 0)
    snprintf(why, wlen, "exited (%.200s)", e.msg);
  else
    snprintf(why, wlen, "%s", e.msg);
  switch (st) {
    case ROCKS_ERR_STATE: return p->pid > 0 ? ANS_ERROR : ANS_DEAD; /* '?' or not running */
    case ROCKS_ERR_PARSE: return ANS_GARBAGE;
    case ROCKS_ERR_IO: return p->timed_out ? ANS_TIMEOUT : ANS_DEAD;
    default: return ANS_DEAD;
  }
}

static void proc_stop_(rocks_proc_t *p) { rocks_proc_stop(p, STOP_GRACE_S); }

/* ============================================================================== a game === */

typedef struct {
  const match_config_t *c;
  char games_dir[4096];
  pthread_mutex_t mu;
  match_row_t *rows;  /* [c->games] */
  char *done;         /* [c->games] */
  int next, ndone, resumed, played, stop;
  rocks_status_t status;
  rocks_error_t error;
  match_progress_fn progress;
  void *ctx;
  double t0;
} run_t;

static uint64_t game_seed_(uint64_t seed, int index) {
  uint64_t s = rocks_mix64(rocks_mix64(seed ^ 0x6d61746368ULL) + (uint64_t)index * 0x9E3779B97F4A7C15ULL) & 0x7fffffffULL;
  return s ? s : 1;
}

static const char *color_word_(int c) { return c == COLOR_BLACK ? "black" : "white"; }

typedef struct {
  rocks_proc_t p;
  char name[MATCH_NAME_MAX];
  char argv0[256];
} side_t;

/* The side `loser` forfeits: fills the row (winner, reason, detail, RE). */
static void forfeit_(match_row_t *row, int loser, int reason, const char *detail) {
  row->winner = board_other(loser);
  row->reason = reason;
  snprintf(row->detail, sizeof row->detail, "%s %.150s", color_word_(loser), detail);
  char how = reason == MATCH_REASON_RESIGN ? 'R' : reason == MATCH_REASON_TIMEOUT ? 'T' : 'F';
  snprintf(row->result, sizeof row->result, "%c+%c", row->winner == COLOR_BLACK ? 'B' : 'W', how);
}

static int reason_of_answer_(int ans) {
  return ans == ANS_TIMEOUT ? MATCH_REASON_TIMEOUT : ans == ANS_DEAD ? MATCH_REASON_CRASH : MATCH_REASON_GTP_ERROR;
}

/* Starts side `color` and asks its name; 0, or -1 after forfeiting the game. */
static int start_side_(const run_t *R, side_t *s, int color, const char *cmd, uint64_t seed, int index,
                       double setup_timeout, match_row_t *row) {
  char expanded[CMD_MAX], buf[CMD_MAX], why[256];
  char *argv[MATCH_MAX_ARGS];
  rocks_error_t e = {0};
  (void)R;
  if (expand_command_(cmd, seed, index, expanded, sizeof expanded) != 0 ||
      match_split_command(expanded, argv, buf, sizeof buf, &e) < 0) {
    forfeit_(row, color, MATCH_REASON_CRASH, "command cannot be expanded");
    return -1;
  }
  const char *base = strrchr(argv[0], '/');
  snprintf(s->argv0, sizeof s->argv0, "%s", base ? base + 1 : argv[0]);
  snprintf(s->name, sizeof s->name, "%s", s->argv0);
  if (proc_start_(&s->p, argv, why, sizeof why) != 0) {
    forfeit_(row, color, MATCH_REASON_CRASH, why);
    return -1;
  }
  char *ans;
  char name[64] = "", version[32] = "";
  int r = proc_cmd_(&s->p, "name", setup_timeout, &ans, why, sizeof why);
  if (r == ANS_OK && *ans) snprintf(name, sizeof name, "%s", ans);
  if (r >= ANS_ERROR) {
    r = proc_cmd_(&s->p, "version", setup_timeout, &ans, why, sizeof why);
    if (r == ANS_OK) snprintf(version, sizeof version, "%s", ans);
  }
  if (r < ANS_ERROR) {
    forfeit_(row, color, reason_of_answer_(r), why);
    return -1;
  }
  if (name[0]) snprintf(s->name, sizeof s->name, "%s%s%s", name, version[0] ? " " : "", version);
  return 0;
}

/* Plays game `index` into row and b (the referee's final board). */
static void play_game_(const run_t *R, int index, match_row_t *row, board_t *b) {
  const match_config_t *c = R->c;
  double t0 = rocks_now();
  uint64_t seed = game_seed_(c->seed, index);
  memset(row, 0, sizeof *row);
  row->game = index;
  row->engine_color = c->alternate && (index & 1) ? COLOR_WHITE : COLOR_BLACK;
  board_init(b, c->size, c->rules, c->komi, NULL);
  double setup_timeout = c->move_timeout > SETUP_TIMEOUT_MIN ? c->move_timeout : SETUP_TIMEOUT_MIN;
  side_t sides[3];
  memset(sides, 0, sizeof sides);
  for (int k = 1; k <= 2; k++) rocks_proc_init(&sides[k].p);
  const char *cmd[3] = {NULL, NULL, NULL};
  cmd[row->engine_color] = c->engine;
  cmd[board_other(row->engine_color)] = c->opponent;
  for (int col = COLOR_BLACK; col <= COLOR_WHITE; col++) { /* a name until `name` answers */
    const char *w = cmd[col];
    while (*w == ' ' || *w == '\t') w++;
    size_t l = strcspn(w, " \t");
    const char *base = w;
    for (size_t i = 0; i < l; i++)
      if (w[i] == '/') base = w + i + 1;
    snprintf(sides[col].name, sizeof sides[col].name, "%.*s", (int)(l - (size_t)(base - w)), base);
  }
  int over = 0;
  char why[256], line[128], *ans;
  for (int col = COLOR_BLACK; col <= COLOR_WHITE && !over; col++)
    if (start_side_(R, &sides[col], col, cmd[col], seed, index, setup_timeout, row) != 0) over = 1;
  for (int col = COLOR_BLACK; col <= COLOR_WHITE && !over; col++) {
    const char *setup[3];
    char bs[32], km[32];
    snprintf(bs, sizeof bs, "boardsize %d", c->size);
    snprintf(km, sizeof km, "komi %g", (double)c->komi);
    setup[0] = bs, setup[1] = "clear_board", setup[2] = km;
    for (int k = 0; k < 3 && !over; k++) {
      int r = proc_cmd_(&sides[col].p, setup[k], setup_timeout, &ans, why, sizeof why);
      if (r != ANS_OK) forfeit_(row, col, reason_of_answer_(r), why), over = 1;
    }
  }
  int cap = c->max_moves > 0 && c->max_moves < BOARD_MAX_HISTORY - 1 ? c->max_moves : BOARD_MAX_HISTORY - 1;
  while (!over) {
    if (board_game_over(b) || b->move_count >= cap) {
      row->reason = board_game_over(b) ? MATCH_REASON_SCORE : MATCH_REASON_MAX_MOVES;
      row->winner = board_winner(b);
      board_score_string(b, row->result, sizeof row->result);
      if (row->reason == MATCH_REASON_MAX_MOVES)
        snprintf(row->detail, sizeof row->detail, "adjudicated after %d moves", b->move_count);
      if (c->final_score)
        for (int col = COLOR_BLACK; col <= COLOR_WHITE; col++) {
          int r = proc_cmd_(&sides[col].p, "final_score", setup_timeout, &ans, why, sizeof why);
          snprintf(col == COLOR_BLACK ? row->final_black : row->final_white, sizeof row->final_black, "%s",
                   r == ANS_OK ? ans : "?");
        }
      break;
    }
    int color = b->to_play, opp = board_other(color);
    snprintf(line, sizeof line, "genmove %s", color_word_(color));
    int r = proc_cmd_(&sides[color].p, line, c->move_timeout, &ans, why, sizeof why);
    if (r != ANS_OK) {
      forfeit_(row, color, reason_of_answer_(r), why);
      break;
    }
    if (!strcasecmp(ans, "resign")) {
      forfeit_(row, color, MATCH_REASON_RESIGN, "resigned");
      break;
    }
    int m;
    rocks_error_t e = {0};
    if (board_parse_vertex(b, ans, &m, &e) != ROCKS_OK) {
      snprintf(why, sizeof why, "answered genmove with '%.40s'", ans);
      forfeit_(row, color, MATCH_REASON_ILLEGAL, why);
      break;
    }
    const char *ill = NULL;
    char v[8];
    board_vertex_string(b, m, v);
    if (!board_is_legal_why(b, color, m, &ill) || board_play(b, color, m, NULL) != ROCKS_OK) {
      snprintf(why, sizeof why, "played %s at move %d: %s", v, b->move_count + 1, ill ? ill : "illegal");
      forfeit_(row, color, MATCH_REASON_ILLEGAL, why);
      break;
    }
    snprintf(line, sizeof line, "play %s %s", color_word_(color), v);
    r = proc_cmd_(&sides[opp].p, line, setup_timeout, &ans, why, sizeof why);
    if (r != ANS_OK) {
      forfeit_(row, opp, reason_of_answer_(r), why);
      break;
    }
  }
  snprintf(row->black, sizeof row->black, "%s", sides[COLOR_BLACK].name);
  snprintf(row->white, sizeof row->white, "%s", sides[COLOR_WHITE].name);
  for (int col = COLOR_BLACK; col <= COLOR_WHITE; col++) proc_stop_(&sides[col].p);
  row->score = board_score(b, NULL, NULL);
  row->moves = b->move_count;
  row->seconds = rocks_now() - t0;
}

/* ============================================================================= records === */

static void game_path_(const run_t *R, int index, const char *ext, char *out, size_t len) {
  snprintf(out, len, "%s/game-%06d.%s", R->games_dir, index, ext);
}

static rocks_status_t save_sgf_(const run_t *R, const match_row_t *row, const board_t *b, rocks_error_t *err) {
  sgf_game_t sg;
  rocks_status_t st = sgf_game_from_board(&sg, b, row->black, row->white, err);
  if (st != ROCKS_OK) return st;
  snprintf(sg.result, sizeof sg.result, "%s", row->result);
  snprintf(sg.name, sizeof sg.name, "rocks-match-%06d", row->game);
  char comment[1024];
  snprintf(comment, sizeof comment,
           "rocks match game %d: engine %s, %s (%s)%s%s; Tromp-Taylor score of the final board %+.1f (black - white - komi)%s%s%s%s",
           row->game, color_word_(row->engine_color), match_reason_name(row->reason), row->result,
           row->detail[0] ? ": " : "", row->detail, row->score, row->final_black[0] ? "; final_score black engine " : "",
           row->final_black, row->final_white[0] ? ", white engine " : "", row->final_white);
  if (sg.nnodes > 0 && sg.comments) {
    sg.comments[0] = strdup(comment);
    if (!sg.comments[0]) {
      sgf_game_clear(&sg);
      return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    }
  }
  char path[4200];
  game_path_(R, row->game, "sgf", path, sizeof path);
  st = sgf_write_file(path, &sg, err);
  sgf_game_clear(&sg);
  return st;
}

static const char *winner_code_(int w) { return w == COLOR_BLACK ? "B" : w == COLOR_WHITE ? "W" : "0"; }

static cJSON *row_json_(const match_row_t *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "game", r->game);
  cJSON_AddStringToObject(o, "black", r->black);
  cJSON_AddStringToObject(o, "white", r->white);
  cJSON_AddStringToObject(o, "engine_color", winner_code_(r->engine_color));
  cJSON_AddStringToObject(o, "winner", winner_code_(r->winner));
  cJSON_AddNumberToObject(o, "score", r->score);
  cJSON_AddStringToObject(o, "reason", match_reason_name(r->reason));
  cJSON_AddStringToObject(o, "detail", r->detail);
  cJSON_AddStringToObject(o, "result", r->result);
  cJSON_AddNumberToObject(o, "moves", r->moves);
  cJSON_AddNumberToObject(o, "seconds", round(r->seconds * 1000) / 1000);
  cJSON_AddStringToObject(o, "final_score_black", r->final_black);
  cJSON_AddStringToObject(o, "final_score_white", r->final_white);
  return o;
}

static int color_from_code_(const char *s) {
  return !strcmp(s, "B") ? COLOR_BLACK : !strcmp(s, "W") ? COLOR_WHITE : !strcmp(s, "0") ? COLOR_EMPTY : -1;
}

static int json_str_(const cJSON *o, const char *key, char *out, size_t len) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v)) return 0;
  snprintf(out, len, "%s", v->valuestring);
  return 1;
}

/* Reads a row file: 1 = valid, 0 = missing or invalid. */
static int load_row_(const run_t *R, int index, match_row_t *r) {
  char path[4200], sgf[4200];
  game_path_(R, index, "json", path, sizeof path);
  game_path_(R, index, "sgf", sgf, sizeof sgf);
  if (access(sgf, R_OK) != 0) return 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char text[8192];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  cJSON *o = cJSON_Parse(text);
  if (!o) return 0;
  memset(r, 0, sizeof *r);
  char ec[8] = "", win[8] = "", reason[32] = "";
  const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "game"), *sc = cJSON_GetObjectItemCaseSensitive(o, "score");
  const cJSON *mv = cJSON_GetObjectItemCaseSensitive(o, "moves"), *se = cJSON_GetObjectItemCaseSensitive(o, "seconds");
  int ok = cJSON_IsNumber(g) && g->valueint == index && cJSON_IsNumber(sc) && cJSON_IsNumber(mv) && cJSON_IsNumber(se) &&
           json_str_(o, "black", r->black, sizeof r->black) && json_str_(o, "white", r->white, sizeof r->white) &&
           json_str_(o, "engine_color", ec, sizeof ec) && json_str_(o, "winner", win, sizeof win) &&
           json_str_(o, "reason", reason, sizeof reason) && json_str_(o, "detail", r->detail, sizeof r->detail) &&
           json_str_(o, "result", r->result, sizeof r->result) &&
           json_str_(o, "final_score_black", r->final_black, sizeof r->final_black) &&
           json_str_(o, "final_score_white", r->final_white, sizeof r->final_white);
  if (ok) {
    r->game = index;
    r->score = sc->valuedouble;
    r->moves = mv->valueint;
    r->seconds = se->valuedouble;
    r->engine_color = color_from_code_(ec);
    r->winner = color_from_code_(win);
    r->reason = reason_from_name_(reason);
    ok = (r->engine_color == COLOR_BLACK || r->engine_color == COLOR_WHITE) && r->winner >= 0 && r->reason >= 0;
  }
  cJSON_Delete(o);
  return ok;
}

static rocks_status_t write_json_(const char *path, cJSON *o, rocks_error_t *err) {
  char *text = o ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  if (!text) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  size_t l = strlen(text);
  char *t2 = realloc(text, l + 2);
  if (!t2) {
    free(text);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  t2[l] = '\n', t2[l + 1] = '\0';
  rocks_status_t st = ds_write_text_atomic(path, t2, err);
  free(t2);
  return st;
}

/* Appends s to the CSV text as one field (quoted when it holds , " or a line break). */
static int csv_field_(char **text, size_t *len, size_t *cap, const char *s, int last) {
  size_t need = 2 * strlen(s) + 4;
  if (*len + need >= *cap) {
    size_t nc = (*cap + need) * 2;
    char *nt = realloc(*text, nc);
    if (!nt) return 0;
    *text = nt, *cap = nc;
  }
  int quote = strpbrk(s, ",\"\n\r") != NULL;
  char *o = *text + *len;
  if (quote) *o++ = '"';
  for (; *s; s++) {
    if (*s == '"') *o++ = '"';
    *o++ = *s;
  }
  if (quote) *o++ = '"';
  *o++ = last ? '\n' : ',';
  *o = '\0';
  *len = (size_t)(o - *text);
  return 1;
}

#define CSV_HEADER "game,black,white,winner,score,reason,moves,seconds,sgf,result,engine_color,detail,final_score_black,final_score_white\n"

static rocks_status_t write_results_(const run_t *R, rocks_error_t *err) {
  const match_config_t *c = R->c;
  size_t cap = 4096, len = strlen(CSV_HEADER);
  char *text = malloc(cap);
  if (!text) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  memcpy(text, CSV_HEADER, len + 1);
  int ok = 1;
  for (int i = 0; i < c->games && ok; i++) {
    if (!R->done[i]) continue;
    const match_row_t *r = &R->rows[i];
    char game[16], score[32], moves[16], secs[32], sgf[64];
    snprintf(game, sizeof game, "%d", r->game);
    snprintf(score, sizeof score, "%g", r->score);
    snprintf(moves, sizeof moves, "%d", r->moves);
    snprintf(secs, sizeof secs, "%.3f", r->seconds);
    snprintf(sgf, sizeof sgf, "games/game-%06d.sgf", r->game);
    const char *f[] = {game, r->black, r->white, winner_code_(r->winner), score, match_reason_name(r->reason), moves,
                       secs, sgf, r->result, winner_code_(r->engine_color), r->detail, r->final_black, r->final_white};
    int nf = (int)(sizeof f / sizeof f[0]);
    for (int k = 0; k < nf && ok; k++) ok = csv_field_(&text, &len, &cap, f[k], k == nf - 1);
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/results.csv", c->out);
  rocks_status_t st = ok ? ds_write_text_atomic(path, text, err) : rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  free(text);
  return st;
}

static void add_elo_(cJSON *o, const char *key, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, key, round(v * 10) / 10 + 0.0); /* + 0.0: no -0 */
  else cJSON_AddNullToObject(o, key);
}

static cJSON *settings_json_(const match_config_t *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "engine", c->engine);
  cJSON_AddStringToObject(o, "opponent", c->opponent);
  cJSON_AddBoolToObject(o, "alternate", c->alternate);
  cJSON_AddNumberToObject(o, "size", c->size);
  cJSON_AddNumberToObject(o, "komi", c->komi);
  cJSON_AddStringToObject(o, "rules", board_rules_name(c->rules));
  cJSON_AddNumberToObject(o, "max_moves", c->max_moves);
  cJSON_AddNumberToObject(o, "seed", (double)c->seed);
  return o;
}

static rocks_status_t write_summary_(const run_t *R, const match_stats_t *s, rocks_error_t *err) {
  const match_config_t *c = R->c;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "settings", settings_json_(c));
  cJSON_AddNumberToObject(o, "games_requested", c->games);
  cJSON_AddNumberToObject(o, "games", s->games);
  cJSON_AddNumberToObject(o, "engine_wins", s->wins);
  cJSON_AddNumberToObject(o, "winrate", s->winrate);
  cJSON_AddNumberToObject(o, "winrate_lo", s->lo);
  cJSON_AddNumberToObject(o, "winrate_hi", s->hi);
  add_elo_(o, "elo", s->elo);
  add_elo_(o, "elo_lo", s->elo_lo);
  add_elo_(o, "elo_hi", s->elo_hi);
  cJSON *eb = cJSON_AddObjectToObject(o, "engine_black");
  cJSON_AddNumberToObject(eb, "games", s->engine_black_games);
  cJSON_AddNumberToObject(eb, "wins", s->engine_black_wins);
  cJSON *ew = cJSON_AddObjectToObject(o, "engine_white");
  cJSON_AddNumberToObject(ew, "games", s->engine_white_games);
  cJSON_AddNumberToObject(ew, "wins", s->engine_white_wins);
  cJSON *rs = cJSON_AddObjectToObject(o, "reasons");
  for (int i = 0; i < MATCH_REASON_COUNT; i++) cJSON_AddNumberToObject(rs, reason_names_[i], s->reasons[i]);
  cJSON_AddNumberToObject(o, "mean_moves", s->mean_moves);
  cJSON_AddNumberToObject(o, "game_seconds", round(s->seconds * 10) / 10);
  char path[4200];
  snprintf(path, sizeof path, "%s/summary.json", c->out);
  return write_json_(path, o, err);
}

/* Stats over the finished rows (R->mu held). */
static rocks_status_t stats_(const run_t *R, match_stats_t *s) {
  match_row_t *tmp = malloc((size_t)R->c->games * sizeof *tmp);
  if (!tmp) return ROCKS_ERR_NOMEM;
  int n = 0;
  for (int i = 0; i < R->c->games; i++)
    if (R->done[i]) tmp[n++] = R->rows[i];
  match_stats_compute(tmp, n, s);
  free(tmp);
  return ROCKS_OK;
}

static void report_(run_t *R, const match_row_t *last) {
  if (!R->progress) return;
  match_progress_t p = {.done = R->ndone, .total = R->c->games, .resumed = R->resumed, .played = R->played,
                        .elapsed = rocks_now() - R->t0, .last = last};
  if (stats_(R, &p.stats) != ROCKS_OK) return;
  R->progress(&p, R->ctx);
}

/* ============================================================================= workers === */

static void *worker_(void *arg) {
  run_t *R = arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE); /* a dead engine makes write() fail with EPIPE instead */
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  board_t *b = malloc(sizeof *b);
  if (!b) {
    pthread_mutex_lock(&R->mu);
    R->stop = 1;
    R->status = rocks_fail(&R->error, ROCKS_ERR_NOMEM, "out of memory");
    pthread_mutex_unlock(&R->mu);
    return NULL;
  }
  pthread_mutex_lock(&R->mu);
  for (;;) {
    while (R->next < R->c->games && R->done[R->next]) R->next++;
    if (R->stop || R->next >= R->c->games) break;
    int index = R->next++;
    pthread_mutex_unlock(&R->mu);
    match_row_t row;
    play_game_(R, index, &row, b);
    rocks_error_t e = {0};
    rocks_status_t st = save_sgf_(R, &row, b, &e);
    if (st == ROCKS_OK) {
      char path[4200];
      game_path_(R, index, "json", path, sizeof path);
      st = write_json_(path, row_json_(&row), &e);
    }
    pthread_mutex_lock(&R->mu);
    if (st == ROCKS_OK) {
      R->rows[index] = row;
      R->done[index] = 1;
      R->ndone++;
      R->played++;
      match_stats_t s;
      st = write_results_(R, &e);
      if (st == ROCKS_OK && (st = stats_(R, &s)) == ROCKS_OK) st = write_summary_(R, &s, &e);
      else if (st == ROCKS_ERR_NOMEM && !e.msg[0]) rocks_fail(&e, st, "out of memory");
    }
    if (st != ROCKS_OK) {
      if (!R->stop) R->status = st, R->error = e;
      R->stop = 1;
      break;
    }
    report_(R, &R->rows[index]);
  }
  pthread_mutex_unlock(&R->mu);
  free(b);
  return NULL;
}

/* Checks OUT/match.json against c (writes it when absent). */
static rocks_status_t check_settings_(const match_config_t *c, rocks_error_t *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/match.json", c->out);
  cJSON *want = settings_json_(c);
  FILE *f = fopen(path, "rb");
  if (!f) return write_json_(path, want, err);
  char text[16384];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  cJSON *have = cJSON_Parse(text);
  rocks_status_t st = ROCKS_OK;
  if (!have) {
    st = rocks_fail(err, ROCKS_ERR_STATE, "%s is not valid JSON; remove it or use another --out", path);
  } else {
    for (cJSON *w = want->child; w && st == ROCKS_OK; w = w->next) {
      cJSON *h = cJSON_GetObjectItemCaseSensitive(have, w->string);
      if (!h || !cJSON_Compare(w, h, 1)) {
        char *hv = h ? cJSON_PrintUnformatted(h) : NULL, *wv = cJSON_PrintUnformatted(w);
        st = rocks_fail(err, ROCKS_ERR_STATE, "%s holds another match: %s was %.80s, now %.80s (use another --out)",
                        c->out, w->string, hv ? hv : "absent", wv ? wv : "?");
        free(hv), free(wv);
      }
    }
  }
  cJSON_Delete(have);
  cJSON_Delete(want);
  return st;
}

/* Removes the temporary files of atomic writes that a killed run left in dir ("*.tmp.XXXXXX"). */
static void remove_stale_tmp_(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *t = strstr(e->d_name, ".tmp.");
    if (!t || strlen(t) != 11) continue;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
}

static rocks_status_t check_command_(const char *what, const char *cmd, rocks_error_t *err) {
  if (!cmd || !*cmd) return rocks_fail(err, ROCKS_ERR_ARG, "%s command is missing", what);
  char expanded[CMD_MAX], buf[CMD_MAX];
  char *argv[MATCH_MAX_ARGS];
  rocks_error_t e = {0};
  if (expand_command_(cmd, 1, 0, expanded, sizeof expanded) != 0)
    return rocks_fail(err, ROCKS_ERR_ARG, "%s command too long", what);
  if (match_split_command(expanded, argv, buf, sizeof buf, &e) < 0)
    return rocks_fail(err, ROCKS_ERR_ARG, "%s command: %s", what, e.msg);
  if (!find_program_(argv[0]))
    return rocks_fail(err, ROCKS_ERR_ARG, "%s command: '%.200s' is not an executable file (nor on PATH)", what, argv[0]);
  return ROCKS_OK;
}

rocks_status_t match_run(const match_config_t *c, match_progress_fn progress, void *ctx, match_row_t **rows,
                         int *nrows, rocks_error_t *err) {
  *rows = NULL;
  *nrows = 0;
  rocks_status_t st;
  if ((st = check_command_("engine", c->engine, err)) != ROCKS_OK) return st;
  if ((st = check_command_("opponent", c->opponent, err)) != ROCKS_OK) return st;
  if (!c->out || !*c->out) return rocks_fail(err, ROCKS_ERR_ARG, "an output folder is required");
  if (c->games < 1 || c->games > MAX_GAMES) return rocks_fail(err, ROCKS_ERR_ARG, "games must be in 1..%d", MAX_GAMES);
  if (c->size < BOARD_MIN_SIZE || c->size > BOARD_MAX_SIZE)
    return rocks_fail(err, ROCKS_ERR_ARG, "board size must be in %d..%d", BOARD_MIN_SIZE, BOARD_MAX_SIZE);
  if (c->jobs < 1 || c->jobs > 256) return rocks_fail(err, ROCKS_ERR_ARG, "jobs must be in 1..256");
  if (c->max_moves < 0) return rocks_fail(err, ROCKS_ERR_ARG, "max moves must be >= 0");
  if (!(c->move_timeout > 0) || c->move_timeout > 1e6) return rocks_fail(err, ROCKS_ERR_ARG, "move timeout must be in (0, 1e6] s");
  if (!isfinite(c->komi) || fabsf(c->komi) > 1000) return rocks_fail(err, ROCKS_ERR_ARG, "komi must be in [-1000, 1000]");

  run_t *R = calloc(1, sizeof *R);
  if (!R) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  R->c = c;
  R->progress = progress;
  R->ctx = ctx;
  R->t0 = rocks_now();
  snprintf(R->games_dir, sizeof R->games_dir, "%s/games", c->out);
  int lockfd = -1;
  pthread_t *th = NULL;
  if ((st = ds_mkdirs(R->games_dir, err)) != ROCKS_OK) goto done;
  char lpath[4200];
  snprintf(lpath, sizeof lpath, "%s/.lock", c->out);
  lockfd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (lockfd < 0 || fcntl(lockfd, F_SETLK, &fl) != 0) {
    st = rocks_fail(err, ROCKS_ERR_STATE, "%s is in use by another run (%s)", c->out, strerror(errno));
    goto done;
  }
  remove_stale_tmp_(c->out);
  remove_stale_tmp_(R->games_dir);
  if ((st = check_settings_(c, err)) != ROCKS_OK) goto done;
  R->rows = calloc((size_t)c->games, sizeof *R->rows);
  R->done = calloc((size_t)c->games, 1);
  th = calloc((size_t)c->jobs, sizeof *th);
  if (!R->rows || !R->done || !th) {
    st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < c->games; i++)
    if (load_row_(R, i, &R->rows[i])) R->done[i] = 1, R->ndone++;
  R->resumed = R->ndone;
  pthread_mutex_init(&R->mu, NULL);
  pthread_mutex_lock(&R->mu);
  report_(R, NULL);
  if (R->ndone == c->games) { /* nothing to play: refresh the derived files */
    match_stats_t s;
    if ((st = write_results_(R, err)) == ROCKS_OK && stats_(R, &s) == ROCKS_OK) st = write_summary_(R, &s, err);
  }
  pthread_mutex_unlock(&R->mu);
  int started = 0, todo = c->games - R->ndone;
  int jobs = c->jobs < todo ? c->jobs : todo;
  for (; st == ROCKS_OK && started < jobs; started++)
    if (pthread_create(&th[started], NULL, worker_, R) != 0) {
      pthread_mutex_lock(&R->mu);
      R->stop = 1;
      pthread_mutex_unlock(&R->mu);
      st = rocks_fail(err, ROCKS_ERR_NOMEM, "cannot start a worker thread");
      break;
    }
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&R->mu);
  if (st == ROCKS_OK && R->status != ROCKS_OK) {
    st = R->status;
    if (err) *err = R->error;
  }
  if (st == ROCKS_OK) {
    match_row_t *out = malloc((size_t)(R->ndone ? R->ndone : 1) * sizeof *out);
    if (!out) {
      st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    } else {
      int n = 0;
      for (int i = 0; i < c->games; i++)
        if (R->done[i]) out[n++] = R->rows[i];
      *rows = out;
      *nrows = n;
    }
  }
done:
  if (lockfd >= 0) close(lockfd);
  free(th);
  free(R->rows);
  free(R->done);
  free(R);
  return st;
}
