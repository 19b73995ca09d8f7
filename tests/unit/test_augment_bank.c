/* augment_bank and [augment] elastic_bank: a sample's distortion is still a
 * function of (seed, epoch, row) alone, the same bytes from the AVX-512 and
 * the plain C resampling; the bank's windows are fields of the law of a
 * fresh field (their spread, measured); and without a field the one
 * resampling is the chain of prepare's warp and shift up to the rounding
 * of floats and the border (which pixels differ, and by how much);
 * prepare's copies from a bank are [augment]'s images. The
 * images following the drawn angle, shear and scale is checked with the
 * other keys' in test_augment_live. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment_live.h"
#include "nnmpi/error.h"
#include "nnmpi/imageset.h"
#include "nnmpi/rng.h"
#include "nnmpi/sparse_rows.h"
#include "testutil.h"

enum { S = 28, N = S * S };

static const augment_live_params_t ALL = {.rotate = 12, .shift = 2, .alpha = 34, .sigma = 4,
                                          .probability = 0.9, .scale = 12, .shear = 10,
                                          .stroke = 0.5, .elastic_bank = 16};

static void digit(uint8_t *px, uint64_t seed)
{
    uint8_t label;
    testutil_synthetic_digits(px, &label, 1, seed);
}

static void test_deterministic(void)
{
    augment_live_t a, b;
    CU_ASSERT_FATAL(augment_live_init(&a, &ALL, S, S) == 0 &&
                    augment_live_init(&b, &ALL, S, S) == 0);
    uint8_t src[N], x[N], y[N], z[N];
    int moved = 0;
    for (int64_t row = 0; row < 200; row++) {
        digit(src, (uint64_t)row);
        augment_live_apply(&a, 3, 5, row, src, x);
        augment_live_apply(&b, 3, 6, row, src, z);   /* another epoch in between */
        augment_live_apply(&b, 3, 5, row, src, y);
        CU_ASSERT_EQUAL(memcmp(x, y, N), 0);
        moved += memcmp(x, z, N) != 0;
    }
    CU_ASSERT(moved > 150);
    augment_live_free(&a);
    augment_live_free(&b);
}

/* 2,000 distortions with every key, through the AVX-512 resampling and
 * the plain C one: the same bytes. */
static void test_vectors_same_bytes(void)
{
    if (sparse_rows_set_isa("avx512") < 0) {
        fprintf(stderr, " (no AVX-512 here: only the C resampling runs) ");
        return;
    }
    augment_live_t a;
    CU_ASSERT_FATAL(augment_live_init(&a, &ALL, S, S) == 0);
    uint8_t src[N], wide[N], plain[N];
    int differ = 0;
    for (int64_t row = 0; row < 2000; row++) {
        digit(src, (uint64_t)row);
        CU_ASSERT_FATAL(sparse_rows_set_isa("avx512") == 0);
        augment_live_apply(&a, 11, 2, row, src, wide);
        CU_ASSERT_FATAL(sparse_rows_set_isa("c") == 0);
        augment_live_apply(&a, 11, 2, row, src, plain);
        differ += memcmp(wide, plain, N) != 0;
    }
    CU_ASSERT_EQUAL(differ, 0);
    augment_live_free(&a);
    /* other sizes: rows that end inside a vector, a block of ink */
    const int sizes[][2] = {{20, 33}, {40, 17}, {5, 70}};
    rng_t rng;
    rng_seed(&rng, 3, 4);
    for (int k = 0; k < 3; k++) {
        const int h = sizes[k][0], w = sizes[k][1];
        uint8_t img[2800], x[2800], y[2800];
        CU_ASSERT_FATAL(augment_live_init(&a, &ALL, h, w) == 0);
        for (int64_t row = 0; row < 200; row++) {
            for (int i = 0; i < h * w; i++) /* ink in the middle third */
                img[i] = (i / w > h / 3 && i / w < 2 * h / 3) ? (uint8_t)rng_below(&rng, 256) : 0;
            CU_ASSERT_FATAL(sparse_rows_set_isa("avx512") == 0);
            augment_live_apply(&a, 11, 2, row, img, x);
            CU_ASSERT_FATAL(sparse_rows_set_isa("c") == 0);
            augment_live_apply(&a, 11, 2, row, img, y);
            differ += memcmp(x, y, (size_t)h * w) != 0;
        }
        augment_live_free(&a);
    }
    CU_ASSERT_EQUAL(differ, 0);
}

