#include "nnmpi/tensor.h"

#include <limits.h>
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

/* The parameters of a slice of n units of a shape's first hidden layer:
 * its columns of w0, its biases b0, and w1's columns that read it. */
static size_t sliced_params(const net_shape_t *shape, int n)
{
    return (size_t)n * ((size_t)shape->sizes[0] + (shape->bias ? 1 : 0) + (size_t)shape->sizes[2]);
}

int tensor_splits_well(const net_shape_t *shape)
{
    size_t sliced = sliced_params(shape, shape->sizes[1]);
    return 4 * (net_shape_params(shape) - sliced) <= sliced;
}

/* A step's extra cost, at about 0.2 us a sample to find its lit pixels and
 * 10 GB/s through shared memory (this machine, measured): slices
 * b (0.2 + 4 n2 / 10^4) us, sharing the batch 4 P / 10^4 us; slices pay
 * while b (500 + n2) < P. On 2 ranks the book's net (P = 159,010) slices
 * 2-4% faster at b = 256, shares the batch 3-5% faster at 384 and 5.5% at
 * 512; 784-1000-500-10 (P = 1.29M) slices 2% faster at 512, ties at 1,024
 * and shares the batch 9% faster at 2,048. */
int tensor_slices_pay(const net_shape_t *shape, int b)
{
    return (double)b * (500.0 + shape->sizes[2]) < (double)net_shape_params(shape);
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

int tensor_reserve(tensor_t *tp, size_t count)
{
    if (count > (size_t)INT_MAX - TENSOR_RIDERS)
        return error_set("a step's sums into the second layer, %zu floats (the batch times its "
                         "width), exceed one MPI message: use a smaller batch", count);
    size_t want = count + TENSOR_RIDERS;
    if (want <= tp->sum_cap)
        return 0;
    float *grown = realloc(tp->sum_buf, want * sizeof *grown);
    if (!grown)
        return error_set("out of memory for the sums of %zu values", count);
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

/* The columns [c0, c0+n) of rows of a row-major matrix (rows ld_wide
 * apart) into a matrix of n columns (rows ld_narrow apart). */
static void take_columns(float *narrow, size_t ld_narrow, const float *wide, size_t ld_wide,
                         int rows, int n, int c0)
{
    for (int r = 0; r < rows; r++)
        memcpy(narrow + (size_t)r * ld_narrow, wide + (size_t)r * ld_wide + c0,
               (size_t)n * sizeof(float));
}

/* The inverse: a matrix of n columns into those columns. */
static void put_columns(const float *narrow, size_t ld_narrow, float *wide, size_t ld_wide,
                        int rows, int n, int c0)
{
    for (int r = 0; r < rows; r++)
        memcpy(wide + (size_t)r * ld_wide + c0, narrow + (size_t)r * ld_narrow,
               (size_t)n * sizeof(float));
}

/* w0's row stride in a slice of n units (its pads included, net.h). */
static int slice_ld0(const net_shape_t *shape, int n)
{
    net_shape_t s = *shape;
    s.sizes[1] = n;
    return net_shape_ld0(&s);
}

/* The layout's floats of a slice of n units: [w0 | b0 | w1], w0 padded. */
static size_t slice_floats(const net_shape_t *shape, int n)
{
    return (size_t)shape->sizes[0] * (size_t)slice_ld0(shape, n) +
           (size_t)n * ((shape->bias ? 1 : 0) + (size_t)shape->sizes[2]);
}

size_t tensor_sliced_floats(const net_t *net)
{
    return slice_floats(&net->shape, net->n_hidden); /* [w0 | b0 | w1] lead the layout */
}

void tensor_take_slice(const tensor_t *tp, const net_t *full, net_t *slice)
{
    const int n = tp->h1 - tp->h0, H = full->n_hidden;
    const size_t cut = tensor_sliced_floats(full);
    take_columns(slice->w[0], (size_t)slice->ld0, full->w[0], (size_t)full->ld0, full->n_in, n,
                 tp->h0);
    if (full->b[0])
        memcpy(slice->b[0], full->b[0] + tp->h0, (size_t)n * sizeof(float));
    take_columns(slice->w[1], (size_t)n, full->w[1], (size_t)H, full->shape.sizes[2], n, tp->h0);
    memcpy(slice->params + tensor_sliced_floats(slice), full->params + cut,
           (full->n_floats - cut) * sizeof(float));
}

void tensor_place_slice(net_t *full, const float *params, int T, int t, int replicated)
{
    int h0, h1;
    const int H = full->n_hidden;
    tensor_slice_range(H, T, t, &h0, &h1);
    const int n = h1 - h0, ld = slice_ld0(&full->shape, n);
    const float *p = params;
    put_columns(p, (size_t)ld, full->w[0], (size_t)full->ld0, full->n_in, n, h0);
    p += (size_t)full->n_in * (size_t)ld;
    if (full->b[0]) {
        memcpy(full->b[0] + h0, p, (size_t)n * sizeof(float));
        p += n;
    }
    put_columns(p, (size_t)n, full->w[1], (size_t)H, full->shape.sizes[2], n, h0);
    p += (size_t)full->shape.sizes[2] * n;
    const size_t cut = tensor_sliced_floats(full);
    if (replicated)
        memcpy(full->params + cut, p, (full->n_floats - cut) * sizeof(float));
}

/* What slice t of the group contributes to the gather: its own floats
 * (w0 with its pads, b0 and w1's columns), and the group's rank 0 the
 * replicated part after them. */
static int gather_count(const net_t *full, int T, int t)
{
    int h0, h1;
    tensor_slice_range(full->n_hidden, T, t, &h0, &h1);
    size_t own = slice_floats(&full->shape, h1 - h0);
    return (int)(t == 0 ? own + full->n_floats - tensor_sliced_floats(full) : own);
}

int tensor_gather(const tensor_t *tp, const net_t *slice, net_t *full)
{
    /* one slice at a time, broadcast by its owner from its own parameters
     * (already in the slice's layout): a receiver needs room for one
     * slice, not for the whole net once more */
    size_t most = 0;
    for (int t = 0; t < tp->T; t++) {
        size_t count = (size_t)gather_count(full, tp->T, t);
        most = count > most ? count : most;
    }
    float *other = malloc(most * sizeof *other);
    int fail = !other;
    /* one verdict for the group, so that none waits in a broadcast the
     * others skip */
    watchdog_enter("gathering the slices", -1, 0);
    MPI_Allreduce(MPI_IN_PLACE, &fail, 1, MPI_INT, MPI_MAX, tp->group);
    for (int t = 0; t < tp->T && !fail; t++) {
        float *params = t == tp->t ? slice->params : other; /* the owner only sends */
        MPI_Bcast(params, gather_count(full, tp->T, t), MPI_FLOAT, t, tp->group);
        tensor_place_slice(full, params, tp->T, t, t == 0);
    }
    watchdog_leave();
    free(other);
    return fail ? error_set("out of memory for the gathered network") : 0;
}
