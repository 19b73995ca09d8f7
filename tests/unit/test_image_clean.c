/* Tests of the steps that find a digit in a real picture (nnmpi/image_clean.h),
 * each on small synthetic pictures with known answers: the work copy's block
 * means, the ink map under a shadow and on a board, ruled lines, Otsu's
 * threshold, the digit's components among specks, broken strokes and
 * smudges, the distance transform against brute force, the stroke width of
 * bands, and the width the MNIST frame gives a hairline and a marker. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnmpi/error.h"
#include "nnmpi/image_clean.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static double seg_dist(double px, double py, const double *a, const double *b)
{
    const double dx = b[0] - a[0], dy = b[1] - a[1];
    double t = ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const double ex = a[0] + t * dx - px, ey = a[1] + t * dy - py;
    return sqrt(ex * ex + ey * ey);
}

/* A "7" (a bar and a slanted stem, in fractions of the canvas) of the given
 * width in pixels as ink coverage 0..1 per pixel: cover [h, w]. */
static void draw_seven(double *cover, int w, int h, double width)
{
    const double p[3][2] = {{0.3 * w, 0.25 * h}, {0.7 * w, 0.25 * h}, {0.45 * w, 0.75 * h}};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const double d = fmin(seg_dist(x + 0.5, y + 0.5, p[0], p[1]),
                                  seg_dist(x + 0.5, y + 0.5, p[1], p[2]));
            cover[y * w + x] = fmin(1.0, fmax(0.0, width / 2 + 0.5 - d));
        }
}

/* Luminance: paper * light(x) blended with ink by cover. */
static void paint(const double *cover, int n, int w, double paper, double ink, double shadow,
                  uint8_t *lum)
{
    for (int i = 0; i < n; i++) {
        const double light = 1.0 - shadow * (double)(i % w) / w;   /* darker to the right */
        const double v = (paper * (1 - cover[i]) + ink * cover[i]) * light;
        lum[i] = (uint8_t)(v + 0.5);
    }
}

/* The digit's mask and box the way image_normalise_mnist finds them. */
static int find_digit(const image_t *lum, image_t *mask, image_box_t *box, int *dark_ink)
{
    image_t ink;
    if (image_ink_map(lum, &ink, dark_ink) < 0 || image_ink_remove_lines(&ink) < 0)
        return -1;
    const int t = image_ink_threshold(&ink);
    const int rc = image_blobs_digit(&ink, t / 2 ? t / 2 : 1, t, mask, box);
    image_free(&ink);
    return rc;
}

static int same_box(const image_box_t *a, const image_box_t *b, int slack)
{
    return abs(a->y0 - b->y0) <= slack && abs(a->y1 - b->y1) <= slack &&
           abs(a->x0 - b->x0) <= slack && abs(a->x1 - b->x1) <= slack;
}

static long count_diff(const image_t *a, const image_t *b)
{
    long n = 0;
    for (size_t i = 0; i < (size_t)a->height * a->width; i++)
        n += a->pixels[i] != b->pixels[i];
    return n;
}

/* Finds the digit in two pictures of size S x S and compares: each found
 * with the expected polarity, boxes within a pixel; returns how many mask
 * pixels differ (-1 if either was not found). */
static long compare_digits(uint8_t *lum_a, uint8_t *lum_b, int S, int dark_a, int dark_b)
{
    image_t a = {S, S, lum_a}, b = {S, S, lum_b}, ma, mb;
    image_box_t ba, bb;
    int got_a, got_b;
    if (find_digit(&a, &ma, &ba, &got_a) < 0)
        return -1;
    if (find_digit(&b, &mb, &bb, &got_b) < 0) {
        image_free(&ma);
        return -1;
    }
    CU_ASSERT(got_a == dark_a && got_b == dark_b);
    CU_ASSERT(same_box(&ba, &bb, 1));
    const long diff = count_diff(&ma, &mb);
    image_free(&ma);
    image_free(&mb);
    return diff;
}

