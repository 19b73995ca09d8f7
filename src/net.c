#include "nnmpi/net.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "mlp.h"
#include "nnmpi/error.h"
#include "nnmpi/sparse_rows.h"

const char *const net_activation_names[] = {"sigmoid", "tanh", "relu", NULL};
const char *const net_output_names[] = {"sigmoid", "softmax", NULL};
const char *const net_loss_names[] = {"mse", "cross_entropy", NULL};
const char *const net_init_names[] = {"book", "glorot", "he", NULL};

size_t net_param_count(int n_in, int n_hidden, int n_out)
{
    return (size_t)n_hidden * (size_t)n_in + (size_t)n_out * (size_t)n_hidden;
}

net_shape_t net_book_shape(int n_in, int n_hidden, int n_out)
{
    return (net_shape_t){.n_layers = 2, .sizes = {n_in, n_hidden, n_out}};
}

int net_shape_is_book(const net_shape_t *s)
{
    return s->n_layers == 2 && s->activation == NET_ACT_SIGMOID && s->output == NET_OUT_SIGMOID &&
           s->loss == NET_LOSS_MSE && !s->bias;
}

int net_shape_check(const net_shape_t *s)
{
    const int L = s->n_layers;
    if (L < 2 || L > NET_MAX_LAYERS)
        return error_set("a network needs 2 to %d weight layers (3 to %d sizes), not %d",
                         NET_MAX_LAYERS, NET_MAX_LAYERS + 1, L);
    char sizes[256];
    net_shape_sizes_text(s, sizes, sizeof sizes);
    for (int l = 0; l <= L; l++)
        if (s->sizes[l] < 1 || s->sizes[l] > (l == L ? 1 << 10 : NET_MAX_UNITS))
            return error_set("network sizes %s: layer %d has %d units (1 to %d allowed)", sizes,
                             l, s->sizes[l], l == L ? 1 << 10 : NET_MAX_UNITS);
    if ((unsigned)s->activation > NET_ACT_RELU || (unsigned)s->output > NET_OUT_SOFTMAX ||
        (unsigned)s->loss > NET_LOSS_CROSS_ENTROPY)
        return error_set("network %s: unknown activation, output or loss", sizes);
    if (s->output == NET_OUT_SOFTMAX && s->loss != NET_LOSS_CROSS_ENTROPY)
        return error_set("network %s: a softmax output needs the cross_entropy loss (with "
                         "squared error its gradient vanishes where the net is most wrong)",
                         sizes);
    return 0;
}

int net_shape_ld0(const net_shape_t *s)
{
    const int n1 = s->sizes[1];
    if (n1 < NET_PAD_FROM)
        return n1;
    return (n1 + NET_LINE_FLOATS - 1) / NET_LINE_FLOATS * NET_LINE_FLOATS;
}

size_t net_shape_floats(const net_shape_t *s)
{
    return net_shape_params(s) + (size_t)s->sizes[0] * (size_t)(net_shape_ld0(s) - s->sizes[1]);
}

size_t net_shape_params(const net_shape_t *s)
{
    size_t n = 0;
    for (int l = 0; l < s->n_layers; l++)
        n += (size_t)s->sizes[l + 1] * ((size_t)s->sizes[l] + (s->bias ? 1 : 0));
    return n;
}

void net_shape_sizes_text(const net_shape_t *s, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int l = 0; l <= s->n_layers && l <= NET_MAX_LAYERS && used < size; l++)
        used += (size_t)snprintf(buf + used, size - used, "%s%d", l ? "-" : "", s->sizes[l]);
}

void net_shape_describe(const net_shape_t *s, char *buf, size_t size)
{
    char sizes[256];
    net_shape_sizes_text(s, sizes, sizeof sizes);
    snprintf(buf, size, "%s %s, %s + %s, %s", sizes, net_activation_names[s->activation],
             net_output_names[s->output], net_loss_names[s->loss],
             s->bias ? "biases" : "no biases");
}

int net_init(net_t *net, int n_in, int n_hidden, int n_out)
{
    return net_init_room(net, n_in, n_hidden, n_out, 0);
}

