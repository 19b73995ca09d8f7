#include "nnmpi/h5util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"

void h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

hid_t h5_open_read(const char *path)
{
    if (access(path, R_OK) != 0)
        return error_set("%s: cannot open: %s", path, strerror(errno));
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0)
        return error_set("%s: not an HDF5 file (or damaged beyond reading)", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return error_set("%s: cannot set up HDF5 file access", path);
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return error_set("%s: HDF5 cannot open it (damaged or truncated?)", path);
    return f;
}

hid_t h5_create(const char *path)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return error_set("%s: cannot set up HDF5 file access", path);
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return error_set("%s: cannot create: %s", path, errno ? strerror(errno) : "HDF5 refused");
    return f;
}

/* The core driver's buffer goes through these (H5Pset_file_image_callbacks)
 * so that closing the file can leave it to h5_save_image. */
static void *image_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)op, (void)udata;
    return malloc(size);
}

static void *image_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op,
                          void *udata)
{
    (void)op, (void)udata;
    return memcpy(dest, src, size);
}

static void *image_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)op, (void)udata;
    return realloc(ptr, size);
}

static herr_t image_free(void *ptr, H5FD_file_image_op_t op, void *udata)
{
    h5_image_t *image = udata;
    if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE && image->keep && !image->kept)
        image->kept = ptr;
    else
        free(ptr);
    return 0;
}

/* The property lists that HDF5 copies share the one h5_image_t. */
static void *image_udata_copy(void *udata)
{
    return udata;
}

static herr_t image_udata_free(void *udata)
{
    (void)udata;
    return 0;
}

hid_t h5_create_in_memory(const char *name, size_t size_hint, h5_image_t *image)
{
    memset(image, 0, sizeof *image);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* grow the image in one step for the expected size (at least 1 MiB) */
    size_t increment = size_hint < ((size_t)1 << 20) ? (size_t)1 << 20 : size_hint;
    H5FD_file_image_callbacks_t callbacks = {image_malloc,    image_memcpy,     image_realloc,
                                             image_free,      image_udata_copy, image_udata_free,
                                             image};
    if (fapl < 0 || H5Pset_fapl_core(fapl, increment, 0) < 0 ||
        H5Pset_file_image_callbacks(fapl, &callbacks) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return error_set("%s: cannot set up an HDF5 file in memory", name);
    }
    hid_t f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return error_set("%s: HDF5 cannot create the file in memory", name);
    return f;
}

int h5_save_image(hid_t f, h5_image_t *image, const char *path)
{
    ssize_t size = H5Fflush(f, H5F_SCOPE_LOCAL) < 0 ? -1 : H5Fget_file_image(f, NULL, 0);
    image->keep = size > 0;
    H5Fclose(f); /* in memory: nothing can fail here; the buffer stays ours */
    int rc = -1;
    if (size <= 0 || !image->kept)
        error_set("%s: HDF5 cannot produce the file's contents", path);
    else
        rc = fs_write_bytes(path, image->kept, (size_t)size);
    free(image->kept);
    memset(image, 0, sizeof *image);
    return rc;
}

static int attr_write(hid_t loc, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    if (space < 0)
        return error_set("cannot write attribute %s", name);
    if (H5Aexists(loc, name) > 0)
        H5Adelete(loc, name);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr >= 0 && H5Awrite(attr, type, value) >= 0 ? 0 : -1;
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    return rc ? error_set("cannot write attribute %s", name) : 0;
}

int h5_attr_write_str(hid_t loc, const char *name, const char *value)
{
    /* fixed-length UTF-8 strings read back cleanly in h5py and h5dump */
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    H5Tset_cset(type, H5T_CSET_UTF8);
    int rc = attr_write(loc, name, type, value);
    H5Tclose(type);
    return rc;
}

int h5_attr_write_i64(hid_t loc, const char *name, int64_t value)
{
    return attr_write(loc, name, H5T_NATIVE_INT64, &value);
}

int h5_attr_write_f64(hid_t loc, const char *name, double value)
{
    return attr_write(loc, name, H5T_NATIVE_DOUBLE, &value);
}

int h5_has_attr(hid_t loc, const char *name)
{
    return H5Aexists(loc, name) > 0;
}

int h5_has_link(hid_t loc, const char *name)
{
    return H5Lexists(loc, name, H5P_DEFAULT) > 0;
}

