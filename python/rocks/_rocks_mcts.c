/* _rocks_mcts.c — rocks.MCTS: the C PUCT search (src/mcts/mcts.h) over Go (mcts_go.h).
 *
 * The evaluator is either built in ("uniform", "rollout": pure C, the search never touches
 * Python) or a Python callable. search() releases the GIL for the whole search; with a Python
 * evaluator the batch callback re-acquires it only for the call (inputs built, callable run,
 * outputs copied into the search's buffers) and releases it again. A Python exception raised by
 * the evaluator stops the search and is re-raised from search() unchanged.
 *
 * The search is created lazily on the first search()/set_root() when no size was given, for that
 * board size; its tree is reused between calls when the new root is the same position (hash) as
 * the old one (e.g. after advance()).
 */
#include "_rocks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcts/mcts.h"
#include "mcts/mcts_go.h"

enum { EVAL_UNIFORM = 0, EVAL_ROLLOUT = 1, EVAL_PYTHON = 2 };
enum { INPUT_PLANES = 0, INPUT_PLANES_MASK = 1, INPUT_BOARDS = 2 };

typedef struct {
  PyObject_HEAD
  mcts_t *m;            /* NULL until the size is known */
  mcts_go_t *go;
  mcts_config_t cfg;    /* the configuration (kept in sync with m) */
  int size;             /* 0 = not yet known */
  int max_moves;        /* Go adapter: positions with move_count >= max_moves are terminal */
  int rollout_moves;    /* Go adapter: rollout length cap */
  int kind;             /* EVAL_* */
  int inputs;           /* INPUT_* (Python evaluator) */
  PyObject *evaluator;  /* the callable (EVAL_PYTHON) */
  int busy;             /* a search is running (GIL released or inside the evaluator) */
  PyThreadState *tstate;
  PyObject *exc_type, *exc_value, *exc_tb; /* evaluator exception, re-raised by search() */
} MCTSObject;

static const char *const KIND_NAMES[] = {"uniform", "rollout", "python"};
static const char *const INPUT_NAMES[] = {"planes", "planes+mask", "boards"};

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                     */

static int check_idle(MCTSObject *self) {
  if (self->busy) {
    PyErr_SetString(PyExc_RuntimeError, "MCTS is busy: a search is running (methods cannot be called from the "
                                        "evaluator or from another thread meanwhile)");
    return -1;
  }
  return 0;
}

static int check_root(MCTSObject *self) {
  if (check_idle(self) < 0) return -1;
  if (!self->m || !mcts_root_state(self->m)) {
    PyErr_SetString(PyExc_RuntimeError, "MCTS has no root position yet (call search() or set_root() first)");
    return -1;
  }
  return 0;
}

static int eval_python(void *ctx, const void *const *states, int n, float *priors, float *values);

/* Creates the Go adapter and the search for boards of `size` (if not yet done). */
static int ensure_search(MCTSObject *self, int size) {
  if (self->m) {
    if (size != self->size) {
      PyErr_Format(PyExc_ValueError, "this MCTS searches %dx%d boards, got a %dx%d board", self->size, self->size, size,
                   size);
      return -1;
    }
    return 0;
  }
  rocks_error_t err;
  mcts_go_t *go = mcts_go_new(size, self->max_moves, self->cfg.seed, &err);
  if (!go) return rocks_raise(&err), -1;
  mcts_go_set_rollout_moves(go, self->rollout_moves);
  mcts_eval_fn fn = self->kind == EVAL_UNIFORM ? mcts_go_eval_uniform
                    : self->kind == EVAL_ROLLOUT ? mcts_go_eval_rollout
                                                 : eval_python;
  void *ctx = self->kind == EVAL_PYTHON ? (void *)self : (void *)go;
  mcts_t *m = mcts_new(mcts_go_game(go), &self->cfg, fn, ctx, &err);
  if (!m) {
    mcts_go_delete(go);
    return rocks_raise(&err), -1;
  }
  self->go = go;
  self->m = m;
  self->size = size;
  return 0;
}

/* Reads one configuration keyword into cfg / self. Returns 1 if handled, 0 if unknown, -1 on
 * error. */
