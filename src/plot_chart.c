/* A line/scatter chart drawn with cairo: title, plot area with a light grid
 * on nice tick values, numbered ticks, axis labels, and a legend column to
 * the right of the plot area (outside it, so it never hides a curve).
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
 *
 * Lines and markers are anti-aliased; grid lines and the frame sit on pixel
 * centres so they stay one crisp pixel wide. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/plot.h"
#include "nnmpi/text.h"

#define TITLE_PX 20.0          /* bold */
#define TEXT_PX 15.0           /* axis labels, tick numbers, legend */
#define NOTE_PX 14.0
#define MARGIN 16.0
#define TICK 6.0               /* tick marks' length */
#define LEGEND_LABEL_MAX 32    /* characters of a legend entry shown */
#define LEGEND_SAMPLE 36.0     /* the sample line before a legend entry */
#define MAX_SIDE 8192

static const plot_rgb_t WHITE = {255, 255, 255}, BLACK = {0, 0, 0}, GRID = {225, 225, 225},
                        GREY = {110, 110, 110};

/* An axis: data range -> ticks -> pixel mapping. */
typedef struct {
    double first, step, lo, hi;
    int count;
    double p0, p1;   /* pixels of lo and hi */
} axis_t;

/* One chart being drawn. */
typedef struct {
    const plot_chart_t *chart;
    const plot_series_t *series;
    int n;
    cairo_t *cr;
    int width, height;
    double legend_w;                   /* the legend column, 0 without entries */
    int entries;                       /* series with a label */
    double top, left, right, bottom;   /* the plot area's edges */
    axis_t xa, ya;
} chart_t;

static void set_colour(cairo_t *cr, plot_rgb_t c)
{
    cairo_set_source_rgb(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0);
}

/* A one-pixel line, crisp when horizontal or vertical on a pixel centre. */
static void hairline(cairo_t *cr, double x0, double y0, double x1, double y1, plot_rgb_t c)
{
    set_colour(cr, c);
    cairo_set_line_width(cr, 1.0);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

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

/* The pixel centre nearest tick i, where a one-pixel line is crisp. */
static double tick_pixel(const axis_t *a, int i, double *value)
{
    *value = a->first + i * a->step;
    return floor(axis_pixel(a, *value)) + 0.5;
}

/* label, shortened to at most max characters ("...abc" keeps the end, which
 * tells runs of one sweep apart). */
static void shorten(const char *label, char *buf, size_t size, int max)
{
    size_t n = strlen(label);
    if ((int)n <= max || max < 4)
        snprintf(buf, size, "%s", label);
    else
        snprintf(buf, size, "...%s", label + n - (size_t)(max - 3));
}

/* The data's bounding box {xmin, xmax, ymin, ymax}; returns how many
 * points are finite. */
static int data_bounds(const plot_series_t *series, int n, double box[4])
{
    int points = 0;
    box[0] = box[2] = INFINITY;
    box[1] = box[3] = -INFINITY;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !isfinite(y))
                continue;
            box[0] = fmin(box[0], x);
            box[1] = fmax(box[1], x);
            box[2] = fmin(box[2], y);
            box[3] = fmax(box[3], y);
            points++;
        }
    return points;
}

/* The legend's width and the picture's size; measuring text needs a cairo
 * context, so this one draws on a scratch pixel. */
static int measure(chart_t *ch)
{
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    text_font(cr, TEXT_PX, 0);
    for (int s = 0; s < ch->n; s++) {
        if (!ch->series[s].label)
            continue;
        char label[LEGEND_LABEL_MAX + 8];
        shorten(ch->series[s].label, label, sizeof label, LEGEND_LABEL_MAX);
        ch->legend_w = fmax(ch->legend_w, text_width(cr, label) + LEGEND_SAMPLE + 20);
        ch->entries++;
    }
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);
    if (status)
        return error_set("cannot measure the chart's text: %s", cairo_status_to_string(status));
    /* by default the picture widens with a wide legend, so the plot area
     * keeps about 640 pixels */
    ch->width = ch->chart->width > 0 ? ch->chart->width : (int)fmax(1000, ch->legend_w + 800);
    ch->height = ch->chart->height > 0 ? ch->chart->height : 600;
    ch->legend_w = fmin(ch->legend_w, ch->width / 2);
    if (ch->width > MAX_SIDE || ch->height > MAX_SIDE)
        return error_set("a %d x %d chart: sides must be at most %d pixels", ch->width,
                         ch->height, MAX_SIDE);
    return 0;
}

