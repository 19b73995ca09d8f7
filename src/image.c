/* image: the grey image container and PNG reading/writing with libpng.
 *
 * libpng reports errors by calling our error function, which records the
 * message and longjmps back to the setjmp in decode()/encode(). Everything
 * those functions allocate lives in a reader/writer struct owned by their
 * caller (not in locals of the function that called setjmp), so after the
 * jump nothing is indeterminate and the caller frees it all in one place. */
#include "nnmpi/image.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/pngout.h"

int image_alloc(image_t *img, int height, int width)
{
    memset(img, 0, sizeof *img);
    if (height < 1 || width < 1 || height > IMAGE_MAX_SIDE || width > IMAGE_MAX_SIDE)
        return error_set("image size %d x %d is outside 1..%d on a side",
                         width, height, IMAGE_MAX_SIDE);
    /* height, width <= 8192, so the product fits easily in size_t. */
    img->pixels = calloc((size_t)height * (size_t)width, 1);
    if (!img->pixels)
        return error_set("out of memory for a %d x %d image", width, height);
    img->height = height;
    img->width = width;
    return 0;
}

void image_free(image_t *img)
{
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

void image_from_floats(const float *v, size_t n, float lo, float hi, uint8_t *out)
{
    const double span = (double)hi - (double)lo;
    for (size_t i = 0; i < n; i++) {
        double x = ((double)v[i] - lo) / span * 255.0;
        /* written as a negated comparison so a NaN becomes 0, not UB */
        if (!(x > 0.0))
            x = 0.0;
        if (x > 255.0)
            x = 255.0;
        out[i] = (uint8_t)(x + 0.5);
    }
}

/* ------------------------------------------------------------------ read */

typedef struct {
    const char *path;
    FILE *file;
    png_structp png;
    png_infop info;
    uint8_t *row;        /* [rowbytes] one row (or one interlace pass row) */
    image_t *out;        /* luminance [height, width] */
    char warning[256];   /* libpng's latest warning (it explains some errors) */
} png_reader_t;

static void on_read_error(png_structp png, png_const_charp msg)
{
    png_reader_t *r = png_get_error_ptr(png);
    /* libpng rejects a bad IHDR with a generic error after warning the
     * actual reason (e.g. "Image width is zero in IHDR"): say both. */
    if (!strcmp(msg, "Invalid IHDR data") && r->warning[0])
        error_set("%s: cannot read PNG: %s (%s)", r->path, msg, r->warning);
    else
        error_set("%s: cannot read PNG: %s", r->path, msg);
    png_longjmp(png, 1);
}

/* Warnings (unknown chunks, odd colour profiles, ...) never stop a read and
 * libpng must not print them; keep the latest in case an error follows. */
static void on_read_warning(png_structp png, png_const_charp msg)
{
    png_reader_t *r = png_get_error_ptr(png);
    snprintf(r->warning, sizeof r->warning, "%s", msg);
}

/* Our own read function instead of png_init_io, so a short file says
 * "truncated" rather than libpng's bare "Read Error". */
static void read_data(png_structp png, png_bytep data, size_t n)
{
    png_reader_t *r = png_get_io_ptr(png);
    if (fread(data, 1, n, r->file) == n)
        return;
    if (ferror(r->file)) {
        char msg[128];
        snprintf(msg, sizeof msg, "read error: %s", strerror(errno));
        png_error(png, msg);
    }
    png_error(png, "the file ends too early (truncated?)");
}

/* One row as libpng delivers it after our transforms (1 = grey, 2 = grey +
 * alpha, 3 = RGB, 4 = RGBA channels of 8 or 16 bits, big-endian) to 8-bit
 * luminance, written to every `step`-th pixel of dst (interlace passes fill
 * every 2nd, 4th or 8th pixel of a row). */
static void row_to_luminance(const uint8_t *src, size_t n, int channels, int depth,
                             uint8_t *dst, size_t step)
{
    const double max = depth == 16 ? 65535.0 : 255.0;
    const int has_alpha = channels == 2 || channels == 4;
    for (size_t i = 0; i < n; i++) {
        double s[4];
        for (int c = 0; c < channels; c++) {
            size_t k = i * (size_t)channels + (size_t)c;
            s[c] = depth == 16 ? (double)((src[2 * k] << 8) | src[2 * k + 1]) : (double)src[k];
        }
        /* Rec. 601 luma on the stored (gamma-encoded) values, as PIL does */
        double y = channels >= 3 ? 0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2] : s[0];
        if (has_alpha) {
            double a = s[channels - 1];
            y = (y * a + max * (max - a)) / max;   /* over white paper */
        }
        double v = y * 255.0 / max + 0.5;
        dst[i * step] = v >= 255.0 ? 255 : v <= 0.0 ? 0 : (uint8_t)v;
    }
}

