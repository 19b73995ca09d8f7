/* IDX reader. The files come from the network and from users' disks, so every
 * header field is checked against the file's real size before anything is
 * allocated: a damaged or hostile file gets a message, never a huge malloc or
 * a read past the end. */
#define _POSIX_C_SOURCE 200809L
#include "nnmpi/idx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nnmpi/error.h"

enum {
    IDX_IMAGES_MAGIC = 0x00000803, /* uint8, 3 dimensions */
    IDX_LABELS_MAGIC = 0x00000801, /* uint8, 1 dimension */
    IDX_MAX_SIDE = 1024,
};
#define IDX_MAX_COUNT 100000000u

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Opens path, checks that it starts with the magic number of `kind` and
 * holds a whole header, and reads the header; *size is the file size. */
static FILE *open_with_header(const char *path, const char *kind, uint32_t magic,
                              uint8_t *header, size_t header_size, int64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_set("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        error_set("%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        error_set("%s: not a regular file", path);
        goto fail;
    }
    *size = (int64_t)st.st_size;
    /* the magic first, so that e.g. a labels file given as images is called
     * what it is rather than "too short" */
    size_t want = *size < (int64_t)header_size ? (size_t)*size : header_size;
    if (fread(header, 1, want, f) != want) {
        error_set("%s: cannot read the IDX header: %s", path,
                  ferror(f) ? strerror(errno) : "unexpected end of file");
        goto fail;
    }
    if (want >= 4 && be32(header) != magic) {
        error_set("%s: not an IDX %s file (magic 0x%08x, expected 0x%08x)", path, kind,
                  be32(header), magic);
        goto fail;
    }
    if (want < header_size) {
        error_set("%s: too short for an IDX %s file (%lld bytes, the header alone needs %zu)",
                  path, kind, (long long)*size, header_size);
        goto fail;
    }
    return f;
fail:
    fclose(f);
    return NULL;
}

static int read_body(FILE *f, const char *path, uint8_t *dst, size_t n)
{
    size_t got = fread(dst, 1, n, f);
    if (got != n)
        return error_set("%s: read %zu of %zu bytes: %s", path, got, n,
                         ferror(f) ? strerror(errno) : "the file shrank while being read");
    return 0;
}

int idx_read(const char *images_path, const char *labels_path, imageset_t *set)
{
    *set = (imageset_t){0};
    uint8_t ih[16], lh[8];
    int64_t isize, lsize;
    FILE *fi = open_with_header(images_path, "images", IDX_IMAGES_MAGIC, ih, sizeof ih, &isize);
    if (!fi)
        return -1;
    FILE *fl = NULL;
    int rc = -1;

    uint32_t n = be32(ih + 4), rows = be32(ih + 8), cols = be32(ih + 12);
    if (n == 0 || n > IDX_MAX_COUNT || rows == 0 || rows > IDX_MAX_SIDE || cols == 0 ||
        cols > IDX_MAX_SIDE) {
        error_set("%s: implausible dimensions %u x %u x %u (want 1..%u images of 1..%d x "
                  "1..%d pixels)", images_path, n, rows, cols, IDX_MAX_COUNT, IDX_MAX_SIDE,
                  IDX_MAX_SIDE);
        goto done;
    }
    /* at most 1e8 * 1024 * 1024 < 2^57: no overflow */
    uint64_t promised = (uint64_t)n * rows * cols;
    uint64_t held = (uint64_t)(isize - (int64_t)sizeof ih);
    if (held != promised) {
        error_set("%s: header promises %llu bytes of pixels but the file holds %llu",
                  images_path, (unsigned long long)promised, (unsigned long long)held);
        goto done;
    }

    fl = open_with_header(labels_path, "labels", IDX_LABELS_MAGIC, lh, sizeof lh, &lsize);
    if (!fl)
        goto done;
    uint32_t ln = be32(lh + 4);
    uint64_t lheld = (uint64_t)(lsize - (int64_t)sizeof lh);
    if (lheld != ln) {
        error_set("%s: header promises %u labels but the file holds %llu", labels_path, ln,
                  (unsigned long long)lheld);
        goto done;
    }
    if (ln != n) {
        error_set("%s: holds %u labels but %s holds %u images", labels_path, ln, images_path,
                  n);
        goto done;
    }

    if (imageset_alloc(set, n, (int)rows, (int)cols) != 0) {
        error_prefix("%s", images_path);
        goto done;
    }
    if (read_body(fi, images_path, set->pixels, (size_t)promised) != 0 ||
        read_body(fl, labels_path, set->labels, n) != 0 ||
        imageset_check_labels(set, labels_path) != 0) {
        imageset_free(set);
        goto done;
    }
    rc = 0;
done:
    fclose(fi);
    if (fl)
        fclose(fl);
    return rc;
}

int idx_mnist_paths(const char *dir, const char *split, char *images_path,
                    char *labels_path, int path_size)
{
    const char *prefix;
    if (split && strcmp(split, "train") == 0)
        prefix = "train";
    else if (split && strcmp(split, "test") == 0)
        prefix = "t10k";
    else
        return error_set("unknown MNIST split \"%s\" (expected \"train\" or \"test\")",
                         split ? split : "(null)");
    if (path_size <= 0)
        return error_set("%s: no room for the MNIST file names", dir);
    int a = snprintf(images_path, (size_t)path_size, "%s/%s-images-idx3-ubyte", dir, prefix);
    int b = snprintf(labels_path, (size_t)path_size, "%s/%s-labels-idx1-ubyte", dir, prefix);
    if (a < 0 || b < 0 || a >= path_size || b >= path_size)
        return error_set("%s: directory name too long for the MNIST file names (limit %d)",
                         dir, path_size);
    return 0;
}
