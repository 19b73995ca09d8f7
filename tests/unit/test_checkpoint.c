/* Tests of the checkpoint module: a bit-exact round trip of weights, meta
 * data, metrics and config text; the atomic write leaves no temporary file;
 * a flipped byte inside the stored weights trips the checksum; truncated,
 * missing and foreign files are refused naming the file (and the foreign
 * format). */
#include <dirent.h>
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

static void make_meta(ckpt_meta_t *meta)
{
    memset(meta, 0, sizeof *meta);
    meta->epoch = 3;
    meta->step = 17;
    meta->seed = 0xFEDCBA9876543210ULL; /* above INT64_MAX: stored as int64 */
    meta->world_size = 4;
    meta->tensor_parallel = 2;
    meta->rule = NET_RULE_GRADIENT;
    config_t cfg;
    config_defaults(&cfg);
    snprintf(cfg.data_file, sizeof cfg.data_file, "data/mnist-rot.h5");
    cfg.hidden = 50;
    cfg.lr = 0.1 + 0.2;
    meta->config_text = config_to_text(&cfg);
    snprintf(meta->run_id, sizeof meta->run_id, "0123456789abcdef");
    meta->parent = strdup("ckpt-e000002-s00000000000.h5 sha256:0011223344556677");
    meta->lineage = strdup("2026-12-04 10:00:00 UTC  new run 0123456789abcdef; 4 ranks\n"
                           "2026-12-04 11:00:00 UTC  resumed x.h5 (2 epochs done, step 0)\n");
    for (int e = 1; e <= 3; e++) {
        metrics_row_t row = {
            .epoch = e, .train_loss = 0.5 / e, .train_accuracy = 0.8 + 0.01 * e,
            .test_accuracy = e == 2 ? -1.0 : 0.9 + 0.001 * e, .lr = 0.1 / e,
            .samples_per_s = 12345.678 * e, .wall_s = 1.5 * e, .ranks = e + 1,
        };
        CU_ASSERT_FATAL(metrics_append(&meta->metrics, &row) == 0);
    }
}

/* sha256 of the raw parameter bytes by coreutils' sha256sum, as an
 * independent check of the stored checksum; "" if it could not run. */
/* sha256sum of the weights in the book's order (wih [H,I], who), as the
 * file stores them */
static void system_sha256(const net_t *net, char hex[65])
{
    hex[0] = '\0';
    const char *raw = testutil_path(dir, "params.raw");
    float *book = malloc(net->n_params * sizeof *book);
    net_to_book_order(net, book);
    int rc = testutil_write_file(raw, book, net->n_params * sizeof(float));
    free(book);
    if (rc != 0)
        return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "sha256sum '%s' 2>/dev/null", raw);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (fscanf(p, "%64s", hex) != 1)
        hex[0] = '\0';
    pclose(p);
    remove(raw);
}

/* A random 784-H-10 net and make_meta's state, written to DIR/name:
 * the path. */
static const char *write_random(const char *name, int H, uint64_t seed, net_t *net,
                                ckpt_meta_t *meta)
{
    testutil_random_net(net, 784, H, 10, seed);
    make_meta(meta);
    const char *path = testutil_path(dir, name);
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, net, meta), 0);
    return path;
}

