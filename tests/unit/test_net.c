/* Tests of the net module against an independent double-precision
 * implementation written here: the "gradient" rule against central finite
 * differences of the loss, the "book" rule against the book's numpy code
 * transcribed loop by loop (and against numbers computed by hand for a 2-2-2
 * net), per-sample training against batch delta + apply, linearity over the
 * batch, input scaling, initialisation statistics, the back-query and the
 * parameter layout. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/net.h"
#include "nnmpi/rng.h"
#include "testutil.h"

/* ------------------------------------------------ reference (double) */

static double sig(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static double target(int k, int label)
{
    return k == label ? (double)NET_TARGET_HIGH : (double)NET_TARGET_LOW;
}

/* params (layout of net_t, in double): w_ih_t [I,H] (the book's wih
 * transposed) then w_ho [O,H].
 * hidden_outputs = sigmoid(wih . inputs), final = sigmoid(who . hidden) */
static void ref_forward(int I, int H, int O, const double *p, const double *x, double *h,
                        double *o)
{
    const double *wih_t = p, *who = p + (size_t)H * I;
    for (int j = 0; j < H; j++) {
        double z = 0.0;
        for (int i = 0; i < I; i++)
            z += wih_t[i * H + j] * x[i];
        h[j] = sig(z);
    }
    for (int k = 0; k < O; k++) {
        double z = 0.0;
        for (int j = 0; j < H; j++)
            z += who[k * H + j] * h[j];
        o[k] = sig(z);
    }
}

/* L = sum over the batch of 0.5 * sum_k (t_k - o_k)^2 */
static double ref_loss(int I, int H, int O, const double *p, int B, const double *x,
                       const uint8_t *labels)
{
    double h[64], o[64], loss = 0.0;
    for (int b = 0; b < B; b++) {
        ref_forward(I, H, O, p, x + (size_t)b * I, h, o);
        for (int k = 0; k < O; k++) {
            double e = target(k, labels[b]) - o[k];
            loss += 0.5 * e * e;
        }
    }
    return loss;
}

/* The book's train() without the learning rate, summed over the batch,
 * line by line:
 *   output_errors = targets - final_outputs
 *   hidden_errors = numpy.dot(self.who.T, output_errors)          (book)
 *   d_who = numpy.dot(output_errors * o * (1 - o), hidden_outputs.T)
 *   d_wih = numpy.dot(hidden_errors * h * (1 - h), inputs.T)
 * With gradient = 1 the hidden error is who.T . (output_errors * o * (1-o)). */
static void ref_delta(int I, int H, int O, const double *p, int B, const double *x,
                      const uint8_t *labels, int gradient, double *delta)
{
    const double *who = p + (size_t)H * I;
    double *d_wih = delta, *d_who = delta + (size_t)H * I;
    memset(delta, 0, ((size_t)H * I + (size_t)O * H) * sizeof *delta);
    double h[64], o[64], eo[64], eh[64];
    for (int b = 0; b < B; b++) {
        const double *in = x + (size_t)b * I;
        ref_forward(I, H, O, p, in, h, o);
        for (int k = 0; k < O; k++)
            eo[k] = target(k, labels[b]) - o[k];
        for (int j = 0; j < H; j++) {
            eh[j] = 0.0;
            for (int k = 0; k < O; k++)
                eh[j] += who[k * H + j] * (gradient ? eo[k] * o[k] * (1.0 - o[k]) : eo[k]);
        }
        for (int k = 0; k < O; k++)
            for (int j = 0; j < H; j++)
                d_who[k * H + j] += eo[k] * o[k] * (1.0 - o[k]) * h[j];
        for (int j = 0; j < H; j++)
            for (int i = 0; i < I; i++)
                d_wih[i * H + j] += eh[j] * h[j] * (1.0 - h[j]) * in[i];
    }
}

/* The book's backquery(), line by line:
 *   final_inputs = logit(targets)
 *   hidden_outputs = who.T . final_inputs; -= min; /= max; *= 0.98; += 0.01
 *   hidden_inputs = logit(hidden_outputs)
 *   inputs = wih.T . hidden_inputs; -= min; /= max; *= 0.98; += 0.01 */
static void ref_rescale(double *v, int n)
{
    double lo = v[0];
    for (int i = 1; i < n; i++)
        lo = v[i] < lo ? v[i] : lo;
    for (int i = 0; i < n; i++)
        v[i] -= lo;
    double hi = v[0];
    for (int i = 1; i < n; i++)
        hi = v[i] > hi ? v[i] : hi;
    for (int i = 0; i < n; i++) {
        v[i] /= hi;
        v[i] *= 0.98;
        v[i] += 0.01;
    }
}

static void ref_backquery(int I, int H, int O, const double *p, const double *t, double *img)
{
    const double *wih_t = p, *who = p + (size_t)H * I;
    double hid[64];
    for (int j = 0; j < H; j++) {
        hid[j] = 0.0;
        for (int k = 0; k < O; k++)
            hid[j] += who[k * H + j] * log(t[k] / (1.0 - t[k]));
    }
    ref_rescale(hid, H);
    for (int i = 0; i < I; i++) {
        img[i] = 0.0;
        for (int j = 0; j < H; j++)
            img[i] += wih_t[i * H + j] * log(hid[j] / (1.0 - hid[j]));
    }
    ref_rescale(img, I);
}

/* ------------------------------------------------------------ helpers */

/* A small net with N(0, scale) weights, and its weights in double. */
static void make_net(net_t *net, int I, int H, int O, uint64_t seed, double scale, double *pd)
{
    CU_ASSERT_FATAL(net_init(net, I, H, O) == 0);
    rng_t rng;
    rng_seed(&rng, seed, 0);
    for (size_t i = 0; i < net->n_params; i++) {
        net->params[i] = (float)(rng_normal(&rng) * scale);
        if (pd)
            pd[i] = net->params[i];
    }
}

/* B random inputs in [0.01, 1] into work->x (float) and xd (double), and
 * labels below O. */
static void make_batch(net_work_t *work, int I, int O, int B, uint64_t seed, double *xd,
                       uint8_t *labels)
{
    rng_t rng;
    rng_seed(&rng, seed, 1);
    for (int i = 0; i < B * I; i++) {
        work->x[i] = (float)(0.01 + 0.99 * rng_uniform(&rng));
        xd[i] = work->x[i];
    }
    for (int b = 0; b < B; b++)
        labels[b] = (uint8_t)rng_below(&rng, (uint64_t)O);
}

/* max over i of |a_i - b_i| / (rel * max(|b_i|, floor)) must be <= 1 */
static double worst_ratio(const float *a, const double *b, size_t n, double rel, double floor)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double scale = fabs(b[i]) > floor ? fabs(b[i]) : floor;
        double r = fabs((double)a[i] - b[i]) / (rel * scale);
        worst = r > worst ? r : worst;
    }
    return worst;
}

