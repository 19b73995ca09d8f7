/* train_setup: everything before the first step -- the data each rank
 * reads and agrees on, the buffers, the initial or resumed weights, and the
 * run directory once every check has passed. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "train_internal.h"

#include <sched.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/ckptdir.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/log.h"
#include "nnmpi/sha256.h"
#include "nnmpi/sparse_rows.h"
#include "nnmpi/watchdog.h"

/* Fault injection for the tests only (tests/e2e/faults.sh), never set in a
 * real run: NNMPI_FAULT=nan:RANK:STEP turns one of rank RANK's weights NaN
 * as step STEP of the run (1-based, counted over all epochs) begins, so its
 * loss and its update are NaN, as a rank whose arithmetic went wrong would
 * deliver them (and, with hidden-unit slices, its group's outputs). (The
 * book's sigmoid net saturates rather than overflow, even at lr 1e6, so no
 * configuration makes a real NaN to test with.) NNMPI_FAULT=mpi:RANK:STEP
 * makes that step's reduction on rank RANK a call MPI refuses (a negative
 * count; sync mode, between groups), as a broken MPI would fail it.
 * Read once, at start. */
static int fault_parse(trainer_t *t)
{
    const char *spec = getenv("NNMPI_FAULT");
    if (!spec || !*spec)
        return 0;
    long long step;
    int rank, used = 0;
    char kind[4] = "";
    if (sscanf(spec, "%3[a-z]:%d:%lld%n", kind, &rank, &step, &used) != 3 || spec[used] ||
        step < 1 || rank < 0 || (strcmp(kind, "nan") && strcmp(kind, "mpi")))
        return error_set("NNMPI_FAULT='%s': expected nan:RANK:STEP or mpi:RANK:STEP (a test "
                         "hook)", spec);
    t->fault_mpi = !strcmp(kind, "mpi");
    t->fault_rank = rank;
    t->fault_step = step;
    return 0;
}

/* What the ranks must agree on about the data file each of them opened. */
static int data_items(const dataset_info_t *info, const char *sample, agree_list_t *items)
{
    char sources[65];
    const char *src = info->source_sha256 ? info->source_sha256 : "?";
    if (sha256_buffer_hex(src, strlen(src), sources) < 0)
        return -1;
    agree_add(items, "the data file's training rows", "%lld", (long long)info->n_train);
    agree_add(items, "the data file's test rows", "%lld", (long long)info->n_test);
    agree_add(items, "the data file's augmentation", "%s",
              info->augmentation ? info->augmentation : "?");
    agree_add(items, "the data file's order seed", "%lld", (long long)info->shuffle_seed);
    agree_add(items, "the data file's sources", "checksums %.16s", sources);
    agree_add(items, "the data file's rows (a sample)", "sha256 %.16s", sample);
    return 0;
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
                 dataset_sample_sha256(cfg->data_file, &info, sample) < 0 ||
                 data_items(&info, sample, &items) < 0;
    status = agree_all(status ? EXIT_FAILURE_RUN : 0, &items);
    if (!status) {
        char id[4096];
        snprintf(id, sizeof id, "%lld rows; %s; order seed %lld; %s; test %lld rows; sample %.16s",
                 (long long)info.n_train, info.augmentation ? info.augmentation : "?",
                 (long long)info.shuffle_seed, info.source_sha256 ? info.source_sha256 : "?",
                 (long long)info.n_test, sample);
        t->data_id = strdup(id);
        *n_rows = info.n_train;
        if (info.class_names)
            t->class_names = info.class_names, info.class_names = NULL; /* taken over */
        if (!t->data_id)
            status = agree_all((error_set("out of memory"), EXIT_FAILURE_RUN), NULL);
    }
    dataset_info_free(&info);
    return status;
}

/* Whether every group of T consecutive ranks lies on one node (node: the
 * lowest world rank of this rank's node). Collective. */