/* Text centred on x with its top at y, in the current font and colour. */
static void centred(cairo_t *cr, double x, double y, const char *s)
{
    text_draw(cr, x - text_width(cr, s) / 2, y, s);
}

/* The title and the note under it; the plot area starts below them. */
static void draw_titles(chart_t *ch)
{
    cairo_t *cr = ch->cr;
    double y = MARGIN;
    if (ch->chart->title) {
        text_font(cr, TITLE_PX, 1);
        set_colour(cr, BLACK);
        centred(cr, ch->width / 2.0, y, ch->chart->title);
        y += text_height(cr) + 4;
    }
    if (ch->chart->note) {
        text_font(cr, NOTE_PX, 0);
        set_colour(cr, GREY);
        centred(cr, ch->width / 2.0, y, ch->chart->note);
        y += text_height(cr) + 4;
    }
    ch->top = floor(y + 12) + 0.5;
}

/* The axes' ticks and the plot area: the widest y tick number sets the left
 * margin, the legend the right one, the x labels the bottom one. */
static int place_plot_area(chart_t *ch, const double box[4])
{
    const plot_chart_t *c = ch->chart;
    double xmin = box[0], xmax = box[1], ymin = box[2], ymax = box[3];
    if (c->x_range) {
        xmin = fmin(xmin, c->x_range[0]);
        xmax = fmax(xmax, c->x_range[1]);
    }
    if (c->y_range && c->y_range[0] < c->y_range[1]) {
        ymin = c->y_range[0];
        ymax = c->y_range[1];
    }
    if (axis_make(&ch->xa, xmin, xmax, 11, c->integer_x) < 0 ||
        axis_make(&ch->ya, ymin, ymax, 9, 0) < 0)
        return -1;
    text_font(ch->cr, TEXT_PX, 0);
    double th = text_height(ch->cr), ytick_w = 0;
    for (int i = 0; i < ch->ya.count; i++) {
        char t[64];
        plot_format_tick(ch->ya.first + i * ch->ya.step, ch->ya.step, t, sizeof t);
        ytick_w = fmax(ytick_w, text_width(ch->cr, t));
    }
    ch->left = floor(MARGIN + (c->y_label ? th + 10 : 0) + ytick_w + TICK + 6) + 0.5;
    ch->right = floor(ch->width - 24 - (ch->entries ? ch->legend_w + 16 : 0)) + 0.5;
    ch->bottom = floor(ch->height - MARGIN - (c->x_label ? th + 8 : 0) - th - TICK - 6) + 0.5;
    if (ch->right - ch->left < 100 || ch->bottom - ch->top < 100)
        return error_set("a %d x %d chart is too small for its labels", ch->width, ch->height);
    ch->xa.p0 = ch->left;
    ch->xa.p1 = ch->right;
    ch->ya.p0 = ch->bottom;
    ch->ya.p1 = ch->top;
    return 0;
}

/* Grid lines, tick marks and tick numbers of both axes. */
static void draw_ticks(chart_t *ch)
{
    cairo_t *cr = ch->cr;
    const double th = text_height(cr);
    char t[64];
    double v;
    for (int i = 0; i < ch->xa.count; i++) {
        double px = tick_pixel(&ch->xa, i, &v);
        hairline(cr, px, ch->top, px, ch->bottom, GRID);
        hairline(cr, px, ch->bottom, px, ch->bottom + TICK, BLACK);
        plot_format_tick(v, ch->xa.step, t, sizeof t);
        centred(cr, px, ch->bottom + TICK + 4, t);
    }
    for (int i = 0; i < ch->ya.count; i++) {
        double py = tick_pixel(&ch->ya, i, &v);
        hairline(cr, ch->left, py, ch->right, py, GRID);
        hairline(cr, ch->left - TICK, py, ch->left, py, BLACK);
        plot_format_tick(v, ch->ya.step, t, sizeof t);
        text_draw(cr, ch->left - TICK - 4 - text_width(cr, t), py - th / 2, t);
    }
}

