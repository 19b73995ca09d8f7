#include "nnmpi/checkpoint.h"

#include "nnmpi/classnames.h"

#include <float.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/config.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "nnmpi/version.h"
#include "nnmpi/sha256.h"

/* The compound type of the /metrics table, in memory layout. */
static hid_t metrics_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(metrics_row_t));
    H5Tinsert(t, "epoch", offsetof(metrics_row_t, epoch), H5T_NATIVE_INT);
    H5Tinsert(t, "train_loss", offsetof(metrics_row_t, train_loss), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "train_accuracy", offsetof(metrics_row_t, train_accuracy), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "test_accuracy", offsetof(metrics_row_t, test_accuracy), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "lr", offsetof(metrics_row_t, lr), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "samples_per_s", offsetof(metrics_row_t, samples_per_s), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "wall_s", offsetof(metrics_row_t, wall_s), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "ranks", offsetof(metrics_row_t, ranks), H5T_NATIVE_INT);
    return t;
}

/* Over the weights in the book's order, as the file stores them. */
static int weights_sha256(const float *book, size_t n_params, char hex[65])
{
    return sha256_buffer_hex(book, n_params * sizeof(float), hex);
}

static int write_matrix(hid_t g, const char *name, const float *data, hsize_t rows, hsize_t cols)
{
    hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t ds = H5Dcreate2(g, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(space);
    return rc ? 0 : error_set("cannot write /net/%s", name);
}

/* "784,300,100,10" */
static void layers_text(const net_shape_t *s, char *buf, size_t size)
{
    net_shape_sizes_text(s, buf, size);
    for (char *c = buf; *c; c++)
        *c = *c == '-' ? ',' : *c;
}

/* /net's attributes beyond the book's: the layer list and the settings. */
static int write_shape(hid_t g, const net_shape_t *s)
{
    char layers[256];
    layers_text(s, layers, sizeof layers);
    int rc = h5_attr_write_str(g, "layers", layers);
    rc = rc ? rc : h5_attr_write_str(g, "output", net_output_names[s->output]);
    rc = rc ? rc : h5_attr_write_str(g, "loss", net_loss_names[s->loss]);
    rc = rc ? rc : h5_attr_write_i64(g, "bias", s->bias);
    return rc;
}

/* The data's image size and class names, when known. */
static int write_data_ends(hid_t g, const ckpt_meta_t *meta)
{
    int rc = 0;
    if (meta->image_height > 0 && meta->image_width > 0) {
        rc = h5_attr_write_i64(g, "image_height", meta->image_height);
        rc = rc ? rc : h5_attr_write_i64(g, "image_width", meta->image_width);
    }
    if (!rc && meta->class_names && *meta->class_names)
        rc = h5_attr_write_str(g, "class_names", meta->class_names);
    return rc;
}

/* The arrays of shape's net from book (book order) into group g; the
 * reader is read_arrays. */
static int write_arrays(hid_t g, const net_shape_t *shape, const float *book)
{
    net_array_t a[NET_MAX_ARRAYS];
    const int n = net_arrays(shape, a);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = write_matrix(g, a[i].name, book + a[i].offset, a[i].rows, a[i].cols);
    return rc;
}

/* The floats of w0 a block holds while it is written (4 MB). */
#define BOOK_BLOCK_FLOATS ((size_t)1 << 20)

/* Rows [r0, r0 + n) of w0 in the book's order, from block, into the
 * [rows, cols] dataset ds. */
static int write_rows(hid_t ds, const float *block, hsize_t r0, hsize_t n, hsize_t cols)
{
    hsize_t start[2] = {r0, 0}, count[2] = {n, cols};
    hid_t file_space = H5Dget_space(ds), mem = H5Screate_simple(2, count, NULL);
    int ok = file_space >= 0 && mem >= 0 &&
             H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dwrite(ds, H5T_NATIVE_FLOAT, mem, file_space, H5P_DEFAULT, block) >= 0;
    if (mem >= 0)
        H5Sclose(mem);
    if (file_space >= 0)
        H5Sclose(file_space);
    return ok ? 0 : -1;
}

/* w0 (the first array) in the book's order, a block of rows at a time,
 * each block hashed as it is written: a net's transpose is never held
 * whole (for a 318 MB net, 318 MB less at a checkpoint's peak). */
static int write_w0(hid_t g, const net_t *net, const net_array_t *a, sha256_t *h)
{
    const hsize_t rows = a->rows, cols = a->cols, dims[2] = {rows, cols};
    const hsize_t step = BOOK_BLOCK_FLOATS / cols ? BOOK_BLOCK_FLOATS / cols : 1;
    float *block = malloc((size_t)(step < rows ? step : rows) * (size_t)cols * sizeof *block);
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t ds = space < 0 ? -1 : H5Dcreate2(g, a->name, H5T_IEEE_F32LE, space, H5P_DEFAULT,
                                           H5P_DEFAULT, H5P_DEFAULT);
    int rc = block && ds >= 0 ? 0 : -1;
    for (hsize_t r0 = 0; r0 < rows && !rc; r0 += step) {
        hsize_t n = rows - r0 < step ? rows - r0 : step;
        net_book_rows(net, (int)r0, (int)(r0 + n), block);
        rc = sha256_update(h, block, (size_t)(n * cols) * sizeof *block);
        rc = rc ? rc : write_rows(ds, block, r0, n, cols);
    }
    if (ds >= 0)
        H5Dclose(ds);
    if (space >= 0)
        H5Sclose(space);
    free(block);
    return rc ? error_set("cannot write /net/%s", a->name) : 0;
}

/* The net's arrays into group g, as write_arrays writes the book's order,
 * and their SHA-256 as weights_sha256 hashes that order (hex). The arrays
 * after w0 lie in memory as the book has them. */
static int write_net_arrays(hid_t g, const net_t *net, char hex[65])
{
    net_array_t a[NET_MAX_ARRAYS];
    const int n = net_arrays(&net->shape, a);
    const float *rest = net_book_rest(net); /* array 1 onwards, as in the book */
    sha256_t h = {0};
    int rc = sha256_init(&h);
    rc = rc ? rc : write_w0(g, net, &a[0], &h);
    for (int i = 1; i < n && !rc; i++) {
        const float *data = rest + (a[i].offset - a[1].offset);
        size_t count = (size_t)a[i].rows * (a[i].cols ? a[i].cols : 1);
        rc = sha256_update(&h, data, count * sizeof(float));
        rc = rc ? rc : write_matrix(g, a[i].name, data, a[i].rows, a[i].cols);
    }
    rc = rc ? rc : sha256_final_hex(&h, hex);
    sha256_free(&h);
    return rc;
}

/* The file's attributes and /net, the weights in the book's order. The
 * book's shape is written as version 1 always was. */
static int write_net(hid_t f, const net_t *net, const ckpt_meta_t *meta)
{
    char hex[65];
    const int book_shape = net_is_book_shape(net);
    int rc = h5_attr_write_str(f, "format", CKPT_FORMAT);
    rc = rc ? rc : h5_attr_write_i64(f, "format_version",
                                     book_shape ? CKPT_VERSION_BOOK : CKPT_VERSION);
    rc = rc ? rc : h5_attr_write_str(f, "created_by", "nnmpi " NNMPI_VERSION);
    if (rc)
        return rc;

    hid_t g = H5Gcreate2(f, "net", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return error_set("cannot create group /net");
    rc = write_net_arrays(g, net, hex);
    rc = rc ? rc : h5_attr_write_i64(g, "n_in", net->n_in);
    rc = rc ? rc : h5_attr_write_i64(g, "n_hidden", net->n_hidden);
    rc = rc ? rc : h5_attr_write_i64(g, "n_out", net->n_out);
    rc = rc ? rc : h5_attr_write_str(g, "activation",
                                     net_activation_names[net->shape.activation]);
    rc = rc ? rc : h5_attr_write_str(g, "rule", config_rule_name(meta->rule));
    rc = rc || book_shape ? rc : write_shape(g, &net->shape);
    rc = rc ? rc : write_data_ends(g, meta);
    H5Gclose(g);
    return rc ? rc : h5_attr_write_str(f, "weights_sha256", hex);
}

/* /train (the state to resume from) and /metrics. */
static int write_train(hid_t f, const ckpt_meta_t *meta)
{
    hid_t g = H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return error_set("cannot create group /train");
    int rc = h5_attr_write_i64(g, "epoch", meta->epoch);
    rc = rc ? rc : h5_attr_write_i64(g, "step", meta->step);
    rc = rc ? rc : h5_attr_write_i64(g, "seed", (int64_t)meta->seed);
    rc = rc ? rc : h5_attr_write_i64(g, "world_size", meta->world_size);
    rc = rc ? rc : h5_attr_write_i64(g, "tensor_parallel",
                                     meta->tensor_parallel > 0 ? meta->tensor_parallel : 1);
    rc = rc ? rc : h5_attr_write_str(g, "config", meta->config_text ? meta->config_text : "");
    rc = rc ? rc : h5_attr_write_f64(g, "epoch_loss_sum", meta->epoch_loss_sum);
    rc = rc ? rc : h5_attr_write_i64(g, "epoch_correct", meta->epoch_correct);
    rc = rc ? rc : h5_attr_write_i64(g, "epoch_count", meta->epoch_count);
    rc = rc ? rc : h5_attr_write_f64(g, "epoch_train_s", meta->epoch_train_s);
    rc = rc ? rc : h5_attr_write_f64(g, "elapsed_s", meta->elapsed_s);
    rc = rc ? rc : h5_attr_write_i64(g, "data_rows", meta->data_rows);
    rc = rc ? rc : h5_attr_write_str(g, "data_id", meta->data_id ? meta->data_id : "");
    rc = rc ? rc : h5_attr_write_str(g, "run_id", meta->run_id);
    rc = rc ? rc : h5_attr_write_str(g, "parent", meta->parent ? meta->parent : "");
    rc = rc ? rc : h5_attr_write_str(g, "lineage", meta->lineage ? meta->lineage : "");
    H5Gclose(g);
    if (rc)
        return rc;

    hsize_t n = (hsize_t)meta->metrics.count;
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t type = metrics_type();
    hid_t ds = H5Dcreate2(f, "metrics", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc = ds >= 0 && (n == 0 || H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                        meta->metrics.rows) >= 0) ? 0 : -1;
    if (ds >= 0)
        H5Dclose(ds);
    H5Tclose(type);
    H5Sclose(space);
    return rc ? error_set("cannot write /metrics") : 0;
}

/* /optimizer: the last steps (meta->velocity), as /net's arrays, and
 * their checksum. */
static int write_velocity(hid_t f, const net_t *net, const float *velocity)
{
    char hex[65];
    hid_t g = H5Gcreate2(f, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return error_set("cannot create group /optimizer");
    int rc = weights_sha256(velocity, net->n_params, hex);
    rc = rc ? rc : h5_attr_write_str(g, "velocity_sha256", hex);
    rc = rc ? rc : write_arrays(g, &net->shape, velocity);
    H5Gclose(g);
    return rc;
}

static int write_contents(hid_t f, const net_t *net, const ckpt_meta_t *meta)
{
    int rc = write_net(f, net, meta);
    rc = rc || !meta->velocity ? rc : write_velocity(f, net, meta->velocity);
    return rc ? rc : write_train(f, meta);
}

int ckpt_write(const char *path, const net_t *net, const ckpt_meta_t *meta)
{
    /* made in memory and written atomically with plain writes
     * (h5_save_image): a full disk or a file size limit is then an ordinary
     * write error, and the previous file stays whole */
    const size_t arrays = meta->velocity ? 2 : 1;
    h5_image_t image;
    hid_t f = h5_create_in_memory(path, arrays * net->n_params * sizeof(float) + ((size_t)1 << 20),
                                  &image);
    if (f < 0)
        return error_prefix("checkpoint %s", path);
    if (write_contents(f, net, meta) < 0) {
        H5Fclose(f);
        return error_prefix("checkpoint %s", path);
    }
    if (h5_save_image(f, &image, path) < 0)
        return error_prefix("checkpoint %s", path);
    return 0;
}

/* Whether dataset name is [rows, cols] (cols 0: a vector [rows]). */
static int has_shape(hid_t f, const char *name, hsize_t rows, hsize_t cols)
{
    hsize_t dims[2];
    int rank = h5_dataset_shape(f, name, dims, 2);
    return cols ? rank == 2 && dims[0] == rows && dims[1] == cols : rank == 1 && dims[0] == rows;
}

static int read_matrix(hid_t f, const char *path, const char *name, float *data, hsize_t rows,
                       hsize_t cols)
{
    if (!has_shape(f, name, rows, cols))
        return error_set("%s: %s should be a [%llu, %llu] matrix", path, name,
                         (unsigned long long)rows, (unsigned long long)cols);
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t t = ds >= 0 ? H5Dget_type(ds) : -1;
    int ok = h5_type_is_sound(t, H5T_FLOAT) &&
             H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (t >= 0)
        H5Tclose(t);
    if (ds >= 0)
        H5Dclose(ds);
    return ok ? 0 : error_set("%s: cannot read %s (damaged or truncated file?)", path, name);
}

/* Most weights a file may ask for: 1 GiB of floats, far above the largest
 * network the configuration allows (784-100000-10, 79 M), so a hostile
 * header cannot choose the size of an allocation. */
#define CKPT_MAX_PARAMS ((uint64_t)CONFIG_MAX_PARAMS)

/* The sizes the attributes claim, checked against the cap and against the
 * arrays' real shapes before anything is allocated for them. */
static int check_sizes(hid_t f, const char *path, const net_shape_t *shape)
{
    uint64_t weights = net_shape_params(shape);
    char sizes[256];
    net_shape_sizes_text(shape, sizes, sizeof sizes);
    if (weights > CKPT_MAX_PARAMS)
        return error_set("%s: a %s network (%llu weights) is more than nnmpi reads (%llu)", path,
                         sizes, (unsigned long long)weights, (unsigned long long)CKPT_MAX_PARAMS);
    net_array_t a[NET_MAX_ARRAYS];
    const int n = net_arrays(shape, a);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "/net/%.15s", a[i].name);
        if (!has_shape(f, name, a[i].rows, a[i].cols) && a[i].cols)
            return error_set("%s: %s should be a [%llu, %llu] matrix", path, name,
                             (unsigned long long)a[i].rows, (unsigned long long)a[i].cols);
        if (!has_shape(f, name, a[i].rows, a[i].cols))
            return error_set("%s: %s should be a vector of %llu biases", path, name,
                             (unsigned long long)a[i].rows);
    }
    return 0;
}

static int read_metrics(hid_t f, const char *path, metrics_t *m)
{
    hsize_t n;
    if (!h5_has_link(f, "metrics"))
        return 0;
    if (h5_dataset_shape(f, "metrics", &n, 1) != 1 || n > 1000000)
        return error_set("%s: /metrics has an unexpected shape", path);
    if (n == 0)
        return 0;
    m->rows = calloc((size_t)n, sizeof *m->rows);
    if (!m->rows)
        return error_set("%s: out of memory for /metrics", path);
    m->count = m->capacity = (int)n;
    hid_t type = metrics_type();
    hid_t ds = H5Dopen2(f, "metrics", H5P_DEFAULT);
    hid_t ftype = ds >= 0 ? H5Dget_type(ds) : -1;
    int ok = h5_type_is_sound(ftype, H5T_COMPOUND) && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->rows) >= 0;
    if (ftype >= 0)
        H5Tclose(ftype);
    if (ds >= 0)
        H5Dclose(ds);
    H5Tclose(type);
    return ok ? 0 : error_set("%s: cannot read /metrics", path);
}

