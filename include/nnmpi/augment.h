/* augment: making new training images from old ones. */
#ifndef NNMPI_AUGMENT_H
#define NNMPI_AUGMENT_H

#include <stdint.h>

/* Rotates src [h, w] by angle_deg (positive = anticlockwise as displayed)
 * about its centre into dst [h, w], bilinear, with paper (value `fill`)
 * outside: the same as scipy.ndimage.rotate(img, angle, reshape=False,
 * order=1, mode='constant', cval=fill), rounded to the nearest grey level.
 * src and dst must not overlap. */
void augment_rotate(const uint8_t *src, uint8_t *dst, int h, int w,
                    double angle_deg, uint8_t fill);

/* Parses an angle list such as "-10,10" or "" (no rotations) into angles
 * (at most max); returns the count or -1 with a message. */
int augment_parse_angles(const char *text, double *angles, int max);

#endif
