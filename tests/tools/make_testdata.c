/* make_testdata: small input files for the end-to-end tests, made from the
 * synthetic digits of testutil (so the tests need no download):
 *   make_testdata idx DIR N_TRAIN N_TEST SEED   the four MNIST IDX files
 *   make_testdata csv DIR N_TRAIN N_TEST SEED   mnist_train.csv, mnist_test.csv
 *   make_testdata bad-label OUT.h5 N            dataset whose last training
 *                                               label is 11 (only the last
 *                                               rank's shard is damaged)
 *   make_testdata bad-shape OUT.h5              dataset of 27x27 images
 *   make_testdata no-test OUT.h5                dataset without the /test
 *                                               group
 *   make_testdata touch-pixel FILE.h5           changes one pixel of the
 *                                               first training image in
 *                                               place (a copy that differs
 *                                               in content, not in header) */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "testutil.h"

static int make_set(imageset_t *set, int n, uint64_t seed)
{
    if (imageset_alloc(set, n, 28, 28) < 0)
        return -1;
    testutil_synthetic_digits(set->pixels, set->labels, n, seed);
    return 0;
}

static int write_idx(const char *dir, int n_train, int n_test, uint64_t seed)
{
    imageset_t tr, te;
    if (make_set(&tr, n_train, seed) < 0 || make_set(&te, n_test, seed + 1) < 0)
        return -1;
    int rc = testutil_write_idx_images(testutil_path(dir, "train-images-idx3-ubyte"), tr.pixels,
                                       (uint32_t)n_train, 28, 28) ||
             testutil_write_idx_labels(testutil_path(dir, "train-labels-idx1-ubyte"), tr.labels,
                                       (uint32_t)n_train) ||
             testutil_write_idx_images(testutil_path(dir, "t10k-images-idx3-ubyte"), te.pixels,
                                       (uint32_t)n_test, 28, 28) ||
             testutil_write_idx_labels(testutil_path(dir, "t10k-labels-idx1-ubyte"), te.labels,
                                       (uint32_t)n_test);
    imageset_free(&tr);
    imageset_free(&te);
    return rc ? error_set("cannot write IDX files into %s", dir) : 0;
}

static int write_csv_file(const char *path, const imageset_t *set)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return error_set("cannot write %s", path);
    for (int64_t i = 0; i < set->count; i++) {
        fprintf(f, "%d", set->labels[i]);
        for (int p = 0; p < 784; p++)
            fprintf(f, ",%d", imageset_image(set, i)[p]);
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : error_set("cannot write %s", path);
}

static int write_csv(const char *dir, int n_train, int n_test, uint64_t seed)
{
    imageset_t tr, te;
    if (make_set(&tr, n_train, seed) < 0 || make_set(&te, n_test, seed + 1) < 0)
        return -1;
    int rc = write_csv_file(testutil_path(dir, "mnist_train.csv"), &tr);
    rc = rc ? rc : write_csv_file(testutil_path(dir, "mnist_test.csv"), &te);
    imageset_free(&tr);
    imageset_free(&te);
    return rc;
}

static int write_dataset(const char *path, const imageset_t *train, const imageset_t *test)
{
    int32_t *origin = calloc((size_t)train->count, sizeof *origin);
    float *angle = calloc((size_t)train->count, sizeof *angle);
    dataset_contents_t c = {.train = train, .origin = origin, .angle = angle, .test = test,
                            .source = "make_testdata", .augmentation = "none"};
    int rc = origin && angle ? dataset_write(path, &c) : -1;
    free(origin);
    free(angle);
    return rc;
}

static int write_bad_label(const char *path, int n)
{
    imageset_t tr, te;
    if (make_set(&tr, n, 5) < 0 || make_set(&te, 50, 6) < 0)
        return -1;
    tr.labels[n - 1] = 11;
    int rc = write_dataset(path, &tr, &te);
    imageset_free(&tr);
    imageset_free(&te);
    return rc;
}

static int write_bad_shape(const char *path)
{
    imageset_t tr, te;
    if (imageset_alloc(&tr, 100, 27, 27) < 0 || imageset_alloc(&te, 10, 27, 27) < 0)
        return -1;
    int rc = write_dataset(path, &tr, &te);
    imageset_free(&tr);
    imageset_free(&te);
    return rc;
}

static int write_no_test(const char *path)
{
    imageset_t tr, te;
    if (make_set(&tr, 100, 5) < 0 || make_set(&te, 10, 6) < 0)
        return -1;
    int rc = write_dataset(path, &tr, &te);
    imageset_free(&tr);
    imageset_free(&te);
    hid_t f = rc ? -1 : H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f >= 0 && H5Ldelete(f, "/test", H5P_DEFAULT) < 0)
        rc = -1;
    if (f < 0 || H5Fclose(f) < 0)
        rc = -1;
    return rc ? error_set("%s: cannot write a dataset without /test", path) : 0;
}

static int touch_pixel(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, "/train/images", H5P_DEFAULT) : -1;
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t start[3] = {0, 14, 14}, count[3] = {1, 1, 1};
    hid_t one = H5Screate_simple(3, count, NULL);
    uint8_t v = 0;
    int rc = space >= 0 && H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dread(ds, H5T_NATIVE_UINT8, one, space, H5P_DEFAULT, &v) >= 0 ? 0 : -1;
    v = (uint8_t)(v ^ 0x80);
    if (!rc && H5Dwrite(ds, H5T_NATIVE_UINT8, one, space, H5P_DEFAULT, &v) < 0)
        rc = -1;
    H5Sclose(one);
    if (space >= 0)
        H5Sclose(space);
    if (ds >= 0)
        H5Dclose(ds);
    if (f < 0 || H5Fclose(f) < 0)
        rc = -1;
    return rc ? error_set("%s: cannot change a pixel", path) : 0;
}

int main(int argc, char **argv)
{
    h5_quiet();
    int rc = -1;
    if (argc == 6 && !strcmp(argv[1], "idx"))
        rc = write_idx(argv[2], atoi(argv[3]), atoi(argv[4]), strtoull(argv[5], NULL, 10));
    else if (argc == 6 && !strcmp(argv[1], "csv"))
        rc = write_csv(argv[2], atoi(argv[3]), atoi(argv[4]), strtoull(argv[5], NULL, 10));
    else if (argc == 4 && !strcmp(argv[1], "bad-label"))
        rc = write_bad_label(argv[2], atoi(argv[3]));
    else if (argc == 3 && !strcmp(argv[1], "bad-shape"))
        rc = write_bad_shape(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "no-test"))
        rc = write_no_test(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "touch-pixel"))
        rc = touch_pixel(argv[2]);
    else
        error_set("usage: make_testdata idx|csv DIR N_TRAIN N_TEST SEED | bad-label OUT N | "
                  "bad-shape OUT | no-test OUT | touch-pixel FILE");
    if (rc)
        fprintf(stderr, "make_testdata: %s\n", error_message());
    return rc ? 1 : 0;
}
