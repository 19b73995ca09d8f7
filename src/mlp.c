/* mlp: any network shape but the book's (mlp.h). Layer l maps act[l]
 * [B, n_l] to act[l+1] [B, n_{l+1}]: z = act[l] . W_l^T + b_l, then the
 * hidden activation, or at the last layer the output function. delta[l] is
 * minus the derivative of the loss by layer l's pre-activations, so the
 * update of W_l is +alpha * delta[l+1]^T . act[l], as the book's. A net
 * that is a rank's slice of the first hidden layer (tensor.h) runs the same
 * code: only layer 2's product needs the group (forward_rest). */
#include "mlp.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "nnmpi/dense.h"
#include "nnmpi/error.h"
#include "nnmpi/sparse_rows.h"

/* Where layer l's weights and biases lie in a buffer of params' layout. */
static float *weights_in(const net_t *net, float *buf, int l)
{
    return buf + (net->w[l] - net->params);
}

static float *biases_in(const net_t *net, float *buf, int l)
{
    return net->b[l] ? buf + (net->b[l] - net->params) : NULL;
}

/* Each of B rows of n: softmax, the row's largest value subtracted first
 * so that exp cannot overflow. */
static void softmax_rows(float *v, int B, int n)
{
    for (int b = 0; b < B; b++) {
        float *row = v + (size_t)b * n, top = row[0], sum = 0.0f;
        for (int k = 1; k < n; k++)
            top = row[k] > top ? row[k] : top;
        for (int k = 0; k < n; k++)
            sum += row[k] = expf(row[k] - top);
        for (int k = 0; k < n; k++)
            row[k] /= sum;
    }
}

/* Floats from one row of act[l] or delta[l] to the next: the first hidden
 * layer's are padded as w0's rows are (net.h). */
static int ld_of(const net_t *net, const net_work_t *work, int l)
{
    return l == 1 ? work->ldh : net->shape.sizes[l];
}

/* z [B, n] (rows ldz apart) += b, row by row. */
static void add_bias(float *z, int ldz, const float *b, int B, int n)
{
    for (int r = 0; r < B; r++)
        cblas_saxpy(n, 1.0f, b, 1, z + (size_t)r * ldz, 1);
}

/* The layers after the first one's product z1 (in act[1], without its
 * bias): biases, activations, the deeper products, the output function.
 * With `summed` and work->sum_outputs (tensor.h: this net holds a slice of
 * the first hidden layer), the second layer's product is this slice's part
 * of it, summed over the group before its biases. */
static void forward_rest(const net_t *net, net_work_t *work, int B, int summed)
{
    const net_shape_t *s = &net->shape;
    const int L = s->n_layers;
    for (int l = 0; l < L; l++) {
        const int n_in = s->sizes[l], n_out = s->sizes[l + 1], ldz = ld_of(net, work, l + 1);
        float *z = work->act[l + 1];
        if (l > 0) /* z[B, n_out] = act[l][B, n_in] . W_l[n_out, n_in]^T */
            dense_sgemm(0, 1, B, n_out, n_in, 1.0f,
                        work->act[l], ld_of(net, work, l), net->w[l], n_in, 0.0f, z, ldz);
        if (l == 1 && summed && work->sum_outputs)
            work->sum_outputs(z, B * n_out, work->sum_ctx);
        if (net->b[l])
            add_bias(z, ldz, net->b[l], B, n_out);
        if (l < L - 1) /* the pads too: they start at 0 and stay finite */
            activation_apply(s->activation, z, (size_t)B * ldz);
        else if (s->output == NET_OUT_SOFTMAX)
            softmax_rows(z, B, n_out);
        else
            activation_apply(NET_ACT_SIGMOID, z, (size_t)B * n_out);
    }
}

void mlp_forward(const net_t *net, net_work_t *work, int B, int summed)
{
    const int ni = net->n_in, n1 = net->n_hidden;
    dense_sgemm(0, 0, B, n1, ni, 1.0f, work->x, ni,
                net->w[0], net->ld0, 0.0f, work->act[1], work->ldh);
    forward_rest(net, work, B, summed);
}

/* The same from work->lit: z1_b = 0.01*col_sum + the rows of b's lit
 * pixels by their values (net.c's forward_lit, for any depth). */
static void forward_lit(const net_t *net, net_work_t *work)
{
    const int ni = net->n_in, n1 = net->n_hidden;
    const sparse_batch_t *lit = &work->lit;
    cblas_sgemv(CblasRowMajor, CblasTrans, ni, n1, 1.0f, net->w[0], net->ld0, work->ones, 1,
                0.0f, work->col_sum, 1);
    sparse_rows_sum_each(lit->count, n1, work->act[1], (size_t)work->ldh, lit->background,
                         work->col_sum,
                         lit->row_start, lit->row_pixel, lit->row_value, net->w[0],
                         (size_t)net->ld0);
    forward_rest(net, work, lit->count, 1);
}

