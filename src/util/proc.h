/* proc.h — a child process spoken to over pipes, line by line: the GTP engine driver shared by
 * the match referee (play/match.c), GNU Go data generation (data/gnugo.c) and evaluation games
 * against GNU Go (selfplay/match.c).
 *
 * rocks_proc_start spawns argv with its stdin/stdout on pipes (stderr to /dev/null or a file),
 * the pipes FD_CLOEXEC under one process-wide spawn mutex (so no other thread's child inherits
 * them), the child with an empty signal mask and SIGPIPE at its default action, optionally in its
 * own process group. rocks_proc_read_response reads one GTP response: the lines up to the first
 * empty line, within a deadline (poll); rocks_proc_gtp sends a command and parses the answer.
 * A missed deadline marks the process hung: rocks_proc_stop then kills it without asking.
 * Library code: errors are rocks_status_t + rocks_error_t messages, nothing is printed.
 * The caller should block or ignore SIGPIPE so that a dead child shows up as EPIPE, not a signal.
 * One rocks_proc_t belongs to one thread; different ones may be used from different threads.
 */
#ifndef ROCKS_UTIL_PROC_H
#define ROCKS_UTIL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/util.h"

typedef struct {
  pid_t pid;  /* -1: not running */
  int to;     /* the child's stdin (write end), -1 when closed */
  int from;   /* the child's stdout (read end), -1 when closed */
  char *buf;  /* the last response (owned) */
  size_t len, cap;
  bool hung;      /* a response missed its deadline: stop kills without sending quit */
  bool timed_out; /* the last rocks_proc_read_response missed its deadline */
} rocks_proc_t;

typedef struct {
  const char *stderr_path; /* the child's stderr (opened for append); NULL: /dev/null */
  bool search_path;        /* argv[0] without '/' is looked up on PATH (posix_spawnp) */
  bool own_pgroup;         /* the child leads a new process group (a terminal ^C misses it) */
} rocks_proc_opts_t;

/* The longest response rocks_proc_read_response accepts. */
#define ROCKS_PROC_MAX_RESPONSE (1u << 24)

/* A stopped process (pid -1, fds -1): safe to stop or kill. */
void rocks_proc_init(rocks_proc_t *p);

/* Starts argv (NULL-terminated) with opts (NULL: defaults, all off). On failure *p is stopped and
 * err says "cannot start ARGV0: REASON" (ROCKS_ERR_IO). */
rocks_status_t rocks_proc_start(rocks_proc_t *p, char *const argv[], const rocks_proc_opts_t *opts,
                                rocks_error_t *err);

/* Writes line plus '\n' to the child's stdin. ROCKS_ERR_IO "write 'LINE': REASON" if the child
 * is gone, ROCKS_ERR_STATE "not running" if it was never started. */
rocks_status_t rocks_proc_write_line(rocks_proc_t *p, const char *line, rocks_error_t *err);

/* Reads one response: skips leading blank lines, then everything up to the first empty line
 * ("\n\n" or "\r\n\r\n"); *text (in p->buf, valid until the next read) gets it, without the
 * terminator. Waits at most timeout_s seconds in all. Errors name `what` (the command):
 *   ROCKS_ERR_IO     "no answer to 'WHAT' within T s" (p->timed_out and
 *                    p->hung are set), or
 *                    "exited while answering 'WHAT'" (EOF or read error)
 *   ROCKS_ERR_PARSE  "answer to 'WHAT' longer than 16 MB"
 *   ROCKS_ERR_NOMEM  "out of memory" */
rocks_status_t rocks_proc_read_response(rocks_proc_t *p, double timeout_s, const char *what, char **text,
                                        rocks_error_t *err);

/* One GTP exchange: writes cmd, reads the response within timeout_s, parses "=[id] text" /
 * "?[id] text". *answer (in p->buf; "" on errors) gets the text with id and surrounding
 * whitespace removed and any '\r' turned into ' '. ROCKS_OK for '='; ROCKS_ERR_STATE
 * "'CMD' failed: TEXT" for '?'; ROCKS_ERR_PARSE "malformed answer to 'CMD': TEXT" for anything
 * else; the errors of rocks_proc_write_line / rocks_proc_read_response otherwise. */
rocks_status_t rocks_proc_gtp(rocks_proc_t *p, const char *cmd, double timeout_s, char **answer, rocks_error_t *err);

/* Stops the child: unless it is hung, sends "quit", closes its stdin and waits up to grace_s
 * seconds for it to exit; then SIGKILL and reap. Closes the pipes, frees the buffer; *p ends
 * stopped. Never fails; a stopped *p is left as it is. */
void rocks_proc_stop(rocks_proc_t *p, double grace_s);

/* SIGKILL, reap, close, free: rocks_proc_stop without asking. */
void rocks_proc_kill(rocks_proc_t *p);

#endif
