/* Regression tests of the hardening fixes (docs/hardening.md), one per
 * finding, at the level of the reader that had it:
 *  - a string attribute stored as an array of strings overran the one-string
 *    buffer of h5_attr_read_str (heap overflow, found by ASan);
 *  - a checkpoint declaring a huge network had it allocated before any shape
 *    was checked (4 TiB calloc for 2^20 x 2^20);
 *  - NaN or negative training state in a checkpoint flowed into a resumed
 *    run (NaN clocks reach a float-to-int conversion: UB);
 *  - signed 8-bit labels were accepted and -1 read as 0;
 *  - a dataset declaring 2^40 rows went on to allocate for them;
 *  - messages quoting hostile bytes carried control characters (CR, ESC)
 *    to the terminal and broke the one-line promise;
 *  - a string value the INI text cannot keep ("file =#x", "--set
 *    output.dir=a #1") was accepted, and the configuration stored in a
 *    checkpoint then read back different (found by fuzz_config). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/config.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "nnmpi/rng.h"
#include "testutil.h"

static char *dir;

static int contains(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

/* A valid 784-20-10 checkpoint at path. */
static void write_model(const char *path)
{
    net_t net;
    CU_ASSERT_FATAL(net_init(&net, 784, 20, 10) == 0);
    rng_t rng;
    rng_seed(&rng, 9, 0);
    net_init_weights(&net, &rng);
    config_t cfg;
    config_defaults(&cfg);
    ckpt_meta_t meta = {.epoch = 1, .world_size = 1, .config_text = config_to_text(&cfg),
                        .data_id = "test", .elapsed_s = 1.0};
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
    free(meta.config_text);
    net_free(&net);
}

static void write_str_array(hid_t loc, const char *name, const char *value, hsize_t n)
{
    size_t len = strlen(value) + 1;
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, len);
    hid_t space = H5Screate_simple(1, &n, NULL);
    char *buf = calloc(n, len);
    CU_ASSERT_FATAL(buf != NULL);
    for (hsize_t i = 0; i < n; i++)
        memcpy(buf + i * len, value, len);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(a >= 0 && H5Awrite(a, type, buf) >= 0);
    H5Aclose(a);
    free(buf);
    H5Sclose(space);
    H5Tclose(type);
}

