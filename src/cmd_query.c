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
            "usage: nnmpi query -m MODEL.h5 [--csv] [--frame mnist|book]\n"
            "                   [--save-normalised DIR] PATH...\n"
            "\n"
            "Shows each picture to the model and prints the digit it sees, how sure it is\n"
            "and its second choice. PATH is a PNG file or a folder; from a folder every\n"
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
            "      --csv                  print `file,digit,confidence` rows (with that\n"
            "                             header) instead of sentences\n"
            "      --save-normalised DIR  also write the 28x28 picture the network saw as\n"
            "                             DIR/NAME.png (its raw input: ink light on black,\n"
            "                             like MNIST) and all of them, labelled with the\n"
            "                             answers, as DIR/" MONTAGE_NAME " (ink dark on white)\n"
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

int cmd_query(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},
        {"csv", no_argument, NULL, 'c'},
        {"frame", required_argument, NULL, 'f'},
        {"save-normalised", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *save_dir = NULL;
    int csv = 0;
    image_frame_t frame = IMAGE_FRAME_MNIST;
    int opt;
    cmd_options_t o = cmd_options("query", argc, argv, "m:h", options, usage);
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 'c': csv = 1; break;
        case 'f':
            if (image_frame_parse(optarg, &frame) < 0)
                return cmd_usage_error("query: --frame: %s", error_message());
            break;
        case 's': save_dir = optarg; break;
        }
    }
    if (o.finished)
        return o.status;
    if (!model || optind >= argc)
        return cmd_usage_error("query: needs -m MODEL.h5 and at least one PNG file or folder "
                               "(see nnmpi query --help)");

    net_t net;
    if (cmd_load_picture_model(model, &net) < 0)
        return cmd_fail();

    int failures = 0;
    query_list_t files = {0};
    strlist_t used_names = {0};
    net_work_t work = {0};
    uint8_t *seen = NULL;         /* [files, 28*28] what the network saw, for the montage */
    query_answer_t *answers = NULL; /* [files] */
    size_t answered = 0;
    int rc = EXIT_FAILURE_RUN;

    /* the picture list: a folder without PNGs counts as a failure, the
     * other paths are still answered */
    for (int i = optind; i < argc; i++) {
        if (query_list_add(&files, argv[i]) < 0) {
            log_error("%s", error_message());
            failures++;
        }
    }
    for (size_t i = 0; i < files.skipped.count; i++)
        log_warn("%s", files.skipped.items[i]);
    if (save_dir) {
        if (fs_mkdir_p(save_dir) < 0 || strlist_add(&used_names, MONTAGE_NAME) < 0) {
            log_error("%s", error_message());
            goto done;
        }
    }
    if (net_work_init(&work, &net, 1) < 0) {
        log_error("%s", error_message());
        goto done;
    }
    if (files.paths.count && (!(seen = malloc(files.paths.count * IMAGE_PIXELS)) ||
                        !(answers = malloc(files.paths.count * sizeof *answers)))) {
        log_error("out of memory for %zu pictures", files.paths.count);
        goto done;
    }

    if (csv)
        printf("file,digit,confidence\n");
    for (size_t i = 0; i < files.paths.count; i++) {
        const char *path = files.paths.items[i];
        uint8_t *px = seen + answered * IMAGE_PIXELS;   /* [28*28] ink */
        if (image_load(path, frame, px) < 0) {
            log_error("%s", error_message());
            failures++;
            continue;
        }
        net_scale_input(px, work.x, IMAGE_PIXELS);
        net_forward(&net, &work, 1);
        query_answer_t a = query_answer(work.o, net.n_out);
        answers[answered++] = a;
        if (csv) {
            query_csv_field(stdout, path);
            printf(",%d,%.4f\n", a.digit, (double)a.confidence);
        } else {
            printf("%s: %d (confidence %.3f; runner-up %d, %.3f)\n", path, a.digit,
                   (double)a.confidence, a.runner_up, (double)a.runner_up_confidence);
        }
        fflush(stdout);
        if (save_dir) {
            char out[4096];
            image_t img = {IMAGE_SIDE, IMAGE_SIDE, px};
            if (saved_name(save_dir, path, &used_names, out, sizeof out) < 0 ||
                image_write_png(out, &img, 1, IMAGE_HIGH_LIGHT) < 0) {
                log_error("%s", error_message());
                goto done;
            }
        }
    }
    if (save_dir && answered) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", save_dir, MONTAGE_NAME);
        if (query_write_montage(path, seen, answers, answered) < 0)
            log_warn("no montage: %s", error_message()); /* too many pictures for one PNG */
    }
    if (failures)
        log_error("query: %d failure%s (named above); every other picture was answered",
                  failures, failures == 1 ? "" : "s");
    rc = failures ? EXIT_FAILURE_RUN : EXIT_OK;
done:
    free(seen);
    free(answers);
    net_work_free(&work);
    query_list_free(&files);
    strlist_free(&used_names);
    net_free(&net);
    return rc;
}