/* The plot area's frame and the axis labels (y reads bottom to top). */
static void draw_frame_and_labels(chart_t *ch)
{
    cairo_t *cr = ch->cr;
    const plot_chart_t *c = ch->chart;
    const double th = text_height(cr);
    set_colour(cr, BLACK);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, ch->left, ch->top, ch->right - ch->left, ch->bottom - ch->top);
    cairo_stroke(cr);
    if (c->x_label)
        centred(cr, (ch->left + ch->right) / 2, ch->bottom + TICK + 4 + th + 8, c->x_label);
    if (c->y_label) {
        cairo_save(cr);
        cairo_translate(cr, MARGIN, (ch->top + ch->bottom) / 2);
        cairo_rotate(cr, -M_PI / 2);
        centred(cr, 0, 0, c->y_label);
        cairo_restore(cr);
    }
}

/* Colour, width and dashes of series s's line (a negative style: a grey
 * dashed guide line). */
static void series_pen(cairo_t *cr, const plot_series_t *s)
{
    plot_dash_t d = s->style < 0 ? (plot_dash_t){8, 6} : plot_series_dash(s->style);
    set_colour(cr, s->style < 0 ? GREY : plot_series_colour(s->style));
    cairo_set_line_width(cr, s->style < 0 ? 2.0 : 2.5);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_dash(cr, (const double[]){d.on, d.off}, d.off > 0 ? 2 : 0, 0);
}

/* A filled marker about 2 r across centred on (x, y), with a thin white
 * edge so overlapping markers stay apart. */
static void marker(cairo_t *cr, double x, double y, double r, plot_marker_t shape, plot_rgb_t c)
{
    switch (shape) {
    case PLOT_MARKER_SQUARE:
        cairo_rectangle(cr, x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r);
        break;
    case PLOT_MARKER_TRIANGLE: /* pointing up */
        cairo_move_to(cr, x, y - 1.1 * r);
        cairo_line_to(cr, x + r, y + 0.8 * r);
        cairo_line_to(cr, x - r, y + 0.8 * r);
        cairo_close_path(cr);
        break;
    case PLOT_MARKER_DIAMOND:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.2 * r, y);
        cairo_line_to(cr, x, y + 1.2 * r);
        cairo_line_to(cr, x - 1.2 * r, y);
        cairo_close_path(cr);
        break;
    default:
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    }
    set_colour(cr, c);
    cairo_fill_preserve(cr);
    set_colour(cr, WHITE);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
}

/* Clips to the plot area, widened by `margin` pixels on every side. */
static void clip_to_plot(chart_t *ch, double margin)
{
    cairo_reset_clip(ch->cr);
    cairo_rectangle(ch->cr, ch->left - margin, ch->top - margin,
                    ch->right - ch->left + 2 * margin, ch->bottom - ch->top + 2 * margin);
    cairo_clip(ch->cr);
}

/* The series: lines cut at the plot area's frame, then the markers on top
 * of every line (6 pixels beyond the frame, so one on the edge shows whole). */
static void draw_series(chart_t *ch)
{
    cairo_t *cr = ch->cr;
    cairo_save(cr);
    clip_to_plot(ch, 0);
    for (int s = 0; s < ch->n; s++) {
        const plot_series_t *sr = &ch->series[s];
        if (!sr->line)
            continue;
        cairo_new_path(cr);
        for (int i = 0; i < sr->n; i++)
            if (isfinite(sr->x[i]) && isfinite(sr->y[i]))
                cairo_line_to(cr, axis_pixel(&ch->xa, sr->x[i]), axis_pixel(&ch->ya, sr->y[i]));
        series_pen(cr, sr);
        cairo_stroke(cr);
    }
    clip_to_plot(ch, 6);
    for (int s = 0; s < ch->n; s++) {
        const plot_series_t *sr = &ch->series[s];
        if (sr->style < 0)
            continue;
        for (int i = 0; i < sr->n; i++)
            if (isfinite(sr->x[i]) && isfinite(sr->y[i]))
                marker(cr, axis_pixel(&ch->xa, sr->x[i]), axis_pixel(&ch->ya, sr->y[i]),
                       sr->n > 40 ? 3.0 : 5.0, plot_series_marker(sr->style),
                       plot_series_colour(sr->style));
    }
    cairo_restore(cr);
}

