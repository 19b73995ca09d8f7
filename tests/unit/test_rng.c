/* Tests of the rng module: the xoshiro256** core against the published
 * reference sequence, reproducibility of (seed, stream), independence of
 * streams, and the statistics of every derived draw (uniform, below,
 * normal, shuffle) over enough samples that a wrong formula shows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/rng.h"
#include "testutil.h"

#define DRAWS 100000

/* xoshiro256** from the state {1, 2, 3, 4}: the first outputs of the
 * reference implementation (Blackman & Vigna), computed independently. */
static void test_reference_sequence(void)
{
    static const uint64_t expect[6] = {11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL,
                                       1216172134540287360ULL, 607988272756665600ULL};
    rng_t rng = {{1, 2, 3, 4}};
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(rng_next(&rng), expect[i]);
}

static void test_same_seed_same_sequence(void)
{
    rng_t a, b;
    rng_seed(&a, 42, 7);
    rng_seed(&b, 42, 7);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL_FATAL(rng_next(&a), rng_next(&b));
    /* reseeding restarts the sequence */
    rng_t c;
    rng_seed(&c, 42, 7);
    rng_seed(&a, 42, 7);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_EQUAL_FATAL(rng_next(&a), rng_next(&c));
}

/* Counts positions where two generators agree over n draws. */
static int agreements(uint64_t seed_a, uint64_t stream_a, uint64_t seed_b, uint64_t stream_b,
                      int n)
{
    rng_t a, b;
    rng_seed(&a, seed_a, stream_a);
    rng_seed(&b, seed_b, stream_b);
    int same = 0;
    for (int i = 0; i < n; i++)
        same += rng_next(&a) == rng_next(&b);
    return same;
}

static void test_streams_and_seeds_differ(void)
{
    /* 64-bit draws of independent streams essentially never coincide */
    CU_ASSERT_EQUAL(agreements(42, 0, 42, 1, 1000), 0);
    CU_ASSERT_EQUAL(agreements(42, 1, 42, 2, 1000), 0);
    CU_ASSERT_EQUAL(agreements(42, 0, 43, 0, 1000), 0);
    CU_ASSERT_EQUAL(agreements(0, 0, 0, 1, 1000), 0);
    CU_ASSERT_EQUAL(agreements(0, 0, 1, 0, 1000), 0);
    /* seed and stream are not interchangeable */
    CU_ASSERT_EQUAL(agreements(1, 2, 2, 1, 1000), 0);
    /* nor is a stream a shifted copy of another: the first draw of stream 1
     * appears nowhere in the first 10000 draws of stream 0 */
    rng_t a, b;
    rng_seed(&a, 5, 0);
    rng_seed(&b, 5, 1);
    uint64_t first = rng_next(&b);
    int found = 0;
    for (int i = 0; i < 10000; i++)
        found += rng_next(&a) == first;
    CU_ASSERT_EQUAL(found, 0);
}

