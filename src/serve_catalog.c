/* serve_catalog: the models and runs `nnmpi serve` may show, each under a
 * name it made. Requests name these; no path from a request is opened. */
#define _POSIX_C_SOURCE 200809L
#include "nnmpi/serve.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nnmpi/error.h"

/* ------------------------------------------------------------- names */

static int name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

/* A file name usable as-is as a run's name: safe characters, not hidden. */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= SERVE_NAME_MAX || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!name_char_ok(*s))
            return 0;
    return 1;
}

/* The last component of path (trailing slashes ignored) into out, other
 * characters than [A-Za-z0-9._-] as '_', at most SERVE_NAME_MAX - 4. */
static void last_component(const char *path, char *out)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t n = 0;
    for (size_t i = start; i < end && n < SERVE_NAME_MAX - 4; i++)
        out[n++] = name_char_ok(path[i]) ? path[i] : '_';
    out[n] = '\0';
    if (n == 0 || out[0] == '.')
        out[0] = '_';   /* "/", "..", ".hidden": a name still */
    if (n == 0)
        out[1] = '\0';
}

/* dir/name into out[4096]; -1 if it does not fit (then it names nothing
 * here: a cut path could name another file). */
static int join_path(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, 4096, "%s/%s", dir, name);
    return n < 0 || n >= 4096 ? -1 : 0;
}

/* -------------------------------------------------------------- models */

static int is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* DIR/NAME/model.h5 and DIR/NAME.h5 of folder dir into paths, sorted. */
static int add_folder_models(const char *dir, strlist_t *paths)
{
    DIR *d = opendir(dir);
    if (!d)
        return error_set("%s: cannot list the folder", dir);
    strlist_t found = {0};
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096], sub[4096];
        size_t n = strlen(e->d_name);
        int fits = n > 3 && !strcmp(e->d_name + n - 3, ".h5")
                       ? join_path(path, dir, e->d_name) == 0
                       : join_path(sub, dir, e->d_name) == 0 && join_path(path, sub, "model.h5") == 0;
        if (fits && is_regular(path))
            rc = strlist_add(&found, path);
    }
    closedir(d);
    strlist_sort(&found, 0);
    if (rc == 0 && found.count == 0)
        rc = error_set("%s: no model.h5 in it or its sub-folders, and no *.h5", dir);
    if (rc == 0)
        rc = strlist_append(paths, &found);
    strlist_free(&found);
    return rc;
}

int serve_model_paths(const char *operand, strlist_t *paths)
{
    struct stat st;
    if (stat(operand, &st) != 0 || !S_ISDIR(st.st_mode))
        return strlist_add(paths, operand);   /* a file; reading it says what is wrong */
    char path[4096];
    if (join_path(path, operand, "model.h5") == 0 && is_regular(path))
        return strlist_add(paths, path);
    return add_folder_models(operand, paths);
}

/* The model's name for path: "model.h5" is named after its folder. */
static void model_name(const char *path, char *name)
{
    char file[SERVE_NAME_MAX];
    last_component(path, file);
    size_t n = strlen(file);
    if (!strcmp(file, "model.h5") && strchr(path, '/')) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
        last_component(dir[0] ? dir : "/", name);
        return;
    }
    if (n > 3 && !strcmp(file + n - 3, ".h5"))
        file[n - 3] = '\0';
    snprintf(name, SERVE_NAME_MAX, "%s", file);
}

int serve_catalog_add_model(serve_catalog_t *cat, const char *path, net_t *net)
{
    if (cat->count >= SERVE_MAX_MODELS)
        return error_set("more than %d models", SERVE_MAX_MODELS);
    serve_model_t *grown = realloc(cat->models, (size_t)(cat->count + 1) * sizeof *grown);
    if (!grown)
        return error_set("out of memory for the models");
    cat->models = grown;
    serve_model_t *m = &cat->models[cat->count];
    char base[SERVE_NAME_MAX];
    model_name(path, base);
    snprintf(m->name, sizeof m->name, "%s", base);
    for (int k = 2; serve_catalog_model(cat, m->name); k++) {
        char suffix[16];
        int n = snprintf(suffix, sizeof suffix, "-%d", k);
        snprintf(m->name, sizeof m->name, "%.*s%s", SERVE_NAME_MAX - 1 - n, base, suffix);
    }
    if (!(m->path = strdup(path)))
        return error_set("out of memory for the models");
    m->net = *net;
    *net = (net_t){0};
    cat->count++;
    return 0;
}

