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

/* The checkpoint name for a position. */
int ckptdir_path(const char *dir, int epoch, int64_t step, char *path, size_t size);

/* Writes a checkpoint for meta's position, points latest.h5 at it (and
 * best.h5 if is_best), then deletes all but the newest `keep` checkpoints,
 * never best.h5's. The path written goes to path (may be NULL). */
int ckptdir_save(const char *dir, const net_t *net, const ckpt_meta_t *meta, int keep,
                 int is_best, char *path, size_t size);

/* Reads the newest checkpoint of dir that loads and verifies; the damaged
 * ones it passes are named in warnings (log_warn). Returns 1 if one was read
 * (net, meta and path filled), 0 if dir holds none, -1 on error. */
int ckptdir_load_latest(const char *dir, net_t *net, ckpt_meta_t *meta, char *path, size_t size);

/* How many checkpoints dir holds (0 if it does not exist). */
int ckptdir_count(const char *dir);

/* Deletes the temporary files a run killed while writing left in dir
 * ("NAME.tmp.HOST.PID", ".LINK.tmp.PID" of checkpoints, model.h5, metrics.csv,
 * config.ini, links). */
void ckptdir_clean_temporaries(const char *dir);

/* Deletes every checkpoint, link and temporary checkpoint file of dir. */
int ckptdir_clear(const char *dir);

#endif
