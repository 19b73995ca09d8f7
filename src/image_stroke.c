/* image_stroke: how wide the digit's strokes are, and the digit drawn again
 * with MNIST's width. A hairline on a 400-pixel canvas would be a faint
 * trace after scaling to 20x20, a marker on a small one a blob; both are
 * redrawn from the distance transform of the digit's mask, so the width
 * changes by fractions of a pixel and the edges stay soft. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image_clean.h"

/* Squared distances along one line: d[q] = min_p (q - p)^2 + f[p], the lower
 * envelope of parabolas (Felzenszwalb and Huttenlocher 2012). v [n] and
 * z [n + 1] are scratch. */
static void edt_line(const double *f, int n, double *d, int *v, double *z)
{
    int k = 0;
    v[0] = 0;
    z[0] = -HUGE_VAL;
    z[1] = HUGE_VAL;
    for (int q = 1; q < n; q++) {
        double s;
        for (;;) {   /* z[0] = -inf ends the loop at k = 0 at the latest */
            const int p = v[k];
            s = ((f[q] + (double)q * q) - (f[p] + (double)p * p)) / (2.0 * (q - p));
            if (s > z[k])
                break;
            k--;
        }
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = HUGE_VAL;
    }
    k = 0;
    for (int q = 0; q < n; q++) {
        while (z[k + 1] < q)
            k++;
        d[q] = (double)(q - v[k]) * (q - v[k]) + f[v[k]];
    }
}

int image_stroke_distance(const image_t *mask, int from, float *dist)
{
    const int h = mask->height, w = mask->width, n = h > w ? h : w;
    if (h < 1 || w < 1)
        return error_set("distance transform of an empty picture");
    const double far = 4.0 * ((double)h * h + (double)w * w) + 1.0;   /* beyond any distance */
    double *sq = malloc((size_t)h * (size_t)w * sizeof *sq);   /* [h, w] squared distances */
    double *f = malloc((size_t)n * sizeof *f), *d = malloc((size_t)n * sizeof *d);
    double *z = malloc(((size_t)n + 1) * sizeof *z);
    int *v = malloc((size_t)n * sizeof *v);
    int rc = 0;
    if (!sq || !f || !d || !z || !v) {
        rc = error_set("out of memory for the distance transform of %d x %d pixels", w, h);
        goto done;
    }
    for (int x = 0; x < w; x++) {   /* columns: distance to the other value in the column */
        for (int y = 0; y < h; y++)
            f[y] = (mask->pixels[(size_t)y * w + x] != 0) == (from != 0) ? far : 0.0;
        edt_line(f, h, d, v, z);
        for (int y = 0; y < h; y++)
            sq[(size_t)y * w + x] = d[y];
    }
    for (int y = 0; y < h; y++) {   /* rows: combine the columns' distances */
        double *row = sq + (size_t)y * w;
        edt_line(row, w, d, v, z);
        for (int x = 0; x < w; x++) {
            const int mine = (mask->pixels[(size_t)y * w + x] != 0) == (from != 0);
            dist[(size_t)y * w + x] = mine ? (float)sqrt(d[x]) : 0.0f;
        }
    }
done:
    free(sq);
    free(f);
    free(d);
    free(z);
    free(v);
    return rc;
}

/* The mean of dist over the mask's ink as a width: w = 4 (mean - 1/2). */
static double width_from_distances(const image_t *mask, const float *dist)
{
    double sum = 0.0;
    size_t count = 0;
    const size_t n = (size_t)mask->height * (size_t)mask->width;
    for (size_t i = 0; i < n; i++)
        if (mask->pixels[i]) {
            sum += dist[i];
            count++;
        }
    return count ? 4.0 * (sum / (double)count - 0.5) : 0.0;
}

int image_stroke_width(const image_t *mask, double *width)
{
    float *dist = malloc((size_t)mask->height * (size_t)mask->width * sizeof *dist);
    if (!dist)
        return error_set("out of memory measuring the stroke width");
    int rc = image_stroke_distance(mask, 1, dist);
    if (rc == 0)
        *width = width_from_distances(mask, dist);
    free(dist);
    return rc;
}

/* ------------------------------------------------------------ redraw */

/* The half-width change in pixels that brings strokes of width w, in a
 * digit whose longer side is `side`, to MNIST's width; 0 if they are within
 * MNIST's usual range already. Thinning stops at half the width. */
static double width_change(double w, int side)
{
    const double w20 = w * IMAGE_BOX / side;
    if (w20 >= IMAGE_STROKE_MIN && w20 <= IMAGE_STROKE_MAX)
        return 0.0;
    /* the digit's side grows by 2 delta too: W (side + 2 delta) / 20 = w + 2 delta */
    const double k = IMAGE_STROKE_WIDTH / IMAGE_BOX;
    const double delta = (k * side - w) / (2.0 * (1.0 - k));
    return delta < -w / 4.0 ? -w / 4.0 : delta;
}

/* The level the strokes' cores reach: the 90th percentile of the ink under
 * the mask, so grain on a stroke does not decide its grey. */
