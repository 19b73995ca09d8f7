#include "nnmpi/eval.h"

#include <stdlib.h>
#include <string.h>

#include "nnmpi/classnames.h"
#include "nnmpi/error.h"

#define EVAL_BATCH 500
#define EVAL_LAYER_FLOATS ((size_t)1 << 22)

/* Images a batch holds: EVAL_BATCH, or fewer for a net so wide that a
 * batch's outputs of its widest layer would pass 16 MB (784-100000-10:
 * 41 images, where 500 took 200 MB on every rank). The batches depend on
 * the net alone, so every caller cuts the set alike (eval_run_share). */
static int eval_batch(const net_t *net)
{
    size_t widest = (size_t)net->ld0;
    for (int l = 2; l < net->shape.n_layers; l++)
        if ((size_t)net->shape.sizes[l] > widest)
            widest = (size_t)net->shape.sizes[l];
    size_t fit = EVAL_LAYER_FLOATS / widest;
    return fit >= EVAL_BATCH ? EVAL_BATCH : fit > 0 ? (int)fit : 1;
}

/* The matrix for the net's classes (at most NET's 1024 outputs: 8 MiB). */
static int result_init(eval_result_t *res, int n_classes)
{
    memset(res, 0, sizeof *res);
    res->confusion = calloc((size_t)n_classes * (size_t)n_classes, sizeof *res->confusion);
    if (!res->confusion)
        return error_set("out of memory for a confusion matrix of %d classes", n_classes);
    res->n_classes = n_classes;
    return 0;
}

void eval_result_free(eval_result_t *res)
{
    free(res->confusion);
    res->confusion = NULL;
    res->n_classes = 0;
}

/* Every label must name one of the net's outputs. */
static int check_labels(const net_t *net, const imageset_t *set)
{
    for (int64_t i = 0; i < set->count; i++)
        if (set->labels[i] >= net->n_out)
            return error_set("label %d of image %lld: the network has %d outputs (trained on "
                             "other data?)", set->labels[i], (long long)i, net->n_out);
    return 0;
}

/* Adds the B images from row `start` on to res. */
static void eval_chunk(const net_t *net, net_work_t *work, const imageset_t *set, int64_t start,
                       int B, const uint8_t **pixels, eval_result_t *res)
{
    for (int b = 0; b < B; b++)
        pixels[b] = imageset_image(set, start + b);
    net_forward_pixels(net, work, pixels, B);
    for (int b = 0; b < B; b++) {
        const float *o = work->o + (size_t)b * net->n_out;
        int label = set->labels[start + b], guess = net_argmax(o, net->n_out);
        res->confusion[(size_t)label * res->n_classes + guess]++;
        res->correct += guess == label;
        res->loss_sum += net_sample_loss(net, o, label);
    }
    res->count += B;
}

int eval_run_share(const net_t *net, const imageset_t *set, int share, int shares,
                   eval_result_t *res)
{
    memset(res, 0, sizeof *res);
    if (imageset_image_size(set) != net->n_in)
        return error_set("the images have %lld pixels, the network expects %d inputs",
                         (long long)imageset_image_size(set), net->n_in);
    if (check_labels(net, set) < 0 || result_init(res, net->n_out) < 0)
        return -1;
    net_work_t work;
    const int batch = eval_batch(net);
    const uint8_t **pixels = malloc((size_t)batch * sizeof *pixels);
    if (!pixels || net_work_init_pixels(&work, net, batch) < 0) {
        free(pixels);
        eval_result_free(res);
        return pixels ? -1 : error_set("out of memory for an evaluation batch");
    }
    const int64_t step = (int64_t)batch * shares;
    for (int64_t start = (int64_t)share * batch; start < set->count; start += step)
        eval_chunk(net, &work, set, start,
                   (int)(set->count - start < batch ? set->count - start : batch), pixels, res);
    net_work_free(&work);
    free(pixels);
    return 0;
}

int eval_run(const net_t *net, const imageset_t *set, eval_result_t *res)
{
    return eval_run_share(net, set, 0, 1, res);
}

void eval_print_confusion(FILE *out, const eval_result_t *res, const char *class_names)
{
    const int n = res->n_classes, named = class_names && *class_names;
    const int label_width = named ? 4 + 1 + 16 : 4; /* "  12 T-shirt/top      " */
    fprintf(out, "confusion matrix (rows: true class, columns: predicted)\n");
    fprintf(out, "%-*s |", label_width, "true");
    for (int p = 0; p < n; p++)
        fprintf(out, " %6d", p);
    fprintf(out, " | recall\n%.*s-+", label_width, "---------------------");
    for (int p = 0; p < n; p++)
        fprintf(out, "-------");
    fprintf(out, "-+-------\n");
    for (int t = 0; t < n; t++) {
        int64_t row = 0;
        char name[CLASSNAMES_MAX_NAME + 1];
        if (named)
            fprintf(out, "%4d %-16.16s |", t,
                    classnames_get(class_names, t, name, sizeof name));
        else
            fprintf(out, "%4d |", t);
        for (int p = 0; p < n; p++) {
            fprintf(out, " %6lld", (long long)eval_count(res, t, p));
            row += eval_count(res, t, p);
        }
        fprintf(out, " | %5.1f%%\n", row ? 100.0 * eval_count(res, t, t) / row : 0.0);
    }
}
