/* augment: making new training images from old ones. */
#ifndef NNMPI_AUGMENT_H
#define NNMPI_AUGMENT_H

#include <stdint.h>

/* Rotates src [h, w] by angle_deg about its centre into dst [h, w]; positive
 * turns the digit anticlockwise as displayed with row 0 at the top (+90 on a
 * square image: dst[r][c] = src[c][w-1-r], the top row becomes the left
 * column). Bilinear, with paper (value `fill`) wherever the sample point
 * falls outside [0, h-1] x [0, w-1], even slightly: the same as
 * scipy.ndimage.rotate(img, angle, reshape=False, order=1, mode='constant',
 * cval=fill) on the image as float, rounded to the nearest grey level (ties
 * to even, as numpy.rint). src and dst must not overlap; h * w below 2^30. */
void augment_rotate(const uint8_t *src, uint8_t *dst, int h, int w,
                    double angle_deg, uint8_t fill);

/* augment_rotate on n consecutive images [n, h, w] by one angle, byte for
 * byte the same, 2-3x faster (the sample grid is computed once, in 48 bytes
 * a pixel); 0, or -1 with a message if out of memory. */
int augment_rotate_many(const uint8_t *src, uint8_t *dst, int64_t n, int h, int w,
                        double angle_deg, uint8_t fill);

/* Parses an angle list such as "-10,10" or "" (no rotations) into angles
 * (at most max); returns the count or -1 with a message. */
int augment_parse_angles(const char *text, double *angles, int max);

#endif
