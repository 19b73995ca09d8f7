#include "nnmpi/tensor.h"

#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/watchdog.h"

void tensor_slice_range(int H, int T, int t, int *h0, int *h1)
{
    int base = H / T, extra = H % T;
    *h0 = t * base + (t < extra ? t : extra);
    *h1 = *h0 + base + (t < extra);
}

int tensor_fit(int want, int ranks, int H, int min_slice)
{
    int T = want < 1 ? 1 : want;
    while (T > 1 && (ranks % T != 0 || H / T < (min_slice < 1 ? 1 : min_slice)))
        T--;
    return T;
}

int tensor_init(tensor_t *tp, int T, int H)
{
    memset(tp, 0, sizeof *tp);
    tp->group = tp->slice = MPI_COMM_NULL;
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (T < 1 || size % T != 0 || T > H)
        return error_set("tensor_parallel = %d: it must divide the %d ranks into groups and "
                         "leave each at least one of the %d hidden units", T, size, H);
    tp->T = T;
    tp->t = rank % T;
    tp->G = size / T;
    tp->g = rank / T;
    tp->H = H;
    tensor_slice_range(H, T, tp->t, &tp->h0, &tp->h1);
    MPI_Comm_split(MPI_COMM_WORLD, tp->g, tp->t, &tp->group);
    MPI_Comm_split(MPI_COMM_WORLD, tp->t, tp->g, &tp->slice);
    return 0;
}

void tensor_free(tensor_t *tp)
{
    if (tp->group != MPI_COMM_NULL)
        MPI_Comm_free(&tp->group);
    if (tp->slice != MPI_COMM_NULL)
        MPI_Comm_free(&tp->slice);
    free(tp->sum_buf);
    memset(tp, 0, sizeof *tp);
    tp->group = tp->slice = MPI_COMM_NULL;
}

void tensor_set_riders(tensor_t *tp, const float *v, int n)
{
    memcpy(tp->riders, v, (size_t)n * sizeof *v);
    tp->n_riders = n;
    tp->riders_summed = 0;
}

int tensor_take_riders(tensor_t *tp, float *out)
{
    int summed = tp->riders_summed;
    if (summed)
        memcpy(out, tp->riders, (size_t)tp->n_riders * sizeof *out);
    tp->n_riders = tp->riders_summed = 0;
    return summed;
}

int tensor_reserve(tensor_t *tp, int count)
{
    size_t want = (size_t)count + TENSOR_RIDERS;
    if (want <= tp->sum_cap)
        return 0;
    float *grown = realloc(tp->sum_buf, want * sizeof *grown);
    if (!grown)
        return error_set("out of memory for the output sums of %d values", count);
    tp->sum_buf = grown;
    tp->sum_cap = want;
    return 0;
}

/* The outputs, with the riders after them when there are any: one sum.
 * (A batch larger than reserved sums them apart: the same choice on every
 * rank of the group, which share the batch.) */
void tensor_sum_outputs(float *o, int count, void *arg)
{
    tensor_t *tp = arg;
    const int n = tp->riders_summed ? 0 : tp->n_riders;
    size_t want = (size_t)count + (size_t)n;
    watchdog_enter("the output sums", -1, 0);
    if (n > 0 && want <= tp->sum_cap) {
        memcpy(tp->sum_buf, o, (size_t)count * sizeof *o);
        memcpy(tp->sum_buf + count, tp->riders, (size_t)n * sizeof *o);
        MPI_Allreduce(MPI_IN_PLACE, tp->sum_buf, (int)want, MPI_FLOAT, MPI_SUM, tp->group);
        memcpy(o, tp->sum_buf, (size_t)count * sizeof *o);
        memcpy(tp->riders, tp->sum_buf + count, (size_t)n * sizeof *o);
        tp->riders_summed = 1;
    } else {
        /* no riders, or more outputs than reserved: the riders stay for
         * the caller */
        MPI_Allreduce(MPI_IN_PLACE, o, count, MPI_FLOAT, MPI_SUM, tp->group);
    }
    watchdog_leave();
}

/* Copies the columns [c0, c0+n) of rows of a row-major matrix of width
 * `wide` into (or, back, from) a matrix of width n. */
static void columns(float *narrow, float *wide, int rows, int n, int c0, int width, int back)
{
    for (int r = 0; r < rows; r++) {
        float *a = narrow + (size_t)r * n, *b = wide + (size_t)r * width + c0;
        memcpy(back ? b : a, back ? a : b, (size_t)n * sizeof *a);
    }
}

void tensor_take_slice(const tensor_t *tp, const net_t *full, net_t *slice)
{
    int n = tp->h1 - tp->h0;
    columns(slice->w_ih_t, full->w_ih_t, full->n_in, n, tp->h0, full->n_hidden, 0);
    columns(slice->w_ho, full->w_ho, full->n_out, n, tp->h0, full->n_hidden, 0);
}

/* Slice t's parameters (as its net lays them out) into full. */
static void place_slice(net_t *full, float *params, int T, int t)
{
    int h0, h1;
    tensor_slice_range(full->n_hidden, T, t, &h0, &h1);
    int n = h1 - h0;
    columns(params, full->w_ih_t, full->n_in, n, h0, full->n_hidden, 1);
    columns(params + (size_t)full->n_in * n, full->w_ho, full->n_out, n, h0, full->n_hidden, 1);
}

int tensor_gather(const tensor_t *tp, const net_t *slice, net_t *full)
{
    int *counts = malloc((size_t)tp->T * sizeof *counts);
    int *offsets = malloc((size_t)tp->T * sizeof *offsets);
    float *all = malloc(full->n_params * sizeof *all);
    int fail = !counts || !offsets || !all;
    for (int t = 0, at = 0; t < tp->T && !fail; t++) {
        int h0, h1;
        tensor_slice_range(tp->H, tp->T, t, &h0, &h1);
        counts[t] = (int)net_param_count(full->n_in, h1 - h0, full->n_out);
        offsets[t] = at;
        at += counts[t];
    }
    /* one verdict for the group, so that none waits in a gather the others
     * skip */
    watchdog_enter("gathering the slices", -1, 0);
    MPI_Allreduce(MPI_IN_PLACE, &fail, 1, MPI_INT, MPI_MAX, tp->group);
    if (!fail)
        MPI_Allgatherv(slice->params, (int)slice->n_params, MPI_FLOAT, all, counts, offsets,
                       MPI_FLOAT, tp->group);
    watchdog_leave();
    for (int t = 0; !fail && t < tp->T; t++)
        place_slice(full, all + offsets[t], tp->T, t);
    free(counts);
    free(offsets);
    free(all);
    return fail ? error_set("out of memory for the gathered network") : 0;
}
