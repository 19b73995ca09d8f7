/* What another pen, paper or camera changes in a digit: copies with thicker
 * or thinner strokes, gaps where the pen skipped, grain, and a slightly
 * larger or smaller size (issue 13). Normalising a photo (image_clean.c)
 * removes most of the paper's faults but not these: a marker's or a
 * hairline's width survives scaling to 20x20 within the redrawing's
 * tolerance, a skipped stroke stays broken, and the box a digit is scaled
 * into depends on its outline. MNIST's convention: ink high, paper 0. */
#include <math.h>
#include <string.h>

#include "nnmpi/augment.h"

static uint8_t clip_round(double v)
{
    return v >= 254.5 ? 255 : v <= 0.0 ? 0 : (uint8_t)(v + 0.5);
}

/* One step of grey-level dilation (grow != 0: the largest of each pixel and
 * its 4 neighbours) or erosion (the smallest) of src into dst. */
static void morph_step(const uint8_t *src, uint8_t *dst, int h, int w, int grow)
{
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            const uint8_t *p = src + (size_t)r * w + c;
            uint8_t v = *p;
            uint8_t n[4] = {r > 0 ? p[-w] : v, r + 1 < h ? p[w] : v, c > 0 ? p[-1] : v,
                            c + 1 < w ? p[1] : v};
            for (int k = 0; k < 4; k++)
                v = grow ? (n[k] > v ? n[k] : v) : (n[k] < v ? n[k] : v);
            dst[(size_t)r * w + c] = v;
        }
}

void augment_thickness(const uint8_t *src, uint8_t *dst, uint8_t *tmp, int h, int w,
                       double amount)
{
    size_t size = (size_t)h * w;
    memcpy(dst, src, size);
    double steps = fabs(amount);
    if (!(steps <= AUGMENT_MAX_THICKNESS)) /* NaN too: leave the copy */
        return;
    int grow = amount > 0;
    for (; steps >= 1.0; steps -= 1.0) {
        morph_step(dst, tmp, h, w, grow);
        memcpy(dst, tmp, size);
    }
    if (steps <= 0.0)
        return;
    morph_step(dst, tmp, h, w, grow);
    for (size_t i = 0; i < size; i++)
        dst[i] = clip_round((1.0 - steps) * dst[i] + steps * tmp[i]);
}

void augment_cut(uint8_t *img, int h, int w, double cy, double cx, double uy, double ux,
                 double reach, double half_width)
{
    const double soft = 0.5; /* the width of the soft edge, pixels */
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            /* distance from the pixel's centre to the segment */
            double dy = r - cy, dx = c - cx;
            double along = dy * uy + dx * ux;
            along = along < -reach ? -reach : along > reach ? reach : along;
            double d = hypot(dy - along * uy, dx - along * ux);
            if (d >= half_width + soft)
                continue;
            uint8_t *p = img + (size_t)r * w + c;
            *p = d <= half_width ? 0 : clip_round(*p * (d - half_width) / soft);
        }
}

/* The unit vector across the stroke at (r, c): the minor axis of the second
 * moments of the ink within 3 pixels (weighted by its grey level). Returns
 * how elongated that ink is (the major axis' variance over the minor's; 1
 * for a round blob, which has no direction, as a stroke's end may not). */
static double across_stroke(const uint8_t *img, int h, int w, int r, int c, double *uy,
                            double *ux)
{
    double m = 0, my = 0, mx = 0, syy = 0, sxx = 0, sxy = 0;
    for (int y = r - 3; y <= r + 3; y++)
        for (int x = c - 3; x <= c + 3; x++) {
            if (y < 0 || y >= h || x < 0 || x >= w)
                continue;
            double v = img[(size_t)y * w + x];
            m += v;
            my += v * y;
            mx += v * x;
            syy += v * y * y;
            sxx += v * x * x;
            sxy += v * x * y;
        }
    /* the pixel itself is ink, so m > 0 */
    my /= m;
    mx /= m;
    syy = syy / m - my * my;
    sxx = sxx / m - mx * mx;
    sxy = sxy / m - mx * my;
    /* the stroke runs along the major axis, at angle t from the x axis */
    double t = 0.5 * atan2(2.0 * sxy, sxx - syy);
    *uy = cos(t); /* perpendicular to (sin t, cos t) */
    *ux = -sin(t);
    double mean = 0.5 * (sxx + syy), spread = hypot(0.5 * (sxx - syy), sxy);
    return mean - spread > 1e-9 ? (mean + spread) / (mean - spread) : 1e9;
}

