/* cmd_heatmap.c — `rocks heatmap GAME.sgf --model CKPT --out DIR`: the network's policy and value
 * on every position of a game (docs/match.md).
 *
 * The C side replays the SGF's main line, evaluates every position (the start, after each move,
 * and the final one) with the fast inference engine, takes the policy softmax over the legal
 * moves only, and writes DIR/positions.json. Then it runs `python3 -m rocks.heatmap DIR`
 * (python/rocks/heatmap.py, matplotlib) with PYTHONPATH set to the build's python folder (found
 * beside this binary), which draws DIR/move-%03d.png per position and DIR/contact-sheet.png.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/ds.h"
#include "go/board.h"
#include "go/feat.h"
#include "go/sgf.h"
#include "nn/infer.h"
#include "nn/nn.h"

extern char **environ;

#define HEATMAP_BATCH 16

static int fail_(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "rocks heatmap: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  return 1;
}

static double r5_(double v) { return round(v * 1e5) / 1e5 + 0.0; }

static const char *color_code_(int c) { return c == COLOR_BLACK ? "B" : "W"; }

/* The board before main-line move `k` (1-based; k = nmoves + 1: after the last move). */
static rocks_status_t position_(const sgf_game_t *g, board_rules_t rules, int k, int nmoves, board_t *b,
                                rocks_error_t *err) {
  return sgf_game_to_board(g, b, rules, k > nmoves ? 0 : k, err);
}

