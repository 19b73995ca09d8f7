#include "nnmpi/dataset.h"

#include "nnmpi/classnames.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/h5util.h"
#include "nnmpi/version.h"
#include "nnmpi/sha256.h"

/* 1024 rows of 28x28 = 784 KiB: under HDF5's default 1 MiB chunk cache, so a
 * strided shard read touches each chunk once. */
#define CHUNK_ROWS 1024

static int write_array(hid_t group, const char *name, hid_t type, int rank, const hsize_t *dims,
                       const void *data, int chunked)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (chunked && dims[0] > 0) {
        hsize_t chunk[3] = {dims[0] < CHUNK_ROWS ? dims[0] : CHUNK_ROWS, dims[1], dims[2]};
        H5Pset_chunk(dcpl, rank, chunk);
    }
    hid_t ds = H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0 ? 0 : -1;
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    return rc ? error_set("cannot write dataset '%s' (disk full?)", name) : 0;
}

static int write_split(hid_t file, const char *split, const imageset_t *set, const int32_t *origin,
                       const float *angle, const uint8_t *augment)
{
    hid_t g = H5Gcreate2(file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return error_set("cannot create group /%s", split);
    hsize_t dims[3] = {(hsize_t)set->count, (hsize_t)set->height, (hsize_t)set->width};
    int rc = write_array(g, "images", H5T_NATIVE_UINT8, 3, dims, set->pixels, 1);
    if (!rc)
        rc = write_array(g, "labels", H5T_NATIVE_UINT8, 1, dims, set->labels, 0);
    if (!rc && origin)
        rc = write_array(g, "origin", H5T_NATIVE_INT32, 1, dims, origin, 0);
    if (!rc && angle)
        rc = write_array(g, "angle", H5T_NATIVE_FLOAT, 1, dims, angle, 0);
    if (!rc && augment)
        rc = write_array(g, "augment", H5T_NATIVE_UINT8, 1, dims, augment, 0);
    H5Gclose(g);
    return rc;
}

int dataset_write(const char *path, const dataset_contents_t *c)
{
    char tmp[4096];
    if (fs_tmp_name(path, tmp, sizeof tmp) < 0)
        return -1;
    /* the file's size, generously (HDF5's metadata, partly filled chunks) */
    const unsigned long long pixels = (unsigned long long)imageset_image_size(c->train);
    unsigned long long bytes = (unsigned long long)c->train->count * (pixels + 1 + 4 + 4 + 1) +
                               (unsigned long long)c->test->count * (pixels + 1);
    if (fs_check_size_limit(path, bytes + bytes / 20 + (8u << 20)) < 0)
        return -1;
    hid_t f = h5_create(tmp);
    if (f < 0)
        return error_prefix("%s", path);
    const int classes = c->classes ? c->classes : 10;
    const int mnist_shape = c->train->height == 28 && c->train->width == 28 && classes == 10;
    int rc = h5_attr_write_str(f, "format", DATASET_FORMAT);
    rc = rc ? rc : h5_attr_write_i64(f, "format_version",
                                     mnist_shape ? DATASET_VERSION_MNIST : DATASET_VERSION);
    rc = rc ? rc : h5_attr_write_i64(f, "classes", classes);
    rc = rc ? rc : h5_attr_write_str(f, "class_names", c->class_names ? c->class_names : "");
    rc = rc ? rc : h5_attr_write_str(f, "source", c->source ? c->source : "");
    rc = rc ? rc : h5_attr_write_str(f, "source_sha256", c->source_sha256 ? c->source_sha256 : "");
    rc = rc ? rc : h5_attr_write_str(f, "augmentation", c->augmentation ? c->augmentation : "none");
    rc = rc ? rc : h5_attr_write_i64(f, "shuffle_seed", (int64_t)c->shuffle_seed);
    rc = rc ? rc : h5_attr_write_str(f, "created_by", "nnmpi prepare " NNMPI_VERSION);
    rc = rc ? rc : write_split(f, "train", c->train, c->origin, c->angle, c->augment);
    rc = rc ? rc : write_split(f, "test", c->test, NULL, NULL, NULL);
    if (H5Fclose(f) < 0 && !rc)
        rc = error_set("cannot close the file (disk full?)");
    if (rc) {
        unlink(tmp);
        return error_prefix("%s", path);
    }
    return fs_commit(tmp, path);
}

/* Most rows a file may declare: the shard's visiting order holds positions
 * as uint32, and a hostile header must not choose the size of an allocation
 * (or turn negative as an int64). */
#define DATASET_MAX_ROWS ((hsize_t)INT32_MAX)

/* -1 naming what is missing if the file lacks /split or /split/what: a
 * missing part is not a wrong shape, and the file likely not ours. */
static int check_present(hid_t file, const char *path, const char *split, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "/%s", split);
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return error_set("%s: no /%s split (/%s/%s): not a file made by nnmpi prepare?", path,
                         split, split, what);
    snprintf(name, sizeof name, "/%s/%s", split, what);
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return error_set("%s: no %s: not a file made by nnmpi prepare?", path, name);
    return 0;
}

