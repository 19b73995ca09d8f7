/* npy: NumPy's .npy array format (numpy.lib.format), the members of an .npz.
 *
 * A file is the magic "\x93NUMPY", a version (1.0 with a 2-byte header
 * length, 2.0 and 3.0 with 4 bytes), then a Python dict literal such as
 * {'descr': '<f4', 'fortran_order': False, 'shape': (10, 200), } padded
 * with spaces to a multiple of 64 bytes and ended by '\n', then the
 * values. nnmpi writes version 1.0, float32, C order; it reads float32 and
 * float64 of either byte order and either order of dimensions (NumPy's
 * default float is float64), 0 to 2 dimensions, and refuses anything else
 * with a message naming what it found. Pure functions over bytes: the
 * archive is npz.c's business. */
#ifndef NNMPI_NPY_H
#define NNMPI_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 2
#define NPY_MAX_HEADER 65536   /* more is not a header NumPy writes */
#define NPY_PREAMBLE 10        /* magic, version and a 2-byte length: enough to
                                  learn a version 1 header's size */

typedef struct {
    size_t header_len;        /* bytes before the values */
    int itemsize;             /* 4 (float32) or 8 (float64) */
    int big_endian;
    int fortran_order;
    int ndim;
    uint64_t shape[NPY_MAX_DIMS];
    uint64_t count;           /* values: the product of shape */
    char descr[16];           /* as the file spells it, for messages */
} npy_header_t;

/* Writes the version 1.0 header of a float32 C-order array of ndim (0 to
 * 2) dimensions into buf; returns its length (a multiple of 64), or 0 if
 * size is too small. */
size_t npy_header_write(char *buf, size_t size, int ndim, const uint64_t *shape);

/* Bytes the header occupies, from the first n >= NPY_PREAMBLE bytes (the
 * version 2/3 length needs 12); 0 with a message if they are not an .npy
 * preamble. */
size_t npy_header_size(const void *bytes, size_t n);

/* Parses the header at the start of bytes [n]; 0, or -1 with a message
 * ("not an .npy array", "dtype '<i8' is not float32 or float64", ...). */
int npy_header_read(const void *bytes, size_t n, npy_header_t *h);

/* The values after the header (values: h->count items as the header says,
 * exactly h->count * h->itemsize bytes) as float32 in C order; float64
 * rounds to the nearest float. */
void npy_to_float(const npy_header_t *h, const void *values, float *out);

/* "[10, 200]" into buf. */
void npy_shape_text(const npy_header_t *h, char *buf, size_t size);

#endif
