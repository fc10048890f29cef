/* test_proc.c — util/proc.h against /bin/cat and tiny sh "engines": line round trip, GTP
 * parsing ('=', '?', malformed), a deadline on a silent child, a crashing child, quit vs a child
 * that ignores it (killed after the grace period), kill, process groups, the child's signal
 * state and stderr redirection. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "util/proc.h"

/* answers "=1 CMD" to CMD, "? nope" to fail*, a non-GTP line to junk*, exits on quit */
#define ENGINE                                                                                   \
  "while read -r l; do case \"$l\" in quit) exit 0;; fail*) printf '? nope\\n\\n';; "            \
  "junk*) printf 'junk\\n\\n';; *) printf '=1 %s\\n\\n' \"$l\";; esac; done"

static rocks_status_t start_sh_(rocks_proc_t *p, const char *script, const rocks_proc_opts_t *o, rocks_error_t *e) {
  char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
  return rocks_proc_start(p, argv, o, e);
}

static bool reaped_(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

static void test_cat_round_trip(void) {
  rocks_proc_t p;
  rocks_error_t e = {0};
  char *argv[] = {"cat", NULL};
  rocks_proc_opts_t o = {.search_path = true};
  if (!CHECKF(rocks_proc_start(&p, argv, &o, &e) == ROCKS_OK, "%s", e.msg)) return;
  CHECK(p.pid > 0);
  CHECK(rocks_proc_write_line(&p, "= hello", &e) == ROCKS_OK);
  CHECK(rocks_proc_write_line(&p, "", &e) == ROCKS_OK);
  char *t = NULL;
  CHECKF(rocks_proc_read_response(&p, 5, "x", &t, &e) == ROCKS_OK, "%s", e.msg);
  CHECKF(strcmp(t, "= hello") == 0, "got '%s'", t);
  /* two lines, then the blank line; leading blank lines are skipped */
  CHECK(rocks_proc_write_line(&p, "\n= a\nb\n", &e) == ROCKS_OK);
  CHECKF(rocks_proc_read_response(&p, 5, "x", &t, &e) == ROCKS_OK, "%s", e.msg);
  CHECKF(strcmp(t, "= a\nb") == 0, "got '%s'", t);
  /* a command longer than the small write buffer */
  char big[3000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  big[0] = '=';
  CHECK(rocks_proc_write_line(&p, big, &e) == ROCKS_OK);
  CHECK(rocks_proc_write_line(&p, "", &e) == ROCKS_OK);
  CHECKF(rocks_proc_read_response(&p, 5, "x", &t, &e) == ROCKS_OK, "%s", e.msg);
  CHECK(strlen(t) == sizeof big - 1);
  /* /bin/cat exits on EOF: stop returns quickly and reaps it */
  pid_t pid = p.pid;
  double t0 = rocks_now();
  rocks_proc_stop(&p, 3.0);
  CHECKF(rocks_now() - t0 < 1.0, "stop took %.2f s", rocks_now() - t0);
  CHECK(reaped_(pid));
  CHECK(p.pid == -1 && p.to == -1 && p.from == -1 && p.buf == NULL);
  rocks_proc_stop(&p, 3.0); /* stopping a stopped process is a no-op */
  CHECK(p.pid == -1);
}

static void test_gtp(void) {
  rocks_proc_t p;
  rocks_error_t e = {0};
  if (!CHECKF(start_sh_(&p, ENGINE, NULL, &e) == ROCKS_OK, "%s", e.msg)) return;
  char *ans = NULL;
  CHECKF(rocks_proc_gtp(&p, "name", 5, &ans, &e) == ROCKS_OK, "%s", e.msg);
  CHECKF(strcmp(ans, "name") == 0, "got '%s'", ans);
  CHECK(rocks_proc_gtp(&p, "fail now", 5, &ans, &e) == ROCKS_ERR_STATE);
  CHECKF(strcmp(e.msg, "'fail now' failed: nope") == 0, "got '%s'", e.msg);
  CHECK(strcmp(ans, "nope") == 0);
  CHECK(rocks_proc_gtp(&p, "junk", 5, &ans, &e) == ROCKS_ERR_PARSE);
  CHECKF(strcmp(e.msg, "malformed answer to 'junk': junk") == 0, "got '%s'", e.msg);
  CHECK(*ans == '\0');
  CHECK(rocks_proc_gtp(&p, "genmove b", 5, &ans, &e) == ROCKS_OK && strcmp(ans, "genmove b") == 0);
  CHECK(!p.hung && !p.timed_out);
  pid_t pid = p.pid;
  double t0 = rocks_now();
  rocks_proc_stop(&p, 3.0); /* answers quit: no kill needed, well inside the grace period */
  CHECKF(rocks_now() - t0 < 1.0, "stop took %.2f s", rocks_now() - t0);
  CHECK(reaped_(pid));
  /* not running */
  CHECK(rocks_proc_gtp(&p, "name", 5, &ans, &e) == ROCKS_ERR_STATE);
  CHECK(strcmp(e.msg, "not running") == 0);
}

static void test_timeout(void) {
  rocks_proc_t p;
  rocks_error_t e = {0};
  if (!CHECKF(start_sh_(&p, "while read -r l; do :; done", NULL, &e) == ROCKS_OK, "%s", e.msg)) return;
  char *ans = NULL;
  double t0 = rocks_now();
  CHECK(rocks_proc_gtp(&p, "genmove b", 0.3, &ans, &e) == ROCKS_ERR_IO);
  double dt = rocks_now() - t0;
  CHECKF(dt >= 0.29 && dt < 2.0, "timed out after %.2f s", dt);
  CHECKF(strcmp(e.msg, "no answer to 'genmove b' within 0.3 s") == 0, "got '%s'", e.msg);
  CHECK(p.hung && p.timed_out);
  pid_t pid = p.pid;
  t0 = rocks_now();
  rocks_proc_stop(&p, 5.0); /* hung: killed at once, no grace period */
  CHECKF(rocks_now() - t0 < 1.0, "stop of a hung child took %.2f s", rocks_now() - t0);
  CHECK(reaped_(pid));
}

static void test_crash(void) {
  rocks_proc_t p;
  rocks_error_t e = {0};
  if (!CHECKF(start_sh_(&p, "read -r l; exit 3", NULL, &e) == ROCKS_OK, "%s", e.msg)) return;
  char *ans = NULL;
  CHECK(rocks_proc_gtp(&p, "name", 5, &ans, &e) == ROCKS_ERR_IO);
  CHECKF(strcmp(e.msg, "exited while answering 'name'") == 0, "got '%s'", e.msg);
  CHECK(!p.timed_out);
  /* writing to the dead child: EPIPE (SIGPIPE is blocked in main) */
  nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
  rocks_status_t st = rocks_proc_write_line(&p, "name", &e);
  CHECKF(st == ROCKS_ERR_IO && strncmp(e.msg, "write 'name': ", 14) == 0, "%d %s", st, e.msg);
  rocks_proc_stop(&p, 3.0);
  CHECK(p.pid == -1);
  /* a program that does not exist */
  char *argv[] = {"/nonexistent/engine", NULL};
  CHECK(rocks_proc_start(&p, argv, NULL, &e) == ROCKS_ERR_IO);
  CHECKF(strncmp(e.msg, "cannot start /nonexistent/engine: ", 34) == 0, "got '%s'", e.msg);
  CHECK(p.pid == -1 && p.to == -1 && p.from == -1);
  char *none[] = {NULL};
  CHECK(rocks_proc_start(&p, none, NULL, &e) == ROCKS_ERR_ARG);
}

static void test_ignores_quit(void) {
  rocks_proc_t p;
  rocks_error_t e = {0};
  /* reads and ignores everything (quit too), then lingers after stdin closes */
  if (!CHECKF(start_sh_(&p, "trap '' TERM INT; while read -r l; do :; done; exec sleep 30", NULL, &e) == ROCKS_OK,
              "%s", e.msg))
    return;
  pid_t pid = p.pid;
  double t0 = rocks_now();
  rocks_proc_stop(&p, 0.5);
  double dt = rocks_now() - t0;
  CHECKF(dt >= 0.45 && dt < 2.0, "stop took %.2f s (grace 0.5 s)", dt);
  CHECK(reaped_(pid));
  /* kill: no quit, no grace */
  if (!CHECKF(start_sh_(&p, "exec sleep 30", NULL, &e) == ROCKS_OK, "%s", e.msg)) return;
  pid = p.pid;
  t0 = rocks_now();
  rocks_proc_kill(&p);
  CHECKF(rocks_now() - t0 < 1.0, "kill took %.2f s", rocks_now() - t0);
  CHECK(reaped_(pid) && p.pid == -1);
}

/* The child's signal mask is empty and SIGPIPE is not ignored, whatever the parent does; a
 * process group of its own on request. */
static void test_child_state(void) {
  rocks_proc_t p;
  rocks_error_t e = {0};
  for (int own = 0; own <= 1; own++) {
    rocks_proc_opts_t o = {.own_pgroup = own};
    if (!CHECKF(start_sh_(&p, "exec sleep 30", &o, &e) == ROCKS_OK, "%s", e.msg)) return;
    pid_t g = getpgid(p.pid);
    CHECKF(own ? g == p.pid : g == getpgrp(), "own=%d pgid %d pid %d", own, (int)g, (int)p.pid);
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)p.pid);
    FILE *f = fopen(path, "r");
    int seen = 0;
    while (f && fgets(line, sizeof line, f)) {
      unsigned long long v;
      if (sscanf(line, "SigBlk: %llx", &v) == 1) CHECKF(v == 0, "SigBlk %llx", v), seen++;
      if (sscanf(line, "SigIgn: %llx", &v) == 1) CHECKF(!(v & (1ull << (SIGPIPE - 1))), "SigIgn %llx", v), seen++;
    }
    if (f) fclose(f);
    CHECK(seen == 2);
    rocks_proc_kill(&p);
  }
}

static void test_stderr_path(void) {
  char path[] = "/tmp/test_proc_stderr_XXXXXX";
  int fd = mkstemp(path);
  if (!CHECK(fd >= 0)) return;
  close(fd);
  rocks_proc_t p;
  rocks_error_t e = {0};
  rocks_proc_opts_t o = {.stderr_path = path};
  if (CHECKF(start_sh_(&p, "echo oops >&2; read -r l", &o, &e) == ROCKS_OK, "%s", e.msg)) {
    rocks_proc_stop(&p, 3.0);
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    if (f) {
      size_t n = fread(buf, 1, sizeof buf - 1, f);
      buf[n] = '\0';
      fclose(f);
    }
    CHECKF(strcmp(buf, "oops\n") == 0, "stderr file has '%s'", buf);
  }
  unlink(path);
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &set, NULL); /* as the callers do; the children must not inherit it */
  signal(SIGPIPE, SIG_IGN);
  test_cat_round_trip();
  test_gtp();
  test_timeout();
  test_crash();
  test_ignores_quit();
  test_child_state();
  test_stderr_path();
  return check_report("test_proc");
}