static int read_i64_in(hid_t g, const char *path, const char *group, const char *name,
                       int64_t lo, int64_t hi, int64_t *value)
{
    if (h5_attr_read_i64(g, name, value) < 0)
        return error_prefix("%s: /%s", path, group);
    if (*value < lo || *value > hi)
        return error_set("%s: /%s attribute %s = %lld is out of range", path, group, name,
                         (long long)*value);
    return 0;
}

/* A number of the training state: NaN or out of [lo, hi] is damage (it
 * would flow into the resumed run's clocks and figures). */
static int read_f64_in(hid_t g, const char *path, const char *group, const char *name,
                       double lo, double hi, double *value)
{
    if (h5_attr_read_f64(g, name, value) < 0)
        return error_prefix("%s: /%s", path, group);
    if (!(*value >= lo && *value <= hi))
        return error_set("%s: /%s attribute %s = %g is out of range", path, group, name, *value);
    return 0;
}

/* The lineage attributes, absent in files written before run ids. */
static int read_lineage(hid_t g, const char *path, ckpt_meta_t *meta)
{
    char *id = NULL;
    if (h5_has_attr(g, "run_id") && h5_attr_read_str(g, "run_id", &id) < 0)
        return error_prefix("%s: /train", path);
    size_t n = id ? strlen(id) : 0;
    int hex = id && strspn(id, "0123456789abcdef") == n;
    if (id && n && (n != CKPT_RUN_ID_LEN || !hex)) { /* "": a run older than run ids */
        free(id);
        return error_set("%s: /train attribute run_id is not %d hex digits", path,
                         CKPT_RUN_ID_LEN);
    }
    if (id)
        memcpy(meta->run_id, id, n + 1);
    free(id);
    const char *names[2] = {"parent", "lineage"};
    char **fields[2] = {&meta->parent, &meta->lineage};
    for (int i = 0; i < 2; i++) {
        if (h5_has_attr(g, names[i]) && h5_attr_read_str(g, names[i], fields[i]) < 0)
            return error_prefix("%s: /train", path);
        if (!*fields[i] && !(*fields[i] = strdup("")))
            return error_set("%s: out of memory", path);
    }
    return 0;
}