int net_init_room(net_t *net, int n_in, int n_hidden, int n_out, size_t room)
{
    net_shape_t shape = net_book_shape(n_in, n_hidden, n_out);
    return net_init_shape(net, &shape, room);
}

int net_init_shape(net_t *net, const net_shape_t *shape, size_t room)
{
    memset(net, 0, sizeof *net);
    if (net_shape_check(shape) < 0)
        return -1;
    const int L = shape->n_layers;
    net->shape = *shape;
    net->n_in = shape->sizes[0];
    net->n_hidden = shape->sizes[1];
    net->n_out = shape->sizes[L];
    net->n_params = net_shape_params(shape);
    net->n_floats = net_shape_floats(shape);
    net->ld0 = net_shape_ld0(shape);
    net->n_room = room;
    net->params = net_alloc_floats(net->n_floats + room);
    if (!net->params) {
        char sizes[256];
        net_shape_sizes_text(shape, sizes, sizeof sizes);
        return error_set("out of memory for a %s network", sizes);
    }
    float *p = net->params;
    for (int l = 0; l < L; l++) { /* [w0 | b0 | w1 | b1 | ...] */
        net->w[l] = p;
        p += (size_t)(l ? shape->sizes[l + 1] : net->ld0) * shape->sizes[l];
        net->b[l] = shape->bias ? p : NULL;
        p += shape->bias ? (size_t)shape->sizes[l + 1] : 0;
    }
    net->w_ih_t = net->w[0];
    net->w_ho = L == 2 ? net->w[1] : NULL;
    return 0;
}

float *net_alloc_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + NET_LINE_BYTES - 1) / NET_LINE_BYTES * NET_LINE_BYTES;
    float *p = aligned_alloc(NET_LINE_BYTES, bytes ? bytes : NET_LINE_BYTES);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void net_free(net_t *net)
{
    free(net->params);
    memset(net, 0, sizeof *net);
}

void net_init_weights(net_t *net, rng_t *rng)
{
    net_init_weights_as(net, NET_INIT_BOOK, rng);
}

/* The spread of a layer's weights, fan_in inputs and fan_out outputs:
 * once per layer, not per weight (a pow per weight was 6% of starting a
 * 784-100000-10 net). */
static double weight_scale(net_init_t init, int fan_in, int fan_out)
{
    switch (init) {
    case NET_INIT_GLOROT:
        return sqrt(6.0 / ((double)fan_in + fan_out));
    case NET_INIT_HE:
        return sqrt(2.0 / fan_in);
    case NET_INIT_BOOK:
    default:
        return pow(fan_in, -0.5);
    }
}

/* One weight of a layer whose weight_scale is scale. */
static float draw_weight(net_init_t init, double scale, rng_t *rng)
{
    if (init == NET_INIT_GLOROT)
        return (float)((2.0 * rng_uniform(rng) - 1.0) * scale);
    return (float)(rng_normal(rng) * scale);
}

void net_init_weights_as(net_t *net, net_init_t init, rng_t *rng)
{
    const net_shape_t *s = &net->shape;
    const int n1 = s->sizes[1];
    /* drawn in the book's order ([out, in], output-major), so a seed gives
     * the same network whatever the layout in memory: w0 is stored
     * transposed */
    const double scale0 = weight_scale(init, net->n_in, n1);
    for (int j = 0; j < n1; j++)
        for (int i = 0; i < net->n_in; i++)
            net->w[0][(size_t)i * net->ld0 + j] = draw_weight(init, scale0, rng);
    for (int l = 1; l < s->n_layers; l++) {
        const double scale = weight_scale(init, s->sizes[l], s->sizes[l + 1]);
        for (size_t i = 0; i < (size_t)s->sizes[l + 1] * s->sizes[l]; i++)
            net->w[l][i] = draw_weight(init, scale, rng);
    }
    for (int l = 0; s->bias && l < s->n_layers; l++)
        memset(net->b[l], 0, (size_t)s->sizes[l + 1] * sizeof(float));
}

/* The views of every layer's outputs and deltas (mlp.c): the book's
 * buffers at the ends, one block for the layers between. */