/* ------------------------------------------------------------- steps */

static void test_work_copy(void)
{
    image_t in, out;
    int f;
    CU_ASSERT_EQUAL_FATAL(image_alloc(&in, 5, 2050), 0);
    for (int x = 0; x < 2050; x++)
        for (int y = 0; y < 5; y++)
            in.pixels[y * 2050 + x] = (uint8_t)(x % 3 == 0 ? 90 : 0);
    CU_ASSERT_EQUAL_FATAL(image_work_copy(&in, &out, &f), 0);
    CU_ASSERT_EQUAL(f, 3);   /* 2050 / 1024 -> 3 */
    CU_ASSERT(out.width == 684 && out.height == 2);
    CU_ASSERT_EQUAL(out.pixels[0], 30);             /* (90 + 0 + 0) / 3 over 3 x 3 */
    CU_ASSERT_EQUAL(out.pixels[684 + 5], 30);       /* the last, 2-row block too */
    CU_ASSERT_EQUAL(out.pixels[683], 90);           /* column 2049 alone: 90 */
    image_free(&out);
    in.width = 1000;   /* small enough: copied as it is */
    CU_ASSERT_EQUAL_FATAL(image_work_copy(&in, &out, &f), 0);
    CU_ASSERT(f == 1 && out.width == 1000 && !memcmp(out.pixels, in.pixels, 5000));
    image_free(&out);
    image_free(&in);
}

/* Two pictures of the same "7" (its coverage in cover), a and b [side^2]. */
typedef struct {
    int side;
    double *cover;
    uint8_t *a, *b;
} pair_t;

static void pair_init(pair_t *p, int side, double pen)
{
    p->side = side;
    p->cover = malloc(sizeof *p->cover * side * side);
    p->a = malloc((size_t)side * side);
    p->b = malloc((size_t)side * side);
    CU_ASSERT_FATAL(p->cover && p->a && p->b);
    draw_seven(p->cover, side, side, pen);
}

static void pair_free(pair_t *p)
{
    free(p->cover);
    free(p->a);
    free(p->b);
}

/* A shadow across the page gives the same ink/paper split as flat paper:
 * the same digit mask but for a few edge pixels, and the same box. */
static void test_shadow_same_as_flat(void)
{
    pair_t p;
    pair_init(&p, 200, 12);
    paint(p.cover, 200 * 200, 200, 245, 30, 0.0, p.a);
    paint(p.cover, 200 * 200, 200, 245, 30, 0.6, p.b);   /* the right edge at 40% light */
    const long diff = compare_digits(p.a, p.b, 200, 1, 1);
    CU_ASSERT(diff >= 0 && diff < 100);   /* of about 2,700 ink pixels */
    printf("\n    shadow vs flat: %ld mask pixels differ ", diff);
    pair_free(&p);
}

/* Chalk on a board: light ink on dark is found as ink, the board's slope
 * (a smudge) taken out, the same mask as the ink on paper. */
static void test_board_polarity(void)
{
    enum { S = 120 };
    pair_t p;
    pair_init(&p, S, 8);
    paint(p.cover, S * S, S, 250, 20, 0.0, p.a);
    for (int i = 0; i < S * S; i++)   /* board 40..70 from left to right, chalk 230 */
        p.b[i] = (uint8_t)(40 + 30 * (i % S) / S + (230 - 40) * p.cover[i] + 0.5);
    const long diff = compare_digits(p.a, p.b, S, 1, 0);
    CU_ASSERT(diff >= 0 && diff < 40);
    pair_free(&p);
}

/* A marker on a clean canvas, dark on white and white on black (a paint
 * program's, a browser canvas's): the strokes are the ink, whole -- not
 * the paper between them, not their outline. */
