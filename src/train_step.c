/* train_step: the steps. Sync mode: one global batch, one reduction of
 * the update per step; local mode: the book's per-sample loop on every rank,
 * the weights averaged every sync_every samples. The figures and the flags
 * every rank must agree on ride in the same reduction. */
#include "train_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/log.h"
#include "nnmpi/preempt.h"
#include "nnmpi/runlock.h"
#include "nnmpi/watchdog.h"

/* Whether this rank is to poison the step in progress. */
static int fault_due(const trainer_t *t)
{
    return t->fault_step && t->rank == t->fault_rank &&
           (int64_t)(t->epoch - 1) * t->steps_per_epoch + t->step + 1 == t->fault_step;
}

double trainer_lr(const trainer_t *t)
{
    int64_t done = (int64_t)(t->epoch - 1) * t->steps_per_epoch + t->step;
    return config_lr_at(t->cfg, (double)done / (double)t->total_steps);
}

/* Rank 0's checkpoint timer, as the flag it contributes to the reduction. */
static float timer_flag(const trainer_t *t)
{
    return t->rank == 0 && t->cfg->ckpt_every_minutes > 0 &&
                   now() - t->last_ckpt_t >= t->cfg->ckpt_every_minutes * 60.0
               ? 1.0f
               : 0.0f;
}

_Static_assert(N_STATS - STAT_STOP <= TENSOR_RIDERS, "the flags ride with the output sums");

/* The flags a rank contributes (N_STATS - STAT_STOP floats, summed over
 * the ranks): a stop asked for, rank 0's checkpoint timer, checkpoints
 * failing. */
static void step_flags(const trainer_t *t, float *flags)
{
    flags[STAT_STOP - STAT_STOP] = preempt_signal() ? 1.0f : 0.0f;
    flags[STAT_TIMER - STAT_STOP] = timer_flag(t);
    flags[STAT_CKPT_FAILED - STAT_STOP] = t->ckpt_failures >= CKPT_MAX_FAILURES ? 1.0f : 0.0f;
}

/* The statistics and flags a rank contributes, after the parameters in the
 * same buffer. */
static void put_stats(trainer_t *t, const net_stats_t *st)
{
    float *stats = reduction_buffer(t) + t->net.n_floats;
    stats[STAT_LOSS] = (float)st->loss_sum;
    stats[STAT_CORRECT] = (float)st->correct;
    stats[STAT_COUNT] = (float)st->count;
    step_flags(t, stats + STAT_STOP);
}

/* The sum over the groups of buf's `count` floats (-1: the test hook's
 * refused call): all of it, or with an optimizer each group's part of the
 * gradient (the optimizer's step brings the others') and the figures. */
static void sum_over_groups(trainer_t *t, float *buf, int count)
{
    const tensor_t *tp = &t->tp;
    const size_t n = t->net.n_floats;
    if (!t->optimizing) {
        MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM,
                      tp->T > 1 ? tp->slice : MPI_COMM_WORLD);
        return;
    }
    const int g = tp->g;
    MPI_Reduce_scatter(buf, t->part_grad, t->part_counts, MPI_FLOAT, MPI_SUM, tp->slice);
    memcpy(buf + t->part_offsets[g], t->part_grad, (size_t)t->part_counts[g] * sizeof *buf);
    MPI_Allreduce(MPI_IN_PLACE, buf + n, count < 0 ? count : N_STATS, MPI_FLOAT, MPI_SUM,
                  tp->slice);
}

/* Sums the parameter buffer (with the statistics after it) over all ranks,
 * in place; every rank then holds the same figures and flags, so all take
 * the same decisions without more messages. */
