/* Tests of the image module: every PNG colour type and bit depth (written
 * here with libpng) reads and normalises to the same 28x28 picture as the
 * plain 8-bit grey file; luma and alpha against hand-computed values; the
 * MNIST frame's polarity, aspect ratio, centring and invariances; the book
 * frame; the writers, montage and font; and a corpus of broken files, each
 * of which must be refused with a message naming it. */
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

/* The reference drawing: a "7" of anti-aliased strokes, dark on white, on a
 * W x H canvas that is neither square nor a multiple of 8 (so interlace
 * passes are ragged), quantised to `levels` grey levels (2, 4, 16, 256:
 * exactly what 1/2/4/8-bit files can hold). */
#define W 43
#define H 57

static double seg_dist(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = ax + t * dx - px, ey = ay + t * dy - py;
    return sqrt(ex * ex + ey * ey);
}

static int quantise(double v, int levels)
{
    int q = (int)floor(v * (levels - 1) / 255.0 + 0.5);
    return q * (255 / (levels - 1));
}

static void draw_seven(uint8_t *lum, int w, int h, int levels)
{
    const double pts[3][2] = {{0.18 * w, 0.14 * h}, {0.82 * w, 0.14 * h}, {0.42 * w, 0.88 * h}};
    const double radius = 0.07 * w;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double px = x + 0.5, py = y + 0.5;
            double d = fmin(seg_dist(px, py, pts[0][0], pts[0][1], pts[1][0], pts[1][1]),
                            seg_dist(px, py, pts[1][0], pts[1][1], pts[2][0], pts[2][1]));
            double ink = fmin(1.0, fmax(0.0, radius + 0.5 - d));
            lum[y * w + x] = (uint8_t)quantise(255.0 - 255.0 * ink, levels);
        }
}

/* A PNG to write: samples [h, w, channels] as plain integers, packed here. */
typedef struct {
    int width, height, color_type, bit_depth, interlace;
    const uint16_t *samples;
    png_color palette[256];
    int n_palette;
    uint8_t trans_alpha[256];
    int n_trans;
    int has_key;
    png_color_16 key;
} test_png_t;

static int channels_of(int color_type)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;
    }
}

/* Packs samples into PNG rows: MSB-first bits below 8, big-endian at 16. */
static uint8_t *pack_rows(const test_png_t *t, size_t *rowbytes)
{
    int ch = channels_of(t->color_type);
    size_t bits = (size_t)t->width * ch * t->bit_depth;
    *rowbytes = (bits + 7) / 8;
    uint8_t *buf = calloc((size_t)t->height, *rowbytes);
    for (int y = 0; y < t->height; y++) {
        uint8_t *row = buf + (size_t)y * *rowbytes;
        for (int i = 0; i < t->width * ch; i++) {
            unsigned v = t->samples[(size_t)y * t->width * ch + i];
            if (t->bit_depth == 16) {
                row[2 * i] = (uint8_t)(v >> 8);
                row[2 * i + 1] = (uint8_t)v;
            } else if (t->bit_depth == 8) {
                row[i] = (uint8_t)v;
            } else {
                size_t bit = (size_t)i * t->bit_depth;
                row[bit / 8] |= (uint8_t)(v << (8 - t->bit_depth - bit % 8));
            }
        }
    }
    return buf;
}

static void test_png_error(png_structp png, png_const_charp msg)
{
    fprintf(stderr, "test writer: libpng: %s\n", msg);
    png_longjmp(png, 1);
}

static void test_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    fprintf(stderr, "test writer: libpng warning: %s\n", msg);
}

/* libpng state kept out of the function that calls setjmp, so nothing
 * there is clobbered by the longjmp. */
typedef struct {
    png_structp png;
    png_infop info;
} test_writer_t;

static int encode_test_png(test_writer_t *w, FILE *f, png_bytep *rows, const test_png_t *t)
{
    if (setjmp(png_jmpbuf(w->png)))
        return -1;
    png_init_io(w->png, f);
    png_set_IHDR(w->png, w->info, t->width, t->height, t->bit_depth, t->color_type,
                 t->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (t->n_palette)
        png_set_PLTE(w->png, w->info, t->palette, t->n_palette);
    if (t->n_trans)
        png_set_tRNS(w->png, w->info, t->trans_alpha, t->n_trans, NULL);
    if (t->has_key)
        png_set_tRNS(w->png, w->info, NULL, 0, &t->key);
    png_set_rows(w->png, w->info, rows);
    png_write_png(w->png, w->info, PNG_TRANSFORM_IDENTITY, NULL);
    return 0;
}

static int write_test_png(const char *path, const test_png_t *t)
{
    size_t rowbytes;
    uint8_t *buf = pack_rows(t, &rowbytes);
    png_bytep *rows = malloc(sizeof *rows * (size_t)t->height);
    for (int y = 0; y < t->height; y++)
        rows[y] = buf + (size_t)y * rowbytes;
    int rc = -1;
    FILE *f = fopen(path, "wb");
    test_writer_t w = {0};
    w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, test_png_error, test_png_warning);
    if (w.png)
        w.info = png_create_info_struct(w.png);
    if (f && w.png && w.info)
        rc = encode_test_png(&w, f, rows, t);
    png_destroy_write_struct(&w.png, &w.info);
    if (f && fclose(f) != 0)
        rc = -1;
    free(rows);
    free(buf);
    return rc;
}