static void test_marker_on_clean_canvas(void)
{
    enum { S = 200 };
    pair_t p;
    pair_init(&p, S, 24);
    paint(p.cover, S * S, S, 252, 5, 0.0, p.a);
    paint(p.cover, S * S, S, 0, 255, 0.0, p.b);
    long strokes = 0;
    for (int i = 0; i < S * S; i++)
        strokes += p.cover[i] >= 0.5;
    for (int k = 0; k < 2; k++) {
        image_t lum = {.height = S, .width = S, .pixels = k == 0 ? p.a : p.b}, mask;
        image_box_t box;
        int dark_ink = -1;
        CU_ASSERT_FATAL(find_digit(&lum, &mask, &box, &dark_ink) == 0);
        CU_ASSERT_EQUAL(dark_ink, k == 0);
        long on = 0, hit = 0;
        for (int i = 0; i < S * S; i++) {
            on += mask.pixels[i] != 0;
            hit += mask.pixels[i] != 0 && p.cover[i] >= 0.5;
        }
        CU_ASSERT(hit > 0.95 * strokes && on < 1.1 * strokes);
        printf("\n    marker %s: %ld of %ld stroke pixels, %ld in the mask ",
               k == 0 ? "dark on white" : "white on black", hit, strokes, on);
        image_free(&mask);
    }
    pair_free(&p);
}

/* The trace of a picture: its five steps, the last what the network saw;
 * the strip shows them side by side; a blank page keeps the steps it got
 * through; without a trace the answer is the same. */
static void test_trace(void)
{
    enum { S = 150 };
    pair_t p;
    pair_init(&p, S, 6);
    paint(p.cover, S * S, S, 240, 30, 0.3, p.a);
    image_t lum = {.height = S, .width = S, .pixels = p.a}, strip;
    uint8_t out[IMAGE_PIXELS], plain[IMAGE_PIXELS];
    image_trace_t trace;
    CU_ASSERT_FATAL(image_normalise_mnist_traced(&lum, out, &trace) == 0);
    CU_ASSERT_FATAL(image_normalise_mnist(&lum, plain) == 0);
    CU_ASSERT_EQUAL(memcmp(out, plain, sizeof out), 0);
    CU_ASSERT_EQUAL_FATAL(trace.count, IMAGE_TRACE_STEPS);
    CU_ASSERT_STRING_EQUAL(trace.title[0], "picture");
    CU_ASSERT_STRING_EQUAL(trace.title[4], "28x28");
    CU_ASSERT_EQUAL(trace.step[0].width, S);
    const image_t *seen = &trace.step[4];
    CU_ASSERT_FATAL(seen->width == IMAGE_SIDE && seen->height == IMAGE_SIDE);
    int same = 1;
    for (int i = 0; i < IMAGE_PIXELS; i++)
        same &= seen->pixels[i] == 255 - out[i];
    CU_ASSERT_TRUE(same);
    CU_ASSERT_FATAL(image_trace_strip(&trace, &strip) == 0);
    CU_ASSERT(strip.height >= IMAGE_TRACE_HEIGHT && strip.width >= 5 * IMAGE_TRACE_HEIGHT * 3 / 4);
    image_free(&strip);
    image_trace_free(&trace);
    CU_ASSERT_EQUAL(trace.count, 0);

    memset(p.a, 200, (size_t)S * S);   /* blank paper: refused after the ink map */
    CU_ASSERT_EQUAL(image_normalise_mnist_traced(&lum, out, &trace), -1);
    CU_ASSERT_EQUAL(trace.count, 2);
    CU_ASSERT_FATAL(image_trace_strip(&trace, &strip) == 0);
    image_free(&strip);
    image_trace_free(&trace);
    pair_free(&p);
}

