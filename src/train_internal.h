/* train_internal: the trainer's state and what its files share.
 *
 * The training run (train.h) is four files: train.c runs the epochs and
 * ends the run; train_setup.c does everything before the first step (the
 * data, the weights, a resume, the run directory); train_step.c the steps
 * of sync and local mode and their reductions; train_files.c the
 * checkpoints and the files of the end (model.h5, the answers to the user's
 * pictures, the back-query pictures). Private to them. */
#ifndef NNMPI_TRAIN_INTERNAL_H
#define NNMPI_TRAIN_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "nnmpi/agree.h"
#include "nnmpi/augment_ahead.h"
#include "nnmpi/group_rows.h"
#include "nnmpi/config.h"
#include "nnmpi/exitstatus.h"
#include "nnmpi/imageset.h"
#include "nnmpi/metrics.h"
#include "nnmpi/net.h"
#include "nnmpi/optimizer.h"
#include "nnmpi/runstart.h"
#include "nnmpi/shard.h"
#include "nnmpi/tensor.h"
#include "nnmpi/train.h"

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

/* Local mode with [augment]: samples distorted at a time, the next chunk on
 * the helper thread (a few hundred microseconds of work: enough to keep it
 * busy between hand-overs, small enough to cost nothing at an epoch's end). */
#define LOCAL_CHUNK 64

typedef struct {
    const config_t *cfg;
    runstart_t *start;   /* how the run started; its lock and lineage (rank 0) */
    int rank, size;
    tensor_t tp;         /* groups and hidden-unit slices (tensor.h) */
    shard_t shard;       /* this rank's group's rows (its lanes) */
    imageset_t data;     /* this rank's training rows, in shard order */
    group_rows_t rows_held; /* how: in memory the tensor group shares, or its own */
    imageset_t test;     /* the test set (each rank evaluates a share) */
    net_t net;           /* this rank's slice of the hidden units (all with T = 1) */
    net_t full;          /* with T > 1: the whole net, gathered when needed */
    net_work_t work;
    int optimizing;      /* sync mode's steps through opt (optimizer.h), not in place */
    optimizer_t opt;
    net_t velocity_full; /* with T > 1 and opt: the whole velocity, gathered when needed */
    /* with opt and G > 1 groups: the groups share the optimizer's step out
     * (the gradient reduce-scattered, each group stepping its part, the
     * weights allgathered), over tp.slice; part_grad [part_counts[g]] */
    int *part_counts, *part_offsets;
    float *part_grad;
    int batch_wins;      /* tensor_parallel = auto chose 1 for the batch's size */
    uint8_t *labels;     /* [batch capacity] labels of the current batch */
    int64_t *rows;       /* [batch capacity] local rows of a batch (sync mode) */
    const uint8_t **pixels; /* [batch capacity] its images (views into data or distorted) */
    augment_ahead_t augment; /* [augment]: this rank's fresh distortions; sync mode
                              * makes the next batch's on a helper thread */
    /* local mode with [augment]: the lane's samples [chunk_first, chunk_end)
     * of this epoch's order are distorted in `chunk`; the next chunk is
     * being made in the other slot */
    int64_t chunk_first, chunk_end;
    const uint8_t *chunk;
    int chunk_slot;
    uint8_t *shared_batch;  /* [batch capacity, pixels] sync mode with [augment] and
                             * T > 1: the group's distortions, each rank having
                             * made its block of the batch */
    uint32_t *order;     /* [lane_count * steps] this epoch's visiting order */
    char *data_id;       /* the dataset's identity, checked on resume */
    char *class_names;   /* the dataset's (classnames.h), for the model files; NULL: none */
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
    double optimizer_s;      /* and in the optimizer's steps after them */
    int64_t steps_timed;
    int stop;                /* agreed: some rank was asked to stop */
    int timer;               /* agreed: rank 0's checkpoint timer ran out */
    int64_t fault_step;      /* test hook NNMPI_FAULT (see fault_parse); 0: none */
    int fault_rank;
    int fault_mpi;           /* 1: the fault is a refused MPI call, not a NaN */

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
static inline int agree(const trainer_t *t, int status)
{
    (void)t;
    return agree_all(status < 0 ? EXIT_FAILURE_RUN : status, NULL);
}

static inline double now(void)
{
    return MPI_Wtime();
}

/* The whole net: with T > 1, once gathered (trainer_gather). */
static inline net_t *whole(trainer_t *t)
{
    return t->tp.T > 1 ? &t->full : &t->net;
}

/* The optimizer's velocity of the whole net (with T > 1, once gathered). */
static inline net_t *whole_velocity(trainer_t *t)
{
    return t->tp.T > 1 ? &t->velocity_full : &t->opt.velocity;
}
/* The buffer a sync step's update goes to and its reduction sums, with the
 * figures and flags after it: the weights themselves for the book's plain
 * step, the optimizer's gradient otherwise. */
static inline float *reduction_buffer(trainer_t *t)
{
    return t->optimizing ? t->opt.grad : t->net.params;
}
/* train_setup.c */

/* Everything before the first step: 0 or an exit status, the same on
 * every rank (with the message). */
int trainer_prepare(trainer_t *t);
void trainer_output_paths(trainer_t *t);

/* train_step.c */

/* The rest of the epoch in progress, or until a rank is asked to stop:
 * 0 or -1 (the same verdict and message on every rank). */
int trainer_epoch_sync(trainer_t *t);
int trainer_epoch_local(trainer_t *t);
/* Local mode: the ranks' weights averaged, st's figures riding along. */
int trainer_average_weights(trainer_t *t, const net_stats_t *st);
/* The learning rate at the current position. */
double trainer_lr(const trainer_t *t);
/* Where a step's time went (collective; rank 0 says it if `say`). */
void trainer_log_step_times(const trainer_t *t, int say);

/* train_files.c */

/* Collective (T > 1): the slices into every rank's whole net. */
int trainer_gather(trainer_t *t);
/* The same for the optimizer's velocity (nothing to do without one). */
int trainer_gather_velocity(trainer_t *t);

void trainer_write_checkpoint(trainer_t *t, int at_epoch_end);
int trainer_ckpt_give_up(const trainer_t *t);
void trainer_after_step(trainer_t *t);
void trainer_answer_own_images(trainer_t *t);
void trainer_write_backquery(trainer_t *t);
int trainer_write_model(trainer_t *t);

#endif
