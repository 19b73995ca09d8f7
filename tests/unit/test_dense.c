/* Tests of dense_sgemm: every transposition, sizes that are and are not
 * multiples of the kernel's blocks (8 rows, 48 columns, 128 steps of k),
 * beta 0 (C written unread: a NaN there must not leak) and not, leading
 * dimensions wider than the matrices -- against a double-precision loop,
 * with the AVX-512 kernel where the CPU has it and OpenBLAS's path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/dense.h"
#include "nnmpi/rng.h"
#include "nnmpi/sparse_rows.h"
#include "testutil.h"

static float *random_matrix(size_t n, rng_t *r)
{
    float *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++)
        m[i] = (float)(rng_uniform(r) * 2.0 - 1.0);
    return m;
}

/* op(X)[i, k] of a row-major X with leading dimension ld. */
static double at(const float *X, int trans, int ld, int i, int k)
{
    return trans ? X[(size_t)k * ld + i] : X[(size_t)i * ld + k];
}

/* One product against the loop; C's padding columns must stay as they were. */
static void check_product(int ta, int tb, int M, int N, int K, float beta, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed, 0);
    const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 7;
    float *A = random_matrix((size_t)(ta ? K : M) * lda, &r);
    float *B = random_matrix((size_t)(tb ? N : K) * ldb, &r);
    float *C = random_matrix((size_t)M * ldc, &r);
    float *C0 = malloc((size_t)M * ldc * sizeof *C0);
    for (int i = 0; beta == 0.0f && i < M; i++)
        for (int j = 0; j < N; j++)
            C[(size_t)i * ldc + j] = NAN;
    memcpy(C0, C, (size_t)M * ldc * sizeof *C0);
    dense_sgemm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, C, ldc);
    int bad = 0;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < ldc; j++) {
            float got = C[(size_t)i * ldc + j], was = C0[(size_t)i * ldc + j];
            if (j >= N) {
                bad += memcmp(&got, &was, sizeof got) != 0;
                continue;
            }
            double want = beta != 0.0f ? (double)beta * was : 0.0;
            for (int k = 0; k < K; k++)
                want += 0.75 * at(A, ta, lda, i, k) * at(B, tb, ldb, k, j);
            bad += !(fabs(got - want) <= 1e-5 * (1.0 + sqrt((double)K)));
        }
    }
    if (bad)
        printf("\n    %d wrong of %dx%d (trans %d %d, K %d, beta %g)", bad, M, N, ta, tb, K,
               (double)beta);
    CU_ASSERT_EQUAL(bad, 0);
    free(A);
    free(B);
    free(C);
    free(C0);
}

/* The sizes and transpositions above with the current kernels. */
static void check_all(void)
{
    static const int sizes[][3] = {
        {8, 48, 128}, {16, 16, 16}, {37, 53, 71}, {128, 500, 300}, {61, 97, 257}, {9, 17, 130},
    };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int t = 0; t < 4; t++)
            for (int b = 0; b < 2; b++)
                check_product(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2],
                              b ? 0.5f : 0.0f, 100 + s);
}

static void test_own_kernel(void)
{
    if (sparse_rows_set_isa("avx512") < 0) {
        printf("\n    (skipped: this CPU lacks AVX-512)");
        return;
    }
    CU_ASSERT_TRUE(dense_uses_own(37, 53, 71));
    CU_ASSERT_FALSE(dense_uses_own(128, 10, 500)); /* an output layer: OpenBLAS */
    check_all();
}

static void test_blas_path(void)
{
    CU_ASSERT_EQUAL(sparse_rows_set_isa("c"), 0);
    CU_ASSERT_FALSE(dense_uses_own(128, 500, 1000));
    check_all();
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"AVX-512 kernel against a double loop", test_own_kernel},
        {"OpenBLAS path against a double loop", test_blas_path},
        {NULL, NULL},
    };
    return testutil_run("dense", cases);
}
