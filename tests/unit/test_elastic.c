/* augment: shifts by exact pixel counts, elastic distortion (identity at
 * alpha 0, reproducible from the seed, its smoothing against a direct 2-D
 * convolution, the size of its displacements), and whole augmented sets
 * (counts per kind, every copy where it should be, reproducible). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/error.h"
#include "nnmpi/rng.h"
#include "testutil.h"

static void random_image(uint8_t *img, int n, uint32_t seed)
{
    for (int i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        img[i] = (uint8_t)(seed >> 24);
    }
}

static int count_differences(const uint8_t *a, const uint8_t *b, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++)
        d += a[i] != b[i];
    return d;
}

/* ---- shifts ---- */

static void test_shift_exact(void)
{
    enum { H = 9, W = 7 };
    uint8_t src[H * W], out[H * W];
    random_image(src, H * W, 3);
    static const int moves[][2] = {{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}, {2, -3}, {-4, 5},
                                   {8, 0}, {0, -6}, {9, 0}, {0, 7}, {-20, 20}};
    for (size_t m = 0; m < sizeof moves / sizeof moves[0]; m++) {
        int dy = moves[m][0], dx = moves[m][1], wrong = 0;
        augment_shift(src, out, H, W, dy, dx, 200);
        for (int r = 0; r < H; r++)
            for (int c = 0; c < W; c++) {
                int sr = r - dy, sc = c - dx;
                uint8_t want = sr >= 0 && sr < H && sc >= 0 && sc < W ? src[sr * W + sc] : 200;
                wrong += out[r * W + c] != want;
            }
        if (wrong)
            fprintf(stderr, "\n  shift (%d, %d): %d pixels wrong\n", dy, dx, wrong);
        CU_ASSERT_EQUAL(wrong, 0);
    }
    /* direction: dx > 0 moves the picture right, dy > 0 down */
    uint8_t dot[H * W] = {0};
    dot[4 * W + 3] = 255;
    augment_shift(dot, out, H, W, 0, 2, 0);
    CU_ASSERT_EQUAL(out[4 * W + 5], 255);
    augment_shift(dot, out, H, W, -3, 0, 0);
    CU_ASSERT_EQUAL(out[1 * W + 3], 255);
    augment_shift(src, out, H, W, 0, 0, 0);
    CU_ASSERT_EQUAL(memcmp(src, out, sizeof src), 0);
}

/* ---- elastic ---- */

static void test_elastic_alpha_zero_is_identity(void)
{
    uint8_t src[28 * 28], out[28 * 28];
    const double sigmas[] = {4.0, 0.0, 1.5};
    for (int s = 0; s < 3; s++) {
        augment_elastic_t e;
        CU_ASSERT_EQUAL_FATAL(augment_elastic_init(&e, 28, 28, 0.0, sigmas[s]), 0);
        for (uint32_t k = 0; k < 5; k++) {
            random_image(src, 28 * 28, 10 + k);
            rng_t rng;
            rng_seed(&rng, 7, k);
            augment_elastic(&e, src, out, &rng, 0);
            CU_ASSERT_EQUAL(memcmp(src, out, sizeof src), 0);
        }
        augment_elastic_free(&e);
        augment_elastic_free(&e); /* twice is safe */
    }
}