/* Returns 0 or -1 (message set). Allocations go into *r. */
static int decode(png_reader_t *r)
{
    png_structp png = r->png;
    png_infop info = r->info;
    if (setjmp(png_jmpbuf(png)))
        return -1;

    png_set_read_fn(png, r, read_data);
    png_set_sig_bytes(png, 8);   /* image_read_png checked the signature */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* libFuzzer builds only (tests/fuzz): let mutated bytes past the chunk
     * CRCs and zlib's Adler-32 into the decoder instead of stopping there */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#ifdef PNG_IGNORE_ADLER32
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
#endif
    /* libpng's own limit (1e6) would refuse some sizes with a vaguer message
     * than ours; allow what the PNG spec allows and check below. */
    png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if (width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
        return error_set("%s: the PNG is %lu x %lu pixels; nnmpi reads at most %d on a side",
                         r->path, (unsigned long)width, (unsigned long)height, IMAGE_MAX_SIDE);

    /* Reduce every format to 1-4 channels of 8 or 16 bits; the luminance
     * and the alpha compositing are done by hand in row_to_luminance. */
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);   /* scales: 1-bit 1 -> 255 */
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    /* No png_set_interlace_handling: we read each Adam7 pass as a small
     * image and place its pixels, so no full-size decode buffer is needed. */
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    depth = png_get_bit_depth(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || (depth != 8 && depth != 16) ||
        rowbytes != (size_t)width * (size_t)channels * (size_t)(depth / 8))
        return error_set("%s: unexpected PNG layout after expansion (%d channels, %d bits)",
                         r->path, channels, depth);
    r->row = malloc(rowbytes);
    if (!r->row)
        return error_set("%s: out of memory for a row of %zu bytes", r->path, rowbytes);
    if (image_alloc(r->out, (int)height, (int)width) < 0)
        return error_prefix("%s", r->path);

    const int interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
    const int passes = interlaced ? 7 : 1;
    for (int pass = 0; pass < passes; pass++) {
        png_uint_32 cols = interlaced ? PNG_PASS_COLS(width, pass) : width;
        png_uint_32 rows = interlaced ? PNG_PASS_ROWS(height, pass) : height;
        if (cols == 0 || rows == 0)
            continue;   /* libpng skips empty passes of tiny images too */
        size_t x0 = interlaced ? PNG_PASS_START_COL(pass) : 0;
        size_t step = interlaced ? (size_t)1 << PNG_PASS_COL_SHIFT(pass) : 1;
        for (png_uint_32 y = 0; y < rows; y++) {
            png_read_row(png, r->row, NULL);
            size_t yy = interlaced ? PNG_ROW_FROM_PASS_ROW(y, pass) : y;
            row_to_luminance(r->row, cols, channels, depth,
                             r->out->pixels + yy * width + x0, step);
        }
    }
    /* Reads up to IEND, so a file cut after the image data and a bad CRC
     * in the last chunks are refused too. */
    png_read_end(png, NULL);
    return 0;
}

