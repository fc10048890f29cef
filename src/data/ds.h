/* ds.h — training data: position records, .npz shards, datasets, the data loader, and the
 * generators (GNU Go self-play, SGF import, named datasets). Format: docs/data-format.md.
 *
 * What it is:
 *  - records (ds_record_t): one training position, enough to rebuild every input feature set
 *    exactly (the last 8 colourings, side to move, simple-ko point, last 3 moves, legal points)
 *    plus its targets (policy move or visit distribution, value z) — ds_record_features gives
 *    the same planes as feat_encode on the original board;
 *  - games (ds_game_t): moves + setup + result, replayed into records by the shard writer;
 *  - shards: .npz files of whole games (per-position arrays and per-game arrays);
 *  - the 8 symmetries of the square (ds_sym_*), applied to planes and policy targets;
 *  - the loader (ds_loader_*): shuffle buffer, random symmetry per sample, background prefetch
 *    thread, deterministic given a seed, seekable to any sample (for resuming training);
 *  - generators: GNU Go self-play over GTP (ds_gnugo_run), SGF import (ds_import_run), named
 *    datasets with manifests (ds_make).
 * What it is not: printing. Progress goes through callbacks; errors come back as rocks_status_t.
 *
 * Points are policy indices: y*N + x (y = 0 the top row), N*N = pass (board_policy_index).
 */
#ifndef ROCKS_DS_H
#define ROCKS_DS_H

#include <stdbool.h>
#include <stdint.h>

#include "go/board.h"
#include "go/feat.h"
#include "go/sgf.h"
#include "util/util.h"

#define DS_FORMAT "rocks-shard-v1"
#define DS_HISTORY 8                                        /* colourings per record (now + 7) */
#define DS_MAX_NN (BOARD_MAX_SIZE * BOARD_MAX_SIZE)         /* 361 */
#define DS_MAX_MOVES 1024                                   /* moves per game (SGF imports)   */
#define DS_SOURCE_MAX 160

/* Bytes of one packed colouring (2 bits per point) and of one packed bitmask (1 bit per point). */
static inline int ds_packed2_bytes(int nn) { return (nn + 3) / 4; }
static inline int ds_packed1_bytes(int nn) { return (nn + 7) / 8; }

/* ================================================================================ records === */

typedef struct {
  int size;                              /* N                                                */
  int to_play;                           /* COLOR_BLACK / COLOR_WHITE                        */
  float komi;
  uint8_t colors[DS_HISTORY][DS_MAX_NN]; /* [t][y*N+x]: colouring t moves ago (0 = now),
                                          * board_color_t; empty before the game start        */
  int ko;                                /* point to_play may not take (simple ko), or -1     */
  int last[3];                           /* last, 2nd-last, 3rd-last move: point, N*N = pass,
                                          * -1 = none (setup stones are not moves)            */
  uint8_t legal[DS_MAX_NN];              /* 1: empty and legal for to_play (superko included) */
  int policy;                            /* target move (0..N*N), or -1 when dist is used     */
  const float *dist;                     /* visit distribution (N*N+1), or NULL               */
  float z;                               /* outcome for to_play: +1 win, -1 loss, 0 draw      */
} ds_record_t;

/* The position of board b (history valid) as a record; targets are left empty (policy -1,
 * z 0). */
void ds_record_from_board(const board_t *b, ds_record_t *r);
/* Input planes of a record, exactly feat_encode's for the board it came from (feat.h layout). */
void ds_record_features(const ds_record_t *r, feat_set_t set, float *out);
/* Number of legal moves for to_play, pass included (the uniform-policy baseline is 1/this). */
int ds_record_legal_count(const ds_record_t *r);

/* ============================================================================ symmetries === */

/* The 8 symmetries of the square, sym in 0..7: first transpose (x,y) -> (y,x) if sym & 4, then
 * mirror x -> N-1-x if sym & 1, then mirror y -> N-1-y if sym & 2. 0 is the identity. */
int ds_sym_point(int N, int sym, int index);   /* policy index -> policy index; pass stays pass */
int ds_sym_inverse(int sym);
/* out[p][sym(i)] = in[p][i] for each of `planes` N x N planes (out and in must not alias). */
void ds_sym_planes(float *out, const float *in, int planes, int N, int sym);
/* The same for a policy vector of N*N+1 entries (the pass entry stays last). */
void ds_sym_policy(float *out, const float *in, int N, int sym);

/* ================================================================================== games === */