static int work_layers(net_work_t *work, const net_t *net, size_t c)
{
    const net_shape_t *s = &net->shape;
    const int L = s->n_layers;
    size_t between = 0;
    for (int l = 2; l < L; l++)
        between += 2 * c * (size_t)s->sizes[l];
    if (between && !(work->between = malloc(between * sizeof(float))))
        return -1;
    work->act[0] = work->x;
    work->act[1] = work->h;
    work->delta[1] = work->e_h;
    float *p = work->between;
    for (int l = 2; l < L; l++) {
        work->act[l] = p;
        work->delta[l] = p + c * (size_t)s->sizes[l];
        p += 2 * c * (size_t)s->sizes[l];
    }
    work->act[L] = work->o;
    work->delta[L] = work->d_o;
    return 0;
}

int net_work_init(net_work_t *work, const net_t *net, int capacity)
{
    memset(work, 0, sizeof *work);
    if (capacity <= 0)
        return error_set("batch capacity %d must be positive", capacity);
    size_t c = (size_t)capacity;
    size_t n_ones = (size_t)(capacity > net->n_in ? capacity : net->n_in);
    work->capacity = capacity;
    work->x = malloc(c * net->n_in * sizeof(float));
    work->ldh = net->ld0; /* rows starting lines; the pads start at 0 and stay finite */
    work->h = net_alloc_floats(c * (size_t)work->ldh);
    work->o = malloc(c * net->n_out * sizeof(float));
    work->d_o = malloc(c * net->n_out * sizeof(float));
    work->e_h = net_alloc_floats(c * (size_t)work->ldh);
    work->ones = malloc(n_ones * sizeof(float));
    if (!work->x || !work->h || !work->o || !work->d_o || !work->e_h || !work->ones ||
        work_layers(work, net, c) < 0) {
        net_work_free(work);
        return error_set("out of memory for a batch of %d samples", capacity);
    }
    for (size_t i = 0; i < n_ones; i++)
        work->ones[i] = 1.0f;
    return 0;
}

int net_work_init_pixels(net_work_t *work, const net_t *net, int capacity)
{
    if (net_work_init(work, net, capacity) < 0)
        return -1;
    work->col_sum = malloc((size_t)net->n_hidden * sizeof(float));
    work->e_sum = malloc((size_t)net->n_hidden * sizeof(float));
    work->offset = calloc((size_t)net->n_hidden, sizeof(float));
    if (!work->col_sum || !work->e_sum || !work->offset ||
        sparse_batch_init(&work->lit, net->n_in, capacity) < 0) {
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
    free(work->ones);
    free(work->col_sum);
    free(work->e_sum);
    free(work->offset);
    free(work->between);
    sparse_batch_free(&work->lit);
    memset(work, 0, sizeof *work);
}

/* t = a^T, tile by tile: row by row, each write of a wide matrix's
 * transpose lands on another page (784 x 100,000 took 0.6 s of a 318 MB
 * checkpoint's 2.8 s); a tile's rows and columns stay in L1. */
#define TRANSPOSE_TILE 64
static void transpose(const float *a, size_t lda, int rows, int cols, float *t, size_t ldt)
{
    for (int r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE)
        for (int c0 = 0; c0 < cols; c0 += TRANSPOSE_TILE) {
            int r1 = r0 + TRANSPOSE_TILE < rows ? r0 + TRANSPOSE_TILE : rows;
            int c1 = c0 + TRANSPOSE_TILE < cols ? c0 + TRANSPOSE_TILE : cols;
            for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++)
                    t[(size_t)c * ldt + r] = a[(size_t)r * lda + c];
        }
}

/* w0 [n_in, n1] (rows ld0 apart) <-> the book's [n1, n_in]; the other
 * layers and the biases are stored as they lie, after w0's pads. */
void net_to_book_order(const net_t *net, float *book)
{
    const size_t n0 = (size_t)net->n_in * net->n_hidden;
    net_book_rows(net, 0, net->n_hidden, book);
    memcpy(book + n0, net_book_rest(net), (net->n_params - n0) * sizeof(float));
}

void net_book_rows(const net_t *net, int r0, int r1, float *out)
{
    transpose(net->w[0] + r0, (size_t)net->ld0, net->n_in, r1 - r0, out, (size_t)net->n_in);
}

