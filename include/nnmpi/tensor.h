/* tensor: hidden-unit (tensor) parallelism, combined with data parallelism.
 *
 * The P ranks of a job form G = P/T groups of T consecutive ranks. The
 * ranks of a group all process the same samples, each for its own slice of
 * the FIRST hidden layer's units (Megatron's split of an MLP): its columns
 * of w[0] (a [n_in, H/T] block, w_ih_t for the book's net), its part of
 * b[0], and the columns of w[1] that read the slice. Its products into the
 * second layer are partial sums: per step the group adds them up (samples
 * x sizes[2] floats, the outputs for a 3-layer net) before the second
 * layer's biases and function. Everything from b[1] on is replicated:
 * every rank of the group computes the later layers whole, identically,
 * and takes the same updates of them; the backward pass needs no exchange.
 * Every rank's slice stays in its own core's cache, where data parallelism
 * moves every changed weight row between the cores at every step. The
 * groups are data-parallel among themselves: the ranks that own the same
 * slice in every group reduce that slice's update (and the replicated
 * part). T = 1 is plain data parallelism, the same arithmetic as before;
 * T = P is tensor parallelism alone.
 *
 * Slices are contiguous and as even as can be (H = 200 in 3 slices: 67, 67,
 * 66). A rank's own net is the full net's shape with sizes[1] = its slice
 * width, in net.h's layout: [w0 | b0 | w1] are the slice's (a prefix of
 * params), [b1 | w2 | b2 ...] the replicated rest (the suffix; empty for
 * the book's net). The full net (for evaluation and files) is gathered on
 * every rank when needed. */
#ifndef NNMPI_TENSOR_H
#define NNMPI_TENSOR_H

#include <mpi.h>

#include "nnmpi/net.h"

enum { TENSOR_RIDERS = 4 };

typedef struct {
    int T, t;          /* slices per group, this rank's slice */
    int G, g;          /* groups, this rank's group */
    int H, h0, h1;     /* the full net's first hidden layer; this slice's [h0, h1) */
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

/* Whether slices pay for a shape: the layers every rank of a group
 * computes whole (from b1 on) hold at most a quarter as many parameters as
 * the sliced ones (w0, b0, w1), so that T ranks still share most of the
 * work. Always for the book's net, which replicates nothing. */
int tensor_splits_well(const net_shape_t *shape);

/* Whether slices beat sharing the batch for a group's batch of b samples:
 * slices make every rank of a group find all b samples' lit pixels and sum
 * b x sizes[2] floats a step; sharing the batch sums every parameter. */
int tensor_slices_pay(const net_shape_t *shape, int b);

/* Collective over MPI_COMM_WORLD: groups of T consecutive ranks, for a net
 * of H units in its first hidden layer. 0 or -1 (the same verdict on every rank). */
int tensor_init(tensor_t *tp, int T, int H);
void tensor_free(tensor_t *tp);

/* The hook net_work_t calls with a batch's partial pre-activations of
 * the second layer (count floats; the outputs for a 3-layer net): sums
 * them over the group, in place. */
void tensor_sum_outputs(float *o, int count, void *tp);

/* Room for the riders with sums of up to count floats (the largest batch
 * times the second layer's width), before training: 0 or -1 (out of
 * memory, or more than one MPI message holds). */
int tensor_reserve(tensor_t *tp, size_t count);

/* The n (at most TENSOR_RIDERS) floats v ride with the next output sums:
 * tensor_take_riders then gives their sum over the group. */
void tensor_set_riders(tensor_t *tp, const float *v, int n);

/* 1 and the riders' sum over the group in out if the output sums carried
 * them since tensor_set_riders (no outputs were summed, e.g. a step without
 * samples: 0, and the caller sums them itself). Clears the riders. */
int tensor_take_riders(tensor_t *tp, float *out);

/* Where a net's replicated part begins: the floats of params before it
 * (w0, b0, w1) are a rank's slice's own; those from it to n_params (b1,
 * w2, b2, ...) are the same on every rank of a group. n_params for the
 * book's net, which replicates nothing. */
size_t tensor_sliced_floats(const net_t *net);

/* This rank's slice of a full net, copied into slice (a net of the full
 * net's shape with h1-h0 units in its first hidden layer): its columns of
 * w0 and w1, its part of b0, and the replicated rest whole. */
void tensor_take_slice(const tensor_t *tp, const net_t *full, net_t *slice);

/* The inverse for slice t of T: its parameters (params, in its own net's
 * layout) into their places in full; the replicated rest too if
 * `replicated` (tensor_gather takes it from the group's rank 0). */
void tensor_place_slice(net_t *full, const float *params, int T, int t, int replicated);

/* Collective over the group: the slices into full, the whole net, on
 * every rank of the group (each evaluates a share of the test set with
 * it), the replicated part from the group's rank 0. 0 or -1, the same on
 * every rank of the group. */
int tensor_gather(const tensor_t *tp, const net_t *slice, net_t *full);

#endif
