/* Rotation that reproduces scipy.ndimage.rotate(img, angle, reshape=False,
 * order=1, mode='constant', cval=fill) (scipy 1.10), so that a dataset made
 * here matches one made with the book's Python; and, by the same sampling,
 * any linear warp about the centre (a shear, a rotation with a shear) as
 * scipy.ndimage.affine_transform does it -- rotation is one such warp:
 *
 * - the output pixel (r, c) samples the input at M (r, c) + offset, with
 *   M = [[cos, sin], [-sin, cos]] and offset = centre - M centre,
 *   centre = ((h-1)/2, (w-1)/2); sin and cos are taken in degrees so that
 *   multiples of 90 are exact (scipy uses special.sindg/cosdg);
 * - a sample point with a coordinate below 0 or above n-1, by however little,
 *   gets the fill value whole; scipy's 'constant' mode does not blend the
 *   fill into points between the last pixel and the border;
 * - inside, plain bilinear interpolation, with the weights and the sums in
 *   scipy's order (NI_GeometricTransform), so that the float result is
 *   usually bit for bit scipy's and even exact ties (at 45 degrees) round
 *   alike. Known sources of last-bit differences: numpy computes the centre
 *   offset with a BLAS matrix-vector product, which may use fused
 *   multiply-adds (at +45 degrees that turns some ties x.5 into
 *   x.49999999999999997: 1 pixel in 10,000 of MNIST then differs by one grey
 *   level), and libm's sin/cos may differ from cephes' in the last bit. On
 *   all 60,000 MNIST training images at 10, -10, 5, -15, 3.7, 30, 90, 135,
 *   -135 and 180 degrees the result equals scipy's rounded one exactly. */
#include "nnmpi/augment.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

/* sin and cos of deg degrees, exact at multiples of 90: |deg| is reduced to
 * [-45, 45] degrees around the nearest quarter turn (exact in degrees), and
 * the sign is put back with sin(-x) = -sin(x), the way scipy's sindg/cosdg
 * (cephes) do it, so that e.g. -135 and 225 degrees agree with scipy to the
 * last bit of which of sin and cos is rounded down. */
