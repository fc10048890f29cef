/* _rocks.c — the rocks CPython extension: module, errors, and the Board type.
 *
 * Board wraps one heap-allocated board_t. Moves cross the boundary as *policy indices*
 * (y*N + x, pass = N*N); every method that takes a move also accepts (x, y), a GTP vertex
 * ("D4", "pass") or None (pass). Colours are 1 = black, 2 = white (0 = empty in arrays).
 */
#define ROCKS_PY_MAIN
#include "_rocks.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "go/sgf.h"

PyObject *rocks_IllegalMove = NULL;

/* ------------------------------------------------------------------------------------------ */
/* errors and argument conversion                                                             */

PyObject *rocks_raise(const rocks_error_t *err) {
  PyObject *type;
  switch (err->code) {
    case ROCKS_ERR_ILLEGAL: type = rocks_IllegalMove; break;
    case ROCKS_ERR_IO: type = PyExc_OSError; break;
    case ROCKS_ERR_NOMEM: type = PyExc_MemoryError; break;
    case ROCKS_ERR_STATE: type = PyExc_RuntimeError; break;
    case ROCKS_ERR_ARG:
    case ROCKS_ERR_PARSE:
    default: type = PyExc_ValueError; break;
  }
  PyErr_SetString(type, err->msg[0] ? err->msg : rocks_status_name(err->code));
  return NULL;
}

