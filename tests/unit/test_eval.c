/* Tests of the metrics table (append, CSV file) and of eval_run: a net made
 * by hand whose answer for every image is known from its construction (and
 * checked with an independent double-precision forward pass here) must give
 * the expected confusion matrix, accuracy and loss. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/eval.h"
#include "nnmpi/metrics.h"
#include "nnmpi/rng.h"
#include "testutil.h"

static char *dir;

/* ----------------------------------------------------------- metrics */

static metrics_row_t row_for(int e)
{
    metrics_row_t r = {
        .epoch = e, .train_loss = 0.4321987 / e, .train_accuracy = 0.9 + 0.00123 * e,
        .test_accuracy = e % 4 == 0 ? -1.0 : 0.95 + 0.000321 * e, .lr = 0.1 / (1 << (e % 5)),
        .samples_per_s = 54321.4 * e, .wall_s = 12.345 * e, .ranks = 1 + e % 3,
    };
    return r;
}

/* Splits a CSV line into at most max fields (in place); returns the count. */
static int split_csv(char *line, char **field, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        field[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static void test_metrics_csv(void)
{
    metrics_t m = {0};
    const int rows = 40; /* past the first growth of the table */
    for (int e = 1; e <= rows; e++) {
        metrics_row_t r = row_for(e);
        CU_ASSERT_EQUAL_FATAL(metrics_append(&m, &r), 0);
    }
    CU_ASSERT_EQUAL(m.count, rows);
    CU_ASSERT(m.capacity >= rows);
    for (int e = 1; e <= rows; e++)
        CU_ASSERT_EQUAL(m.rows[e - 1].train_loss, row_for(e).train_loss);

    const char *path = testutil_path(dir, "metrics.csv");
    CU_ASSERT_EQUAL_FATAL(metrics_write_csv(path, &m), 0);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[1024];
    CU_ASSERT_PTR_NOT_NULL_FATAL(fgets(line, sizeof line, f));
    CU_ASSERT_STRING_EQUAL(line,
                           "epoch,train_loss,train_accuracy,test_accuracy,lr,samples_per_s,"
                           "wall_s,ranks\n");
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        size_t len = strlen(line);
        CU_ASSERT_FATAL(len > 0 && line[len - 1] == '\n');
        line[len - 1] = '\0';
        metrics_row_t r = row_for(n);
        /* the line is metrics_format_row's */
        char formatted[256];
        metrics_format_row(&r, formatted, sizeof formatted);
        CU_ASSERT_STRING_EQUAL(line, formatted);
        /* and holds the row's values to the printed precision */
        char *fld[10];
        CU_ASSERT_EQUAL_FATAL(split_csv(line, fld, 10), 8);
        CU_ASSERT_EQUAL(atoi(fld[0]), n);
        CU_ASSERT_DOUBLE_EQUAL(atof(fld[1]), r.train_loss, 5.1e-7);
        CU_ASSERT_DOUBLE_EQUAL(atof(fld[2]), r.train_accuracy, 5.1e-5);
        if (r.test_accuracy < 0) {
            CU_ASSERT_STRING_EQUAL(fld[3], ""); /* not evaluated: empty */
        } else {
            CU_ASSERT_DOUBLE_EQUAL(atof(fld[3]), r.test_accuracy, 5.1e-5);
        }
        CU_ASSERT_DOUBLE_EQUAL(atof(fld[4]), r.lr, 1e-6 * r.lr);
        CU_ASSERT_DOUBLE_EQUAL(atof(fld[5]), r.samples_per_s, 0.51);
        CU_ASSERT_DOUBLE_EQUAL(atof(fld[6]), r.wall_s, 0.0051);
        CU_ASSERT_EQUAL(atoi(fld[7]), r.ranks);
    }
    fclose(f);
    CU_ASSERT_EQUAL(n, rows);

    /* rewriting with fewer rows replaces the file; an empty table is the
     * header alone */
    metrics_t none = {0};
    CU_ASSERT_EQUAL_FATAL(metrics_write_csv(path, &none), 0);
    f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    n = 0;
    while (fgets(line, sizeof line, f))
        n++;
    fclose(f);
    CU_ASSERT_EQUAL(n, 1);
    metrics_free(&none);

    /* no temporary files left */
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    int leftovers = 0;
    for (struct dirent *e; (e = readdir(d));)
        leftovers += strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    CU_ASSERT_EQUAL(leftovers, 0);

    /* an unwritable place fails naming the file */
    const char *bad = testutil_path(dir, "no/such/dir/metrics.csv");
    error_clear();
    CU_ASSERT_EQUAL(metrics_write_csv(bad, &m), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), bad));

    metrics_free(&m);
    metrics_free(&m); /* safe twice */
    CU_ASSERT_PTR_NULL(m.rows);
    CU_ASSERT_EQUAL(m.count, 0);
}

