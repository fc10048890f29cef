/* grpc_glue.c — every grpc_* call of rocks (grpc_glue.h). gRPC core 1.51 from plain C.
 *
 * Server call lifetime: an accepted call gets a RECV_CLOSE_ON_SERVER batch at once (it completes
 * when the call ends: cancelled=1 if the client cancelled or the deadline passed), and one send
 * batch when answered. One batch = one completion event = one reference; the call is freed when
 * both have completed (or only the close, for a call cancelled before its answer). */
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "replay/grpc_glue.h"

#define RG_REQUESTS 8 /* outstanding accept requests per method */

const char *rg_status_name(int code) {
  static const char *names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                                "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
                                "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
                                "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? names[code] : "?";
}

static gpr_timespec deadline_in_(double s) {
  if (s <= 0) return gpr_now(GPR_CLOCK_MONOTONIC);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_micros((int64_t)(s * 1e6), GPR_TIMESPAN));
}

/* ================================================================================= server === */

enum { TAG_ACCEPT, TAG_CLOSE, TAG_SEND, TAG_SHUTDOWN };

typedef struct {
  int kind;
  rg_call_t *call;
} tag_t;

struct rg_call {
  rg_server_t *s;
  grpc_call *call;
  int method; /* -1: unregistered (answered UNIMPLEMENTED) */
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_call_details details;
  grpc_byte_buffer *payload, *reply;
  int cancelled, refs, replied, closed;
  void *user;
  tag_t t_accept, t_close, t_send;
};

struct rg_server {
  grpc_server *srv;
  grpc_completion_queue *cq;
  void *rm[16];
  int nmethods;
  rg_handler_t h;
  int stopping, live;
  tag_t t_shutdown;
  int shutdown_done;
};

static void request_(rg_server_t *s, int method) {
  rg_call_t *c = calloc(1, sizeof *c);
  if (!c) return; /* the pool shrinks by one; calls still flow through the others */
  c->s = s;
  c->method = method;
  c->t_accept = (tag_t){TAG_ACCEPT, c};
  c->t_close = (tag_t){TAG_CLOSE, c};
  c->t_send = (tag_t){TAG_SEND, c};
  grpc_metadata_array_init(&c->md);
  grpc_call_details_init(&c->details);
  grpc_call_error e;
  if (method >= 0)
    e = grpc_server_request_registered_call(s->srv, s->rm[method], &c->call, &c->deadline, &c->md, &c->payload, s->cq,
                                            s->cq, &c->t_accept);
  else
    e = grpc_server_request_call(s->srv, &c->call, &c->details, &c->md, s->cq, s->cq, &c->t_accept);
  if (e != GRPC_CALL_OK) {
    grpc_metadata_array_destroy(&c->md);
    grpc_call_details_destroy(&c->details);
    free(c);
  }
}

static void call_free_(rg_call_t *c) {
  if (c->call) {
    grpc_call_unref(c->call);
    c->s->live--;
  }
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  if (c->reply) grpc_byte_buffer_destroy(c->reply);
  grpc_metadata_array_destroy(&c->md);
  grpc_call_details_destroy(&c->details);
  free(c);
}

void rg_call_set_user(rg_call_t *call, void *user) { call->user = user; }
void *rg_call_user(const rg_call_t *call) { return call->user; }
int rg_server_live_calls(const rg_server_t *s) { return s->live; }

void rg_reply(rg_call_t *c, int status, const char *msg, const void *bytes, size_t len) {
  if (c->replied || c->closed) return;
  c->replied = 1;
  grpc_op ops[3];
  memset(ops, 0, sizeof ops);
  int n = 0;
  ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  if (status == RG_OK) {
    grpc_slice sl = grpc_slice_from_copied_buffer((const char *)bytes, len);
    c->reply = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->reply;
  }
  grpc_slice details = grpc_slice_from_copied_string(msg ? msg : "");
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = (grpc_status_code)status;
  ops[n++].data.send_status_from_server.status_details = msg ? &details : NULL;
  if (grpc_call_start_batch(c->call, ops, (size_t)n, &c->t_send, NULL) == GRPC_CALL_OK) c->refs++;
  grpc_slice_unref(details);
}

