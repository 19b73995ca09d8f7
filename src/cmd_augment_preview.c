/* nnmpi augment-preview: what a training configuration's [augment] makes of
 * one training row, drawn as a PNG grid (augment_preview.h does the work). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd_common.h"
#include "nnmpi/augment_preview.h"
#include "nnmpi/config.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"

#define DEFAULT_COUNT 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi augment-preview -c CONFIG.ini [--set section.key=value]...\n"
            "                             [--row N] [--count N] -o FILE.png\n"
            "\n"
            "Draws what training shows of one training row under the configuration's\n"
            "[augment] distortions: the row as stored (\"original\"), then its distortion\n"
            "in epochs 1, 2, ..., N, as a grid of tiles, ink dark on white. These are\n"
            "exactly training's images: a sample's distortion depends only on\n"
            "[train] seed, the epoch and the row, not on the ranks, the mode or a resume.\n"
            "A tile labelled \"E: as is\" is an epoch that shows the row undistorted\n"
            "([augment] probability below 1). Each distorted tile is, in this order:\n"
            "stroke thickened or thinned (stroke), scaled about the centre of mass\n"
            "(scale), slanted and rotated in one resampling (shear, rotate), shifted by\n"
            "whole pixels (shift), elastically distorted (elastic_alpha, elastic_sigma);\n"
            "`nnmpi train --help` explains every key.\n"
            "\n"
            "  -c, --config FILE   training configuration (INI); its [data] file is read\n"
            "  -s, --set S.K=V     override one key, as for train, e.g.\n"
            "                      --set augment.shear=15 (repeatable, after the file)\n"
            "      --row N         the training row, as stored in the data file (which\n"
            "                      prepare shuffled; nnmpi info shows the count), from 0\n"
            "                      (default 0)\n"
            "      --count N       epochs drawn, 1..%d (default %d)\n"
            "  -o, --output FILE   the PNG to write\n"
            "  -h, --help          this text\n"
            "\n"
            "Nothing is trained and MPI is not started; the row's class is printed.\n"
            "\n"
            "example, for a file of the originals alone, distorted while training:\n"
            "  nnmpi prepare --mnist data/mnist --rotations '' -o data/mnist-plain.h5\n"
            "  nnmpi augment-preview -c configs/fast.ini \\\n"
            "      --set data.file=data/mnist-plain.h5 --set augment.rotate=10 \\\n"
            "      --set augment.shear=15 --row 7 -o preview.png\n"
            "\n"
            "exit status: 0 success, 1 a failure while working (an unreadable data\n"
            "file, a PNG that cannot be written: the message says what), 2 a bad command\n"
            "line or configuration (no distortion configured, a row the file lacks).\n",
            AUGMENT_PREVIEW_MAX_COUNT, DEFAULT_COUNT);
}

typedef struct {
    const char *config_path, *output;
    char **sets;
    int n_sets;
    long long row;
    int count;
} preview_args_t;

/* A whole number from lo to hi (LLONG_MAX: no limit) in text, or -1 with
 * a message naming option. */
static int parse_whole(const char *option, const char *text, long long lo, long long hi,
                       long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*text && !*end && !errno && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    if (hi == LLONG_MAX)
        return error_set("augment-preview: %s '%s': expected a whole number, %lld or more",
                         option, text, lo);
    return error_set("augment-preview: %s '%s': expected a whole number from %lld to %lld",
                     option, text, lo, hi);
}

/* The options into a; 0 to go on, or 1 with *status the command's exit
 * status (--help printed, or a bad command line reported). */