static int set_option(MCTSObject *self, mcts_config_t *cfg, const char *key, PyObject *v) {
  double d;
#define DBL(field)                                   \
  if (!strcmp(key, #field)) {                        \
    d = PyFloat_AsDouble(v);                         \
    if (d == -1.0 && PyErr_Occurred()) return -1;    \
    cfg->field = d;                                  \
    return 1;                                        \
  }
  DBL(c_init)
  DBL(c_base)
  DBL(fpu_value)
  DBL(virtual_loss)
  DBL(dirichlet_alpha)
  DBL(dirichlet_epsilon)
  DBL(temperature)
  DBL(resign_threshold)
#undef DBL
  if (!strcmp(key, "fpu")) {
    const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
    if (s && !strcmp(s, "reduction")) cfg->fpu_mode = MCTS_FPU_REDUCTION;
    else if (s && !strcmp(s, "absolute")) cfg->fpu_mode = MCTS_FPU_ABSOLUTE;
    else {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "fpu must be 'reduction' or 'absolute'");
      return -1;
    }
    return 1;
  }
  if (!strcmp(key, "dirichlet")) {
    int t = PyObject_IsTrue(v);
    if (t < 0) return -1;
    cfg->dirichlet = t;
    return 1;
  }
  if (!strcmp(key, "batch_size") || !strcmp(key, "max_moves") || !strcmp(key, "rollout_moves")) {
    long x = PyLong_AsLong(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (x < INT32_MIN || x > INT32_MAX) {
      PyErr_Format(PyExc_ValueError, "%s is out of range", key);
      return -1;
    }
    if (!strcmp(key, "batch_size")) cfg->batch_size = (int)x;
    else if (!strcmp(key, "max_moves")) self->max_moves = x > 0 ? (int)x : 0;
    else self->rollout_moves = (int)x;
    return 1;
  }
  if (!strcmp(key, "max_nodes")) {
    long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    cfg->max_nodes = x;
    return 1;
  }
  if (!strcmp(key, "seed")) {
    unsigned long long x = PyLong_AsUnsignedLongLong(v);
    if (x == (unsigned long long)-1 && PyErr_Occurred()) return -1;
    cfg->seed = x;
    return 1;
  }
  return 0;
}

/* Applies every keyword of kwds (may be NULL) to a copy of the configuration, validates it with
 * mcts_config_check, then stores it. `creating`: seed is accepted (it only seeds at creation). */
static int apply_options(MCTSObject *self, PyObject *kwds, int creating) {
  mcts_config_t cfg = self->cfg;
  const int old_max_moves = self->max_moves, old_rollout = self->rollout_moves;
  if (kwds) {
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(kwds, &pos, &key, &value)) {
      const char *k = PyUnicode_AsUTF8(key);
      if (!k) goto fail;
      if (!creating && !strcmp(k, "seed") && self->m) {
        PyErr_SetString(PyExc_ValueError, "seed can only be set when the MCTS is created");
        goto fail;
      }
      int r = set_option(self, &cfg, k, value);
      if (r < 0) goto fail;
      if (r == 0) {
        PyErr_Format(PyExc_TypeError, "unknown MCTS option '%s'", k);
        goto fail;
      }
    }
  }
  rocks_error_t err;
  if (mcts_config_check(&cfg, &err) != ROCKS_OK) {
    rocks_raise(&err);
    goto fail;
  }
  if (self->m && mcts_set_config(self->m, &cfg, &err) != ROCKS_OK) {
    rocks_raise(&err);
    goto fail;
  }
  self->cfg = cfg;
  if (self->go) {
    mcts_go_set_max_moves(self->go, self->max_moves);
    mcts_go_set_rollout_moves(self->go, self->rollout_moves);
  }
  return 0;
fail:
  self->max_moves = old_max_moves;
  self->rollout_moves = old_rollout;
  return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* the Python evaluator bridge (runs with the GIL re-acquired)                                 */

static void stash_exception(MCTSObject *self) {
  if (!self->exc_type) PyErr_Fetch(&self->exc_type, &self->exc_value, &self->exc_tb);
  else PyErr_Clear();
}

static PyObject *build_planes(const board_t *const *bs, int n, int size) {
  npy_intp dims[4] = {n, ROCKS_NUM_PLANES, size, size};
  PyObject *arr = PyArray_ZEROS(4, dims, NPY_FLOAT32, 0);
  if (!arr) return NULL;
  float *d = PyArray_DATA((PyArrayObject *)arr);
  const int nn = size * size;
  for (int i = 0; i < n; i++) rocks_fill_planes(bs[i], d + (size_t)i * ROCKS_NUM_PLANES * nn);
  return arr;
}

static PyObject *build_mask(const board_t *const *bs, int n, int size) {
  npy_intp dims[2] = {n, size * size + 1};
  PyObject *arr = PyArray_ZEROS(2, dims, NPY_BOOL, 0);
  if (!arr) return NULL;
  npy_bool *d = PyArray_DATA((PyArrayObject *)arr);
  int moves[BOARD_MAX_MOVES];
  for (int i = 0; i < n; i++) {
    int k = board_legal_moves(bs[i], bs[i]->to_play, moves);
    for (int j = 0; j < k; j++) d[(size_t)i * (size_t)dims[1] + (size_t)board_policy_index(bs[i], moves[j])] = 1;
  }
  return arr;
}

/* Calls the evaluator on n states; fills priors/values. 0, or -1 with a Python exception set. */
static int eval_python_locked(MCTSObject *self, const board_t *const *bs, int n, float *priors, float *values) {
  const int size = self->size, A = size * size + 1;
  PyObject *result = NULL, *args = NULL, *pa = NULL, *va = NULL;
  int rc = -1;
  if (PyErr_CheckSignals() < 0) return -1;
  if (self->inputs == INPUT_BOARDS) {
    PyObject *list = PyList_New(n);
    if (!list) return -1;
    for (int i = 0; i < n; i++) {
      PyObject *b = rocks_board_from(bs[i]);
      if (!b) {
        Py_DECREF(list);
        return -1;
      }
      PyList_SET_ITEM(list, i, b);
    }
    args = PyTuple_Pack(1, list);
    Py_DECREF(list);
  } else {
    PyObject *planes = build_planes(bs, n, size);
    if (!planes) return -1;
    if (self->inputs == INPUT_PLANES_MASK) {
      PyObject *mask = build_mask(bs, n, size);
      if (!mask) {
        Py_DECREF(planes);
        return -1;
      }
      args = PyTuple_Pack(2, planes, mask);
      Py_DECREF(mask);
    } else {
      args = PyTuple_Pack(1, planes);
    }
    Py_DECREF(planes);
  }
  if (!args) return -1;
  result = PyObject_Call(self->evaluator, args, NULL);
  Py_DECREF(args);
  if (!result) return -1;
  if (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 2) {
    PyErr_SetString(PyExc_TypeError, "the evaluator must return a tuple (priors, values)");
    goto done;
  }
  pa = PyArray_FROMANY(PyTuple_GET_ITEM(result, 0), NPY_FLOAT32, 1, 2, NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
  if (!pa) goto done;
  va = PyArray_FROMANY(PyTuple_GET_ITEM(result, 1), NPY_FLOAT32, 0, 2, NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
  if (!va) goto done;
  {
    PyArrayObject *p = (PyArrayObject *)pa, *v = (PyArrayObject *)va;
    int pok = PyArray_NDIM(p) == 2 ? PyArray_DIM(p, 0) == n && PyArray_DIM(p, 1) == A
                                   : n == 1 && PyArray_DIM(p, 0) == A;
    if (!pok) {
      PyErr_Format(PyExc_ValueError, "evaluator priors must have shape (%d, %d)", n, A);
      goto done;
    }
    if (PyArray_SIZE(v) != n || (PyArray_NDIM(v) == 2 && PyArray_DIM(v, 0) != n)) {
      PyErr_Format(PyExc_ValueError, "evaluator values must have shape (%d,)", n);
      goto done;
    }
    const float *vd = PyArray_DATA(v);
    for (int i = 0; i < n; i++)
      if (!isfinite(vd[i])) {
        PyErr_SetString(PyExc_ValueError, "the evaluator returned a non-finite value");
        goto done;
      }
    memcpy(priors, PyArray_DATA(p), sizeof(float) * (size_t)n * (size_t)A);
    memcpy(values, vd, sizeof(float) * (size_t)n);
  }
  rc = 0;
done:
  Py_XDECREF(pa);
  Py_XDECREF(va);
  Py_DECREF(result);
  return rc;
}

static int eval_python(void *ctx, const void *const *states, int n, float *priors, float *values) {
  MCTSObject *self = ctx;
  PyEval_RestoreThread(self->tstate);
  int rc = eval_python_locked(self, (const board_t *const *)states, n, priors, values);
  if (rc < 0) stash_exception(self);
  self->tstate = PyEval_SaveThread();
  return rc < 0 ? ROCKS_ERR_STATE : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* type                                                                                        */

/* Moves keyword `name` out of dict into *slot (a new reference); TypeError if *slot is set. */
static int take_kw(PyObject *dict, const char *name, PyObject **slot) {
  PyObject *v = PyDict_GetItemString(dict, name);
  if (!v) return 0;
  if (*slot) {
    PyErr_Format(PyExc_TypeError, "MCTS() got multiple values for argument '%s'", name);
    return -1;
  }
  Py_INCREF(v);
  *slot = v;
  return PyDict_DelItemString(dict, name);
}

static PyObject *MCTS_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds)) {
  MCTSObject *self = (MCTSObject *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  self->cfg = mcts_config_default();
  self->kind = EVAL_UNIFORM;
  self->inputs = INPUT_PLANES;
  return (PyObject *)self;
}

static int MCTS_init(PyObject *op, PyObject *args, PyObject *kwds) {
  MCTSObject *self = (MCTSObject *)op;
  if (self->m || self->busy) {
    PyErr_SetString(PyExc_RuntimeError, "MCTS.__init__ cannot be called twice");
    return -1;
  }
  const Py_ssize_t npos = PyTuple_GET_SIZE(args);
  if (npos > 2) {
    PyErr_SetString(PyExc_TypeError, "MCTS() takes at most 2 positional arguments (evaluator, size)");
    return -1;
  }
  PyObject *ev = npos > 0 ? PyTuple_GET_ITEM(args, 0) : NULL, *sz = npos > 1 ? PyTuple_GET_ITEM(args, 1) : NULL;
  PyObject *in = NULL, *rest = kwds ? PyDict_Copy(kwds) : PyDict_New();
  int rc = -1;
  Py_XINCREF(ev);
  Py_XINCREF(sz);
  if (!rest || take_kw(rest, "evaluator", &ev) < 0 || take_kw(rest, "size", &sz) < 0 ||
      take_kw(rest, "inputs", &in) < 0)
    goto done;
  self->kind = EVAL_UNIFORM;
  if (ev && ev != Py_None) {
    if (PyUnicode_Check(ev)) {
      const char *s = PyUnicode_AsUTF8(ev);
      if (!s) goto done;
      if (!strcmp(s, "uniform")) self->kind = EVAL_UNIFORM;
      else if (!strcmp(s, "rollout")) self->kind = EVAL_ROLLOUT;
      else {
        PyErr_Format(PyExc_ValueError, "unknown evaluator '%s' (built in: 'uniform', 'rollout'; or a callable)", s);
        goto done;
      }
    } else if (PyCallable_Check(ev)) {
      self->kind = EVAL_PYTHON;
      Py_INCREF(ev);
      Py_XSETREF(self->evaluator, ev);
    } else {
      PyErr_SetString(PyExc_TypeError, "evaluator must be 'uniform', 'rollout' or a callable");
      goto done;
    }
  }
  if (in && in != Py_None) {
    const char *s = PyUnicode_Check(in) ? PyUnicode_AsUTF8(in) : NULL;
    int found = -1;
    for (int k = 0; s && k < 3; k++)
      if (!strcmp(s, INPUT_NAMES[k])) found = k;
    if (found < 0) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "inputs must be 'planes', 'planes+mask' or 'boards'");
      goto done;
    }
    self->inputs = found;
  }
  long size = 0;
  if (sz && sz != Py_None) {
    size = PyLong_AsLong(sz);
    if (size == -1 && PyErr_Occurred()) goto done;
    if (size < BOARD_MIN_SIZE || size > BOARD_MAX_SIZE) {
      PyErr_Format(PyExc_ValueError, "board size %ld is not in %d..%d", size, BOARD_MIN_SIZE, BOARD_MAX_SIZE);
      goto done;
    }
  }
  if (apply_options(self, rest, 1) < 0) goto done;
  if (size && ensure_search(self, (int)size) < 0) goto done;
  rc = 0;
done:
  Py_XDECREF(ev);
  Py_XDECREF(sz);
  Py_XDECREF(in);
  Py_XDECREF(rest);
  return rc;
}

static int MCTS_traverse(PyObject *op, visitproc visit, void *arg) {
  MCTSObject *self = (MCTSObject *)op;
  Py_VISIT(self->evaluator);
  Py_VISIT(self->exc_type);
  Py_VISIT(self->exc_value);
  Py_VISIT(self->exc_tb);
  return 0;
}

static int MCTS_clear_refs(PyObject *op) {
  MCTSObject *self = (MCTSObject *)op;
  Py_CLEAR(self->exc_type);
  Py_CLEAR(self->exc_value);
  Py_CLEAR(self->exc_tb);
  if (!self->busy) Py_CLEAR(self->evaluator);
  return 0;
}

static void MCTS_dealloc(PyObject *op) {
  MCTSObject *self = (MCTSObject *)op;
  PyObject_GC_UnTrack(op);
  MCTS_clear_refs(op);
  Py_CLEAR(self->evaluator);
  mcts_delete(self->m);
  mcts_go_delete(self->go);
  Py_TYPE(op)->tp_free(op);
}

static int get_board(MCTSObject *self, PyObject *obj, const board_t **b) {
  if (!PyObject_TypeCheck(obj, &rocks_BoardType)) {
    PyErr_SetString(PyExc_TypeError, "expected a rocks.Board");
    return -1;
  }
  *b = ((rocks_BoardObject *)obj)->b;
  return ensure_search(self, (*b)->size);
}

static PyObject *MCTS_set_root(PyObject *op, PyObject *arg) {
  MCTSObject *self = (MCTSObject *)op;
  const board_t *b;
  if (check_idle(self) < 0 || get_board(self, arg, &b) < 0) return NULL;
  rocks_error_t err;
  if (mcts_set_root(self->m, b, &err) != ROCKS_OK) return rocks_raise(&err);
  Py_RETURN_NONE;
}

static PyObject *MCTS_search(PyObject *op, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"board", "simulations", NULL};
  MCTSObject *self = (MCTSObject *)op;
  PyObject *bobj;
  int sims = 800;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|i:search", kwlist, &bobj, &sims)) return NULL;
  const board_t *b;
  if (check_idle(self) < 0 || get_board(self, bobj, &b) < 0) return NULL;
  if (sims < 0) {
    PyErr_SetString(PyExc_ValueError, "simulations must be >= 0");
    return NULL;
  }
  rocks_error_t err;
  if (mcts_set_root(self->m, b, &err) != ROCKS_OK) return rocks_raise(&err);
  Py_INCREF(op); /* keep self (and the evaluator) alive through the search */
  self->busy = 1;
  self->tstate = PyEval_SaveThread();
  rocks_status_t st = mcts_search(self->m, sims, &err);
  PyEval_RestoreThread(self->tstate);
  self->tstate = NULL;
  self->busy = 0;
  PyObject *ret = NULL;
  if (self->exc_type) {
    PyErr_Restore(self->exc_type, self->exc_value, self->exc_tb);
    self->exc_type = self->exc_value = self->exc_tb = NULL;
  } else if (st != ROCKS_OK) {
    rocks_raise(&err);
  } else {
    ret = Py_None;
    Py_INCREF(ret);
  }
  Py_DECREF(op);
  return ret;
}