/* Writes a luminance image as plain 8-bit grey with libpng directly. */
static int write_grey8(const char *path, const uint8_t *lum, int w, int h, int interlace)
{
    uint16_t *s = malloc(sizeof *s * (size_t)w * h);
    for (int i = 0; i < w * h; i++)
        s[i] = lum[i];
    test_png_t t = {.width = w, .height = h, .color_type = PNG_COLOR_TYPE_GRAY,
                    .bit_depth = 8, .interlace = interlace, .samples = s};
    int rc = write_test_png(path, &t);
    free(s);
    return rc;
}

/* The ways of storing one picture (all composite to the same luminance). */
typedef enum {
    V_GREY,       /* grey sample = luminance */
    V_GREY_KEY,   /* grey, paper stored as an odd value made transparent by tRNS */
    V_GA,         /* black ink, alpha = 255 - luminance: paper fully transparent */
    V_RGB,        /* r = g = b */
    V_RGB_KEY,    /* RGB, paper stored red and made transparent by tRNS */
    V_RGBA,       /* r = g = b opaque; paper red and fully transparent */
    V_PAL,        /* palette of the grey levels */
    V_PAL_TRNS,   /* palette, the white entry red and transparent via tRNS */
} variant_t;

static const char *variant_names[] = {"grey", "grey+tRNS", "grey+alpha", "RGB",
                                      "RGB+tRNS", "RGBA", "palette", "palette+tRNS"};

/* Fills t (and samples [h, w, 4]) for variant v at bit depth `depth` of the
 * picture lum, quantised to `levels` levels. */
static void make_variant(test_png_t *t, uint16_t *samples, variant_t v, int depth,
                         int levels, const uint8_t *lum, int w, int h)
{
    memset(t, 0, sizeof *t);
    t->width = w;
    t->height = h;
    t->bit_depth = depth;
    t->samples = samples;
    const unsigned one = depth == 16 ? 257 : 1;   /* 8-bit value -> sample */
    const unsigned top = depth == 16 ? 65535 : 255;
    const int step = 255 / (levels - 1);          /* luminance per level */
    switch (v) {
    case V_GREY:
    case V_GREY_KEY:
        t->color_type = PNG_COLOR_TYPE_GRAY;
        for (int i = 0; i < w * h; i++)
            samples[i] = depth < 8 ? (uint16_t)(lum[i] / step) : (uint16_t)(lum[i] * one);
        if (v == V_GREY_KEY) {
            /* 37 is no multiple of 17, so no ink pixel of a 16-level drawing has it */
            const uint16_t key = (uint16_t)(37 * one + (depth == 16 ? 5 : 0));
            for (int i = 0; i < w * h; i++)
                if (lum[i] == 255)
                    samples[i] = key;
            t->has_key = 1;
            t->key.gray = key;
        }
        break;
    case V_GA:
        t->color_type = PNG_COLOR_TYPE_GRAY_ALPHA;
        for (int i = 0; i < w * h; i++) {
            samples[2 * i] = 0;
            samples[2 * i + 1] = (uint16_t)((255 - lum[i]) * one);
        }
        break;
    case V_RGB:
    case V_RGB_KEY:
        t->color_type = PNG_COLOR_TYPE_RGB;
        for (int i = 0; i < w * h; i++) {
            int paper_key = v == V_RGB_KEY && lum[i] == 255;
            samples[3 * i] = (uint16_t)(paper_key ? top : lum[i] * one);
            samples[3 * i + 1] = (uint16_t)(paper_key ? 0 : lum[i] * one);
            samples[3 * i + 2] = (uint16_t)(paper_key ? 0 : lum[i] * one);
        }
        if (v == V_RGB_KEY) {
            t->has_key = 1;
            t->key.red = (png_uint_16)top;
        }
        break;
    case V_RGBA:
        t->color_type = PNG_COLOR_TYPE_RGB_ALPHA;
        for (int i = 0; i < w * h; i++) {
            int paper = lum[i] == 255;
            samples[4 * i] = (uint16_t)(paper ? top : lum[i] * one);
            samples[4 * i + 1] = (uint16_t)(paper ? 0 : lum[i] * one);
            samples[4 * i + 2] = (uint16_t)(paper ? 0 : lum[i] * one);
            samples[4 * i + 3] = (uint16_t)(paper ? 0 : top);
        }
        break;
    case V_PAL:
    case V_PAL_TRNS:
        t->color_type = PNG_COLOR_TYPE_PALETTE;
        t->n_palette = levels;
        for (int k = 0; k < levels; k++) {
            uint8_t g = (uint8_t)(k * step);
            t->palette[k] = (png_color){g, g, g};
        }
        if (v == V_PAL_TRNS) {
            t->palette[levels - 1] = (png_color){255, 0, 0};
            t->n_trans = levels;
            for (int k = 0; k < levels; k++)
                t->trans_alpha[k] = k == levels - 1 ? 0 : 255;
        }
        for (int i = 0; i < w * h; i++)
            samples[i] = (uint16_t)(lum[i] / step);
        break;
    }
}

static int max_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > m)
            m = d;
    }
    return m;
}

