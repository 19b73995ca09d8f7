/* Tests of the dataset module: a synthetic set written with dataset_write
 * reads back byte for byte, whole, as any range of rows or as shards (odd
 * sizes, several lane and rank counts), and every kind of damaged or
 * foreign file is refused with a message naming it. Files that
 * dataset_write would never produce are made here with the HDF5 API
 * directly. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "testutil.h"

enum { N_TRAIN = 1003, N_TEST = 57 };

static char *dir;
static const char *good;         /* the file written by dataset_write */
static imageset_t train, test;   /* what was written */
static int32_t origin[N_TRAIN];
static float angle[N_TRAIN];

static int suite_setup(void)
{
    h5_quiet();
    dir = testutil_tmpdir();
    if (!dir || imageset_alloc(&train, N_TRAIN, 28, 28) || imageset_alloc(&test, N_TEST, 28, 28))
        return -1;
    testutil_synthetic_digits(train.pixels, train.labels, N_TRAIN, 1);
    testutil_synthetic_digits(test.pixels, test.labels, N_TEST, 2);
    for (int i = 0; i < N_TRAIN; i++) {
        origin[i] = (i * 7919) % N_TRAIN;
        angle[i] = (float)((i % 3) - 1) * 10.0f;
    }
    static char path[4096];
    snprintf(path, sizeof path, "%s/set.h5", dir);
    good = path;
    dataset_contents_t c = {
        .train = &train, .origin = origin, .angle = angle, .test = &test,
        .source = "synthetic:test", .source_sha256 = "a=00ff;b=1234",
        .augmentation = "rotations=-10,10", .shuffle_seed = 987654321,
    };
    return dataset_write(good, &c);
}

static void test_info(void)
{
    dataset_info_t info;
    CU_ASSERT_EQUAL_FATAL(dataset_info(good, &info), 0);
    CU_ASSERT_EQUAL(info.version, DATASET_VERSION_MNIST);
    CU_ASSERT_EQUAL(info.n_train, N_TRAIN);
    CU_ASSERT_EQUAL(info.n_test, N_TEST);
    CU_ASSERT_EQUAL(info.height, 28);
    CU_ASSERT_EQUAL(info.width, 28);
    CU_ASSERT_PTR_NOT_NULL_FATAL(info.source);
    CU_ASSERT_STRING_EQUAL(info.source, "synthetic:test");
    CU_ASSERT_PTR_NOT_NULL_FATAL(info.source_sha256);
    CU_ASSERT_STRING_EQUAL(info.source_sha256, "a=00ff;b=1234");
    CU_ASSERT_PTR_NOT_NULL_FATAL(info.augmentation);
    CU_ASSERT_STRING_EQUAL(info.augmentation, "rotations=-10,10");
    CU_ASSERT_EQUAL(info.shuffle_seed, 987654321);
    dataset_info_free(&info);
    dataset_info_free(&info); /* safe twice */

    /* origin and angle are stored as given (read with HDF5 directly) */
    hid_t f = H5Fopen(good, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    int32_t *o = malloc(sizeof origin);
    float *a = malloc(sizeof angle);
    hid_t ds = H5Dopen2(f, "/train/origin", H5P_DEFAULT);
    CU_ASSERT(ds >= 0 && H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, o) >= 0);
    H5Dclose(ds);
    ds = H5Dopen2(f, "/train/angle", H5P_DEFAULT);
    CU_ASSERT(ds >= 0 && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0);
    H5Dclose(ds);
    H5Fclose(f);
    CU_ASSERT_EQUAL(memcmp(o, origin, sizeof origin), 0);
    CU_ASSERT_EQUAL(memcmp(a, angle, sizeof angle), 0);
    free(o);
    free(a);

    /* no temporary file was left beside it */
    CU_ASSERT_EQUAL(testutil_count_tmp(dir), 0);
}

static void assert_same_set(const imageset_t *got, const imageset_t *want)
{
    CU_ASSERT_EQUAL_FATAL(got->count, want->count);
    CU_ASSERT_EQUAL(got->height, want->height);
    CU_ASSERT_EQUAL(got->width, want->width);
    CU_ASSERT_EQUAL(memcmp(got->pixels, want->pixels, (size_t)want->count * 784), 0);
    CU_ASSERT_EQUAL(memcmp(got->labels, want->labels, (size_t)want->count), 0);
}