enum { I6 = 6, H4 = 4, O3 = 3, NP = I6 * H4 + O3 * H4, BMAX = 8 };

/* ------------------------------------------------------------- tests */

static void test_gradient_rule_matches_finite_differences(void)
{
    net_t net;
    net_work_t work;
    double p[NP], x[BMAX * I6], fd[NP];
    uint8_t labels[BMAX];
    const int B = 5;
    /* weights of scale 1 keep the sigmoids away from saturation and the
     * gradients well above float noise */
    make_net(&net, I6, H4, O3, 11, 1.0, p);
    CU_ASSERT_FATAL(net_work_init(&work, &net, BMAX) == 0);
    make_batch(&work, I6, O3, B, 12, x, labels);

    const double eps = 1e-3;
    for (int i = 0; i < NP; i++) {
        double keep = p[i];
        p[i] = keep + eps;
        double up = ref_loss(I6, H4, O3, p, B, x, labels);
        p[i] = keep - eps;
        double down = ref_loss(I6, H4, O3, p, B, x, labels);
        p[i] = keep;
        fd[i] = -(up - down) / (2 * eps); /* the update direction is -dL/dw */
    }
    float delta[NP];
    net_stats_t stats = {0};
    net_batch_delta(&net, &work, labels, B, NET_RULE_GRADIENT, delta, &stats);
    CU_ASSERT(worst_ratio(delta, fd, NP, 1e-3, 1e-3) <= 1.0);
    /* the weights were not touched */
    for (int i = 0; i < NP; i++)
        CU_ASSERT_EQUAL_FATAL(net.params[i], (float)p[i]);
    /* stats: loss before the update, accuracy, count */
    CU_ASSERT_DOUBLE_EQUAL(stats.loss_sum, ref_loss(I6, H4, O3, p, B, x, labels), 1e-5);
    CU_ASSERT_EQUAL(stats.count, B);
    int64_t correct = 0;
    for (int b = 0; b < B; b++) {
        double h[H4], o[O3];
        ref_forward(I6, H4, O3, p, x + b * I6, h, o);
        int best = 0;
        for (int k = 1; k < O3; k++)
            best = o[k] > o[best] ? k : best;
        correct += best == labels[b];
    }
    CU_ASSERT_EQUAL(stats.correct, correct);

    /* the book's rule is NOT the gradient: its w_ih part must differ
     * (this also shows the comparison above can tell them apart) while its
     * w_ho part is the same */
    float book[NP];
    net_batch_delta(&net, &work, labels, B, NET_RULE_BOOK, book, NULL);
    CU_ASSERT(worst_ratio(book, fd, H4 * I6, 1e-3, 1e-3) > 10.0);
    CU_ASSERT(worst_ratio(book + H4 * I6, fd + H4 * I6, O3 * H4, 1e-3, 1e-3) <= 1.0);

    net_work_free(&work);
    net_free(&net);
}

