/* nnmpi train: parse the command line and config on every rank, run the
 * training, turn the outcome into one message and an exit status. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "nnmpi/agree.h"
#include "nnmpi/ckptdir.h"
#include "nnmpi/config.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/log.h"
#include "nnmpi/mpierror.h"
#include "nnmpi/preempt.h"
#include "nnmpi/runstart.h"
#include "nnmpi/sparse_rows.h"
#include "nnmpi/train.h"
#include "nnmpi/version.h"
#include "nnmpi/watchdog.h"

/* train --help: the text around the configuration keys (config_print_help). */
static const char usage_head[] =
    "usage: mpirun -np P nnmpi train -c CONFIG.ini [--set section.key=value]...\n"
    "\n"
    "Trains the network on the HDF5 file named by [data] file, data-parallel over\n"
    "the P ranks of the job: every rank reads only its share of the training rows;\n"
    "the ranks share the evaluation of the test set after every epoch; rank 0 prints\n"
    "one progress line per epoch and writes into [output] dir:\n"
    "  model.h5     the trained network (nnmpi eval / info / query read it)\n"
    "  metrics.csv  one row per epoch: epoch,train_loss,train_accuracy,\n"
    "               test_accuracy,lr,samples_per_s,wall_s,ranks\n"
    "  config.ini   the resolved configuration of the run\n"
    "  ckpt-eEEEEEE-sSSSSSSSSSS.h5  checkpoints: E epochs done, S steps into the\n"
    "               next ([checkpoint] every_epochs/every_steps/every_minutes;\n"
    "               the newest `keep` are kept, and the best)\n"
    "  latest.h5, best.h5  links to the newest and the best checkpoint\n"
    "  run.lock     held by rank 0 while a job trains here (see run directory)\n"
    "\n"
    "options:\n"
    "  -c, --config FILE     INI file (sections and keys below)\n"
    "  -s, --set S.K=V       override one key, e.g. --set train.lr=0.05 (repeatable,\n"
    "                        applied after the file)\n"
    "  -r, --resume PATH     continue the run saved in checkpoint PATH; without -c\n"
    "                        the checkpoint's own configuration is used\n"
    "  -r, --resume auto     continue the run directory's run from latest.h5 (an\n"
    "                        older checkpoint if that one is damaged), or start\n"
    "                        afresh if it holds none\n"
    "      --fresh           start a new run; the directory's previous run is moved\n"
    "                        into previous-TIME/, not deleted\n"
    "      --print-config    print the resolved configuration (and the seconds a\n"
    "                        stop needs for its checkpoint) and exit\n"
    "      --ranks N         with --print-config: check it for a job of N ranks\n"
    "  -h, --help            this text\n"
    "\n"
    "configuration keys (unknown keys and bad values are errors):\n";

