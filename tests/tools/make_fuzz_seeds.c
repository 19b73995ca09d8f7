/* make_fuzz_seeds: the seed corpora of the libFuzzer harnesses, made with
 * nnmpi's own writers (ckpt_write, config_to_text, npy_header_write,
 * model_npz_write, the IDX/CSV layouts of testutil), zlib and libzip for
 * the gzip and NumPy files others write, and libpng for the PNG colour
 * types nnmpi never writes:
 *   make_fuzz_seeds DIR
 * writes DIR/png, DIR/idx, DIR/idx_gz, DIR/npy, DIR/npz, DIR/csv,
 * DIR/config and DIR/checkpoint (the directories must exist).
 * tests/fuzz/make_corpus.sh calls it. Every file is small (the largest, a
 * 784-2-10 checkpoint, is about 14 KB) so the fuzzer's mutations stay
 * cheap. */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/config.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "nnmpi/model_npz.h"
#include "nnmpi/npy.h"
#include "nnmpi/rng.h"
#include "testutil.h"

/* ------------------------------------------------------------------ PNG */

enum { SIDE = 12 };

/* A 12x12 picture of a "7": luminance, dark ink on white paper. */
static void draw(uint8_t lum[SIDE * SIDE])
{
    memset(lum, 255, SIDE * SIDE);
    for (int x = 2; x < 10; x++)
        lum[2 * SIDE + x] = 20;
    for (int y = 3; y < 11; y++)
        lum[y * SIDE + 9 - (y - 3) / 2] = 40;
}

typedef struct {
    const char *name;
    int color, depth, interlace, trns;
} png_kind_t;

static void on_png_error(png_structp png, png_const_charp msg)
{
    fprintf(stderr, "make_fuzz_seeds: libpng: %s\n", msg);
    png_longjmp(png, 1);
}

/* The sample of channel c of a pixel of luminance v, in the kind's depth. */
static unsigned sample(const png_kind_t *k, uint8_t v, int c)
{
    unsigned max = (1u << k->depth) - 1;
    if (k->color == PNG_COLOR_TYPE_PALETTE)
        return v < 128 ? 1 : 0; /* index: 0 paper, 1 ink */
    if ((k->color & PNG_COLOR_MASK_ALPHA) && c == (k->color == PNG_COLOR_TYPE_GA ? 1 : 3))
        return v < 128 ? max : max / 4; /* ink opaque, paper mostly transparent */
    return (unsigned)(v * max / 255);
}

static int channels_of(int color)
{
    switch (color) {
    case PNG_COLOR_TYPE_GRAY: case PNG_COLOR_TYPE_PALETTE: return 1;
    case PNG_COLOR_TYPE_GA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    default: return 4;
    }
}

typedef struct {
    png_structp png;
    png_infop info;
    png_bytep rows[SIDE];
} writer_t;