static void test_elastic_reproducible(void)
{
    enum { COUNT = 20 };
    uint8_t *digits = malloc(COUNT * 784);
    CU_ASSERT_FATAL(digits != NULL);
    testutil_synthetic_digits(digits, NULL, COUNT, 5);
    augment_elastic_t e;
    CU_ASSERT_EQUAL_FATAL(augment_elastic_init(&e, 28, 28, 34.0, 4.0), 0);
    int changed_images = 0;
    double ink_change = 0, centre_move = 0;
    for (int i = 0; i < COUNT; i++) {
        uint8_t a[784], b[784], c[784];
        rng_t r1, r2, r3;
        rng_seed(&r1, 1, (uint64_t)i);
        rng_seed(&r2, 1, (uint64_t)i);
        rng_seed(&r3, 2, (uint64_t)i);
        augment_elastic(&e, digits + i * 784, a, &r1, 0);
        augment_elastic(&e, digits + i * 784, b, &r2, 0);
        augment_elastic(&e, digits + i * 784, c, &r3, 0);
        CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);           /* same seed, same image */
        CU_ASSERT(count_differences(a, c, 784) > 0);           /* another seed, another */
        changed_images += count_differences(a, digits + i * 784, 784) > 20;
        /* still the same digit: a smooth field moves ink about and stretches
         * or squeezes it locally (the divergence of the field is about
         * +-0.35), but keeps most of it, near where it was */
        double m0 = 0, m1 = 0, row0 = 0, row1 = 0, col0 = 0, col1 = 0;
        for (int p = 0; p < 784; p++) {
            double v0 = digits[i * 784 + p], v1 = a[p];
            m0 += v0;
            m1 += v1;
            row0 += v0 * (p / 28);
            row1 += v1 * (p / 28);
            col0 += v0 * (p % 28);
            col1 += v1 * (p % 28);
        }
        double ink = fabs(m1 - m0) / m0;
        double moved = hypot(row1 / m1 - row0 / m0, col1 / m1 - col0 / m0);
        CU_ASSERT(ink < 0.5 && moved < 3.5);
        ink_change += ink / COUNT;
        centre_move += moved / COUNT;
    }
    if (!(ink_change < 0.2 && centre_move < 1.5))
        fprintf(stderr, "\n  mean ink change %.3f, centre move %.2f\n", ink_change, centre_move);
    CU_ASSERT(ink_change < 0.2);
    CU_ASSERT(centre_move < 1.5);
    CU_ASSERT_EQUAL(changed_images, COUNT);
    augment_elastic_free(&e);
    free(digits);
}

/* The smoothed field equals a direct 2-D convolution of the same uniform
 * draws with a Gaussian (normalised over the 4-sigma window, zero outside the
 * image), computed here in double without the separable shortcut. */
static void test_elastic_field_is_gaussian_blur(void)
{
    enum { H = 28, W = 28 };
    const double sigma = 3.0;
    augment_elastic_t e;
    CU_ASSERT_EQUAL_FATAL(augment_elastic_init(&e, H, W, 1.0, sigma), 0);
    CU_ASSERT_EQUAL(e.radius, 12);
    uint8_t src[H * W] = {0}, out[H * W];
    rng_t rng, copy;
    rng_seed(&rng, 99, 1);
    copy = rng;
    augment_elastic(&e, src, out, &rng, 0);
    static double raw[2][H * W];
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < H * W; i++)
            raw[f][i] = 2.0 * rng_uniform(&copy) - 1.0;
    double norm = 0;
    for (int k = -12; k <= 12; k++)
        norm += exp(-0.5 * k * k / (sigma * sigma));
    double worst = 0;
    for (int f = 0; f < 2; f++)
        for (int r = 0; r < H; r++)
            for (int c = 0; c < W; c++) {
                double acc = 0;
                for (int y = r - 12; y <= r + 12; y++)
                    for (int x = c - 12; x <= c + 12; x++)
                        if (y >= 0 && y < H && x >= 0 && x < W)
                            acc += exp(-0.5 * ((y - r) * (y - r) + (x - c) * (x - c)) /
                                       (sigma * sigma)) / (norm * norm) * raw[f][y * W + x];
                double d = fabs(acc - e.field[f * H * W + r * W + c]);
                worst = d > worst ? d : worst;
            }
    if (worst > 1e-5)
        fprintf(stderr, "\n  largest difference from the direct convolution: %g\n", worst);
    CU_ASSERT(worst < 1e-5);
    augment_elastic_free(&e);
}

/* With the paper's alpha 34 and sigma 4 the displacement at the centre has
 * standard deviation alpha sqrt(1/3) sum_k g_k^2 (g the normalised 1-D
 * kernel): about 1.38 pixels. Measured over 3000 fields, within 6%. */
