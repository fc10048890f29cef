/* feat.h — neural-network input planes from a board (docs/features.md).
 *
 * Output layout: (planes, N, N) float32, plane-major, element [(p*N + y)*N + x] with y = 0 the
 * top row (as board_point / board_policy_index). Everything is relative to the player to move
 * ("own" = b->to_play). Sets:
 *   FEAT_AGZ  "agz"  17 planes, AlphaGo Zero: for t = 0..7 (0 = now): plane 2t own stones t moves
 *                    ago, plane 2t+1 opponent stones t moves ago (missing history = empty);
 *                    plane 16 all ones if black is to move, else zeros.
 *   FEAT_RICH "rich" 16 planes: 0-3 own stones in groups with 1, 2, 3, >=4 liberties; 4-7 the
 *                    same for the opponent; 8 empty points; 9 the simple-ko point the player to
 *                    move may not take; 10-12 the last, second-last and third-last move (a stone
 *                    placed by a move, passes leave the plane empty); 13 points that are legal
 *                    for the player to move (superko included); 14 all ones; 15 ones if black
 *                    is to move.
 * Liberties are exact (flood fill over the colouring), not the board's pseudo-liberties.
 */
#ifndef ROCKS_FEAT_H
#define ROCKS_FEAT_H

#include "go/board.h"
#include "util/util.h"

typedef enum { FEAT_AGZ = 0, FEAT_RICH = 1 } feat_set_t;

#define FEAT_MAX_PLANES 17

/* Planes of a set (17 or 16). */
int feat_planes(feat_set_t set);
/* "agz" (also "alphago-zero"), "rich". ROCKS_ERR_ARG with a message otherwise. */
rocks_status_t feat_from_name(const char *name, feat_set_t *set, rocks_error_t *err);
/* Canonical name of a set. Static string. */
const char *feat_name(feat_set_t set);
/* Writes feat_planes(set) * N * N floats to out. The board must have valid history
 * (not after board_play_fast) for the history planes. */
void feat_encode(const board_t *b, feat_set_t set, float *out);
/* Exact liberty count of every point's group into libs[y*N+x] (0 for empty points). */
void feat_liberties(const board_t *b, int *libs);

#endif
