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
#include "nnmpi/ckptdir.h"
#include "nnmpi/log.h"
#include "nnmpi/preempt.h"
#include "nnmpi/resume.h"
#include "nnmpi/sparse_rows.h"
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
            "  ckpt-eEEEEEE-sSSSSSSSSSS.h5  checkpoints: E epochs done, S steps into the\n"
            "               next ([checkpoint] every_epochs/every_steps/every_minutes;\n"
            "               the newest `keep` are kept, and the best)\n"
            "  latest.h5, best.h5  links to the newest and the best checkpoint\n"
            "\n"
            "options:\n"
            "  -c, --config FILE     INI file (sections and keys below)\n"
            "  -s, --set S.K=V       override one key, e.g. --set train.lr=0.05 (repeatable,\n"
            "                        applied after the file)\n"
            "  -r, --resume PATH     continue the run saved in checkpoint PATH; without -c\n"
            "                        the checkpoint's own configuration is used\n"
            "  -r, --resume auto     continue from the newest valid checkpoint of the run\n"
            "                        directory (damaged ones are skipped with a warning),\n"
            "                        or start afresh if there is none\n"
            "      --fresh           delete the run directory's checkpoints and start over\n"
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
            "resuming: the same number of ranks continues exactly the run that would have\n"
            "happened (bit-identical weights, also from a mid-epoch checkpoint). Another\n"
            "number of ranks continues too: sync mode keeps the same global batches (same\n"
            "mathematics, float rounding aside); local mode deals the rows anew and goes on\n"
            "at the same fraction of the epoch. Keys that define the run (net.hidden,\n"
            "net.rule, train.mode, batch, sync_every, seed, shuffle) must not change; the\n"
            "others (epochs, lr, schedule, checkpoint and output settings) may, and the\n"
            "changes are logged.\n"
            "\n"
            "speed: both modes work on the lit pixels only (an MNIST digit lights about a\n"
            "quarter of them), with AVX-512, AVX2 or plain C kernels chosen for the\n"
            "CPU; NNMPI_SIMD=avx2 or c narrows the choice (results then differ in the last\n"
            "bits, so resume bit-identically on the same kind of CPU). Ranks on one node\n"
            "exchange through shared memory: nnmpi sets\n"
            "OMPI_MCA_btl_vader_single_copy_mechanism=none unless it is set already.\n"
            "At the end a line tells where a step's time went: the compute (this rank's\n"
            "and the slowest rank's) and the reduction with its wait for the slowest rank.\n"
            "Above about 30%% in the reduction, a larger train.batch pays off; a slowest\n"
            "rank well behind the others means unequal cores (shared or throttled).\n"
            "\n"
            "stopping: SIGTERM (scancel, mpirun on Ctrl-C), SIGUSR1 (sbatch\n"
            "--signal=B:USR1@120) or SIGINT on any rank: all ranks stop at the next step,\n"
            "rank 0 writes a checkpoint, and the exit status is 75 (requeue and run again\n"
            "with --resume auto).\n"
            "\n"
            "exit status: 0 done, 1 failed while training (the message names the rank and\n"
            "cause), 2 bad command line or configuration, 75 stopped by a signal after\n"
            "writing a checkpoint.\n");
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

typedef struct {
    const char *config_path;
    char **sets;
    int n_sets;
    const char *resume;   /* NULL, a checkpoint path, or "auto" */
    int fresh, print_only;
} train_args_t;

/* Every rank parses the same arguments and reaches the same verdict, so a
 * bad option stops all of them without any communication. */