/* Opens path for reading if it is a regular file. Without O_NONBLOCK a
 * FIFO would block the open until a writer came (forever, usually); the
 * check is on the opened file, so a file swapped after a stat cannot slip
 * through. */
static FILE *open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error_set("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    FILE *f = NULL;
    if (fstat(fd, &st) != 0)
        error_set("%s: cannot open: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        error_set("%s: %s, not a picture file", path, fs_kind(st.st_mode));
    else if (!(f = fdopen(fd, "rb")))
        error_set("%s: cannot open: %s", path, strerror(errno));
    if (!f)
        close(fd);
    return f;
}

/* The PNG in r->file (named r->path in messages) into r->out; the file is
 * left open for the caller. */
static int read_stream(png_reader_t *r)
{
    memset(r->out, 0, sizeof *r->out);
    int rc = -1;
    uint8_t sig[8];
    size_t got = fread(sig, 1, sizeof sig, r->file);
    if (ferror(r->file))
        error_set("%s: cannot read: %s", r->path, strerror(errno));
    else if (got == 0)
        error_set("%s: the file is empty, not a PNG", r->path);
    else if (got < sizeof sig || png_sig_cmp(sig, 0, sizeof sig))
        error_set("%s: not a PNG file (its first bytes are not the PNG signature)", r->path);
    else if (!(r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r,
                                                 on_read_error, on_read_warning)) ||
             !(r->info = png_create_info_struct(r->png)))
        error_set("%s: out of memory starting libpng", r->path);
    else
        rc = decode(r);

    if (r->png)
        png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
    free(r->row);
    if (rc < 0)
        image_free(r->out);
    return rc;
}

int image_read_png(const char *path, image_t *out)
{
    memset(out, 0, sizeof *out);
    png_reader_t r = {.path = path, .out = out};
    r.file = open_regular(path);
    if (!r.file)
        return -1;
    int rc = read_stream(&r);
    fclose(r.file);
    return rc;
}

int image_read_png_memory(const void *data, size_t size, const char *name, image_t *out)
{
    memset(out, 0, sizeof *out);
    if (size == 0)   /* fmemopen refuses an empty buffer */
        return error_set("%s: the file is empty, not a PNG", name);
    png_reader_t r = {.path = name, .out = out};
    r.file = fmemopen((void *)data, size, "rb");
    if (!r.file)
        return error_set("%s: cannot read: %s", name, strerror(errno));
    int rc = read_stream(&r);
    fclose(r.file);
    return rc;
}

/* ----------------------------------------------------------------- write */

typedef struct {
    const image_t *img;
    int scale;
    image_tone_t tone;
} enlarged_t;

/* Row y of the picture enlarged scale times by repeating pixels. */
static void enlarged_row(void *ctx, int y, uint8_t *row)
{
    const enlarged_t *e = ctx;
    const size_t scale = (size_t)e->scale;
    const size_t out_w = (size_t)e->img->width * scale;
    const uint8_t *src = e->img->pixels + ((size_t)y / scale) * (size_t)e->img->width;
    for (size_t x = 0; x < out_w; x++) {
        uint8_t v = src[x / scale];
        row[x] = e->tone == IMAGE_HIGH_DARK ? (uint8_t)(255 - v) : v;
    }
}

int image_write_png(const char *path, const image_t *img, int scale, image_tone_t tone)
{
    if (!img->pixels || img->height < 1 || img->width < 1)
        return error_set("%s: nothing to write (empty image)", path);
    /* Never write what image_read_png would refuse to read back. */
    if (scale < 1 || img->width > IMAGE_MAX_SIDE / scale || img->height > IMAGE_MAX_SIDE / scale)
        return error_set("%s: a %d x %d image enlarged %d times exceeds %d pixels on a side",
                         path, img->width, img->height, scale, IMAGE_MAX_SIDE);
    enlarged_t e = {img, scale, tone};
    return pngout_write(path, img->width * scale, img->height * scale, 1, enlarged_row, &e);
}