const float *net_book_rest(const net_t *net)
{
    return net->w[0] + (size_t)net->n_in * net->ld0;
}

void net_from_book_order(net_t *net, const float *book)
{
    const int ni = net->n_in, n1 = net->n_hidden;
    const size_t n0 = (size_t)ni * n1;
    transpose(book, (size_t)ni, n1, ni, net->w[0], (size_t)net->ld0);
    memcpy(net->w[0] + (size_t)ni * net->ld0, book + n0, (net->n_params - n0) * sizeof(float));
}

int net_arrays(const net_shape_t *s, net_array_t *a)
{
    const int *n = s->sizes;
    if (net_shape_is_book(s)) {
        a[0] = (net_array_t){"w_ih", "wih", (uint64_t)n[1], (uint64_t)n[0], 0};
        a[1] = (net_array_t){"w_ho", "who", (uint64_t)n[2], (uint64_t)n[1], (size_t)n[1] * n[0]};
        return 2;
    }
    int count = 0;
    size_t at = 0;
    for (int l = 1; l <= s->n_layers; l++) {
        a[count] = (net_array_t){"", "", (uint64_t)n[l], (uint64_t)n[l - 1], at};
        snprintf(a[count].name, sizeof a->name, "w%d", l);
        memcpy(a[count].py_name, a[count].name, sizeof a->name);
        count++;
        at += (size_t)n[l] * n[l - 1];
        if (!s->bias)
            continue;
        a[count] = (net_array_t){"", "", (uint64_t)n[l], 0, at};
        snprintf(a[count].name, sizeof a->name, "b%d", l);
        memcpy(a[count].py_name, a[count].name, sizeof a->name);
        count++;
        at += (size_t)n[l];
    }
    return count;
}

const float *net_input_table(void)
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
    return table;
}

void net_scale_input(const uint8_t *pixels, float *x, size_t n)
{
    const float *table = net_input_table();
    for (size_t i = 0; i < n; i++)
        x[i] = table[pixels[i]];
}

/* o[B,no] = sigmoid(h[B,nh] . w_ho[no,nh]^T), once work->h is there; with
 * sum_outputs, the pre-activations summed over the other hidden units' ranks */
static void forward_output(const net_t *net, net_work_t *work, int B, int summed)
{
    const int nh = net->n_hidden, no = net->n_out;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, no, nh, 1.0f, work->h, work->ldh,
                net->w_ho, nh, 0.0f, work->o, no);
    if (summed && work->sum_outputs)
        work->sum_outputs(work->o, B * no, work->sum_ctx);
    activation_apply(NET_ACT_SIGMOID, work->o, (size_t)B * no);
}

/* h[B,nh] = sigmoid(x[B,ni] . w_ih_t[ni,nh]), then the outputs */
static void forward_dense(const net_t *net, net_work_t *work, int B, int summed)
{
    const int ni = net->n_in, nh = net->n_hidden;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nh, ni, 1.0f, work->x, ni,
                net->w_ih_t, net->ld0, 0.0f, work->h, work->ldh);
    activation_apply(NET_ACT_SIGMOID, work->h, (size_t)B * work->ldh);
    forward_output(net, work, B, summed);
}

void net_forward(const net_t *net, net_work_t *work, int B)
{
    if (!net_is_book_shape(net)) {
        mlp_forward(net, work, B, 0);
        return;
    }
    forward_dense(net, work, B, 0);
}

/* The same from work->lit: h_b = sigmoid(0.01*col_sum + sum over b's lit
 * pixels i of v_bi * w_ih_t[i,:]) */
static void forward_lit(const net_t *net, net_work_t *work)
{
    const int ni = net->n_in, nh = net->n_hidden;
    const sparse_batch_t *lit = &work->lit;
    cblas_sgemv(CblasRowMajor, CblasTrans, ni, nh, 1.0f, net->w_ih_t, net->ld0, work->ones, 1,
                0.0f, work->col_sum, 1);
    sparse_rows_sum_each(lit->count, nh, work->h, (size_t)work->ldh, lit->background,
                         work->col_sum, lit->row_start, lit->row_pixel, lit->row_value,
                         net->w_ih_t, (size_t)net->ld0);
    activation_apply(NET_ACT_SIGMOID, work->h, (size_t)lit->count * work->ldh);
    forward_output(net, work, lit->count, 1);
}

