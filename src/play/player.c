/* player.c — MCTS Go player behind `rocks gtp --visits N` and `--model CKPT` (see player.h).
 *
 * Each genmove: (re)build the search for the board size if needed, walk the previous root
 * forward along the moves played since (tree reuse), search until the root has cfg.visits
 * visits or the time budget would be overrun by one more slice, then answer the most visited
 * move or resign. The analysis hook runs the same search one slice at a time.
 */
#include "play/player.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcts/mcts_go.h"

struct player {
  player_config_t cfg;
  mcts_go_t *go;     /* game adapter + rollout evaluator for the current size */
  mcts_t *m;
  rocks_error_t last;
  board_t board;     /* the position searched (the GTP board with `color` to move) */
  player_stats_t stats;
  int32_t visits0;   /* root visits when the current search began */
  int64_t sims0;     /* mcts simulations counter then */
  double t0;         /* when it began */
  bool ready;        /* a root is set (begin succeeded) */
};

player_config_t player_config_default(void) {
  return (player_config_t){.visits = 800,
                           .seconds = 0,
                           .eval = PLAYER_EVAL_ROLLOUT,
                           .net = NULL,
                           .mcts = mcts_config_default(),
                           .max_moves = 0,
                           .min_resign_moves = -1,
                           .pass_rules = true};
}

player_t *player_new(const player_config_t *cfg, rocks_error_t *err) {
  player_config_t c = cfg ? *cfg : player_config_default();
  if (c.visits < 1) {
    rocks_fail(err, ROCKS_ERR_ARG, "player: visits must be >= 1, got %d", c.visits);
    return NULL;
  }
  if (!(c.seconds >= 0) || !isfinite(c.seconds)) {
    rocks_fail(err, ROCKS_ERR_ARG, "player: seconds per move must be >= 0");
    return NULL;
  }
  if (c.eval != PLAYER_EVAL_ROLLOUT && c.eval != PLAYER_EVAL_UNIFORM && c.eval != PLAYER_EVAL_NN) {
    rocks_fail(err, ROCKS_ERR_ARG, "player: unknown evaluator %d", (int)c.eval);
    return NULL;
  }
  if (c.eval == PLAYER_EVAL_NN && !c.net) {
    rocks_fail(err, ROCKS_ERR_ARG, "player: the network evaluator needs a network");
    return NULL;
  }
  if (mcts_config_check(&c.mcts, err) != ROCKS_OK) return NULL;
  player_t *p = calloc(1, sizeof *p);
  if (!p) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "player: out of memory");
    return NULL;
  }
  p->cfg = c;
  return p;
}

void player_delete(player_t *p) {
  if (!p) return;
  mcts_delete(p->m);
  mcts_go_delete(p->go);
  free(p);
}

const rocks_error_t *player_last_error(const player_t *p) { return &p->last; }
mcts_t *player_mcts(player_t *p) { return p->m; }
void player_last_stats(const player_t *p, player_stats_t *s) { *s = p->stats; }

/* The network evaluator with the pass rule of the search (pass_rules): a pass gets prior 0
 * unless the last move was a pass, so that visits go to real moves and the tree meets passes
 * (and two-pass endings) only where the game is ending. */
static int nn_eval(void *ctx, const void *const *states, int n, float *priors, float *values) {
  player_t *p = ctx;
  const int r = nneval_mcts(p->cfg.net, states, n, priors, values);
  if (r != 0 || !p->cfg.pass_rules) return r;
  for (int i = 0; i < n; i++) {
    const board_t *b = states[i];
    const int A = b->size * b->size + 1;
    if (b->passes == 0) priors[(size_t)i * A + A - 1] = 0;
  }
  return 0;
}