/* Python integer -> long with a range check; -1 with ValueError/TypeError set on failure. */
static int index_in_range(PyObject *obj, long lo, long hi, const char *what, long *out) {
  PyObject *idx = PyNumber_Index(obj);
  if (!idx) return -1;
  int overflow = 0;
  long v = PyLong_AsLongAndOverflow(idx, &overflow);
  Py_DECREF(idx);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (overflow || v < lo || v > hi) {
    PyErr_Format(PyExc_ValueError, "%s is not in %ld..%ld", what, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

int rocks_parse_move(const board_t *b, PyObject *obj, int *move) {
  const int n = b->size;
  rocks_error_t err;
  if (obj == NULL || obj == Py_None) {
    *move = BOARD_PASS;
    return 0;
  }
  if (PyUnicode_Check(obj)) {
    const char *s = PyUnicode_AsUTF8(obj);
    if (!s) return -1;
    if (board_parse_vertex(b, s, move, &err) != ROCKS_OK) return rocks_raise(&err), -1;
    return 0;
  }
  if (PyTuple_Check(obj)) {
    long x, y;
    if (PyTuple_GET_SIZE(obj) != 2) {
      PyErr_SetString(PyExc_ValueError, "a move tuple must be (x, y)");
      return -1;
    }
    if (index_in_range(PyTuple_GET_ITEM(obj, 0), 0, n - 1, "x", &x) < 0) return -1;
    if (index_in_range(PyTuple_GET_ITEM(obj, 1), 0, n - 1, "y", &y) < 0) return -1;
    *move = board_point(b, (int)x, (int)y);
    return 0;
  }
  if (!PyIndex_Check(obj)) {
    PyErr_SetString(PyExc_TypeError, "a move is a policy index, (x, y), a vertex string or None");
    return -1;
  }
  long i;
  if (index_in_range(obj, 0, (long)n * n, "policy index", &i) < 0) return -1;
  *move = board_policy_point(b, (int)i);
  return 0;
}

int rocks_parse_color(const board_t *b, PyObject *obj, int *color) {
  if (obj == NULL || obj == Py_None) {
    *color = b->to_play;
    return 0;
  }
  if (PyUnicode_Check(obj)) {
    const char *s = PyUnicode_AsUTF8(obj);
    if (!s) return -1;
    int c = board_parse_color(s);
    if (c == COLOR_EMPTY) {
      PyErr_Format(PyExc_ValueError, "bad colour '%s' (expected 'b', 'w', 'black' or 'white')", s);
      return -1;
    }
    *color = c;
    return 0;
  }
  long c;
  if (index_in_range(obj, COLOR_BLACK, COLOR_WHITE, "colour", &c) < 0) return -1;
  *color = (int)c;
  return 0;
}

static int parse_rules(PyObject *obj, board_rules_t *rules) {
  if (obj == NULL || obj == Py_None) {
    *rules = board_rules_tromp_taylor();
    return 0;
  }
  if (!PyUnicode_Check(obj)) {
    PyErr_SetString(PyExc_TypeError, "rules must be a name such as 'tromp-taylor' or 'chinese'");
    return -1;
  }
  const char *s = PyUnicode_AsUTF8(obj);
  if (!s) return -1;
  rocks_error_t err;
  if (board_rules_from_name(rules, s, &err) != ROCKS_OK) return rocks_raise(&err), -1;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Board                                                                                       */

#define BOARD(o) (((rocks_BoardObject *)(o))->b)

static rocks_BoardObject *board_alloc(PyTypeObject *type) {
  rocks_BoardObject *self = (rocks_BoardObject *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  self->b = PyMem_Malloc(sizeof(board_t));
  if (!self->b) {
    Py_DECREF(self);
    PyErr_NoMemory();
    return NULL;
  }
  return self;
}

static PyObject *Board_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"size", "komi", "rules", NULL};
  int size = 19;
  double komi = 7.5;
  PyObject *rules_obj = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|idO:Board", kwlist, &size, &komi, &rules_obj)) return NULL;
  board_rules_t rules;
  if (parse_rules(rules_obj, &rules) < 0) return NULL;
  if (!(komi >= -1000.0 && komi <= 1000.0)) {
    PyErr_SetString(PyExc_ValueError, "komi must be a number in [-1000, 1000]");
    return NULL;
  }
  rocks_BoardObject *self = board_alloc(type);
  if (!self) return NULL;
  rocks_error_t err;
  if (board_init(self->b, size, rules, (float)komi, &err) != ROCKS_OK) {
    Py_DECREF(self);
    return rocks_raise(&err);
  }
  return (PyObject *)self;
}

static void Board_dealloc(PyObject *self) {
  PyMem_Free(BOARD(self));
  Py_TYPE(self)->tp_free(self);
}

PyObject *rocks_board_from(const board_t *b) {
  rocks_BoardObject *o = board_alloc(&rocks_BoardType);
  if (!o) return NULL;
  board_copy(o->b, b);
  return (PyObject *)o;
}

static PyObject *Board_copy(PyObject *self, PyObject *Py_UNUSED(ignored)) { return rocks_board_from(BOARD(self)); }

static PyObject *Board_deepcopy(PyObject *self, PyObject *Py_UNUSED(memo)) { return rocks_board_from(BOARD(self)); }

static PyObject *policy_or_none(const board_t *b, int move) {
  if (move == 0) Py_RETURN_NONE;
  return PyLong_FromLong(board_policy_index(b, move));
}

static PyObject *Board_play(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"move", "color", NULL};
  PyObject *mv = NULL, *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:play", kwlist, &mv, &co)) return NULL;
  board_t *b = BOARD(self);
  int move, color;
  if (rocks_parse_move(b, mv, &move) < 0 || rocks_parse_color(b, co, &color) < 0) return NULL;
  rocks_error_t err;
  if (board_play(b, color, move, &err) != ROCKS_OK) return rocks_raise(&err);
  Py_RETURN_NONE;
}

static PyObject *Board_pass(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"color", NULL};
  PyObject *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:pass_", kwlist, &co)) return NULL;
  board_t *b = BOARD(self);
  int color;
  if (rocks_parse_color(b, co, &color) < 0) return NULL;
  rocks_error_t err;
  if (board_play(b, color, BOARD_PASS, &err) != ROCKS_OK) return rocks_raise(&err);
  Py_RETURN_NONE;
}

static PyObject *Board_why_illegal(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"move", "color", NULL};
  PyObject *mv = NULL, *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:why_illegal", kwlist, &mv, &co)) return NULL;
  board_t *b = BOARD(self);
  int move, color;
  if (rocks_parse_move(b, mv, &move) < 0 || rocks_parse_color(b, co, &color) < 0) return NULL;
  const char *why = NULL;
  if (board_is_legal_why(b, color, move, &why)) Py_RETURN_NONE;
  return PyUnicode_FromString(why ? why : "illegal");
}

static PyObject *Board_is_legal(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"move", "color", NULL};
  PyObject *mv = NULL, *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:is_legal", kwlist, &mv, &co)) return NULL;
  board_t *b = BOARD(self);
  int move, color;
  if (rocks_parse_move(b, mv, &move) < 0 || rocks_parse_color(b, co, &color) < 0) return NULL;
  return PyBool_FromLong(board_is_legal(b, color, move));
}

static PyObject *Board_is_eye(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"move", "color", NULL};
  PyObject *mv = NULL, *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:is_eye", kwlist, &mv, &co)) return NULL;
  board_t *b = BOARD(self);
  int move, color;
  if (rocks_parse_move(b, mv, &move) < 0 || rocks_parse_color(b, co, &color) < 0) return NULL;
  if (move == BOARD_PASS) Py_RETURN_FALSE;
  return PyBool_FromLong(board_is_eye(b, move, color));
}

