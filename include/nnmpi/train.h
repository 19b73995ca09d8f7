/* train: the data-parallel training loop over MPI_COMM_WORLD.
 *
 * Every rank reads its shard, all start from rank 0's initial weights, and:
 *   sync:  each step, every rank sums the updates of its part of the global
 *          batch, one MPI_Allreduce adds them up, and every rank applies the
 *          same mean update;
 *   local: each rank runs the book's per-sample SGD on its shard and the
 *          weights are averaged every sync_every samples and at epoch end.
 * Rank 0 alone evaluates, logs, and writes model.h5, metrics.csv and the
 * checkpoints ([checkpoint] settings; ckptdir.h). A stop signal on any rank
 * (preempt.h) makes all ranks stop at the next step boundary after rank 0
 * has written a checkpoint. */
#ifndef NNMPI_TRAIN_H
#define NNMPI_TRAIN_H

#include "nnmpi/config.h"
#include "nnmpi/resume.h"

/* Statuses besides 0: TRAIN_FAILED here (message in error_message()),
 * TRAIN_FAILED_ELSEWHERE when another rank failed and reported it, and
 * TRAIN_PREEMPTED when a signal stopped the run after a checkpoint. */
#define TRAIN_FAILED (-1)
#define TRAIN_FAILED_ELSEWHERE (-2)
#define TRAIN_PREEMPTED 1

typedef struct {
    double test_accuracy;   /* final, rank 0 only */
    double samples_per_s;   /* over the whole run */
    double wall_s;
} train_result_t;

/* Runs the configured training, continuing from resume if it holds a
 * checkpoint (may be NULL); collective: every rank must call it. */
int train_run(const config_t *cfg, resume_t *resume, train_result_t *result);

#endif