/* /train: the position, the state of the epoch in progress, the dataset
 * and the lineage; then /metrics. */
static int read_train(hid_t f, const char *path, ckpt_meta_t *meta)
{
    hid_t g = H5Gopen2(f, "train", H5P_DEFAULT);
    if (g < 0)
        return error_set("%s: no /train group", path);
    int64_t epoch, step, seed, world;
    int rc = read_i64_in(g, path, "train", "epoch", 0, 1 << 30, &epoch);
    rc = rc ? rc : read_i64_in(g, path, "train", "step", 0, INT64_MAX, &step);
    rc = rc ? rc : read_i64_in(g, path, "train", "seed", INT64_MIN, INT64_MAX, &seed);
    rc = rc ? rc : read_i64_in(g, path, "train", "world_size", 1, 1 << 24, &world);
    int64_t tensor = 1;
    if (!rc && h5_has_attr(g, "tensor_parallel"))
        rc = read_i64_in(g, path, "train", "tensor_parallel", 1, world, &tensor);
    int64_t rows = 0;
    if (!rc && (h5_attr_read_str(g, "config", &meta->config_text) < 0 ||
                h5_attr_read_str(g, "data_id", &meta->data_id) < 0))
        rc = error_prefix("%s: /train", path);
    rc = rc ? rc : read_f64_in(g, path, "train", "epoch_loss_sum", 0, DBL_MAX,
                               &meta->epoch_loss_sum);
    rc = rc ? rc : read_i64_in(g, path, "train", "epoch_count", 0, INT64_MAX, &meta->epoch_count);
    rc = rc ? rc : read_i64_in(g, path, "train", "epoch_correct", 0, meta->epoch_count,
                               &meta->epoch_correct);
    rc = rc ? rc : read_f64_in(g, path, "train", "epoch_train_s", 0, DBL_MAX,
                               &meta->epoch_train_s);
    rc = rc ? rc : read_f64_in(g, path, "train", "elapsed_s", 0, DBL_MAX, &meta->elapsed_s);
    rc = rc ? rc : read_i64_in(g, path, "train", "data_rows", 0, INT64_MAX, &rows);
    rc = rc ? rc : read_lineage(g, path, meta);
    H5Gclose(g);
    meta->data_rows = rows;
    if (rc)
        return rc;
    meta->epoch = (int)epoch;
    meta->step = step;
    meta->seed = (uint64_t)seed;
    meta->world_size = (int)world;
    meta->tensor_parallel = (int)tensor;
    return read_metrics(f, path, &meta->metrics);
}

