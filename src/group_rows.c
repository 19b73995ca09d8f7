#include "nnmpi/group_rows.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/log.h"

/* Whether every rank of group is on this node. Collective. */
static int on_one_node(MPI_Comm group)
{
    MPI_Comm node;
    int size, here, mine, all;
    MPI_Comm_size(group, &size);
    MPI_Comm_split_type(group, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &here);
    MPI_Comm_free(&node);
    mine = here == size;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, group);
    return all;
}

/* The directory Open MPI backs shared windows with (osc_sm's default,
 * or the user's `--mca osc_sm_backing_directory`). */
static const char *backing_directory(void)
{
    const char *dir = getenv("OMPI_MCA_osc_sm_backing_directory");
    return dir && *dir ? dir : "/dev/shm";
}

/* Whether it has room for bytes more, with 10% to spare: a window larger
 * than a small /dev/shm (a container's 64 MiB) would end the job with
 * SIGBUS when touched. Says why not. */
static int room_for(size_t bytes, const char *path)
{
    const char *dir = backing_directory();
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0) {
        log_info("%s: the training rows stay one copy a rank: cannot tell the free space of "
                 "%s, where shared memory would hold them", path, dir);
        return 0;
    }
    double free_bytes = (double)fs.f_bavail * (double)fs.f_frsize;
    if (free_bytes > 1.1 * (double)bytes)
        return 1;
    log_info("%s: the training rows stay one copy a rank: they take %.0f MiB, and %s, where "
             "shared memory would hold them, has %.0f MiB free", path, bytes / 1048576.0, dir,
             free_bytes / 1048576.0);
    return 0;
}

/* The group's first rank decides: the file's image shape, or 0 x 0 where
 * the rows cannot be shared (then each rank reads its own, and says
 * why a failure happened itself). Collective. */
static void shared_shape(MPI_Comm group, const char *path, const shard_t *s, int shape[2])
{
    int rank;
    MPI_Comm_rank(group, &rank);
    shape[0] = shape[1] = 0;
    dataset_info_t info;
    if (rank == 0 && s->n_local > 0 && dataset_info(path, &info) == 0) {
        size_t bytes = (size_t)s->n_local * ((size_t)info.height * (size_t)info.width + 1);
        if (room_for(bytes, path))
            shape[0] = info.height, shape[1] = info.width;
        dataset_info_free(&info);
    }
    MPI_Bcast(shape, 2, MPI_INT, 0, group);
}

static int unified(MPI_Win win)
{
    int *model = NULL, flag = 0;
    MPI_Win_get_attr(win, MPI_WIN_MODEL, &model, &flag);
    return flag && model && *model == MPI_WIN_UNIFIED;
}

/* The window on the group's first rank, set's buffers in it; 0 if MPI's
 * memory model does not allow it (the window freed). Collective. */
static int make_window(group_rows_t *g, MPI_Comm group, const shard_t *s, const int shape[2],
                       imageset_t *set)
{
    int rank;
    MPI_Comm_rank(group, &rank);
    const size_t per = (size_t)shape[0] * (size_t)shape[1];
    const size_t bytes = (size_t)s->n_local * (per + 1);
    uint8_t *base;
    MPI_Win_allocate_shared(rank == 0 ? (MPI_Aint)bytes : 0, 1, MPI_INFO_NULL, group, &base,
                            &g->win);
    if (!unified(g->win)) {
        MPI_Win_free(&g->win);
        return 0;
    }
    MPI_Aint size;
    int unit;
    MPI_Win_shared_query(g->win, 0, &size, &unit, &base);
    *set = (imageset_t){.count = s->n_local, .height = shape[0], .width = shape[1],
                        .pixels = base, .labels = base + (size_t)s->n_local * per};
    return 1;
}

int group_rows_read(group_rows_t *g, MPI_Comm group, const char *path, const shard_t *s,
                    imageset_t *set)
{
    g->win = MPI_WIN_NULL;
    int shape[2] = {0, 0}, rank, rc = 0;
    MPI_Comm_rank(group, &rank);
    if (on_one_node(group))
        shared_shape(group, path, s, shape);
    if (!shape[0] || !make_window(g, group, s, shape, set))
        return dataset_read_shard(path, s, set);
    /* the first rank writes the rows; the others see them once it has
     * said how the reading went */
    MPI_Win_lock_all(MPI_MODE_NOCHECK, g->win);
    if (rank == 0)
        rc = dataset_read_shard_into(path, s, set);
    MPI_Win_sync(g->win);
    MPI_Bcast(&rc, 1, MPI_INT, 0, group);
    MPI_Win_sync(g->win);
    MPI_Win_unlock_all(g->win);
    if (rc < 0) {
        if (rank != 0)
            error_set("%s: the training rows could not be read (the first rank of this rank's "
                      "group says why)", path);
        group_rows_free(g, set);
        return -1;
    }
    return 0;
}

int group_rows_shared(const group_rows_t *g)
{
    return g->win != MPI_WIN_NULL;
}

void group_rows_free(group_rows_t *g, imageset_t *set)
{
    if (g->win == MPI_WIN_NULL) {
        imageset_free(set);
        return;
    }
    MPI_Win_free(&g->win);
    memset(set, 0, sizeof *set);
}