const serve_model_t *serve_catalog_model(const serve_catalog_t *cat, const char *name)
{
    for (int i = 0; i < cat->count; i++)
        if (!strcmp(cat->models[i].name, name))
            return &cat->models[i];
    return NULL;
}

void serve_catalog_free(serve_catalog_t *cat)
{
    for (int i = 0; i < cat->count; i++) {
        free(cat->models[i].path);
        net_free(&cat->models[i].net);
    }
    free(cat->models);
    strlist_free(&cat->run_roots);
    *cat = (serve_catalog_t){0};
}

/* ---------------------------------------------------------------- runs */

/* dir/name is a regular file, not a symbolic link (which could point out
 * of the run directory). */
static int has_own_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    return join_path(path, dir, name) == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_run_dir(const char *dir)
{
    return has_own_file(dir, "metrics.csv") || has_own_file(dir, "config.ini");
}

/* Appends run (name, dir) unless the name is taken or the list is full. */
static int add_run(serve_run_t **runs, int *count, const char *name, const char *dir)
{
    for (int i = 0; i < *count; i++)
        if (!strcmp((*runs)[i].name, name))
            return 0;   /* two roots with a run of the same name: the first wins */
    if (*count >= SERVE_MAX_RUNS)
        return 0;
    serve_run_t *grown = realloc(*runs, (size_t)(*count + 1) * sizeof *grown);
    if (!grown)
        return error_set("out of memory for the runs");
    *runs = grown;
    serve_run_t *r = &grown[*count];
    snprintf(r->name, sizeof r->name, "%s", name);
    if (!(r->dir = strdup(dir)))
        return error_set("out of memory for the runs");
    (*count)++;
    return 0;
}

/* The runs among root's sub-folders, in name order. */
static int add_sub_runs(const char *root, serve_run_t **runs, int *count)
{
    DIR *d = opendir(root);
    if (!d)
        return 0;   /* a root that went away lists nothing */
    strlist_t names = {0};
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        char dir[4096];
        struct stat st;
        if (name_ok(e->d_name) && join_path(dir, root, e->d_name) == 0 && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && is_run_dir(dir))
            rc = strlist_add(&names, e->d_name);
    }
    closedir(d);
    strlist_sort(&names, 0);
    for (size_t i = 0; rc == 0 && i < names.count; i++) {
        char dir[4096];
        join_path(dir, root, names.items[i]);   /* fitted when listed */
        rc = add_run(runs, count, names.items[i], dir);
    }
    strlist_free(&names);
    return rc;
}

int serve_catalog_runs(const serve_catalog_t *cat, serve_run_t **runs, int *count)
{
    *runs = NULL;
    *count = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cat->run_roots.count; i++) {
        const char *root = cat->run_roots.items[i];
        if (is_run_dir(root)) {
            char name[SERVE_NAME_MAX];
            last_component(root, name);
            rc = add_run(runs, count, name, root);
        } else {
            rc = add_sub_runs(root, runs, count);
        }
    }
    if (rc < 0) {
        serve_runs_free(*runs, *count);
        *runs = NULL;
        *count = 0;
    }
    return rc;
}

void serve_runs_free(serve_run_t *runs, int count)
{
    for (int i = 0; i < count; i++)
        free(runs[i].dir);
    free(runs);
}

int serve_run_metrics(const serve_run_t *run, metrics_t *m)
{
    *m = (metrics_t){0};
    char path[4096];
    struct stat st;
    if (join_path(path, run->dir, "metrics.csv") < 0 || lstat(path, &st) != 0)
        return 0;   /* no epoch finished yet */
    if (!S_ISREG(st.st_mode))
        return error_set("run %s: metrics.csv is %s, not a file of its own", run->name,
                         S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
    return metrics_read_csv(path, m);
}
