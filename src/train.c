#include "nnmpi/train.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/eval.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/log.h"
#include "nnmpi/metrics.h"
#include "nnmpi/shard.h"

/* Figures that ride along at the end of every reduction buffer, so a step
 * needs one MPI_Allreduce for the update, the statistics and the news that
 * some rank has failed. */
enum { STAT_LOSS, STAT_CORRECT, STAT_COUNT, STAT_FAILED, N_STATS };

typedef struct {
    const config_t *cfg;
    int rank, size;
    shard_t shard;
    imageset_t data;     /* this rank's training rows, in shard order */
    imageset_t test;     /* rank 0 only */
    net_t net;
    net_work_t work;
    uint8_t *labels;     /* [batch capacity] labels of the current batch */
    float *reduce;       /* [n_params + N_STATS] update sums (or weights), then stats */
    uint32_t *order;     /* [lane_count * steps] this epoch's visiting order */
    metrics_t metrics;
    double t_start;
    double read_s;       /* seconds to read the shard */
    int64_t total_steps; /* over the whole run, for the lr schedule */
    int64_t steps_done;
    char model_path[CONFIG_PATH_MAX + 32];
    char metrics_path[CONFIG_PATH_MAX + 32];
} trainer_t;

/* Every rank passes its status; all learn whether anyone failed. The lowest
 * failing rank keeps its own message and returns TRAIN_FAILED (its message
 * is printed); the others return TRAIN_FAILED_ELSEWHERE. */
static int agree(const trainer_t *t, int status)
{
    int mine = status < 0 ? t->rank : INT_MAX, first = INT_MAX;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == INT_MAX)
        return 0;
    if (first == t->rank)
        return TRAIN_FAILED;
    error_set("stopped because rank %d failed", first);
    return TRAIN_FAILED_ELSEWHERE;
}