/* Search objects for boards of `size`. */
static rocks_status_t rebuild(player_t *p, int size) {
  mcts_delete(p->m);
  mcts_go_delete(p->go);
  p->m = NULL;
  p->go = NULL;
  if (p->cfg.eval == PLAYER_EVAL_NN && nneval_size(p->cfg.net) != size) {
    const int n = nneval_size(p->cfg.net);
    return rocks_fail(&p->last, ROCKS_ERR_ARG, "player: the network plays %dx%d, not %dx%d", n, n, size, size);
  }
  p->go = mcts_go_new(size, 0, p->cfg.mcts.seed, &p->last);
  if (!p->go) return p->last.code;
  mcts_eval_fn fn = mcts_go_eval_rollout;
  void *ctx = p->go;
  if (p->cfg.eval == PLAYER_EVAL_UNIFORM) fn = mcts_go_eval_uniform;
  if (p->cfg.eval == PLAYER_EVAL_NN) fn = nn_eval, ctx = p;
  p->m = mcts_new(mcts_go_game(p->go), &p->cfg.mcts, fn, ctx, &p->last);
  return p->m ? ROCKS_OK : p->last.code;
}

/* Moves the search root forward to `cur` along the actions played since (when cur's history
 * extends the root's), then sets cur as the root; the tree survives iff the position matches. */
static void follow(player_t *p, const board_t *cur) {
  const board_t *r = mcts_root_state(p->m);
  rocks_error_t e;
  if (r && (r->komi != cur->komi || r->rules.suicide != cur->rules.suicide || r->rules.ko != cur->rules.ko)) {
    mcts_clear(p->m);
  } else if (r && r->history_ok && cur->history_ok && r->nactions <= cur->nactions &&
             memcmp(r->actions, cur->actions, (size_t)r->nactions * sizeof r->actions[0]) == 0) {
    for (int i = r->nactions; i < cur->nactions; i++) {
      const board_action_t *a = &cur->actions[i];
      r = mcts_root_state(p->m);
      if (a->setup || a->color != r->to_play ||
          mcts_advance(p->m, board_policy_index(r, a->point), &e) != ROCKS_OK) {
        mcts_clear(p->m);
        break;
      }
    }
  } else if (r) {
    mcts_clear(p->m);
  }
  mcts_set_root(p->m, cur, &e); /* keeps the tree iff the hash matches; cannot fail here */
}

/* Sets up the root for b with `color` to move; starts the search's statistics. */
static rocks_status_t begin(player_t *p, const board_t *b, int color) {
  p->last = (rocks_error_t){.code = ROCKS_OK, .msg = ""};
  p->ready = false;
  if ((!p->go || mcts_go_size(p->go) != b->size) && rebuild(p, b->size) != ROCKS_OK) return p->last.code;
  board_copy(&p->board, b);
  board_set_to_play(&p->board, color); /* GTP may ask for either colour */
  const int n2 = b->size * b->size;
  mcts_go_set_max_moves(p->go, b->move_count + (p->cfg.max_moves > 0 ? p->cfg.max_moves : 2 * n2));
  follow(p, &p->board);
  mcts_stats_t st;
  mcts_get_stats(p->m, &st);
  p->visits0 = mcts_root_visits(p->m);
  p->sims0 = st.simulations;
  p->t0 = rocks_now();
  p->ready = true;
  return ROCKS_OK;
}

/* Fills p->stats from the tree. */
static void finish(player_t *p) {
  player_stats_t *s = &p->stats;
  memset(s, 0, sizeof *s);
  if (!p->ready) return;
  mcts_stats_t st;
  mcts_get_stats(p->m, &st);
  s->visits = mcts_root_visits(p->m);
  s->simulations = (int)(st.simulations - p->sims0);
  s->seconds = rocks_now() - p->t0;
  s->winrate = 0.5 + 0.5 * mcts_root_value(p->m);
  int actions[GTP_MAX_PV];
  s->npv = mcts_pv(p->m, actions, GTP_MAX_PV);
  for (int i = 0; i < s->npv; i++) s->pv[i] = board_policy_point(&p->board, actions[i]);
}

