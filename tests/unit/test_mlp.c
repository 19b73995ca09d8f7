/* Tests of the networks of other shapes than the book's (src/mlp.c)
 * against an independent double-precision implementation written here:
 * the update against central finite differences of the loss for every
 * activation x output/loss x bias, through the sparse and the dense first
 * layer; the generic code on the book's shape against the book's code; the
 * parameter layout and initialisations; and a deep ReLU/softmax net
 * learning synthetic digits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mlp.h"
#include "nnmpi/error.h"
#include "nnmpi/net.h"
#include "nnmpi/rng.h"
#include "testutil.h"

#define MAX_UNITS 16

/* ------------------------------------------------ reference (double) */

/* Offsets of layer l's weights and biases in params' layout:
 * [w0 (transposed, [n0, n1]) | b0 | w1 ([n2, n1]) | b1 | ...]. */
static void ref_offsets(const net_shape_t *s, size_t *w_off, size_t *b_off)
{
    size_t at = 0;
    for (int l = 0; l < s->n_layers; l++) {
        w_off[l] = at;
        at += (size_t)s->sizes[l] * s->sizes[l + 1];
        b_off[l] = at;
        at += s->bias ? (size_t)s->sizes[l + 1] : 0;
    }
}

static double ref_act(net_activation_t f, double z)
{
    return f == NET_ACT_TANH ? tanh(z) : f == NET_ACT_RELU ? (z > 0 ? z : 0) : 1 / (1 + exp(-z));
}

/* The outputs o [n_out] of one input x [n_in]. */
static void ref_forward(const net_shape_t *s, const double *p, const double *x, double *o)
{
    size_t w_off[NET_MAX_LAYERS], b_off[NET_MAX_LAYERS];
    ref_offsets(s, w_off, b_off);
    double a[MAX_UNITS], z[MAX_UNITS];
    memcpy(a, x, (size_t)s->sizes[0] * sizeof *a);
    for (int l = 0; l < s->n_layers; l++) {
        const int ni = s->sizes[l], no = s->sizes[l + 1];
        for (int j = 0; j < no; j++) {
            z[j] = s->bias ? p[b_off[l] + j] : 0.0;
            for (int i = 0; i < ni; i++) /* w0 is [in, out], the others [out, in] */
                z[j] += a[i] * (l == 0 ? p[w_off[0] + (size_t)i * no + j]
                                       : p[w_off[l] + (size_t)j * ni + i]);
        }
        double top = z[0], sum = 0.0;
        for (int j = 0; j < no; j++)
            top = z[j] > top ? z[j] : top;
        for (int j = 0; j < no; j++)
            sum += exp(z[j] - top);
        for (int j = 0; j < no; j++)
            a[j] = l < s->n_layers - 1 ? ref_act(s->activation, z[j])
                   : s->output == NET_OUT_SOFTMAX ? exp(z[j] - top) / sum
                                                  : ref_act(NET_ACT_SIGMOID, z[j]);
    }
    memcpy(o, a, (size_t)s->sizes[s->n_layers] * sizeof *o);
}

/* The loss summed over a batch, written from its definition. */
static double ref_loss(const net_shape_t *s, const double *p, int B, const double *x,
                       const uint8_t *labels)
{
    const int ni = s->sizes[0], no = s->sizes[s->n_layers];
    double o[MAX_UNITS], loss = 0.0;
    for (int b = 0; b < B; b++) {
        ref_forward(s, p, x + (size_t)b * ni, o);
        for (int k = 0; k < no; k++) {
            int hit = k == labels[b];
            double t = s->output == NET_OUT_SOFTMAX ? hit : hit ? 0.99 : 0.01;
            if (s->loss == NET_LOSS_MSE)
                loss += 0.5 * (t - o[k]) * (t - o[k]);
            else if (s->output == NET_OUT_SOFTMAX)
                loss -= t * log(o[k]);
            else
                loss -= t * log(o[k]) + (1 - t) * log(1 - o[k]);
        }
    }
    return loss;
}

/* ------------------------------------------------------------ helpers */

static net_shape_t shape_of(net_activation_t act, net_output_t out, net_loss_t loss, int bias)
{
    return (net_shape_t){.n_layers = 3, .sizes = {6, 5, 4, 3}, .activation = act,
                         .output = out, .loss = loss, .bias = bias};
}

