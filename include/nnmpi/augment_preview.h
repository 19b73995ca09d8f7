/* augment_preview: what [augment] makes of one training row, as a picture
 * (`nnmpi augment-preview`): the row as stored, then what training shows
 * of it in epochs 1, 2, ..., count -- augment_live_apply with the run's
 * seed, so exactly training's images, a sample's distortion being a
 * function of (seed, epoch, row) alone -- as a grid of labelled tiles,
 * ink dark on white, written to a PNG.
 *
 * Nothing here prints or exits; 0, or -1 with a message in
 * error_message(). */
#ifndef NNMPI_AUGMENT_PREVIEW_H
#define NNMPI_AUGMENT_PREVIEW_H

#include <stdint.h>

#include "nnmpi/augment_live.h"

#define AUGMENT_PREVIEW_MAX_COUNT 256  /* draws in one picture */

/* What was drawn, for the caller's message. */
typedef struct {
    int label;          /* the row's class */
    int distorted;      /* epochs that distort it (the others show it as it is) */
    int width, height;  /* of the picture */
} augment_preview_t;

/* Writes png_path: training row `row` of the dataset at data_path, then its
 * distortions under p with seed in epochs 1..count (1 ..
 * AUGMENT_PREVIEW_MAX_COUNT). A row the file does not have is refused,
 * naming the file and its rows. */
int augment_preview_write(const char *data_path, int64_t row, int count,
                          const augment_live_params_t *p, uint64_t seed, const char *png_path,
                          augment_preview_t *result);

#endif
