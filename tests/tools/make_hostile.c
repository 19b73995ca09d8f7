/* make_hostile: the generated half of the hostile-input corpus
 * (tests/hostile/cases.txt says what each file must be refused with):
 *   make_hostile OUTDIR
 * writes into OUTDIR
 *   ok-data.h5, ok-model.h5      valid files the cases need as partners
 *   ds-*.h5    datasets: truncated, wrong dtypes and shapes, bad labels,
 *              too few rows, absurd dimensions, bad format attributes
 *   ckpt-*.h5  checkpoints: another format version or architecture, lying
 *              shapes, absurd sizes, bad checksum, non-finite state
 *   idx-NAME/  MNIST directories (the four IDX files) with one file broken
 *   csv-*.csv  the book's CSV with wrong value counts and non-numbers
 *   png-*.png  truncated, bad CRC, wrong signature, absurd dimensions...
 *   cfg-*.ini  the configs awkward to commit: a NUL byte, over 1 MiB, a
 *              path longer than nnmpi keeps (the small ones are committed
 *              in tests/hostile/files)
 * Binary cases are made here rather than committed: what is wrong with each
 * is then written down in code, next to the valid file it started from. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/config.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "nnmpi/image.h"
#include "nnmpi/rng.h"
#include "testutil.h"

static const char *out_dir;

static const char *out(const char *name)
{
    return testutil_path(out_dir, name);
}

static int fail(const char *what)
{
    return error_set("cannot make %s%s%s", what, error_message()[0] ? ": " : "",
                     error_message());
}

/* ------------------------------------------------------------- helpers */

static uint8_t *slurp(const char *path, size_t *n)
{
    return testutil_read_file(path, n);
}

/* A copy of src cut to `keep` bytes. */
static int truncated_copy(const char *src, const char *dst, size_t keep)
{
    size_t n;
    uint8_t *b = slurp(src, &n);
    int rc = b && keep < n ? testutil_write_file(dst, b, keep) : -1;
    free(b);
    return rc;
}

/* Synthetic digits [n, 28, 28] and labels [n]. */
static int make_set(imageset_t *set, int n, uint64_t seed)
{
    if (imageset_alloc(set, n, 28, 28) < 0)
        return -1;
    testutil_synthetic_digits(set->pixels, set->labels, n, seed);
    return 0;
}

/* ------------------------------------------------------------- datasets */

enum { N_TRAIN = 64, N_TEST = 32 };

static int write_ok_dataset(const char *path, int n_train)
{
    imageset_t tr, te;
    if (make_set(&tr, n_train, 11) < 0 || make_set(&te, N_TEST, 12) < 0)
        return -1;
    int32_t *origin = calloc((size_t)n_train, sizeof *origin);
    float *angle = calloc((size_t)n_train, sizeof *angle);
    dataset_contents_t c = {.train = &tr, .origin = origin, .angle = angle, .test = &te,
                            .source = "make_hostile", .augmentation = "none"};
    int rc = origin && angle ? dataset_write(path, &c) : -1;
    free(origin);
    free(angle);
    imageset_free(&tr);
    imageset_free(&te);
    return rc;
}

/* One dataset of a hand-made file: `type` in the file, the data (uint8 in
 * memory, converted by HDF5) or NULL to leave it unwritten (chunked, so a
 * huge declared shape costs nothing on disk). */
static int h5_array(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                    const uint8_t *data)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (!data) {
        hsize_t chunk[3] = {1, rank > 1 ? dims[1] : 1, rank > 2 ? dims[2] : 1};
        H5Pset_chunk(dcpl, rank, chunk);
    }
    hid_t ds = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = ds >= 0 && (!data || H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL,
                                           H5P_DEFAULT, data) >= 0) ? 0 : -1;
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    return rc;
}

typedef enum {
    DS_IMAGES_FLOAT,   /* /train/images float32 */
    DS_LABELS_INT32,   /* /train/labels int32 */
    DS_LABELS_SIGNED,  /* /train/labels int8 holding -1 */
    DS_IMAGES_2D,      /* /train/images [n, 784] */
    DS_IMAGES_27,      /* 27x27 images */
    DS_LABEL_COUNT,    /* one label fewer than images */
    DS_TEST_LABEL_200, /* a test label 200 */
    DS_TRAIN_LABEL_11, /* the last training label 11 (only the last rank sees it) */
    DS_EMPTY_TRAIN,    /* [0, 28, 28] */
    DS_ABSURD_ROWS,    /* declares 2^40 training rows */
    DS_NO_FORMAT,      /* no format attribute */
    DS_VERSION_99,     /* format_version 99 */
    DS_FORMAT_ARRAY,   /* the format attribute is an array of 3 strings */
    DS_FORMAT_NUMBER,  /* the format attribute is a number */
} ds_variant_t;

