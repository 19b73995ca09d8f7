/* augment: the fast rotation and elastic distortion give, byte for byte,
 * what their first, plain implementations gave (kept below as the
 * reference, verbatim but for names), on thousands of random images,
 * angles, seeds, sizes and sigmas -- prepare's files and the book's records
 * were made with those, and the rotation is scipy's. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/rng.h"
#include "testutil.h"

/* ---- the reference: src/augment.c as of commit 4829a0f ---- */

static void ref_sincos_deg(double deg, double *s, double *c)
{
    const double rad_per_deg = 0.017453292519943295769;
    double r = fmod(fabs(deg), 360.0);
    if (isnan(r)) {
        *s = *c = NAN;
        return;
    }
    double q = floor((r + 45.0) / 90.0);
    double x = (r - 90.0 * q) * rad_per_deg;
    double sx = sin(x), cx = cos(x);
    switch ((int)q & 3) {
    case 0: *s = sx; *c = cx; break;
    case 1: *s = cx; *c = -sx; break;
    case 2: *s = -sx; *c = -cx; break;
    default: *s = -cx; *c = sx; break;
    }
    if (deg < 0)
        *s = -*s;
}

static void ref_rotate(const uint8_t *src, uint8_t *dst, int h, int w, double angle_deg,
                       uint8_t fill)
{
    double s, c;
    ref_sincos_deg(angle_deg, &s, &c);
    double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
    double off_r = cy - (c * cy + s * cx), off_c = cx - (-s * cy + c * cx);
    for (int r = 0; r < h; r++)
        for (int col = 0; col < w; col++) {
            double y = (r * c + col * s) + off_r;
            double x = (r * -s + col * c) + off_c;
            if (!(y >= 0.0 && y <= h - 1 && x >= 0.0 && x <= w - 1)) {
                *dst++ = fill;
                continue;
            }
            int y0 = (int)y, x0 = (int)x;
            int down = y0 + 1 < h ? w : 0, right = x0 + 1 < w ? 1 : 0;
            double wy0 = 1.0 - (y - y0), wy1 = 1.0 - wy0;
            double wx0 = 1.0 - (x - x0), wx1 = 1.0 - wx0;
            const uint8_t *p = src + y0 * w + x0, *q = p + down;
            double t = p[0] * wy0 * wx0 + p[right] * wy0 * wx1 + q[0] * wy1 * wx0 +
                       q[right] * wy1 * wx1;
            t = (t + 0x1p52) - 0x1p52;
            *dst++ = t >= 255.0 ? 255 : (uint8_t)t;
        }
}

typedef struct {
    int h, w, radius;
    double alpha;
    float kernel[2 * 400 + 1], field[2][64 * 64], tmp[64 * 64];
} ref_elastic_t;

static void ref_elastic_init(ref_elastic_t *e, int h, int w, double alpha, double sigma)
{
    e->h = h;
    e->w = w;
    e->alpha = alpha;
    e->radius = (int)(4.0 * sigma + 0.5);
    double sum = 0.0;
    for (int k = -e->radius; k <= e->radius; k++)
        sum += e->kernel[k + e->radius] =
            e->radius ? (float)exp(-0.5 * k * k / (sigma * sigma)) : 1.0f;
    for (int k = 0; k < 2 * e->radius + 1; k++)
        e->kernel[k] = (float)(e->kernel[k] / sum);
}

static void ref_blur(ref_elastic_t *e, float *field)
{
    const int h = e->h, w = e->w, R = e->radius;
    const float *k = e->kernel + R;
    for (int r = 0; r < h; r++) {
        const float *in = field + (size_t)r * w;
        float *out = e->tmp + (size_t)r * w;
        for (int c = 0; c < w; c++)
            out[c] = 0.0f;
        for (int j = -R; j <= R; j++) {
            int lo = j < 0 ? -j : 0, hi = j > 0 ? w - j : w;
            float kj = k[j];
            for (int c = lo; c < hi; c++)
                out[c] += kj * in[c + j];
        }
    }
    for (int r = 0; r < h; r++) {
        int lo = r - R < 0 ? -r : -R, hi = r + R >= h ? h - 1 - r : R;
        float *out = field + (size_t)r * w;
        for (int c = 0; c < w; c++)
            out[c] = 0.0f;
        for (int j = lo; j <= hi; j++) {
            const float *in = e->tmp + (size_t)(r + j) * w;
            float kj = k[j];
            for (int c = 0; c < w; c++)
                out[c] += kj * in[c];
        }
    }
}

static double ref_pixel(const uint8_t *src, int h, int w, int r, int c, uint8_t fill)
{
    return r >= 0 && r < h && c >= 0 && c < w ? src[(size_t)r * w + c] : fill;
}

