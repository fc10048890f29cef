/* test_npz.c — tests of the .npz reader/writer (src/data/npz.c).
 *
 *   test_npz DIR                  unit tests (scratch files under DIR): round trips of every dtype,
 *                                 stored and deflated; header parsing; atomic writes; truncation
 *                                 at every offset and random byte corruption never crash and never
 *                                 return wrong data silently.
 *   test_npz --write DIR          writes DIR/c_stored.npz and DIR/c_deflate.npz (the fixture set
 *                                 below) for tests/data/npz_numpy.py to load with numpy.
 *   test_npz --read-numpy FILE    checks a file numpy wrote (np.savez[_compressed]) with the same
 *                                 fixture set.
 * Exits non-zero on any failed check.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/npz.h"
#include "util/util.h"

#include "check.h"

/* ---------------------------------------------------------------------------- fixtures -- */
/* The same arrays are built by tests/data/npz_numpy.py (keep the two in sync). */

typedef struct {
  const char *name;
  npz_dtype_t dtype;
  size_t itemsize;
  int ndim;
  int64_t shape[3];
} fixture_t;

static const fixture_t fixtures[] = {
    {"f32", NPZ_F32, 4, 2, {3, 4}},     {"f64_scalar", NPZ_F64, 8, 0, {0}}, {"i64", NPZ_I64, 8, 1, {5}},
    {"u8", NPZ_U8, 1, 3, {2, 3, 4}},    {"i8", NPZ_I8, 1, 1, {6}},          {"i16", NPZ_I16, 2, 1, {4}},
    {"u16", NPZ_U16, 2, 1, {3}},        {"i32", NPZ_I32, 4, 2, {2, 2}},     {"u32", NPZ_U32, 4, 1, {2}},
    {"u64", NPZ_U64, 8, 1, {2}},        {"flag", NPZ_BOOL, 1, 1, {7}},      {"names", NPZ_BYTES, 6, 1, {3}},
    {"empty", NPZ_F32, 4, 2, {0, 5}},
};
#define NFIX ((int)(sizeof fixtures / sizeof fixtures[0]))

/* Element i of fixture f as bytes into out (itemsize bytes). */
static void fixture_value(const fixture_t *f, size_t i, void *out) {
  switch (f->dtype) {
  case NPZ_F32: { float v = (float)i * 0.5f - 1.0f; memcpy(out, &v, 4); break; }
  case NPZ_F64: { double v = 3.141592653589793; memcpy(out, &v, 8); break; }
  case NPZ_I64: { int64_t v = (int64_t)i * 1000000000000LL - 7; memcpy(out, &v, 8); break; }
  case NPZ_U8: { uint8_t v = (uint8_t)(i * 7 % 251); memcpy(out, &v, 1); break; }
  case NPZ_I8: { int8_t v = (int8_t)((int)i * 37 - 100); memcpy(out, &v, 1); break; }
  case NPZ_I16: { int16_t v = (int16_t)((int)i * 1000 - 30000); memcpy(out, &v, 2); break; }
  case NPZ_U16: { uint16_t v = (uint16_t)(65535 - i); memcpy(out, &v, 2); break; }
  case NPZ_I32: { int32_t v = (int32_t)i * -123456 + 1; memcpy(out, &v, 4); break; }
  case NPZ_U32: { uint32_t v = 4000000000u + (uint32_t)i; memcpy(out, &v, 4); break; }
  case NPZ_U64: { uint64_t v = 18000000000000000000ull + i; memcpy(out, &v, 8); break; }
  case NPZ_BOOL: { uint8_t v = i % 3 == 0; memcpy(out, &v, 1); break; }
  case NPZ_BYTES: {
    static const char *s[] = {"go", "rocks!", ""};
    memset(out, 0, f->itemsize);
    memcpy(out, s[i % 3], strlen(s[i % 3]));
    break;
  }
  }
}

