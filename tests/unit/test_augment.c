/* augment: rotation against exact permutations, against values computed
 * independently with scipy, the direction of turn, and the angle parser;
 * the shear and a rotation with a shear against scipy's affine_transform,
 * the shear's direction, and a rotation without shear is the rotation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/error.h"
#include "testutil.h"

/* An 8 x 6 (rows x cols, deliberately not square) test image:
 * A[r][c] = (r*37 + c*11 + (r*c % 7)*20) % 256. */
static const uint8_t A[8 * 6] = {
      0,  11,  22,  33,  44,  55,
     37,  68,  99, 130, 161, 192,
     74, 125, 176, 227, 138, 189,
    111, 182, 253, 184, 255, 186,
    148, 239, 190,  25, 232,  67,
    185,  40,  11, 238,  93,  64,
    222,  97,  88,  79,  70,  61,
      3,  14,  25,  36,  47,  58,
};

/* The expected rotations of A were computed with scipy 1.10.1 (numpy 1.24.2):
 *   ref = scipy.ndimage.rotate(A.astype(numpy.float64), ANGLE, reshape=False,
 *                              order=1, mode='constant', cval=CVAL)
 *   numpy.clip(numpy.rint(ref), 0, 255).astype(numpy.uint8)
 * None of the float results lies closer than 0.0007 to a tie x.5, so the
 * rounding is unambiguous. */
static const uint8_t A_ROT_10_FILL_0[8 * 6] = {
      0,   0,   0,  55,  91,   0,
     33,  67, 109, 149, 169,   0,
     72, 125, 184, 204, 175,   0,
    103, 175, 241, 176, 243,   0,
      0, 218, 199,  55, 184,  79,
      0, 115,  39, 171, 119,  69,
      0, 134,  83,  80,  67,  60,
      0,  59,  29,   0,   0,   0,
};
static const uint8_t A_ROT_MINUS_37_5_FILL_0[8 * 6] = {
      0,   0,   0,  30,   0,   0,
      0,   0,  95,  93,  72,   0,
      0, 149, 172, 176, 160, 125,
    159, 235, 223, 211, 196, 155,
     88,  58, 119, 120, 253, 187,
     77,  76, 234, 165, 151,   0,
      0,  62,  89,  78,   0,   0,
      0,   0,  57,   0,   0,   0,
};
static const uint8_t A_ROT_23_FILL_200[8 * 6] = {
    200, 200,  46, 106, 200, 200,
     26,  71, 131, 153, 183, 200,
     69, 128, 201, 192, 205, 200,
     97, 170, 229, 163, 231,  67,
    111, 197, 208,  83, 151,  79,
    200, 170,  87,  95, 140,  71,
    200, 173,  73,  88,  62,  51,
    200, 200,  71,  26, 200, 200,
};

/* Shears (augment_warp_matrix) of A with scipy as above, m the matrix:
 *   ref = scipy.ndimage.affine_transform(A.astype(numpy.float64), m,
 *             offset=c - m @ c, order=1, mode='constant', cval=CVAL)
 * with c = (3.5, 2.5), m = [[1, 0], [tan(SHEAR), 1]] @ [[cos, sin], [-sin,
 * cos]] (scipy.special.sindg/cosdg of ANGLE), rounded as above; no float
 * result lies closer than 0.004 to a tie. */
