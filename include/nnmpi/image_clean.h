/* image_clean: the steps by which image_normalise_mnist finds the digit in
 * a real picture (a phone photo, chalk on a board, ruled paper, a hairline
 * on a large canvas) before it frames it like MNIST. Each step is a small
 * function with its own unit tests (tests/unit/test_image_clean.c):
 *
 *   image_work_copy       large pictures reduced to IMAGE_WORK_SIDE
 *   image_ink_map         polarity, background (shadows, smudges, coloured
 *                         paper) subtracted: ink strength 0 = paper
 *   image_ink_remove_lines  ruled and squared lines taken out
 *   image_ink_threshold   Otsu's threshold, guarded against a noise floor
 *   image_blobs_digit     connected components: the digit's pieces kept,
 *                         specks and far-away smudges dropped
 *   image_stroke_distance the exact distance transform
 *   image_stroke_width    the stroke width, from the distance transform
 *   image_stroke_redraw   the digit redrawn at MNIST's stroke width
 *
 * Files: src/image_ink.c (work copy, ink map, lines, threshold),
 * src/image_blobs.c, src/image_stroke.c. Every buffer is sized from an
 * image whose sides are checked (1..IMAGE_MAX_SIDE, or IMAGE_WORK_SIDE
 * after image_work_copy); functions return 0 or -1 with a message. */
#ifndef NNMPI_IMAGE_CLEAN_H
#define NNMPI_IMAGE_CLEAN_H

#include <stdint.h>

#include "nnmpi/image.h"

/* Longest side the cleaning steps work on: a larger picture is first
 * averaged down by a whole factor. Bounds the work buffers (about 10 bytes
 * a pixel) and keeps a 1000 x 1000 photo well under 50 ms. */
#define IMAGE_WORK_SIDE 1024

/* MNIST's typical stroke width in pixels of the 20-pixel box, as
 * image_stroke_width measures it on the 10,000 test digits binarised at
 * 128 (tests/tools/mnist_stroke_width: median 2.74, 5th percentile 2.09,
 * 95th 4.11; the 60,000 training digits: 2.70, 2.07, 3.98). Strokes outside
 * IMAGE_STROKE_MIN..IMAGE_STROKE_MAX are thickened or thinned to
 * IMAGE_STROKE_WIDTH. */
#define IMAGE_STROKE_WIDTH 2.7
#define IMAGE_STROKE_MIN 1.8
#define IMAGE_STROKE_MAX 4.5

/* An inclusive pixel box [y0, y1] x [x0, x1]. */
typedef struct {
    int y0, y1, x0, x1;
} image_box_t;

/* *out = in, or in averaged over f x f blocks (f the smallest whole factor
 * that brings the longer side to IMAGE_WORK_SIDE or less). *out is
 * allocated (image_free it); *factor receives f. */
int image_work_copy(const image_t *in, image_t *out, int *factor);

/* Ink strength [h, w] from luminance: 0 = paper, higher = more ink. The
 * paper's level is the median of each cell of a grid (about 24 cells on the
 * longer side, at least 4 pixels each), opened over 7 x 7 cells (so a cell
 * inside a thick stroke takes its neighbours' paper while a shadow's slope
 * stays), interpolated bilinearly between cell centres and subtracted: a
 * shadow, a smudged board or coloured paper leaves about 0. Both polarities
 * (dark ink on light paper, light chalk on a dark board) are computed; the
 * one whose ink stands out clearly further wins, and when they are close a
 * coarse grid's cells vote (the ink is the long tail on one side of a
 * cell's median). *ink is allocated; *dark_ink says which polarity won. */
int image_ink_map(const image_t *lum, image_t *ink, int *dark_ink);

/* Takes ruled and squared lines out of an ink map in place: a row (column)
 * whose 10th percentile stands above its neighbours' over a few rows is a
 * line across the page, and that excess is subtracted along it. A digit's
 * stroke never covers 90% of the width, so it stays. */
int image_ink_remove_lines(image_t *ink);

/* Otsu's threshold on the histogram of the ink map's nonzero pixels (so
 * the amount of empty paper around the digit does not move it), raised to
 * at least a third of the 99.9th percentile so a picture with little ink
 * does not split its paper noise instead. Returns 1..255. */
int image_ink_threshold(const image_t *ink);

/* The digit's pixels: the 8-connected components of ink >= t_lo that reach
 * t_hi somewhere (hysteresis: faint anti-aliased edges of a hairline stay
 * joined). The largest is the digit's seed; of the 64 next largest, each
 * holding at least 2% of the seed's pixels, those whose box lies within a
 * quarter of the digit's box size of it join it (the pieces of a broken
 * stroke, a separate bar of a 7 or 5), repeatedly. Everything else (specks,
 * grain, a smudge in a corner) is dropped. *mask [h, w] is allocated: 1 for
 * the digit, 0 else; *box is its bounding box. -1 if no pixel reaches t_hi. */
int image_blobs_digit(const image_t *ink, int t_lo, int t_hi, image_t *mask, image_box_t *box);

/* Euclidean distance [h, w] from each pixel of mask whose value is `from`
 * (0 or nonzero) to the nearest pixel of the other value (Felzenszwalb and
 * Huttenlocher's exact transform); 0 for the other pixels. Pixels with no
 * other value anywhere get a distance beyond the picture's diagonal. The
 * picture's edge is not paper: leave a margin around ink that touches it. */
int image_stroke_distance(const image_t *mask, int from, float *dist);

/* Stroke width of the mask's ink: for a band of width w whose pixels lie at
 * distances 1, 2, ... from the paper, the mean distance is about w/4 + 1/2,
 * so w = 4 (mean - 1/2). *width = 0 for an empty mask. */
int image_stroke_width(const image_t *mask, double *width);

/* The digit of `mask` (its pixels inside box) drawn again with MNIST's
 * stroke width: measured (*width, in pixels of the picture), and if it is
 * outside IMAGE_STROKE_MIN..IMAGE_STROKE_MAX once the digit's longer side is
 * scaled to 20, widened or narrowed by the distance transform to
 * IMAGE_STROKE_WIDTH, with soft edges. Otherwise the ink as it was, on and
 * next to the mask only. *out (allocated) covers box and a margin for the
 * growth: 0 = paper, 255 = the strokes' core. */
int image_stroke_redraw(const image_t *ink, const image_t *mask, const image_box_t *box,
                        image_t *out, double *width);

#endif
