/* group_rows: the training rows of a tensor group, held once per node.
 *
 * Why: the T ranks of a group (tensor.h) train on the same rows. Each
 * holding its own copy took T times the shard's memory (135 MiB a rank
 * for MNIST with its ±10° copies), and the ranks fetched every image of a
 * batch from memory once each. One copy in a window of memory the group
 * shares (MPI_Win_allocate_shared) is read from the file once, by the
 * group's first rank: a node holds the rows once, and the ranks train as
 * fast as with a copy each (sprint.ini on 2 ranks: 625k against 627k
 * samples/s; 3-6% faster while another job loaded the machine).
 *
 * Only where MPI can give it: the group's ranks on one node and MPI's
 * unified memory model (loads and stores of the window are seen as
 * such); elsewhere every rank reads its own copy, as before. */
#ifndef NNMPI_GROUP_ROWS_H
#define NNMPI_GROUP_ROWS_H

#include <mpi.h>

#include "nnmpi/imageset.h"
#include "nnmpi/shard.h"

typedef struct {
    MPI_Win win; /* MPI_WIN_NULL: the rows are the rank's own */
} group_rows_t;

/* Collective over group: the shard's rows of the file at path into set,
 * in memory the group shares when it can (else each rank reads its own,
 * dataset_read_shard). 0, or -1 with the error set on every rank of the
 * group (the reading rank's own message, or one naming it). */
int group_rows_read(group_rows_t *g, MPI_Comm group, const char *path, const shard_t *shard,
                    imageset_t *set);

/* Whether set's rows are in shared memory (held once by the group). */
int group_rows_shared(const group_rows_t *g);

/* Frees set (the window, or its own buffers). Collective over the group
 * when shared. */
void group_rows_free(group_rows_t *g, imageset_t *set);

#endif
