/* augment_live: a sample's fresh distortion is a function of (seed, epoch,
 * row) alone; the draws follow the configuration (the share distorted, the
 * angles, the shifts, over thousands of draws); and the distortions are
 * prepare's own: the same rotation, and the elastic field prepare draws for
 * the same seed, original and copy; and a configuration of today's keys
 * gives today's bytes, frozen as SHA-256. Scale, shear and stroke: drawn
 * after the others, within their ranges; what the images show (a bar's lean
 * and size, measured) is what was drawn; and they are prepare's functions
 * (augment_scale, augment_thickness, augment_shear). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment_live.h"
#include "nnmpi/rng.h"
#include "nnmpi/sha256.h"
#include "testutil.h"

enum { S = 28, N = S * S };

static void digit(uint8_t *px, uint64_t seed)
{
    uint8_t label;
    testutil_synthetic_digits(px, &label, 1, seed);
}

static void test_deterministic(void)
{
    augment_live_params_t p = {.rotate = 15, .shift = 2, .alpha = 34, .sigma = 4,
                               .probability = 1};
    augment_live_t a, b;
    CU_ASSERT_FATAL(augment_live_init(&a, &p, S, S) == 0 && augment_live_init(&b, &p, S, S) == 0);
    uint8_t src[N], x[N], y[N], z[N];
    digit(src, 3);
    augment_live_apply(&a, 7, 2, 12345, src, x);
    augment_live_apply(&b, 7, 3, 12345, src, z);   /* another epoch in between */
    augment_live_apply(&b, 7, 2, 12345, src, y);
    CU_ASSERT_EQUAL(memcmp(x, y, N), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(x, z, N), 0);
    augment_live_apply(&a, 7, 2, 12346, src, z);   /* another row */
    CU_ASSERT_NOT_EQUAL(memcmp(x, z, N), 0);
    augment_live_free(&a);
    augment_live_free(&b);
    augment_live_params_t none = {.rotate = 10, .probability = 0};
    CU_ASSERT_FALSE(augment_live_active(&none));
    CU_ASSERT_TRUE(augment_live_active(&p));
}

static void test_draw_statistics(void)
{
    const augment_live_params_t p = {.rotate = 12, .shift = 2, .probability = 0.3};
    enum { DRAWS = 5000 };
    int distorted = 0, shifts[5] = {0};
    double sum = 0, lo = 0, hi = 0;
    for (int64_t row = 0; row < DRAWS; row++) {
        augment_live_draw_t d = augment_live_draw(&p, 99, 4, row);
        distorted += d.distort;
        sum += d.angle;
        lo = fmin(lo, d.angle);
        hi = fmax(hi, d.angle);
        CU_ASSERT_FATAL(d.dy >= -2 && d.dy <= 2 && d.dx >= -2 && d.dx <= 2);
        shifts[d.dy + 2]++;
    }
    CU_ASSERT(fabs(distorted / (double)DRAWS - 0.3) < 0.03);
    CU_ASSERT(fabs(sum / DRAWS) < 0.5);   /* uniform in [-12, 12]: sd of the mean 0.1 */
    CU_ASSERT(lo >= -12 && lo < -11.9 && hi <= 12 && hi > 11.9);
    for (int k = 0; k < 5; k++)
        CU_ASSERT(fabs(shifts[k] / (double)DRAWS - 0.2) < 0.03);
}

/* Rotation alone: augment_rotate at the drawn angle; the elastic field
 * alone: prepare's copy `epoch - 1` of original `row` for the same seed. */