/* The spread of a bank's windows at a pixel against a fresh field's at the
 * image's centre (where its kernel is whole to 0.1%): the same law. */
static void test_field_law(void)
{
    enum { DRAWS = 4000 };
    augment_bank_t bank;
    augment_elastic_t fresh;
    CU_ASSERT_FATAL(augment_bank_init(&bank, S, S, 64, 4) == 0 &&
                    augment_elastic_init(&fresh, S, S, 1, 4) == 0);
    rng_t rng;
    rng_seed(&rng, 5, 6);
    double sum_bank = 0, sum_fresh = 0, sq_bank = 0, sq_fresh = 0;
    const size_t plane = (size_t)bank.size * bank.size;
    for (int i = 0; i < DRAWS; i++) {
        int k = (int)rng_below(&rng, 64), y = bank.lo + (int)rng_below(&rng, AUGMENT_BANK_SPAN),
            x = bank.lo + (int)rng_below(&rng, AUGMENT_BANK_SPAN);
        double v = bank.fields[(size_t)k * 2 * plane + plane + (size_t)(y + 14) * bank.size + x + 14];
        double f = augment_elastic_field(&fresh, &rng)[N + 14 * S + 14]; /* dx at the centre */
        sum_bank += v, sq_bank += v * v;
        sum_fresh += f, sq_fresh += f * f;
    }
    double sd_bank = sqrt(sq_bank / DRAWS), sd_fresh = sqrt(sq_fresh / DRAWS);
    fprintf(stderr, " (rms displacement per unit alpha: bank %.4f, fresh %.4f) ", sd_bank,
            sd_fresh);
    /* a spread's estimate from 4,000 draws is within ~3% (the bank's
     * windows overlap, so allow 10%); the means are ~0 */
    CU_ASSERT(fabs(sd_bank / sd_fresh - 1) < 0.10);
    CU_ASSERT(fabs(sum_bank / DRAWS) < 0.1 * sd_bank && fabs(sum_fresh / DRAWS) < 0.1 * sd_fresh);
    augment_elastic_free(&fresh);
    augment_bank_free(&bank);
}

/* Without a field (alpha 0), rotation + shift in one float resampling
 * against prepare's warp then shift in doubles: pixels the warp sees
 * inside the image agree within 1 grey level; at most the border differs. */
static void test_like_the_chain(void)
{
    const augment_live_params_t p = {.rotate = 15, .shift = 2, .probability = 1,
                                     .elastic_bank = 4};
    augment_live_t a;
    CU_ASSERT_FATAL(augment_live_init(&a, &p, S, S) == 0);
    uint8_t src[N], one[N], warped[N], chain[N];
    int worst = 0, far = 0;
    for (int64_t row = 0; row < 500; row++) {
        digit(src, (uint64_t)row + 1000);
        augment_live_draw_t d = augment_live_draw(&p, 1, 1, row);
        augment_live_apply(&a, 1, 1, row, src, one);
        double m[4];
        augment_warp_matrix(d.angle, 0, m);
        augment_affine(src, warped, S, S, m, 0);
        augment_shift(warped, chain, S, S, d.dy, d.dx, 0);
        for (int i = 0; i < N; i++) {
            int diff = abs(one[i] - chain[i]);
            worst = diff > worst ? diff : worst;
            far += diff > 1;
        }
    }
    fprintf(stderr, " (largest difference %d; %d pixels of 392,000 beyond 1) ", worst, far);
    CU_ASSERT(far <= 392); /* 0.1%: where scipy's warp takes paper at the image's edge */
    augment_live_free(&a);
}