/* 2-2-2, fixed weights, one sample: numbers computed by hand (with the
 * book's formulas in a separate Python session, not with this file). */
static void test_book_rule_by_hand(void)
{
    net_t net;
    net_work_t work;
    CU_ASSERT_FATAL(net_init(&net, 2, 2, 2) == 0);
    CU_ASSERT_FATAL(net_work_init(&work, &net, 1) == 0);
    /* the book's wih then who */
    const float book[8] = {0.9f, 0.3f, 0.2f, 0.8f, 0.3f, 0.7f, 0.6f, 0.5f};
    net_from_book_order(&net, book);
    work.x[0] = 0.9f;
    work.x[1] = 0.1f;
    const uint8_t label = 1;

    net_forward(&net, &work, 1);
    CU_ASSERT_DOUBLE_EQUAL(work.h[0], 0.698465216003, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(work.h[1], 0.564636291803, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(work.o[0], 0.646750267203, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(work.o[1], 0.668497493298, 1e-6);

    float d[8];
    net_stats_t st = {0};
    net_batch_delta(&net, &work, &label, 1, NET_RULE_BOOK, d, &st);
    /* hidden errors w_ho^T e_o = (0.00187642386, -0.284973933691) */
    const double book_ih[4] = {0.000355676897424, 3.95196552693e-05, -0.0630476145107,
                               -0.00700529050118};
    const double ho[4] = {-0.101609046876, -0.0821403186977, 0.0497640532451, 0.0402290476972};
    /* the hand values are in the book's order wih[j][i]: d holds w_ih_t[i][j] */
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_DOUBLE_EQUAL(d[(i % 2) * 2 + i / 2], book_ih[i], 1e-6 * fabs(book_ih[i]) + 1e-8);
        CU_ASSERT_DOUBLE_EQUAL(d[4 + i], ho[i], 1e-6);
    }
    CU_ASSERT_DOUBLE_EQUAL(st.loss_sum, 0.254407382299, 1e-6);
    CU_ASSERT_EQUAL(st.correct, 1); /* 0.668 > 0.647: class 1 */

    /* the gradient rule on the same net, also by hand */
    const double grad_ih[4] = {-0.000169418495635, -1.88242772928e-05, -0.0146479553344,
                               -0.00162755059272};
    net_batch_delta(&net, &work, &label, 1, NET_RULE_GRADIENT, d, NULL);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_DOUBLE_EQUAL(d[(i % 2) * 2 + i / 2], grad_ih[i], 1e-6 * fabs(grad_ih[i]) + 1e-8);
        CU_ASSERT_DOUBLE_EQUAL(d[4 + i], ho[i], 1e-6);
    }
    net_work_free(&work);
    net_free(&net);
}

/* The book rule on a bigger random net and batch against the loop
 * transcription of the book's code. */
static void test_book_rule_against_reference(void)
{
    net_t net;
    net_work_t work;
    double p[NP], x[BMAX * I6], ref[NP];
    uint8_t labels[BMAX];
    make_net(&net, I6, H4, O3, 21, 0.8, p);
    CU_ASSERT_FATAL(net_work_init(&work, &net, BMAX) == 0);
    for (int B = 1; B <= BMAX; B += 3) {
        make_batch(&work, I6, O3, B, 22 + (uint64_t)B, x, labels);
        float d[NP];
        net_batch_delta(&net, &work, labels, B, NET_RULE_BOOK, d, NULL);
        ref_delta(I6, H4, O3, p, B, x, labels, 0, ref);
        CU_ASSERT(worst_ratio(d, ref, NP, 1e-4, 1e-3) <= 1.0);
        net_batch_delta(&net, &work, labels, B, NET_RULE_GRADIENT, d, NULL);
        ref_delta(I6, H4, O3, p, B, x, labels, 1, ref);
        CU_ASSERT(worst_ratio(d, ref, NP, 1e-4, 1e-3) <= 1.0);
    }
    net_work_free(&work);
    net_free(&net);
}

static void test_train_sample_equals_delta_and_apply(void)
{
    const net_rule_t rules[2] = {NET_RULE_BOOK, NET_RULE_GRADIENT};
    for (int r = 0; r < 2; r++) {
        net_t a, b;
        net_work_t wa, wb;
        double p[NP], x[I6];
        uint8_t label;
        make_net(&a, I6, H4, O3, 31, 1.0, p);
        make_net(&b, I6, H4, O3, 31, 1.0, NULL);
        CU_ASSERT_FATAL(net_work_init(&wa, &a, 1) == 0);
        CU_ASSERT_FATAL(net_work_init(&wb, &b, 1) == 0);
        const float lr = 0.3f;
        /* several samples in a row, so an error compounds */
        for (int s = 0; s < 5; s++) {
            make_batch(&wa, I6, O3, 1, 40 + (uint64_t)s, x, &label);
            memcpy(wb.x, wa.x, sizeof(float) * I6);
            net_stats_t sa = {0}, sb = {0};
            net_train_sample(&a, &wa, label, lr, rules[r], &sa);
            float d[NP];
            net_batch_delta(&b, &wb, &label, 1, rules[r], d, &sb);
            net_apply_delta(&b, d, lr);
            for (int i = 0; i < NP; i++)
                CU_ASSERT_DOUBLE_EQUAL_FATAL(a.params[i], b.params[i], 1e-6);
            CU_ASSERT_DOUBLE_EQUAL(sa.loss_sum, sb.loss_sum, 1e-6);
            CU_ASSERT_EQUAL(sa.correct, sb.correct);
            CU_ASSERT_EQUAL(sa.count, 1);
        }
        /* and the first step equals the reference update w += lr * delta */
        net_t c;
        double ref[NP];
        make_net(&c, I6, H4, O3, 31, 1.0, NULL);
        make_batch(&wa, I6, O3, 1, 40, x, &label);
        net_train_sample(&c, &wa, label, lr, rules[r], NULL);
        ref_delta(I6, H4, O3, p, 1, x, &label, rules[r] == NET_RULE_GRADIENT, ref);
        for (int i = 0; i < NP; i++)
            CU_ASSERT_DOUBLE_EQUAL(c.params[i], p[i] + lr * ref[i], 1e-6);
        net_free(&c);
        net_work_free(&wa);
        net_work_free(&wb);
        net_free(&a);
        net_free(&b);
    }
}

static void test_batch_is_sum_of_samples(void)
{
    net_t net;
    net_work_t work, one;
    double p[NP], x[BMAX * I6];
    uint8_t labels[BMAX];
    const int B = 7;
    make_net(&net, I6, H4, O3, 51, 1.0, p);
    CU_ASSERT_FATAL(net_work_init(&work, &net, BMAX) == 0);
    CU_ASSERT_FATAL(net_work_init(&one, &net, 1) == 0);
    make_batch(&work, I6, O3, B, 52, x, labels);
    for (int r = 0; r < 2; r++) {
        net_rule_t rule = r ? NET_RULE_GRADIENT : NET_RULE_BOOK;
        float batch[NP], d[NP];
        double sum[NP] = {0};
        net_stats_t sb = {0}, ss = {0};
        net_batch_delta(&net, &work, labels, B, rule, batch, &sb);
        for (int b = 0; b < B; b++) {
            memcpy(one.x, work.x + b * I6, sizeof(float) * I6);
            net_batch_delta(&net, &one, &labels[b], 1, rule, d, &ss);
            for (int i = 0; i < NP; i++)
                sum[i] += d[i];
        }
        CU_ASSERT(worst_ratio(batch, sum, NP, 1e-5, 1e-3) <= 1.0);
        CU_ASSERT_DOUBLE_EQUAL(sb.loss_sum, ss.loss_sum, 1e-5);
        CU_ASSERT_EQUAL(sb.correct, ss.correct);
        CU_ASSERT_EQUAL(sb.count, B);
        CU_ASSERT_EQUAL(ss.count, B);
    }
    net_work_free(&one);
    net_work_free(&work);
    net_free(&net);
}

static void test_scale_input(void)
{
    uint8_t px[256];
    float x[256];
    for (int v = 0; v < 256; v++)
        px[v] = (uint8_t)v;
    net_scale_input(px, x, 256);
    CU_ASSERT_DOUBLE_EQUAL(x[0], 0.01, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(x[255], 1.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(x[128], 128.0 / 255.0 * 0.99 + 0.01, 1e-6);
    for (int v = 0; v < 256; v++)
        CU_ASSERT_DOUBLE_EQUAL_FATAL(x[v], v / 255.0 * 0.99 + 0.01, 1e-6);
    /* n counts values, not rows: a partial call touches only n values */
    float y[4] = {-1, -1, -1, -1};
    const uint8_t three[3] = {255, 0, 128};
    net_scale_input(three, y, 3);
    CU_ASSERT_EQUAL(y[0], x[255]);
    CU_ASSERT_EQUAL(y[1], x[0]);
    CU_ASSERT_EQUAL(y[2], x[128]);
    CU_ASSERT_EQUAL(y[3], -1.0f);
}

static void moments(const float *v, size_t n, double *mean, double *sd)
{
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += v[i];
        s2 += (double)v[i] * v[i];
    }
    *mean = s / n;
    *sd = sqrt(s2 / n - *mean * *mean);
}

static void test_init_weights(void)
{
    net_t a, b, c;
    CU_ASSERT_FATAL(net_init(&a, 784, 200, 10) == 0);
    CU_ASSERT_FATAL(net_init(&b, 784, 200, 10) == 0);
    CU_ASSERT_FATAL(net_init(&c, 784, 200, 10) == 0);
    for (size_t i = 0; i < a.n_floats; i++)
        CU_ASSERT_EQUAL_FATAL(a.params[i], 0.0f); /* net_init: zero weights */
    rng_t r;
    rng_seed(&r, 5, 0);
    net_init_weights(&a, &r);
    rng_seed(&r, 5, 0);
    net_init_weights(&b, &r);
    rng_seed(&r, 6, 0);
    net_init_weights(&c, &r);
    CU_ASSERT_EQUAL(memcmp(a.params, b.params, a.n_floats * sizeof(float)), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a.params, c.params, a.n_floats * sizeof(float)), 0);
    /* w0's rows padded to whole lines, the pads left 0 */
    CU_ASSERT_EQUAL(a.ld0, 208);
    CU_ASSERT_EQUAL(a.n_floats, a.n_params + 784 * 8);
    CU_ASSERT_EQUAL((uintptr_t)a.params % 64, 0);
    for (int i = 0; i < 784; i++)
        for (int j = 200; j < 208; j++)
            CU_ASSERT_EQUAL_FATAL(a.w_ih_t[i * 208 + j], 0.0f);

    double mean, sd;
    float *book = malloc(a.n_params * sizeof *book);
    CU_ASSERT_FATAL(book != NULL);
    net_to_book_order(&a, book);
    moments(book, 784 * 200, &mean, &sd);
    free(book);
    CU_ASSERT_DOUBLE_EQUAL(sd, 1.0 / sqrt(784.0), 0.02 / sqrt(784.0));
    CU_ASSERT(fabs(mean) < 0.02 / sqrt(784.0));
    moments(a.w_ho, 200 * 10, &mean, &sd);
    CU_ASSERT_DOUBLE_EQUAL(sd, 1.0 / sqrt(200.0), 0.05 / sqrt(200.0));
    CU_ASSERT(fabs(mean) < 0.1 / sqrt(200.0));
    /* w_ho is drawn, not left at zero or copied from w_ih */
    CU_ASSERT_NOT_EQUAL(memcmp(a.w_ho, a.w_ih_t, 2000 * sizeof(float)), 0);
    net_free(&a);
    net_free(&b);
    net_free(&c);
}

static void test_backquery(void)
{
    enum { I = 12, H = 5, O = 4 };
    net_t net;
    double p[I * H + H * O];
    make_net(&net, I, H, O, 61, 0.7, p);
    for (int label = 0; label < O; label++) {
        float t[O], img[I];
        double td[O], ref[I];
        for (int k = 0; k < O; k++)
            td[k] = t[k] = k == label ? 0.99f : 0.01f;
        CU_ASSERT_EQUAL_FATAL(net_backquery(&net, t, img), 0);
        ref_backquery(I, H, O, p, td, ref);
        float lo = img[0], hi = img[0];
        for (int i = 0; i < I; i++) {
            CU_ASSERT_DOUBLE_EQUAL(img[i], ref[i], 1e-5);
            CU_ASSERT(img[i] >= 0.01f - 1e-6f && img[i] <= 0.99f + 1e-6f);
            lo = img[i] < lo ? img[i] : lo;
            hi = img[i] > hi ? img[i] : hi;
        }
        /* the rescale spans the whole range */
        CU_ASSERT_DOUBLE_EQUAL(lo, 0.01, 1e-6);
        CU_ASSERT_DOUBLE_EQUAL(hi, 0.99, 1e-6);
    }
    /* targets must lie strictly inside (0, 1): logit(0), logit(1) are infinite */
    const float bad[][O] = {{0.0f, 0.01f, 0.01f, 0.99f}, {0.01f, 1.0f, 0.01f, 0.01f},
                            {0.01f, 0.01f, -0.5f, 0.01f}, {0.01f, 0.01f, 0.01f, 1.5f},
                            {0.01f, 0.01f, NAN, 0.01f}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        float img[I];
        error_clear();
        CU_ASSERT_EQUAL(net_backquery(&net, bad[i], img), -1);
        CU_ASSERT(strlen(error_message()) > 0);
    }
    net_free(&net);
}

/* Book order is [w_ih as hidden x input | w_ho]: every weight where the
 * book has it, for shapes that end mid-tile of the transpose and rows
 * padded to whole lines (130 units: rows of 144), and back again. */
static void test_book_order(void)
{
    const int shapes[][2] = {{784, 200}, {70, 130}, {3, 65}, {129, 1}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const int ni = shapes[k][0], nh = shapes[k][1];
        net_t net, back;
        CU_ASSERT_FATAL(net_init(&net, ni, nh, 3) == 0);
        CU_ASSERT_FATAL(net_init(&back, ni, nh, 3) == 0);
        for (size_t i = 0; i < net.n_floats; i++)
            net.params[i] = (float)i;
        for (int i = 0; i < ni; i++)
            for (int j = nh; j < net.ld0; j++)
                net.w_ih_t[(size_t)i * net.ld0 + j] = 0.0f; /* the pads */
        float *book = malloc(net.n_params * sizeof *book);
        CU_ASSERT_FATAL(book != NULL);
        net_to_book_order(&net, book);
        for (int j = 0; j < nh; j++)
            for (int i = 0; i < ni; i++)
                CU_ASSERT_EQUAL_FATAL(book[(size_t)j * ni + i], net.w_ih_t[(size_t)i * net.ld0 + j]);
        CU_ASSERT_EQUAL(memcmp(book + (size_t)ni * nh, net.w_ho, 3 * (size_t)nh * sizeof(float)), 0);
        net_from_book_order(&back, book);
        CU_ASSERT_EQUAL(memcmp(back.params, net.params, net.n_floats * sizeof(float)), 0);
        free(book);
        net_free(&net);
        net_free(&back);
    }
}

static void test_layout(void)
{
    CU_ASSERT_EQUAL(net_param_count(784, 200, 10), (size_t)784 * 200 + 200 * 10);
    CU_ASSERT_EQUAL(net_param_count(6, 4, 3), (size_t)36);
    net_t net;
    CU_ASSERT_FATAL(net_init(&net, 7, 5, 3) == 0);
    CU_ASSERT_EQUAL(net.n_in, 7);
    CU_ASSERT_EQUAL(net.n_hidden, 5);
    CU_ASSERT_EQUAL(net.n_out, 3);
    CU_ASSERT_EQUAL(net.n_params, (size_t)(7 * 5 + 5 * 3));
    CU_ASSERT_PTR_EQUAL(net.w_ih_t, net.params);
    CU_ASSERT_PTR_EQUAL(net.w_ho, net.params + 5 * 7);
    /* the views are used as row-major [I,H] and [O,H]: output k of a net
     * whose only nonzero weights are w_ih_t[i][j] and w_ho[k][j] */
    net_work_t work;
    CU_ASSERT_FATAL(net_work_init(&work, &net, 1) == 0);
    for (int i = 0; i < 7; i++)
        work.x[i] = i == 2 ? 1.0f : 0.0f;
    net.w_ih_t[2 * 5 + 3] = 5.0f; /* hidden 3 <- input 2 */
    net.w_ho[1 * 5 + 3] = 10.0f; /* output 1 <- hidden 3 */
    net_forward(&net, &work, 1);
    for (int j = 0; j < 5; j++)
        CU_ASSERT_DOUBLE_EQUAL(work.h[j], j == 3 ? sig(5.0) : 0.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(work.o[1], sig(10.0 * sig(5.0)), 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(work.o[0], 0.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(work.o[2], 0.5, 1e-6);
    CU_ASSERT_EQUAL(net_argmax(work.o, 3), 1);
    net_work_free(&work);

    /* apply_delta covers the whole buffer */
    float *d = malloc(net.n_floats * sizeof *d);
    for (size_t i = 0; i < net.n_floats; i++)
        d[i] = (float)i;
    memset(net.params, 0, net.n_floats * sizeof(float));
    net_apply_delta(&net, d, 0.5f);
    for (size_t i = 0; i < net.n_floats; i++)
        CU_ASSERT_EQUAL_FATAL(net.params[i], 0.5f * (float)i);
    free(d);

    CU_ASSERT_EQUAL(net_is_finite(&net), 1);
    net.w_ho[14] = NAN;
    CU_ASSERT_EQUAL(net_is_finite(&net), 0);
    net.w_ho[14] = INFINITY;
    CU_ASSERT_EQUAL(net_is_finite(&net), 0);
    net_free(&net);
    net_free(&net); /* safe twice and on a zeroed struct */

    error_clear();
    CU_ASSERT_EQUAL(net_init(&net, 0, 5, 3), -1);
    CU_ASSERT(strlen(error_message()) > 0);
    CU_ASSERT_EQUAL(net_init(&net, 7, -1, 3), -1);
    net_free(&net);

    /* argmax: the first of equal maxima */
    const float tie[4] = {0.2f, 0.7f, 0.7f, 0.1f};
    CU_ASSERT_EQUAL(net_argmax(tie, 4), 1);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"gradient rule = -dL/dw by finite differences", test_gradient_rule_matches_finite_differences},
        {"book rule on a 2-2-2 net by hand", test_book_rule_by_hand},
        {"book and gradient rules against the book's code", test_book_rule_against_reference},
        {"train_sample = batch_delta(B=1) + apply_delta", test_train_sample_equals_delta_and_apply},
        {"batch delta = sum of sample deltas", test_batch_is_sum_of_samples},
        {"scale_input", test_scale_input},
        {"init_weights statistics and seeding", test_init_weights},
        {"backquery against the book's code", test_backquery},
        {"parameter layout and views", test_layout},
        {"book order: every weight, across tiles and pads", test_book_order},
        {NULL, NULL},
    };
    return testutil_run("net", cases);
}