static void test_elastic_displacement_size(void)
{
    augment_elastic_t e;
    CU_ASSERT_EQUAL_FATAL(augment_elastic_init(&e, 28, 28, 34.0, 4.0), 0);
    double g2 = 0, norm = 0;
    for (int k = -16; k <= 16; k++)
        norm += exp(-0.5 * k * k / 16.0);
    for (int k = -16; k <= 16; k++)
        g2 += pow(exp(-0.5 * k * k / 16.0) / norm, 2);
    double expected = 34.0 * sqrt(1.0 / 3.0) * g2;
    CU_ASSERT(fabs(expected - 1.38) < 0.02);
    uint8_t src[784] = {0}, out[784];
    rng_t rng;
    rng_seed(&rng, 3, 0);
    double sum2 = 0;
    const int n = 3000;
    for (int i = 0; i < n; i++) {
        augment_elastic(&e, src, out, &rng, 0);
        double dy = 34.0 * e.field[14 * 28 + 14], dx = 34.0 * e.field[784 + 14 * 28 + 14];
        sum2 += dy * dy + dx * dx;
    }
    double rms = sqrt(sum2 / (2.0 * n));
    if (fabs(rms / expected - 1.0) > 0.06)
        fprintf(stderr, "\n  rms displacement %.3f, expected %.3f\n", rms, expected);
    CU_ASSERT(fabs(rms / expected - 1.0) < 0.06);
    augment_elastic_free(&e);
}

static void test_elastic_bad_settings(void)
{
    augment_elastic_t e;
    CU_ASSERT_EQUAL(augment_elastic_init(&e, 28, 28, -1.0, 4.0), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "alpha"));
    CU_ASSERT_EQUAL(augment_elastic_init(&e, 28, 28, 34.0, NAN), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "sigma"));
    CU_ASSERT_EQUAL(augment_elastic_init(&e, 0, 28, 34.0, 4.0), -1);
    augment_elastic_free(&e);
}

/* ---- whole sets ---- */

static void make_source(imageset_t *src, int n)
{
    CU_ASSERT_EQUAL_FATAL(imageset_alloc(src, n, 28, 28), 0);
    testutil_synthetic_digits(src->pixels, src->labels, n, 17);
}

