/* A line/scatter chart: title, plot area with a light grid on nice tick
 * values, numbered ticks, axis labels, and a legend column to the right of
 * the plot area (outside it, so it never hides a curve).
 *
 *   +-------------------------------------------------------------+
 *   |                        title                                |
 *   |                        note                                 |
 *   |  y  99.0 -+--------------------------------+   -o- run a    |
 *   |  l        |                                |   -s- run b    |
 *   |  a  98.5 -+          plot area             |                |
 *   |  b        |                                |                |
 *   |  e        +----+----------+----------+-----+                |
 *   |  l             1          5          10                     |
 *   |                         x label                             |
 *   +-------------------------------------------------------------+
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/plot.h"

#define TEXT_SCALE 2             /* the 5x7 font at 10x14 pixels */
#define LEGEND_LABEL_MAX 32      /* characters of a legend entry shown */

static const plot_rgb_t WHITE = {255, 255, 255}, BLACK = {0, 0, 0}, GRID = {225, 225, 225},
                        GREY = {110, 110, 110};

int plot_nice_ticks(double lo, double hi, int max_ticks, double *first, double *step)
{
    if (!isfinite(lo) || !isfinite(hi) || lo > hi)
        return -1;
    /* two ticks cannot cover a range that spans 0 (-s, 0, s at best) */
    if (max_ticks < 3)
        max_ticks = 3;
    if (lo == hi) {
        double d = lo != 0.0 ? fabs(lo) * 0.05 : 1.0;
        lo -= d;
        hi += d;
    }
    double rough = (hi - lo) / (max_ticks - 1);
    int e = (int)floor(log10(rough)) - 1;
    for (;; e++) {
        static const double mult[] = {1.0, 2.0, 5.0};
        for (int m = 0; m < 3; m++) {
            double s = mult[m] * pow(10.0, e);
            double f = floor(lo / s + 1e-9) * s, l = ceil(hi / s - 1e-9) * s;
            int count = (int)lround((l - f) / s) + 1;
            if (count <= max_ticks) {
                *first = f;
                *step = s;
                return count < 2 ? 2 : count;
            }
        }
    }
}

void plot_format_tick(double value, double step, char *buf, size_t size)
{
    int decimals = step > 0 ? -(int)floor(log10(step) + 1e-9) : 0;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    /* a tick that should be zero may be -1e-17 after first + i step */
    if (step > 0 && fabs(value) < step * 1e-6)
        value = 0.0;
    snprintf(buf, size, "%.*f", decimals, value);
}

