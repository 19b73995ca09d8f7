/* montage: a labelled grid of small images on white, e.g. the ten
 * back-query digits or the normalised own images a model was asked about.
 *
 * Layout of one cell (all sizes in output pixels):
 *
 *   +--------+   1-pixel grey frame around the tile (so a tile whose
 *   | tile   |   background is white still shows where it ends)
 *   +--------+
 *     label      dark text, centred under the tile
 */
#include <math.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"

#define FRAME_GREY 160

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

int image_montage(const image_t *tiles, const char *const *labels, int n,
                  const image_montage_opts_t *opts, image_t *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1)
        return error_set("a montage needs at least one image");
    const int scale = opts->scale > 0 ? opts->scale : 1;
    int columns = opts->columns > 0 ? opts->columns : (int)ceil(sqrt((double)n));
    if (columns > n)
        columns = n;
    const int rows = (n + columns - 1) / columns;

    /* cell size from the largest tile and the longest label; every size is
     * checked against IMAGE_MAX_SIDE before it is multiplied further */
    int tile_w = 0, tile_h = 0;
    for (int i = 0; i < n; i++) {
        if (!tiles[i].pixels || tiles[i].width < 1 || tiles[i].height < 1)
            return error_set("montage: image %d is empty", i);
        if (tiles[i].width > IMAGE_MAX_SIDE / scale || tiles[i].height > IMAGE_MAX_SIDE / scale)
            return error_set("montage: image %d (%d x %d) enlarged %d times is too large",
                             i, tiles[i].width, tiles[i].height, scale);
        if (tiles[i].width * scale > tile_w)
            tile_w = tiles[i].width * scale;
        if (tiles[i].height * scale > tile_h)
            tile_h = tiles[i].height * scale;
    }
    /* text grows with the tiles so labels stay readable next to them */
    int text_scale = 1 + tile_h / 100;
    if (text_scale > 4)
        text_scale = 4;
    int label_w = 0;
    for (int i = 0; labels && i < n; i++)
        if (labels[i]) {
            int lw = image_text_width(labels[i], text_scale);
            if (lw > IMAGE_MAX_SIDE)
                return error_set("montage: label %d is too long", i);
            if (lw > label_w)
                label_w = lw;
        }
    const int pad = 4 * text_scale;
    const int gap = 2 * text_scale;   /* between tile and label */
    const int label_h = labels ? gap + IMAGE_FONT_HEIGHT * text_scale : 0;
    const int cell_w = tile_w + 2 > label_w ? tile_w + 2 : label_w;
    const int cell_h = tile_h + 2 + label_h;
    const long width = pad + (long)columns * (cell_w + pad);
    const long height = pad + (long)rows * (cell_h + pad);
    if (width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
        return error_set("montage: %d images in %d columns would make a %ld x %ld picture, "
                         "over the limit of %d on a side", n, columns, width, height,
                         IMAGE_MAX_SIDE);
    if (image_alloc(out, (int)height, (int)width) < 0)
        return -1;
    memset(out->pixels, 255, (size_t)width * (size_t)height);

    for (int i = 0; i < n; i++) {
        const int cx = pad + (i % columns) * (cell_w + pad);
        const int cy = pad + (i / columns) * (cell_h + pad);
        const int w = tiles[i].width * scale, h = tiles[i].height * scale;
        const int fx = cx + (cell_w - (w + 2)) / 2;
        const int fy = cy + (tile_h - h) / 2;
        frame(out, fx, fy, w + 2, h + 2, FRAME_GREY);
        blit(out, fx + 1, fy + 1, &tiles[i], scale, opts->tone);
        if (labels && labels[i]) {
            const int lw = image_text_width(labels[i], text_scale);
            image_draw_text(out, cx + (cell_w - lw) / 2, cy + tile_h + 2 + gap,
                            labels[i], text_scale, 0);
        }
    }
    return 0;
}