static void test_set_counts_and_contents(void)
{
    enum { N = 7 };
    imageset_t src, out;
    make_source(&src, N);
    augment_spec_t spec;
    augment_spec_init(&spec);
    CU_ASSERT_EQUAL(augment_spec_parse("rotations=-10,15;shifts=1,3;elastic=2,alpha=20,sigma=3",
                                       &spec), 0);
    CU_ASSERT_EQUAL(augment_spec_copies(&spec), 1 + 2 + 8 + 2);
    int32_t *origin;
    float *angle;
    uint8_t *kind;
    CU_ASSERT_EQUAL_FATAL(augment_set_make(&src, &spec, 5, &out, &origin, &angle, &kind), 0);
    CU_ASSERT_EQUAL_FATAL(out.count, N * 13);
    int per_kind[4] = {0}, per_origin[N] = {0}, wrong = 0;
    for (int64_t j = 0; j < out.count; j++) {
        CU_ASSERT_FATAL(kind[j] <= 3 && origin[j] >= 0 && origin[j] < N);
        per_kind[kind[j]]++;
        per_origin[origin[j]]++;
        const uint8_t *orig = imageset_image(&src, origin[j]), *img = imageset_image(&out, j);
        wrong += out.labels[j] != src.labels[origin[j]];
        uint8_t expect[784];
        switch (kind[j]) {
        case AUGMENT_ORIGINAL:
            wrong += angle[j] != 0.0f || memcmp(img, orig, 784) != 0;
            break;
        case AUGMENT_ROTATION:
            wrong += angle[j] != -10.0f && angle[j] != 15.0f;
            augment_rotate(orig, expect, 28, 28, angle[j], 0);
            wrong += memcmp(img, expect, 784) != 0;
            break;
        case AUGMENT_SHIFT: {
            int found = 0;
            const int moves[8][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1},
                                     {-3, 0}, {3, 0}, {0, -3}, {0, 3}};
            for (int m = 0; m < 8; m++) {
                augment_shift(orig, expect, 28, 28, moves[m][0], moves[m][1], 0);
                found += !memcmp(img, expect, 784);
            }
            wrong += found != 1 || angle[j] != 0.0f;
            break;
        }
        default:
            wrong += angle[j] != 0.0f || memcmp(img, orig, 784) == 0;
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(per_kind[0], N);
    CU_ASSERT_EQUAL(per_kind[1], 2 * N);
    CU_ASSERT_EQUAL(per_kind[2], 8 * N);
    CU_ASSERT_EQUAL(per_kind[3], 2 * N);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(per_origin[i], 13);
    /* the stored order is shuffled: the originals are not all first */
    int originals_first = 1;
    for (int j = 0; j < N; j++)
        originals_first &= kind[j] == AUGMENT_ORIGINAL;
    CU_ASSERT_FALSE(originals_first);

    /* the same seed gives the same set; an elastic copy depends only on
     * (seed, original, copy number), not on the other copies made */
    imageset_t again, alone;
    int32_t *origin2, *origin3;
    float *angle2, *angle3;
    uint8_t *kind2, *kind3;
    CU_ASSERT_EQUAL_FATAL(augment_set_make(&src, &spec, 5, &again, &origin2, &angle2, &kind2), 0);
    CU_ASSERT_EQUAL(memcmp(out.pixels, again.pixels, (size_t)out.count * 784), 0);
    CU_ASSERT_EQUAL(memcmp(origin, origin2, (size_t)out.count * sizeof *origin), 0);
    augment_spec_t only;
    CU_ASSERT_EQUAL(augment_spec_parse("elastic=2,alpha=20,sigma=3", &only), 0);
    CU_ASSERT_EQUAL_FATAL(augment_set_make(&src, &only, 5, &alone, &origin3, &angle3, &kind3), 0);
    int unmatched = 0;
    for (int64_t j = 0; j < alone.count; j++) {
        if (kind3[j] != AUGMENT_ELASTIC)
            continue;
        int found = 0;
        for (int64_t k = 0; k < out.count; k++)
            found += kind[k] == AUGMENT_ELASTIC && origin[k] == origin3[j] &&
                     !memcmp(imageset_image(&out, k), imageset_image(&alone, j), 784);
        unmatched += found != 1;
    }
    CU_ASSERT_EQUAL(unmatched, 0);

    imageset_free(&out);
    imageset_free(&again);
    imageset_free(&alone);
    free(origin);
    free(angle);
    free(kind);
    free(origin2);
    free(angle2);
    free(kind2);
    free(origin3);
    free(angle3);
    free(kind3);
    imageset_free(&src);
}

/* Rotations alone are laid out as they always were: row perm[i*3 + c]
 * holds copy c of original i, perm drawn from stream 0 of the seed. */
static void test_set_rotation_layout(void)
{
    enum { N = 11 };
    imageset_t src, out;
    make_source(&src, N);
    augment_spec_t spec;
    CU_ASSERT_EQUAL(augment_spec_parse("rotations=-10,10", &spec), 0);
    int32_t *origin;
    float *angle;
    uint8_t *kind;
    CU_ASSERT_EQUAL_FATAL(augment_set_make(&src, &spec, 3, &out, &origin, &angle, &kind), 0);
    uint32_t perm[3 * N];
    for (uint32_t j = 0; j < 3 * N; j++)
        perm[j] = j;
    rng_t rng;
    rng_seed(&rng, 3, 0);
    rng_shuffle_u32(&rng, perm, 3 * N);
    int wrong = 0;
    for (int i = 0; i < N; i++)
        for (int c = 0; c < 3; c++) {
            uint32_t row = perm[i * 3 + c];
            wrong += origin[row] != i || angle[row] != (c == 0 ? 0.0f : c == 1 ? -10.0f : 10.0f);
        }
    CU_ASSERT_EQUAL(wrong, 0);
    imageset_free(&out);
    imageset_free(&src);
    free(origin);
    free(angle);
    free(kind);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"shifts move by exact pixel counts", test_shift_exact},
        {"elastic with alpha 0 is the identity", test_elastic_alpha_zero_is_identity},
        {"elastic is reproducible from the seed and changes the image",
         test_elastic_reproducible},
        {"elastic field is a Gaussian blur of uniform draws", test_elastic_field_is_gaussian_blur},
        {"elastic displacements have the expected size", test_elastic_displacement_size},
        {"elastic refuses bad settings", test_elastic_bad_settings},
        {"augmented set: counts per kind and every copy", test_set_counts_and_contents},
        {"augmented set: rotations keep their old layout", test_set_rotation_layout},
        {NULL, NULL},
    };
    return testutil_run("elastic", cases);
}
