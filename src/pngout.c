/* pngout: the one PNG writer, over libpng (named apart from libpng's own png_
 * namespace): checked I/O through our own write callbacks, so a full disk
 * is a message, and no partial file on failure. */
#include "nnmpi/pngout.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

typedef struct {
    const char *path;
    FILE *file;
    png_structp png;
    png_infop info;
    uint8_t *row;   /* [width * channels] the row being written */
} writer_t;

static void on_error(png_structp png, png_const_charp msg)
{
    writer_t *w = png_get_error_ptr(png);
    error_set("%s: cannot write PNG: %s", w->path, msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;   /* nothing we write can draw a warning worth a user's time */
}

/* Our own I/O callbacks, so that a failed fwrite/fflush (a full disk) is an
 * error with errno's words instead of libpng's silence. */
static void write_data(png_structp png, png_bytep data, size_t n)
{
    writer_t *w = png_get_io_ptr(png);
    if (fwrite(data, 1, n, w->file) != n) {
        char msg[128];
        snprintf(msg, sizeof msg, "write error: %s", strerror(errno));
        png_error(png, msg);
    }
}

static void flush_data(png_structp png)
{
    writer_t *w = png_get_io_ptr(png);
    if (fflush(w->file) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "write error: %s", strerror(errno));
        png_error(png, msg);
    }
}

static int encode(writer_t *w, int width, int height, int channels, pngout_row_fn rows, void *ctx)
{
    png_structp png = w->png;
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_write_fn(png, w, write_data, flush_data);
    png_set_IHDR(png, w->info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, w->info);
    for (int y = 0; y < height; y++) {
        rows(ctx, y, w->row);
        png_write_row(png, w->row);
    }
    png_write_end(png, NULL);
    return 0;
}

int pngout_write(const char *path, int width, int height, int channels, pngout_row_fn rows,
                 void *ctx)
{
    if (width < 1 || height < 1 || (channels != 1 && channels != 3))
        return error_set("%s: nothing to write (a %d x %d picture)", path, width, height);
    writer_t w = {.path = path};
    w.row = malloc((size_t)width * (size_t)channels);
    if (!w.row)
        return error_set("%s: out of memory", path);
    w.file = fopen(path, "wb");
    if (!w.file) {
        free(w.row);
        return error_set("%s: cannot create: %s", path, strerror(errno));
    }
    int rc = -1;
    if (!(w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_error, on_warning)) ||
        !(w.info = png_create_info_struct(w.png)))
        error_set("%s: out of memory starting libpng", path);
    else
        rc = encode(&w, width, height, channels, rows, ctx);
    if (w.png)
        png_destroy_write_struct(&w.png, w.info ? &w.info : NULL);
    free(w.row);
    if (fclose(w.file) != 0 && rc == 0)
        rc = error_set("%s: cannot write: %s", path, strerror(errno));
    if (rc < 0)
        remove(path);
    return rc;
}
