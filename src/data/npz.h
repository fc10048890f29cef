/* npz.h — NumPy .npz archives (a zip of .npy arrays) via libzip, read and written.
 *
 * What it is: a writer that collects named arrays and commits them atomically (temporary file
 * beside the target, fsync, rename, fsync of the directory), stored or deflated, that
 * `numpy.load` reads; and a reader that validates everything before handing data out: the zip
 * directory (libzip with consistency checks), each member's sizes (a member may not claim more
 * bytes than the file could hold, so a forged size cannot trigger a huge allocation), the CRC,
 * the .npy magic, version and header dictionary, and that the data length is exactly
 * shape x itemsize. Corrupt or truncated input is an error with a message naming the file and
 * the member, never a crash. What it is not: a general zip tool or a NumPy dtype system: only
 * little-endian (or byte-sized) booleans, integers, floats and fixed-width byte strings, in C
 * order.
 *
 * Names are given without ".npy" (the member "policy.npy" is the array "policy", as numpy
 * shows it). Data is little-endian, as on every machine rocks runs on.
 */
#ifndef ROCKS_NPZ_H
#define ROCKS_NPZ_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

typedef enum {
  NPZ_BOOL = 0, /* "|b1" */
  NPZ_I8,       /* "|i1" */
  NPZ_U8,       /* "|u1" */
  NPZ_I16,      /* "<i2" */
  NPZ_U16,      /* "<u2" */
  NPZ_I32,      /* "<i4" */
  NPZ_U32,      /* "<u4" */
  NPZ_I64,      /* "<i8" */
  NPZ_U64,      /* "<u8" */
  NPZ_F32,      /* "<f4" */
  NPZ_F64,      /* "<f8" */
  NPZ_BYTES,    /* "|S<itemsize>": fixed-width byte strings (numpy pads with NULs) */
} npz_dtype_t;

#define NPZ_MAX_DIMS 8
#define NPZ_NAME_MAX 128

/* Size in bytes of one element (NPZ_BYTES: 0, the width is per array). */
size_t npz_dtype_size(npz_dtype_t t);
/* numpy's name of a dtype ("float32", "uint8", "bytes"). Static string. */
const char *npz_dtype_name(npz_dtype_t t);

typedef struct {
  char name[NPZ_NAME_MAX]; /* without ".npy"                                           */
  npz_dtype_t dtype;
  size_t itemsize;         /* bytes per element                                         */
  int ndim;                /* 0 for a scalar array                                      */
  int64_t shape[NPZ_MAX_DIMS];
  size_t numel;            /* product of shape (1 for ndim 0)                           */
  void *data;              /* numel * itemsize bytes, malloc'd; NULL after npz_info      */
} npz_array_t;

/* Frees a->data (a itself is the caller's). */
void npz_array_free(npz_array_t *a);

/* ------------------------------------------------------------------------------- writer */

typedef struct npz_writer npz_writer_t;

/* Starts an archive that will replace `path` when committed. compress_level 0 stores the
 * members, 1..9 deflates them (numpy reads both). NULL + err on failure. */
npz_writer_t *npz_writer_open(const char *path, int compress_level, rocks_error_t *err);
/* Adds an array (the data is copied). itemsize is needed only for NPZ_BYTES (else ignored).
 * ROCKS_ERR_ARG for a bad or duplicate name, a bad shape or dtype. */
rocks_status_t npz_writer_add(npz_writer_t *w, const char *name, npz_dtype_t dtype, size_t itemsize, int ndim,
                              const int64_t *shape, const void *data, rocks_error_t *err);
/* Shorthand for 1-D and 2-D arrays. */
rocks_status_t npz_writer_add1(npz_writer_t *w, const char *name, npz_dtype_t dtype, int64_t n, const void *data,
                               rocks_error_t *err);
rocks_status_t npz_writer_add2(npz_writer_t *w, const char *name, npz_dtype_t dtype, int64_t n0, int64_t n1,
                               const void *data, rocks_error_t *err);
/* Writes the archive to a temporary file, fsyncs it and renames it over the target. Frees w
 * in every case; on error no file is left behind (the target is unchanged). */
rocks_status_t npz_writer_close(npz_writer_t *w, rocks_error_t *err);
/* Discards an unfinished archive (NULL ok). */
void npz_writer_abort(npz_writer_t *w);

/* ------------------------------------------------------------------------------- reader */

typedef struct npz npz_t;

/* Opens an archive and reads its directory. ROCKS_ERR_IO if it cannot be opened,
 * ROCKS_ERR_PARSE if it is not a consistent zip file. Free with npz_close (NULL ok). */
npz_t *npz_open(const char *path, rocks_error_t *err);
void npz_close(npz_t *z);
/* Members, in the archive's order; names without ".npy". */
int npz_count(const npz_t *z);
const char *npz_name(const npz_t *z, int i);
/* Index of a member or -1. */
int npz_find(const npz_t *z, const char *name);
/* Reads only the .npy header of a member: a->data stays NULL. ROCKS_ERR_ARG if absent,
 * ROCKS_ERR_PARSE if malformed (including a data length that does not match the header). */
rocks_status_t npz_info(npz_t *z, const char *name, npz_array_t *a, rocks_error_t *err);
/* Reads a member completely (header, data, CRC). The caller frees with npz_array_free. */
rocks_status_t npz_read(npz_t *z, const char *name, npz_array_t *a, rocks_error_t *err);
/* npz_read plus checks: the dtype must be `dtype` and ndim `ndim` (ndim < 0: any), else
 * ROCKS_ERR_PARSE "member X: expected uint8 with 2 dimensions, got ...". */
rocks_status_t npz_read_expect(npz_t *z, const char *name, npz_dtype_t dtype, int ndim, npz_array_t *a,
                               rocks_error_t *err);

/* Parses a .npy header dictionary such as "{'descr': '<f4', 'fortran_order': False,
 * 'shape': (3, 4), }" into a (name untouched, data NULL). For the reader and tests. */
rocks_status_t npz_parse_header(const char *text, size_t len, npz_array_t *a, rocks_error_t *err);

#endif