/* Random weights and biases in [-1, 1) (biases too: zero biases would hide
 * a wrong bias gradient's effect on the layers below). */
static void random_params(net_t *net, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 0);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (float)(2.0 * rng_uniform(&rng) - 1.0);
}

/* Two 6-pixel samples: `lit` pixels of each lit (the rest background). */
static void make_pixels(uint8_t px[2][6], int lit)
{
    static const uint8_t values[2][6] = {{200, 17, 255, 90, 3, 140}, {60, 255, 128, 9, 230, 77}};
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 6; i++)
            px[b][i] = i < lit ? values[b][(i + b) % 6] : 0;
}

/* The update of alpha 1, beta 0 (minus the gradient) against central
 * differences of the reference loss, for one shape and one input. */
static void check_gradient(const net_shape_t *s, int lit, uint64_t seed)
{
    net_t net;
    net_work_t work;
    CU_ASSERT_FATAL(net_init_shape(&net, s, 0) == 0);
    CU_ASSERT_FATAL(net_work_init_pixels(&work, &net, 2) == 0);
    random_params(&net, seed);
    uint8_t px[2][6], labels[2] = {2, 0};
    make_pixels(px, lit);
    const uint8_t *rows[2] = {px[0], px[1]};
    double x[12], *p = malloc(net.n_params * sizeof *p);
    float *update = malloc(net.n_params * sizeof *update);
    for (int i = 0; i < 12; i++)
        x[i] = net_input_table()[px[i / 6][i % 6]];
    for (size_t i = 0; i < net.n_params; i++) {
        p[i] = net.params[i];
        update[i] = NAN; /* beta 0 must not read it */
    }
    net_stats_t st = {0};
    net_batch_update_pixels(&net, &work, rows, labels, 2, NET_RULE_GRADIENT, 1.0f, 0.0f, update,
                            &st);
    CU_ASSERT_DOUBLE_EQUAL(st.loss_sum, ref_loss(s, p, 2, x, labels), 1e-4);
    int bad = 0;
    for (size_t i = 0; i < net.n_params; i++) {
        const double eps = 1e-6, keep = p[i];
        p[i] = keep + eps;
        double up = ref_loss(s, p, 2, x, labels);
        p[i] = keep - eps;
        double down = ref_loss(s, p, 2, x, labels);
        p[i] = keep;
        double g = (up - down) / (2 * eps);
        bad += !(fabs(update[i] + g) <= 1e-4 + 1e-3 * fabs(g));
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(p);
    free(update);
    net_work_free(&work);
    net_free(&net);
}

/* ---------------------------------------------------------------- tests */

static void test_gradient_every_combination(void)
{
    const struct {
        net_output_t out;
        net_loss_t loss;
    } heads[] = {{NET_OUT_SIGMOID, NET_LOSS_MSE},
                 {NET_OUT_SIGMOID, NET_LOSS_CROSS_ENTROPY},
                 {NET_OUT_SOFTMAX, NET_LOSS_CROSS_ENTROPY}};
    uint64_t seed = 1;
    for (int act = NET_ACT_SIGMOID; act <= NET_ACT_RELU; act++)
        for (int h = 0; h < 3; h++)
            for (int bias = 0; bias <= 1; bias++)
                for (int lit = 1; lit <= 5; lit += 4) { /* 1 of 6: sparse; 5 of 6: dense */
                    net_shape_t s = shape_of((net_activation_t)act, heads[h].out, heads[h].loss,
                                             bias);
                    check_gradient(&s, lit, seed++);
                }
}

/* The generic code on the book's shape computes what the book's code does
 * (the exact-gradient rule), up to float rounding. */
static void test_generic_on_book_shape(void)
{
    net_shape_t s = net_book_shape(6, 5, 3);
    net_t net;
    net_work_t work;
    CU_ASSERT_FATAL(net_init_shape(&net, &s, 0) == 0);
    CU_ASSERT_FATAL(net_work_init_pixels(&work, &net, 2) == 0);
    random_params(&net, 7);
    uint8_t px[2][6], labels[2] = {1, 2};
    const uint8_t *rows[2] = {px[0], px[1]};
    float *book = calloc(net.n_params, sizeof *book), *mine = calloc(net.n_params, sizeof *mine);
    for (int lit = 1; lit <= 5; lit += 4) {
        make_pixels(px, lit);
        net_stats_t a = {0}, b = {0};
        net_batch_update_pixels(&net, &work, rows, labels, 2, NET_RULE_GRADIENT, 0.3f, 0.0f, book,
                                &a);
        for (int i = 0; i < 12; i++)
            work.x[i] = net_input_table()[px[i / 6][i % 6]];
        mlp_batch_update(&net, &work, labels, 2, 0.3f, 0.0f, mine, &b);
        for (size_t i = 0; i < net.n_params; i++)
            CU_ASSERT_DOUBLE_EQUAL(book[i], mine[i], 1e-6);
        CU_ASSERT_DOUBLE_EQUAL(a.loss_sum, b.loss_sum, 1e-6);
        CU_ASSERT_EQUAL(a.correct, b.correct);
    }
    free(book);
    free(mine);
    net_work_free(&work);
    net_free(&net);
}

/* The views tile the buffer [w0 | b0 | w1 | b1 | ...]; book order keeps
 * the biases and deeper layers and transposes w0; it round-trips. */
static void test_layout_and_book_order(void)
{
    net_shape_t s = shape_of(NET_ACT_RELU, NET_OUT_SOFTMAX, NET_LOSS_CROSS_ENTROPY, 1);
    net_t net;
    CU_ASSERT_FATAL(net_init_shape(&net, &s, 4) == 0);
    CU_ASSERT_EQUAL(net.n_params, 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3);
    CU_ASSERT_PTR_EQUAL(net.b[0], net.w[0] + 30);
    CU_ASSERT_PTR_EQUAL(net.w[1], net.b[0] + 5);
    CU_ASSERT_PTR_EQUAL(net.w[2], net.b[1] + 4);
    CU_ASSERT_PTR_NULL(net.w_ho);
    CU_ASSERT_EQUAL(net.n_hidden, 5);
    random_params(&net, 3);
    float *book = malloc(net.n_params * sizeof *book);
    net_to_book_order(&net, book);
    CU_ASSERT_EQUAL(book[2 * 6 + 4], net.w[0][4 * 5 + 2]); /* w1[2][4] = w0_t[4][2] */
    CU_ASSERT_EQUAL(book[30], net.b[0][0]);
    net_t back;
    CU_ASSERT_FATAL(net_init_shape(&back, &s, 0) == 0);
    net_from_book_order(&back, book);
    CU_ASSERT(memcmp(back.params, net.params, net.n_params * sizeof(float)) == 0);
    char text[256];
    net_shape_describe(&s, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "6-5-4-3 relu, softmax + cross_entropy, biases");
    free(book);
    net_free(&back);
    net_free(&net);
}

static void test_shape_refusals(void)
{
    net_shape_t s = shape_of(NET_ACT_SIGMOID, NET_OUT_SOFTMAX, NET_LOSS_MSE, 0);
    net_t net;
    CU_ASSERT_EQUAL(net_init_shape(&net, &s, 0), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "softmax output needs the cross_entropy"));
    s = shape_of(NET_ACT_SIGMOID, NET_OUT_SIGMOID, NET_LOSS_MSE, 0);
    s.n_layers = NET_MAX_LAYERS + 1;
    CU_ASSERT_EQUAL(net_shape_check(&s), -1);
    s = shape_of(NET_ACT_SIGMOID, NET_OUT_SIGMOID, NET_LOSS_MSE, 0);
    s.sizes[2] = 0;
    CU_ASSERT_EQUAL(net_shape_check(&s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "6-5-0-3"));
    CU_ASSERT(net_shape_is_book(&(net_shape_t){.n_layers = 2, .sizes = {784, 200, 10}}));
    s = net_book_shape(784, 200, 10);
    s.bias = 1;
    CU_ASSERT(!net_shape_is_book(&s));
}

