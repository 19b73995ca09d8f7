#ifndef NNMPI_PNGOUT_H
#define NNMPI_PNGOUT_H

#include <stdint.h>

/* The one libpng writer behind image_write_png (grey pictures) and
 * plot_write_png (RGB charts). */

/* Fills row y (0-based, top first) of the picture into row
 * [width * channels]. */
typedef void (*pngout_row_fn)(void *ctx, int y, uint8_t *row);

/* Writes a width x height 8-bit PNG with channels 1 (grey) or 3 (RGB) to
 * path, asking rows() for each row. On failure (-1) the message names path
 * and the reason (a full disk included), and no partial file is left. */
int pngout_write(const char *path, int width, int height, int channels, pngout_row_fn rows,
                 void *ctx);

#endif
