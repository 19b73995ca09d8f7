#include "nnmpi/sparse_rows.h"

#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

typedef enum { ISA_UNKNOWN = 0, ISA_C = 1, ISA_AVX2 = 2, ISA_AVX512 = 3 } isa_t;

/* Why hand-vectorised: the sum runs over a list of rows chosen at run time,
 * which compilers do not keep in registers on their own; written out, the
 * accumulators of a stretch of `out` stay in registers for the whole list
 * and each weight is loaded once per use (2 loads and 2 FMAs a cycle).
 * On other CPUs the plain loop that follows is used. */

static void combine_c(int n, float *out, float a, const float *A, float c, const float *C,
                      float scale, int nnz, const int32_t *idx, const float *val, const float *M,
                      size_t ld)
{
    for (int k = 0; k < n; k++)
        out[k] = (A ? a * A[k] : 0.0f) + (C ? c * C[k] : 0.0f);
    for (int p = 0; p < nnz; p++) {
        const float *row = M + (size_t)idx[p] * ld;
        float v = scale * val[p];
        for (int k = 0; k < n; k++)
            out[k] += v * row[k];
    }
}

/* One pass of the SIMD kernels over the list, for some consecutive vectors
 * of out (the last of them `last` floats long). */
typedef void (*pass_fn)(float *, float, const float *, float, const float *, float, int,
                        const int32_t *, const float *, const float *, size_t, int);

/* How a vector of n floats is cut into passes: as few as the registers
 * allow, of balanced widths, or the plain C loop. Made once for all the
 * rows of a call. */
#define MAX_PASSES 64
typedef struct {
    int n;                  /* floats in a row */
    const pass_fn *passes;  /* NULL: the plain C loop */
    int count;
    int vectors[MAX_PASSES], first[MAX_PASSES], last[MAX_PASSES];
} plan_t;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
/* unrolled whole, so that acc[] lives in registers (at -O2 it would not be) */
#define UNROLL _Pragma("GCC unroll 16")
#define MAX_VECTORS 10 /* accumulators per pass: 10 of the 16 ymm registers */

/* One pass over the list for N consecutive vectors of 8 floats, the last
 * of which holds only `last` (1..8) valid floats. */
#define DEFINE_PASS(N)                                                                           \
    AVX2 static void pass_##N(float *out, float a, const float *A, float c, const float *C,      \
                              float scale, int nnz, const int32_t *idx, const float *val,        \
                              const float *M, size_t ld, int last)                               \
    {                                                                                            \
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(last),                         \
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));      \
        __m256 acc[N];                                                                           \
        UNROLL for (int q = 0; q < N; q++)                                                       \
            acc[q] = _mm256_setzero_ps();                                                        \
        if (A) {                                                                                 \
            const __m256 va = _mm256_set1_ps(a);                                                 \
            UNROLL for (int q = 0; q < N - 1; q++)                                               \
                acc[q] = _mm256_mul_ps(va, _mm256_loadu_ps(A + 8 * q));                          \
            acc[N - 1] = _mm256_mul_ps(va, _mm256_maskload_ps(A + 8 * (N - 1), mask));           \
        }                                                                                        \
        if (C) {                                                                                 \
            const __m256 vc = _mm256_set1_ps(c);                                                 \
            UNROLL for (int q = 0; q < N - 1; q++)                                               \
                acc[q] = _mm256_fmadd_ps(vc, _mm256_loadu_ps(C + 8 * q), acc[q]);                \
            acc[N - 1] =                                                                         \
                _mm256_fmadd_ps(vc, _mm256_maskload_ps(C + 8 * (N - 1), mask), acc[N - 1]);      \
        }                                                                                        \
        for (int p = 0; p < nnz; p++) {                                                          \
            const float *row = M + (size_t)idx[p] * ld;                                          \
            const __m256 v = _mm256_set1_ps(scale * val[p]);                                     \
            UNROLL for (int q = 0; q < N - 1; q++)                                               \
                acc[q] = _mm256_fmadd_ps(v, _mm256_loadu_ps(row + 8 * q), acc[q]);               \
            acc[N - 1] =                                                                         \
                _mm256_fmadd_ps(v, _mm256_maskload_ps(row + 8 * (N - 1), mask), acc[N - 1]);     \
        }                                                                                        \
        UNROLL for (int q = 0; q < N - 1; q++)                                                   \
            _mm256_storeu_ps(out + 8 * q, acc[q]);                                               \
        _mm256_maskstore_ps(out + 8 * (N - 1), mask, acc[N - 1]);                                \
    }

