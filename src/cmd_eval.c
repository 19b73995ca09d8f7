/* nnmpi eval: a model's accuracy and confusion matrix on a dataset. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/eval.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi eval -m MODEL.h5 -d DATA.h5 [--split test|train]\n"
            "\n"
            "Runs every image of the dataset's test set (or training set) through the model\n"
            "and prints the confusion matrix, per-digit recall, and as the last line\n"
            "`accuracy 0.XXXX` (the fraction classified correctly).\n"
            "\n"
            "  -m, --model FILE   model.h5 or any checkpoint written by nnmpi train\n"
            "  -d, --data FILE    dataset written by nnmpi prepare\n"
            "      --split NAME   test (default) or train\n"
            "  -h, --help         this text\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},
        {"data", required_argument, NULL, 'd'},
        {"split", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *data = NULL, *split = "test";
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "m:d:h", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 's': split = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default:
            fprintf(stderr, "nnmpi: error: eval: unknown or incomplete option '%s' (see nnmpi "
                            "eval --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (!model || !data || optind < argc || (strcmp(split, "test") && strcmp(split, "train"))) {
        fprintf(stderr, "nnmpi: error: eval: needs -m MODEL.h5 -d DATA.h5 [--split test|train]\n");
        return EXIT_USAGE;
    }
    net_t net;
    ckpt_meta_t meta;
    imageset_t set;
    eval_result_t res;
    if (ckpt_read(model, &net, &meta) < 0) {
        fprintf(stderr, "nnmpi: error: %s\n", error_message());
        return EXIT_FAILURE_RUN;
    }
    int rc = dataset_read_split(data, split, &set);
    rc = rc ? rc : eval_run(&net, &set, &res);
    if (!rc) {
        char sizes[256];
        net_shape_sizes_text(&net.shape, sizes, sizeof sizes);
        printf("model %s (%s, epoch %d) on %s /%s: %lld images\n", model, sizes, meta.epoch,
               data, split, (long long)res.count);
        eval_print_confusion(stdout, &res);
        printf("loss %.6f\n", res.loss_sum / (double)res.count);
        printf("accuracy %.4f\n", eval_accuracy(&res));
    } else {
        fprintf(stderr, "nnmpi: error: %s\n", error_message());
    }
    imageset_free(&set);
    net_free(&net);
    ckpt_meta_free(&meta);
    return rc ? EXIT_FAILURE_RUN : EXIT_OK;
}
