/* train: the data-parallel training loop over MPI_COMM_WORLD.
 *
 * Every rank reads its shard, all start from rank 0's initial weights, and:
 *   sync:  each step, every rank sums the updates of its part of the global
 *          batch, one MPI_Allreduce adds them up, and every rank applies the
 *          same mean update;
 *   local: each rank runs the book's per-sample SGD on its shard and the
 *          weights are averaged every sync_every samples and at epoch end.
 * Rank 0 alone evaluates, logs, and writes model.h5 and metrics.csv. */
#ifndef NNMPI_TRAIN_H
#define NNMPI_TRAIN_H

#include "nnmpi/config.h"

/* Statuses besides 0: TRAIN_FAILED here (message in error_message()),
 * TRAIN_FAILED_ELSEWHERE when another rank failed and reported it. */
#define TRAIN_FAILED (-1)
#define TRAIN_FAILED_ELSEWHERE (-2)

typedef struct {
    double test_accuracy;   /* final, rank 0 only */
    double samples_per_s;   /* over the whole run */
    double wall_s;
} train_result_t;

/* Runs the configured training; collective: every rank must call it. */
int train_run(const config_t *cfg, train_result_t *result);

#endif
