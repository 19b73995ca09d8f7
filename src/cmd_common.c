/* cmd_common: the subcommands' shared option loop, error endings and model
 * loading (cmd_common.h). */
#include "cmd_common.h"

#include <stdarg.h>
#include <stdio.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "nnmpi/log.h"

static int finish(cmd_options_t *o, int status)
{
    o->finished = 1;
    o->status = status;
    return 0;
}

cmd_options_t cmd_options(const char *command, int argc, char **argv, const char *shortopts,
                          const struct option *longopts, void (*usage)(FILE *out))
{
    opterr = 0; /* getopt says nothing itself: cmd_option's message names the command */
    optind = 1;
    return (cmd_options_t){command, argc, argv, shortopts, longopts, usage, 0, 0};
}

int cmd_option(cmd_options_t *o)
{
    int opt = getopt_long(o->argc, o->argv, o->shortopts, o->longopts, NULL);
    switch (opt) {
    case -1:
        return 0;
    case '?':
        error_set("%s: unknown or incomplete option '%s' (see nnmpi %s --help)", o->command,
                  o->argv[optind - 1], o->command);
        if (!o->usage)
            return opt;
        log_error("%s", error_message());
        return finish(o, EXIT_USAGE);
    case 'h':
        if (!o->usage)
            return opt;
        o->usage(stdout);
        return finish(o, EXIT_OK);
    default:
        return opt;
    }
}

int cmd_usage_error(const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    log_error("%s", text);
    return EXIT_USAGE;
}

int cmd_fail(void)
{
    log_error("%s", error_message());
    return EXIT_FAILURE_RUN;
}

int cmd_load_model_sized(const char *path, net_t *net, int *h, int *w)
{
    ckpt_meta_t meta;
    if (ckpt_read(path, net, &meta) < 0)
        return -1;
    *h = meta.image_height;
    *w = meta.image_width;
    ckpt_meta_free(&meta);
    if (*h > 0 && *w > 0)
        return 0;
    error_set("%s: the model does not record the size of its pictures (%d inputs)", path,
              net->n_in);
    net_free(net);
    return -1;
}

int cmd_load_picture_model(const char *path, net_t *net)
{
    ckpt_meta_t meta;
    if (ckpt_read(path, net, &meta) < 0)
        return -1;
    ckpt_meta_free(&meta); /* only the weights are needed */
    if (net->n_in == IMAGE_PIXELS)
        return 0;
    error_set("%s: the model takes %d inputs, not the %d pixels of a %dx%d picture", path,
              net->n_in, IMAGE_PIXELS, IMAGE_SIDE, IMAGE_SIDE);
    net_free(net);
    return -1;
}