static void ref_elastic(ref_elastic_t *e, const uint8_t *src, uint8_t *dst, rng_t *rng,
                        uint8_t fill)
{
    const int h = e->h, w = e->w;
    float *fy = e->field[0], *fx = e->field[1];
    for (int i = 0; i < h * w; i++)
        fy[i] = (float)(2.0 * rng_uniform(rng) - 1.0);
    for (int i = 0; i < h * w; i++)
        fx[i] = (float)(2.0 * rng_uniform(rng) - 1.0);
    ref_blur(e, fy);
    ref_blur(e, fx);
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            size_t i = (size_t)r * w + c;
            double y = r + e->alpha * fy[i], x = c + e->alpha * fx[i];
            double y0 = floor(y), x0 = floor(x);
            double wy = y - y0, wx = x - x0;
            int iy = (int)y0, ix = (int)x0;
            double top = (1.0 - wx) * ref_pixel(src, h, w, iy, ix, fill) +
                         wx * ref_pixel(src, h, w, iy, ix + 1, fill);
            double bottom = (1.0 - wx) * ref_pixel(src, h, w, iy + 1, ix, fill) +
                            wx * ref_pixel(src, h, w, iy + 1, ix + 1, fill);
            double v = (1.0 - wy) * top + wy * bottom;
            dst[i] = v >= 254.5 ? 255 : v <= 0.0 ? 0 : (uint8_t)(v + 0.5);
        }
}

/* ---- the comparisons ---- */

/* A digit-like image (most pixels paper, as MNIST's) or, every third
 * time, noise everywhere. */
static void test_image(uint8_t *img, int n, rng_t *rng, int k)
{
    if (k % 3 == 2 || n != 784) {
        for (int i = 0; i < n; i++)
            img[i] = rng_below(rng, 3) ? 0 : (uint8_t)rng_below(rng, 256);
        return;
    }
    uint8_t label;
    testutil_synthetic_digits(img, &label, 1, rng_next(rng));
}

static void test_rotation_identical(void)
{
    static const int sizes[][2] = {{28, 28}, {28, 28}, {1, 1}, {5, 9}, {16, 3}, {64, 64}};
    static const double special[] = {0, 90, -90, 180, 45, -45, 135, 1e-9, 360, 720.5};
    rng_t rng;
    rng_seed(&rng, 15, 1);
    int wrong = 0;
    for (int k = 0; k < 6000; k++) {
        int h = sizes[k % 6][0], w = sizes[k % 6][1];
        static uint8_t src[64 * 64], got[64 * 64], want[64 * 64];
        test_image(src, h * w, &rng, k);
        double angle = k < 10 ? special[k] : 360.0 * rng_uniform(&rng) - 180.0;
        uint8_t fill = k % 4 == 3 ? 255 : 0;
        augment_rotate(src, got, h, w, angle, fill);
        ref_rotate(src, want, h, w, angle, fill);
        if (memcmp(got, want, (size_t)(h * w)) && wrong++ < 3)
            fprintf(stderr, "\n  rotation of a %d x %d image by %.17g differs", h, w, angle);
        if (k % 100 == 0) { /* and the many-images form with it */
            CU_ASSERT_EQUAL(augment_rotate_many(src, got, 1, h, w, angle, fill), 0);
            CU_ASSERT_EQUAL(memcmp(got, want, (size_t)(h * w)), 0);
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

static void test_elastic_identical(void)
{
    static const int sizes[][2] = {{28, 28}, {28, 28}, {7, 5}, {1, 30}, {40, 13}, {64, 64}};
    static const double sigmas[] = {4, 4, 0, 0.3, 1.5, 8, 30};
    static const double alphas[] = {34, 34, 0, 1, 8, 100, 1000};
    int wrong = 0;
    for (int k = 0; k < 6 * 7 * 60; k++) {
        int h = sizes[k % 6][0], w = sizes[k % 6][1];
        double sigma = sigmas[k / 6 % 7], alpha = alphas[k / 42 % 7];
        static uint8_t src[64 * 64], got[64 * 64], want[64 * 64];
        static ref_elastic_t ref;
        augment_elastic_t e;
        CU_ASSERT_FATAL(augment_elastic_init(&e, h, w, alpha, sigma) == 0);
        ref_elastic_init(&ref, h, w, alpha, sigma);
        rng_t rng, a, b;
        rng_seed(&rng, 15, (uint64_t)k);
        test_image(src, h * w, &rng, k);
        a = b = rng;
        uint8_t fill = k % 5 == 4 ? 200 : 0;
        for (int again = 0; again < 3; again++) { /* scratch reused */
            augment_elastic(&e, src, got, &a, fill);
            ref_elastic(&ref, src, want, &b, fill);
            if (memcmp(got, want, (size_t)(h * w)) && wrong++ < 3)
                fprintf(stderr, "\n  elastic %d x %d alpha %g sigma %g differs", h, w, alpha,
                        sigma);
            CU_ASSERT(memcmp(e.field, ref.field[0], sizeof(float) * h * w) == 0 &&
                      memcmp(e.field + h * w, ref.field[1], sizeof(float) * h * w) == 0);
        }
        CU_ASSERT(memcmp(&a, &b, sizeof a) == 0); /* as many draws */
        augment_elastic_free(&e);
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"rotation: the plain implementation's bytes, 6000 draws", test_rotation_identical},
        {"elastic: the plain implementation's fields and bytes", test_elastic_identical},
        {NULL, NULL},
    };
    return testutil_run("augment_fast", cases);
}