float mlp_target(const net_shape_t *shape, int k, int label)
{
    if (shape->output == NET_OUT_SOFTMAX)
        return k == label ? 1.0f : 0.0f;
    return k == label ? NET_TARGET_HIGH : NET_TARGET_LOW;
}

/* delta[L] = -dLoss/dz of the outputs: t - o for cross-entropy (softmax or
 * sigmoid), (t - o) o (1 - o) for squared error; loss and accuracy into
 * stats. */
static void output_deltas(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                          net_stats_t *stats)
{
    const net_shape_t *s = &net->shape;
    const int no = net->n_out;
    double loss = 0.0;
    int64_t correct = 0;
    for (int b = 0; b < B; b++) {
        const float *o = work->o + (size_t)b * no;
        float *d = work->delta[s->n_layers] + (size_t)b * no;
        for (int k = 0; k < no; k++)
            d[k] = mlp_target(s, k, labels[b]) - o[k];
        if (s->loss == NET_LOSS_MSE) /* through the sigmoid outputs */
            activation_times_slope(NET_ACT_SIGMOID, d, o, (size_t)no);
        loss += net_sample_loss(net, o, labels[b]);
        correct += net_argmax(o, no) == labels[b];
    }
    if (stats) {
        stats->loss_sum += loss;
        stats->correct += correct;
        stats->count += B;
    }
}

/* out_b[n] = beta*out_b + alpha*(sum over the B rows of d [B, n], rows
 * ldd apart). */
static void update_bias(const net_work_t *work, const float *d, int ldd, int B, int n,
                        float alpha, float beta, float *out_b)
{
    if (out_b)
        cblas_sgemv(CblasRowMajor, CblasTrans, B, n, alpha, d, ldd, work->ones, 1, beta, out_b,
                    1);
}

/* After the forward pass: every delta from the output down to delta[1],
 * and the updates of the layers above the first. Layer l's weights are
 * read for delta[l] before out (maybe the weights) is written. */
static void backward_to_first(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                              float alpha, float beta, float *out, net_stats_t *stats)
{
    const net_shape_t *s = &net->shape;
    output_deltas(net, work, labels, B, stats);
    for (int l = s->n_layers - 1; l >= 1; l--) {
        const int n_in = s->sizes[l], n_out = s->sizes[l + 1], ld = ld_of(net, work, l);
        const float *d_above = work->delta[l + 1]; /* rows n_out apart (l + 1 > 1) */
        /* delta[l][B, n_in] = d_above[B, n_out] . W_l[n_out, n_in], times f' */
        dense_sgemm(0, 0, B, n_in, n_out, 1.0f, d_above,
                    n_out, net->w[l], n_in, 0.0f, work->delta[l], ld);
        activation_times_slope(s->activation, work->delta[l], work->act[l], (size_t)B * ld);
        /* out W_l[n_out, n_in] = alpha d_above^T . act[l] + beta out W_l */
        dense_sgemm(1, 0, n_out, n_in, B, alpha, d_above,
                    n_out, work->act[l], ld, beta, weights_in(net, out, l), n_in);
        update_bias(work, d_above, n_out, B, n_out, alpha, beta, biases_in(net, out, l));
    }
}

void mlp_batch_update(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                      float alpha, float beta, float *out, net_stats_t *stats)
{
    const int ni = net->n_in, n1 = net->n_hidden;
    mlp_forward(net, work, B, 1);
    backward_to_first(net, work, labels, B, alpha, beta, out, stats);
    /* out w0[ni, n1] = alpha x[B, ni]^T . delta[1][B, n1] + beta out w0 */
    dense_sgemm(1, 0, ni, n1, B, alpha, work->x, ni,
                work->delta[1], work->ldh, beta, weights_in(net, out, 0), net->ld0);
    update_bias(work, work->delta[1], work->ldh, B, n1, alpha, beta, biases_in(net, out, 0));
}

void mlp_batch_update_lit(const net_t *net, net_work_t *work, const uint8_t *labels,
                          float alpha, float beta, float *out, net_stats_t *stats)
{
    const int ni = net->n_in, n1 = net->n_hidden, B = work->lit.count;
    const sparse_batch_t *lit = &work->lit;
    forward_lit(net, work);
    backward_to_first(net, work, labels, B, alpha, beta, out, stats);
    /* w0 as the book's w_ih_t: the background's share alpha*0.01*e_sum in
     * every row, the lit pixels' deltas in theirs (net.c) */
    cblas_sgemv(CblasRowMajor, CblasTrans, B, n1, 1.0f, work->delta[1], work->ldh, work->ones, 1,
                0.0f, work->e_sum, 1);
    sparse_rows_update(ni, n1, weights_in(net, out, 0), (size_t)net->ld0, beta,
                       alpha * lit->background, work->e_sum, alpha, lit->col_start, lit->col,
                       work->delta[1], (size_t)work->ldh);
    float *out_b = biases_in(net, out, 0);
    for (int j = 0; out_b && j < n1; j++) /* beta 0: written without being read */
        out_b[j] = (beta != 0.0f ? beta * out_b[j] : 0.0f) + alpha * work->e_sum[j];
}

