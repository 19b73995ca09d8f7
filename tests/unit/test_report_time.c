/* report_time: the time a run took to reach a test accuracy, predictions
 * read from RANKS,SECONDS files (and refused naming the line), and the
 * chart of both against ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/plot.h"
#include "nnmpi/report.h"
#include "testutil.h"

/* A run on `ranks` ranks whose test accuracy after epoch e is acc[e-1]
 * (negative: not evaluated), each epoch taking 1.5 s. */
static void make_run(report_run_t *run, const char *name, int ranks, const double *acc, int n)
{
    memset(run, 0, sizeof *run);
    snprintf(run->name, sizeof run->name, "%s", name);
    run->ranks = ranks;
    for (int e = 1; e <= n; e++) {
        metrics_row_t row = {.epoch = e, .test_accuracy = acc[e - 1], .wall_s = 1.5 * e,
                             .ranks = ranks};
        CU_ASSERT_FATAL(metrics_append(&run->metrics, &row) == 0);
    }
}

static void test_time_to(void)
{
    static const double acc[] = {0.95, -1.0, 0.9841, 0.983, 0.99};
    report_run_t run;
    make_run(&run, "r", 2, acc, 5);
    int epoch = 0;
    CU_ASSERT_DOUBLE_EQUAL(report_time_to(&run, 98.4, &epoch), 4.5, 1e-12);
    CU_ASSERT_EQUAL(epoch, 3);
    CU_ASSERT_DOUBLE_EQUAL(report_time_to(&run, 95.0, NULL), 1.5, 1e-12);   /* reached exactly */
    CU_ASSERT_DOUBLE_EQUAL(report_time_to(&run, 98.95, &epoch), 7.5, 1e-12);
    CU_ASSERT_EQUAL(epoch, 5);
    CU_ASSERT(report_time_to(&run, 99.5, NULL) < 0);
    report_run_free(&run);
}

static void test_predicted(void)
{
    char *dir = testutil_tmpdir();
    const char *good = testutil_path(dir, "good.csv");
    const char *text = "ranks,seconds\n# the model's column\n2,2.5\n\n4,2.3\r\n128,0.6\n";
    CU_ASSERT_FATAL(testutil_write_file(good, text, strlen(text)) == 0);
    report_prediction_t p;
    CU_ASSERT_EQUAL_FATAL(report_read_predicted(good, &p), 0);
    CU_ASSERT_EQUAL_FATAL(p.count, 3);
    CU_ASSERT_DOUBLE_EQUAL(p.ranks[2], 128, 0);
    CU_ASSERT_DOUBLE_EQUAL(p.seconds[1], 2.3, 1e-12);

    static const struct {
        const char *text, *says;
    } bad[] = {
        {"ranks,seconds\n2,2.5\n4;2.3\n", ":3: expected RANKS,SECONDS"},
        {"2,-1\n", ":1: expected"},
        {"0,3\n", ":1: expected"},
        {"2,3,4\n", ":1: expected"},
        {"ranks,seconds\n", "no predictions"},
    };
    const char *path = testutil_path(dir, "bad.csv");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CU_ASSERT_FATAL(testutil_write_file(path, bad[i].text, strlen(bad[i].text)) == 0);
        CU_ASSERT_EQUAL(report_read_predicted(path, &p), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), bad[i].says));
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "bad.csv"));
    }
    CU_ASSERT_EQUAL(report_read_predicted(testutil_path(dir, "absent.csv"), &p), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "absent.csv"));
    testutil_rmtree(dir);
    free(dir);
}

/* The chart: written, and a run that never reached the target is counted
 * in the note rather than drawn. */
static void test_chart(void)
{
    static const double fast[] = {0.97, 0.985}, slow[] = {0.96, 0.975};
    report_run_t runs[3];
    make_run(&runs[0], "np1", 1, fast, 2);
    make_run(&runs[1], "np2", 2, fast, 2);
    make_run(&runs[2], "never", 2, slow, 2);
    report_prediction_t p = {.count = 3, .ranks = {2, 4, 8}, .seconds = {3, 2, 1.5}};
    char *dir = testutil_tmpdir();
    const char *png = testutil_path(dir, "time.png");
    CU_ASSERT_EQUAL(report_plot_time_to(png, runs, 3, 98.4, &p), 0);
    plot_canvas_t c;
    plot_chart_t chart = {.title = "t", .log2_x = 1};
    plot_series_t none = {0};
    CU_ASSERT_EQUAL(plot_chart_draw(&chart, &none, 1, &c), 0);   /* no data: still a chart */
    plot_canvas_free(&c);
    FILE *f = fopen(png, "rb");
    CU_ASSERT_PTR_NOT_NULL(f);
    if (f)
        fclose(f);
    CU_ASSERT_EQUAL(report_plot_time_to(testutil_path(dir, "x/y.png"), runs, 3, 98.4, NULL), -1);
    for (int i = 0; i < 3; i++)
        report_run_free(&runs[i]);
    testutil_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"time to a target: the first epoch that reached it", test_time_to},
        {"predictions read, and refused naming the line", test_predicted},
        {"the chart against ranks", test_chart},
        {NULL, NULL},
    };
    return testutil_run("report_time", cases);
}