static PyObject *MCTS_clear(PyObject *op, PyObject *Py_UNUSED(ignored)) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_idle(self) < 0) return NULL;
  if (self->m) mcts_clear(self->m);
  Py_RETURN_NONE;
}

static PyObject *int32_array(const int32_t *v, int n) {
  npy_intp dim = n;
  PyObject *arr = PyArray_SimpleNew(1, &dim, NPY_INT32);
  if (arr) memcpy(PyArray_DATA((PyArrayObject *)arr), v, sizeof(int32_t) * (size_t)n);
  return arr;
}

static PyObject *double_array(const double *v, int n) {
  npy_intp dim = n;
  PyObject *arr = PyArray_SimpleNew(1, &dim, NPY_FLOAT64);
  if (arr) memcpy(PyArray_DATA((PyArrayObject *)arr), v, sizeof(double) * (size_t)n);
  return arr;
}

/* which: 0 visits, 1 q, 2 prior */
static PyObject *root_stat(MCTSObject *self, int which) {
  if (check_root(self) < 0) return NULL;
  const int A = mcts_num_actions(self->m);
  int32_t *visits = PyMem_Malloc(sizeof(int32_t) * (size_t)A);
  double *q = PyMem_Malloc(sizeof(double) * (size_t)A), *prior = PyMem_Malloc(sizeof(double) * (size_t)A);
  PyObject *r = NULL;
  if (!visits || !q || !prior) {
    PyErr_NoMemory();
  } else {
    mcts_root_stats(self->m, visits, q, prior);
    r = which == 0 ? int32_array(visits, A) : double_array(which == 1 ? q : prior, A);
  }
  PyMem_Free(visits);
  PyMem_Free(q);
  PyMem_Free(prior);
  return r;
}