static void on_accept_(rg_server_t *s, rg_call_t *c, int ok) {
  if (!ok) { /* shutting down: the request is returned unused */
    call_free_(c);
    return;
  }
  s->live++;
  if (!s->stopping) request_(s, c->method);
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->cancelled;
  if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) == GRPC_CALL_OK) c->refs++;
  if (c->method < 0) {
    rg_reply(c, RG_UNIMPLEMENTED, "unknown method", NULL, 0);
  } else if (s->stopping) {
    rg_reply(c, RG_UNAVAILABLE, "server shutting down", NULL, 0);
  } else if (!c->payload) {
    s->h.on_call(s->h.ctx, c->method, c, (const uint8_t *)"", 0);
  } else {
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, c->payload)) {
      rg_reply(c, RG_INVALID_ARGUMENT, "cannot read the request message", NULL, 0);
    } else {
      grpc_slice sl = grpc_byte_buffer_reader_readall(&r);
      grpc_byte_buffer_reader_destroy(&r);
      s->h.on_call(s->h.ctx, c->method, c, GRPC_SLICE_START_PTR(sl), GRPC_SLICE_LENGTH(sl));
      grpc_slice_unref(sl);
    }
    grpc_byte_buffer_destroy(c->payload);
    c->payload = NULL;
  }
  if (c->refs == 0) call_free_(c); /* no batch could start (call already dead) */
}

static void handle_(rg_server_t *s, grpc_event ev) {
  tag_t *t = ev.tag;
  if (t->kind == TAG_SHUTDOWN) {
    s->shutdown_done = 1;
    return;
  }
  rg_call_t *c = t->call;
  if (t->kind == TAG_ACCEPT) {
    on_accept_(s, c, ev.success);
    return;
  }
  if (t->kind == TAG_CLOSE) {
    c->closed = 1;
    if (!c->replied && c->method >= 0) s->h.on_cancel(s->h.ctx, c);
  }
  if (--c->refs == 0) call_free_(c);
}

rg_server_t *rg_server_start(const char *addr, const char *const *methods, int nmethods, const rg_handler_t *h,
                             int *bound_port, rocks_error_t *err) {
  if (nmethods < 1 || nmethods > 16) {
    rocks_fail(err, ROCKS_ERR_ARG, "rg_server_start: 1..16 methods");
    return NULL;
  }
  rg_server_t *s = calloc(1, sizeof *s);
  if (!s) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  grpc_init();
  s->h = *h;
  s->nmethods = nmethods;
  s->t_shutdown = (tag_t){TAG_SHUTDOWN, NULL};
  grpc_arg args[2];
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = 64 << 20;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
  args[1].value.integer = -1;
  grpc_channel_args cargs = {2, args};
  s->srv = grpc_server_create(&cargs, NULL);
  s->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(s->srv, s->cq, NULL);
  for (int m = 0; m < nmethods; m++)
    s->rm[m] = grpc_server_register_method(s->srv, methods[m], NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int port = grpc_server_add_http2_port(s->srv, addr, creds);
  grpc_server_credentials_release(creds);
  if (port == 0) {
    rocks_fail(err, ROCKS_ERR_IO, "cannot listen on '%s' (bad address or port in use)", addr);
    grpc_server_destroy(s->srv);
    grpc_completion_queue_shutdown(s->cq);
    while (grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type != GRPC_QUEUE_SHUTDOWN) {}
    grpc_completion_queue_destroy(s->cq);
    grpc_shutdown();
    free(s);
    return NULL;
  }
  if (bound_port) *bound_port = port;
  grpc_server_start(s->srv);
  for (int m = -1; m < nmethods; m++)
    for (int k = 0; k < (m < 0 ? 2 : RG_REQUESTS); k++) request_(s, m);
  return s;
}

int rg_server_poll(rg_server_t *s, double timeout_s) {
  grpc_event ev = grpc_completion_queue_next(s->cq, deadline_in_(timeout_s), NULL);
  if (ev.type != GRPC_OP_COMPLETE) return 0;
  handle_(s, ev);
  return 1;
}

void rg_server_stop(rg_server_t *s, double grace_s) {
  s->stopping = 1;
  grpc_server_shutdown_and_notify(s->srv, s->cq, &s->t_shutdown);
  gpr_timespec grace = deadline_in_(grace_s);
  int cancelled = 0;
  while (!s->shutdown_done) {
    grpc_event ev = grpc_completion_queue_next(s->cq, deadline_in_(0.05), NULL);
    if (ev.type == GRPC_OP_COMPLETE) handle_(s, ev);
    if (!cancelled && gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), grace) > 0) {
      grpc_server_cancel_all_calls(s->srv);
      cancelled = 1;
    }
  }
  grpc_server_destroy(s->srv);
  grpc_completion_queue_shutdown(s->cq);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type == GRPC_OP_COMPLETE) handle_(s, ev);
  }
  grpc_completion_queue_destroy(s->cq);
  grpc_shutdown();
  free(s);
}

/* ================================================================================= client === */

struct rg_channel {
  grpc_channel *ch;
  grpc_completion_queue *cq;
};