typedef struct {
  int64_t id;                 /* unique within a dataset family (see docs/data-format.md)     */
  int size;
  float komi;
  board_rules_t rules;
  int nmoves;
  int16_t moves[DS_MAX_MOVES];    /* policy index, N*N = pass                                 */
  uint8_t colors[DS_MAX_MOVES];   /* COLOR_BLACK / COLOR_WHITE                                */
  int nsetup;
  int16_t setup[DS_MAX_NN];       /* setup stones (handicap, AB/AW) before the first move     */
  uint8_t setup_colors[DS_MAX_NN];
  int first_target;           /* positions before moves [first_target, nmoves) are training data */
  int winner;                 /* COLOR_BLACK, COLOR_WHITE, or COLOR_EMPTY for a draw          */
  float score;                /* black - white - komi (Tromp-Taylor area), NaN if not scored  */
  uint64_t seed;              /* generator seed (GNU Go --seed), 0 if none                    */
  char source[DS_SOURCE_MAX]; /* where it came from ("gnugo level 1", "games/x.sgf#0")       */
  char result[32];            /* SGF RE text, e.g. "B+3.5", "W+R"                            */
} ds_game_t;

/* Converts an SGF record: setup stones only in the root node, no setup after the first move,
 * every move legal under `rules` (replayed), a known winner (RE B+/W+/0/Draw/Jigo), board size
 * 2..19, at most DS_MAX_MOVES moves. ROCKS_ERR_PARSE / _ILLEGAL / _ARG with the reason. */
rocks_status_t ds_game_from_sgf(const sgf_game_t *g, board_rules_t rules, ds_game_t *out, rocks_error_t *err);
/* Replays a game onto b (setup, then every move). ROCKS_ERR_ILLEGAL with the move number. */
rocks_status_t ds_game_replay(const ds_game_t *g, board_t *b, int nmoves, rocks_error_t *err);
/* Number of training positions of a game: nmoves - first_target. */
static inline int ds_game_positions(const ds_game_t *g) { return g->nmoves > g->first_target ? g->nmoves - g->first_target : 0; }
/* Hash of a game's content (size, komi, setup, moves): equal games have equal hashes. Used to
 * keep held-out sets disjoint from training sets by game. */
uint64_t ds_game_hash(const ds_game_t *g);

/* ================================================================================= shards === */

typedef struct {
  int games;
  int64_t positions;
  int64_t bytes;
  char sha256[65];
} ds_shard_info_t;

/* Writes games (all of one board size) as a shard: replays each, one record per training
 * position, per-game arrays, and `meta_json` (may be NULL) as the "meta" array. Atomic.
 * compress_level: 0 stored, 1..9 deflate. info (may be NULL) gets counts, size and checksum. */
rocks_status_t ds_shard_write(const char *path, const ds_game_t *games, int ngames, int compress_level,
                              const char *meta_json, ds_shard_info_t *info, rocks_error_t *err);
/* Per-game training targets for ds_shard_write_targets (self-play). */
typedef struct {
  const uint8_t *train;    /* nmoves flags: 1 = position before move i is a training position
                            * (NULL: every position from first_target)                         */
  const float *dist;       /* nmoves x (N*N+1) policy targets (visit distributions; rows of
                            * non-training positions are ignored), or NULL: one-hot of the move */
} ds_game_targets_t;
/* ds_shard_write with targets[g] per game (targets may be NULL = ds_shard_write). When any game
 * has a dist, the shard gets the `policy_dist` array (one-hot rows for games without one). */
rocks_status_t ds_shard_write_targets(const char *path, const ds_game_t *games, const ds_game_targets_t *targets,
                                      int ngames, int compress_level, const char *meta_json, ds_shard_info_t *info,
                                      rocks_error_t *err);
/* Reads back the games of a shard (*games malloc'd, caller frees). */
rocks_status_t ds_shard_read_games(const char *path, ds_game_t **games, int *ngames, rocks_error_t *err);

/* A shard's position arrays in memory (what the loader uses). */
typedef struct {
  int size, nn;              /* N, N*N                                                       */
  int64_t n;                 /* positions                                                    */
  uint8_t *to_play;          /* (n)                                                          */
  uint8_t *stones;           /* (n, 8, packed2)                                              */
  int16_t *ko;               /* (n)                                                          */
  int16_t *last_moves;       /* (n, 3)                                                       */
  uint8_t *legal;            /* (n, packed1)                                                 */
  int16_t *policy;           /* (n)                                                          */
  float *policy_dist;        /* (n, nn+1) or NULL                                            */
  float *z, *komi;           /* (n)                                                          */
  int64_t *game_id;          /* (n)                                                          */
} ds_shard_t;

