/* image_normalise: from a picture of a digit (luminance, any size) to the
 * 28x28 ink image the network expects, either the way MNIST was made or
 * the way the book fed its own photos in. The steps and thresholds are
 * documented at image_normalise_mnist in nnmpi/image.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"

/* Median of the outermost ring of pixels: the paper (or board) the digit is
 * on, robust to a stroke that touches the edge. */
static int background_level(const image_t *in)
{
    size_t hist[256] = {0};
    size_t n = 0;
    const int h = in->height, w = in->width;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = in->pixels + (size_t)y * (size_t)w;
        if (y == 0 || y == h - 1) {
            for (int x = 0; x < w; x++)
                hist[row[x]]++;
            n += (size_t)w;
        } else {
            hist[row[0]]++;
            n++;
            if (w > 1) {
                hist[row[w - 1]]++;
                n++;
            }
        }
    }
    size_t rank = (n - 1) / 2, seen = 0;
    for (int v = 0; v < 256; v++) {
        seen += hist[v];
        if (seen > rank)
            return v;
    }
    return 255;   /* not reached: n >= 1 */
}

/* Builds lut[luminance] = ink strength 0..255 (polarity, background
 * removed, faint noise to 0, strongest ink stretched to 255). The mapping
 * depends on the luminance only, so the large picture itself is never
 * copied. -1 (no ink) if nothing stands out from the background. */
static int ink_table(const image_t *in, float lut[256])
{
    const int bg = background_level(in);
    const int dark_ink = bg >= 128;   /* light paper: people draw dark on light */
    uint8_t lo = 255, hi = 0;
    const size_t n = (size_t)in->height * (size_t)in->width;
    for (size_t i = 0; i < n; i++) {
        if (in->pixels[i] < lo)
            lo = in->pixels[i];
        if (in->pixels[i] > hi)
            hi = in->pixels[i];
    }
    const int peak = dark_ink ? bg - lo : hi - bg;
    if (peak < IMAGE_MIN_CONTRAST)
        return error_set("no ink found: on this %s background (grey level %d) nothing is more "
                         "than %d levels %s (a digit needs %d)",
                         dark_ink ? "light" : "dark", bg, peak < 0 ? 0 : peak,
                         dark_ink ? "darker" : "lighter", IMAGE_MIN_CONTRAST);
    const double noise = IMAGE_NOISE_FRACTION * peak;
    for (int v = 0; v < 256; v++) {
        double d = dark_ink ? bg - v : v - bg;
        lut[v] = d <= noise ? 0.0f : (float)(d * 255.0 / peak);
    }
    return 0;
}

/* Area averaging along one axis: output sample j covers the input interval
 * [j*r, (j+1)*r) with r = n_in/n_out and is the mean over it, each input
 * sample weighted by the fraction of it inside (a box filter with
 * fractional coverage; for r < 1 it enlarges without inventing detail). */
static void box_resample(const float *in, size_t in_step, int n_in,
                         float *out, size_t out_step, int n_out)
{
    const double r = (double)n_in / (double)n_out;
    for (int j = 0; j < n_out; j++) {
        const double a = j * r, b = (j + 1) * r;
        int k1 = (int)ceil(b);
        if (k1 > n_in)
            k1 = n_in;
        double sum = 0.0;
        for (int k = (int)floor(a); k < k1; k++) {
            double cover = fmin(b, k + 1.0) - fmax(a, (double)k);
            if (cover > 0.0)
                sum += cover * in[(size_t)k * in_step];
        }
        out[(size_t)j * out_step] = (float)(sum / r);
    }
}