DEFINE_PASS(1)
DEFINE_PASS(2)
DEFINE_PASS(3)
DEFINE_PASS(4)
DEFINE_PASS(5)
DEFINE_PASS(6)
DEFINE_PASS(7)
DEFINE_PASS(8)
DEFINE_PASS(9)
DEFINE_PASS(10)


#define AVX512 __attribute__((target("avx512f")))
#define MAX_VECTORS_512 16 /* accumulators per pass: 16 of the 32 zmm registers */

/* Into acc[N]: the rows ROW of M (rows ld apart) weighted by scale * VAL,
 * for p from `from` to `to`, the last vector under `mask`; then acc stored
 * at out. Shared by the passes below (ROW, VAL: idx[p], val[p] or an
 * entry's). */
#define ADD_ROWS_512(N, from, to, ROW, VAL)                                                      \
    for (int32_t p = (from); p < (to); p++) {                                                    \
        const float *row = M + (size_t)(ROW) * ld;                                               \
        const __m512 v = _mm512_set1_ps(scale * (VAL));                                          \
        UNROLL for (int q = 0; q < N - 1; q++)                                                   \
            acc[q] = _mm512_fmadd_ps(v, _mm512_loadu_ps(row + 16 * q), acc[q]);                  \
        acc[N - 1] = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(mask, row + 16 * (N - 1)),         \
                                     acc[N - 1]);                                                \
    }
#define STORE_512(N, out)                                                                        \
    UNROLL for (int q = 0; q < N - 1; q++)                                                       \
        _mm512_storeu_ps((out) + 16 * q, acc[q]);                                                \
    _mm512_mask_storeu_ps((out) + 16 * (N - 1), mask, acc[N - 1])

/* The same with vectors of 16 floats and a mask register for the last. */
#define DEFINE_PASS_512(N)                                                                       \
    AVX512 static void pass512_##N(float *out, float a, const float *A, float c, const float *C, \
                                   float scale, int nnz, const int32_t *idx, const float *val,   \
                                   const float *M, size_t ld, int last)                          \
    {                                                                                            \
        const __mmask16 mask = (__mmask16)((1u << last) - 1u);                                   \
        __m512 acc[N];                                                                           \
        UNROLL for (int q = 0; q < N; q++)                                                       \
            acc[q] = _mm512_setzero_ps();                                                        \
        if (A) {                                                                                 \
            const __m512 va = _mm512_set1_ps(a);                                                 \
            UNROLL for (int q = 0; q < N - 1; q++)                                               \
                acc[q] = _mm512_mul_ps(va, _mm512_loadu_ps(A + 16 * q));                         \
            acc[N - 1] = _mm512_mul_ps(va, _mm512_maskz_loadu_ps(mask, A + 16 * (N - 1)));       \
        }                                                                                        \
        if (C) {                                                                                 \
            const __m512 vc = _mm512_set1_ps(c);                                                 \
            UNROLL for (int q = 0; q < N - 1; q++)                                               \
                acc[q] = _mm512_fmadd_ps(vc, _mm512_loadu_ps(C + 16 * q), acc[q]);               \
            acc[N - 1] = _mm512_fmadd_ps(vc, _mm512_maskz_loadu_ps(mask, C + 16 * (N - 1)),      \
                                         acc[N - 1]);                                            \
        }                                                                                        \
        ADD_ROWS_512(N, 0, nnz, idx[p], val[p]);                                                 \
        STORE_512(N, out);                                                                       \
    }

