/* dense: the dense matrix product of the layers above the first in nets of
 * other shapes than the book's (mlp.c), row-major as cblas_sgemm:
 *
 *   C[M, N] = alpha * op(A)[M, K] . op(B)[K, N] + beta * C
 *
 * op(X) is X or its transpose. Why our own: Debian's OpenBLAS takes its
 * AVX2 kernels on CPUs it does not know (Zen 5 here) although they have
 * AVX-512, whose FMAs are twice as wide; and choosing its AVX-512 kernels
 * for the whole process would change the book's net's rounding. So these
 * products use an AVX-512 kernel of their own where the CPU has it (and
 * NNMPI_SIMD does not narrow it, sparse_rows.h), cblas_sgemm elsewhere and
 * for products too small to pay for the packing. The sums are the same
 * mathematics as cblas_sgemm's, added in another order (float rounding).
 * With beta 0, C is written without being read. */
#ifndef NNMPI_DENSE_H
#define NNMPI_DENSE_H

void dense_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* Whether dense_sgemm would use its own kernel for an M x N x K product. */
int dense_uses_own(int M, int N, int K);

#endif
