/* A whole augmented training set: the originals and their copies, written
 * straight into their shuffled places.
 *
 * Why this shape: 60,000 images with a dozen copies are half a gigabyte, so
 * nothing is made twice. Row perm[i * copies + c] of the output receives copy
 * c of original i (c = 0 the original, then the rotations, the shifts and the
 * elastic copies in the order of augment_spec_t), the same layout as before
 * shifts and elastic copies existed, so a file of rotations alone is the same
 * as it always was. Rotations go through augment_rotate_many a block of
 * originals at a time (its sample grid is computed once per angle and block)
 * into a small buffer that is then dealt out; shifts and elastic copies are
 * written in place. */
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/error.h"
#include "nnmpi/rng.h"

#define BLOCK 512          /* originals rotated together: 392 KiB of 28x28 */

/* Puts copy c of original i, already in img, in its row. */
static void place(imageset_t *out, const uint32_t *perm, int copies, const imageset_t *src,
                  int64_t i, int c, const uint8_t *img, int32_t *origin, float *angle,
                  uint8_t *kind, float row_angle, augment_kind_t row_kind)
{
    int64_t dst = perm[i * copies + c];
    if (img)
        memcpy(imageset_image(out, dst), img, (size_t)imageset_image_size(src));
    out->labels[dst] = src->labels[i];
    origin[dst] = (int32_t)i;
    angle[dst] = row_angle;
    kind[dst] = (uint8_t)row_kind;
}

int augment_set_make(const imageset_t *src, const augment_spec_t *spec, uint64_t seed,
                     imageset_t *out, int32_t **origin, float **angle, uint8_t **kind)
{
    *origin = NULL;
    *angle = NULL;
    *kind = NULL;
    *out = (imageset_t){0};
    const int copies = augment_spec_copies(spec);
    const int h = src->height, w = src->width;
    const size_t size = (size_t)h * w;
    int64_t n = src->count * copies;
    if (n > (int64_t)UINT32_MAX || n > (int64_t)INT32_MAX)
        return error_set("%lld images with %d copies each are too many rows (at most %d)",
                         (long long)src->count, copies, INT32_MAX);
    if (imageset_alloc(out, n, h, w) < 0)
        return -1;
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    *origin = malloc((size_t)(n ? n : 1) * sizeof **origin);
    *angle = malloc((size_t)(n ? n : 1) * sizeof **angle);
    *kind = malloc((size_t)(n ? n : 1));
    uint8_t *buf = spec->n_angles ? malloc(BLOCK * size) : NULL;
    augment_elastic_t elastic = {0};
    int rc = 0;
    if ((n && !perm) || !*origin || !*angle || !*kind || (spec->n_angles && !buf)) {
        rc = error_set("out of memory for %lld training images", (long long)n);
        goto done;
    }
    if (spec->elastic &&
        augment_elastic_init(&elastic, h, w, spec->alpha, spec->sigma) < 0) {
        rc = -1;
        goto done;
    }
    for (int64_t j = 0; j < n; j++)
        perm[j] = (uint32_t)j;
    rng_t rng;
    rng_seed(&rng, seed, 0);
    rng_shuffle_u32(&rng, perm, (size_t)n);

    int c = 0;
    for (int64_t i = 0; i < src->count; i++)
        place(out, perm, copies, src, i, c, imageset_image(src, i), *origin, *angle, *kind, 0.0f,
              AUGMENT_ORIGINAL);
    c++;
    for (int a = 0; a < spec->n_angles; a++, c++)
        for (int64_t first = 0; first < src->count; first += BLOCK) {
            int64_t nb = src->count - first < BLOCK ? src->count - first : BLOCK;
            if (augment_rotate_many(imageset_image(src, first), buf, nb, h, w, spec->angles[a],
                                    0) < 0) {
                rc = -1;
                goto done;
            }
            for (int64_t k = 0; k < nb; k++)
                place(out, perm, copies, src, first + k, c, buf + (size_t)k * size, *origin,
                      *angle, *kind, (float)spec->angles[a], AUGMENT_ROTATION);
        }
    for (int s = 0; s < spec->n_shifts; s++) {
        const int d = spec->shifts[s];
        const int dy[4] = {-d, d, 0, 0}, dx[4] = {0, 0, -d, d}; /* up, down, left, right */
        for (int dir = 0; dir < 4; dir++, c++)
            for (int64_t i = 0; i < src->count; i++) {
                place(out, perm, copies, src, i, c, NULL, *origin, *angle, *kind, 0.0f,
                      AUGMENT_SHIFT);
                augment_shift(imageset_image(src, i), imageset_image(out, perm[i * copies + c]),
                              h, w, dy[dir], dx[dir], 0);
            }
    }
    for (int e = 0; e < spec->elastic; e++, c++)
        for (int64_t i = 0; i < src->count; i++) {
            rng_t field;
            rng_seed(&field, seed, rng_stream(AUGMENT_ELASTIC_STREAM, (uint64_t)i, (uint64_t)e));
            place(out, perm, copies, src, i, c, NULL, *origin, *angle, *kind, 0.0f,
                  AUGMENT_ELASTIC);
            augment_elastic(&elastic, imageset_image(src, i),
                            imageset_image(out, perm[i * copies + c]), &field, 0);
        }
done:
    augment_elastic_free(&elastic);
    free(buf);
    free(perm);
    return rc;
}
