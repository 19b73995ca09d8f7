/* IDX reader, plain or gzip-compressed (through zlib, which reads a plain
 * file as it is). The files come from the network and from users' disks, so
 * every header field is checked before anything is allocated: a plain
 * file's header against its real size, a .gz file's against the most its
 * compressed size can hold (deflate expands at most 1032-fold), and the
 * body's end is checked after reading. A damaged or hostile file gets a
 * message, never a huge malloc or a read past the end. */
#define _POSIX_C_SOURCE 200809L
#include "nnmpi/idx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "nnmpi/error.h"

enum {
    IDX_TYPE_UBYTE = 0x08,
    IDX_MAX_SIDE = 1024,
    IDX_MAX_GZ_RATIO = 1032, /* deflate's largest expansion */
    IDX_CHUNK = 1 << 30,     /* gzread takes an unsigned count */
};
#define IDX_MAX_COUNT 100000000u

/* An open IDX file and what is known of its size. */
typedef struct {
    gzFile gz;
    const char *path;
    int64_t file_size;  /* bytes on disk */
    int compressed;     /* gzip: the body's size is known only by reading it */
    int cut_short;      /* the gzip stream ended before its end (no checksum seen) */
} idx_file_t;

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static const char *type_name(unsigned type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
    }
}

/* Reads up to n bytes; the count read, or -1 with a message for damaged
 * gzip data. A truncated stream is a short count, judged by the caller,
 * with f->cut_short set: zlib hands out what it could unpack, so a .gz
 * cut after the data its header promises (in its checksum, say) reads
 * like a whole one but for that flag. */
static int64_t read_bytes(idx_file_t *f, uint8_t *dst, uint64_t n)
{
    uint64_t done = 0;
    while (done < n) {
        unsigned want = n - done > IDX_CHUNK ? IDX_CHUNK : (unsigned)(n - done);
        int got = gzread(f->gz, dst + done, want);
        int code = Z_OK;
        const char *why = got < (int)want ? gzerror(f->gz, &code) : "";
        f->cut_short |= code == Z_BUF_ERROR; /* zlib's word for a stream cut short */
        if (got < 0 && code != Z_BUF_ERROR)
            return error_set("%s: %s: %s", f->path,
                             f->compressed ? "damaged gzip data" : "read error",
                             code == Z_ERRNO ? strerror(errno) : why);
        if (got <= 0)
            break;
        done += (unsigned)got;
        if ((unsigned)got < want)
            break;
    }
    return (int64_t)done;
}