static const uint8_t A_SHEAR_20_FILL_0[8 * 6] = {
      0,   0,   8,  19,  30,  41,
      0,  40,  71, 102, 133, 164,
      0,  97, 148, 199, 187, 161,
      0, 169, 240, 197, 242, 199,
    165, 230, 160,  63, 202,   0,
    106,  24, 135, 159,  77,   0,
    108,  89,  80,  71,  62,   0,
     17,  28,  39,  50,   0,   0,
};
static const uint8_t A_ROT_10_SHEAR_MINUS_15_FILL_0[8 * 6] = {
      0,   0,   0,  67,   0,   0,
     51,  87, 129, 160,   0,   0,
     93, 146, 205, 178, 181,   0,
    119, 188, 232, 185, 237,   0,
      0, 213, 203,  75, 160, 106,
      0, 140,  50,  82, 172,  80,
      0,   0,  98,  86,  70,  61,
      0,   0,  30,   0,   0,   0,
};
static const uint8_t A_SHEAR_MINUS_30_FILL_90[8 * 6] = {
     22,  33,  44,  90,  90,  90,
     82, 113, 144, 175,  90,  90,
    118, 169, 220, 150, 182,  90,
    131, 202, 233, 204, 235,  90,
     90, 213, 204,  73, 172, 115,
     90, 166,  36,  41, 219,  89,
     90,  90, 152,  92,  83,  74,
     90,  90,  90,  14,  25,  36,
};

/* A 5 x 5 image of 255s rotated by 10 degrees, with scipy as above
 * (ndimage.rotate(numpy.full((5, 5), 255.0), 10, reshape=False, order=1,
 * mode='constant', cval=0)): every pixel is 0 or 255, nothing between. A
 * sample point outside [0, 4] by however little (out[0][1] samples row
 * -0.14) gets the fill whole; inside, all neighbours are 255. */
static const uint8_t FULL_5X5_ROT_10[5 * 5] = {
      0,   0, 255, 255,   0,
    255, 255, 255, 255,   0,
    255, 255, 255, 255, 255,
      0, 255, 255, 255, 255,
      0, 255, 255,   0,   0,
};

static int count_differences(const uint8_t *a, const uint8_t *b, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++)
        d += a[i] != b[i];
    return d;
}

static void check_against_scipy(double angle, uint8_t fill, const uint8_t *expected)
{
    uint8_t out[8 * 6], many[8 * 6];
    augment_rotate(A, out, 8, 6, angle, fill);
    int d = count_differences(out, expected, 8 * 6);
    if (d)
        fprintf(stderr, "\n  angle %g: %d pixels differ from scipy\n", angle, d);
    CU_ASSERT_EQUAL(d, 0);
    CU_ASSERT_EQUAL(augment_rotate_many(A, many, 1, 8, 6, angle, fill), 0);
    CU_ASSERT_EQUAL(count_differences(out, many, 8 * 6), 0);
}

static void test_scipy_values(void)
{
    check_against_scipy(10, 0, A_ROT_10_FILL_0);
    check_against_scipy(-37.5, 0, A_ROT_MINUS_37_5_FILL_0);
    check_against_scipy(23, 200, A_ROT_23_FILL_200);
}

static void test_scipy_boundary(void)
{
    uint8_t full[25], out[25];
    memset(full, 255, sizeof full);
    augment_rotate(full, out, 5, 5, 10, 0);
    CU_ASSERT_EQUAL(count_differences(out, FULL_5X5_ROT_10, 25), 0);
}

static void random_image(uint8_t *img, int n, uint32_t seed)
{
    for (int i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        img[i] = (uint8_t)(seed >> 24);
    }
}

static void test_identity(void)
{
    uint8_t src[28 * 28], out[28 * 28];
    random_image(src, 28 * 28, 1);
    augment_rotate(src, out, 28, 28, 0.0, 0);
    CU_ASSERT_EQUAL(memcmp(src, out, sizeof src), 0);
    augment_rotate(src, out, 28, 28, 360.0, 0);
    CU_ASSERT_EQUAL(memcmp(src, out, sizeof src), 0);
    augment_rotate(src, out, 28, 28, -0.0, 7);
    CU_ASSERT_EQUAL(memcmp(src, out, sizeof src), 0);
    augment_rotate(A, out, 8, 6, 0.0, 0); /* not square */
    CU_ASSERT_EQUAL(memcmp(A, out, sizeof A), 0);
}

