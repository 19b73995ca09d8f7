/* report: loading run directories (with and without config.ini and data
 * file), the summary figures, and the CSV and Markdown tables. (Reading
 * metrics.csv is test_metrics.c's.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/report.h"
#include "testutil.h"

static const char METRICS[] =
    "epoch,train_loss,train_accuracy,test_accuracy,lr,samples_per_s,wall_s,ranks\n"
    "1,0.124883,0.8124,0.9579,2,89842,2.36,2\n"
    "2,0.036653,0.9577,0.9717,2,81544,4.63,2\n"
    "3,0.030000,0.9600,0.9700,1.5,80000,7.00,2\n";

/* A tiny dataset file with the given augmentation attribute. */
static int write_dataset(const char *path, const char *augmentation)
{
    imageset_t train, test;
    if (imageset_alloc(&train, 4, 28, 28) < 0 || imageset_alloc(&test, 2, 28, 28) < 0)
        return -1;
    int32_t origin[4] = {0, 1, 2, 3};
    float angle[4] = {0};
    dataset_contents_t c = {
        .train = &train, .origin = origin, .angle = angle, .test = &test,
        .source = "test", .source_sha256 = "", .augmentation = augmentation,
    };
    int rc = dataset_write(path, &c);
    imageset_free(&train);
    imageset_free(&test);
    return rc;
}