static void test_round_trip(void)
{
    net_t net, back;
    ckpt_meta_t meta, got;
    testutil_random_net(&net, 784, 50, 10, 1);
    make_meta(&meta);
    strcpy(meta.weights_sha256, "ignored");
    const char *path = testutil_path(dir, "model.h5");
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
    CU_ASSERT_EQUAL_FATAL(ckpt_read(path, &back, &got), 0);

    CU_ASSERT_EQUAL(back.n_in, 784);
    CU_ASSERT_EQUAL(back.n_hidden, 50);
    CU_ASSERT_EQUAL(back.n_out, 10);
    CU_ASSERT_EQUAL_FATAL(back.n_params, net.n_params);
    CU_ASSERT_PTR_EQUAL(back.w_ho, back.params + 50 * 784);
    CU_ASSERT_EQUAL(memcmp(back.params, net.params, net.n_params * sizeof(float)), 0);

    CU_ASSERT_EQUAL(got.epoch, 3);
    CU_ASSERT_EQUAL(got.step, 17);
    CU_ASSERT_EQUAL(got.seed, 0xFEDCBA9876543210ULL);
    CU_ASSERT_EQUAL(got.world_size, 4);
    CU_ASSERT_EQUAL(got.tensor_parallel, 2);
    CU_ASSERT_EQUAL(got.rule, NET_RULE_GRADIENT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got.config_text);
    CU_ASSERT_STRING_EQUAL(got.config_text, meta.config_text);
    CU_ASSERT_STRING_EQUAL(got.run_id, meta.run_id);
    CU_ASSERT_STRING_EQUAL(got.parent, meta.parent);
    CU_ASSERT_STRING_EQUAL(got.lineage, meta.lineage);
    CU_ASSERT_EQUAL_FATAL(got.metrics.count, 3);
    for (int i = 0; i < 3; i++) {
        const metrics_row_t *a = &meta.metrics.rows[i], *b = &got.metrics.rows[i];
        CU_ASSERT_EQUAL(a->epoch, b->epoch);
        CU_ASSERT_EQUAL(a->train_loss, b->train_loss);
        CU_ASSERT_EQUAL(a->train_accuracy, b->train_accuracy);
        CU_ASSERT_EQUAL(a->test_accuracy, b->test_accuracy);
        CU_ASSERT_EQUAL(a->lr, b->lr);
        CU_ASSERT_EQUAL(a->samples_per_s, b->samples_per_s);
        CU_ASSERT_EQUAL(a->wall_s, b->wall_s);
        CU_ASSERT_EQUAL(a->ranks, b->ranks);
    }
    /* the stored checksum is the SHA-256 of the weight bytes as stored */
    CU_ASSERT_EQUAL(strlen(got.weights_sha256), 64);
    char hex[65];
    system_sha256(&net, hex);
    CU_ASSERT_EQUAL(strlen(hex), 64); /* coreutils' sha256sum ran */
    CU_ASSERT_STRING_EQUAL(got.weights_sha256, hex);

    /* the config text loads back into the same config */
    config_t a, b;
    config_defaults(&a);
    config_defaults(&b);
    CU_ASSERT_EQUAL(config_load_text(&a, meta.config_text, "a"), 0);
    CU_ASSERT_EQUAL(config_load_text(&b, got.config_text, "b"), 0);
    CU_ASSERT_EQUAL(b.hidden, 50);
    CU_ASSERT_EQUAL(memcmp(&a.lr, &b.lr, sizeof a.lr), 0);

    /* no temporary file left in the directory: only model.h5 */
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    int files = 0, model = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        files++;
        model += !strcmp(e->d_name, "model.h5");
        CU_ASSERT_PTR_NULL(strstr(e->d_name, ".tmp"));
    }
    closedir(d);
    CU_ASSERT_EQUAL(files, 1);
    CU_ASSERT_EQUAL(model, 1);

    /* overwriting replaces the file: a second write with other weights and
     * the book rule and no metrics reads back as such */
    net_t other, back2;
    ckpt_meta_t meta2 = {0}, got2;
    testutil_random_net(&other, 784, 50, 10, 2);
    meta2.rule = NET_RULE_BOOK;
    meta2.world_size = 1;
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &other, &meta2), 0);
    CU_ASSERT_EQUAL_FATAL(ckpt_read(path, &back2, &got2), 0);
    CU_ASSERT_EQUAL(memcmp(back2.params, other.params, other.n_params * sizeof(float)), 0);
    CU_ASSERT_EQUAL(got2.rule, NET_RULE_BOOK);
    CU_ASSERT_EQUAL(got2.metrics.count, 0);
    CU_ASSERT_EQUAL(got2.epoch, 0);
    CU_ASSERT_PTR_NOT_NULL(got2.config_text); /* written as "" */
    CU_ASSERT_STRING_EQUAL(got2.run_id, "");     /* no lineage given: "" back */
    CU_ASSERT_EQUAL(got2.tensor_parallel, 1);    /* not given: 1 */
    CU_ASSERT_STRING_EQUAL(got2.parent, "");
    CU_ASSERT_STRING_EQUAL(got2.lineage, "");
    CU_ASSERT_STRING_NOT_EQUAL(got2.weights_sha256, got.weights_sha256);

    net_free(&other);
    net_free(&back2);
    ckpt_meta_free(&got2);
    ckpt_meta_free(&got);
    ckpt_meta_free(&meta);
    ckpt_meta_free(&meta); /* safe twice */
    net_free(&back);
    net_free(&net);
    remove(path);
}

