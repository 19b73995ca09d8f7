/* nnmpi query: ask a trained model what digit each of a person's PNG
 * pictures shows. One bad picture does not stop the others: it is reported
 * on stderr and the exit status says that something failed. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cmd_common.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/classnames.h"
#include "nnmpi/csv.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/image.h"
#include "nnmpi/log.h"
#include "nnmpi/net.h"
#include "nnmpi/query.h"

#define MONTAGE_NAME "montage.png"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi query -m MODEL.h5 [--csv] [--frame mnist|book|scale]\n"
            "                   [--save-normalised DIR] [--explain DIR] PATH...\n"
            "\n"
            "Shows each picture to the model and prints the class (digit) it sees, with\n"
            "its name when the model's data had class names, how sure it is and its\n"
            "second choice. PATH is a PNG file or a folder; from a folder every\n"
            "*.png (any case, not hidden files) is read, in name order; one that is not\n"
            "a regular file (a FIFO, a sub-folder...) is skipped with a warning.\n"
            "\n"
            "Any PNG works: grey, grey+alpha, RGB, RGBA or palette, 1 to 16 bits,\n"
            "interlaced or not, any size up to %d x %d. Transparency is laid over white\n"
            "paper and colour turned into grey (Rec. 601: 0.299 R + 0.587 G + 0.114 B).\n"
            "\n"
            "  -m, --model FILE           model.h5 or any checkpoint written by nnmpi train\n"
            "      --frame mnist          (default) make it look like an MNIST digit: the\n"
            "                             paper's light (shadows, coloured paper, ruled\n"
            "                             lines), specks and smudges taken out, the ink\n"
            "                             made light on black, strokes brought to MNIST's\n"
            "                             width, cropped, scaled to fit 20x20 keeping its\n"
            "                             shape, placed in 28x28 by its centre of mass\n"
            "      --frame book           what the book did: the picture must be 28x28 and\n"
            "                             is only inverted (255 - x)\n"
            "      --frame scale          the whole picture scaled to the model's image\n"
            "                             size (its shape not kept) and inverted (255 - x):\n"
            "                             the default, and the only frame, for models of\n"
            "                             other sizes than 28x28; for 28x28 data that is not\n"
            "                             digits (Fashion-MNIST) choose it\n"
            "      --csv                  print `file,digit,confidence` rows (with that\n"
            "                             header) instead of sentences\n"
            "      --save-normalised DIR  also write the picture the network saw as\n"
            "                             DIR/NAME.png (its raw input: ink light on black,\n"
            "                             like MNIST) and all of them, labelled with the\n"
            "                             answers, as DIR/" MONTAGE_NAME " (ink dark on white)\n"
            "      --explain DIR          also write DIR/NAME.png, the steps of the mnist\n"
            "                             frame side by side: the picture, the ink with the\n"
            "                             paper's light taken out, the digit's pieces kept,\n"
            "                             the strokes redrawn, the 28x28; for a picture that\n"
            "                             is refused, the steps it got through. Shows which\n"
            "                             step went wrong\n"
            "  -h, --help                 this text\n"
            "\n"
            "The confidence is the value of the winning output neuron: 0.99 is what the\n"
            "network was trained to answer for \"certainly this digit\", 0.01 for\n"
            "\"certainly not\". The ten outputs are separate sigmoids, not probabilities,\n"
            "so they need not add up to 1.\n"
            "\n"
            "exit status: 0 every picture answered, 1 some could not be read (each is named\n"
            "on stderr; all others are still answered), 2 a bad command line.\n",
            IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
}

/* -------------------------------------------------- saving what was seen */

/* DIR/NAME.png for picture `path`, NAME its base name without ".png", made
 * unique among the names already used (two folders may both have 3.png). */
static int saved_name(const char *dir, const char *path, strlist_t *used, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char stem[256];
    size_t n = strlen(base);
    if (n > 4 && !strcasecmp(base + n - 4, ".png"))
        n -= 4;
    if (n >= sizeof stem)
        n = sizeof stem - 1;
    memcpy(stem, base, n);
    stem[n] = '\0';
    char name[300];
    snprintf(name, sizeof name, "%s.png", stem);
    for (int k = 2; strlist_has(used, name); k++)
        snprintf(name, sizeof name, "%s-%d.png", stem, k);
    if (strlist_add(used, name) < 0)
        return -1;
    int len = snprintf(out, size, "%s/%s", dir, name);
    return len < 0 || (size_t)len >= size ? error_set("%s/%s: path too long", dir, name) : 0;
}

/* --------------------------------------------------------------- main */

typedef struct {
    const char *model, *save_dir, *explain_dir;
    int csv;
    int frame;  /* image_frame_t; -1: the model's (mnist for 28x28, else scale) */
} query_opts_t;

