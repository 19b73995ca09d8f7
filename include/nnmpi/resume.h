/* resume: finding the checkpoint a run continues from (collective).
 *
 * Rank 0 reads the checkpoint (an explicit path, or "auto": the newest valid
 * one in the run directory) and every rank learns whether one was found and
 * the configuration it was trained with; the weights reach the other ranks
 * later, by broadcast, in train_run. */
#ifndef NNMPI_RESUME_H
#define NNMPI_RESUME_H

#include "nnmpi/checkpoint.h"
#include "nnmpi/net.h"

typedef struct {
    int found;            /* every rank: a checkpoint was loaded */
    char *config_text;    /* every rank: its resolved configuration */
    char path[4096];      /* rank 0 */
    net_t net;            /* rank 0 */
    ckpt_meta_t meta;     /* rank 0 */
} resume_t;

/* spec: a checkpoint file, or "auto" for the newest valid checkpoint in dir
 * (none: found = 0, start fresh). An explicit path that is missing or
 * damaged is an error. Returns 0 or a TRAIN_FAILED status (train.h). */
int resume_open(const char *spec, const char *dir, resume_t *r);

void resume_free(resume_t *r);

#endif