static void test_uniform(void)
{
    rng_t rng;
    rng_seed(&rng, 2024, 3);
    double sum = 0.0, sum2 = 0.0, lo = 1.0, hi = 0.0;
    int bins[10] = {0};
    for (int i = 0; i < DRAWS; i++) {
        double u = rng_uniform(&rng);
        CU_ASSERT_FATAL(u >= 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        bins[(int)(u * 10)]++;
    }
    double mean = sum / DRAWS, var = sum2 / DRAWS - mean * mean;
    /* sd of the mean is sqrt(1/12/1e5) = 0.0009 */
    CU_ASSERT_DOUBLE_EQUAL(mean, 0.5, 0.005);
    CU_ASSERT_DOUBLE_EQUAL(var, 1.0 / 12.0, 0.003);
    CU_ASSERT(lo < 1e-3);
    CU_ASSERT(hi > 1.0 - 1e-3);
    double chi2 = 0.0, e = DRAWS / 10.0;
    for (int k = 0; k < 10; k++)
        chi2 += (bins[k] - e) * (bins[k] - e) / e;
    CU_ASSERT(chi2 < 40.0); /* 9 degrees of freedom: p < 1e-5 above 33.7 */
}

/* chi-square of rng_below(n) over `draws` draws; every draw must be < n. */
static double below_chi2(uint64_t seed, uint64_t n, int draws, int *out_of_range, int *empty)
{
    rng_t rng;
    rng_seed(&rng, seed, 11);
    long *count = calloc((size_t)n, sizeof *count);
    *out_of_range = 0;
    for (int i = 0; i < draws; i++) {
        uint64_t r = rng_below(&rng, n);
        if (r >= n)
            (*out_of_range)++;
        else
            count[r]++;
    }
    double e = (double)draws / (double)n, chi2 = 0.0;
    *empty = 0;
    for (uint64_t k = 0; k < n; k++) {
        chi2 += (count[k] - e) * (count[k] - e) / e;
        *empty += count[k] == 0;
    }
    free(count);
    return chi2;
}

static void test_below(void)
{
    int bad, empty;
    /* (n, bound): bounds sit far in the tail of chi-square with n-1 dof */
    struct { uint64_t n; double bound; } cases[] = {
        {2, 20.0}, {3, 25.0}, {7, 35.0}, {10, 40.0}, {37, 90.0}, {1000, 1250.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double chi2 = below_chi2(99 + i, cases[i].n, DRAWS, &bad, &empty);
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(empty, 0);
        CU_ASSERT(chi2 < cases[i].bound);
    }
    rng_t rng;
    rng_seed(&rng, 1, 1);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL_FATAL(rng_below(&rng, 1), 0);
    /* n = 2/3 of 2^64, where a plain modulo would be badly biased (the
     * lower half of the range would come up 2/3 of the time): draws must
     * stay below n and fall in the lower half about 1/2 of the time */
    uint64_t n = 0xAAAAAAAAAAAAAAAAULL;
    int low = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t r = rng_below(&rng, n);
        CU_ASSERT_FATAL(r < n);
        low += r < n / 2;
    }
    CU_ASSERT(low > 4700 && low < 5300);
    /* the largest n */
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_FATAL(rng_below(&rng, UINT64_MAX) < UINT64_MAX);
}

static void test_normal(void)
{
    rng_t rng;
    rng_seed(&rng, 7, 0);
    double sum = 0.0, sum2 = 0.0, sum4 = 0.0;
    int within1 = 0, positive = 0;
    for (int i = 0; i < DRAWS; i++) {
        double z = rng_normal(&rng);
        CU_ASSERT_FATAL(isfinite(z));
        sum += z;
        sum2 += z * z;
        sum4 += z * z * z * z;
        within1 += fabs(z) < 1.0;
        positive += z > 0;
    }
    double mean = sum / DRAWS, var = sum2 / DRAWS - mean * mean;
    CU_ASSERT_DOUBLE_EQUAL(mean, 0.0, 0.02);     /* sd 0.003 */
    CU_ASSERT_DOUBLE_EQUAL(var, 1.0, 0.03);      /* sd 0.0045 */
    CU_ASSERT_DOUBLE_EQUAL(sum4 / DRAWS, 3.0, 0.15); /* kurtosis of a normal; sd 0.03 */
    CU_ASSERT_DOUBLE_EQUAL((double)within1 / DRAWS, 0.682689, 0.01);
    CU_ASSERT_DOUBLE_EQUAL((double)positive / DRAWS, 0.5, 0.01);
}

static int is_permutation(const uint32_t *a, size_t n)
{
    char *seen = calloc(n, 1);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        if (a[i] >= n || seen[a[i]])
            ok = 0;
        else
            seen[a[i]] = 1;
    }
    free(seen);
    return ok;
}