static const char usage_tail[] =
    "\n"
    "modes: sync computes each global batch's mean update over all ranks (one\n"
    "MPI_Allreduce per step); the same batch gives the same result on any number of\n"
    "ranks. local runs the book's per-sample SGD on every rank and averages the\n"
    "weights every sync_every samples; on one rank it is exactly the book's loop.\n"
    "\n"
    "sharing the work: tensor_parallel = T makes groups of T consecutive ranks that\n"
    "process the same samples, each rank its slice of the (first) hidden layer's\n"
    "units, exchanging only the sums into the next layer per step (batch x 10 floats\n"
    "for the book's net; deeper nets compute the layers above it whole on every\n"
    "rank); the groups share the batch (sync) or are the workers (local). The\n"
    "default, auto, groups the ranks of a node in sync mode (on the 2-core machines\n"
    "measured: 1.4-1.7x one rank at batch 32, where 2 ranks sharing the batch ran\n"
    "0.5-1.1x), unless the layers above the first outweigh it, and uses 1 (plain data\n"
    "parallelism) in local mode. Results equal one rank's up to float rounding.\n"
    "\n"
    "resuming: the same number of ranks continues exactly the run that would have\n"
    "happened (bit-identical weights, also from a mid-epoch checkpoint). Another\n"
    "number of ranks continues too: sync mode keeps the same global batches (same\n"
    "mathematics, float rounding aside); local mode deals the rows anew and goes on\n"
    "at the same fraction of the epoch. Keys that define the run (the [net] keys,\n"
    "train.mode, batch, sync_every, seed, shuffle) must not change; the\n"
    "others (epochs, lr, schedule, checkpoint and output settings) may, and the\n"
    "changes are logged.\n"
    "\n"
    "run directory: one job, one run. Rank 0 holds DIR/run.lock while it trains\n"
    "(an fcntl lock, gone when the job is; NNMPI_RUN_LOCK=file for file systems\n"
    "without them): a second job into DIR stops at once (exit 3) naming the\n"
    "holder. Every checkpoint records its run's id and lineage (nnmpi info DIR\n"
    "shows them). Without --resume, DIR must hold no run. --resume auto follows\n"
    "latest.h5; resuming an older checkpoint moves what came after it into\n"
    "DIR/abandoned-TIME/; a checkpoint of another run is refused into DIR;\n"
    "checkpoints that do not load are moved into DIR/damaged-TIME/. Nothing is\n"
    "moved and config.ini is not written until every check has passed.\n"
    "\n"
    "ranks and hosts: every rank reads its own command line, configuration and\n"
    "data file; before training they must agree on all of it (values, the data's\n"
    "rows, order seed and a sample checksum, the CPU kernels, the version), or\n"
    "every rank stops naming what differs, the ranks and their hosts (exit 2). A\n"
    "rank that waits [train] stall_timeout seconds in one step (a stopped or hung\n"
    "rank, a failed network) ends the job (exit 4) naming the step; --resume auto\n"
    "then continues from the last checkpoint. Rank 0 warns when some ranks do not\n"
    "see the run directory (no shared file system).\n"
    "\n"
    "speed: both modes work on the lit pixels only (an MNIST digit lights about a\n"
    "quarter of them), with AVX-512, AVX2 or plain C kernels chosen for the\n"
    "CPU; NNMPI_SIMD=avx2 or c narrows the choice (results then differ in the last\n"
    "bits, so resume bit-identically on the same kind of CPU). Ranks on one node\n"
    "exchange through shared memory: nnmpi sets\n"
    "OMPI_MCA_btl_vader_single_copy_mechanism=none unless it is set already.\n"
    "At the end a line tells where a step's time went: the compute (this rank's\n"
    "and the slowest rank's) and the reduction with its wait for the slowest rank.\n"
    "Above about 30% in the reduction, a larger train.batch pays off; a slowest\n"
    "rank well behind the others means unequal cores (shared or throttled).\n"
    "\n"
    "stopping: SIGTERM (scancel, mpirun on Ctrl-C), SIGUSR1 (sbatch\n"
    "--signal=B:USR1@120) or SIGINT on any rank, also during start-up: all ranks\n"
    "stop at the next step, rank 0 writes a checkpoint (or stops with the one it\n"
    "is writing), and the exit status is 75\n"
    "(requeue and run again with --resume auto). mpirun, sent SIGTERM, passes it\n"
    "on after odls_base_sigkill_timeout seconds and kills the ranks as long\n"
    "after: Open MPI's 1 s is too short for a large network's checkpoint (a\n"
    "warning says so at start); give mpirun --mca odls_base_sigkill_timeout N\n"
    "with the N --print-config names, as jobs/mpirun.sh and jobs/train.sbatch do,\n"
    "or stop mpirun with SIGUSR1.\n"
    "\n"
    "last line: rank 0 ends with 'outcome: done|stopped|failed|refused | ... |\n"
    "model|checkpoint HOST:PATH', which the job scripts report from.\n"
    "\n"
    "exit status: 0 done, 1 failed (the message names the rank, its host and the\n"
    "cause; an MPI call that fails ends every rank at once, naming the call in\n"
    "progress), 2 bad command line or configuration, or ranks that disagree, 3 the\n"
    "run directory is in use by another job, 4 ranks stopped answering\n"
    "([train] stall_timeout), 75 stopped by a signal after writing a checkpoint.\n";

static void usage(FILE *out)
{
    fputs(usage_head, out);
    config_print_help(out);
    fputs(usage_tail, out);
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
    int fresh, print_only, help;
    int check_ranks;      /* --ranks N with --print-config: 0 if not given */
} train_args_t;

static int parse_ranks(const char *text, int *ranks)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > 1 << 24)
        return error_set("train: --ranks '%s': expected a number of ranks", text);
    *ranks = (int)v;
    return 0;
}

