/* A whole augmented training set: the originals and their copies, written
 * straight into their shuffled places.
 *
 * Why this shape: 60,000 images with a dozen copies are half a gigabyte, so
 * nothing is made twice. Row perm[i * copies + c] of the output receives copy
 * c of original i (c = 0 the original, then the rotations, the shifts, the
 * elastic copies, the thicknesses, the scales, the gaps and the noise, in the
 * order of augment_spec_t), the same layout as before the later kinds
 * existed, so a file of rotations alone is the same as it always was.
 * Rotations go through augment_rotate_many a block of originals at a time
 * (its sample grid is computed once per angle and block) into a small buffer
 * that is then dealt out; every other copy is written in place. */
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/augment_live.h"
#include "nnmpi/error.h"
#include "nnmpi/rng.h"

#define BLOCK 512          /* originals rotated together: 392 KiB of 28x28 */
#define GAPS_STREAM 0x67617073ULL      /* "gaps" */
#define NOISE_STREAM 0x6e6f6973ULL     /* "nois" */

/* What every kind of copy needs to put its rows in place. */
typedef struct {
    const imageset_t *src;
    const augment_spec_t *spec;
    uint64_t seed;
    imageset_t *out;
    const uint32_t *perm;   /* [count * copies]: row of copy c of original i */
    int copies;
    int32_t *origin;        /* [rows] */
    float *angle;           /* [rows] */
    uint8_t *kind;          /* [rows] */
    size_t size;            /* pixels per image */
} maker_t;

/* Records copy c of original i in its row and returns the row's pixels;
 * img, if not NULL, is copied there. */
static uint8_t *place(const maker_t *m, int64_t i, int c, const uint8_t *img, float row_angle,
                      augment_kind_t row_kind)
{
    int64_t dst = m->perm[i * m->copies + c];
    uint8_t *row = imageset_image(m->out, dst);
    if (img)
        memcpy(row, img, m->size);
    m->out->labels[dst] = m->src->labels[i];
    m->origin[dst] = (int32_t)i;
    m->angle[dst] = row_angle;
    m->kind[dst] = (uint8_t)row_kind;
    return row;
}

/* The rotated copies, from copy *c on; buf holds BLOCK images. */
static int make_rotations(const maker_t *m, int *c, uint8_t *buf)
{
    const imageset_t *src = m->src;
    for (int a = 0; a < m->spec->n_angles; a++, (*c)++)
        for (int64_t first = 0; first < src->count; first += BLOCK) {
            int64_t nb = src->count - first < BLOCK ? src->count - first : BLOCK;
            if (augment_rotate_many(imageset_image(src, first), buf, nb, src->height,
                                    src->width, m->spec->angles[a], 0) < 0)
                return -1;
            for (int64_t k = 0; k < nb; k++)
                place(m, first + k, *c, buf + (size_t)k * m->size, (float)m->spec->angles[a],
                      AUGMENT_ROTATION);
        }
    return 0;
}

static void make_shifts(const maker_t *m, int *c)
{
    const imageset_t *src = m->src;
    for (int s = 0; s < m->spec->n_shifts; s++) {
        const int d = m->spec->shifts[s];
        const int dy[4] = {-d, d, 0, 0}, dx[4] = {0, 0, -d, d}; /* up, down, left, right */
        for (int dir = 0; dir < 4; dir++, (*c)++)
            for (int64_t i = 0; i < src->count; i++)
                augment_shift(imageset_image(src, i), place(m, i, *c, NULL, 0.0f, AUGMENT_SHIFT),
                              src->height, src->width, dy[dir], dx[dir], 0);
    }
}

/* Elastic copies from a bank: copy e of original i is [augment]'s image of
 * row i in epoch e + 1 with the same alpha, sigma, bank and seed. */
static int make_elastic_from_bank(const maker_t *m, int *c)
{
    const imageset_t *src = m->src;
    const augment_live_params_t p = {.alpha = m->spec->alpha, .sigma = m->spec->sigma,
                                     .probability = 1, .elastic_bank = m->spec->elastic_bank};
    augment_live_t live;
    if (augment_live_init(&live, &p, src->height, src->width) < 0)
        return -1;
    for (int e = 0; e < m->spec->elastic; e++, (*c)++)
        for (int64_t i = 0; i < src->count; i++)
            augment_live_apply(&live, m->seed, e + 1, i, imageset_image(src, i),
                               place(m, i, *c, NULL, 0.0f, AUGMENT_ELASTIC));
    augment_live_free(&live);
    return 0;
}

