#include "nnmpi/train.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nnmpi/agree.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/ckptdir.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/eval.h"
#include "nnmpi/exitstatus.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/log.h"
#include "nnmpi/metrics.h"
#include "nnmpi/preempt.h"
#include "nnmpi/query.h"
#include "nnmpi/sha256.h"
#include "nnmpi/shard.h"
#include "nnmpi/sparse_rows.h"
#include "nnmpi/watchdog.h"

/* Figures that ride along at the end of every reduction buffer, so a step
 * needs one MPI_Allreduce for the update, the statistics, and the news that
 * some rank was asked to stop or that rank 0's checkpoint timer ran out. */
enum { STAT_LOSS, STAT_CORRECT, STAT_COUNT, STAT_STOP, STAT_TIMER, STAT_CKPT_FAILED, N_STATS };

/* Checkpoint writes that may fail in a row before training stops (exit 1):
 * one failure (a full disk freed a moment later, a network file system's
 * hiccup) is a warning and training goes on, the previous checkpoint being
 * whole; a run that keeps failing would train on unprotected, to lose it all
 * at the next preemption or at the end, where model.h5 cannot be written
 * either. */
#define CKPT_MAX_FAILURES 3

typedef struct {
    const config_t *cfg;
    runstart_t *start;   /* how the run started; its lock and lineage (rank 0) */
    int rank, size;
    shard_t shard;
    imageset_t data;     /* this rank's training rows, in shard order */
    imageset_t test;     /* rank 0 only */
    net_t net;
    net_work_t work;
    uint8_t *labels;     /* [batch capacity] labels of the current batch */
    const uint8_t **pixels; /* [batch capacity] its images (views into data) */
    uint32_t *order;     /* [lane_count * steps] this epoch's visiting order */
    char *data_id;       /* the dataset's identity, checked on resume */
    metrics_t metrics;   /* rank 0 */
    double t_start;      /* MPI_Wtime of the run's start, over all sessions */
    double read_s;       /* seconds to read the shard */

    /* where the run is */
    int epoch;               /* the epoch in progress, 1-based */
    int64_t step;            /* steps done in it */
    int64_t steps_per_epoch; /* sync: batches; local: averaging rounds */
    int64_t total_steps;     /* over the whole run, for the lr schedule */
    net_stats_t epoch_stats; /* the epoch's figures so far */
    double epoch_train_s;    /* training seconds of this epoch so far */
    double epoch_t0;         /* when this session's part of the epoch began */
    double compute_s;        /* this session: seconds computing steps */
    double reduce_s;         /* and in their reductions, waiting for the others included */
    int64_t steps_timed;
    int stop;                /* agreed: some rank was asked to stop */
    int timer;               /* agreed: rank 0's checkpoint timer ran out */
    int64_t fault_step;      /* test hook NNMPI_FAULT (see fault_parse); 0: none */
    int fault_rank;

    /* checkpoints (rank 0) */
    double best_accuracy;    /* best test accuracy among the epochs, or -1 */
    double last_ckpt_t;      /* MPI_Wtime of the last checkpoint */
    double heartbeat_t;      /* ... and of the run lock's last heartbeat */
    char ckpt_path[4096];    /* the last one written */
    int ckpt_failures;       /* checkpoint writes failed in a row */
    char ckpt_error[1024];   /* why the last one failed */
    char model_path[CONFIG_PATH_MAX + 32];
    char metrics_path[CONFIG_PATH_MAX + 32];
} trainer_t;

/* Every rank passes its status (0, or -1 with its message); all learn
 * whether anyone failed and return the same exit status with the lowest
 * failing rank's message, naming it (agree.h). */
static int agree(const trainer_t *t, int status)
{
    (void)t;
    return agree_all(status < 0 ? EXIT_FAILURE_RUN : status, NULL);
}