static int reduce_step(trainer_t *t)
{
    const size_t n = t->net.n_floats;
    float *buf = reduction_buffer(t);
    const int finite_here = isfinite(buf[n + STAT_LOSS]);
    tensor_t *tp = &t->tp;
    /* the test hook NNMPI_FAULT=mpi: a call MPI must refuse (mpierror.h) */
    const int count = t->fault_mpi && fault_due(t) ? -1 : (int)(n + N_STATS);
    watchdog_enter("the reduction", t->epoch, t->step + 1);
    /* with hidden-unit slices: first the flags over the group, so that the
     * reductions of the slices (one per slice, over the groups) all carry
     * the same; the figures are the group's already (from the same outputs).
     * In sync mode the flags rode with the step's output sums. */
    if (tp->T > 1 && !tensor_take_riders(tp, buf + n + STAT_STOP))
        MPI_Allreduce(MPI_IN_PLACE, buf + n + STAT_STOP, N_STATS - STAT_STOP, MPI_FLOAT, MPI_SUM,
                      tp->group);
    if (tp->G > 1)
        sum_over_groups(t, buf, count);
    watchdog_leave();
    const float *stats = buf + n;
    if (!isfinite(stats[STAT_LOSS])) {
        /* every rank sees the sum and comes here: one more reduction, on
         * this failure path only, names the first rank whose own loss was
         * not finite (none: the sum itself overflowed). No checkpoint is
         * written after this step, so the last one holds good weights. */
        int mine = finite_here ? INT_MAX : t->rank, first = INT_MAX;
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        char where[64] = "";
        if (first != INT_MAX && tp->T > 1) /* a group shares its outputs: and its loss */
            snprintf(where, sizeof where, " in the group of ranks %d-%d", first,
                     first + tp->T - 1);
        else if (first != INT_MAX)
            snprintf(where, sizeof where, " on rank %d", first);
        return error_set("training diverged at epoch %d step %lld: the loss is %g%s (learning "
                         "rate %g too high?)", t->epoch, (long long)t->step + 1,
                         (double)stats[STAT_LOSS], where, trainer_lr(t));
    }
    if (stats[STAT_CKPT_FAILED] > 0)
        return trainer_ckpt_give_up(t);
    t->epoch_stats.loss_sum += stats[STAT_LOSS];
    t->epoch_stats.correct += (int64_t)stats[STAT_CORRECT];
    t->epoch_stats.count += (int64_t)stats[STAT_COUNT];
    t->stop = stats[STAT_STOP] > 0;
    t->timer = stats[STAT_TIMER] > 0;
    return 0;
}

/* A step began at t0 and its reduction at t1; it has just ended. Rank 0
 * also keeps the run directory's lock alive (runlock.h). */
static void time_step(trainer_t *t, double t0, double t1)
{
    double t2 = now();
    t->compute_s += t1 - t0;
    t->reduce_s += t2 - t1;
    t->steps_timed++;
    if (t->rank == 0 && t2 - t->heartbeat_t > RUNLOCK_HEARTBEAT_S) {
        runlock_heartbeat(&t->start->lock);
        t->heartbeat_t = t2;
    }
}

/* Where a step's time goes, for choosing the batch and the ranks
 * (docs/performance.md): the compute, this rank's and the slowest rank's,
 * and the reduction, whose wait for the slowest rank is part of it.
 * Collective; rank 0 says it if `say`. */
void trainer_log_step_times(const trainer_t *t, int say)
{
    double mine = t->compute_s, slowest = 0;
    watchdog_enter("the closing figures", t->epoch, t->step);
    MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    watchdog_leave();
    if (!say || t->rank != 0 || t->steps_timed == 0)
        return;
    const double us = 1e6 / (double)t->steps_timed;
    const char *what = t->cfg->mode == TRAIN_MODE_SYNC ? "step" : "averaging round";
    char opt[64] = "";
    if (t->optimizing)
        snprintf(opt, sizeof opt, "; then the optimizer's step %.0f us", t->optimizer_s * us);
    if (t->size == 1) {
        log_info("time per %s: %.0f us (%lld of them)%s", what,
                 (t->compute_s + t->reduce_s) * us, (long long)t->steps_timed, opt);
        return;
    }
    double share = t->reduce_s / (t->compute_s + t->reduce_s);
    log_info("time per %s: compute %.0f us (the slowest rank %.0f us), reduction %.0f us with "
             "the wait for the slowest rank: %.0f%% of the time%s%s", what, t->compute_s * us,
             slowest * us, t->reduce_s * us, 100 * share,
             share > 0.3 && t->cfg->mode == TRAIN_MODE_SYNC
                 ? "; a larger train.batch spreads it over more samples"
                 : "",
             opt);
}

