#include "nnmpi/lit_share.h"

#include <sched.h>
#include <string.h>

#include "nnmpi/tensor.h"
#include "nnmpi/watchdog.h"

/* A rank's share of the window: its head on a cache line of its own,
 * then its two slots. */
#define HEAD_BYTES 64
_Static_assert(sizeof(lit_share_head_t) <= HEAD_BYTES, "a head fits its cache line");

static size_t slot_bytes(int n_in, int part_capacity)
{
    return sparse_batch_bytes(n_in, part_capacity);
}

/* Whether the group's ranks all lie on this rank's node. Collective. */
static int group_on_one_node(MPI_Comm group)
{
    MPI_Comm node;
    int here, size;
    MPI_Comm_split_type(group, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &here);
    MPI_Comm_free(&node);
    MPI_Comm_size(group, &size);
    return here == size;
}

/* Whether the window's memory is the one that loads and stores reach
 * (MPI's unified model, as shared memory is on any machine nnmpi knows):
 * the counters and lists are read without MPI calls. */
static int unified(MPI_Win win)
{
    int *model, found;
    MPI_Win_get_attr(win, MPI_WIN_MODEL, &model, &found);
    return found && *model == MPI_WIN_UNIFIED;
}

/* Rank u's head and slots, as this rank sees them. */
static void view_rank(lit_share_t *ls, int u, int n_in, int part_capacity)
{
    MPI_Aint bytes;
    int disp;
    char *base;
    MPI_Win_shared_query(ls->win, u, &bytes, &disp, &base);
    ls->head[u] = (lit_share_head_t *)base;
    for (int slot = 0; slot < 2; slot++)
        sparse_batch_place(&ls->part[slot][u], n_in, part_capacity,
                           base + HEAD_BYTES + slot * slot_bytes(n_in, part_capacity));
}

void lit_share_init(lit_share_t *ls, MPI_Comm group, int n_in, int capacity)
{
    memset(ls, 0, sizeof *ls);
    int T, t;
    MPI_Comm_size(group, &T);
    MPI_Comm_rank(group, &t);
    if (T < 2 || T > NET_LIT_PARTS_MAX || !group_on_one_node(group))
        return;
    const int part_capacity = (capacity + T - 1) / T;
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "alloc_shared_noncontig", "true"); /* each rank's pages near it */
    char *mine;
    MPI_Aint bytes = HEAD_BYTES + 2 * (MPI_Aint)slot_bytes(n_in, part_capacity);
    MPI_Win_allocate_shared(bytes, 1, info, group, &mine, &ls->win);
    MPI_Info_free(&info);
    if (!unified(ls->win)) { /* the same on every rank: the window's kind */
        MPI_Win_free(&ls->win);
        return;
    }
    atomic_init(&((lit_share_head_t *)mine)->built, 0);
    MPI_Barrier(group); /* every head ready before any is read */
    for (int u = 0; u < T; u++)
        view_rank(ls, u, n_in, part_capacity);
    ls->T = T;
    ls->t = t;
}

void lit_share_free(lit_share_t *ls)
{
    if (ls->T > 0)
        MPI_Win_free(&ls->win);
    memset(ls, 0, sizeof *ls);
}

int lit_share_on(const lit_share_t *ls)
{
    return ls->T > 0;
}

/* Until rank u has built its part of batch n: spins (the others are
 * microseconds behind), then yields the core to whoever needs it. */
static void wait_built(const lit_share_t *ls, int u, int64_t n)
{
    for (int spins = 0; atomic_load_explicit(&ls->head[u]->built, memory_order_acquire) < n;
         spins++) {
        if (spins < 4000)
            __builtin_ia32_pause();
        else
            sched_yield();
    }
}

/* This rank's part of the batch, into its slot, and said so. */
static void build_part(lit_share_t *ls, int64_t n, const uint8_t *const *pixels, int count)
{
    const int slot = (int)(n % 2);
    sparse_batch_t *part = &ls->part[slot][ls->t];
    lit_share_head_t *head = ls->head[ls->t];
    int b0, b1;
    tensor_slice_range(count, ls->T, ls->t, &b0, &b1);
    sparse_batch_build(part, pixels + b0, b1 - b0, net_input_table());
    part->first = b0;
    sparse_batch_index_pixels(part);
    head->count[slot] = part->count;
    head->first[slot] = part->first;
    head->background[slot] = part->background;
    atomic_store_explicit(&head->built, n, memory_order_release);
}

void lit_share_build(net_work_t *work, const uint8_t *const *pixels, int count, void *ctx)
{
    lit_share_t *ls = ctx;
    const int64_t n = ++ls->batches;
    const int slot = (int)(n % 2);
    build_part(ls, n, pixels, count);
    watchdog_enter("the batch's lit pixels", -1, 0);
    for (int u = 0; u < ls->T; u++) {
        wait_built(ls, u, n);
        sparse_batch_t *part = &ls->part[slot][u];
        part->count = ls->head[u]->count[slot];
        part->first = ls->head[u]->first[slot];
        part->background = ls->head[u]->background[slot];
        work->lit_part[u] = part;
    }
    watchdog_leave();
    work->n_lit_parts = ls->T;
}