static void trainer_free(trainer_t *t)
{
    imageset_free(&t->data);
    imageset_free(&t->test);
    net_free(&t->net);
    net_work_free(&t->work);
    free(t->labels);
    free(t->pixels);
    free(t->order);
    free(t->data_id);
    metrics_free(&t->metrics);
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static double now(void)
{
    return MPI_Wtime();
}

/* Fault injection for the tests only (tests/e2e/faults.sh), never set in a
 * real run: NNMPI_FAULT=nan:RANK:STEP makes rank RANK's share of step STEP
 * of the run (1-based, counted over all epochs) NaN, its loss and its
 * update, as a rank whose arithmetic went wrong would deliver it. (The
 * book's sigmoid net saturates rather than overflow, even at lr 1e6, so no
 * configuration makes a real NaN to test with.) Read once, at start. */
static int fault_parse(trainer_t *t)
{
    const char *spec = getenv("NNMPI_FAULT");
    if (!spec || !*spec)
        return 0;
    long long step;
    int rank, used = 0;
    if (sscanf(spec, "nan:%d:%lld%n", &rank, &step, &used) != 2 || spec[used] || step < 1 ||
        rank < 0)
        return error_set("NNMPI_FAULT='%s': expected nan:RANK:STEP (a test hook)", spec);
    t->fault_rank = rank;
    t->fault_step = step;
    return 0;
}

/* Whether this rank is to poison the step in progress. */
static int fault_due(const trainer_t *t)
{
    return t->fault_step && t->rank == t->fault_rank &&
           (int64_t)(t->epoch - 1) * t->steps_per_epoch + t->step + 1 == t->fault_step;
}

/* ------------------------------------------------------------------ setup */

/* What the ranks must agree on about the data file each of them opened. */
static void data_items(const dataset_info_t *info, const char *sample, agree_list_t *items)
{
    char sources[65];
    const char *src = info->source_sha256 ? info->source_sha256 : "?";
    sha256_buffer_hex(src, strlen(src), sources);
    agree_add(items, "the data file's training rows", "%lld", (long long)info->n_train);
    agree_add(items, "the data file's test rows", "%lld", (long long)info->n_test);
    agree_add(items, "the data file's augmentation", "%s",
              info->augmentation ? info->augmentation : "?");
    agree_add(items, "the data file's order seed", "%lld", (long long)info->shuffle_seed);
    agree_add(items, "the data file's sources", "checksums %.16s", sources);
    agree_add(items, "the data file's rows (a sample)", "sha256 %.16s", sample);
}

/* Every rank opens the data file and all agree that it is the same data: a
 * copy on one host prepared otherwise (another seed, other rows) would
 * train a mixture, or make the ranks disagree on the number of steps. The
 * identity is also what a checkpoint records, so a resume refuses other
 * data (the test set included). Returns 0 or an exit status. */
static int open_data(trainer_t *t, int64_t *n_rows)
{
    const config_t *cfg = t->cfg;
    dataset_info_t info;
    char sample[65] = "";
    agree_list_t items = {0};
    int status = dataset_info(cfg->data_file, &info) < 0 ||
                 dataset_sample_sha256(cfg->data_file, &info, sample) < 0;
    if (!status)
        data_items(&info, sample, &items);
    status = agree_all(status ? EXIT_FAILURE_RUN : 0, &items);
    if (!status) {
        char id[4096];
        snprintf(id, sizeof id, "%lld rows; %s; order seed %lld; %s; test %lld rows; sample %.16s",
                 (long long)info.n_train, info.augmentation ? info.augmentation : "?",
                 (long long)info.shuffle_seed, info.source_sha256 ? info.source_sha256 : "?",
                 (long long)info.n_test, sample);
        t->data_id = strdup(id);
        *n_rows = info.n_train;
        if (!t->data_id)
            status = agree_all((error_set("out of memory"), EXIT_FAILURE_RUN), NULL);
    }
    dataset_info_free(&info);
    return status;
}

static int setup_local(trainer_t *t, int64_t n_rows)
{
    const config_t *cfg = t->cfg;
    int lanes = cfg->mode == TRAIN_MODE_SYNC ? cfg->batch : t->size;
    if (shard_init(&t->shard, n_rows, lanes, t->rank, t->size) < 0)
        return error_prefix("%s", cfg->data_file);
    double t0 = now();
    if (dataset_read_shard(cfg->data_file, &t->shard, &t->data) < 0)
        return -1;
    t->read_s = now() - t0;
    if (t->rank == 0 && dataset_read_split(cfg->data_file, "test", &t->test) < 0)
        return -1;

    int capacity = cfg->mode == TRAIN_MODE_SYNC ? t->shard.lane_count : 1;
    if (net_init_room(&t->net, 784, cfg->hidden, 10, N_STATS) < 0 ||
        net_work_init_pixels(&t->work, &t->net, capacity) < 0)
        return -1;
    t->labels = malloc((size_t)capacity);
    t->pixels = malloc((size_t)capacity * sizeof *t->pixels);
    t->order = malloc((size_t)t->shard.lane_count * (size_t)t->shard.steps * sizeof(uint32_t));
    if (!t->labels || !t->pixels || !t->order)
        return error_set("out of memory for the training buffers");
    t->steps_per_epoch = cfg->mode == TRAIN_MODE_SYNC
                             ? t->shard.steps
                             : (t->shard.steps + cfg->sync_every - 1) / cfg->sync_every;
    t->total_steps = t->steps_per_epoch * cfg->epochs;
    return 0;
}

static void output_paths(trainer_t *t)
{
    snprintf(t->model_path, sizeof t->model_path, "%s/model.h5", t->cfg->dir);
    snprintf(t->metrics_path, sizeof t->metrics_path, "%s/metrics.csv", t->cfg->dir);
}

/* Rank 0, once every check has passed and the run really starts: the run
 * directory's plan is carried out (runstart_begin) and config.ini written,
 * so a refused start leaves no trace of a run that never happened. */
static int begin_output(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    if (t->rank != 0)
        return 0;
    if (runstart_begin(t->start, cfg->dir, t->size) < 0)
        return -1;
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
    watchdog_enter("sharing the initial weights", 0, 0);
    int rc = MPI_Bcast(t->net.params, (int)t->net.n_params, MPI_FLOAT, 0, MPI_COMM_WORLD);
    watchdog_leave();
    return rc == MPI_SUCCESS ? 0 : error_set("MPI_Bcast of the initial weights failed");
}

/* Whether a checkpoint's dataset identity is the current one. Checkpoints
 * written before the test set and a sample of rows were part of it carry
 * the rest only: they match a current identity that begins with theirs. */
static int same_data(const char *saved, const char *now)
{
    size_t n = strlen(saved);
    return !strcmp(saved, now) || (!strncmp(saved, now, n) && !strncmp(now + n, "; test ", 7));
}

/* Rank 0: may the checkpoint continue under this configuration and data? */
static int check_resume(trainer_t *t, const runstart_t *r, char *changes, size_t size)
{
    config_t saved;
    config_defaults(&saved);
    if (config_load_text(&saved, r->meta.config_text, r->path) < 0)
        return error_prefix("cannot resume");
    if (config_resume_check(&saved, t->cfg, changes, size) < 0)
        return error_prefix("%s", r->path);
    if (r->net.n_in != t->net.n_in || r->net.n_hidden != t->net.n_hidden ||
        r->net.n_out != t->net.n_out)
        return error_set("%s: cannot resume: the checkpoint holds a %d-%d-%d network, the "
                         "configuration asks for %d-%d-%d", r->path, r->net.n_in, r->net.n_hidden,
                         r->net.n_out, t->net.n_in, t->net.n_hidden, t->net.n_out);
    if (!same_data(r->meta.data_id, t->data_id))
        return error_set("%s: cannot resume: it was trained on another dataset (%s) than %s (%s)",
                         r->path, r->meta.data_id, t->cfg->data_file, t->data_id);
    /* the position must lie inside an epoch of the run it claims to be */
    int64_t steps = t->steps_per_epoch;
    if (t->cfg->mode == TRAIN_MODE_LOCAL && r->meta.world_size != t->size) {
        int64_t old_rows = (t->shard.n_rows + r->meta.world_size - 1) / r->meta.world_size;
        steps = (old_rows + t->cfg->sync_every - 1) / t->cfg->sync_every;
    }
    if (r->meta.step > steps)
        return error_set("%s: cannot resume: step %lld is beyond the %lld steps of an epoch "
                         "(damaged file?)", r->path, (long long)r->meta.step, (long long)steps);
    if (r->meta.epoch > t->cfg->epochs)
        return error_set("%s: cannot resume: the run has %d epochs done, more than [train] "
                         "epochs = %d; to go back, --resume one of its earlier checkpoints (the "
                         "later ones are then set aside, not deleted)", r->path, r->meta.epoch,
                         t->cfg->epochs);
    return 0;
}

/* Every rank takes the checkpoint's weights and position from rank 0. */
static int apply_resume(trainer_t *t, runstart_t *r)
{
    char changes[4096] = "";
    int rc = agree(t, t->rank == 0 ? check_resume(t, r, changes, sizeof changes) : 0);
    if (rc)
        return rc;
    if (t->rank == 0)
        memcpy(t->net.params, r->net.params, t->net.n_params * sizeof(float));
    watchdog_enter("sharing the checkpoint's weights", 0, 0);
    MPI_Bcast(t->net.params, (int)t->net.n_params, MPI_FLOAT, 0, MPI_COMM_WORLD);

    /* epoch, step, world size, figures of the epoch in progress, time */
    double pos[8] = {0};
    if (t->rank == 0) {
        const ckpt_meta_t *m = &r->meta;
        double v[8] = {m->epoch, (double)m->step, m->world_size, m->epoch_loss_sum,
                       (double)m->epoch_correct, (double)m->epoch_count, m->epoch_train_s,
                       m->elapsed_s};
        memcpy(pos, v, sizeof pos);
    }
    MPI_Bcast(pos, 8, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    watchdog_leave();
    int done = (int)pos[0], world = (int)pos[2];
    int64_t step = (int64_t)pos[1];
    t->epoch = done + 1;
    t->epoch_stats.loss_sum = pos[3];
    t->epoch_stats.correct = (int64_t)pos[4];
    t->epoch_stats.count = (int64_t)pos[5];
    t->epoch_train_s = pos[6];
    t->t_start = now() - pos[7];

    if (t->cfg->mode == TRAIN_MODE_LOCAL && world != t->size && step > 0) {
        /* local mode deals one lane per rank: with another rank count the
         * epoch's rows are dealt differently, so continue at the same
         * fraction of the epoch (some rows may be seen twice or not at all
         * in it) */
        int64_t old_rows = (t->shard.n_rows + world - 1) / world;
        int64_t old_rounds = (old_rows + t->cfg->sync_every - 1) / t->cfg->sync_every;
        int64_t mapped = step * t->steps_per_epoch / old_rounds;
        log_info("resuming local mode on %d ranks from a checkpoint of %d ranks: round %lld of "
                 "%lld becomes round %lld of %lld", t->size, world, (long long)step,
                 (long long)old_rounds, (long long)mapped, (long long)t->steps_per_epoch);
        step = mapped;
    }
    t->step = step;
    if (t->rank == 0) {
        /* the last good checkpoint, until this session writes one */
        snprintf(t->ckpt_path, sizeof t->ckpt_path, "%s", r->path);
        for (int i = 0; i < r->meta.metrics.count; i++) {
            const metrics_row_t *row = &r->meta.metrics.rows[i];
            if (metrics_append(&t->metrics, row) < 0)
                return agree(t, -1);
            if (row->test_accuracy > t->best_accuracy)
                t->best_accuracy = row->test_accuracy;
        }
        log_info("resuming from %s: %d epoch%s done, step %lld of epoch %d (written by %d "
                 "rank%s)%s%s", r->path, done, done == 1 ? "" : "s", (long long)step, t->epoch,
                 world, world == 1 ? "" : "s", changes[0] ? "; changed: " : "", changes);
        if (world != t->size && t->cfg->mode == TRAIN_MODE_SYNC)
            log_info("sync mode on %d ranks instead of %d: the same global batches, re-shared",
                     t->size, world);
    }
    return agree(t, 0);
}

int train_stop_seconds(const config_t *cfg)
{
    double params = (double)cfg->hidden * (784 + 10);
    return (int)ceil(params * sizeof(float) / 100e6 + 0.5);
}

/* mpirun, sent SIGTERM (Ctrl-C, scancel), waits odls_base_sigkill_timeout
 * seconds, passes SIGTERM on to the ranks, waits as long again and kills
 * them: 1 s by default, too soon for a large network's checkpoint
 * (784-100000-10: 318 MB, 1.8 s on this project's test machine), which is
 * then lost. The job scripts set train_stop_seconds; a plain mpirun gets
 * this warning when the checkpoint may need longer. */
static void warn_kill_timeout(const trainer_t *t)
{
    if (t->rank != 0 || !getenv("OMPI_MCA_orte_launch"))
        return; /* not started by Open MPI's mpirun */
    const char *v = getenv("OMPI_MCA_odls_base_sigkill_timeout");
    double timeout = v ? atof(v) : 1.0;
    int need = train_stop_seconds(t->cfg);
    if (need > timeout)
        log_warn("mpirun kills the ranks %g s after passing on a SIGTERM (Ctrl-C, scancel), "
                 "and this network's checkpoint may take %d s: a stop could lose it. Start "
                 "mpirun with --mca odls_base_sigkill_timeout %d (jobs/mpirun.sh and "
                 "jobs/train.sbatch do), or stop it with SIGUSR1", timeout, need, need);
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
    log_info("BLAS: OpenBLAS %s, %d thread%s per rank; sparse kernels: %s",
             openblas_get_corename(), cfg->threads, cfg->threads == 1 ? "" : "s",
             sparse_rows_isa());
    log_info("data: %lld training rows (rank 0 holds %lld, %.1f MiB, read in %.2f s), %lld test "
             "rows; network 784-%d-10, %zu parameters",
             (long long)t->shard.n_rows, (long long)t->shard.n_local,
             t->shard.n_local * 785.0 / (1 << 20), t->read_s, (long long)t->test.count,
             cfg->hidden, t->net.n_params);
    warn_kill_timeout(t);
}

/* ------------------------------------------------------------ checkpoints */

static double current_lr(const trainer_t *t)
{
    int64_t done = (int64_t)(t->epoch - 1) * t->steps_per_epoch + t->step;
    return config_lr_at(t->cfg, (double)done / (double)t->total_steps);
}

/* The state at the current position, for ckpt_write (rank 0). */
static ckpt_meta_t state_meta(const trainer_t *t, int epochs_done, int64_t step)
{
    ckpt_meta_t m = {
        .epoch = epochs_done,
        .step = step,
        .seed = t->cfg->seed,
        .world_size = t->size,
        .rule = t->cfg->rule,
        .config_text = config_to_text(t->cfg),
        .metrics = t->metrics,
        .elapsed_s = now() - t->t_start,
        .data_rows = t->shard.n_rows,
        .data_id = t->data_id,
        .parent = t->start->parent,
        .lineage = t->start->lineage,
    };
    memcpy(m.run_id, t->start->run_id, sizeof m.run_id);
    if (step > 0) {
        m.epoch_loss_sum = t->epoch_stats.loss_sum;
        m.epoch_correct = t->epoch_stats.correct;
        m.epoch_count = t->epoch_stats.count;
        m.epoch_train_s = t->epoch_train_s + (now() - t->epoch_t0);
    }
    return m;
}

/* Rank 0 writes a checkpoint of the current position. A failure to write is
 * reported and training goes on: the previous checkpoint is still whole.
 * After CKPT_MAX_FAILURES failures in a row rank 0 raises STAT_CKPT_FAILED
 * in the next reduction and every rank stops (exit 1). */
static void write_checkpoint(trainer_t *t, int at_epoch_end)
{
    if (t->rank != 0)
        return;
    double t0 = now();
    int epochs_done = at_epoch_end ? t->epoch : t->epoch - 1;
    int64_t step = at_epoch_end ? 0 : t->step;
    ckpt_meta_t meta = state_meta(t, epochs_done, step);
    int is_best = 0;
    if (at_epoch_end && t->metrics.count) {
        double acc = t->metrics.rows[t->metrics.count - 1].test_accuracy;
        is_best = acc > t->best_accuracy;
        if (is_best)
            t->best_accuracy = acc;
    }
    int rc = meta.config_text ? ckptdir_save(t->cfg->dir, &t->net, &meta, t->cfg->ckpt_keep,
                                             is_best, t->ckpt_path, sizeof t->ckpt_path)
                              : -1;
    free(meta.config_text);
    t->last_ckpt_t = now();
    if (rc < 0) {
        t->ckpt_failures++;
        snprintf(t->ckpt_error, sizeof t->ckpt_error, "%s", error_message());
        if (t->ckpt_failures < CKPT_MAX_FAILURES)
            log_warn("checkpoint not written (%d in a row; training stops at %d), training goes "
                     "on (the previous one is intact): %s", t->ckpt_failures, CKPT_MAX_FAILURES,
                     t->ckpt_error);
    } else {
        t->ckpt_failures = 0;
        log_info("  checkpoint %s (%.0f ms)", t->ckpt_path, (t->last_ckpt_t - t0) * 1e3);
    }
}

/* The verdict once checkpoints kept failing: rank 0's message names the
 * cause and the checkpoint a resume will take. */
static int ckpt_give_up(const trainer_t *t)
{
    if (t->rank != 0)
        return error_set("rank 0 could not write checkpoints");
    return error_set("%d checkpoints in a row could not be written, stopping (resume from the "
                     "last good one%s%s): %s", CKPT_MAX_FAILURES, t->ckpt_path[0] ? ", " : "",
                     t->ckpt_path, t->ckpt_error);
}

/* After each step: count it, and write a checkpoint mid-epoch when one is
 * due (by steps, by time, or because the job must stop). One at the very
 * end of an epoch waits for the epoch's evaluation. */
static void after_step(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    t->step++;
    if (t->step == t->steps_per_epoch)
        return;
    int64_t done = (int64_t)(t->epoch - 1) * t->steps_per_epoch + t->step;
    if (t->stop || t->timer || (cfg->ckpt_every_steps && done % cfg->ckpt_every_steps == 0))
        write_checkpoint(t, 0);
}

/* Rank 0's checkpoint timer, as the flag it contributes to the reduction. */
static float timer_flag(const trainer_t *t)
{
    return t->rank == 0 && t->cfg->ckpt_every_minutes > 0 &&
                   now() - t->last_ckpt_t >= t->cfg->ckpt_every_minutes * 60.0
               ? 1.0f
               : 0.0f;
}

/* ------------------------------------------------------------- the steps */

/* The statistics and flags a rank contributes, after the parameters in the
 * same buffer. */
static void put_stats(trainer_t *t, const net_stats_t *st)
{
    float *stats = t->net.params + t->net.n_params;
    stats[STAT_LOSS] = (float)st->loss_sum;
    stats[STAT_CORRECT] = (float)st->correct;
    stats[STAT_COUNT] = (float)st->count;
    stats[STAT_STOP] = preempt_signal() ? 1.0f : 0.0f;
    stats[STAT_TIMER] = timer_flag(t);
    stats[STAT_CKPT_FAILED] = t->ckpt_failures >= CKPT_MAX_FAILURES ? 1.0f : 0.0f;
}

/* Sums the parameter buffer (with the statistics after it) over all ranks,
 * in place; every rank then holds the same figures and flags, so all take
 * the same decisions without more messages. */
static int reduce_step(trainer_t *t)
{
    const size_t n = t->net.n_params;
    const int finite_here = isfinite(t->net.params[n + STAT_LOSS]);
    watchdog_enter("the reduction", t->epoch, t->step + 1);
    int rc = MPI_Allreduce(MPI_IN_PLACE, t->net.params, (int)(n + N_STATS), MPI_FLOAT, MPI_SUM,
                           MPI_COMM_WORLD);
    watchdog_leave();
    if (rc != MPI_SUCCESS)
        return error_set("MPI_Allreduce failed at epoch %d step %lld", t->epoch,
                         (long long)t->step);
    const float *stats = t->net.params + n;
    if (!isfinite(stats[STAT_LOSS])) {
        /* every rank sees the sum and comes here: one more reduction, on
         * this failure path only, names the first rank whose own loss was
         * not finite (none: the sum itself overflowed). No checkpoint is
         * written after this step, so the last one holds good weights. */
        int mine = finite_here ? INT_MAX : t->rank, first = INT_MAX;
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        char where[32] = "";
        if (first != INT_MAX)
            snprintf(where, sizeof where, " on rank %d", first);
        return error_set("training diverged at epoch %d step %lld: the loss is %g%s (learning "
                         "rate %g too high?)", t->epoch, (long long)t->step,
                         (double)stats[STAT_LOSS], where, current_lr(t));
    }
    if (stats[STAT_CKPT_FAILED] > 0)
        return ckpt_give_up(t);
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

/* Where a step's time goes, for choosing the batch and the ranks (README,
 * "Performance"): the compute, this rank's and the slowest rank's, and the
 * reduction, whose wait for the slowest rank is part of it. Collective;
 * rank 0 says it if `say`. */
static void log_step_times(const trainer_t *t, int say)
{
    double mine = t->compute_s, slowest = 0;
    watchdog_enter("the closing figures", t->epoch, t->step);
    MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    watchdog_leave();
    if (!say || t->rank != 0 || t->steps_timed == 0)
        return;
    const double us = 1e6 / (double)t->steps_timed;
    const char *what = t->cfg->mode == TRAIN_MODE_SYNC ? "step" : "averaging round";
    if (t->size == 1) {
        log_info("time per %s: %.0f us (%lld of them)", what, (t->compute_s + t->reduce_s) * us,
                 (long long)t->steps_timed);
        return;
    }
    double share = t->reduce_s / (t->compute_s + t->reduce_s);
    log_info("time per %s: compute %.0f us (the slowest rank %.0f us), reduction %.0f us with "
             "the wait for the slowest rank: %.0f%% of the time%s", what, t->compute_s * us,
             slowest * us, t->reduce_s * us, 100 * share,
             share > 0.3 && t->cfg->mode == TRAIN_MODE_SYNC
                 ? "; a larger train.batch spreads it over more samples"
                 : "");
}

static void log_progress(const trainer_t *t)
{
    const net_stats_t *st = &t->epoch_stats;
    double s = t->epoch_train_s + (now() - t->epoch_t0);
    log_info("  epoch %d step %lld/%lld | loss %.4f | train acc %.2f%% | lr %.4g | %.0f samples/s",
             t->epoch, (long long)t->step, (long long)t->steps_per_epoch,
             st->count ? st->loss_sum / st->count : 0.0,
             st->count ? 100.0 * st->correct / st->count : 0.0, current_lr(t),
             s > 0 ? st->count / s : 0.0);
}

/* The rest of an epoch in sync mode: every step one global batch, one
 * reduction, the same mean update on every rank. Rank 0 adds its part of
 * the update to the weights themselves and the other ranks put their part
 * alone in their (no longer needed) weight buffers, so the in-place sum over
 * the ranks IS the next weights: no separate update buffer, no apply pass. */
static int epoch_sync(trainer_t *t)
{
    const shard_t *s = &t->shard;
    shard_epoch_order(s, t->cfg->seed, t->epoch, t->cfg->shuffle, t->order);
    while (t->step < t->steps_per_epoch && !t->stop) {
        double t0 = now();
        int64_t step = t->step;
        int b = 0;
        for (int j = 0; j < s->lane_count; j++) {
            int lane = s->lane_first + j;
            if (step >= shard_lane_rows(s, lane))
                continue;
            int64_t row = shard_local_index(s, lane, t->order[(size_t)j * s->steps + step]);
            t->pixels[b] = imageset_image(&t->data, row);
            t->labels[b++] = t->data.labels[row];
        }
        float alpha = (float)current_lr(t) / (float)shard_step_count(s, step);
        float beta = t->rank == 0 ? 1.0f : 0.0f;
        net_stats_t st = {0};
        if (b > 0)
            net_batch_update_pixels(&t->net, &t->work, t->pixels, t->labels, b, t->cfg->rule,
                                    alpha, beta, t->net.params, &st);
        else if (t->rank != 0)
            memset(t->net.params, 0, t->net.n_params * sizeof(float));
        if (fault_due(t)) {
            st.loss_sum = NAN;
            t->net.params[0] = NAN;
        }
        put_stats(t, &st);
        double t1 = now();
        if (reduce_step(t) < 0)
            return -1;
        time_step(t, t0, t1);
        after_step(t);
        if (t->cfg->log_every && t->step % t->cfg->log_every == 0)
            log_progress(t);
    }
    return 0;
}

/* Averages the weights of all ranks (local mode), the figures and flags
 * riding along. */
static int average_weights(trainer_t *t, const net_stats_t *st)
{
    put_stats(t, st);
    if (reduce_step(t) < 0)
        return -1;
    float inv = 1.0f / (float)t->size;
    for (size_t i = 0; i < t->net.n_params; i++)
        t->net.params[i] *= inv;
    return 0;
}

/* The rest of an epoch in local mode: each rank walks its lane sample by
 * sample (the book's loop) and the ranks average their weights every
 * sync_every samples (one "step") and at the end of the epoch. */
static int epoch_local(trainer_t *t)
{
    const shard_t *s = &t->shard;
    const int64_t k = t->cfg->sync_every;
    const int64_t mine = shard_lane_rows(s, s->lane_first);
    shard_epoch_order(s, t->cfg->seed, t->epoch, t->cfg->shuffle, t->order);
    while (t->step < t->steps_per_epoch && !t->stop) {
        double t0 = now();
        net_stats_t st = {0};
        int64_t first = t->step * k, end = first + k < mine ? first + k : mine;
        float lr = (float)current_lr(t);
        net_loop_begin(&t->net, &t->work);
        for (int64_t i = first; i < end; i++) {
            int64_t row = shard_local_index(s, s->lane_first, t->order[i]);
            net_loop_sample(&t->net, &t->work, imageset_image(&t->data, row), t->data.labels[row],
                            lr, t->cfg->rule, &st);
        }
        net_loop_end(&t->net, &t->work);
        if (fault_due(t)) {
            st.loss_sum = NAN;
            t->net.params[0] = NAN;
        }
        double t1 = now();
        if (t->size > 1) {
            if (average_weights(t, &st) < 0)
                return -1;
        } else {
            if (!isfinite(st.loss_sum))
                return error_set("training diverged at epoch %d step %lld: the loss is %g "
                                 "(learning rate %g too high?)", t->epoch, (long long)t->step,
                                 st.loss_sum, lr);
            if (t->ckpt_failures >= CKPT_MAX_FAILURES)
                return ckpt_give_up(t);
            t->epoch_stats.loss_sum += st.loss_sum;
            t->epoch_stats.correct += st.correct;
            t->epoch_stats.count += st.count;
            t->stop = preempt_signal() != 0;
            t->timer = timer_flag(t) > 0;
        }
        time_step(t, t0, t1);
        after_step(t);
        if (t->cfg->log_every && t->step % t->cfg->log_every == 0)
            log_progress(t);
    }
    return 0;
}

/* ------------------------------------------------------------- epochs */

static void format_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s))
        snprintf(buf, size, "?");
    else if (s < 60)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else /* in doubles: the ETA of a million slow epochs overflows an int */
        snprintf(buf, size, "%.0fh%02dm", floor(s / 3600), (int)fmod(s, 3600) / 60);
}