int h5_attr_read_str(hid_t loc, const char *name, char **out)
{
    *out = NULL;
    if (H5Aexists(loc, name) <= 0)
        return error_set("attribute '%s' is missing", name);
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0)
        return error_set("attribute '%s' cannot be read", name);
    hid_t ftype = H5Aget_type(attr);
    /* one string: H5Aread writes every element of the attribute, and an
     * array of strings would overrun the one-string buffers below */
    hid_t space = H5Aget_space(attr);
    int single = space >= 0 && H5Sget_simple_extent_npoints(space) == 1;
    if (space >= 0)
        H5Sclose(space);
    int rc = -1;
    if (single && ftype >= 0 && H5Tget_class(ftype) == H5T_STRING) {
        if (H5Tis_variable_str(ftype) > 0) {
            char *s = NULL;
            hid_t mtype = H5Tcopy(ftype); /* same character set: HDF5 converts none */
            if (H5Aread(attr, mtype, &s) >= 0 && s) {
                *out = strdup(s);
                H5free_memory(s);
                rc = *out ? 0 : -1;
            }
            H5Tclose(mtype);
        } else {
            size_t n = H5Tget_size(ftype);
            if (n > 0 && n < (64u << 20)) {
                char *s = calloc(n + 1, 1); /* the extra byte ends a NULLPAD string */
                hid_t mtype = H5Tcopy(ftype);
                if (s && H5Aread(attr, mtype, s) >= 0) {
                    *out = s;
                    rc = 0;
                } else {
                    free(s);
                }
                H5Tclose(mtype);
            }
        }
    }
    if (ftype >= 0)
        H5Tclose(ftype);
    H5Aclose(attr);
    return rc ? error_set("attribute '%s' is not a readable string", name) : 0;
}

/* The bits [first, first + count) lie within an element of bytes bytes. */
static int bits_inside(size_t first, size_t count, size_t bytes)
{
    return count > 0 && first <= 8 * bytes && count <= 8 * bytes - first;
}

static int float_fields_inside(hid_t type, size_t bytes)
{
    size_t spos, epos, esize, mpos, msize;
    return H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) >= 0 &&
           bits_inside(spos, 1, bytes) && bits_inside(epos, esize, bytes) &&
           bits_inside(mpos, msize, bytes);
}

/* A compound of numbers, as /metrics is. */
static int compound_is_sound(hid_t type)
{
    int members = H5Tget_nmembers(type);
    int ok = members > 0;
    for (int i = 0; ok && i < members; i++) {
        hid_t member = H5Tget_member_type(type, (unsigned)i);
        ok = h5_type_is_sound(member, H5T_INTEGER) || h5_type_is_sound(member, H5T_FLOAT);
        if (member >= 0)
            H5Tclose(member);
    }
    return ok;
}

int h5_type_is_sound(hid_t type, H5T_class_t cls)
{
    if (type < 0 || H5Tget_class(type) != cls)
        return 0;
    if (cls == H5T_COMPOUND)
        return compound_is_sound(type);
    size_t bytes = H5Tget_size(type);
    int offset = H5Tget_offset(type);
    if (bytes == 0 || offset < 0 || !bits_inside((size_t)offset, H5Tget_precision(type), bytes))
        return 0;
    return cls != H5T_FLOAT || float_fields_inside(type, bytes);
}

static int attr_read_number(hid_t loc, const char *name, hid_t mtype, void *value)
{
    if (H5Aexists(loc, name) <= 0)
        return error_set("attribute '%s' is missing", name);
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0)
        return error_set("attribute '%s' cannot be read", name);
    hid_t space = H5Aget_space(attr);
    hid_t ftype = H5Aget_type(attr);
    int ok = space >= 0 && H5Sget_simple_extent_npoints(space) == 1 &&
             (h5_type_is_sound(ftype, H5T_INTEGER) || h5_type_is_sound(ftype, H5T_FLOAT)) &&
             H5Aread(attr, mtype, value) >= 0;
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    H5Aclose(attr);
    return ok ? 0 : error_set("attribute '%s' is not a single number", name);
}

int h5_attr_read_i64(hid_t loc, const char *name, int64_t *value)
{
    return attr_read_number(loc, name, H5T_NATIVE_INT64, value);
}

int h5_attr_read_f64(hid_t loc, const char *name, double *value)
{
    return attr_read_number(loc, name, H5T_NATIVE_DOUBLE, value);
}

int h5_dataset_shape(hid_t loc, const char *name, hsize_t *dims, int max)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return error_set("dataset '%s' is missing", name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return error_set("dataset '%s' cannot be opened", name);
    hid_t space = H5Dget_space(ds);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank > max || rank < 0)
        rank = -1;
    else
        H5Sget_simple_extent_dims(space, dims, NULL);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(ds);
    return rank < 0 ? error_set("dataset '%s' has an unexpected shape", name) : rank;
}

int h5_check_format(hid_t file, const char *path, const char *format, int64_t max_version,
                    int64_t *version)
{
    char *found = NULL;
    if (h5_attr_read_str(file, "format", &found) < 0)
        return error_set("%s: not an nnmpi file (no 'format' attribute; expected '%s')", path,
                         format);
    int same = strcmp(found, format) == 0;
    if (!same) {
        error_set("%s: is a '%s' file, expected '%s'", path, found, format);
        free(found);
        return -1;
    }
    free(found);
    int64_t v = 0;
    if (h5_attr_read_i64(file, "format_version", &v) < 0)
        return error_set("%s: '%s' file without a format_version", path, format);
    if (v < 1 || v > max_version)
        return error_set("%s: %s version %lld is not supported (this nnmpi reads up to %lld)", path,
                         format, (long long)v, (long long)max_version);
    if (version)
        *version = v;
    return 0;
}
