#include "nnmpi/imageset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

int imageset_alloc(imageset_t *set, int64_t count, int height, int width)
{
    *set = (imageset_t){0};
    if (count < 0 || height <= 0 || width <= 0)
        return error_set("cannot allocate %lld images of %d x %d pixels: sizes must be positive",
                         (long long)count, height, width);
    /* count * height * width must fit size_t (and int64_t, for the index
     * arithmetic of imageset_image) */
    uint64_t per_image = (uint64_t)height * (uint64_t)width;
    uint64_t limit = SIZE_MAX < INT64_MAX ? (uint64_t)SIZE_MAX : (uint64_t)INT64_MAX;
    if ((uint64_t)count > limit / per_image)
        return error_set("cannot allocate %lld images of %d x %d pixels: the size overflows",
                         (long long)count, height, width);
    size_t bytes = (size_t)count * (size_t)per_image;
    /* calloc(0) may return NULL; one byte keeps "allocated" non-NULL */
    uint8_t *pixels = calloc(bytes ? bytes : 1, 1);
    uint8_t *labels = calloc(count ? (size_t)count : 1, 1);
    if (!pixels || !labels) {
        free(pixels);
        free(labels);
        return error_set("out of memory for %lld images of %d x %d pixels (%zu bytes)",
                         (long long)count, height, width, bytes);
    }
    set->count = count;
    set->height = height;
    set->width = width;
    set->pixels = pixels;
    set->labels = labels;
    return 0;
}

void imageset_free(imageset_t *set)
{
    if (!set)
        return;
    free(set->pixels);
    free(set->labels);
    set->pixels = NULL;
    set->labels = NULL;
    set->count = 0;
}

int imageset_check_labels(const imageset_t *set, const char *what, int classes)
{
    if (!set->labels)
        return 0;
    for (int64_t i = 0; i < set->count; i++)
        if (set->labels[i] >= classes)
            return error_set("%s: label %d of image %lld is outside 0..%d", what,
                             set->labels[i], (long long)i, classes - 1);
    return 0;
}

int imageset_classes(const imageset_t *set)
{
    int top = -1;
    for (int64_t i = 0; set->labels && i < set->count; i++)
        top = set->labels[i] > top ? set->labels[i] : top;
    return top + 1;
}

int imageset_transpose(imageset_t *set)
{
    const int h = set->height, w = set->width;
    uint8_t *copy = malloc((size_t)h * (size_t)w); /* one image; both sides <= the readers' limits */
    if (!copy)
        return error_set("out of memory for a %d x %d image", h, w);
    for (int64_t i = 0; i < set->count; i++) {
        uint8_t *img = imageset_image(set, i);
        memcpy(copy, img, (size_t)h * (size_t)w);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[(size_t)x * h + y] = copy[(size_t)y * w + x];
    }
    free(copy);
    set->height = w;
    set->width = h;
    return 0;
}