/* Runs python -m rocks.heatmap DIR; returns its exit status (127 if it cannot start). */
static int render_(const char *python, const char *dir) {
  char self[PATH_MAX], pp[PATH_MAX + 4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    const char *old = getenv("PYTHONPATH");
    snprintf(pp, sizeof pp, "%s/python%s%s", self, old && *old ? ":" : "", old && *old ? old : "");
    setenv("PYTHONPATH", pp, 1);
  }
  setenv("MPLBACKEND", "Agg", 1);
  char *argv[] = {(char *)python, "-m", "rocks.heatmap", (char *)dir, NULL};
  pid_t pid;
  int r = posix_spawnp(&pid, python, NULL, NULL, argv, environ);
  if (r != 0) {
    fprintf(stderr, "rocks heatmap: cannot start %s: %s\n", python, strerror(r));
    return 127;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int cmd_heatmap(int argc, char **argv) {
  const char *sgf_path = NULL, *model_path = NULL, *out = NULL, *python = "/usr/bin/python3";
  int threads = 2, render = 1;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--model")) model_path = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--out")) out = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--threads")) threads = (int)parse_long(a, flag_value(argc, argv, &i), 1, 64);
    else if (!strcmp(a, "--python")) python = flag_value(argc, argv, &i);
    else if (!strcmp(a, "--no-render")) render = 0;
    else if (a[0] == '-' && a[1]) die_usage("heatmap: unknown option '%s'", a);
    else if (!sgf_path) sgf_path = a;
    else die_usage("heatmap: one game at a time (extra argument '%s')", a);
  }
  if (!sgf_path) die_usage("heatmap: give a GAME.sgf%s", "");
  if (!model_path) die_usage("heatmap: --model CKPT is required%s", "");
  if (!out) die_usage("heatmap: --out DIR is required%s", "");

  rocks_error_t err = {0};
  sgf_game_t *games = NULL;
  int ngames = 0;
  if (sgf_read_file(sgf_path, &games, &ngames, &err) != ROCKS_OK) return fail_("%s: %s", sgf_path, err.msg);
  const sgf_game_t *g = &games[0];
  goresnet_t *m = nn_checkpoint_load_new(model_path, &err);
  if (!m) {
    sgf_games_free(games, ngames);
    return fail_("%s: %s", model_path, err.msg);
  }
  int rc = 1;
  nn_infer_t *eng = NULL;
  board_t *b = malloc(sizeof *b);
  float *inp = NULL, *logits = NULL, *values = NULL;
  cJSON *root = NULL;
  feat_set_t fs = FEAT_AGZ;
  const goresnet_config_t *mc = &m->config;
  const char *fname = mc->features[0] ? mc->features : "agz";
  if (feat_from_name(fname, &fs, &err) != ROCKS_OK || feat_planes(fs) != mc->planes) {
    fail_("%s: the model's input features (%s) are not a known feature set", model_path, fname);
    goto done;
  }
  if (mc->size != g->size) {
    char sz[64];
    snprintf(sz, sizeof sz, "%dx%d, the game %dx%d", mc->size, mc->size, g->size, g->size);
    fail_("%s: the model is for %s", model_path, sz);
    goto done;
  }
  board_rules_t rules = board_rules_tromp_taylor();
  if (g->rules[0] && board_rules_from_name(&rules, g->rules, NULL) != ROCKS_OK) rules = board_rules_tromp_taylor();
  int nmoves = 0;
  for (int i = 0; i < g->nevents; i++) nmoves += g->events[i].kind == SGF_MOVE;
  int npos = nmoves + 1, N = g->size, P = N * N + 1, planes = mc->planes;
  nn_infer_config_t icfg = nn_infer_config_default();
  icfg.threads = threads;
  icfg.max_batch = HEATMAP_BATCH;
  eng = nn_infer_new(m, &icfg, &err);
  inp = malloc((size_t)HEATMAP_BATCH * planes * N * N * sizeof *inp);
  logits = malloc((size_t)npos * P * sizeof *logits);
  values = malloc((size_t)npos * sizeof *values);
  if (!eng || !b || !inp || !logits || !values) {
    fail_("%s%s", "", eng ? "out of memory" : err.msg);
    goto done;
  }
  /* evaluate every position, HEATMAP_BATCH at a time */
  for (int k0 = 0; k0 < npos; k0 += HEATMAP_BATCH) {
    int B = npos - k0 < HEATMAP_BATCH ? npos - k0 : HEATMAP_BATCH;
    for (int j = 0; j < B; j++) {
      if (position_(g, rules, k0 + j + 1, nmoves, b, &err) != ROCKS_OK) {
        fail_("%s: %s", sgf_path, err.msg);
        goto done;
      }
      feat_encode(b, fs, inp + (size_t)j * planes * N * N);
    }
    if (nn_infer_forward(eng, inp, B, logits + (size_t)k0 * P, values + k0, &err) != ROCKS_OK) {
      fail_("%s%s", "", err.msg);
      goto done;
    }
  }
  /* positions.json */
  root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "sgf", sgf_path);
  cJSON_AddStringToObject(root, "model", model_path);
  cJSON_AddStringToObject(root, "features", feat_name(fs));
  char arch[64];
  snprintf(arch, sizeof arch, "b%dc%d", mc->blocks, mc->channels);
  cJSON_AddStringToObject(root, "architecture", arch);
  cJSON_AddNumberToObject(root, "size", N);
  cJSON_AddNumberToObject(root, "komi", g->komi);
  cJSON_AddStringToObject(root, "rules", board_rules_name(rules));
  cJSON_AddStringToObject(root, "black", g->black);
  cJSON_AddStringToObject(root, "white", g->white);
  cJSON_AddStringToObject(root, "result", g->result);
  cJSON *arr = cJSON_AddArrayToObject(root, "positions");
  int ev = 0; /* index of the next main-line move event */
  for (int k = 0; k < npos; k++) {
    if (position_(g, rules, k + 1, nmoves, b, &err) != ROCKS_OK) {
      fail_("%s: %s", sgf_path, err.msg);
      goto done;
    }
    while (ev < g->nevents && g->events[ev].kind != SGF_MOVE) ev++;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "move_number", k);
    cJSON_AddStringToObject(o, "to_play", color_code_(b->to_play));
    char stones[BOARD_MAX_SIZE * BOARD_MAX_SIZE + 1];
    for (int y = 0; y < N; y++)
      for (int x = 0; x < N; x++) {
        int c = b->color[board_point(b, x, y)];
        stones[y * N + x] = c == COLOR_BLACK ? 'X' : c == COLOR_WHITE ? 'O' : '.';
      }
    stones[N * N] = '\0';
    cJSON_AddStringToObject(o, "stones", stones);
    char v[8];
    if (b->move_count > 0) board_vertex_string(b, b->last_move, v);
    else v[0] = '\0';
    cJSON_AddStringToObject(o, "last_move", v);
    if (k < nmoves && ev < g->nevents) {
      const sgf_event_t *e = &g->events[ev++];
      int mv = e->x < 0 ? BOARD_PASS : board_point(b, e->x, e->y);
      board_vertex_string(b, mv, v);
      cJSON_AddStringToObject(o, "next_move", v);
      cJSON_AddStringToObject(o, "next_color", color_code_(e->color));
    } else {
      cJSON_AddNullToObject(o, "next_move");
      cJSON_AddNullToObject(o, "next_color");
    }
    /* softmax over the legal moves of the player to move; illegal points get 0 */
    int moves[BOARD_MAX_MOVES];
    int nl = board_legal_moves(b, b->to_play, moves);
    const float *lg = logits + (size_t)k * P;
    double mx = -INFINITY, sum = 0, prob[BOARD_MAX_MOVES];
    for (int i = 0; i < nl; i++) {
      double l = lg[board_policy_index(b, moves[i])];
      if (l > mx) mx = l;
    }
    for (int i = 0; i < P; i++) prob[i] = 0;
    for (int i = 0; i < nl; i++) {
      int pi = board_policy_index(b, moves[i]);
      prob[pi] = exp(lg[pi] - mx);
      sum += prob[pi];
    }
    cJSON *pol = cJSON_AddArrayToObject(o, "policy");
    for (int i = 0; i < P; i++) cJSON_AddItemToArray(pol, cJSON_CreateNumber(sum > 0 ? r5_(prob[i] / sum) : 0));
    cJSON_AddNumberToObject(o, "legal", nl);
    double val = values[k], black_val = b->to_play == COLOR_BLACK ? val : -val;
    cJSON_AddNumberToObject(o, "value", r5_(val));
    cJSON_AddNumberToObject(o, "black_winrate", r5_((black_val + 1) / 2));
  }
  if (ds_mkdirs(out, &err) != ROCKS_OK) {
    fail_("%s%s", "", err.msg);
    goto done;
  }
  char *text = cJSON_PrintUnformatted(root);
  char path[4200];
  snprintf(path, sizeof path, "%s/positions.json", out);
  rocks_status_t st = text ? ds_write_text_atomic(path, text, &err) : rocks_fail(&err, ROCKS_ERR_NOMEM, "out of memory");
  free(text);
  if (st != ROCKS_OK) {
    fail_("%s%s", "", err.msg);
    goto done;
  }
  fprintf(stderr, "rocks heatmap: %d positions evaluated -> %s\n", npos, path);
  rc = 0;
  if (render) {
    int r = render_(python, out);
    if (r != 0) {
      fprintf(stderr, "rocks heatmap: rendering failed (%s -m rocks.heatmap %s exited with %d)\n", python, out, r);
      rc = 1;
    }
  }
done:
  cJSON_Delete(root);
  free(inp), free(logits), free(values), free(b);
  nn_infer_delete(eng);
  goresnet_delete(m);
  sgf_games_free(games, ngames);
  return rc;
}