static size_t fixture_numel(const fixture_t *f) {
  size_t n = 1;
  for (int d = 0; d < f->ndim; d++) n *= (size_t)f->shape[d];
  return n;
}

static void *fixture_data(const fixture_t *f) {
  size_t n = fixture_numel(f);
  unsigned char *p = malloc(n * f->itemsize + 1);
  for (size_t i = 0; i < n; i++) fixture_value(f, i, p + i * f->itemsize);
  return p;
}

static bool write_fixtures(const char *path, int level, rocks_error_t *err) {
  npz_writer_t *w = npz_writer_open(path, level, err);
  if (!w) return false;
  for (int k = 0; k < NFIX; k++) {
    void *d = fixture_data(&fixtures[k]);
    rocks_status_t s = npz_writer_add(w, fixtures[k].name, fixtures[k].dtype, fixtures[k].itemsize, fixtures[k].ndim,
                                      fixtures[k].shape, d, err);
    free(d);
    if (s != ROCKS_OK) {
      npz_writer_abort(w);
      return false;
    }
  }
  return npz_writer_close(w, err) == ROCKS_OK;
}

/* Checks every fixture in an open archive; returns the number of mismatches. */
static int check_fixtures(npz_t *z, const char *what) {
  int bad = 0;
  for (int k = 0; k < NFIX; k++) {
    const fixture_t *f = &fixtures[k];
    npz_array_t a;
    rocks_error_t err = {0};
    if (!CHECKF(npz_read(z, f->name, &a, &err) == ROCKS_OK, "%s: read %s: %s", what, f->name, err.msg)) {
      bad++;
      continue;
    }
    bool ok = a.dtype == f->dtype && a.itemsize == f->itemsize && a.ndim == f->ndim;
    for (int d = 0; ok && d < f->ndim; d++) ok = a.shape[d] == f->shape[d];
    void *want = fixture_data(f);
    ok = ok && a.numel == fixture_numel(f) && memcmp(a.data, want, a.numel * a.itemsize) == 0;
    if (!CHECKF(ok, "%s: array %s differs (dtype %s ndim %d numel %zu)", what, f->name, npz_dtype_name(a.dtype), a.ndim, a.numel)) bad++;
    free(want);
    npz_array_free(&a);
  }
  return bad;
}

/* ------------------------------------------------------------------------------- tests -- */

static void test_header_parse(void) {
  struct { const char *text; int ok; int ndim; int64_t d0, d1; npz_dtype_t dt; size_t isz; } cases[] = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 1, 2, 3, 4, NPZ_F32, 4},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }          \n", 1, 1, 5, 0, NPZ_U8, 1},
      {"{\"shape\": (), \"fortran_order\": False, \"descr\": \"<i8\"}", 1, 0, 0, 0, NPZ_I64, 8},
      {"{'descr': '|S17', 'fortran_order': False, 'shape': (2L, 3L)}", 1, 2, 2, 3, NPZ_BYTES, 17},
      {"{'descr': '=f8', 'fortran_order': False, 'shape': (1,)}", 1, 1, 1, 0, NPZ_F64, 8},
      {"{'descr': '|b1', 'fortran_order': False, 'shape': (0, 9), }", 1, 2, 0, 9, NPZ_BOOL, 1},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", 0, 0, 0, 0, 0, 0},  /* big-endian */
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", 0, 0, 0, 0, 0, 0},  /* Fortran */
      {"{'descr': '<U8', 'fortran_order': False, 'shape': (3,), }", 0, 0, 0, 0, 0, 0},   /* unicode */
      {"{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", 0, 0, 0, 0, 0, 0},   /* half */
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'shape': (3,), }", 0, 0, 0, 0, 0, 0},                            /* missing */
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} junk", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,", 0, 0, 0, 0, 0, 0},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", 0, 0, 0, 0, 0, 0},
      {"", 0, 0, 0, 0, 0, 0},
      {"[1, 2]", 0, 0, 0, 0, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    npz_array_t a;
    memset(&a, 0, sizeof a);
    rocks_error_t err = {0};
    rocks_status_t s = npz_parse_header(cases[i].text, strlen(cases[i].text), &a, &err);
    if (!cases[i].ok) {
      CHECKF(s == ROCKS_ERR_PARSE && err.msg[0], "header %zu should fail: %s", i, cases[i].text);
      continue;
    }
    if (!CHECKF(s == ROCKS_OK, "header %zu: %s", i, err.msg)) continue;
    CHECKF(a.ndim == cases[i].ndim && a.dtype == cases[i].dt && a.itemsize == cases[i].isz, "header %zu fields", i);
    if (a.ndim >= 1) CHECK(a.shape[0] == cases[i].d0);
    if (a.ndim >= 2) CHECK(a.shape[1] == cases[i].d1);
  }
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* (unlinks first: rewriting a truncated file in place makes ext4 flush it on close) */
static void write_file(const char *path, const char *buf, size_t len) {
  unlink(path);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(buf, 1, len, f);
  fclose(f);
}