/* scipy's +90 (checked: ndimage.rotate(a, 90, reshape=False, order=1) equals
 * numpy.rot90(a) for a random 7 x 7 a) turns the top row into the left
 * column: out[r][c] = in[c][n-1-r]. Exact: sin and cos of 90 are exactly 1
 * and 0, so no sample point lands a hair outside the image. */
static void test_quarter_turns(void)
{
    enum { N = 7 };
    uint8_t src[N * N], out[N * N];
    random_image(src, N * N, 2);
    int wrong = 0;
    augment_rotate(src, out, N, N, 90.0, 0);
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++)
            wrong += out[r * N + c] != src[c * N + (N - 1 - r)];
    CU_ASSERT_EQUAL(wrong, 0);

    wrong = 0;
    augment_rotate(src, out, N, N, -90.0, 0);
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++)
            wrong += out[r * N + c] != src[(N - 1 - c) * N + r];
    CU_ASSERT_EQUAL(wrong, 0);

    wrong = 0;
    augment_rotate(src, out, N, N, 270.0, 0); /* = -90 */
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++)
            wrong += out[r * N + c] != src[(N - 1 - c) * N + r];
    CU_ASSERT_EQUAL(wrong, 0);

    /* half a turn of a non-square image flips both axes */
    uint8_t flip[8 * 6];
    wrong = 0;
    augment_rotate(A, flip, 8, 6, 180.0, 0);
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 6; c++)
            wrong += flip[r * 6 + c] != A[(7 - r) * 6 + (5 - c)];
    CU_ASSERT_EQUAL(wrong, 0);
    uint8_t flip2[8 * 6];
    augment_rotate(A, flip2, 8, 6, -180.0, 0);
    CU_ASSERT_EQUAL(memcmp(flip, flip2, sizeof flip), 0);
}

static void centre_of_mass(const uint8_t *img, double *row, double *col)
{
    double m = 0, mr = 0, mc = 0;
    for (int r = 0; r < 28; r++)
        for (int c = 0; c < 28; c++) {
            m += img[r * 28 + c];
            mr += r * (double)img[r * 28 + c];
            mc += c * (double)img[r * 28 + c];
        }
    *row = mr / m;
    *col = mc / m;
}

/* +a then -a brings a digit's centre of mass back within a fraction of a
 * pixel (bilinear blurs, but does not move, the ink). */
static void test_there_and_back(void)
{
    enum { COUNT = 20 };
    uint8_t *digits = malloc(COUNT * 784);
    CU_ASSERT_FATAL(digits != NULL);
    testutil_synthetic_digits(digits, NULL, COUNT, 42);
    /* keep the ink within 11 pixels of the centre, so that no rotation
     * carries any of it out of the frame */
    for (int i = 0; i < COUNT; i++)
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++)
                if ((r - 13.5) * (r - 13.5) + (c - 13.5) * (c - 13.5) > 11.0 * 11.0)
                    digits[i * 784 + r * 28 + c] = 0;
    const double angles[] = {10, -10, 15, 3.7};
    for (int i = 0; i < COUNT; i++)
        for (int k = 0; k < 4; k++) {
            uint8_t there[784], back[784];
            augment_rotate(digits + i * 784, there, 28, 28, angles[k], 0);
            augment_rotate(there, back, 28, 28, -angles[k], 0);
            double r0, c0, r1, c1;
            centre_of_mass(digits + i * 784, &r0, &c0);
            centre_of_mass(back, &r1, &c1);
            if (!(fabs(r1 - r0) < 0.1 && fabs(c1 - c0) < 0.1))
                fprintf(stderr, "\n  digit %d angle %g: (%.3f, %.3f) -> (%.3f, %.3f)\n", i,
                        angles[k], r0, c0, r1, c1);
            CU_ASSERT(fabs(r1 - r0) < 0.1 && fabs(c1 - c0) < 0.1);
        }
    free(digits);
}