/* A first layer of more floats than one written block (2^20): written
 * block by block, hashed as written, it reads back bit for bit and its
 * stored checksum is sha256sum's of the whole book order. 1,500 units of
 * 784 inputs: a block of 1,337 rows and the last 163. */
static void test_blocks(void)
{
    net_t net, back;
    ckpt_meta_t meta, got;
    const char *path = write_random("blocks.h5", 1500, 7, &net, &meta);
    CU_ASSERT_EQUAL_FATAL(ckpt_read(path, &back, &got), 0);
    CU_ASSERT_EQUAL_FATAL(back.n_params, net.n_params);
    CU_ASSERT_EQUAL(memcmp(back.w_ih_t, net.w_ih_t, (size_t)784 * net.ld0 * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(back.w_ho, net.w_ho, (size_t)10 * 1500 * sizeof(float)), 0);
    char hex[65];
    system_sha256(&net, hex);
    CU_ASSERT_EQUAL(strlen(hex), 64);
    CU_ASSERT_STRING_EQUAL(got.weights_sha256, hex);
    net_free(&net);
    net_free(&back);
    ckpt_meta_free(&meta);
    ckpt_meta_free(&got);
}

/* ckpt_peek gives the training state and lineage without the weights; a
 * run id that is not 16 hex digits is damage (ckpt_read and ckpt_peek). */
static void test_peek_and_run_id(void)
{
    net_t net, back;
    ckpt_meta_t meta, got;
    const char *path = write_random("peek.h5", 20, 3, &net, &meta);
    CU_ASSERT_EQUAL_FATAL(ckpt_peek(path, &got), 0);
    CU_ASSERT_EQUAL(got.epoch, 3);
    CU_ASSERT_EQUAL(got.step, 17);
    CU_ASSERT_STRING_EQUAL(got.run_id, "0123456789abcdef");
    CU_ASSERT_STRING_EQUAL(got.lineage, meta.lineage);
    CU_ASSERT_EQUAL(got.metrics.count, 3);
    CU_ASSERT_STRING_EQUAL(got.weights_sha256, ""); /* the weights were not read */
    ckpt_meta_free(&got);

    static const char *const bad[] = {"0123456789abcdeX", "0123", "0123456789ABCDEF"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(meta.run_id, sizeof meta.run_id, "%s", bad[i]);
        CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
        CU_ASSERT_EQUAL(ckpt_read(path, &back, &got), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "run_id is not 16 hex digits"));
        CU_ASSERT_EQUAL(ckpt_peek(path, &got), -1);
    }
    ckpt_meta_free(&meta);
    net_free(&net);
    remove(path);
}

static long read_whole(const char *path, unsigned char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    *out = malloc((size_t)size);
    if (fread(*out, 1, (size_t)size, f) != (size_t)size)
        size = -1;
    fclose(f);
    return size;
}

