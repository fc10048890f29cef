/* cli.c — helpers shared by the `rocks` subcommands: usage errors and strict flag parsing.
 * Only src/cli exits; these helpers exit(2) on a bad flag with a message naming it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void die_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "rocks: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(run `rocks help` for usage)\n");
  exit(2);
}

/* Strict number parsing for flags: the whole string must be a number. */
long parse_long(const char *flag, const char *s, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    fprintf(stderr, "rocks: %s expects an integer in [%ld, %ld], got '%s'\n", flag, lo, hi, s);
    exit(2);
  }
  return v;
}

double parse_double(const char *flag, const char *s, double lo, double hi) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= lo && v <= hi)) {
    fprintf(stderr, "rocks: %s expects a number in [%g, %g], got '%s'\n", flag, lo, hi, s);
    exit(2);
  }
  return v;
}

const char *flag_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) die_usage("%s needs a value", argv[*i]);
  return argv[++*i];
}

int cli_parse_int_list(const char *flag, const char *s, int *out, int max, long lo, long hi) {
  int n = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    if (n == max) die_usage("too many values for %s", flag);
    out[n++] = (int)parse_long(flag, tok, lo, hi);
  }
  if (!n) die_usage("%s needs at least one value", flag);
  return n;
}

void cli_fmt_secs(double s, char *out, size_t len) {
  if (!(s >= 0) || s > 1e8) snprintf(out, len, "?");
  else if (s >= 3600) snprintf(out, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
  else if (s >= 60) snprintf(out, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else snprintf(out, len, "%.0fs", s);
}