static int encode(writer_t *w, FILE *f, const png_kind_t *k)
{
    if (setjmp(png_jmpbuf(w->png)))
        return -1;
    png_init_io(w->png, f);
    png_set_IHDR(w->png, w->info, SIDE, SIDE, k->depth, k->color,
                 k->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color palette[2] = {{250, 250, 240}, {10, 10, 60}};
    png_byte alpha[2] = {0, 255};
    png_color_16 key = {0};
    key.gray = (png_uint_16)((1u << k->depth) - 1); /* grey: white paper transparent */
    if (k->color == PNG_COLOR_TYPE_PALETTE)
        png_set_PLTE(w->png, w->info, palette, 2);
    if (k->trns && k->color == PNG_COLOR_TYPE_PALETTE)
        png_set_tRNS(w->png, w->info, alpha, 2, NULL);
    else if (k->trns)
        png_set_tRNS(w->png, w->info, NULL, 0, &key);
    png_set_rows(w->png, w->info, w->rows);
    png_write_png(w->png, w->info, PNG_TRANSFORM_IDENTITY, NULL);
    return 0;
}

static int write_png(const char *dir, const png_kind_t *k)
{
    uint8_t lum[SIDE * SIDE];
    draw(lum);
    const int ch = channels_of(k->color);
    const size_t rowbytes = ((size_t)SIDE * ch * k->depth + 7) / 8;
    uint8_t *buf = calloc(SIDE, rowbytes);
    writer_t w = {0};
    if (!buf)
        return -1;
    for (int y = 0; y < SIDE; y++) {
        uint8_t *row = buf + (size_t)y * rowbytes;
        w.rows[y] = row;
        for (int x = 0; x < SIDE; x++)
            for (int c = 0; c < ch; c++) {
                unsigned s = sample(k, lum[y * SIDE + x], c);
                size_t i = (size_t)x * ch + c;
                if (k->depth == 16) {
                    row[2 * i] = (uint8_t)(s >> 8);
                    row[2 * i + 1] = (uint8_t)s;
                } else if (k->depth == 8) {
                    row[i] = (uint8_t)s;
                } else {
                    size_t bit = i * (size_t)k->depth;
                    row[bit / 8] |= (uint8_t)(s << (8 - k->depth - bit % 8));
                }
            }
    }
    char name[64];
    snprintf(name, sizeof name, "%s.png", k->name);
    FILE *f = fopen(testutil_path(dir, name), "wb");
    int rc = -1;
    w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error, NULL);
    if (w.png)
        w.info = png_create_info_struct(w.png);
    if (f && w.png && w.info)
        rc = encode(&w, f, k);
    png_destroy_write_struct(&w.png, &w.info);
    if (f && fclose(f) != 0)
        rc = -1;
    free(buf);
    return rc;
}