static void test_read_split(void)
{
    imageset_t s;
    CU_ASSERT_EQUAL_FATAL(dataset_read_split(good, "train", &s), 0);
    assert_same_set(&s, &train);
    imageset_free(&s);
    CU_ASSERT_EQUAL_FATAL(dataset_read_split(good, "test", &s), 0);
    assert_same_set(&s, &test);
    imageset_free(&s);
}

static void test_shards_concatenate(void)
{
    const int lanes[] = {1, 4, 7, 32, 1003};
    uint8_t *pixels = malloc((size_t)N_TRAIN * 784), *labels = malloc(N_TRAIN);
    for (size_t a = 0; a < sizeof lanes / sizeof lanes[0]; a++)
        for (int P = 1; P <= 4 && P <= lanes[a]; P++) {
            int64_t at = 0;
            memset(pixels, 0xee, (size_t)N_TRAIN * 784);
            memset(labels, 0xee, N_TRAIN);
            for (int r = 0; r < P; r++) {
                shard_t sh;
                imageset_t s;
                CU_ASSERT_FATAL(shard_init(&sh, N_TRAIN, lanes[a], r, P) == 0);
                CU_ASSERT_EQUAL_FATAL(dataset_read_shard(good, &sh, &s), 0);
                CU_ASSERT_EQUAL_FATAL(s.count, sh.n_local);
                CU_ASSERT_EQUAL_FATAL(sh.row_first, at);
                CU_ASSERT_EQUAL(s.height, 28);
                CU_ASSERT_EQUAL(s.width, 28);
                memcpy(pixels + at * 784, s.pixels, (size_t)s.count * 784);
                memcpy(labels + at, s.labels, (size_t)s.count);
                at += s.count;
                imageset_free(&s);
            }
            CU_ASSERT_EQUAL(at, N_TRAIN);
            CU_ASSERT_EQUAL(memcmp(pixels, train.pixels, (size_t)N_TRAIN * 784), 0);
            CU_ASSERT_EQUAL(memcmp(labels, train.labels, N_TRAIN), 0);
        }
    free(pixels);
    free(labels);

    /* a shard plan made for another N is refused */
    shard_t sh;
    imageset_t s;
    CU_ASSERT_FATAL(shard_init(&sh, 1000, 8, 0, 2) == 0);
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_shard(good, &sh, &s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), good));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "1003"));
    CU_ASSERT_PTR_NULL(s.pixels);
}

/* Any range of training rows reads as those rows of the set; rows the
 * file does not have are refused, naming it and its count. */
static void test_train_rows(void)
{
    const int64_t ranges[][2] = {{0, 1}, {500, 1}, {N_TRAIN - 1, 1}, {7, 100}, {0, N_TRAIN}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        imageset_t s;
        int64_t first = ranges[i][0], count = ranges[i][1];
        CU_ASSERT_EQUAL_FATAL(dataset_read_train_rows(good, first, count, &s), 0);
        CU_ASSERT_EQUAL(s.count, count);
        CU_ASSERT_EQUAL(memcmp(s.pixels, imageset_image(&train, first), (size_t)count * 784), 0);
        CU_ASSERT_EQUAL(memcmp(s.labels, train.labels + first, (size_t)count), 0);
        imageset_free(&s);
    }
    const int64_t bad[][2] = {{N_TRAIN, 1}, {-1, 1}, {N_TRAIN - 1, 2}, {0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        imageset_t s;
        error_clear();
        CU_ASSERT_EQUAL(dataset_read_train_rows(good, bad[i][0], bad[i][1], &s), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), good));
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "it has 1003: 0..1002"));
        CU_ASSERT_PTR_NULL(s.pixels);
    }
}