static void sincos_deg(double deg, double *s, double *c)
{
    const double rad_per_deg = 0.017453292519943295769; /* pi / 180 */
    double r = fmod(fabs(deg), 360.0);
    if (isnan(r)) { /* NaN or infinite angle: every sample becomes the fill */
        *s = *c = NAN;
        return;
    }
    double q = floor((r + 45.0) / 90.0); /* nearest quarter turn, 0..4 */
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

/* Where output pixel (r, col) samples the input: the top-left neighbour
 * (offset into the image, -1 for the fill), the steps to its right and lower
 * neighbours, and scipy's order-1 spline weights along rows and columns. */
typedef struct {
    int32_t offset;
    int32_t down;        /* w, or 0 at the last row (its weight is then 0) */
    int32_t right;       /* 1, or 0 at the last column (weight 0) */
    double wy0, wy1;     /* weights of the upper and lower row */
    double wx0, wx1;     /* weights of the left and right column */
} sample_t;

/* Output pixel (r, col) samples the input at m (r, col) + off, m =
 * [[m[0], m[1]], [m[2], m[3]]] on (row, column) -- scipy's affine_transform
 * convention: the matrix maps the output to the input. */
typedef struct {
    int h, w;
    double m[4], off_r, off_c;
} geometry_t;

/* The warp by m about the image's centre: off = centre - m centre, as
 * scipy computes it for rotate. */
static geometry_t geometry(int h, int w, const double m[4])
{
    geometry_t g = {.h = h, .w = w, .m = {m[0], m[1], m[2], m[3]}};
    double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
    g.off_r = cy - (m[0] * cy + m[1] * cx);
    g.off_c = cx - (m[2] * cy + m[3] * cx);
    return g;
}

/* scipy.ndimage.rotate's matrix: input (row, col) = [[c, s], [-s, c]] (r, col)
 * plus the offset; -s is exact, so the sums below are rotate's to the bit. */
static void rotation_matrix(double angle_deg, double m[4])
{
    double s, c;
    sincos_deg(angle_deg, &s, &c);
    m[0] = c;
    m[1] = s;
    m[2] = -s;
    m[3] = c;
}

static inline void locate(const geometry_t *g, int r, int col, sample_t *sp)
{
    /* the sums in NI_GeometricTransform's order */
    double y = (r * g->m[0] + col * g->m[1]) + g->off_r;
    double x = (r * g->m[2] + col * g->m[3]) + g->off_c;
    /* written so that NaN also lands on the fill */
    if (!(y >= 0.0 && y <= g->h - 1 && x >= 0.0 && x <= g->w - 1)) {
        sp->offset = -1;
        return;
    }
    int y0 = (int)y, x0 = (int)x; /* floor: both are >= 0 */
    sp->offset = y0 * g->w + x0;
    sp->down = y0 + 1 < g->h ? g->w : 0;
    sp->right = x0 + 1 < g->w ? 1 : 0;
    /* scipy's weights: 1 - fraction, and the second as 1 minus the first */
    sp->wy0 = 1.0 - (y - y0);
    sp->wy1 = 1.0 - sp->wy0;
    sp->wx0 = 1.0 - (x - x0);
    sp->wx1 = 1.0 - sp->wx0;
}

static inline uint8_t blend(const sample_t *sp, const uint8_t *src, uint8_t fill)
{
    if (sp->offset < 0)
        return fill;
    const uint8_t *p = src + sp->offset, *q = p + sp->down;
    /* paper all round (most of a digit's picture): the sum below is +0 */
    if ((p[0] | p[sp->right] | q[0] | q[sp->right]) == 0)
        return 0;
    /* (pixel * row weight) * column weight, summed in scipy's order */
    double t = p[0] * sp->wy0 * sp->wx0 + p[sp->right] * sp->wy0 * sp->wx1 +
               q[0] * sp->wy1 * sp->wx0 + q[sp->right] * sp->wy1 * sp->wx1;
    /* weights are >= 0 and sum to 1, so t is within 0..255 up to rounding.
     * To nearest, ties to even as numpy.rint (45 degrees makes exact ties):
     * adding and removing 2^52 leaves exactly that in the default rounding
     * mode, cheaper than a test of the fraction or a call of nearbyint. */
#if FLT_EVAL_METHOD == 0
    t = (t + 0x1p52) - 0x1p52;
#else
    t = nearbyint(t); /* excess precision (x87) would spoil the trick */
#endif
    return t >= 255.0 ? 255 : (uint8_t)t;
}

void augment_affine(const uint8_t *src, uint8_t *dst, int h, int w, const double m[4],
                    uint8_t fill)
{
    geometry_t g = geometry(h, w, m);
    for (int r = 0; r < h; r++)
        for (int col = 0; col < w; col++) {
            sample_t sp;
            locate(&g, r, col, &sp);
            *dst++ = blend(&sp, src, fill);
        }
}

void augment_rotate(const uint8_t *src, uint8_t *dst, int h, int w,
                    double angle_deg, uint8_t fill)
{
    double m[4];
    rotation_matrix(angle_deg, m);
    augment_affine(src, dst, h, w, m, fill);
}

void augment_warp_matrix(double angle_deg, double shear_deg, double m[4])
{
    double r[4];
    rotation_matrix(angle_deg, r);
    /* the shear's own matrix is [[1, 0], [t, 1]] (input column = output
     * column + t (row - centre row)). The digit is slanted first, then
     * turned, so an output point is taken back through the rotation, then
     * through the shear: m = [[1, 0], [t, 1]] r. With shear 0 that is r to
     * the bit (0 r0 + r2 = r2), so rotation alone keeps its bytes. */
    double t = tan(shear_deg * 0.017453292519943295769);
    m[0] = r[0];
    m[1] = r[1];
    m[2] = t * r[0] + r[2];
    m[3] = t * r[1] + r[3];
}

void augment_shear(const uint8_t *src, uint8_t *dst, int h, int w, double shear_deg,
                   uint8_t fill)
{
    double m[4];
    augment_warp_matrix(0.0, shear_deg, m);
    augment_affine(src, dst, h, w, m, fill);
}

int augment_rotate_many(const uint8_t *src, uint8_t *dst, int64_t n, int h, int w,
                        double angle_deg, uint8_t fill)
{
    if (n <= 0 || h <= 0 || w <= 0)
        return 0;
    if ((int64_t)h * w > INT32_MAX / 2)
        return error_set("cannot rotate %d x %d images: too large", h, w);
    size_t size = (size_t)h * (size_t)w;
    sample_t *plan = malloc(size * sizeof *plan); /* [h, w] */
    if (!plan)
        return error_set("out of memory for the rotation plan of %d x %d images", h, w);
    double m[4];
    rotation_matrix(angle_deg, m);
    geometry_t g = geometry(h, w, m);
    for (int r = 0; r < h; r++)
        for (int col = 0; col < w; col++)
            locate(&g, r, col, &plan[(size_t)r * w + col]);
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *s = src + (size_t)i * size;
        uint8_t *d = dst + (size_t)i * size;
        for (size_t k = 0; k < size; k++)
            d[k] = blend(&plan[k], s, fill);
    }
    free(plan);
    return 0;
}

void augment_shift(const uint8_t *src, uint8_t *dst, int h, int w, int dy, int dx, uint8_t fill)
{
    for (int r = 0; r < h; r++) {
        int sr = r - dy;
        uint8_t *d = dst + (size_t)r * w;
        if (sr < 0 || sr >= h) {
            memset(d, fill, (size_t)w);
            continue;
        }
        const uint8_t *s = src + (size_t)sr * w;
        for (int c = 0; c < w; c++) {
            int sc = c - dx;
            d[c] = sc >= 0 && sc < w ? s[sc] : fill;
        }
    }
}

int augment_parse_angles(const char *text, double *angles, int max)
{
    return augment_parse_list(text, "angle", -180.0, 180.0, angles, max);
}
