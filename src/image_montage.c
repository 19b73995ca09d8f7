/* montage: a labelled grid of small images on white, e.g. the ten
 * back-query digits or the normalised own images a model was asked about.
 *
 * Layout of one cell (all sizes in output pixels):
 *
 *   +--------+   1-pixel grey frame around the tile (so a tile whose
 *   | tile   |   background is white still shows where it ends)
 *   +--------+
 *     label      dark text, centred under the tile (text.h's typeface)
 */
#include <cairo.h>
#include <math.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "nnmpi/text.h"

#define FRAME_GREY 160

/* Sizes of the grid, from the largest tile and the widest label. */
typedef struct {
    int columns, rows, scale;
    int tile_w, tile_h;       /* the largest tile, enlarged */
    double text_px;           /* the labels' font size */
    int label_w, label_h;     /* the widest label; the label line, gap included */
    int pad, gap;             /* around cells; between tile and label */
    int cell_w, cell_h;
} layout_t;

/* Copies tile into out at (x, y), each pixel a scale x scale block, values
 * shown as tone says. The caller has checked that it fits. */
static void blit(image_t *out, int x, int y, const image_t *tile, int scale, image_tone_t tone)
{
    for (int ty = 0; ty < tile->height * scale; ty++) {
        uint8_t *dst = out->pixels + (size_t)(y + ty) * (size_t)out->width + (size_t)x;
        const uint8_t *src = tile->pixels + (size_t)(ty / scale) * (size_t)tile->width;
        for (int tx = 0; tx < tile->width * scale; tx++) {
            uint8_t v = src[tx / scale];
            dst[tx] = tone == IMAGE_HIGH_DARK ? (uint8_t)(255 - v) : v;
        }
    }
}

/* Outline of the w x h rectangle with top-left (x, y). */
static void frame(image_t *out, int x, int y, int w, int h, uint8_t value)
{
    for (int i = 0; i < w; i++) {
        out->pixels[(size_t)y * (size_t)out->width + (size_t)(x + i)] = value;
        out->pixels[(size_t)(y + h - 1) * (size_t)out->width + (size_t)(x + i)] = value;
    }
    for (int j = 0; j < h; j++) {
        out->pixels[(size_t)(y + j) * (size_t)out->width + (size_t)x] = value;
        out->pixels[(size_t)(y + j) * (size_t)out->width + (size_t)(x + w - 1)] = value;
    }
}

/* Grid shape and tile size; every size is checked against IMAGE_MAX_SIDE
 * before it is multiplied further. */
static int plan_tiles(const image_t *tiles, int n, const image_montage_opts_t *opts, layout_t *L)
{
    L->scale = opts->scale > 0 ? opts->scale : 1;
    L->columns = opts->columns > 0 ? opts->columns : (int)ceil(sqrt((double)n));
    if (L->columns > n)
        L->columns = n;
    L->rows = (n + L->columns - 1) / L->columns;
    for (int i = 0; i < n; i++) {
        if (!tiles[i].pixels || tiles[i].width < 1 || tiles[i].height < 1)
            return error_set("montage: image %d is empty", i);
        if (tiles[i].width > IMAGE_MAX_SIDE / L->scale ||
            tiles[i].height > IMAGE_MAX_SIDE / L->scale)
            return error_set("montage: image %d (%d x %d) enlarged %d times is too large",
                             i, tiles[i].width, tiles[i].height, L->scale);
        if (tiles[i].width * L->scale > L->tile_w)
            L->tile_w = tiles[i].width * L->scale;
        if (tiles[i].height * L->scale > L->tile_h)
            L->tile_h = tiles[i].height * L->scale;
    }
    return 0;
}

/* The labels' font (it grows with the tiles, so labels stay readable next
 * to them), their widest and their line; measuring needs a cairo context,
 * so this one draws on a scratch pixel. */
static int plan_labels(const char *const *labels, int n, layout_t *L)
{
    L->text_px = fmin(10.0 + L->tile_h / 10.0, 40.0);
    L->pad = (int)(L->text_px / 2);
    L->gap = (int)(L->text_px / 6);
    if (!labels)
        return 0;
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    text_font(cr, L->text_px, 0);
    double widest = 0;
    for (int i = 0; i < n; i++)
        if (labels[i])
            widest = fmax(widest, text_width(cr, labels[i]));
    L->label_h = L->gap + (int)ceil(text_height(cr));
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);
    if (status)
        return error_set("montage: cannot measure the labels: %s", cairo_status_to_string(status));
    if (widest > IMAGE_MAX_SIDE)
        return error_set("montage: a label is too long");
    L->label_w = (int)ceil(widest);
    return 0;
}

