/* h5util: small HDF5 helpers shared by the dataset and checkpoint files:
 * typed attributes, whole-dataset reads with shape checks, and opening files
 * so that HDF5's own error stack never reaches the user (we print one line). */
#ifndef NNMPI_H5UTIL_H
#define NNMPI_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Turns off HDF5's automatic error printing (call once at start). */
void h5_quiet(void);

/* Opens an existing file read-only, without file locking (cluster file
 * systems often lack it, and our writers replace files atomically). Refuses
 * a missing file or one that is not HDF5 with a clear message; -1 on error. */
hid_t h5_open_read(const char *path);

/* Creates (truncates) a file for writing; -1 on error. */
hid_t h5_create(const char *path);

/* An in-memory file's buffer. HDF5 allocates and frees it through our
 * callbacks, and hands it back instead of freeing it when h5_save_image
 * closes the file: the file is written from it, not from a copy (a 318 MB
 * checkpoint then needs 318 MB less at its peak). Zeroed by
 * h5_create_in_memory; outlives the file. */
typedef struct {
    void *kept; /* the buffer at close, once h5_save_image asked to keep it */
    int keep;   /* set by h5_save_image just before it closes the file */
} h5_image_t;

/* A new file that lives in memory (HDF5's core driver) until h5_save_image;
 * name only identifies it (use the path it will be written to); size_hint
 * is its expected size in bytes. -1 on error. */
hid_t h5_create_in_memory(const char *name, size_t size_hint, h5_image_t *image);

/* Closes an h5_create_in_memory file and writes its bytes to path
 * atomically with fs_write_bytes, so that every failure (ENOSPC, EFBIG,
 * EROFS...) is ours to report, naming path and errno. Why: HDF5 1.10 leaves
 * a dangling file ID when closing a file fails (e.g. it cannot extend it
 * past `ulimit -f`), and crashes on it at exit. f is closed in every case,
 * and its buffer freed; on failure the old path is left as it was. */
int h5_save_image(hid_t f, h5_image_t *image, const char *path);

int h5_attr_write_str(hid_t loc, const char *name, const char *value);
int h5_attr_write_i64(hid_t loc, const char *name, int64_t value);
int h5_attr_write_f64(hid_t loc, const char *name, double value);

/* Reads a string attribute into a malloc'd string (*out); -1 if absent. */
int h5_attr_read_str(hid_t loc, const char *name, char **out);
int h5_attr_read_i64(hid_t loc, const char *name, int64_t *value);
int h5_attr_read_f64(hid_t loc, const char *name, double *value);

/* 1 if type is of class cls (H5T_INTEGER, H5T_FLOAT, or H5T_COMPOUND of
 * those) and the bits of each of its numbers lie inside the number's bytes,
 * 0 if not. HDF5 1.10 accepts a damaged type whose bit offset points past its
 * element and then converts from memory beyond it, so a reader checks this
 * before H5Aread/H5Dread. */
int h5_type_is_sound(hid_t type, H5T_class_t cls);

/* 1 if loc has an attribute / a link called name, 0 if not. */
int h5_has_attr(hid_t loc, const char *name);
int h5_has_link(hid_t loc, const char *name);

/* Shape of dataset `name` under loc: writes up to max dims, returns the rank
 * or -1 (message names the dataset). */
int h5_dataset_shape(hid_t loc, const char *name, hsize_t *dims, int max);

/* Checks that the format attribute of file is `format` and its version is
 * at most max_version; the message names path and what was found. */
int h5_check_format(hid_t file, const char *path, const char *format,
                    int64_t max_version, int64_t *version);

#endif
