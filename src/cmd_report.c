/* nnmpi report: many run directories -> one table (CSV and Markdown) and two
 * charts (PNG). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/report.h"

#define PLOT_EPOCHS "accuracy_per_epoch.png"
#define PLOT_ANGLE "accuracy_vs_angle.png"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi report RUN_DIR... [-o OUT_DIR]\n"
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
            "  OUT_DIR/" PLOT_EPOCHS "  test accuracy after each epoch, a line per run\n"
            "  OUT_DIR/" PLOT_ANGLE "   final test accuracy against the largest rotation\n"
            "                                 angle of the run's data (0: none)\n"
            "Unknown values (no config.ini, data file not found) show as '?'.\n"
            "\n"
            "options:\n"
            "  -o, --output DIR   where to write (default: report); created if missing\n"
            "  -q, --quiet        do not print the table\n"
            "  -h, --help         this text\n"
            "\n"
            "exit status: 0 if every directory was reported, 1 if any could not be read\n"
            "(it is named; the others are still reported), 2 bad command line.\n");
}

int cmd_report(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = "report";
    int quiet = 0, opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'o': out_dir = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default:
            fprintf(stderr,
                    "nnmpi: error: report: unknown or incomplete option '%s' (see nnmpi report "
                    "--help)\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    int n_dirs = argc - optind;
    if (n_dirs < 1) {
        fprintf(stderr, "nnmpi: error: report: no run directories given (see nnmpi report --help)\n");
        return EXIT_USAGE;
    }

    report_run_t *runs = calloc((size_t)n_dirs, sizeof *runs);
    if (!runs) {
        fprintf(stderr, "nnmpi: error: report: out of memory\n");
        return EXIT_FAILURE_RUN;
    }
    int n = 0, failed = 0;
    for (int i = optind; i < argc; i++) {
        if (report_load_run(argv[i], &runs[n]) < 0) {
            fprintf(stderr, "nnmpi: error: report: %s\n", error_message());
            report_run_free(&runs[n]);
            failed++;
            continue;
        }
        if (runs[n].warning[0])
            fprintf(stderr, "nnmpi: warning: report: %s: %s\n", runs[n].dir, runs[n].warning);
        n++;
    }

    int rc = 0;
    char path[4200];
    char *table = NULL;
    if (n == 0) {
        fprintf(stderr, "nnmpi: error: report: no run could be read; nothing written\n");
        rc = -1;
    } else {
        rc = fs_mkdir_p(out_dir);
        if (!rc) {
            snprintf(path, sizeof path, "%s/report.csv", out_dir);
            rc = report_write_csv(path, runs, n);
        }
        if (!rc && !(table = report_markdown(runs, n)))
            rc = -1;
        if (!rc) {
            size_t size = strlen(table) + 512;
            char *md = malloc(size);
            if (!md) {
                rc = error_set("out of memory");
            } else {
                snprintf(md, size,
                         "# nnmpi report\n\n%s\n"
                         "![test accuracy after each epoch](" PLOT_EPOCHS ")\n\n"
                         "![final test accuracy against rotation angle](" PLOT_ANGLE ")\n",
                         table);
                snprintf(path, sizeof path, "%s/report.md", out_dir);
                rc = fs_write_text(path, md);
                free(md);
            }
        }
        if (!rc) {
            snprintf(path, sizeof path, "%s/" PLOT_EPOCHS, out_dir);
            rc = report_plot_accuracy(path, runs, n);
        }
        if (!rc) {
            snprintf(path, sizeof path, "%s/" PLOT_ANGLE, out_dir);
            rc = report_plot_angle(path, runs, n);
        }
        if (rc)
            fprintf(stderr, "nnmpi: error: report: %s\n", error_message());
        else {
            if (!quiet)
                printf("%s\n", table);
            printf("wrote %s/report.csv, %s/report.md, %s/" PLOT_EPOCHS ", %s/" PLOT_ANGLE
                   " (%d run%s)\n",
                   out_dir, out_dir, out_dir, out_dir, n, n == 1 ? "" : "s");
        }
    }
    free(table);
    for (int i = 0; i < n; i++)
        report_run_free(&runs[i]);
    free(runs);
    return rc || failed ? EXIT_FAILURE_RUN : EXIT_OK;
}
