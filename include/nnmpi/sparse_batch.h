/* sparse_batch: a batch of 8-bit images as the pixels that are lit, both
 * per sample (for the forward pass) and per pixel (for the weight update).
 *
 * Why: an MNIST digit lights about a quarter of its 784 pixels; the rest
 * hold the background input 0.01. With x = 0.01 + v (v = 0 off the digit),
 * w.x = 0.01*sum(w) + w.v, so a training step needs the weight rows of the
 * lit pixels only, plus one column sum per step: a quarter of the work of
 * the dense products, and the same mathematics. */
#ifndef NNMPI_SPARSE_BATCH_H
#define NNMPI_SPARSE_BATCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n_in, capacity; /* pixels per image, most samples per batch */
    int count;          /* samples in the current batch */
    int first;          /* the batch's index of sample 0 here: 0, or where a part
                         * of the batch starts (sparse_parts_*) */
    float background;   /* input value of an unlit pixel (0.01) */
    int32_t *row_start; /* [capacity+1] sample b: entries row_start[b]..row_start[b+1] */
    int32_t *row_pixel; /* [capacity*n_in] pixel index of each entry */
    float *row_value;   /* [capacity*n_in] input minus the background */
    int32_t *col_start; /* [n_in+1] pixel j: entries col_start[j]..col_start[j+1] */
    int32_t *col_sample;/* [capacity*n_in] first + the sample's index here */
    float *col_value;   /* [capacity*n_in] the same values, by pixel */
    void *block;        /* the arrays' memory, when sparse_batch_init took it */
} sparse_batch_t;

int sparse_batch_init(sparse_batch_t *sb, int n_in, int capacity);
void sparse_batch_free(sparse_batch_t *sb);

/* The bytes the arrays of a sparse batch take, and the arrays laid out in
 * such a block that the caller keeps (a window shared between processes,
 * lit_share.h); sparse_batch_free leaves it alone. */
size_t sparse_batch_bytes(int n_in, int capacity);
void sparse_batch_place(sparse_batch_t *sb, int n_in, int capacity, void *mem);

/* Loads count <= capacity images (n_in pixels each) into the lists by
 * sample; table[v] is the input value of pixel value v (net_input_table),
 * table[0] the background. The lists by pixel are left stale. */
void sparse_batch_build(sparse_batch_t *sb, const uint8_t *const *pixels, int count,
                        const float *table);

/* The lists by pixel (col_*) of the loaded batch: what a weight update
 * needs, and the per-sample loop (one sample) does not. */
void sparse_batch_index_pixels(sparse_batch_t *sb);

/* Lit entries over all samples, and as a fraction of count*n_in. */
size_t sparse_batch_lit(const sparse_batch_t *sb);
double sparse_batch_density(const sparse_batch_t *sb);

/* A batch in parts: part i holds the samples from part[i]->first on, the
 * parts in the batch's order (one part: the whole batch). The ranks of a
 * tensor group each build one part of the batch they share (lit_share.h).
 * The results are those of the whole batch in one part, to the bit: the
 * sums run over the samples in the same order. */
double sparse_parts_density(const sparse_batch_t *const *part, int n_parts);

/* out[b,:] = background*col_sum + sum over b's lit pixels i of v_bi W[i,:]
 * (sparse_rows_sum_each) for every sample b of the batch; rows of `width`. */
void sparse_parts_sum_each(const sparse_batch_t *const *part, int n_parts, int width, float *out,
                           const float *col_sum, const float *W);

/* sparse_rows_update over the lists by pixel: W[i,:] = beta W[i,:] + c C +
 * scale sum over the samples b where pixel i is lit of v_bi M[b,:]. */
void sparse_parts_update(const sparse_batch_t *const *part, int n_parts, int width, float *W,
                         float beta, float c, const float *C, float scale, const float *M);

#endif
