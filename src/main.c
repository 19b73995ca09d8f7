/* nnmpi: one executable, one subcommand per job. Only `train` starts MPI;
 * the others are ordinary programs. */
#include <cblas.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "nnmpi/h5util.h"
#include "nnmpi/log.h"
#include "nnmpi/preempt.h"
#include "nnmpi/version.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    {"prepare", cmd_prepare, "MNIST (IDX or the book's CSV) -> HDF5 training file, with rotated copies"},
    {"train", cmd_train, "train the network data-parallel (run it under mpirun -np P)"},
    {"augment-preview", cmd_augment_preview,
     "a training row under [augment]: its fresh distortions as a PNG"},
    {"eval", cmd_eval, "accuracy and confusion matrix of a model on a dataset's test set"},
    {"info", cmd_info, "summarise a dataset or model/checkpoint file"},
    {"query", cmd_query, "which digit the model sees in your own PNG pictures"},
    {"backquery", cmd_backquery, "run the model backwards: what each digit looks like to it"},
    {"report", cmd_report, "many runs in one table (CSV, Markdown) and accuracy plots (PNG)"},
    {"serve", cmd_serve, "a web page: draw a digit, see the answer; watch runs train"},
    {"export", cmd_export, "a model as ONNX (onnxruntime, ...) or NumPy arrays (.npz)"},
    {"import", cmd_import, "the book's own Python weights (numpy.savez .npz) as a model"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi COMMAND [OPTIONS...]\n"
            "\n"
            "Trains the digit recogniser of Tariq Rashid's \"Make Your Own Neural Network\"\n"
            "(784-H-10, sigmoid; or any MLP) on MNIST and its distortions, over MPI.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-16s %s\n", commands[i].name, commands[i].summary);
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

/* Debian 12's OpenBLAS (0.3.21) does not recognise newer CPUs: on AMD Zen 5
 * it falls back to its AVX2 ("Haswell") kernels, on Intel Emerald Rapids
 * (family 6, model 207) to its SSE3 ("Prescott") ones, although both CPUs
 * have AVX-512; its AVX-512 ("SkylakeX") kernels run nnmpi's GEMM shapes
 * about 1.7x faster than Haswell's, and a 2-rank sprint.ini epoch 1.3x
 * faster than Prescott's. OpenBLAS chooses its kernels when it is loaded,
 * before main, so the only way to ask is the environment of a fresh process
 * image: set OPENBLAS_CORETYPE and exec ourselves once (SkylakeX on an
 * AVX-512 CPU, Haswell on an AVX2 CPU taken for an older one). Nothing
 * happens when OpenBLAS's kernels are already that wide, when the user has
 * set OPENBLAS_CORETYPE, or NNMPI_KEEP_BLAS_CORE=1. */
static int core_is(const char *core, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(core, names[i]))
            return 1;
    return 0;
}

/* The kernels to ask for instead of `core`, or NULL to keep them. */
static const char *better_blas_core(const char *core)
{
    static const char *const avx512[] = {"SkylakeX", "CooperLake", "SapphireRapids"};
    static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "CooperLake",
                                       "SapphireRapids"};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return core_is(core, avx512, sizeof avx512 / sizeof avx512[0]) ? NULL : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return core_is(core, avx2, sizeof avx2 / sizeof avx2[0]) ? NULL : "Haswell";
    return NULL;
}

static void prefer_wider_kernels(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE") || getenv("NNMPI_KEEP_BLAS_CORE"))
        return;
    const char *core = openblas_get_corename();
    const char *better = core ? better_blas_core(core) : NULL;
    if (!better)
        return;
    /* by its own path, not /proc/self/exe: the process keeps its name
     * ("nnmpi", not "exe") in ps, top and ss */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || n >= (ssize_t)sizeof self - 1)
        return;
    self[n] = '\0';
    setenv("OPENBLAS_CORETYPE", better, 1);
    setenv("NNMPI_KEEP_BLAS_CORE", "1", 1); /* never twice */
    execv(self, argv);
    /* exec failed: carry on with the kernels we have */
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
        printf("nnmpi %s\n", NNMPI_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "train")) {
        /* a stop signal from here to train's handlers waits, pending, also
         * across the exec below (cmd_train installs them first thing) */
        preempt_block();
        prefer_wider_kernels(argv);
    }
    /* a file size limit (ulimit -f) must make a write fail with EFBIG, which
     * every writer reports, rather than kill the process with SIGXFSZ */
    signal(SIGXFSZ, SIG_IGN);
    h5_quiet();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    log_error("unknown command '%s' (try nnmpi --help)", argv[1]);
    return EXIT_USAGE;
}