static int contains(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

/* Normalises lum [h, w] to out; returns the status. */
static int normalise_lum(const uint8_t *lum, int w, int h, uint8_t *out)
{
    image_t img = {h, w, (uint8_t *)lum};
    return image_normalise_mnist(&img, out);
}

/* Bounding box of nonzero pixels of a 28x28 image. */
static void bbox28(const uint8_t *img, int *bw, int *bh)
{
    int x0 = 28, x1 = -1, y0 = 28, y1 = -1;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            if (img[y * 28 + x]) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    *bw = x1 - x0 + 1;
    *bh = y1 - y0 + 1;
}

/* ------------------------------------------------------ format matrix */

static void test_every_format_same_digit(void)
{
    static const struct {
        variant_t v;
        int depth, levels;
    } cases[] = {
        {V_GREY, 1, 2},       {V_GREY, 2, 4},      {V_GREY, 4, 16},     {V_GREY, 8, 256},
        {V_GREY, 16, 256},    {V_GREY_KEY, 8, 16}, {V_GREY_KEY, 16, 16}, {V_GA, 8, 256},
        {V_GA, 16, 256},      {V_RGB, 8, 256},     {V_RGB, 16, 256},    {V_RGB_KEY, 8, 16},
        {V_RGB_KEY, 16, 16},  {V_RGBA, 8, 256},    {V_RGBA, 16, 256},   {V_PAL, 1, 2},
        {V_PAL, 2, 4},        {V_PAL, 4, 16},      {V_PAL, 8, 256},     {V_PAL_TRNS, 1, 2},
        {V_PAL_TRNS, 2, 4},   {V_PAL_TRNS, 4, 16}, {V_PAL_TRNS, 8, 256},
    };
    char *dir = testutil_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    uint8_t lum[W * H];
    uint16_t *samples = malloc(sizeof *samples * W * H * 4);
    test_png_t t;
    int worst_read = 0, worst_norm = 0, files = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        draw_seven(lum, W, H, cases[c].levels);
        uint8_t ref[IMAGE_PIXELS];
        /* the reference: the same picture as plain 8-bit grey */
        const char *ref_path = testutil_path(dir, "ref.png");
        CU_ASSERT_EQUAL_FATAL(write_grey8(ref_path, lum, W, H, 0), 0);
        CU_ASSERT_EQUAL_FATAL(image_load(ref_path, IMAGE_FRAME_MNIST, ref), 0);
        for (int interlace = 0; interlace <= 1; interlace++) {
            char name[64];
            snprintf(name, sizeof name, "v%d_d%d_i%d.png", (int)cases[c].v, cases[c].depth, interlace);
            const char *path = testutil_path(dir, name);
            make_variant(&t, samples, cases[c].v, cases[c].depth, cases[c].levels, lum, W, H);
            t.interlace = interlace;
            CU_ASSERT_EQUAL_FATAL(write_test_png(path, &t), 0);
            files++;

            image_t img;
            int rc = image_read_png(path, &img);
            CU_ASSERT_EQUAL(rc, 0);
            if (rc < 0) {
                fprintf(stderr, "%s %d-bit%s: %s\n", variant_names[cases[c].v],
                        cases[c].depth, interlace ? " interlaced" : "", error_message());
                continue;
            }
            CU_ASSERT_EQUAL(img.width, W);
            CU_ASSERT_EQUAL(img.height, H);
            int dr = max_diff(img.pixels, lum, W * H);
            uint8_t out[IMAGE_PIXELS];
            CU_ASSERT_EQUAL(image_normalise_mnist(&img, out), 0);
            int dn = max_diff(out, ref, IMAGE_PIXELS);
            image_free(&img);
            /* every construction above is exact in 8 bits: allow one level
             * for the floating-point luma of r = g = b */
            CU_ASSERT(dr <= 1);
            CU_ASSERT(dn <= 1);
            if (dr > 1 || dn > 1)
                fprintf(stderr, "%s %d-bit%s: read differs by %d, normalised by %d\n",
                        variant_names[cases[c].v], cases[c].depth,
                        interlace ? " interlaced" : "", dr, dn);
            if (dr > worst_read) worst_read = dr;
            if (dn > worst_norm) worst_norm = dn;
        }
    }
    printf("\n    %d files; largest difference: read %d, normalised %d grey levels ",
           files, worst_read, worst_norm);
    free(samples);
    testutil_rmtree(dir);
    free(dir);
}

/* Tiny interlaced images have empty Adam7 passes; every pixel must still
 * land in its place. */
static void test_interlaced_small_sizes(void)
{
    static const int sizes[][2] = {{1, 1}, {2, 1}, {1, 3}, {3, 2}, {5, 5}, {8, 8}, {9, 9}, {17, 3}};
    char *dir = testutil_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        uint8_t px[17 * 9];
        for (int i = 0; i < w * h; i++)
            px[i] = (uint8_t)((i * 37 + 11) % 256);
        const char *path = testutil_path(dir, "small.png");
        CU_ASSERT_EQUAL_FATAL(write_grey8(path, px, w, h, 1), 0);
        image_t img;
        CU_ASSERT_EQUAL_FATAL(image_read_png(path, &img), 0);
        CU_ASSERT(img.width == w && img.height == h);
        CU_ASSERT_EQUAL(max_diff(img.pixels, px, (size_t)w * h), 0);
        image_free(&img);
    }
    testutil_rmtree(dir);
    free(dir);
}

/* Rec. 601 luma and compositing over white, against values worked out by
 * hand: 0.299*255 = 76.245, 0.587*255 = 149.685, 0.114*255 = 29.07. */