static PyObject *MCTS_visit_counts(PyObject *op, PyObject *Py_UNUSED(i)) { return root_stat((MCTSObject *)op, 0); }
static PyObject *MCTS_q_values(PyObject *op, PyObject *Py_UNUSED(i)) { return root_stat((MCTSObject *)op, 1); }
static PyObject *MCTS_priors(PyObject *op, PyObject *Py_UNUSED(i)) { return root_stat((MCTSObject *)op, 2); }

static PyObject *MCTS_policy_target(PyObject *op, PyObject *Py_UNUSED(i)) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_root(self) < 0) return NULL;
  npy_intp dim = mcts_num_actions(self->m);
  PyObject *arr = PyArray_SimpleNew(1, &dim, NPY_FLOAT32);
  if (!arr) return NULL;
  rocks_error_t err;
  if (mcts_policy_target(self->m, PyArray_DATA((PyArrayObject *)arr), &err) != ROCKS_OK) {
    Py_DECREF(arr);
    return rocks_raise(&err);
  }
  return arr;
}

static PyObject *MCTS_select_move(PyObject *op, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"temperature", NULL};
  MCTSObject *self = (MCTSObject *)op;
  double t = 0.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|d:select_move", kwlist, &t)) return NULL;
  if (check_root(self) < 0) return NULL;
  if (!isfinite(t)) {
    PyErr_SetString(PyExc_ValueError, "temperature must be finite");
    return NULL;
  }
  int action;
  rocks_error_t err;
  if (mcts_select_action(self->m, t, &action, &err) != ROCKS_OK) return rocks_raise(&err);
  return PyLong_FromLong(action);
}