static void test_flipped_weight_byte(void)
{
    net_t net, back;
    ckpt_meta_t meta = {0}, got;
    testutil_random_net(&net, 784, 50, 10, 3);
    meta.world_size = 1;
    const char *path = testutil_path(dir, "flip.h5");
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
    CU_ASSERT_EQUAL_FATAL(ckpt_read(path, &back, &got), 0); /* intact, it reads */
    net_free(&back);
    ckpt_meta_free(&got);

    unsigned char *bytes = NULL;
    long size = read_whole(path, &bytes);
    CU_ASSERT_FATAL(size > 0);
    /* find wih[1000..1003] (the book's order, little-endian floats, as
     * stored) in the file */
    float *book = malloc(net.n_params * sizeof *book);
    net_to_book_order(&net, book);
    const unsigned char *pattern = (const unsigned char *)(book + 1000);
    const size_t plen = 4 * sizeof(float);
    long at = -1;
    int matches = 0;
    for (long i = 0; i + (long)plen <= size; i++)
        if (!memcmp(bytes + i, pattern, plen)) {
            at = i;
            matches++;
        }
    free(book);
    CU_ASSERT_EQUAL_FATAL(matches, 1);
    /* flip the low mantissa byte of w_ih[1001]: still a valid float */
    bytes[at + 4] ^= 0x01;
    const char *bad = testutil_path(dir, "flipped.h5");
    CU_ASSERT_FATAL(testutil_write_file(bad, bytes, (size_t)size) == 0);
    free(bytes);
    error_clear();
    CU_ASSERT_EQUAL(ckpt_read(bad, &back, &got), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "checksum"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), bad));
    CU_ASSERT_PTR_NULL(back.params); /* nothing half-filled is handed back */
    CU_ASSERT_PTR_NULL(got.config_text);

    /* truncated copies: half, and all but the last bytes */
    size = read_whole(path, &bytes);
    const long cuts[] = {size / 2, size - 64, 512};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *cut = testutil_path(dir, "truncated.h5");
        CU_ASSERT_FATAL(testutil_write_file(cut, bytes, (size_t)cuts[i]) == 0);
        error_clear();
        CU_ASSERT_EQUAL(ckpt_read(cut, &back, &got), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), cut));
        CU_ASSERT_PTR_NULL(back.params);
    }
    free(bytes);
    net_free(&net);
}

static void test_foreign_files(void)
{
    net_t back;
    ckpt_meta_t got;
    /* a dataset file given as a checkpoint */
    imageset_t tr, te;
    CU_ASSERT_FATAL(imageset_alloc(&tr, 12, 28, 28) == 0);
    CU_ASSERT_FATAL(imageset_alloc(&te, 3, 28, 28) == 0);
    testutil_synthetic_digits(tr.pixels, tr.labels, 12, 1);
    testutil_synthetic_digits(te.pixels, te.labels, 3, 2);
    dataset_contents_t c = {.train = &tr, .test = &te, .source = "synthetic"};
    const char *ds = testutil_path(dir, "data.h5");
    CU_ASSERT_EQUAL_FATAL(dataset_write(ds, &c), 0);
    imageset_free(&tr);
    imageset_free(&te);
    error_clear();
    CU_ASSERT_EQUAL(ckpt_read(ds, &back, &got), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), ds));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "nnmpi-dataset"));

    /* and the other way round: a checkpoint given as a dataset */
    net_t net;
    ckpt_meta_t meta = {0};
    testutil_random_net(&net, 784, 8, 10, 4);
    meta.world_size = 1;
    const char *ck = testutil_path(dir, "ck.h5");
    CU_ASSERT_EQUAL_FATAL(ckpt_write(ck, &net, &meta), 0);
    dataset_info_t info;
    error_clear();
    CU_ASSERT_EQUAL(dataset_info(ck, &info), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "nnmpi-checkpoint"));
    net_free(&net);

    /* missing, and not HDF5 */
    const char *missing = testutil_path(dir, "missing.h5");
    error_clear();
    CU_ASSERT_EQUAL(ckpt_read(missing, &back, &got), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), missing));
    const char *text = testutil_path(dir, "text.h5");
    CU_ASSERT_FATAL(testutil_write_file(text, "hello\n", 6) == 0);
    error_clear();
    CU_ASSERT_EQUAL(ckpt_read(text, &back, &got), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), text));

    /* a future version is refused naming the version */
    hid_t f = H5Fcreate(testutil_path(dir, "future.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    h5_attr_write_str(f, "format", CKPT_FORMAT);
    h5_attr_write_i64(f, "format_version", CKPT_VERSION + 1);
    H5Fclose(f);
    error_clear();
    CU_ASSERT_EQUAL(ckpt_read(testutil_path(dir, "future.h5"), &back, &got), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "version"));
}

/* A 784-30-20-10 ReLU/softmax net with biases, weights and biases random. */
static void deep_net(net_t *net, uint64_t seed)
{
    net_shape_t s = {.n_layers = 3, .sizes = {784, 30, 20, 10}, .activation = NET_ACT_RELU,
                     .output = NET_OUT_SOFTMAX, .loss = NET_LOSS_CROSS_ENTROPY, .bias = 1};
    CU_ASSERT_FATAL(net_init_shape(net, &s, 0) == 0);
    rng_t rng;
    rng_seed(&rng, seed, 0);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (float)rng_normal(&rng);
}