static PyObject *Board_legal_moves(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"color", NULL};
  PyObject *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:legal_moves", kwlist, &co)) return NULL;
  board_t *b = BOARD(self);
  int color, moves[BOARD_MAX_MOVES];
  if (rocks_parse_color(b, co, &color) < 0) return NULL;
  int n = board_legal_moves(b, color, moves);
  PyObject *list = PyList_New(n);
  if (!list) return NULL;
  for (int i = 0; i < n; i++) {
    PyObject *v = PyLong_FromLong(board_policy_index(b, moves[i]));
    if (!v) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, i, v);
  }
  return list;
}

static PyObject *Board_legal_mask(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"color", NULL};
  PyObject *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:legal_mask", kwlist, &co)) return NULL;
  board_t *b = BOARD(self);
  int color, moves[BOARD_MAX_MOVES];
  if (rocks_parse_color(b, co, &color) < 0) return NULL;
  npy_intp dim = b->size * b->size + 1;
  PyObject *arr = PyArray_ZEROS(1, &dim, NPY_BOOL, 0);
  if (!arr) return NULL;
  npy_bool *d = PyArray_DATA((PyArrayObject *)arr);
  int n = board_legal_moves(b, color, moves);
  for (int i = 0; i < n; i++) d[board_policy_index(b, moves[i])] = 1;
  return arr;
}

static PyObject *Board_undo(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  rocks_error_t err;
  if (board_undo(BOARD(self), &err) != ROCKS_OK) return rocks_raise(&err);
  Py_RETURN_NONE;
}

static PyObject *Board_setup_stone(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"move", "color", NULL};
  PyObject *mv = NULL, *co = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:setup_stone", kwlist, &mv, &co)) return NULL;
  board_t *b = BOARD(self);
  int move, color;
  if (rocks_parse_move(b, mv, &move) < 0) return NULL;
  if (move == BOARD_PASS) {
    PyErr_SetString(PyExc_ValueError, "setup needs a point, not a pass");
    return NULL;
  }
  int overflow = 0;
  if (PyLong_Check(co) && PyLong_AsLongAndOverflow(co, &overflow) == 0 && !overflow) color = COLOR_EMPTY;
  else if (rocks_parse_color(b, co, &color) < 0) return NULL;
  rocks_error_t err;
  if (board_setup_stone(b, color, move, &err) != ROCKS_OK) return rocks_raise(&err);
  Py_RETURN_NONE;
}

static PyObject *Board_score(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  return PyFloat_FromDouble(board_score(BOARD(self), NULL, NULL));
}

static PyObject *Board_area(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  int black, white;
  board_score(BOARD(self), &black, &white);
  return Py_BuildValue("(ii)", black, white);
}

static PyObject *Board_result(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  char s[32];
  board_score_string(BOARD(self), s, sizeof s);
  return PyUnicode_FromString(s);
}

/* N x N int8 array of per-point values taken from a padded array. */
static PyObject *grid_array(const board_t *b, const uint8_t *values) {
  npy_intp dims[2] = {b->size, b->size};
  PyObject *arr = PyArray_SimpleNew(2, dims, NPY_INT8);
  if (!arr) return NULL;
  int8_t *d = PyArray_DATA((PyArrayObject *)arr);
  for (int y = 0; y < b->size; y++)
    for (int x = 0; x < b->size; x++) d[y * b->size + x] = (int8_t)values[board_point(b, x, y)];
  return arr;
}

static PyObject *Board_stones(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  return grid_array(BOARD(self), BOARD(self)->color);
}

static PyObject *Board_area_owner(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  uint8_t owner[BOARD_MAX_POINTS];
  board_area_owner(BOARD(self), owner);
  return grid_array(BOARD(self), owner);
}

void rocks_fill_planes(const board_t *b, float *d) {
  const int n = b->size, nn = n * n, me = b->to_play, opp = board_other(me);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      const int c = b->color[board_point(b, x, y)], i = y * n + x;
      d[0 * nn + i] = c == me;
      d[1 * nn + i] = c == opp;
      d[2 * nn + i] = c == COLOR_EMPTY;
      d[3 * nn + i] = me == COLOR_BLACK;
    }
}

static PyObject *Board_planes(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  const board_t *b = BOARD(self);
  npy_intp dims[3] = {ROCKS_NUM_PLANES, b->size, b->size};
  PyObject *arr = PyArray_SimpleNew(3, dims, NPY_FLOAT32);
  if (!arr) return NULL;
  rocks_fill_planes(b, PyArray_DATA((PyArrayObject *)arr));
  return arr;
}