/* Glorot stays inside its bounds, He has its spread, biases start at 0,
 * and a seed gives the same net. */
static void test_initialisations(void)
{
    net_shape_t s = {.n_layers = 3, .sizes = {100, 80, 60, 10}, .activation = NET_ACT_RELU,
                     .output = NET_OUT_SOFTMAX, .loss = NET_LOSS_CROSS_ENTROPY, .bias = 1};
    net_t a, b;
    CU_ASSERT_FATAL(net_init_shape(&a, &s, 0) == 0 && net_init_shape(&b, &s, 0) == 0);
    rng_t r1, r2;
    rng_seed(&r1, 5, 0);
    rng_seed(&r2, 5, 0);
    net_init_weights_as(&a, NET_INIT_GLOROT, &r1);
    net_init_weights_as(&b, NET_INIT_GLOROT, &r2);
    CU_ASSERT(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0);
    double limit = sqrt(6.0 / 180.0);
    int outside = 0;
    for (size_t i = 0; i < 100 * 80; i++)
        outside += fabsf(a.w[0][i]) > limit;
    CU_ASSERT_EQUAL(outside, 0);
    net_init_weights_as(&a, NET_INIT_HE, &r1);
    double sq = 0.0;
    for (size_t i = 0; i < 60 * 80; i++)
        sq += (double)a.w[1][i] * a.w[1][i];
    CU_ASSERT_DOUBLE_EQUAL(sqrt(sq / (60 * 80)), sqrt(2.0 / 80), 0.05 * sqrt(2.0 / 80));
    for (int l = 0; l < 3; l++)
        CU_ASSERT_EQUAL(a.b[l][0], 0.0f);
    net_free(&a);
    net_free(&b);
}