/* Writes deep_net(seed) to dir/name; its path. */
static const char *write_deep(net_t *net, uint64_t seed, const char *name)
{
    ckpt_meta_t meta = {.world_size = 1, .rule = NET_RULE_GRADIENT};
    deep_net(net, seed);
    const char *path = testutil_path(dir, name);
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, net, &meta), 0);
    return path;
}

/* Bit-exact round trip of a deep net: shape, weights, biases; version 2,
 * one dataset per layer in the book's orientation, the checksum over them. */
static void test_deep_round_trip(void)
{
    net_t net, back;
    ckpt_meta_t meta = {.world_size = 1}, got;
    const char *path = write_deep(&net, 6, "deep.h5");
    CU_ASSERT_EQUAL_FATAL(ckpt_read(path, &back, &got), 0);
    CU_ASSERT(memcmp(&back.shape, &net.shape, sizeof net.shape) == 0);
    CU_ASSERT_EQUAL_FATAL(back.n_params, net.n_params);
    CU_ASSERT(memcmp(back.params, net.params, net.n_params * sizeof(float)) == 0);
    char hex[65];
    system_sha256(&net, hex);
    if (hex[0])
        CU_ASSERT_STRING_EQUAL(got.weights_sha256, hex);
    hid_t f = h5_open_read(path);
    int64_t version = 0;
    hsize_t dims[2] = {0, 0};
    CU_ASSERT(h5_attr_read_i64(f, "format_version", &version) == 0 && version == 2);
    CU_ASSERT(h5_dataset_shape(f, "/net/w1", dims, 2) == 2 && dims[0] == 30 && dims[1] == 784);
    CU_ASSERT(h5_dataset_shape(f, "/net/b3", dims, 2) == 1 && dims[0] == 10);
    H5Fclose(f);
    /* the book's shape stays version 1 */
    net_t book;
    testutil_random_net(&book, 784, 8, 10, 2);
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &book, &meta), 0);
    f = h5_open_read(path);
    CU_ASSERT(h5_attr_read_i64(f, "format_version", &version) == 0 && version == 1);
    CU_ASSERT(!h5_has_attr(f, "layers") && h5_has_link(f, "/net/w_ih"));
    H5Fclose(f);
    net_free(&book);
    net_free(&back);
    net_free(&net);
    ckpt_meta_free(&got);
}

/* A deep file whose /net attribute `name` is replaced by the string
 * `value` (NULL: removed), or dataset `drop` removed; the error reading it. */
static const char *read_altered(const char *name, const char *value, const char *drop)
{
    net_t net, back;
    ckpt_meta_t got;
    const char *path = write_deep(&net, 8, "altered.h5");
    net_free(&net);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "net", H5P_DEFAULT);
    if (name) {
        H5Adelete(g, name);
        if (value)
            h5_attr_write_str(g, name, value);
    }
    if (drop)
        H5Ldelete(g, drop, H5P_DEFAULT);
    H5Gclose(g);
    H5Fclose(f);
    error_clear();
    if (ckpt_read(path, &back, &got) == 0) {
        net_free(&back);
        ckpt_meta_free(&got);
        return "(loaded)";
    }
    return error_message();
}

