/* codec.h — replay.proto messages <-> rocks structures (internal to src/replay; protobuf-c, no
 * gRPC). The generated replay.pb-c.{c,h} come from src/replay/replay.proto at build time. */
#ifndef ROCKS_REPLAY_CODEC_H
#define ROCKS_REPLAY_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "data/ds.h"
#include "replay/episode.h"
#include "util/util.h"

/* An episode as a packed PushRequest (*buf malloc'd). ROCKS_ERR_ARG for an invalid episode. */
rocks_status_t replay_push_pack(const replay_episode_t *ep, uint8_t **buf, size_t *len, rocks_error_t *err);
/* A packed PushRequest into *ep (arrays allocated; free with replay_episode_free even on error).
 * ROCKS_ERR_PARSE: not a PushRequest; ROCKS_ERR_ARG: invalid content (validated). */
rocks_status_t replay_push_unpack(const uint8_t *buf, size_t len, replay_episode_t *ep, rocks_error_t *err);

/* The training positions of an episode as packed Position messages, concatenated in *blob with
 * (*npos + 1) offsets in *off (both malloc'd). Replays the game: ROCKS_ERR_ILLEGAL for an illegal
 * move or setup. */
rocks_status_t replay_episode_encode(const replay_episode_t *ep, uint64_t seq, uint8_t **blob, uint32_t **off,
                                     int *npos, rocks_error_t *err);

/* Decodes a packed SampleReply of exactly n positions into records (replay_client.h contract).
 * ROCKS_ERR_PARSE for anything malformed. */
rocks_status_t replay_sample_decode(const uint8_t *buf, size_t len, int n, ds_record_t *out, float *dist_buf,
                                    rocks_error_t *err);

/* Protobuf wire helpers for hand-written messages. */
size_t replay_put_varint(uint8_t *p, uint64_t v); /* at most 10 bytes */

#endif
