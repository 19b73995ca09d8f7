/* augment_preview: one training row and its fresh distortions in a PNG
 * grid (augment_preview.h). */
#include "nnmpi/augment_preview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/image.h"

#define TILE_PIXELS 84 /* a tile's side, about: 28 x 28 digits enlarged 3 times */

/* The grid of the n images [n, h, w] (the original, then epochs 1..n-1;
 * distorted[e]: whether epoch e changed it) into path. */
static int write_grid(const char *path, const uint8_t *pixels, int n, int h, int w,
                      const uint8_t *distorted, augment_preview_t *result)
{
    image_t *tiles = calloc((size_t)n, sizeof *tiles);
    char (*text)[32] = calloc((size_t)n, sizeof *text);
    const char **labels = calloc((size_t)n, sizeof *labels);
    int rc = -1;
    if (!tiles || !text || !labels) {
        error_set("out of memory for the preview's %d tiles", n);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        tiles[i] = (image_t){h, w, (uint8_t *)pixels + (size_t)i * (size_t)h * (size_t)w};
        if (i == 0)
            snprintf(text[i], sizeof text[i], "original");
        else /* an epoch that shows the row as it is says so */
            snprintf(text[i], sizeof text[i], distorted[i] ? "epoch %d" : "%d: as is", i);
        labels[i] = text[i];
    }
    const int side = h > w ? h : w;
    image_montage_opts_t opts = {.columns = 0,
                                 .scale = side < TILE_PIXELS ? TILE_PIXELS / side : 1,
                                 .tone = IMAGE_HIGH_DARK};
    rc = image_montage_png(path, tiles, labels, n, &opts, &result->width, &result->height);
done:
    free(tiles);
    free(text);
    free(labels);
    return rc;
}

int augment_preview_write(const char *data_path, int64_t row, int count,
                          const augment_live_params_t *p, uint64_t seed, const char *png_path,
                          augment_preview_t *result)
{
    memset(result, 0, sizeof *result);
    if (count < 1 || count > AUGMENT_PREVIEW_MAX_COUNT)
        return error_set("a preview shows 1 to %d draws, not %d", AUGMENT_PREVIEW_MAX_COUNT,
                         count);
    imageset_t set;
    if (dataset_read_train_rows(data_path, row, 1, &set) < 0)
        return -1;
    const size_t size = (size_t)imageset_image_size(&set);
    uint8_t *pixels = malloc((size_t)(count + 1) * size); /* [count + 1, h, w] */
    uint8_t *distorted = calloc((size_t)count + 1, 1);     /* [count + 1] */
    augment_live_t live;
    int rc = -1;
    if (!pixels || !distorted) {
        error_set("out of memory for %d pictures of %d x %d", count + 1, set.width, set.height);
    } else if (augment_live_init(&live, p, set.height, set.width) == 0) {
        memcpy(pixels, set.pixels, size);
        for (int e = 1; e <= count; e++) {
            augment_live_apply(&live, seed, e, row, set.pixels, pixels + (size_t)e * size);
            distorted[e] = (uint8_t)augment_live_draw(p, seed, e, row).distort;
            result->distorted += distorted[e];
        }
        augment_live_free(&live);
        result->label = set.labels[0];
        rc = write_grid(png_path, pixels, count + 1, set.height, set.width, distorted, result);
    }
    free(pixels);
    free(distorted);
    imageset_free(&set);
    return rc;
}
