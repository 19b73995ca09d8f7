/* npy: the .npy header, written and read; values converted to float32.
 * The reader is a small parser of the one dict literal NumPy writes (keys
 * in any order, any spacing), never eval: the file may come from anyone. */
#include "nnmpi/npy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "nnmpi/error.h"

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

size_t npy_header_write(char *buf, size_t size, int ndim, const uint64_t *shape)
{
    char dims[64] = "";
    for (int i = 0; i < ndim; i++)
        snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%llu,%s",
                 (unsigned long long)shape[i], i + 1 < ndim ? " " : "");
    if (ndim > 1) /* (3,) is a tuple of one; (3, 4) needs no trailing comma */
        dims[strlen(dims) - 1] = '\0';
    /* as NumPy writes it, byte for byte: 21 digits' room to grow the first
     * dimension in place (numpy.lib.format's GROWTH_AXIS_MAX_DIGITS) */
    char dict[192];
    int grow = ndim ? 21 - snprintf(NULL, 0, "%llu", (unsigned long long)shape[0]) : 0;
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }%*s", dims,
                     grow > 0 ? grow : 0, "");
    /* the values start at a multiple of 64 bytes, so they can be mapped aligned */
    size_t total = ((size_t)NPY_PREAMBLE + (size_t)n + 1 + 63) / 64 * 64;
    if (n < 0 || total > size || total - NPY_PREAMBLE > 65535)
        return 0;
    memcpy(buf, npy_magic, 6);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)((total - NPY_PREAMBLE) & 0xff);
    buf[9] = (char)((total - NPY_PREAMBLE) >> 8);
    memcpy(buf + NPY_PREAMBLE, dict, (size_t)n);
    memset(buf + NPY_PREAMBLE + n, ' ', total - NPY_PREAMBLE - (size_t)n - 1);
    buf[total - 1] = '\n';
    return total;
}

size_t npy_header_size(const void *bytes, size_t n)
{
    const unsigned char *b = bytes;
    if (n < NPY_PREAMBLE || memcmp(b, npy_magic, 6) != 0) {
        error_set("not an .npy array (no \\x93NUMPY magic)");
        return 0;
    }
    if (b[6] == 1)
        return NPY_PREAMBLE + (size_t)(b[8] | b[9] << 8);
    if ((b[6] == 2 || b[6] == 3) && n >= NPY_PREAMBLE + 2) {
        uint64_t len = b[8] | b[9] << 8 | (uint64_t)b[10] << 16 | (uint64_t)b[11] << 24;
        if (len <= NPY_MAX_HEADER)
            return NPY_PREAMBLE + 2 + (size_t)len;
        error_set(".npy header of %llu bytes (damaged?)", (unsigned long long)len);
        return 0;
    }
    error_set(".npy version %d.%d, not 1.0, 2.0 or 3.0", b[6], b[7]);
    return 0;
}

/* The parser's place in the dict text. */
typedef struct {
    const char *p, *end;
} cursor_t;

static void skip_space(cursor_t *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

/* The next non-space character is ch: consume it, 1; else 0. */
static int take(cursor_t *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...") into out[size]; 0 or -1. */
static int take_string(cursor_t *c, char *out, size_t size)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return -1;
    const char quote = *c->p++;
    const char *start = c->p;
    while (c->p < c->end && *c->p != quote)
        c->p++;
    size_t n = (size_t)(c->p - start);
    if (c->p >= c->end || n >= size)
        return -1;
    memcpy(out, start, n);
    out[n] = '\0';
    c->p++;
    return 0;
}

/* True or False; 0 or -1. */
static int take_bool(cursor_t *c, int *value)
{
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && !memcmp(c->p, "True", 4))
        return c->p += 4, *value = 1, 0;
    if (left >= 5 && !memcmp(c->p, "False", 5))
        return c->p += 5, *value = 0, 0;
    return -1;
}

/* A tuple of sizes, (), (3,) or (3, 4); 0 or -1 (more than NPY_MAX_DIMS
 * dimensions: -2). */
static int take_shape(cursor_t *c, npy_header_t *h)
{
    if (!take(c, '('))
        return -1;
    h->ndim = 0;
    while (!take(c, ')')) {
        skip_space(c);
        uint64_t v = 0;
        const char *digits = c->p;
        while (c->p < c->end && isdigit((unsigned char)*c->p) && v < ((uint64_t)1 << 40))
            v = v * 10 + (uint64_t)(*c->p++ - '0');
        if (c->p == digits || v >= ((uint64_t)1 << 40))
            return -1;
        if (h->ndim == NPY_MAX_DIMS)
            return -2;
        h->shape[h->ndim++] = v;
        if (!take(c, ',') && !(skip_space(c), c->p < c->end && *c->p == ')'))
            return -1;
    }
    return 0;
}

