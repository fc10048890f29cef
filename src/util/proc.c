/* proc.c — a child process over pipes: spawn, write a line, read a GTP response with a deadline,
 * stop (proc.h). */
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* No thread may spawn between another's pipe() and its FD_CLOEXEC: the child would inherit the
 * write end of a pipe and keep its reader from ever seeing EOF. */
static pthread_mutex_t spawn_mu_ = PTHREAD_MUTEX_INITIALIZER;

void rocks_proc_init(rocks_proc_t *p) {
  memset(p, 0, sizeof *p);
  p->pid = -1;
  p->to = p->from = -1;
}

rocks_status_t rocks_proc_start(rocks_proc_t *p, char *const argv[], const rocks_proc_opts_t *opts,
                                rocks_error_t *err) {
  static const rocks_proc_opts_t none_set = {0};
  if (!opts) opts = &none_set;
  rocks_proc_init(p);
  if (!argv || !argv[0] || !argv[0][0]) return rocks_fail(err, ROCKS_ERR_ARG, "cannot start: empty command");
  int in[2], out[2];
  pthread_mutex_lock(&spawn_mu_);
  if (pipe(in) != 0) {
    pthread_mutex_unlock(&spawn_mu_);
    return rocks_fail(err, ROCKS_ERR_IO, "pipe: %s", strerror(errno));
  }
  if (pipe(out) != 0) {
    int e = errno;
    close(in[0]), close(in[1]);
    pthread_mutex_unlock(&spawn_mu_);
    return rocks_fail(err, ROCKS_ERR_IO, "pipe: %s", strerror(e));
  }
  for (int k = 0; k < 2; k++) fcntl(in[k], F_SETFD, FD_CLOEXEC), fcntl(out[k], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  if (opts->stderr_path)
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, opts->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  else
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  /* the child starts with an empty signal mask and SIGPIPE at its default action, whatever the
   * spawning thread blocks or ignores */
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&at, &empty);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&at, &def);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (opts->own_pgroup) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&at, 0);
  }
  posix_spawnattr_setflags(&at, flags);
  pid_t pid;
  int r = opts->search_path ? posix_spawnp(&pid, argv[0], &fa, &at, argv, environ)
                            : posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  pthread_mutex_unlock(&spawn_mu_);
  if (r != 0) {
    close(in[1]), close(out[0]);
    return rocks_fail(err, ROCKS_ERR_IO, "cannot start %.100s: %s", argv[0], strerror(r));
  }
  p->pid = pid;
  p->to = in[1];
  p->from = out[0];
  return ROCKS_OK;
}