plot_rgb_t plot_series_colour(int i)
{
    /* Tableau's ten: distinct in colour and mostly in lightness too */
    static const plot_rgb_t palette[10] = {
        {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
        {140, 86, 75},  {227, 119, 194}, {90, 90, 90},  {188, 189, 34}, {23, 190, 207},
    };
    return palette[(i % 10 + 10) % 10];
}

plot_marker_t plot_series_marker(int i)
{
    return (plot_marker_t)((i % PLOT_MARKER_COUNT + PLOT_MARKER_COUNT) % PLOT_MARKER_COUNT);
}

plot_dash_t plot_series_dash(int i)
{
    static const plot_dash_t dashes[3] = {{1, 0}, {12, 7}, {3, 5}};
    return dashes[((i / 10) % 3 + 3) % 3];
}

/* How series s is drawn (a negative style: a grey dashed guide line). */
static plot_rgb_t colour_of(const plot_series_t *s)
{
    return s->style < 0 ? GREY : plot_series_colour(s->style);
}

static plot_dash_t dash_of(const plot_series_t *s)
{
    return s->style < 0 ? (plot_dash_t){8, 6} : plot_series_dash(s->style);
}

static int thickness_of(const plot_series_t *s)
{
    return s->style < 0 ? 2 : 3;
}

/* An axis: data range -> ticks -> pixel mapping. */
typedef struct {
    double first, step, lo, hi;
    int count;
    int p0, p1;   /* pixels of lo and hi */
} axis_t;

static int axis_make(axis_t *a, double lo, double hi, int max_ticks, int integer)
{
    a->count = plot_nice_ticks(lo, hi, max_ticks, &a->first, &a->step);
    if (a->count < 0)
        return error_set("cannot scale an axis to %g..%g", lo, hi);
    if (integer && a->step < 1.0) {
        a->step = 1.0;
        a->first = floor(lo);
        a->count = (int)(ceil(hi) - a->first) + 1;
        if (a->count < 2)
            a->count = 2;
    }
    a->lo = a->first;
    a->hi = a->first + a->step * (a->count - 1);
    return 0;
}

static double axis_pixel(const axis_t *a, double v)
{
    return a->p0 + (v - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

/* Copies label into buf, shortened to at most max characters ("...abc"
 * keeps the end, which tells runs of one sweep apart). */
static void shorten(const char *label, char *buf, size_t size, int max)
{
    size_t n = strlen(label);
    if ((int)n <= max || max < 4)
        snprintf(buf, size, "%s", label);
    else
        snprintf(buf, size, "...%s", label + n - (size_t)(max - 3));
}

int plot_chart_draw(const plot_chart_t *chart, const plot_series_t *series, int n,
                    plot_canvas_t *out)
{
    const int th = plot_text_height(TEXT_SCALE);

    /* data ranges */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int points = 0;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !isfinite(y))
                continue;
            xmin = fmin(xmin, x);
            xmax = fmax(xmax, x);
            ymin = fmin(ymin, y);
            ymax = fmax(ymax, y);
            points++;
        }

    /* legend column */
    int legend_w = 0, entries = 0;
    for (int s = 0; s < n; s++) {
        if (!series[s].label)
            continue;
        char label[LEGEND_LABEL_MAX + 8];
        shorten(series[s].label, label, sizeof label, LEGEND_LABEL_MAX);
        int w = plot_text_width(label, TEXT_SCALE) + 56;
        legend_w = w > legend_w ? w : legend_w;
        entries++;
    }
    /* by default the picture widens with a wide legend, so the plot area
     * keeps about 640 pixels */
    const int W = chart->width > 0 ? chart->width
                                   : (legend_w + 800 > 1000 ? legend_w + 800 : 1000);
    const int H = chart->height > 0 ? chart->height : 600;
    if (legend_w > W / 2)
        legend_w = W / 2;
    if (plot_canvas_init(out, W, H, WHITE) < 0)
        return -1;

    /* title and note */
    int top = 16;
    if (chart->title) {
        plot_text(out, (W - plot_text_width(chart->title, TEXT_SCALE)) / 2, top, chart->title,
                  TEXT_SCALE, BLACK);
        top += th + 10;
    }
    if (chart->note) {
        plot_text(out, (W - plot_text_width(chart->note, TEXT_SCALE)) / 2, top, chart->note,
                  TEXT_SCALE, GREY);
        top += th + 10;
    }
    top += 10;

    if (!points) {
        const char *msg = "no data";
        plot_text(out, (W - plot_text_width(msg, TEXT_SCALE)) / 2, H / 2, msg, TEXT_SCALE, GREY);
        return 0;
    }

    if (chart->x_range) {
        xmin = fmin(xmin, chart->x_range[0]);
        xmax = fmax(xmax, chart->x_range[1]);
    }
    if (chart->y_range && chart->y_range[0] < chart->y_range[1]) {
        ymin = chart->y_range[0];
        ymax = chart->y_range[1];
    }
    axis_t xa, ya;
    if (axis_make(&xa, xmin, xmax, 11, chart->integer_x) < 0 ||
        axis_make(&ya, ymin, ymax, 9, 0) < 0) {
        plot_canvas_free(out);
        return -1;
    }
    /* the widest y tick label sets the left margin */
    int ytick_w = 0;
    for (int i = 0; i < ya.count; i++) {
        char t[64];
        plot_format_tick(ya.first + i * ya.step, ya.step, t, sizeof t);
        int w = plot_text_width(t, TEXT_SCALE);
        ytick_w = w > ytick_w ? w : ytick_w;
    }
    const int left = 16 + (chart->y_label ? th + 14 : 0) + ytick_w + 14;
    const int right = W - 24 - (entries ? legend_w + 16 : 0);
    const int bottom = H - 24 - (chart->x_label ? th + 14 : 0) - th - 14;
    if (right - left < 100 || bottom - top < 100) {
        plot_canvas_free(out);
        return error_set("a %d x %d chart is too small for its labels", W, H);
    }
    xa.p0 = left;
    xa.p1 = right;
    ya.p0 = bottom;
    ya.p1 = top;

    /* grid, ticks and their numbers */
    for (int i = 0; i < xa.count; i++) {
        double v = xa.first + i * xa.step;
        int px = (int)lround(axis_pixel(&xa, v));
        plot_fill_rect(out, px, top, 1, bottom - top, GRID);
        plot_fill_rect(out, px - 1, bottom, 2, 7, BLACK);
        char t[64];
        plot_format_tick(v, xa.step, t, sizeof t);
        plot_text(out, px - plot_text_width(t, TEXT_SCALE) / 2, bottom + 12, t, TEXT_SCALE, BLACK);
    }
    for (int i = 0; i < ya.count; i++) {
        double v = ya.first + i * ya.step;
        int py = (int)lround(axis_pixel(&ya, v));
        plot_fill_rect(out, left, py, right - left, 1, GRID);
        plot_fill_rect(out, left - 7, py - 1, 7, 2, BLACK);
        char t[64];
        plot_format_tick(v, ya.step, t, sizeof t);
        plot_text(out, left - 12 - plot_text_width(t, TEXT_SCALE), py - th / 2, t, TEXT_SCALE,
                  BLACK);
    }
    /* the frame of the plot area */
    plot_fill_rect(out, left - 1, top, 2, bottom - top + 1, BLACK);
    plot_fill_rect(out, left - 1, bottom, right - left + 2, 2, BLACK);
    plot_fill_rect(out, left - 1, top, right - left + 2, 1, BLACK);
    plot_fill_rect(out, right, top, 1, bottom - top + 1, BLACK);
    if (chart->x_label)
        plot_text(out, (left + right - plot_text_width(chart->x_label, TEXT_SCALE)) / 2,
                  bottom + 12 + th + 14, chart->x_label, TEXT_SCALE, BLACK);
    if (chart->y_label)
        plot_text_vertical(out, 16,
                           (top + bottom - plot_text_width(chart->y_label, TEXT_SCALE)) / 2,
                           chart->y_label, TEXT_SCALE, BLACK);

    /* the series, within the plot area: lines first, then markers on top */
    /* (6 pixels beyond the frame: a marker on the edge shows whole) */
    plot_clip(out, left - 6, top - 6, right - left + 13, bottom - top + 13);
    for (int s = 0; s < n; s++) {
        const plot_series_t *sr = &series[s];
        if (!sr->line)
            continue;
        double phase = 0;
        int have = 0;
        double px = 0, py = 0;
        for (int i = 0; i < sr->n; i++) {
            if (!isfinite(sr->x[i]) || !isfinite(sr->y[i]))
                continue;
            double x = axis_pixel(&xa, sr->x[i]), y = axis_pixel(&ya, sr->y[i]);
            if (have)
                plot_line(out, px, py, x, y, colour_of(sr), thickness_of(sr), dash_of(sr),
                          &phase);
            px = x;
            py = y;
            have = 1;
        }
    }
    for (int s = 0; s < n; s++) {
        const plot_series_t *sr = &series[s];
        int radius = sr->n > 40 ? 3 : 5;
        if (sr->style < 0)
            continue;
        for (int i = 0; i < sr->n; i++)
            if (isfinite(sr->x[i]) && isfinite(sr->y[i]))
                plot_marker(out, axis_pixel(&xa, sr->x[i]), axis_pixel(&ya, sr->y[i]), radius,
                            plot_series_marker(sr->style), plot_series_colour(sr->style));
    }

    plot_clip(out, 0, 0, 0, 0);

    /* legend: sample line and marker, then the label */
    int ly = top + 4, lx = right + 20, shown = 0;
    for (int s = 0; s < n; s++) {
        const plot_series_t *sr = &series[s];
        if (!sr->label)
            continue;
        if (ly + th > bottom) {
            char more[32];
            snprintf(more, sizeof more, "+%d more", entries - shown);
            plot_text(out, lx, ly, more, TEXT_SCALE, GREY);
            break;
        }
        plot_rgb_t colour = colour_of(sr);
        double phase = 0;
        if (sr->line)
            plot_line(out, lx, ly + th / 2.0, lx + 36, ly + th / 2.0, colour, thickness_of(sr),
                      dash_of(sr), &phase);
        if (sr->style >= 0)
            plot_marker(out, lx + 18, ly + th / 2.0, 5, plot_series_marker(sr->style), colour);
        char label[LEGEND_LABEL_MAX + 8];
        shorten(sr->label, label, sizeof label, LEGEND_LABEL_MAX);
        plot_text(out, lx + 46, ly, label, TEXT_SCALE, BLACK);
        ly += th + 12;
        shown++;
    }
    return 0;
}

int plot_chart_write(const char *path, const plot_chart_t *chart, const plot_series_t *series,
                     int n)
{
    plot_canvas_t c;
    if (plot_chart_draw(chart, series, n, &c) < 0)
        return error_prefix("%s", path);
    int rc = plot_write_png(path, &c);
    plot_canvas_free(&c);
    return rc;
}