void mlp_sample_backward(net_t *net, net_work_t *work, int label, float lr, net_stats_t *stats)
{
    uint8_t lab = (uint8_t)label;
    forward_rest(net, work, 1, 1);
    backward_to_first(net, work, &lab, 1, lr, 1.0f, net->params, stats);
    if (net->b[0]) /* the first layer's weights are the caller's (net_loop_sample) */
        cblas_saxpy(net->n_hidden, lr, work->delta[1], 1, net->b[0], 1);
}

/* -log y, finite for y = 0 (an output rounded to 0 or 1 in float). */
static double neg_log(double y)
{
    return -log(y > DBL_MIN ? y : DBL_MIN);
}

double net_sample_loss(const net_t *net, const float *o, int label)
{
    const net_shape_t *s = &net->shape;
    double loss = 0.0;
    if (s->loss == NET_LOSS_CROSS_ENTROPY && s->output == NET_OUT_SOFTMAX)
        return neg_log(o[label]);
    for (int k = 0; k < net->n_out; k++) {
        float t = mlp_target(s, k, label);
        if (s->loss == NET_LOSS_MSE) {
            double e = (double)(t - o[k]); /* in float first, as the book's step */
            loss += 0.5 * e * e;
        } else {
            loss += t * neg_log(o[k]) + (1.0 - t) * neg_log(1.0 - (double)o[k]);
        }
    }
    return loss;
}

void mlp_rescale(double *v, int n, double span, double low)
{
    double lo = v[0], hi = v[0];
    for (int i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    for (int i = 0; i < n; i++)
        v[i] = hi > lo ? (v[i] - lo) / (hi - lo) * span + low : low + 0.5 * span;
}

/* Layer l's pre-activations z [n_{l+1}] from its outputs a, the layer's
 * function inverted and its biases taken off. */
static void invert_layer(const net_t *net, int l, const double *a, double *z)
{
    const net_shape_t *s = &net->shape;
    const int n = s->sizes[l + 1], last = l == s->n_layers - 1;
    for (int j = 0; j < n; j++) {
        if (last && s->output == NET_OUT_SOFTMAX)
            z[j] = log(a[j]);   /* the logits, up to a constant */
        else
            z[j] = activation_inverse(last ? NET_ACT_SIGMOID : s->activation, a[j]);
        z[j] -= net->b[l] ? net->b[l][j] : 0.0f;
    }
}

/* a [n_l] = W_l^T z, W_0 being stored transposed. */
static void transpose_times(const net_t *net, int l, const double *z, double *a)
{
    const int n_in = net->shape.sizes[l], n_out = net->shape.sizes[l + 1];
    for (int i = 0; i < n_in; i++) {
        double sum = 0.0;
        for (int j = 0; j < n_out; j++)
            sum += (l == 0 ? net->w[0][(size_t)i * net->ld0 + j]
                           : net->w[l][(size_t)j * n_in + i]) * z[j];
        a[i] = sum;
    }
}

int mlp_backquery(const net_t *net, const float *target, float *image)
{
    const net_shape_t *s = &net->shape;
    if (s->activation == NET_ACT_RELU)
        return error_set("a ReLU net cannot be run backwards: every negative input gives 0, so "
                         "a 0 names no input (back-query inverts sigmoid and tanh nets)");
    int widest = 0;
    for (int l = 0; l <= s->n_layers; l++)
        widest = s->sizes[l] > widest ? s->sizes[l] : widest;
    double *a = malloc((size_t)widest * sizeof *a), *z = malloc((size_t)widest * sizeof *z);
    if (!a || !z) {
        free(a);
        free(z);
        return error_set("out of memory for a back-query");
    }
    for (int k = 0; k < net->n_out; k++)
        a[k] = target[k];
    for (int l = s->n_layers - 1; l >= 0; l--) {
        invert_layer(net, l, a, z);
        transpose_times(net, l, z, a);
        if (l > 0 && s->activation == NET_ACT_TANH) /* into atanh's open range */
            mlp_rescale(a, s->sizes[l], 1.98, -0.99);
        else /* into the logit's, or the input's 0.01..0.99 */
            mlp_rescale(a, s->sizes[l], 0.98, 0.01);
    }
    for (int i = 0; i < net->n_in; i++)
        image[i] = (float)a[i];
    free(a);
    free(z);
    return 0;
}