/* Largest side an image may have: as the IDX and CSV readers'. */
#define DATASET_MAX_SIDE 1024

/* Checks /split/images [n,h,w] and /split/labels [n]; returns n or -1. */
static int64_t split_shape(hid_t file, const char *path, const char *split, int *h, int *w)
{
    char name[64];
    hsize_t dims[3], ldims[1];
    if (check_present(file, path, split, "images") < 0 ||
        check_present(file, path, split, "labels") < 0)
        return -1;
    snprintf(name, sizeof name, "/%s/images", split);
    if (h5_dataset_shape(file, name, dims, 3) != 3)
        return error_set("%s: %s must be a 3-D dataset [n, height, width]", path, name);
    if (dims[0] > DATASET_MAX_ROWS)
        return error_set("%s: %s declares %llu images, more than nnmpi handles (%llu)", path,
                         name, (unsigned long long)dims[0], (unsigned long long)DATASET_MAX_ROWS);
    if (dims[1] < 1 || dims[1] > DATASET_MAX_SIDE || dims[2] < 1 || dims[2] > DATASET_MAX_SIDE)
        return error_set("%s: %s holds %llux%llu images; nnmpi takes sides of 1..%d", path,
                         name, (unsigned long long)dims[1], (unsigned long long)dims[2],
                         DATASET_MAX_SIDE);
    snprintf(name, sizeof name, "/%s/labels", split);
    if (h5_dataset_shape(file, name, ldims, 1) != 1)
        return error_set("%s: %s must be a 1-D dataset [n]", path, name);
    if (ldims[0] != dims[0])
        return error_set("%s: /%s has %llu images but %llu labels", path, split,
                         (unsigned long long)dims[0], (unsigned long long)ldims[0]);
    if (dims[0] == 0)
        return error_set("%s: /%s is empty", path, split);
    *h = (int)dims[1];
    *w = (int)dims[2];
    return (int64_t)dims[0];
}

static int check_type(hid_t file, const char *path, const char *name)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t t = ds >= 0 ? H5Dget_type(ds) : -1;
    /* unsigned too: HDF5 would clip a signed -1 label to 0 without a word */
    int ok = h5_type_is_sound(t, H5T_INTEGER) && H5Tget_size(t) == 1 &&
             H5Tget_sign(t) == H5T_SGN_NONE;
    if (t >= 0)
        H5Tclose(t);
    if (ds >= 0)
        H5Dclose(ds);
    return ok ? 0 : error_set("%s: %s must hold 8-bit unsigned integers", path, name);
}

/* The classes and their names; files older than the attribute hold digits. */
static int read_classes(hid_t f, const char *path, dataset_info_t *info)
{
    int64_t classes = 10;
    if (H5Aexists(f, "classes") > 0 && h5_attr_read_i64(f, "classes", &classes) < 0)
        return error_prefix("%s", path);
    if (classes < 1 || classes > DATASET_MAX_CLASSES)
        return error_set("%s: classes = %lld, expected 1..%d", path, (long long)classes,
                         DATASET_MAX_CLASSES);
    info->classes = (int)classes;
    if (H5Aexists(f, "class_names") > 0 && h5_attr_read_str(f, "class_names", &info->class_names) < 0)
        return error_prefix("%s", path);
    if (info->class_names && !info->class_names[0]) {
        free(info->class_names);
        info->class_names = NULL;
    }
    if (info->class_names && classnames_check(info->class_names, info->classes) < 0)
        return error_prefix("%s: attribute class_names", path);
    return 0;
}

static int read_header(hid_t f, const char *path, dataset_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (h5_check_format(f, path, DATASET_FORMAT, DATASET_VERSION, &info->version) < 0)
        return -1;
    int th, tw, sh, sw;
    if ((info->n_train = split_shape(f, path, "train", &th, &tw)) < 0)
        return -1;
    if ((info->n_test = split_shape(f, path, "test", &sh, &sw)) < 0)
        return -1;
    const char *u8[] = {"/train/images", "/train/labels", "/test/images", "/test/labels"};
    for (int i = 0; i < 4; i++)
        if (check_type(f, path, u8[i]) < 0)
            return -1;
    if (sh != th || sw != tw)
        return error_set("%s: the training images are %dx%d but the test images %dx%d", path,
                         th, tw, sh, sw);
    info->height = th;
    info->width = tw;
    if (read_classes(f, path, info) < 0)
        return -1;
    if (info->version == DATASET_VERSION_MNIST && (th != 28 || tw != 28 || info->classes != 10))
        return error_set("%s: a version 1 file holds MNIST's 28x28 images of 10 classes, not "
                         "%dx%d of %d (damaged file?)", path, th, tw, info->classes);
    h5_attr_read_str(f, "source", &info->source);
    h5_attr_read_str(f, "source_sha256", &info->source_sha256);
    h5_attr_read_str(f, "augmentation", &info->augmentation);
    h5_attr_read_i64(f, "shuffle_seed", &info->shuffle_seed);
    error_clear();
    return 0;
}