/* Index of name in a NULL-terminated list, or -1. */
static int name_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

/* "784,300,100,10" into shape's sizes; 0 or -1. */
static int parse_layers(const char *text, net_shape_t *shape)
{
    int n = 0;
    for (const char *p = text; n <= NET_MAX_LAYERS; p++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > NET_MAX_UNITS || (*end && *end != ','))
            return -1;
        shape->sizes[n++] = (int)v;
        if (!*end) {
            shape->n_layers = n - 1;
            return n >= 3 ? 0 : -1;
        }
        p = end;
    }
    return -1;
}

/* The settings of a network other than the book's: its layer list,
 * activation, output, loss and bias attributes. */
static int read_settings(hid_t g, const char *path, net_shape_t *shape)
{
    const char *names[4] = {"layers", "activation", "output", "loss"};
    char *text[4] = {NULL, NULL, NULL, NULL};
    int64_t bias = 0;
    int rc = 0;
    for (int i = 0; i < 4 && !rc; i++)
        if (h5_attr_read_str(g, names[i], &text[i]) < 0)
            rc = error_prefix("%s: /net", path);
    rc = rc ? rc : read_i64_in(g, path, "net", "bias", 0, 1, &bias);
    int act = rc ? -1 : name_index(net_activation_names, text[1]);
    int out = rc ? -1 : name_index(net_output_names, text[2]);
    int loss = rc ? -1 : name_index(net_loss_names, text[3]);
    if (!rc && parse_layers(text[0], shape) < 0)
        rc = error_set("%s: /net attribute layers = '%s' is not a list of 3 to %d sizes", path,
                       text[0], NET_MAX_LAYERS + 1);
    else if (!rc && (act < 0 || out < 0 || loss < 0))
        rc = error_set("%s: /net has an unknown activation '%s', output '%s' or loss '%s'", path,
                       text[1], text[2], text[3]);
    for (int i = 0; i < 4; i++)
        free(text[i]);
    shape->activation = (net_activation_t)act;
    shape->output = (net_output_t)out;
    shape->loss = (net_loss_t)loss;
    shape->bias = (int)bias;
    return rc;
}