static void test_luma_and_alpha_values(void)
{
    char *dir = testutil_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    const char *path = testutil_path(dir, "c.png");
    image_t img;

    const uint16_t rgb[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    test_png_t t = {.width = 4, .height = 1, .color_type = PNG_COLOR_TYPE_RGB,
                    .bit_depth = 8, .samples = rgb};
    CU_ASSERT_EQUAL_FATAL(write_test_png(path, &t), 0);
    CU_ASSERT_EQUAL_FATAL(image_read_png(path, &img), 0);
    CU_ASSERT_EQUAL(img.pixels[0], 76);
    CU_ASSERT_EQUAL(img.pixels[1], 150);
    CU_ASSERT_EQUAL(img.pixels[2], 29);
    CU_ASSERT_EQUAL(img.pixels[3], 255);
    image_free(&img);

    /* red at half alpha over white: (76.245*128 + 255*127)/255 = 165.27;
     * black at alpha 128: 255*127/255 = 127; transparent black: white */
    const uint16_t rgba[] = {255, 0, 0, 128, 0, 0, 0, 128, 0, 0, 0, 0};
    t = (test_png_t){.width = 3, .height = 1, .color_type = PNG_COLOR_TYPE_RGB_ALPHA,
                     .bit_depth = 8, .samples = rgba};
    CU_ASSERT_EQUAL_FATAL(write_test_png(path, &t), 0);
    CU_ASSERT_EQUAL_FATAL(image_read_png(path, &img), 0);
    CU_ASSERT_EQUAL(img.pixels[0], 165);
    CU_ASSERT_EQUAL(img.pixels[1], 127);
    CU_ASSERT_EQUAL(img.pixels[2], 255);
    image_free(&img);

    /* 16 bits round to the nearest 8-bit level (v / 257): 128*257 -> 128,
     * 32768 = 127.502 -> 128, 32767 -> 127.498 -> 127, 129 -> 0.502 -> 1 */
    const uint16_t g16[] = {128 * 257, 32768, 32767, 129};
    t = (test_png_t){.width = 4, .height = 1, .color_type = PNG_COLOR_TYPE_GRAY,
                     .bit_depth = 16, .samples = g16};
    CU_ASSERT_EQUAL_FATAL(write_test_png(path, &t), 0);
    CU_ASSERT_EQUAL_FATAL(image_read_png(path, &img), 0);
    CU_ASSERT_EQUAL(img.pixels[0], 128);
    CU_ASSERT_EQUAL(img.pixels[1], 128);
    CU_ASSERT_EQUAL(img.pixels[2], 127);
    CU_ASSERT_EQUAL(img.pixels[3], 1);
    image_free(&img);

    testutil_rmtree(dir);
    free(dir);
}

/* --------------------------------------------------------- MNIST frame */

static void test_polarity(void)
{
    uint8_t lum[W * H], inv[W * H], a[IMAGE_PIXELS], b[IMAGE_PIXELS];
    draw_seven(lum, W, H, 256);
    for (int i = 0; i < W * H; i++)
        inv[i] = (uint8_t)(255 - lum[i]);
    CU_ASSERT_EQUAL_FATAL(normalise_lum(lum, W, H, a), 0);
    CU_ASSERT_EQUAL_FATAL(normalise_lum(inv, W, H, b), 0);
    CU_ASSERT_EQUAL(max_diff(a, b, IMAGE_PIXELS), 0);
    /* MNIST convention: paper 0, strongest ink 255 */
    CU_ASSERT_EQUAL(a[0], 0);
    int top = 0;
    for (int i = 0; i < IMAGE_PIXELS; i++)
        if (a[i] > top)
            top = a[i];
    CU_ASSERT_EQUAL(top, 255);

    /* grey paper (200) with grey ink (40): same shape, levels stretched */
    uint8_t dim[W * H], c[IMAGE_PIXELS];
    for (int i = 0; i < W * H; i++)
        dim[i] = (uint8_t)(40 + lum[i] * 160 / 255);
    CU_ASSERT_EQUAL_FATAL(normalise_lum(dim, W, H, c), 0);
    int bwa, bha, bwc, bhc;
    bbox28(a, &bwa, &bha);
    bbox28(c, &bwc, &bhc);
    CU_ASSERT(abs(bwa - bwc) <= 1 && abs(bha - bhc) <= 1);
    long sum = 0;
    for (int i = 0; i < IMAGE_PIXELS; i++)
        sum += abs((int)a[i] - (int)c[i]);
    CU_ASSERT(sum / IMAGE_PIXELS <= 3);
}

/* A tall thin "1" stays tall and thin: a 10 x 100 bar becomes 2 x 20. */
static void test_aspect_ratio(void)
{
    enum { BW = 60, BH = 140 };
    uint8_t *lum = malloc(BW * BH), out[IMAGE_PIXELS];
    memset(lum, 255, BW * BH);
    for (int y = 20; y < 120; y++)
        for (int x = 25; x < 35; x++)
            lum[y * BW + x] = 0;
    CU_ASSERT_EQUAL_FATAL(normalise_lum(lum, BW, BH, out), 0);
    int bw, bh;
    bbox28(out, &bw, &bh);
    CU_ASSERT_EQUAL(bh, 20);
    CU_ASSERT_EQUAL(bw, 2);

    /* and lying down: a 100 x 10 bar becomes 20 x 2 */
    uint8_t *wide = malloc(BH * BW);
    memset(wide, 255, BH * BW);
    for (int y = 25; y < 35; y++)
        for (int x = 20; x < 120; x++)
            wide[y * BH + x] = 0;
    CU_ASSERT_EQUAL_FATAL(normalise_lum(wide, BH, BW, out), 0);
    bbox28(out, &bw, &bh);
    CU_ASSERT_EQUAL(bw, 20);
    CU_ASSERT_EQUAL(bh, 2);
    free(lum);
    free(wide);
}

/* Area averaging: a bar 6 pixels wide in a 60-pixel-long box shrinks by
 * 3 to exactly two full pixels (2 is within MNIST's stroke widths, so it is
 * not redrawn; thinner and thicker bars are, see test_image_clean.c). */
static void test_area_averaging(void)
{
    enum { S = 80 };
    uint8_t *lum = malloc(S * S), out[IMAGE_PIXELS];
    memset(lum, 255, S * S);
    for (int y = 10; y < 70; y++)        /* 60 tall: scale 1/3 */
        for (int x = 30; x < 36; x++)    /* 6 wide: 2 pixels */
            lum[y * S + x] = 0;
    CU_ASSERT_EQUAL_FATAL(normalise_lum(lum, S, S, out), 0);
    int bw, bh;
    bbox28(out, &bw, &bh);
    CU_ASSERT_EQUAL(bh, 20);
    CU_ASSERT_EQUAL(bw, 2);
    int full = 0;
    for (int i = 0; i < IMAGE_PIXELS; i++)
        full += out[i] == 255;
    CU_ASSERT_EQUAL(full, 40);

    /* a 9 x 60 bar of alternating ink 255 and 155: an output pixel averages
     * 3 x 3 inputs, 5 of one and 4 of the other, so (255*5+155*4)/9 = 210.6
     * and 199.4 alternate; stretched so the strongest is 255, the others
     * are 241.4. Nearest neighbour would give 255 and 187.9. */
    memset(lum, 255, S * S);
    for (int y = 10; y < 70; y++)
        for (int x = 30; x < 39; x++)
            lum[y * S + x] = ((x + y) % 2) ? 0 : 100;   /* ink 255 and 155 */
    CU_ASSERT_EQUAL_FATAL(normalise_lum(lum, S, S, out), 0);
    int grey = 0;
    for (int i = 0; i < IMAGE_PIXELS; i++)
        grey += out[i] > 235 && out[i] < 248;
    CU_ASSERT(grey >= 25);   /* 3 x 20 = 60 pixels, half of them */
    free(lum);
}

static void centre_of_mass(const uint8_t *img, double *cy, double *cx)
{
    double m = 0, my = 0, mx = 0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            m += img[y * 28 + x];
            my += (double)img[y * 28 + x] * y;
            mx += (double)img[y * 28 + x] * x;
        }
    *cy = my / m;
    *cx = mx / m;
}

