/* lit_share: the ranks of a tensor group build their shared batch's lit
 * pixels once between them, not each in full.
 *
 * Why: the T ranks of a group (tensor.h) train on the same samples, and
 * each needs the batch's lit pixels by sample (its forward pass) and by
 * pixel (its weight update) for all of them. Built by every rank, those
 * lists were the work the second rank did not share: 17% of a 2-rank step
 * of the book's net at batch 64 here. So rank t of the group builds the
 * lists of samples [B*t/T, B*(t+1)/T) only (both kinds, sparse_batch.h),
 * into a window of memory the group shares (MPI_Win_allocate_shared), says
 * so with a counter of its own, and waits for the others' counters; every
 * rank then reads all T parts, and sums over them in the samples' order,
 * so the results are those of one whole list to the bit.
 *
 * Each rank has two slots and fills them in turn: a rank may begin the
 * next batch while another still reads this one's parts for its update,
 * but not the one after, for that rank must have said it built its part
 * of the next batch, which it does only after its update. The counters
 * are C11 atomics in the shared memory, written with release and read
 * with acquire order; waiting spins a while, then yields the core (ranks
 * may outnumber the cores). The wait is bracketed for the watchdog, so a
 * rank that stops answering ends the job as in any collective.
 *
 * Only for groups on one node (the shared memory needs it) of at most
 * NET_LIT_PARTS_MAX ranks; other groups build their lists each in full. */
#ifndef NNMPI_LIT_SHARE_H
#define NNMPI_LIT_SHARE_H

#include <mpi.h>
#include <stdatomic.h>
#include <stdint.h>

#include "nnmpi/net.h"

/* What a rank says of its parts, in the shared memory before them. */
typedef struct {
    _Atomic int64_t built;          /* batches it has built its part of */
    int32_t count[2], first[2];     /* per slot: the part's samples */
    float background[2];
} lit_share_head_t;

typedef struct {
    int T, t;                       /* ranks sharing; this one. T = 0: off */
    MPI_Win win;
    lit_share_head_t *head[NET_LIT_PARTS_MAX];
    sparse_batch_t part[2][NET_LIT_PARTS_MAX]; /* [slot][rank]: this rank's views */
    int64_t batches;                /* batches this rank has asked for */
} lit_share_t;

/* Collective over the group (its T ranks): the window, for batches of up
 * to `capacity` images of n_in pixels. Leaves ls off (T = 0) where the
 * group is not on one node or has over NET_LIT_PARTS_MAX ranks: check
 * lit_share_on. (MPI errors end the job: mpierror.h.) */
void lit_share_init(lit_share_t *ls, MPI_Comm group, int n_in, int capacity);
void lit_share_free(lit_share_t *ls);
int lit_share_on(const lit_share_t *ls);

/* net_work_t's share_lit (ctx: the lit_share_t): builds this rank's part
 * of the batch, waits for the others' and points work->lit_part at all. */
void lit_share_build(net_work_t *work, const uint8_t *const *pixels, int count, void *ctx);

#endif
