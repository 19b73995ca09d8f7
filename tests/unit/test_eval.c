/* Tests of eval_run: a net made by hand whose answer for every image is
 * known from its construction (and checked with an independent
 * double-precision forward pass here) must give the expected confusion
 * matrix, accuracy and loss. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/eval.h"
#include "nnmpi/rng.h"
#include "testutil.h"

/* -------------------------------------------------------------- eval */

/* The hand-made net: 784 inputs, 10 hidden, 10 outputs. Hidden node j
 * watches band j of the image (rows 4+2j and 5+2j): weight +1 on its band,
 * -1 everywhere else; output k copies hidden k with weight 10. An image with
 * ink in band r only drives hidden r to ~1 and the others to ~0, so output r
 * is sigmoid(10) and the others sigmoid(0) = 0.5: the net answers r. */
static int in_band(int pixel, int band)
{
    int row = pixel / 28;
    return row == 4 + 2 * band || row == 5 + 2 * band;
}

static void make_band_net(net_t *net)
{
    CU_ASSERT_FATAL(net_init(net, 784, 10, 10) == 0);
    for (int j = 0; j < 10; j++)
        for (int i = 0; i < 784; i++)
            net->w_ih_t[i * 10 + j] = in_band(i, j) ? 1.0f : -1.0f;
    for (int k = 0; k < 10; k++)
        net->w_ho[k * 10 + k] = 10.0f;
}

/* Independent forward pass in double; returns the argmax, adds the loss. */
static int ref_predict(const net_t *net, const uint8_t *px, int label, double *loss)
{
    double h[10], o[10];
    for (int j = 0; j < 10; j++) {
        double z = 0.0;
        for (int i = 0; i < 784; i++)
            z += net->w_ih_t[i * 10 + j] * (px[i] / 255.0 * 0.99 + 0.01);
        h[j] = 1.0 / (1.0 + exp(-z));
    }
    int best = 0;
    for (int k = 0; k < 10; k++) {
        double z = 0.0;
        for (int j = 0; j < 10; j++)
            z += net->w_ho[k * 10 + j] * h[j];
        o[k] = 1.0 / (1.0 + exp(-z));
        double e = (k == label ? 0.99 : 0.01) - o[k];
        *loss += 0.5 * e * e;
        best = o[k] > o[best] ? k : best;
    }
    return best;
}

