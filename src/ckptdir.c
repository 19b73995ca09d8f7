#include "nnmpi/ckptdir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnmpi/error.h"

#define NAME_MAX_LEN 256

int ckptdir_path(const char *dir, int epoch, int64_t step, char *path, size_t size)
{
    int n = snprintf(path, size, "%s/ckpt-e%06d-s%011lld.h5", dir, epoch, (long long)step);
    return n < 0 || (size_t)n >= size ? error_set("%s: path too long", dir) : 0;
}

int ckptdir_parse_name(const char *name, int *epoch, int64_t *step)
{
    int e;
    long long s;
    char tail[8];
    int ok = strlen(name) == strlen("ckpt-e000000-s00000000000.h5") &&
             sscanf(name, "ckpt-e%6d-s%11lld%7s", &e, &s, tail) == 3 && !strcmp(tail, ".h5") &&
             e >= 0 && s >= 0;
    if (ok && epoch)
        *epoch = e;
    if (ok && step)
        *step = s;
    return ok;
}

strlist_t ckptdir_list(const char *dir)
{
    strlist_t names = {0};
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (ckptdir_parse_name(e->d_name, NULL, NULL) && strlist_add(&names, e->d_name) < 0)
            break;
    if (d)
        closedir(d);
    strlist_sort(&names, 1);
    return names;
}

int ckptdir_set_link(const char *dir, const char *link, const char *target)
{
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, link, (long)getpid());
    snprintf(final, sizeof final, "%s/%s", dir, link);
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return error_set("%s: cannot point it at %s: %s", final, target, strerror(e));
    }
    return 0;
}

strlist_t ckptdir_list_beside(const char *dir, int epoch, int64_t step, int before)
{
    strlist_t all = ckptdir_list(dir), some = {0};
    for (size_t i = 0; i < all.count; i++) {
        int e = 0;
        int64_t s = 0;
        ckptdir_parse_name(all.items[i], &e, &s);   /* ckptdir_list kept only names that parse */
        int after = epoch < 0 || e > epoch || (e == epoch && s > step);
        int earlier = epoch >= 0 && (e < epoch || (e == epoch && s < step));
        if ((before ? earlier : after) && strlist_add(&some, all.items[i]) < 0)
            break;
    }
    strlist_free(&all);
    return some;
}

void ckptdir_link_target(const char *dir, const char *link, char *name, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, link);
    ssize_t n = readlink(path, name, size - 1);
    name[n > 0 ? n : 0] = '\0';
}

int ckptdir_save(const char *dir, const net_t *net, const ckpt_meta_t *meta, int is_best,
                 char *path_out, size_t size)
{
    char path[4096];
    if (ckptdir_path(dir, meta->epoch, meta->step, path, sizeof path) < 0)
        return -1;
    if (ckpt_write(path, net, meta) < 0)
        return -1;
    if (path_out)
        snprintf(path_out, size, "%s", path);
    const char *name = strrchr(path, '/') + 1;
    if (ckptdir_set_link(dir, "latest.h5", name) < 0)
        return -1;
    if (is_best && ckptdir_set_link(dir, "best.h5", name) < 0)
        return -1;
    return 0;
}

int ckptdir_prune(const char *dir, int keep)
{
    char best[NAME_MAX_LEN];
    ckptdir_link_target(dir, "best.h5", best, sizeof best);
    strlist_t names = ckptdir_list(dir);
    int rc = 0;
    for (size_t i = (size_t)(keep > 0 ? keep : 0); i < names.count; i++) {
        if (!strcmp(names.items[i], best))
            continue;
        char old[4096];
        snprintf(old, sizeof old, "%s/%s", dir, names.items[i]);
        if (unlink(old) != 0 && errno != ENOENT && rc == 0)
            rc = error_set("%s: cannot delete an old checkpoint: %s", old, strerror(errno));
    }
    strlist_free(&names);
    return rc;
}

static int is_temporary(const char *n)
{
    static const char *const owners[] = {"ckpt-e", "model.h5.", "metrics.csv.", "config.ini.",
                                         ".latest.h5.", ".best.h5."};
    if (!strstr(n, ".tmp."))
        return 0;
    for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++)
        if (!strncmp(n, owners[i], strlen(owners[i])))
            return 1;
    return 0;
}

void ckptdir_clean_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_temporary(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}