/* 784-n1-16-10 ReLU, softmax + cross-entropy, biases, He init: synthetic
 * digits learnt to at least 90% of the training set in a few epochs; with
 * n1 = 72 the first layer's rows are padded to 80 (net.h), and the pads
 * stay 0. */
static void deep_net_learns(int n1)
{
    enum { N = 1000, BATCH = 20, EPOCHS = 5 };
    net_shape_t s = {.n_layers = 3, .sizes = {784, n1, 16, 10}, .activation = NET_ACT_RELU,
                     .output = NET_OUT_SOFTMAX, .loss = NET_LOSS_CROSS_ENTROPY, .bias = 1};
    uint8_t *pixels = malloc((size_t)N * 784), labels[N];
    testutil_synthetic_digits(pixels, labels, N, 11);
    net_t net;
    net_work_t work;
    CU_ASSERT_FATAL(net_init_shape(&net, &s, 0) == 0);
    CU_ASSERT_FATAL(net_work_init_pixels(&work, &net, BATCH) == 0);
    rng_t rng;
    rng_seed(&rng, 1, 0);
    net_init_weights_as(&net, NET_INIT_HE, &rng);
    net_stats_t st = {0};
    for (int e = 0; e < EPOCHS; e++) {
        st = (net_stats_t){0};
        for (int start = 0; start < N; start += BATCH) {
            const uint8_t *rows[BATCH];
            for (int b = 0; b < BATCH; b++)
                rows[b] = pixels + (size_t)(start + b) * 784;
            net_batch_update_pixels(&net, &work, rows, labels + start, BATCH, NET_RULE_GRADIENT,
                                    0.1f / BATCH, 1.0f, net.params, &st);
        }
    }
    double accuracy = (double)st.correct / (double)st.count;
    CU_ASSERT(accuracy >= 0.9);
    if (accuracy < 0.9)
        fprintf(stderr, "deep net: %.3f of the training set after %d epochs\n", accuracy, EPOCHS);
    CU_ASSERT(net_is_finite(&net));
    CU_ASSERT_EQUAL(net.ld0, (n1 + 15) / 16 * 16);
    for (int i = 0; i < 784; i++)
        for (int j = n1; j < net.ld0; j++)
            CU_ASSERT_EQUAL_FATAL(net.w[0][(size_t)i * net.ld0 + j], 0.0f);
    free(pixels);
    net_work_free(&work);
    net_free(&net);
}

static void test_deep_net_learns(void)
{
    deep_net_learns(32);
    deep_net_learns(72);
}

/* The per-sample loop of a deep net: the batches of one it stands for,
 * applied in place, up to float rounding -- it keeps the background's
 * share of the first layer's update aside until net_loop_end, as the
 * book's loop does, and updates only the lit pixels' rows per sample. */