static PyObject *MCTS_advance(PyObject *op, PyObject *arg) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_root(self) < 0) return NULL;
  const board_t *root = mcts_root_state(self->m);
  int move;
  if (rocks_parse_move(root, arg, &move) < 0) return NULL;
  rocks_error_t err;
  if (mcts_advance(self->m, board_policy_index(root, move), &err) != ROCKS_OK) return rocks_raise(&err);
  Py_RETURN_NONE;
}

static PyObject *MCTS_pv(PyObject *op, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"max_len", NULL};
  MCTSObject *self = (MCTSObject *)op;
  int max = 64;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|i:pv", kwlist, &max)) return NULL;
  if (check_root(self) < 0) return NULL;
  if (max < 0 || max > 100000) {
    PyErr_SetString(PyExc_ValueError, "max_len must be in 0..100000");
    return NULL;
  }
  int *acts = PyMem_Malloc(sizeof(int) * (size_t)(max + 1));
  if (!acts) return PyErr_NoMemory();
  int n = mcts_pv(self->m, acts, max);
  PyObject *list = PyList_New(n);
  for (int i = 0; list && i < n; i++) {
    PyObject *v = PyLong_FromLong(acts[i]);
    if (!v) {
      Py_CLEAR(list);
      break;
    }
    PyList_SET_ITEM(list, i, v);
  }
  PyMem_Free(acts);
  return list;
}

