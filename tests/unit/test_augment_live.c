/* augment_live: a sample's fresh distortion is a function of (seed, epoch,
 * row) alone; the draws follow the configuration (the share distorted, the
 * angles, the shifts, over thousands of draws); and the distortions are
 * prepare's own: the same rotation, and the elastic field prepare draws for
 * the same seed, original and copy; and a configuration of today's keys
 * gives today's bytes, frozen as SHA-256. */
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

int main(void)
{
    static const testutil_case_t cases[] = {
        {"a function of (seed, epoch, row) alone", test_deterministic},
        {"draws follow the configuration over 5,000 rows", test_draw_statistics},
        {"prepare's rotation and prepare's elastic field", test_same_as_prepare},
        {"without scale, shear and stroke: today's bytes", test_todays_bytes},
        {NULL, NULL},
    };
    return testutil_run("augment_live", cases);
}