/* The network /net describes: the book's from n_in, n_hidden and n_out
 * (version 1 files), or the layer list and settings, which must agree
 * with them. */
static int read_shape(hid_t g, const char *path, int64_t version, net_shape_t *shape)
{
    int64_t n_in, n_hidden, n_out;
    int rc = read_i64_in(g, path, "net", "n_in", 1, NET_MAX_UNITS, &n_in);
    rc = rc ? rc : read_i64_in(g, path, "net", "n_hidden", 1, NET_MAX_UNITS, &n_hidden);
    rc = rc ? rc : read_i64_in(g, path, "net", "n_out", 1, 1 << 10, &n_out);
    if (rc)
        return rc;
    *shape = net_book_shape((int)n_in, (int)n_hidden, (int)n_out);
    if (!h5_has_attr(g, "layers"))
        return version > CKPT_VERSION_BOOK
                   ? error_set("%s: /net has no layers attribute (a version %lld file lists its "
                               "layers)", path, (long long)version)
                   : 0;
    if (read_settings(g, path, shape) < 0)
        return -1;
    const int L = shape->n_layers;
    if (shape->sizes[0] != n_in || shape->sizes[1] != n_hidden || shape->sizes[L] != n_out)
        return error_set("%s: /net says n_in %lld, n_hidden %lld, n_out %lld but layers %d-%d-..."
                         "-%d (damaged file?)", path, (long long)n_in, (long long)n_hidden,
                         (long long)n_out, shape->sizes[0], shape->sizes[1], shape->sizes[L]);
    return net_shape_check(shape) < 0 ? error_prefix("%s: /net", path) : 0;
}