static void test_loop_is_batch_of_one(void)
{
    const net_shape_t shapes[] = {
        shape_of(NET_ACT_TANH, NET_OUT_SIGMOID, NET_LOSS_CROSS_ENTROPY, 1),
        shape_of(NET_ACT_RELU, NET_OUT_SOFTMAX, NET_LOSS_CROSS_ENTROPY, 1),
        shape_of(NET_ACT_SIGMOID, NET_OUT_SIGMOID, NET_LOSS_MSE, 0),
    };
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        net_t a, b;
        net_work_t wa, wb;
        CU_ASSERT_FATAL(net_init_shape(&a, &shapes[k], 0) == 0 &&
                        net_init_shape(&b, &shapes[k], 0) == 0);
        CU_ASSERT_FATAL(net_work_init_pixels(&wa, &a, 1) == 0 &&
                        net_work_init_pixels(&wb, &b, 1) == 0);
        random_params(&a, 9);
        memcpy(b.params, a.params, a.n_params * sizeof(float));
        uint8_t px[2][6], labels[2] = {1, 2};
        make_pixels(px, 3);
        net_loop_begin(&a, &wa);
        for (int i = 0; i < 40; i++) {
            const uint8_t *row = px[i % 2];
            net_loop_sample(&a, &wa, row, labels[i % 2], 0.2f, NET_RULE_GRADIENT, NULL);
            net_batch_update_pixels(&b, &wb, &row, &labels[i % 2], 1, NET_RULE_GRADIENT, 0.2f,
                                    1.0f, b.params, NULL);
        }
        net_loop_end(&a, &wa);
        double worst = 0.0, moved = 0.0;
        net_t start;
        CU_ASSERT_FATAL(net_init_shape(&start, &shapes[k], 0) == 0);
        random_params(&start, 9);
        for (size_t i = 0; i < a.n_params; i++) {
            worst = fmax(worst, fabs((double)a.params[i] - b.params[i]));
            moved = fmax(moved, fabs((double)b.params[i] - start.params[i]));
        }
        CU_ASSERT(worst <= 1e-5);
        CU_ASSERT(moved > 1e-2); /* 40 steps did change the weights */
        if (worst > 1e-5)
            fprintf(stderr, "shape %zu: loop and batches of one differ by %g\n", k, worst);
        net_free(&start);
        net_work_free(&wa);
        net_work_free(&wb);
        net_free(&a);
        net_free(&b);
    }
}

/* The generalised back-query is the book's on its shape, to the bit; a
 * tanh net with biases and a softmax gives an image in 0.01..0.99; a ReLU
 * net is refused. */
static void test_backquery(void)
{
    net_shape_t book = net_book_shape(6, 5, 3);
    net_shape_t deep = shape_of(NET_ACT_TANH, NET_OUT_SOFTMAX, NET_LOSS_CROSS_ENTROPY, 1);
    net_shape_t relu = shape_of(NET_ACT_RELU, NET_OUT_SIGMOID, NET_LOSS_MSE, 0);
    const float target[3] = {0.01f, 0.99f, 0.01f};
    float a[6], b[6];
    net_t net;
    CU_ASSERT_FATAL(net_init_shape(&net, &book, 0) == 0);
    random_params(&net, 12);
    CU_ASSERT_EQUAL(net_backquery(&net, target, a), 0);
    CU_ASSERT_EQUAL(mlp_backquery(&net, target, b), 0);
    CU_ASSERT(memcmp(a, b, sizeof a) == 0);
    net_free(&net);
    CU_ASSERT_FATAL(net_init_shape(&net, &deep, 0) == 0);
    random_params(&net, 13);
    CU_ASSERT_EQUAL(net_backquery(&net, target, a), 0);
    float lo = a[0], hi = a[0];
    for (int i = 1; i < 6; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
    }
    CU_ASSERT_DOUBLE_EQUAL(lo, 0.01, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(hi, 0.99, 1e-6);
    net_free(&net);
    CU_ASSERT_FATAL(net_init_shape(&net, &relu, 0) == 0);
    CU_ASSERT_EQUAL(net_backquery(&net, target, a), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "ReLU net cannot be run backwards"));
    net_free(&net);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"gradient: every activation x output/loss x bias, sparse and dense",
         test_gradient_every_combination},
        {"generic code on the book's shape = the book's code", test_generic_on_book_shape},
        {"layout and book order", test_layout_and_book_order},
        {"shapes refused", test_shape_refusals},
        {"initialisations", test_initialisations},
        {"a deep ReLU/softmax net learns synthetic digits", test_deep_net_learns},
        {"per-sample loop = batches of one", test_loop_is_batch_of_one},
        {"back-query through every layer", test_backquery},
        {NULL, NULL},
    };
    return testutil_run("mlp", cases);
}
