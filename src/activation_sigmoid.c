/* activation_sigmoid: the book's sigmoid, 1 / (1 + expf(-z)) in float,
 * sixteen at a time and to the bit (activation.h).
 *
 * Why: one expf call per hidden unit and sample was 8% of a training step
 * of the book's net, and its weights are fixed to the bit (e2e_book_weights),
 * so no approximation will do. glibc's expf (since 2.27, from Arm's
 * optimized-routines) works in doubles: k = round(x·32/ln 2), r the rest,
 * 2^(k/32) from a table of 32 and the exponent bits, times a cubic in r;
 * its build with FMA, which glibc picks on every CPU with AVX-512, fuses
 * four of those products. The same operations on 8 doubles at a time give
 * the same doubles, hence the same floats. Inputs the fast path leaves
 * (|x| >= 88, infinities, NaN) go to expf itself.
 *
 * The coefficients are those of glibc's polynomial; the table is computed
 * here. Another libm could round differently: sigmoid_check compares the
 * two ways on 2,000 inputs spread over every table entry before the
 * vectors are trusted, and test_activation compares 70 million. */
#include "activation.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define TABLE_BITS 5
#define N (1 << TABLE_BITS)

static float scalar_sigmoid(float z)
{
    return 1.0f / (1.0f + expf(-z));
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512dq")))

static const double inv_ln2_n = 0x1.71547652b82fep+0 * N; /* 32 / ln 2 */
static const double shift = 0x1.8p+52; /* adding it rounds to an integer */
static const double c0 = 0x1.c6af84b912394p-5 / N / N / N, c1 = 0x1.ebfce50fac4f3p-3 / N / N,
                    c2 = 0x1.62e42ff0c52d6p-1 / N;
static uint64_t table[N]; /* the bits of 2^(i/32), less i << 47 (the exponent's share) */

static void make_table(void)
{
    for (int i = 0; i < N; i++) {
        double t = (double)exp2l((long double)i / N);
        uint64_t bits;
        memcpy(&bits, &t, sizeof bits);
        table[i] = bits - ((uint64_t)i << (52 - TABLE_BITS));
    }
}

/* expf of 8 floats (as doubles) on its fast path, as doubles. */
AVX512 static __m512d exp_fast(__m512d xd)
{
    const __m512d k_shift = _mm512_set1_pd(shift), k_inv = _mm512_set1_pd(inv_ln2_n);
    __m512d kd = _mm512_fmadd_pd(k_inv, xd, k_shift);
    __m512i ki = _mm512_castpd_si512(kd);
    kd = _mm512_sub_pd(kd, k_shift);
    __m512d r = _mm512_fmsub_pd(k_inv, xd, kd);
    /* 2^(k/32): the table entry k mod 32 (two pairs of registers of 16),
     * plus k's exponent bits */
    __m512i t = _mm512_permutex2var_epi64(_mm512_loadu_si512(table), ki,
                                          _mm512_loadu_si512(table + 8));
    __m512i t2 = _mm512_permutex2var_epi64(_mm512_loadu_si512(table + 16), ki,
                                           _mm512_loadu_si512(table + 24));
    t = _mm512_mask_blend_epi64(_mm512_test_epi64_mask(ki, _mm512_set1_epi64(16)), t, t2);
    __m512d s = _mm512_castsi512_pd(_mm512_add_epi64(t, _mm512_slli_epi64(ki, 52 - TABLE_BITS)));
    __m512d p = _mm512_fmadd_pd(r, _mm512_set1_pd(c0), _mm512_set1_pd(c1));
    __m512d r2 = _mm512_mul_pd(r, r);
    __m512d y = _mm512_fmadd_pd(r, _mm512_set1_pd(c2), _mm512_set1_pd(1.0));
    y = _mm512_fmadd_pd(p, r2, y);
    return _mm512_mul_pd(y, s);
}

/* 16 sigmoids from v[0..16) in place; lanes off the fast path by expf. */
AVX512 static void sigmoid16(float *v)
{
    const __m512 z = _mm512_loadu_ps(v);
    const __m512 x = _mm512_castsi512_ps( /* -z: the sign flipped, as C's minus */
        _mm512_xor_si512(_mm512_castps_si512(z), _mm512_set1_epi32((int)0x80000000u)));
    __mmask16 slow = _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(88.0f), _CMP_NLT_UQ);
    __m512d lo = exp_fast(_mm512_cvtps_pd(_mm512_castps512_ps256(x)));
    __m512d hi = exp_fast(_mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
    __m512 e = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)),
                                  _mm512_cvtpd_ps(hi), 1);
    const __m512 one = _mm512_set1_ps(1.0f);
    _mm512_storeu_ps(v, _mm512_div_ps(one, _mm512_add_ps(one, e)));
    for (; slow; slow &= (__mmask16)(slow - 1)) {
        int i = __builtin_ctz(slow);
        v[i] = scalar_sigmoid(z[i]);
    }
}

/* Whether the vectors give expf's floats here: the fast path's edges
 * (|z| = 88) and beyond, then inputs over its whole range and so over
 * every table entry. */
static int sigmoid_check(void)
{
    static const float edges[16] = {-104.0f, -96.0f, -88.01f, -88.0f, -87.99f, -50.0f,
                                    -1e-30f, -0.0f,   0.0f,    1e-30f, 50.0f,   87.99f,
                                    88.0f,   88.01f,  96.0f,   104.0f};
    for (int i = 0; i < 2048; i += 16) {
        float v[16], want[16];
        for (int k = 0; k < 16; k++) {
            int j = i + k;
            v[k] = j < 16 ? edges[j]
                          : -95.0f + 190.0f * (float)j / 2048.0f + 1e-3f * (float)(j % 7);
            want[k] = scalar_sigmoid(v[k]);
        }
        sigmoid16(v);
        if (memcmp(v, want, sizeof v) != 0)
            return 0;
    }
    return 1;
}

static int ok; /* the vectors may be used: set once, by decide */
static pthread_once_t decided = PTHREAD_ONCE_INIT;

static void decide(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
        make_table();
        ok = sigmoid_check();
    }
}

/* (Decided once, whichever thread comes first: serve's handlers run in a
 * pool.) */
int activation_sigmoid_vectors(void)
{
    pthread_once(&decided, decide);
    return ok;
}

void activation_sigmoid(float *v, size_t n)
{
    size_t i = 0;
    if (activation_sigmoid_vectors())
        for (; i + 16 <= n; i += 16)
            sigmoid16(v + i);
    for (; i < n; i++)
        v[i] = scalar_sigmoid(v[i]);
}
#else
int activation_sigmoid_vectors(void)
{
    return 0;
}

void activation_sigmoid(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = scalar_sigmoid(v[i]);
}
#endif
