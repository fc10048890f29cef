/* npz.c — .npz archives via libzip (npz.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "data/npz.h"

/* Largest .npy header we accept (numpy's own limit for version 1 is 64 KiB; a few dimensions
 * need < 200 bytes). */
#define NPZ_MAX_HEADER (1u << 20)
/* The zip members' modification time: fixed, so identical data gives identical files (and
 * checksums). 2020-01-01 00:00:00 UTC. */
#define NPZ_MTIME ((time_t)1577836800)

static const struct {
  char kind;
  size_t size;
  const char *descr, *name;
} dtypes_[] = {
    [NPZ_BOOL] = {'b', 1, "|b1", "bool"},     [NPZ_I8] = {'i', 1, "|i1", "int8"},
    [NPZ_U8] = {'u', 1, "|u1", "uint8"},      [NPZ_I16] = {'i', 2, "<i2", "int16"},
    [NPZ_U16] = {'u', 2, "<u2", "uint16"},    [NPZ_I32] = {'i', 4, "<i4", "int32"},
    [NPZ_U32] = {'u', 4, "<u4", "uint32"},    [NPZ_I64] = {'i', 8, "<i8", "int64"},
    [NPZ_U64] = {'u', 8, "<u8", "uint64"},    [NPZ_F32] = {'f', 4, "<f4", "float32"},
    [NPZ_F64] = {'f', 8, "<f8", "float64"},   [NPZ_BYTES] = {'S', 0, "|S", "bytes"},
};
#define NDTYPES ((int)(sizeof dtypes_ / sizeof dtypes_[0]))

size_t npz_dtype_size(npz_dtype_t t) { return (int)t >= 0 && (int)t < NDTYPES ? dtypes_[t].size : 0; }
const char *npz_dtype_name(npz_dtype_t t) { return (int)t >= 0 && (int)t < NDTYPES ? dtypes_[t].name : "?"; }

void npz_array_free(npz_array_t *a) {
  if (!a) return;
  free(a->data);
  a->data = NULL;
}

/* numel of a shape, false on overflow (of numel * itemsize too). */
static bool shape_numel_(int ndim, const int64_t *shape, size_t itemsize, size_t *numel) {
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0 || (uint64_t)shape[i] > ((uint64_t)1 << 56)) return false;
    size_t d = (size_t)shape[i];
    if (d && n > SIZE_MAX / d) return false;
    n *= d;
  }
  if (itemsize && n > SIZE_MAX / itemsize) return false;
  *numel = n;
  return true;
}

/* ===================================================================== .npy header text === */

static void skip_ws_(const char *s, size_t len, size_t *i) {
  while (*i < len && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) (*i)++;
}

/* A Python string literal in '...' or "..." (no escapes in what numpy writes). */
static bool parse_pystr_(const char *s, size_t len, size_t *i, char *out, size_t outlen) {
  if (*i >= len || (s[*i] != '\'' && s[*i] != '"')) return false;
  char q = s[(*i)++];
  size_t n = 0;
  while (*i < len && s[*i] != q) {
    if (s[*i] == '\\' || n + 1 >= outlen) return false;
    out[n++] = s[(*i)++];
  }
  if (*i >= len) return false;
  (*i)++;
  out[n] = '\0';
  return true;
}

static bool parse_descr_(const char *d, npz_array_t *a) {
  char order = d[0];
  if (order != '<' && order != '|' && order != '=' && order != '>') return false;
  char kind = d[1];
  if (!kind) return false;
  char *end;
  errno = 0;
  long size = strtol(d + 2, &end, 10);
  if (errno || end == d + 2 || *end || size < 1) return false;
  if (order == '>' && size > 1) return false; /* big-endian data */
  if (kind == 'S') {
    if (size > (1L << 20)) return false;
    a->dtype = NPZ_BYTES;
    a->itemsize = (size_t)size;
    return true;
  }
  for (int t = 0; t < NDTYPES; t++)
    if (dtypes_[t].kind == kind && dtypes_[t].size == (size_t)size && t != NPZ_BYTES) {
      a->dtype = (npz_dtype_t)t;
      a->itemsize = (size_t)size;
      return true;
    }
  return false;
}

