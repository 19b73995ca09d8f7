/* imageset: a set of labelled 8-bit images in memory, the common currency of
 * the readers (idx, csv), the dataset file and the evaluation. */
#ifndef NNMPI_IMAGESET_H
#define NNMPI_IMAGESET_H

#include <stdint.h>

typedef struct {
    int64_t count;       /* number of images */
    int height, width;   /* 28 x 28 for MNIST */
    uint8_t *pixels;     /* [count, height*width], row-major, 0 = paper */
    uint8_t *labels;     /* [count], 0..9; NULL if the set has no labels */
} imageset_t;

/* Allocates pixels and labels for count images (zeroed); checks the size
 * multiplication for overflow. 0 or -1 with a message. */
int imageset_alloc(imageset_t *set, int64_t count, int height, int width);

/* Frees both buffers; safe on a zeroed struct and twice. */
void imageset_free(imageset_t *set);

/* Pixels per image. */
static inline int64_t imageset_image_size(const imageset_t *set)
{
    return (int64_t)set->height * set->width;
}

/* Pointer to image i. */
static inline uint8_t *imageset_image(const imageset_t *set, int64_t i)
{
    return set->pixels + i * imageset_image_size(set);
}

/* Checks that every label is 0..9; -1 naming the first bad one. */
int imageset_check_labels(const imageset_t *set, const char *what);

#endif