static void test_same_as_prepare(void)
{
    uint8_t src[N], live[N], want[N];
    digit(src, 11);
    augment_live_params_t rot = {.rotate = 10, .probability = 1};
    augment_live_t a;
    CU_ASSERT_FATAL(augment_live_init(&a, &rot, S, S) == 0);
    augment_live_apply(&a, 5, 1, 42, src, live);
    augment_rotate(src, want, S, S, augment_live_draw(&rot, 5, 1, 42).angle, 0);
    CU_ASSERT_EQUAL(memcmp(live, want, N), 0);
    augment_live_free(&a);

    augment_live_params_t el = {.alpha = 34, .sigma = 4, .probability = 1};
    augment_elastic_t e;
    CU_ASSERT_FATAL(augment_live_init(&a, &el, S, S) == 0);
    CU_ASSERT_FATAL(augment_elastic_init(&e, S, S, 34, 4) == 0);
    for (int copy = 0; copy < 3; copy++) {
        rng_t field;
        rng_seed(&field, 5, rng_stream(AUGMENT_ELASTIC_STREAM, 42, (uint64_t)copy));
        augment_elastic(&e, src, want, &field, 0);   /* as augment_set_make draws it */
        augment_live_apply(&a, 5, copy + 1, 42, src, live);
        CU_ASSERT_EQUAL(memcmp(live, want, N), 0);
    }
    CU_ASSERT_NOT_EQUAL(memcmp(live, src, N), 0);
    augment_elastic_free(&e);
    augment_live_free(&a);
}

/* Today's bytes: a configuration without scale, shear and stroke distorts
 * exactly as it did before those keys existed (frozen below: the SHA-256
 * of 200 rows x 3 epochs of synthetic digits, computed with the code of
 * commit 790152d, Debian 12's glibc). */
static void live_sha(const augment_live_params_t *p, char hex[65])
{
    augment_live_t a;
    sha256_t h = {0};
    CU_ASSERT_FATAL(augment_live_init(&a, p, S, S) == 0 && sha256_init(&h) == 0);
    uint8_t src[N], out[N];
    for (int64_t row = 0; row < 200; row++) {
        digit(src, (uint64_t)row);
        for (int epoch = 1; epoch <= 3; epoch++) {
            augment_live_apply(&a, 21, epoch, row, src, out);
            sha256_update(&h, out, N);
        }
    }
    CU_ASSERT_FATAL(sha256_final_hex(&h, hex) == 0);
    augment_live_free(&a);
}