static void log_progress(const trainer_t *t)
{
    const net_stats_t *st = &t->epoch_stats;
    double s = t->epoch_train_s + (now() - t->epoch_t0);
    log_info("  epoch %d step %lld/%lld | loss %.4f | train acc %.2f%% | lr %.4g | %.0f samples/s",
             t->epoch, (long long)t->step, (long long)t->steps_per_epoch,
             st->count ? st->loss_sum / st->count : 0.0,
             st->count ? 100.0 * st->correct / st->count : 0.0, trainer_lr(t),
             s > 0 ? st->count / s : 0.0);
}

/* Whether the samples are distorted afresh ([augment]). */
static int augmenting(const trainer_t *t)
{
    return augment_live_active(&t->cfg->augment);
}

/* The local rows of sync step `step`'s batch, lane by lane, into rows
 * [lane_count]; their count. */
static int batch_rows(const trainer_t *t, int64_t step, int64_t *rows)
{
    const shard_t *s = &t->shard;
    int b = 0;
    for (int j = 0; j < s->lane_count; j++) {
        int lane = s->lane_first + j;
        if (step < shard_lane_rows(s, lane))
            rows[b++] = shard_local_index(s, lane, t->order[(size_t)j * s->steps + step]);
    }
    return b;
}

/* With [augment]: hands this rank's block of step `step`'s rows to the
 * distortions' slot `slot` (augment_ahead.h), the helper thread starting
 * on them. The block: with T > 1 each rank of the group distorts its
 * block of the batch they share and they exchange them
 * (share_distortions); alone, the whole batch. */
static void distort_ahead(trainer_t *t, int64_t step, int slot)
{
    int b = batch_rows(t, step, t->rows), lo, hi;
    tensor_slice_range(b, t->tp.T, t->tp.t, &lo, &hi);
    for (int i = lo; i < hi; i++)
        augment_ahead_add(&t->augment, slot, imageset_image(&t->data, t->rows[i]),
                          t->shard.row_first + t->rows[i]);
    augment_ahead_start(&t->augment, slot, t->epoch);
}

/* The group's blocks of distortions of a batch of b, this rank's `mine`
 * among them, into t->shared_batch (collective over the group). A
 * distortion depends on (seed, epoch, row) only, so the batch is the one
 * each rank would have made alone, in half the time with T = 2. */
static const uint8_t *share_distortions(trainer_t *t, int b, const uint8_t *mine)
{
    const int T = t->tp.T;
    const int size = (int)imageset_image_size(&t->data);
    int counts[T], offsets[T];
    for (int r = 0; r < T; r++) {
        int lo, hi;
        tensor_slice_range(b, T, r, &lo, &hi);
        counts[r] = (hi - lo) * size;
        offsets[r] = lo * size;
    }
    watchdog_enter("sharing the distortions", t->epoch, t->step + 1);
    MPI_Allgatherv(mine, counts[t->tp.t], MPI_BYTE, t->shared_batch, counts, offsets, MPI_BYTE,
                   t->tp.group);
    watchdog_leave();
    return t->shared_batch;
}

/* Fills the batch of step `step` (t->pixels, t->labels): the rows
 * themselves or, with [augment], their distortions from slot `slot`,
 * once made; the next step's are started first, so that the helper
 * thread makes them while this batch trains. The batch's size. */
static int assemble_batch(trainer_t *t, int64_t step, int slot)
{
    const uint8_t *distorted = NULL;
    if (augmenting(t)) {
        if (step + 1 < t->steps_per_epoch)
            distort_ahead(t, step + 1, !slot);
        distorted = augment_ahead_finish(&t->augment, slot);
    }
    int b = batch_rows(t, step, t->rows);
    if (distorted && t->tp.T > 1)
        distorted = share_distortions(t, b, distorted);
    const size_t size = (size_t)imageset_image_size(&t->data);
    for (int i = 0; i < b; i++) {
        t->pixels[i] = distorted ? distorted + i * size : imageset_image(&t->data, t->rows[i]);
        t->labels[i] = t->data.labels[t->rows[i]];
    }
    return b;
}

/* With an optimizer (optimizer.h), once the mean gradient is reduced: the
 * layers' sizes (summed over the groups' parts, and a sliced layer's over
 * the tensor group, so that every rank scales its slice alike), this
 * rank's part of the step, and with G > 1 the other groups' parts. */