int image_normalise_mnist(const image_t *in, uint8_t *out)
{
    if (!in->pixels || in->height < 1 || in->width < 1)
        return error_set("empty picture");
    float lut[256];
    if (ink_table(in, lut) < 0)
        return -1;

    /* bounding box of the ink [y0, y1] x [x0, x1] */
    const int h = in->height, w = in->width;
    int y0 = h, y1 = -1, x0 = w, x1 = -1;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = in->pixels + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            if (lut[row[x]] > 0.0f) {
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
            }
    }
    /* ink_table guarantees a pixel at the peak, which maps to 255 */
    const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const int longest = bw > bh ? bw : bh;

    /* longer side to 20, the other in proportion (at least 1 pixel) */
    int ow = (int)floor((double)bw * IMAGE_BOX / longest + 0.5);
    int oh = (int)floor((double)bh * IMAGE_BOX / longest + 0.5);
    if (ow < 1) ow = 1;
    if (oh < 1) oh = 1;

    /* separable: each cropped row to ow samples, then each column to oh */
    float *tmp = malloc((size_t)bh * (size_t)ow * sizeof *tmp);   /* [bh, ow] */
    float *line = malloc((size_t)bw * sizeof *line);              /* [bw] one cropped row */
    if (!tmp || !line) {
        free(tmp);
        free(line);
        return error_set("out of memory normalising a %d x %d picture", w, h);
    }
    for (int y = 0; y < bh; y++) {
        const uint8_t *row = in->pixels + (size_t)(y0 + y) * (size_t)w + (size_t)x0;
        for (int x = 0; x < bw; x++)
            line[x] = lut[row[x]];
        box_resample(line, 1, bw, tmp + (size_t)y * (size_t)ow, 1, ow);
    }
    float box[IMAGE_BOX * IMAGE_BOX];   /* [oh, ow] */
    for (int x = 0; x < ow; x++)
        box_resample(tmp + x, (size_t)ow, bh, box + x, (size_t)ow, oh);
    free(tmp);
    free(line);

    /* centre of mass in pixel indices of the box */
    double mass = 0.0, my = 0.0, mx = 0.0;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double v = box[y * ow + x];
            mass += v;
            my += v * y;
            mx += v * x;
        }
    /* mass > 0: the peak pixel keeps a positive share in every average */
    const double cy = my / mass, cx = mx / mass;

    /* whole-pixel shift (no second resampling blur), digit kept inside */
    const int centre = IMAGE_SIDE / 2;
    int oy = (int)floor(centre - cy + 0.5), ox = (int)floor(centre - cx + 0.5);
    if (oy < 0) oy = 0;
    if (oy > IMAGE_SIDE - oh) oy = IMAGE_SIDE - oh;
    if (ox < 0) ox = 0;
    if (ox > IMAGE_SIDE - ow) ox = IMAGE_SIDE - ow;

    memset(out, 0, IMAGE_PIXELS);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double v = box[y * ow + x] + 0.5;
            out[(oy + y) * IMAGE_SIDE + ox + x] = v >= 255.0 ? 255 : v <= 0.0 ? 0 : (uint8_t)v;
        }
    return 0;
}

int image_normalise_book(const image_t *in, uint8_t *out)
{
    if (in->height != IMAGE_SIDE || in->width != IMAGE_SIDE)
        return error_set("the book frame takes only %d x %d pictures, this one is %d x %d "
                         "(the mnist frame takes any size)",
                         IMAGE_SIDE, IMAGE_SIDE, in->width, in->height);
    for (int i = 0; i < IMAGE_PIXELS; i++)
        out[i] = (uint8_t)(255 - in->pixels[i]);
    return 0;
}

int image_normalise(const image_t *in, image_frame_t frame, uint8_t *out)
{
    return frame == IMAGE_FRAME_BOOK ? image_normalise_book(in, out)
                                     : image_normalise_mnist(in, out);
}

int image_load(const char *path, image_frame_t frame, uint8_t *out)
{
    image_t img;
    if (image_read_png(path, &img) < 0)
        return -1;   /* the message names path already */
    int rc = image_normalise(&img, frame, out);
    image_free(&img);
    return rc < 0 ? error_prefix("%s", path) : 0;
}

int image_frame_parse(const char *name, image_frame_t *frame)
{
    if (!strcmp(name, "mnist"))
        *frame = IMAGE_FRAME_MNIST;
    else if (!strcmp(name, "book"))
        *frame = IMAGE_FRAME_BOOK;
    else
        return error_set("unknown frame '%s' (use mnist or book)", name);
    return 0;
}
