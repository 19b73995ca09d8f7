/* plot: charts a person can read at a glance, drawn here and written as RGB
 * PNG with libpng (no plotting program needed): a white canvas, axes with
 * "nice" tick values and their numbers, axis labels, a title, and a legend
 * beside the plot area that tells the series apart by colour, marker shape
 * and (from the eleventh series on) dash pattern, so a greyscale print still
 * distinguishes them. Text uses the built-in 5x7 font of image.h, at twice
 * its size.
 *
 * Files:  src/plot.c        canvas, drawing, RGB PNG writer
 *         src/plot_chart.c  ticks and the line/scatter chart
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
    int clip;          /* drawing confined to [clip_x0, clip_x1) x [clip_y0, clip_y1) */
    int clip_x0, clip_y0, clip_x1, clip_y1;
} plot_canvas_t;

/* ---- canvas and drawing (src/plot.c) ---- */

/* Allocates a width x height canvas (1..8192 each) filled with bg. */
int plot_canvas_init(plot_canvas_t *c, int width, int height, plot_rgb_t bg);

/* Frees the pixels; safe on a zeroed struct and twice. */
void plot_canvas_free(plot_canvas_t *c);

/* Writes the canvas as an 8-bit RGB PNG, atomically (temporary name, then
 * rename), so a reader never sees half a file. */
int plot_write_png(const char *path, const plot_canvas_t *c);

/* Confines drawing to the rectangle [x, x+w) x [y, y+h) (e.g. the plot
 * area, so a curve that leaves a zoomed axis is cut at its edge); w = 0
 * lifts the limit. */
void plot_clip(plot_canvas_t *c, int x, int y, int w, int h);

/* One pixel, clipped to the canvas (and the clip rectangle). */
void plot_pixel(plot_canvas_t *c, int x, int y, plot_rgb_t colour);

/* Filled rectangle [x, x+w) x [y, y+h), clipped. */
void plot_fill_rect(plot_canvas_t *c, int x, int y, int w, int h, plot_rgb_t colour);

/* A dash pattern: `on` pixels drawn, `off` skipped (off 0: solid). */
typedef struct {
    double on, off;
} plot_dash_t;

/* A line from (x0, y0) to (x1, y1) of the given thickness in pixels,
 * dashed as `dash` says; *phase carries the position in the pattern from one
 * segment to the next of a polyline (start it at 0). Clipped. */
void plot_line(plot_canvas_t *c, double x0, double y0, double x1, double y1, plot_rgb_t colour,
               int thickness, plot_dash_t dash, double *phase);

typedef enum {
    PLOT_MARKER_CIRCLE = 0,
    PLOT_MARKER_SQUARE,
    PLOT_MARKER_TRIANGLE,
    PLOT_MARKER_DIAMOND,
    PLOT_MARKER_COUNT,
} plot_marker_t;

/* A filled marker centred on (x, y), about 2 radius + 1 pixels across. */
void plot_marker(plot_canvas_t *c, double x, double y, int radius, plot_marker_t shape,
                 plot_rgb_t colour);

/* Text with its top-left corner at (x, y), the 5x7 font enlarged `scale`
 * times; vertical text reads bottom to top (for a y-axis label) with (x, y)
 * its top-left corner after turning. Characters the font lacks show as '?'. */
void plot_text(plot_canvas_t *c, int x, int y, const char *text, int scale, plot_rgb_t colour);
void plot_text_vertical(plot_canvas_t *c, int x, int y, const char *text, int scale,
                        plot_rgb_t colour);

/* Width and height in pixels of text at a scale. */
int plot_text_width(const char *text, int scale);
int plot_text_height(int scale);

/* ---- ticks and charts (src/plot_chart.c) ---- */

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

/* Colour and marker of series i (a ten-colour palette; markers cycle with
 * period 4; the dash pattern changes every ten series). */
plot_rgb_t plot_series_colour(int i);
plot_marker_t plot_series_marker(int i);
plot_dash_t plot_series_dash(int i);

/* One series of a chart: n points (x[i], y[i]), drawn as markers and, if
 * `line`, joined by a line in the order given. style picks colour, marker
 * and dash (plot_series_*); a negative style is a guide line: dark grey,
 * dashed, thin, without markers. label goes in the legend (NULL: not
 * listed). */
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
    const char *note;        /* small grey text under the title, or NULL */
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
