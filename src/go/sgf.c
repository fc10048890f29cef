/* sgf.c — SGF FF[4] game records: parser, writer, and replay onto / export from a board.
 *
 * Parsing is one iterative pass over the bytes, so nesting depth costs no stack: the grammar
 * Collection = GameTree+, GameTree = "(" Node+ GameTree* ")" is checked with a depth counter and
 * a three-state machine (just opened / in the node sequence / after a child tree). The main
 * line (first variation at every branch) is exactly the nodes met before the tree's first ')',
 * so a single flag says whether a node is interpreted; every other node is only
 * syntax-checked. Coordinates in the root node are range-checked when the root node ends
 * (SZ may come after AB in it); elsewhere at once. Any byte may appear in the input; NUL is
 * rejected. Positions in error messages are 1-based lines and byte columns. Setup points are
 * kept as given, repeats included (they apply in order), up to SGF_MAX_EVENTS per game.
 *
 * Writing produces one game tree with one node per main-line node; consecutive setup events of
 * one kind share a property. parse(write(g)) == g for every g that sgf_parse produces.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "go/sgf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SGF_MAX_KOMI 1000.0 /* |KM| above this is rejected as nonsense */
#define SGF_GRID 19          /* coordinates 'a'..'s'; "tt" is a pass */
/* Events per game. Far above any real game, it bounds what "AB[aa:ss]" (361 points in 9 bytes)
 * can make a hostile file cost: at most ~80 MB per game tree. */
#define SGF_MAX_EVENTS (1 << 22)

/* ------------------------------------------------------------------------------------------ */
/* growable byte buffer                                                                        */

typedef struct {
  char *data;  /* NUL-terminated when not NULL */
  size_t len;
  size_t cap;
  bool failed; /* an allocation failed; further appends are ignored */
} sgf_buf_t;

static bool buf_reserve(sgf_buf_t *b, size_t extra);
static void buf_putc(sgf_buf_t *b, char c);
static void buf_puts(sgf_buf_t *b, const char *s);
static void buf_put_escaped(sgf_buf_t *b, const char *s);

/* Makes room for `extra` more bytes plus the NUL; false (and b->failed) when out of memory. */
static bool buf_reserve(sgf_buf_t *b, size_t extra) {
  if (b->failed) return false;
  if (extra > SIZE_MAX - b->len - 1) return b->failed = true, false;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *d = realloc(b->data, cap);
  if (!d) return b->failed = true, false;
  b->data = d;
  b->cap = cap;
  return true;
}

static void buf_putc(sgf_buf_t *b, char c) {
  if (!buf_reserve(b, 1)) return;
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
}

static void buf_puts(sgf_buf_t *b, const char *s) {
  size_t n = strlen(s);
  if (!buf_reserve(b, n)) return;
  memcpy(b->data + b->len, s, n + 1);
  b->len += n;
}