static int write_str_array_attr(hid_t loc, const char *name, const char *value, hsize_t n)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    hid_t space = H5Screate_simple(1, &n, NULL);
    char *buf = calloc(n, strlen(value) + 1);
    for (hsize_t i = 0; buf && i < n; i++)
        strcpy(buf + i * (strlen(value) + 1), value);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = buf && a >= 0 && H5Awrite(a, type, buf) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    free(buf);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

static int write_dataset_variant(const char *name, ds_variant_t v)
{
    imageset_t tr, te;
    if (make_set(&tr, N_TRAIN, 21) < 0 || make_set(&te, N_TEST, 22) < 0)
        return fail(name);
    hid_t f = h5_create(out(name));
    if (f < 0)
        return fail(name);
    int rc = 0;
    if (v == DS_FORMAT_ARRAY)
        rc |= write_str_array_attr(f, "format", DATASET_FORMAT, 3);
    else if (v == DS_FORMAT_NUMBER)
        rc |= h5_attr_write_i64(f, "format", 42);
    else if (v != DS_NO_FORMAT)
        rc |= h5_attr_write_str(f, "format", DATASET_FORMAT);
    rc |= h5_attr_write_i64(f, "format_version", v == DS_VERSION_99 ? 99 : DATASET_VERSION);
    rc |= h5_attr_write_str(f, "augmentation", "none");
    if (v == DS_TEST_LABEL_200)
        te.labels[7] = 200;
    if (v == DS_TRAIN_LABEL_11)
        tr.labels[N_TRAIN - 1] = 11;
    for (int split = 0; split < 2 && !rc; split++) {
        const imageset_t *s = split ? &te : &tr;
        hid_t g = H5Gcreate2(f, split ? "test" : "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t n = (hsize_t)s->count, dims[3] = {n, 28, 28}, ldims = n;
        hid_t itype = H5T_STD_U8LE, ltype = H5T_STD_U8LE;
        int irank = 3;
        const uint8_t *pixels = s->pixels, *labels = s->labels;
        uint8_t signed_labels[N_TRAIN];
        if (!split) {
            switch (v) {
            case DS_IMAGES_FLOAT: itype = H5T_IEEE_F32LE; break;
            case DS_LABELS_INT32: ltype = H5T_STD_I32LE; break;
            case DS_LABELS_SIGNED:
                ltype = H5T_STD_I8LE;
                memcpy(signed_labels, labels, N_TRAIN);
                signed_labels[3] = 0xff; /* -1 as int8 */
                labels = signed_labels;
                break;
            case DS_IMAGES_2D: irank = 2; dims[1] = 784; break;
            case DS_IMAGES_27: dims[1] = dims[2] = 27; break;
            case DS_LABEL_COUNT: ldims = n - 1; break;
            case DS_EMPTY_TRAIN: dims[0] = ldims = 0; pixels = labels = NULL; break;
            case DS_ABSURD_ROWS:
                dims[0] = ldims = (hsize_t)1 << 40;
                pixels = labels = NULL;
                break;
            default: break;
            }
        }
        if (v == DS_LABELS_SIGNED && !split) {
            /* write the raw int8 bytes as they are */
            hid_t space = H5Screate_simple(1, &ldims, NULL);
            hid_t ds = H5Dcreate2(g, "labels", ltype, space, H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT);
            rc |= ds < 0 || H5Dwrite(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                     labels) < 0;
            if (ds >= 0)
                H5Dclose(ds);
            H5Sclose(space);
            rc |= h5_array(g, "images", itype, irank, dims, pixels);
        } else if (dims[0] == 0) {
            hid_t space = H5Screate_simple(3, dims, NULL), lspace = H5Screate_simple(1, &ldims, NULL);
            hid_t a = H5Dcreate2(g, "images", itype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            hid_t b = H5Dcreate2(g, "labels", ltype, lspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            rc |= a < 0 || b < 0;
            if (a >= 0)
                H5Dclose(a);
            if (b >= 0)
                H5Dclose(b);
            H5Sclose(space);
            H5Sclose(lspace);
        } else {
            uint8_t *small = NULL; /* 27x27 pixels: take the top-left of each */
            if (dims[1] == 27) {
                small = calloc(n * 27 * 27, 1);
                pixels = small;
            }
            rc |= h5_array(g, "images", itype, irank, dims, pixels);
            rc |= h5_array(g, "labels", ltype, 1, &ldims, labels);
            free(small);
        }
        H5Gclose(g);
    }
    if (H5Fclose(f) < 0)
        rc = -1;
    imageset_free(&tr);
    imageset_free(&te);
    return rc ? fail(name) : 0;
}

static int write_datasets(void)
{
    static const struct {
        const char *name;
        ds_variant_t v;
    } variants[] = {
        {"ds-images-float32.h5", DS_IMAGES_FLOAT},
        {"ds-labels-int32.h5", DS_LABELS_INT32},
        {"ds-labels-signed.h5", DS_LABELS_SIGNED},
        {"ds-images-2d.h5", DS_IMAGES_2D},
        {"ds-images-27x27.h5", DS_IMAGES_27},
        {"ds-label-count.h5", DS_LABEL_COUNT},
        {"ds-test-label-200.h5", DS_TEST_LABEL_200},
        {"ds-train-label-11.h5", DS_TRAIN_LABEL_11},
        {"ds-empty-train.h5", DS_EMPTY_TRAIN},
        {"ds-absurd-rows.h5", DS_ABSURD_ROWS},
        {"ds-no-format.h5", DS_NO_FORMAT},
        {"ds-version-99.h5", DS_VERSION_99},
        {"ds-format-array.h5", DS_FORMAT_ARRAY},
        {"ds-format-number.h5", DS_FORMAT_NUMBER},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        if (write_dataset_variant(variants[i].name, variants[i].v) < 0)
            return -1;
    if (write_ok_dataset(out("ok-data.h5"), N_TRAIN) < 0 ||
        write_ok_dataset(out("ds-three-rows.h5"), 3) < 0)
        return fail("ok-data.h5");
    size_t n;
    uint8_t *b = slurp(out("ok-data.h5"), &n);
    free(b);
    if (!b || truncated_copy(out("ok-data.h5"), out("ds-truncated-half.h5"), n / 2) < 0 ||
        truncated_copy(out("ok-data.h5"), out("ds-truncated-2k.h5"), 2048) < 0)
        return fail("ds-truncated");
    return 0;
}

/* ---------------------------------------------------------- checkpoints */

/* A valid checkpoint of a 784-hidden-10 net whose stored configuration
 * says config_hidden (they differ only in the "architecture" cases). */
static int write_model(const char *path, int hidden, int config_hidden)
{
    net_t net;
    if (net_init(&net, 784, hidden, 10) < 0)
        return -1;
    rng_t rng;
    rng_seed(&rng, 5, 0);
    net_init_weights(&net, &rng);
    config_t cfg;
    config_defaults(&cfg);
    cfg.hidden = config_hidden;
    snprintf(cfg.data_file, sizeof cfg.data_file, "%s", out("ok-data.h5"));
    ckpt_meta_t meta = {.epoch = 1, .seed = 1, .world_size = 1, .rule = NET_RULE_BOOK,
                        .config_text = config_to_text(&cfg), .elapsed_s = 1.0,
                        .data_rows = N_TRAIN, .data_id = "make_hostile"};
    metrics_row_t row = {1, 0.2, 0.5, 0.5, 0.1, 1000, 1.0, 1};
    metrics_append(&meta.metrics, &row);
    int rc = meta.config_text ? ckpt_write(path, &net, &meta) : -1;
    free(meta.config_text);
    metrics_free(&meta.metrics);
    net_free(&net);
    return rc;
}

/* Opens a copy of ok-model.h5 called name for editing. */
static hid_t edit_copy(const char *name)
{
    size_t n;
    uint8_t *b = slurp(out("ok-model.h5"), &n);
    int rc = b ? testutil_write_file(out(name), b, n) : -1;
    free(b);
    if (rc)
        return -1;
    return H5Fopen(out(name), H5F_ACC_RDWR, H5P_DEFAULT);
}

static int set_attr_i64(hid_t f, const char *group, const char *name, int64_t v)
{
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    int rc = g >= 0 ? h5_attr_write_i64(g, name, v) : -1;
    if (g >= 0)
        H5Gclose(g);
    return rc;
}

static int write_checkpoints(void)
{
    if (write_model(out("ok-model.h5"), 20, 20) < 0 ||
        write_model(out("ckpt-hidden-50.h5"), 50, 50) < 0 ||
        write_model(out("ckpt-config-lies.h5"), 50, 200) < 0)
        return fail("a model");
    int rc = 0;
    hid_t f;
    /* another format version */
    rc |= (f = edit_copy("ckpt-version-99.h5")) < 0 || h5_attr_write_i64(f, "format_version", 99);
    if (f >= 0)
        H5Fclose(f);
    /* n_hidden says 200, the matrices are [20, 784] and [10, 20] */
    rc |= (f = edit_copy("ckpt-shape-lies.h5")) < 0 || set_attr_i64(f, "net", "n_hidden", 200);
    if (f >= 0)
        H5Fclose(f);
    /* absurd sizes: 2^20 x 2^20 (4 TiB of weights), declared only */
    rc |= (f = edit_copy("ckpt-absurd-size.h5")) < 0 ||
          set_attr_i64(f, "net", "n_in", 1 << 20) || set_attr_i64(f, "net", "n_hidden", 1 << 20);
    if (f >= 0) {
        hsize_t dims[2] = {(hsize_t)1 << 20, (hsize_t)1 << 20};
        H5Ldelete(f, "/net/w_ih", H5P_DEFAULT);
        H5Ldelete(f, "/net/w_ho", H5P_DEFAULT);
        hid_t g = H5Gopen2(f, "net", H5P_DEFAULT);
        rc |= g < 0 || h5_array(g, "w_ih", H5T_IEEE_F32LE, 2, dims, NULL) < 0;
        dims[0] = 10;
        rc |= g < 0 || h5_array(g, "w_ho", H5T_IEEE_F32LE, 2, dims, NULL) < 0;
        if (g >= 0)
            H5Gclose(g);
        H5Fclose(f);
    }
    /* one weight changed after the checksum was taken */
    rc |= (f = edit_copy("ckpt-bad-checksum.h5")) < 0;
    if (f >= 0) {
        hid_t ds = H5Dopen2(f, "/net/w_ho", H5P_DEFAULT);
        float w[10 * 20];
        rc |= ds < 0 || H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w) < 0;
        w[17] += 0.5f;
        rc |= ds < 0 || H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w) < 0;
        if (ds >= 0)
            H5Dclose(ds);
        H5Fclose(f);
    }
    /* state that cannot be: NaN elapsed time, a negative sample count */
    rc |= (f = edit_copy("ckpt-nan-elapsed.h5")) < 0;
    if (f >= 0) {
        hid_t g = H5Gopen2(f, "train", H5P_DEFAULT);
        rc |= g < 0 || h5_attr_write_f64(g, "elapsed_s", NAN) < 0;
        if (g >= 0)
            H5Gclose(g);
        H5Fclose(f);
    }
    rc |= (f = edit_copy("ckpt-negative-count.h5")) < 0 ||
          set_attr_i64(f, "train", "epoch_count", -5);
    if (f >= 0)
        H5Fclose(f);
    /* the rule attribute as an array of strings */
    rc |= (f = edit_copy("ckpt-rule-array.h5")) < 0;
    if (f >= 0) {
        hid_t g = H5Gopen2(f, "net", H5P_DEFAULT);
        rc |= g < 0 || H5Adelete(g, "rule") < 0 || write_str_array_attr(g, "rule", "book", 4) < 0;
        if (g >= 0)
            H5Gclose(g);
        H5Fclose(f);
    }
    if (rc)
        return fail("the checkpoint variants");
    size_t n;
    uint8_t *b = slurp(out("ok-model.h5"), &n);
    free(b);
    if (!b || truncated_copy(out("ok-model.h5"), out("ckpt-truncated.h5"), n / 2) < 0)
        return fail("ckpt-truncated.h5");
    return 0;
}

/* ------------------------------------------------------------------ IDX */

typedef enum {
    IDX_MAGIC,        /* the training images file has the labels' magic */
    IDX_LYING_COUNT,  /* the images header promises 1000 images, holds 20 */
    IDX_ABSURD_DIMS,  /* 100000 x 100000 pixels per image */
    IDX_HUGE_COUNT,   /* 2^32-1 images */
    IDX_COUNT_MISMATCH, /* 19 labels for 20 images */
    IDX_LABEL_12,     /* a label 12 */
    IDX_SHORT,        /* an images file of 10 bytes */
    IDX_27X28,        /* 27x28 images, consistent */
    IDX_LABELS_LIE,   /* the labels header promises 40 labels, holds 20 */
    IDX_FLOAT,        /* the images file says its pixels are floats */
    IDX_GZ_CUT,       /* the images file gzip-compressed and cut in half */
} idx_variant_t;

/* Replaces path by path.gz holding its bytes, cut to half when `cut`. */
static int gzip_in_place(const char *path, int cut)
{
    size_t n;
    uint8_t *b = slurp(path, &n);
    char gz_path[4200];
    snprintf(gz_path, sizeof gz_path, "%s.gz", path);
    gzFile gz = b ? gzopen(gz_path, "wb") : NULL;
    int rc = !gz || gzwrite(gz, b, (unsigned)n) != (int)n;
    rc |= gz && gzclose(gz) != Z_OK;
    free(b);
    if (!rc && cut) {
        uint8_t *z = slurp(gz_path, &n);
        rc = !z || testutil_write_file(gz_path, z, n / 2) != 0;
        free(z);
    }
    return rc || unlink(path) != 0 ? -1 : 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int write_idx_dir(const char *name, idx_variant_t v)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", out_dir, name);
    if (mkdir(dir, 0777) != 0)
        return fail(name);
    enum { N = 20 };
    imageset_t tr, te;
    if (make_set(&tr, N, 31) < 0 || make_set(&te, N, 32) < 0)
        return fail(name);
    int rc = testutil_write_idx_images(testutil_path(dir, "t10k-images-idx3-ubyte"), te.pixels,
                                       N, 28, 28) ||
             testutil_write_idx_labels(testutil_path(dir, "t10k-labels-idx1-ubyte"), te.labels, N);
    uint32_t rows = v == IDX_27X28 ? 27 : 28;
    rc |= testutil_write_idx_images(testutil_path(dir, "train-images-idx3-ubyte"), tr.pixels,
                                    v == IDX_COUNT_MISMATCH ? N : N, rows, 28);
    if (v == IDX_LABEL_12)
        tr.labels[5] = 12;
    rc |= testutil_write_idx_labels(testutil_path(dir, "train-labels-idx1-ubyte"), tr.labels,
                                    v == IDX_COUNT_MISMATCH ? N - 1 : N);
    /* now damage a header in place */
    const char *images = testutil_path(dir, "train-images-idx3-ubyte");
    size_t n;
    uint8_t *b = slurp(images, &n);
    if (!b)
        rc = -1;
    else {
        switch (v) {
        case IDX_MAGIC: put_be32(b, 0x00000801); break;
        case IDX_LYING_COUNT: put_be32(b + 4, 1000); break;
        case IDX_ABSURD_DIMS: put_be32(b + 8, 100000); put_be32(b + 12, 100000); break;
        case IDX_HUGE_COUNT: put_be32(b + 4, 0xffffffffu); break;
        case IDX_SHORT: n = 10; break;
        case IDX_FLOAT: put_be32(b, 0x00000D03); break;
        default: break;
        }
        rc |= testutil_write_file(images, b, n);
        free(b);
    }
    if (v == IDX_LABELS_LIE) {
        const char *labels = testutil_path(dir, "train-labels-idx1-ubyte");
        b = slurp(labels, &n);
        if (b) {
            put_be32(b + 4, 40);
            rc |= testutil_write_file(labels, b, n);
            free(b);
        }
    }
    if (v == IDX_GZ_CUT)
        rc |= gzip_in_place(images, 1);
    imageset_free(&tr);
    imageset_free(&te);
    return rc ? fail(name) : 0;
}

static int write_idx_cases(void)
{
    static const struct {
        const char *name;
        idx_variant_t v;
    } variants[] = {
        {"idx-magic", IDX_MAGIC},         {"idx-lying-count", IDX_LYING_COUNT},
        {"idx-absurd-dims", IDX_ABSURD_DIMS}, {"idx-huge-count", IDX_HUGE_COUNT},
        {"idx-count-mismatch", IDX_COUNT_MISMATCH}, {"idx-label-12", IDX_LABEL_12},
        {"idx-short", IDX_SHORT},         {"idx-27x28", IDX_27X28},
        {"idx-labels-lie", IDX_LABELS_LIE}, {"idx-float", IDX_FLOAT},
        {"idx-gz-cut", IDX_GZ_CUT},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        if (write_idx_dir(variants[i].name, variants[i].v) < 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------------------ CSV */

/* A CSV file of 3 synthetic digits where line 2 is replaced by `bad`
 * (NULL: line 2 gets `pixels` pixel values instead of 784). */
static int write_csv_case(const char *name, int pixels, const char *bad)
{
    imageset_t set;
    if (make_set(&set, 3, 41) < 0)
        return fail(name);
    FILE *f = fopen(out(name), "wb");
    if (!f)
        return fail(name);
    for (int i = 0; i < 3; i++) {
        if (i == 1 && bad) {
            fprintf(f, "%s\n", bad);
            continue;
        }
        int np = i == 1 ? pixels : 784;
        fprintf(f, "%d", set.labels[i]);
        for (int p = 0; p < np; p++)
            fprintf(f, ",%d", imageset_image(&set, i)[p % 784]);
        fputc('\n', f);
    }
    imageset_free(&set);
    return fclose(f) == 0 ? 0 : fail(name);
}

/* A whole line: label, then 784 values, one of them (index 100) `value`. */
static char *line_with(const char *label, const char *value)
{
    size_t cap = 784 * 8 + 64;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t used = (size_t)snprintf(s, cap, "%s", label);
    for (int p = 0; p < 784; p++)
        used += (size_t)snprintf(s + used, cap - used, ",%s", p == 100 ? value : "0");
    return s;
}

static int write_csv_cases(void)
{
    static const struct {
        const char *name, *label, *value;
    } bad[] = {
        {"csv-not-a-number.csv", "3", "12a"},
        {"csv-negative.csv", "3", "-3"},
        {"csv-fraction.csv", "3", "1.5"},
        {"csv-pixel-256.csv", "3", "256"},
        {"csv-label-10.csv", "10", "0"},
        {"csv-label-300.csv", "300", "0"},
        {"csv-huge-number.csv", "3", "99999999999999999999999"},
    };
    int rc = write_csv_case("csv-783-pixels.csv", 783, NULL) ||
             write_csv_case("csv-785-pixels.csv", 785, NULL) ||
             write_csv_case("csv-ok.csv", 784, NULL);
    for (size_t i = 0; !rc && i < sizeof bad / sizeof bad[0]; i++) {
        char *line = line_with(bad[i].label, bad[i].value);
        rc = !line || write_csv_case(bad[i].name, 784, line);
        free(line);
    }
    rc = rc || testutil_write_file(out("csv-empty.csv"), "", 0) ||
         testutil_write_file(out("csv-blank-lines.csv"), "\n  \n\r\n", 5) ||
         testutil_write_file(out("csv-binary.csv"), "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    return rc ? fail("the CSV cases") : 0;
}

/* ------------------------------------------------------------------ PNG */

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Offset of the length field of the first chunk called type (0 if none). */
static size_t find_chunk(const uint8_t *png, size_t n, const char *type)
{
    for (size_t at = 8; at + 12 <= n; at += 12 + get_be32(png + at))
        if (!memcmp(png + at + 4, type, 4))
            return at;
    return 0;
}

/* Recomputes the CRC of the chunk at `at` (length field offset). */
static void fix_crc(uint8_t *png, size_t at)
{
    uint32_t len = get_be32(png + at);
    uLong crc = crc32(0, png + at + 4, len + 4);
    put_be32(png + at + 8 + len, (uint32_t)crc);
}

static int write_png_cases(void)
{
    /* the valid picture: a dark bar on white, 28x28 */
    image_t img;
    if (image_alloc(&img, 28, 28) < 0)
        return fail("png");
    memset(img.pixels, 255, 28 * 28);
    for (int y = 6; y < 22; y++)
        for (int x = 12; x < 16; x++)
            img.pixels[y * 28 + x] = 0;
    int rc = image_write_png(out("png-ok.png"), &img, 1, IMAGE_HIGH_LIGHT);
    memset(img.pixels, 255, 28 * 28);
    rc |= image_write_png(out("png-blank.png"), &img, 1, IMAGE_HIGH_LIGHT);
    image_free(&img);
    size_t n;
    uint8_t *png = slurp(out("png-ok.png"), &n);
    if (rc || !png)
        return fail("png-ok.png");
    uint8_t *c = malloc(n);
    size_t ihdr = find_chunk(png, n, "IHDR"), idat = find_chunk(png, n, "IDAT");
    uint32_t idat_len = get_be32(png + idat);

    rc |= testutil_write_file(out("png-truncated.png"), png, n / 2);
    rc |= testutil_write_file(out("png-truncated-header.png"), png, 20);
    rc |= testutil_write_file(out("png-empty.png"), "", 0);
    memcpy(c, png, n); /* IDAT's CRC off by one bit */
    c[idat + 8 + idat_len] ^= 1;
    rc |= testutil_write_file(out("png-bad-crc.png"), c, n);
    memcpy(c, png, n); /* wrong signature */
    c[1] = 'J';
    rc |= testutil_write_file(out("png-signature.png"), c, n);
    rc |= testutil_write_file(out("png-gif.png"), "GIF89a\x01\x00\x01\x00\x80\x00\x00", 13);
    memcpy(c, png, n); /* compressed data replaced by garbage, CRC made good */
    for (uint32_t k = 2; k < idat_len; k++)
        c[idat + 8 + k] = (uint8_t)(k * 131 + 7);
    fix_crc(c, idat);
    rc |= testutil_write_file(out("png-garbage-idat.png"), c, n);
    static const struct {
        const char *name;
        uint32_t w, h;
    } dims[] = {{"png-1x100000.png", 1, 100000}, {"png-100000x1.png", 100000, 1},
                {"png-100000x100000.png", 100000, 100000}, {"png-0x28.png", 0, 28},
                {"png-2p31x1.png", 0x80000000u, 1}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        memcpy(c, png, n);
        put_be32(c + ihdr + 8, dims[i].w);
        put_be32(c + ihdr + 12, dims[i].h);
        fix_crc(c, ihdr);
        rc |= testutil_write_file(out(dims[i].name), c, n);
    }
    free(c);
    free(png);
    return rc ? fail("the PNG cases") : 0;
}

/* --------------------------------------------------------------- config */

static int write_config_cases(void)
{
    static const char nul[] = "[train]\nlr = 0.1\0\nepochs = 2\n";
    int rc = testutil_write_file(out("cfg-nul-byte.ini"), nul, sizeof nul - 1);
    size_t big = (1u << 20) + 100;
    char *text = malloc(big + 1);
    if (!text)
        return fail("cfg-huge.ini");
    memcpy(text, "[train]\n", 8);
    for (size_t i = 8; i < big; i++)
        text[i] = i % 64 == 63 ? '\n' : ';'; /* comment lines */
    rc |= testutil_write_file(out("cfg-huge.ini"), text, big);
    int n = snprintf(text, big, "[data]\nfile = ");
    for (int i = 0; i < 2000; i++)
        text[n++] = i % 10 == 9 ? '/' : 'd';
    memcpy(text + n, "\n", 2);
    rc |= testutil_write_file(out("cfg-long-path.ini"), text, (size_t)n + 1);
    free(text);
    return rc ? fail("the config cases") : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_hostile OUTDIR\n");
        return 2;
    }
    h5_quiet();
    out_dir = argv[1];
    if (mkdir(out_dir, 0777) != 0 && access(out_dir, W_OK) != 0) {
        perror(out_dir);
        return 1;
    }
    int rc = write_datasets();
    rc = rc ? rc : write_checkpoints();
    rc = rc ? rc : write_idx_cases();
    rc = rc ? rc : write_csv_cases();
    rc = rc ? rc : write_png_cases();
    rc = rc ? rc : write_config_cases();
    if (rc) {
        fprintf(stderr, "make_hostile: %s\n", error_message());
        return 1;
    }
    return 0;
}
