/* replay_weak.c — TEMPORARY: weak stand-ins for the replay client until src/replay/replay_client.c
 * is merged (the real, strong definitions replace these at link time). */
#include "replay/replay_client.h"

__attribute__((weak)) replay_client_t *replay_client_new(const char *addr, rocks_error_t *err) {
  rocks_fail(err, ROCKS_ERR_STATE, "replay client not built in (%s)", addr);
  return NULL;
}
__attribute__((weak)) void replay_client_delete(replay_client_t *c) { (void)c; }
__attribute__((weak)) rocks_status_t replay_client_push(replay_client_t *c, const replay_episode_t *ep, double t,
                                                        rocks_error_t *err) {
  (void)c, (void)ep, (void)t;
  return rocks_fail(err, ROCKS_ERR_STATE, "replay client not built in");
}
__attribute__((weak)) rocks_status_t replay_client_sample(replay_client_t *c, int n, double t, ds_record_t *out,
                                                          float *dist, rocks_error_t *err) {
  (void)c, (void)n, (void)t, (void)out, (void)dist;
  return rocks_fail(err, ROCKS_ERR_STATE, "replay client not built in");
}
__attribute__((weak)) rocks_status_t replay_client_stats(replay_client_t *c, replay_stats_t *st, rocks_error_t *err) {
  (void)c, (void)st;
  return rocks_fail(err, ROCKS_ERR_STATE, "replay client not built in");
}