static int make_elastic(const maker_t *m, int *c)
{
    const imageset_t *src = m->src;
    if (!m->spec->elastic)
        return 0;
    if (m->spec->elastic_bank)
        return make_elastic_from_bank(m, c);
    augment_elastic_t elastic;
    if (augment_elastic_init(&elastic, src->height, src->width, m->spec->alpha,
                             m->spec->sigma) < 0)
        return -1;
    for (int e = 0; e < m->spec->elastic; e++, (*c)++)
        for (int64_t i = 0; i < src->count; i++) {
            rng_t field;
            rng_seed(&field, m->seed, rng_stream(AUGMENT_ELASTIC_STREAM, (uint64_t)i, (uint64_t)e));
            augment_elastic(&elastic, imageset_image(src, i),
                            place(m, i, *c, NULL, 0.0f, AUGMENT_ELASTIC), &field, 0);
        }
    augment_elastic_free(&elastic);
    return 0;
}

/* The thicker and thinner copies and the scaled ones; tmp holds an image. */
static void make_thickness_and_scales(const maker_t *m, int *c, uint8_t *tmp)
{
    const imageset_t *src = m->src;
    const int h = src->height, w = src->width;
    for (int t = 0; t < m->spec->n_thickness; t++, (*c)++)
        for (int64_t i = 0; i < src->count; i++)
            augment_thickness(imageset_image(src, i),
                              place(m, i, *c, NULL, 0.0f, AUGMENT_THICKNESS), tmp, h, w,
                              m->spec->thickness[t]);
    for (int s = 0; s < m->spec->n_scales; s++, (*c)++)
        for (int64_t i = 0; i < src->count; i++)
            augment_scale(imageset_image(src, i), place(m, i, *c, NULL, 0.0f, AUGMENT_SCALE), h,
                          w, m->spec->scales[s]);
}

/* The copies with gaps and the noisy ones, each drawn from a stream of
 * (seed, kind, original, copy number). */
static void make_gaps_and_noise(const maker_t *m, int *c)
{
    const imageset_t *src = m->src;
    const int h = src->height, w = src->width;
    for (int g = 0; g < m->spec->gaps + m->spec->noise; g++, (*c)++) {
        int gaps = g < m->spec->gaps;
        uint64_t copy = (uint64_t)(gaps ? g : g - m->spec->gaps);
        for (int64_t i = 0; i < src->count; i++) {
            rng_t rng;
            rng_seed(&rng, m->seed, rng_stream(gaps ? GAPS_STREAM : NOISE_STREAM, (uint64_t)i,
                                               copy));
            uint8_t *row = place(m, i, *c, NULL, 0.0f, gaps ? AUGMENT_GAPS : AUGMENT_NOISE);
            if (gaps)
                augment_gaps(imageset_image(src, i), row, h, w, &rng);
            else
                augment_noise(imageset_image(src, i), row, h, w, &rng);
        }
    }
}

/* Every copy of every original in its row. */
static int make_all(const maker_t *m, uint8_t *buf, uint8_t *tmp)
{
    int c = 0;
    for (int64_t i = 0; i < m->src->count; i++)
        place(m, i, c, imageset_image(m->src, i), 0.0f, AUGMENT_ORIGINAL);
    c++;
    if (make_rotations(m, &c, buf) < 0)
        return -1;
    make_shifts(m, &c);
    if (make_elastic(m, &c) < 0)
        return -1;
    make_thickness_and_scales(m, &c, tmp);
    make_gaps_and_noise(m, &c);
    return 0;
}

int augment_set_make(const imageset_t *src, const augment_spec_t *spec, uint64_t seed,
                     imageset_t *out, int32_t **origin, float **angle, uint8_t **kind)
{
    *origin = NULL;
    *angle = NULL;
    *kind = NULL;
    *out = (imageset_t){0};
    const int copies = augment_spec_copies(spec);
    const size_t size = (size_t)src->height * src->width;
    int64_t n = src->count * copies;
    if (n > (int64_t)UINT32_MAX || n > (int64_t)INT32_MAX)
        return error_set("%lld images with %d copies each are too many rows (at most %d)",
                         (long long)src->count, copies, INT32_MAX);
    if (imageset_alloc(out, n, src->height, src->width) < 0)
        return -1;
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    *origin = malloc((size_t)(n ? n : 1) * sizeof **origin);
    *angle = malloc((size_t)(n ? n : 1) * sizeof **angle);
    *kind = malloc((size_t)(n ? n : 1));
    uint8_t *buf = spec->n_angles ? malloc(BLOCK * size) : NULL;
    uint8_t *tmp = malloc(size ? size : 1); /* scratch of one image */
    int rc;
    if ((n && !perm) || !*origin || !*angle || !*kind || (spec->n_angles && !buf) || !tmp) {
        rc = error_set("out of memory for %lld training images", (long long)n);
    } else {
        for (int64_t j = 0; j < n; j++)
            perm[j] = (uint32_t)j;
        rng_t rng;
        rng_seed(&rng, seed, 0);
        rng_shuffle_u32(&rng, perm, (size_t)n);
        maker_t m = {.src = src, .spec = spec, .seed = seed, .out = out, .perm = perm,
                     .copies = copies, .origin = *origin, .angle = *angle, .kind = *kind,
                     .size = size};
        rc = make_all(&m, buf, tmp);
    }
    free(tmp);
    free(buf);
    free(perm);
    return rc;
}
