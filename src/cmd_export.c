/* nnmpi export: a model out of nnmpi, as ONNX (for onnxruntime and other
 * runtimes) or as NumPy arrays in an .npz. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd_common.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/error.h"
#include "nnmpi/model_npz.h"
#include "nnmpi/model_onnx.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi export -m MODEL.h5 -o FILE.onnx [--raw-input]\n"
            "       nnmpi export -m MODEL.h5 -o FILE.npz\n"
            "\n"
            "Writes the model's network, any shape nnmpi trains, for use elsewhere:\n"
            "\n"
            "FILE.onnx  an ONNX model (opset %d, IR version %d): input \"image\" float\n"
            "           [N, inputs] scaled as nnmpi scales pixels, x = pixel/255*0.99 + 0.01\n"
            "           (with --raw-input the grey values 0..255 themselves, 0 the\n"
            "           background: the graph scales them); one Gemm and its function\n"
            "           (Sigmoid, Tanh, Relu; Sigmoid or Softmax last) per layer; output\n"
            "           \"scores\" float [N, classes], nnmpi's own outputs.\n"
            "FILE.npz   NumPy arrays, float32, in the book's orientation [outputs, inputs]:\n"
            "           wih and who for the book's net (as its Python code names them),\n"
            "           w1, b1, w2, ... for others; \"meta.json\" holds the layers,\n"
            "           functions, input scaling and class names.\n"
            "\n"
            "  -m, --model FILE   model.h5 or any checkpoint written by nnmpi train\n"
            "  -o, --output FILE  the file to write, .onnx or .npz (replaced atomically)\n"
            "      --raw-input    ONNX only: the input is grey values 0..255\n"
            "  -h, --help         this text\n"
            "\n"
            "exit status: 0 success, 1 a failure while working (the message says what),\n"
            "2 a bad command line.\n",
            MODEL_ONNX_OPSET, MODEL_ONNX_IR);
}

/* Whether path ends in ext (".onnx"). */
static int has_extension(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && !strcmp(path + n - e, ext);
}

static int export_model(const char *model, const char *out, int onnx, int raw_input)
{
    net_t net;
    ckpt_meta_t meta;
    if (ckpt_read(model, &net, &meta) < 0)
        return -1;
    int rc = onnx ? model_onnx_write(out, &net, raw_input) : model_npz_write(out, &net);
    if (!rc) {
        char shape[256];
        net_shape_describe(&net.shape, shape, sizeof shape);
        printf("wrote %s: %s (%s)%s\n", out, shape, onnx ? "ONNX" : "NumPy arrays",
               raw_input ? ", input 0..255" : "");
    }
    net_free(&net);
    ckpt_meta_free(&meta);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"raw-input", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *out = NULL;
    int raw_input = 0, opt;
    cmd_options_t o = cmd_options("export", argc, argv, "m:o:h", options, usage);
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 'o': out = optarg; break;
        case 'r': raw_input = 1; break;
        }
    }
    if (o.finished)
        return o.status;
    if (!model || !out || optind < argc)
        return cmd_usage_error("export: needs -m MODEL.h5 -o FILE.onnx|FILE.npz");
    const int onnx = has_extension(out, ".onnx");
    if (!onnx && !has_extension(out, ".npz"))
        return cmd_usage_error("export: '%s' ends in neither .onnx nor .npz", out);
    if (raw_input && !onnx)
        return cmd_usage_error("export: --raw-input is for .onnx files");
    return export_model(model, out, onnx, raw_input) < 0 ? cmd_fail() : EXIT_OK;
}