static PyObject *MCTS_should_resign(PyObject *op, PyObject *Py_UNUSED(i)) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_root(self) < 0) return NULL;
  return PyBool_FromLong(mcts_should_resign(self->m));
}

static PyObject *MCTS_set_config(PyObject *op, PyObject *args, PyObject *kwds) {
  MCTSObject *self = (MCTSObject *)op;
  if (PyTuple_GET_SIZE(args) != 0) {
    PyErr_SetString(PyExc_TypeError, "set_config() takes keyword arguments only");
    return NULL;
  }
  if (check_idle(self) < 0 || apply_options(self, kwds, 0) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *MCTS_get_config(PyObject *op, void *Py_UNUSED(c)) {
  MCTSObject *self = (MCTSObject *)op;
  const mcts_config_t *c = &self->cfg;
  return Py_BuildValue("{s:d,s:d,s:s,s:d,s:i,s:d,s:O,s:d,s:d,s:d,s:d,s:K,s:L,s:i,s:i}", "c_init", c->c_init, "c_base",
                       c->c_base, "fpu", c->fpu_mode == MCTS_FPU_ABSOLUTE ? "absolute" : "reduction", "fpu_value",
                       c->fpu_value, "batch_size", c->batch_size, "virtual_loss", c->virtual_loss, "dirichlet",
                       c->dirichlet ? Py_True : Py_False, "dirichlet_alpha", c->dirichlet_alpha, "dirichlet_epsilon",
                       c->dirichlet_epsilon, "temperature", c->temperature, "resign_threshold", c->resign_threshold,
                       "seed", (unsigned long long)c->seed, "max_nodes", (long long)c->max_nodes, "max_moves",
                       self->max_moves, "rollout_moves", self->rollout_moves);
}

static PyObject *MCTS_get_stats(PyObject *op, void *Py_UNUSED(c)) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_idle(self) < 0) return NULL;
  mcts_stats_t s;
  memset(&s, 0, sizeof s);
  if (self->m) mcts_get_stats(self->m, &s);
  return Py_BuildValue("{s:L,s:L,s:L,s:n,s:n,s:L,s:L,s:L,s:L,s:L,s:i}", "nodes_used", (long long)s.nodes_used,
                       "nodes_capacity", (long long)s.nodes_capacity, "max_nodes", (long long)s.max_nodes,
                       "bytes_per_node", (Py_ssize_t)s.bytes_per_node, "bytes_allocated",
                       (Py_ssize_t)s.bytes_allocated, "simulations", (long long)s.simulations, "evaluations",
                       (long long)s.evaluations, "batches", (long long)s.batches, "collisions",
                       (long long)s.collisions, "terminal_visits", (long long)s.terminal_visits, "max_depth",
                       s.max_depth);
}