/* Number of files in dir whose name starts with prefix. */
static int count_files(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
  closedir(d);
  return n;
}

static void test_round_trip(const char *dir) {
  for (int level = 0; level <= 9; level += 6) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt%d.npz", dir, level);
    rocks_error_t err = {0};
    if (!CHECKF(write_fixtures(path, level, &err), "write %s: %s", path, err.msg)) continue;
    npz_t *z = npz_open(path, &err);
    if (!CHECKF(z != NULL, "open %s: %s", path, err.msg)) continue;
    CHECK(npz_count(z) == NFIX);
    for (int k = 0; k < NFIX; k++) CHECK(npz_find(z, fixtures[k].name) == k && !strcmp(npz_name(z, k), fixtures[k].name));
    CHECK(npz_find(z, "nope") == -1);
    check_fixtures(z, path);
    npz_array_t a;
    CHECK(npz_info(z, "u8", &a, &err) == ROCKS_OK && a.data == NULL && a.ndim == 3 && a.shape[2] == 4 && a.numel == 24);
    CHECK(npz_read(z, "nope", &a, &err) == ROCKS_ERR_ARG && strstr(err.msg, "nope"));
    CHECK(npz_read_expect(z, "u8", NPZ_F32, 3, &a, &err) == ROCKS_ERR_PARSE && a.data == NULL && strstr(err.msg, "float32"));
    CHECK(npz_read_expect(z, "u8", NPZ_U8, 2, &a, &err) == ROCKS_ERR_PARSE);
    CHECK(npz_read_expect(z, "u8", NPZ_U8, 3, &a, &err) == ROCKS_OK && a.data != NULL);
    npz_array_free(&a);
    npz_close(z);
  }
  /* same arrays => byte-identical files (fixed member times): checksums of shards are stable */
  char p1[512], p2[512];
  snprintf(p1, sizeof p1, "%s/rt6.npz", dir);
  snprintf(p2, sizeof p2, "%s/rt6b.npz", dir);
  rocks_error_t err = {0};
  CHECK(write_fixtures(p2, 6, &err));
  size_t l1 = 0, l2 = 0;
  char *b1 = read_file(p1, &l1), *b2 = read_file(p2, &l2);
  CHECK(b1 && b2 && l1 == l2 && memcmp(b1, b2, l1) == 0);
  free(b1);
  free(b2);

  /* an archive with no arrays */
  snprintf(p1, sizeof p1, "%s/empty.npz", dir);
  npz_writer_t *w = npz_writer_open(p1, 0, &err);
  CHECK(w && npz_writer_close(w, &err) == ROCKS_OK);
  npz_t *z = npz_open(p1, &err);
  CHECKF(z && npz_count(z) == 0, "empty archive: %s", err.msg);
  npz_close(z);
}