/* The index of the n-th pixel of img with ink (>= 128). */
static size_t nth_ink(const uint8_t *img, uint64_t n)
{
    size_t i = 0;
    for (;; i++)
        if (img[i] >= 128 && n-- == 0)
            return i;
}

void augment_gaps(const uint8_t *src, uint8_t *dst, int h, int w, rng_t *rng)
{
    enum { TRIES = 8 };          /* ink pixels drawn to find a clear direction */
    const double clear = 2.0;    /* elongation of a stroke, not of an end */
    size_t size = (size_t)h * w, ink = 0;
    memcpy(dst, src, size);
    for (size_t i = 0; i < size; i++)
        ink += src[i] >= 128;
    if (!ink)
        return;
    int cuts = 1 + (int)rng_below(rng, 2);
    for (int k = 0; k < cuts; k++) {
        /* the most elongated of a few ink pixels of src (not of dst: a
         * second cut may fall on the first, which then just widens it) */
        double best = -1, uy = 1, ux = 0;
        size_t at = 0;
        for (int t = 0; t < TRIES && best < clear; t++) {
            size_t i = nth_ink(src, rng_below(rng, ink));
            double y, x, e = across_stroke(src, h, w, (int)(i / (size_t)w), (int)(i % (size_t)w),
                                           &y, &x);
            if (e > best) {
                best = e;
                at = i;
                uy = y;
                ux = x;
            }
        }
        double half_width = 0.75 + 0.5 * rng_uniform(rng);
        augment_cut(dst, h, w, (double)(at / (size_t)w), (double)(at % (size_t)w), uy, ux, 3.5,
                    half_width);
    }
}

void augment_grain(const uint8_t *src, uint8_t *dst, int h, int w, double sigma, rng_t *rng)
{
    size_t size = (size_t)h * w;
    for (size_t i = 0; i < size; i++)
        dst[i] = clip_round(src[i] + sigma * rng_normal(rng));
}

void augment_speckle(const uint8_t *src, uint8_t *dst, int h, int w, double fraction,
                     rng_t *rng)
{
    size_t size = (size_t)h * w;
    for (size_t i = 0; i < size; i++) {
        double u = rng_uniform(rng);
        /* u < fraction / 2: pepper, below fraction: salt */
        dst[i] = u < fraction ? (u < fraction / 2 ? 0 : 255) : src[i];
    }
}

void augment_noise(const uint8_t *src, uint8_t *dst, int h, int w, rng_t *rng)
{
    if (rng_below(rng, 2))
        augment_grain(src, dst, h, w, 8.0 + 16.0 * rng_uniform(rng), rng);
    else
        augment_speckle(src, dst, h, w, 0.005 + 0.015 * rng_uniform(rng), rng);
}

/* src's value at (y, x), bilinear, paper outside the image. */
static double sample(const uint8_t *src, int h, int w, double y, double x)
{
    double y0 = floor(y), x0 = floor(x);
    double fy = y - y0, fx = x - x0, v = 0.0;
    for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++) {
            double r = y0 + dy, c = x0 + dx;
            if (r < 0 || r >= h || c < 0 || c >= w)
                continue;
            v += (dy ? fy : 1.0 - fy) * (dx ? fx : 1.0 - fx) * src[(size_t)r * w + (size_t)c];
        }
    return v;
}

void augment_scale(const uint8_t *src, uint8_t *dst, int h, int w, double percent)
{
    size_t size = (size_t)h * w;
    double m = 0, my = 0, mx = 0;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            double v = src[(size_t)r * w + c];
            m += v;
            my += v * r;
            mx += v * c;
        }
    double s = 1.0 + percent / 100.0;
    if (m == 0.0 || !(fabs(percent) <= AUGMENT_MAX_SCALE)) {
        memcpy(dst, src, size);
        return;
    }
    my /= m;
    mx /= m;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            dst[(size_t)r * w + c] =
                clip_round(sample(src, h, w, my + (r - my) / s, mx + (c - mx) / s));
}