static int core_level(const image_t *ink, const image_t *mask, int oy, int ox)
{
    uint32_t hist[256] = {0};
    uint32_t n = 0;
    for (int y = 0; y < mask->height; y++)
        for (int x = 0; x < mask->width; x++)
            if (mask->pixels[(size_t)y * mask->width + x]) {
                hist[ink->pixels[(size_t)(y + oy) * ink->width + (x + ox)]]++;
                n++;
            }
    uint32_t seen = 0;
    for (int v = 0; v < 256; v++)
        if ((seen += hist[v]) > 0.9 * (n - 1))
            return v > 0 ? v : 1;
    return 255;
}

/* Copies mask's pixels under the region (origin oy, ox; local's size) into
 * local, 0 outside the picture. */
static void copy_region(const image_t *mask, int oy, int ox, image_t *local)
{
    for (int y = 0; y < local->height; y++)
        for (int x = 0; x < local->width; x++) {
            const int sy = y + oy, sx = x + ox;
            local->pixels[(size_t)y * local->width + x] =
                sy >= 0 && sy < mask->height && sx >= 0 && sx < mask->width
                    ? mask->pixels[(size_t)sy * mask->width + sx]
                    : 0;
        }
}

typedef struct {
    const image_t *ink, *local;   /* the picture's ink; the digit's mask, local */
    int oy, ox, level;            /* local's origin in ink; the cores' ink level */
    double delta;                 /* half-width change, pixels */
    float ring;                   /* faint ink this near the digit is kept */
    const float *d_in, *d_out;    /* [local] distance to paper / to the digit */
} redraw_t;

/* The original ink of local pixel i (at y, x), 0..1 of the cores' level. */
static float soft_ink(const redraw_t *r, int y, int x)
{
    const int sy = y + r->oy, sx = x + r->ox;
    if (sy < 0 || sy >= r->ink->height || sx < 0 || sx >= r->ink->width)
        return 0.0f;
    const float v = (float)r->ink->pixels[(size_t)sy * r->ink->width + sx] / (float)r->level;
    return v < (float)IMAGE_NOISE_FRACTION ? 0.0f : v > 1.0f ? 1.0f : v;
}

/* One pixel of the redrawn digit, 0..1: the original ink on and next to the
 * digit, widened (the max with the coverage of the widened mask) or thinned
 * (the min with the coverage of the narrowed one). */
static float redraw_pixel(const redraw_t *r, int y, int x)
{
    const size_t i = (size_t)y * r->local->width + x;
    const int on = r->local->pixels[i] != 0;
    if (r->delta < 0.0) {
        if (!on)
            return 0.0f;
        const double c = r->d_in[i] + r->delta;
        const float s = soft_ink(r, y, x);
        return c >= 1.0 ? s : c <= 0.0 ? 0.0f : fminf(s, (float)c);
    }
    const float s = on || r->d_out[i] <= r->ring ? soft_ink(r, y, x) : 0.0f;
    if (on || r->delta == 0.0)
        return on && r->delta > 0.0 ? 1.0f : s;
    const double c = 1.0 - r->d_out[i] + r->delta;
    return c <= 0.0 ? s : c >= 1.0 ? 1.0f : fmaxf(s, (float)c);
}

int image_stroke_redraw(const image_t *ink, const image_t *mask, const image_box_t *box,
                        image_t *out, double *width)
{
    const int bh = box->y1 - box->y0 + 1, bw = box->x1 - box->x0 + 1;
    const int side = bh > bw ? bh : bw;
    const double k = IMAGE_STROKE_WIDTH / IMAGE_BOX;
    const int margin = 2 + (int)ceil(k * side / (2.0 * (1.0 - k)));   /* the most it can grow */
    image_t local;
    memset(out, 0, sizeof *out);
    if (image_alloc(&local, bh + 2 * margin, bw + 2 * margin) < 0)
        return -1;
    const size_t n = (size_t)local.height * (size_t)local.width;
    float *d_in = malloc(n * sizeof *d_in), *d_out = malloc(n * sizeof *d_out);   /* [local] */
    int rc = -1;
    if (!d_in || !d_out) {
        error_set("out of memory redrawing a digit of %d x %d pixels", bw, bh);
        goto done;
    }
    redraw_t r = {.ink = ink, .local = &local, .oy = box->y0 - margin, .ox = box->x0 - margin,
                  .d_in = d_in, .d_out = d_out};
    copy_region(mask, r.oy, r.ox, &local);
    if (image_stroke_distance(&local, 1, d_in) < 0)
        goto done;
    *width = width_from_distances(&local, d_in);
    r.delta = width_change(*width, side);
    r.ring = fmaxf(1.5f, 0.5f * (float)side / IMAGE_BOX);   /* half an output pixel */
    r.level = core_level(ink, &local, r.oy, r.ox);
    if (r.delta >= 0.0 && image_stroke_distance(&local, 0, d_out) < 0)
        goto done;
    if (image_alloc(out, local.height, local.width) < 0)
        goto done;
    for (int y = 0; y < local.height; y++)
        for (int x = 0; x < local.width; x++)
            out->pixels[(size_t)y * local.width + x] =
                (uint8_t)(redraw_pixel(&r, y, x) * 255.0f + 0.5f);
    rc = 0;
done:
    image_free(&local);
    free(d_in);
    free(d_out);
    return rc;
}
