#include "nnmpi/shard.h"

#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/rng.h"

int shard_init(shard_t *s, int64_t n_rows, int n_lanes, int rank, int size)
{
    memset(s, 0, sizeof *s);
    if (size <= 0 || rank < 0 || rank >= size)
        return error_set("rank %d of %d is not valid", rank, size);
    if (n_lanes < size)
        return error_set("%d lanes cannot be shared by %d ranks (the global batch must be at "
                         "least the number of ranks)", n_lanes, size);
    if (n_rows < n_lanes)
        return error_set("%lld training rows are fewer than the %d needed (one per lane: the "
                         "global batch, or the number of ranks in local mode)",
                         (long long)n_rows, n_lanes);
    s->n_rows = n_rows;
    s->n_lanes = n_lanes;
    s->rank = rank;
    s->size = size;
    int base = n_lanes / size, extra = n_lanes % size;
    s->lane_count = base + (rank < extra);
    s->lane_first = rank * base + (rank < extra ? rank : extra);
    s->steps = (n_rows + n_lanes - 1) / n_lanes;
    s->row_first = shard_lane_start(s, s->lane_first);
    s->n_local = shard_lane_start(s, s->lane_first + s->lane_count) - s->row_first;
    return 0;
}

int64_t shard_lane_start(const shard_t *s, int lane)
{
    int64_t base = s->n_rows / s->n_lanes, extra = s->n_rows % s->n_lanes;
    return lane * base + (lane < extra ? lane : extra);
}

int64_t shard_lane_rows(const shard_t *s, int lane)
{
    return s->n_rows / s->n_lanes + (lane < s->n_rows % s->n_lanes);
}

int shard_step_count(const shard_t *s, int64_t step)
{
    int64_t full = s->n_rows / s->n_lanes;
    if (step < full)
        return s->n_lanes;
    return step == full ? (int)(s->n_rows % s->n_lanes) : 0;
}

void shard_epoch_order(const shard_t *s, uint64_t seed, int epoch, int shuffle, uint32_t *order)
{
    for (int j = 0; j < s->lane_count; j++) {
        int lane = s->lane_first + j;
        int64_t n = shard_lane_rows(s, lane);
        uint32_t *o = order + (size_t)j * s->steps;
        for (int64_t k = 0; k < n; k++)
            o[k] = (uint32_t)k;
        if (shuffle) {
            /* the lane's order depends on (seed, epoch, lane) only, never on
             * the rank that happens to own the lane */
            rng_t rng;
            rng_seed(&rng, seed, rng_stream(1, (uint64_t)epoch, (uint64_t)lane));
            rng_shuffle_u32(&rng, o, (size_t)n);
        }
    }
}
