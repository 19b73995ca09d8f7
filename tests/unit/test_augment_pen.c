/* augment_pen: stroke thickness (known widths of dilated and eroded lines),
 * cuts and gaps (ink removed only on the cut, across the stroke), grain and
 * salt and pepper (their size, clipped not wrapped), scale (the centre of
 * mass stays put), and whole sets with these copies (counts per kind, each
 * copy what the function makes, reproducible from the seed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/rng.h"
#include "testutil.h"

enum { H = 21, W = 21 };

/* A vertical line `width` px wide at full ink, centred on column 10, rows
 * 3..17. */
static void vertical_line(uint8_t *img, int width)
{
    memset(img, 0, H * W);
    for (int r = 3; r <= 17; r++)
        for (int c = 10 - width / 2; c <= 10 + width / 2; c++)
            img[r * W + c] = 255;
}

/* The ink columns of row r: first and count of pixels above 0. */
static int row_width(const uint8_t *img, int r)
{
    int n = 0;
    for (int c = 0; c < W; c++)
        n += img[r * W + c] > 0;
    return n;
}

static void test_thickness_widths(void)
{
    uint8_t line[H * W], out[H * W], tmp[H * W];
    vertical_line(line, 1);
    augment_thickness(line, out, tmp, H, W, 1.0);
    CU_ASSERT_EQUAL(row_width(out, 10), 3);
    CU_ASSERT_EQUAL(out[10 * W + 9], 255);
    CU_ASSERT_EQUAL(out[10 * W + 11], 255);
    CU_ASSERT_EQUAL(out[2 * W + 10], 255);   /* the ends grow by one too */
    CU_ASSERT_EQUAL(out[1 * W + 10], 0);
    augment_thickness(line, out, tmp, H, W, 2.0);
    CU_ASSERT_EQUAL(row_width(out, 10), 5);
    /* half a step: the new pixels get half the ink */
    augment_thickness(line, out, tmp, H, W, 0.5);
    CU_ASSERT_EQUAL(row_width(out, 10), 3);
    CU_ASSERT_EQUAL(out[10 * W + 9], 128);
    CU_ASSERT_EQUAL(out[10 * W + 10], 255);
    /* erosion: a 3-px line loses one pixel on each side, a 5-px line two */
    vertical_line(line, 3);
    augment_thickness(line, out, tmp, H, W, -1.0);
    CU_ASSERT_EQUAL(row_width(out, 10), 1);
    CU_ASSERT_EQUAL(out[10 * W + 10], 255);
    vertical_line(line, 5);
    augment_thickness(line, out, tmp, H, W, -2.0);
    CU_ASSERT_EQUAL(row_width(out, 10), 1);
    augment_thickness(line, out, tmp, H, W, -0.5);
    CU_ASSERT_EQUAL(out[10 * W + 8], 128);
    CU_ASSERT_EQUAL(out[10 * W + 9], 255);
    /* 0 is the identity; NaN too (a bad amount never reaches the pixels) */
    augment_thickness(line, out, tmp, H, W, 0.0);
    CU_ASSERT_EQUAL(memcmp(line, out, H * W), 0);
    augment_thickness(line, out, tmp, H, W, NAN);
    CU_ASSERT_EQUAL(memcmp(line, out, H * W), 0);
}

static void test_cut_only_on_the_cut(void)
{
    uint8_t line[H * W], out[H * W];
    vertical_line(line, 3);
    memcpy(out, line, sizeof out);
    /* a horizontal cut through (10, 10), 2 px wide: rows 9..11 lose the
     * line; nothing else changes */
    augment_cut(out, H, W, 10, 10, 0.0, 1.0, 3.5, 1.0);
    int wrong = 0;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            int on_cut = r >= 9 && r <= 11;
            wrong += out[r * W + c] != (on_cut ? 0 : line[r * W + c]);
        }
    CU_ASSERT_EQUAL(wrong, 0);
    /* 1.5 px wide: rows 9 and 11 lie half way into the soft edge */
    memcpy(out, line, sizeof out);
    augment_cut(out, H, W, 10, 10, 0.0, 1.0, 3.5, 0.75);
    CU_ASSERT_EQUAL(out[10 * W + 10], 0);
    CU_ASSERT_EQUAL(out[9 * W + 10], 128);
    CU_ASSERT_EQUAL(out[11 * W + 11], 128);
    CU_ASSERT_EQUAL(out[8 * W + 10], 255);
    /* the cut ends: a short one does not reach columns 9 and 11 */
    memcpy(out, line, sizeof out);
    augment_cut(out, H, W, 10, 10, 0.0, 1.0, 0.0, 0.4);
    CU_ASSERT_EQUAL(out[10 * W + 10], 0);
    CU_ASSERT_EQUAL(out[10 * W + 9], 255);
}

/* Gaps on a vertical line (or its transpose): ink only ever goes, within at
 * most two bands of 3 rows (columns) across the line, and at least one
 * band takes the whole width: the stroke is broken. */
