#include "nnmpi/resume.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/ckptdir.h"
#include "nnmpi/error.h"
#include "nnmpi/log.h"
#include "nnmpi/train.h"

/* Rank 0's part: read the checkpoint. */
static int load(const char *spec, const char *dir, resume_t *r)
{
    if (strcmp(spec, "auto") != 0) {
        snprintf(r->path, sizeof r->path, "%s", spec);
        if (ckpt_read(spec, &r->net, &r->meta) < 0)
            return error_prefix("--resume");
        r->found = 1;
        return 0;
    }
    int found = ckptdir_load_latest(dir, &r->net, &r->meta, r->path, sizeof r->path);
    if (found < 0)
        return -1;
    r->found = found;
    if (!found)
        log_info("--resume auto: no checkpoint in %s, starting afresh", dir);
    return 0;
}

int resume_open(const char *spec, const char *dir, resume_t *r)
{
    memset(r, 0, sizeof *r);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* status, found, length of the config text */
    long long head[3] = {0, 0, 0};
    if (rank == 0) {
        head[0] = load(spec, dir, r);
        head[1] = r->found;
        head[2] = r->found && r->meta.config_text ? (long long)strlen(r->meta.config_text) : 0;
    }
    MPI_Bcast(head, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (head[0] != 0) {
        if (rank != 0)
            error_set("rank 0 could not read the checkpoint");
        return rank == 0 ? TRAIN_FAILED : TRAIN_FAILED_ELSEWHERE;
    }
    r->found = (int)head[1];
    if (!r->found)
        return 0;
    r->config_text = malloc((size_t)head[2] + 1);
    if (!r->config_text) /* cannot tell the others; Abort beats a hang */
        MPI_Abort(MPI_COMM_WORLD, 1);
    if (rank == 0)
        memcpy(r->config_text, r->meta.config_text, (size_t)head[2] + 1);
    MPI_Bcast(r->config_text, (int)head[2] + 1, MPI_CHAR, 0, MPI_COMM_WORLD);
    return 0;
}

void resume_free(resume_t *r)
{
    free(r->config_text);
    net_free(&r->net);
    ckpt_meta_free(&r->meta);
    memset(r, 0, sizeof *r);
}
