/* rundir: a run directory as a whole.
 *
 * A run directory holds one run, one lineage: its checkpoints (ckptdir.h),
 * the links latest.h5 and best.h5, model.h5, metrics.csv, config.ini, the
 * answers to the user's own pictures (own_images.csv/png), the back-query
 * pictures (backquery/) and its lock (runlock.h). Files that the directory
 * must no longer present as its run's -- the future abandoned by resuming an
 * older checkpoint, a run replaced by --fresh, checkpoints that no longer
 * load -- are never deleted: they move together into a new subfolder
 * KIND-YYYYmmdd-HHMMSS/ (abandoned-, previous-, damaged-), where they stay
 * whole, links included, until the user deletes them. */
#ifndef NNMPI_RUNDIR_H
#define NNMPI_RUNDIR_H

#include <stddef.h>
#include <stdint.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/metrics.h"
#include "nnmpi/strlist.h"

/* Whether dir holds a run (a checkpoint or model.h5). */
int rundir_has_run(const char *dir);

/* The run dir holds: 1 with its id (as its newest readable file of the run
 * says: latest.h5's checkpoint, else the newest checkpoint, else model.h5;
 * "" for files older than run ids) and that file's path in from; 0 when dir
 * holds no run or none of its files can be read. */
int rundir_run_id(const char *dir, char id[CKPT_RUN_ID_LEN + 1], char *from, size_t size);

/* Moves the files of dir's run that lie after position (epoch, step) --
 * every one when epoch < 0 -- into a new subfolder KIND-TIME/ of dir:
 * checkpoints past the position, model.h5 if it is past it (or unreadable),
 * the links whose target moves, and, when anything moved, metrics.csv,
 * config.ini, own_images.* and backquery/, which describe the same future.
 * Returns how many entries moved (0: nothing to move, no folder made) with
 * the folder's path in where, or -1 (message names the file). */
int rundir_set_aside(const char *dir, const char *kind, int epoch, int64_t step, char *where,
                     size_t size);

/* The set-aside subfolders of dir (KIND-TIME names), oldest first. */
strlist_t rundir_list_aside(const char *dir);

/* After a set-aside: points best.h5, if it is missing, at the checkpoint of
 * dir that ends the epoch with the best test accuracy in metrics. */
int rundir_repoint_best(const char *dir, const metrics_t *metrics);

#endif