void net_forward_pixels(const net_t *net, net_work_t *work, const uint8_t *const *pixels, int B)
{
    if (net_is_book_shape(net)) {
        sparse_batch_build(&work->lit, pixels, B, net_input_table());
        if (sparse_batch_density(&work->lit) <= NET_DENSE_ABOVE) {
            forward_lit(net, work);
            return;
        }
    }
    for (int b = 0; b < B; b++)
        net_scale_input(pixels[b], work->x + (size_t)b * net->n_in, (size_t)net->n_in);
    if (net_is_book_shape(net)) /* summed as the lit path: a slice's outputs are partial */
        forward_dense(net, work, B, 1);
    else
        mlp_forward(net, work, B, 1);
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

/* After the forward pass: output deltas into d_o, hidden deltas into e_h,
 * and out_ho = alpha d_o^T . h + beta out_ho. */
static void backward_to_hidden(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                               net_rule_t rule, float alpha, float beta, float *out,
                               net_stats_t *stats)
{
    const int nh = net->n_hidden, no = net->n_out;
    float *out_ho = out + (net->w_ho - net->params);

    output_errors(net, work, labels, B, stats);
    if (rule == NET_RULE_BOOK) /* e_h[B,nh] = e_o[B,no] . w_ho[no,nh] (before the slope) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nh, no, 1.0f, work->d_o, no,
                    net->w_ho, nh, 0.0f, work->e_h, work->ldh);
    activation_times_slope(NET_ACT_SIGMOID, work->d_o, work->o, (size_t)B * no);
    if (rule == NET_RULE_GRADIENT) /* e_h = d_o . w_ho: the exact gradient */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nh, no, 1.0f, work->d_o, no,
                    net->w_ho, nh, 0.0f, work->e_h, work->ldh);
    activation_times_slope(NET_ACT_SIGMOID, work->e_h, work->h, (size_t)B * work->ldh);
    /* w_ho has been read for the last time: out may be the weights now.
     * out_ho[no,nh] = alpha d_o[B,no]^T . h[B,nh] + beta out_ho */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, nh, B, alpha, work->d_o, no, work->h,
                work->ldh, beta, out_ho, nh);
}

void net_batch_update(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                      net_rule_t rule, float alpha, float beta, float *out, net_stats_t *stats)
{
    const int ni = net->n_in, nh = net->n_hidden;
    if (!net_is_book_shape(net)) { /* the exact gradient: rule has no say */
        mlp_batch_update(net, work, labels, B, alpha, beta, out, stats);
        return;
    }
    forward_dense(net, work, B, 1);
    backward_to_hidden(net, work, labels, B, rule, alpha, beta, out, stats);
    /* out_ih_t[ni,nh] = alpha x[B,ni]^T . e_h[B,nh] + beta out_ih_t */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ni, nh, B, alpha, work->x, ni, work->e_h,
                work->ldh, beta, out, net->ld0);
}

void net_batch_update_pixels(const net_t *net, net_work_t *work, const uint8_t *const *pixels,
                             const uint8_t *labels, int B, net_rule_t rule, float alpha,
                             float beta, float *out, net_stats_t *stats)
{
    const int ni = net->n_in, nh = net->n_hidden;
    sparse_batch_t *lit = &work->lit;
    sparse_batch_build(lit, pixels, B, net_input_table());
    if (sparse_batch_density(lit) > NET_DENSE_ABOVE) {
        for (int b = 0; b < B; b++)
            net_scale_input(pixels[b], work->x + (size_t)b * ni, (size_t)ni);
        net_batch_update(net, work, labels, B, rule, alpha, beta, out, stats);
        return;
    }
    sparse_batch_index_pixels(lit);
    if (!net_is_book_shape(net)) {
        mlp_batch_update_lit(net, work, labels, alpha, beta, out, stats);
        return;
    }
    forward_lit(net, work);
    backward_to_hidden(net, work, labels, B, rule, alpha, beta, out, stats);
    /* out_ih_t[i,:] = beta out_ih_t[i,:] + alpha sum_b x_bi e_h[b,:], where
     * x_bi = 0.01 + v_bi: the background's share is the same for every
     * pixel, alpha*0.01*e_sum; the rest comes from the samples where i is lit */
    cblas_sgemv(CblasRowMajor, CblasTrans, B, nh, 1.0f, work->e_h, work->ldh, work->ones, 1, 0.0f,
                work->e_sum, 1);
    sparse_rows_update(ni, nh, out, (size_t)net->ld0, beta, alpha * lit->background, work->e_sum,
                       alpha, lit->col_start, lit->col, work->e_h, (size_t)work->ldh);
}