/* The options; -1 (with the message) on a bad command line. */
static int parse_args(int argc, char **argv, train_args_t *a)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"resume", required_argument, NULL, 'r'},
        {"fresh", no_argument, NULL, 'f'},
        {"print-config", no_argument, NULL, 'p'},
        {"ranks", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->sets = calloc((size_t)argc, sizeof *a->sets);
    if (!a->sets)
        return error_set("out of memory");
    /* no usage: every rank parses, rank 0 alone prints --help or the message */
    cmd_options_t o = cmd_options("train", argc, argv, "c:s:r:h", options, NULL);
    int opt;
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'c': a->config_path = optarg; break;
        case 's': a->sets[a->n_sets++] = optarg; break;
        case 'r': a->resume = optarg; break;
        case 'f': a->fresh = 1; break;
        case 'p': a->print_only = 1; break;
        case 'n':
            if (parse_ranks(optarg, &a->check_ranks) < 0)
                return -1;
            break;
        case 'h': a->help = 1; break;
        case '?': return -1; /* cmd_option recorded the message */
        }
    }
    if (optind < argc)
        return error_set("train: unexpected argument '%s' (see nnmpi train --help)", argv[optind]);
    if (a->fresh && a->resume)
        return error_set("train: --fresh and --resume contradict each other");
    if (a->check_ranks && !a->print_only)
        return error_set("train: --ranks N goes with --print-config (a job's ranks are mpirun's)");
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

/* What every rank must have the same of: what it was asked to do, the
 * configuration's values (paths aside: a host may spell them otherwise; the
 * data file's contents are compared when it is opened), the kernels its
 * CPU runs and the program. */
static void run_items(const train_args_t *a, const config_t *cfg, int with_config,
                      agree_list_t *items)
{
    agree_add(items, "the command", "%s", a->help ? "--help" : a->print_only ? "--print-config"
                                                                            : "train");
    agree_add(items, "--resume", "%s", a->resume ? a->resume : "(none)");
    agree_add(items, "--fresh", "%s", a->fresh ? "yes" : "no");
    agree_add(items, "the nnmpi version", "%s", NNMPI_VERSION);
    if (!with_config)
        return;
    for (int i = 0; i < config_key_count(); i++) {
        if (config_key_is_path(i))
            continue;
        char name[64], value[AGREE_VALUE_MAX];
        config_key_name(i, name, sizeof name);
        config_key_value(cfg, i, value, sizeof value);
        agree_add(items, name, "%s", value);
    }
    agree_add(items, "the CPU kernels", "%s", sparse_rows_isa());
}

/* Open MPI moves a large message between two ranks of one node by default
 * with CMA, a process_vm_readv system call per transfer. In a virtual
 * machine that call is dear: here, 2 ranks trained 131,000 samples/s at
 * batch 32 with it and 180,000 copying through shared memory instead (and
 * in containers CMA is often forbidden outright). So nnmpi asks for the
 * copy unless the user chose: OMPI_MCA_btl_vader_single_copy_mechanism=cma
 * brings CMA back (bare-metal nodes may gain from it at large batches). */
static void prefer_shared_memory_copies(void)
{
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
}

/* Every rank: the command line and the configuration it names; the ranks
 * then agree on them (no rank may go on alone). */
static int read_command(int argc, char **argv, train_args_t *a, config_t *cfg)
{
    int rc = parse_args(argc, argv, a);
    if (rc == 0 && !a->help)
        rc = build_config(a, NULL, cfg);
    if (rc == 0 && a->print_only && a->check_ranks)
        rc = config_check_ranks(cfg, a->check_ranks);
    agree_list_t items = {0};
    run_items(a, cfg, 0, &items);
    return agree_all(rc < 0 ? EXIT_USAGE : 0, &items);
}

/* The network's ends from the data file's header (its images' pixels, its
 * classes); a file that cannot be read leaves MNIST's, and the data's own
 * check (open_data) then says what is wrong with it. */
static void take_data_ends(config_t *cfg)
{
    dataset_info_t info;
    if (!cfg->data_file[0] || dataset_info(cfg->data_file, &info) < 0) {
        error_clear();
        return;
    }
    config_set_data_ends(cfg, info.height, info.width, info.classes);
    dataset_info_free(&info);
}

/* The configuration the run will have: the checkpoint's own when no file
 * is given (--resume auto keeps the directory it searched), checked for
 * this job. */
static int settle_config(const train_args_t *a, const runstart_t *s, config_t *cfg, int size)
{
    char searched[CONFIG_PATH_MAX];
    snprintf(searched, sizeof searched, "%s", cfg->dir);
    int rc = 0;
    if (s->found && !a->config_path) {
        rc = build_config(a, s->config_text, cfg);
        if (!rc && !strcmp(a->resume, "auto"))
            snprintf(cfg->dir, sizeof cfg->dir, "%s", searched);
    }
    if (!rc)
        take_data_ends(cfg);
    rc = rc ? rc : config_validate(cfg);
    rc = rc ? rc : config_check_ranks(cfg, size);
    rc = rc ? rc : sparse_rows_check_env();
    return rc < 0 ? EXIT_USAGE : 0;
}

