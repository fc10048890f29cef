/* _rocks.h — shared declarations of the rocks CPython extension (_rocks.c, _rocks_mcts.c).
 *
 * The extension is a thin layer: every rule and every search step is the C library's; these
 * files only convert arguments, map rocks_status_t to Python exceptions and build numpy arrays.
 */
#ifndef ROCKS_PY_ROCKS_H
#define ROCKS_PY_ROCKS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL rocks_ARRAY_API
#ifndef ROCKS_PY_MAIN
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "go/board.h"
#include "util/util.h"

/* Casts a METH_VARARGS | METH_KEYWORDS function to PyCFunction without -Wcast-function-type. */
#define ROCKS_KWFUNC(f) ((PyCFunction)(void (*)(void))(f))

typedef struct {
  PyObject_HEAD
  board_t *b;
} rocks_BoardObject;

extern PyTypeObject rocks_BoardType;
extern PyObject *rocks_IllegalMove; /* subclass of ValueError */

/* Sets the Python exception for a library error: ARG/PARSE -> ValueError, ILLEGAL ->
 * IllegalMove, IO -> OSError, NOMEM -> MemoryError, STATE -> RuntimeError. Returns NULL. */
PyObject *rocks_raise(const rocks_error_t *err);

/* Converts a move (policy index, (x, y), GTP vertex or "pass", None = pass) into a board point
 * or BOARD_PASS. Returns 0, or -1 with a Python exception set. */
int rocks_parse_move(const board_t *b, PyObject *obj, int *move);
/* Converts a colour (None = b->to_play, 1/2, "b"/"w"/"black"/"white"). 0 or -1 with exception. */
int rocks_parse_color(const board_t *b, PyObject *obj, int *color);

/* Number of planes of Board.planes() and the MCTS evaluator input, and the encoder: writes
 * ROCKS_NUM_PLANES * N * N floats (plane-major, row-major from the top) for b's side to move. */
#define ROCKS_NUM_PLANES 4
void rocks_fill_planes(const board_t *b, float *out);
/* A new rocks.Board holding a copy of b (history included). */
PyObject *rocks_board_from(const board_t *b);

/* Registers the MCTS type(s) in the module (defined in _rocks_mcts.c). 0 or -1. */
int rocks_mcts_register(PyObject *module);

#endif
