/* runstart_choose: which checkpoint `--resume auto` takes (runstart.h's
 * rules), the decision alone: it reads files and no MPI, so that it can be
 * tested on a directory of files; runstart_locate calls it on rank 0.
 *
 * latest.h5 names the newest checkpoint of the directory's lineage (not
 * the highest epoch: a resume from an older one leaves a future behind
 * that is no longer the run's). A checkpoint past the link of the same
 * lineage is taken instead (a kill between the rename and the link);
 * names that are not checkpoints (temporaries of a write in progress) and
 * the set-aside folders are never looked at; one that does not load is
 * passed for the next older one. */
#include "nnmpi/runstart.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nnmpi/ckptdir.h"
#include "nnmpi/error.h"
#include "nnmpi/log.h"
#include "nnmpi/rundir.h"

/* Reads dir/name into s; a failure is a warning and counts as damaged. */
static int try_read(runstart_t *s, const char *dir, const char *name, int *damaged)
{
    snprintf(s->path, sizeof s->path, "%s/%s", dir, name);
    if (ckpt_read(s->path, &s->net, &s->meta) == 0)
        return 1;
    log_warn("skipping a damaged checkpoint: %s", error_message());
    (*damaged)++;
    return 0;
}

/* Whether the checkpoint `meta` continues the lineage of `base`: the same
 * run, and base's sessions are the first of its own (the same session, or
 * one that resumed from it). Files older than run ids never do. */
static int continues(const ckpt_meta_t *meta, const ckpt_meta_t *base)
{
    size_t n = strlen(base->lineage ? base->lineage : "");
    return base->run_id[0] && !strcmp(meta->run_id, base->run_id) && meta->lineage &&
           !strncmp(meta->lineage, base->lineage, n);
}

/* latest.h5 is relinked just after a checkpoint is renamed into place: a
 * kill in between leaves the newest checkpoint of the lineage past the
 * link. Takes it instead of s's, if there is one and it loads. */
static void catch_up(runstart_t *s, const char *dir, int le, int64_t ls)
{
    strlist_t names = ckptdir_list_beside(dir, le, ls, 0);
    for (size_t i = 0; i < names.count; i++) {
        char path[sizeof s->path];
        ckpt_meta_t meta;
        if (snprintf(path, sizeof path, "%s/%s", dir, names.items[i]) >= (int)sizeof path ||
            ckpt_peek(path, &meta) < 0)
            continue;
        int ours = continues(&meta, &s->meta);
        ckpt_meta_free(&meta);
        net_t net;
        if (!ours || ckpt_read(path, &net, &meta) < 0)
            continue;
        log_info("--resume auto: %s is newer than latest.h5's %s, and of the same lineage (the "
                 "link was not yet moved on): taking it", path, s->path);
        net_free(&s->net);
        ckpt_meta_free(&s->meta);
        s->net = net;
        s->meta = meta;
        snprintf(s->path, sizeof s->path, "%s", path);
        break;
    }
    strlist_free(&names);
    error_clear();
}

/* The newest checkpoint of the lineage: latest.h5's (or one of the same
 * lineage past it), else the newest older one that loads, else model.h5 (a
 * run whose checkpoints are gone). */
static int find_newest(runstart_t *s, const char *dir, int *damaged)
{
    char latest[256];
    int le = INT_MAX;
    int64_t ls = 0;
    ckptdir_link_target(dir, "latest.h5", latest, sizeof latest);
    if (latest[0] && ckptdir_parse_name(latest, &le, &ls)) {
        if (try_read(s, dir, latest, damaged)) {
            catch_up(s, dir, le, ls);
            return 1;
        }
    } else {
        le = INT_MAX; /* no usable link: every checkpoint is a candidate */
    }
    int found = 0;
    strlist_t names = ckptdir_list_beside(dir, le, ls, 1);
    for (size_t i = 0; i < names.count && !found; i++)
        found = try_read(s, dir, names.items[i], damaged);
    strlist_free(&names);
    struct stat sb;
    char model[4200];
    snprintf(model, sizeof model, "%s/model.h5", dir);
    if (!found && stat(model, &sb) == 0)
        found = try_read(s, dir, "model.h5", damaged);
    return found;
}

void runstart_choose_auto(runstart_t *s, const char *dir)
{
    int damaged = 0;
    s->found = find_newest(s, dir, &damaged);
    if (s->found) {
        /* what lies after it (damaged newer checkpoints, or a future an
         * older version of nnmpi left behind a rollback) is set aside */
        s->aside_kind = damaged ? "damaged" : "abandoned";
        s->aside_epoch = s->meta.epoch;
        s->aside_step = s->meta.step;
        return;
    }
    s->path[0] = '\0';
    if (rundir_has_run(dir)) {
        log_warn("--resume auto: no checkpoint of %s loads: the run's files will be set aside "
                 "(a damaged- folder) and a new run starts afresh", dir);
        s->aside_kind = "damaged";
        s->aside_epoch = -1;
    }
}