/* Values far outside what a healthy run produces (a damaged checkpoint's
 * metrics, a division by a zero time) still make well-formed rows: each
 * line of the file is the whole of metrics_format_row's text. */
static void test_metrics_csv_extreme_values(void)
{
    metrics_t m = {0};
    const double big[] = {1e300, -1e300, 1e22, INFINITY, NAN, 0.0};
    for (int i = 0; i < 6; i++) {
        metrics_row_t r = {
            .epoch = 2147483647 - i, .train_loss = big[i], .train_accuracy = big[(i + 1) % 6],
            .test_accuracy = big[(i + 2) % 6], .lr = big[(i + 3) % 6],
            .samples_per_s = big[(i + 4) % 6], .wall_s = big[(i + 5) % 6], .ranks = -2147483647,
        };
        CU_ASSERT_EQUAL_FATAL(metrics_append(&m, &r), 0);
    }
    const char *path = testutil_path(dir, "extreme.csv");
    CU_ASSERT_EQUAL_FATAL(metrics_write_csv(path, &m), 0);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char line[8192], want[8192];
    CU_ASSERT_PTR_NOT_NULL_FATAL(fgets(line, sizeof line, f));
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        CU_ASSERT_FATAL(n < m.count);
        int len = metrics_format_row(&m.rows[n], want, sizeof want);
        CU_ASSERT_FATAL(len > 0 && len < (int)sizeof want);
        CU_ASSERT_EQUAL(strlen(line), (size_t)len + 1);
        line[strcspn(line, "\n")] = '\0';
        CU_ASSERT_STRING_EQUAL(line, want);
        n++;
    }
    fclose(f);
    CU_ASSERT_EQUAL(n, m.count);
    metrics_free(&m);
}

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
            CU_ASSERT_EQUAL(res.confusion[t][p], expect[t][p]);
            total += res.confusion[t][p];
        }
    CU_ASSERT_EQUAL(total, N);
    CU_ASSERT_DOUBLE_EQUAL(eval_accuracy(&res), (double)correct / N, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(res.loss_sum, ref_loss, 1e-4 * ref_loss);

    /* the printed table carries the counts and per-class recall */
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    eval_print_confusion(f, &res);
    fclose(f);
    char recall[32];
    int64_t row = 0;
    for (int p = 0; p < 10; p++)
        row += expect[3][p];
    snprintf(recall, sizeof recall, "%5.1f%%", 100.0 * expect[3][3] / row);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, recall));
    free(buf);

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
        CU_ASSERT_EQUAL(res.confusion[t][t], 2);
    imageset_free(&small);

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
    CU_ASSERT_FATAL(net_init(&net, 784, 5, 9) == 0); /* not 10 classes */
    error_clear();
    CU_ASSERT_EQUAL(eval_run(&net, &set, &res), -1);
    CU_ASSERT(strlen(error_message()) > 0);
    net_free(&net);
    imageset_free(&set);
    /* an empty set: zero counts, accuracy 0 by definition */
    CU_ASSERT_FATAL(net_init(&net, 784, 5, 10) == 0);
    CU_ASSERT_FATAL(imageset_alloc(&set, 0, 28, 28) == 0);
    CU_ASSERT_EQUAL(eval_run(&net, &set, &res), 0);
    CU_ASSERT_EQUAL(res.count, 0);
    CU_ASSERT_EQUAL(eval_accuracy(&res), 0.0);
    imageset_free(&set);
    net_free(&net);
}

int main(void)
{
    dir = testutil_tmpdir();
    if (!dir)
        return 2;
    static const testutil_case_t cases[] = {
        {"metrics table and CSV file", test_metrics_csv},
        {"metrics CSV with extreme values", test_metrics_csv_extreme_values},
        {"eval of a hand-made net: confusion, accuracy, loss", test_eval_confusion},
        {"eval refusals and the empty set", test_eval_refusals},
        {NULL, NULL},
    };
    int rc = testutil_run("eval", cases);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