static int write_all_(int fd, const char *s, size_t n) {
  for (size_t off = 0; off < n;) {
    ssize_t w = write(fd, s + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : EPIPE;
    off += (size_t)w;
  }
  return 0;
}

rocks_status_t rocks_proc_write_line(rocks_proc_t *p, const char *line, rocks_error_t *err) {
  if (p->pid <= 0 || p->to < 0) return rocks_fail(err, ROCKS_ERR_STATE, "not running");
  size_t n = strlen(line);
  char small[512];
  char *msg = n + 1 <= sizeof small ? small : malloc(n + 1);
  if (!msg) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
  memcpy(msg, line, n);
  msg[n] = '\n'; /* one write: the engine sees the whole line at once */
  int e = write_all_(p->to, msg, n + 1);
  if (msg != small) free(msg);
  if (e) return rocks_fail(err, ROCKS_ERR_IO, "write '%.100s': %s", line, strerror(e));
  return ROCKS_OK;
}

rocks_status_t rocks_proc_read_response(rocks_proc_t *p, double timeout_s, const char *what, char **text,
                                        rocks_error_t *err) {
  static char empty[1];
  *text = empty;
  if (p->pid <= 0 || p->from < 0) return rocks_fail(err, ROCKS_ERR_STATE, "not running");
  p->timed_out = false;
  p->len = 0;
  if (p->buf) p->buf[0] = '\0';
  double deadline = rocks_now() + timeout_s;
  for (;;) {
    if (p->buf) {
      char *t = p->buf;
      while (*t == '\n' || *t == '\r' || *t == ' ') t++; /* stray blank lines */
      char *end = strstr(t, "\n\n");
      if (!end) end = strstr(t, "\r\n\r\n");
      if (end) {
        *end = '\0';
        *text = t;
        return ROCKS_OK;
      }
    }
    if (p->cap - p->len < 4096) {
      if (p->cap >= ROCKS_PROC_MAX_RESPONSE)
        return rocks_fail(err, ROCKS_ERR_PARSE, "answer to '%.100s' longer than 16 MB", what);
      size_t cap = p->cap ? 2 * p->cap : 8192;
      char *nb = realloc(p->buf, cap);
      if (!nb) return rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
      p->buf = nb;
      p->cap = cap;
      p->buf[p->len] = '\0';
    }
    double left = deadline - rocks_now();
    if (left <= 0) {
      p->hung = p->timed_out = true;
      return rocks_fail(err, ROCKS_ERR_IO, "no answer to '%.100s' within %g s", what, timeout_s);
    }
    struct pollfd fd = {.fd = p->from, .events = POLLIN};
    int r = poll(&fd, 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;
    ssize_t k = read(p->from, p->buf + p->len, p->cap - p->len - 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return rocks_fail(err, ROCKS_ERR_IO, "exited while answering '%.100s'", what);
    p->len += (size_t)k;
    p->buf[p->len] = '\0';
  }
}

rocks_status_t rocks_proc_gtp(rocks_proc_t *p, const char *cmd, double timeout_s, char **answer, rocks_error_t *err) {
  static char empty[1];
  *answer = empty;
  rocks_status_t st = rocks_proc_write_line(p, cmd, err);
  if (st != ROCKS_OK) return st;
  char *t;
  if ((st = rocks_proc_read_response(p, timeout_s, cmd, &t, err)) != ROCKS_OK) return st;
  if (*t != '=' && *t != '?') return rocks_fail(err, ROCKS_ERR_PARSE, "malformed answer to '%.100s': %.60s", cmd, t);
  bool ok = *t == '=';
  t++;
  while (*t >= '0' && *t <= '9') t++;
  while (*t == ' ' || *t == '\t') t++;
  size_t l = strlen(t);
  while (l && (t[l - 1] == ' ' || t[l - 1] == '\n' || t[l - 1] == '\r')) t[--l] = '\0';
  for (char *c = t; *c; c++)
    if (*c == '\r') *c = ' ';
  *answer = t;
  return ok ? ROCKS_OK : rocks_fail(err, ROCKS_ERR_STATE, "'%.100s' failed: %.100s", cmd, t);
}

static void release_(rocks_proc_t *p) {
  if (p->to >= 0) close(p->to);
  if (p->from >= 0) close(p->from);
  free(p->buf);
  rocks_proc_init(p);
}

void rocks_proc_stop(rocks_proc_t *p, double grace_s) {
  if (p->pid > 0) {
    int status = 0;
    pid_t r = 0;
    if (!p->hung) {
      static const char quit[] = "quit\n";
      if (p->to >= 0) {
        if (write(p->to, quit, sizeof quit - 1) < 0) { /* already gone */
        }
        close(p->to);
        p->to = -1;
      }
      int polls = grace_s > 0 ? (int)(grace_s * 100 + 0.5) : 0; /* every 10 ms */
      for (int i = 0; i < polls && (r = waitpid(p->pid, &status, WNOHANG)) == 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
      }
      if (polls == 0) r = waitpid(p->pid, &status, WNOHANG);
    }
    if (r == 0) {
      kill(p->pid, SIGKILL);
      waitpid(p->pid, &status, 0);
    }
  }
  release_(p);
}

void rocks_proc_kill(rocks_proc_t *p) {
  p->hung = true;
  rocks_proc_stop(p, 0);
}
