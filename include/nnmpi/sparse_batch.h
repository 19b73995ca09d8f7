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

#include "nnmpi/sparse_rows.h"

typedef struct {
    int n_in, capacity; /* pixels per image, most samples per batch */
    int count;          /* samples in the current batch */
    float background;   /* input value of an unlit pixel (0.01) */
    int32_t *row_start; /* [capacity+1] sample b: entries row_start[b]..row_start[b+1] */
    int32_t *row_pixel; /* [capacity*n_in] pixel index of each entry */
    float *row_value;   /* [capacity*n_in] input minus the background */
    int32_t *col_start; /* [n_in+1] pixel j: entries col_start[j]..col_start[j+1] */
    sparse_entry_t *col;/* [capacity*n_in] by pixel: each entry's sample and value, side
                           by side (the counting sort then writes one stream a pixel,
                           not two: 40% faster at batches of 64 and 128) */
    /* with AVX-512 the scan also counts each pixel's lit samples (its byte
     * masks, 64 pixels an add), so that sparse_batch_index_pixels skips
     * its counting pass */
    uint8_t *count8;    /* [n_in rounded up to 64] counts since the last flush (< 255);
                           all 0 between builds */
    int counted;        /* col_start[j + 1] holds pixel j's count */
} sparse_batch_t;

int sparse_batch_init(sparse_batch_t *sb, int n_in, int capacity);
void sparse_batch_free(sparse_batch_t *sb);

/* Loads count <= capacity images (n_in pixels each) into the lists by
 * sample; table[v] is the input value of pixel value v (net_input_table),
 * table[0] the background. The lists by pixel are left stale. */
void sparse_batch_build(sparse_batch_t *sb, const uint8_t *const *pixels, int count,
                        const float *table);

/* The lists by pixel (col_*) of the loaded batch: what a weight update
 * needs, and the per-sample loop (one sample) does not. */
void sparse_batch_index_pixels(sparse_batch_t *sb);

/* For tests: 0 keeps the AVX-512 scan off VBMI2's byte compression even
 * where the CPU has it (the path of AVX-512 CPUs without it); 1 (the
 * default) uses it where the CPU has it. */
void sparse_batch_allow_vbmi2(int allow);

/* Lit entries over all samples, and as a fraction of count*n_in. */
size_t sparse_batch_lit(const sparse_batch_t *sb);
double sparse_batch_density(const sparse_batch_t *sb);

#endif