rocks_status_t npz_parse_header(const char *s, size_t len, npz_array_t *a, rocks_error_t *err) {
  bool have_descr = false, have_order = false, have_shape = false;
  size_t i = 0;
  skip_ws_(s, len, &i);
  if (i >= len || s[i] != '{') return rocks_fail(err, ROCKS_ERR_PARSE, "header is not a dictionary");
  i++;
  for (;;) {
    skip_ws_(s, len, &i);
    if (i < len && s[i] == '}') {
      i++;
      break;
    }
    char key[32];
    if (!parse_pystr_(s, len, &i, key, sizeof key)) return rocks_fail(err, ROCKS_ERR_PARSE, "header: bad key");
    skip_ws_(s, len, &i);
    if (i >= len || s[i] != ':') return rocks_fail(err, ROCKS_ERR_PARSE, "header: expected ':' after '%s'", key);
    i++;
    skip_ws_(s, len, &i);
    if (!strcmp(key, "descr")) {
      char d[32];
      if (have_descr || !parse_pystr_(s, len, &i, d, sizeof d))
        return rocks_fail(err, ROCKS_ERR_PARSE, "header: bad or repeated 'descr' (structured dtypes are not supported)");
      if (!parse_descr_(d, a)) return rocks_fail(err, ROCKS_ERR_PARSE, "unsupported dtype '%s'", d);
      have_descr = true;
    } else if (!strcmp(key, "fortran_order")) {
      if (have_order) return rocks_fail(err, ROCKS_ERR_PARSE, "header: repeated 'fortran_order'");
      if (len - i >= 5 && !strncmp(s + i, "False", 5)) {
        i += 5;
      } else if (len - i >= 4 && !strncmp(s + i, "True", 4)) {
        return rocks_fail(err, ROCKS_ERR_PARSE, "Fortran-order arrays are not supported");
      } else {
        return rocks_fail(err, ROCKS_ERR_PARSE, "header: 'fortran_order' must be True or False");
      }
      have_order = true;
    } else if (!strcmp(key, "shape")) {
      if (have_shape || i >= len || s[i] != '(') return rocks_fail(err, ROCKS_ERR_PARSE, "header: bad 'shape'");
      i++;
      a->ndim = 0;
      for (;;) {
        skip_ws_(s, len, &i);
        if (i < len && s[i] == ')') {
          i++;
          break;
        }
        if (i >= len || s[i] < '0' || s[i] > '9') return rocks_fail(err, ROCKS_ERR_PARSE, "header: bad 'shape'");
        uint64_t v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
          v = v * 10 + (uint64_t)(s[i++] - '0');
          if (v > ((uint64_t)1 << 56)) return rocks_fail(err, ROCKS_ERR_PARSE, "header: dimension too large");
        }
        if (i < len && s[i] == 'L') i++; /* Python 2 longs */
        if (a->ndim == NPZ_MAX_DIMS) return rocks_fail(err, ROCKS_ERR_PARSE, "more than %d dimensions", NPZ_MAX_DIMS);
        a->shape[a->ndim++] = (int64_t)v;
        skip_ws_(s, len, &i);
        if (i < len && s[i] == ',') i++;
        else if (i < len && s[i] == ')') continue;
        else return rocks_fail(err, ROCKS_ERR_PARSE, "header: bad 'shape'");
      }
      have_shape = true;
    } else {
      return rocks_fail(err, ROCKS_ERR_PARSE, "header: unknown key '%s'", key);
    }
    skip_ws_(s, len, &i);
    if (i < len && s[i] == ',') {
      i++;
      continue;
    }
    if (i < len && s[i] == '}') {
      i++;
      break;
    }
    return rocks_fail(err, ROCKS_ERR_PARSE, "header: expected ',' or '}'");
  }
  skip_ws_(s, len, &i);
  if (i != len) return rocks_fail(err, ROCKS_ERR_PARSE, "header: trailing characters");
  if (!have_descr || !have_order || !have_shape)
    return rocks_fail(err, ROCKS_ERR_PARSE, "header: missing %s", !have_descr ? "'descr'" : !have_order ? "'fortran_order'" : "'shape'");
  if (!shape_numel_(a->ndim, a->shape, a->itemsize, &a->numel)) return rocks_fail(err, ROCKS_ERR_PARSE, "header: shape too large");
  a->data = NULL;
  return ROCKS_OK;
}