static void test_shuffle(void)
{
    enum { N = 1000 };
    uint32_t a[N], b[N];
    rng_t r1, r2;
    for (int i = 0; i < N; i++)
        a[i] = b[i] = (uint32_t)i;
    rng_seed(&r1, 1, 0);
    rng_seed(&r2, 2, 0);
    rng_shuffle_u32(&r1, a, N);
    rng_shuffle_u32(&r2, b, N);
    CU_ASSERT(is_permutation(a, N));
    CU_ASSERT(is_permutation(b, N));
    int same = 0, fixed = 0;
    for (int i = 0; i < N; i++) {
        same += a[i] == b[i];
        fixed += a[i] == (uint32_t)i;
    }
    CU_ASSERT(same < 20);   /* two random permutations agree in ~1 place */
    CU_ASSERT(fixed < 20);  /* and leave ~1 element in place */
    /* same seed, same order */
    uint32_t c[N];
    for (int i = 0; i < N; i++)
        c[i] = (uint32_t)i;
    rng_seed(&r1, 1, 0);
    rng_shuffle_u32(&r1, c, N);
    CU_ASSERT_EQUAL(memcmp(a, c, sizeof a), 0);
    /* n = 0 and 1 leave the array alone */
    uint32_t one = 5;
    rng_shuffle_u32(&r1, &one, 1);
    CU_ASSERT_EQUAL(one, 5);
    rng_shuffle_u32(&r1, NULL, 0);

    /* Fisher-Yates is uniform: the 6 orders of 3 elements come up equally */
    int count[3][3][3] = {{{0}}};
    rng_seed(&r1, 3, 3);
    const int trials = 60000;
    for (int t = 0; t < trials; t++) {
        uint32_t p[3] = {0, 1, 2};
        rng_shuffle_u32(&r1, p, 3);
        CU_ASSERT_FATAL(is_permutation(p, 3));
        count[p[0]][p[1]][p[2]]++;
    }
    double chi2 = 0.0, e = trials / 6.0;
    int orders = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                if (i != j && j != k && i != k) {
                    chi2 += (count[i][j][k] - e) * (count[i][j][k] - e) / e;
                    orders++;
                }
    CU_ASSERT_EQUAL(orders, 6);
    CU_ASSERT(chi2 < 30.0); /* 5 dof */
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_stream(void)
{
    CU_ASSERT_EQUAL(rng_stream(1, 2, 3), rng_stream(1, 2, 3));
    CU_ASSERT_NOT_EQUAL(rng_stream(1, 2, 3), rng_stream(0, 2, 3));
    CU_ASSERT_NOT_EQUAL(rng_stream(1, 2, 3), rng_stream(1, 0, 3));
    CU_ASSERT_NOT_EQUAL(rng_stream(1, 2, 3), rng_stream(1, 2, 0));
    CU_ASSERT_NOT_EQUAL(rng_stream(1, 2, 3), rng_stream(2, 1, 3));
    CU_ASSERT_NOT_EQUAL(rng_stream(1, 2, 3), rng_stream(1, 3, 2));
    CU_ASSERT_NOT_EQUAL(rng_stream(0, 0, 0), rng_stream(0, 0, 1));
    /* all small triples (e.g. kind, epoch, lane) map to distinct streams */
    enum { K = 16 };
    uint64_t *v = malloc(K * K * K * sizeof *v);
    int n = 0;
    for (uint64_t a = 0; a < K; a++)
        for (uint64_t b = 0; b < K; b++)
            for (uint64_t c = 0; c < K; c++)
                v[n++] = rng_stream(a, b, c);
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    int dup = 0;
    for (int i = 1; i < n; i++)
        dup += v[i] == v[i - 1];
    CU_ASSERT_EQUAL(dup, 0);
    free(v);
    /* and the generators seeded from neighbouring streams are unrelated */
    CU_ASSERT_EQUAL(agreements(9, rng_stream(1, 0, 0), 9, rng_stream(1, 0, 1), 1000), 0);
    CU_ASSERT_EQUAL(agreements(9, rng_stream(1, 0, 0), 9, rng_stream(1, 1, 0), 1000), 0);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"xoshiro256** reference sequence", test_reference_sequence},
        {"same seed and stream, same sequence", test_same_seed_same_sequence},
        {"different streams and seeds differ", test_streams_and_seeds_differ},
        {"uniform in [0,1), mean 1/2, flat", test_uniform},
        {"below(n) in range and flat", test_below},
        {"normal: mean 0, variance 1", test_normal},
        {"shuffle: permutation, uniform, seeded", test_shuffle},
        {"stream numbers", test_stream},
        {NULL, NULL},
    };
    return testutil_run("rng", cases);
}
