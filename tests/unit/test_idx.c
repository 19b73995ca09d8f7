/* idx: a round trip through small IDX files, and every kind of damaged file
 * refused with a message that names it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nnmpi/error.h"
#include "nnmpi/idx.h"
#include "testutil.h"

enum { N = 3, ROWS = 5, COLS = 4 };

static char *dir;
static char images[4096], labels[4096];
static uint8_t pixels[N * ROWS * COLS];
static const uint8_t good_labels[N] = {7, 0, 9};

/* Fresh directory with a good images and labels file. */
static void setup(void)
{
    dir = testutil_tmpdir();
    CU_ASSERT_FATAL(dir != NULL);
    snprintf(images, sizeof images, "%s", testutil_path(dir, "x-images-idx3-ubyte"));
    snprintf(labels, sizeof labels, "%s", testutil_path(dir, "x-labels-idx1-ubyte"));
    for (int i = 0; i < N * ROWS * COLS; i++)
        pixels[i] = (uint8_t)(i * 13 + 1);
    CU_ASSERT_FATAL(testutil_write_idx_images(images, pixels, N, ROWS, COLS) == 0);
    CU_ASSERT_FATAL(testutil_write_idx_labels(labels, good_labels, N) == 0);
}

static void teardown(void)
{
    testutil_rmtree(dir);
    free(dir);
    dir = NULL;
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* Writes an images file with the given header fields and body bytes of pixels. */
static void write_images_raw(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
                             size_t body)
{
    uint8_t *buf = calloc(16 + body, 1);
    CU_ASSERT_FATAL(buf != NULL);
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    put_be32(buf + 8, rows);
    put_be32(buf + 12, cols);
    memcpy(buf + 16, pixels, body < sizeof pixels ? body : sizeof pixels);
    CU_ASSERT_FATAL(testutil_write_file(images, buf, 16 + body) == 0);
    free(buf);
}

/* idx_read must fail, leave the set empty, and name `path` in the message
 * together with `fragment`. */
static void expect_failure(const char *path, const char *fragment)
{
    imageset_t set;
    error_clear();
    CU_ASSERT_EQUAL(idx_read(images, labels, &set), -1);
    CU_ASSERT_PTR_NULL(set.pixels);
    CU_ASSERT_PTR_NULL(set.labels);
    const char *msg = error_message();
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
    const char *want = fragment ? fragment : "";
    if (!strstr(msg, want))
        fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", msg, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
    imageset_free(&set);
}

static void test_round_trip(void)
{
    setup();
    imageset_t set;
    CU_ASSERT_FATAL(idx_read(images, labels, &set) == 0);
    CU_ASSERT_EQUAL(set.count, N);
    CU_ASSERT_EQUAL(set.height, ROWS);
    CU_ASSERT_EQUAL(set.width, COLS);
    CU_ASSERT_EQUAL(memcmp(set.pixels, pixels, sizeof pixels), 0);
    CU_ASSERT_EQUAL(memcmp(set.labels, good_labels, N), 0);
    CU_ASSERT_EQUAL(imageset_image(&set, 2)[0], pixels[2 * ROWS * COLS]);
    imageset_free(&set);
    imageset_free(&set); /* twice is safe */
    CU_ASSERT_PTR_NULL(set.pixels);
    teardown();
}

static void test_wrong_magic(void)
{
    setup();
    write_images_raw(0x12345678, N, ROWS, COLS, sizeof pixels);
    expect_failure(images, "not an IDX images file (magic 0x12345678, expected 0x00000803)");
    teardown();

    /* the two files swapped */
    setup();
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", images);
    snprintf(images, sizeof images, "%s", labels);
    snprintf(labels, sizeof labels, "%s", tmp);
    expect_failure(images, "not an IDX images file (magic 0x00000801");
    teardown();

    setup();
    CU_ASSERT_FATAL(testutil_write_idx_images(labels, pixels, N, ROWS, COLS) == 0);
    expect_failure(labels, "not an IDX labels file (magic 0x00000803, expected 0x00000801)");
    teardown();
}

static void test_truncated(void)
{
    setup(); /* shorter than the header itself */
    CU_ASSERT_FATAL(testutil_write_file(images, "\0\0\x08\x03\0\0", 6) == 0);
    expect_failure(images, "too short");
    teardown();

    setup(); /* the last image cut in half */
    write_images_raw(0x803, N, ROWS, COLS, sizeof pixels - 10);
    expect_failure(images, "header promises 60 bytes of pixels but the file holds 50");
    teardown();

    setup(); /* labels cut short */
    CU_ASSERT_FATAL(testutil_write_idx_labels(labels, good_labels, N) == 0);
    {
        uint8_t buf[8 + N - 1];
        put_be32(buf, 0x801);
        put_be32(buf + 4, N);
        memcpy(buf + 8, good_labels, N - 1);
        CU_ASSERT_FATAL(testutil_write_file(labels, buf, sizeof buf) == 0);
    }
    expect_failure(labels, "header promises 3 labels but the file holds 2");
    teardown();

    setup(); /* an empty file */
    CU_ASSERT_FATAL(testutil_write_file(images, "", 0) == 0);
    expect_failure(images, "too short");
    teardown();
}

static void test_lying_header(void)
{
    setup(); /* promises a million images, holds three */
    write_images_raw(0x803, 1000000, ROWS, COLS, sizeof pixels);
    expect_failure(images, "header promises 20000000 bytes of pixels but the file holds 60");
    teardown();

    setup(); /* promises fewer bytes than it holds */
    write_images_raw(0x803, N - 1, ROWS, COLS, sizeof pixels);
    expect_failure(images, "header promises 40 bytes of pixels but the file holds 60");
    teardown();

    setup(); /* absurd dimensions must not turn into a huge allocation */
    write_images_raw(0x803, 0xffffffffu, 0xffffffffu, 0xffffffffu, sizeof pixels);
    expect_failure(images, "implausible dimensions");
    teardown();

    setup();
    write_images_raw(0x803, N, 0, COLS, sizeof pixels);
    expect_failure(images, "implausible dimensions");
    teardown();

    setup();
    write_images_raw(0x803, 0, ROWS, COLS, 0);
    expect_failure(images, "implausible dimensions");
    teardown();

    setup();
    write_images_raw(0x803, 1, 2048, 1, 2048);
    expect_failure(images, "implausible dimensions");
    teardown();
}

static void test_count_mismatch(void)
{
    setup();
    CU_ASSERT_FATAL(testutil_write_idx_labels(labels, good_labels, N - 1) == 0);
    expect_failure(labels, "holds 2 labels but");
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), images));
    teardown();
}

