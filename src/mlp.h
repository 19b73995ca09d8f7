/* mlp: training and inference of any shape net.h allows other than the
 * book's (several hidden layers; sigmoid, tanh or ReLU; softmax; cross-
 * entropy; biases), always along the exact gradient of the loss. Private
 * to net.c, whose entry points (net_forward, net_batch_update,
 * net_batch_update_pixels, the per-sample loop) send such nets here; the
 * book's shape never comes here, so its numbers stay the book code's
 * (the neuron functions both use are activation.h's, the book's exact
 * arithmetic).
 *
 * The contract is net.c's: forward from work->x (or the lit pixels in
 * work->lit), outputs in work->o, and the update
 *   out = beta*out + alpha*U,  U = minus the gradient of the batch's loss sum,
 * in the layout of params; out may be net->params itself (every layer's
 * weights are read for the deltas below them before they are written).
 * The first layer is sparse from the lit pixels, the others dense (sgemm).
 *
 * Tensor parallelism (tensor.h): the net may hold a slice of the first
 * hidden layer (sizes[1] its width; w0, b0 and w1's columns of it, the
 * layers above whole). Then the training functions call work->sum_outputs
 * with the second layer's products [B, sizes[2]], partial sums of this
 * slice, before its biases; everything after is the group's, computed the
 * same on every rank. The backward pass needs no exchange: delta[1] =
 * delta[2] . W1 over this slice's columns is the slice's own. mlp_forward
 * sums only when asked (net_forward does not). */
#ifndef NNMPI_MLP_H
#define NNMPI_MLP_H

#include <stdint.h>

#include "nnmpi/net.h"

/* The outputs of B samples from work->x; with `summed`, the second
 * layer's products summed through work->sum_outputs when it is set. */
void mlp_forward(const net_t *net, net_work_t *work, int B, int summed);

/* The update from work->x (dense first layer). */
void mlp_batch_update(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                      float alpha, float beta, float *out, net_stats_t *stats);

/* The update from the batch in work->lit (built and indexed by pixel):
 * the first layer over the lit pixels only. */
void mlp_batch_update_lit(const net_t *net, net_work_t *work, const uint8_t *labels,
                          float alpha, float beta, float *out, net_stats_t *stats);

/* The per-sample loop's step above the first layer (net_loop_sample):
 * from the first layer's product z1 in work->act[1] (without its biases),
 * the forward pass, the deltas down to work->delta[1], and the update,
 * with learning rate lr, of every layer but the first's weights, in place
 * (the first layer's biases included). */
void mlp_sample_backward(net_t *net, net_work_t *work, int label, float lr, net_stats_t *stats);

/* The back-query of a net of sigmoid or tanh hidden layers (the book's,
 * generalised): from target [n_out] (each in (0, 1), checked by the
 * caller) back through each layer's inverse output function (logit,
 * atanh; a softmax's log, its logits up to a constant), minus the biases,
 * times W^T, each layer rescaled into its activation's open range, to an
 * image [n_in] in 0.01..0.99. ReLU nets are refused: -1 saying why. */
int mlp_backquery(const net_t *net, const float *target, float *image);

/* v[0..n) mapped linearly onto [low, low + span] (all equal: the middle),
 * as the book rescales each back-queried layer. */
void mlp_rescale(double *v, int n, double span, double low);

/* The target of output k for a sample of `label`: 0.01/0.99 for sigmoid
 * outputs (the book's), 0/1 for softmax. */
float mlp_target(const net_shape_t *shape, int k, int label);

#endif
