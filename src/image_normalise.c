/* image_normalise: from a picture of a digit (luminance, any size) to the
 * 28x28 ink image the network expects, either the way MNIST was made or
 * the way the book fed its own photos in. The steps and thresholds are
 * documented at image_normalise_mnist in nnmpi/image.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "nnmpi/image_clean.h"

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

/* Bounding box of the nonzero pixels; -1 if there are none. */
static int ink_box(const image_t *ink, image_box_t *box)
{
    *box = (image_box_t){ink->height, -1, ink->width, -1};
    for (int y = 0; y < ink->height; y++) {
        const uint8_t *row = ink->pixels + (size_t)y * (size_t)ink->width;
        for (int x = 0; x < ink->width; x++)
            if (row[x]) {
                if (y < box->y0) box->y0 = y;
                if (y > box->y1) box->y1 = y;
                if (x < box->x0) box->x0 = x;
                if (x > box->x1) box->x1 = x;
            }
    }
    return box->y1 < 0 ? error_set("no ink found after cleaning the picture") : 0;
}

/* The pixels of img inside box b, area-averaged into out [oh, ow]:
 * separable, each cropped row to ow samples, then each column to oh. */
static int resample_box(const image_t *img, const image_box_t *b, int oh, int ow, float *out)
{
    const int bw = b->x1 - b->x0 + 1, bh = b->y1 - b->y0 + 1;
    float *tmp = malloc((size_t)bh * (size_t)ow * sizeof *tmp);   /* [bh, ow] */
    float *line = malloc((size_t)bw * sizeof *line);              /* [bw] one cropped row */
    if (!tmp || !line) {
        free(tmp);
        free(line);
        return error_set("out of memory scaling %d x %d pixels", bw, bh);
    }
    for (int y = 0; y < bh; y++) {
        const uint8_t *row = img->pixels + (size_t)(b->y0 + y) * (size_t)img->width + b->x0;
        for (int x = 0; x < bw; x++)
            line[x] = row[x];
        box_resample(line, 1, bw, tmp + (size_t)y * (size_t)ow, 1, ow);
    }
    for (int x = 0; x < ow; x++)
        box_resample(tmp + x, (size_t)ow, bh, out + x, (size_t)ow, oh);
    free(tmp);
    free(line);
    return 0;
}

/* The box's contents scaled with area averaging so the longer side is 20
 * (the other in proportion, at least 1): box20 [*oh, *ow]. */
static int scale_to_box(const image_t *ink, const image_box_t *b, float *box20, int *oh, int *ow)
{
    const int bw = b->x1 - b->x0 + 1, bh = b->y1 - b->y0 + 1;
    const int longest = bw > bh ? bw : bh;
    *ow = (int)floor((double)bw * IMAGE_BOX / longest + 0.5);
    *oh = (int)floor((double)bh * IMAGE_BOX / longest + 0.5);
    if (*ow < 1) *ow = 1;
    if (*oh < 1) *oh = 1;
    return resample_box(ink, b, *oh, *ow, box20);
}

/* box20 [oh, ow] into out[28*28], shifted by whole pixels (no second
 * resampling blur) so its centre of mass is at pixel (14, 14), kept inside,
 * and stretched so its strongest pixel is 255 as in MNIST. */
static void place_by_mass(const float *box20, int oh, int ow, uint8_t *out)
{
    double mass = 0.0, my = 0.0, mx = 0.0, top = 0.0;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            const double v = box20[y * ow + x];
            mass += v;
            my += v * y;
            mx += v * x;
            top = v > top ? v : top;
        }
    /* mass > 0: the box is the bounding box of nonzero ink */
    const double cy = my / mass, cx = mx / mass, gain = 255.0 / top;
    const int centre = IMAGE_SIDE / 2;
    int oy = (int)floor(centre - cy + 0.5), ox = (int)floor(centre - cx + 0.5);
    if (oy < 0) oy = 0;
    if (oy > IMAGE_SIDE - oh) oy = IMAGE_SIDE - oh;
    if (ox < 0) ox = 0;
    if (ox > IMAGE_SIDE - ow) ox = IMAGE_SIDE - ow;
    memset(out, 0, IMAGE_PIXELS);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            const double v = box20[y * ow + x] * gain + 0.5;
            out[(oy + y) * IMAGE_SIDE + ox + x] = v >= 255.0 ? 255 : v <= 0.0 ? 0 : (uint8_t)v;
        }
}

/* Refuses a picture in which nothing stands out from the paper. */
static int check_contrast(const image_t *ink, int dark_ink)
{
    const size_t n = (size_t)ink->height * (size_t)ink->width;
    int peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = ink->pixels[i] > peak ? ink->pixels[i] : peak;
    if (peak >= IMAGE_MIN_CONTRAST)
        return 0;
    return error_set("no ink found: nothing is more than %d levels %s than the paper around it "
                     "(a digit needs %d)",
                     peak, dark_ink ? "darker" : "lighter", IMAGE_MIN_CONTRAST);
}

/* Keeps a copy of img in trace as step `title`, in luminance: ink maps
 * (0 = paper) are turned over, `only` (if given) keeps the pixels under
 * its nonzero ones. Without a trace, or out of memory, nothing is kept:
 * the trace only explains, it never fails a picture. */
