/* make_testdata: small input files for the end-to-end tests, made from the
 * synthetic digits of testutil (so the tests need no download):
 *   make_testdata idx DIR N_TRAIN N_TEST SEED   the four MNIST IDX files
 *   make_testdata csv DIR N_TRAIN N_TEST SEED   mnist_train.csv, mnist_test.csv
 *   make_testdata bad-label OUT.h5 N            dataset whose last training
 *                                               label is 11 (only the last
 *                                               rank's shard is damaged)
 *   make_testdata bad-shape OUT.h5              dataset of 27x27 training and
 *                                               28x28 test images
 *   make_testdata classes DIR HxW CLASSES N_TRAIN N_TEST SEED FLAGS
 *                                               the four IDX files of a
 *                                               clearly separable set: class
 *                                               c lights cell c of a grid,
 *                                               over grey noise; FLAGS: any
 *                                               of z (gzip the files), t
 *                                               (store the images transposed,
 *                                               as EMNIST), c (also
 *                                               train.csv, test.csv), or -
 *   make_testdata class-pngs DIR HxW CLASSES SCALE
 *                                               DIR/class-C.png: class C's
 *                                               cell drawn dark on white,
 *                                               SCALE times the size, as a
 *                                               person's picture of it
 *   make_testdata no-test OUT.h5                dataset without the /test
 *                                               group
 *   make_testdata touch-pixel FILE.h5           changes one pixel of the
 *                                               first training image in
 *                                               place (a copy that differs
 *                                               in content, not in header) */
#include <hdf5.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "nnmpi/image.h"
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
        for (int64_t p = 0; p < imageset_image_size(set); p++)
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
    if (imageset_alloc(&tr, 100, 27, 27) < 0 || imageset_alloc(&te, 10, 28, 28) < 0)
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

/* n images of h x w: image i is of class i % classes, the cell of that
 * class (a grid of about sqrt(classes) cells a side) lit 180..255 over
 * noise 0..60. */
static int make_classes(imageset_t *set, int n, int h, int w, int classes, uint64_t seed)
{
    if (imageset_alloc(set, n, h, w) < 0)
        return -1;
    int side = 1;
    while (side * side < classes)
        side++;
    uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
    for (int i = 0; i < n; i++) {
        int c = i % classes, cy = c / side, cx = c % side;
        uint8_t *img = imageset_image(set, i);
        set->labels[i] = (uint8_t)c;
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++) {
                x = x * 6364136223846793005ull + 1442695040888963407ull;
                int lit = y * side / h == cy && xx * side / w == cx;
                img[y * w + xx] = (uint8_t)(lit ? 180 + (x >> 58) : (x >> 58));
            }
    }
    return 0;
}

/* Writes path (path.gz when gz) with the bytes of buf. */
static int write_maybe_gz(const char *path, const uint8_t *buf, size_t n, int gz)
{
    if (!gz)
        return testutil_write_file(path, buf, n);
    char name[4200];
    snprintf(name, sizeof name, "%s.gz", path);
    gzFile f = gzopen(name, "wb");
    int rc = !f || gzwrite(f, buf, (unsigned)n) != (int)n;
    rc |= f && gzclose(f) != Z_OK;
    return rc ? error_set("cannot write %s", name) : 0;
}

/* One split's two IDX files; images transposed when `transposed`. */
static int write_idx_split(const char *dir, const char *prefix, imageset_t *set, int gz,
                           int transposed)
{
    if (transposed && imageset_transpose(set) < 0)
        return -1;
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte", dir, prefix);
    /* plain first, through the tests' own writer; then compressed in place */
    int rc = testutil_write_idx_images(images, set->pixels, (uint32_t)set->count,
                                       (uint32_t)set->height, (uint32_t)set->width) ||
             testutil_write_idx_labels(labels, set->labels, (uint32_t)set->count);
    const char *both[2] = {images, labels};
    for (int k = 0; k < 2 && !rc && gz; k++) {
        size_t n;
        uint8_t *b = testutil_read_file(both[k], &n);
        rc = !b || write_maybe_gz(both[k], b, n, 1) || unlink(both[k]);
        free(b);
    }
    if (transposed && imageset_transpose(set) < 0)
        return -1;
    return rc ? error_set("cannot write the IDX files into %s", dir) : 0;
}

static int write_classes(char **argv)
{
    const char *dir = argv[2], *flags = argv[8];
    int h = 0, w = 0, classes = atoi(argv[4]), n_train = atoi(argv[5]), n_test = atoi(argv[6]);
    if (sscanf(argv[3], "%dx%d", &h, &w) != 2 || h < 1 || w < 1 || classes < 2 ||
        classes > 256 || n_train < 1 || n_test < 1)
        return error_set("classes: bad size, classes or counts");
    uint64_t seed = strtoull(argv[7], NULL, 10);
    imageset_t tr, te;
    if (make_classes(&tr, n_train, h, w, classes, seed) < 0 ||
        make_classes(&te, n_test, h, w, classes, seed + 1) < 0)
        return -1;
    int gz = strchr(flags, 'z') != NULL, transposed = strchr(flags, 't') != NULL;
    int rc = write_idx_split(dir, "train", &tr, gz, transposed) ||
             write_idx_split(dir, "t10k", &te, gz, transposed);
    if (!rc && strchr(flags, 'c'))
        rc = write_csv_file(testutil_path(dir, "train.csv"), &tr) ||
             write_csv_file(testutil_path(dir, "test.csv"), &te);
    imageset_free(&tr);
    imageset_free(&te);
    return rc ? -1 : 0;
}

static int write_class_pngs(char **argv)
{
    int h = 0, w = 0, classes = atoi(argv[4]), scale = atoi(argv[5]);
    if (sscanf(argv[3], "%dx%d", &h, &w) != 2 || h < 1 || w < 1 || classes < 2 ||
        classes > 256 || scale < 1 || scale > 32)
        return error_set("class-pngs: bad size, classes or scale");
    imageset_t set;
    if (make_classes(&set, classes, h, w, classes, 1) < 0)
        return -1;
    int rc = 0;
    for (int c = 0; c < classes && !rc; c++) {
        uint8_t *img = imageset_image(&set, c);
        for (int i = 0; i < h * w; i++)
            img[i] = img[i] >= 180 ? 255 : 0; /* clean ink on clean paper */
        char name[64];
        snprintf(name, sizeof name, "class-%d.png", c);
        image_t picture = {h, w, img};
        rc = image_write_png(testutil_path(argv[2], name), &picture, scale, IMAGE_HIGH_DARK);
    }
    imageset_free(&set);
    return rc;
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
    else if (argc == 6 && !strcmp(argv[1], "class-pngs"))
        rc = write_class_pngs(argv);
    else if (argc == 9 && !strcmp(argv[1], "classes"))
        rc = write_classes(argv);
    else if (argc == 3 && !strcmp(argv[1], "touch-pixel"))
        rc = touch_pixel(argv[2]);
    else
        error_set("usage: make_testdata idx|csv DIR N_TRAIN N_TEST SEED | bad-label OUT N | "
                  "bad-shape OUT | no-test OUT | touch-pixel FILE | classes DIR HxW CLASSES N_TRAIN "
                  "N_TEST SEED FLAGS | class-pngs DIR HxW CLASSES SCALE");
    if (rc)
        fprintf(stderr, "make_testdata: %s\n", error_message());
    return rc ? 1 : 0;
}
