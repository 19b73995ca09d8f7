#include "nnmpi/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "nnmpi/ckptdir.h"
#include "nnmpi/error.h"

/* Files that describe the run as a whole: they go with any set-aside. */
static const char *const companions[] = {"metrics.csv", "config.ini", "own_images.csv",
                                         "own_images.png", "backquery"};
static const char *const links[] = {"latest.h5", "best.h5"};

static int exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

int rundir_has_run(const char *dir)
{
    strlist_t names = ckptdir_list(dir);
    int some = names.count > 0;
    strlist_free(&names);
    return some || exists(dir, "model.h5");
}

/* The run id of dir/name, if it reads. */
static int peek_id(const char *dir, const char *name, char id[CKPT_RUN_ID_LEN + 1], char *from,
                   size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ckpt_meta_t meta;
    if (ckpt_peek(path, &meta) < 0)
        return 0;
    memcpy(id, meta.run_id, sizeof meta.run_id);
    snprintf(from, size, "%s", path);
    ckpt_meta_free(&meta);
    return 1;
}

int rundir_run_id(const char *dir, char id[CKPT_RUN_ID_LEN + 1], char *from, size_t size)
{
    char latest[256];
    ckptdir_link_target(dir, "latest.h5", latest, sizeof latest);
    if (latest[0] && peek_id(dir, latest, id, from, size))
        return 1;
    int found = 0;
    strlist_t names = ckptdir_list(dir);
    for (size_t i = 0; i < names.count && !found; i++)
        found = peek_id(dir, names.items[i], id, from, size);
    strlist_free(&names);
    found = found || peek_id(dir, "model.h5", id, from, size);
    error_clear();
    return found;
}

/* ------------------------------------------------------------ set aside */

static int after(int e, int64_t s, int epoch, int64_t step)
{
    return epoch < 0 || e > epoch || (e == epoch && s > step);
}

/* model.h5 is past the position, or cannot say where it is. */
static int model_after(const char *dir, int epoch, int64_t step)
{
    if (!exists(dir, "model.h5"))
        return 0;
    if (epoch < 0)
        return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.h5", dir);
    ckpt_meta_t meta;
    if (ckpt_peek(path, &meta) < 0) {
        error_clear();
        return 1;
    }
    int past = after(meta.epoch, meta.step, epoch, step);
    ckpt_meta_free(&meta);
    return past;
}

/* What moves: the checkpoints and model past the position, the links whose
 * target moves (or is gone), then the run's companions. */
static int collect(const char *dir, int epoch, int64_t step, strlist_t *moves)
{
    strlist_t names = ckptdir_list_beside(dir, epoch, step, 0);
    int rc = strlist_append(moves, &names);
    strlist_free(&names);
    if (!rc && model_after(dir, epoch, step))
        rc = strlist_add(moves, "model.h5");
    for (size_t i = 0; i < sizeof links / sizeof links[0] && !rc; i++) {
        char target[256];
        ckptdir_link_target(dir, links[i], target, sizeof target);
        if (exists(dir, links[i]) &&
            (epoch < 0 || !target[0] || strlist_has(moves, target) || !exists(dir, target)))
            rc = strlist_add(moves, links[i]);
    }
    for (size_t i = 0; i < sizeof companions / sizeof companions[0] && !rc && moves->count; i++)
        if (exists(dir, companions[i]))
            rc = strlist_add(moves, companions[i]);
    return rc;
}

/* dir/KIND-YYYYmmdd-HHMMSS (or -2, -3... when taken), created. */
static int make_folder(const char *dir, const char *kind, char *where, size_t size)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (int n = 1; n < 100; n++) {
        char suffix[8] = "";
        if (n > 1)
            snprintf(suffix, sizeof suffix, "-%d", n);
        int len = snprintf(where, size, "%s/%s-%s%s", dir, kind, stamp, suffix);
        if (len < 0 || (size_t)len >= size)
            return error_set("%s: path too long", dir);
        if (mkdir(where, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            return error_set("%s: cannot create: %s", where, strerror(errno));
    }
    return error_set("%s: too many %s- folders made this second", dir, kind);
}

int rundir_set_aside(const char *dir, const char *kind, int epoch, int64_t step, char *where,
                     size_t size)
{
    strlist_t moves = {0};
    where[0] = '\0';
    int rc = collect(dir, epoch, step, &moves);
    if (!rc && moves.count)
        rc = make_folder(dir, kind, where, size);
    for (size_t i = 0; i < moves.count && !rc; i++) {
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s", dir, moves.items[i]);
        snprintf(to, sizeof to, "%s/%s", where, moves.items[i]);
        if (rename(from, to) != 0)
            rc = error_set("%s: cannot move it into %s: %s", from, where, strerror(errno));
    }
    int moved = (int)moves.count;
    strlist_free(&moves);
    return rc ? -1 : moved;
}

int rundir_repoint_best(const char *dir, const metrics_t *metrics)
{
    char target[256];
    ckptdir_link_target(dir, "best.h5", target, sizeof target);
    if (target[0] && exists(dir, target))
        return 0;
    strlist_t names = ckptdir_list(dir);
    const char *best = NULL;
    double best_acc = -1;
    for (size_t i = names.count; i-- > 0;) { /* oldest first: the first to reach the best */
        int e;
        int64_t s;
        ckptdir_parse_name(names.items[i], &e, &s);
        for (int r = 0; r < metrics->count && s == 0; r++)
            if (metrics->rows[r].epoch == e && metrics->rows[r].test_accuracy > best_acc) {
                best_acc = metrics->rows[r].test_accuracy;
                best = names.items[i];
            }
    }
    int rc = best ? ckptdir_set_link(dir, "best.h5", best) : 0;
    strlist_free(&names);
    return rc;
}

static int is_aside_name(const char *name)
{
    static const char *const kinds[] = {"abandoned-", "previous-", "damaged-"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i]);
        unsigned d, t;
        if (!strncmp(name, kinds[i], n) && sscanf(name + n, "%8u-%6u", &d, &t) == 2)
            return 1;
    }
    return 0;
}

static int compare_stamp(const void *a, const void *b)
{
    const char *x = strchr(*(char *const *)a, '-'), *y = strchr(*(char *const *)b, '-');
    return strcmp(x, y);
}

strlist_t rundir_list_aside(const char *dir)
{
    strlist_t l = {0};
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (is_aside_name(e->d_name) && strlist_add(&l, e->d_name) < 0)
            break;
    if (d)
        closedir(d);
    if (l.count)
        qsort(l.items, l.count, sizeof *l.items, compare_stamp);
    return l;
}