static int groups_on_nodes(int T, int rank, int node)
{
    MPI_Comm group;
    int head = node, ok, all = 0;
    MPI_Comm_split(MPI_COMM_WORLD, rank / T, rank, &group);
    MPI_Bcast(&head, 1, MPI_INT, 0, group);
    MPI_Comm_free(&group);
    ok = head == node;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

/* Ranks per sample: the configured number, or with auto in sync mode as
 * many ranks of one node as divide the job into groups that each lie on
 * one node (their per-sample exchange stays in shared memory; Open MPI
 * fills nodes with consecutive ranks by default) and leave each slice at
 * least 16 units of the first hidden layer. Local mode's per-sample loop
 * would exchange after every sample: auto is 1 there, for nets whose
 * replicated layers would outweigh the slices (tensor_splits_well), and
 * for batches large enough that sharing them costs less (tensor_slices_pay).
 * Collective. */
static int tensor_ranks(const config_t *cfg, int rank, int size, int *batch_wins)
{
    *batch_wins = 0;
    MPI_Comm node_comm;
    int here = 1, fewest = 1, node = rank;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node_comm);
    MPI_Comm_size(node_comm, &here);
    MPI_Allreduce(&rank, &node, 1, MPI_INT, MPI_MIN, node_comm);
    MPI_Comm_free(&node_comm);
    MPI_Allreduce(&here, &fewest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (cfg->tensor_parallel > 0) {
        if (cfg->tensor_parallel > 1 && !groups_on_nodes(cfg->tensor_parallel, rank, node))
            log_warn("tensor_parallel = %d: some groups span nodes, so their exchange per "
                     "step crosses the network (mpirun --map-by core keeps consecutive ranks "
                     "on a node)", cfg->tensor_parallel);
        return cfg->tensor_parallel;
    }
    net_shape_t shape = config_net_shape(cfg);
    if (cfg->mode == TRAIN_MODE_LOCAL || !tensor_splits_well(&shape))
        return 1;
    int T = tensor_fit(fewest, size, cfg->hidden, 16);
    while (T > 1 && !groups_on_nodes(T, rank, node))
        T = tensor_fit(T - 1, size, cfg->hidden, 16);
    *batch_wins = T > 1 && !tensor_slices_pay(&shape, cfg->batch / (size / T));
    return *batch_wins ? 1 : T;
}

/* With G > 1 groups each steps a contiguous part of its parameters (as
 * even as can be) and the parts are allgathered: the step's work divides
 * by G where every group would do all of it, for the same messages (a
 * reduce-scatter and an allgather move what an allreduce does). */
static int share_optimizer_step(trainer_t *t)
{
    const int G = t->tp.G;
    const size_t n = t->net.n_floats;
    if (G == 1)
        return 0;
    t->part_counts = malloc((size_t)G * sizeof *t->part_counts);
    t->part_offsets = malloc((size_t)G * sizeof *t->part_offsets);
    t->part_grad = malloc((n / (size_t)G + 1) * sizeof *t->part_grad);
    if (!t->part_counts || !t->part_offsets || !t->part_grad)
        return error_set("out of memory for sharing the optimizer's step");
    for (int g = 0; g < G; g++) {
        t->part_offsets[g] = (int)(n * (size_t)g / (size_t)G);
        t->part_counts[g] = (int)(n * (size_t)(g + 1) / (size_t)G) - t->part_offsets[g];
    }
    const int g = t->tp.g;
    optimizer_set_part(&t->opt, (size_t)t->part_offsets[g],
                       (size_t)t->part_offsets[g] + (size_t)t->part_counts[g]);
    return 0;
}

/* The helper thread that distorts the next batch gains nothing when the
 * rank may run on one core only (mpirun binds each of up to 2 ranks to a
 * core by default): say so, with the way out. */
static void warn_helper_core(const trainer_t *t)
{
    cpu_set_t cpus;
    if (!t->cfg->augment_ahead || sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) != 1)
        return;
    log_info("augment.ahead: this rank may run on 1 core only, which its helper thread shares; "
             "mpirun --bind-to none (or --map-by slot:PE=2 where cores are spare) gives the "
             "helper a core of its own");
}