static void test_load_runs(void)
{
    char *dir = testutil_tmpdir();
    char run[4096], data[4096], cfg[8192];
    snprintf(run, sizeof run, "%s/sweep/r15", dir);
    snprintf(data, sizeof data, "%s/d.h5", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(testutil_path(dir, "sweep"), 0777), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(run, 0777), 0);
    CU_ASSERT_EQUAL_FATAL(write_dataset(data, "rotations=-15,5;elastic=1,alpha=34,sigma=4"), 0);
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(run, "metrics.csv"), METRICS), 0);
    snprintf(cfg, sizeof cfg,
             "[data]\nfile = %s\n\n[net]\nhidden = 300\nrule = gradient\n\n[train]\n"
             "mode = sync\nlr = 2\nlr_schedule = linear\nlr_end = 0.1\nepochs = 5\nbatch = 32\n"
             "future_key = 1\n\n[future_section]\nx = y\n",
             data);
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(run, "config.ini"), cfg), 0);

    report_run_t r;
    char with_slash[4200];
    snprintf(with_slash, sizeof with_slash, "%s/", run);
    CU_ASSERT_EQUAL_FATAL(report_load_run(with_slash, &r), 0);
    CU_ASSERT_STRING_EQUAL(r.name, "r15");
    CU_ASSERT_STRING_EQUAL(r.dir, run);
    CU_ASSERT_STRING_EQUAL(r.augmentation, "rotations=-15,5;elastic=1,alpha=34,sigma=4");
    CU_ASSERT_DOUBLE_EQUAL(r.max_angle, 15.0, 1e-12);
    CU_ASSERT_EQUAL(r.hidden, 300);
    CU_ASSERT_DOUBLE_EQUAL(r.lr, 2.0, 1e-12);
    CU_ASSERT_STRING_EQUAL(r.lr_schedule, "linear");
    CU_ASSERT_EQUAL(r.epochs_planned, 5);
    CU_ASSERT_EQUAL(r.epochs_done, 3);
    CU_ASSERT_EQUAL(r.ranks, 2);
    CU_ASSERT_DOUBLE_EQUAL(r.best_accuracy, 0.9717, 1e-12);
    CU_ASSERT_EQUAL(r.best_epoch, 2);
    CU_ASSERT_DOUBLE_EQUAL(r.final_accuracy, 0.97, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.samples_per_s, (89842 + 81544 + 80000) / 3.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(r.wall_s, 7.0, 1e-12);
    CU_ASSERT_STRING_EQUAL(r.warning, "");

    /* a second run: no config.ini -> "?" and a warning, but reported */
    char run2[4096];
    snprintf(run2, sizeof run2, "%s/sweep/bare", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(run2, 0777), 0);
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(run2, "metrics.csv"), METRICS), 0);
    report_run_t r2;
    CU_ASSERT_EQUAL_FATAL(report_load_run(run2, &r2), 0);
    CU_ASSERT_STRING_EQUAL(r2.augmentation, "?");
    CU_ASSERT(r2.max_angle < 0 && r2.hidden < 0 && r2.lr < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r2.warning, "no config.ini"));

    /* a config naming a data file that is not there */
    char run3[4096];
    snprintf(run3, sizeof run3, "%s/sweep/lost", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(run3, 0777), 0);
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(run3, "metrics.csv"), METRICS), 0);
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(run3, "config.ini"),
                                     "[data]\nfile = /nowhere/x.h5\n[net]\nhidden = 200\n"), 0);
    report_run_t r3;
    CU_ASSERT_EQUAL_FATAL(report_load_run(run3, &r3), 0);
    CU_ASSERT_STRING_EQUAL(r3.augmentation, "?");
    CU_ASSERT_EQUAL(r3.hidden, 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(r3.warning, "/nowhere/x.h5"));

    /* distortions drawn while training ([augment]) follow the file's own;
     * their angle counts when it is the larger; a key of a newer nnmpi is
     * passed over */
    char run5[4096];
    snprintf(run5, sizeof run5, "%s/sweep/live", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(run5, 0777), 0);
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(run5, "metrics.csv"), METRICS), 0);
    snprintf(cfg, sizeof cfg,
             "[data]\nfile = %s\n[augment]\nrotate = 20\nshift = 1\nscale = 0\n"
             "elastic_alpha = 20\nelastic_sigma = 4\nprobability = 0.69999999999999996\n"
             "ahead = 1\nelastic_bank = 64\nfuture_key = 3\n", data);
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(run5, "config.ini"), cfg), 0);
    report_run_t r5;
    CU_ASSERT_EQUAL_FATAL(report_load_run(run5, &r5), 0);
    CU_ASSERT_STRING_EQUAL(r5.augmentation, "rotations=-15,5;elastic=1,alpha=34,sigma=4 + live "
                                            "rotate 20, shift 1, elastic 20/4, bank 64, probability 0.7");
    CU_ASSERT_DOUBLE_EQUAL(r5.max_angle, 20.0, 1e-12);
    report_run_free(&r5);

    /* no metrics.csv: an error naming the directory */
    report_run_t r4;
    CU_ASSERT_EQUAL(report_load_run(testutil_path(dir, "sweep"), &r4), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "sweep: no metrics.csv"));
    report_run_free(&r4);

    /* the tables */
    report_run_t all[3] = {r, r2, r3};
    const char *csv = testutil_path(dir, "report.csv");
    CU_ASSERT_EQUAL_FATAL(report_write_csv(csv, all, 3), 0);
    FILE *f = fopen(csv, "r");
    CU_ASSERT_FATAL(f != NULL);
    char line[8192];
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    CU_ASSERT_EQUAL(strncmp(line, report_csv_header, strlen(report_csv_header)), 0);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    char want[16384];
    snprintf(want, sizeof want,
             "r15,%s,%s,\"rotations=-15,5;elastic=1,alpha=34,sigma=4\",15,300,gradient,sync,32,"
             "2,linear,0.1,3,5,2,0.9717,2,0.9700,83795,7.00\n",
             run, data);
    if (strcmp(line, want))
        fprintf(stderr, "\n  got  %s  want %s", line, want);
    CU_ASSERT_STRING_EQUAL(line, want);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    CU_ASSERT_EQUAL(strncmp(line, "bare,", 5), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, ",?,,,?,?,,,?,,3,,2,0.9717,2,0.9700,"));
    fclose(f);

    char *md = report_markdown(all, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| run | augmentation | hidden | lr | epochs | ranks | "
                                      "best test | final test | samples/s | wall time |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| r15 | rotations=-15,5;elastic=1,alpha=34,sigma=4 | 300 "
                                      "| 2 -> 0.1 linear | 3 of 5 | 2 | 97.17% (epoch 2) | "
                                      "97.00% | 83795 | 7.0 s |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| bare | ? | ? | ? | 3 | 2 |"));
    free(md);

    /* the plots are written and have the promised size */
    const char *p1 = testutil_path(dir, "a.png");
    CU_ASSERT_EQUAL(report_plot_accuracy(p1, all, 3), 0);
    const char *p2 = testutil_path(dir, "b.png");
    CU_ASSERT_EQUAL(report_plot_angle(p2, all, 3), 0);
    struct stat st;
    CU_ASSERT(stat(p1, &st) == 0 && st.st_size > 1000);
    CU_ASSERT(stat(p2, &st) == 0 && st.st_size > 1000);

    report_run_free(&r);
    report_run_free(&r2);
    report_run_free(&r3);
    testutil_rmtree(dir);
    free(dir);
}

/* The wall time column of the Markdown table, for any duration: counted in
 * doubles, never through an int that a long (or damaged) run overflows. */
static void test_wall_time(void)
{
    static const struct {
        double s;
        const char *cell;
    } cases[] = {
        {0.5, "| 0.5 s |"},          {61, "| 1m01s |"},         {3700, "| 1h01m |"},
        {1e9, "| 277777h46m |"},     {1e15, "| 277777777777h46m |"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        report_run_t r;
        memset(&r, 0, sizeof r);
        strcpy(r.name, "r");
        strcpy(r.augmentation, "none");
        strcpy(r.lr_schedule, "constant");
        r.epochs_done = r.ranks = 1;
        r.wall_s = cases[i].s;
        char *md = report_markdown(&r, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(md);
        if (!strstr(md, cases[i].cell))
            fprintf(stderr, "\n  %g s: want %s in\n%s", cases[i].s, cases[i].cell, md);
        CU_ASSERT_PTR_NOT_NULL(strstr(md, cases[i].cell));
        free(md);
    }
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"run directories, tables and plots", test_load_runs},
        {"wall time of any length in the table", test_wall_time},
        {NULL, NULL},
    };
    return testutil_run("report", cases);
}
