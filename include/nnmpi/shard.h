/* shard: which training rows a rank holds, and in which order it visits them.
 *
 * The N training rows are cut into L lanes, contiguous blocks of about N/L
 * rows (the first N mod L lanes one row longer), and the lanes are split into
 * P contiguous groups, one per rank (the first L mod P ranks get one lane
 * more). A rank therefore holds one contiguous range of rows, about N/P of
 * them, read from the file with a single hyperslab.
 *
 * Sync mode uses L = global batch: step s of an epoch takes, from every lane,
 * the row at position perm_lane[s] of that lane, where perm_lane is a
 * permutation of the lane's rows drawn from (seed, epoch, lane). The global
 * batch of a step is thus the same whatever P is, so 1, 2 or 4 ranks compute
 * the same mathematics, and a resume on another P continues the same run.
 * (The file is stored shuffled, so each lane is a fair sample.)
 * Local mode uses L = P: each rank owns one lane and walks it in its own
 * shuffled order, as the book's per-sample loop does. */
#ifndef NNMPI_SHARD_H
#define NNMPI_SHARD_H

#include <stdint.h>

typedef struct {
    int64_t n_rows;   /* N: rows in the whole training set */
    int n_lanes;      /* L */
    int rank, size;   /* this rank, P */
    int lane_first;   /* this rank's lanes: [lane_first, lane_first+lane_count) */
    int lane_count;
    int64_t row_first; /* global index of this rank's first row */
    int64_t n_local;  /* rows this rank holds: [row_first, row_first+n_local) */
    int64_t steps;    /* ceil(N / L): the longest lane's rows */
} shard_t;

/* Fills s for rank of size ranks; refuses L < P and L > N with a message. */
int shard_init(shard_t *s, int64_t n_rows, int n_lanes, int rank, int size);

/* Rows in lane (N/L, plus one for the first N mod L lanes). */
int64_t shard_lane_rows(const shard_t *s, int lane);

/* Samples in the global batch of step `step` (L, or N mod L for a short last
 * step). */
int shard_step_count(const shard_t *s, int64_t step);

/* Global index of the first row of lane. */
int64_t shard_lane_start(const shard_t *s, int lane);

/* The local index of the row at position k of lane (a lane of this rank). */
static inline int64_t shard_local_index(const shard_t *s, int lane, int64_t k)
{
    return shard_lane_start(s, lane) - s->row_first + k;
}

/* Order of this rank's lanes for one epoch: order[(lane-lane_first)*steps + s]
 * is the position (within the lane) visited at step s, for s below the lane's
 * row count. order has lane_count*steps entries. shuffle = 0 keeps file
 * order. */
void shard_epoch_order(const shard_t *s, uint64_t seed, int epoch, int shuffle,
                       uint32_t *order);

#endif