static PyObject *Board_history(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  const board_t *b = BOARD(self);
  if (!b->history_ok) {
    PyErr_SetString(PyExc_RuntimeError, "history is not valid (fast play was used)");
    return NULL;
  }
  PyObject *list = PyList_New(b->nactions);
  if (!list) return NULL;
  for (int i = 0; i < b->nactions; i++) {
    const board_action_t *a = &b->actions[i];
    PyObject *t = Py_BuildValue("(iiO)", (int)a->color, board_policy_index(b, a->point), a->setup ? Py_True : Py_False);
    if (!t) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, i, t);
  }
  return list;
}

static PyObject *Board_vertex(PyObject *self, PyObject *arg) {
  int move;
  char v[8];
  if (rocks_parse_move(BOARD(self), arg, &move) < 0) return NULL;
  board_vertex_string(BOARD(self), move, v);
  return PyUnicode_FromString(v);
}

static PyObject *Board_index(PyObject *self, PyObject *arg) {
  int move;
  if (rocks_parse_move(BOARD(self), arg, &move) < 0) return NULL;
  return PyLong_FromLong(board_policy_index(BOARD(self), move));
}

static PyObject *Board_xy(PyObject *self, PyObject *arg) {
  int move;
  if (rocks_parse_move(BOARD(self), arg, &move) < 0) return NULL;
  if (move == BOARD_PASS) Py_RETURN_NONE;
  return Py_BuildValue("(ii)", board_x(BOARD(self), move), board_y(BOARD(self), move));
}

static PyObject *Board_playout(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"seed", "max_moves", NULL};
  unsigned long long seed = 1;
  int max_moves = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|Ki:playout", kwlist, &seed, &max_moves)) return NULL;
  rocks_rng_t rng;
  rocks_rng_seed(&rng, (uint64_t)seed);
  return PyLong_FromLong(board_playout(BOARD(self), &rng, max_moves));
}

static PyObject *Board_check(PyObject *self, PyObject *Py_UNUSED(ignored)) {
  rocks_error_t err;
  if (!board_check(BOARD(self), &err)) return rocks_raise(&err);
  Py_RETURN_TRUE;
}

/* ---- SGF ---- */

static PyObject *Board_sgf(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"black", "white", NULL};
  const char *black = NULL, *white = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|zz:sgf", kwlist, &black, &white)) return NULL;
  sgf_game_t g;
  rocks_error_t err;
  if (sgf_game_from_board(&g, BOARD(self), black, white, &err) != ROCKS_OK) return rocks_raise(&err);
  char *text = sgf_write(&g);
  sgf_game_clear(&g);
  if (!text) return PyErr_NoMemory();
  PyObject *s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
  free(text);
  return s;
}

static PyObject *Board_save_sgf(PyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"path", "black", "white", NULL};
  PyObject *path = NULL;
  const char *black = NULL, *white = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|zz:save_sgf", kwlist, PyUnicode_FSConverter, &path, &black, &white))
    return NULL;
  sgf_game_t g;
  rocks_error_t err;
  rocks_status_t st = sgf_game_from_board(&g, BOARD(self), black, white, &err);
  if (st == ROCKS_OK) {
    st = sgf_write_file(PyBytes_AS_STRING(path), &g, &err);
    sgf_game_clear(&g);
  }
  Py_DECREF(path);
  if (st != ROCKS_OK) return rocks_raise(&err);
  Py_RETURN_NONE;
}

/* Board from parsed records: games[game], replayed up to move `moves` (0 = all). Frees games. */
static PyObject *board_from_games(PyTypeObject *type, sgf_game_t *games, int ngames, int game, PyObject *rules_obj,
                                  int moves) {
  board_rules_t rules;
  PyObject *result = NULL;
  if (game < 0 || game >= ngames) {
    PyErr_Format(PyExc_ValueError, "game %d is not in the collection (it has %d)", game, ngames);
    goto done;
  }
  if (rules_obj == NULL || rules_obj == Py_None) {
    /* the record's RU when it names rules we know, else tromp-taylor */
    if (board_rules_from_name(&rules, games[game].rules, NULL) != ROCKS_OK) rules = board_rules_tromp_taylor();
  } else if (parse_rules(rules_obj, &rules) < 0) {
    goto done;
  }
  rocks_BoardObject *o = board_alloc(type);
  if (!o) goto done;
  rocks_error_t err;
  if (sgf_game_to_board(&games[game], o->b, rules, moves, &err) != ROCKS_OK) {
    Py_DECREF(o);
    rocks_raise(&err);
    goto done;
  }
  result = (PyObject *)o;
done:
  sgf_games_free(games, ngames);
  return result;
}