static void test_writer_errors(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/werr.npz", dir);
  rocks_error_t err = {0};
  CHECK(npz_writer_open(path, 10, &err) == NULL && err.code == ROCKS_ERR_ARG);
  CHECK(npz_writer_open("/nonexistent-dir/x.npz", 0, &err) == NULL && err.code == ROCKS_ERR_IO);
  /* an existing file stays as it is when a write is aborted, and no temporary is left */
  write_file(path, "old", 3);
  npz_writer_t *w = npz_writer_open(path, 6, &err);
  float v[3] = {1, 2, 3};
  CHECK(npz_writer_add1(w, "a", NPZ_F32, 3, v, &err) == ROCKS_OK);
  CHECK(npz_writer_add1(w, "a", NPZ_F32, 3, v, &err) == ROCKS_ERR_ARG && strstr(err.msg, "duplicate"));
  CHECK(npz_writer_add1(w, "b/c", NPZ_F32, 3, v, &err) == ROCKS_ERR_ARG);
  CHECK(npz_writer_add1(w, "", NPZ_F32, 3, v, &err) == ROCKS_ERR_ARG);
  CHECK(npz_writer_add1(w, "neg", NPZ_F32, -1, v, &err) == ROCKS_ERR_ARG);
  CHECK(npz_writer_add(w, "s0", NPZ_BYTES, 0, 1, (int64_t[]){1}, "x", &err) == ROCKS_ERR_ARG);
  CHECK(count_files(dir, "werr.npz.tmp.") == 1);
  npz_writer_abort(w);
  size_t len = 0;
  char *buf = read_file(path, &len);
  CHECK(buf && len == 3 && !memcmp(buf, "old", 3));
  free(buf);
  CHECK(count_files(dir, "werr.npz.tmp.") == 0);
  /* a commit replaces it; again no temporary left */
  w = npz_writer_open(path, 0, &err);
  CHECK(npz_writer_add2(w, "m", NPZ_F32, 1, 3, v, &err) == ROCKS_OK && npz_writer_close(w, &err) == ROCKS_OK);
  CHECK(count_files(dir, "werr.npz.tmp.") == 0);
  npz_t *z = npz_open(path, &err);
  npz_array_t a;
  CHECK(z && npz_read_expect(z, "m", NPZ_F32, 2, &a, &err) == ROCKS_OK && a.shape[0] == 1 && a.shape[1] == 3 &&
        ((float *)a.data)[2] == 3.0f);
  npz_array_free(&a);
  npz_close(z);
}

/* Reads everything in an archive; returns 0 if it opened and every fixture matched, 1 on a
 * clean error. Anything else (wrong data with success) is a failed check. */
static int read_all_or_error(const char *path, int *silent_wrong) {
  rocks_error_t err = {0};
  npz_t *z = npz_open(path, &err);
  if (!z) {
    if (!err.msg[0]) (*silent_wrong)++;
    return 1;
  }
  int errors = 0;
  for (int k = 0; k < NFIX; k++) {
    const fixture_t *f = &fixtures[k];
    npz_array_t a;
    memset(&err, 0, sizeof err);
    if (npz_read(z, f->name, &a, &err) != ROCKS_OK) {
      if (!err.msg[0]) (*silent_wrong)++;
      errors++;
      continue;
    }
    void *want = fixture_data(f);
    bool same = a.dtype == f->dtype && a.ndim == f->ndim && a.numel == fixture_numel(f) && a.itemsize == f->itemsize &&
                memcmp(a.data, want, a.numel * a.itemsize) == 0;
    for (int d = 0; same && d < f->ndim; d++) same = a.shape[d] == f->shape[d];
    if (!same) (*silent_wrong)++;
    free(want);
    npz_array_free(&a);
  }
  npz_close(z);
  return errors ? 1 : 0;
}