int dataset_info(const char *path, dataset_info_t *info)
{
    hid_t f = h5_open_read(path);
    if (f < 0) {
        memset(info, 0, sizeof *info);
        return -1;
    }
    int rc = read_header(f, path, info);
    H5Fclose(f);
    if (rc)
        dataset_info_free(info);
    return rc;
}

void dataset_info_free(dataset_info_t *info)
{
    free(info->source);
    free(info->source_sha256);
    free(info->augmentation);
    free(info->class_names);
    memset(info, 0, sizeof *info);
}

/* Reads `name` through file selection fsel into buf (n_rows rows of
 * row_elems bytes each). */
static int read_selected(hid_t f, const char *path, const char *name, int rank,
                         const hsize_t *file_dims, hid_t fsel_space, int64_t n_rows, void *buf)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    if (ds < 0)
        return error_set("%s: cannot open %s", path, name);
    hsize_t mdims[3] = {(hsize_t)n_rows, rank > 1 ? file_dims[1] : 1, rank > 2 ? file_dims[2] : 1};
    hid_t mspace = H5Screate_simple(rank, mdims, NULL);
    herr_t rc = H5Dread(ds, H5T_NATIVE_UINT8, mspace, fsel_space, H5P_DEFAULT, buf);
    H5Sclose(mspace);
    H5Dclose(ds);
    return rc < 0 ? error_set("%s: cannot read %s (damaged or truncated file?)", path, name) : 0;
}

/* Selects rows [first, first+count) in a dataspace of the given rank. */
static hid_t row_selection(int64_t first, int64_t count, int rank, const hsize_t *dims)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0)
        return -1;
    hsize_t start[3] = {(hsize_t)first, 0, 0};
    hsize_t size[3] = {(hsize_t)count, rank > 1 ? dims[1] : 1, rank > 2 ? dims[2] : 1};
    if (H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, size, NULL) < 0) {
        H5Sclose(space);
        return -1;
    }
    return space;
}

/* Training rows [first, first + count) of the open file f into set's
 * buffers, allocated here unless the caller gave them (for count rows of
 * the file's shape); their labels checked. */
static int read_train_rows(hid_t f, const char *path, const dataset_info_t *info, int64_t first,
                           int64_t count, imageset_t *set)
{
    int rc = 0;
    if (!set->pixels)
        rc = imageset_alloc(set, count, info->height, info->width);
    else if (set->count != count || set->height != info->height || set->width != info->width)
        rc = error_set("%s: %lld rows of %d x %d pixels do not fit a buffer for %lld of %d x %d",
                       path, (long long)count, info->height, info->width,
                       (long long)set->count, set->height, set->width);
    hsize_t dims[3] = {(hsize_t)info->n_train, (hsize_t)info->height, (hsize_t)info->width};
    for (int pass = 0; pass < 2 && !rc; pass++) {
        int rank = pass == 0 ? 3 : 1;
        hid_t sel = row_selection(first, count, rank, dims);
        if (sel < 0) {
            rc = error_set("%s: cannot select training rows %lld..%lld", path, (long long)first,
                           (long long)(first + count - 1));
            break;
        }
        rc = read_selected(f, path, pass == 0 ? "/train/images" : "/train/labels", rank, dims,
                           sel, count, pass == 0 ? set->pixels : set->labels);
        H5Sclose(sel);
    }
    if (!rc) {
        char what[4200];
        snprintf(what, sizeof what, "%s: /train/labels", path);
        rc = imageset_check_labels(set, what, info->classes);
    }
    return rc;
}

/* Training rows [first, first + count) of the file at path into set. A
 * shard (expect_rows >= 0: the rows the file must hold) may be empty; a
 * range of rows asked for by number may not. */