static PyObject *Board_from_sgf(PyObject *cls, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"text", "rules", "moves", "game", NULL};
  const char *text;
  Py_ssize_t len;
  PyObject *rules_obj = NULL;
  int moves = 0, game = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "s#|Oii:from_sgf", kwlist, &text, &len, &rules_obj, &moves, &game))
    return NULL;
  sgf_game_t *games = NULL;
  int ngames = 0;
  rocks_error_t err;
  if (sgf_parse(text, (size_t)len, &games, &ngames, &err) != ROCKS_OK) return rocks_raise(&err);
  return board_from_games((PyTypeObject *)cls, games, ngames, game, rules_obj, moves);
}

static PyObject *Board_load_sgf(PyObject *cls, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"path", "rules", "moves", "game", NULL};
  PyObject *path = NULL, *rules_obj = NULL;
  int moves = 0, game = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|Oii:load_sgf", kwlist, PyUnicode_FSConverter, &path, &rules_obj,
                                   &moves, &game))
    return NULL;
  sgf_game_t *games = NULL;
  int ngames = 0;
  rocks_error_t err;
  rocks_status_t st = sgf_read_file(PyBytes_AS_STRING(path), &games, &ngames, &err);
  Py_DECREF(path);
  if (st != ROCKS_OK) return rocks_raise(&err);
  return board_from_games((PyTypeObject *)cls, games, ngames, game, rules_obj, moves);
}

/* ---- protocol ---- */

static PyObject *Board_str(PyObject *self) {
  char buf[4096];
  int len = board_to_string(BOARD(self), buf, (int)sizeof buf);
  return PyUnicode_FromStringAndSize(buf, len);
}

static PyObject *Board_repr(PyObject *self) {
  const board_t *b = BOARD(self);
  return PyUnicode_FromFormat("<rocks.Board %dx%d %s, %s to play, move %d>", b->size, b->size,
                              board_rules_name(b->rules), b->to_play == COLOR_BLACK ? "black" : "white",
                              b->move_count);
}

static PyObject *Board_get_size(PyObject *self, void *Py_UNUSED(c)) { return PyLong_FromLong(BOARD(self)->size); }
static PyObject *Board_get_komi(PyObject *self, void *Py_UNUSED(c)) { return PyFloat_FromDouble(BOARD(self)->komi); }
static int Board_set_komi(PyObject *self, PyObject *v, void *Py_UNUSED(c)) {
  if (!v) {
    PyErr_SetString(PyExc_AttributeError, "cannot delete komi");
    return -1;
  }
  double k = PyFloat_AsDouble(v);
  if (k == -1.0 && PyErr_Occurred()) return -1;
  if (!(k >= -1000.0 && k <= 1000.0)) {
    PyErr_SetString(PyExc_ValueError, "komi must be a number in [-1000, 1000]");
    return -1;
  }
  BOARD(self)->komi = (float)k;
  return 0;
}
static PyObject *Board_get_rules(PyObject *self, void *Py_UNUSED(c)) {
  return PyUnicode_FromString(board_rules_name(BOARD(self)->rules));
}
static PyObject *Board_get_to_play(PyObject *self, void *Py_UNUSED(c)) { return PyLong_FromLong(BOARD(self)->to_play); }
static PyObject *Board_get_move_count(PyObject *self, void *Py_UNUSED(c)) {
  return PyLong_FromLong(BOARD(self)->move_count);
}
static PyObject *Board_get_passes(PyObject *self, void *Py_UNUSED(c)) { return PyLong_FromLong(BOARD(self)->passes); }
static PyObject *Board_get_game_over(PyObject *self, void *Py_UNUSED(c)) {
  return PyBool_FromLong(board_game_over(BOARD(self)));
}
static PyObject *Board_get_winner(PyObject *self, void *Py_UNUSED(c)) { return PyLong_FromLong(board_winner(BOARD(self))); }
static PyObject *Board_get_captures(PyObject *self, void *Py_UNUSED(c)) {
  const board_t *b = BOARD(self);
  return Py_BuildValue("(ii)", b->captures[COLOR_BLACK], b->captures[COLOR_WHITE]);
}
static PyObject *Board_get_hash(PyObject *self, void *Py_UNUSED(c)) {
  return PyLong_FromUnsignedLongLong((unsigned long long)BOARD(self)->hash);
}
static PyObject *Board_get_last_move(PyObject *self, void *Py_UNUSED(c)) {
  return policy_or_none(BOARD(self), BOARD(self)->last_move);
}
static PyObject *Board_get_ko(PyObject *self, void *Py_UNUSED(c)) {
  const board_t *b = BOARD(self);
  if (!b->ko_point) Py_RETURN_NONE;
  return Py_BuildValue("(ii)", board_policy_index(b, b->ko_point), b->ko_color);
}
static PyObject *Board_get_history_ok(PyObject *self, void *Py_UNUSED(c)) {
  return PyBool_FromLong(BOARD(self)->history_ok);
}