static void optimize(trainer_t *t)
{
    optimizer_t *o = &t->opt;
    const tensor_t *tp = &t->tp;
    double sums[2 * OPT_MAX_LAYERS] = {0};
    int n_sliced = 0; /* the sliced layers come first (net.h's layout) */
    while (n_sliced < o->n_layers && o->layers[n_sliced].sliced)
        n_sliced++;
    watchdog_enter("the optimizer's step", t->epoch, t->step + 1);
    if (o->kind == OPT_LARS) {
        optimizer_layer_sums(o, &t->net, sums);
        if (tp->G > 1)
            MPI_Allreduce(MPI_IN_PLACE, sums, 2 * o->n_layers, MPI_DOUBLE, MPI_SUM, tp->slice);
        if (tp->T > 1 && n_sliced > 0)
            MPI_Allreduce(MPI_IN_PLACE, sums, 2 * n_sliced, MPI_DOUBLE, MPI_SUM, tp->group);
    }
    optimizer_step(o, &t->net, sums, (float)trainer_lr(t));
    if (tp->G > 1)
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, t->net.params, t->part_counts,
                       t->part_offsets, MPI_FLOAT, tp->slice);
    watchdog_leave();
}

/* The rest of an epoch in sync mode: every step one global batch, one
 * reduction, the same mean update on every rank. Rank 0 adds its part of
 * the update to the weights themselves and the other ranks put their part
 * alone in their (no longer needed) weight buffers, so the in-place sum over
 * the ranks IS the next weights: no separate update buffer, no apply pass. */
int trainer_epoch_sync(trainer_t *t)
{
    const shard_t *s = &t->shard;
    shard_epoch_order(s, t->cfg->seed, t->epoch, t->cfg->shuffle, t->order);
    int slot = 0; /* the distortions' slot of this step; the next step's is the other */
    if (augmenting(t) && t->step < t->steps_per_epoch)
        distort_ahead(t, t->step, slot);
    while (t->step < t->steps_per_epoch && !t->stop) {
        double t0 = now();
        int64_t step = t->step;
        int b = assemble_batch(t, step, slot);
        slot = !slot;
        /* the book's step adds into the weights (group 0) or replaces them
         * by the update (the others); an optimizer takes the mean gradient */
        float *out = reduction_buffer(t);
        float alpha = (t->optimizing ? 1.0f : (float)trainer_lr(t)) /
                      (float)shard_step_count(s, step);
        float beta = t->tp.g == 0 && !t->optimizing ? 1.0f : 0.0f;
        net_stats_t st = {0};
        if (fault_due(t) && !t->fault_mpi)
            t->net.params[0] = NAN;
        if (t->tp.T > 1) { /* the group's flags ride with the output sums */
            float flags[N_STATS - STAT_STOP];
            step_flags(t, flags);
            tensor_set_riders(&t->tp, flags, N_STATS - STAT_STOP);
        }
        if (b > 0)
            net_batch_update_pixels(&t->net, &t->work, t->pixels, t->labels, b, t->cfg->rule,
                                    alpha, beta, out, &st);
        else if (beta == 0.0f)
            memset(out, 0, t->net.n_floats * sizeof(float));
        put_stats(t, &st);
        double t1 = now();
        if (reduce_step(t) < 0)
            return -1;
        time_step(t, t0, t1);
        if (t->optimizing) {
            double t2 = now();
            optimize(t);
            t->optimizer_s += now() - t2;
        }
        trainer_after_step(t);
        if (t->cfg->log_every && t->step % t->cfg->log_every == 0)
            log_progress(t);
    }
    if (augmenting(t)) /* a stop: the next step's distortions, started, unused */
        augment_ahead_drain(&t->augment);
    return 0;
}

/* Averages the weights of all ranks (local mode), the figures and flags
 * riding along. */
int trainer_average_weights(trainer_t *t, const net_stats_t *st)
{
    put_stats(t, st);
    if (reduce_step(t) < 0)
        return -1;
    float inv = 1.0f / (float)t->tp.G;
    for (size_t i = 0; t->tp.G > 1 && i < t->net.n_floats; i++)
        t->net.params[i] *= inv;
    return 0;
}

/* Local mode with [augment]: starts distorting the lane's samples
 * [first, first + LOCAL_CHUNK) of this epoch's order in slot `slot`. */
