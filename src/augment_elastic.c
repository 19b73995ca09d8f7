/* Elastic distortion (augment.h), Simard et al. 2003, made fast without
 * changing a byte of what the first, plain implementation gave (prepare's
 * files were made with it; tests/unit/test_augment_fast.c keeps it and
 * compares):
 *
 * - the Gaussian smoothing is the plain one's arithmetic exactly: each
 *   output is 0.0f plus k[j] * input, one float multiply and one float add
 *   per tap, taps in ascending order, the taps outside the image left out.
 *   Only the order in which outputs are computed changes: both fields are
 *   smoothed at once, with 8 outputs per vector operation. For that the
 *   draws are stored transposed (one row per image column: its dy column,
 *   then its dx column), so that the smoothing along image rows runs down
 *   the rows of that array; one transpose later, the smoothing along image
 *   columns runs down rows too. CMakeLists.txt builds this file with
 *   -ffp-contract=off, so no compiler may fuse a multiply and an add;
 * - the sampling computes the same doubles as before, with floor() done
 *   by a conversion (exact: |y| < 2^31) and the border tests only where a
 *   neighbour may lie outside. */
#include "nnmpi/augment.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

enum { LANES = 8, BLOCK = 4 * LANES };
typedef float lanes_t __attribute__((vector_size(LANES * sizeof(float))));

static int round_up_block(int n)
{
    return (n + BLOCK - 1) / BLOCK * BLOCK;
}

/* n floats, zeroed (padding lanes stay 0), aligned for lanes_t. */
static float *alloc_lanes(size_t n)
{
    size_t bytes = (n * sizeof(float) + sizeof(lanes_t) - 1) / sizeof(lanes_t) * sizeof(lanes_t);
    float *p = aligned_alloc(sizeof(lanes_t), bytes ? bytes : sizeof(lanes_t));
    if (p)
        memset(p, 0, bytes);
    return p;
}

int augment_elastic_init(augment_elastic_t *e, int h, int w, double alpha, double sigma)
{
    memset(e, 0, sizeof *e);
    if (h <= 0 || w <= 0 || (int64_t)h * w > INT32_MAX / 4 || h > INT32_MAX / 4 ||
        w > INT32_MAX / 4)
        return error_set("elastic distortion of %d x %d images: bad size", h, w);
    if (!(alpha >= 0.0 && alpha <= 1000.0))
        return error_set("elastic distortion: alpha %g must be a number from 0 to 1000", alpha);
    if (!(sigma >= 0.0 && sigma <= 100.0))
        return error_set("elastic distortion: sigma %g must be a number from 0 to 100", sigma);
    e->h = h;
    e->w = w;
    e->alpha = alpha;
    e->sigma = sigma;
    /* scipy.ndimage.gaussian_filter's default truncation: int(4 sigma + 0.5) */
    e->radius = (int)(4.0 * sigma + 0.5);
    e->stride_t = round_up_block(2 * h);
    e->stride = round_up_block(2 * w);
    size_t taps = 2 * (size_t)e->radius + 1, size = (size_t)h * w;
    size_t work = (size_t)w * e->stride_t > (size_t)h * e->stride ? (size_t)w * e->stride_t
                                                                  : (size_t)h * e->stride;
    e->kernel = malloc(taps * sizeof *e->kernel);
    e->field = malloc(2 * size * sizeof *e->field);
    e->work[0] = alloc_lanes(work);
    e->work[1] = alloc_lanes(work);
    if (!e->kernel || !e->field || !e->work[0] || !e->work[1]) {
        augment_elastic_free(e);
        return error_set("out of memory for the elastic distortion of %d x %d images", h, w);
    }
    double sum = 0.0;
    for (int k = -e->radius; k <= e->radius; k++)
        sum += e->kernel[k + e->radius] =
            e->radius ? (float)exp(-0.5 * k * k / (sigma * sigma)) : 1.0f;
    for (size_t k = 0; k < taps; k++)
        e->kernel[k] = (float)(e->kernel[k] / sum);
    return 0;
}

void augment_elastic_free(augment_elastic_t *e)
{
    free(e->kernel);
    free(e->field);
    free(e->work[0]);
    free(e->work[1]);
    memset(e, 0, sizeof *e);
}

/* out row o = the sum over j ascending of k[j] * in row (o + j), rows
 * outside 0..n-1 left out: the plain blur's order and roundings, for every
 * lane of the rows at once. in, out [n, stride], stride a multiple of
 * BLOCK; k [-R..R]. Four independent sums at a time, held in registers, so
 * that the adds do not wait for each other. Cloned for AVX2 (ifunc): the
 * same float operations, 8 lanes an instruction instead of 4. */