/* The four readers all refuse path with a message naming it. */
static void assert_refused(const char *path, const char *also)
{
    dataset_info_t info;
    imageset_t s;
    shard_t sh;
    CU_ASSERT_FATAL(shard_init(&sh, 10, 2, 0, 1) == 0);
    error_clear();
    CU_ASSERT_EQUAL(dataset_info(path, &info), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
    if (also)
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), also));
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_split(path, "train", &s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
    CU_ASSERT_PTR_NULL(s.pixels);
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_shard(path, &sh, &s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
    CU_ASSERT_PTR_NULL(s.pixels);
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_train_rows(path, 0, 1, &s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
    CU_ASSERT_PTR_NULL(s.pixels);
}

/* A dataset made by hand: n images of h x w with labels i % 10, except that
 * image bad_at (if >= 0) gets label bad_label. */
static void write_raw(const char *path, const char *format, int64_t version, int n, int h,
                      int w, int bad_at, int bad_label)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    if (format)
        CU_ASSERT_FATAL(h5_attr_write_str(f, "format", format) == 0);
    CU_ASSERT_FATAL(h5_attr_write_i64(f, "format_version", version) == 0);
    uint8_t *px = calloc((size_t)n * h * w, 1), *lab = malloc((size_t)n);
    for (int i = 0; i < n; i++)
        lab[i] = (uint8_t)(i % 10);
    if (bad_at >= 0)
        lab[bad_at] = (uint8_t)bad_label;
    const char *splits[] = {"train", "test"};
    for (int s = 0; s < 2; s++) {
        hid_t g = H5Gcreate2(f, splits[s], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t d3[3] = {(hsize_t)n, (hsize_t)h, (hsize_t)w}, d1[1] = {(hsize_t)n};
        hid_t sp = H5Screate_simple(3, d3, NULL);
        hid_t ds = H5Dcreate2(g, "images", H5T_NATIVE_UINT8, sp, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT);
        CU_ASSERT_FATAL(H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, px) >= 0);
        H5Dclose(ds);
        H5Sclose(sp);
        sp = H5Screate_simple(1, d1, NULL);
        ds = H5Dcreate2(g, "labels", H5T_NATIVE_UINT8, sp, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
        CU_ASSERT_FATAL(H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab) >= 0);
        H5Dclose(ds);
        H5Sclose(sp);
        H5Gclose(g);
    }
    H5Fclose(f);
    free(px);
    free(lab);
}

static void test_hand_made_file_is_read(void)
{
    /* the hand-made writer itself makes a readable file: so the refusals
     * below are due to the one thing changed in each */
    const char *path = testutil_path(dir, "raw-good.h5");
    write_raw(path, DATASET_FORMAT, 1, 10, 28, 28, -1, 0);
    dataset_info_t info;
    CU_ASSERT_EQUAL(dataset_info(path, &info), 0);
    CU_ASSERT_EQUAL(info.n_train, 10);
    dataset_info_free(&info);
    imageset_t s;
    CU_ASSERT_EQUAL(dataset_read_split(path, "train", &s), 0);
    CU_ASSERT_EQUAL(s.count, 10);
    CU_ASSERT_EQUAL(s.labels[9], 9);
    imageset_free(&s);
    shard_t sh;
    shard_init(&sh, 10, 2, 1, 2);
    CU_ASSERT_EQUAL(dataset_read_shard(path, &sh, &s), 0);
    CU_ASSERT_EQUAL(s.count, 5);
    CU_ASSERT_EQUAL(s.labels[0], 5);
    imageset_free(&s);
}

static void test_missing_and_foreign_files(void)
{
    assert_refused(testutil_path(dir, "does-not-exist.h5"), NULL);

    const char *text = testutil_path(dir, "not-hdf5.h5");
    const char junk[] = "label,pixel0,pixel1\n5,0,0\n";
    CU_ASSERT_FATAL(testutil_write_file(text, junk, sizeof junk - 1) == 0);
    assert_refused(text, NULL);

    const char *empty = testutil_path(dir, "empty.h5");
    CU_ASSERT_FATAL(testutil_write_file(empty, "", 0) == 0);
    assert_refused(empty, NULL);
}

static void test_truncated_file(void)
{
    FILE *f = fopen(good, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *bytes = malloc((size_t)size);
    CU_ASSERT_FATAL(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    CU_ASSERT(size > 1003 * 784);
    /* cut at half, and just before the end */
    const long cuts[] = {size / 2, size - 100, 100};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "truncated%zu.h5", i);
        const char *path = testutil_path(dir, name);
        CU_ASSERT_FATAL(testutil_write_file(path, bytes, (size_t)cuts[i]) == 0);
        assert_refused(path, NULL);
    }
    free(bytes);
}

static void test_bad_labels(void)
{
    const char *path = testutil_path(dir, "labels.h5");
    write_raw(path, DATASET_FORMAT, 1, 10, 28, 28, 7, 10);
    imageset_t s;
    shard_t sh;
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_split(path, "train", &s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "label"));
    CU_ASSERT_PTR_NULL(s.pixels);
    for (int P = 1; P <= 2; P++) {
        int seen_bad = 0;
        for (int r = 0; r < P; r++) {
            shard_init(&sh, 10, 2, r, P);
            error_clear();
            int rc = dataset_read_shard(path, &sh, &s);
            /* only the rank holding row 7 sees it */
            int holds = 7 >= sh.row_first && 7 < sh.row_first + sh.n_local;
            CU_ASSERT_EQUAL(rc, holds ? -1 : 0);
            if (rc) {
                CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
                seen_bad++;
            }
            imageset_free(&s);
        }
        CU_ASSERT_EQUAL(seen_bad, 1);
    }
    path = testutil_path(dir, "labels255.h5");
    write_raw(path, DATASET_FORMAT, 1, 10, 28, 28, 0, 255);
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_split(path, "test", &s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
}

static void test_wrong_format_and_shape(void)
{
    const char *path = testutil_path(dir, "checkpoint-format.h5");
    write_raw(path, "nnmpi-checkpoint", 1, 10, 28, 28, -1, 0);
    assert_refused(path, "nnmpi-checkpoint");

    path = testutil_path(dir, "no-format.h5");
    write_raw(path, NULL, 1, 10, 28, 28, -1, 0);
    assert_refused(path, "format");

    path = testutil_path(dir, "future.h5");
    write_raw(path, DATASET_FORMAT, DATASET_VERSION + 1, 10, 28, 28, -1, 0);
    assert_refused(path, "version");

    path = testutil_path(dir, "small.h5");
    write_raw(path, DATASET_FORMAT, 1, 10, 27, 27, -1, 0);
    assert_refused(path, "27");

    path = testutil_path(dir, "tall.h5");
    write_raw(path, DATASET_FORMAT, 1, 10, 28, 29, -1, 0);
    assert_refused(path, "29");
}

/* Any size and number of classes, with names: version 2, read back. */
static void test_other_shape(void)
{
    imageset_t tr, te, s;
    CU_ASSERT_FATAL(imageset_alloc(&tr, 50, 20, 16) == 0 && imageset_alloc(&te, 7, 20, 16) == 0);
    for (int i = 0; i < 50; i++) {
        tr.labels[i] = (uint8_t)(i % 47);
        imageset_image(&tr, i)[i] = 200;
    }
    const char *path = testutil_path(dir, "other.h5");
    dataset_contents_t c = {.train = &tr, .test = &te, .source = "synthetic", .classes = 47,
                            .class_names = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,"
                                           "A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U"};
    CU_ASSERT_FATAL(dataset_write(path, &c) == 0);
    dataset_info_t info;
    CU_ASSERT_FATAL(dataset_info(path, &info) == 0);
    CU_ASSERT_EQUAL(info.version, 2);
    CU_ASSERT_EQUAL(info.height, 20);
    CU_ASSERT_EQUAL(info.width, 16);
    CU_ASSERT_EQUAL(info.classes, 47);
    CU_ASSERT_STRING_EQUAL(info.class_names, c.class_names);
    char hex[65];
    CU_ASSERT_EQUAL(dataset_sample_sha256(path, &info, hex), 0);
    dataset_info_free(&info);
    CU_ASSERT_FATAL(dataset_read_split(path, "train", &s) == 0);
    CU_ASSERT_EQUAL(memcmp(s.pixels, tr.pixels, 50 * 320), 0);
    CU_ASSERT_EQUAL(s.labels[46], 46);
    imageset_free(&s);
    c.classes = 46; /* label 46 is then out of range */
    c.class_names = NULL;
    CU_ASSERT_FATAL(dataset_write(path, &c) == 0);
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_split(path, "train", &s), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "label 46 of image 46 is outside 0..45"));
    imageset_free(&tr);
    imageset_free(&te);
}

int main(void)
{
    if (suite_setup() != 0) {
        fprintf(stderr, "cannot write the test dataset: %s\n", error_message());
        return 2;
    }
    static const testutil_case_t cases[] = {
        {"info reads sizes and attributes", test_info},
        {"read_split returns identical bytes", test_read_split},
        {"shards concatenate to the training set", test_shards_concatenate},
        {"any range of training rows, and only those there are", test_train_rows},
        {"a hand-made file reads", test_hand_made_file_is_read},
        {"missing and non-HDF5 files refused", test_missing_and_foreign_files},
        {"truncated files refused", test_truncated_file},
        {"labels outside 0..9 refused", test_bad_labels},
        {"wrong format, version, image size refused", test_wrong_format_and_shape},
        {"other sizes and classes, with names", test_other_shape},
        {NULL, NULL},
    };
    int rc = testutil_run("dataset", cases);
    imageset_free(&train);
    imageset_free(&test);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