static PyGetSetDef Board_getset[] = {
    {"size", Board_get_size, NULL, "Board size N.", NULL},
    {"komi", Board_get_komi, Board_set_komi, "Komi added to white's score (stored as a 32-bit float).", NULL},
    {"rules", Board_get_rules, NULL, "Rules name: 'tromp-taylor' or 'chinese'.", NULL},
    {"to_play", Board_get_to_play, NULL, "Colour to move: 1 = black, 2 = white.", NULL},
    {"move_count", Board_get_move_count, NULL, "Moves and passes played (setup stones excluded).", NULL},
    {"passes", Board_get_passes, NULL, "Consecutive passes at the end of the game so far.", NULL},
    {"game_over", Board_get_game_over, NULL, "True after two consecutive passes.", NULL},
    {"winner", Board_get_winner, NULL, "Winner by score(): 1 black, 2 white, 0 jigo.", NULL},
    {"captures", Board_get_captures, NULL, "(stones captured by black, stones captured by white).", NULL},
    {"hash", Board_get_hash, NULL, "64-bit Zobrist hash of the colouring (side to move not included).", NULL},
    {"last_move", Board_get_last_move, NULL, "Policy index of the last move (N*N = pass), None before any move.",
     NULL},
    {"ko", Board_get_ko, NULL, "(policy index, colour) of the simple-ko point that colour may not retake, or None.",
     NULL},
    {"history_ok", Board_get_history_ok, NULL, "False after playout(): history, undo and superko are then off.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Board_methods[] = {
    {"play", ROCKS_KWFUNC(Board_play), METH_VARARGS | METH_KEYWORDS,
     "play(move, color=None)\n--\n\nPlays `move` for `color` (default: the side to move; either colour may play, as "
     "in GTP). move: policy index (y*N + x, N*N = pass), (x, y), a GTP vertex such as 'D4' or 'pass', or None "
     "(pass). Raises IllegalMove (a ValueError) with the reason, e.g. 'illegal move B D4: ko'."},
    {"pass_", ROCKS_KWFUNC(Board_pass), METH_VARARGS | METH_KEYWORDS,
     "pass_(color=None)\n--\n\nPasses for `color` (default: the side to move)."},
    {"is_legal", ROCKS_KWFUNC(Board_is_legal), METH_VARARGS | METH_KEYWORDS,
     "is_legal(move, color=None)\n--\n\nTrue if `move` is legal for `color`, positional superko included."},
    {"why_illegal", ROCKS_KWFUNC(Board_why_illegal), METH_VARARGS | METH_KEYWORDS,
     "why_illegal(move, color=None)\n--\n\nNone if legal, else 'occupied', 'ko', 'suicide' or 'superko'."},
    {"is_eye", ROCKS_KWFUNC(Board_is_eye), METH_VARARGS | METH_KEYWORDS,
     "is_eye(move, color=None)\n--\n\nTrue if the point is a single-point eye of `color` (the playout definition)."},
    {"legal_moves", ROCKS_KWFUNC(Board_legal_moves), METH_VARARGS | METH_KEYWORDS,
     "legal_moves(color=None)\n--\n\nEvery legal move as a policy index: points in row-major order from the top "
     "left, then the pass (N*N), which is always legal."},
    {"legal_mask", ROCKS_KWFUNC(Board_legal_mask), METH_VARARGS | METH_KEYWORDS,
     "legal_mask(color=None)\n--\n\nnumpy bool array of shape (N*N+1,): True at the policy index of each legal "
     "move."},
    {"undo", Board_undo, METH_NOARGS,
     "undo()\n--\n\nUndoes the last move, pass or setup stone. RuntimeError if there is nothing to undo."},
    {"setup_stone", ROCKS_KWFUNC(Board_setup_stone), METH_VARARGS | METH_KEYWORDS,
     "setup_stone(move, color)\n--\n\nSetup (handicap, SGF AB/AW/AE): colour 1/2 or 'b'/'w' places a stone on an "
     "empty point, colour 0 removes one. No captures, no turn change; recorded for undo and SGF."},
    {"score", Board_score, METH_NOARGS,
     "score()\n--\n\nTromp-Taylor area score: black area - white area - komi (positive: black leads)."},
    {"area", Board_area, METH_NOARGS, "area()\n--\n\n(black area, white area): stones plus empty points reaching only "
                                      "that colour."},
    {"result", Board_result, METH_NOARGS, "result()\n--\n\nScore as a result string: 'B+3.5', 'W+0.5' or '0'."},
    {"stones", Board_stones, METH_NOARGS,
     "stones()\n--\n\nnumpy int8 array (N, N): 0 empty, 1 black, 2 white; row 0 is the top row, so "
     "stones()[y, x] is point (x, y)."},
    {"area_owner", Board_area_owner, METH_NOARGS,
     "area_owner()\n--\n\nnumpy int8 array (N, N): owner of each point under area scoring (0 = dame)."},
    {"planes", Board_planes, METH_NOARGS,
     "planes()\n--\n\nnumpy float32 array (4, N, N) of 0/1 input features, from the side to move's view:\n"
     "  0: stones of the side to move\n  1: stones of the opponent\n  2: empty points\n"
     "  3: all ones if black is to move, else all zeros\nIndex [c, y, x]; row 0 is the top row."},
    {"history", Board_history, METH_NOARGS,
     "history()\n--\n\nRecorded actions as (colour, policy index, is_setup) tuples (setup colour 0 = removal)."},
    {"vertex", Board_vertex, METH_O, "vertex(move)\n--\n\nGTP vertex of a move: 'D4' or 'pass'."},
    {"index", Board_index, METH_O, "index(move)\n--\n\nPolicy index of a move given in any accepted form."},
    {"xy", Board_xy, METH_O, "xy(move)\n--\n\n(x, y) of a move (x from the left, y from the top), None for a pass."},
    {"copy", Board_copy, METH_NOARGS, "copy()\n--\n\nAn independent copy, history included."},
    {"__copy__", Board_copy, METH_NOARGS, NULL},
    {"__deepcopy__", Board_deepcopy, METH_O, NULL},
    {"playout", ROCKS_KWFUNC(Board_playout), METH_VARARGS | METH_KEYWORDS,
     "playout(seed=1, max_moves=0)\n--\n\nPlays uniformly random non-eye-filling moves in place until two passes "
     "or max_moves (0 = 3*N*N); returns the number of moves. Fast mode: superko is ignored and the history is "
     "dropped (undo, history() and superko stop working on this board), so call it on a copy()."},
    {"check", Board_check, METH_NOARGS,
     "check()\n--\n\nVerifies the incremental state against a recomputation; True, or RuntimeError."},
    {"sgf", ROCKS_KWFUNC(Board_sgf), METH_VARARGS | METH_KEYWORDS,
     "sgf(black=None, white=None)\n--\n\nThe game (setup stones, then moves) as FF[4] SGF text, with the result "
     "when the game is over."},
    {"save_sgf", ROCKS_KWFUNC(Board_save_sgf), METH_VARARGS | METH_KEYWORDS,
     "save_sgf(path, black=None, white=None)\n--\n\nWrites sgf() to `path` atomically. OSError on failure."},
    {"from_sgf", ROCKS_KWFUNC(Board_from_sgf), METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "from_sgf(text, rules=None, moves=0, game=0)\n--\n\nBoard after replaying the main line of game `game` of "
     "an SGF collection, stopping before move number `moves` (1-based; 0 = play all). rules=None takes the "
     "record's RU when it is 'tromp-taylor' or 'chinese', else tromp-taylor. ValueError on malformed SGF (with "
     "line and column), IllegalMove if the record has an illegal move."},
    {"load_sgf", ROCKS_KWFUNC(Board_load_sgf), METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "load_sgf(path, rules=None, moves=0, game=0)\n--\n\nfrom_sgf() on the contents of a file."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject rocks_BoardType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rocks.Board",
    .tp_basicsize = sizeof(rocks_BoardObject),
    .tp_dealloc = Board_dealloc,
    .tp_repr = Board_repr,
    .tp_str = Board_str,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Board(size=19, komi=7.5, rules='tromp-taylor')\n--\n\n"
              "A Go position with its history: the C rules engine (src/go/board.h).\n\n"
              "Rules: 'tromp-taylor' (multi-stone suicide legal) or 'chinese' (no suicide); both use positional "
              "superko and area scoring. Moves are policy indices (y*N + x; N*N = pass); methods also accept "
              "(x, y), a GTP vertex ('D4', 'pass') or None (pass). x counts columns from the left, y rows from "
              "the top. Colours: 1 = black, 2 = white.",
    .tp_methods = Board_methods,
    .tp_getset = Board_getset,
    .tp_new = Board_new,
};

/* ------------------------------------------------------------------------------------------ */
/* module functions                                                                            */

static PyObject *mod_random_playouts(PyObject *Py_UNUSED(mod), PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"count", "size", "seed", "komi", NULL};
  long count;
  int size = 9;
  unsigned long long seed = 1;
  double komi = 7.5;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "l|iKd:random_playouts", kwlist, &count, &size, &seed, &komi))
    return NULL;
  if (count < 0) {
    PyErr_SetString(PyExc_ValueError, "count must be >= 0");
    return NULL;
  }
  board_t *root = PyMem_RawMalloc(sizeof(board_t)), *b = PyMem_RawMalloc(sizeof(board_t));
  if (!root || !b) {
    PyMem_RawFree(root);
    PyMem_RawFree(b);
    return PyErr_NoMemory();
  }
  rocks_error_t err;
  if (board_init(root, size, board_rules_tromp_taylor(), (float)komi, &err) != ROCKS_OK) {
    PyMem_RawFree(root);
    PyMem_RawFree(b);
    return rocks_raise(&err);
  }
  long moves = 0, black_wins = 0;
  double t0, t1;
  Py_BEGIN_ALLOW_THREADS
  rocks_rng_t rng;
  rocks_rng_seed(&rng, (uint64_t)seed);
  t0 = rocks_now();
  for (long i = 0; i < count; i++) {
    board_copy(b, root);
    moves += board_playout(b, &rng, 0);
    black_wins += board_score(b, NULL, NULL) > 0;
  }
  t1 = rocks_now();
  Py_END_ALLOW_THREADS
  PyMem_RawFree(root);
  PyMem_RawFree(b);
  return Py_BuildValue("{s:l,s:l,s:l,s:d}", "playouts", count, "moves", moves, "black_wins", black_wins, "seconds",
                       t1 - t0);
}

