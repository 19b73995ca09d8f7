#include "nnmpi/net.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

size_t net_param_count(int n_in, int n_hidden, int n_out)
{
    return (size_t)n_hidden * (size_t)n_in + (size_t)n_out * (size_t)n_hidden;
}

int net_init(net_t *net, int n_in, int n_hidden, int n_out)
{
    return net_init_room(net, n_in, n_hidden, n_out, 0);
}

int net_init_room(net_t *net, int n_in, int n_hidden, int n_out, size_t room)
{
    memset(net, 0, sizeof *net);
    if (n_in <= 0 || n_hidden <= 0 || n_out <= 0 || n_in > 1 << 20 || n_hidden > 1 << 20 ||
        n_out > 1 << 10)
        return error_set("network sizes %d-%d-%d are out of range", n_in, n_hidden, n_out);
    net->n_in = n_in;
    net->n_hidden = n_hidden;
    net->n_out = n_out;
    net->n_params = net_param_count(n_in, n_hidden, n_out);
    net->n_room = room;
    net->params = calloc(net->n_params + room, sizeof(float));
    if (!net->params)
        return error_set("out of memory for a %d-%d-%d network", n_in, n_hidden, n_out);
    net->w_ih = net->params;
    net->w_ho = net->params + (size_t)n_hidden * n_in;
    return 0;
}

void net_free(net_t *net)
{
    free(net->params);
    memset(net, 0, sizeof *net);
}

void net_init_weights(net_t *net, rng_t *rng)
{
    double s_ih = pow(net->n_in, -0.5), s_ho = pow(net->n_hidden, -0.5);
    size_t n_ih = (size_t)net->n_hidden * net->n_in;
    for (size_t i = 0; i < n_ih; i++)
        net->w_ih[i] = (float)(rng_normal(rng) * s_ih);
    for (size_t i = 0; i < (size_t)net->n_out * net->n_hidden; i++)
        net->w_ho[i] = (float)(rng_normal(rng) * s_ho);
}

int net_work_init(net_work_t *work, const net_t *net, int capacity)
{
    memset(work, 0, sizeof *work);
    if (capacity <= 0)
        return error_set("batch capacity %d must be positive", capacity);
    size_t c = (size_t)capacity;
    work->capacity = capacity;
    work->x = malloc(c * net->n_in * sizeof(float));
    work->h = malloc(c * net->n_hidden * sizeof(float));
    work->o = malloc(c * net->n_out * sizeof(float));
    work->d_o = malloc(c * net->n_out * sizeof(float));
    work->e_h = malloc(c * net->n_hidden * sizeof(float));
    if (!work->x || !work->h || !work->o || !work->d_o || !work->e_h) {
        net_work_free(work);
        return error_set("out of memory for a batch of %d samples", capacity);
    }
    return 0;
}

void net_work_free(net_work_t *work)
{
    free(work->x);
    free(work->h);
    free(work->o);
    free(work->d_o);
    free(work->e_h);
    memset(work, 0, sizeof *work);
}

void net_scale_input(const uint8_t *pixels, float *x, size_t n)
{
    /* A table gives exactly the same float for a pixel value everywhere
     * (training, evaluation, queries), and is faster than dividing. */
    static float table[256];
    static int ready;
    if (!ready) {
        for (int v = 0; v < 256; v++)
            table[v] = (float)((double)v / 255.0 * 0.99 + 0.01);
        ready = 1;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = table[pixels[i]];
}

static void sigmoid_inplace(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = 1.0f / (1.0f + expf(-v[i]));
}

void net_forward(const net_t *net, net_work_t *work, int B)
{
    const int ni = net->n_in, nh = net->n_hidden, no = net->n_out;
    /* h[B,nh] = sigmoid(x[B,ni] . w_ih[nh,ni]^T) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nh, ni, 1.0f, work->x, ni,
                net->w_ih, ni, 0.0f, work->h, nh);
    sigmoid_inplace(work->h, (size_t)B * nh);
    /* o[B,no] = sigmoid(h[B,nh] . w_ho[no,nh]^T) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, no, nh, 1.0f, work->h, nh,
                net->w_ho, nh, 0.0f, work->o, no);
    sigmoid_inplace(work->o, (size_t)B * no);
}

int net_argmax(const float *o, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (o[k] > o[best])
            best = k;
    return best;
}

/* Output errors e_o = t - o into d_o; loss and accuracy into stats. */
static void output_errors(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                          net_stats_t *stats)
{
    const int no = net->n_out;
    double loss = 0.0;
    int64_t correct = 0;
    for (int b = 0; b < B; b++) {
        const float *o = work->o + (size_t)b * no;
        float *e = work->d_o + (size_t)b * no;
        for (int k = 0; k < no; k++) {
            float t = k == labels[b] ? NET_TARGET_HIGH : NET_TARGET_LOW;
            e[k] = t - o[k];
            loss += 0.5 * (double)e[k] * e[k];
        }
        correct += net_argmax(o, no) == labels[b];
    }
    if (stats) {
        stats->loss_sum += loss;
        stats->correct += correct;
        stats->count += B;
    }
}

/* v *= y*(1-y) elementwise: turns errors into deltas of a sigmoid layer. */
static void times_sigmoid_slope(float *v, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] *= y[i] * (1.0f - y[i]);
}

void net_batch_update(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                      net_rule_t rule, float alpha, float beta, float *out, net_stats_t *stats)
{
    const int ni = net->n_in, nh = net->n_hidden, no = net->n_out;
    float *out_ih = out, *out_ho = out + (size_t)nh * ni;

    net_forward(net, work, B);
    output_errors(net, work, labels, B, stats);
    if (rule == NET_RULE_BOOK) /* e_h[B,nh] = e_o[B,no] . w_ho[no,nh] (before the slope) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nh, no, 1.0f, work->d_o, no,
                    net->w_ho, nh, 0.0f, work->e_h, nh);
    times_sigmoid_slope(work->d_o, work->o, (size_t)B * no);
    if (rule == NET_RULE_GRADIENT) /* e_h = d_o . w_ho: the exact gradient */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nh, no, 1.0f, work->d_o, no,
                    net->w_ho, nh, 0.0f, work->e_h, nh);
    times_sigmoid_slope(work->e_h, work->h, (size_t)B * nh);
    /* w_ho has been read for the last time: out may be the weights now.
     * out_ho[no,nh] = alpha d_o[B,no]^T . h[B,nh] + beta out_ho;
     * out_ih[nh,ni] = alpha d_h[B,nh]^T . x[B,ni] + beta out_ih */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, nh, B, alpha, work->d_o, no, work->h,
                nh, beta, out_ho, nh);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nh, ni, B, alpha, work->e_h, nh, work->x,
                ni, beta, out_ih, ni);
}

