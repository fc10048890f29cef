/* check.h — the check macros of the C tests (header-only; include it once per test program).
 *
 *   CHECK(cond)              counts a check; on failure prints "file:line: FAILED: cond"
 *   CHECKF(cond, fmt, ...)   the same, followed by a printf-style message
 *   check_at(ok, line, fmt, ...)   for helpers that report the line of their caller
 *   return check_report("test_x");   prints "test_x: N checks, F failed" and gives the exit code
 *
 * Both macros evaluate to cond (as a bool), so a test can stop early: `if (!CHECK(p)) return;`.
 * Failures go to stderr, so they stand out in CTest's output; a test with any failure exits 1.
 */
#ifndef ROCKS_TESTS_CHECK_H
#define ROCKS_TESTS_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int check_count, check_failures;

static bool check_at_(bool ok, const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 5, 6), unused));
static bool check_at_(bool ok, const char *file, int line, const char *cond, const char *fmt, ...) {
  check_count++;
  if (ok) return true;
  check_failures++;
  fprintf(stderr, "%s:%d: FAILED: %s", file, line, cond ? cond : "");
  if (fmt && *fmt) {
    va_list ap;
    va_start(ap, fmt);
    if (cond) fputs(": ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
  }
  fputc('\n', stderr);
  return false;
}

#define CHECK(cond) check_at_((cond), __FILE__, __LINE__, #cond, "%s", "")
#define CHECKF(cond, ...) check_at_((cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
/* For helpers that report their caller's line: check_at(ok, line, fmt, ...). */
#define check_at(ok, line, ...) check_at_((ok), __FILE__, (line), NULL, __VA_ARGS__)

static int check_report(const char *name) __attribute__((unused));
static int check_report(const char *name) {
  printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
  if (check_failures) fprintf(stderr, "%s: %d of %d checks FAILED\n", name, check_failures, check_count);
  return check_failures ? 1 : 0;
}

#endif