static int setup_local(trainer_t *t, int64_t n_rows)
{
    const config_t *cfg = t->cfg;
    const tensor_t *tp = &t->tp;
    int lanes = cfg->mode == TRAIN_MODE_SYNC ? cfg->batch : tp->G;
    if (shard_init(&t->shard, n_rows, lanes, tp->g, tp->G) < 0)
        return error_prefix("%s", cfg->data_file);
    double t0 = now();
    int read = tp->T > 1 ? group_rows_read(&t->rows_held, tp->group, cfg->data_file, &t->shard,
                                           &t->data)
                         : dataset_read_shard(cfg->data_file, &t->shard, &t->data);
    if (read < 0)
        return -1;
    t->read_s = now() - t0;
    /* every rank evaluates a share of the test set after each epoch */
    if (dataset_read_split(cfg->data_file, "test", &t->test) < 0)
        return -1;

    int capacity = cfg->mode == TRAIN_MODE_SYNC ? t->shard.lane_count : 1;
    net_shape_t shape = config_net_shape(cfg);
    shape.sizes[1] = tp->h1 - tp->h0; /* this rank's slice of the first hidden layer */
    if (net_init_shape(&t->net, &shape, N_STATS) < 0 ||
        net_work_init_pixels(&t->work, &t->net, capacity) < 0)
        return -1;
    t->optimizing = optimizer_wanted(cfg);
    if (t->optimizing && (optimizer_init(&t->opt, cfg, &t->net, N_STATS) < 0 ||
                          share_optimizer_step(t) < 0))
        return -1;
    if (tp->T > 1) {
        t->work.sum_outputs = tensor_sum_outputs;
        t->work.sum_ctx = &t->tp;
        net_shape_t whole_shape = config_net_shape(cfg);
        if (tensor_reserve(&t->tp, (size_t)capacity * (size_t)whole_shape.sizes[2]) < 0 ||
            net_init_shape(&t->full, &whole_shape, 0) < 0 ||
            (t->optimizing && net_init_shape(&t->velocity_full, &whole_shape, 0) < 0))
            return -1;
    }
    if (augment_live_active(&cfg->augment)) {
        warn_helper_core(t);
        if (augment_ahead_init(&t->augment, &cfg->augment, cfg->seed, t->data.height,
                               t->data.width,
                               cfg->mode == TRAIN_MODE_SYNC ? capacity : LOCAL_CHUNK,
                               cfg->augment_ahead) < 0)
            return error_prefix("cannot distort on the fly");
        if (cfg->mode == TRAIN_MODE_SYNC && tp->T > 1 &&
            !(t->shared_batch = malloc((size_t)capacity * imageset_image_size(&t->data))))
            return error_set("out of memory for a batch of distorted images");
    }
    t->labels = malloc((size_t)capacity);
    t->rows = malloc((size_t)capacity * sizeof *t->rows);
    t->pixels = malloc((size_t)capacity * sizeof *t->pixels);
    t->order = malloc((size_t)t->shard.lane_count * (size_t)t->shard.steps * sizeof(uint32_t));
    if (!t->labels || !t->rows || !t->pixels || !t->order)
        return error_set("out of memory for the training buffers");
    t->steps_per_epoch = cfg->mode == TRAIN_MODE_SYNC
                             ? t->shard.steps
                             : (t->shard.steps + cfg->sync_every - 1) / cfg->sync_every;
    t->total_steps = t->steps_per_epoch * cfg->epochs;
    return 0;
}

void trainer_output_paths(trainer_t *t)
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

/* Rank 0's whole `all` onto every rank; with T > 1 each keeps its slice
 * in `mine`. */
static void broadcast_whole(trainer_t *t, net_t *all, net_t *mine, const char *what)
{
    watchdog_enter(what, 0, 0);
    MPI_Bcast(all->params, (int)all->n_floats, MPI_FLOAT, 0, MPI_COMM_WORLD);
    watchdog_leave();
    if (t->tp.T > 1)
        tensor_take_slice(&t->tp, all, mine);
}

/* Every rank's weights from rank 0's whole net `source` (the initial
 * weights, or a checkpoint's): broadcast, and with T > 1 each rank keeps
 * its slice. */
static void share_whole(trainer_t *t, const net_t *source)
{
    net_t *all = whole(t);
    if (t->rank == 0 && source != all)
        memcpy(all->params, source->params, all->n_floats * sizeof(float));
    broadcast_whole(t, all, &t->net, "sharing the weights");
}

/* Rank 0 draws the initial weights and everyone takes them, so all ranks
 * start identical even if their maths libraries differ. */
