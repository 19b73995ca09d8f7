/* kernel_bench: the lit-pixel kernels of one training step, timed apart on
 * real digits, with the first layer's rows n floats apart and padded to
 * whole cache lines (net.h's ld0) -- the figures behind the padded layout
 * (docs/design.md, "Weight rows on whole cache lines").
 *
 *   kernel_bench MNIST_DIR [UNITS [BATCH [STEPS]]]     defaults 200 32 2000
 *
 * Microseconds a step (medians over STEPS random batches of the MNIST
 * training images) of the scan (the lists by sample) and the index (the
 * lists by pixel), which do not depend on the layout, and for each layout
 * of the hidden inputs (sparse_rows_sum_each) and the weight update
 * (sparse_rows_update); then whether both layouts gave the same floats
 * (they must: the pads change where rows lie, not the sums). Exits 1 if
 * they differ. The layouts take turns to go first, and the scan is timed
 * where it reads the batch from memory. Run it on an idle machine;
 * compare rows of one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/idx.h"
#include "nnmpi/net.h"
#include "nnmpi/rng.h"
#include "nnmpi/sparse_batch.h"
#include "nnmpi/sparse_rows.h"
#include "testutil.h"

enum { PARTS = 4 };
static const char *const part_names[PARTS] = {"scan", "index", "hidden inputs", "update"};

typedef struct {
    size_t ld;        /* floats from one row to the next, of W and of h */
    float *W, *h, *C; /* [784, ld] weights, [batch, ld] hidden deltas, [ld] */
    double *us[PARTS]; /* [steps] each: a part's time a step (the lists' in the first
                        * layout's only: they do not depend on it) */
} layout_t;

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, testutil_compare_doubles);
    return v[n / 2];
}

/* The same weights and deltas in both layouts (pads 0). */
static int layout_init(layout_t *L, size_t ld, int units, int batch, int steps)
{
    L->ld = ld;
    L->W = net_alloc_floats(784 * ld);
    L->h = net_alloc_floats((size_t)batch * ld);
    L->C = net_alloc_floats(ld);
    int ok = L->W && L->h && L->C;
    for (int p = 0; p < PARTS; p++)
        ok = ok && (L->us[p] = malloc((size_t)steps * sizeof(double)));
    if (!ok)
        return -1;
    rng_t r;
    rng_seed(&r, 1, 0);
    for (size_t i = 0; i < 784; i++)
        for (int j = 0; j < units; j++)
            L->W[i * ld + (size_t)j] = (float)(rng_normal(&r) * 0.05);
    for (int b = 0; b < batch; b++)
        for (int j = 0; j < units; j++)
            L->h[(size_t)b * ld + (size_t)j] = (float)(rng_normal(&r) * 0.01);
    for (int j = 0; j < units; j++)
        L->C[j] = (float)(rng_normal(&r) * 0.01);
    return 0;
}

/* One step's kernels on the batch `rows`, timed into step s of L's
 * figures; the scan's and the index's into `lists` (step s of
 * lists[0] and lists[1]) when it is not NULL. */
static void run_step(layout_t *L, sparse_batch_t *sb, const uint8_t **rows, int units, int batch,
                     float *out, int s, double **lists)
{
    double t0 = testutil_seconds();
    sparse_batch_build(sb, rows, batch, net_input_table());
    double t1 = testutil_seconds();
    sparse_batch_index_pixels(sb);
    double t2 = testutil_seconds();
    sparse_rows_sum_each(batch, units, out, L->ld, sb->background, L->C, sb->row_start,
                         sb->row_pixel, sb->row_value, L->W, L->ld);
    double t3 = testutil_seconds();
    sparse_rows_update(784, units, L->W, L->ld, 1.0f, 1e-4f, L->C, 1e-3f, sb->col_start, sb->col,
                       L->h, L->ld);
    double t4 = testutil_seconds();
    if (lists)
        lists[0][s] = 1e6 * (t1 - t0), lists[1][s] = 1e6 * (t2 - t1);
    L->us[2][s] = 1e6 * (t3 - t2), L->us[3][s] = 1e6 * (t4 - t3);
}