/* Builds the complete .npy bytes (version 1.0 header padded to 64 bytes, then the data). */
static unsigned char *npy_build_(npz_dtype_t dtype, size_t itemsize, int ndim, const int64_t *shape,
                                 const void *data, size_t databytes, size_t *outlen) {
  char hdr[512];
  int n;
  if (dtype == NPZ_BYTES) n = snprintf(hdr, sizeof hdr, "{'descr': '|S%zu', 'fortran_order': False, 'shape': (", itemsize);
  else n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", dtypes_[dtype].descr);
  for (int i = 0; i < ndim; i++) n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%lld%s", (long long)shape[i], ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
  n += snprintf(hdr + n, sizeof hdr - (size_t)n, "), }");
  size_t total = 10 + (size_t)n + 1; /* magic(6) ver(2) len(2) text '\n' */
  size_t pad = (64 - total % 64) % 64;
  size_t hlen = (size_t)n + pad + 1;
  unsigned char *buf = malloc(10 + hlen + databytes + 1);
  if (!buf) return NULL;
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (unsigned char)(hlen & 0xff);
  buf[9] = (unsigned char)(hlen >> 8);
  memcpy(buf + 10, hdr, (size_t)n);
  memset(buf + 10 + n, ' ', pad);
  buf[10 + hlen - 1] = '\n';
  if (databytes) memcpy(buf + 10 + hlen, data, databytes);
  *outlen = 10 + hlen + databytes;
  return buf;
}

/* ============================================================================== writer === */

struct npz_writer {
  char *path, *tmp;
  int level;
  zip_t *za;
  int n, cap;
  char (*names)[NPZ_NAME_MAX];
};

static void fsync_dir_of_(const char *path) {
  char *d = strdup(path);
  if (!d) return;
  char *slash = strrchr(d, '/');
  if (slash) slash[slash == d ? 1 : 0] = '\0';
  int fd = open(slash ? d : ".", O_RDONLY);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(d);
}

npz_writer_t *npz_writer_open(const char *path, int compress_level, rocks_error_t *err) {
  if (compress_level < 0 || compress_level > 9) {
    rocks_fail(err, ROCKS_ERR_ARG, "compression level %d not in 0..9", compress_level);
    return NULL;
  }
  npz_writer_t *w = calloc(1, sizeof *w);
  size_t plen = strlen(path);
  if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(plen + sizeof ".tmp.XXXXXX"))) {
    if (w) free(w->path);
    free(w);
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  w->level = compress_level;
  memcpy(w->tmp, path, plen);
  memcpy(w->tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  int fd = mkstemp(w->tmp);
  if (fd < 0) {
    rocks_fail(err, ROCKS_ERR_IO, "%s: %s", path, strerror(errno));
    free(w->tmp), free(w->path), free(w);
    return NULL;
  }
  close(fd);
  int zerr = 0;
  w->za = zip_open(w->tmp, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (!w->za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    rocks_fail(err, ROCKS_ERR_IO, "%s: %s", w->tmp, zip_error_strerror(&ze));
    zip_error_fini(&ze);
    unlink(w->tmp);
    free(w->tmp), free(w->path), free(w);
    return NULL;
  }
  return w;
}

void npz_writer_abort(npz_writer_t *w) {
  if (!w) return;
  if (w->za) zip_discard(w->za);
  unlink(w->tmp);
  free(w->names);
  free(w->tmp);
  free(w->path);
  free(w);
}

static bool name_ok_(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n + 4 >= NPZ_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x21 || c > 0x7e || c == '/' || c == '\\') return false;
  }
  return true;
}