/* The arrays of shape's net from group /GROUP into book (book order). */
static int read_arrays(hid_t f, const char *path, const char *group, const net_shape_t *shape,
                       float *book)
{
    net_array_t a[NET_MAX_ARRAYS];
    const int n = net_arrays(shape, a);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        char name[48];
        snprintf(name, sizeof name, "/%.15s/%.15s", group, a[i].name);
        rc = read_matrix(f, path, name, book + a[i].offset, a[i].rows, a[i].cols);
    }
    return rc;
}

/* The weights in the file's (the book's) order into net, and their
 * checksum into hex. */
static int read_weights(hid_t f, const char *path, net_t *net, char hex[65])
{
    float *book = malloc(net->n_params * sizeof *book);
    if (!book)
        return error_set("%s: out of memory for %zu weights", path, net->n_params);
    int rc = read_arrays(f, path, "net", &net->shape, book);
    rc = rc ? rc : weights_sha256(book, net->n_params, hex);
    if (!rc)
        net_from_book_order(net, book);
    free(book);
    return rc;
}

/* /net: the shapes, the rule and the weights, checked against their
 * checksum (checksum_ok NULL: a mismatch is an error; otherwise it is
 * reported there). */
/* The data's image size and class names; files older than them held
 * 28x28 digits. */