static int read_rows(const char *path, int64_t first, int64_t count, int64_t expect_rows,
                     imageset_t *set)
{
    hid_t f = h5_open_read(path);
    if (f < 0)
        return -1;
    dataset_info_t info;
    int rc = read_header(f, path, &info);
    if (!rc && expect_rows >= 0 && info.n_train != expect_rows)
        rc = error_set("%s: has %lld training rows, the shard plan expected %lld", path,
                       (long long)info.n_train, (long long)expect_rows);
    const int64_t fewest = expect_rows >= 0 ? 0 : 1;
    if (!rc && (first < 0 || count < fewest || first > info.n_train - count))
        rc = error_set("%s: has no training rows %lld..%lld (it has %lld: 0..%lld)", path,
                       (long long)first, (long long)(first + count - 1),
                       (long long)info.n_train, (long long)info.n_train - 1);
    rc = rc ? rc : read_train_rows(f, path, &info, first, count, set);
    dataset_info_free(&info);
    H5Fclose(f);
    return rc;
}

int dataset_read_shard(const char *path, const shard_t *s, imageset_t *set)
{
    memset(set, 0, sizeof *set);
    int rc = read_rows(path, s->row_first, s->n_local, s->n_rows, set);
    if (rc)
        imageset_free(set);
    return rc;
}

int dataset_read_shard_into(const char *path, const shard_t *s, imageset_t *set)
{
    return read_rows(path, s->row_first, s->n_local, s->n_rows, set);
}

int dataset_read_train_rows(const char *path, int64_t first, int64_t count, imageset_t *set)
{
    memset(set, 0, sizeof *set);
    int rc = read_rows(path, first, count, -1, set);
    if (rc)
        imageset_free(set);
    return rc;
}

int dataset_read_split(const char *path, const char *split, imageset_t *set)
{
    memset(set, 0, sizeof *set);
    hid_t f = h5_open_read(path);
    if (f < 0)
        return -1;
    dataset_info_t info;
    int rc = read_header(f, path, &info);
    int64_t n = !strcmp(split, "train") ? info.n_train : info.n_test;
    rc = rc ? rc : imageset_alloc(set, n, info.height, info.width);
    for (int pass = 0; pass < 2 && !rc; pass++) {
        char name[64];
        snprintf(name, sizeof name, "/%s/%s", split, pass == 0 ? "images" : "labels");
        hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
        if (ds < 0 || H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                              pass == 0 ? set->pixels : set->labels) < 0)
            rc = error_set("%s: cannot read %s (damaged or truncated file?)", path, name);
        if (ds >= 0)
            H5Dclose(ds);
    }
    if (!rc) {
        char what[4200];
        snprintf(what, sizeof what, "%s: /%s/labels", path, split);
        rc = imageset_check_labels(set, what, info.classes);
    }
    dataset_info_free(&info);
    H5Fclose(f);
    if (rc)
        imageset_free(set);
    return rc;
}

/* Rows first, middle and last of a split, images and labels, into h;
 * row: room for one image of info's size. */
static int hash_sample_rows(hid_t f, const char *path, const dataset_info_t *info,
                            const char *split, int64_t n, uint8_t *row, sha256_t *h)
{
    const size_t row_size = (size_t)info->height * (size_t)info->width;
    int64_t rows[3] = {0, n / 2, n - 1};
    for (int i = 0; i < 3; i++)
        for (int pass = 0; pass < 2; pass++) {
            char name[64];
            snprintf(name, sizeof name, "/%s/%s", split, pass == 0 ? "images" : "labels");
            int rank = pass == 0 ? 3 : 1;
            hsize_t dims[3] = {(hsize_t)n, (hsize_t)info->height, (hsize_t)info->width};
            hid_t sel = row_selection(rows[i], 1, rank, dims);
            if (sel < 0)
                return error_set("%s: cannot select a row of %s", path, name);
            int rc = read_selected(f, path, name, rank, dims, sel, 1, row);
            H5Sclose(sel);
            if (rc)
                return rc;
            if (sha256_update(h, row, pass == 0 ? row_size : 1) < 0)
                return -1;
        }
    return 0;
}

int dataset_sample_sha256(const char *path, const dataset_info_t *info, char hex[65])
{
    hid_t f = h5_open_read(path);
    if (f < 0)
        return -1;
    sha256_t h = {0};
    /* the sides were checked by dataset_info: at most 1 MiB */
    uint8_t *row = malloc((size_t)info->height * (size_t)info->width);
    int rc = row ? sha256_init(&h) : error_set("%s: out of memory for one image", path);
    rc = rc ? rc : hash_sample_rows(f, path, info, "train", info->n_train, row, &h);
    rc = rc ? rc : hash_sample_rows(f, path, info, "test", info->n_test, row, &h);
    free(row);
    H5Fclose(f);
    rc = rc ? rc : sha256_final_hex(&h, hex);
    sha256_free(&h);
    return rc;
}
