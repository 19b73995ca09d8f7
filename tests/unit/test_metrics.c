/* metrics: the table (append, free), metrics.csv written (precision,
 * extreme values, atomic replacement) and read back (columns in any order,
 * and every kind of bad line named by FILE:LINE). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/metrics.h"
#include "testutil.h"

static char *dir;

static metrics_row_t row_for(int e)
{
    metrics_row_t r = {
        .epoch = e, .train_loss = 0.4321987 / e, .train_accuracy = 0.9 + 0.00123 * e,
        .test_accuracy = e % 4 == 0 ? -1.0 : 0.95 + 0.000321 * e, .lr = 0.1 / (1 << (e % 5)),
        .samples_per_s = 54321.4 * e, .wall_s = 12.345 * e, .ranks = 1 + e % 3,
    };
    return r;
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
    }
    fclose(f);
    CU_ASSERT_EQUAL(n, rows);

    /* read back: every row's values to the printed precision */
    metrics_t back;
    CU_ASSERT_EQUAL_FATAL(metrics_read_csv(path, &back), 0);
    CU_ASSERT_EQUAL_FATAL(back.count, rows);
    for (int e = 1; e <= rows; e++) {
        metrics_row_t r = row_for(e), *b = &back.rows[e - 1];
        CU_ASSERT_EQUAL(b->epoch, e);
        CU_ASSERT_DOUBLE_EQUAL(b->train_loss, r.train_loss, 5.1e-7);
        CU_ASSERT_DOUBLE_EQUAL(b->train_accuracy, r.train_accuracy, 5.1e-5);
        if (r.test_accuracy < 0) {
            CU_ASSERT(b->test_accuracy < 0); /* not evaluated: empty, and so read */
        } else {
            CU_ASSERT_DOUBLE_EQUAL(b->test_accuracy, r.test_accuracy, 5.1e-5);
        }
        CU_ASSERT_DOUBLE_EQUAL(b->lr, r.lr, 1e-6 * r.lr);
        CU_ASSERT_DOUBLE_EQUAL(b->samples_per_s, r.samples_per_s, 0.51);
        CU_ASSERT_DOUBLE_EQUAL(b->wall_s, r.wall_s, 0.0051);
        CU_ASSERT_EQUAL(b->ranks, r.ranks);
    }
    metrics_free(&back);

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
    CU_ASSERT_EQUAL(testutil_count_tmp(dir), 0);

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