static int read_data_ends(hid_t g, const char *path, const net_shape_t *shape, ckpt_meta_t *meta)
{
    int64_t h = 0, w = 0;
    if (h5_has_attr(g, "image_height") &&
        (read_i64_in(g, path, "net", "image_height", 1, 1024, &h) < 0 ||
         read_i64_in(g, path, "net", "image_width", 1, 1024, &w) < 0))
        return -1;
    if (!h && shape->sizes[0] == 28 * 28)
        h = w = 28;
    if (h && h * w != shape->sizes[0])
        return error_set("%s: /net image_height x image_width = %lldx%lld, but the network "
                         "takes %d inputs (damaged file?)", path, (long long)h, (long long)w,
                         shape->sizes[0]);
    meta->image_height = (int)h;
    meta->image_width = (int)w;
    if (h5_has_attr(g, "class_names") && h5_attr_read_str(g, "class_names", &meta->class_names) < 0)
        return error_prefix("%s: /net", path);
    if (meta->class_names && classnames_check(meta->class_names, shape->sizes[shape->n_layers]) < 0)
        return error_prefix("%s: /net class_names", path);
    return 0;
}

static int read_net(hid_t f, const char *path, int64_t version, net_t *net, ckpt_meta_t *meta,
                    int *checksum_ok)
{
    hid_t g = H5Gopen2(f, "net", H5P_DEFAULT);
    if (g < 0)
        return error_set("%s: no /net group", path);
    net_shape_t shape;
    char *rule = NULL;
    int rc = read_shape(g, path, version, &shape);
    if (!rc && h5_attr_read_str(g, "rule", &rule) < 0)
        rc = error_prefix("%s: /net", path);
    rc = rc ? rc : read_data_ends(g, path, &shape, meta);
    H5Gclose(g);
    if (rc) {
        free(rule);
        return rc;
    }
    meta->rule = strcmp(rule, "gradient") == 0 ? NET_RULE_GRADIENT : NET_RULE_BOOK;
    if (strcmp(rule, "gradient") && strcmp(rule, "book"))
        rc = error_set("%s: unknown rule '%s'", path, rule);
    else if (meta->rule == NET_RULE_BOOK && !net_shape_is_book(&shape))
        rc = error_set("%s: rule 'book' with a network other than the book's (damaged file?)",
                       path);
    free(rule);
    if (rc || check_sizes(f, path, &shape) < 0)
        return -1;
    if (net_init_shape(net, &shape, 0) < 0)
        return error_prefix("%s", path);
    char hex[65];
    if (read_weights(f, path, net, hex) < 0)
        return -1;

    char *stored = NULL;
    if (h5_attr_read_str(f, "weights_sha256", &stored) < 0)
        return error_set("%s: no weights_sha256 attribute", path);
    int same = strcmp(hex, stored) == 0;
    free(stored);
    if (!same && !checksum_ok)
        return error_set("%s: the weights do not match their checksum (damaged file)", path);
    if (checksum_ok)
        *checksum_ok = same;
    memcpy(meta->weights_sha256, hex, sizeof hex);
    return 0;
}

