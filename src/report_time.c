/* report_time: how long each run took to reach a test accuracy, against
 * its number of ranks, next to a prediction for more ranks (`nnmpi report
 * --target`, docs/time-to-accuracy.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/plot.h"
#include "nnmpi/report.h"

double report_time_to(const report_run_t *run, double target, int *epoch)
{
    const metrics_t *m = &run->metrics;
    for (int k = 0; k < m->count; k++)
        if (m->rows[k].test_accuracy >= 0 && 100.0 * m->rows[k].test_accuracy >= target) {
            if (epoch)
                *epoch = m->rows[k].epoch;
            return m->rows[k].wall_s;
        }
    return -1.0;
}

/* One "ranks,seconds" line of a prediction into p; -1 naming the line. */
static int predicted_line(const char *path, int line_no, const char *line,
                          report_prediction_t *p)
{
    char *end;
    errno = 0;
    double ranks = strtod(line, &end);
    double seconds = *end == ',' ? strtod(end + 1, &end) : NAN;
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (errno || *end || !(ranks >= 1 && ranks <= 1e7) || !(seconds > 0 && seconds < 1e9))
        return error_set("%s:%d: expected RANKS,SECONDS (ranks >= 1, seconds > 0), not '%s'",
                         path, line_no, line);
    if (p->count == REPORT_PREDICTED_MAX)
        return error_set("%s: more than %d predictions", path, REPORT_PREDICTED_MAX);
    p->ranks[p->count] = ranks;
    p->seconds[p->count++] = seconds;
    return 0;
}

int report_read_predicted(const char *path, report_prediction_t *p)
{
    memset(p, 0, sizeof *p);
    char *text = fs_read_text(path, "prediction", 1 << 20);
    if (!text)
        return -1;
    int rc = 0, line_no = 0;
    for (char *line = text, *next; rc == 0 && line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_no++;
        if (line[0] == '\0' || line[0] == '#' || (line_no == 1 && !strncmp(line, "ranks", 5)))
            continue;   /* blank lines, comments and the header */
        rc = predicted_line(path, line_no, line, p);
    }
    free(text);
    if (rc == 0 && p->count == 0)
        rc = error_set("%s: no predictions in it (lines RANKS,SECONDS)", path);
    return rc;
}

int report_plot_time_to(const char *path, const report_run_t *runs, int n, double target,
                        const report_prediction_t *predicted)
{
    plot_series_t *series = calloc((size_t)n + 1, sizeof *series);
    double *xy = malloc(2 * ((size_t)n + 1) * sizeof *xy);   /* [n] ranks, then seconds */
    if (!series || !xy) {
        free(series);
        free(xy);
        return error_set("%s: out of memory", path);
    }
    int shown = 0, never = 0;
    for (int i = 0; i < n; i++) {
        double s = report_time_to(&runs[i], target, NULL);
        never += s < 0;
        if (s < 0 || runs[i].ranks < 1)
            continue;
        xy[shown] = runs[i].ranks;
        xy[n + 1 + shown] = s;
        series[shown] = (plot_series_t){.label = runs[i].name, .x = xy + shown,
                                        .y = xy + n + 1 + shown, .n = 1, .style = i};
        shown++;
    }
    if (predicted && predicted->count > 0)
        series[shown++] = (plot_series_t){.label = "predicted", .x = predicted->ranks,
                                          .y = predicted->seconds, .n = predicted->count,
                                          .line = 1, .style = -1};
    double top = 0.0;   /* seconds from 0, so the drawing's heights compare as the times do */
    for (int i = 0; i < shown; i++)
        top = fmax(top, series[i].y[0]);
    for (int i = 0; predicted && i < predicted->count; i++)
        top = fmax(top, predicted->seconds[i]);
    const double y_range[2] = {0.0, top};
    char title[96], note[96];
    snprintf(title, sizeof title, "Time to %g%% test accuracy", target);
    snprintf(note, sizeof note, "%d run%s never reached it", never, never == 1 ? "" : "s");
    plot_chart_t chart = {.title = title, .x_label = "ranks", .y_label = "seconds",
                          .log2_x = 1, .y_range = top > 0 ? y_range : NULL,
                          .note = never ? note : NULL};
    int rc = plot_chart_write(path, &chart, series, shown);
    free(series);
    free(xy);
    return rc;
}