/* Ruled and squared paper: the lines go, the digit stays. */
static void test_ruled_lines(void)
{
    enum { S = 160 };
    double *cover = malloc(sizeof *cover * S * S);
    uint8_t *lum = malloc(S * S);
    draw_seven(cover, S, S, 8);
    paint(cover, S * S, S, 250, 20, 0.0, lum);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
            if ((y % 20 == 7 || x % 20 == 3) && cover[y * S + x] < 0.5)
                lum[y * S + x] = 175;   /* blue-grey lines, 75 darker than paper */
    image_t img = {S, S, lum}, ink;
    int dark;
    CU_ASSERT_EQUAL_FATAL(image_ink_map(&img, &ink, &dark), 0);
    CU_ASSERT(dark && ink.pixels[7 * S + 150] == 75);   /* a line, before */
    CU_ASSERT_EQUAL_FATAL(image_ink_remove_lines(&ink), 0);
    int line_left = 0, digit_kept = 1;
    for (int i = 0; i < S * S; i++) {
        if (cover[i] == 0.0 && ink.pixels[i] > 20)
            line_left++;
        if (cover[i] == 1.0 && ink.pixels[i] < 150)
            digit_kept = 0;
    }
    CU_ASSERT_EQUAL(line_left, 0);
    CU_ASSERT(digit_kept);
    image_free(&ink);
    image_box_t box, clean_box;
    image_t mask;
    CU_ASSERT_EQUAL_FATAL(find_digit(&img, &mask, &box, &dark), 0);
    image_free(&mask);
    paint(cover, S * S, S, 250, 20, 0.0, lum);
    CU_ASSERT_EQUAL_FATAL(find_digit(&img, &mask, &clean_box, &dark), 0);
    CU_ASSERT(same_box(&box, &clean_box, 0));
    image_free(&mask);
    free(cover);
    free(lum);
}

/* Otsu on two levels splits them; more empty paper does not move it. */
static void test_threshold(void)
{
    image_t ink;
    CU_ASSERT_EQUAL_FATAL(image_alloc(&ink, 100, 100), 0);
    for (int i = 0; i < 10000; i++)
        ink.pixels[i] = i < 300 ? 0 : i < 700 ? 40 : 200;
    const int t = image_ink_threshold(&ink);
    CU_ASSERT(t > 40 && t <= 200);
    image_t big;
    CU_ASSERT_EQUAL_FATAL(image_alloc(&big, 400, 100), 0);   /* 3x more paper at 0 */
    memcpy(big.pixels, ink.pixels, 10000);
    CU_ASSERT_EQUAL(image_ink_threshold(&big), t);
    /* a little ink on a lot of noise: at least a third of the ink's level */
    for (int i = 0; i < 10000; i++)
        ink.pixels[i] = (uint8_t)(i < 20 ? 210 : (i * 7919) % 23);
    CU_ASSERT(image_ink_threshold(&ink) >= 70);
    image_free(&ink);
    image_free(&big);
}

/* Specks and grain do not move the crop box; the pieces of a broken stroke
 * are kept; a smudge far away is dropped. */
static void test_components(void)
{
    enum { S = 150 };
    double *cover = malloc(sizeof *cover * S * S);
    uint8_t *lum = malloc(S * S);
    draw_seven(cover, S, S, 7);
    paint(cover, S * S, S, 240, 20, 0.0, lum);
    image_t img = {S, S, lum}, mask;
    image_box_t clean, box;
    int dark;
    CU_ASSERT_EQUAL_FATAL(find_digit(&img, &mask, &clean, &dark), 0);
    image_free(&mask);

    uint64_t r = 12345;   /* specks: 1-2 px dots over the whole page */
    for (int k = 0; k < 300; k++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        const int y = (int)((r >> 33) % (S - 1)), x = (int)((r >> 13) % (S - 1));
        lum[y * S + x] = 30;
        if (k % 2)
            lum[y * S + x + 1] = 30;
    }
    lum[3 * S + 3] = lum[3 * S + 4] = lum[4 * S + 3] = lum[4 * S + 4] = 20;   /* a dot in a corner */
    CU_ASSERT_EQUAL_FATAL(find_digit(&img, &mask, &box, &dark), 0);
    CU_ASSERT(same_box(&box, &clean, 1));
    image_free(&mask);

    paint(cover, S * S, S, 240, 20, 0.0, lum);   /* broken: two gaps across the stem */
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
            if ((y >= 75 && y < 80) || (y >= 95 && y < 99))
                lum[y * S + x] = 240;
    for (int y = 130; y < 146; y++)   /* and a smudge in the far corner */
        for (int x = 130; x < 146; x++)
            lum[y * S + x] = 120;
    CU_ASSERT_EQUAL_FATAL(find_digit(&img, &mask, &box, &dark), 0);
    CU_ASSERT(same_box(&box, &clean, 1));
    image_free(&mask);
    free(cover);
    free(lum);
}