/* /optimizer, when there is one: meta->velocity, checked against its
 * checksum. */
static int read_velocity(hid_t f, const char *path, const net_t *net, ckpt_meta_t *meta)
{
    if (H5Lexists(f, "optimizer", H5P_DEFAULT) <= 0)
        return 0;
    float *v = malloc(net->n_params * sizeof *v);
    if (!v)
        return error_set("%s: out of memory for %zu momentum values", path, net->n_params);
    int rc = read_arrays(f, path, "optimizer", &net->shape, v);
    char hex[65], *stored = NULL;
    hid_t g = rc ? -1 : H5Gopen2(f, "optimizer", H5P_DEFAULT);
    if (!rc && (g < 0 || h5_attr_read_str(g, "velocity_sha256", &stored) < 0))
        rc = error_set("%s: /optimizer has no velocity_sha256 attribute", path);
    if (g >= 0)
        H5Gclose(g);
    rc = rc ? rc : weights_sha256(v, net->n_params, hex);
    if (!rc && strcmp(hex, stored))
        rc = error_set("%s: the momentum (/optimizer) does not match its checksum (damaged file)",
                       path);
    free(stored);
    if (rc) {
        free(v);
        return -1;
    }
    meta->velocity = v;
    return 0;
}

/* net NULL: the training state only (ckpt_peek). */
static int read_contents(hid_t f, const char *path, net_t *net, ckpt_meta_t *meta,
                         int *checksum_ok)
{
    int64_t version;
    if (h5_check_format(f, path, CKPT_FORMAT, CKPT_VERSION, &version) < 0)
        return -1;
    if (net && read_net(f, path, version, net, meta, checksum_ok) < 0)
        return -1;
    if (net && read_velocity(f, path, net, meta) < 0)
        return -1;
    return read_train(f, path, meta);
}

static int read_file(const char *path, net_t *net, ckpt_meta_t *meta, int *checksum_ok)
{
    if (net)
        memset(net, 0, sizeof *net);
    memset(meta, 0, sizeof *meta);
    hid_t f = h5_open_read(path);
    if (f < 0)
        return -1;
    int rc = read_contents(f, path, net, meta, checksum_ok);
    H5Fclose(f);
    if (rc) {
        if (net)
            net_free(net);
        ckpt_meta_free(meta);
    }
    return rc;
}

int ckpt_read(const char *path, net_t *net, ckpt_meta_t *meta)
{
    return read_file(path, net, meta, NULL);
}

int ckpt_inspect(const char *path, net_t *net, ckpt_meta_t *meta, int *checksum_ok)
{
    return read_file(path, net, meta, checksum_ok);
}

int ckpt_peek(const char *path, ckpt_meta_t *meta)
{
    return read_file(path, NULL, meta, NULL);
}

void ckpt_meta_free(ckpt_meta_t *meta)
{
    free(meta->config_text);
    free(meta->data_id);
    free(meta->parent);
    free(meta->lineage);
    free(meta->class_names);
    free(meta->velocity);
    metrics_free(&meta->metrics);
    memset(meta, 0, sizeof *meta);
}
