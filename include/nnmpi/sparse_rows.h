/* sparse_rows: the one kernel of the sparse training step, a weighted sum of
 * selected rows of a row-major matrix into a vector:
 *
 *   out[0..n) = a*A + c*C + scale * sum_p val[p] * M[idx[p]*ld .. +n)
 *
 * Forward, it is a sample's hidden inputs: the weight rows of its lit pixels,
 * weighted by their values (M = w_ih_t). Backward, a pixel's weight update:
 * the hidden deltas of the samples in which it is lit (M = the deltas).
 * A and C may be NULL (their terms dropped, so a NaN there cannot leak in);
 * A may be out itself. Runs with AVX-512 or AVX2+FMA when the CPU has
 * them, else a plain C loop; all give the same sums up to rounding. */
#ifndef NNMPI_SPARSE_ROWS_H
#define NNMPI_SPARSE_ROWS_H

#include <stddef.h>
#include <stdint.h>

void sparse_rows_combine(int n, float *out, float a, const float *A, float c, const float *C,
                         float scale, int nnz, const int32_t *idx, const float *val,
                         const float *M, size_t ld);

/* The kernel's uses, each over many rows with the split into vector passes
 * worked out once (784 calls a step paid 5-20 us for it). The same sums,
 * to the bit, as sparse_rows_combine row by row. Each matrix has rows of n
 * floats, ld* >= n apart; the floats between rows are never touched. Rows
 * that start cache lines (net.h's ld0) make these kernels a third faster
 * than rows n apart, whose loads split lines.
 *
 * Forward: the hidden inputs of `count` samples, out is [count, n]:
 *   out_r = a*A + sum over p in [start[r], start[r+1]) of val[p]*M[idx[p]*ldm ..]
 * (M = w_ih_t: a sample's lit pixels' weight rows, by their values). */
void sparse_rows_sum_each(int count, int n, float *out, size_t ldo, float a, const float *A,
                          const int32_t *start, const int32_t *idx, const float *val,
                          const float *M, size_t ldm);

/* An entry of a list by pixel: the row of M (a sample) and its weight. */
typedef struct {
    int32_t row;
    float value;
} sparse_entry_t;

/* Backward: every row r of the matrix W (a pixel's weights), with
 * entries[p] = (idx[p], val[p]),
 *   W_r = beta*W_r + c*C + scale * sum over p in [start[r], start[r+1]) of val[p]*M[idx[p]*ldm ..]
 * (M = the hidden deltas, one row per sample of the batch). With beta 0, W
 * is written without being read. */
void sparse_rows_update(int rows, int n, float *W, size_t ldw, float beta, float c,
                        const float *C, float scale, const int32_t *start,
                        const sparse_entry_t *entries, const float *M, size_t ldm);

/* The book's per-sample update of the listed rows of W (n floats, rows ldw
 * apart):
 *   W_idx[p] += (scale * val[p]) * x   for p in [0, count) */
void sparse_rows_scatter(int n, float *W, size_t ldw, int count, const int32_t *idx,
                         const float *val, float scale, const float *x);

/* Which implementation sparse_rows_combine uses: "avx512", "avx2" or "c",
 * the widest the CPU has unless the environment's NNMPI_SIMD names a
 * narrower one (to compare them, or to match an older cluster's nodes). */
const char *sparse_rows_isa(void);

/* 0 if NNMPI_SIMD is unset or names an implementation this CPU has; else
 * -1 with the error set (train refuses it rather than run other kernels
 * than the user asked for). */
int sparse_rows_check_env(void);
/* Uses the named implementation from now on; -1 if this CPU lacks it. */
int sparse_rows_set_isa(const char *name);

#endif