/* The centre of mass lands on pixel (14, 14) within the half pixel a
 * whole-pixel shift allows, wherever the digit was and however large. */
static void test_centre_of_mass(void)
{
    uint8_t lum[W * H], ref[IMAGE_PIXELS], out[IMAGE_PIXELS];
    draw_seven(lum, W, H, 256);
    CU_ASSERT_EQUAL_FATAL(normalise_lum(lum, W, H, ref), 0);
    double cy, cx;
    centre_of_mass(ref, &cy, &cx);
    CU_ASSERT(fabs(cy - 14.0) <= 0.55);
    CU_ASSERT(fabs(cx - 14.0) <= 0.55);
    printf("\n    centre of mass (row, col) = (%.2f, %.2f) ", cy, cx);
    int bw, bh;
    bbox28(ref, &bw, &bh);
    CU_ASSERT_EQUAL(bh, 20);   /* the taller side fills the 20-pixel box */

    /* the same drawing in a corner of a large canvas: identical result */
    enum { CW = 300, CH = 200 };
    uint8_t *canvas = malloc(CW * CH);
    memset(canvas, 255, CW * CH);
    for (int y = 0; y < H; y++)
        memcpy(canvas + (size_t)(CH - H - 3 + y) * CW + 5, lum + y * W, W);
    CU_ASSERT_EQUAL_FATAL(normalise_lum(canvas, CW, CH, out), 0);
    CU_ASSERT_EQUAL(max_diff(out, ref, IMAGE_PIXELS), 0);

    /* enlarged 3x (nearest neighbour): the box filter sees the same areas */
    uint8_t *big = malloc(W * 3 * H * 3);
    for (int y = 0; y < H * 3; y++)
        for (int x = 0; x < W * 3; x++)
            big[y * W * 3 + x] = lum[(y / 3) * W + x / 3];
    CU_ASSERT_EQUAL_FATAL(normalise_lum(big, W * 3, H * 3, out), 0);
    CU_ASSERT(max_diff(out, ref, IMAGE_PIXELS) <= 1);
    free(canvas);
    free(big);
}

static void test_no_ink(void)
{
    uint8_t lum[40 * 30], out[IMAGE_PIXELS];
    memset(lum, 255, sizeof lum);
    CU_ASSERT_EQUAL(normalise_lum(lum, 40, 30, out), -1);
    CU_ASSERT(contains(error_message(), "no ink"));
    memset(lum, 0, sizeof lum);   /* all black: a board with nothing on it */
    CU_ASSERT_EQUAL(normalise_lum(lum, 40, 30, out), -1);
    CU_ASSERT(contains(error_message(), "no ink"));
    memset(lum, 255, sizeof lum);  /* faint specks only */
    lum[100] = lum[400] = 240;
    lum[700] = 250;
    CU_ASSERT_EQUAL(normalise_lum(lum, 40, 30, out), -1);
    CU_ASSERT(contains(error_message(), "no ink"));
    lum[500] = 0;                  /* one real dot: accepted */
    CU_ASSERT_EQUAL(normalise_lum(lum, 40, 30, out), 0);

    /* through image_load the message names the file */
    char *dir = testutil_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    memset(lum, 255, sizeof lum);
    const char *path = testutil_path(dir, "blank.png");
    CU_ASSERT_EQUAL_FATAL(write_grey8(path, lum, 40, 30, 0), 0);
    CU_ASSERT_EQUAL(image_load(path, IMAGE_FRAME_MNIST, out), -1);
    CU_ASSERT(contains(error_message(), path));
    CU_ASSERT(contains(error_message(), "no ink"));
    testutil_rmtree(dir);
    free(dir);
}

