/* train: the training loop over MPI_COMM_WORLD.
 *
 * Every rank reads its shard, all start from rank 0's initial weights, and:
 *   sync:  each step, every rank sums the updates of its part of the global
 *          batch and one in-place MPI_Allreduce of the parameter buffer
 *          makes the next weights on every rank (with tensor_parallel,
 *          the ranks of a group share each sample's hidden units and the
 *          groups share the batch: tensor.h);
 *   local: each rank runs the book's per-sample SGD on its shard and the
 *          weights are averaged every sync_every samples and at epoch end.
 * Rank 0 alone evaluates, logs, and writes model.h5, metrics.csv and the
 * checkpoints ([checkpoint] settings; ckptdir.h). A stop signal on any rank
 * (preempt.h) makes all ranks stop at the next step boundary after rank 0
 * has written a checkpoint. */
#ifndef NNMPI_TRAIN_H
#define NNMPI_TRAIN_H

#include <stdint.h>

#include "nnmpi/config.h"
#include "nnmpi/runstart.h"

typedef struct {
    double test_accuracy;   /* final, rank 0 only */
    double samples_per_s;   /* over the whole run */
    double wall_s;
    int epochs_done;        /* rank 0: where the run ended ... */
    int64_t step;           /* ... steps into the next epoch */
    char checkpoint[4096];  /* rank 0: the newest good checkpoint, "" if none */
    char model[CONFIG_PATH_MAX + 32]; /* rank 0: model.h5, once written */
} train_result_t;

/* Seconds a stopped run may need for its checkpoint (and the step in
 * progress): the network's weights at 50 MB/s plus half a second, rounded
 * up. What mpirun's kill timeout (odls_base_sigkill_timeout) should allow. */
int train_stop_seconds(const config_t *cfg);

/* Runs the configured training, afresh or from start's checkpoint, in the
 * run directory start holds locked; collective: every rank must call it.
 * Returns an exit status (exitstatus.h: 0 done, EXIT_STOPPED after a stop
 * signal and its checkpoint, EXIT_FAILURE_RUN...), the same on every rank,
 * with the same message in error_message() on every rank. */
int train_run(const config_t *cfg, runstart_t *start, train_result_t *result);

#endif
