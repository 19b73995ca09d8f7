/* report: the two charts of `nnmpi report`. Run i has style i in both, so
 * its colour and marker are the same in each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nnmpi/error.h"
#include "nnmpi/plot.h"
#include "nnmpi/report.h"

/* The y range of both charts, in percent: from a little below the lowest
 * final accuracy of the runs that learned (within 10 points of the best; a
 * run that diverged would squash every other curve into a line) to the
 * highest accuracy. Early epochs below it leave the chart at the bottom.
 * Returns 0 if no run has a final accuracy (then the data decide). */
static int accuracy_range(const report_run_t *runs, int n, double range[2])
{
    double best = -1, top = -1;
    for (int i = 0; i < n; i++) {
        best = fmax(best, runs[i].final_accuracy);
        top = fmax(top, runs[i].best_accuracy);
    }
    if (best < 0)
        return 0;
    double lowest = best;
    for (int i = 0; i < n; i++)
        if (runs[i].final_accuracy >= 0 && runs[i].final_accuracy >= best - 0.10)
            lowest = fmin(lowest, runs[i].final_accuracy);
    double spread = 100.0 * (best - lowest);
    range[0] = 100.0 * lowest - fmax(0.5, 0.5 * spread);
    range[1] = 100.0 * top;
    if (range[1] - range[0] < 1.0)
        range[1] = range[0] + 1.0;
    return 1;
}

/* How many runs end below lo percent. */
static int count_below(const report_run_t *runs, int n, double lo)
{
    int below = 0;
    for (int i = 0; i < n; i++)
        below += runs[i].final_accuracy >= 0 && 100.0 * runs[i].final_accuracy < lo;
    return below;
}

int report_plot_accuracy(const char *path, const report_run_t *runs, int n)
{
    plot_series_t *series = calloc((size_t)(n ? n : 1), sizeof *series);
    double **xy = calloc((size_t)(n ? 2 * n : 1), sizeof *xy);
    int rc = 0;
    if (!series || !xy)
        rc = error_set("%s: out of memory", path);
    for (int i = 0; i < n && !rc; i++) {
        const metrics_t *m = &runs[i].metrics;
        double *x = xy[2 * i] = malloc((size_t)m->count * sizeof *x);
        double *y = xy[2 * i + 1] = malloc((size_t)m->count * sizeof *y);
        if (!x || !y) {
            rc = error_set("%s: out of memory", path);
            break;
        }
        for (int k = 0; k < m->count; k++) {
            x[k] = m->rows[k].epoch;
            y[k] = m->rows[k].test_accuracy >= 0 ? 100.0 * m->rows[k].test_accuracy : NAN;
        }
        series[i] = (plot_series_t){.label = runs[i].name, .x = x, .y = y, .n = m->count,
                                    .line = 1, .style = i};
    }
    if (!rc) {
        double range[2];
        int zoom = accuracy_range(runs, n, range);
        char note[160] = "";
        int below = zoom ? count_below(runs, n, range[0]) : 0;
        if (below)
            snprintf(note, sizeof note, "%d run%s ending below %.1f%% not shown", below,
                     below == 1 ? "" : "s", range[0]);
        plot_chart_t chart = {
            .title = "Test accuracy after each epoch",
            .note = below ? note : NULL,
            .x_label = "epoch",
            .y_label = "test accuracy (%)",
            .integer_x = 1,
            .y_range = zoom ? range : NULL,
        };
        rc = plot_chart_write(path, &chart, series, n);
    }
    for (int i = 0; xy && i < 2 * n; i++)
        free(xy[i]);
    free(xy);
    free(series);
    return rc;
}

int report_plot_angle(const char *path, const report_run_t *runs, int n)
{
    /* n runs as one-point series, then the guide line through the best run
     * at each angle (angles in increasing order) */
    plot_series_t *series = calloc((size_t)n + 1, sizeof *series);
    double *x = calloc((size_t)n + 1, sizeof *x), *y = calloc((size_t)n + 1, sizeof *y);
    double *gx = calloc((size_t)n + 1, sizeof *gx), *gy = calloc((size_t)n + 1, sizeof *gy);
    int rc = 0;
    if (!series || !x || !y || !gx || !gy)
        rc = error_set("%s: out of memory", path);
    int used = 0, unknown = 0, guide = 0;
    for (int i = 0; i < n && !rc; i++) {
        const report_run_t *r = &runs[i];
        if (r->max_angle < 0 || r->final_accuracy < 0) {
            unknown++;
            continue;
        }
        x[i] = r->max_angle;
        y[i] = 100.0 * r->final_accuracy;
        series[used++] = (plot_series_t){.label = r->name, .x = &x[i], .y = &y[i], .n = 1,
                                         .style = i};
        /* best at this angle: insert or improve, keeping gx sorted */
        int k = 0;
        while (k < guide && gx[k] < x[i])
            k++;
        if (k < guide && gx[k] == x[i]) {
            gy[k] = fmax(gy[k], y[i]);
        } else {
            for (int j = guide; j > k; j--) {
                gx[j] = gx[j - 1];
                gy[j] = gy[j - 1];
            }
            gx[k] = x[i];
            gy[k] = y[i];
            guide++;
        }
    }
    if (!rc) {
        if (guide > 1)
            series[used++] = (plot_series_t){.label = "best at each angle", .x = gx, .y = gy,
                                             .n = guide, .line = 1, .style = -1};
        double range[2], xr[2] = {0, 10};
        for (int i = 0; i < n; i++)
            xr[1] = fmax(xr[1], runs[i].max_angle * 1.1 + 1.0); /* keep markers off the edge */
        int zoom = accuracy_range(runs, n, range);
        int below = zoom ? count_below(runs, n, range[0]) : 0;
        char note[200];
        int len = snprintf(note, sizeof note, "0 = no rotated copies");
        if (unknown)
            len += snprintf(note + len, sizeof note - (size_t)len, "; %d run%s of unknown data left out",
                            unknown, unknown == 1 ? "" : "s");
        if (below)
            snprintf(note + len, sizeof note - (size_t)len, "; %d below %.1f%% not shown", below,
                     range[0]);
        plot_chart_t chart = {
            .title = "Final test accuracy against rotation angle",
            .note = note,
            .x_label = "largest rotation of the training copies (degrees)",
            .y_label = "final test accuracy (%)",
            .x_range = xr,
            .y_range = zoom ? range : NULL,
        };
        rc = plot_chart_write(path, &chart, series, used);
    }
    free(series);
    free(x);
    free(y);
    free(gx);
    free(gy);
    return rc;
}