DEFINE_PASS_512(1)
DEFINE_PASS_512(2)
DEFINE_PASS_512(3)
DEFINE_PASS_512(4)
DEFINE_PASS_512(5)
DEFINE_PASS_512(6)
DEFINE_PASS_512(7)
DEFINE_PASS_512(8)
DEFINE_PASS_512(9)
DEFINE_PASS_512(10)
DEFINE_PASS_512(11)
DEFINE_PASS_512(12)
DEFINE_PASS_512(13)
DEFINE_PASS_512(14)
DEFINE_PASS_512(15)
DEFINE_PASS_512(16)

static const pass_fn passes_256[MAX_VECTORS + 1] = {
    NULL, pass_1, pass_2, pass_3, pass_4, pass_5, pass_6, pass_7, pass_8, pass_9, pass_10};
static const pass_fn passes_512[MAX_VECTORS_512 + 1] = {
    NULL,         pass512_1,  pass512_2,  pass512_3,  pass512_4,  pass512_5,
    pass512_6,    pass512_7,  pass512_8,  pass512_9,  pass512_10, pass512_11,
    pass512_12,   pass512_13, pass512_14, pass512_15, pass512_16};

/* sparse_rows_update's own passes: every row in one call, C's vectors
 * held in registers for all of them. Reloading C for each row cost 12%
 * of the update (2 of 17.7 us a step at 100 floats; 3.4 of 26.9 at 200),
 * and so did a call per row. A pass's accumulators and C's vectors share
 * the 32 registers, so a pass takes at most 13 vectors. The same
 * operations per float as pass512_N, to the bit. */
#define MAX_UPDATE_512 13
#define DEFINE_UPDATE_512(N)                                                                     \
    AVX512 static void update512_##N(int rows, float *W, size_t ldw, float beta, float c,       \
                                     const float *C, float scale, const int32_t *start,          \
                                     const sparse_entry_t *entries, const float *M, size_t ld,   \
                                     int last)                                                   \
    {                                                                                            \
        const __mmask16 mask = (__mmask16)((1u << last) - 1u);                                   \
        const __m512 vb = _mm512_set1_ps(beta), vc = _mm512_set1_ps(c);                         \
        __m512 cv[N];                                                                            \
        UNROLL for (int q = 0; q < N; q++)                                                       \
            cv[q] = _mm512_maskz_loadu_ps(q < N - 1 ? 0xffff : mask, C + 16 * q);                \
        for (int r = 0; r < rows; r++) {                                                         \
            float *w = W + (size_t)r * ldw;                                                      \
            __m512 acc[N];                                                                       \
            UNROLL for (int q = 0; q < N; q++) {                                                 \
                __m512 a = _mm512_setzero_ps();                                                  \
                if (beta != 0.0f) /* beta 0: written, not read */                                \
                    a = _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(q < N - 1 ? 0xffff : mask,      \
                                                                w + 16 * q));                    \
                acc[q] = _mm512_fmadd_ps(vc, cv[q], a);                                          \
            }                                                                                    \
            ADD_ROWS_512(N, start[r], start[r + 1], entries[p].row, entries[p].value);           \
            STORE_512(N, w);                                                                     \
        }                                                                                        \
    }

DEFINE_UPDATE_512(1)
DEFINE_UPDATE_512(2)
DEFINE_UPDATE_512(3)
DEFINE_UPDATE_512(4)
DEFINE_UPDATE_512(5)
DEFINE_UPDATE_512(6)
DEFINE_UPDATE_512(7)
DEFINE_UPDATE_512(8)
DEFINE_UPDATE_512(9)
DEFINE_UPDATE_512(10)
DEFINE_UPDATE_512(11)
DEFINE_UPDATE_512(12)
DEFINE_UPDATE_512(13)

typedef void (*update_fn)(int, float *, size_t, float, float, const float *, float,
                          const int32_t *, const sparse_entry_t *, const float *, size_t, int);
static const update_fn updates_512[MAX_UPDATE_512 + 1] = {
    NULL,          update512_1,  update512_2,  update512_3,  update512_4,
    update512_5,   update512_6,  update512_7,  update512_8,  update512_9,
    update512_10,  update512_11, update512_12, update512_13};

