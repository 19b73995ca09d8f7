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

/* A CSV field, quoted (RFC 4180) when it holds a comma, quote or newline. */
void query_csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
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
    image_t m;
    if (n > INT_MAX || image_montage(tiles, labels, (int)n, &opts, &m) < 0) {
        error_prefix("%s", path);
        goto done;
    }
    rc = image_write_png(path, &m, 1, IMAGE_HIGH_LIGHT);
    image_free(&m);
done:
    free(tiles);
    free(text);
    free(labels);
    return rc;
}

int query_run(const net_t *net, const query_list_t *list, image_frame_t frame,
              const char *csv_path, const char *montage_path, void (*warn)(const char *message),
              size_t *answered, size_t *failed)
{
    *answered = *failed = 0;
    if (net->n_in != IMAGE_PIXELS) /* the frames make 28x28 pictures */
        return error_set("the model has %d inputs, not the %d pixels of a %dx%d picture",
                         net->n_in, IMAGE_PIXELS, IMAGE_SIDE, IMAGE_SIDE);
    net_work_t work;
    if (net_work_init(&work, net, 1) < 0)
        return -1;
    uint8_t *seen = malloc(list->paths.count * IMAGE_PIXELS + 1);          /* [count, 784] */
    query_answer_t *answers = malloc(list->paths.count * sizeof *answers + 1);
    FILE *csv = NULL;
    char tmp[4096];
    int rc = -1;
    if (!seen || !answers) {
        error_set("out of memory for %zu pictures", list->paths.count);
        goto done;
    }
    if (csv_path) {
        if (fs_tmp_name(csv_path, tmp, sizeof tmp) < 0)
            goto done;
        if (!(csv = fopen(tmp, "w"))) {
            error_set("%s: cannot write", csv_path);
            goto done;
        }
        fprintf(csv, "file,digit,confidence,runner_up,runner_up_confidence\n");
    }
    for (size_t i = 0; warn && i < list->skipped.count; i++)
        warn(list->skipped.items[i]);
    for (size_t i = 0; i < list->paths.count; i++) {
        uint8_t *px = seen + *answered * IMAGE_PIXELS;
        if (image_load(list->paths.items[i], frame, px) < 0) {
            if (warn)
                warn(error_message());
            (*failed)++;
            continue;
        }
        query_answer_t a = query_ask(net, &work, px);
        answers[(*answered)++] = a;
        if (csv) {
            query_csv_field(csv, list->paths.items[i]);
            fprintf(csv, ",%d,%.4f,%d,%.4f\n", a.digit, (double)a.confidence, a.runner_up,
                    (double)a.runner_up_confidence);
        }
    }
    if (csv) {
        int bad = ferror(csv);
        bad |= fclose(csv) != 0;
        csv = NULL;
        if (bad) {
            error_set("%s: cannot write", csv_path);
            goto done;
        }
        if (fs_commit(tmp, csv_path) < 0)
            goto done;
    }
    rc = 0;
    if (montage_path && *answered &&
        query_write_montage(montage_path, seen, IMAGE_SIDE, IMAGE_SIDE, answers, *answered) < 0 &&
        warn)
        warn(error_message()); /* a picture too large is no reason to fail */
done:
    if (csv)
        fclose(csv);
    free(seen);
    free(answers);
    net_work_free(&work);
    return rc;
}

/* -------------------------------------------------------- back-query */

int query_backquery_png(const net_t *net, const float *target, const char *dir, const char *name,
                        int scale, uint8_t *px)
{
    float image[IMAGE_PIXELS];   /* [784] in 0.01..0.99, the book's input scale */
    if (net_backquery(net, target, image) < 0)
        return -1;
    image_from_floats(image, IMAGE_PIXELS, NET_TARGET_LOW, NET_TARGET_HIGH, px);
    image_t img = {IMAGE_SIDE, IMAGE_SIDE, px};
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

int query_backquery_all(const net_t *net, const char *dir, int scale)
{
    if (net->n_out > QUERY_MAX_OUTPUTS)
        return error_set("%d outputs are more than back-query draws (%d)", net->n_out,
                         QUERY_MAX_OUTPUTS);
    if (net->n_in != IMAGE_PIXELS)
        return error_set("the model has %d inputs, not the %d pixels of a %dx%d picture",
                         net->n_in, IMAGE_PIXELS, IMAGE_SIDE, IMAGE_SIDE);
    if (fs_mkdir_p(dir) < 0)
        return -1;
    uint8_t pixels[QUERY_MAX_OUTPUTS][IMAGE_PIXELS];   /* [outputs, 28*28] */
    image_t tiles[QUERY_MAX_OUTPUTS];
    char text[QUERY_MAX_OUTPUTS][12];
    const char *labels[QUERY_MAX_OUTPUTS];
    float target[QUERY_MAX_OUTPUTS];
    for (int d = 0; d < net->n_out; d++) {
        for (int k = 0; k < net->n_out; k++)
            target[k] = k == d ? NET_TARGET_HIGH : NET_TARGET_LOW;
        snprintf(text[d], sizeof text[d], "%d", d);
        if (query_backquery_png(net, target, dir, text[d], scale, pixels[d]) < 0)
            return -1;
        tiles[d] = (image_t){IMAGE_SIDE, IMAGE_SIDE, pixels[d]};
        labels[d] = text[d];
    }
    image_montage_opts_t opts = {.columns = (net->n_out + 1) / 2, .scale = 4,
                                 .tone = IMAGE_HIGH_DARK};
    image_t m = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/backquery_all.png", dir);
    int rc = image_montage(tiles, labels, net->n_out, &opts, &m) < 0 ||
                     image_write_png(path, &m, 1, IMAGE_HIGH_LIGHT) < 0
                 ? -1
                 : 0;
    image_free(&m);
    return rc;
}
