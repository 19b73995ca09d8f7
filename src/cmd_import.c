/* nnmpi import: the weights of the book's own Python code, saved with
 * numpy.savez, as an nnmpi model that query, backquery, eval and info read. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd_common.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/error.h"
#include "nnmpi/model_npz.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi import --npz FILE.npz -o MODEL.h5\n"
            "\n"
            "Makes an nnmpi model of the book's network from its weights as NumPy\n"
            "saves them from the book's neuralNetwork class:\n"
            "\n"
            "    numpy.savez(\"book.npz\", wih=n.wih, who=n.who)\n"
            "\n"
            "wih [hidden, inputs] and who [outputs, hidden], float64 (NumPy's default) or\n"
            "float32 (as nnmpi export writes them); the net is the book's: sigmoid, no\n"
            "biases, the book's update rule. Then `nnmpi query`, `backquery`, `eval` and\n"
            "`info` work on MODEL.h5.\n"
            "\n"
            "      --npz FILE     the arrays\n"
            "  -o, --output FILE  the model to write (replaced atomically)\n"
            "  -h, --help         this text\n"
            "\n"
            "exit status: 0 success, 1 a failure while working (the message names the\n"
            "array and what is wrong with it), 2 a bad command line.\n");
}

static int import_book(const char *npz, const char *out)
{
    net_t net;
    if (model_npz_read_book(npz, &net) < 0)
        return -1;
    char lineage[512];
    snprintf(lineage, sizeof lineage, "imported from %s by nnmpi import", npz);
    ckpt_meta_t meta = {
        .world_size = 1,
        .tensor_parallel = 1,
        .rule = NET_RULE_BOOK, /* the book's code trains with its own rule */
        .config_text = "",
        .data_id = "",
        .parent = "",
        .lineage = lineage,
    };
    int rc = ckpt_write(out, &net, &meta);
    if (!rc) {
        char shape[256];
        net_shape_describe(&net.shape, shape, sizeof shape);
        printf("wrote %s: %s, from %s\n", out, shape, npz);
    }
    net_free(&net);
    return rc;
}

int cmd_import(int argc, char **argv)
{
    static const struct option options[] = {
        {"npz", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *npz = NULL, *out = NULL;
    int opt;
    cmd_options_t o = cmd_options("import", argc, argv, "o:h", options, usage);
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'n': npz = optarg; break;
        case 'o': out = optarg; break;
        }
    }
    if (o.finished)
        return o.status;
    if (!npz || !out || optind < argc)
        return cmd_usage_error("import: needs --npz FILE.npz -o MODEL.h5");
    return import_book(npz, out) < 0 ? cmd_fail() : EXIT_OK;
}
