/* plot: the RGB canvas a chart is drawn into and its PNG, the tick values
 * of an axis, and the styles that tell series apart. */
#include "nnmpi/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/pngout.h"

#define MAX_SIDE 8192

int plot_canvas_init(plot_canvas_t *c, int width, int height, plot_rgb_t bg)
{
    memset(c, 0, sizeof *c);
    if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
        return error_set("a %d x %d picture: sides must be 1..%d pixels", width, height, MAX_SIDE);
    size_t n = (size_t)width * (size_t)height;
    c->pixels = malloc(3 * n);
    if (!c->pixels)
        return error_set("out of memory for a %d x %d picture", width, height);
    c->width = width;
    c->height = height;
    for (size_t i = 0; i < n; i++)
        memcpy(c->pixels + 3 * i, (uint8_t[3]){bg.r, bg.g, bg.b}, 3);
    return 0;
}

void plot_canvas_free(plot_canvas_t *c)
{
    free(c->pixels);
    memset(c, 0, sizeof *c);
}

static void canvas_row(void *ctx, int y, uint8_t *row)
{
    const plot_canvas_t *c = ctx;
    memcpy(row, c->pixels + 3 * (size_t)y * (size_t)c->width, 3 * (size_t)c->width);
}

int plot_write_png(const char *path, const plot_canvas_t *c)
{
    if (!c->pixels)
        return error_set("%s: nothing to write (empty picture)", path);
    /* charts replace the ones of an earlier report whole, or not at all */
    char tmp[4096];
    if (fs_tmp_name(path, tmp, sizeof tmp) < 0)
        return -1;
    if (pngout_write(tmp, c->width, c->height, 3, canvas_row, (void *)c) < 0)
        return -1;
    return fs_commit(tmp, path);
}

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