/* One slice of search: batch_size simulations (at least 8), capped by `want`. */
static rocks_status_t slice(player_t *p, int want) {
  int n = p->cfg.mcts.batch_size > 8 ? p->cfg.mcts.batch_size : 8;
  if (want < n) n = want;
  return mcts_search(p->m, n, &p->last);
}

/* The most visited non-pass root move (ties: the higher prior), or, when none has visits, the
 * highest-prior one that does not fill an own eye; -1 if none. */
static int best_non_pass(player_t *p) {
  const int A = mcts_num_actions(p->m);
  int32_t *visits = malloc(sizeof(int32_t) * (size_t)A);
  double *prior = malloc(sizeof(double) * (size_t)A);
  int best = -1;
  if (visits && prior && mcts_root_stats(p->m, visits, NULL, prior) > 0)
    for (int a = 0; a < A - 1; a++) {
      if (visits[a] == 0 && (prior[a] <= 0 || board_is_eye(&p->board, board_policy_point(&p->board, a), p->board.to_play)))
        continue;
      if (best < 0 || visits[a] > visits[best] || (visits[a] == visits[best] && prior[a] > prior[best])) best = a;
    }
  free(visits);
  free(prior);
  return best;
}

/* The answer for the searched root: resign, or the most visited move (pass if none), with the
 * pass rules for Tromp-Taylor scoring (docs/play.md): after the opponent's pass, pass iff the
 * score on the board (every stone counts) wins; otherwise never pass first while a move that
 * the search visited, or one that does not fill an own eye, is left. */
static int choose(player_t *p) {
  if (!p->ready) return BOARD_PASS;
  const int min_moves = p->cfg.min_resign_moves >= 0 ? p->cfg.min_resign_moves : p->board.size * p->board.size / 4;
  if (p->board.move_count >= min_moves && mcts_should_resign(p->m)) return BOARD_RESIGN;
  int action;
  rocks_error_t e;
  if (mcts_select_action(p->m, 0.0, &action, &e) != ROCKS_OK) {
    if (p->last.code == ROCKS_OK) p->last = e;
    return BOARD_PASS;
  }
  const int pass = p->board.size * p->board.size;
  if (p->cfg.pass_rules) {
    double score = board_score(&p->board, NULL, NULL);
    if (p->board.to_play == COLOR_WHITE) score = -score;
    if (p->board.passes == 1 && score > 0) {
      action = pass; /* the game ends, won */
    } else if (action == pass) {
      const int other = best_non_pass(p);
      if (other >= 0) action = other;
    }
  }
  return board_policy_point(&p->board, action);
}

int player_genmove(void *ctx, const board_t *b, int color, double seconds, rocks_rng_t *rng) {
  player_t *p = ctx;
  (void)rng;
  if (p->cfg.seconds > 0 && (seconds <= 0 || p->cfg.seconds < seconds)) seconds = p->cfg.seconds;
  if (begin(p, b, color) != ROCKS_OK) {
    finish(p);
    return BOARD_PASS;
  }
  double last_slice = 0;
  while (mcts_root_visits(p->m) < p->cfg.visits) {
    const double t = rocks_now();
    /* Under a budget, stop when one more slice like the last would overrun it (the first
     * slice always runs unless the root already has a visited child to answer with). */
    if (seconds > 0 && (t - p->t0) + last_slice > seconds && mcts_root_visits(p->m) > 1) break;
    if (slice(p, p->cfg.visits - mcts_root_visits(p->m)) != ROCKS_OK) break;
    last_slice = rocks_now() - t;
  }
  const int move = choose(p);
  finish(p);
  return move;
}

/* ------------------------------------------------------------------------------------------ */
/* analysis hook                                                                               */

static rocks_status_t an_begin(void *ctx, const board_t *b, int color, rocks_error_t *err) {
  player_t *p = ctx;
  rocks_status_t st = begin(p, b, color);
  if (st != ROCKS_OK && err) *err = p->last;
  return st;
}