static PyObject *MCTS_get_root(PyObject *op, void *Py_UNUSED(c)) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_idle(self) < 0) return NULL;
  if (!self->m || !mcts_root_state(self->m)) Py_RETURN_NONE;
  return rocks_board_from(mcts_root_state(self->m));
}

static PyObject *MCTS_get_root_visits(PyObject *op, void *Py_UNUSED(c)) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_idle(self) < 0) return NULL;
  return PyLong_FromLong(self->m ? mcts_root_visits(self->m) : 0);
}

static PyObject *MCTS_get_root_value(PyObject *op, void *Py_UNUSED(c)) {
  MCTSObject *self = (MCTSObject *)op;
  if (check_idle(self) < 0) return NULL;
  return PyFloat_FromDouble(self->m ? mcts_root_value(self->m) : 0.0);
}

static PyObject *MCTS_get_size(PyObject *op, void *Py_UNUSED(c)) {
  MCTSObject *self = (MCTSObject *)op;
  if (!self->size) Py_RETURN_NONE;
  return PyLong_FromLong(self->size);
}

static PyObject *MCTS_get_evaluator(PyObject *op, void *Py_UNUSED(c)) {
  MCTSObject *self = (MCTSObject *)op;
  if (self->kind == EVAL_PYTHON && self->evaluator) {
    Py_INCREF(self->evaluator);
    return self->evaluator;
  }
  return PyUnicode_FromString(KIND_NAMES[self->kind]);
}

static PyObject *MCTS_get_inputs(PyObject *op, void *Py_UNUSED(c)) {
  return PyUnicode_FromString(INPUT_NAMES[((MCTSObject *)op)->inputs]);
}

static PyObject *MCTS_repr(PyObject *op) {
  MCTSObject *self = (MCTSObject *)op;
  char size[32] = "size unknown";
  if (self->size) PyOS_snprintf(size, sizeof size, "%dx%d", self->size, self->size);
  return PyUnicode_FromFormat("<rocks.MCTS %s evaluator, %s, %d root visits>", KIND_NAMES[self->kind], size,
                              (int)(self->m && !self->busy ? mcts_root_visits(self->m) : 0));
}