/* Opens path, a regular file, for reading through zlib. */
static int open_file(idx_file_t *f, const char *path)
{
    *f = (idx_file_t){.path = path};
    struct stat st;
    if (stat(path, &st) != 0)
        return error_set("%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return error_set("%s: not a regular file", path);
    f->file_size = (int64_t)st.st_size;
    f->gz = gzopen(path, "rb");
    if (!f->gz)
        return error_set("%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    gzbuffer(f->gz, 1 << 17);
    return 0;
}

static void close_file(idx_file_t *f)
{
    if (f->gz)
        gzclose(f->gz);
    f->gz = NULL;
}

/* The magic first, so that e.g. a labels file given as images is called
 * what it is rather than "too short"; then the dims sizes into dims. */
static int read_header(idx_file_t *f, const char *kind, int n_dims, uint32_t *dims)
{
    uint8_t h[16];
    const size_t size = 4 + 4 * (size_t)n_dims;
    int64_t got = read_bytes(f, h, size);
    if (got < 0)
        return -1;
    f->compressed = !gzdirect(f->gz);
    const uint32_t want = IDX_TYPE_UBYTE << 8 | (uint32_t)n_dims;
    if (got >= 4 && be32(h) != want) {
        unsigned type = h[2];
        if (h[0] == 0 && h[1] == 0 && type != IDX_TYPE_UBYTE)
            return error_set("%s: an IDX file of type 0x%02X (%s); nnmpi reads unsigned bytes "
                             "(0x08)", f->path, type, type_name(type));
        return error_set("%s: not an IDX %s file (magic 0x%08x, expected 0x%08x)", f->path,
                         kind, be32(h), want);
    }
    if ((size_t)got < size)
        return error_set("%s: too short for an IDX %s file (%lld bytes%s, the header alone "
                         "needs %zu)", f->path, kind, (long long)got,
                         f->compressed ? " unpacked" : "", size);
    for (int i = 0; i < n_dims; i++)
        dims[i] = be32(h + 4 + 4 * i);
    return 0;
}

/* Whether the file can hold `promised` bytes after its header of
 * header_size: exactly, for a plain file; at most, for a .gz. */
static int check_body_size(const idx_file_t *f, const char *what, uint64_t promised,
                           size_t header_size)
{
    if (!f->compressed) {
        uint64_t held = (uint64_t)(f->file_size - (int64_t)header_size);
        if (held != promised)
            return error_set("%s: header promises %llu %s but the file holds %llu", f->path,
                             (unsigned long long)promised, what, (unsigned long long)held);
        return 0;
    }
    uint64_t most = (uint64_t)f->file_size * IDX_MAX_GZ_RATIO;
    if (promised > most)
        return error_set("%s: header promises %llu %s but a gzip file of %lld bytes holds at "
                         "most %llu", f->path, (unsigned long long)promised, what,
                         (long long)f->file_size, (unsigned long long)most);
    return 0;
}

/* Reads the body of n bytes into dst and checks that nothing follows. */
static int read_body(idx_file_t *f, const char *what, uint8_t *dst, uint64_t n)
{
    int64_t got = read_bytes(f, dst, n);
    if (got < 0)
        return -1;
    if ((uint64_t)got != n)
        return error_set("%s: ends after %lld of the %llu %s its header promises (%s)", f->path,
                         (long long)got, (unsigned long long)n, what,
                         f->compressed ? "truncated .gz file?" : "the file shrank while read");
    uint8_t extra;
    got = read_bytes(f, &extra, 1);
    if (got < 0)
        return -1;
    if (got > 0)
        return error_set("%s: holds more than the %llu %s its header promises", f->path,
                         (unsigned long long)n, what);
    if (f->cut_short)
        return error_set("%s: the gzip data stops before its end, after the %llu %s its "
                         "header promises: its checksum is missing (truncated .gz file?)",
                         f->path, (unsigned long long)n, what);
    return 0;
}

/* Opens the images file and checks its dimensions: n, rows, cols. */
static int open_images(idx_file_t *f, const char *path, uint32_t dims[3])
{
    if (open_file(f, path) < 0 || read_header(f, "images", 3, dims) < 0)
        return -1;
    uint32_t n = dims[0], rows = dims[1], cols = dims[2];
    if (n == 0 || n > IDX_MAX_COUNT || rows == 0 || rows > IDX_MAX_SIDE || cols == 0 ||
        cols > IDX_MAX_SIDE)
        return error_set("%s: implausible dimensions %u x %u x %u (want 1..%u images of 1..%d x "
                         "1..%d pixels)", path, n, rows, cols, IDX_MAX_COUNT, IDX_MAX_SIDE,
                         IDX_MAX_SIDE);
    /* at most 1e8 * 1024 * 1024 < 2^57: no overflow */
    return check_body_size(f, "bytes of pixels", (uint64_t)n * rows * cols, 16);
}

/* Opens the labels file and checks that it holds one label per image. */
static int open_labels(idx_file_t *f, const char *path, uint32_t n_images,
                       const char *images_path)
{
    uint32_t n = 0;
    if (open_file(f, path) < 0 || read_header(f, "labels", 1, &n) < 0 ||
        check_body_size(f, "labels", n, 8) < 0)
        return -1;
    if (n != n_images)
        return error_set("%s: holds %u labels but %s holds %u images", path, n, images_path,
                         n_images);
    return 0;
}

int idx_read(const char *images_path, const char *labels_path, imageset_t *set)
{
    *set = (imageset_t){0};
    idx_file_t fi, fl = {0};
    uint32_t dims[3];
    int rc = -1;
    if (open_images(&fi, images_path, dims) < 0 ||
        open_labels(&fl, labels_path, dims[0], images_path) < 0)
        goto done;
    if (imageset_alloc(set, dims[0], (int)dims[1], (int)dims[2]) != 0) {
        error_prefix("%s", images_path);
        goto done;
    }
    if (read_body(&fi, "bytes of pixels", set->pixels,
                  (uint64_t)imageset_image_size(set) * dims[0]) != 0 ||
        read_body(&fl, "labels", set->labels, dims[0]) != 0) {
        imageset_free(set);
        goto done;
    }
    rc = 0;
done:
    close_file(&fi);
    close_file(&fl);
    return rc;
}

/* dir/name, or dir/name.gz when only that exists (the plain name when
 * neither does: the reader then says it cannot open it); -1 if too long. */
static int find_file(const char *dir, const char *name, char *path, int path_size)
{
    int n = snprintf(path, (size_t)path_size, "%s/%s.gz", dir, name);
    if (n < 0 || n >= path_size)
        return error_set("%s: directory name too long for the IDX file names (limit %d)", dir,
                         path_size);
    struct stat st;
    int only_gz = stat(path, &st) == 0;
    path[n - 3] = '\0';
    if (only_gz && stat(path, &st) != 0)
        path[n - 3] = '.';
    return 0;
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
    char images[64], labels[64];
    snprintf(images, sizeof images, "%s-images-idx3-ubyte", prefix);
    snprintf(labels, sizeof labels, "%s-labels-idx1-ubyte", prefix);
    if (find_file(dir, images, images_path, path_size) < 0 ||
        find_file(dir, labels, labels_path, path_size) < 0)
        return -1;
    return 0;
}