/* ---------------------------------------------------------- book frame */

static void test_book_frame(void)
{
    uint8_t lum[30 * 30], out[IMAGE_PIXELS];
    for (int i = 0; i < 30 * 30; i++)
        lum[i] = (uint8_t)(i % 256);
    image_t img = {28, 28, lum};
    CU_ASSERT_EQUAL(image_normalise_book(&img, out), 0);
    for (int i = 0; i < IMAGE_PIXELS; i++)
        if (out[i] != 255 - lum[i]) {
            CU_FAIL("book frame is not 255 - x");
            break;
        }
    img = (image_t){30, 30, lum};
    CU_ASSERT_EQUAL(image_normalise(&img, IMAGE_FRAME_BOOK, out), -1);
    CU_ASSERT(contains(error_message(), "28 x 28"));
    CU_ASSERT(contains(error_message(), "30 x 30"));

    image_frame_t f;
    CU_ASSERT(image_frame_parse("book", &f) == 0 && f == IMAGE_FRAME_BOOK);
    CU_ASSERT(image_frame_parse("mnist", &f) == 0 && f == IMAGE_FRAME_MNIST);
    CU_ASSERT_EQUAL(image_frame_parse("lecun", &f), -1);
    CU_ASSERT(contains(error_message(), "lecun"));
}

/* ------------------------------------------------------------- writers */

static void test_write_read_round_trip(void)
{
    char *dir = testutil_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    uint8_t px[IMAGE_PIXELS];
    for (int i = 0; i < IMAGE_PIXELS; i++)
        px[i] = (uint8_t)(i * 7 % 256);
    image_t img = {28, 28, px}, back;

    const char *path = testutil_path(dir, "plain.png");
    CU_ASSERT_EQUAL_FATAL(image_write_png(path, &img, 1, IMAGE_HIGH_LIGHT), 0);
    CU_ASSERT_EQUAL_FATAL(image_read_png(path, &back), 0);
    CU_ASSERT(back.width == 28 && back.height == 28);
    CU_ASSERT_EQUAL(max_diff(back.pixels, px, IMAGE_PIXELS), 0);
    image_free(&back);

    path = testutil_path(dir, "dark_x10.png");
    CU_ASSERT_EQUAL_FATAL(image_write_png(path, &img, 10, IMAGE_HIGH_DARK), 0);
    CU_ASSERT_EQUAL_FATAL(image_read_png(path, &back), 0);
    CU_ASSERT(back.width == 280 && back.height == 280);
    int bad = 0;
    for (int y = 0; y < 280; y++)
        for (int x = 0; x < 280; x++)
            bad += back.pixels[y * 280 + x] != 255 - px[(y / 10) * 28 + x / 10];
    CU_ASSERT_EQUAL(bad, 0);
    image_free(&back);

    /* refusals: too large when enlarged, an unwritable place */
    CU_ASSERT_EQUAL(image_write_png(testutil_path(dir, "huge.png"), &img, 1000, IMAGE_HIGH_LIGHT), -1);
    CU_ASSERT(contains(error_message(), "huge.png"));
    CU_ASSERT_EQUAL(image_write_png(testutil_path(dir, "no/such/dir.png"), &img, 1, IMAGE_HIGH_LIGHT), -1);
    CU_ASSERT(contains(error_message(), "no/such/dir.png"));

    /* floats to bytes: the back-query range 0.01..0.99 */
    const float v[] = {0.01f, 0.99f, 0.5f, -3.0f, 7.0f, NAN};
    uint8_t b[6];
    image_from_floats(v, 6, 0.01f, 0.99f, b);
    /* 0.5 is 127.5 in exact arithmetic; float rounding may pick either */
    CU_ASSERT(b[0] == 0 && b[1] == 255 && (b[2] == 127 || b[2] == 128));
    CU_ASSERT(b[3] == 0 && b[4] == 255 && b[5] == 0);
    testutil_rmtree(dir);
    free(dir);
}

/* Dark pixels (< 128) in rows [y0, y1) and columns [x0, x1) of m. */
static int dark_pixels(const image_t *m, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += m->pixels[(size_t)y * m->width + x] < 128;
    return n;
}

/* Labels are drawn under their own tile, centred; a missing label leaves
 * white paper; bytes that are not printable ASCII draw as '?'. */
static void test_montage_labels(void)
{
    uint8_t px[IMAGE_PIXELS] = {0};
    image_t tiles[2] = {{28, 28, px}, {28, 28, px}};
    const char *labels[2] = {"8 (0.97)", NULL};
    image_montage_opts_t opts = {.columns = 2, .scale = 2, .tone = IMAGE_HIGH_DARK};
    image_t m;
    CU_ASSERT_EQUAL_FATAL(image_montage(tiles, labels, 2, &opts, &m), 0);
    /* tiles are blank paper (ink 0 shown as white): all ink is text */
    const int label_top = 58, half = m.width / 2;
    CU_ASSERT(m.height > label_top + 8);
    int under_first = dark_pixels(&m, 0, label_top, half, m.height);
    CU_ASSERT(under_first > 30);
    CU_ASSERT_EQUAL(dark_pixels(&m, half, label_top, m.width, m.height), 0);
    CU_ASSERT_EQUAL(dark_pixels(&m, 0, 0, m.width, label_top), 0);
    /* centred: about as much ink left of the cell's middle as right of it */
    int cell_mid = half / 2;
    int l = dark_pixels(&m, 0, label_top, cell_mid, m.height);
    int r = dark_pixels(&m, cell_mid, label_top, half, m.height);
    CU_ASSERT(l > under_first / 4 && r > under_first / 4);
    image_free(&m);

    image_t q, u;
    const char *ask[1] = {"?"}, *odd[1] = {"\x01"};
    CU_ASSERT_EQUAL_FATAL(image_montage(tiles, ask, 1, &opts, &q), 0);
    CU_ASSERT_EQUAL_FATAL(image_montage(tiles, odd, 1, &opts, &u), 0);
    CU_ASSERT(q.width == u.width && q.height == u.height);
    CU_ASSERT_EQUAL(memcmp(q.pixels, u.pixels, (size_t)q.width * q.height), 0);
    CU_ASSERT(dark_pixels(&q, 0, 0, q.width, q.height) > 5);
    image_free(&q);
    image_free(&u);
}