/* Loads and validates a shard's position arrays (shapes, dtypes, value ranges). */
rocks_status_t ds_shard_load(const char *path, ds_shard_t *s, rocks_error_t *err);
void ds_shard_free(ds_shard_t *s);
/* Number of positions and the board size from the headers only (no data read). */
rocks_status_t ds_shard_count(const char *path, int64_t *positions, int *size, rocks_error_t *err);
/* Unpacks position i of a loaded shard into a record (r->dist points into the shard). */
void ds_shard_record(const ds_shard_t *s, int64_t i, ds_record_t *r);

/* Shard files of a dataset: `path` is a .npz file or a directory (its shards/ folder if there
 * is one, else the directory itself; *.npz sorted by name). *paths: malloc'd array of malloc'd
 * strings (free with ds_paths_free). ROCKS_ERR_ARG if none found. */
rocks_status_t ds_list_shards(const char *path, char ***paths, int *npaths, rocks_error_t *err);
void ds_paths_free(char **paths, int n);

/* Writes text to path atomically (temporary file beside it, fsync, rename, fsync of the dir). */
rocks_status_t ds_write_text_atomic(const char *path, const char *text, rocks_error_t *err);
/* mkdir -p. */
rocks_status_t ds_mkdirs(const char *path, rocks_error_t *err);

/* SHA-256 of a file as 64 lowercase hex digits. */
rocks_status_t ds_sha256_file(const char *path, char hex[65], rocks_error_t *err);
void ds_sha256(const void *data, size_t len, char hex[65]);

/* ================================================================================= loader === */

typedef struct {
  feat_set_t features;
  int batch;               /* samples per batch                                               */
  int shuffle;             /* 1: shard order shuffled per epoch + shuffle buffer; 0: file order */
  int64_t buffer;          /* shuffle buffer capacity in positions (0 = the whole dataset)      */
  int symmetries;          /* 1: a random one of the 8 symmetries per sample; 0: identity       */
  int partial_last;        /* 1: an epoch's last batch may be short (evaluation); 0: batches run
                            * on across epoch boundaries (training)                              */
  int prefetch;            /* batches prepared ahead by the background thread (0: synchronous)  */
  uint64_t seed;
} ds_loader_config_t;

/* Defaults: agz, batch 256, shuffle, buffer 0, symmetries, partial_last 0, prefetch 4, seed 1. */
ds_loader_config_t ds_loader_config_default(void);

typedef struct {
  int n;                   /* samples in this batch (== batch unless partial_last)              */
  int64_t first_sample;    /* stream index of the first sample                                   */
  int64_t epoch;           /* epoch of the first sample                                          */
  int planes, size;
  float *inputs;           /* (batch, planes, N, N)                                              */
  float *policy;           /* (batch, N*N+1) target distribution (one-hot for records)           */
  float *value;            /* (batch) z                                                          */
  int *legal_count;        /* (batch) legal moves incl. pass (uniform baseline 1/legal_count)    */
  int *target;             /* (batch) target move (after the symmetry), -1 for distributions    */
  int *sym;                /* (batch) symmetry applied                                           */
  int64_t *index;          /* (batch) global position index (shard order, then row)              */
} ds_batch_t;

typedef struct ds_loader ds_loader_t;

/* Opens the shards (all of one board size; counts read from headers). The stream of samples is
 * a pure function of (seed, sample index): epoch e = index / positions, shard order and buffer
 * draws from an RNG seeded by (seed, e). */
ds_loader_t *ds_loader_open(char *const *paths, int npaths, const ds_loader_config_t *c, rocks_error_t *err);
void ds_loader_close(ds_loader_t *l);
int64_t ds_loader_positions(const ds_loader_t *l);
int ds_loader_board_size(const ds_loader_t *l);
int ds_loader_planes(const ds_loader_t *l);
/* The next batch (valid until the next call, seek or close). ROCKS_ERR_IO/_PARSE if a shard
 * cannot be read. */
rocks_status_t ds_loader_next(ds_loader_t *l, const ds_batch_t **batch, rocks_error_t *err);
/* Positions the stream so that the next batch starts at sample `sample` (cheap: replays the
 * index stream only). */
rocks_status_t ds_loader_seek(ds_loader_t *l, int64_t sample, rocks_error_t *err);
/* Stream index of the next sample ds_loader_next will return. */
int64_t ds_loader_tell(const ds_loader_t *l);

/* ========================================================================== generators === */

