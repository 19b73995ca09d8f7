/* nnmpi train: parse the command line and config on every rank, run the
 * training, turn the outcome into one message and an exit status. */
#include <getopt.h>
#include <libgen.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "nnmpi/config.h"
#include "nnmpi/error.h"
#include "nnmpi/log.h"
#include "nnmpi/train.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mpirun -np P nnmpi train -c CONFIG.ini [--set section.key=value]...\n"
            "\n"
            "Trains the network on the HDF5 file named by [data] file, data-parallel over\n"
            "the P ranks of the job: every rank reads only its share of the training rows;\n"
            "rank 0 also evaluates the test set after every epoch, prints one progress line\n"
            "per epoch and writes into [output] dir:\n"
            "  model.h5     the trained network (nnmpi eval / info / query read it)\n"
            "  metrics.csv  one row per epoch: epoch,train_loss,train_accuracy,\n"
            "               test_accuracy,lr,samples_per_s,wall_s,ranks\n"
            "  config.ini   the resolved configuration of the run\n"
            "\n"
            "options:\n"
            "  -c, --config FILE     INI file (sections and keys below)\n"
            "  -s, --set S.K=V       override one key, e.g. --set train.lr=0.05 (repeatable,\n"
            "                        applied after the file)\n"
            "      --print-config    print the resolved configuration and exit\n"
            "  -h, --help            this text\n"
            "\n"
            "configuration keys (unknown keys and bad values are errors):\n");
    config_print_help(out);
    fprintf(out,
            "\n"
            "modes: sync computes each global batch's mean update over all ranks (one\n"
            "MPI_Allreduce per step); the same batch gives the same result on any number of\n"
            "ranks. local runs the book's per-sample SGD on every rank and averages the\n"
            "weights every sync_every samples; on one rank it is exactly the book's loop.\n"
            "\n"
            "exit status: 0 done, 1 failed while training (the message names the rank and\n"
            "cause), 2 bad command line or configuration.\n");
}

/* runs/<config file name without .ini>, or runs/default */
static void default_dir(config_t *cfg, const char *config_path)
{
    if (cfg->dir[0])
        return;
    char name[CONFIG_PATH_MAX] = "default";
    if (config_path) {
        char copy[CONFIG_PATH_MAX];
        snprintf(copy, sizeof copy, "%s", config_path);
        snprintf(name, sizeof name, "%s", basename(copy));
        char *dot = strrchr(name, '.');
        if (dot && dot != name)
            *dot = '\0';
    }
    snprintf(cfg->dir, sizeof cfg->dir, "runs/%s", name);
}

/* Every rank parses the same arguments and reaches the same verdict, so a
 * bad option stops all of them without any communication. */
static int parse(int argc, char **argv, config_t *cfg, int *print_only)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"print-config", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    char **sets = calloc((size_t)argc, sizeof *sets);
    int n_sets = 0, opt;
    if (!sets)
        return error_set("out of memory");
    config_defaults(cfg);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:s:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 's': sets[n_sets++] = optarg; break;
        case 'p': *print_only = 1; break;
        case 'h': free(sets); return 1;
        default:
            free(sets);
            return error_set("train: unknown or incomplete option '%s' (see nnmpi train --help)",
                             argv[optind - 1]);
        }
    }
    if (optind < argc) {
        free(sets);
        return error_set("train: unexpected argument '%s' (see nnmpi train --help)", argv[optind]);
    }
    int rc = config_path ? config_load_file(cfg, config_path) : 0;
    for (int i = 0; i < n_sets && !rc; i++)
        rc = config_set(cfg, sets[i], "--set");
    free(sets);
    if (rc)
        return rc;
    default_dir(cfg, config_path);
    return config_validate(cfg);
}

int cmd_train(int argc, char **argv)
{
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "nnmpi: error: MPI_Init failed\n");
        return EXIT_FAILURE_RUN;
    }
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    log_set_rank(rank, size);

    config_t *cfg = malloc(sizeof *cfg);
    int print_only = 0, status = EXIT_OK;
    int rc = cfg ? parse(argc, argv, cfg, &print_only) : error_set("out of memory");
    if (rc == 1) {
        if (rank == 0)
            usage(stdout);
    } else if (rc < 0) {
        /* the same on every rank: said once, without a rank number */
        if (rank == 0)
            fprintf(stderr, "nnmpi: error: %s\n", error_message());
        status = EXIT_USAGE;
    } else if (print_only) {
        char *text = config_to_text(cfg);
        if (rank == 0 && text)
            fputs(text, stdout);
        free(text);
    } else {
        train_result_t result;
        rc = train_run(cfg, &result);
        if (rc == TRAIN_FAILED)
            log_error("%s", error_message());
        status = rc ? EXIT_FAILURE_RUN : EXIT_OK;
    }
    free(cfg);
    MPI_Finalize();
    return status;
}
