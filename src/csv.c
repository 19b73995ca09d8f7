/* Reader for the book's CSV files, and the quoting of a text field for the
 * CSV tables nnmpi writes (query, report, train's own pictures).
 * mnist_train.csv is 60,000 lines of 785 numbers (~110 MB), so values are
 * parsed by hand from each line instead of with sscanf/strtol, and the
 * arrays grow geometrically. Images of another size than 28x28 have another
 * number of values per line. */
#define _POSIX_C_SOURCE 200809L
#include "nnmpi/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "nnmpi/error.h"

enum { CSV_MAX_SIDE = 1024 }; /* as the IDX reader's */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses one line (without its line end) of s[0, len) into *label and
 * pixels [n_pixels]. Spaces around a value are tolerated. */
static int parse_line(const char *s, size_t len, const char *path, long long lineno,
                      int n_pixels, uint8_t *label, uint8_t *pixels)
{
    const char *p = s, *end = s + len;
    int field = 0; /* values seen so far; 0 is the label */
    for (;;) {
        while (p < end && is_blank(*p))
            p++;
        const char *start = p;
        unsigned v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (v < 100000) /* saturate: anything this large is out of range anyway */
                v = v * 10 + (unsigned)(*p - '0');
            p++;
        }
        const char *digits_end = p;
        while (p < end && is_blank(*p))
            p++;
        if (digits_end == start || (p < end && *p != ',')) {
            const char *q = start;
            while (q < end && *q != ',')
                q++;
            int shown = (int)(q - start) > 20 ? 20 : (int)(q - start);
            return error_set("%s:%lld: value %d (\"%.*s%s\") is not a whole number 0..255",
                             path, lineno, field + 1, shown, start,
                             (int)(q - start) > shown ? "..." : "");
        }
        int ndigits = (int)(digits_end - start);
        if (field == 0) {
            if (v > 255)
                return error_set("%s:%lld: label %.*s is outside 0..255", path, lineno,
                                 ndigits > 20 ? 20 : ndigits, start);
            *label = (uint8_t)v;
        } else if (field <= n_pixels) {
            if (v > 255)
                return error_set("%s:%lld: pixel %d is %.*s, outside 0..255", path, lineno,
                                 field, ndigits > 20 ? 20 : ndigits, start);
            pixels[field - 1] = (uint8_t)v;
        }
        field++;
        if (p == end)
            break;
        p++; /* the comma */
    }
    if (field != 1 + n_pixels)
        return error_set("%s:%lld: %d values, expected %d (a label and %d pixels)%s", path,
                         lineno, field, 1 + n_pixels, n_pixels,
                         n_pixels == 784 ? " (--size HxW for other images)" : "");
    return 0;
}

/* Makes room for at least need images of n_pixels. */
static int grow(const char *path, int n_pixels, uint8_t **pixels, uint8_t **labels,
                int64_t *capacity, int64_t need)
{
    if (need <= *capacity)
        return 0;
    int64_t cap = *capacity ? *capacity * 2 : 1024;
    if (cap > (int64_t)(SIZE_MAX / (size_t)n_pixels))
        return error_set("%s: too many lines", path);
    uint8_t *p = realloc(*pixels, (size_t)cap * (size_t)n_pixels);
    if (!p)
        return error_set("%s: out of memory for %lld images", path, (long long)cap);
    *pixels = p;
    uint8_t *l = realloc(*labels, (size_t)cap);
    if (!l)
        return error_set("%s: out of memory for %lld labels", path, (long long)cap);
    *labels = l;
    *capacity = cap;
    return 0;
}

int csv_read(const char *path, int height, int width, imageset_t *set)
{
    *set = (imageset_t){0};
    if (height < 1 || height > CSV_MAX_SIDE || width < 1 || width > CSV_MAX_SIDE)
        return error_set("%s: images of %d x %d pixels: each side must be 1..%d", path, height,
                         width, CSV_MAX_SIDE);
    const int n_pixels = height * width;
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set("%s: cannot open: %s", path, strerror(errno));

    uint8_t *pixels = NULL; /* [capacity, n_pixels] */
    uint8_t *labels = NULL; /* [capacity] */
    int64_t count = 0, capacity = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    long long lineno = 0;
    int rc = -1;

    errno = 0;
    while ((len = getline(&line, &line_cap, f)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        ssize_t k = 0;
        while (k < len && is_blank(line[k]))
            k++;
        if (k == len)
            continue; /* empty line */
        if (grow(path, n_pixels, &pixels, &labels, &capacity, count + 1) != 0)
            goto done;
        if (parse_line(line, (size_t)len, path, lineno, n_pixels, labels + count,
                       pixels + (size_t)count * n_pixels) != 0)
            goto done;
        count++;
    }
    /* getline also returns -1 when it cannot grow its buffer (ENOMEM):
     * that is not the end of the file, and must not cut the set short */
    if (ferror(f) || !feof(f)) {
        error_set("%s:%lld: read error: %s", path, lineno + 1,
                  errno ? strerror(errno) : "cannot read the line");
        goto done;
    }
    if (count == 0) {
        error_set("%s: no images (the file is empty or holds only empty lines)", path);
        goto done;
    }
    set->count = count;
    set->height = height;
    set->width = width;
    set->pixels = pixels;
    set->labels = labels;
    pixels = labels = NULL;
    rc = 0;
done:
    free(line);
    free(pixels);
    free(labels);
    fclose(f);
    return rc;
}

void csv_write_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}
