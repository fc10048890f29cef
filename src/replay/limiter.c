/* limiter.c — SampleToInsertRatio (limiter.h). */
#include <math.h>

#include "replay/limiter.h"

double replay_limiter_min_error_buffer(double spi, int64_t max_insert, int64_t max_sample) {
  return 0.5 * (spi * (double)max_insert + (double)max_sample);
}

rocks_status_t replay_limiter_init(replay_limiter_t *l, double spi, int64_t min_size, double error_buffer,
                                   int64_t max_insert, int64_t max_sample, int64_t capacity, rocks_error_t *err) {
  *l = (replay_limiter_t){0};
  if (!(spi > 0) || !isfinite(spi))
    return rocks_fail(err, ROCKS_ERR_ARG, "samples per insert must be > 0 (got %g)", spi);
  if (min_size < 1) return rocks_fail(err, ROCKS_ERR_ARG, "min size must be >= 1 position (got %lld)", (long long)min_size);
  if (max_insert < 1 || max_sample < 1)
    return rocks_fail(err, ROCKS_ERR_ARG, "max episode positions and max sample must be >= 1");
  double need = replay_limiter_min_error_buffer(spi, max_insert, max_sample);
  if (!(error_buffer >= need))
    return rocks_fail(err, ROCKS_ERR_ARG,
                      "error buffer %g can deadlock: with episodes of up to %lld positions, samples of up to %lld "
                      "and %g samples per insert it must be >= (%g*%lld + %lld)/2 = %g",
                      error_buffer, (long long)max_insert, (long long)max_sample, spi, spi, (long long)max_insert,
                      (long long)max_sample, need);
  if (capacity < min_size + max_insert)
    return rocks_fail(err, ROCKS_ERR_ARG,
                      "capacity %lld can deadlock: evicting an episode could leave fewer than min size %lld positions; "
                      "capacity must be >= min size + max episode positions = %lld",
                      (long long)capacity, (long long)min_size, (long long)(min_size + max_insert));
  l->spi = spi;
  l->error_buffer = error_buffer;
  l->min_size = min_size;
  l->min_diff = spi * (double)min_size - error_buffer;
  l->max_diff = spi * (double)min_size + error_buffer;
  return ROCKS_OK;
}

bool replay_limiter_can_sample(const replay_limiter_t *l, int64_t n) {
  if (l->inserts - l->deletes < l->min_size) return false;
  double diff = (double)l->inserts * l->spi - (double)l->samples - (double)n;
  return diff >= l->min_diff;
}

bool replay_limiter_can_insert(const replay_limiter_t *l, int64_t k) {
  if (l->inserts + k - l->deletes <= l->min_size) return true;
  double diff = (double)(l->inserts + k) * l->spi - (double)l->samples;
  return diff <= l->max_diff;
}