/* ------------------------------------------------------------ strokes */

/* The exact transform against brute force on a random mask. */
static void test_distance_exact(void)
{
    enum { H = 23, W = 31 };
    image_t m;
    CU_ASSERT_EQUAL_FATAL(image_alloc(&m, H, W), 0);
    uint64_t r = 99;
    for (int i = 0; i < H * W; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        m.pixels[i] = (r >> 60) < 11;   /* about 70% ink */
    }
    float dist[H * W];
    for (int from = 0; from <= 1; from++) {
        CU_ASSERT_EQUAL_FATAL(image_stroke_distance(&m, from, dist), 0);
        double worst = 0.0;
        for (int i = 0; i < H * W; i++) {
            double best = (m.pixels[i] != 0) == from ? 1e9 : 0.0;
            for (int j = 0; j < H * W && best > 0.0; j++)
                if ((m.pixels[j] != 0) != (m.pixels[i] != 0)) {
                    const double dy = i / W - j / W, dx = i % W - j % W;
                    best = fmin(best, sqrt(dy * dy + dx * dx));
                }
            worst = fmax(worst, fabs(best - dist[i]));
        }
        CU_ASSERT(worst < 1e-4);
    }
    image_free(&m);
}

/* Bands 2 to 12 pixels wide and 90 long: upright (columns x0 .. x0+w-1)
 * within half a pixel and 5% (the ends make them look thinner); at 30
 * degrees (pixels whose centre is within w/2 of the axis) within 12% and
 * half a pixel: a slanted edge's staircase brings the paper closer. MNIST's
 * width is measured the same way, so the bias cancels in the target. */
static void test_width_of_bands(void)
{
    enum { S = 120 };
    image_t m;
    CU_ASSERT_EQUAL_FATAL(image_alloc(&m, S, S), 0);
    const int widths[] = {2, 3, 5, 8, 12};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++)
        for (int slant = 0; slant <= 1; slant++) {
            const int w = widths[k];
            const double c = cos(0.5236), s = sin(0.5236);
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    const double u = (x + 0.5 - S / 2.0) * c - (y + 0.5 - S / 2.0) * s;
                    const double along = (x + 0.5 - S / 2.0) * s + (y + 0.5 - S / 2.0) * c;
                    m.pixels[y * S + x] = slant ? fabs(u) < w / 2.0 && fabs(along) < 45
                                                : x >= 50 && x < 50 + w && y >= 15 && y < 105;
                }
            double got;
            CU_ASSERT_EQUAL_FATAL(image_stroke_width(&m, &got), 0);
            const double slack = 0.5 + (slant ? 0.12 : 0.05) * w;
            CU_ASSERT(fabs(got - w) <= slack);
            if (fabs(got - w) > slack)
                fprintf(stderr, "band %d px%s: measured %.2f\n", w, slant ? " at 30 deg" : "", got);
        }
    image_free(&m);
}

/* The stroke width of a normalised 28x28 digit, binarised at 128 as MNIST's
 * was measured. */