static void test_montage(void)
{
    char *dir = testutil_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    uint8_t px[10][IMAGE_PIXELS];
    image_t tiles[10];
    char text[10][16];
    const char *labels[10];
    for (int i = 0; i < 10; i++) {
        memset(px[i], 0, IMAGE_PIXELS);
        px[i][14 * 28 + 14] = 255;   /* one ink pixel in the middle */
        tiles[i] = (image_t){28, 28, px[i]};
        snprintf(text[i], sizeof text[i], "%d (0.%d9)", i, i);
        labels[i] = text[i];
    }
    image_montage_opts_t opts = {.columns = 5, .scale = 2, .tone = IMAGE_HIGH_DARK};
    image_t m;
    CU_ASSERT_EQUAL_FATAL(image_montage(tiles, labels, 10, &opts, &m), 0);
    CU_ASSERT(m.width > 5 * 56 && m.height > 2 * 56);
    CU_ASSERT_EQUAL(m.pixels[0], 255);   /* white paper */
    /* high = dark: ten 2x2 black dots from the tiles, plus black text */
    int black = 0, grey = 0;
    for (int i = 0; i < m.width * m.height; i++) {
        black += m.pixels[i] == 0;
        grey += m.pixels[i] == 160;
    }
    CU_ASSERT(black >= 10 * 4);   /* the dots; text is test_montage_labels' */
    CU_ASSERT(grey >= 10 * 4 * 57);   /* the frames */
    const char *path = testutil_path(dir, "montage.png");
    CU_ASSERT_EQUAL(image_write_png(path, &m, 1, IMAGE_HIGH_LIGHT), 0);
    image_t back;
    CU_ASSERT_EQUAL_FATAL(image_read_png(path, &back), 0);
    CU_ASSERT(back.width == m.width && back.height == m.height);
    CU_ASSERT_EQUAL(max_diff(back.pixels, m.pixels, (size_t)m.width * m.height), 0);
    image_free(&back);
    image_free(&m);

    /* no labels, automatic columns, high = light: tile paper shows black */
    opts = (image_montage_opts_t){0};
    CU_ASSERT_EQUAL_FATAL(image_montage(tiles, NULL, 10, &opts, &m), 0);
    CU_ASSERT(m.width > 4 * 28 && m.height > 3 * 28);   /* 4 x 3 grid */
    image_free(&m);

    /* too large to be read back: refused */
    opts.scale = 200;
    CU_ASSERT_EQUAL(image_montage(tiles, labels, 10, &opts, &m), -1);
    CU_ASSERT_PTR_NULL(m.pixels);
    CU_ASSERT_EQUAL(image_montage(tiles, labels, 0, &opts, &m), -1);
    testutil_rmtree(dir);
    free(dir);
}

/* ----------------------------------------------------- broken files */

static uint8_t *slurp(const char *path, size_t *n)
{
    return testutil_read_file(path, n);
}

/* CRC-32 as PNG defines it (the same as zlib's), bit by bit. */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Offset of the first chunk of the given type, or 0. */
static size_t find_chunk(const uint8_t *png, size_t n, const char *type)
{
    size_t at = 8;
    while (at + 12 <= n) {
        if (!memcmp(png + at + 4, type, 4))
            return at;
        at += 12 + get_be32(png + at);
    }
    return 0;
}

/* The IHDR with a new size and a correct CRC (so the size check, not the
 * CRC check, must refuse it). */
static void patch_ihdr(uint8_t *png, uint32_t width, uint32_t height)
{
    put_be32(png + 16, width);
    put_be32(png + 20, height);
    put_be32(png + 29, crc32_png(png + 12, 17));
}

/* Expects path to be refused with a message naming it and containing
 * `reason` (if not NULL). */
static void expect_refused(const char *path, const char *reason, const char *what)
{
    image_t img = {0};
    error_clear();
    int rc = image_read_png(path, &img);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NULL(img.pixels);
    CU_ASSERT(contains(error_message(), path));
    if (reason)
        CU_ASSERT(contains(error_message(), reason));
    if (rc != -1 || !contains(error_message(), path) || (reason && !contains(error_message(), reason)))
        fprintf(stderr, "%s: rc %d, message '%s'\n", what, rc, error_message());
    if (rc == 0)
        image_free(&img);
}

