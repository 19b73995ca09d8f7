/* tensor: hidden-unit (tensor) parallelism, combined with data parallelism.
 *
 * The P ranks of a job form G = P/T groups of T consecutive ranks. The
 * ranks of a group all process the same samples, each for its own slice of
 * the hidden units: its columns of w_ih (a [n_in, H/T] block of w_ih_t) and
 * of w_ho. Per step they exchange only the output layer's partial sums
 * (samples x n_out floats): every rank's weights stay in its own core's
 * cache, where data parallelism moves every changed weight row between the
 * cores at every step. The groups are data-parallel among themselves: the
 * ranks that own the same slice in every group reduce that slice's update.
 * T = 1 is plain data parallelism, the same arithmetic as before; T = P is
 * tensor parallelism alone.
 *
 * Slices are contiguous and as even as can be (H = 200 in 3 slices: 67, 67,
 * 66). A rank's own net is a 784-Hs-10 net of its slice; the full net (for
 * evaluation and files) is gathered on every rank when needed. */
#ifndef NNMPI_TENSOR_H
#define NNMPI_TENSOR_H

#include <mpi.h>

#include "nnmpi/net.h"

enum { TENSOR_RIDERS = 4 };

typedef struct {
    int T, t;          /* slices per group, this rank's slice */
    int G, g;          /* groups, this rank's group */
    int H, h0, h1;     /* hidden units of the full net; this slice's [h0, h1) */
    MPI_Comm group;    /* the T ranks of this group (sharing the samples) */
    MPI_Comm slice;    /* the G ranks owning slice t (reducing its update) */
    /* a few floats to sum over the group with the next output sums, so that
     * a step needs one exchange in the group, not two (tensor_set_riders) */
    float riders[TENSOR_RIDERS];
    int n_riders, riders_summed;
    float *sum_buf; /* the outputs and the riders, contiguous for the sum */
    size_t sum_cap;
} tensor_t;

/* The slice t of H hidden units cut into T: [*h0, *h1). */
void tensor_slice_range(int H, int T, int t, int *h0, int *h1);

/* The largest T <= want that divides the job's ranks and leaves every slice
 * at least min_slice hidden units of H (at least 1). */
int tensor_fit(int want, int ranks, int H, int min_slice);

/* Collective over MPI_COMM_WORLD: groups of T consecutive ranks, for a net
 * of H hidden units. 0 or -1 (the same verdict on every rank). */
int tensor_init(tensor_t *tp, int T, int H);
void tensor_free(tensor_t *tp);

/* The hook net_work_t calls with a batch's output pre-activations (count
 * floats): sums them over the group, in place. */
void tensor_sum_outputs(float *o, int count, void *tp);

/* Room for the riders with outputs of up to count floats (the largest
 * batch times the outputs), before training: 0 or -1 (out of memory). */
int tensor_reserve(tensor_t *tp, int count);

/* The n (at most TENSOR_RIDERS) floats v ride with the next output sums:
 * tensor_take_riders then gives their sum over the group. */
void tensor_set_riders(tensor_t *tp, const float *v, int n);

/* 1 and the riders' sum over the group in out if the output sums carried
 * them since tensor_set_riders (no outputs were summed, e.g. a step without
 * samples: 0, and the caller sums them itself). Clears the riders. */
int tensor_take_riders(tensor_t *tp, float *out);

/* This rank's slice of a full net, copied into slice (a net of h1-h0
 * hidden units). */
void tensor_take_slice(const tensor_t *tp, const net_t *full, net_t *slice);

/* Collective over the group: the slices into full, the whole net, on
 * every rank of the group (each evaluates a share of the test set with
 * it). 0 or -1, the same on every rank of the group. */
int tensor_gather(const tensor_t *tp, const net_t *slice, net_t *full);

#endif
