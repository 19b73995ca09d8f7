/* libFuzzer harness: the .npy parser (src/npy.c: npy_header_size,
 * npy_header_read, npy_to_float), which reads the members of the .npz
 * files `nnmpi import --npz` takes from anyone. The input is one .npy
 * file. Besides "no crash, a one-line message on every refusal", it checks
 * the parser's promises: the header fits in the bytes and is as long as
 * its preamble says, the count is the product of the shape, the values it
 * announces convert, and a float32 C-order header written back by
 * npy_header_write parses to the same shape. */
#include "fuzz_common.h"

#include <string.h>

#include "nnmpi/npy.h"

/* The header nnmpi writes for h's shape parses back to it. */
static void check_round_trip(const npy_header_t *h)
{
    char buf[256];
    size_t n = npy_header_write(buf, sizeof buf, h->ndim, h->shape);
    npy_header_t again;
    if (n == 0 || n % 64 != 0 || npy_header_read(buf, n, &again) < 0 || again.ndim != h->ndim ||
        again.count != h->count || again.itemsize != 4 || again.fortran_order ||
        again.header_len != n)
        abort();
    for (int i = 0; i < h->ndim; i++)
        if (again.shape[i] != h->shape[i])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_header_t h;
    error_clear();
    if (npy_header_read(data, size, &h) < 0) {
        fuzz_expect_message("npy_header_read");
        return 0;
    }
    if (h.header_len > size || h.header_len != npy_header_size(data, size) ||
        (h.itemsize != 4 && h.itemsize != 8) || h.ndim < 0 || h.ndim > NPY_MAX_DIMS)
        abort();
    uint64_t count = 1;
    for (int i = 0; i < h.ndim; i++)
        count *= h.shape[i];
    if (count != h.count)
        abort();
    char shape[64];
    npy_shape_text(&h, shape, sizeof shape);
    if (shape[0] != '[' || shape[strlen(shape) - 1] != ']')
        abort();
    check_round_trip(&h);
    /* the values, when the bytes after the header hold them all */
    if (h.count > (size - h.header_len) / (size_t)h.itemsize)
        return 0;
    float *out = malloc(h.count ? h.count * sizeof *out : 1);
    if (!out)
        abort();
    npy_to_float(&h, data + h.header_len, out);
    free(out);
    return 0;
}
