/* nnmpi: one executable, one subcommand per job. Only `train` starts MPI;
 * the others are ordinary programs. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "nnmpi/h5util.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    {"prepare", cmd_prepare, "MNIST (IDX or the book's CSV) -> HDF5 training file, with rotated copies"},
    {"train", cmd_train, "train the network data-parallel (run it under mpirun -np P)"},
    {"eval", cmd_eval, "accuracy and confusion matrix of a model on a dataset's test set"},
    {"info", cmd_info, "summarise a dataset or model/checkpoint file"},
    {"query", cmd_query, "which digit the model sees in your own PNG pictures"},
    {"backquery", cmd_backquery, "run the model backwards: what each digit looks like to it"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi COMMAND [OPTIONS...]\n"
            "\n"
            "Trains the digit recogniser of Tariq Rashid's \"Make Your Own Neural Network\"\n"
            "(784-H-10, sigmoid) on MNIST plus rotated copies, data-parallel over MPI.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "`nnmpi COMMAND --help` explains a command's options.\n"
            "\n"
            "typical session:\n"
            "  nnmpi prepare --mnist data/mnist -o data/mnist-rot10.h5\n"
            "  mpirun -np 2 nnmpi train -c configs/fast.ini\n"
            "  nnmpi eval -m runs/fast/model.h5 -d data/mnist-rot10.h5\n"
            "\n"
            "exit status: 0 success, 1 a failure while working (the message says\n"
            "what and where), 2 a bad command line or configuration.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("nnmpi 0.1.0\n");
        return EXIT_OK;
    }
    h5_quiet();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "nnmpi: error: unknown command '%s' (try nnmpi --help)\n", argv[1]);
    return EXIT_USAGE;
}