static void record(image_trace_t *trace, const char *title, const image_t *img, int is_ink,
                   const image_t *only)
{
    if (!trace || trace->count >= IMAGE_TRACE_STEPS)
        return;
    image_t *copy = &trace->step[trace->count];
    if (image_alloc(copy, img->height, img->width) < 0)
        return;
    const size_t n = (size_t)img->height * (size_t)img->width;
    for (size_t i = 0; i < n; i++) {
        const uint8_t v = only && !only->pixels[i] ? 0 : img->pixels[i];
        copy->pixels[i] = is_ink ? (uint8_t)(255 - v) : v;
    }
    trace->title[trace->count++] = title;
}

/* The steps of nnmpi/image_clean.h: from luminance to the digit alone,
 * redrawn with MNIST's stroke width (*digit allocated). */
static int clean_digit(const image_t *in, image_t *digit, image_trace_t *trace)
{
    image_t work = {0}, ink = {0}, mask = {0};
    image_box_t box;
    int factor, dark_ink, rc = -1;
    double width;
    if (image_work_copy(in, &work, &factor) == 0) {
        record(trace, "picture", &work, 0, NULL);
        int ok = image_ink_map(&work, &ink, &dark_ink) == 0;
        if (ok && (ok = check_contrast(&ink, dark_ink) == 0 && image_ink_remove_lines(&ink) == 0,
                   record(trace, "ink", &ink, 1, NULL), ok)) {
            const int t = image_ink_threshold(&ink);
            if (image_blobs_digit(&ink, t / 2 > 0 ? t / 2 : 1, t, &mask, &box) == 0) {
                record(trace, "digit", &ink, 1, &mask);
                rc = image_stroke_redraw(&ink, &mask, &box, digit, &width);
            }
        }
    }
    if (rc == 0)
        record(trace, "strokes", digit, 1, NULL);
    image_free(&work);
    image_free(&ink);
    image_free(&mask);
    return rc;
}

int image_normalise_mnist_traced(const image_t *in, uint8_t *out, image_trace_t *trace)
{
    if (trace)
        memset(trace, 0, sizeof *trace);
    if (!in->pixels || in->height < 1 || in->width < 1)
        return error_set("empty picture");
    image_t digit;
    image_box_t box;
    float box20[IMAGE_BOX * IMAGE_BOX];   /* [oh, ow] */
    int oh, ow;
    if (clean_digit(in, &digit, trace) < 0)
        return -1;
    int rc = ink_box(&digit, &box) < 0 ? -1 : scale_to_box(&digit, &box, box20, &oh, &ow);
    if (rc == 0) {
        place_by_mass(box20, oh, ow, out);
        record(trace, "28x28", &(image_t){IMAGE_SIDE, IMAGE_SIDE, out}, 1, NULL);
    }
    image_free(&digit);
    return rc;
}

int image_normalise_mnist(const image_t *in, uint8_t *out)
{
    return image_normalise_mnist_traced(in, out, NULL);
}

void image_trace_free(image_trace_t *trace)
{
    for (int i = 0; i < trace->count; i++)
        image_free(&trace->step[i]);
    memset(trace, 0, sizeof *trace);
}

/* img scaled to h x w: area averaging when it shrinks, each pixel
 * repeated when it grows. */
static int scale_to(const image_t *img, int h, int w, image_t *out)
{
    const image_box_t whole = {0, img->height - 1, 0, img->width - 1};
    float *scaled = malloc((size_t)h * (size_t)w * sizeof *scaled);   /* [h, w] */
    int rc = scaled ? resample_box(img, &whole, h, w, scaled) : error_set("out of memory");
    rc = rc ? rc : image_alloc(out, h, w);
    for (size_t i = 0; rc == 0 && i < (size_t)h * (size_t)w; i++)
        out->pixels[i] = (uint8_t)fminf(255.0f, scaled[i] + 0.5f);
    free(scaled);
    return rc;
}

/* img scaled to height h keeping its shape (at least 1 pixel wide). */
static int scale_to_height(const image_t *img, int h, image_t *out)
{
    int w = (int)((double)img->width * h / img->height + 0.5);
    w = w < 1 ? 1 : w > 8 * h ? 8 * h : w;
    return scale_to(img, h, w, out);
}

int image_normalise_scaled(const image_t *in, int h, int w, uint8_t *out)
{
    image_t small;
    if (scale_to(in, h, w, &small) < 0)
        return -1;
    for (int i = 0; i < h * w; i++)
        out[i] = (uint8_t)(255 - small.pixels[i]);
    image_free(&small);
    return 0;
}

int image_trace_strip(const image_trace_t *trace, image_t *strip)
{
    image_t tiles[IMAGE_TRACE_STEPS] = {{0}};
    int rc = trace->count > 0 ? 0 : error_set("nothing to explain: the picture was not read");
    for (int i = 0; rc == 0 && i < trace->count; i++)
        rc = scale_to_height(&trace->step[i], IMAGE_TRACE_HEIGHT, &tiles[i]);
    image_montage_opts_t opts = {.columns = trace->count, .scale = 1, .tone = IMAGE_HIGH_LIGHT};
    if (rc == 0)
        rc = image_montage(tiles, trace->title, trace->count, &opts, strip);
    for (int i = 0; i < trace->count; i++)
        image_free(&tiles[i]);
    return rc;
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
    if (frame == IMAGE_FRAME_SCALE)
        return image_normalise_scaled(in, IMAGE_SIDE, IMAGE_SIDE, out);
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
    else if (!strcmp(name, "scale"))
        *frame = IMAGE_FRAME_SCALE;
    else
        return error_set("unknown frame '%s' (use mnist, book or scale)", name);
    return 0;
}