static int parse_args(int argc, char **argv, preview_args_t *a, int *status)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
        {"row", required_argument, NULL, 'r'},    {"count", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cmd_options_t o = cmd_options("augment-preview", argc, argv, "c:s:o:h", options, usage);
    long long count = DEFAULT_COUNT;
    int opt, bad = 0;
    while (!bad && (opt = cmd_option(&o))) {
        switch (opt) {
        case 'c': a->config_path = optarg; break;
        case 's': a->sets[a->n_sets++] = optarg; break;
        case 'o': a->output = optarg; break;
        case 'r': bad = parse_whole("--row", optarg, 0, LLONG_MAX, &a->row) < 0; break;
        case 'n':
            bad = parse_whole("--count", optarg, 1, AUGMENT_PREVIEW_MAX_COUNT, &count) < 0;
            break;
        }
    }
    a->count = (int)count;
    if (o.finished)
        *status = o.status;
    else if (bad)
        *status = cmd_usage_error("%s", error_message());
    else if (!a->output || optind < argc)
        *status = cmd_usage_error("augment-preview: needs -c CONFIG.ini -o FILE.png (see "
                                  "nnmpi augment-preview --help)");
    else
        return 0;
    return 1;
}

/* The configuration: the file, then the overrides; it must name a data
 * file and distort something. 0, or -1 with the message. */
static int load_config(const preview_args_t *a, config_t *cfg)
{
    config_defaults(cfg);
    if (a->config_path && config_load_file(cfg, a->config_path) < 0)
        return error_prefix("augment-preview");
    for (int i = 0; i < a->n_sets; i++)
        if (config_set(cfg, a->sets[i], "--set") < 0)
            return error_prefix("augment-preview");
    const char *where = a->config_path ? a->config_path : "the configuration";
    if (!cfg->data_file[0])
        return error_set("augment-preview: %s: [data] file is not set (the training data "
                         "to draw a row of)", where);
    if (cfg->augment.probability == 0)
        return error_set("augment-preview: %s: [augment] probability is 0, so training "
                         "distorts nothing", where);
    if (!augment_live_active(&cfg->augment))
        return error_set("augment-preview: %s sets no [augment] distortion: rotate, shift, "
                         "scale, shear, stroke and elastic_alpha are all 0 (set one, e.g. "
                         "--set augment.rotate=10)", where);
    return 0;
}

/* Whether the data file has the row: 0, -1 for a file that cannot be read
 * (a failure), -2 for a row it lacks (a bad command line). */
static int check_row(const config_t *cfg, long long row)
{
    dataset_info_t info;
    if (dataset_info(cfg->data_file, &info) < 0)
        return -1;
    long long n = (long long)info.n_train;
    dataset_info_free(&info);
    if (row < n)
        return 0;
    error_set("augment-preview: --row %lld: %s has %lld training rows (0..%lld)", row,
              cfg->data_file, n, n - 1);
    return -2;
}

/* Configuration, row, picture: the exit status. */
static int preview(const preview_args_t *a, config_t *cfg)
{
    if (load_config(a, cfg) < 0)
        return cmd_usage_error("%s", error_message());
    int rc = check_row(cfg, a->row);
    if (rc == -2)
        return cmd_usage_error("%s", error_message());
    augment_preview_t r;
    if (rc < 0 || augment_preview_write(cfg->data_file, a->row, a->count, &cfg->augment,
                                        cfg->seed, a->output, &r) < 0)
        return cmd_fail();
    printf("wrote %s (%d x %d): training row %lld of %s (class %d) as stored, then epochs "
           "1..%d of seed %llu: %d distorted, %d as is\n", a->output, r.width, r.height,
           a->row, cfg->data_file, r.label, a->count, (unsigned long long)cfg->seed,
           r.distorted, a->count - r.distorted);
    return EXIT_OK;
}

int cmd_augment_preview(int argc, char **argv)
{
    preview_args_t a = {.sets = calloc((size_t)argc, sizeof(char *))};
    config_t *cfg = calloc(1, sizeof *cfg); /* large: not on the stack */
    int status = EXIT_OK;
    if (!a.sets || !cfg) {
        error_set("out of memory");
        status = cmd_fail();
    } else if (!parse_args(argc, argv, &a, &status)) {
        status = preview(&a, cfg);
    }
    free(a.sets);
    free(cfg);
    return status;
}
