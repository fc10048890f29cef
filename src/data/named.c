/* named.c — the named datasets of `rocks data make` (ds.h, docs/data-format.md). */
#include <stdio.h>
#include <string.h>

#include "data/ds.h"

/* Each named dataset is GNU Go self-play with fixed settings; train and validation sets use
 * different seeds (so disjoint game ids and GNU Go seeds) and each leaves out any game equal to
 * one of its partner's (hold-out by game, whichever is made second does the check). */
static const struct {
  const char *name;
  int size, level;
  int64_t positions;
  uint64_t seed;
  const char *partner;
  const char *about;
} named_[] = {
    {"dev-train-100k", 9, 1, 100000, 1, "dev-val", "~100k positions of 9x9 GNU Go level 1 self-play (seed 1)"},
    {"dev-val", 9, 1, 10000, 2, "dev-train-100k", "~10k positions of 9x9 GNU Go level 1 self-play (seed 2), held out by game"},
};

static const char *const names_[] = {"dev-train-100k", "dev-val", NULL};

const char *const *ds_named_list(void) { return names_; }

rocks_status_t ds_named_config(const char *name, const char *root, int jobs, ds_gnugo_config_t *c, char *outdir,
                               size_t outlen, char *exclude, size_t exlen, rocks_error_t *err) {
  for (size_t i = 0; i < sizeof named_ / sizeof named_[0]; i++) {
    if (strcmp(name, named_[i].name)) continue;
    *c = ds_gnugo_config_default();
    c->size = named_[i].size;
    c->level = named_[i].level;
    c->positions = named_[i].positions;
    c->games = 0;
    c->seed = named_[i].seed;
    c->jobs = jobs;
    c->name = named_[i].name;
    snprintf(outdir, outlen, "%s/%s", root, named_[i].name);
    snprintf(exclude, exlen, "%s/%s", root, named_[i].partner);
    c->out = outdir;
    c->exclude = exclude;
    return ROCKS_OK;
  }
  return rocks_fail(err, ROCKS_ERR_ARG, "unknown dataset '%s' (known: dev-train-100k, dev-val)", name);
}