void net_batch_delta(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                     net_rule_t rule, float *delta, net_stats_t *stats)
{
    net_batch_update(net, work, labels, B, rule, 1.0f, 0.0f, delta, stats);
}

void net_apply_delta(net_t *net, const float *delta, float scale)
{
    cblas_saxpy((int)net->n_floats, scale, delta, 1, net->params, 1);
}

/* One sample, once its hidden inputs are in work->h: the sigmoid, the
 * output layer, the errors and hidden deltas (into work->e_h), and the
 * update of w_ho with learning rate lr. */
static void sample_backward(net_t *net, net_work_t *work, int label, float lr, net_rule_t rule,
                            net_stats_t *stats)
{
    const int nh = net->n_hidden, no = net->n_out;
    float *h = work->h, *o = work->o, *d_o = work->d_o, *e_h = work->e_h;
    uint8_t lab = (uint8_t)label;
    activation_apply(NET_ACT_SIGMOID, h, (size_t)nh);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, no, nh, 1.0f, net->w_ho, nh, h, 1, 0.0f, o, 1);
    if (work->sum_outputs)
        work->sum_outputs(o, no, work->sum_ctx);
    activation_apply(NET_ACT_SIGMOID, o, (size_t)no);
    output_errors(net, work, &lab, 1, stats);
    /* the hidden error uses w_ho before its update, as the book does */
    if (rule == NET_RULE_BOOK)
        cblas_sgemv(CblasRowMajor, CblasTrans, no, nh, 1.0f, net->w_ho, nh, d_o, 1, 0.0f, e_h, 1);
    activation_times_slope(NET_ACT_SIGMOID, d_o, o, (size_t)no);
    if (rule == NET_RULE_GRADIENT)
        cblas_sgemv(CblasRowMajor, CblasTrans, no, nh, 1.0f, net->w_ho, nh, d_o, 1, 0.0f, e_h, 1);
    activation_times_slope(NET_ACT_SIGMOID, e_h, h, (size_t)nh);
    cblas_sger(CblasRowMajor, no, nh, lr, d_o, 1, h, 1, net->w_ho, nh);
}

void net_train_sample(net_t *net, net_work_t *work, int label, float lr, net_rule_t rule,
                      net_stats_t *stats)
{
    const int ni = net->n_in, nh = net->n_hidden;
    float *x = work->x, *h = work->h, *e_h = work->e_h;
    if (!net_is_book_shape(net)) { /* a batch of one, applied in place */
        uint8_t lab = (uint8_t)label;
        mlp_batch_update(net, work, &lab, 1, lr, 1.0f, net->params, stats);
        return;
    }
    /* BLAS-2 (gemv/ger) rather than 1-row gemm: the book's per-sample loop. */
    cblas_sgemv(CblasRowMajor, CblasTrans, ni, nh, 1.0f, net->w_ih_t, net->ld0, x, 1, 0.0f, h, 1);
    sample_backward(net, work, label, lr, rule, stats);
    cblas_sger(CblasRowMajor, ni, nh, lr, x, 1, e_h, 1, net->w_ih_t, net->ld0);
}

/* The book rescales each back-propagated layer to 0.01..0.99 so that the
 * inverse sigmoid (logit) of the next step stays finite. */
static void rescale_01_99(double *v, int n)
{
    mlp_rescale(v, n, 0.98, 0.01);
}