/* One entry a line: a sample of the line and marker, then the label; what
 * does not fit beside the plot area is counted ("+3 more"). */
static void draw_legend(chart_t *ch)
{
    cairo_t *cr = ch->cr;
    const double th = text_height(cr), x = ch->right + 20;
    double y = ch->top + 4;
    int shown = 0;
    for (int s = 0; s < ch->n; s++) {
        const plot_series_t *sr = &ch->series[s];
        if (!sr->label)
            continue;
        if (y + th > ch->bottom) {
            char more[32];
            snprintf(more, sizeof more, "+%d more", ch->entries - shown);
            set_colour(cr, GREY);
            text_draw(cr, x, y, more);
            return;
        }
        if (sr->line) {
            series_pen(cr, sr);
            cairo_move_to(cr, x, y + th / 2);
            cairo_line_to(cr, x + LEGEND_SAMPLE, y + th / 2);
            cairo_stroke(cr);
        }
        if (sr->style >= 0)
            marker(cr, x + LEGEND_SAMPLE / 2, y + th / 2, 5.0, plot_series_marker(sr->style),
                   plot_series_colour(sr->style));
        char label[LEGEND_LABEL_MAX + 8];
        shorten(sr->label, label, sizeof label, LEGEND_LABEL_MAX);
        set_colour(cr, BLACK);
        text_draw(cr, x + LEGEND_SAMPLE + 10, y, label);
        y += th + 8;
        shown++;
    }
}

/* Everything but the title: "no data" when there is no point at all. */
static int draw_body(chart_t *ch)
{
    double box[4];
    if (!data_bounds(ch->series, ch->n, box)) {
        text_font(ch->cr, TEXT_PX, 0);
        set_colour(ch->cr, GREY);
        centred(ch->cr, ch->width / 2.0, ch->height / 2.0, "no data");
        return 0;
    }
    if (place_plot_area(ch, box) < 0)
        return -1;
    set_colour(ch->cr, BLACK);
    draw_ticks(ch);
    draw_frame_and_labels(ch);
    draw_series(ch);
    draw_legend(ch);
    return 0;
}

/* cairo's RGB24 pixels (0x00RRGGBB words, rows `stride` bytes apart) into
 * out, a new canvas. */
static int to_canvas(cairo_surface_t *surface, plot_canvas_t *out)
{
    cairo_surface_flush(surface);
    int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    if (plot_canvas_init(out, w, h, WHITE) < 0)
        return -1;
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * (size_t)stride);
        uint8_t *p = out->pixels + 3 * (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++, p += 3) {
            p[0] = (uint8_t)(row[x] >> 16);
            p[1] = (uint8_t)(row[x] >> 8);
            p[2] = (uint8_t)row[x];
        }
    }
    return 0;
}

int plot_chart_draw(const plot_chart_t *chart, const plot_series_t *series, int n,
                    plot_canvas_t *out)
{
    memset(out, 0, sizeof *out);
    chart_t ch = {.chart = chart, .series = series, .n = n};
    if (measure(&ch) < 0)
        return -1;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, ch.width,
                                                          ch.height);
    ch.cr = cairo_create(surface);
    set_colour(ch.cr, WHITE);
    cairo_paint(ch.cr);
    draw_titles(&ch);
    int rc = draw_body(&ch);
    cairo_status_t status = cairo_status(ch.cr);
    if (!rc && status)
        rc = error_set("cannot draw a %d x %d chart: %s", ch.width, ch.height,
                       cairo_status_to_string(status));
    rc = rc ? rc : to_canvas(surface, out);
    cairo_destroy(ch.cr);
    cairo_surface_destroy(surface);
    return rc;
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