/* The dict's three keys into h; 0, or -1 with a message. */
static int parse_dict(cursor_t *c, npy_header_t *h)
{
    int seen = 0; /* bits: descr, fortran_order, shape */
    if (!take(c, '{'))
        return error_set(".npy header is not a dict");
    while (!take(c, '}')) {
        char key[32];
        int rc = 0;
        if (take_string(c, key, sizeof key) < 0 || !take(c, ':'))
            return error_set(".npy header is not a dict of strings");
        if (!strcmp(key, "descr") && take_string(c, h->descr, sizeof h->descr) == 0)
            seen |= 1;
        else if (!strcmp(key, "fortran_order") && take_bool(c, &h->fortran_order) == 0)
            seen |= 2;
        else if (!strcmp(key, "shape") && (rc = take_shape(c, h)) == 0)
            seen |= 4;
        else if (rc == -2)
            return error_set(".npy array of more than %d dimensions", NPY_MAX_DIMS);
        else
            return error_set(".npy header has an unreadable or unknown '%.31s'", key);
        if (!take(c, ',') && !(skip_space(c), c->p < c->end && *c->p == '}'))
            return error_set(".npy header is not a dict");
    }
    return seen == 7 ? 0 : error_set(".npy header lacks descr, fortran_order or shape");
}

/* '<f4' '<f8' '>f4' '>f8' ('=' and '|' are the writer's byte order) */
static int parse_descr(npy_header_t *h)
{
    const char *d = h->descr;
    if (strlen(d) == 3 && strchr("<>=|", d[0]) && d[1] == 'f' && (d[2] == '4' || d[2] == '8')) {
        h->itemsize = d[2] - '0';
        h->big_endian = d[0] == '>';
        return 0;
    }
    return error_set("dtype '%s' is not float32 or float64", d);
}

int npy_header_read(const void *bytes, size_t n, npy_header_t *h)
{
    memset(h, 0, sizeof *h);
    size_t size = npy_header_size(bytes, n);
    if (size == 0)
        return -1;
    if (size > n)
        return error_set(".npy header of %zu bytes in %zu (truncated)", size, n);
    const size_t dict_at = ((const unsigned char *)bytes)[6] == 1 ? NPY_PREAMBLE : NPY_PREAMBLE + 2;
    cursor_t c = {(const char *)bytes + dict_at, (const char *)bytes + size};
    if (parse_dict(&c, h) < 0 || parse_descr(h) < 0)
        return -1;
    h->header_len = size;
    h->count = 1;
    for (int i = 0; i < h->ndim; i++) /* each < 2^40, and 2 dims at most: no overflow */
        h->count = h->shape[i] ? h->count * h->shape[i] : 0;
    if (h->ndim == 2 && h->shape[0] && h->shape[1] > UINT64_MAX / 16 / h->shape[0])
        return error_set(".npy shape too large");
    return 0;
}

/* One value at index i of the file's order, as a double. */
static double value_at(const npy_header_t *h, const unsigned char *v, uint64_t i)
{
    unsigned char b[8];
    const int n = h->itemsize;
    for (int k = 0; k < n; k++) /* this machine is little-endian (x86-64, aarch64) */
        b[k] = h->big_endian ? v[i * n + (n - 1 - k)] : v[i * n + k];
    if (n == 4) {
        float f;
        memcpy(&f, b, 4);
        return f;
    }
    double d;
    memcpy(&d, b, 8);
    return d;
}

void npy_to_float(const npy_header_t *h, const void *values, float *out)
{
    const uint64_t rows = h->ndim == 2 ? h->shape[0] : 1;
    const uint64_t cols = h->ndim == 2 ? h->shape[1] : h->count;
    if (h->count == 0)
        return; /* an empty array may still claim 10^11 rows (of 0 columns) */
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t k = 0; k < cols; k++) {
            /* Fortran order stores columns one after another */
            uint64_t at = h->fortran_order ? k * rows + r : r * cols + k;
            out[r * cols + k] = (float)value_at(h, values, at);
        }
}

void npy_shape_text(const npy_header_t *h, char *buf, size_t size)
{
    snprintf(buf, size, "[");
    for (int i = 0; i < h->ndim; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%llu", i ? ", " : "",
                 (unsigned long long)h->shape[i]);
    snprintf(buf + strlen(buf), size - strlen(buf), "]");
}
