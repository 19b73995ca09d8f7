/* nnmpi eval: a model's accuracy and confusion matrix on a dataset. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd_common.h"
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
            "and prints the confusion matrix, per-class recall (rows named by the model's\n"
            "class names when its data had them), and as the last line\n"
            "`accuracy 0.XXXX` (the fraction classified correctly).\n"
            "\n"
            "  -m, --model FILE   model.h5 or any checkpoint written by nnmpi train\n"
            "  -d, --data FILE    dataset written by nnmpi prepare\n"
            "      --split NAME   test (default) or train\n"
            "  -h, --help         this text\n");
}

/* Prints the model's results on the split; 0, or -1 with the message. */
static int evaluate(const char *model, const char *data, const char *split)
{
    net_t net;
    ckpt_meta_t meta;
    imageset_t set = {0};
    eval_result_t res = {0};
    if (ckpt_read(model, &net, &meta) < 0)
        return -1;
    int rc = dataset_read_split(data, split, &set);
    rc = rc ? rc : eval_run(&net, &set, &res);
    if (!rc) {
        char sizes[256];
        net_shape_sizes_text(&net.shape, sizes, sizeof sizes);
        printf("model %s (%s, epoch %d) on %s /%s: %lld images\n", model, sizes, meta.epoch,
               data, split, (long long)res.count);
        eval_print_confusion(stdout, &res, meta.class_names);
        printf("loss %.6f\n", res.loss_sum / (double)res.count);
        printf("accuracy %.4f\n", eval_accuracy(&res));
    }
    eval_result_free(&res);
    imageset_free(&set);
    net_free(&net);
    ckpt_meta_free(&meta);
    return rc;
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
    cmd_options_t o = cmd_options("eval", argc, argv, "m:d:h", options, usage);
    int opt;
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 's': split = optarg; break;
        }
    }
    if (o.finished)
        return o.status;
    if (!model || !data || optind < argc || (strcmp(split, "test") && strcmp(split, "train")))
        return cmd_usage_error("eval: needs -m MODEL.h5 -d DATA.h5 [--split test|train]");
    return evaluate(model, data, split) < 0 ? cmd_fail() : EXIT_OK;
}