static int parse_args(int argc, char **argv, train_args_t *a)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"resume", required_argument, NULL, 'r'},
        {"fresh", no_argument, NULL, 'f'},
        {"print-config", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->sets = calloc((size_t)argc, sizeof *a->sets);
    if (!a->sets)
        return error_set("out of memory");
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:s:r:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c': a->config_path = optarg; break;
        case 's': a->sets[a->n_sets++] = optarg; break;
        case 'r': a->resume = optarg; break;
        case 'f': a->fresh = 1; break;
        case 'p': a->print_only = 1; break;
        case 'h': return 1;
        default:
            return error_set("train: unknown or incomplete option '%s' (see nnmpi train --help)",
                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return error_set("train: unexpected argument '%s' (see nnmpi train --help)", argv[optind]);
    if (a->fresh && a->resume)
        return error_set("train: --fresh and --resume contradict each other");
    return 0;
}

/* The configuration: the file (or, resuming without one, the checkpoint's
 * own), then the --set overrides. */
static int build_config(const train_args_t *a, const char *base_text, config_t *cfg)
{
    config_defaults(cfg);
    int rc = 0;
    if (a->config_path) {
        rc = config_load_file(cfg, a->config_path);
    } else if (base_text) {
        rc = config_load_text(cfg, base_text, a->resume);
        snprintf(cfg->source, sizeof cfg->source, "%s (the checkpoint's own)", a->resume);
    }
    for (int i = 0; i < a->n_sets && !rc; i++)
        rc = config_set(cfg, a->sets[i], "--set");
    if (!rc)
        default_dir(cfg, a->config_path);
    return rc;
}

/* Open MPI moves a large message between two ranks of one node by default
 * with CMA, a process_vm_readv system call per transfer. In a virtual
 * machine that call is dear: here, 2 ranks trained 131,000 samples/s at
 * batch 32 with it and 175,000 copying through shared memory instead (and
 * in containers CMA is often forbidden outright). So nnmpi asks for the
 * copy unless the user chose: OMPI_MCA_btl_vader_single_copy_mechanism=cma
 * brings CMA back (bare-metal nodes may gain from it at large batches). */
static void prefer_shared_memory_copies(void)
{
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
}

int cmd_train(int argc, char **argv)
{
    int provided;
    prefer_shared_memory_copies();
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "nnmpi: error: MPI_Init failed\n");
        return EXIT_FAILURE_RUN;
    }
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    log_set_rank(rank, size);
    preempt_install(); /* before anything slow, so an early stop is not a kill */

    train_args_t args = {0};
    resume_t resume = {0};
    config_t *cfg = malloc(sizeof *cfg);
    int status = EXIT_OK;
    int rc = cfg ? parse_args(argc, argv, &args) : error_set("out of memory");
    if (rc == 0)
        rc = build_config(&args, NULL, cfg);
    if (rc == 0 && args.resume) {
        int r = resume_open(args.resume, cfg->dir, &resume);
        if (r) {
            if (r == TRAIN_FAILED)
                log_error("%s", error_message());
            status = EXIT_FAILURE_RUN;
            goto out;
        }
        if (resume.found && !args.config_path)
            rc = build_config(&args, resume.config_text, cfg);
    }
    if (rc == 0 && !args.print_only)
        rc = config_validate(cfg);
    if (rc == 0 && !args.print_only)
        rc = sparse_rows_check_env();
    if (rc == 1) {
        if (rank == 0)
            usage(stdout);
    } else if (rc < 0) {
        /* the same on every rank: said once, without a rank number */
        if (rank == 0)
            fprintf(stderr, "nnmpi: error: %s\n", error_message());
        status = EXIT_USAGE;
    } else if (args.print_only) {
        char *text = config_to_text(cfg);
        if (rank == 0 && text)
            fputs(text, stdout);
        free(text);
    } else {
        if (args.fresh && rank == 0 && ckptdir_clear(cfg->dir) < 0)
            log_warn("%s", error_message());
        train_result_t result;
        rc = train_run(cfg, &resume, &result);
        if (rc == TRAIN_FAILED)
            log_error("%s", error_message());
        status = rc == TRAIN_PREEMPTED ? PREEMPT_EXIT_STATUS : rc ? EXIT_FAILURE_RUN : EXIT_OK;
    }
out:
    resume_free(&resume);
    free(args.sets);
    free(cfg);
    MPI_Finalize();
    return status;
}
