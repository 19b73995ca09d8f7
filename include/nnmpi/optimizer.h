/* optimizer: the step sync mode takes from a global batch's mean gradient
 * when it is more than the book's plain one ([train] optimizer, momentum).
 *
 * Why: beyond one node the global batch grows with the nodes, and with the
 * plain step a batch of 2048 no longer reaches 98.4% in 30 epochs. LARS
 * (You et al. 2017) scales each layer's step to a fixed fraction of that
 * layer's weights, so that no layer's step outgrows its weights when a
 * large batch asks for a large rate, and momentum carries the steps over
 * the few, large batches of an epoch: batch 2048 then reaches 98.4% in
 * about the epochs batch 32 needs (docs/time-to-accuracy.md).
 *
 * The step, per layer l (each weight matrix; biases are layers of their
 * own whose trust is always 1, as their weights start at 0):
 *     trust_l = lars_trust * |W_l| / |G_l|   (optimizer = lars; else 1)
 *     V_l     = momentum * V_l + trust_l * G_l
 *     W_l    += lr * V_l
 * with G the batch's mean ascent direction (minus the gradient). V is the
 * optimizer's state: it is checkpointed, in the weights' layout. */
#ifndef NNMPI_OPTIMIZER_H
#define NNMPI_OPTIMIZER_H

#include "nnmpi/config.h"
#include "nnmpi/net.h"

#define OPT_MAX_LAYERS (2 * NET_MAX_LAYERS)

typedef struct {
    size_t first, count; /* floats of params */
    int is_bias;
    int sliced;          /* with hidden-unit slices (tensor.h): each rank holds a part */
} opt_layer_t;

typedef struct {
    optimizer_kind_t kind;
    float momentum, trust;
    int n_layers;
    opt_layer_t layers[OPT_MAX_LAYERS];
    float *grad;      /* [n_params + room]: the step's reduction buffer */
    net_t velocity;   /* V, in the net's shape (momentum = 0: the last step alone) */
    size_t part_first, part_end; /* the floats this rank steps (all, unless
                                    optimizer_set_part shares them out) */
} optimizer_t;

/* Whether cfg's steps go through an optimizer_t rather than the book's
 * in-place plain step. */
int optimizer_wanted(const config_t *cfg);

/* For `net` (a rank's slice of the hidden units, or the whole net): the
 * gradient buffer with `room` floats after it and a zero velocity. */
int optimizer_init(optimizer_t *o, const config_t *cfg, const net_t *net, size_t room);
void optimizer_free(optimizer_t *o);

/* Only the floats [first, end) of the parameters are this rank's to step
 * (the data-parallel groups share the step out, each its part; the others'
 * parts arrive by an allgather). */
void optimizer_set_part(optimizer_t *o, size_t first, size_t end);

/* sums[2l], sums[2l+1]: |W_l|^2 and |G_l|^2 over this rank's part of
 * layer l (o->n_layers layers). */
void optimizer_layer_sums(const optimizer_t *o, const net_t *net, double *sums);

/* The step of this rank's part from o->grad with learning rate lr, the
 * layers' sums of squares complete (summed over the parts and the ranks
 * that share a sliced layer). */
void optimizer_step(optimizer_t *o, net_t *net, const double *sums, float lr);

#endif