static int write_pngs(const char *dir)
{
    static const png_kind_t kinds[] = {
        {"grey1", PNG_COLOR_TYPE_GRAY, 1, 0, 0},
        {"grey2", PNG_COLOR_TYPE_GRAY, 2, 0, 0},
        {"grey4", PNG_COLOR_TYPE_GRAY, 4, 0, 0},
        {"grey8", PNG_COLOR_TYPE_GRAY, 8, 0, 0},
        {"grey8-interlaced", PNG_COLOR_TYPE_GRAY, 8, 1, 0},
        {"grey8-trns", PNG_COLOR_TYPE_GRAY, 8, 0, 1},
        {"grey16", PNG_COLOR_TYPE_GRAY, 16, 0, 0},
        {"grey-alpha8", PNG_COLOR_TYPE_GA, 8, 0, 0},
        {"rgb8", PNG_COLOR_TYPE_RGB, 8, 0, 0},
        {"rgb16-interlaced", PNG_COLOR_TYPE_RGB, 16, 1, 0},
        {"rgba8", PNG_COLOR_TYPE_RGBA, 8, 0, 0},
        {"palette1", PNG_COLOR_TYPE_PALETTE, 1, 0, 0},
        {"palette8-trns", PNG_COLOR_TYPE_PALETTE, 8, 0, 1},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (write_png(dir, &kinds[i]) < 0)
            return error_set("%s: cannot write %s.png", dir, kinds[i].name);
    return 0;
}

/* ------------------------------------------------------------ IDX, CSV */

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The two files of an IDX set: images [n, rows, cols] and labels [n]
 * (malloc'd, *im_size and *lb_size bytes). */
static int idx_files(uint32_t n, uint32_t rows, uint32_t cols, uint64_t seed, uint8_t **im,
                     size_t *im_size, uint8_t **lb, size_t *lb_size)
{
    size_t pixels = (size_t)n * rows * cols;
    *im_size = 16 + pixels;
    *lb_size = 8 + n;
    *im = calloc(*im_size, 1);
    *lb = calloc(*lb_size, 1);
    if (!*im || !*lb)
        return -1;
    be32(*im, 0x803);
    be32(*im + 4, n);
    be32(*im + 8, rows);
    be32(*im + 12, cols);
    be32(*lb, 0x801);
    be32(*lb + 4, n);
    if (rows == 28 && cols == 28) {
        testutil_synthetic_digits(*im + 16, *lb + 8, (int)n, seed);
    } else {
        rng_t rng;
        rng_seed(&rng, seed, 1);
        for (size_t i = 0; i < pixels; i++)
            (*im)[16 + i] = (uint8_t)rng_below(&rng, 256);
        for (uint32_t i = 0; i < n; i++)
            (*lb)[8 + i] = (uint8_t)rng_below(&rng, 10);
    }
    return 0;
}

/* data[0, n) as gzip's bytes (malloc'd) into *out, their count into *len. */
static int gzip_memory(const uint8_t *data, size_t n, uint8_t **out, size_t *len)
{
    z_stream zs = {0};
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong room = deflateBound(&zs, (uLong)n);
    *out = malloc(room);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)n;
    zs.next_out = *out;
    zs.avail_out = (uInt)room;
    int ok = *out && deflate(&zs, Z_FINISH) == Z_STREAM_END;
    *len = zs.total_out;
    deflateEnd(&zs);
    return ok ? 0 : -1;
}

/* One input of fuzz_idx (or, with a `prefix` of `head` bytes, of
 * fuzz_idx_gz): 2 bytes little-endian length of the labels file, the
 * images file, the labels file; both gzipped first when gz. */
static int write_idx_input(const char *dir, const char *name, const uint8_t *prefix,
                           size_t head, uint8_t *im, size_t im_size, uint8_t *lb, size_t lb_size,
                           int gz)
{
    uint8_t *zim = NULL, *zlb = NULL;
    if (gz && (gzip_memory(im, im_size, &zim, &im_size) < 0 ||
               gzip_memory(lb, lb_size, &zlb, &lb_size) < 0)) {
        free(zim);
        free(zlb);
        return -1;
    }
    size_t size = head + 2 + im_size + lb_size;
    uint8_t *b = malloc(size);
    int rc = -1;
    if (b) {
        memcpy(b, prefix, head);
        b[head] = (uint8_t)lb_size;
        b[head + 1] = (uint8_t)(lb_size >> 8);
        memcpy(b + head + 2, gz ? zim : im, im_size);
        memcpy(b + head + 2 + im_size, gz ? zlb : lb, lb_size);
        rc = testutil_write_file(testutil_path(dir, name), b, size);
    }
    free(b);
    free(zim);
    free(zlb);
    return rc;
}

/* The seeds of one IDX set: NAME.idx and NAME.idx.gz for fuzz_idx, and
 * for fuzz_idx_gz the set gzipped whole, cut short, with a changed byte
 * (in stored blocks) and with a byte after its end. */
static int write_idx(const char *root, const char *name, uint32_t n, uint32_t rows,
                     uint32_t cols, uint64_t seed)
{
    static const struct {
        const char *suffix;
        uint8_t ctrl, where, value;   /* fuzz_idx_gz's bytes 0-2 */
    } gz_seeds[] = {
        {"gz", 3, 0, 0},
        {"cut", 3 | 1 << 3, 200, 0},
        {"flip", 3 | 2 << 3 | 32, 128, 0x40},
        {"labels-appended", 3 | 4 | 3 << 3, 255, 0x1f},
    };
    uint8_t *im, *lb;
    size_t im_size, lb_size;
    char dir[4096], file[128];
    int rc = idx_files(n, rows, cols, seed, &im, &im_size, &lb, &lb_size);
    snprintf(dir, sizeof dir, "%s/idx", root);
    snprintf(file, sizeof file, "%s.idx", name);
    rc = rc ? rc : write_idx_input(dir, file, NULL, 0, im, im_size, lb, lb_size, 0);
    snprintf(file, sizeof file, "%s.idx.gz", name);
    rc = rc ? rc : write_idx_input(dir, file, NULL, 0, im, im_size, lb, lb_size, 1);
    snprintf(dir, sizeof dir, "%s/idx_gz", root);
    for (size_t i = 0; !rc && i < sizeof gz_seeds / sizeof *gz_seeds; i++) {
        const uint8_t head[3] = {gz_seeds[i].ctrl, gz_seeds[i].where, gz_seeds[i].value};
        snprintf(file, sizeof file, "%s-%s", name, gz_seeds[i].suffix);
        rc = write_idx_input(dir, file, head, sizeof head, im, im_size, lb, lb_size, 0);
    }
    free(im);
    free(lb);
    return rc;
}

static int write_csv(const char *dir, const char *name, int n, const char *eol, int blank_lines)
{
    uint8_t pixels[2 * 784], labels[2];
    testutil_synthetic_digits(pixels, labels, n, 5);
    FILE *f = fopen(testutil_path(dir, name), "wb");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d", labels[i]);
        for (int p = 0; p < 784; p++)
            fprintf(f, i == 1 && p % 100 == 7 ? " , %d" : ",%d", pixels[i * 784 + p]);
        fputs(eol, f);
        if (blank_lines)
            fputs(eol, f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* -------------------------------------------------------------- config */

static int write_text(const char *dir, const char *name, const char *text)
{
    return testutil_write_file(testutil_path(dir, name), text, strlen(text));
}

static int write_configs(const char *dir)
{
    config_t cfg;
    config_defaults(&cfg);
    char *resolved = config_to_text(&cfg); /* what a checkpoint stores */
    int rc = !resolved || write_text(dir, "resolved.ini", resolved);
    free(resolved);
    rc |= write_text(dir, "comments.ini",
                     "\xEF\xBB\xBF; a config with a byte order mark\n"
                     "# and comments of both kinds\n"
                     "[data]\nfile = data/mnist-rot10.h5   ; inline comment\n"
                     "[net]\nhidden=50\nrule = gradient\n"
                     "[train]\r\nmode = local\r\nsync_every = 500\r\nlr = 1e-2\r\n"
                     "lr_schedule = cosine\nlr_end = 0.001\nseed = 18446744073709551615\n"
                     "shuffle = off\n[checkpoint]\nevery_minutes = 0.5\nkeep = 2\n");
    rc |= write_text(dir, "overrides.txt",
                     "train.lr=0.05\nnet.hidden=200\noutput.dir=runs/x\n"
                     "query.frame=book\ncheckpoint.every_steps=10\n");
    return rc ? error_set("%s: cannot write the config seeds", dir) : 0;
}

/* ---------------------------------------------------------- checkpoint */

static int write_checkpoint(const char *dir, const char *name, int n_in, int n_hidden,
                            int n_out, int epoch, int64_t step, int n_metrics)
{
    net_t net;
    if (net_init(&net, n_in, n_hidden, n_out) < 0)
        return -1;
    rng_t rng;
    rng_seed(&rng, 3, 0);
    net_init_weights(&net, &rng);
    config_t cfg;
    config_defaults(&cfg);
    cfg.hidden = n_hidden;
    snprintf(cfg.data_file, sizeof cfg.data_file, "data/tiny.h5");
    ckpt_meta_t meta = {
        .epoch = epoch, .step = step, .seed = 1, .world_size = 2, .rule = NET_RULE_BOOK,
        .config_text = config_to_text(&cfg), .epoch_loss_sum = step ? 12.5 : 0,
        .epoch_correct = step ? 70 : 0, .epoch_count = step ? 100 : 0, .elapsed_s = 3.5,
        .data_rows = 300, .data_id = "300 rows; none; order seed 1; seeds",
    };
    for (int i = 0; i < n_metrics; i++) {
        metrics_row_t row = {i + 1, 0.1 / (i + 1), 0.8, 0.85, 0.1, 1e5, 2.0 * (i + 1), 2};
        metrics_append(&meta.metrics, &row);
    }
    int rc = meta.config_text ? ckpt_write(testutil_path(dir, name), &net, &meta) : -1;
    free(meta.config_text);
    metrics_free(&meta.metrics);
    net_free(&net);
    return rc;
}

/* ------------------------------------------------------------ npy, npz */

/* An .npy of `dict` (NumPy's header text, padded here as NumPy pads it;
 * version 1, or 2 with a 4-byte length) followed by `values`. */
static int write_npy_text(const char *dir, const char *name, int version, const char *dict,
                          const void *values, size_t n)
{
    const size_t pre = version == 1 ? 10 : 12;
    const size_t total = (pre + strlen(dict) + 1 + 63) / 64 * 64;
    uint8_t *b = calloc(total + n, 1);
    if (!b)
        return -1;
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (uint8_t)version;
    b[8] = (uint8_t)((total - pre) & 0xff);
    b[9] = (uint8_t)((total - pre) >> 8);
    memcpy(b + pre, dict, strlen(dict));
    memset(b + pre + strlen(dict), ' ', total - pre - strlen(dict) - 1);
    b[total - 1] = '\n';
    memcpy(b + total, values, n);
    int rc = testutil_write_file(testutil_path(dir, name), b, total + n);
    free(b);
    return rc;
}

/* fuzz_npy's seeds: what nnmpi writes (float32, 0 to 2 dimensions) and
 * what NumPy writes that nnmpi reads (float64 either byte order, Fortran
 * order, version 2). */
static int write_npys(const char *dir)
{
    static const float f32[6] = {0.5f, -1.0f, 2.25f, 3.0f, -0.125f, 1e-3f};
    double f64[6];
    uint8_t f64_be[sizeof f64];
    for (int i = 0; i < 6; i++)
        f64[i] = f32[i] / 3.0;
    for (size_t i = 0; i < sizeof f64; i++) /* the machine is little-endian */
        f64_be[i] = ((const uint8_t *)f64)[i / 8 * 8 + 7 - i % 8];
    static const struct {
        int ndim;
        uint64_t shape[2];
        const char *name;
    } ours[] = {{2, {2, 3}, "f4-2x3.npy"}, {1, {6, 0}, "f4-6.npy"}, {0, {0, 0}, "f4-scalar.npy"}};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof ours / sizeof *ours; i++) {
        char head[256];
        size_t n = npy_header_write(head, sizeof head, ours[i].ndim, ours[i].shape);
        size_t count = ours[i].ndim == 2 ? 6 : ours[i].ndim == 1 ? 6 : 1;
        uint8_t *b = malloc(n + sizeof f32);
        rc = !n || !b;
        if (!rc) {
            memcpy(b, head, n);
            memcpy(b + n, f32, count * sizeof *f32);
            rc = testutil_write_file(testutil_path(dir, ours[i].name), b, n + count * 4);
        }
        free(b);
    }
    rc = rc ? rc : write_npy_text(dir, "f8-3x2.npy", 1,
                                  "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
                                  f64, sizeof f64);
    rc = rc ? rc : write_npy_text(dir, "f8-big-fortran-v2.npy", 2,
                                  "{\"shape\": (2,3), \"fortran_order\": True, \"descr\": \">f8\"}",
                                  f64_be, sizeof f64_be);
    return rc ? error_set("%s: cannot write the .npy seeds", dir) : 0;
}

/* A book net of n_in-n_hidden-n_out (or a deeper shape) as nnmpi exports it. */
static int write_npz_net(const char *dir, const char *name, const net_shape_t *shape)
{
    net_t net;
    if (net_init_shape(&net, shape, 0) < 0)
        return -1;
    rng_t rng;
    rng_seed(&rng, 4, 0);
    net_init_weights(&net, &rng);
    int rc = model_npz_write(testutil_path(dir, name), &net);
    net_free(&net);
    return rc;
}

/* The book's wih [3, 4] and who [2, 3] as float64, deflated, as
 * numpy.savez_compressed writes them. */
static int write_npz_deflated(const char *dir)
{
    int code = 0;
    zip_t *zip = zip_open(testutil_path(dir, "book-f8-deflated.npz"), ZIP_CREATE | ZIP_TRUNCATE,
                          &code);
    if (!zip)
        return -1;
    static const char *const names[2] = {"wih.npy", "who.npy"};
    static const char *const dicts[2] = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"};
    const size_t counts[2] = {12, 6};
    int rc = 0;
    for (int m = 0; !rc && m < 2; m++) {
        size_t total = (10 + strlen(dicts[m]) + 1 + 63) / 64 * 64, n = total + counts[m] * 8;
        uint8_t *b = calloc(n, 1);
        rc = !b;
        if (rc)
            break;
        memcpy(b, "\x93NUMPY\x01\x00", 8);
        b[8] = (uint8_t)(total - 10);
        memset(b + 10, ' ', total - 11);
        memcpy(b + 10, dicts[m], strlen(dicts[m]));
        b[total - 1] = '\n';
        for (size_t i = 0; i < counts[m]; i++) {
            double v = 0.1 * (double)(i + 1) * (m ? -1 : 1);
            memcpy(b + total + 8 * i, &v, 8);
        }
        zip_source_t *src = zip_source_buffer(zip, b, n, 1);   /* libzip frees b */
        zip_int64_t at = src ? zip_file_add(zip, names[m], src, 0) : -1;
        if (at < 0) {
            src ? zip_source_free(src) : free(b);
            rc = -1;
        } else {
            rc = zip_set_file_compression(zip, (zip_uint64_t)at, ZIP_CM_DEFLATE, 9);
        }
    }
    if (rc) {
        zip_discard(zip);
        return -1;
    }
    return zip_close(zip);
}

/* fuzz_npz's seeds: the book's net and a deeper one as nnmpi exports them
 * (stored members and meta.json), and NumPy's compressed float64. */
static int write_npzs(const char *dir)
{
    net_shape_t book = net_book_shape(4, 3, 2);
    net_shape_t deep = {.n_layers = 3, .sizes = {4, 3, 3, 2}, .activation = NET_ACT_TANH,
                        .output = NET_OUT_SOFTMAX, .loss = NET_LOSS_CROSS_ENTROPY, .bias = 1};
    int rc = write_npz_net(dir, "book-4-3-2.npz", &book);
    rc = rc ? rc : write_npz_net(dir, "deep-4-3-3-2.npz", &deep);
    rc = rc ? rc : write_npz_deflated(dir);
    return rc ? error_set("%s: cannot write the .npz seeds: %s", dir, error_message()) : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_fuzz_seeds DIR   (writes DIR/png, idx, idx_gz, npy, npz, "
                        "csv, config, checkpoint; the directories must exist)\n");
        return 2;
    }
    h5_quiet();
    char sub[4096];
#define SUB(name) (snprintf(sub, sizeof sub, "%s/%s", argv[1], name), sub)
    int rc = write_pngs(SUB("png"));
    rc = rc ? rc : write_idx(argv[1], "two-4x3", 2, 4, 3, 1);
    rc = rc ? rc : write_idx(argv[1], "one-28x28", 1, 28, 28, 2);
    rc = rc ? rc : write_idx(argv[1], "three-2x2", 3, 2, 2, 3);
    rc = rc ? rc : write_npys(SUB("npy"));
    rc = rc ? rc : write_npzs(SUB("npz"));
    rc = rc ? rc : write_csv(SUB("csv"), "one.csv", 1, "\n", 0);
    rc = rc ? rc : write_csv(SUB("csv"), "two-crlf-blank.csv", 2, "\r\n", 1);
    rc = rc ? rc : write_configs(SUB("config"));
    rc = rc ? rc : write_checkpoint(SUB("checkpoint"), "net-4-3-2.h5", 4, 3, 2, 2, 0, 2);
    rc = rc ? rc : write_checkpoint(SUB("checkpoint"), "net-4-3-2-midepoch.h5", 4, 3, 2, 1, 7, 1);
    rc = rc ? rc : write_checkpoint(SUB("checkpoint"), "net-784-2-10.h5", 784, 2, 10, 1, 0, 1);
#undef SUB
    if (rc) {
        fprintf(stderr, "make_fuzz_seeds: %s\n", error_message()[0] ? error_message() : "failed");
        return 1;
    }
    return 0;
}
