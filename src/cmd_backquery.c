/* nnmpi backquery: run a trained model backwards (the book's back-query)
 * and draw what each digit, or any output vector, looks like to it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd_common.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/image.h"
#include "nnmpi/net.h"
#include "nnmpi/query.h"

#define MAX_TARGETS QUERY_MAX_OUTPUTS
#define DEFAULT_SCALE 10
#define MAX_SCALE (IMAGE_MAX_SIDE / IMAGE_SIDE)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi backquery -m MODEL.h5 -o DIR [--target V0,...,V9] [--scale N]\n"
            "\n"
            "Runs the model backwards, as the book does: from a wished-for output vector\n"
            "through the logit (inverse sigmoid) of each layer and the transposed weights\n"
            "(for other nets: atanh for tanh layers, log for a softmax output, biases\n"
            "taken off; ReLU nets cannot be inverted and are refused),\n"
            "rescaling each layer's signal to 0.01..0.99, back to an input picture (28x28\n"
            "for digits; the model's own size for other data).\n"
            "The pictures show high values dark, like the book's imshow(cmap='Greys').\n"
            "\n"
            "Without --target it writes, for each class d = 0..9 (target 0.99 for d and\n"
            "0.01 for the others; a model of N classes: 0..N-1):\n"
            "  DIR/backquery_d.png       the picture\n"
            "  DIR/backquery_d_xN.png    the same enlarged N times (nearest neighbour)\n"
            "  DIR/backquery_all.png     the ten side by side, labelled\n"
            "\n"
            "  -m, --model FILE       model.h5 or any checkpoint written by nnmpi train\n"
            "  -o, --output DIR       where the pictures go (made if missing)\n"
            "      --target V0,...    back-query this output vector instead: one value per\n"
            "                         output neuron (10), each strictly between 0 and 1;\n"
            "                         e.g. 0.01,0.01,0.01,0.5,0.01,0.01,0.01,0.01,0.5,0.01\n"
            "                         is half \"3\", half \"8\". Writes DIR/backquery_target.png\n"
            "                         and DIR/backquery_target_xN.png\n"
            "      --scale N          enlarge the copies N times, 1..%d (default %d; a copy\n"
            "                         is at most %d pixels wide); 1 writes no enlarged copies\n"
            "  -h, --help             this text\n"
            "\n"
            "exit status: 0 success, 1 a failure while working (the message says what),\n"
            "2 a bad command line.\n",
            MAX_SCALE, DEFAULT_SCALE, IMAGE_MAX_SIDE);
}

/* "0.01,0.99,..." -> values; returns how many, or -1 with a message. */
static int parse_target(const char *text, float *values, int max)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || (*end && *end != ','))
            return error_set("--target: '%s' is not a comma-separated list of numbers", text);
        if (!(v > 0.0 && v < 1.0))
            return error_set("--target: the value for output %d is %g; every value must lie "
                             "strictly between 0 and 1 (the book uses 0.01 and 0.99)", n, v);
        if (n == max)
            return error_set("--target: more than %d values", max);
        values[n++] = (float)v;
        if (!*end)
            return n;
        p = end + 1;
    }
}

/* "1".."MAX_SCALE" -> *scale; -1 with a message otherwise. */
static int parse_scale(const char *text, int *scale)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end || v < 1 || v > MAX_SCALE)
        return error_set("--scale must be a whole number from 1 to %d, not '%s'", MAX_SCALE,
                         text);
    *scale = (int)v;
    return 0;
}

/* DIR/backquery_target.png and its enlarged copy; 0, or -1 with the message. */
static int draw_target(const net_t *net, int h, int w, const float *target, const char *dir,
                       int scale)
{
    uint8_t *px = malloc((size_t)net->n_in);
    int rc = px ? query_backquery_png(net, h, w, target, dir, "target", scale, px)
                : error_set("out of memory for a %dx%d picture", h, w);
    free(px);
    if (rc < 0)
        return -1;
    printf("wrote %s/backquery_target.png%s\n", dir, scale > 1 ? " and its enlarged copy" : "");
    return 0;
}

/* Every class's picture and the montage of them; 0, or -1 with the message. */
static int draw_classes(const net_t *net, int h, int w, const char *model, const char *dir,
                        int scale)
{
    if (query_backquery_all(net, h, w, dir, scale) < 0)
        return error_prefix("%s", model);
    printf("wrote %s/backquery_0.png ... backquery_%d.png%s and backquery_all.png (the %d "
           "pictures side by side)\n", dir, net->n_out - 1,
           scale > 1 ? ", their enlarged copies" : "", net->n_out);
    return 0;
}

int cmd_backquery(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"target", required_argument, NULL, 't'},
        {"scale", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *dir = NULL, *target_text = NULL;
    int scale = DEFAULT_SCALE, opt;
    cmd_options_t o = cmd_options("backquery", argc, argv, "m:o:h", options, usage);
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 'o': dir = optarg; break;
        case 't': target_text = optarg; break;
        case 's':
            if (parse_scale(optarg, &scale) < 0)
                return cmd_usage_error("backquery: %s", error_message());
            break;
        }
    }
    if (o.finished)
        return o.status;
    if (!model || !dir || optind < argc)
        return cmd_usage_error("backquery: needs -m MODEL.h5 -o DIR (see nnmpi backquery --help)");
    float target[MAX_TARGETS];
    int n_target = 0;
    if (target_text && (n_target = parse_target(target_text, target, MAX_TARGETS)) < 0)
        return cmd_usage_error("backquery: %s", error_message());

    net_t net;
    int h, w;
    if (cmd_load_model_sized(model, &net, &h, &w) < 0)
        return cmd_fail();
    int status = EXIT_OK;
    if (target_text && n_target != net.n_out)
        status = cmd_usage_error("backquery: --target has %d values but the model has %d outputs",
                                 n_target, net.n_out);
    else if (fs_mkdir_p(dir) < 0)
        status = cmd_fail();
    else if ((target_text ? draw_target(&net, h, w, target, dir, scale)
                          : draw_classes(&net, h, w, model, dir, scale)) < 0)
        status = cmd_fail();
    net_free(&net);
    return status;
}