static void local_distort_ahead(trainer_t *t, int64_t first, int slot)
{
    const shard_t *s = &t->shard;
    const int64_t mine = shard_lane_rows(s, s->lane_first);
    const int64_t end = first + LOCAL_CHUNK < mine ? first + LOCAL_CHUNK : mine;
    for (int64_t i = first; i < end; i++) {
        int64_t row = shard_local_index(s, s->lane_first, t->order[i]);
        augment_ahead_add(&t->augment, slot, imageset_image(&t->data, row), s->row_first + row);
    }
    augment_ahead_start(&t->augment, slot, t->epoch);
}

/* The image local mode shows at position i of the lane's order (local row
 * `row`): the row itself or, with [augment], its distortion for this
 * epoch -- a function of (seed, epoch, global row) alone, so every rank
 * count and a resumed run show the same. Distorted a chunk at a time, the
 * next chunk on the helper thread; the positions come in order, from the
 * one local_chunks_begin was given. */
static const uint8_t *local_sample(trainer_t *t, int64_t i, int64_t row)
{
    if (!augmenting(t))
        return imageset_image(&t->data, row);
    if (i >= t->chunk_end) { /* the chunk from i on is in chunk_slot */
        const int64_t mine = shard_lane_rows(&t->shard, t->shard.lane_first);
        t->chunk = augment_ahead_finish(&t->augment, t->chunk_slot);
        t->chunk_first = i;
        t->chunk_end = i + LOCAL_CHUNK < mine ? i + LOCAL_CHUNK : mine;
        t->chunk_slot = !t->chunk_slot;
        if (t->chunk_end < mine)
            local_distort_ahead(t, t->chunk_end, t->chunk_slot);
    }
    return t->chunk + (i - t->chunk_first) * imageset_image_size(&t->data);
}

/* Local mode with [augment]: the epoch's samples from position `first` on
 * are to come; their first chunk starts. */
static void local_chunks_begin(trainer_t *t, int64_t first)
{
    t->chunk_first = t->chunk_end = first;
    t->chunk_slot = 0;
    if (augmenting(t) && first < shard_lane_rows(&t->shard, t->shard.lane_first))
        local_distort_ahead(t, first, 0);
}

/* The rest of an epoch in local mode: each rank walks its lane sample by
 * sample (the book's loop) and the ranks average their weights every
 * sync_every samples (one "step") and at the end of the epoch. */
int trainer_epoch_local(trainer_t *t)
{
    const shard_t *s = &t->shard;
    const int64_t k = t->cfg->sync_every;
    const int64_t mine = shard_lane_rows(s, s->lane_first);
    shard_epoch_order(s, t->cfg->seed, t->epoch, t->cfg->shuffle, t->order);
    local_chunks_begin(t, t->step * k);
    while (t->step < t->steps_per_epoch && !t->stop) {
        double t0 = now();
        net_stats_t st = {0};
        int64_t first = t->step * k, end = first + k < mine ? first + k : mine;
        float lr = (float)trainer_lr(t);
        if (fault_due(t) && !t->fault_mpi)
            t->net.params[0] = NAN;
        net_loop_begin(&t->net, &t->work);
        for (int64_t i = first; i < end; i++) {
            int64_t row = shard_local_index(s, s->lane_first, t->order[i]);
            net_loop_sample(&t->net, &t->work, local_sample(t, i, row), t->data.labels[row],
                            lr, t->cfg->rule, &st);
        }
        net_loop_end(&t->net, &t->work);
        double t1 = now();
        if (t->size > 1) {
            if (trainer_average_weights(t, &st) < 0)
                return -1;
        } else {
            if (!isfinite(st.loss_sum))
                return error_set("training diverged at epoch %d step %lld: the loss is %g "
                                 "(learning rate %g too high?)", t->epoch, (long long)t->step + 1,
                                 st.loss_sum, lr);
            if (t->ckpt_failures >= CKPT_MAX_FAILURES)
                return trainer_ckpt_give_up(t);
            t->epoch_stats.loss_sum += st.loss_sum;
            t->epoch_stats.correct += st.correct;
            t->epoch_stats.count += st.count;
            t->stop = preempt_signal() != 0;
            t->timer = timer_flag(t) > 0;
        }
        time_step(t, t0, t1);
        trainer_after_step(t);
        if (t->cfg->log_every && t->step % t->cfg->log_every == 0)
            log_progress(t);
    }
    if (augmenting(t)) /* a stop: the next chunk, started, unused */
        augment_ahead_drain(&t->augment);
    return 0;
}
