/* augment_live: distortions drawn afresh for every sample of every epoch,
 * while training reads it ([augment] in the training configuration) --
 * instead of copies stored once by `nnmpi prepare`.
 *
 * A sample's distortion is a function of (seed, epoch, global row) only, so
 * sync mode still sees the same global batch on any number of ranks, and a
 * resumed run the same samples as an uninterrupted one. The distortions
 * are prepare's own (augment.h): rotation as scipy does it (with the shear,
 * one warp), whole-pixel shifts, Simard's elastic field, prepare's stroke
 * thickness and scale -- one implementation for both.
 *
 * Nothing here prints or exits; fallible functions return 0 or -1 with a
 * message in error_message(). */
#ifndef NNMPI_AUGMENT_LIVE_H
#define NNMPI_AUGMENT_LIVE_H

#include <stdint.h>

#include "nnmpi/augment.h"

/* What to draw for each sample. A sample is distorted with probability
 * `probability`; then, in this order, its strokes thickened or thinned by
 * an amount uniform in [-stroke, stroke] (augment_thickness), scaled by
 * 1 + s/100, s uniform in [-scale, scale] percent (augment_scale: about
 * the centre of mass), slanted by a shear uniform in [-shear, shear]
 * degrees and rotated by an angle uniform in [-rotate, rotate] degrees
 * (both one augment_affine warp), shifted by whole pixels uniform in
 * [-shift, shift] down and across, and, with alpha > 0, elastically
 * distorted (alpha, sigma). A zero key skips its step. */
typedef struct {
    double rotate;
    int shift;
    double alpha, sigma;
    double probability;
    double scale;   /* percent, 0..AUGMENT_MAX_SCALE */
    double shear;   /* degrees, 0..AUGMENT_MAX_SHEAR */
    double stroke;  /* pixels of augment_thickness, 0..AUGMENT_MAX_THICKNESS */
    /* 0: prepare's way, a fresh elastic field and a resampling for each
     * distortion; N: fields from a bank of N (augment_bank_t) and scale,
     * shear, rotation, shift and field in one resampling (stroke stays
     * its own step) -- other bytes, several times faster */
    int elastic_bank;
} augment_live_params_t;

/* Whether p distorts anything. */
int augment_live_active(const augment_live_params_t *p);

/* p in a few words, the keys that distort, e.g. "rotate 8, shift 1,
 * elastic 20/4, probability 0.7" ("" when none does); into buf[size]. */
void augment_live_describe(const augment_live_params_t *p, char *buf, size_t size);

/* One user's state (a rank's, a thread's): scratch and the elastic kernel. */
typedef struct {
    augment_live_params_t p;
    int h, w;
    augment_elastic_t elastic;
    augment_bank_t bank;   /* with p.elastic_bank */
    uint8_t *tmp;   /* [2, h, w]: a step's input; augment_thickness's scratch */
} augment_live_t;

int augment_live_init(augment_live_t *a, const augment_live_params_t *p, int h, int w);
void augment_live_free(augment_live_t *a);

/* What is drawn for a sample: whether it is distorted, the angle, the
 * shift, the scale (percent), the shear (degrees), the stroke change
 * (pixels) and, with a bank, which field, where and which sign, in that
 * order, every one but the bank's whether used or not (a fresh elastic
 * field is drawn in augment_live_apply). */
typedef struct {
    int distort;
    double angle;
    int dy, dx;
    double scale, shear, stroke;
    int field, field_y, field_x, field_sign;
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