static void test_todays_bytes(void)
{
    static const struct {
        augment_live_params_t p;
        const char *sha;
    } cases[] = {
        {{.rotate = 15, .shift = 2, .alpha = 34, .sigma = 4, .probability = 0.7},
         "704246ebb47a64e9e3d4c1b7e7a2bcde2e72dda0b9661d7b1e9492cf076f79ce"},
        {{.rotate = 10, .probability = 1},
         "7ba5489b2001fffcc0b959266a59b6f49f1914e8dca3d21649b095209bc20fb6"},
        {{.shift = 3, .alpha = 20, .sigma = 3, .probability = 0.5},
         "af6e9935c8f12cc97e3db30f17273e21ae441cfa8b1ed8984e972ba6989fd41f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[65];
        live_sha(&cases[i].p, hex);
        if (strcmp(hex, cases[i].sha))
            fprintf(stderr, "\ncase %zu: sha256 %s, today's %s\n", i, hex, cases[i].sha);
        CU_ASSERT_STRING_EQUAL(hex, cases[i].sha);
    }
}

/* ---- scale, shear and stroke ---- */

static const augment_live_params_t ALL = {.rotate = 12, .shift = 2, .alpha = 34, .sigma = 4,
                                          .probability = 0.4, .scale = 15, .shear = 20,
                                          .stroke = 1};

/* Every key at once: still a function of (seed, epoch, row) alone. */
static void test_deterministic_all_keys(void)
{
    augment_live_t a, b;
    CU_ASSERT_FATAL(augment_live_init(&a, &ALL, S, S) == 0 &&
                    augment_live_init(&b, &ALL, S, S) == 0);
    uint8_t src[N], x[N], y[N], z[N];
    digit(src, 4);
    int differ = 0;
    for (int64_t row = 0; row < 50; row++) {
        augment_live_apply(&a, 3, 5, row, src, x);
        augment_live_apply(&b, 3, 6, row, src, z);   /* another epoch in between */
        augment_live_apply(&b, 3, 5, row, src, y);
        CU_ASSERT_EQUAL(memcmp(x, y, N), 0);
        differ += memcmp(x, z, N) != 0;
    }
    /* both epochs leave a row alone 0.6^2 of the time: 18 of 50 rows */
    CU_ASSERT(differ >= 25);
    augment_live_free(&a);
    augment_live_free(&b);
    augment_live_params_t one = {.stroke = 0.5, .probability = 1};
    CU_ASSERT_TRUE(augment_live_active(&one));
    one = (augment_live_params_t){.scale = 5, .probability = 1};
    CU_ASSERT_TRUE(augment_live_active(&one));
    one = (augment_live_params_t){.shear = 5, .probability = 1};
    CU_ASSERT_TRUE(augment_live_active(&one));
    one.probability = 0;
    CU_ASSERT_FALSE(augment_live_active(&one));
}

/* The new draws come after the old ones: the same share, angles and
 * shifts with or without them; and their ranges are the configuration's. */
static void test_new_draws_appended(void)
{
    augment_live_params_t old = ALL;
    old.scale = old.shear = old.stroke = 0;
    enum { DRAWS = 5000 };
    int distorted = 0;
    double lo[3] = {0}, hi[3] = {0}, sum[3] = {0};
    for (int64_t row = 0; row < DRAWS; row++) {
        augment_live_draw_t d = augment_live_draw(&ALL, 8, 2, row);
        augment_live_draw_t e = augment_live_draw(&old, 8, 2, row);
        CU_ASSERT_FATAL(d.distort == e.distort && d.angle == e.angle && d.dy == e.dy &&
                        d.dx == e.dx);
        CU_ASSERT_FATAL(e.scale == 0 && e.shear == 0 && e.stroke == 0);
        distorted += d.distort;
        const double v[3] = {d.scale, d.shear, d.stroke};
        for (int k = 0; k < 3; k++) {
            lo[k] = fmin(lo[k], v[k]);
            hi[k] = fmax(hi[k], v[k]);
            sum[k] += v[k];
        }
    }
    CU_ASSERT(fabs(distorted / (double)DRAWS - 0.4) < 0.03);
    const double max[3] = {15, 20, 1};
    for (int k = 0; k < 3; k++) {
        /* uniform in [-max, max]: the mean's sd is max / 122 */
        CU_ASSERT(lo[k] >= -max[k] && lo[k] < -0.99 * max[k]);
        CU_ASSERT(hi[k] <= max[k] && hi[k] > 0.99 * max[k]);
        CU_ASSERT(fabs(sum[k] / DRAWS) < max[k] / 30);
    }
}

/* Second moments of an image's ink: centre and (rr, cc, rc) spreads. */
typedef struct {
    double mass, r, c, rr, cc, rc;
} moments_t;

static moments_t moments(const uint8_t *img)
{
    moments_t m = {0};
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            double v = img[r * S + c];
            m.mass += v;
            m.r += v * r;
            m.c += v * c;
        }
    m.r /= m.mass;
    m.c /= m.mass;
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            double v = img[r * S + c] / m.mass;
            m.rr += v * (r - m.r) * (r - m.r);
            m.cc += v * (c - m.c) * (c - m.c);
            m.rc += v * (r - m.r) * (c - m.c);
        }
    return m;
}

/* A bar 2 pixels wide, upright through the centre, rows 4..23. */
static void upright_bar(uint8_t *img)
{
    memset(img, 0, N);
    for (int r = 4; r < 24; r++)
        img[r * S + 13] = img[r * S + 14] = 255;
}

/* What the images show over 2,000 rows, measured on them: the share
 * changed is the probability; an upright bar's lean is the drawn angle
 * (rotation, anticlockwise) or the drawn shear (leaning right); its size
 * is the drawn scale; and the extremes reach the configured ranges. */