static void trainer_free(trainer_t *t)
{
    imageset_free(&t->data);
    imageset_free(&t->test);
    net_free(&t->net);
    net_work_free(&t->work);
    free(t->labels);
    free(t->reduce);
    free(t->order);
    metrics_free(&t->metrics);
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static int setup_local(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    dataset_info_t info;
    if (dataset_info(cfg->data_file, &info) < 0)
        return -1;
    int64_t n_rows = info.n_train;
    dataset_info_free(&info);

    int lanes = cfg->mode == TRAIN_MODE_SYNC ? cfg->batch : t->size;
    if (shard_init(&t->shard, n_rows, lanes, t->rank, t->size) < 0)
        return error_prefix("%s", cfg->data_file);
    double t0 = MPI_Wtime();
    if (dataset_read_shard(cfg->data_file, &t->shard, &t->data) < 0)
        return -1;
    t->read_s = MPI_Wtime() - t0;
    if (t->rank == 0 && dataset_read_split(cfg->data_file, "test", &t->test) < 0)
        return -1;

    int capacity = cfg->mode == TRAIN_MODE_SYNC ? t->shard.lane_count : 1;
    if (net_init(&t->net, 784, cfg->hidden, 10) < 0 ||
        net_work_init(&t->work, &t->net, capacity) < 0)
        return -1;
    t->labels = malloc((size_t)capacity);
    t->reduce = malloc((t->net.n_params + N_STATS) * sizeof(float));
    t->order = malloc((size_t)t->shard.lane_count * (size_t)t->shard.steps * sizeof(uint32_t));
    if (!t->labels || !t->reduce || !t->order)
        return error_set("out of memory for the training buffers");
    return 0;
}

static int setup_output(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    snprintf(t->model_path, sizeof t->model_path, "%s/model.h5", cfg->dir);
    snprintf(t->metrics_path, sizeof t->metrics_path, "%s/metrics.csv", cfg->dir);
    if (t->rank != 0)
        return 0;
    if (fs_mkdir_p(cfg->dir) < 0)
        return error_prefix("[output] dir");
    char text_path[CONFIG_PATH_MAX + 32];
    snprintf(text_path, sizeof text_path, "%s/config.ini", cfg->dir);
    char *text = config_to_text(cfg);
    int rc = text ? fs_write_text(text_path, text) : -1;
    free(text);
    return rc;
}

/* Rank 0 draws the initial weights and everyone takes them, so all ranks
 * start identical even if their maths libraries differ. */
static int init_weights(trainer_t *t)
{
    if (t->rank == 0) {
        rng_t rng;
        rng_seed(&rng, t->cfg->seed, 0);
        net_init_weights(&t->net, &rng);
    }
    int rc = MPI_Bcast(t->net.params, (int)t->net.n_params, MPI_FLOAT, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : error_set("MPI_Bcast of the initial weights failed");
}

static void log_config(const trainer_t *t)
{
    const config_t *cfg = t->cfg;
    char *text = config_to_text(cfg);
    log_info("nnmpi train: %d rank%s, config %s", t->size, t->size > 1 ? "s" : "",
             cfg->source[0] ? cfg->source : "(defaults)");
    if (text) {
        log_info("--- resolved configuration ---\n%s------------------------------", text);
        free(text);
    }
    log_info("data: %lld training rows (rank 0 holds %lld, %.1f MiB, read in %.2f s), %lld test "
             "rows; network 784-%d-10, %zu parameters",
             (long long)t->shard.n_rows, (long long)t->shard.n_local,
             t->shard.n_local * 785.0 / (1 << 20), t->read_s, (long long)t->test.count,
             cfg->hidden, t->net.n_params);
}

/* Sums the reduction buffer over all ranks and checks the shared verdict. */
static int reduce_step(trainer_t *t, size_t n, int epoch, int64_t step)
{
    int rc = MPI_Allreduce(MPI_IN_PLACE, t->reduce, (int)(n + N_STATS), MPI_FLOAT, MPI_SUM,
                           MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return error_set("MPI_Allreduce failed at epoch %d step %lld", epoch, (long long)step);
    const float *stats = t->reduce + n;
    if (stats[STAT_FAILED] != 0.0f)
        return error_set("a rank reported a failure at epoch %d step %lld", epoch, (long long)step);
    if (!isfinite(stats[STAT_LOSS]))
        return error_set("training diverged at epoch %d step %lld: the loss is %g (learning "
                         "rate %g too high?)",
                         epoch, (long long)step, (double)stats[STAT_LOSS], t->cfg->lr);
    return 0;
}

static void put_stats(trainer_t *t, size_t n, const net_stats_t *st)
{
    float *stats = t->reduce + n;
    stats[STAT_LOSS] = (float)st->loss_sum;
    stats[STAT_CORRECT] = (float)st->correct;
    stats[STAT_COUNT] = (float)st->count;
    stats[STAT_FAILED] = 0.0f;
}

static void add_stats(net_stats_t *total, const float *stats)
{
    total->loss_sum += stats[STAT_LOSS];
    total->correct += (int64_t)stats[STAT_CORRECT];
    total->count += (int64_t)stats[STAT_COUNT];
}

static double current_lr(const trainer_t *t)
{
    return config_lr_at(t->cfg, (double)t->steps_done / (double)t->total_steps);
}

static void log_progress(const trainer_t *t, int epoch, int64_t step, int64_t steps,
                         const net_stats_t *st, double t_epoch)
{
    double now = MPI_Wtime();
    log_info("  epoch %d step %lld/%lld | loss %.4f | train acc %.2f%% | lr %.4g | %.0f samples/s",
             epoch, (long long)step, (long long)steps, st->count ? st->loss_sum / st->count : 0.0,
             st->count ? 100.0 * st->correct / st->count : 0.0, current_lr(t),
             st->count / (now - t_epoch));
}

/* One epoch of sync mode: every step one global batch, one reduction. */
static int epoch_sync(trainer_t *t, int epoch, net_stats_t *total, double t_epoch)
{
    const shard_t *s = &t->shard;
    const size_t n = t->net.n_params;
    shard_epoch_order(s, t->cfg->seed, epoch, t->cfg->shuffle, t->order);
    for (int64_t step = 0; step < s->steps; step++) {
        int b = 0;
        for (int j = 0; j < s->lane_count; j++) {
            int lane = s->lane_first + j;
            if (step >= shard_lane_rows(s, lane))
                continue;
            int64_t row = shard_local_index(s, lane, t->order[(size_t)j * s->steps + step]);
            net_scale_input(imageset_image(&t->data, row), t->work.x + (size_t)b * 784, 784);
            t->labels[b++] = t->data.labels[row];
        }
        net_stats_t st = {0};
        if (b > 0)
            net_batch_delta(&t->net, &t->work, t->labels, b, t->cfg->rule, t->reduce, &st);
        else
            memset(t->reduce, 0, n * sizeof(float));
        put_stats(t, n, &st);
        if (reduce_step(t, n, epoch, step) < 0)
            return -1;
        add_stats(total, t->reduce + n);
        int count = shard_step_count(s, step);
        net_apply_delta(&t->net, t->reduce, (float)(current_lr(t) / count));
        t->steps_done++;
        if (t->cfg->log_every && (step + 1) % t->cfg->log_every == 0)
            log_progress(t, epoch, step + 1, s->steps, total, t_epoch);
    }
    return 0;
}

/* Averages the weights of all ranks (local mode), with the stats riding
 * along. */
static int average_weights(trainer_t *t, int epoch, int64_t step, const net_stats_t *st)
{
    const size_t n = t->net.n_params;
    memcpy(t->reduce, t->net.params, n * sizeof(float));
    put_stats(t, n, st);
    if (reduce_step(t, n, epoch, step) < 0)
        return -1;
    float inv = 1.0f / (float)t->size;
    for (size_t i = 0; i < n; i++)
        t->net.params[i] = t->reduce[i] * inv;
    return 0;
}

/* One epoch of local mode: each rank walks its lane sample by sample (the
 * book's loop) and the ranks average their weights every sync_every
 * samples. */
static int epoch_local(trainer_t *t, int epoch, net_stats_t *total, double t_epoch)
{
    const shard_t *s = &t->shard;
    const int64_t k = t->cfg->sync_every;
    const int64_t mine = shard_lane_rows(s, s->lane_first);
    const int64_t rounds = (s->steps + k - 1) / k; /* the same on every rank */
    shard_epoch_order(s, t->cfg->seed, epoch, t->cfg->shuffle, t->order);
    for (int64_t r = 0; r < rounds; r++) {
        net_stats_t st = {0};
        int64_t end = (r + 1) * k < mine ? (r + 1) * k : mine;
        float lr = (float)current_lr(t);
        for (int64_t i = r * k; i < end; i++) {
            int64_t row = shard_local_index(s, s->lane_first, t->order[i]);
            net_scale_input(imageset_image(&t->data, row), t->work.x, 784);
            net_train_sample(&t->net, &t->work, t->data.labels[row], lr, t->cfg->rule, &st);
        }
        if (t->size > 1) {
            if (average_weights(t, epoch, r, &st) < 0)
                return -1;
            add_stats(total, t->reduce + t->net.n_params);
        } else {
            if (!isfinite(st.loss_sum))
                return error_set("training diverged at epoch %d: the loss is %g (learning "
                                 "rate %g too high?)", epoch, st.loss_sum, t->cfg->lr);
            total->loss_sum += st.loss_sum;
            total->correct += st.correct;
            total->count += st.count;
        }
        t->steps_done++;
        if (t->cfg->log_every && (r + 1) % t->cfg->log_every == 0)
            log_progress(t, epoch, (r + 1) * k, s->steps, total, t_epoch);
    }
    return 0;
}

static void format_duration(double s, char *buf, size_t size)
{
    if (s < 60)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

/* Rank 0's duties after an epoch: evaluate, log, write metrics.csv. */
static int finish_epoch(trainer_t *t, int epoch, const net_stats_t *st, double train_s)
{
    if (t->rank != 0)
        return 0;
    eval_result_t ev;
    if (eval_run(&t->net, &t->test, &ev) < 0)
        return -1;
    metrics_row_t row = {
        .epoch = epoch,
        .train_loss = st->count ? st->loss_sum / st->count : 0.0,
        .train_accuracy = st->count ? (double)st->correct / st->count : 0.0,
        .test_accuracy = eval_accuracy(&ev),
        .lr = current_lr(t),
        .samples_per_s = train_s > 0 ? st->count / train_s : 0.0,
        .wall_s = MPI_Wtime() - t->t_start,
        .ranks = t->size,
    };
    if (metrics_append(&t->metrics, &row) < 0)
        return -1;
    char elapsed[32], eta[32];
    format_duration(row.wall_s, elapsed, sizeof elapsed);
    format_duration(row.wall_s / epoch * (t->cfg->epochs - epoch), eta, sizeof eta);
    log_info("epoch %d/%d | loss %.4f | train %.2f%% | test %.2f%% | lr %.4g | %.0f samples/s | "
             "elapsed %s | ETA %s",
             epoch, t->cfg->epochs, row.train_loss, 100 * row.train_accuracy,
             100 * row.test_accuracy, row.lr, row.samples_per_s, elapsed, eta);
    return metrics_write_csv(t->metrics_path, &t->metrics);
}

static int write_model(trainer_t *t, int epochs_done)
{
    if (t->rank != 0)
        return 0;
    ckpt_meta_t meta = {
        .epoch = epochs_done,
        .step = 0,
        .seed = t->cfg->seed,
        .world_size = t->size,
        .rule = t->cfg->rule,
        .config_text = config_to_text(t->cfg),
        .metrics = t->metrics,
    };
    int rc = meta.config_text ? ckpt_write(t->model_path, &t->net, &meta) : -1;
    free(meta.config_text);
    return rc;
}

int train_run(const config_t *cfg, train_result_t *result)
{
    trainer_t t = {.cfg = cfg};
    memset(result, 0, sizeof *result);
    MPI_Comm_rank(MPI_COMM_WORLD, &t.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &t.size);
    t.t_start = MPI_Wtime();
    openblas_set_num_threads(cfg->threads);

    int rc = agree(&t, setup_output(&t));
    rc = rc ? rc : agree(&t, setup_local(&t));
    rc = rc ? rc : agree(&t, init_weights(&t));
    if (rc) {
        trainer_free(&t);
        return rc;
    }
    log_config(&t);
    int64_t per_epoch = cfg->mode == TRAIN_MODE_SYNC
                            ? t.shard.steps
                            : (t.shard.steps + cfg->sync_every - 1) / cfg->sync_every;
    t.total_steps = per_epoch * cfg->epochs;

    double train_time = 0;
    int64_t trained = 0;
    for (int epoch = 1; epoch <= cfg->epochs && !rc; epoch++) {
        net_stats_t st = {0};
        double t0 = MPI_Wtime();
        int status = cfg->mode == TRAIN_MODE_SYNC ? epoch_sync(&t, epoch, &st, t0)
                                                   : epoch_local(&t, epoch, &st, t0);
        if (status == 0 && cfg->mode == TRAIN_MODE_LOCAL && t.size > 1)
            status = average_weights(&t, epoch, -1, &(net_stats_t){0});
        /* the reductions gave every rank the same verdict and message: rank 0
         * reports it, the others stay quiet */
        if (status < 0) {
            rc = t.rank == 0 ? TRAIN_FAILED : TRAIN_FAILED_ELSEWHERE;
            break;
        }
        double dt = MPI_Wtime() - t0;
        train_time += dt;
        trained += st.count;
        rc = agree(&t, finish_epoch(&t, epoch, &st, dt));
    }
    rc = rc ? rc : agree(&t, write_model(&t, cfg->epochs));

    double rss = peak_rss_mib(), rss_max = 0;
    MPI_Reduce(&rss, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (!rc) {
        result->test_accuracy = t.metrics.count ? t.metrics.rows[t.metrics.count - 1].test_accuracy
                                                : 0.0;
        result->samples_per_s = train_time > 0 ? trained / train_time : 0.0;
        result->wall_s = MPI_Wtime() - t.t_start;
        log_info("done: test accuracy %.2f%% | %.0f samples/s | %.1f s | peak memory per rank "
                 "%.0f MiB (shard %.1f MiB)\nmodel:   %s\nmetrics: %s",
                 100 * result->test_accuracy, result->samples_per_s, result->wall_s, rss_max,
                 t.shard.n_local * 785.0 / (1 << 20), t.model_path, t.metrics_path);
    }
    trainer_free(&t);
    return rc;
}