static void cell_origin(const layout_t *L, int i, int *x, int *y)
{
    *x = L->pad + (i % L->columns) * (L->cell_w + L->pad);
    *y = L->pad + (i / L->columns) * (L->cell_h + L->pad);
}

/* The labels in dark text under their tiles: cairo draws their coverage
 * into an alpha mask the size of out, which then darkens the grey pixels
 * (anti-aliased edges blend with the white paper). */
static int draw_labels(image_t *out, const char *const *labels, int n, const layout_t *L)
{
    cairo_surface_t *mask = cairo_image_surface_create(CAIRO_FORMAT_A8, out->width, out->height);
    cairo_t *cr = cairo_create(mask);
    text_font(cr, L->text_px, 0);
    for (int i = 0; i < n; i++) {
        if (!labels[i])
            continue;
        int cx, cy;
        cell_origin(L, i, &cx, &cy);
        text_draw(cr, cx + (L->cell_w - text_width(cr, labels[i])) / 2,
                  cy + L->tile_h + 2 + L->gap, labels[i]);
    }
    cairo_status_t status = cairo_status(cr);
    cairo_surface_flush(mask);
    const unsigned char *alpha = cairo_image_surface_get_data(mask);
    int stride = cairo_image_surface_get_stride(mask);
    for (int y = 0; !status && y < out->height; y++)
        for (int x = 0; x < out->width; x++) {
            uint8_t *p = out->pixels + (size_t)y * (size_t)out->width + (size_t)x;
            unsigned a = alpha[(size_t)y * (size_t)stride + (size_t)x];
            *p = (uint8_t)((*p * (255u - a) + 127u) / 255u);
        }
    cairo_destroy(cr);
    cairo_surface_destroy(mask);
    if (status)
        return error_set("montage: cannot draw the labels: %s", cairo_status_to_string(status));
    return 0;
}

int image_montage(const image_t *tiles, const char *const *labels, int n,
                  const image_montage_opts_t *opts, image_t *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1)
        return error_set("a montage needs at least one image");
    layout_t L = {0};
    if (plan_tiles(tiles, n, opts, &L) < 0 || plan_labels(labels, n, &L) < 0)
        return -1;
    L.cell_w = L.tile_w + 2 > L.label_w ? L.tile_w + 2 : L.label_w;
    L.cell_h = L.tile_h + 2 + L.label_h;
    const long width = L.pad + (long)L.columns * (L.cell_w + L.pad);
    const long height = L.pad + (long)L.rows * (L.cell_h + L.pad);
    if (width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
        return error_set("montage: %d images in %d columns would make a %ld x %ld picture, "
                         "over the limit of %d on a side", n, L.columns, width, height,
                         IMAGE_MAX_SIDE);
    if (image_alloc(out, (int)height, (int)width) < 0)
        return -1;
    memset(out->pixels, 255, (size_t)width * (size_t)height);
    for (int i = 0; i < n; i++) {
        int cx, cy;
        cell_origin(&L, i, &cx, &cy);
        const int w = tiles[i].width * L.scale, h = tiles[i].height * L.scale;
        const int fx = cx + (L.cell_w - (w + 2)) / 2, fy = cy + (L.tile_h - h) / 2;
        frame(out, fx, fy, w + 2, h + 2, FRAME_GREY);
        blit(out, fx + 1, fy + 1, &tiles[i], L.scale, opts->tone);
    }
    if (labels && draw_labels(out, labels, n, &L) < 0) {
        image_free(out);
        return -1;
    }
    return 0;
}

int image_montage_png(const char *path, const image_t *tiles, const char *const *labels, int n,
                      const image_montage_opts_t *opts, int *width, int *height)
{
    image_t m;
    if (image_montage(tiles, labels, n, opts, &m) < 0)
        return error_prefix("%s", path);
    int rc = image_write_png(path, &m, 1, IMAGE_HIGH_LIGHT);
    if (width)
        *width = m.width;
    if (height)
        *height = m.height;
    image_free(&m);
    return rc;
}
