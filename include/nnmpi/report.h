/* report: many training runs side by side, for `nnmpi report`.
 *
 * A run directory (what `nnmpi train` writes) holds metrics.csv (one row per
 * epoch, metrics.h) and config.ini (the resolved configuration). From them,
 * and from the `augmentation` attribute of the data file the configuration
 * names, a run becomes one row of a table (CSV and Markdown) and one curve
 * of the plots.
 *
 * Files:  src/report.c       reading runs, the CSV and Markdown tables
 *         src/report_plot.c  the two charts (accuracy per epoch; final
 *                            accuracy against rotation angle)
 *         src/report_time.c  time to a target accuracy against ranks
 *
 * Fallible functions return 0 or -1 with a message in error_message();
 * nothing here prints or exits. */
#ifndef NNMPI_REPORT_H
#define NNMPI_REPORT_H

#include <stddef.h>

#include "nnmpi/augment_live.h"
#include "nnmpi/metrics.h"

#define REPORT_TEXT_MAX 1024

/* The charts' file names in the output directory (report.md shows them). */
#define REPORT_PLOT_EPOCHS "accuracy_per_epoch.png"
#define REPORT_PLOT_ANGLE "accuracy_vs_angle.png"
#define REPORT_PLOT_TIME "time_to_target.png"

typedef struct {
    char name[256];          /* the directory's last component */
    char dir[REPORT_TEXT_MAX];
    metrics_t metrics;       /* every row of metrics.csv */

    /* from config.ini ("?" / negative when it is missing or lacks a key) */
    int have_config;
    char data_file[REPORT_TEXT_MAX];
    char rule[16], mode[16], lr_schedule[16];
    int hidden, epochs_planned, batch;
    double lr, lr_end;
    augment_live_params_t live;  /* [augment]: distortions drawn while training */

    /* from the data file's attributes, and [augment]'s */
    char augmentation[REPORT_TEXT_MAX];  /* "?" if the file cannot be read; then
                                          * "+ live ..." with [augment] */
    double max_angle;                    /* largest |rotation|; negative if unknown */

    /* summary of the metrics */
    int epochs_done, ranks, best_epoch;
    double best_accuracy, final_accuracy;  /* fractions; negative if never evaluated */
    double samples_per_s;                  /* mean over the epochs */
    double wall_s;                         /* of the last epoch row */

    char warning[REPORT_TEXT_MAX];   /* what could not be found, for the user; "" if all */
} report_run_t;

/* Loads one run directory. Without a readable metrics.csv it fails, naming
 * the directory; a missing config.ini or data file is not an error: the
 * values become "?" and run->warning says what was missing. */
int report_load_run(const char *dir, report_run_t *run);

void report_run_free(report_run_t *run);

/* The header and rows written to report.csv. */
extern const char report_csv_header[];

/* Writes report.csv (atomically): one row per run, plain numbers
 * (accuracies as fractions, as in metrics.csv), text fields quoted when they
 * hold a comma or quote. */
int report_write_csv(const char *path, const report_run_t *runs, int n);

/* The Markdown table (malloc'd; free it), accuracies in percent; NULL with
 * a message if out of memory. */
char *report_markdown(const report_run_t *runs, int n);

/* What `report --target` adds: the time each run took to reach `percent`
 * test accuracy (a table and REPORT_PLOT_TIME), next to a prediction for
 * more ranks (NULL: none). */
typedef struct report_prediction report_prediction_t;
typedef struct {
    double percent;
    const report_prediction_t *predicted;
} report_target_t;

/* The whole report into dir (made if missing): report.csv, report.md (the
 * Markdown tables and the charts) and the charts; with target (may be
 * NULL) the time to it too. *table receives the Markdown tables (malloc'd;
 * free it), NULL on failure. */
int report_write(const char *dir, const report_run_t *runs, int n, const report_target_t *target,
                 char **table);

/* Test accuracy (%) per epoch, one line per run. */
int report_plot_accuracy(const char *path, const report_run_t *runs, int n);

/* Final test accuracy (%) against the largest rotation angle of each run's
 * data (0 for none), like the book's figure of accuracy against a setting:
 * a marker per run, and a line through the best run at each angle. Runs
 * whose augmentation is unknown are left out (the note says how many). */
int report_plot_angle(const char *path, const report_run_t *runs, int n);

/* ---- time to a target accuracy (src/report_time.c) ---- */

/* The run's wall-clock seconds (metrics.csv's wall_s) at the end of the
 * first epoch whose test accuracy reached target percent, and that epoch
 * in *epoch (may be NULL); -1 if none did. */
double report_time_to(const report_run_t *run, double target, int *epoch);

/* Predicted seconds to the target for numbers of ranks, read from a CSV
 * file of RANKS,SECONDS lines (an optional header line "ranks,...",
 * blank lines and #-comments skipped), e.g. the model's column of
 * docs/time-to-accuracy.md. */
#define REPORT_PREDICTED_MAX 64
struct report_prediction {
    int count;
    double ranks[REPORT_PREDICTED_MAX], seconds[REPORT_PREDICTED_MAX];
};
int report_read_predicted(const char *path, report_prediction_t *p);

/* Seconds to target percent against ranks (a base-2 axis): a marker per
 * run that reached it (style i as in the other charts), and the prediction
 * (may be NULL) as a grey dashed line. */
int report_plot_time_to(const char *path, const report_run_t *runs, int n, double target,
                        const report_prediction_t *predicted);

/* The Markdown table of the runs' times to target percent (run, ranks,
 * epoch, seconds, or "never"), headed, appended to *md (malloc'd, grown
 * here); -1 if out of memory. */
int report_time_markdown(const report_run_t *runs, int n, double target, char **md);

#endif