rocks_status_t npz_writer_add(npz_writer_t *w, const char *name, npz_dtype_t dtype, size_t itemsize, int ndim,
                              const int64_t *shape, const void *data, rocks_error_t *err) {
  if (!name_ok_(name)) return rocks_fail(err, ROCKS_ERR_ARG, "bad array name '%s'", name);
  if ((int)dtype < 0 || (int)dtype >= NDTYPES) return rocks_fail(err, ROCKS_ERR_ARG, "%s: bad dtype", name);
  if (dtype != NPZ_BYTES) itemsize = dtypes_[dtype].size;
  else if (itemsize < 1 || itemsize > (1u << 20)) return rocks_fail(err, ROCKS_ERR_ARG, "%s: bad string width %zu", name, itemsize);
  if (ndim < 0 || ndim > NPZ_MAX_DIMS) return rocks_fail(err, ROCKS_ERR_ARG, "%s: %d dimensions", name, ndim);
  size_t numel;
  if (!shape_numel_(ndim, shape, itemsize, &numel)) return rocks_fail(err, ROCKS_ERR_ARG, "%s: bad shape", name);
  for (int i = 0; i < w->n; i++)
    if (!strcmp(w->names[i], name)) return rocks_fail(err, ROCKS_ERR_ARG, "duplicate array name '%s'", name);
  if (numel && !data) return rocks_fail(err, ROCKS_ERR_ARG, "%s: no data", name);
  if (w->n == w->cap) {
    int cap = w->cap ? 2 * w->cap : 16;
    void *p = realloc(w->names, (size_t)cap * sizeof *w->names);
    if (!p) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    w->names = p;
    w->cap = cap;
  }
  size_t len;
  unsigned char *buf = npy_build_(dtype, itemsize, ndim, shape, data, numel * itemsize, &len);
  if (!buf) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (%s: %zu bytes)", name, numel * itemsize);
  zip_source_t *src = zip_source_buffer(w->za, buf, len, 1);
  if (!src) {
    free(buf);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "%s: %s", name, zip_strerror(w->za));
  }
  char member[NPZ_NAME_MAX + 8];
  snprintf(member, sizeof member, "%s.npy", name);
  zip_int64_t idx = zip_file_add(w->za, member, src, ZIP_FL_ENC_UTF_8);
  if (idx < 0) {
    zip_source_free(src);
    return rocks_fail(err, ROCKS_ERR_IO, "%s: %s", name, zip_strerror(w->za));
  }
  if (zip_set_file_compression(w->za, (zip_uint64_t)idx, w->level ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                               (zip_uint32_t)w->level) != 0 ||
      zip_file_set_mtime(w->za, (zip_uint64_t)idx, NPZ_MTIME, 0) != 0)
    return rocks_fail(err, ROCKS_ERR_IO, "%s: %s", name, zip_strerror(w->za));
  snprintf(w->names[w->n++], NPZ_NAME_MAX, "%s", name);
  return ROCKS_OK;
}

rocks_status_t npz_writer_add1(npz_writer_t *w, const char *name, npz_dtype_t dtype, int64_t n, const void *data,
                               rocks_error_t *err) {
  return npz_writer_add(w, name, dtype, 0, 1, &n, data, err);
}

rocks_status_t npz_writer_add2(npz_writer_t *w, const char *name, npz_dtype_t dtype, int64_t n0, int64_t n1,
                               const void *data, rocks_error_t *err) {
  int64_t shape[2] = {n0, n1};
  return npz_writer_add(w, name, dtype, 0, 2, shape, data, err);
}

rocks_status_t npz_writer_close(npz_writer_t *w, rocks_error_t *err) {
  rocks_status_t st = ROCKS_OK;
  if (w->n == 0) {
    /* libzip removes an archive without members; numpy reads an empty zip (end record only) */
    zip_discard(w->za);
    w->za = NULL;
    static const unsigned char eocd[22] = {0x50, 0x4b, 0x05, 0x06};
    FILE *f = fopen(w->tmp, "wb");
    if (!f || fwrite(eocd, 1, sizeof eocd, f) != sizeof eocd) st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", w->tmp, strerror(errno));
    if (f && fclose(f) != 0 && st == ROCKS_OK) st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", w->tmp, strerror(errno));
  } else {
    if (zip_close(w->za) != 0) {
      st = rocks_fail(err, ROCKS_ERR_IO, "%s: %s", w->path, zip_strerror(w->za));
      zip_discard(w->za);
    }
    w->za = NULL;
  }
  if (st == ROCKS_OK) {
    int fd = open(w->tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) st = rocks_fail(err, ROCKS_ERR_IO, "%s: fsync: %s", w->tmp, strerror(errno));
    if (fd >= 0) close(fd);
  }
  if (st == ROCKS_OK) (void)chmod(w->tmp, 0644);
  if (st == ROCKS_OK && rename(w->tmp, w->path) != 0)
    st = rocks_fail(err, ROCKS_ERR_IO, "rename %s -> %s: %s", w->tmp, w->path, strerror(errno));
  if (st == ROCKS_OK) fsync_dir_of_(w->path);
  else unlink(w->tmp);
  free(w->names);
  free(w->tmp);
  free(w->path);
  free(w);
  return st;
}

/* ============================================================================== reader === */

struct npz {
  char *path;
  zip_t *za;
  uint64_t file_size;
  int n;
  char (*names)[NPZ_NAME_MAX];
  zip_uint64_t *index; /* zip index of member i */
};

