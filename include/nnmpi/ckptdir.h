/* ckptdir: the checkpoints of one run directory.
 *
 * A checkpoint is named DIR/ckpt-eEEEEEE-sSSSSSSSSSS.h5: E epochs completed
 * and S steps into the next, so sorting the names sorts the positions.
 * DIR/latest.h5 and DIR/best.h5 are symbolic links to the newest checkpoint
 * and to the one with the best test accuracy; links are replaced atomically
 * (a new link under a temporary name, renamed over the old one). */
#ifndef NNMPI_CKPTDIR_H
#define NNMPI_CKPTDIR_H

#include <stddef.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/strlist.h"

/* The checkpoint name for a position. */
int ckptdir_path(const char *dir, int epoch, int64_t step, char *path, size_t size);

/* Writes a checkpoint for meta's position and points latest.h5 at it (and
 * best.h5 if is_best). The path written goes to path (may be NULL). */
int ckptdir_save(const char *dir, const net_t *net, const ckpt_meta_t *meta, int is_best,
                 char *path, size_t size);

/* Deletes all but the newest `keep` checkpoints of dir, never best.h5's;
 * -1 (the message naming the first it could not delete) if some stay. */
int ckptdir_prune(const char *dir, int keep);

/* Whether name is a checkpoint's file name; if so its position (epochs
 * done, steps into the next) in *epoch and *step (either may be NULL). */
int ckptdir_parse_name(const char *name, int *epoch, int64_t *step);

/* The checkpoint names of dir, newest first (empty if there are none or no
 * dir); strlist_free frees them. */
strlist_t ckptdir_list(const char *dir);

/* The checkpoint names of dir that lie after position (epoch, step) --
 * every one when epoch < 0 -- or, with before set, before it; newest
 * first. */
strlist_t ckptdir_list_beside(const char *dir, int epoch, int64_t step, int before);

/* The file name a link of dir (latest.h5, best.h5) points at, or "". */
void ckptdir_link_target(const char *dir, const char *link, char *name, size_t size);

/* Points dir/link at target (a name in dir), atomically. */
int ckptdir_set_link(const char *dir, const char *link, const char *target);

/* Deletes the temporary files a run killed while writing left in dir
 * ("NAME.tmp.HOST.PID", ".LINK.tmp.PID" of checkpoints, model.h5, metrics.csv,
 * config.ini, links). */
void ckptdir_clean_temporaries(const char *dir);

#endif
