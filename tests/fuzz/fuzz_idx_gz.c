/* libFuzzer harness: the IDX reader's gzip path (idx_read on .gz files,
 * as `nnmpi prepare --idx` reads Fashion-MNIST and others). Mutating gzip
 * bytes directly mostly breaks the checksum at once, so this harness takes
 * the two files *uncompressed*, gzips them here and then damages the
 * compressed bytes the way downloads get damaged: the reader must answer
 * every header (absurd dimensions, counts that disagree) through the
 * decompressor, and every truncated or corrupt stream with a message, never
 * a crash or an allocation larger than the file could hold. (fuzz_idx's
 * corpus holds .gz inputs too, for mutations of the gzip bytes themselves.)
 *
 * Input layout:
 *   byte 0      bit 0: gzip the images file, bit 1: the labels file,
 *               bit 2: the damage hits the labels file (else the images),
 *               bits 3-4: the damage: none, cut the file short, change a
 *               byte, append bytes; bit 5: deflate level 0 (stored blocks,
 *               so a changed byte lands in the data) instead of 6
 *   byte 1      where the damage goes, in 256ths of the compressed length
 *   byte 2      the byte XORed in, or appended
 *   bytes 3-4   L, little-endian: the labels file is the last L bytes
 *   the rest    the images file, then the labels file */
#include "fuzz_common.h"

#include <string.h>
#include <zlib.h>

#include "nnmpi/idx.h"

enum { HEAD = 5 };

/* data[0, n) as a gzip file into *out (malloc'd); its length. */
static size_t gzip_bytes(const uint8_t *data, size_t n, int level, uint8_t **out)
{
    z_stream s = {0};
    if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&s, n) + 16;
    *out = malloc(cap);
    if (!*out)
        abort();
    s.next_in = (Bytef *)data;
    s.avail_in = (uInt)n;
    s.next_out = *out;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END)
        abort();
    size_t len = s.total_out;
    deflateEnd(&s);
    return len;
}

/* The damage of ctrl applied to b[0, *n) (room for one more byte). */
static void damage(uint8_t *b, size_t *n, uint8_t kind, uint8_t where, uint8_t value)
{
    if (*n == 0)
        return;
    size_t at = (size_t)where * *n / 256;
    switch (kind) {
    case 1: *n = at; break;                       /* cut short */
    case 2: b[at] ^= value ? value : 0x55; break; /* a changed byte */
    case 3: b[(*n)++] = value; break;             /* a byte after the end */
    }
}

/* File `slot` holding data[0, n), gzipped (and damaged) as ctrl says. */
static const char *make_file(int slot, const uint8_t *data, size_t n, uint8_t ctrl,
                             uint8_t where, uint8_t value)
{
    const int zipped = ctrl >> slot & 1, damaged = (ctrl >> 2 & 1) == slot;
    const uint8_t kind = ctrl >> 3 & 3;
    uint8_t *b;
    size_t len;
    if (zipped) {
        len = gzip_bytes(data, n, ctrl & 32 ? 0 : 6, &b);
    } else {
        if (!(b = malloc(n + 1)))
            abort();
        memcpy(b, data, n);
        len = n;
    }
    if (damaged)
        damage(b, &len, kind, where, value);
    const char *path = fuzz_file(slot, b, len);
    free(b);
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEAD)
        return 0;
    const uint8_t ctrl = data[0], where = data[1], value = data[2];
    size_t labels = (size_t)data[3] | (size_t)data[4] << 8;
    data += HEAD;
    size -= HEAD;
    if (labels > size)
        labels = size;
    const char *images_path = make_file(0, data, size - labels, ctrl, where, value);
    const char *labels_path = make_file(1, data + size - labels, labels, ctrl, where, value);
    imageset_t set;
    error_clear();
    if (idx_read(images_path, labels_path, &set) < 0) {
        fuzz_expect_message("idx_read (gzip)");
        if (set.pixels || set.labels)
            abort();
        return 0;
    }
    /* a success holds exactly what the uncompressed files held */
    const size_t pixels = (size_t)set.count * imageset_image_size(&set);
    if (set.count < 1 || !set.pixels || !set.labels || 16 + pixels != size - labels ||
        8 + (size_t)set.count != labels)
        abort();
    if ((ctrl >> 3 & 3) == 0 && (memcmp(set.pixels, data + 16, pixels) != 0 ||
                                 memcmp(set.labels, data + size - labels + 8, set.count) != 0))
        abort();
    imageset_free(&set);
    return 0;
}