npz_t *npz_open(const char *path, rocks_error_t *err) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    rocks_fail(err, ROCKS_ERR_IO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  if (!S_ISREG(sb.st_mode)) {
    rocks_fail(err, ROCKS_ERR_IO, "%s: not a regular file", path);
    return NULL;
  }
  int zerr = 0;
  zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
  if (!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    rocks_fail(err, zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ ? ROCKS_ERR_IO : ROCKS_ERR_PARSE,
               "%s: not a valid .npz (zip) file: %s", path, zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return NULL;
  }
  npz_t *z = calloc(1, sizeof *z);
  zip_int64_t n = zip_get_num_entries(za, 0);
  if (!z || n < 0 || n > 100000 || !(z->path = strdup(path))) {
    if (z && (n < 0 || n > 100000)) rocks_fail(err, ROCKS_ERR_PARSE, "%s: bad number of members", path);
    else rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    zip_discard(za);
    free(z);
    return NULL;
  }
  z->za = za;
  z->file_size = (uint64_t)sb.st_size;
  z->names = calloc((size_t)n + 1, sizeof *z->names);
  z->index = calloc((size_t)n + 1, sizeof *z->index);
  if (!z->names || !z->index) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    npz_close(z);
    return NULL;
  }
  for (zip_int64_t i = 0; i < n; i++) {
    const char *nm = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
    if (!nm) {
      rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %lld: %s", path, (long long)i, zip_strerror(za));
      npz_close(z);
      return NULL;
    }
    size_t len = strlen(nm);
    if (len && nm[len - 1] == '/') continue; /* a directory entry */
    if (len >= 4 && !strcmp(nm + len - 4, ".npy")) len -= 4;
    if (len == 0 || len >= NPZ_NAME_MAX) {
      rocks_fail(err, ROCKS_ERR_PARSE, "%s: member name of %zu bytes", path, len);
      npz_close(z);
      return NULL;
    }
    memcpy(z->names[z->n], nm, len);
    z->names[z->n][len] = '\0';
    for (int k = 0; k < z->n; k++)
      if (!strcmp(z->names[k], z->names[z->n])) {
        rocks_fail(err, ROCKS_ERR_PARSE, "%s: duplicate member '%s'", path, z->names[k]);
        npz_close(z);
        return NULL;
      }
    z->index[z->n++] = (zip_uint64_t)i;
  }
  return z;
}

void npz_close(npz_t *z) {
  if (!z) return;
  if (z->za) zip_discard(z->za);
  free(z->names);
  free(z->index);
  free(z->path);
  free(z);
}

int npz_count(const npz_t *z) { return z->n; }
const char *npz_name(const npz_t *z, int i) { return i >= 0 && i < z->n ? z->names[i] : NULL; }

int npz_find(const npz_t *z, const char *name) {
  for (int i = 0; i < z->n; i++)
    if (!strcmp(z->names[i], name)) return i;
  return -1;
}

/* Reads exactly len bytes (fewer is an error). */
static rocks_status_t read_exact_(npz_t *z, zip_file_t *f, const char *name, void *buf, uint64_t len,
                                  rocks_error_t *err) {
  uint64_t got = 0;
  while (got < len) {
    zip_int64_t r = zip_fread(f, (char *)buf + got, len - got);
    if (r < 0) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: %s", z->path, name, zip_file_strerror(f));
    if (r == 0) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: truncated data", z->path, name);
    got += (uint64_t)r;
  }
  return ROCKS_OK;
}

/* Opens member `name`, reads and parses its .npy header. On success *fp is open, positioned at
 * the data, and a describes the array. */