/* A run of the command: the model, and the names its outputs used. */
typedef struct {
    const query_opts_t *opts;
    net_t net;
    ckpt_meta_t meta;             /* the model's image size and class names */
    image_frame_t frame;          /* the option's, or the model's */
    strlist_t saved, explained;   /* names used in save_dir and explain_dir */
} query_state_t;

/* The options into *q; an exit status if the command is to end now, else -1. */
static int parse_options(int argc, char **argv, query_opts_t *q)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},
        {"csv", no_argument, NULL, 'c'},
        {"frame", required_argument, NULL, 'f'},
        {"save-normalised", required_argument, NULL, 's'},
        {"explain", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *q = (query_opts_t){.frame = -1};
    int opt;
    cmd_options_t o = cmd_options("query", argc, argv, "m:h", options, usage);
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'm': q->model = optarg; break;
        case 'c': q->csv = 1; break;
        case 'f': {
            image_frame_t frame;
            if (image_frame_parse(optarg, &frame) < 0)
                return cmd_usage_error("query: --frame: %s", error_message());
            q->frame = (int)frame;
            break;
        }
        case 's': q->save_dir = optarg; break;
        case 'e': q->explain_dir = optarg; break;
        }
    }
    if (o.finished)
        return o.status;
    if (!q->model || optind >= argc)
        return cmd_usage_error("query: needs -m MODEL.h5 and at least one PNG file or folder "
                               "(see nnmpi query --help)");
    if (q->explain_dir && q->frame > IMAGE_FRAME_MNIST)
        return cmd_usage_error("query: --explain shows the steps of the mnist frame; the book "
                               "frame has one (255 - x), the scale frame two");
    return -1;
}

/* Makes the output folders. */
static int prepare_outputs(query_state_t *st)
{
    const query_opts_t *q = st->opts;
    if (q->save_dir && (fs_mkdir_p(q->save_dir) < 0 || strlist_add(&st->saved, MONTAGE_NAME) < 0))
        return -1;
    if (q->explain_dir && fs_mkdir_p(q->explain_dir) < 0)
        return -1;
    return 0;
}

/* DIR/NAME.png of --explain: the trace's steps side by side. */
static int write_explanation(query_state_t *st, const char *path, const image_trace_t *trace)
{
    char out[4096];
    image_t strip;
    if (saved_name(st->opts->explain_dir, path, &st->explained, out, sizeof out) < 0 ||
        image_trace_strip(trace, &strip) < 0)
        return -1;
    int rc = image_write_png(out, &strip, 1, IMAGE_HIGH_LIGHT);
    image_free(&strip);
    return rc;
}

/* query_run's normalise hook with --explain (mnist frame): the picture at
 * path into px, and its steps written (for a refused picture too, as far
 * as it got). -1 with the message naming path; -2 if the explanation could
 * not be written. */
static int normalise_explained(void *ctx, const char *path, uint8_t *px)
{
    query_state_t *st = ctx;
    image_t img;
    image_trace_t trace;
    if (image_read_png(path, &img) < 0)
        return -1;   /* the message names path */
    int rc = image_normalise_mnist_traced(&img, px, &trace);
    if (rc < 0)
        error_prefix("%s", path);
    if (trace.count && write_explanation(st, path, &trace) < 0)
        rc = -2;
    image_trace_free(&trace);
    image_free(&img);
    return rc;
}

/* The answer on stdout: a sentence, or a CSV row (with the class's name
 * last when the model has names). */
static void print_answer(const query_state_t *st, const char *path, const query_answer_t *a)
{
    const char *names = st->meta.class_names;
    char name[CLASSNAMES_MAX_NAME + 2] = "", runner[CLASSNAMES_MAX_NAME + 2] = "";
    if (names) {
        name[0] = runner[0] = ' ';
        classnames_get(names, a->digit, name + 1, sizeof name - 1);
        classnames_get(names, a->runner_up, runner + 1, sizeof runner - 1);
    }
    if (st->opts->csv) {
        csv_write_field(stdout, path);
        printf(",%d,%.4f", a->digit, (double)a->confidence);
        if (names) {
            putchar(',');
            csv_write_field(stdout, name + 1);
        }
        putchar('\n');
    } else {
        printf("%s: %d%s (confidence %.3f; runner-up %d%s, %.3f)\n", path, a->digit, name,
               (double)a->confidence, a->runner_up, runner, (double)a->runner_up_confidence);
    }
    fflush(stdout);
}

/* query_run's answered hook: the answer printed, and with
 * --save-normalised what the network saw saved; -1 if that failed (the run
 * stops). */