static bool an_step(void *ctx) {
  player_t *p = ctx;
  if (!p->ready) return false;
  if (mcts_root_visits(p->m) >= (1 << 30)) return false;
  const bool ok = slice(p, 1 << 30) == ROCKS_OK;
  finish(p);
  return ok;
}

static bool an_done(void *ctx, double spent, double budget) {
  player_t *p = ctx;
  if (!p->ready || mcts_root_visits(p->m) >= p->cfg.visits) return true;
  double limit = budget;
  if (p->cfg.seconds > 0 && (limit <= 0 || p->cfg.seconds < limit)) limit = p->cfg.seconds;
  return limit > 0 && spent >= limit && mcts_root_visits(p->m) > 1;
}

static int an_choose(void *ctx) { return choose(ctx); }

typedef struct {
  int action;
  int32_t visits;
  double q, prior;
} cand_t;

static int cmp_cand(const void *a, const void *b) {
  const cand_t *x = a, *y = b;
  if (x->visits != y->visits) return x->visits > y->visits ? -1 : 1;
  if (x->visits > 0 && x->q != y->q) return x->q > y->q ? -1 : 1;
  if (x->visits == 0 && x->prior != y->prior) return x->prior > y->prior ? -1 : 1;
  return (x->action > y->action) - (x->action < y->action);
}

/* 95% lower bound of a winrate from `visits` values in [0, 1] without their variance: the
 * normal approximation with the largest variance such values can have (1/4). */
static double winrate_lcb(double w, int visits) {
  double l = w - 1.96 * 0.5 / sqrt(visits > 0 ? visits : 1);
  return l < 0 ? 0 : l;
}

static int an_candidates(void *ctx, gtp_candidate_t *out, int max, int min_moves) {
  player_t *p = ctx;
  if (!p->ready || max < 1) return 0;
  const int A = mcts_num_actions(p->m);
  int32_t *visits = malloc(sizeof(int32_t) * (size_t)A);
  double *q = malloc(sizeof(double) * (size_t)A), *prior = malloc(sizeof(double) * (size_t)A);
  cand_t *c = malloc(sizeof(cand_t) * (size_t)A);
  int n = 0, k = 0;
  if (visits && q && prior && c && mcts_root_stats(p->m, visits, q, prior) > 0) {
    for (int a = 0; a < A; a++)
      if (visits[a] > 0 || prior[a] > 0) c[n++] = (cand_t){a, visits[a], q[a], prior[a]};
    qsort(c, (size_t)n, sizeof *c, cmp_cand);
    int pv[GTP_MAX_PV];
    const int npv = mcts_pv(p->m, pv, GTP_MAX_PV);
    const double root_w = 0.5 + 0.5 * mcts_root_value(p->m);
    for (int i = 0; i < n && k < max; i++) {
      if (c[i].visits == 0 && k >= min_moves) break;
      gtp_candidate_t *o = &out[k++];
      o->move = board_policy_point(&p->board, c[i].action);
      o->visits = c[i].visits;
      o->winrate = c[i].visits > 0 ? 0.5 + 0.5 * c[i].q : root_w;
      if (o->winrate < 0) o->winrate = 0;
      if (o->winrate > 1) o->winrate = 1;
      o->prior = c[i].prior;
      o->lcb = c[i].visits > 0 ? winrate_lcb(o->winrate, c[i].visits) : 0;
      /* The search exposes the principal variation from the root only: the candidate on it gets
       * the whole line, the others their own move. */
      o->npv = 1;
      o->pv[0] = o->move;
      if (npv > 0 && pv[0] == c[i].action) {
        o->npv = npv;
        for (int j = 0; j < npv; j++) o->pv[j] = board_policy_point(&p->board, pv[j]);
      }
    }
  }
  free(visits);
  free(q);
  free(prior);
  free(c);
  return k;
}

gtp_analyzer_t player_analyzer(player_t *p) {
  return (gtp_analyzer_t){.ctx = p,
                          .begin = an_begin,
                          .step = an_step,
                          .candidates = an_candidates,
                          .done = an_done,
                          .choose = an_choose};
}