/* Rank 0's duties after an epoch: evaluate, log, write metrics.csv. */
static int finish_epoch(trainer_t *t, double train_s)
{
    if (t->rank != 0)
        return 0;
    const net_stats_t *st = &t->epoch_stats;
    eval_result_t ev;
    if (eval_run(&t->net, &t->test, &ev) < 0)
        return -1;
    metrics_row_t row = {
        .epoch = t->epoch,
        .train_loss = st->count ? st->loss_sum / st->count : 0.0,
        .train_accuracy = st->count ? (double)st->correct / st->count : 0.0,
        .test_accuracy = eval_accuracy(&ev),
        .lr = current_lr(t),
        .samples_per_s = train_s > 0 ? st->count / train_s : 0.0,
        .wall_s = now() - t->t_start,
        .ranks = t->size,
    };
    if (metrics_append(&t->metrics, &row) < 0)
        return -1;
    char elapsed[32], eta[32];
    format_duration(row.wall_s, elapsed, sizeof elapsed);
    format_duration(row.wall_s / t->epoch * (t->cfg->epochs - t->epoch), eta, sizeof eta);
    log_info("epoch %d/%d | loss %.4f | train %.2f%% | test %.2f%% | lr %.4g | %.0f samples/s | "
             "elapsed %s | ETA %s",
             t->epoch, t->cfg->epochs, row.train_loss, 100 * row.train_accuracy,
             100 * row.test_accuracy, row.lr, row.samples_per_s, elapsed, eta);
    return metrics_write_csv(t->metrics_path, &t->metrics);
}

