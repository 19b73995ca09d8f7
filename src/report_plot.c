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

/* Zooms chart's y axis on the runs that learned (range holds the limits)
 * and returns how many runs end below it, out of sight. */
static int zoom(plot_chart_t *chart, const report_run_t *runs, int n, double range[2])
{
    if (!accuracy_range(runs, n, range))
        return 0;
    chart->y_range = range;
    return count_below(runs, n, range[0]);
}

int report_plot_accuracy(const char *path, const report_run_t *runs, int n)
{
    size_t points = 0;
    for (int i = 0; i < n; i++)
        points += (size_t)runs[i].metrics.count;
    plot_series_t *series = calloc((size_t)n + 1, sizeof *series);
    double *x = malloc((2 * points + 1) * sizeof *x);   /* [points] epochs, then accuracies */
    if (!series || !x) {
        free(series);
        free(x);
        return error_set("%s: out of memory", path);
    }
    double *y = x + points;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const metrics_t *m = &runs[i].metrics;
        series[i] = (plot_series_t){.label = runs[i].name, .x = x + at, .y = y + at,
                                    .n = m->count, .line = 1, .style = i};
        for (int k = 0; k < m->count; k++, at++) {
            x[at] = m->rows[k].epoch;
            y[at] = m->rows[k].test_accuracy >= 0 ? 100.0 * m->rows[k].test_accuracy : NAN;
        }
    }
    plot_chart_t chart = {.title = "Test accuracy after each epoch", .x_label = "epoch",
                          .y_label = "test accuracy (%)", .integer_x = 1};
    double range[2];
    char note[160];
    int below = zoom(&chart, runs, n, range);
    if (below) {
        snprintf(note, sizeof note, "%d run%s ending below %.1f%% not shown", below,
                 below == 1 ? "" : "s", range[0]);
        chart.note = note;
    }
    int rc = plot_chart_write(path, &chart, series, n);
    free(x);
    free(series);
    return rc;
}

/* The best accuracy at each angle, angles increasing: the guide line's
 * points (gx, gy: room for n). Returns how many. */
static int best_per_angle(const double *x, const double *y, int n, double *gx, double *gy)
{
    int g = 0;
    double last = -INFINITY;
    for (;;) {
        double next = INFINITY, best = -INFINITY;
        for (int i = 0; i < n; i++)
            if (x[i] > last && x[i] < next)
                next = x[i];
        if (next == INFINITY)
            return g;
        for (int i = 0; i < n; i++)
            if (x[i] == next)
                best = fmax(best, y[i]);
        gx[g] = next;
        gy[g++] = best;
        last = next;
    }
}

int report_plot_angle(const char *path, const report_run_t *runs, int n)
{
    /* the runs of known data as one-point series, then the guide line */
    plot_series_t *series = calloc((size_t)n + 1, sizeof *series);
    double *xy = calloc(4 * (size_t)n + 1, sizeof *xy);   /* x, y, gx, gy: [n] each */
    if (!series || !xy) {
        free(series);
        free(xy);
        return error_set("%s: out of memory", path);
    }
    double *x = xy, *y = xy + n, *gx = xy + 2 * n, *gy = xy + 3 * n;
    double xr[2] = {0, 10};   /* the x axis reaches past the last angle */
    int used = 0;
    for (int i = 0; i < n; i++) {
        const report_run_t *r = &runs[i];
        xr[1] = fmax(xr[1], r->max_angle * 1.1 + 1.0);
        if (r->max_angle < 0 || r->final_accuracy < 0)
            continue;
        x[used] = r->max_angle;
        y[used] = 100.0 * r->final_accuracy;
        series[used] = (plot_series_t){.label = r->name, .x = &x[used], .y = &y[used], .n = 1,
                                       .style = i};
        used++;
    }
    int guide = best_per_angle(x, y, used, gx, gy), unknown = n - used;
    if (guide > 1)
        series[used] = (plot_series_t){.label = "best at each angle", .x = gx, .y = gy,
                                           .n = guide, .line = 1, .style = -1};
    plot_chart_t chart = {.title = "Final test accuracy against rotation angle",
                          .x_label = "largest rotation of the training copies (degrees)",
                          .y_label = "final test accuracy (%)", .x_range = xr};
    double range[2];
    int below = zoom(&chart, runs, n, range);
    char note[200];
    int len = snprintf(note, sizeof note, "0 = no rotated copies");
    if (unknown)
        len += snprintf(note + len, sizeof note - (size_t)len,
                        "; %d run%s of unknown data left out", unknown, unknown == 1 ? "" : "s");
    if (below)
        snprintf(note + len, sizeof note - (size_t)len, "; %d below %.1f%% not shown", below,
                 range[0]);
    chart.note = note;
    int rc = plot_chart_write(path, &chart, series, used + (guide > 1));
    free(series);
    free(xy);
    return rc;
}