static void check_gaps(int transpose)
{
    uint8_t src[H * W], line[H * W], out[H * W];
    vertical_line(line, 3);
    for (int i = 0; i < H * W; i++)
        src[i] = transpose ? line[(i % W) * W + i / W] : line[i];
    for (uint64_t seed = 1; seed <= 50; seed++) {
        rng_t rng;
        rng_seed(&rng, seed, 0);
        augment_gaps(src, out, H, W, &rng);
        int added = 0, lines_cut = 0, lines_broken = 0;
        for (int a = 0; a < H; a++) {
            int changed = 0, left = 0;
            for (int b = 0; b < W; b++) {
                int i = transpose ? b * W + a : a * W + b;
                added += out[i] > src[i];
                changed += out[i] != src[i];
                left += out[i];
            }
            lines_cut += changed > 0;
            lines_broken += changed > 0 && left == 0;
        }
        if (added || lines_cut < 2 || lines_cut > 6 || !lines_broken)
            fprintf(stderr, "\n  seed %llu%s: %d added, %d lines cut, %d broken\n",
                    (unsigned long long)seed, transpose ? " (horizontal)" : "", added, lines_cut,
                    lines_broken);
        CU_ASSERT_EQUAL(added, 0);
        CU_ASSERT(lines_cut >= 2 && lines_cut <= 6);
        CU_ASSERT(lines_broken >= 1);
    }
    /* no ink, no gap */
    uint8_t blank[H * W] = {0};
    rng_t rng;
    rng_seed(&rng, 1, 0);
    augment_gaps(blank, out, H, W, &rng);
    CU_ASSERT_EQUAL(memcmp(blank, out, H * W), 0);
}

static void test_gaps_across_the_stroke(void)
{
    check_gaps(0);
    check_gaps(1);
}

static void test_grain_and_speckle(void)
{
    enum { N = 100 * 100 };
    static uint8_t grey[N], black[N], out[N];
    memset(grey, 128, N);
    rng_t rng;
    rng_seed(&rng, 3, 0);
    augment_grain(grey, out, 100, 100, 10.0, &rng);
    double mad = 0;
    for (int i = 0; i < N; i++)
        mad += fabs(out[i] - 128.0);
    /* E|X| of N(0, 10) is 10 sqrt(2 / pi) = 7.98 */
    CU_ASSERT_DOUBLE_EQUAL(mad / N, 7.98, 0.4);
    /* on paper half the deviates are clipped to 0, not wrapped to 255:
     * E max(0, X) of N(0, 50) is 50 / sqrt(2 pi) = 19.9 */
    augment_grain(black, out, 100, 100, 50.0, &rng);
    double mean = 0;
    for (int i = 0; i < N; i++)
        mean += out[i];
    CU_ASSERT_DOUBLE_EQUAL(mean / N, 19.9, 1.5);
    augment_speckle(grey, out, 100, 100, 0.1, &rng);
    int salt = 0, pepper = 0, other = 0;
    for (int i = 0; i < N; i++) {
        salt += out[i] == 255;
        pepper += out[i] == 0;
        other += out[i] != 255 && out[i] != 0 && out[i] != 128;
    }
    CU_ASSERT_EQUAL(other, 0);
    CU_ASSERT(salt > 400 && salt < 600);
    CU_ASSERT(pepper > 400 && pepper < 600);
    /* the same stream, the same noise */
    uint8_t a[N], b[N];
    rng_seed(&rng, 9, 4);
    augment_noise(grey, a, 100, 100, &rng);
    rng_seed(&rng, 9, 4);
    augment_noise(grey, b, 100, 100, &rng);
    CU_ASSERT_EQUAL(memcmp(a, b, N), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, grey, N), 0);
}

/* Centre of mass (row, column) and total ink of img [28, 28]. */
static double centre(const uint8_t *img, double *row, double *col)
{
    double m = 0, r = 0, c = 0;
    for (int i = 0; i < 784; i++) {
        m += img[i];
        r += img[i] * (double)(i / 28);
        c += img[i] * (double)(i % 28);
    }
    *row = r / m;
    *col = c / m;
    return m;
}

static void test_scale_keeps_the_centre(void)
{
    /* an off-centre ring with a tail, so that the centre is not a pixel's */
    uint8_t src[784] = {0}, out[784];
    for (int i = 0; i < 784; i++) {
        double dr = i / 28 - 11.3, dc = i % 28 - 15.6, d = hypot(dr, dc);
        if (fabs(d - 5.0) < 1.4 || (dr > 0 && fabs(dc + 3) < 1 && dr < 9))
            src[i] = (uint8_t)(255 - 40 * fabs(d - 5.0));
    }
    double r0, c0, m0 = centre(src, &r0, &c0);
    static const double percents[] = {-30, -10, -5, 5, 10, 30, 50};
    for (size_t k = 0; k < sizeof percents / sizeof percents[0]; k++) {
        augment_scale(src, out, 28, 28, percents[k]);
        double r, c, m = centre(out, &r, &c), s = 1 + percents[k] / 100;
        if (fabs(r - r0) > 0.5 || fabs(c - c0) > 0.5 || fabs(m / (m0 * s * s) - 1) > 0.1)
            fprintf(stderr, "\n  %g%%: centre (%.2f, %.2f) was (%.2f, %.2f), ink x %.3f\n",
                    percents[k], r, c, r0, c0, m / m0);
        CU_ASSERT(fabs(r - r0) <= 0.5 && fabs(c - c0) <= 0.5);
        /* ink grows with the area */
        CU_ASSERT_DOUBLE_EQUAL(m / (m0 * s * s), 1.0, 0.1);
    }
    augment_scale(src, out, 28, 28, 0.0);
    CU_ASSERT_EQUAL(memcmp(src, out, 784), 0);
    uint8_t blank[784] = {0};
    augment_scale(blank, out, 28, 28, 10.0);
    CU_ASSERT_EQUAL(memcmp(blank, out, 784), 0);
}

