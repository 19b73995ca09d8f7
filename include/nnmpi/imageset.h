/* imageset: a set of labelled 8-bit images in memory, the common currency of
 * the readers (idx, csv), the dataset file and the evaluation. */
#ifndef NNMPI_IMAGESET_H
#define NNMPI_IMAGESET_H

#include <stdint.h>

typedef struct {
    int64_t count;       /* number of images */
    int height, width;   /* 28 x 28 for MNIST, up to 1024 x 1024 */
    uint8_t *pixels;     /* [count, height*width], row-major, 0 = paper */
    uint8_t *labels;     /* [count], 0..classes-1; NULL if the set has no labels */
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

/* Checks that every label is 0..classes-1; -1 naming `what` (the file)
 * and the first bad label. */
int imageset_check_labels(const imageset_t *set, const char *what, int classes);

/* 1 + the largest label (0 for a set without labels or images). */
int imageset_classes(const imageset_t *set);

/* Swaps every image's rows and columns (EMNIST stores its images
 * transposed); height and width swap too. 0, or -1 (out of memory). */
int imageset_transpose(imageset_t *set);

#endif