/* The reader takes any byte as a label; the classes are checked after. */
static void test_bad_label(void)
{
    setup();
    const uint8_t bad[N] = {3, 10, 1};
    CU_ASSERT_FATAL(testutil_write_idx_labels(labels, bad, N) == 0);
    imageset_t set;
    CU_ASSERT_FATAL(idx_read(images, labels, &set) == 0);
    CU_ASSERT_EQUAL(imageset_classes(&set), 11);
    CU_ASSERT_EQUAL(imageset_check_labels(&set, labels, 10), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), labels));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "label 10 of image 1 is outside 0..9"));
    imageset_free(&set);
    teardown();
}

/* Writes len bytes of the file at path as path.gz (then removes path);
 * keep: how many of the compressed bytes to keep (-1: all). */
static void gzip_file(const char *path, long keep)
{
    FILE *in = fopen(path, "rb");
    CU_ASSERT_FATAL(in != NULL);
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    char gz_path[4200];
    snprintf(gz_path, sizeof gz_path, "%s.gz", path);
    gzFile gz = gzopen(gz_path, "wb9");
    CU_ASSERT_FATAL(gz != NULL);
    CU_ASSERT_FATAL(gzwrite(gz, buf, (unsigned)n) == (int)n);
    CU_ASSERT_FATAL(gzclose(gz) == Z_OK);
    unlink(path);
    if (keep >= 0)
        CU_ASSERT_FATAL(truncate(gz_path, keep) == 0);
}

/* .gz files read as the plain ones, found by idx_mnist_paths when only
 * the .gz exists; a cut .gz, a lying header in one, a wrong data type. */
static void test_gzip(void)
{
    setup();
    gzip_file(images, -1);
    gzip_file(labels, -1);
    strcat(images, ".gz"); /* the test directory's paths are short */
    strcat(labels, ".gz");
    imageset_t set;
    CU_ASSERT_FATAL(idx_read(images, labels, &set) == 0);
    CU_ASSERT_EQUAL(set.count, N);
    CU_ASSERT_EQUAL(memcmp(set.pixels, pixels, sizeof pixels), 0);
    CU_ASSERT_EQUAL(memcmp(set.labels, good_labels, N), 0);
    imageset_free(&set);

    /* a cut .gz: the body ends early */
    snprintf(images, sizeof images, "%s", testutil_path(dir, "train-images-idx3-ubyte"));
    write_images_raw(0x00000803, N, ROWS, COLS, sizeof pixels);
    gzip_file(images, 30);
    strcat(images, ".gz");
    expect_failure(images, "truncated .gz file?");

    /* a header promising far more than a .gz of its size can hold */
    snprintf(images, sizeof images, "%s", testutil_path(dir, "big-images"));
    write_images_raw(0x00000803, 60000, 1000, 1000, sizeof pixels);
    gzip_file(images, -1);
    strcat(images, ".gz");
    expect_failure(images, "a gzip file of");

    /* floats, not bytes */
    snprintf(images, sizeof images, "%s", testutil_path(dir, "float-images"));
    write_images_raw(0x00000D03, N, ROWS, COLS, sizeof pixels);
    expect_failure(images, "an IDX file of type 0x0D (float); nnmpi reads unsigned bytes");

    char im[4200], lb[4200];
    CU_ASSERT_EQUAL(idx_mnist_paths(dir, "train", im, lb, sizeof im), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(im, "train-images-idx3-ubyte.gz"));
    CU_ASSERT_PTR_NOT_NULL(strstr(lb, "train-labels-idx1-ubyte")); /* neither exists */
    CU_ASSERT_PTR_NULL(strstr(lb, ".gz"));
    teardown();
}