void net_batch_delta(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                     net_rule_t rule, float *delta, net_stats_t *stats)
{
    net_batch_update(net, work, labels, B, rule, 1.0f, 0.0f, delta, stats);
}

void net_apply_delta(net_t *net, const float *delta, float scale)
{
    cblas_saxpy((int)net->n_params, scale, delta, 1, net->params, 1);
}

void net_train_sample(net_t *net, net_work_t *work, int label, float lr, net_rule_t rule,
                      net_stats_t *stats)
{
    const int ni = net->n_in, nh = net->n_hidden, no = net->n_out;
    float *x = work->x, *h = work->h, *o = work->o, *d_o = work->d_o, *e_h = work->e_h;
    uint8_t lab = (uint8_t)label;

    /* BLAS-2 (gemv/ger) rather than 1-row gemm: the book's per-sample loop. */
    cblas_sgemv(CblasRowMajor, CblasNoTrans, nh, ni, 1.0f, net->w_ih, ni, x, 1, 0.0f, h, 1);
    sigmoid_inplace(h, (size_t)nh);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, no, nh, 1.0f, net->w_ho, nh, h, 1, 0.0f, o, 1);
    sigmoid_inplace(o, (size_t)no);
    output_errors(net, work, &lab, 1, stats);
    /* the hidden error uses w_ho before its update, as the book does */
    if (rule == NET_RULE_BOOK)
        cblas_sgemv(CblasRowMajor, CblasTrans, no, nh, 1.0f, net->w_ho, nh, d_o, 1, 0.0f, e_h, 1);
    times_sigmoid_slope(d_o, o, (size_t)no);
    if (rule == NET_RULE_GRADIENT)
        cblas_sgemv(CblasRowMajor, CblasTrans, no, nh, 1.0f, net->w_ho, nh, d_o, 1, 0.0f, e_h, 1);
    times_sigmoid_slope(e_h, h, (size_t)nh);
    cblas_sger(CblasRowMajor, no, nh, lr, d_o, 1, h, 1, net->w_ho, nh);
    cblas_sger(CblasRowMajor, nh, ni, lr, e_h, 1, x, 1, net->w_ih, ni);
}

/* The book rescales each back-propagated layer to 0.01..0.99 so that the
 * inverse sigmoid (logit) of the next step stays finite. */
static void rescale_01_99(double *v, int n)
{
    double lo = v[0], hi = v[0];
    for (int i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    for (int i = 0; i < n; i++)
        v[i] = hi > lo ? (v[i] - lo) / (hi - lo) * 0.98 + 0.01 : 0.5;
}

static double logit(double y)
{
    return log(y / (1.0 - y));
}

int net_backquery(const net_t *net, const float *target, float *image)
{
    const int ni = net->n_in, nh = net->n_hidden, no = net->n_out;
    for (int k = 0; k < no; k++)
        if (!(target[k] > 0.0f && target[k] < 1.0f))
            return error_set("back-query target %d is %g; targets must lie strictly between 0 and 1",
                             k, (double)target[k]);
    double *hidden = calloc((size_t)nh, sizeof *hidden);
    double *input = calloc((size_t)ni, sizeof *input);
    if (!hidden || !input) {
        free(hidden);
        free(input);
        return error_set("out of memory for a back-query");
    }
    /* hidden = w_ho^T . logit(target), rescaled */
    for (int k = 0; k < no; k++) {
        double z = logit(target[k]);
        const float *row = net->w_ho + (size_t)k * nh;
        for (int j = 0; j < nh; j++)
            hidden[j] += row[j] * z;
    }
    rescale_01_99(hidden, nh);
    /* input = w_ih^T . logit(hidden), rescaled */
    for (int j = 0; j < nh; j++) {
        double z = logit(hidden[j]);
        const float *row = net->w_ih + (size_t)j * ni;
        for (int i = 0; i < ni; i++)
            input[i] += row[i] * z;
    }
    rescale_01_99(input, ni);
    for (int i = 0; i < ni; i++)
        image[i] = (float)input[i];
    free(hidden);
    free(input);
    return 0;
}

int net_is_finite(const net_t *net)
{
    for (size_t i = 0; i < net->n_params; i++)
        if (!isfinite(net->params[i]))
            return 0;
    return 1;
}