static void test_eval_confusion(void)
{
    enum { N = 1234 }; /* two full batches of 500 and a partial one */
    net_t net;
    make_band_net(&net);
    imageset_t set;
    CU_ASSERT_FATAL(imageset_alloc(&set, N, 28, 28) == 0);
    int64_t expect[10][10] = {{0}}, correct = 0;
    double ref_loss = 0.0;
    rng_t rng;
    rng_seed(&rng, 8, 0);
    for (int n = 0; n < N; n++) {
        int label = n % 10;
        /* every 7th image (from the 4th) is drawn as another digit: the net
         * must "mistake" it for that one */
        int drawn = n % 7 == 3 ? (label + 1 + n % 9) % 10 : label;
        uint8_t *img = imageset_image(&set, n);
        for (int i = 0; i < 784; i++)
            img[i] = in_band(i, drawn) ? (uint8_t)(200 + rng_below(&rng, 56))
                                       : (uint8_t)rng_below(&rng, 20); /* faint noise */
        set.labels[n] = (uint8_t)label;
        expect[label][drawn]++;
        correct += drawn == label;
        int ref = ref_predict(&net, img, label, &ref_loss);
        CU_ASSERT_EQUAL_FATAL(ref, drawn); /* the construction does what it says */
    }
    CU_ASSERT(correct < N && correct > N / 2); /* both kinds are present */

    eval_result_t res;
    CU_ASSERT_EQUAL_FATAL(eval_run(&net, &set, &res), 0);
    CU_ASSERT_EQUAL(res.count, N);
    CU_ASSERT_EQUAL(res.correct, correct);
    int64_t total = 0;
    for (int t = 0; t < 10; t++)
        for (int p = 0; p < 10; p++) {
            CU_ASSERT_EQUAL(eval_count(&res, t, p), expect[t][p]);
            total += eval_count(&res, t, p);
        }
    CU_ASSERT_EQUAL(total, N);
    CU_ASSERT_DOUBLE_EQUAL(eval_accuracy(&res), (double)correct / N, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(res.loss_sum, ref_loss, 1e-4 * ref_loss);

    /* the printed table carries the counts and per-class recall */
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    eval_print_confusion(f, &res, NULL);
    fclose(f);
    char recall[32];
    int64_t row = 0;
    for (int p = 0; p < 10; p++)
        row += expect[3][p];
    snprintf(recall, sizeof recall, "%5.1f%%", 100.0 * expect[3][3] / row);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, recall));
    free(buf);
    /* with names, each row says its class's */
    f = open_memstream(&buf, &size);
    eval_print_confusion(f, &res, "zero,one,two,three,four,five,six,seven,eight,nine");
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\n   3 three            |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, recall));
    free(buf);
    eval_result_free(&res);

    /* a perfect set: every image drawn as its label */
    imageset_t small;
    CU_ASSERT_FATAL(imageset_alloc(&small, 20, 28, 28) == 0);
    for (int n = 0; n < 20; n++) {
        small.labels[n] = (uint8_t)(n % 10);
        for (int i = 0; i < 784; i++)
            imageset_image(&small, n)[i] = in_band(i, n % 10) ? 255 : 0;
    }
    CU_ASSERT_EQUAL_FATAL(eval_run(&net, &small, &res), 0);
    CU_ASSERT_EQUAL(res.correct, 20);
    CU_ASSERT_DOUBLE_EQUAL(eval_accuracy(&res), 1.0, 0.0);
    for (int t = 0; t < 10; t++)
        CU_ASSERT_EQUAL(eval_count(&res, t, t), 2);
    eval_result_free(&res);
    imageset_free(&small);

    imageset_free(&set);
    net_free(&net);
}

/* Shares of the set (eval_run_share, one per rank in training) add up to
 * eval_run's figures exactly, whichever share computes a batch; the images
 * here are clean (no noise), so the lit-pixel forward pass runs. */
static void test_eval_shares(void)
{
    enum { N = 1750 }; /* batches of 500, 500, 500, 250 */
    net_t net;
    make_band_net(&net);
    imageset_t set;
    CU_ASSERT_FATAL(imageset_alloc(&set, N, 28, 28) == 0);
    double ref_loss = 0.0;
    int64_t ref_correct = 0;
    for (int n = 0; n < N; n++) {
        int label = n % 10, drawn = n % 11 == 5 ? (label + 3) % 10 : label;
        uint8_t *img = imageset_image(&set, n);
        for (int i = 0; i < 784; i++)
            img[i] = in_band(i, drawn) && i % 3 ? 255 : 0;
        set.labels[n] = (uint8_t)label;
        ref_correct += ref_predict(&net, img, label, &ref_loss) == label;
    }
    eval_result_t all, part;
    CU_ASSERT_EQUAL_FATAL(eval_run(&net, &set, &all), 0);
    CU_ASSERT_EQUAL(all.correct, ref_correct);
    CU_ASSERT_DOUBLE_EQUAL(all.loss_sum, ref_loss, 1e-4 * ref_loss);
    for (int shares = 2; shares <= 5; shares++) {
        int64_t count = 0, correct = 0, cells[100] = {0};
        for (int share = 0; share < shares; share++) {
            CU_ASSERT_EQUAL_FATAL(eval_run_share(&net, &set, share, shares, &part), 0);
            int64_t batches = (N / 500 + (N % 500 > 0) + shares - 1 - share) / shares;
            CU_ASSERT(part.count <= batches * 500 && part.count > (batches - 1) * 500 - 1);
            count += part.count;
            correct += part.correct;
            for (int c = 0; c < 100; c++)
                cells[c] += part.confusion[c];
            eval_result_free(&part);
        }
        CU_ASSERT_EQUAL(count, N);
        CU_ASSERT_EQUAL(correct, all.correct);
        CU_ASSERT_EQUAL(memcmp(cells, all.confusion, sizeof cells), 0);
    }
    eval_result_free(&all);
    imageset_free(&set);
    net_free(&net);
}