/* From the command line to a run that may start, on every rank: 0, or the
 * exit status every rank ends with (message in error_message()). */
static int start_run(const train_args_t *a, config_t *cfg, runstart_t *start)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int status = runstart_locate(a->resume, cfg->dir, start);
    if (status)
        return status;
    status = settle_config(a, start, cfg, size);
    if (!status && rank == 0)
        status = runstart_plan(start, a->resume, a->fresh, cfg->dir);
    agree_list_t items = {0};
    run_items(a, cfg, 1, &items);
    status = agree_all(status, &items);
    return status ? status : runstart_check_shared(start, a->resume, cfg->dir);
}

/* Rank 0's last line, for people and for the job scripts, which report
 * from it (jobs/mpirun.sh, jobs/train.sbatch): how the run ended and the
 * file to continue from, as HOST:PATH (the run directory is rank 0's). */
static void say_outcome(int status, const config_t *cfg, const train_result_t *r)
{
    char dir[PATH_MAX], latest[256], where[PATH_MAX + 600] = "none";
    if (!realpath(cfg->dir, dir))
        snprintf(dir, sizeof dir, "%s", cfg->dir);
    ckptdir_link_target(cfg->dir, "latest.h5", latest, sizeof latest);
    if (latest[0])
        snprintf(where, sizeof where, "%s:%s/%s", log_host(), dir, latest);
    switch (status) {
    case EXIT_OK:
        log_info("outcome: done | %d of %d epochs | model %s:%s/model.h5", r->epochs_done,
                 cfg->epochs, log_host(), dir);
        break;
    case EXIT_STOPPED:
        log_info("outcome: stopped | epoch %d step %lld | checkpoint %s", r->epochs_done + 1,
                 (long long)r->step, where);
        break;
    case EXIT_USAGE:
        log_info("outcome: refused (exit status %d) | checkpoint %s", status, where);
        break;
    case EXIT_DIR_IN_USE: /* the checkpoints are the other job's */
        log_info("outcome: refused (exit status %d) | checkpoint none", status);
        break;
    default:
        log_info("outcome: failed (exit status %d) | checkpoint %s", status, where);
    }
}

/* Rank 0's last words when the job cannot go on (the watchdog's and
 * mpierror's; arg: the configuration). */
static void say_last_outcome(int status, void *arg)
{
    say_outcome(status, arg, &(train_result_t){0});
}

int cmd_train(int argc, char **argv)
{
    preempt_install(); /* first: a stop during start-up is noted, not a kill */
    prefer_shared_memory_copies();
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        error_set("MPI_Init failed");
        return cmd_fail();
    }
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    log_set_rank(rank, size);
    mpierror_install();
    watchdog_start(WATCHDOG_DEFAULT_S);

    train_args_t args = {0};
    runstart_t start = {.lock = {.fd = -1}};
    train_result_t result = {0};
    config_t *cfg = calloc(1, sizeof *cfg); /* zeroed: a refused command line has no dir */
    int status = cfg ? read_command(argc, argv, &args, cfg)
                     : (error_set("out of memory"), cmd_fail());
    int training = cfg && !args.help && !args.print_only;
    if (!status && args.help && rank == 0)
        usage(stdout);
    if (!status && args.print_only) {
        char *text = config_to_text(cfg);
        if (rank == 0 && text)
            printf("%s\n# a stop needs about %d s for the checkpoint: mpirun --mca "
                   "odls_base_sigkill_timeout %d (the job scripts read this line)\n", text,
                   train_stop_seconds(cfg), train_stop_seconds(cfg));
        free(text);
    }
    if (training && !status)
        status = start_run(&args, cfg, &start);
    if (training && !status) {
        if (rank == 0)
            watchdog_on_give_up(say_last_outcome, cfg);
        watchdog_start(cfg->stall_timeout);
        status = train_run(cfg, &start, &result);
    }
    /* every failure's message is the same on every rank: rank 0 says it */
    if (status && status != EXIT_STOPPED && cfg)
        log_job_error("%s", error_message());
    if (training && rank == 0)
        say_outcome(status, cfg, &result);
    watchdog_on_give_up(NULL, NULL);
    runstart_free(&start);
    free(args.sets);
    free(cfg);
    MPI_Finalize();
    return status;
}
