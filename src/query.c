#define _POSIX_C_SOURCE 200809L
#include "nnmpi/query.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/image.h"

/* ------------------------------------------------------------- paths */

void query_list_free(query_list_t *l)
{
    strlist_free(&l->paths);
    strlist_free(&l->skipped);
}

static int is_png_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && !strcasecmp(name + n - 4, ".png");
}

/* Files path (a folder's *.png entry) into found if it is a regular file
 * (or a link to one), else into skipped with the reason: nothing else holds
 * a picture, and opening a FIFO or a device could block. */
static int add_entry(const char *path, strlist_t *found, strlist_t *skipped)
{
    struct stat st;
    char why[4400];
    if (stat(path, &st) != 0)
        snprintf(why, sizeof why, "%s: cannot read it (%s); skipped", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(why, sizeof why, "%s: %s, not a picture file; skipped", path,
                 fs_kind(st.st_mode));
    else
        return strlist_add(found, path);
    return strlist_add(skipped, why);
}

/* Appends the PNG files of folder dir (sorted by name) to files, and its
 * other *.png entries to files->skipped; -1 naming the folder if it cannot
 * be listed or holds no PNG. */
static int add_folder(const char *dir, query_list_t *files)
{
    DIR *d = opendir(dir);
    if (!d)
        return error_set("%s: cannot list the folder", dir);
    strlist_t found = {0}, skipped = {0};
    int rc = 0;
    const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (!is_png_name(e->d_name))
            continue;
        size_t len = strlen(dir) + strlen(sep) + strlen(e->d_name) + 1;
        char *path = malloc(len);
        if (!path) {
            rc = error_set("out of memory");
            break;
        }
        snprintf(path, len, "%s%s%s", dir, sep, e->d_name);
        rc = add_entry(path, &found, &skipped);
        free(path);
    }
    closedir(d);
    if (rc == 0 && found.count == 0)
        rc = error_set("%s: the folder holds no PNG files (*.png)", dir);
    strlist_sort(&found, 0);
    strlist_sort(&skipped, 0);
    if (rc == 0 && (rc = strlist_append(&files->paths, &found)) == 0)
        rc = strlist_append(&files->skipped, &skipped);
    strlist_free(&found);
    strlist_free(&skipped);
    return rc;
}

int query_list_add(query_list_t *list, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return add_folder(path, list);
    return strlist_add(&list->paths, path);
}

/* ----------------------------------------------------------- answers */

query_answer_t query_answer(const float *o, int n)
{
    query_answer_t a = {.digit = net_argmax(o, n), .runner_up = -1};
    for (int k = 0; k < n; k++)
        if (k != a.digit && (a.runner_up < 0 || o[k] > o[a.runner_up]))
            a.runner_up = k;
    a.confidence = o[a.digit];
    a.runner_up_confidence = a.runner_up >= 0 ? o[a.runner_up] : 0.0f;
    return a;
}

query_answer_t query_ask(const net_t *net, net_work_t *work, const uint8_t *px)
{
    net_scale_input(px, work->x, (size_t)net->n_in);
    net_forward(net, work, 1);
    return query_answer(work->o, net->n_out);
}

/* A montage too large for one PNG is an error the caller may treat as a
 * warning. */
int query_write_montage(const char *path, const uint8_t *seen, int h, int w,
                        const query_answer_t *answers, size_t n)
{
    image_t *tiles = calloc(n, sizeof *tiles);
    char (*text)[32] = calloc(n, sizeof *text);
    const char **labels = calloc(n, sizeof *labels);
    int rc = -1;
    if (!tiles || !text || !labels) {
        error_set("out of memory for the montage");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        tiles[i] = (image_t){h, w, (uint8_t *)seen + i * (size_t)h * (size_t)w};
        snprintf(text[i], sizeof text[i], "%d (%.2f)", answers[i].digit,
                 (double)answers[i].confidence);
        labels[i] = text[i];
    }
    image_montage_opts_t opts = {.columns = 0, .scale = 2, .tone = IMAGE_HIGH_DARK};
    rc = n > INT_MAX ? error_set("%s: %zu pictures are too many for one montage", path, n)
                     : image_montage_png(path, tiles, labels, (int)n, &opts, NULL, NULL);
done:
    free(tiles);
    free(text);
    free(labels);
    return rc;
}

int query_normalise(const char *path, image_frame_t frame, int h, int w, uint8_t *px)
{
    if (frame != IMAGE_FRAME_SCALE)
        return image_load(path, frame, px);
    image_t img;
    if (image_read_png(path, &img) < 0)
        return -1;   /* the message names path */
    int rc = image_normalise_scaled(&img, h, w, px);
    image_free(&img);
    return rc < 0 ? error_prefix("%s", path) : 0;
}

/* The model and the frame fit each other and the pictures of opts. */
static int check_run(const net_t *net, const query_run_opts_t *o)
{
    const int h = o->height, w = o->width;
    if (h < 1 || w < 1 || (long)net->n_in != (long)h * w)
        return error_set("the model has %d inputs, not the %ld pixels of a %dx%d picture",
                         net->n_in, (long)h * w, h, w);
    if (o->frame != IMAGE_FRAME_SCALE && (h != IMAGE_SIDE || w != IMAGE_SIDE))
        return error_set("the %s frame makes %dx%d pictures, the model takes %dx%d",
                         o->frame == IMAGE_FRAME_BOOK ? "book" : "mnist", IMAGE_SIDE, IMAGE_SIDE,
                         h, w);
    return 0;
}

/* One picture of a run into px: normalised, answered into *a, handed to
 * the hook. 0, -1 (the picture failed) or -2 (the run stops). */