/* prepare --elastic 2 --elastic-bank 8: copy c of an original is what
 * [augment] with the same alpha, sigma, bank and seed shows in epoch c + 1;
 * the file's description names the bank and reads back. */
static void test_prepare_copies(void)
{
    enum { ORIGINALS = 12 };
    imageset_t src, out;
    CU_ASSERT_EQUAL_FATAL(imageset_alloc(&src, ORIGINALS, S, S), 0);
    testutil_synthetic_digits(src.pixels, src.labels, ORIGINALS, 23);
    augment_spec_t spec, back;
    augment_spec_init(&spec);
    augment_spec_init(&back);
    CU_ASSERT_EQUAL_FATAL(augment_spec_parse("elastic=2,alpha=34,sigma=4,bank=8", &spec), 0);
    char text[256];
    CU_ASSERT_EQUAL(augment_spec_format(&spec, text, sizeof text), 0);
    CU_ASSERT_STRING_EQUAL(text, "elastic=2,alpha=34,sigma=4,bank=8");
    CU_ASSERT(augment_spec_parse(text, &back) == 0 && back.elastic_bank == 8);
    int32_t *origin;
    float *angle;
    uint8_t *kind;
    CU_ASSERT_EQUAL_FATAL(augment_set_make(&src, &spec, 5, &out, &origin, &angle, &kind), 0);
    const augment_live_params_t p = {.alpha = 34, .sigma = 4, .probability = 1,
                                     .elastic_bank = 8};
    augment_live_t a;
    CU_ASSERT_FATAL(augment_live_init(&a, &p, S, S) == 0);
    int copies = 0, matched = 0;
    uint8_t live[N];
    for (int64_t j = 0; j < out.count; j++) {
        if (kind[j] != AUGMENT_ELASTIC)
            continue;
        copies++;
        int found = 0;
        for (int epoch = 1; epoch <= 2; epoch++) {
            augment_live_apply(&a, 5, epoch, origin[j], imageset_image(&src, origin[j]), live);
            found += !memcmp(live, imageset_image(&out, j), N);
        }
        matched += found == 1;
    }
    CU_ASSERT_EQUAL(copies, 2 * ORIGINALS);
    CU_ASSERT_EQUAL(matched, copies);
    CU_ASSERT_NOT_EQUAL(augment_spec_parse("elastic=1,bank=0", &back), 0);
    augment_live_free(&a);
    imageset_free(&out);
    imageset_free(&src);
    free(origin);
    free(angle);
    free(kind);
}

static void test_bad_bank(void)
{
    augment_bank_t bank;
    CU_ASSERT(augment_bank_init(&bank, S, S, 0, 4) < 0);
    CU_ASSERT(augment_bank_init(&bank, S, S, 1024, 100) < 0); /* 6 GB */
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "would take"));
    CU_ASSERT(augment_bank_init(&bank, S, S, AUGMENT_MAX_BANK + 1, 4) < 0);
    CU_ASSERT(augment_bank_init(&bank, 0, S, 8, 4) < 0);
    augment_bank_free(&bank); /* safe after a refusal */
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"a function of (seed, epoch, row) alone, with a bank", test_deterministic},
        {"AVX-512 and C resampling: the same bytes", test_vectors_same_bytes},
        {"a bank's windows: a fresh field's spread", test_field_law},
        {"one resampling: prepare's warp and shift within 1", test_like_the_chain},
        {"prepare's bank copies are [augment]'s images", test_prepare_copies},
        {"bank sizes refused", test_bad_bank},
        {NULL, NULL},
    };
    return testutil_run("augment_bank", cases);
}
