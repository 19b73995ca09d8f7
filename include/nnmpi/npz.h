/* npz: NumPy's .npz archive, a zip of NAME.npy members (numpy.savez), read
 * and written with libzip.
 *
 * The writer builds the archive in memory, members stored uncompressed as
 * numpy.savez does, and writes it atomically (fs_write_bytes): no partial
 * file under the final name. The reader takes stored and deflated members
 * (numpy.savez_compressed), checks the archive's consistency on opening,
 * checks a member's claimed length against what its compressed bytes can
 * unpack to, and reads its .npy header before its values, so that nothing
 * is allocated from a size it has not checked against the member's
 * length. Messages name the file and the member. */
#ifndef NNMPI_NPZ_H
#define NNMPI_NPZ_H

#include <stddef.h>
#include <stdint.h>

#include "nnmpi/npy.h"

typedef struct {
    char *path;
    void *zip;     /* zip_t */
    void *source;  /* the writer's in-memory zip_source_t */
} npz_t;

/* A new archive in memory, to be written to path by npz_save; 0 or -1. */
int npz_create(npz_t *z, const char *path);

/* Adds NAME.npy, a float32 C-order array of ndim (0 to 2) dimensions. */
int npz_add_array(npz_t *z, const char *name, const float *data, int ndim,
                  const uint64_t *shape);

/* Adds a member of other bytes under its own name (e.g. "meta.json"). */
int npz_add_bytes(npz_t *z, const char *name, const void *data, size_t n);

/* Writes the archive atomically to the path given to npz_create, and
 * closes it; 0 or -1 naming the path. */
int npz_save(npz_t *z);

/* Opens an existing archive for reading; 0 or -1 ("not a zip archive",
 * "damaged zip archive", ...). */
int npz_open(npz_t *z, const char *path);

/* Whether NAME.npy is a member. */
int npz_has_array(npz_t *z, const char *name);

/* The names of the .npy members without ".npy", comma-separated, into buf
 * (for messages: "found wih, who"). */
void npz_list_arrays(npz_t *z, char *buf, size_t size);

/* The header of NAME.npy, checked against the member's length; 0 or -1
 * ("FILE: no array 'wih'", "FILE: wih: dtype '<i8' is not float32 or
 * float64", ...). */
int npz_array_header(npz_t *z, const char *name, npy_header_t *h);

/* The values of NAME.npy (header h from npz_array_header) as float32 in C
 * order into out[h->count]; 0 or -1. */
int npz_read_array(npz_t *z, const char *name, const npy_header_t *h, float *out);

/* Closes the archive without writing; safe on a zeroed struct. */
void npz_close(npz_t *z);

#endif