/* `lanes` floats per vector, at most `most` vectors a pass. */
static void make_plan(plan_t *plan, const pass_fn *passes, int lanes, int most, int n)
{
    int vectors = (n + lanes - 1) / lanes, done = 0;
    plan->passes = passes;
    plan->count = (vectors + most - 1) / most;
    for (int i = 0; i < plan->count; i++) {
        int nv = (vectors - done) / (plan->count - i);
        int first = lanes * done;
        int last = n - (first + lanes * (nv - 1));
        plan->vectors[i] = nv;
        plan->first[i] = first;
        plan->last[i] = last > lanes ? lanes : last;
        done += nv;
    }
}

static isa_t cpu_isa(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return ISA_C;
    return __builtin_cpu_supports("avx512f") ? ISA_AVX512 : ISA_AVX2;
}
#else
static isa_t cpu_isa(void)
{
    return ISA_C;
}
#endif

static const char *const isa_names[] = {"?", "c", "avx2", "avx512"};
static isa_t chosen = ISA_UNKNOWN;

static isa_t isa_named(const char *name)
{
    for (int i = ISA_C; i <= ISA_AVX512; i++)
        if (strcmp(name, isa_names[i]) == 0)
            return (isa_t)i;
    return ISA_UNKNOWN;
}

int sparse_rows_set_isa(const char *name)
{
    isa_t want = isa_named(name);
    if (want == ISA_UNKNOWN || want > cpu_isa())
        return -1;
    chosen = want;
    return 0;
}

int sparse_rows_check_env(void)
{
    const char *ask = getenv("NNMPI_SIMD");
    if (!ask || !*ask)
        return 0;
    isa_t want = isa_named(ask);
    if (want == ISA_UNKNOWN)
        return error_set("NNMPI_SIMD=%s: expected avx512, avx2 or c", ask);
    if (want > cpu_isa())
        return error_set("NNMPI_SIMD=%s: this CPU lacks it (the widest it has: %s)", ask,
                         isa_names[cpu_isa()]);
    return 0;
}

/* The widest the CPU has, or NNMPI_SIMD's choice if it has that. */
static isa_t best_isa(void)
{
    if (chosen == ISA_UNKNOWN) {
        const char *ask = getenv("NNMPI_SIMD");
        if (!ask || sparse_rows_set_isa(ask) < 0)
            chosen = cpu_isa();
    }
    return chosen;
}

/* The plan for rows of n floats: SIMD passes, or the plain C loop. The
 * widest vectors are 16 floats and a pass takes at most 10 of 8, so
 * MAX_PASSES passes cover rows of up to 8,000 floats; wider ones take the
 * C loop (nnmpi's hidden layers are far narrower). */
static void plan_for(plan_t *plan, int n)
{
    isa_t isa = n > 0 && n <= 8000 ? best_isa() : ISA_C;
    plan->n = n;
    plan->passes = NULL;
#if defined(__x86_64__) && defined(__GNUC__)
    if (isa == ISA_AVX512)
        make_plan(plan, passes_512, 16, MAX_VECTORS_512, n);
    if (isa == ISA_AVX2)
        make_plan(plan, passes_256, 8, MAX_VECTORS, n);
#else
    (void)isa;
#endif
}

/* Pass i of a plan over the list: its stretch of out. */
static void combine_pass(const plan_t *plan, int i, float *out, float a, const float *A, float c,
                         const float *C, float scale, int nnz, const int32_t *idx,
                         const float *val, const float *M, size_t ld)
{
    int first = plan->first[i];
    plan->passes[plan->vectors[i]](out + first, a, A ? A + first : NULL, c, C ? C + first : NULL,
                                   scale, nnz, idx, val, M + first, ld, plan->last[i]);
}

/* Inlined: the per-sample loop calls it for every lit pixel (150 a
 * sample), where a call's cost shows (11% of book.ini's time). */
static inline __attribute__((always_inline)) void
combine_planned(const plan_t *plan, float *out, float a, const float *A, float c,
                            const float *C, float scale, int nnz, const int32_t *idx,
                            const float *val, const float *M, size_t ld)
{
    if (!plan->passes) {
        combine_c(plan->n, out, a, A, c, C, scale, nnz, idx, val, M, ld);
        return;
    }
    for (int i = 0; i < plan->count; i++)
        combine_pass(plan, i, out, a, A, c, C, scale, nnz, idx, val, M, ld);
}

