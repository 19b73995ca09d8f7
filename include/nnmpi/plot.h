/* plot: charts a person can read at a glance, drawn with cairo (anti-aliased
 * lines and markers, text in text.h's typeface) and written as RGB PNG: a
 * white canvas, axes with "nice" tick values and their numbers, axis
 * labels, a title, and a legend beside the plot area that tells the series
 * apart by colour, marker shape and (from the eleventh series on) dash
 * pattern, so a greyscale print still distinguishes them.
 *
 * Files:  src/plot.c        ticks, the series' styles, the RGB canvas and PNG
 *         src/plot_chart.c  the line/scatter chart, laid out and drawn
 *
 * Fallible functions return 0 or -1 with a message in error_message();
 * nothing here prints or exits. */
#ifndef NNMPI_PLOT_H
#define NNMPI_PLOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t r, g, b;
} plot_rgb_t;

/* An RGB picture. */
typedef struct {
    int width, height;
    uint8_t *pixels;   /* [height, width, 3], row-major */
} plot_canvas_t;

/* ---- canvas (src/plot.c) ---- */

/* Allocates a width x height canvas (1..8192 each) filled with bg. */
int plot_canvas_init(plot_canvas_t *c, int width, int height, plot_rgb_t bg);

/* Frees the pixels; safe on a zeroed struct and twice. */
void plot_canvas_free(plot_canvas_t *c);

/* Writes the canvas as an 8-bit RGB PNG, atomically (temporary name, then
 * rename), so a reader never sees half a file. */
int plot_write_png(const char *path, const plot_canvas_t *c);

/* ---- ticks and styles (src/plot.c) ---- */

/* Tick values for an axis over [lo, hi]: the smallest step of 1, 2 or 5
 * times a power of ten giving at most max_ticks ticks (taken as at least 3:
 * two cannot always cover a range across 0), the first tick the
 * largest multiple of the step <= lo and the last the smallest >= hi, so the
 * ticks cover the data. Returns the number of ticks (first + i step), or -1
 * if lo or hi is not finite, or lo > hi. lo == hi is widened around the
 * value first. */
int plot_nice_ticks(double lo, double hi, int max_ticks, double *first, double *step);

/* A tick value as text with as many decimals as the step needs ("0.5",
 * "98.25", "10"), never "-0". */
void plot_format_tick(double value, double step, char *buf, size_t size);

/* A dash pattern in pixels: `on` drawn, `off` skipped (off 0: solid). */
typedef struct {
    double on, off;
} plot_dash_t;

typedef enum {
    PLOT_MARKER_CIRCLE = 0,
    PLOT_MARKER_SQUARE,
    PLOT_MARKER_TRIANGLE,
    PLOT_MARKER_DIAMOND,
    PLOT_MARKER_COUNT,
} plot_marker_t;

/* Colour and marker of series i (a ten-colour palette; markers cycle with
 * period 4; the dash pattern changes every ten series). */
plot_rgb_t plot_series_colour(int i);
plot_marker_t plot_series_marker(int i);
plot_dash_t plot_series_dash(int i);

/* ---- charts (src/plot_chart.c) ---- */

/* One series of a chart: n points (x[i], y[i]), drawn as markers and, if
 * `line`, joined by a line in the order given (a point that is not finite
 * is skipped). style picks colour, marker and dash (plot_series_*); a
 * negative style is a guide line: grey, dashed, thin, without markers.
 * label goes in the legend (NULL: not listed). */
typedef struct {
    const char *label;
    const double *x, *y;
    int n;
    int line;
    int style;
} plot_series_t;

typedef struct {
    const char *title, *x_label, *y_label;
    int width, height;       /* 0: 600 high, 1000 wide or wider to keep the plot
                              * area ~640 wide beside a long legend */
    int integer_x;           /* x ticks at whole numbers only (e.g. epochs) */
    const double *x_range;   /* {lo, hi} the axis must cover, or NULL: the data's */
    const double *y_range;   /* {lo, hi} the axis covers instead of the data's, or
                              * NULL; what lies outside is cut at the plot's edge */
    const char *note;        /* smaller grey text under the title, or NULL */
} plot_chart_t;

/* Draws the chart of n series onto a new canvas (*out, plot_canvas_free it).
 * The x axis spans the data and x_range, the y axis the data or y_range
 * (on nice ticks); with no point at all the chart says "no data". */
int plot_chart_draw(const plot_chart_t *chart, const plot_series_t *series, int n,
                    plot_canvas_t *out);

/* plot_chart_draw, then plot_write_png. */
int plot_chart_write(const char *path, const plot_chart_t *chart, const plot_series_t *series,
                     int n);

#endif