static PyMethodDef module_methods[] = {
    {"random_playouts", ROCKS_KWFUNC(mod_random_playouts), METH_VARARGS | METH_KEYWORDS,
     "random_playouts(count, size=9, seed=1, komi=7.5)\n--\n\nRuns `count` random playouts from the empty board "
     "(board_playout, tromp-taylor) in C without the GIL, like `rocks bench playouts`. Returns a dict with "
     "playouts, moves, black_wins and seconds (wall time of the C loop)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef rocks_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "rocks._rocks",
    .m_doc = "C core of the rocks Python package (see the `rocks` package for the documented API).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__rocks(void);

PyMODINIT_FUNC PyInit__rocks(void) {
  import_array();
  if (PyType_Ready(&rocks_BoardType) < 0) return NULL;
  PyObject *m = PyModule_Create(&rocks_module);
  if (!m) return NULL;
  rocks_IllegalMove = PyErr_NewExceptionWithDoc("rocks.IllegalMove", "An illegal move (a ValueError).",
                                                PyExc_ValueError, NULL);
  if (!rocks_IllegalMove) goto fail;
  Py_INCREF(rocks_IllegalMove);
  if (PyModule_AddObject(m, "IllegalMove", rocks_IllegalMove) < 0) goto fail;
  Py_INCREF(&rocks_BoardType);
  if (PyModule_AddObject(m, "Board", (PyObject *)&rocks_BoardType) < 0) goto fail;
  if (PyModule_AddIntConstant(m, "EMPTY", COLOR_EMPTY) < 0 || PyModule_AddIntConstant(m, "BLACK", COLOR_BLACK) < 0 ||
      PyModule_AddIntConstant(m, "WHITE", COLOR_WHITE) < 0 || PyModule_AddIntConstant(m, "MIN_SIZE", BOARD_MIN_SIZE) < 0 ||
      PyModule_AddIntConstant(m, "MAX_SIZE", BOARD_MAX_SIZE) < 0 ||
      PyModule_AddIntConstant(m, "MAX_HISTORY", BOARD_MAX_HISTORY) < 0 ||
      PyModule_AddIntConstant(m, "NUM_PLANES", ROCKS_NUM_PLANES) < 0 ||
      PyModule_AddIntConstant(m, "BOARD_BYTES", (long)sizeof(board_t)) < 0 ||
      PyModule_AddStringConstant(m, "__version__", ROCKS_VERSION) < 0)
    goto fail;
  if (rocks_mcts_register(m) < 0) goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