static void test_deep_inconsistent_refused(void)
{
    static const struct {
        const char *attr, *value, *drop, *says;
    } cases[] = {
        {"layers", "784,30,10", NULL, "/net/w2 should be a [10, 30] matrix"},
        {"layers", "784,31,20,10", NULL, "n_hidden 30, n_out 10 but layers 784-31-...-10"},
        {"layers", "784,30,x,10", NULL, "layers = '784,30,x,10' is not a list"},
        {"activation", "swish", NULL, "unknown activation 'swish'"},
        {"loss", "mse", NULL, "softmax output needs the cross_entropy loss"},
        {"layers", NULL, NULL, "no layers attribute"},
        {"rule", "book", NULL, "rule 'book' with a network"},
        {NULL, NULL, "b2", "/net/b2 should be a vector of 20 biases"},
        {NULL, NULL, NULL, "(loaded)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = read_altered(cases[i].attr, cases[i].value, cases[i].drop);
        CU_ASSERT_PTR_NOT_NULL(strstr(got, cases[i].says));
        if (!strstr(got, cases[i].says))
            fprintf(stderr, "case %zu: %s\n", i, got);
    }
}

/* A model written by nnmpi before networks of other shapes (kept in
 * tests/fixtures) loads as the book's net, verifies, and is written back
 * the same way, to the same checksum. */
static void test_old_model_fixture(void)
{
    const char *old = NNMPI_SOURCE_DIR "/tests/fixtures/model-v1-784-8-10.h5";
    net_t net, again;
    ckpt_meta_t meta, meta2;
    CU_ASSERT_EQUAL_FATAL(ckpt_read(old, &net, &meta), 0);
    CU_ASSERT(net_is_book_shape(&net));
    CU_ASSERT(net.n_in == 784 && net.n_hidden == 8 && net.n_out == 10);
    /* older than image sizes and class names: 28x28 digits, no names */
    CU_ASSERT(meta.image_height == 28 && meta.image_width == 28);
    CU_ASSERT_PTR_NULL(meta.class_names);
    const char *path = testutil_path(dir, "rewritten.h5");
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
    CU_ASSERT_EQUAL_FATAL(ckpt_read(path, &again, &meta2), 0);
    CU_ASSERT_STRING_EQUAL(meta.weights_sha256, meta2.weights_sha256);
    net_free(&net);
    net_free(&again);
    ckpt_meta_free(&meta);
    ckpt_meta_free(&meta2);
}

/* The data's image size and class names go into the model and come back;
 * names that do not fit the outputs, or a size that does not fit the
 * inputs, are refused. */
static void test_data_ends(void)
{
    net_t net, back;
    ckpt_meta_t meta, got;
    testutil_random_net(&net, 12 * 10, 6, 3, 9);
    make_meta(&meta);
    meta.image_height = 12;
    meta.image_width = 10;
    meta.class_names = strdup("Up,Middle,Down");
    const char *path = testutil_path(dir, "ends.h5");
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
    CU_ASSERT_EQUAL_FATAL(ckpt_read(path, &back, &got), 0);
    CU_ASSERT(got.image_height == 12 && got.image_width == 10);
    CU_ASSERT_STRING_EQUAL(got.class_names, "Up,Middle,Down");
    net_free(&back);
    ckpt_meta_free(&got);
    free(meta.class_names);
    meta.class_names = strdup("Up,Down");
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
    CU_ASSERT_EQUAL(ckpt_read(path, &back, &got), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "2 class names for 3 classes"));
    meta.image_width = 11;
    CU_ASSERT_EQUAL_FATAL(ckpt_write(path, &net, &meta), 0);
    CU_ASSERT_EQUAL(ckpt_read(path, &back, &got), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "12x11, but the network takes 120 inputs"));
    net_free(&net);
    ckpt_meta_free(&meta);
}

/* A write into a directory that does not exist fails cleanly. */
static void test_write_failure(void)
{
    net_t net;
    ckpt_meta_t meta = {0};
    testutil_random_net(&net, 784, 8, 10, 5);
    meta.world_size = 1;
    const char *path = testutil_path(dir, "no/such/dir/model.h5");
    error_clear();
    CU_ASSERT_EQUAL(ckpt_write(path, &net, &meta), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
    net_free(&net);
}

int main(void)
{
    h5_quiet();
    dir = testutil_tmpdir();
    if (!dir)
        return 2;
    static const testutil_case_t cases[] = {
        {"round trip: weights bit-identical, meta, metrics, config", test_round_trip},
        {"a first layer larger than a written block: the same file", test_blocks},
        {"peek: state and lineage without weights; bad run ids refused", test_peek_and_run_id},
        {"flipped weight byte and truncation refused", test_flipped_weight_byte},
        {"foreign, missing and future files refused", test_foreign_files},
        {"write into a missing directory", test_write_failure},
        {"deep net: bit-exact round trip, version 2, one dataset per layer",
         test_deep_round_trip},
        {"deep net: inconsistent files refused", test_deep_inconsistent_refused},
        {"a model of the previous version loads", test_old_model_fixture},
        {"the data's image size and class names", test_data_ends},
        {NULL, NULL},
    };
    int rc = testutil_run("checkpoint", cases);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
