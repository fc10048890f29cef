/* cmd_experiment.c — `rocks experiment new SLUG` and `rocks sweep`: the research harness is
 * Python (python/rocks/exp); these commands exec `python3 -m rocks.exp ...` with PYTHONPATH set to
 * the build's python folder found next to this binary (BIN_DIR/python, as in build/), and
 * ROCKS_BIN set to this binary so the harness drives the same build.
 * Overrides: ROCKS_PYTHON (interpreter, default /usr/bin/python3), ROCKS_PYTHONPATH (package dir).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

/* Execs python -m rocks.exp SUB argv[0..argc); returns only on failure (exit status 1). */
static int exec_harness_(const char *sub, int argc, char **argv) {
  char exe[PATH_MAX], pydir[PATH_MAX + 16], probe[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    fprintf(stderr, "rocks %s: cannot find this binary (/proc/self/exe): %s\n", sub, strerror(errno));
    return 1;
  }
  exe[n] = '\0';
  const char *env_dir = getenv("ROCKS_PYTHONPATH");
  if (env_dir && *env_dir) {
    snprintf(pydir, sizeof pydir, "%s", env_dir);
  } else {
    char *slash = strrchr(exe, '/');
    snprintf(pydir, sizeof pydir, "%.*s/python", slash ? (int)(slash - exe) : 1, slash ? exe : ".");
  }
  struct stat st;
  snprintf(probe, sizeof probe, "%s/rocks/exp/__main__.py", pydir);
  if (stat(probe, &st) != 0) {
    fprintf(stderr,
            "rocks %s: the Python harness is not at %s (build it with `make build`, or set ROCKS_PYTHONPATH "
            "to the folder holding rocks/exp)\n",
            sub, probe);
    return 1;
  }
  const char *old = getenv("PYTHONPATH");
  size_t len = strlen(pydir) + (old ? strlen(old) : 0) + 2;
  char *pp = malloc(len);
  if (!pp) {
    fprintf(stderr, "rocks %s: out of memory\n", sub);
    return 1;
  }
  snprintf(pp, len, "%s%s%s", pydir, old && *old ? ":" : "", old && *old ? old : "");
  if (setenv("PYTHONPATH", pp, 1) != 0 || (!getenv("ROCKS_BIN") && setenv("ROCKS_BIN", exe, 1) != 0)) {
    fprintf(stderr, "rocks %s: setenv: %s\n", sub, strerror(errno));
    free(pp);
    return 1;
  }
  free(pp);
  const char *py = getenv("ROCKS_PYTHON");
  if (!py || !*py) py = "/usr/bin/python3";
  char **args = calloc((size_t)argc + 5, sizeof *args);
  if (!args) {
    fprintf(stderr, "rocks %s: out of memory\n", sub);
    return 1;
  }
  int k = 0;
  args[k++] = (char *)py;
  args[k++] = "-m";
  args[k++] = "rocks.exp";
  args[k++] = (char *)sub;
  for (int i = 0; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  fflush(stdout);
  execv(py, args);
  fprintf(stderr, "rocks %s: cannot run %s: %s (set ROCKS_PYTHON to a Python 3 with numpy, pandas, scipy)\n", sub,
          py, strerror(errno));
  free(args);
  return 1;
}

int cmd_experiment(int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "new")) die_usage("experiment: unknown subcommand '%s' (known: new)", argc ? argv[0] : "");
  if (argc < 2) die_usage("experiment new: give a SLUG (lowercase letters, digits, hyphens; 3..60)%s", "");
  return exec_harness_("new", argc - 1, argv + 1);
}

int cmd_sweep(int argc, char **argv) { return exec_harness_("sweep", argc, argv); }
