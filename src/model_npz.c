/* model_npz: nets to .npz and the book's .npz back; see model_npz.h. */
#include "nnmpi/model_npz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/config.h"
#include "nnmpi/error.h"
#include "nnmpi/npz.h"

/* meta.json's text into buf; 0 or -1 if it does not fit. */
static int meta_json(const net_t *net, const net_array_t *a, int n, char *buf, size_t size)
{
    const net_shape_t *s = &net->shape;
    FILE *f = fmemopen(buf, size, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"format\": \"%s\", \"format_version\": %d,\n \"layers\": [", MODEL_NPZ_FORMAT,
            MODEL_NPZ_VERSION);
    for (int l = 0; l <= s->n_layers; l++)
        fprintf(f, "%s%d", l ? ", " : "", s->sizes[l]);
    fprintf(f, "],\n \"activation\": \"%s\", \"output\": \"%s\", \"loss\": \"%s\", \"bias\": %s,\n",
            net_activation_names[s->activation], net_output_names[s->output],
            net_loss_names[s->loss], s->bias ? "true" : "false");
    fprintf(f, " \"arrays\": [");
    for (int i = 0; i < n; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", a[i].py_name);
    fprintf(f, "],\n \"orientation\": \"[outputs, inputs]: z = W x + b\",\n"
               " \"input_scaling\": \"x = pixel / 255 * 0.99 + 0.01, pixel 0..255, 0 the "
               "background\",\n \"input_scale\": [%.9g, 0.01],\n \"classes\": [",
            0.99 / 255.0);
    for (int k = 0; k < s->sizes[s->n_layers]; k++)
        fprintf(f, "%s\"%d\"", k ? ", " : "", k);
    fprintf(f, "]}\n");
    int full = ferror(f) || ftell(f) >= (long)size - 1;
    fclose(f);
    return full ? -1 : 0;
}

int model_npz_write(const char *path, const net_t *net)
{
    float *book = malloc(net->n_params * sizeof *book);
    char *json = malloc(16384);
    npz_t z = {0};
    int rc = book && json ? npz_create(&z, path) : error_set("out of memory for %s", path);
    net_array_t a[NET_MAX_ARRAYS];
    const int n = net_arrays(&net->shape, a);
    if (!rc) {
        net_to_book_order(net, book);
        for (int i = 0; i < n && !rc; i++) {
            uint64_t shape[2] = {a[i].rows, a[i].cols};
            rc = npz_add_array(&z, a[i].py_name, book + a[i].offset, a[i].cols ? 2 : 1,
                               shape);
        }
    }
    if (!rc && meta_json(net, a, n, json, 16384) < 0)
        rc = error_set("%s: meta.json does not fit", path);
    rc = rc ? rc : npz_add_bytes(&z, "meta.json", json, strlen(json));
    rc = rc ? rc : npz_save(&z);
    npz_close(&z);
    free(json);
    free(book);
    return rc;
}

/* The headers of the book's two arrays, whose shapes must chain:
 * wih [H, I], who [O, H]. */
static int book_headers(npz_t *z, npy_header_t *wih, npy_header_t *who)
{
    const char *names[2] = {"wih", "who"};
    npy_header_t *h[2] = {wih, who};
    for (int i = 0; i < 2; i++) {
        if (!npz_has_array(z, names[i])) {
            char found[256];
            npz_list_arrays(z, found, sizeof found);
            return error_set("%s: no array '%s' (it holds %s; import reads the book's wih "
                             "and who)", z->path, names[i], *found ? found : "no arrays");
        }
        if (npz_array_header(z, names[i], h[i]) < 0)
            return -1;
        char shape[64];
        npy_shape_text(h[i], shape, sizeof shape);
        if (h[i]->ndim != 2 || h[i]->count == 0)
            return error_set("%s: %s is %s, not a matrix", z->path, names[i], shape);
    }
    if (who->shape[1] != wih->shape[0])
        return error_set("%s: wih is [%llu, %llu] but who [%llu, %llu]: who needs %llu columns, "
                         "one per hidden unit", z->path, (unsigned long long)wih->shape[0],
                         (unsigned long long)wih->shape[1], (unsigned long long)who->shape[0],
                         (unsigned long long)who->shape[1], (unsigned long long)wih->shape[0]);
    if (wih->shape[0] > NET_MAX_UNITS || wih->shape[1] > NET_MAX_UNITS || who->shape[0] > 1024 ||
        wih->count + who->count > (uint64_t)CONFIG_MAX_PARAMS)
        return error_set("%s: wih [%llu, %llu] and who [%llu, %llu] are larger than nnmpi reads",
                         z->path, (unsigned long long)wih->shape[0],
                         (unsigned long long)wih->shape[1], (unsigned long long)who->shape[0],
                         (unsigned long long)who->shape[1]);
    return 0;
}

/* The two arrays into net, made with their sizes. */
static int read_book(npz_t *z, net_t *net)
{
    npy_header_t wih, who;
    if (book_headers(z, &wih, &who) < 0)
        return -1;
    const net_shape_t shape = net_book_shape((int)wih.shape[1], (int)wih.shape[0],
                                             (int)who.shape[0]);
    if (net_init_shape(net, &shape, 0) < 0)
        return error_prefix("%s", z->path);
    float *book = malloc(net->n_params * sizeof *book);
    int rc = book ? npz_read_array(z, "wih", &wih, book)
                  : error_set("%s: out of memory for %zu weights", z->path, net->n_params);
    rc = rc ? rc : npz_read_array(z, "who", &who, book + wih.count);
    if (!rc)
        net_from_book_order(net, book);
    free(book);
    if (!rc && !net_is_finite(net))
        rc = error_set("%s: wih or who holds a value that is not finite (nan or inf)", z->path);
    return rc;
}

int model_npz_read_book(const char *path, net_t *net)
{
    memset(net, 0, sizeof *net);
    npz_t z;
    if (npz_open(&z, path) < 0)
        return -1;
    int rc = read_book(&z, net);
    npz_close(&z);
    if (rc)
        net_free(net);
    return rc;
}