int net_backquery(const net_t *net, const float *target, float *image)
{
    const int ni = net->n_in, nh = net->n_hidden, no = net->n_out;
    for (int k = 0; k < no; k++)
        if (!(target[k] > 0.0f && target[k] < 1.0f))
            return error_set("back-query target %d is %g; targets must lie strictly between 0 and 1",
                             k, (double)target[k]);
    if (!net_is_book_shape(net))
        return mlp_backquery(net, target, image);
    double *hidden = calloc((size_t)nh, sizeof *hidden);
    double *input = calloc((size_t)ni, sizeof *input);
    if (!hidden || !input) {
        free(hidden);
        free(input);
        return error_set("out of memory for a back-query");
    }
    /* hidden = w_ho^T . logit(target), rescaled */
    for (int k = 0; k < no; k++) {
        double z = activation_inverse(NET_ACT_SIGMOID, target[k]);
        const float *row = net->w_ho + (size_t)k * nh;
        for (int j = 0; j < nh; j++)
            hidden[j] += row[j] * z;
    }
    rescale_01_99(hidden, nh);
    /* input = wih^T . logit(hidden) (w_ih_t . logit(hidden)), rescaled */
    for (int j = 0; j < nh; j++)
        hidden[j] = activation_inverse(NET_ACT_SIGMOID, hidden[j]);
    for (int i = 0; i < ni; i++) {
        const float *row = net->w_ih_t + (size_t)i * net->ld0;
        for (int j = 0; j < nh; j++)
            input[i] += row[j] * hidden[j];
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
    for (size_t i = 0; i < net->n_floats; i++)
        if (!isfinite(net->params[i]))
            return 0;
    return 1;
}

/* Every shape runs the per-sample loop so: the first layer's weights
 * (w_ih_t = w[0]) over the lit pixels with u and col_sum kept, the layers
 * above it as the shape's code has them (sample_backward, or
 * mlp_sample_backward). */
void net_loop_begin(const net_t *net, net_work_t *work)
{
    memset(work->offset, 0, (size_t)net->n_hidden * sizeof(float));
    /* col_sum: the sum of w_ih_t's rows, kept up to date sample by sample */
    cblas_sgemv(CblasRowMajor, CblasTrans, net->n_in, net->n_hidden, 1.0f, net->w_ih_t,
                net->ld0, work->ones, 1, 0.0f, work->col_sum, 1);
}

void net_loop_sample(net_t *net, net_work_t *work, const uint8_t *pixels, int label, float lr,
                     net_rule_t rule, net_stats_t *stats)
{
    const int ni = net->n_in, nh = net->n_hidden;
    float *h = work->h, *e_h = work->e_h, *u = work->offset;
    sparse_batch_t *lit = &work->lit;
    sparse_batch_build(lit, &pixels, 1, net_input_table());
    const int n_lit = lit->row_start[1];
    const float bg = lit->background;
    float v_sum = 0.0f;
    for (int p = 0; p < n_lit; p++)
        v_sum += lit->row_value[p];
    /* x.(w_ih_t + 1.u^T) = bg.col_sum + sum over lit i of v_i.w_ih_t[i,:] + (sum of x).u */
    sparse_rows_combine(nh, h, bg, work->col_sum, (float)ni * bg + v_sum, u, 1.0f, n_lit,
                        lit->row_pixel, lit->row_value, net->w_ih_t, (size_t)net->ld0);
    if (net_is_book_shape(net))
        sample_backward(net, work, label, lr, rule, stats);
    else /* the exact gradient: rule has no say */
        mlp_sample_backward(net, work, label, lr, stats);
    /* w_ih_t += lr.x.e_h^T: the lit rows, the background's share into u,
     * and the rows' sum follows */
    sparse_rows_scatter(nh, net->w_ih_t, (size_t)net->ld0, n_lit, lit->row_pixel, lit->row_value,
                        lr, e_h);
    cblas_saxpy(nh, lr * bg, e_h, 1, u, 1);
    cblas_saxpy(nh, lr * v_sum, e_h, 1, work->col_sum, 1);
}

void net_loop_end(net_t *net, net_work_t *work)
{
    const int nh = net->n_hidden;
    for (int i = 0; i < net->n_in; i++)
        cblas_saxpy(nh, 1.0f, work->offset, 1, net->w_ih_t + (size_t)i * net->ld0, 1);
    memset(work->offset, 0, (size_t)nh * sizeof(float));
}