static PyGetSetDef MCTS_getset[] = {
    {"config", MCTS_get_config, NULL, "The configuration as a dict (see set_config).", NULL},
    {"stats", MCTS_get_stats, NULL,
     "Search statistics: nodes_used, nodes_capacity, max_nodes, bytes_per_node, bytes_allocated, simulations, "
     "evaluations, batches, collisions, terminal_visits, max_depth.",
     NULL},
    {"root", MCTS_get_root, NULL, "A copy of the root position (a Board), or None before the first search.", NULL},
    {"root_visits", MCTS_get_root_visits, NULL, "N(root): completed simulations in the current tree.", NULL},
    {"root_value", MCTS_get_root_value, NULL, "Root value for the player to move there, -W(root)/N(root).", NULL},
    {"size", MCTS_get_size, NULL, "Board size searched (None until the first search).", NULL},
    {"evaluator", MCTS_get_evaluator, NULL, "'uniform', 'rollout' or the Python callable.", NULL},
    {"inputs", MCTS_get_inputs, NULL, "What a Python evaluator receives: 'planes', 'planes+mask' or 'boards'.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef MCTS_methods[] = {
    {"search", ROCKS_KWFUNC(MCTS_search), METH_VARARGS | METH_KEYWORDS,
     "search(board, simulations=800)\n--\n\nSets `board` as the root (the tree is kept when it is the same position "
     "as the current root, e.g. after advance()) and runs `simulations` more simulations, with the GIL released. "
     "A Python evaluator's exception stops the search and is re-raised here; MemoryError when max_nodes is reached "
     "(the statistics so far are kept); RuntimeError if the root is terminal."},
    {"set_root", MCTS_set_root, METH_O, "set_root(board)\n--\n\nSets the root without searching (see search)."},
    {"clear", MCTS_clear, METH_NOARGS, "clear()\n--\n\nDrops the tree, keeping the root position."},
    {"visit_counts", MCTS_visit_counts, METH_NOARGS,
     "visit_counts()\n--\n\nnumpy int32 (N*N+1,): N(root, a) per policy index (0 for illegal actions)."},
    {"q_values", MCTS_q_values, METH_NOARGS,
     "q_values()\n--\n\nnumpy float64 (N*N+1,): Q(root, a) = W/N from the view of the player to move at the root "
     "(0 when unvisited)."},
    {"priors", MCTS_priors, METH_NOARGS,
     "priors()\n--\n\nnumpy float64 (N*N+1,): P(root, a) as used by the search (renormalised, after noise)."},
    {"policy_target", MCTS_policy_target, METH_NOARGS,
     "policy_target()\n--\n\nnumpy float32 (N*N+1,): N(root, a) / sum_b N(root, b), the training target."},
    {"select_move", ROCKS_KWFUNC(MCTS_select_move), METH_VARARGS | METH_KEYWORDS,
     "select_move(temperature=0.0)\n--\n\nA root action (policy index): the most visited (ties: lowest index) when "
     "temperature < 1e-3, else sampled with probability proportional to N^(1/temperature) from the seeded search "
     "RNG. A negative temperature uses config['temperature']."},
    {"advance", MCTS_advance, METH_O,
     "advance(move)\n--\n\nPlays `move` (policy index or any Board move form) at the root and keeps its subtree "
     "for the next search. IllegalMove if it is not legal at the root."},
    {"pv", ROCKS_KWFUNC(MCTS_pv), METH_VARARGS | METH_KEYWORDS,
     "pv(max_len=64)\n--\n\nPrincipal variation: the most visited child, repeatedly, as policy indices."},
    {"should_resign", MCTS_should_resign, METH_NOARGS,
     "should_resign()\n--\n\nTrue if resign_threshold > -1 and both the root value and the best child's Q are "
     "below it."},
    {"set_config", ROCKS_KWFUNC(MCTS_set_config), METH_VARARGS | METH_KEYWORDS,
     "set_config(**options)\n--\n\nChanges options between searches (the tree is kept); same names as the "
     "constructor's, except seed."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MCTSType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rocks.MCTS",
    .tp_basicsize = sizeof(MCTSObject),
    .tp_dealloc = MCTS_dealloc,
    .tp_repr = MCTS_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc =
        "MCTS(evaluator='uniform', size=None, *, inputs='planes', c_init=1.25, c_base=19652, fpu='reduction', "
        "fpu_value=0.25, batch_size=1, virtual_loss=1.0, dirichlet=False, dirichlet_alpha=0.0, "
        "dirichlet_epsilon=0.25, temperature=0.0, resign_threshold=-1.0, seed=1, max_nodes=4194304, max_moves=0, "
        "rollout_moves=0)\n--\n\n"
        "AlphaZero-style PUCT search in C (src/mcts/mcts.h) over Go positions.\n\n"
        "evaluator: 'uniform' (priors 1/A, value 0), 'rollout' (priors 1/A, value of one random playout), or a "
        "Python callable called with a batch of up to batch_size positions:\n"
        "    inputs='planes':      evaluator(planes)        planes: float32 (B, 4, N, N), Board.planes() per row\n"
        "    inputs='planes+mask': evaluator(planes, mask)  mask: bool (B, N*N+1), Board.legal_mask() per row\n"
        "    inputs='boards':      evaluator(boards)        boards: list of B Board copies\n"
        "and returning (priors, values): priors array-like (B, N*N+1) (any non-negative scores; illegal "
        "actions are ignored and the rest renormalised), values (B,) in [-1, 1] for the player to move. "
        "The search runs without the GIL; it is re-acquired only around the evaluator call.\n\n"
        "size: board size (default: that of the first searched board). max_moves: positions with move_count >= "
        "max_moves are terminal (0 = none). rollout_moves: rollout length cap (0 = 3*N*N). seed seeds root noise "
        "and temperature sampling (and the rollouts). Other options: see mcts_config_t in src/mcts/mcts.h.",
    .tp_traverse = MCTS_traverse,
    .tp_clear = MCTS_clear_refs,
    .tp_methods = MCTS_methods,
    .tp_getset = MCTS_getset,
    .tp_init = MCTS_init,
    .tp_new = MCTS_new,
};

int rocks_mcts_register(PyObject *module) {
  if (PyType_Ready(&MCTSType) < 0) return -1;
  Py_INCREF(&MCTSType);
  if (PyModule_AddObject(module, "MCTS", (PyObject *)&MCTSType) < 0) {
    Py_DECREF(&MCTSType);
    return -1;
  }
  return 0;
}