/* A .gz cut after the data its header promises, in its 8-byte trailer:
 * zlib hands out every byte, and only the missing end (no checksum
 * checked) shows the damage. Accepted before fuzz_idx_gz found it. */
static void test_gzip_without_trailer(void)
{
    setup();
    gzip_file(images, -1);
    strcat(images, ".gz");
    struct stat st;
    CU_ASSERT_FATAL(stat(images, &st) == 0);
    CU_ASSERT_FATAL(truncate(images, st.st_size - 4) == 0);   /* the length, not the CRC */
    expect_failure(images, "the gzip data stops before its end, after the 60 bytes of pixels");
    CU_ASSERT_FATAL(truncate(images, st.st_size - 8) == 0);   /* the whole trailer */
    expect_failure(images, "its checksum is missing (truncated .gz file?)");
    teardown();
}

/* Too many bytes after the body: refused, not ignored. */
static void test_trailing_bytes(void)
{
    setup();
    write_images_raw(0x00000803, N, ROWS, COLS, sizeof pixels + 1);
    gzip_file(images, -1);
    strcat(images, ".gz");
    expect_failure(images, "holds more than the 60 bytes of pixels its header promises");
    teardown();
}

/* EMNIST's transposed images come back upright. */
static void test_transpose(void)
{
    setup();
    imageset_t set;
    CU_ASSERT_FATAL(idx_read(images, labels, &set) == 0);
    CU_ASSERT_EQUAL(imageset_transpose(&set), 0);
    CU_ASSERT_EQUAL(set.height, COLS);
    CU_ASSERT_EQUAL(set.width, ROWS);
    for (int i = 0; i < N; i++)
        for (int y = 0; y < ROWS; y++)
            for (int x = 0; x < COLS; x++)
                CU_ASSERT_EQUAL(imageset_image(&set, i)[x * ROWS + y],
                                pixels[(i * ROWS + y) * COLS + x]);
    imageset_free(&set);
    teardown();
}

static void test_missing_file(void)
{
    setup();
    char missing[4096];
    snprintf(missing, sizeof missing, "%s", testutil_path(dir, "no-such-file"));
    snprintf(images, sizeof images, "%s", missing);
    expect_failure(missing, NULL);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", missing);
    CU_ASSERT_STRING_EQUAL(error_message(), expected);
    teardown();

    setup();
    snprintf(labels, sizeof labels, "%s", testutil_path(dir, "no-labels"));
    expect_failure(labels, "cannot open: No such file or directory");
    teardown();
}

static void test_mnist_paths(void)
{
    char im[256], lb[256];
    CU_ASSERT_EQUAL(idx_mnist_paths("data/mnist", "train", im, lb, sizeof im), 0);
    CU_ASSERT_STRING_EQUAL(im, "data/mnist/train-images-idx3-ubyte");
    CU_ASSERT_STRING_EQUAL(lb, "data/mnist/train-labels-idx1-ubyte");
    CU_ASSERT_EQUAL(idx_mnist_paths("/d", "test", im, lb, sizeof im), 0);
    CU_ASSERT_STRING_EQUAL(im, "/d/t10k-images-idx3-ubyte");
    CU_ASSERT_STRING_EQUAL(lb, "/d/t10k-labels-idx1-ubyte");
    CU_ASSERT_EQUAL(idx_mnist_paths("/d", "validation", im, lb, sizeof im), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "validation"));
    CU_ASSERT_EQUAL(idx_mnist_paths("/a/rather/long/directory", "train", im, lb, 20), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "/a/rather/long/directory"));
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"round trip", test_round_trip},
        {"wrong magic", test_wrong_magic},
        {"truncated files", test_truncated},
        {"lying or absurd headers", test_lying_header},
        {"image and label counts differ", test_count_mismatch},
        {"label 10", test_bad_label},
        {"gzip files", test_gzip},
        {".gz cut in its trailer, after the data", test_gzip_without_trailer},
        {"bytes after the body", test_trailing_bytes},
        {"transposed images", test_transpose},
        {"missing file", test_missing_file},
        {"standard MNIST paths", test_mnist_paths},
        {NULL, NULL},
    };
    return testutil_run("idx", cases);
}