/* Positive angles turn anticlockwise as displayed (row 0 at the top): a blob
 * right of the centre moves up. scipy moves this blob's centre of mass from
 * (13.5, 22) to (12.02, 21.88) for +10 degrees. */
static void test_direction(void)
{
    uint8_t img[784] = {0}, out[784];
    img[13 * 28 + 22] = img[14 * 28 + 22] = 255;
    augment_rotate(img, out, 28, 28, 10.0, 0);
    double r, c;
    centre_of_mass(out, &r, &c);
    CU_ASSERT(fabs(r - 12.024) < 0.02);
    CU_ASSERT(fabs(c - 21.882) < 0.02);
}

static void test_fill_and_nan(void)
{
    uint8_t src[28 * 28], out[28 * 28];
    memset(src, 0, sizeof src);
    augment_rotate(src, out, 28, 28, 45.0, 255);
    CU_ASSERT_EQUAL(out[0], 255);              /* corners come from outside */
    CU_ASSERT_EQUAL(out[14 * 28 + 14], 0);     /* the middle from inside */
    augment_rotate(src, out, 28, 28, NAN, 9);  /* no sample point at all */
    CU_ASSERT_EQUAL(out[14 * 28 + 14], 9);
    augment_rotate(src, out, 1, 1, 33.0, 9);   /* a single pixel stays */
    CU_ASSERT_EQUAL(out[0], 0);
}

static void check_warp(double angle, double shear, uint8_t fill, const uint8_t *expected)
{
    uint8_t out[8 * 6];
    double m[4];
    augment_warp_matrix(angle, shear, m);
    augment_affine(A, out, 8, 6, m, fill);
    int d = count_differences(out, expected, 8 * 6);
    if (d)
        fprintf(stderr, "\n  angle %g shear %g: %d pixels differ from scipy\n", angle, shear, d);
    CU_ASSERT_EQUAL(d, 0);
}

static void test_shear_scipy_values(void)
{
    check_warp(0, 20, 0, A_SHEAR_20_FILL_0);
    check_warp(10, -15, 0, A_ROT_10_SHEAR_MINUS_15_FILL_0);
    check_warp(0, -30, 90, A_SHEAR_MINUS_30_FILL_90);
    uint8_t out[8 * 6];
    augment_shear(A, out, 8, 6, 20, 0);
    CU_ASSERT_EQUAL(count_differences(out, A_SHEAR_20_FILL_0, 8 * 6), 0);
}

/* Positive shear leans the top to the right: a vertical line through the
 * centre of a 29 x 29 image sheared by 45 degrees runs from the top right
 * to the bottom left, one column per row (exact: tan 45 is 1 to within a
 * hair, and every sample point lands on a whole column). */
static void test_shear_direction(void)
{
    enum { S = 29 };
    uint8_t img[S * S] = {0}, out[S * S];
    for (int r = 0; r < S; r++)
        img[r * S + 14] = 255;
    augment_shear(img, out, S, S, 45.0, 0);
    for (int r = 1; r < S - 1; r++) {
        int c = 14 + (14 - r);
        CU_ASSERT(out[r * S + c] >= 254);
        CU_ASSERT(out[r * S + c - 1] <= 1 && out[r * S + c + 1] <= 1);
    }
}

/* Without shear the warp is the rotation, byte for byte (so [augment]
 * configurations without shear keep their bytes). */
static void test_warp_without_shear(void)
{
    uint8_t src[28 * 28], a[28 * 28], b[28 * 28];
    random_image(src, 28 * 28, 5);
    const double angles[] = {0, 10, -10, 3.7, 45, -135, 90, 180};
    for (int k = 0; k < 8; k++)
        for (int z = 0; z < 2; z++) {
            double m[4];
            augment_warp_matrix(angles[k], z ? -0.0 : 0.0, m);
            augment_affine(src, a, 28, 28, m, 4);
            augment_rotate(src, b, 28, 28, angles[k], 4);
            CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
        }
}