static rocks_status_t open_member_(npz_t *z, const char *name, zip_file_t **fp, npz_array_t *a,
                                   rocks_error_t *err) {
  int i = npz_find(z, name);
  if (i < 0) return rocks_fail(err, ROCKS_ERR_ARG, "%s: no array '%s'", z->path, name);
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(z->za, z->index[i], 0, &st) != 0)
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: %s", z->path, name, zip_strerror(z->za));
  const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  if ((st.valid & need) != need) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: sizes unknown", z->path, name);
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s is encrypted", z->path, name);
  /* sizes must be possible: no forged size may make us allocate more than the file can hold */
  if (st.comp_size > z->file_size) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: compressed size beyond the file (truncated?)", z->path, name);
  if (st.comp_method == ZIP_CM_STORE) {
    if (st.size != st.comp_size) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: inconsistent sizes", z->path, name);
  } else if (st.comp_method == ZIP_CM_DEFLATE) {
    if (st.size / 1100 > st.comp_size + 64) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: impossible compression ratio", z->path, name);
  } else {
    return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: unsupported compression method %d", z->path, name, (int)st.comp_method);
  }
  if (st.size < 10) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: too short for .npy", z->path, name);
  zip_file_t *f = zip_fopen_index(z->za, z->index[i], 0);
  if (!f) return rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: %s", z->path, name, zip_strerror(z->za));
  unsigned char pre[12];
  rocks_status_t s = read_exact_(z, f, name, pre, 10, err);
  if (s != ROCKS_OK) goto fail;
  if (memcmp(pre, "\x93NUMPY", 6) != 0) {
    s = rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: not a .npy array (bad magic)", z->path, name);
    goto fail;
  }
  uint64_t hlen, pre_len;
  if (pre[6] == 1 && pre[7] == 0) {
    hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
    pre_len = 10;
  } else if ((pre[6] == 2 || pre[6] == 3) && pre[7] == 0) {
    if ((s = read_exact_(z, f, name, pre + 10, 2, err)) != ROCKS_OK) goto fail;
    hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8 | (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
    pre_len = 12;
  } else {
    s = rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: unsupported .npy version %d.%d", z->path, name, pre[6], pre[7]);
    goto fail;
  }
  if (hlen > NPZ_MAX_HEADER || pre_len + hlen > st.size) {
    s = rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: bad header length %llu", z->path, name, (unsigned long long)hlen);
    goto fail;
  }
  char *text = malloc(hlen + 1);
  if (!text) {
    s = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  if ((s = read_exact_(z, f, name, text, hlen, err)) != ROCKS_OK) {
    free(text);
    goto fail;
  }
  text[hlen] = '\0';
  if (memchr(text, '\0', hlen)) {
    free(text);
    s = rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: NUL in header", z->path, name);
    goto fail;
  }
  rocks_error_t e2 = {0};
  memset(a, 0, sizeof *a);
  s = npz_parse_header(text, hlen, a, &e2);
  free(text);
  if (s != ROCKS_OK) {
    rocks_fail(err, s, "%s: member %s: %s", z->path, name, e2.msg);
    goto fail;
  }
  snprintf(a->name, sizeof a->name, "%s", name);
  if (pre_len + hlen + a->numel * a->itemsize != st.size) {
    s = rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: %llu data bytes, the header says %zu", z->path, name,
                   (unsigned long long)(st.size - pre_len - hlen), a->numel * a->itemsize);
    goto fail;
  }
  *fp = f;
  return ROCKS_OK;
fail:
  zip_fclose(f);
  return s;
}

rocks_status_t npz_info(npz_t *z, const char *name, npz_array_t *a, rocks_error_t *err) {
  zip_file_t *f = NULL;
  rocks_status_t s = open_member_(z, name, &f, a, err);
  if (s == ROCKS_OK) zip_fclose(f);
  return s;
}

rocks_status_t npz_read(npz_t *z, const char *name, npz_array_t *a, rocks_error_t *err) {
  zip_file_t *f = NULL;
  rocks_status_t s = open_member_(z, name, &f, a, err);
  if (s != ROCKS_OK) return s;
  size_t bytes = a->numel * a->itemsize;
  a->data = malloc(bytes ? bytes : 1);
  if (!a->data) {
    zip_fclose(f);
    return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (%s: %zu bytes)", name, bytes);
  }
  s = read_exact_(z, f, name, a->data, bytes, err);
  if (s == ROCKS_OK) { /* read to the end: libzip checks the CRC there */
    char extra;
    zip_int64_t r = zip_fread(f, &extra, 1);
    if (r < 0) s = rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: %s", z->path, name, zip_file_strerror(f));
    else if (r > 0) s = rocks_fail(err, ROCKS_ERR_PARSE, "%s: member %s: trailing data", z->path, name);
  }
  zip_fclose(f);
  if (s != ROCKS_OK) npz_array_free(a);
  return s;
}

rocks_status_t npz_read_expect(npz_t *z, const char *name, npz_dtype_t dtype, int ndim, npz_array_t *a,
                               rocks_error_t *err) {
  rocks_status_t s = npz_read(z, name, a, err);
  if (s != ROCKS_OK) return s;
  if (a->dtype != dtype || (ndim >= 0 && a->ndim != ndim)) {
    rocks_fail(err, ROCKS_ERR_PARSE, "%s: array %s: expected %s with %d dimensions, got %s with %d", z->path, name,
               npz_dtype_name(dtype), ndim, npz_dtype_name(a->dtype), a->ndim);
    npz_array_free(a);
    return ROCKS_ERR_PARSE;
  }
  return ROCKS_OK;
}
