/* plot: an RGB canvas, the few drawing primitives charts need, and an RGB
 * PNG writer. Lines are stamped discs along the segment (no anti-aliasing:
 * at these sizes crisp pixels read well); text comes from the built-in font
 * of image.h, drawn a glyph at a time into a small grey buffer and laid onto
 * the canvas in colour. */
#include "nnmpi/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/image.h"
#include "nnmpi/png_write.h"

#define MAX_SIDE 8192
#define MAX_TEXT_SCALE 8

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
    for (size_t i = 0; i < n; i++) {
        c->pixels[3 * i] = bg.r;
        c->pixels[3 * i + 1] = bg.g;
        c->pixels[3 * i + 2] = bg.b;
    }
    return 0;
}

void plot_canvas_free(plot_canvas_t *c)
{
    free(c->pixels);
    memset(c, 0, sizeof *c);
}

void plot_clip(plot_canvas_t *c, int x, int y, int w, int h)
{
    c->clip = w > 0 && h > 0;
    c->clip_x0 = x;
    c->clip_y0 = y;
    c->clip_x1 = x + w;
    c->clip_y1 = y + h;
}

void plot_pixel(plot_canvas_t *c, int x, int y, plot_rgb_t colour)
{
    if (x < 0 || y < 0 || x >= c->width || y >= c->height)
        return;
    if (c->clip && (x < c->clip_x0 || y < c->clip_y0 || x >= c->clip_x1 || y >= c->clip_y1))
        return;
    uint8_t *p = c->pixels + 3 * ((size_t)y * (size_t)c->width + (size_t)x);
    p[0] = colour.r;
    p[1] = colour.g;
    p[2] = colour.b;
}

void plot_fill_rect(plot_canvas_t *c, int x, int y, int w, int h, plot_rgb_t colour)
{
    for (int j = y < 0 ? 0 : y; j < y + h && j < c->height; j++)
        for (int i = x < 0 ? 0 : x; i < x + w && i < c->width; i++)
            plot_pixel(c, i, j, colour);
}

/* A filled disc of diameter `thickness` centred on (x, y) (a single pixel
 * for thickness 1). */
static void stamp(plot_canvas_t *c, double x, double y, int thickness, plot_rgb_t colour)
{
    if (thickness <= 1) {
        plot_pixel(c, (int)lround(x), (int)lround(y), colour);
        return;
    }
    double r = thickness / 2.0;
    int x0 = (int)floor(x - r), x1 = (int)ceil(x + r), y0 = (int)floor(y - r), y1 = (int)ceil(y + r);
    for (int j = y0; j <= y1; j++)
        for (int i = x0; i <= x1; i++) {
            double dx = i - x, dy = j - y;
            if (dx * dx + dy * dy <= r * r)
                plot_pixel(c, i, j, colour);
        }
}

void plot_line(plot_canvas_t *c, double x0, double y0, double x1, double y1, plot_rgb_t colour,
               int thickness, plot_dash_t dash, double *phase)
{
    double length = hypot(x1 - x0, y1 - y0);
    if (!isfinite(length) || length > 4.0 * MAX_SIDE)
        return;
    int steps = (int)ceil(length * 2.0) + 1; /* half-pixel steps leave no gaps */
    double period = dash.on + dash.off;
    double start = phase ? *phase : 0.0;
    for (int s = 0; s <= steps; s++) {
        double t = steps ? (double)s / steps : 0.0;
        if (dash.off > 0 && period > 0 && fmod(start + t * length, period) >= dash.on)
            continue;
        stamp(c, x0 + t * (x1 - x0), y0 + t * (y1 - y0), thickness, colour);
    }
    if (phase)
        *phase = start + length;
}

void plot_marker(plot_canvas_t *c, double x, double y, int radius, plot_marker_t shape,
                 plot_rgb_t colour)
{
    double r = radius;
    for (int j = (int)floor(y - r - 1); j <= (int)ceil(y + r + 1); j++)
        for (int i = (int)floor(x - r - 1); i <= (int)ceil(x + r + 1); i++) {
            double dx = i - x, dy = j - y;
            int in;
            switch (shape) {
            case PLOT_MARKER_SQUARE:
                in = fabs(dx) <= 0.85 * r && fabs(dy) <= 0.85 * r;
                break;
            case PLOT_MARKER_TRIANGLE: /* pointing up, base at y + r */
                in = dy >= -r && dy <= r && fabs(dx) <= (dy + r) * 0.6;
                break;
            case PLOT_MARKER_DIAMOND:
                in = fabs(dx) + fabs(dy) <= 1.2 * r;
                break;
            default:
                in = dx * dx + dy * dy <= r * r + 0.5 * r;
            }
            if (in)
                plot_pixel(c, i, j, colour);
        }
}

int plot_text_width(const char *text, int scale)
{
    return image_text_width(text, scale);
}

int plot_text_height(int scale)
{
    return IMAGE_FONT_HEIGHT * scale;
}

/* Draws text glyph by glyph: each into a small grey buffer (the font's own
 * renderer), whose inked pixels go onto the canvas, turned a quarter
 * anticlockwise if `vertical`. */
static void draw_text(plot_canvas_t *c, int x, int y, const char *text, int scale,
                      plot_rgb_t colour, int vertical)
{
    if (scale < 1)
        scale = 1;
    if (scale > MAX_TEXT_SCALE)
        scale = MAX_TEXT_SCALE;
    enum { GW = IMAGE_FONT_WIDTH * MAX_TEXT_SCALE, GH = IMAGE_FONT_HEIGHT * MAX_TEXT_SCALE };
    uint8_t buf[GW * GH];
    const int gw = IMAGE_FONT_WIDTH * scale, gh = IMAGE_FONT_HEIGHT * scale;
    const int advance = (IMAGE_FONT_WIDTH + 1) * scale;
    const int total = plot_text_width(text, scale);
    int pos = 0;
    for (const char *p = text; *p; p++, pos += advance) {
        char one[2] = {*p, '\0'};
        image_t glyph = {.height = gh, .width = gw, .pixels = buf};
        memset(buf, 0, sizeof buf);
        image_draw_text(&glyph, 0, 0, one, scale, 255);
        for (int gy = 0; gy < gh; gy++)
            for (int gx = 0; gx < gw; gx++) {
                if (!buf[gy * gw + gx])
                    continue;
                if (vertical) /* reads bottom to top: text x runs up the page */
                    plot_pixel(c, x + gy, y + total - 1 - (pos + gx), colour);
                else
                    plot_pixel(c, x + pos + gx, y + gy, colour);
            }
    }
}

void plot_text(plot_canvas_t *c, int x, int y, const char *text, int scale, plot_rgb_t colour)
{
    draw_text(c, x, y, text, scale, colour, 0);
}

void plot_text_vertical(plot_canvas_t *c, int x, int y, const char *text, int scale,
                        plot_rgb_t colour)
{
    draw_text(c, x, y, text, scale, colour, 1);
}

/* ------------------------------------------------------------------ PNG */

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
    if (png_write_file(tmp, c->width, c->height, 3, canvas_row, (void *)c) < 0)
        return -1;
    return fs_commit(tmp, path);
}
