/* train_files: rank 0's files -- checkpoints (with the rule that a few
 * failed writes in a row stop the run), model.h5, the answers to the
 * user's own pictures and the back-query pictures. */
#include "train_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/ckptdir.h"
#include "nnmpi/csv.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/image.h"
#include "nnmpi/log.h"
#include "nnmpi/preempt.h"
#include "nnmpi/query.h"
#include "nnmpi/watchdog.h"

/* The state at the current position, for ckpt_write (rank 0). */
static ckpt_meta_t state_meta(const trainer_t *t, int epochs_done, int64_t step)
{
    ckpt_meta_t m = {
        .epoch = epochs_done,
        .step = step,
        .seed = t->cfg->seed,
        .world_size = t->size,
        .tensor_parallel = t->tp.T,
        .rule = t->cfg->rule,
        .config_text = config_to_text(t->cfg),
        .metrics = t->metrics,
        .elapsed_s = now() - t->t_start,
        .data_rows = t->shard.n_rows,
        .data_id = t->data_id,
        .parent = t->start->parent,
        .lineage = t->start->lineage,
        .image_height = t->cfg->data_height,
        .image_width = t->cfg->data_width,
        .class_names = t->class_names,
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

/* With hidden-unit slices: the whole net onto rank 0 (collective over
 * group 0; the other groups hold the same slices). */
int trainer_gather(trainer_t *t)
{
    if (t->tp.T == 1)
        return 0;
    return tensor_gather(&t->tp, &t->net, &t->full);
}

int trainer_gather_velocity(trainer_t *t)
{
    if (!t->optimizing)
        return 0;
    if (t->tp.G > 1) { /* each group kept its part of the step's velocity */
        watchdog_enter("gathering the momentum", -1, 0);
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, t->opt.velocity.params,
                       t->part_counts, t->part_offsets, MPI_FLOAT, t->tp.slice);
        watchdog_leave();
    }
    if (t->tp.T == 1)
        return 0;
    return tensor_gather(&t->tp, &t->opt.velocity, &t->velocity_full);
}

/* Rank 0: the whole velocity in book order, for a checkpoint (NULL without
 * momentum, or out of memory: then the checkpoint is not written). */
static float *velocity_book(trainer_t *t, int *fail)
{
    if (!t->optimizing)
        return NULL;
    net_t *all = whole_velocity(t);
    float *book = malloc(all->n_params * sizeof *book);
    if (book)
        net_to_book_order(all, book);
    else
        *fail = error_set("out of memory for the momentum of a checkpoint");
    return book;
}

/* Rank 0 saves the checkpoint of the current position (gathered: the
 * whole net is at hand). A failure is reported and training goes on: the
 * previous checkpoint is still whole. Returns 0 or -1. */
static int save_checkpoint(trainer_t *t, int at_epoch_end, int gathered)
{
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
    int fail = 0;
    meta.velocity = velocity_book(t, &fail);
    int rc = gathered && meta.config_text && !fail
                 ? ckptdir_save(t->cfg->dir, whole(t), &meta, is_best, t->ckpt_path,
                                sizeof t->ckpt_path)
                 : -1;
    free(meta.config_text);
    free(meta.velocity);
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
        if (ckptdir_prune(t->cfg->dir, t->cfg->ckpt_keep) < 0)
            log_warn("%s", error_message());
    }
    return rc;
}

/* A stop signal that came while the checkpoint was written stops training
 * at once, with that checkpoint: going on to the next step's stop would
 * write another, and mpirun kills its ranks a set time after passing the
 * signal on (two 318 MB checkpoints of 2.9 s each missed its 7 s). Every
 * rank takes part; rank 0 alone knows whether its write succeeded. */
static void stop_if_signalled_meanwhile(trainer_t *t, int written)
{
    int mine[2] = {preempt_signal() != 0, written}, all[2];
    watchdog_enter("agreeing whether to stop", t->epoch, t->step);
    MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    watchdog_leave();
    t->stop = all[0] && all[1];
}

/* Rank 0 writes a checkpoint of the current position. After
 * CKPT_MAX_FAILURES failures in a row it raises STAT_CKPT_FAILED in the
 * next reduction and every rank stops (exit 1). At an epoch's end the
 * whole net is gathered already (for evaluation). */
void trainer_write_checkpoint(trainer_t *t, int at_epoch_end)
{
    int gathered = at_epoch_end || trainer_gather(t) == 0;
    gathered = trainer_gather_velocity(t) == 0 && gathered;
    int written = t->rank == 0 && save_checkpoint(t, at_epoch_end, gathered) == 0;
    if (!t->stop)
        stop_if_signalled_meanwhile(t, written);
}

/* The verdict once checkpoints kept failing: rank 0's message names the
 * cause and the checkpoint a resume will take. */