static void test_corruption(const char *dir) {
  for (int level = 0; level <= 6; level += 6) {
    char src[512], bad[512];
    snprintf(src, sizeof src, "%s/rt%d.npz", dir, level);
    snprintf(bad, sizeof bad, "%s/bad.npz", dir);
    size_t len = 0;
    char *orig = read_file(src, &len);
    if (!CHECK(orig && len > 100)) return;
    int wrong = 0, errs = 0;
    /* truncation at every offset: always an error (the end-of-directory record is at the end) */
    for (size_t cut = 0; cut < len; cut++) {
      write_file(bad, orig, cut);
      errs += read_all_or_error(bad, &wrong);
    }
    CHECKF(errs == (int)len, "level %d: %d of %zu truncations detected", level, errs, len);
    /* random single-byte corruption: an error, or (bytes zip does not check, e.g. times)
     * exactly the original data */
    rocks_rng_t rng;
    rocks_rng_seed(&rng, 42 + (uint64_t)level);
    char *copy = malloc(len);
    int detected = 0;
    for (int t = 0; t < 3000; t++) {
      memcpy(copy, orig, len);
      size_t at = rocks_rng_below(&rng, (uint32_t)len);
      copy[at] = (char)(copy[at] ^ (1 + rocks_rng_below(&rng, 255)));
      write_file(bad, copy, len);
      detected += read_all_or_error(bad, &wrong);
    }
    /* garbage appended or prepended */
    char *big = malloc(len + 64);
    memset(big, 'x', 64);
    memcpy(big + 64, orig, len);
    write_file(bad, big, len + 64);
    read_all_or_error(bad, &wrong);
    memcpy(big, orig, len);
    memset(big + len, 0, 64);
    write_file(bad, big, len + 64);
    read_all_or_error(bad, &wrong);
    free(big);
    CHECKF(wrong == 0, "level %d: %d reads returned wrong data without an error", level, wrong);
    CHECKF(detected > 1500, "level %d: only %d of 3000 corruptions detected", level, detected);
    printf("corruption level %d: %zu truncations all rejected, %d/3000 byte flips rejected, 0 silent\n", level, len, detected);
    free(copy);
    free(orig);
  }
  rocks_error_t err = {0};
  char path[512];
  snprintf(path, sizeof path, "%s/notzip.npz", dir);
  write_file(path, "hello world, not a zip file at all", 34);
  CHECK(npz_open(path, &err) == NULL && err.code == ROCKS_ERR_PARSE && strstr(err.msg, "notzip.npz"));
  CHECK(npz_open(dir, &err) == NULL);
  CHECK(npz_open("/nonexistent/x.npz", &err) == NULL && err.code == ROCKS_ERR_IO);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write")) {
    char path[512];
    rocks_error_t err = {0};
    snprintf(path, sizeof path, "%s/c_stored.npz", argv[2]);
    if (!write_fixtures(path, 0, &err)) fprintf(stderr, "%s\n", err.msg), check_failures++;
    snprintf(path, sizeof path, "%s/c_deflate.npz", argv[2]);
    if (!write_fixtures(path, 6, &err)) fprintf(stderr, "%s\n", err.msg), check_failures++;
    return check_failures ? 1 : 0;
  }
  if (argc == 3 && !strcmp(argv[1], "--read-numpy")) {
    rocks_error_t err = {0};
    npz_t *z = npz_open(argv[2], &err);
    if (!z) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    int bad = check_fixtures(z, argv[2]);
    npz_close(z);
    printf("%s: %d arrays, %d mismatches\n", argv[2], NFIX, bad);
    return bad || check_failures ? 1 : 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: test_npz DIR | --write DIR | --read-numpy FILE\n");
    return 2;
  }
  char dir[256];
  snprintf(dir, sizeof dir, "%.200s/test_npz.d", argv[1]);
  mkdir(dir, 0755);
  test_header_parse();
  test_round_trip(dir);
  test_writer_errors(dir);
  test_corruption(dir);
  return check_report("test_npz");
}
