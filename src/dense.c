/* dense: C = alpha op(A) op(B) + beta C with an AVX-512 kernel (dense.h).
 *
 * The classic blocking, cut to what these nets need (one thread, sizes of
 * hundreds to a few thousand): K in blocks of KC; op(A)'s rows of a block
 * packed in slivers of MR rows, k-major (MR floats a step); op(B) packed a
 * panel of NR columns at a time (KC x NR floats, 24 KiB: it stays in L1
 * while every sliver of A passes it); the kernel keeps an MR x NR block of
 * C in 24 of the 32 zmm registers, so each step of k loads 3 vectors of B
 * and broadcasts MR values of A for 24 FMAs. Padding rows and columns are
 * packed as zeros and never stored. */
#include "nnmpi/dense.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/sparse_rows.h"

#define MR 8   /* rows of C a kernel call holds */
#define NR 48  /* columns: 3 vectors of 16 floats */
#define KC 128 /* steps of k per block: the B panel is KC x NR floats */

/* Below this in any dimension the packing and padding cost more than the
 * wider FMAs gain (the output layer's 10 units, batches of one). */
#define MIN_DIM 16

static void blas(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                ldc);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define UNROLL _Pragma("GCC unroll 8")

/* op(A)[i0 .. i0+MR*slivers, k0 .. k0+kc) into pa: sliver s holds, for each
 * k, its MR rows' values; rows past M are zeros. */
static void pack_a(int trans_a, const float *A, int lda, int M, int k0, int kc, float *pa)
{
    const int slivers = (M + MR - 1) / MR;
    memset(pa, 0, (size_t)slivers * MR * kc * sizeof *pa);
    for (int i = 0; i < M; i++) {
        float *dst = pa + (size_t)(i / MR) * MR * kc + i % MR;
        if (trans_a)
            for (int k = 0; k < kc; k++)
                dst[k * MR] = A[(size_t)(k0 + k) * lda + i];
        else
            for (int k = 0; k < kc; k++)
                dst[k * MR] = A[(size_t)i * lda + k0 + k];
    }
}

/* op(B)[k0 .. k0+kc, j0 .. j0+NR) into pb [kc, NR]; columns past N zeros.
 * Transposed, a step of k takes a float from each of NR rows of B: 16 at
 * a time by a gather (a scalar loop made the forward product 1.4x slower). */
AVX512 static void pack_b(int trans_b, const float *B, int ldb, int N, int k0, int kc, int j0,
                          float *pb)
{
    const int cols = N - j0 < NR ? N - j0 : NR;
    if (!trans_b) {
        if (cols < NR)
            memset(pb, 0, (size_t)kc * NR * sizeof *pb);
        for (int k = 0; k < kc; k++)
            memcpy(pb + k * NR, B + (size_t)(k0 + k) * ldb + j0, (size_t)cols * sizeof *pb);
        return;
    }
    const __m512i rows = _mm512_mullo_epi32(_mm512_set1_epi32(ldb),
                                            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                                              10, 11, 12, 13, 14, 15));
    for (int q = 0; q < 3; q++) {
        const int n = cols - 16 * q;
        const __mmask16 mask = n >= 16 ? 0xffff : n > 0 ? (__mmask16)((1u << n) - 1u) : 0;
        const float *src = B + (size_t)(j0 + (mask ? 16 * q : 0)) * ldb + k0;
        for (int k = 0; k < kc; k++)
            _mm512_store_ps(pb + k * NR + 16 * q,
                            _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, rows, src + k, 4));
    }
}

/* C's block [rows <= MR, cols <= NR] = alpha * sliver . panel, plus beta*C
 * on the first K block (C unread if beta is 0), plus C on later ones. */
AVX512 static void kernel(int kc, const float *pa, const float *pb, float *C, int ldc, int rows,
                          int cols, float alpha, float beta, int first)
{
    __m512 acc[MR][3];
    UNROLL for (int r = 0; r < MR; r++)
        UNROLL for (int q = 0; q < 3; q++)
            acc[r][q] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_load_ps(pb + k * NR), b1 = _mm512_load_ps(pb + k * NR + 16),
                     b2 = _mm512_load_ps(pb + k * NR + 32);
        UNROLL for (int r = 0; r < MR; r++) {
            const __m512 a = _mm512_set1_ps(pa[k * MR + r]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(first ? beta : 1.0f);
    const int read = !first || beta != 0.0f;
    __mmask16 mask[3];
    for (int q = 0; q < 3; q++) {
        int n = cols - 16 * q;
        mask[q] = n >= 16 ? 0xffff : n > 0 ? (__mmask16)((1u << n) - 1u) : 0;
    }
    UNROLL for (int r = 0; r < MR; r++) {
        if (r >= rows)
            break;
        float *c = C + (size_t)r * ldc;
        UNROLL for (int q = 0; q < 3; q++) {
            __m512 v = _mm512_mul_ps(va, acc[r][q]);
            if (read)
                v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[q], c + 16 * q), v);
            _mm512_mask_storeu_ps(c + 16 * q, mask[q], v);
        }
    }
}

/* A packing buffer of at least `floats`, kept from call to call (per
 * thread): the training loop allocates only while the products grow, at
 * the first steps. NULL if it could not grow. */
static float *packing_buffer(size_t floats)
{
    static _Thread_local float *buf;
    static _Thread_local size_t cap;
    if (floats > cap) {
        float *grown = aligned_alloc(64, floats * sizeof *grown); /* a multiple of 64 bytes */
        if (!grown)
            return NULL;
        free(buf);
        buf = grown;
        cap = floats;
    }
    return buf;
}

/* The product by blocks; 0, or -1 if the packing buffer could not be had. */
static int own(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc)
{
    const int slivers = (M + MR - 1) / MR;
    float *pa = packing_buffer((size_t)slivers * MR * KC);
    if (!pa)
        return -1;
    float pb[KC * NR] __attribute__((aligned(64))); /* 24 KiB */
    for (int k0 = 0; k0 < K; k0 += KC) {
        const int kc = K - k0 < KC ? K - k0 : KC;
        pack_a(trans_a, A, lda, M, k0, kc, pa);
        for (int j0 = 0; j0 < N; j0 += NR) {
            pack_b(trans_b, B, ldb, N, k0, kc, j0, pb);
            const int cols = N - j0 < NR ? N - j0 : NR;
            for (int s = 0; s < slivers; s++) {
                const int rows = M - s * MR < MR ? M - s * MR : MR;
                kernel(kc, pa + (size_t)s * MR * kc, pb, C + (size_t)s * MR * ldc + j0, ldc,
                       rows, cols, alpha, beta, k0 == 0);
            }
        }
    }
    return 0;
}
#else
static int own(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc)
{
    (void)trans_a, (void)trans_b, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda;
    (void)B, (void)ldb, (void)beta, (void)C, (void)ldc;
    return -1;
}
#endif

int dense_uses_own(int M, int N, int K)
{
    return M >= MIN_DIM && N >= MIN_DIM && K >= MIN_DIM &&
           strcmp(sparse_rows_isa(), "avx512") == 0;
}

void dense_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (!dense_uses_own(M, N, K) ||
        own(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) < 0)
        blas(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