/* Progress report: called from the generator's threads, serialised (one call at a time). */
typedef struct {
  const char *phase;       /* "games", "shards", "import"                                     */
  int64_t done, total;     /* units of the phase (total may be an estimate)                   */
  int64_t positions;       /* training positions so far                                       */
  int64_t skipped;         /* already present (resumed) or rejected                           */
  double elapsed;          /* seconds since the start of this run                             */
  double rate;             /* units per second in this run (excluding resumed ones)           */
} ds_progress_t;
typedef void (*ds_progress_fn)(const ds_progress_t *p, void *ctx);

typedef struct {
  const char *gnugo;       /* GNU Go binary (default /usr/games/gnugo)                          */
  const char *out;         /* output directory: games/game-N.sgf, shards/shard-N.npz, gnugo.json, manifest.json */
  int size;                /* board size (default 9)                                           */
  int games;               /* number of games (0: use positions)                               */
  int64_t positions;       /* or: the smallest prefix of games with at least this many positions */
  int level;               /* GNU Go --level (default 1)                                       */
  int jobs;                /* parallel GNU Go processes (default 1)                            */
  uint64_t seed;           /* dataset seed: game ids seed*10^7 + index, per-game GNU Go seeds   */
  float komi;              /* default 7.5                                                      */
  int opening_min, opening_max; /* random opening moves per game, uniform (default 2..4)      */
  int max_moves;           /* a game longer than this is discarded and retried (default 3*N*N) */
  int shard_games;         /* games per shard (default 256)                                    */
  int compress;            /* deflate level of the shards (default 6)                          */
  const char *name;        /* dataset name for the manifest (may be NULL)                       */
  const char *exclude;     /* another dataset directory: games equal to one of its games are
                            * left out of the shards (hold-out by game), may be NULL            */
} ds_gnugo_config_t;

ds_gnugo_config_t ds_gnugo_config_default(void);

typedef struct {
  int games;               /* games in the shards                                              */
  int64_t positions;
  int shards;
  int generated;           /* games generated in this run                                       */
  int resumed;             /* games found on disk                                               */
  int failed_attempts;     /* attempts discarded (illegal move, too long, GNU Go error)         */
  int score_mismatches;    /* games where GNU Go's final_score differs from Tromp-Taylor        */
  int excluded;            /* games left out as duplicates of the exclude set                   */
  double seconds;
} ds_gnugo_stats_t;

/* GNU Go self-play: games are numbered; game i is written atomically to games/game-%06d.sgf and
 * never regenerated once present (a rerun continues; settings must match gnugo.json). Every
 * GNU Go move is replayed through rocks' board (chinese rules: no suicide, positional superko)
 * and the result is the Tromp-Taylor score. Then shards/shard-%06d.npz hold games
 * [k*shard_games, (k+1)*shard_games), and manifest.json is written. */
rocks_status_t ds_gnugo_run(const ds_gnugo_config_t *c, ds_progress_fn progress, void *ctx, ds_gnugo_stats_t *stats,
                            rocks_error_t *err);

typedef struct {
  const char *out;         /* output directory: shards/shard-N.npz, import-report.tsv, manifest.json */
  board_rules_t rules;     /* replay rules (default tromp-taylor with simple ko: accepts every
                            * record that is legal under common rule sets)                      */
  int shard_games;         /* games per shard (default 256)                                    */
  int compress;            /* default 6                                                        */
  int64_t id_base;         /* game ids id_base + k in import order (default 0)                 */
} ds_import_config_t;

ds_import_config_t ds_import_config_default(void);

typedef struct {
  int files;               /* SGF files found                                                  */
  int games;               /* games imported                                                   */
  int rejected;            /* games or files rejected (listed in import-report.tsv)             */
  int64_t positions;
  int shards;
} ds_import_stats_t;

/* Imports SGF files and folders (recursively, *.sgf, sorted) into shards, one board size per
 * shard. A malformed or unsupported file or game is counted, listed with its reason in
 * OUT/import-report.tsv, and skipped; only I/O errors on the output abort. */
rocks_status_t ds_import_run(const ds_import_config_t *c, char *const *inputs, int ninputs, ds_progress_fn progress,
                             void *ctx, ds_import_stats_t *stats, rocks_error_t *err);

/* Named datasets (docs/data-format.md): "dev-train-100k" and "dev-val". Fills a GNU Go config
 * for ROOT/NAME (jobs as given); ROCKS_ERR_ARG for an unknown name (err lists the known ones). */
rocks_status_t ds_named_config(const char *name, const char *root, int jobs, ds_gnugo_config_t *c, char *outdir,
                               size_t outlen, char *exclude, size_t exlen, rocks_error_t *err);
/* Names of the datasets ds_named_config knows, NULL-terminated. */
const char *const *ds_named_list(void);

#endif
