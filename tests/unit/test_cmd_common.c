/* Tests of the commands' shared helpers (src/cmd_common.c): the option loop
 * (options, operands, a second parse, --help, unknown and incomplete
 * options, each said in one line), the usage and failure endings with their
 * exit statuses, and loading a model that must take 28x28 pictures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_common.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/error.h"
#include "nnmpi/rng.h"
#include "testutil.h"

static char *dir;

/* ------------------------------------------------ capturing stdout/stderr */

typedef struct {
    int fd, saved;
    FILE *stream;
    char path[4096];
} capture_t;

static void capture_begin(capture_t *c, FILE *stream, const char *name)
{
    c->stream = stream;
    c->fd = fileno(stream);
    snprintf(c->path, sizeof c->path, "%s", testutil_path(dir, name));
    fflush(stream);
    c->saved = dup(c->fd);
    FILE *f = fopen(c->path, "w");
    CU_ASSERT_FATAL(f != NULL && c->saved >= 0);
    dup2(fileno(f), c->fd);
    fclose(f);
}

/* What the stream received since capture_begin (static buffer). */
static const char *capture_end(capture_t *c)
{
    static char text[4096];
    fflush(c->stream);
    dup2(c->saved, c->fd);
    close(c->saved);
    FILE *f = fopen(c->path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    return text;
}

/* ------------------------------------------------------ a demo command */

static FILE *usage_went_to;

static void demo_usage(FILE *out)
{
    usage_went_to = out;
}

static const struct option demo_options[] = {
    {"model", required_argument, NULL, 'm'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the demo command's loop saw: "m=VALUE q " per option, then
 * "| OPERANDS..."; and the loop's ending. */
typedef struct {
    char seen[512];
    cmd_options_t o;
} parsed_t;

static parsed_t parse_demo(int argc, char **argv, void (*usage)(FILE *out))
{
    parsed_t p = {.o = cmd_options("demo", argc, argv, "m:qh", demo_options, usage)};
    int opt;
    size_t n = 0;
    while ((opt = cmd_option(&p.o)))
        n += snprintf(p.seen + n, sizeof p.seen - n, "%c%s%s ", opt, optarg ? "=" : "",
                      optarg ? optarg : "");
    if (!p.o.finished) {
        n += snprintf(p.seen + n, sizeof p.seen - n, "|");
        for (int i = optind; i < argc; i++)
            n += snprintf(p.seen + n, sizeof p.seen - n, " %s", argv[i]);
    }
    return p;
}

static void test_options_and_operands(void)
{
    char *argv[] = {"demo", "-m", "a.h5", "x", "--quiet", "--model=b.h5", "y", NULL};
    for (int round = 0; round < 2; round++) { /* the second parse starts afresh */
        parsed_t p = parse_demo(7, argv, demo_usage);
        CU_ASSERT_STRING_EQUAL(p.seen, "m=a.h5 q m=b.h5 | x y");
        CU_ASSERT_FALSE(p.o.finished);
    }
}

static void test_help_goes_to_stdout(void)
{
    char *argv[] = {"demo", "-q", "--help", "--bogus", NULL};
    usage_went_to = NULL;
    parsed_t p = parse_demo(4, argv, demo_usage);
    CU_ASSERT_PTR_EQUAL(usage_went_to, stdout);
    CU_ASSERT_TRUE(p.o.finished);
    CU_ASSERT_EQUAL(p.o.status, EXIT_OK);
    CU_ASSERT_STRING_EQUAL(p.seen, "q "); /* nothing read after --help */
}

/* argv's bad option gives exit 2 and exactly one line naming `named`. */
static void check_bad_option(int argc, char **argv, const char *named)
{
    capture_t err;
    capture_begin(&err, stderr, "stderr");
    parsed_t p = parse_demo(argc, argv, demo_usage);
    const char *said = capture_end(&err);
    char want[256];
    snprintf(want, sizeof want, "nnmpi: error: demo: unknown or incomplete option '%s' (see "
                                "nnmpi demo --help)\n", named);
    CU_ASSERT_TRUE(p.o.finished);
    CU_ASSERT_EQUAL(p.o.status, EXIT_USAGE);
    CU_ASSERT_STRING_EQUAL(said, want);
}

static void test_bad_options_said_once(void)
{
    check_bad_option(3, (char *[]){"demo", "--bogus", "x", NULL}, "--bogus");
    check_bad_option(3, (char *[]){"demo", "x", "-z", NULL}, "-z");
    check_bad_option(2, (char *[]){"demo", "-m", NULL}, "-m");
    check_bad_option(3, (char *[]){"demo", "-q", "--model", NULL}, "--model");
    check_bad_option(2, (char *[]){"demo", "--quiet=yes", NULL}, "--quiet=yes");
}

/* Without a usage function (train: rank 0 alone speaks) the loop hands
 * --help and a bad option to the command and prints nothing. */
static void test_without_usage_the_command_decides(void)
{
    capture_t err;
    capture_begin(&err, stderr, "stderr");
    parsed_t help = parse_demo(2, (char *[]){"demo", "-h", NULL}, NULL);
    parsed_t bad = parse_demo(3, (char *[]){"demo", "--bogus", "x", NULL}, NULL);
    CU_ASSERT_STRING_EQUAL(capture_end(&err), "");
    CU_ASSERT_STRING_EQUAL(help.seen, "h |");
    CU_ASSERT_STRING_EQUAL(bad.seen, "? | x");
    CU_ASSERT_FALSE(help.o.finished || bad.o.finished);
    CU_ASSERT_STRING_EQUAL(error_message(), "demo: unknown or incomplete option '--bogus' (see "
                                            "nnmpi demo --help)");
}

static void test_usage_error_and_failure(void)
{
    capture_t err;
    capture_begin(&err, stderr, "stderr");
    int usage_status = cmd_usage_error("demo: needs -m %s", "MODEL.h5");
    error_set("x.h5: cannot open: No such file or directory");
    int fail_status = cmd_fail();
    CU_ASSERT_STRING_EQUAL(capture_end(&err),
                           "nnmpi: error: demo: needs -m MODEL.h5\n"
                           "nnmpi: error: x.h5: cannot open: No such file or directory\n");
    CU_ASSERT_EQUAL(usage_status, EXIT_USAGE);
    CU_ASSERT_EQUAL(fail_status, EXIT_FAILURE_RUN);
}

/* ---------------------------------------------------------- model loading */

static void write_model(const char *path, int n_in)
{
    net_t net;
    CU_ASSERT_FATAL(net_init(&net, n_in, 5, 10) == 0);
    rng_t rng;
    rng_seed(&rng, 7, 0);
    net_init_weights(&net, &rng);
    ckpt_meta_t meta = {.world_size = 1, .tensor_parallel = 1};
    CU_ASSERT_FATAL(ckpt_write(path, &net, &meta) == 0);
    net_free(&net);
}

static void test_load_picture_model(void)
{
    const char *good = strdup(testutil_path(dir, "good.h5"));
    const char *wide = strdup(testutil_path(dir, "wide.h5"));
    write_model(good, 784);
    write_model(wide, 100);
    net_t net;
    CU_ASSERT_EQUAL(cmd_load_picture_model(good, &net), 0);
    CU_ASSERT_EQUAL(net.n_in, 784);
    CU_ASSERT_EQUAL(net.n_out, 10);
    net_free(&net);

    CU_ASSERT_EQUAL(cmd_load_picture_model(wide, &net), -1);
    CU_ASSERT_PTR_NULL(net.params); /* freed */
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "wide.h5: the model takes 100 inputs, not "
                                                   "the 784 pixels of a 28x28 picture"));

    CU_ASSERT_EQUAL(cmd_load_picture_model(testutil_path(dir, "none.h5"), &net), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "none.h5"));
    free((char *)good);
    free((char *)wide);
}

int main(void)
{
    dir = testutil_tmpdir();
    static const testutil_case_t cases[] = {
        {"options and operands, parsed twice", test_options_and_operands},
        {"--help goes to stdout, exit 0", test_help_goes_to_stdout},
        {"bad options: exit 2, one line", test_bad_options_said_once},
        {"without usage the command decides", test_without_usage_the_command_decides},
        {"usage error and failure endings", test_usage_error_and_failure},
        {"loading a model for 28x28 pictures", test_load_picture_model},
        {NULL, NULL},
    };
    int rc = testutil_run("cmd_common", cases);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