/* Whether the two layouts hold the same floats in their n columns. */
static int same(const float *a, size_t lda, const float *b, size_t ldb, int rows, int n)
{
    for (int r = 0; r < rows; r++)
        if (memcmp(a + (size_t)r * lda, b + (size_t)r * ldb, (size_t)n * sizeof *a))
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: kernel_bench MNIST_DIR [UNITS [BATCH [STEPS]]]\n");
        return 2;
    }
    int units = argc > 2 ? atoi(argv[2]) : 200, batch = argc > 3 ? atoi(argv[3]) : 32;
    int steps = argc > 4 ? atoi(argv[4]) : 2000;
    if (units < 1 || units > 4096 || batch < 1 || batch > 4096 || steps < 1) {
        fprintf(stderr, "kernel_bench: units 1..4096, batch 1..4096, steps >= 1\n");
        return 2;
    }
    char images_path[4096], labels_path[4096];
    imageset_t images = {0};
    if (idx_mnist_paths(argv[1], "train", images_path, labels_path, sizeof images_path) < 0 ||
        idx_read(images_path, labels_path, &images) < 0) {
        fprintf(stderr, "kernel_bench: %s\n", error_message());
        return 1;
    }
    if (imageset_image_size(&images) != 784) {
        fprintf(stderr, "kernel_bench: %s: images of 784 pixels expected\n", images_path);
        return 1;
    }
    const size_t padded = (size_t)(units + NET_LINE_FLOATS - 1) / NET_LINE_FLOATS * NET_LINE_FLOATS;
    layout_t lay[2];
    sparse_batch_t sb;
    float *out[2] = {net_alloc_floats((size_t)batch * padded),
                     net_alloc_floats((size_t)batch * padded)};
    const uint8_t **rows = malloc((size_t)batch * sizeof *rows);
    if (layout_init(&lay[0], (size_t)units, units, batch, steps) < 0 ||
        layout_init(&lay[1], padded, units, batch, steps) < 0 || !out[0] || !out[1] || !rows ||
        sparse_batch_init(&sb, 784, batch) < 0) {
        fprintf(stderr, "kernel_bench: out of memory\n");
        return 1;
    }
    rng_t pick;
    rng_seed(&pick, 2, 0);
    int agree = 1;
    for (int s = 0; s < steps; s++) {
        for (int b = 0; b < batch; b++)
            rows[b] = imageset_image(&images, (int64_t)rng_below(&pick, (uint64_t)images.count));
        for (int k = 0; k < 2; k++) { /* the same batch in both layouts, in turn */
            int which = (s + k) % 2; /* the lists timed where the batch is fresh from memory */
            run_step(&lay[which], &sb, rows, units, batch, out[which], s, k ? NULL : lay[0].us);
        }
        agree = agree && same(out[0], lay[0].ld, out[1], lay[1].ld, batch, units);
    }
    agree = agree && same(lay[0].W, lay[0].ld, lay[1].W, lay[1].ld, 784, units);
    printf("%d units, batch %d, %d steps, %s kernels: median us a step\n", units, batch, steps,
           sparse_rows_isa());
    printf("%-14s %12s %12s\n", "part", "rows n apart", "rows padded");
    for (int p = 0; p < 2; p++)
        printf("%-14s %12.2f %12s\n", part_names[p], median(lay[0].us[p], steps), "(the same)");
    for (int p = 2; p < PARTS; p++)
        printf("%-14s %12.2f %12.2f\n", part_names[p], median(lay[0].us[p], steps),
               median(lay[1].us[p], steps));
    printf("rows %zu and %zu floats apart: %s\n", lay[0].ld, lay[1].ld,
           agree ? "the same floats" : "DIFFERENT floats");
    return agree ? 0 : 1;
}
