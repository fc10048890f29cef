/* grpc_glue.h — the only door to gRPC core (internal to src/replay). Every grpc_* call of rocks
 * lives in grpc_glue.c, so API churn between gRPC versions stays in one file (facts and pitfalls:
 * docs/replay.md, "Implementation").
 *
 * Server: one completion queue driven by the caller's thread (rg_server_poll). Unary methods only;
 * each accepted call is handed to on_call with its request bytes, and the handler answers it with
 * rg_reply exactly once, now or later (a parked call), from the polling thread. When the client
 * cancels or its deadline passes before the answer, on_cancel tells the handler to forget the call
 * (it must not be answered after that). Unknown methods get UNIMPLEMENTED here.
 *
 * Client: a channel with a private completion queue; rg_unary is one blocking unary call.
 */
#ifndef ROCKS_REPLAY_GRPC_GLUE_H
#define ROCKS_REPLAY_GRPC_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* gRPC status codes used here (values of grpc_status_code). */
enum {
  RG_OK = 0, RG_CANCELLED = 1, RG_UNKNOWN = 2, RG_INVALID_ARGUMENT = 3, RG_DEADLINE_EXCEEDED = 4,
  RG_FAILED_PRECONDITION = 9, RG_RESOURCE_EXHAUSTED = 8, RG_UNIMPLEMENTED = 12, RG_INTERNAL = 13,
  RG_UNAVAILABLE = 14,
};
const char *rg_status_name(int code);

typedef struct rg_server rg_server_t;
typedef struct rg_call rg_call_t;

typedef struct {
  void *ctx;
  /* method: index into the names given to rg_server_start. req is valid during the call only. */
  void (*on_call)(void *ctx, int method, rg_call_t *call, const uint8_t *req, size_t len);
  void (*on_cancel)(void *ctx, rg_call_t *call);
} rg_handler_t;

/* Binds addr ("host:port"; port 0 picks a free one, see *bound_port), registers the methods
 * ("/pkg.Service/Method"), starts serving. */
rg_server_t *rg_server_start(const char *addr, const char *const *methods, int nmethods, const rg_handler_t *h,
                             int *bound_port, rocks_error_t *err);
/* Waits up to timeout_s for one event and handles it. Returns 1 if an event was handled, 0 on
 * timeout. */
int rg_server_poll(rg_server_t *s, double timeout_s);
/* Answers a call: status RG_OK with the reply bytes, or an error status with a message. */
void rg_reply(rg_call_t *call, int status, const char *msg, const void *bytes, size_t len);
/* Per-call slot for the handler (e.g. its parked-list entry). */
void rg_call_set_user(rg_call_t *call, void *user);
void *rg_call_user(const rg_call_t *call);
/* Stops accepting, waits up to grace_s for answered calls to finish, cancels the rest, frees
 * everything. The handler must have answered (or been told to forget) every call before. */
void rg_server_stop(rg_server_t *s, double grace_s);
/* Calls accepted and not yet finished (for tests of the shutdown path). */
int rg_server_live_calls(const rg_server_t *s);

typedef struct rg_channel rg_channel_t;
rg_channel_t *rg_channel_new(const char *addr, rocks_error_t *err);
void rg_channel_delete(rg_channel_t *ch);
/* One unary call. Returns ROCKS_OK when the call completed with some status (*code, msg), with
 * *resp (malloc'd, may be NULL for an empty message) when *code is RG_OK; ROCKS_ERR_IO only for
 * local failures. */
rocks_status_t rg_unary(rg_channel_t *ch, const char *method, const void *req, size_t len, double timeout_s,
                        int *code, char *msg, size_t msglen, uint8_t **resp, size_t *resp_len, rocks_error_t *err);

#endif
