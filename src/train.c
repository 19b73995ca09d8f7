/* train: the training run (train.h) -- the epochs from the current
 * position to the end or to a stop, rank 0's evaluation after each, and the
 * end of the run. */
#include "train_internal.h"

#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nnmpi/error.h"
#include "nnmpi/eval.h"
#include "nnmpi/log.h"
#include "nnmpi/preempt.h"
#include "nnmpi/sha256.h"
#include "nnmpi/watchdog.h"

static void trainer_free(trainer_t *t)
{
    augment_ahead_free(&t->augment); /* first: its helper thread reads t->data */
    group_rows_free(&t->rows_held, &t->data); /* collective when shared */
    imageset_free(&t->test);
    net_free(&t->net);
    net_free(&t->full);
    optimizer_free(&t->opt);
    free(t->part_counts);
    free(t->part_offsets);
    free(t->part_grad);
    net_free(&t->velocity_full);
    net_work_free(&t->work);
    tensor_free(&t->tp);
    free(t->shared_batch);
    free(t->labels);
    free(t->rows);
    free(t->pixels);
    free(t->order);
    free(t->data_id);
    free(t->class_names);
    metrics_free(&t->metrics);
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* The test accuracy of the whole net: every rank evaluates a share of the
 * test set, rank 0 adds them up (collective; the same verdict on every
 * rank). The shares are eval_run's own batches, so the figure is the one
 * `nnmpi eval` gives for the model. */
static int evaluate(trainer_t *t, double *accuracy)
{
    eval_result_t ev;
    int64_t mine[3] = {0, 0, 0}, sum[3];
    if (eval_run_share(whole(t), &t->test, t->rank, t->size, &ev) < 0)
        mine[2] = 1; /* failed: said in error_message() */
    else
        mine[0] = ev.correct, mine[1] = ev.count;
    eval_result_free(&ev);
    watchdog_enter("the evaluation", t->epoch, t->step);
    MPI_Allreduce(mine, sum, 3, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    watchdog_leave();
    if (sum[2] > 0)
        return mine[2] ? -1 : error_set("the evaluation failed on another rank");
    *accuracy = sum[1] ? (double)sum[0] / (double)sum[1] : 0.0;
    return 0;
}

/* After an epoch: evaluate (all ranks), and rank 0 logs and writes
 * metrics.csv. */
static int finish_epoch(trainer_t *t, double train_s)
{
    double test_accuracy = 0.0;
    if (evaluate(t, &test_accuracy) < 0)
        return -1;
    if (t->rank != 0)
        return 0;
    const net_stats_t *st = &t->epoch_stats;
    metrics_row_t row = {
        .epoch = t->epoch,
        .train_loss = st->count ? st->loss_sum / st->count : 0.0,
        .train_accuracy = st->count ? (double)st->correct / st->count : 0.0,
        .test_accuracy = test_accuracy,
        .lr = trainer_lr(t),
        .samples_per_s = train_s > 0 ? st->count / train_s : 0.0,
        .wall_s = now() - t->t_start,
        .ranks = t->size,
    };
    if (metrics_append(&t->metrics, &row) < 0)
        return -1;
    char elapsed[32], eta[32];
    log_format_duration(row.wall_s, elapsed, sizeof elapsed);
    log_format_duration(row.wall_s / t->epoch * (t->cfg->epochs - t->epoch), eta, sizeof eta);
    log_info("epoch %d/%d | loss %.4f | train %.2f%% | test %.2f%% | lr %.4g | %.0f samples/s | "
             "elapsed %s | ETA %s",
             t->epoch, t->cfg->epochs, row.train_loss, 100 * row.train_accuracy,
             100 * row.test_accuracy, row.lr, row.samples_per_s, elapsed, eta);
    return metrics_write_csv(t->metrics_path, &t->metrics);
}

/* Whether the n floats v are bit-identical on every rank of comm; where
 * they are not, every rank takes comm's rank 0's (and 1 is returned on
 * every rank). A hash that cannot be made (out of memory) differs from
 * the others' and so takes rank 0's, which is always safe. */
static int take_rank0_if_differ(float *v, size_t n, MPI_Comm comm, int rank)
{
    uint8_t digest[32] = {0};
    unsigned long long mine, lo, hi;
    if (sha256_buffer(v, n * sizeof(float), digest) < 0)
        digest[0] = (uint8_t)(1 + rank % 255);
    memcpy(&mine, digest, sizeof mine);
    MPI_Allreduce(&mine, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm);
    MPI_Allreduce(&mine, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm);
    if (lo != hi)
        MPI_Bcast(v, (int)n, MPI_FLOAT, 0, comm);
    return lo != hi;
}

/* The ranks' weights must be bit-identical (they apply the same reduced
 * update); MPI does not promise a reduction gives every rank the same bits,
 * so this checks it once an epoch and, should they differ, takes rank 0's.
 * With slices: the ranks of one slice (over the groups), then the
 * replicated layers within each group (tensor.h), whose ranks compute
 * them alike from output sums that MPI does not promise alike either. */
static void check_weights_agree(trainer_t *t)
{
    const tensor_t *tp = &t->tp;
    const size_t cut = tp->T > 1 ? tensor_sliced_floats(&t->net) : t->net.n_floats;
    watchdog_enter("comparing the ranks' weights", t->epoch, t->step);
    if (tp->G > 1 && take_rank0_if_differ(t->net.params, t->net.n_floats,
                                          tp->T > 1 ? tp->slice : MPI_COMM_WORLD, t->rank))
        log_info("note: the ranks' weights differed in the last bits after epoch %d; all take "
                 "rank 0's%s", t->epoch, tp->T > 1 ? " (its group's)" : "");
    int group_differs = cut < t->net.n_floats &&
                        take_rank0_if_differ(t->net.params + cut, t->net.n_floats - cut,
                                             tp->group, t->rank);
    int any = 0;
    if (cut < t->net.n_floats) /* one line from rank 0, whichever group it was */
        MPI_Allreduce(&group_differs, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any)
        log_info("note: the replicated layers of a group's ranks differed in the last bits "
                 "after epoch %d; each takes its group's first rank's", t->epoch);
    watchdog_leave();
}

/* Runs epochs from the current position to the end, or until a rank is
 * asked to stop. Returns 0, EXIT_STOPPED, or EXIT_FAILURE_RUN. */
static int run_epochs(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    for (; t->epoch <= cfg->epochs; t->epoch++) {
        t->epoch_t0 = now();
        int status = cfg->mode == TRAIN_MODE_SYNC ? trainer_epoch_sync(t) : trainer_epoch_local(t);
        if (status == 0 && t->step == t->steps_per_epoch && cfg->mode == TRAIN_MODE_LOCAL &&
            t->size > 1)
            status = trainer_average_weights(t, &(net_stats_t){0});
        /* the reductions gave every rank the same verdict and message */
        if (status < 0)
            return EXIT_FAILURE_RUN;
        if (t->step < t->steps_per_epoch)
            break; /* stopped mid-epoch; trainer_after_step wrote the checkpoint */
        double train_s = t->epoch_train_s + (now() - t->epoch_t0);
        int rc = agree(t, trainer_gather(t));
        rc = rc ? rc : agree(t, finish_epoch(t, train_s));
        if (rc)
            return rc;
        if (cfg->query_every_epoch && t->epoch < cfg->epochs)
            trainer_answer_own_images(t);
        check_weights_agree(t);
        int last = t->epoch == cfg->epochs;
        if (last || t->stop || t->timer ||
            (cfg->ckpt_every_epochs && t->epoch % cfg->ckpt_every_epochs == 0) ||
            (cfg->ckpt_every_steps && (int64_t)t->epoch * t->steps_per_epoch %
                                              cfg->ckpt_every_steps == 0))
            trainer_write_checkpoint(t, 1);
        memset(&t->epoch_stats, 0, sizeof t->epoch_stats);
        t->epoch_train_s = 0;
        t->step = 0;
        if (t->stop && !last) {
            t->epoch++; /* stopped at the start of the next epoch */
            break;
        }
    }
    if (t->stop && t->epoch <= cfg->epochs) {
        int sig = preempt_signal();
        char why[64];
        snprintf(why, sizeof why, sig ? "signal %d (%s)" : "a signal to another rank", sig,
                 sig == SIGTERM ? "SIGTERM" : sig == SIGUSR1 ? "SIGUSR1" : "SIGINT");
        log_info("stopped by %s at epoch %d step %lld/%lld: checkpoint %s; continue with "
                 "--resume auto (exit status %d)", why, t->epoch, (long long)t->step,
                 (long long)t->steps_per_epoch, t->ckpt_path, EXIT_STOPPED);
        return EXIT_STOPPED;
    }
    return 0;
}

/* Where the run ended, for the caller's last word (rank 0). */
static void fill_result(const trainer_t *t, int rc, train_result_t *result)
{
    const metrics_t *m = &t->metrics;
    result->test_accuracy = m->count ? m->rows[m->count - 1].test_accuracy : 0.0;
    result->samples_per_s = m->count ? m->rows[m->count - 1].samples_per_s : 0.0;
    result->wall_s = now() - t->t_start;
    result->epochs_done = rc == 0 ? t->cfg->epochs : t->epoch - 1;
    result->step = rc == 0 ? 0 : t->step;
    snprintf(result->checkpoint, sizeof result->checkpoint, "%s", t->ckpt_path);
    if (rc == 0)
        snprintf(result->model, sizeof result->model, "%s", t->model_path);
}

int train_run(const config_t *cfg, runstart_t *start, train_result_t *result)
{
    trainer_t t = {.cfg = cfg, .start = start, .epoch = 1, .best_accuracy = -1.0,
                   .tp = {.T = 1, .G = 1, .group = MPI_COMM_NULL, .slice = MPI_COMM_NULL},
                   .rows_held = {.win = MPI_WIN_NULL}};
    memset(result, 0, sizeof *result);
    MPI_Comm_rank(MPI_COMM_WORLD, &t.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &t.size);
    t.t_start = now();
    t.last_ckpt_t = t.heartbeat_t = t.t_start;
    openblas_set_num_threads(cfg->threads);
    trainer_output_paths(&t);

    int rc = trainer_prepare(&t);
    if (rc) {
        trainer_free(&t);
        return rc;
    }
    if (t.epoch > cfg->epochs)
        log_info("the checkpoint has all %d epochs done: nothing to train", cfg->epochs);

    double t_train = now();
    rc = run_epochs(&t);
    double train_s = now() - t_train;
    if (rc == 0)
        rc = agree(&t, trainer_write_model(&t));
    if (rc == 0) {
        trainer_answer_own_images(&t);
        trainer_write_backquery(&t);
    }

    trainer_log_step_times(&t, rc == 0 || rc == EXIT_STOPPED);
    double rss = peak_rss_mib(), rss_max = 0;
    watchdog_enter("the closing figures", t.epoch, t.step);
    MPI_Reduce(&rss, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    watchdog_leave();
    fill_result(&t, rc, result);
    char held[64] = ""; /* shared pages count in every rank's resident figure */
    if (group_rows_shared(&t.rows_held))
        snprintf(held, sizeof held, ", held once by each group of %d ranks", t.tp.T);
    if (rc == 0)
        log_info("done: test accuracy %.2f%% | %.1f s this session, %.1f s in all | peak memory "
                 "per rank %.0f MiB (shard %.1f MiB%s)\nmodel:   %s\nmetrics: %s",
                 100 * result->test_accuracy, train_s, result->wall_s, rss_max,
                 t.shard.n_local * 785.0 / (1 << 20), held, t.model_path, t.metrics_path);
    trainer_free(&t);
    return rc;
}
