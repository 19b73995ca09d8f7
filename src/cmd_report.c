/* nnmpi report: many run directories -> one table (CSV and Markdown) and two
 * charts (PNG). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "nnmpi/error.h"
#include "nnmpi/log.h"
#include "nnmpi/report.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi report RUN_DIR... [-o OUT_DIR] [--target PERCENT [--predicted FILE]]\n"
            "\n"
            "Gathers the runs of `nnmpi train` (each directory's metrics.csv and config.ini,\n"
            "and the `augmentation` attribute of the data file config.ini names, read from\n"
            "the directory you run this in) into one table and two charts:\n"
            "  OUT_DIR/report.csv             one row per run: run, dir, data, augmentation,\n"
            "                                 max_angle, hidden, rule, mode, batch, lr,\n"
            "                                 lr_schedule, lr_end, epochs, epochs_planned,\n"
            "                                 ranks, best_test_accuracy, best_epoch,\n"
            "                                 final_test_accuracy, samples_per_s (mean over\n"
            "                                 the epochs), wall_s\n"
            "  OUT_DIR/report.md              the same as a Markdown table (also printed),\n"
            "                                 with the charts\n"
            "  OUT_DIR/" REPORT_PLOT_EPOCHS "  test accuracy after each epoch, a line per run\n"
            "  OUT_DIR/" REPORT_PLOT_ANGLE "   final test accuracy against the largest rotation\n"
            "                                 angle of the run's data (0: none)\n"
            "With --target, also the time each run took to reach that test accuracy (the\n"
            "wall_s of the first epoch that did), as a table and as a chart against ranks:\n"
            "  OUT_DIR/" REPORT_PLOT_TIME "     seconds to the target against ranks (base-2\n"
            "                                 axis), a marker per run, and --predicted's\n"
            "                                 RANKS,SECONDS lines as a dashed line\n"
            "Unknown values (no config.ini, data file not found) show as '?'.\n"
            "\n"
            "options:\n"
            "  -o, --output DIR   where to write (default: report); created if missing\n"
            "  -q, --quiet        do not print the table\n"
            "      --target PCT   the test accuracy in percent to time the runs to (e.g. 98.4)\n"
            "      --predicted F  a CSV of RANKS,SECONDS lines (a header line allowed) drawn\n"
            "                     beside them, e.g. a model's prediction for more ranks\n"
            "                     (docs/time-to-accuracy.md)\n"
            "  -h, --help         this text\n"
            "\n"
            "exit status: 0 if every directory was reported, 1 if any could not be read\n"
            "(it is named; the others are still reported), 2 bad command line.\n");
}

/* Loads each directory into runs[] (room for all), naming those that
 * cannot be read; returns how many loaded, *failed how many did not. */
static int load_runs(char **dirs, int n_dirs, report_run_t *runs, int *failed)
{
    int n = 0;
    *failed = 0;
    for (int i = 0; i < n_dirs; i++) {
        if (report_load_run(dirs[i], &runs[n]) < 0) {
            log_error("report: %s", error_message());
            report_run_free(&runs[n]);
            (*failed)++;
            continue;
        }
        if (runs[n].warning[0])
            log_warn("report: %s: %s", runs[n].dir, runs[n].warning);
        n++;
    }
    return n;
}

/* Writes the report of the runs into out_dir and says so; 0 or -1. */
static int write_report(const char *out_dir, const report_run_t *runs, int n, int quiet,
                        const report_target_t *target)
{
    char *table;
    if (n == 0)
        return error_set("no run could be read; nothing written");
    if (report_write(out_dir, runs, n, target, &table) < 0)
        return -1;
    if (!quiet)
        printf("%s\n", table);
    printf("wrote %s/report.csv, %s/report.md, %s/" REPORT_PLOT_EPOCHS ", %s/" REPORT_PLOT_ANGLE
           "%s%s%s (%d run%s)\n",
           out_dir, out_dir, out_dir, out_dir, target ? ", " : "", target ? out_dir : "",
           target ? "/" REPORT_PLOT_TIME : "", n, n == 1 ? "" : "s");
    free(table);
    return 0;
}

/* --target's percentage into *percent (0 without it); an exit status for
 * a bad one, or --predicted without it. */
static int parse_target(const char *text, const char *predicted, double *percent)
{
    char *end = NULL;
    *percent = text ? strtod(text, &end) : 0.0;
    if (text && (end == text || *end || !(*percent > 0 && *percent <= 100)))
        return cmd_usage_error("report: --target takes a test accuracy in percent (0-100], "
                               "not '%s'", text);
    if (predicted && !text)
        return cmd_usage_error("report: --predicted needs --target (the accuracy it predicts "
                               "the time to)");
    return 0;
}

int cmd_report(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"target", required_argument, NULL, 't'},
        {"predicted", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = "report", *target_text = NULL, *predicted_path = NULL;
    int quiet = 0, opt;
    cmd_options_t o = cmd_options("report", argc, argv, "o:qh", options, usage);
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'o': out_dir = optarg; break;
        case 'q': quiet = 1; break;
        case 't': target_text = optarg; break;
        case 'p': predicted_path = optarg; break;
        }
    }
    if (o.finished)
        return o.status;
    report_prediction_t predicted;
    report_target_t target = {.predicted = predicted_path ? &predicted : NULL};
    int bad = parse_target(target_text, predicted_path, &target.percent);
    if (bad)
        return bad;
    if (predicted_path && report_read_predicted(predicted_path, &predicted) < 0)
        return cmd_fail();
    int n_dirs = argc - optind;
    if (n_dirs < 1)
        return cmd_usage_error("report: no run directories given (see nnmpi report --help)");
    report_run_t *runs = calloc((size_t)n_dirs, sizeof *runs);
    if (!runs) {
        error_set("report: out of memory");
        return cmd_fail();
    }
    int failed;
    int n = load_runs(argv + optind, n_dirs, runs, &failed);
    int rc = write_report(out_dir, runs, n, quiet, target_text ? &target : NULL);
    if (rc < 0)
        log_error("report: %s", error_message());
    for (int i = 0; i < n; i++)
        report_run_free(&runs[i]);
    free(runs);
    return rc < 0 || failed ? EXIT_FAILURE_RUN : EXIT_OK;
}