static int init_weights(trainer_t *t)
{
    net_t *all = whole(t);
    if (t->rank == 0) {
        rng_t rng;
        rng_seed(&rng, t->cfg->seed, 0);
        net_init_weights_as(all, t->cfg->init, &rng);
    }
    share_whole(t, all);
    return 0;
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
    /* the same data (checked below), so the same ends for layers = auto */
    config_set_data_ends(&saved, t->cfg->data_height, t->cfg->data_width, t->cfg->data_classes);
    if (config_load_text(&saved, r->meta.config_text, r->path) < 0)
        return error_prefix("cannot resume");
    if (config_resume_check(&saved, t->cfg, changes, size) < 0)
        return error_prefix("%s", r->path);
    net_shape_t want = config_net_shape(t->cfg);
    if (memcmp(&r->net.shape, &want, sizeof want) != 0) {
        char held[512], asked[512];
        net_shape_sizes_text(&r->net.shape, held, sizeof held);
        net_shape_sizes_text(&want, asked, sizeof asked);
        if (!strcmp(held, asked)) {
            net_shape_describe(&r->net.shape, held, sizeof held);
            net_shape_describe(&want, asked, sizeof asked);
        }
        return error_set("%s: cannot resume: the checkpoint holds a %s network, the "
                         "configuration asks for %s", r->path, held, asked);
    }
    if (!same_data(r->meta.data_id, t->data_id))
        return error_set("%s: cannot resume: it was trained on another dataset (%s) than %s (%s)",
                         r->path, r->meta.data_id, t->cfg->data_file, t->data_id);
    /* the position must lie inside an epoch of the run it claims to be */
    int64_t steps = t->steps_per_epoch;
    int workers = r->meta.world_size / r->meta.tensor_parallel;
    if (t->cfg->mode == TRAIN_MODE_LOCAL && workers != t->tp.G) {
        int64_t old_rows = (t->shard.n_rows + workers - 1) / workers;
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

/* Every rank takes the checkpoint's velocity (book order, rank 0's; NULL:
 * none) when it trains with momentum. A checkpoint without one (written
 * with momentum = 0) starts it at 0. */
static void share_velocity(trainer_t *t, const float *book)
{
    if (!t->optimizing)
        return;
    int have = t->rank == 0 && book;
    watchdog_enter("sharing the checkpoint's momentum", 0, 0);
    MPI_Bcast(&have, 1, MPI_INT, 0, MPI_COMM_WORLD);
    watchdog_leave();
    if (have && t->rank == 0)
        net_from_book_order(whole_velocity(t), book);
    if (have)
        broadcast_whole(t, whole_velocity(t), &t->opt.velocity,
                        "sharing the checkpoint's momentum");
    if (!have && t->rank == 0 && t->cfg->momentum > 0)
        log_info("the checkpoint holds no momentum (written without it): it starts at 0");
}

/* Every rank takes the checkpoint's weights and position from rank 0. */
static int apply_resume(trainer_t *t, runstart_t *r)
{
    char changes[4096] = "";
    int rc = agree(t, t->rank == 0 ? check_resume(t, r, changes, sizeof changes) : 0);
    if (rc)
        return rc;
    share_whole(t, &r->net);
    share_velocity(t, r->meta.velocity);

    /* epoch, step, world size, figures of the epoch in progress, time,
     * ranks per sample */
    double pos[9] = {0};
    if (t->rank == 0) {
        const ckpt_meta_t *m = &r->meta;
        double v[9] = {m->epoch, (double)m->step, m->world_size, m->epoch_loss_sum,
                       (double)m->epoch_correct, (double)m->epoch_count, m->epoch_train_s,
                       m->elapsed_s, m->tensor_parallel};
        memcpy(pos, v, sizeof pos);
    }
    watchdog_enter("sharing the checkpoint's position", 0, 0);
    MPI_Bcast(pos, 9, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    watchdog_leave();
    int done = (int)pos[0], world = (int)pos[2], workers = world / (int)pos[8];
    int64_t step = (int64_t)pos[1];
    t->epoch = done + 1;
    t->epoch_stats.loss_sum = pos[3];
    t->epoch_stats.correct = (int64_t)pos[4];
    t->epoch_stats.count = (int64_t)pos[5];
    t->epoch_train_s = pos[6];
    t->t_start = now() - pos[7];

    if (t->cfg->mode == TRAIN_MODE_LOCAL && workers != t->tp.G && step > 0) {
        /* local mode deals one lane per worker (group): with another number
         * of them the epoch's rows are dealt differently, so continue at the
         * same fraction of the epoch (some rows may be seen twice or not at
         * all in it) */
        int64_t old_rows = (t->shard.n_rows + workers - 1) / workers;
        int64_t old_rounds = (old_rows + t->cfg->sync_every - 1) / t->cfg->sync_every;
        int64_t mapped = step * t->steps_per_epoch / old_rounds;
        log_info("resuming local mode with %d workers from a checkpoint of %d: round %lld of "
                 "%lld becomes round %lld of %lld", t->tp.G, workers, (long long)step,
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
    net_shape_t shape = config_net_shape(cfg);
    double params = (double)net_shape_params(&shape);
    return (int)ceil(params * sizeof(float) / 50e6 + 0.5);
}

/* mpirun, sent SIGTERM (Ctrl-C, scancel), waits odls_base_sigkill_timeout
 * seconds, passes SIGTERM on to the ranks, waits as long again and kills
 * them: 1 s by default, too soon for a large network's checkpoint
 * (784-100000-10: 318 MB, 1.8 s on this project's test machine, 2.0-2.6 s
 * on two ranks that gather their halves first), which is then lost. A stop
 * needs the step under way and one checkpoint (one being written when the
 * signal came is the stop's). The job scripts set train_stop_seconds; a
 * plain mpirun gets this warning when the checkpoint may need longer. */
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
    net_shape_t shape = config_net_shape(cfg);
    char network[512];
    if (net_shape_is_book(&shape))
        net_shape_sizes_text(&shape, network, sizeof network);
    else
        net_shape_describe(&shape, network, sizeof network);
    log_info("data: %lld training rows (rank 0 holds %lld, %.1f MiB%s, read in %.2f s), %lld "
             "test rows; network %s, %zu parameters",
             (long long)t->shard.n_rows, (long long)t->shard.n_local,
             t->shard.n_local * (imageset_image_size(&t->data) + 1.0) / (1 << 20),
             group_rows_shared(&t->rows_held) ? " in memory its group's ranks share" : "",
             t->read_s, (long long)t->test.count, network, net_shape_params(&shape));
    const int deep = shape.n_layers > 2;
    if (t->tp.T > 1)
        log_info("tensor parallel: %d group%s of %d ranks; each rank computes %d or %d of the %d "
                 "%s for all its group's samples%s%s", t->tp.G, t->tp.G == 1 ? "" : "s",
                 t->tp.T, cfg->hidden / t->tp.T, (cfg->hidden + t->tp.T - 1) / t->tp.T,
                 cfg->hidden, deep ? "units of the first hidden layer" : "hidden units",
                 deep ? ", and the layers above it whole" : "",
                 cfg->tensor_parallel ? "" : " (auto: the ranks of a node)");
    if (t->batch_wins)
        log_info("data parallel (tensor_parallel = auto): at a batch of %d, summing the weights "
                 "each step costs less than every rank of a node finding all its samples' lit "
                 "pixels", cfg->batch);
    warn_kill_timeout(t);
}

/* Everything before the first step: 0 or an exit status, the same on
 * every rank (with the message). */
int trainer_prepare(trainer_t *t)
{
    int64_t n_rows = 0;
    int rc = agree(t, fault_parse(t));
    int T = rc ? 1 : tensor_ranks(t->cfg, t->rank, t->size, &t->batch_wins);
    rc = rc ? rc : agree(t, tensor_init(&t->tp, T, t->cfg->hidden));
    rc = rc ? rc : open_data(t, &n_rows);
    rc = rc ? rc : agree(t, setup_local(t, n_rows));
    rc = rc ? rc : agree(t, init_weights(t));
    if (!rc)
        log_config(t);
    if (!rc && t->start->found)
        rc = apply_resume(t, t->start);
    return rc ? rc : agree(t, begin_output(t));
}