static void test_images_follow_the_draws(void)
{
    enum { ROWS = 2000 };
    const struct {
        augment_live_params_t p;
        int what;   /* 0 rotate, 1 shear, 2 scale */
        double max; /* the key's value */
        double tol; /* of the measurement (the largest error seen: 0.15, 0.02, 0.63) */
    } cases[] = {
        {{.rotate = 12, .probability = 0.3}, 0, 12, 0.5},
        {{.shear = 20, .probability = 0.3}, 1, 20, 0.5},
        {{.scale = 15, .probability = 0.3}, 2, 15, 1.0},
        /* the same through a bank's one resampling (no field) */
        {{.rotate = 12, .probability = 0.3, .elastic_bank = 4}, 0, 12, 0.5},
        {{.shear = 20, .probability = 0.3, .elastic_bank = 4}, 1, 20, 0.5},
        {{.scale = 15, .probability = 0.3, .elastic_bank = 4}, 2, 15, 1.0},
    };
    uint8_t bar[N], out[N];
    upright_bar(bar);
    const moments_t m0 = moments(bar);
    for (int k = 0; k < (int)(sizeof cases / sizeof *cases); k++) {
        augment_live_t a;
        CU_ASSERT_FATAL(augment_live_init(&a, &cases[k].p, S, S) == 0);
        int changed = 0, off = 0;
        double lo = 0, hi = 0;
        for (int64_t row = 0; row < ROWS; row++) {
            augment_live_apply(&a, 13, 1, row, bar, out);
            augment_live_draw_t d = augment_live_draw(&cases[k].p, 13, 1, row);
            changed += memcmp(out, bar, N) != 0;
            if (!d.distort)
                continue;
            moments_t m = moments(out);
            double drawn = cases[k].what == 0 ? d.angle : cases[k].what == 1 ? d.shear : d.scale;
            /* the bar's lean, degrees from upright, + with the top to the
             * left (turned anticlockwise); its length, percent */
            double lean = atan(m.rc / m.rr) * 180 / M_PI;
            double seen = cases[k].what == 0   ? lean
                          : cases[k].what == 1 ? -lean
                                               : (sqrt(m.rr / m0.rr) - 1) * 100;
            off += fabs(seen - drawn) > cases[k].tol;
            lo = fmin(lo, seen);
            hi = fmax(hi, seen);
        }
        if (off || fabs(changed / (double)ROWS - 0.3) >= 0.03)
            fprintf(stderr, "\n  case %d: %d changed, %d off the draw\n", k, changed, off);
        CU_ASSERT(fabs(changed / (double)ROWS - 0.3) < 0.03);
        CU_ASSERT_EQUAL(off, 0);
        CU_ASSERT(lo < -0.95 * cases[k].max && hi > 0.95 * cases[k].max);
        augment_live_free(&a);
    }
}

/* Scale, stroke and shear alone are prepare's functions at the drawn
 * value; rotation with shear is one warp. */
static void test_new_keys_same_as_prepare(void)
{
    uint8_t src[N], live[N], want[N], tmp[N];
    digit(src, 12);
    const augment_live_params_t ps[] = {
        {.scale = 15, .probability = 1},
        {.stroke = 1, .probability = 1},
        {.shear = 20, .probability = 1},
        {.rotate = 10, .shear = 20, .probability = 1},
    };
    for (int k = 0; k < 4; k++) {
        augment_live_t a;
        CU_ASSERT_FATAL(augment_live_init(&a, &ps[k], S, S) == 0);
        for (int64_t row = 0; row < 20; row++) {
            augment_live_draw_t d = augment_live_draw(&ps[k], 5, 2, row);
            augment_live_apply(&a, 5, 2, row, src, live);
            double m[4];
            switch (k) {
            case 0: augment_scale(src, want, S, S, d.scale); break;
            case 1: augment_thickness(src, want, tmp, S, S, d.stroke); break;
            case 2: augment_shear(src, want, S, S, d.shear, 0); break;
            default:
                augment_warp_matrix(d.angle, d.shear, m);
                augment_affine(src, want, S, S, m, 0);
            }
            CU_ASSERT_EQUAL(memcmp(live, want, N), 0);
            CU_ASSERT_NOT_EQUAL(memcmp(live, src, N), 0);
        }
        augment_live_free(&a);
    }
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"a function of (seed, epoch, row) alone", test_deterministic},
        {"draws follow the configuration over 5,000 rows", test_draw_statistics},
        {"prepare's rotation and prepare's elastic field", test_same_as_prepare},
        {"without scale, shear and stroke: today's bytes", test_todays_bytes},
        {"every key: a function of (seed, epoch, row) alone", test_deterministic_all_keys},
        {"scale, shear, stroke draw after the others, in range", test_new_draws_appended},
        {"the images follow the draws over 2,000 rows", test_images_follow_the_draws},
        {"scale, stroke, shear are prepare's functions", test_new_keys_same_as_prepare},
        {NULL, NULL},
    };
    return testutil_run("augment_live", cases);
}