__attribute__((target_clones("avx2", "default")))
static void smooth_down(const float *k, int R, const float *in, float *out, int n, int stride)
{
    for (int o = 0; o < n; o++) {
        int lo = o - R < 0 ? -o : -R, hi = o + R >= n ? n - 1 - o : R;
        for (int b = 0; b < stride; b += BLOCK) {
            lanes_t a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            for (int j = lo; j <= hi; j++) {
                const lanes_t *row = (const lanes_t *)(in + (size_t)(o + j) * stride + b);
                const float kf = k[j];
                const lanes_t kj = {kf, kf, kf, kf, kf, kf, kf, kf};
                a0 = a0 + kj * row[0];
                a1 = a1 + kj * row[1];
                a2 = a2 + kj * row[2];
                a3 = a3 + kj * row[3];
            }
            lanes_t *acc = (lanes_t *)(out + (size_t)o * stride + b);
            acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
        }
    }
}

/* Draws both fields (dy then dx, each row by row, 2 h w draws: the plain
 * order) into e->field and smooths them there. */
static void draw_smooth_fields(augment_elastic_t *e, rng_t *rng)
{
    const int h = e->h, w = e->w, st = e->stride_t, s = e->stride, R = e->radius;
    float *a = e->work[0], *b = e->work[1];
    /* a [w, st]: row c holds dy[0..h-1][c] then dx[0..h-1][c] */
    for (int f = 0; f < 2; f++)
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
                a[(size_t)c * st + (size_t)f * h + r] = (float)(2.0 * rng_uniform(rng) - 1.0);
    smooth_down(e->kernel + R, R, a, b, w, st); /* along image rows */
    /* a [h, s]: row r holds dy[r][0..w-1] then dx[r][0..w-1] */
    for (int c = 0; c < w; c++)
        for (int f = 0; f < 2; f++)
            for (int r = 0; r < h; r++)
                a[(size_t)r * s + (size_t)f * w + c] = b[(size_t)c * st + (size_t)f * h + r];
    smooth_down(e->kernel + R, R, a, b, h, s); /* along image columns */
    for (int f = 0; f < 2; f++)
        for (int r = 0; r < h; r++)
            memcpy(e->field + ((size_t)f * h + r) * w, b + (size_t)r * s + (size_t)f * w,
                   (size_t)w * sizeof(float));
}

static inline double pixel_or_fill(const uint8_t *src, int h, int w, int r, int c, uint8_t fill)
{
    return r >= 0 && r < h && c >= 0 && c < w ? src[(size_t)r * w + c] : fill;
}

/* floor(v) as an int, for |v| < 2^31 (not NaN): a conversion, not a libm
 * call (baseline x86-64 has no rounding instruction). */
static inline int floor_int(double v)
{
    int i = (int)v;
    return i - (i > v);
}

/* v rounded to a grey level as the plain implementation did (254.5 and up
 * 255, 0 and below 0, else (uint8_t)(v + 0.5)), without a branch: the
 * clamps become maxsd/minsd, and whether a pixel is paper, ink or edge is
 * too random for the branch predictor. */
static inline uint8_t round_grey(double v)
{
    double c = v > 0.0 ? v : 0.0;
    c = c < 254.5 ? c : 254.5;
    return (uint8_t)(int)(c + 0.5);
}

/* dst (r, c) = src sampled at (r + alpha dy, c + alpha dx), bilinear,
 * rounded: the plain implementation's doubles, in its order. */
static void sample_displaced(const augment_elastic_t *e, const uint8_t *src, uint8_t *dst,
                             uint8_t fill)
{
    const int h = e->h, w = e->w;
    const float *fy = e->field, *fx = e->field + (size_t)h * w;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            size_t i = (size_t)r * w + c;
            double y = r + e->alpha * fy[i], x = c + e->alpha * fx[i];
            /* alpha <= 1000 and |field| <= 1: |y|, |x| < 2^31 */
            int iy = floor_int(y), ix = floor_int(x);
            double wy = y - iy, wx = x - ix;
            double p00, p01, p10, p11;
            if ((unsigned)iy < (unsigned)(h - 1) && (unsigned)ix < (unsigned)(w - 1)) {
                const uint8_t *p = src + (size_t)iy * w + ix;
                if ((p[0] | p[1] | p[w] | p[w + 1]) == 0) { /* paper: v is +0 */
                    dst[i] = 0;
                    continue;
                }
                p00 = p[0], p01 = p[1], p10 = p[w], p11 = p[w + 1];
            } else {
                p00 = pixel_or_fill(src, h, w, iy, ix, fill);
                p01 = pixel_or_fill(src, h, w, iy, ix + 1, fill);
                p10 = pixel_or_fill(src, h, w, iy + 1, ix, fill);
                p11 = pixel_or_fill(src, h, w, iy + 1, ix + 1, fill);
            }
            double top = (1.0 - wx) * p00 + wx * p01;
            double bottom = (1.0 - wx) * p10 + wx * p11;
            double v = (1.0 - wy) * top + wy * bottom;
            dst[i] = round_grey(v);
        }
}

const float *augment_elastic_field(augment_elastic_t *e, rng_t *rng)
{
    draw_smooth_fields(e, rng);
    return e->field;
}

void augment_elastic(augment_elastic_t *e, const uint8_t *src, uint8_t *dst, rng_t *rng,
                     uint8_t fill)
{
    draw_smooth_fields(e, rng);
    sample_displaced(e, src, dst, fill);
}