/* Appends s with ']' and '\' escaped, as an SGF value body. */
static void buf_put_escaped(sgf_buf_t *b, const char *s) {
  for (; *s; s++) {
    if (*s == ']' || *s == '\\') buf_putc(b, '\\');
    buf_putc(b, *s);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* small helpers                                                                               */

static bool is_space(int c);
static bool is_upper(int c);
static bool is_lower(int c);
static void copy_text(char *dst, size_t cap, const char *src, size_t len);
static void excerpt(char *out, size_t cap, const char *s, size_t len);

static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
static bool is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(int c) { return c >= 'a' && c <= 'z'; }

/* Copies at most cap-1 bytes of src into dst, never cutting a UTF-8 sequence in two. */
static void copy_text(char *dst, size_t cap, const char *src, size_t len) {
  size_t n = len < cap - 1 ? len : cap - 1;
  if (n < len) { /* src[n] is the first byte dropped: if it continues a character, drop that too */
    size_t k = n;
    while (k > 0 && n - k < 4 && ((unsigned char)src[k] & 0xC0) == 0x80) k--;
    n = k;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* A short printable rendering of a value for error messages ("ab", "x?y", "abcdefghij..."). */
static void excerpt(char *out, size_t cap, const char *s, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 4 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    if (i == 11 && len > 12) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
  }
  out[o] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* parser state                                                                                */

typedef struct {
  size_t line, col;
} sgf_pos_t;

typedef enum {
  TREE_OPENED = 0, /* just after '(': a node must follow */
  TREE_NODES,      /* in the node sequence */
  TREE_CHILDREN,   /* after a child tree: only '(' or ')' */
} sgf_tree_state_t;

typedef struct {
  const unsigned char *s;
  size_t len, i;
  size_t line, col;
  rocks_error_t *err;
  sgf_buf_t val;             /* the current value, unescaped */
  sgf_pos_t val_pos;         /* where the current value's '[' is */
  /* the collection so far */
  sgf_game_t *games;
  int ngames, games_cap;
  /* the game tree being read */
  sgf_game_t g;
  int events_cap, comments_cap;
  bool main_done;            /* a ')' was seen: no more main-line nodes in this tree */
  bool node_open;            /* a main-line node is open (its index is g.nnodes - 1) */
  bool root_done;            /* the root node ended: size is final */
  sgf_pos_t *root_pos;       /* source position of each root-node event, for late checks */
  int root_pos_cap;
} sgf_parser_t;

static rocks_status_t fail_at(sgf_parser_t *p, sgf_pos_t at, rocks_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static sgf_pos_t here(const sgf_parser_t *p);
static void advance(sgf_parser_t *p);
static void skip_space(sgf_parser_t *p);
static rocks_status_t nomem(sgf_parser_t *p);
static rocks_status_t read_value(sgf_parser_t *p, bool keep);
static rocks_status_t add_event(sgf_parser_t *p, int kind, int color, int x, int y);
static rocks_status_t check_point(sgf_parser_t *p, int x, int y, sgf_pos_t at);
static rocks_status_t start_node(sgf_parser_t *p);
static rocks_status_t end_node(sgf_parser_t *p);
static rocks_status_t read_property(sgf_parser_t *p);
static rocks_status_t interpret_value(sgf_parser_t *p, const char *id, int nth);
static char *text_field(sgf_game_t *g, const char *id, size_t *cap);
static rocks_status_t read_game_tree(sgf_parser_t *p);
static void trim(const char **s, size_t *len);
static bool parse_int(const char *s, size_t len, long max, long *out);
static bool parse_real(const char *s, size_t len, double *out);
static int coord(char c);
static void simple_text(sgf_buf_t *v);

/* Fills p->err with "line L, column C: <message>" and returns code. */
static rocks_status_t fail_at(sgf_parser_t *p, sgf_pos_t at, rocks_status_t code, const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return rocks_fail(p->err, code, "line %zu, column %zu: %s", at.line, at.col, msg);
}

static sgf_pos_t here(const sgf_parser_t *p) { return (sgf_pos_t){p->line, p->col}; }

static rocks_status_t nomem(sgf_parser_t *p) { return fail_at(p, here(p), ROCKS_ERR_NOMEM, "out of memory"); }

/* Steps over one byte, counting lines ("\n", "\r\n" and a lone "\r" each end one). */
static void advance(sgf_parser_t *p) {
  unsigned char c = p->s[p->i++];
  if (c == '\n' || (c == '\r' && (p->i >= p->len || p->s[p->i] != '\n'))) {
    p->line++;
    p->col = 1;
  } else {
    p->col++;
  }
}

static void skip_space(sgf_parser_t *p) {
  while (p->i < p->len && is_space(p->s[p->i])) advance(p);
}

/* Reads one "[...]" value at p->i (which is '['). With keep, the unescaped text (soft line
 * breaks removed, "\x" -> x) is left in p->val; otherwise it is only scanned. */
static rocks_status_t read_value(sgf_parser_t *p, bool keep) {
  p->val_pos = here(p);
  p->val.len = 0;
  if (keep && !buf_reserve(&p->val, 0)) return nomem(p);
  if (keep) p->val.data[0] = '\0';
  advance(p); /* '[' */
  for (;;) {
    if (p->i >= p->len)
      return fail_at(p, here(p), ROCKS_ERR_PARSE, "unexpected end of input in a value (missing ']' for '[' at line %zu, column %zu)",
                     p->val_pos.line, p->val_pos.col);
    unsigned char c = p->s[p->i];
    if (c == '\0') return fail_at(p, here(p), ROCKS_ERR_PARSE, "NUL byte in a value");
    if (c == ']') {
      advance(p);
      return ROCKS_OK;
    }
    advance(p);
    if (c == '\\') {
      if (p->i >= p->len) continue; /* reported as a missing ']' next round */
      unsigned char e = p->s[p->i];
      if (e == '\0') return fail_at(p, here(p), ROCKS_ERR_PARSE, "NUL byte in a value");
      advance(p);
      if (e == '\n' || e == '\r') { /* soft line break: drop it, with a paired \r\n or \n\r */
        if (p->i < p->len && (p->s[p->i] == '\n' || p->s[p->i] == '\r') && p->s[p->i] != e) advance(p);
        continue;
      }
      c = e;
    }
    if (keep) {
      buf_putc(&p->val, (char)c);
      if (p->val.failed) return nomem(p);
    }
  }
}

/* Turns Text into SimpleText in place: each line break and other white space becomes a space. */
static void simple_text(sgf_buf_t *v) {
  size_t o = 0;
  for (size_t i = 0; i < v->len; i++) {
    char c = v->data[i];
    if ((c == '\r' || c == '\n') && i + 1 < v->len && (v->data[i + 1] == '\r' || v->data[i + 1] == '\n') &&
        v->data[i + 1] != c)
      i++; /* \r\n or \n\r is one line break */
    v->data[o++] = is_space((unsigned char)c) ? ' ' : c;
  }
  v->len = o;
  v->data[o] = '\0';
}

static void trim(const char **s, size_t *len) {
  while (*len > 0 && is_space((unsigned char)(*s)[0])) (*s)++, (*len)--;
  while (*len > 0 && is_space((unsigned char)(*s)[*len - 1])) (*len)--;
}

/* Decimal integer with optional sign, 0..max (huge values fail without overflow). */
static bool parse_int(const char *s, size_t len, long max, long *out) {
  size_t i = 0;
  bool neg = false;
  if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == len) return false;
  long v = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (v <= max) v = v * 10 + (s[i] - '0');
  }
  if (neg && v != 0) return false;
  if (v > max) return false;
  *out = v;
  return true;
}

/* Real number: [+-] digits ["." digits] (at least one digit), |value| <= SGF_MAX_KOMI. */
static bool parse_real(const char *s, size_t len, double *out) {
  char tmp[64];
  size_t i = 0, digits = 0;
  if (i < len && (s[i] == '+' || s[i] == '-')) i++;
  for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) digits++;
  if (i < len && s[i] == '.')
    for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) digits++;
  if (i != len || digits == 0) return false;
  /* An integer part this long is out of range anyway; a long fraction is cut to what fits in
   * tmp (far beyond double precision), so strtod sees a short string. */
  const char *dot = memchr(s, '.', len);
  if ((dot ? (size_t)(dot - s) : len) > 12) return false;
  size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  char *end;
  double v = strtod(tmp, &end);
  if (end != tmp + n || !isfinite(v) || fabs(v) > SGF_MAX_KOMI) return false;
  *out = v;
  return true;
}

/* 'a'..'s' -> 0..18, anything else -> -1. */
static int coord(char c) { return c >= 'a' && c < 'a' + SGF_GRID ? c - 'a' : -1; }

/* ------------------------------------------------------------------------------------------ */
/* building the record                                                                         */

static rocks_status_t add_event(sgf_parser_t *p, int kind, int color, int x, int y) {
  sgf_game_t *g = &p->g;
  if (g->nevents >= SGF_MAX_EVENTS)
    return fail_at(p, p->val_pos, ROCKS_ERR_PARSE, "more than %d moves and setup points in one game", SGF_MAX_EVENTS);
  if (g->nevents == p->events_cap) {
    if (p->events_cap > INT_MAX / 2) return nomem(p);
    int cap = p->events_cap ? 2 * p->events_cap : 64;
    sgf_event_t *e = realloc(g->events, (size_t)cap * sizeof *e);
    if (!e) return nomem(p);
    g->events = e;
    p->events_cap = cap;
  }
  if (!p->root_done) { /* remember where root events came from: checked when SZ is final */
    if (g->nevents >= p->root_pos_cap) {
      int cap = p->events_cap;
      sgf_pos_t *rp = realloc(p->root_pos, (size_t)cap * sizeof *rp);
      if (!rp) return nomem(p);
      p->root_pos = rp;
      p->root_pos_cap = cap;
    }
    p->root_pos[g->nevents] = p->val_pos;
  }
  g->events[g->nevents++] = (sgf_event_t){.kind = kind, .color = color, .x = x, .y = y, .node = g->nnodes - 1};
  return ROCKS_OK;
}

/* Range check of a point against the record's size (once the size is final). */
static rocks_status_t check_point(sgf_parser_t *p, int x, int y, sgf_pos_t at) {
  if (x < 0 || (x < p->g.size && y < p->g.size)) return ROCKS_OK;
  return fail_at(p, at, ROCKS_ERR_PARSE, "point %c%c is off the %dx%d board", 'a' + x, 'a' + y, p->g.size, p->g.size);
}

/* Opens a node: on the main line it becomes node g.nnodes. */
static rocks_status_t start_node(sgf_parser_t *p) {
  if (p->main_done) return ROCKS_OK;
  sgf_game_t *g = &p->g;
  if (g->nnodes == INT_MAX) return nomem(p);
  if (g->nnodes == p->comments_cap) {
    if (p->comments_cap > INT_MAX / 2) return nomem(p);
    int cap = p->comments_cap ? 2 * p->comments_cap : 64;
    char **c = realloc(g->comments, (size_t)cap * sizeof *c);
    if (!c) return nomem(p);
    g->comments = c;
    p->comments_cap = cap;
  }
  g->comments[g->nnodes++] = NULL;
  p->node_open = true;
  return ROCKS_OK;
}

/* Closes the open main-line node; after the root node, checks the root's points against SZ. */
static rocks_status_t end_node(sgf_parser_t *p) {
  if (!p->node_open) return ROCKS_OK;
  p->node_open = false;
  if (p->root_done) return ROCKS_OK;
  p->root_done = true;
  for (int i = 0; i < p->g.nevents; i++) {
    const sgf_event_t *e = &p->g.events[i];
    if (e->kind == SGF_PLAYER) continue;
    rocks_status_t st = check_point(p, e->x, e->y, p->root_pos[i]);
    if (st != ROCKS_OK) return st;
  }
  return ROCKS_OK;
}

/* The record's field for SimpleText property id (RU, RE, PB, PW, DT, GN) and its size, or NULL. */
static char *text_field(sgf_game_t *g, const char *id, size_t *cap) {
  struct { const char *id; size_t offset, size; } fields[] = {
      {"RU", offsetof(sgf_game_t, rules), sizeof g->rules}, {"RE", offsetof(sgf_game_t, result), sizeof g->result},
      {"PB", offsetof(sgf_game_t, black), sizeof g->black}, {"PW", offsetof(sgf_game_t, white), sizeof g->white},
      {"DT", offsetof(sgf_game_t, date), sizeof g->date},   {"GN", offsetof(sgf_game_t, name), sizeof g->name}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (!strcmp(id, fields[i].id)) {
      *cap = fields[i].size;
      return (char *)g + fields[i].offset;
    }
  return NULL;
}

/* Interprets value number `nth` (0-based) of main-line property `id`, now in p->val. */
static rocks_status_t interpret_value(sgf_parser_t *p, const char *id, int nth) {
  sgf_game_t *g = &p->g;
  const sgf_pos_t at = p->val_pos;
  const char *v = p->val.data;
  size_t n = p->val.len;
  char ex[24];
  excerpt(ex, sizeof ex, v, n);

  bool single = !strcmp(id, "SZ") || !strcmp(id, "KM") || !strcmp(id, "HA") || !strcmp(id, "RU") ||
                !strcmp(id, "B") || !strcmp(id, "W") || !strcmp(id, "PL") || !strcmp(id, "RE") ||
                !strcmp(id, "PB") || !strcmp(id, "PW") || !strcmp(id, "DT") || !strcmp(id, "GN") ||
                !strcmp(id, "C") || !strcmp(id, "GM");
  if (single && nth > 0) return fail_at(p, at, ROCKS_ERR_PARSE, "%s takes a single value", id);

  if (!strcmp(id, "SZ")) {
    long a, b;
    trim(&v, &n);
    const char *colon = memchr(v, ':', n);
    if (g->nnodes > 1) return fail_at(p, at, ROCKS_ERR_PARSE, "SZ is only allowed in the root node");
    if (colon) {
      size_t k = (size_t)(colon - v);
      if (!parse_int(v, k, 1000, &a) || !parse_int(colon + 1, n - k - 1, 1000, &b))
        return fail_at(p, at, ROCKS_ERR_PARSE, "bad board size '%s'", ex);
      if (a != b) return fail_at(p, at, ROCKS_ERR_PARSE, "non-square board %s is not supported", ex);
    } else if (!parse_int(v, n, 1000, &a)) {
      return fail_at(p, at, ROCKS_ERR_PARSE, "bad board size '%s'", ex);
    }
    if (a < BOARD_MIN_SIZE || a > BOARD_MAX_SIZE)
      return fail_at(p, at, ROCKS_ERR_PARSE, "board size %s out of range %d..%d", ex, BOARD_MIN_SIZE, BOARD_MAX_SIZE);
    g->size = (int)a;
    return ROCKS_OK;
  }
  if (!strcmp(id, "KM")) {
    trim(&v, &n);
    if (n == 0) g->komi = 0; /* KM[] is common; read as no komi */
    else if (!parse_real(v, n, &g->komi)) return fail_at(p, at, ROCKS_ERR_PARSE, "bad komi '%s'", ex);
    return ROCKS_OK;
  }
  if (!strcmp(id, "HA")) {
    long h = 0;
    trim(&v, &n);
    if (n > 0 && !parse_int(v, n, BOARD_MAX_SIZE * BOARD_MAX_SIZE, &h))
      return fail_at(p, at, ROCKS_ERR_PARSE, "bad handicap '%s'", ex);
    g->handicap = (int)h;
    return ROCKS_OK;
  }
  if (!strcmp(id, "GM")) {
    trim(&v, &n);
    if (n != 1 || v[0] != '1') return fail_at(p, at, ROCKS_ERR_PARSE, "GM[%s] is not a game of Go", ex);
    return ROCKS_OK;
  }
  size_t cap;
  char *field = text_field(g, id, &cap);
  if (field) {
    simple_text(&p->val);
    copy_text(field, cap, p->val.data, p->val.len);
    return ROCKS_OK;
  }
  if (!strcmp(id, "C")) {
    char **slot = &g->comments[g->nnodes - 1];
    free(*slot);
    *slot = NULL;
    if (n == 0) return ROCKS_OK; /* an empty comment is no comment */
    *slot = malloc(n + 1);
    if (!*slot) return nomem(p);
    memcpy(*slot, v, n + 1);
    return ROCKS_OK;
  }
  if (!strcmp(id, "PL")) {
    trim(&v, &n);
    int color = COLOR_EMPTY;
    if (n == 1 && (v[0] == 'B' || v[0] == 'b')) color = COLOR_BLACK;
    else if (n == 1 && (v[0] == 'W' || v[0] == 'w')) color = COLOR_WHITE;
    if (color == COLOR_EMPTY) return fail_at(p, at, ROCKS_ERR_PARSE, "bad colour '%s' in PL", ex);
    return add_event(p, SGF_PLAYER, color, -1, -1);
  }
  if (!strcmp(id, "B") || !strcmp(id, "W")) {
    const int color = id[0] == 'B' ? COLOR_BLACK : COLOR_WHITE;
    int x = -1, y = -1;
    trim(&v, &n);
    if (n == 2 && v[0] == 't' && v[1] == 't') {
      /* "tt": the FF[3] pass (a real point only on boards > 19, which we do not support) */
    } else if (n == 2 && coord(v[0]) >= 0 && coord(v[1]) >= 0) {
      x = coord(v[0]);
      y = coord(v[1]);
    } else if (n != 0) {
      return fail_at(p, at, ROCKS_ERR_PARSE, "bad move '%s'", ex);
    }
    if (p->root_done) {
      rocks_status_t st = check_point(p, x, y, at);
      if (st != ROCKS_OK) return st;
    }
    return add_event(p, SGF_MOVE, color, x, y);
  }
  if (!strcmp(id, "AB") || !strcmp(id, "AW") || !strcmp(id, "AE")) {
    const int kind = id[1] == 'B' ? SGF_ADD_BLACK : id[1] == 'W' ? SGF_ADD_WHITE : SGF_ADD_EMPTY;
    const int color = kind == SGF_ADD_BLACK ? COLOR_BLACK : kind == SGF_ADD_WHITE ? COLOR_WHITE : COLOR_EMPTY;
    int x0, y0, x1, y1;
    trim(&v, &n);
    if (n == 2 || (n == 5 && v[2] == ':')) {
      x0 = coord(v[0]);
      y0 = coord(v[1]);
      x1 = n == 5 ? coord(v[3]) : x0;
      y1 = n == 5 ? coord(v[4]) : y0;
    } else {
      x0 = y0 = x1 = y1 = -1;
    }
    if (x0 < 0 || y0 < 0 || x1 < 0 || y1 < 0) return fail_at(p, at, ROCKS_ERR_PARSE, "bad point '%s' in %s", ex, id);
    if (x0 > x1) { int t = x0; x0 = x1; x1 = t; }
    if (y0 > y1) { int t = y0; y0 = y1; y1 = t; }
    if (p->root_done) {
      rocks_status_t st = check_point(p, x1, y1, at);
      if (st != ROCKS_OK) return st;
    }
    for (int y = y0; y <= y1; y++)
      for (int x = x0; x <= x1; x++) {
        rocks_status_t st = add_event(p, kind, color, x, y);
        if (st != ROCKS_OK) return st;
      }
    return ROCKS_OK;
  }
  return ROCKS_OK; /* not understood: skipped */
}

/* Reads one property (identifier and one or more values) at p->i, which is a letter. */
static rocks_status_t read_property(sgf_parser_t *p) {
  const sgf_pos_t start = here(p);
  char id[4] = {0};
  size_t nupper = 0;
  while (p->i < p->len && (is_upper(p->s[p->i]) || is_lower(p->s[p->i]))) {
    if (is_upper(p->s[p->i])) { /* FF[3] names like "AddBlack": lowercase letters are ignored */
      if (nupper < sizeof id - 1) id[nupper] = (char)p->s[p->i];
      nupper++;
    }
    advance(p);
  }
  if (nupper == 0) return fail_at(p, start, ROCKS_ERR_PARSE, "property name without an uppercase letter");
  if (nupper > 2) id[0] = '\0'; /* longer than any property we understand */
  skip_space(p);
  if (p->i >= p->len || p->s[p->i] != '[')
    return fail_at(p, p->i >= p->len ? here(p) : start, ROCKS_ERR_PARSE, "property %s without a value",
                   id[0] ? id : "(long name)");
  const bool keep = !p->main_done && id[0];
  for (int nth = 0; p->i < p->len && p->s[p->i] == '['; nth++) {
    rocks_status_t st = read_value(p, keep);
    if (st != ROCKS_OK) return st;
    if (keep) {
      st = interpret_value(p, id, nth);
      if (st != ROCKS_OK) return st;
    }
    skip_space(p);
  }
  return ROCKS_OK;
}

/* Reads one game tree starting at '(' into p->g (which the caller has zeroed). */
static rocks_status_t read_game_tree(sgf_parser_t *p) {
  size_t depth = 0;
  sgf_tree_state_t state = TREE_OPENED;
  sgf_pos_t opened = here(p);
  rocks_status_t st;
  p->g.size = 19;
  advance(p); /* '(' */
  depth = 1;
  for (;;) {
    skip_space(p);
    if (p->i >= p->len)
      return fail_at(p, here(p), ROCKS_ERR_PARSE, "unexpected end of input: %zu game tree(s) still open (the game at line %zu, column %zu)",
                     depth, opened.line, opened.col);
    const unsigned char c = p->s[p->i];
    if (c == ';' && state != TREE_CHILDREN) {
      if ((st = end_node(p)) != ROCKS_OK) return st;
      advance(p);
      if ((st = start_node(p)) != ROCKS_OK) return st;
      state = TREE_NODES;
    } else if (c == '(' && state != TREE_OPENED) {
      if ((st = end_node(p)) != ROCKS_OK) return st;
      advance(p);
      depth++;
      state = TREE_OPENED;
    } else if (c == ')' && state != TREE_OPENED) {
      if ((st = end_node(p)) != ROCKS_OK) return st;
      advance(p);
      p->main_done = true;
      state = TREE_CHILDREN;
      if (--depth == 0) return ROCKS_OK;
    } else if ((is_upper(c) || is_lower(c)) && state == TREE_NODES) {
      if ((st = read_property(p)) != ROCKS_OK) return st;
    } else if (c == '\0') {
      return fail_at(p, here(p), ROCKS_ERR_PARSE, "NUL byte");
    } else {
      const char *want = state == TREE_OPENED ? "';' to start a node" : state == TREE_NODES
                         ? "a property, ';', '(' or ')'" : "'(' or ')' after a variation";
      if (c >= 0x20 && c < 0x7f) return fail_at(p, here(p), ROCKS_ERR_PARSE, "expected %s, found '%c'", want, c);
      return fail_at(p, here(p), ROCKS_ERR_PARSE, "expected %s, found byte 0x%02x", want, c);
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* public: reading                                                                             */

void sgf_game_clear(sgf_game_t *g) {
  if (!g) return;
  free(g->events);
  if (g->comments)
    for (int i = 0; i < g->nnodes; i++) free(g->comments[i]);
  free(g->comments);
  g->events = NULL;
  g->comments = NULL;
  g->nevents = 0;
  g->nnodes = 0;
}

void sgf_games_free(sgf_game_t *games, int ngames) {
  if (!games) return;
  for (int i = 0; i < ngames; i++) sgf_game_clear(&games[i]);
  free(games);
}

rocks_status_t sgf_parse(const char *text, size_t len, sgf_game_t **games, int *ngames, rocks_error_t *err) {
  sgf_parser_t *p = calloc(1, sizeof *p);
  rocks_status_t st = ROCKS_OK;
  *games = NULL;
  *ngames = 0;
  if (!p) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  p->s = (const unsigned char *)(text ? text : "");
  p->len = text ? len : 0;
  p->line = p->col = 1;
  p->err = err;
  if (p->len >= 3 && !memcmp(p->s, "\xEF\xBB\xBF", 3)) { /* UTF-8 byte order mark */
    p->i = 3;
    p->col = 4;
  }
  for (;;) {
    skip_space(p);
    if (p->i >= p->len) break;
    const unsigned char c = p->s[p->i];
    if (c != '(') {
      if (c >= 0x20 && c < 0x7f) st = fail_at(p, here(p), ROCKS_ERR_PARSE, "expected '(' to start a game tree, found '%c'", c);
      else st = fail_at(p, here(p), ROCKS_ERR_PARSE, "expected '(' to start a game tree, found byte 0x%02x", c);
      break;
    }
    memset(&p->g, 0, sizeof p->g);
    p->events_cap = p->comments_cap = 0;
    p->main_done = p->node_open = p->root_done = false;
    st = read_game_tree(p);
    if (st == ROCKS_OK && p->ngames == p->games_cap) {
      int cap = p->games_cap ? 2 * p->games_cap : 4;
      sgf_game_t *gs = p->games_cap > INT_MAX / 4 ? NULL : realloc(p->games, (size_t)cap * sizeof *gs);
      if (!gs) st = nomem(p);
      else {
        p->games = gs;
        p->games_cap = cap;
      }
    }
    if (st != ROCKS_OK) {
      sgf_game_clear(&p->g);
      break;
    }
    p->games[p->ngames++] = p->g;
  }
  if (st == ROCKS_OK && p->ngames == 0)
    st = fail_at(p, here(p), ROCKS_ERR_PARSE, p->len ? "no game tree: only white space" : "empty input: no game tree");
  if (st == ROCKS_OK) {
    *games = p->games;
    *ngames = p->ngames;
  } else {
    sgf_games_free(p->games, p->ngames);
  }
  free(p->val.data);
  free(p->root_pos);
  free(p);
  return st;
}

rocks_status_t sgf_read_file(const char *path, sgf_game_t **games, int *ngames, rocks_error_t *err) {
  *games = NULL;
  *ngames = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return rocks_fail(err, ROCKS_ERR_IO, "%s: %s", path, strerror(errno));
  sgf_buf_t b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (!buf_reserve(&b, n)) break;
    memcpy(b.data + b.len, chunk, n);
    b.len += n;
  }
  const bool bad = ferror(f) != 0;
  fclose(f);
  if (bad || b.failed) {
    free(b.data);
    if (b.failed) return rocks_fail(err, ROCKS_ERR_NOMEM, "%s: out of memory", path);
    return rocks_fail(err, ROCKS_ERR_IO, "%s: read error", path);
  }
  rocks_error_t e = {0};
  rocks_status_t st = sgf_parse(b.data, b.len, games, ngames, &e);
  free(b.data);
  if (st != ROCKS_OK) return rocks_fail(err, st, "%s: %s", path, e.msg);
  return ROCKS_OK;
}

bool sgf_game_equal(const sgf_game_t *a, const sgf_game_t *b) {
  if (a->size != b->size || a->komi != b->komi || a->handicap != b->handicap) return false;
  if (strcmp(a->rules, b->rules) || strcmp(a->black, b->black) || strcmp(a->white, b->white) ||
      strcmp(a->result, b->result) || strcmp(a->date, b->date) || strcmp(a->name, b->name))
    return false;
  if (a->nevents != b->nevents || a->nnodes != b->nnodes) return false;
  for (int i = 0; i < a->nevents; i++) {
    const sgf_event_t *x = &a->events[i], *y = &b->events[i];
    if (x->kind != y->kind || x->color != y->color || x->x != y->x || x->y != y->y || x->node != y->node)
      return false;
  }
  for (int i = 0; i < a->nnodes; i++) {
    const char *ca = a->comments ? a->comments[i] : NULL, *cb = b->comments ? b->comments[i] : NULL;
    if (strcmp(ca ? ca : "", cb ? cb : "")) return false;
  }
  return true;
}

/* ------------------------------------------------------------------------------------------ */
/* public: writing                                                                             */

static void put_point(sgf_buf_t *b, int x, int y);
static void put_text_property(sgf_buf_t *b, const char *id, const char *text);
static void put_komi(sgf_buf_t *b, double komi);

/* Appends the two letters of (x, y); 0..25 -> 'a'..'z', 26..51 -> 'A'..'Z'. */
static void put_point(sgf_buf_t *b, int x, int y) {
  buf_putc(b, (char)(x < 26 ? 'a' + x : 'A' + x - 26));
  buf_putc(b, (char)(y < 26 ? 'a' + y : 'A' + y - 26));
}

/* Appends ID[text] when text is not empty. */
static void put_text_property(sgf_buf_t *b, const char *id, const char *text) {
  if (!text || !text[0]) return;
  buf_puts(b, id);
  buf_putc(b, '[');
  buf_put_escaped(b, text);
  buf_putc(b, ']');
}

/* Appends komi in fixed notation with the fewest decimals that read back exactly. */
static void put_komi(sgf_buf_t *b, double komi) {
  char tmp[512];
  if (!isfinite(komi) || fabs(komi) > 1e15) komi = 0; /* only a hand-made record can hold these */
  for (int prec = 0; prec <= 400; prec++) {
    snprintf(tmp, sizeof tmp, "%.*f", prec, komi);
    if (strtod(tmp, NULL) == komi) break;
  }
  buf_puts(b, tmp);
}

char *sgf_write(const sgf_game_t *g) {
  sgf_buf_t b = {0};
  char tmp[64];
  buf_puts(&b, "(;FF[4]GM[1]CA[UTF-8]AP[rocks:" ROCKS_VERSION "]");
  snprintf(tmp, sizeof tmp, "SZ[%d]KM[", g->size);
  buf_puts(&b, tmp);
  put_komi(&b, g->komi);
  buf_putc(&b, ']');
  if (g->handicap) {
    snprintf(tmp, sizeof tmp, "HA[%d]", g->handicap);
    buf_puts(&b, tmp);
  }
  put_text_property(&b, "RU", g->rules);
  put_text_property(&b, "PB", g->black);
  put_text_property(&b, "PW", g->white);
  put_text_property(&b, "DT", g->date);
  put_text_property(&b, "GN", g->name);
  put_text_property(&b, "RE", g->result);

  /* Nodes in order; an event is written in node max(its node, the current one). */
  int node = 0, prev_kind = -1;
  int last = g->nnodes > 0 ? g->nnodes - 1 : 0;
  for (int i = 0; i < g->nevents; i++)
    if (g->events[i].node > last) last = g->events[i].node;
  for (int i = 0; i <= g->nevents; i++) {
    const sgf_event_t *e = i < g->nevents ? &g->events[i] : NULL;
    const int target = e ? (e->node > node ? e->node : node) : last + 1;
    while (node < target) { /* close the current node and open the next */
      if (node < g->nnodes && g->comments) put_text_property(&b, "C", g->comments[node]);
      if (node == last) break;
      node++;
      buf_puts(&b, node == 1 || node % 10 == 1 ? "\n;" : ";");
      prev_kind = -1;
    }
    if (!e) break;
    const bool on_board = e->x >= 0 && e->y >= 0 && e->x < 52 && e->y < 52;
    switch (e->kind) {
      case SGF_MOVE:
        buf_puts(&b, e->color == COLOR_WHITE ? "W[" : "B[");
        if (on_board) put_point(&b, e->x, e->y);
        buf_putc(&b, ']');
        break;
      case SGF_ADD_BLACK:
      case SGF_ADD_WHITE:
      case SGF_ADD_EMPTY:
        if (!on_board) continue;
        if (prev_kind != e->kind)
          buf_puts(&b, e->kind == SGF_ADD_BLACK ? "AB" : e->kind == SGF_ADD_WHITE ? "AW" : "AE");
        buf_putc(&b, '[');
        put_point(&b, e->x, e->y);
        buf_putc(&b, ']');
        break;
      case SGF_PLAYER:
        buf_puts(&b, e->color == COLOR_WHITE ? "PL[W]" : "PL[B]");
        break;
      default:
        continue;
    }
    prev_kind = e->kind;
  }
  buf_puts(&b, ")\n");
  if (b.failed) {
    free(b.data);
    return NULL;
  }
  return b.data;
}

rocks_status_t sgf_write_file(const char *path, const sgf_game_t *g, rocks_error_t *err) {
  char *text = sgf_write(g);
  if (!text) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  const size_t len = strlen(text);
  const size_t plen = strlen(path);
  char *tmp = malloc(plen + sizeof ".tmp.XXXXXX");
  if (!tmp) {
    free(text);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  rocks_status_t st = ROCKS_OK;
  int fd = mkstemp(tmp);
  if (fd < 0) {
    st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", tmp, strerror(errno));
    free(tmp);
    free(text);
    return st;
  }
  (void)fchmod(fd, 0644); /* mkstemp makes 0600; a game record is not a secret */
  size_t off = 0;
  while (off < len && st == ROCKS_OK) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) st = rocks_fail(err, ROCKS_ERR_IO, "%s: write: %s", tmp, strerror(errno));
    else off += (size_t)w;
  }
  if (st == ROCKS_OK && fsync(fd) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
  if (close(fd) != 0 && st == ROCKS_OK) st = rocks_fail(err, ROCKS_ERR_IO, "%s: close: %s", tmp, strerror(errno));
  if (st == ROCKS_OK && rename(tmp, path) != 0)
    st = rocks_fail(err, ROCKS_ERR_IO, "rename %s -> %s: %s", tmp, path, strerror(errno));
  if (st != ROCKS_OK) {
    unlink(tmp);
  } else { /* make the rename itself durable: fsync the directory (best effort) */
    char *slash = strrchr(tmp, '/');
    if (slash) slash[slash == tmp ? 1 : 0] = '\0';
    int dfd = open(slash ? tmp : ".", O_RDONLY);
    if (dfd >= 0) {
      (void)fsync(dfd);
      close(dfd);
    }
  }
  free(tmp);
  free(text);
  return st;
}

/* ------------------------------------------------------------------------------------------ */
/* public: boards                                                                              */

static rocks_status_t set_point(board_t *b, int color, int point, rocks_error_t *err);
static double short_komi(float komi);
static void copy_simple_text(char *dst, size_t cap, const char *src);

/* The double nearest to the shortest decimal that reads back as this float (6.5f -> 6.5,
 * 0.1f -> 0.1), so an exported KM looks like what the user typed. */
static double short_komi(float komi) {
  char tmp[64];
  for (int prec = 1; prec <= 12; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, (double)komi);
    double d = strtod(tmp, NULL);
    if ((float)d == komi && fabs(d) <= SGF_MAX_KOMI) return d;
  }
  return isfinite(komi) && fabs(komi) <= SGF_MAX_KOMI ? (double)komi : 0.0;
}

/* copy_text of a C string (NULL -> ""), with all white space made spaces as in SimpleText. */
static void copy_simple_text(char *dst, size_t cap, const char *src) {
  if (!src) src = "";
  copy_text(dst, cap, src, strlen(src));
  for (char *c = dst; *c; c++)
    if (is_space((unsigned char)*c)) *c = ' ';
}

/* Makes `point` hold `color` (EMPTY removes) by setup, replacing a stone of the other colour. */
static rocks_status_t set_point(board_t *b, int color, int point, rocks_error_t *err) {
  const int cur = b->color[point];
  if (cur == color) return ROCKS_OK;
  if (cur != COLOR_EMPTY) {
    rocks_status_t st = board_setup_stone(b, COLOR_EMPTY, point, err);
    if (st != ROCKS_OK) return st;
  }
  return color == COLOR_EMPTY ? ROCKS_OK : board_setup_stone(b, color, point, err);
}

rocks_status_t sgf_game_to_board(const sgf_game_t *g, board_t *b, board_rules_t rules, int max_moves,
                                 rocks_error_t *err) {
  rocks_status_t st = board_init(b, g->size, rules, (float)g->komi, err);
  if (st != ROCKS_OK) return st;
  int moveno = 0, next = COLOR_EMPTY;
  for (int i = 0; i < g->nevents; i++) {
    const sgf_event_t *e = &g->events[i];
    const bool pass = e->x == -1 && e->y == -1;
    const bool inside = e->x >= 0 && e->y >= 0 && e->x < g->size && e->y < g->size;
    if (e->kind == SGF_PLAYER) {
      if (e->color != COLOR_BLACK && e->color != COLOR_WHITE)
        return rocks_fail(err, ROCKS_ERR_ARG, "bad colour %d in PL", e->color);
      next = e->color;
    } else if (e->kind == SGF_MOVE) {
      moveno++;
      if (max_moves > 0 && moveno >= max_moves) { /* loadsgf: the position before this move */
        next = e->color == COLOR_WHITE ? COLOR_WHITE : COLOR_BLACK;
        break;
      }
      const char *who = e->color == COLOR_WHITE ? "W" : "B";
      if (e->color != COLOR_BLACK && e->color != COLOR_WHITE)
        return rocks_fail(err, ROCKS_ERR_ILLEGAL, "move %d: bad colour %d", moveno, e->color);
      if (!pass && !inside)
        return rocks_fail(err, ROCKS_ERR_ILLEGAL, "move %d (%s at %d,%d): off the board", moveno, who, e->x, e->y);
      const int point = pass ? BOARD_PASS : board_point(b, e->x, e->y);
      rocks_error_t sub = {0};
      st = board_play(b, e->color, point, &sub);
      if (st != ROCKS_OK) {
        char v[8];
        board_vertex_string(b, point, v);
        return rocks_fail(err, st, "move %d (%s %s): %s", moveno, who, v, sub.msg);
      }
      next = board_other(e->color);
    } else if (e->kind == SGF_ADD_BLACK || e->kind == SGF_ADD_WHITE || e->kind == SGF_ADD_EMPTY) {
      if (!inside) return rocks_fail(err, ROCKS_ERR_ARG, "setup point %d,%d is off the board", e->x, e->y);
      const int color = e->kind == SGF_ADD_BLACK ? COLOR_BLACK : e->kind == SGF_ADD_WHITE ? COLOR_WHITE : COLOR_EMPTY;
      rocks_error_t sub = {0};
      st = set_point(b, color, board_point(b, e->x, e->y), &sub);
      if (st != ROCKS_OK) return rocks_fail(err, st, "setup before move %d: %s", moveno + 1, sub.msg);
    } else {
      return rocks_fail(err, ROCKS_ERR_ARG, "unknown event kind %d", e->kind);
    }
  }
  if (next == COLOR_EMPTY) next = g->handicap >= 2 ? COLOR_WHITE : COLOR_BLACK;
  board_set_to_play(b, next);
  return ROCKS_OK;
}

rocks_status_t sgf_game_from_board(sgf_game_t *g, const board_t *b, const char *black, const char *white,
                                   rocks_error_t *err) {
  memset(g, 0, sizeof *g);
  if (!b->history_ok) return rocks_fail(err, ROCKS_ERR_STATE, "board history is not valid (fast play was used)");
  g->size = b->size;
  g->komi = short_komi(b->komi);
  copy_simple_text(g->rules, sizeof g->rules, board_rules_name(b->rules));
  copy_simple_text(g->black, sizeof g->black, black);
  copy_simple_text(g->white, sizeof g->white, white);
  if (board_game_over(b)) board_score_string(b, g->result, sizeof g->result);

  g->events = malloc(((size_t)b->nactions + 1) * sizeof *g->events);
  if (!g->events) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  int node = 0, handicap = 0, last_move_color = COLOR_EMPTY;
  bool node_has_move = false, other_setup = false;
  for (int i = 0; i < b->nactions; i++) {
    const board_action_t *a = &b->actions[i];
    sgf_event_t e = {.x = -1, .y = -1};
    if (a->point != BOARD_PASS) {
      e.x = board_x(b, a->point);
      e.y = board_y(b, a->point);
    }
    e.color = a->color;
    if (a->setup) {
      if (node_has_move) node++; /* setup after a move: a node of its own */
      node_has_move = false;
      e.kind = a->color == COLOR_BLACK ? SGF_ADD_BLACK : a->color == COLOR_WHITE ? SGF_ADD_WHITE : SGF_ADD_EMPTY;
      if (last_move_color == COLOR_EMPTY) {
        if (a->color == COLOR_BLACK) handicap++;
        else other_setup = true;
      }
    } else {
      node++;
      node_has_move = true;
      e.kind = SGF_MOVE;
      last_move_color = a->color;
    }
    e.node = node;
    g->events[g->nevents++] = e;
  }
  g->handicap = handicap >= 2 && !other_setup ? handicap : 0;
  /* Make sgf_game_to_board derive the same side to move. */
  int derived = last_move_color != COLOR_EMPTY ? board_other(last_move_color)
                : g->handicap >= 2 ? COLOR_WHITE : COLOR_BLACK;
  if (b->to_play != derived)
    g->events[g->nevents++] = (sgf_event_t){.kind = SGF_PLAYER, .color = b->to_play, .x = -1, .y = -1, .node = node};
  g->nnodes = node + 1;
  g->comments = calloc((size_t)g->nnodes, sizeof *g->comments);
  if (!g->comments) {
    sgf_game_clear(g);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  }
  return ROCKS_OK;
}