static void test_read_metrics(void)
{
    const char *path = testutil_path(dir, "metrics.csv");
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(path, "epoch,train_loss,train_accuracy,"
                                              "test_accuracy,lr,samples_per_s,wall_s,ranks\n"
                                              "1,0.12,0.81,0.9579,2,89842,2.36,2\n"
                                              "2,0.04,0.96,0.9717,2,81544,4.63,2\n"
                                              "3,0.03,0.96,0.97,1.5,80000,7.00,2\n"),
                          0);
    metrics_t m;
    CU_ASSERT_EQUAL_FATAL(metrics_read_csv(path, &m), 0);
    CU_ASSERT_EQUAL(m.count, 3);
    CU_ASSERT_EQUAL(m.rows[1].epoch, 2);
    CU_ASSERT_DOUBLE_EQUAL(m.rows[1].test_accuracy, 0.9717, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(m.rows[2].lr, 1.5, 1e-12);
    CU_ASSERT_EQUAL(m.rows[2].ranks, 2);
    metrics_free(&m);

    /* columns in another order, an extra one, CRLF, a missing test figure */
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(path, "test_accuracy,epoch,extra\r\n0.5,1,x\r\n,2,y\r\n"), 0);
    CU_ASSERT_EQUAL_FATAL(metrics_read_csv(path, &m), 0);
    CU_ASSERT_EQUAL(m.count, 2);
    CU_ASSERT_DOUBLE_EQUAL(m.rows[0].test_accuracy, 0.5, 1e-12);
    CU_ASSERT(m.rows[1].test_accuracy < 0);
    metrics_free(&m);

    static const struct {
        const char *text, *fragment;
    } bad[] = {
        {"epoch,test_accuracy\n1,0.9\n2,zero\n", "metrics.csv:3: test_accuracy \"zero\" is not a number"},
        {"epoch,test_accuracy\n1,0.9,7\n", "metrics.csv:2: 3 fields, but the header has 2"},
        {"epoch,test_accuracy\n1\n", "metrics.csv:2: 1 field, but the header has 2"},
        {"epoch,test_accuracy\n1.5,0.9\n", "metrics.csv:2: epoch \"1.5\" is not a whole number"},
        {"epoch,test_accuracy\n0,0.9\n", "metrics.csv:2: epoch \"0\""},
        {"epoch,test_accuracy\n1,97.5\n", "metrics.csv:2: test_accuracy 97.5 is above 1"},
        {"epoch,test_accuracy\n1,nan\n", "metrics.csv:2: test_accuracy \"nan\" is not a number"},
        {"epoch,test_accuracy,ranks\n1,0.9,2147483648\n",
         "metrics.csv:2: ranks \"2147483648\" is not a whole number from 1 to 10000000"},
        {"epoch,test_accuracy,ranks\n1,0.9,-3\n", "metrics.csv:2: ranks \"-3\" is not a whole"},
        {"epoch,test_accuracy,ranks\n1,0.9,0\n", "metrics.csv:2: ranks \"0\" is not a whole"},
        {"epoch,test_accuracy\n99999999999,0.9\n", "metrics.csv:2: epoch \"99999999999\" is not"},
        {"epoch,test_accuracy,wall_s\n1,0.9,1e308\n",
         "metrics.csv:2: wall_s \"1e308\" is out of range (0 to 1e+09)"},
        {"epoch,test_accuracy,wall_s\n1,0.9,-1\n", "metrics.csv:2: wall_s \"-1\" is out of range"},
        {"epoch,test_accuracy,wall_s\n1,0.9,inf\n", "metrics.csv:2: wall_s \"inf\" is not a number"},
        {"epoch,test_accuracy,wall_s\n1,0.9,1e999\n", "metrics.csv:2: wall_s \"1e999\" is not a"},
        {"epoch,test_accuracy\n1,-0.5\n", "metrics.csv:2: test_accuracy \"-0.5\" is out of range"},
        {"epoch,test_accuracy,train_accuracy\n1,0.9,1.5\n",
         "metrics.csv:2: train_accuracy 1.5 is above 1"},
        {"epoch,test_accuracy,samples_per_s\n1,0.9,-5\n", "samples_per_s \"-5\" is out of range"},
        {"epoch,loss\n1,0.9\n", "metrics.csv:1: not a metrics.csv header"},
        {"", "metrics.csv: empty (no header)"},
        {"epoch,test_accuracy\n", "metrics.csv: no epoch finished yet"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(testutil_write_text(path, bad[i].text), 0);
        int rc = metrics_read_csv(path, &m);
        const char *msg = error_message();
        if (rc != -1 || !strstr(msg, bad[i].fragment) || !strstr(msg, dir))
            fprintf(stderr, "\n  case %zu: %d, \"%s\"\n", i, rc, msg);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, bad[i].fragment));
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, dir)); /* the whole path */
        CU_ASSERT_EQUAL(m.count, 0);
    }
    CU_ASSERT_EQUAL(metrics_read_csv(testutil_path(dir, "none.csv"), &m), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "none.csv: cannot open"));
}

int main(void)
{
    dir = testutil_tmpdir();
    if (!dir)
        return 2;
    static const testutil_case_t cases[] = {
        {"metrics table, CSV file written and read back", test_metrics_csv},
        {"metrics CSV with extreme values", test_metrics_csv_extreme_values},
        {"metrics.csv: read, and bad lines named by file:line", test_read_metrics},
        {NULL, NULL},
    };
    int rc = testutil_run("metrics", cases);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