static int answer_one(const net_t *net, net_work_t *work, const query_run_opts_t *o,
                      const char *path, uint8_t *px, query_answer_t *a)
{
    int rc = o->normalise ? o->normalise(o->ctx, path, px)
                          : query_normalise(path, o->frame, o->height, o->width, px);
    if (rc < 0)
        return rc < -1 ? -2 : -1;
    *a = query_ask(net, work, px);
    return o->answered && o->answered(o->ctx, path, px, a) < 0 ? -2 : 0;
}

int query_run(const net_t *net, const query_list_t *list, const query_run_opts_t *o,
              size_t *answered, size_t *failed)
{
    *answered = *failed = 0;
    if (check_run(net, o) < 0)
        return -1;
    const size_t pixels = (size_t)o->height * (size_t)o->width, n = list->paths.count;
    net_work_t work;
    if (net_work_init(&work, net, 1) < 0)
        return -1;
    uint8_t *seen = malloc(n * pixels + 1);                   /* [n, pixels] */
    query_answer_t *answers = malloc(n * sizeof *answers + 1); /* [n] */
    int rc = seen && answers ? 0 : error_set("out of memory for %zu pictures", n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *path = list->paths.items[i];
        int one = answer_one(net, &work, o, path, seen + *answered * pixels, &answers[*answered]);
        if (one == -2)
            rc = -1;   /* the hook's message says which output */
        else if (one < 0 && o->failed)
            o->failed(o->ctx, error_message());
        *failed += one == -1;
        *answered += one == 0;
    }
    if (rc == 0 && o->montage_path && *answered &&
        query_write_montage(o->montage_path, seen, o->height, o->width, answers, *answered) < 0 &&
        o->warn) {
        error_prefix("no montage");   /* too many pictures for one PNG is no reason to fail */
        o->warn(o->ctx, error_message());
    }
    free(seen);
    free(answers);
    net_work_free(&work);
    return rc;
}

/* -------------------------------------------------------- back-query */

int query_backquery_png(const net_t *net, int h, int w, const float *target, const char *dir,
                        const char *name, int scale, uint8_t *px)
{
    if (h * w != net->n_in)
        return error_set("the model takes %d inputs, not the %d pixels of a %dx%d picture",
                         net->n_in, h * w, h, w);
    float *image = malloc((size_t)net->n_in * sizeof *image); /* 0.01..0.99, the book's scale */
    if (!image)
        return error_set("out of memory for a %dx%d picture", h, w);
    int rc = net_backquery(net, target, image);
    if (rc == 0)
        image_from_floats(image, (size_t)net->n_in, NET_TARGET_LOW, NET_TARGET_HIGH, px);
    free(image);
    if (rc < 0)
        return -1;
    image_t img = {h, w, px};
    char path[4096];
    snprintf(path, sizeof path, "%s/backquery_%s.png", dir, name);
    if (image_write_png(path, &img, 1, IMAGE_HIGH_DARK) < 0)
        return -1;
    if (scale <= 1)
        return 0;
    char big[4096];
    snprintf(big, sizeof big, "%s/backquery_%s_x%d.png", dir, name, scale);
    return image_write_png(big, &img, scale, IMAGE_HIGH_DARK);
}

/* The montage of the n back-queried pictures [n, h*w] into DIR/backquery_all.png. */
static int backquery_montage(const char *dir, const uint8_t *pixels, int n, int h, int w)
{
    image_t tiles[QUERY_MAX_OUTPUTS];
    char text[QUERY_MAX_OUTPUTS][12];
    const char *labels[QUERY_MAX_OUTPUTS];
    for (int d = 0; d < n; d++) {
        tiles[d] = (image_t){h, w, (uint8_t *)pixels + (size_t)d * (size_t)(h * w)};
        snprintf(text[d], sizeof text[d], "%d", d);
        labels[d] = text[d];
    }
    const int side = h > w ? h : w;
    image_montage_opts_t opts = {.columns = (n + 1) / 2, .scale = side < 112 ? 112 / side : 1,
                                 .tone = IMAGE_HIGH_DARK};
    char path[4096];
    snprintf(path, sizeof path, "%s/backquery_all.png", dir);
    return image_montage_png(path, tiles, labels, n, &opts, NULL, NULL);
}

int query_backquery_all(const net_t *net, int h, int w, const char *dir, int scale)
{
    if (net->n_out > QUERY_MAX_OUTPUTS)
        return error_set("%d outputs are more than back-query draws (%d)", net->n_out,
                         QUERY_MAX_OUTPUTS);
    if (h * w != net->n_in)
        return error_set("the model takes %d inputs, not the %d pixels of a %dx%d picture",
                         net->n_in, h * w, h, w);
    if (fs_mkdir_p(dir) < 0)
        return -1;
    uint8_t *pixels = malloc((size_t)net->n_out * (size_t)net->n_in); /* [outputs, h*w] */
    if (!pixels)
        return error_set("out of memory for %d pictures of %dx%d", net->n_out, h, w);
    float target[QUERY_MAX_OUTPUTS];
    int rc = 0;
    for (int d = 0; d < net->n_out && rc == 0; d++) {
        char name[12];
        for (int k = 0; k < net->n_out; k++)
            target[k] = k == d ? NET_TARGET_HIGH : NET_TARGET_LOW;
        snprintf(name, sizeof name, "%d", d);
        rc = query_backquery_png(net, h, w, target, dir, name, scale,
                                 pixels + (size_t)d * (size_t)net->n_in);
    }
    if (rc == 0)
        rc = backquery_montage(dir, pixels, net->n_out, h, w);
    free(pixels);
    return rc;
}