int trainer_ckpt_give_up(const trainer_t *t)
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
void trainer_after_step(trainer_t *t)
{
    const config_t *cfg = t->cfg;
    t->step++;
    if (t->step == t->steps_per_epoch)
        return;
    int64_t done = (int64_t)(t->epoch - 1) * t->steps_per_epoch + t->step;
    if (t->stop || t->timer || (cfg->ckpt_every_steps && done % cfg->ckpt_every_steps == 0))
        trainer_write_checkpoint(t, 0);
}

static void warn_picture(void *ctx, const char *message)
{
    (void)ctx;
    log_warn("%s", message);
}

/* query_run's answered hook: one row of own_images.csv (ctx: the file). */
static int own_images_row(void *ctx, const char *path, const uint8_t *px,
                          const query_answer_t *a)
{
    (void)px;
    FILE *csv = ctx;
    csv_write_field(csv, path);
    fprintf(csv, ",%d,%.4f,%d,%.4f\n", a->digit, (double)a->confidence, a->runner_up,
            (double)a->runner_up_confidence);
    return 0;
}

/* [query] frame, for the data's images: the mnist and book frames make
 * 28x28 digits, so other sizes take the scale frame (as `nnmpi query`
 * does for their models). */
static image_frame_t own_images_frame(const trainer_t *t)
{
    if (t->data.height == IMAGE_SIDE && t->data.width == IMAGE_SIDE)
        return (image_frame_t)t->cfg->query_frame;
    if (t->cfg->query_frame != IMAGE_FRAME_SCALE)
        log_info("  [query] frame: the scale frame, for the data's %dx%d pictures",
                 t->data.height, t->data.width);
    return IMAGE_FRAME_SCALE;
}

/* The pictures of list answered into csv_path (under a temporary name until
 * every row is written) and the montage png_path. */
static int answer_pictures(trainer_t *t, const query_list_t *list, const char *csv_path,
                           const char *png_path, size_t *answered, size_t *failed)
{
    char tmp[4096];
    FILE *csv;
    *answered = *failed = 0;
    if (fs_tmp_name(csv_path, tmp, sizeof tmp) < 0)
        return -1;
    if (!(csv = fopen(tmp, "w")))
        return error_set("%s: cannot write", csv_path);
    fprintf(csv, "file,digit,confidence,runner_up,runner_up_confidence\n");
    for (size_t i = 0; i < list->skipped.count; i++)
        log_warn("%s", list->skipped.items[i]);
    const query_run_opts_t run = {
        .frame = own_images_frame(t),
        .height = t->data.height,
        .width = t->data.width,
        .montage_path = png_path,
        .ctx = csv,
        .answered = own_images_row,
        .failed = warn_picture,
        .warn = warn_picture,
    };
    int rc = query_run(whole(t), list, &run, answered, failed);
    int bad = ferror(csv);
    bad |= fclose(csv) != 0;
    if (rc == 0 && bad)
        rc = error_set("%s: cannot write", csv_path);
    if (rc == 0)
        return fs_commit(tmp, csv_path);
    remove(tmp);
    return -1;
}

/* Rank 0: answer the user's own pictures ([query] images) with the current
 * net into DIR/own_images.csv and DIR/own_images.png. Problems are warnings:
 * they must not cost the training. */
void trainer_answer_own_images(trainer_t *t)
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
        answer_pictures(t, &list, csv, png, &answered, &failed) < 0)
        log_warn("[query] images: %s", error_message());
    else
        log_info("  own pictures: %zu answered%s%s -> %s, %s", answered,
                 failed ? ", could not read " : "", failed ? "some (see warnings)" : "", csv, png);
    query_list_free(&list);
}

void trainer_write_backquery(trainer_t *t)
{
    if (t->rank != 0 || !t->cfg->backquery)
        return;
    if (whole(t)->shape.activation == NET_ACT_RELU) {
        log_info("back-query: not drawn, a ReLU net cannot be run backwards "
                 "(output.backquery = false silences this)");
        return;
    }
    char dir[CONFIG_PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/backquery", t->cfg->dir);
    if (query_backquery_all(whole(t), t->data.height, t->data.width, dir, 10) < 0)
        log_warn("back-query pictures not written: %s", error_message());
    else
        log_info("back-query: %s/backquery_all.png", dir);
}

int trainer_write_model(trainer_t *t)
{
    if (trainer_gather(t) < 0 || t->rank != 0)
        return t->rank == 0 ? -1 : 0;
    ckpt_meta_t meta = state_meta(t, t->cfg->epochs, 0);
    int rc = meta.config_text ? ckpt_write(t->model_path, whole(t), &meta) : -1;
    free(meta.config_text);
    return rc;
}