/* The ranks' weights must be bit-identical (they apply the same reduced
 * update); MPI does not promise a reduction gives every rank the same bits,
 * so this checks it once an epoch and, should they differ, takes rank 0's. */
static void check_weights_agree(trainer_t *t)
{
    if (t->size == 1)
        return;
    uint8_t digest[32];
    sha256_t h;
    sha256_init(&h);
    sha256_update(&h, t->net.params, t->net.n_params * sizeof(float));
    sha256_final(&h, digest);
    unsigned long long mine, lo, hi;
    memcpy(&mine, digest, sizeof mine);
    watchdog_enter("comparing the ranks' weights", t->epoch, t->step);
    MPI_Allreduce(&mine, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    if (lo != hi) {
        log_info("note: the ranks' weights differed in the last bits after epoch %d; all take "
                 "rank 0's", t->epoch);
        MPI_Bcast(t->net.params, (int)t->net.n_params, MPI_FLOAT, 0, MPI_COMM_WORLD);
    }
    watchdog_leave();
}

static void warn_picture(const char *message)
{
    log_warn("%s", message);
}

/* Rank 0: answer the user's own pictures ([query] images) with the current
 * net into DIR/own_images.csv and DIR/own_images.png. Problems are warnings:
 * they must not cost the training. */
static void answer_own_images(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    if (t->rank != 0 || !cfg->query_images[0])
        return;
    query_list_t list = {0};
    char csv[CONFIG_PATH_MAX + 32], png[CONFIG_PATH_MAX + 32];
    snprintf(csv, sizeof csv, "%s/own_images.csv", cfg->dir);
    snprintf(png, sizeof png, "%s/own_images.png", cfg->dir);
    size_t answered = 0, failed = 0;
    if (query_list_add(&list, cfg->query_images) < 0 ||
        query_run(&t->net, &list, cfg->query_frame, csv, png, warn_picture, &answered, &failed) < 0)
        log_warn("[query] images: %s", error_message());
    else
        log_info("  own pictures: %zu answered%s%s -> %s, %s", answered,
                 failed ? ", could not read " : "", failed ? "some (see warnings)" : "", csv, png);
    query_list_free(&list);
}

static void write_backquery(trainer_t *t)
{
    if (t->rank != 0 || !t->cfg->backquery)
        return;
    char dir[CONFIG_PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/backquery", t->cfg->dir);
    if (query_backquery_all(&t->net, dir, 10) < 0)
        log_warn("back-query pictures not written: %s", error_message());
    else
        log_info("back-query: %s/backquery_all.png", dir);
}

static int write_model(trainer_t *t)
{
    if (t->rank != 0)
        return 0;
    ckpt_meta_t meta = state_meta(t, t->cfg->epochs, 0);
    int rc = meta.config_text ? ckpt_write(t->model_path, &t->net, &meta) : -1;
    free(meta.config_text);
    return rc;
}

/* Runs epochs from the current position to the end, or until a rank is
 * asked to stop. Returns 0, EXIT_STOPPED, or EXIT_FAILURE_RUN. */
static int run_epochs(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    for (; t->epoch <= cfg->epochs; t->epoch++) {
        t->epoch_t0 = now();
        int status = cfg->mode == TRAIN_MODE_SYNC ? epoch_sync(t) : epoch_local(t);
        if (status == 0 && t->step == t->steps_per_epoch && cfg->mode == TRAIN_MODE_LOCAL &&
            t->size > 1)
            status = average_weights(t, &(net_stats_t){0});
        /* the reductions gave every rank the same verdict and message */
        if (status < 0)
            return EXIT_FAILURE_RUN;
        if (t->step < t->steps_per_epoch)
            break; /* stopped mid-epoch; after_step wrote the checkpoint */
        double train_s = t->epoch_train_s + (now() - t->epoch_t0);
        int rc = agree(t, finish_epoch(t, train_s));
        if (rc)
            return rc;
        if (cfg->query_every_epoch && t->epoch < cfg->epochs)
            answer_own_images(t);
        check_weights_agree(t);
        int last = t->epoch == cfg->epochs;
        if (last || t->stop || t->timer ||
            (cfg->ckpt_every_epochs && t->epoch % cfg->ckpt_every_epochs == 0) ||
            (cfg->ckpt_every_steps && (int64_t)t->epoch * t->steps_per_epoch %
                                              cfg->ckpt_every_steps == 0))
            write_checkpoint(t, 1);
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

/* Everything before the first step: 0 or an exit status, the same on
 * every rank (with the message). */
static int prepare(trainer_t *t)
{
    int64_t n_rows = 0;
    int rc = agree(t, fault_parse(t));
    rc = rc ? rc : open_data(t, &n_rows);
    rc = rc ? rc : agree(t, setup_local(t, n_rows));
    rc = rc ? rc : agree(t, init_weights(t));
    if (!rc)
        log_config(t);
    if (!rc && t->start->found)
        rc = apply_resume(t, t->start);
    return rc ? rc : agree(t, begin_output(t));
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
    trainer_t t = {.cfg = cfg, .start = start, .epoch = 1, .best_accuracy = -1.0};
    memset(result, 0, sizeof *result);
    MPI_Comm_rank(MPI_COMM_WORLD, &t.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &t.size);
    t.t_start = now();
    t.last_ckpt_t = t.heartbeat_t = t.t_start;
    openblas_set_num_threads(cfg->threads);
    output_paths(&t);

    int rc = prepare(&t);
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
        rc = agree(&t, write_model(&t));
    if (rc == 0) {
        answer_own_images(&t);
        write_backquery(&t);
    }

    log_step_times(&t, rc == 0 || rc == EXIT_STOPPED);
    double rss = peak_rss_mib(), rss_max = 0;
    watchdog_enter("the closing figures", t.epoch, t.step);
    MPI_Reduce(&rss, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    watchdog_leave();
    fill_result(&t, rc, result);
    if (rc == 0)
        log_info("done: test accuracy %.2f%% | %.1f s this session, %.1f s in all | peak memory "
                 "per rank %.0f MiB (shard %.1f MiB)\nmodel:   %s\nmetrics: %s",
                 100 * result->test_accuracy, train_s, result->wall_s, rss_max,
                 t.shard.n_local * 785.0 / (1 << 20), t.model_path, t.metrics_path);
    trainer_free(&t);
    return rc;
}