rg_channel_t *rg_channel_new(const char *addr, rocks_error_t *err) {
  if (!addr || !*addr || !strchr(addr, ':')) {
    rocks_fail(err, ROCKS_ERR_ARG, "replay address '%s': expected host:port", addr ? addr : "");
    return NULL;
  }
  rg_channel_t *c = calloc(1, sizeof *c);
  if (!c) {
    rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory");
    return NULL;
  }
  grpc_init();
  grpc_arg args[2];
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = -1;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
  args[1].value.integer = -1;
  grpc_channel_args cargs = {2, args};
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  c->ch = grpc_channel_create(addr, creds, &cargs);
  grpc_channel_credentials_release(creds);
  c->cq = grpc_completion_queue_create_for_pluck(NULL);
  return c;
}

void rg_channel_delete(rg_channel_t *c) {
  if (!c) return;
  grpc_channel_destroy(c->ch);
  grpc_completion_queue_shutdown(c->cq);
  while (grpc_completion_queue_pluck(c->cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type != GRPC_QUEUE_SHUTDOWN) {}
  grpc_completion_queue_destroy(c->cq);
  grpc_shutdown();
  free(c);
}

rocks_status_t rg_unary(rg_channel_t *ch, const char *method, const void *req, size_t len, double timeout_s,
                        int *code, char *msg, size_t msglen, uint8_t **resp, size_t *resp_len, rocks_error_t *err) {
  *resp = NULL;
  *resp_len = 0;
  if (msglen) msg[0] = 0;
  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                       gpr_time_from_micros((int64_t)(timeout_s * 1e6), GPR_TIMESPAN));
  grpc_call *call = grpc_channel_create_call(ch->ch, NULL, GRPC_PROPAGATE_DEFAULTS, ch->cq,
                                             grpc_slice_from_static_string(method), NULL, deadline, NULL);
  if (!call) return rocks_fail(err, ROCKS_ERR_IO, "cannot create a call to %s", method);
  grpc_slice sl = grpc_slice_from_copied_buffer((const char *)req, len);
  grpc_byte_buffer *out = grpc_raw_byte_buffer_create(&sl, 1);
  grpc_slice_unref(sl);
  grpc_byte_buffer *in = NULL;
  grpc_metadata_array imd, tmd;
  grpc_metadata_array_init(&imd);
  grpc_metadata_array_init(&tmd);
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();
  const char *error_string = NULL;
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = out;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &imd;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &in;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &tmd;
  ops[5].data.recv_status_on_client.status = &status;
  ops[5].data.recv_status_on_client.status_details = &details;
  ops[5].data.recv_status_on_client.error_string = &error_string;
  rocks_status_t st = ROCKS_OK;
  int tag = 0;
  if (grpc_call_start_batch(call, ops, 6, &tag, NULL) != GRPC_CALL_OK) {
    st = rocks_fail(err, ROCKS_ERR_IO, "cannot start a call to %s", method);
  } else {
    grpc_event ev = grpc_completion_queue_pluck(ch->cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type != GRPC_OP_COMPLETE) st = rocks_fail(err, ROCKS_ERR_IO, "call to %s did not complete", method);
  }
  if (st == ROCKS_OK) {
    *code = (int)status;
    if (msglen) {
      size_t n = GRPC_SLICE_LENGTH(details);
      if (n >= msglen) n = msglen - 1;
      memcpy(msg, GRPC_SLICE_START_PTR(details), n);
      msg[n] = 0;
    }
    if (status == GRPC_STATUS_OK && in) {
      grpc_byte_buffer_reader r;
      if (grpc_byte_buffer_reader_init(&r, in)) {
        grpc_slice all = grpc_byte_buffer_reader_readall(&r);
        grpc_byte_buffer_reader_destroy(&r);
        size_t n = GRPC_SLICE_LENGTH(all);
        *resp = malloc(n ? n : 1);
        if (!*resp) st = rocks_fail(err, ROCKS_ERR_NOMEM, "out of memory (%zu bytes reply)", n);
        else memcpy(*resp, GRPC_SLICE_START_PTR(all), n), *resp_len = n;
        grpc_slice_unref(all);
      } else {
        st = rocks_fail(err, ROCKS_ERR_IO, "cannot read the reply of %s", method);
      }
    }
  }
  if (in) grpc_byte_buffer_destroy(in);
  grpc_byte_buffer_destroy(out);
  grpc_slice_unref(details);
  if (error_string) gpr_free((void *)error_string);
  grpc_metadata_array_destroy(&imd);
  grpc_metadata_array_destroy(&tmd);
  grpc_call_unref(call);
  return st;
}