static void test_string_array_attribute(void)
{
    const char *path = testutil_path(dir, "array-attr.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    write_str_array(f, "format", CKPT_FORMAT, 3);
    char *s = NULL;
    error_clear();
    CU_ASSERT_EQUAL(h5_attr_read_str(f, "format", &s), -1);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT(contains(error_message(), "not a readable string"));
    H5Fclose(f);
    /* and a whole reader refuses such a file with its name */
    net_t net;
    ckpt_meta_t meta;
    error_clear();
    CU_ASSERT_EQUAL(ckpt_read(path, &net, &meta), -1);
    CU_ASSERT(contains(error_message(), path));
}

/* The one place HDF5 hands nnmpi memory to give back: a variable-length
 * string attribute (other tools write them; h5py does by default). Read
 * and freed: under the sanitizer run a leak here fails this test. */
static void test_vlen_string_attribute(void)
{
    const char *path = testutil_path(dir, "vlen.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char *value = CKPT_FORMAT;
    CU_ASSERT_FATAL(a >= 0 && H5Awrite(a, type, &value) >= 0);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    for (int i = 0; i < 3; i++) {
        char *s = NULL;
        CU_ASSERT_EQUAL(h5_attr_read_str(f, "format", &s), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_STRING_EQUAL(s, CKPT_FORMAT);
        free(s);
    }
    H5Fclose(f);
}

/* Copies the valid model to name and opens the copy for editing. */
static hid_t edited(const char *name)
{
    const char *path = testutil_path(dir, name);
    write_model(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    return f;
}

static void set_i64(hid_t f, const char *group, const char *name, int64_t v)
{
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    CU_ASSERT_FATAL(g >= 0 && h5_attr_write_i64(g, name, v) == 0);
    H5Gclose(g);
}

static void expect_ckpt_refused(const char *name, const char *reason)
{
    net_t net;
    ckpt_meta_t meta;
    error_clear();
    int rc = ckpt_read(testutil_path(dir, name), &net, &meta);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NULL(net.params);
    CU_ASSERT(contains(error_message(), reason));
    if (rc == 0 || !contains(error_message(), reason))
        fprintf(stderr, "%s: rc %d, '%s' (wanted '%s')\n", name, rc, error_message(), reason);
    if (rc == 0) {
        net_free(&net);
        ckpt_meta_free(&meta);
    }
}

static void test_checkpoint_sizes(void)
{
    /* 2^20 x 2^20 declared, datasets of that shape without storage */
    hid_t f = edited("huge.h5");
    set_i64(f, "net", "n_in", 1 << 20);
    set_i64(f, "net", "n_hidden", 1 << 20);
    H5Ldelete(f, "/net/w_ih", H5P_DEFAULT);
    hsize_t dims[2] = {(hsize_t)1 << 20, (hsize_t)1 << 20}, chunk[2] = {1, 1024};
    hid_t space = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t ds = H5Dcreate2(f, "/net/w_ih", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CU_ASSERT_FATAL(ds >= 0);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
    expect_ckpt_refused("huge.h5", "is more than nnmpi reads");

    /* sizes that disagree with the matrices: refused before allocating */
    f = edited("lies.h5");
    set_i64(f, "net", "n_hidden", 200);
    H5Fclose(f);
    expect_ckpt_refused("lies.h5", "/net/w_ih should be a [200, 784] matrix");
}

static void test_checkpoint_state(void)
{
    hid_t f = edited("nan.h5");
    hid_t g = H5Gopen2(f, "train", H5P_DEFAULT);
    CU_ASSERT_FATAL(g >= 0 && h5_attr_write_f64(g, "elapsed_s", NAN) == 0);
    H5Gclose(g);
    H5Fclose(f);
    expect_ckpt_refused("nan.h5", "elapsed_s = nan is out of range");

    f = edited("inf.h5");
    g = H5Gopen2(f, "train", H5P_DEFAULT);
    CU_ASSERT_FATAL(g >= 0 && h5_attr_write_f64(g, "epoch_train_s", INFINITY) == 0);
    H5Gclose(g);
    H5Fclose(f);
    expect_ckpt_refused("inf.h5", "epoch_train_s = inf is out of range");

    f = edited("negative.h5");
    set_i64(f, "train", "epoch_count", -5);
    H5Fclose(f);
    expect_ckpt_refused("negative.h5", "epoch_count = -5 is out of range");

    f = edited("correct.h5"); /* more right answers than samples */
    set_i64(f, "train", "epoch_count", 10);
    set_i64(f, "train", "epoch_correct", 11);
    H5Fclose(f);
    expect_ckpt_refused("correct.h5", "epoch_correct = 11 is out of range");

    /* the valid one still loads */
    net_t net;
    ckpt_meta_t meta;
    write_model(testutil_path(dir, "ok.h5"));
    CU_ASSERT_EQUAL(ckpt_read(testutil_path(dir, "ok.h5"), &net, &meta), 0);
    net_free(&net);
    ckpt_meta_free(&meta);
}

/* A dataset file by hand: /train/images [rows, 28, 28] (unwritten if data
 * is NULL), /train/labels of label_type, a valid /test. */
static void write_dataset(const char *path, hsize_t rows, hid_t label_type, const void *labels,
                          hid_t label_mem_type)
{
    hid_t f = h5_create(path);
    CU_ASSERT_FATAL(f >= 0);
    h5_attr_write_str(f, "format", DATASET_FORMAT);
    h5_attr_write_i64(f, "format_version", DATASET_VERSION);
    static uint8_t pixels[16 * 784], test_labels[16];
    for (int split = 0; split < 2; split++) {
        hid_t g = H5Gcreate2(f, split ? "test" : "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t n = split ? 16 : rows, dims[3] = {n, 28, 28}, chunk[3] = {1, 28, 28};
        hid_t space = H5Screate_simple(3, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 3, chunk);
        hid_t ds = H5Dcreate2(g, "images", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (n <= 16)
            H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixels);
        H5Dclose(ds);
        H5Sclose(space);
        space = H5Screate_simple(1, &n, NULL);
        H5Pset_chunk(dcpl, 1, chunk);
        ds = H5Dcreate2(g, "labels", split ? H5T_STD_U8LE : label_type, space, H5P_DEFAULT, dcpl,
                        H5P_DEFAULT);
        if (n <= 16)
            H5Dwrite(ds, split ? H5T_NATIVE_UINT8 : label_mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     split ? test_labels : labels);
        H5Dclose(ds);
        H5Pclose(dcpl);
        H5Sclose(space);
        H5Gclose(g);
    }
    H5Fclose(f);
}

static void test_dataset_types_and_sizes(void)
{
    int8_t labels[16] = {1, 2, -1, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5};
    const char *path = testutil_path(dir, "signed.h5");
    write_dataset(path, 16, H5T_STD_I8LE, labels, H5T_NATIVE_INT8);
    dataset_info_t info;
    error_clear();
    CU_ASSERT_EQUAL(dataset_info(path, &info), -1);
    CU_ASSERT(contains(error_message(), "/train/labels must hold 8-bit unsigned integers"));

    uint8_t ok_labels[16] = {0};
    path = testutil_path(dir, "unsigned.h5");
    write_dataset(path, 16, H5T_STD_U8LE, ok_labels, H5T_NATIVE_UINT8);
    CU_ASSERT_EQUAL(dataset_info(path, &info), 0);
    dataset_info_free(&info);

    path = testutil_path(dir, "absurd.h5");
    write_dataset(path, (hsize_t)1 << 40, H5T_STD_U8LE, NULL, H5T_NATIVE_UINT8);
    imageset_t set;
    error_clear();
    CU_ASSERT_EQUAL(dataset_read_split(path, "train", &set), -1);
    CU_ASSERT_PTR_NULL(set.pixels);
    CU_ASSERT(contains(error_message(), "declares 1099511627776 images, more than nnmpi handles"));
}

static void test_one_line_messages(void)
{
    error_set("value \"%s\" of %s", "\x1b[31mred\r\nnext\tline\x7f", "file.csv");
    CU_ASSERT_STRING_EQUAL(error_message(), "value \"?[31mred??next line?\" of file.csv");
    error_prefix("%s", "pre\nfix");
    CU_ASSERT_STRING_EQUAL(error_message(), "pre?fix: value \"?[31mred??next line?\" of file.csv");
    error_set("caf\xc3\xa9 %d", 1); /* UTF-8 is kept */
    CU_ASSERT_STRING_EQUAL(error_message(), "caf\xc3\xa9 1");
}

static void test_config_values_survive(void)
{
    static const char *const refused[] = {
        "data.file=#mnist.h5", "data.file=;x", "output.dir=runs/exp #1", "output.dir=a ;b",
        "output.dir= lead", "output.dir=trail ", "query.images=a\nb", NULL};
    config_t cfg;
    config_defaults(&cfg);
    for (int i = 0; refused[i]; i++) {
        error_clear();
        CU_ASSERT_EQUAL(config_set(&cfg, refused[i], "--set"), -1);
        CU_ASSERT(contains(error_message(), "not allowed"));
    }
    CU_ASSERT_EQUAL(config_load_text(&cfg, "[data]\nfile =#x.h5\n", "t.ini"), -1);
    CU_ASSERT(contains(error_message(), "t.ini:2: [data] file = '#x.h5': not allowed"));
    /* what is accepted comes back unchanged from the stored text */
    CU_ASSERT_EQUAL(config_set(&cfg, "output.dir=runs/exp#1;a b", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&cfg, "data.file=d/m n.h5", "--set"), 0);
    char *text = config_to_text(&cfg);
    config_t back;
    config_defaults(&back);
    CU_ASSERT_EQUAL(config_load_text(&back, text, "stored"), 0);
    CU_ASSERT_STRING_EQUAL(back.dir, "runs/exp#1;a b");
    CU_ASSERT_STRING_EQUAL(back.data_file, "d/m n.h5");
    free(text);
}

int main(void)
{
    h5_quiet();
    dir = testutil_tmpdir();
    if (!dir)
        return 2;
    static const testutil_case_t cases[] = {
        {"a string attribute stored as an array is refused, no overflow",
         test_string_array_attribute},
        {"a variable-length string attribute is read and freed", test_vlen_string_attribute},
        {"checkpoint sizes checked before allocating", test_checkpoint_sizes},
        {"checkpoint training state: NaN, inf, negative refused", test_checkpoint_state},
        {"dataset: signed labels and 2^40 rows refused", test_dataset_types_and_sizes},
        {"messages are one line without control characters", test_one_line_messages},
        {"config strings the stored INI text cannot keep are refused", test_config_values_survive},
        {NULL, NULL},
    };
    int rc = testutil_run("hostile", cases);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