static double output_width(const uint8_t *out)
{
    image_t m;
    double w = 0.0;
    if (image_alloc(&m, IMAGE_SIDE, IMAGE_SIDE) < 0)
        return -1.0;
    for (int i = 0; i < IMAGE_PIXELS; i++)
        m.pixels[i] = out[i] >= 128;
    if (image_stroke_width(&m, &w) < 0)
        w = -1.0;
    image_free(&m);
    return w;
}

/* Hairlines (1.5 and 3 px on 300 x 300) and markers (8 px on 40 x 40, 40
 * on 400 x 400) come out within a pixel of MNIST's median width (thinning
 * stops at half the width: 12 px on 40 x 40 would end at 4.5); a pen within
 * MNIST's range (5 px on 100 x 100) is left as it was. */
static void test_width_normalised(void)
{
    static const struct {
        int side;
        double pen;
    } cases[] = {{300, 3}, {300, 1.5}, {40, 8}, {400, 40}, {100, 5}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int S = cases[k].side;
        double *cover = malloc(sizeof *cover * S * S);
        uint8_t *lum = malloc((size_t)S * S), out[IMAGE_PIXELS];
        draw_seven(cover, S, S, cases[k].pen);
        paint(cover, S * S, S, 250, 10, 0.0, lum);
        image_t img = {S, S, lum};
        CU_ASSERT_EQUAL_FATAL(image_normalise_mnist(&img, out), 0);
        const double w = output_width(out);
        CU_ASSERT(fabs(w - IMAGE_STROKE_WIDTH) <= 1.0);
        printf("\n    pen %.1f on %d x %d: width %.2f in the 28x28 frame ", cases[k].pen, S, S, w);
        free(cover);
        free(lum);
    }
}

/* Same picture, same bytes; and a 1000 x 1000 photo-like picture (noise, a
 * shadow) in well under 50 ms (printed, not asserted: machines vary). */
static void test_deterministic_and_fast(void)
{
    enum { S = 1000 };
    double *cover = malloc(sizeof *cover * S * S);
    uint8_t *lum = malloc(S * S), a[IMAGE_PIXELS], b[IMAGE_PIXELS];
    draw_seven(cover, S, S, 40);
    paint(cover, S * S, S, 220, 40, 0.4, lum);
    uint64_t r = 7;
    for (int i = 0; i < S * S; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        const int v = lum[i] + (int)((r >> 59) % 25) - 12;
        lum[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    image_t img = {S, S, lum};
    double best = 1e9;
    for (int k = 0; k < 3; k++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CU_ASSERT_EQUAL_FATAL(image_normalise_mnist(&img, k ? b : a), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        best = fmin(best, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
    CU_ASSERT_EQUAL(memcmp(a, b, IMAGE_PIXELS), 0);
    CU_ASSERT(fabs(output_width(a) - IMAGE_STROKE_WIDTH) <= 1.0);
    printf("\n    1000 x 1000 noisy, shadowed: %.1f ms ", best);
    free(cover);
    free(lum);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"work copy: block means of a large picture", test_work_copy},
        {"a shadow gives the same ink as flat paper", test_shadow_same_as_flat},
        {"chalk on a smudged board: light ink found", test_board_polarity},
        {"a marker on a clean canvas: its strokes whole, either polarity",
         test_marker_on_clean_canvas},
        {"the trace of a picture: five steps, a strip; a refused one keeps its steps",
         test_trace},
        {"ruled and squared lines removed, digit kept", test_ruled_lines},
        {"Otsu threshold, independent of empty paper", test_threshold},
        {"specks, broken strokes, a far smudge: same box", test_components},
        {"distance transform exact (brute force)", test_distance_exact},
        {"stroke width of bands 2-12 px", test_width_of_bands},
        {"hairline and marker framed at MNIST's width", test_width_normalised},
        {"deterministic; 1000 x 1000 timed", test_deterministic_and_fast},
        {NULL, NULL},
    };
    return testutil_run("image_clean", cases);
}