/* A set with every kind of augment_pen.c's copies. */
typedef struct {
    imageset_t out;
    int32_t *origin;
    float *angle;
    uint8_t *kind;
} made_t;

static void make(const imageset_t *src, const char *text, uint64_t seed, made_t *m)
{
    augment_spec_t spec;
    CU_ASSERT_EQUAL_FATAL(augment_spec_parse(text, &spec), 0);
    CU_ASSERT_EQUAL_FATAL(augment_set_make(src, &spec, seed, &m->out, &m->origin, &m->angle,
                                           &m->kind), 0);
}

static void made_free(made_t *m)
{
    imageset_free(&m->out);
    free(m->origin);
    free(m->angle);
    free(m->kind);
}

/* The rows of kind k made from original i, in stored order, into rows. */
static int rows_of(const made_t *m, int32_t i, int k, const uint8_t **rows, int max)
{
    int n = 0;
    for (int64_t j = 0; j < m->out.count && n < max; j++)
        if (m->origin[j] == i && m->kind[j] == k)
            rows[n++] = imageset_image(&m->out, j);
    return n;
}

/* Is img one of the n rows? */
static int among(const uint8_t *img, const uint8_t **rows, int n)
{
    for (int k = 0; k < n; k++)
        if (!memcmp(img, rows[k], 784))
            return 1;
    return 0;
}

static void test_set_with_pen_copies(void)
{
    enum { N = 6 };
    imageset_t src;
    CU_ASSERT_EQUAL_FATAL(imageset_alloc(&src, N, 28, 28), 0);
    testutil_synthetic_digits(src.pixels, src.labels, N, 17);
    made_t all, again, alone;
    make(&src, "rotations=5;thickness=-1,0.5;scale=-10;gaps=2;noise=1", 3, &all);
    CU_ASSERT_EQUAL_FATAL(all.out.count, N * (1 + 1 + 2 + 1 + 2 + 1));
    make(&src, "rotations=5;thickness=-1,0.5;scale=-10;gaps=2;noise=1", 3, &again);
    CU_ASSERT_EQUAL(memcmp(all.out.pixels, again.out.pixels, (size_t)all.out.count * 784), 0);
    CU_ASSERT_EQUAL(memcmp(all.kind, again.kind, (size_t)all.out.count), 0);
    /* gaps and noise drawn from (seed, kind, original, copy): the same
     * without the other copies */
    make(&src, "gaps=2;noise=1", 3, &alone);
    int wrong = 0;
    for (int32_t i = 0; i < N; i++) {
        const uint8_t *rows[4], *lone[4], *orig = imageset_image(&src, i);
        uint8_t want[784], tmp[784];
        wrong += rows_of(&all, i, AUGMENT_ORIGINAL, rows, 4) != 1 || memcmp(rows[0], orig, 784);
        wrong += rows_of(&all, i, AUGMENT_THICKNESS, rows, 4) != 2;
        augment_thickness(orig, want, tmp, 28, 28, -1.0);
        wrong += !among(want, rows, 2);
        augment_thickness(orig, want, tmp, 28, 28, 0.5);
        wrong += !among(want, rows, 2);
        wrong += rows_of(&all, i, AUGMENT_SCALE, rows, 4) != 1;
        augment_scale(orig, want, 28, 28, -10.0);
        wrong += memcmp(want, rows[0], 784) != 0;
        for (int k = AUGMENT_GAPS; k <= AUGMENT_NOISE; k++) {
            int n = rows_of(&all, i, k, rows, 4);
            wrong += n != (k == AUGMENT_GAPS ? 2 : 1) || rows_of(&alone, i, k, lone, 4) != n;
            for (int c = 0; c < n; c++)
                wrong += !among(lone[c], rows, n) || !memcmp(lone[c], orig, 784);
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    made_free(&all);
    made_free(&again);
    made_free(&alone);
    imageset_free(&src);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"thickness: a 1-px line dilated by 1 is 3 px wide", test_thickness_widths},
        {"a cut removes ink on the cut only", test_cut_only_on_the_cut},
        {"gaps break the stroke across it", test_gaps_across_the_stroke},
        {"grain and salt and pepper: size, clipped", test_grain_and_speckle},
        {"scale keeps the centre of mass", test_scale_keeps_the_centre},
        {"sets: every copy in place, reproducible", test_set_with_pen_copies},
        {NULL, NULL},
    };
    return testutil_run("augment_pen", cases);
}