void sparse_rows_combine(int n, float *out, float a, const float *A, float c, const float *C,
                         float scale, int nnz, const int32_t *idx, const float *val,
                         const float *M, size_t ld)
{
    plan_t plan;
    plan_for(&plan, n);
    combine_planned(&plan, out, a, A, c, C, scale, nnz, idx, val, M, ld);
}

/* Pass by pass, every sample in each: a pass reads only its columns of M,
 * which for wide layers stay in L2 where the whole of M (784 x 1000 floats)
 * would not. Each float of out is summed as before, to the bit. */
void sparse_rows_sum_each(int count, int n, float *out, size_t ldo, float a, const float *A,
                          const int32_t *start, const int32_t *idx, const float *val,
                          const float *M, size_t ldm)
{
    plan_t plan;
    plan_for(&plan, n);
    for (int i = 0; i < (plan.passes ? plan.count : 1); i++) {
        for (int r = 0; r < count; r++) {
            float *o = out + (size_t)r * ldo;
            int32_t s = start[r], nnz = start[r + 1] - s;
            if (plan.passes)
                combine_pass(&plan, i, o, a, A, 0.0f, NULL, 1.0f, nnz, idx + s, val + s, M, ldm);
            else
                combine_c(n, o, a, A, 0.0f, NULL, 1.0f, nnz, idx + s, val + s, M, ldm);
        }
    }
}

/* Row r of sparse_rows_update through combine's plan, its entries taken
 * apart a stretch at a time: after the first, out = 1*out + the next
 * stretch's rows, the same operations in the same order as one call. */
static void update_row(const plan_t *plan, float *w, float beta, float c, const float *C,
                       float scale, const sparse_entry_t *e, int32_t nnz, const float *M,
                       size_t ldm)
{
    enum { STRETCH = 256 };
    int32_t idx[STRETCH];
    float val[STRETCH];
    int32_t done = 0;
    do {
        int32_t k = nnz - done < STRETCH ? nnz - done : STRETCH;
        for (int32_t p = 0; p < k; p++) {
            idx[p] = e[done + p].row;
            val[p] = e[done + p].value;
        }
        if (done == 0) /* beta 0: w written, not read */
            combine_planned(plan, w, beta, beta != 0.0f ? w : NULL, c, C, scale, k, idx, val, M,
                            ldm);
        else
            combine_planned(plan, w, 1.0f, w, 0.0f, NULL, scale, k, idx, val, M, ldm);
        done += k;
    } while (done < nnz);
}

void sparse_rows_update(int rows, int n, float *W, size_t ldw, float beta, float c,
                        const float *C, float scale, const int32_t *start,
                        const sparse_entry_t *entries, const float *M, size_t ldm)
{
    plan_t plan;
    plan_for(&plan, n);
#if defined(__x86_64__) && defined(__GNUC__)
    if (plan.passes == passes_512 && C) { /* all rows a pass, C in registers */
        make_plan(&plan, passes_512, 16, MAX_UPDATE_512, n);
        for (int i = 0; i < plan.count; i++) {
            int first = plan.first[i];
            updates_512[plan.vectors[i]](rows, W + first, ldw, beta, c, C + first, scale,
                                         start, entries, M + first, ldm, plan.last[i]);
        }
        return;
    }
#endif
    for (int r = 0; r < rows; r++)
        update_row(&plan, W + (size_t)r * ldw, beta, c, C, scale, entries + start[r],
                   start[r + 1] - start[r], M, ldm);
}

void sparse_rows_scatter(int n, float *W, size_t ldw, int count, const int32_t *idx,
                         const float *val, float scale, const float *x)
{
    plan_t plan;
    plan_for(&plan, n);
    for (int p = 0; p < count; p++) {
        float *w = W + (size_t)idx[p] * ldw;
        float c = scale * val[p];
        combine_planned(&plan, w, 1.0f, w, c, x, 0.0f, 0, NULL, NULL, x, 0);
    }
}

const char *sparse_rows_isa(void)
{
    return isa_names[best_isa()];
}