/* A net so wide that 500 rows of its hidden outputs would pass 16 MB is
 * evaluated in batches that fit (10,000 units: 419 images), still alike
 * for every share: 800 images make batches of 419 and 381, so share 0 of
 * 2 holds 419 (with batches of 500 it would hold 500). */
static void test_eval_wide_batches(void)
{
    enum { N = 800, H = 10000 };
    net_t net;
    testutil_random_net(&net, 784, H, 10, 11);
    rng_t rng;
    rng_seed(&rng, 11, 1);
    imageset_t set;
    CU_ASSERT_FATAL(imageset_alloc(&set, N, 28, 28) == 0);
    for (int n = 0; n < N; n++) {
        uint8_t *img = imageset_image(&set, n);
        for (int i = 0; i < 784; i++)
            img[i] = rng_uniform(&rng) < 0.2 ? (uint8_t)(1 + rng_uniform(&rng) * 254) : 0;
        set.labels[n] = (uint8_t)(n % 10);
    }
    eval_result_t all, part[2];
    CU_ASSERT_EQUAL_FATAL(eval_run(&net, &set, &all), 0);
    CU_ASSERT_EQUAL_FATAL(eval_run_share(&net, &set, 0, 2, &part[0]), 0);
    CU_ASSERT_EQUAL_FATAL(eval_run_share(&net, &set, 1, 2, &part[1]), 0);
    CU_ASSERT_EQUAL(part[0].count, 419);
    CU_ASSERT_EQUAL(part[1].count, 381);
    CU_ASSERT_EQUAL(part[0].correct + part[1].correct, all.correct);
    for (int c = 0; c < 100; c++)
        CU_ASSERT_EQUAL(part[0].confusion[c] + part[1].confusion[c], all.confusion[c]);
    eval_result_free(&all);
    eval_result_free(&part[0]);
    eval_result_free(&part[1]);
    imageset_free(&set);
    net_free(&net);
}

static void test_eval_refusals(void)
{
    imageset_t set;
    CU_ASSERT_FATAL(imageset_alloc(&set, 3, 28, 28) == 0);
    eval_result_t res;
    net_t net;
    CU_ASSERT_FATAL(net_init(&net, 100, 5, 10) == 0); /* wrong input size */
    error_clear();
    CU_ASSERT_EQUAL(eval_run(&net, &set, &res), -1);
    CU_ASSERT(strlen(error_message()) > 0);
    net_free(&net);
    CU_ASSERT_FATAL(net_init(&net, 784, 5, 9) == 0); /* no output for label 9 */
    set.labels[2] = 9;
    error_clear();
    CU_ASSERT_EQUAL(eval_run(&net, &set, &res), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "label 9 of image 2: the network has 9 outputs"));
    set.labels[2] = 8; /* 9 classes are fine */
    CU_ASSERT_EQUAL(eval_run(&net, &set, &res), 0);
    CU_ASSERT_EQUAL(res.n_classes, 9);
    CU_ASSERT_EQUAL(eval_count(&res, 8, 8) + eval_count(&res, 8, 0) >= 0, 1);
    eval_result_free(&res);
    eval_result_free(&res); /* twice is safe */
    net_free(&net);
    imageset_free(&set);
    /* an empty set: zero counts, accuracy 0 by definition */
    CU_ASSERT_FATAL(net_init(&net, 784, 5, 10) == 0);
    CU_ASSERT_FATAL(imageset_alloc(&set, 0, 28, 28) == 0);
    CU_ASSERT_EQUAL(eval_run(&net, &set, &res), 0);
    CU_ASSERT_EQUAL(res.count, 0);
    CU_ASSERT_EQUAL(eval_accuracy(&res), 0.0);
    eval_result_free(&res);
    imageset_free(&set);
    net_free(&net);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"eval of a hand-made net: confusion, accuracy, loss", test_eval_confusion},
        {"eval in shares adds up to the whole", test_eval_shares},
        {"a wide net: batches that fit, alike in every share", test_eval_wide_batches},
        {"eval refusals and the empty set", test_eval_refusals},
        {NULL, NULL},
    };
    return testutil_run("eval", cases);
}