static void test_malformed_corpus(void)
{
    char *dir = testutil_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    uint8_t lum[W * H];
    draw_seven(lum, W, H, 256);
    const char *good = testutil_path(dir, "good.png");
    CU_ASSERT_EQUAL_FATAL(write_grey8(good, lum, W, H, 0), 0);
    size_t n;
    uint8_t *png = slurp(good, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(png);
    uint8_t *copy = malloc(n);
    const char *bad = testutil_path(dir, "bad.png");
    char what[64];

    /* truncated anywhere: in the signature, in IHDR, in IDAT, before and
     * inside IEND, one byte short */
    size_t idat = find_chunk(png, n, "IDAT");
    CU_ASSERT_FATAL(idat > 0);
    const size_t cuts[] = {1, 4, 8, 12, 20, 33, idat + 8, idat + 20, n / 2, n - 12, n - 4, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, png, cuts[i]), 0);
        snprintf(what, sizeof what, "truncated at %zu of %zu", cuts[i], n);
        expect_refused(bad, NULL, what);
    }

    /* a flipped byte inside IDAT: zlib usually trips over it before
     * libpng reaches the chunk's CRC; either way it is refused */
    uint32_t idat_len = get_be32(png + idat);
    const uint32_t flips[] = {0, 5, idat_len / 2, idat_len - 1};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(copy, png, n);
        copy[idat + 8 + flips[i]] ^= 0x5a;
        CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
        snprintf(what, sizeof what, "flipped IDAT byte %u", flips[i]);
        expect_refused(bad, NULL, what);
    }
    /* intact data, damaged CRC: the CRC check itself */
    memcpy(copy, png, n);
    copy[idat + 8 + idat_len] ^= 0x01;
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
    expect_refused(bad, "CRC", "flipped IDAT CRC");

    /* garbage compressed data with a correct CRC: zlib must refuse it */
    memcpy(copy, png, n);
    for (uint32_t k = 2; k < idat_len; k++)
        copy[idat + 8 + k] = (uint8_t)(k * 131 + 7);
    put_be32(copy + idat + 8 + idat_len, crc32_png(copy + idat + 4, idat_len + 4));
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
    expect_refused(bad, NULL, "garbage IDAT with good CRC");

    /* wrong signature */
    memcpy(copy, png, n);
    copy[1] = 'J';
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
    expect_refused(bad, "not a PNG", "wrong signature");
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, "GIF89a, certainly not a PNG", 27), 0);
    expect_refused(bad, "not a PNG", "a GIF");

    /* absurd dimensions, with valid CRCs: refused by the size check */
    const uint32_t dims[][2] = {{100000, 100000}, {1, 100000}, {100000, 1}, {8193, 8},
                                {0x7fffffff, 0x7fffffff}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        memcpy(copy, png, n);
        patch_ihdr(copy, dims[i][0], dims[i][1]);
        CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
        snprintf(what, sizeof what, "IHDR %u x %u", dims[i][0], dims[i][1]);
        expect_refused(bad, "8192", what);
    }
    /* zero-sized, and beyond what PNG allows: refused by libpng's checks */
    static const struct {
        uint32_t w, h;
        const char *reason;
    } invalid[] = {{0, 10, "zero"}, {10, 0, "zero"}, {0x80000000u, 1, "out of range"}};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        memcpy(copy, png, n);
        patch_ihdr(copy, invalid[i].w, invalid[i].h);
        CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
        snprintf(what, sizeof what, "IHDR %u x %u", invalid[i].w, invalid[i].h);
        expect_refused(bad, invalid[i].reason, what);
    }
    /* an IHDR smaller than the image data that follows: too much data is
     * libpng's benign "extra compressed data"; the read must not overrun */
    memcpy(copy, png, n);
    patch_ihdr(copy, 5, 5);
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
    {
        image_t img;
        if (image_read_png(bad, &img) == 0) {
            CU_ASSERT(img.width == 5 && img.height == 5);
            image_free(&img);
        } else {
            CU_ASSERT(contains(error_message(), bad));
        }
    }
    /* an IHDR larger than the data: runs out of image data */
    memcpy(copy, png, n);
    patch_ihdr(copy, 500, 500);
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, copy, n), 0);
    expect_refused(bad, NULL, "IHDR larger than the data");

    /* empty file, missing file, a directory */
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(bad, "", 0), 0);
    expect_refused(bad, "empty", "zero-byte file");
    expect_refused(testutil_path(dir, "missing.png"), "cannot open", "missing file");
    expect_refused(dir, NULL, "a directory");

    /* image_load passes the same messages on */
    uint8_t out[IMAGE_PIXELS];
    CU_ASSERT_EQUAL(image_load(testutil_path(dir, "missing.png"), IMAGE_FRAME_BOOK, out), -1);
    CU_ASSERT(contains(error_message(), "missing.png"));

    /* and the good file still reads */
    image_t img;
    CU_ASSERT_EQUAL(image_read_png(good, &img), 0);
    image_free(&img);
    image_free(&img);   /* twice is safe */
    free(copy);
    free(png);
    testutil_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"every colour type and bit depth gives the same digit", test_every_format_same_digit},
        {"tiny interlaced images", test_interlaced_small_sizes},
        {"Rec. 601 luma, alpha over white, 16-bit rounding", test_luma_and_alpha_values},
        {"polarity: dark-on-light = light-on-dark", test_polarity},
        {"aspect ratio kept (tall 1, wide bar)", test_aspect_ratio},
        {"area averaging, not nearest neighbour", test_area_averaging},
        {"centre of mass at (14,14); translation and scale invariance", test_centre_of_mass},
        {"no ink found", test_no_ink},
        {"book frame", test_book_frame},
        {"write/read round trip, enlarged, high = dark", test_write_read_round_trip},
        {"montage labels: placed, centred, odd bytes as ?", test_montage_labels},
        {"montage", test_montage},
        {"malformed PNG corpus", test_malformed_corpus},
        {NULL, NULL},
    };
    return testutil_run("image", cases);
}