/* augment_rotate_many is byte for byte augment_rotate, image by image. */
static void test_many(void)
{
    enum { COUNT = 50 };
    uint8_t *src = malloc(COUNT * 784), *one = malloc(COUNT * 784), *many = malloc(COUNT * 784);
    CU_ASSERT_FATAL(src && one && many);
    testutil_synthetic_digits(src, NULL, COUNT, 7);
    const double angles[] = {10, -10, 45, -135, 90, 3.7};
    for (int k = 0; k < 6; k++) {
        for (int i = 0; i < COUNT; i++)
            augment_rotate(src + i * 784, one + i * 784, 28, 28, angles[k], 3);
        CU_ASSERT_EQUAL(augment_rotate_many(src, many, COUNT, 28, 28, angles[k], 3), 0);
        CU_ASSERT_EQUAL(memcmp(one, many, COUNT * 784), 0);
    }
    CU_ASSERT_EQUAL(augment_rotate_many(src, many, 0, 28, 28, 10, 0), 0);
    free(src);
    free(one);
    free(many);
}

static void test_parse_angles(void)
{
    double a[4];
    CU_ASSERT_EQUAL(augment_parse_angles("-10,10", a, 4), 2);
    CU_ASSERT_EQUAL(a[0], -10.0);
    CU_ASSERT_EQUAL(a[1], 10.0);
    CU_ASSERT_EQUAL(augment_parse_angles("", a, 4), 0);
    CU_ASSERT_EQUAL(augment_parse_angles("   ", a, 4), 0);
    CU_ASSERT_EQUAL(augment_parse_angles(NULL, a, 4), 0);
    CU_ASSERT_EQUAL(augment_parse_angles(" -10 , 10 ,3.5", a, 4), 3);
    CU_ASSERT_EQUAL(a[2], 3.5);
    CU_ASSERT_EQUAL(augment_parse_angles("180,-180", a, 4), 2);
    CU_ASSERT_EQUAL(augment_parse_angles("7", a, 1), 1);

    static const struct {
        const char *text, *fragment;
    } bad[] = {
        {"ten", "\"ten\" is not a number"},
        {"10,x", "\"x\" is not a number"},
        {"10,,20", "\"\" is not a number"},
        {"10,", "\"\" is not a number"},
        {"10 20", "\"10 20\" is not a number"},
        {"10deg", "\"10deg\" is not a number"},
        {"nan", "outside -180..180"},
        {"-10,NaN", "outside -180..180"},
        {"inf", "outside -180..180"},
        {"180.5", "outside -180..180"},
        {"-200", "outside -180..180"},
        {"1,2,3,4,5", "more than 4 angles"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        error_clear();
        int n = augment_parse_angles(bad[i].text, a, 4);
        const char *msg = error_message();
        if (n != -1 || !strstr(msg, bad[i].text) || !strstr(msg, bad[i].fragment))
            fprintf(stderr, "\n  \"%s\": %d, \"%s\"\n", bad[i].text, n, msg);
        CU_ASSERT_EQUAL(n, -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, bad[i].text));
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, bad[i].fragment));
    }
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"angle 0 is the identity", test_identity},
        {"quarter and half turns are exact permutations", test_quarter_turns},
        {"values computed with scipy", test_scipy_values},
        {"scipy's edge: outside by a hair is fill", test_scipy_boundary},
        {"positive angle turns anticlockwise", test_direction},
        {"+a then -a keeps the centre of mass", test_there_and_back},
        {"fill, NaN angle, 1x1 image", test_fill_and_nan},
        {"augment_rotate_many equals augment_rotate", test_many},
        {"angle lists", test_parse_angles},
        {"shear and rotation with shear: values computed with scipy", test_shear_scipy_values},
        {"positive shear leans the top to the right", test_shear_direction},
        {"the warp without shear is the rotation", test_warp_without_shear},
        {NULL, NULL},
    };
    return testutil_run("augment", cases);
}