static int print_and_save(void *ctx, const char *path, const uint8_t *px, const query_answer_t *a)
{
    query_state_t *st = ctx;
    const query_opts_t *q = st->opts;
    print_answer(st, path, a);
    char out[4096];
    image_t img = {st->meta.image_height, st->meta.image_width, (uint8_t *)px};
    if (q->save_dir && (saved_name(q->save_dir, path, &st->saved, out, sizeof out) < 0 ||
                        image_write_png(out, &img, 1, IMAGE_HIGH_LIGHT) < 0))
        return -1;
    return 0;
}

static void report_failure(void *ctx, const char *message)
{
    (void)ctx;
    log_error("%s", message);
}

static void report_warning(void *ctx, const char *message)
{
    (void)ctx;
    log_warn("%s", message);
}

/* Every picture of files through query_run; returns how many failed, or -1
 * if an output could not be written. */
static int answer_all(query_state_t *st, const query_list_t *files)
{
    const query_opts_t *q = st->opts;
    char montage[4096];
    snprintf(montage, sizeof montage, "%s/%s", q->save_dir ? q->save_dir : "", MONTAGE_NAME);
    const query_run_opts_t run = {
        .frame = st->frame,
        .height = st->meta.image_height,
        .width = st->meta.image_width,
        .montage_path = q->save_dir ? montage : NULL,
        .ctx = st,
        .normalise = q->explain_dir && st->frame == IMAGE_FRAME_MNIST ? normalise_explained : NULL,
        .answered = print_and_save,
        .failed = report_failure,
        .warn = report_warning,
    };
    if (q->csv)
        printf("file,digit,confidence%s\n", st->meta.class_names ? ",name" : "");
    size_t n_answered, n_failed;
    if (query_run(&st->net, files, &run, &n_answered, &n_failed) < 0) {
        log_error("%s", error_message());
        return -1;
    }
    return (int)n_failed;
}

/* The picture list of the operands: a folder without PNGs counts as a
 * failure (returned), the other paths are still answered. */
static int list_pictures(char **paths, int n, query_list_t *files)
{
    int failures = 0;
    for (int i = 0; i < n; i++)
        if (query_list_add(files, paths[i]) < 0) {
            log_error("%s", error_message());
            failures++;
        }
    for (size_t i = 0; i < files->skipped.count; i++)
        log_warn("%s", files->skipped.items[i]);
    return failures;
}

enum { LOAD_WRONG_FRAME = -2 }; /* load_model's answer for a --frame the model cannot take */

/* The model, its pictures' size and the frame that makes them: mnist or
 * book for 28x28 models (mnist unless told), scale for any. 0, -1 (the
 * model could not be read) or LOAD_WRONG_FRAME. */
static int load_model(const query_opts_t *q, query_state_t *st)
{
    if (ckpt_read(q->model, &st->net, &st->meta) < 0)
        return -1;
    const int h = st->meta.image_height, w = st->meta.image_width;
    if (!h)
        return error_set("%s: the model does not say its pictures' size (%d inputs; made "
                         "before nnmpi recorded it?)", q->model, st->net.n_in);
    const int digits_size = h == IMAGE_SIDE && w == IMAGE_SIDE;
    st->frame = q->frame >= 0 ? (image_frame_t)q->frame
                              : digits_size ? IMAGE_FRAME_MNIST : IMAGE_FRAME_SCALE;
    if (!digits_size && st->frame != IMAGE_FRAME_SCALE) {
        error_set("query: --frame %s makes 28x28 pictures; %s takes %dx%d (use --frame scale)",
                  st->frame == IMAGE_FRAME_BOOK ? "book" : "mnist", q->model, h, w);
        return LOAD_WRONG_FRAME;
    }
    return 0;
}

int cmd_query(int argc, char **argv)
{
    query_opts_t q;
    int status = parse_options(argc, argv, &q);
    if (status >= 0)
        return status;
    query_state_t st = {.opts = &q};
    int loaded = load_model(&q, &st);
    if (loaded < 0) {
        net_free(&st.net);
        ckpt_meta_free(&st.meta);
        return loaded == LOAD_WRONG_FRAME ? cmd_usage_error("%s", error_message()) : cmd_fail();
    }
    query_list_t files = {0};
    int failures = list_pictures(argv + optind, argc - optind, &files), more = -1;
    if (prepare_outputs(&st) < 0)
        log_error("%s", error_message());
    else
        more = answer_all(&st, &files);
    if (more > 0 || (more == 0 && failures))
        log_error("query: %d failure%s (named above); every other picture was answered",
                  failures + more, failures + more == 1 ? "" : "s");
    strlist_free(&st.saved);
    strlist_free(&st.explained);
    query_list_free(&files);
    net_free(&st.net);
    ckpt_meta_free(&st.meta);
    return more == 0 && !failures ? EXIT_OK : EXIT_FAILURE_RUN;
}
