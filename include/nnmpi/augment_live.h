/* augment_live: distortions drawn afresh for every sample of every epoch,
 * while training reads it ([augment] in the training configuration) --
 * instead of copies stored once by `nnmpi prepare`.
 *
 * A sample's distortion is a function of (seed, epoch, global row) only, so
 * sync mode still sees the same global batch on any number of ranks, and a
 * resumed run the same samples as an uninterrupted one. The distortions
 * are prepare's own (augment.h): rotation as scipy does it, whole-pixel
 * shifts, Simard's elastic field -- one implementation for both.
 *
 * Nothing here prints or exits; fallible functions return 0 or -1 with a
 * message in error_message(). */
#ifndef NNMPI_AUGMENT_LIVE_H
#define NNMPI_AUGMENT_LIVE_H

#include <stdint.h>

#include "nnmpi/augment.h"

/* What to draw for each sample. A sample is distorted with probability
 * `probability`; then rotated by an angle uniform in [-rotate, rotate]
 * degrees, shifted by whole pixels uniform in [-shift, shift] down and
 * across, and, with alpha > 0, elastically distorted (alpha, sigma). */
typedef struct {
    double rotate;
    int shift;
    double alpha, sigma;
    double probability;
} augment_live_params_t;

/* Whether p distorts anything. */
int augment_live_active(const augment_live_params_t *p);

/* One user's state (a rank's, a thread's): scratch and the elastic kernel. */
typedef struct {
    augment_live_params_t p;
    int h, w;
    augment_elastic_t elastic;
    uint8_t *tmp;   /* [h, w] */
} augment_live_t;

int augment_live_init(augment_live_t *a, const augment_live_params_t *p, int h, int w);
void augment_live_free(augment_live_t *a);

/* What is drawn for a sample: whether it is distorted, the angle and the
 * shift (the elastic field is drawn in augment_live_apply). */
typedef struct {
    int distort;
    double angle;
    int dy, dx;
} augment_live_draw_t;

augment_live_draw_t augment_live_draw(const augment_live_params_t *p, uint64_t seed, int epoch,
                                      int64_t row);

/* dst [h, w] = the distortion of sample `row` (its global index) in
 * `epoch`, of src [h, w] (not overlapping dst). */
void augment_live_apply(augment_live_t *a, uint64_t seed, int epoch, int64_t row,
                        const uint8_t *src, uint8_t *dst);

/* (The elastic field of the draw for (seed, epoch, row) comes from the
 * stream rng_stream(AUGMENT_ELASTIC_STREAM, row, epoch - 1) of seed: the
 * one prepare draws copy epoch - 1 of original row from, so both give the
 * same field for the same numbers.) */

#endif
