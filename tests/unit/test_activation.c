/* activation: the book's sigmoid is exactly 1 / (1 + expf(-z)) in float (the
 * hashes of e2e_book_weights depend on it); each slope, written through the
 * output, agrees with central differences of the function; each inverse
 * undoes its function. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../src/activation.h"
#include "testutil.h"

#define N_POINTS 41

/* z from -8 to 8 in steps of 0.4, and a few odd values in between. */
static void points(float *z)
{
    for (int i = 0; i < N_POINTS; i++)
        z[i] = -8.0f + 0.4f * (float)i + (i % 3 == 0 ? 0.0137f : 0.0f);
}

static void test_book_sigmoid_bits(void)
{
    float z[N_POINTS], y[N_POINTS];
    points(z);
    for (int i = 0; i < N_POINTS; i++)
        y[i] = z[i];
    activation_apply(NET_ACT_SIGMOID, y, N_POINTS);
    for (int i = 0; i < N_POINTS; i++) {
        volatile float e = expf(-z[i]);   /* no other rounding than the book's */
        float book = 1.0f / (1.0f + e);
        CU_ASSERT_EQUAL(y[i], book);
    }
}

/* activation_sigmoid's vectors against the scalar expression on every
 * 61st bit pattern of a float (70 million: every exponent, both signs, the
 * fast path's edges at |z| = 88, infinities and NaNs), in chunks of a
 * length no multiple of 16, so that the scalar tail runs too. (All 2^32
 * floats matched when it was written: 25 s, too long for every run.) */
static void test_sigmoid_vectors_bits(void)
{
    enum { CHUNK = 4099 };
    static float v[CHUNK], want[CHUNK];
    __builtin_cpu_init();
    if (!activation_sigmoid_vectors()) {
        int has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
        printf("\n    (the sigmoid's vectors %s: one at a time)",
               has ? "refused by their check against this libm's expf" : "skipped: no AVX-512");
        CU_ASSERT(!has); /* this CPU has them: they must give expf's floats */
    }
    uint64_t compared = 0, wrong = 0;
    for (uint64_t b = 0; b < (1ull << 32);) {
        int n = 0;
        for (; n < CHUNK && b < (1ull << 32); n++, b += 61) {
            uint32_t bits = (uint32_t)b;
            memcpy(&v[n], &bits, sizeof bits);
            volatile float e = expf(-v[n]);
            want[n] = 1.0f / (1.0f + e);
        }
        activation_sigmoid(v, (size_t)n);
        for (int i = 0; i < n; i++)
            wrong += memcmp(&v[i], &want[i], sizeof v[i]) != 0 && !(isnan(v[i]) && isnan(want[i]));
        compared += (uint64_t)n;
    }
    CU_ASSERT(compared > 70000000);
    CU_ASSERT_EQUAL(wrong, 0);
}

/* ReLU and its slope, four at a time where the CPU can, give the floats
 * of "v > 0 ? v : 0" and "y > 0 ? d : 0": NaNs and zeros of either sign
 * among them, and a length that leaves a tail. */
static void test_relu_bits(void)
{
    enum { N = 11 };
    const float in[N] = {1.5f,   -2.0f,    -0.0f,     0.0f,      NAN, -NAN,
                         1e-40f, -1e-40f, INFINITY, -INFINITY, 3.0f};
    float v[N], d[N];
    memcpy(v, in, sizeof v);
    for (int i = 0; i < N; i++)
        d[i] = (float)(i + 1);
    activation_apply(NET_ACT_RELU, v, N);
    activation_times_slope(NET_ACT_RELU, d, in, N);
    for (int i = 0; i < N; i++) {
        float want = in[i] > 0.0f ? in[i] : 0.0f, want_d = in[i] > 0.0f ? (float)(i + 1) : 0.0f;
        CU_ASSERT(memcmp(&v[i], &want, sizeof want) == 0);
        CU_ASSERT(memcmp(&d[i], &want_d, sizeof want_d) == 0);
    }
}

/* The sigmoid's slope, four at a time where the CPU can, gives the book's
 * d * (y * (1 - y)) to the bit (a length that leaves a tail). */
static void test_sigmoid_slope_bits(void)
{
    enum { N = 103 };
    float y[N], d[N];
    for (int i = 0; i < N; i++) {
        y[i] = 0.003f + 0.0097f * (float)i;
        d[i] = 0.37f - 0.011f * (float)i;
    }
    activation_times_slope(NET_ACT_SIGMOID, d, y, N);
    for (int i = 0; i < N; i++) {
        float want = (0.37f - 0.011f * (float)i) * (y[i] * (1.0f - y[i]));
        CU_ASSERT(memcmp(&d[i], &want, sizeof want) == 0);
    }
}

static void test_slopes(void)
{
    static const net_activation_t fs[] = {NET_ACT_SIGMOID, NET_ACT_TANH, NET_ACT_RELU};
    float z[N_POINTS];
    points(z);
    for (size_t k = 0; k < sizeof fs / sizeof *fs; k++) {
        float y[N_POINTS], d[N_POINTS];
        for (int i = 0; i < N_POINTS; i++) {
            y[i] = z[i];
            d[i] = 2.0f;   /* the slope times 2 */
        }
        activation_apply(fs[k], y, N_POINTS);
        activation_times_slope(fs[k], d, y, N_POINTS);
        for (int i = 0; i < N_POINTS; i++) {
            const float h = 1e-2f;
            if (fs[k] == NET_ACT_RELU && fabsf(z[i]) < 2 * h)
                continue;   /* the kink: no slope to compare */
            float up = z[i] + h, down = z[i] - h;
            activation_apply(fs[k], &up, 1);
            activation_apply(fs[k], &down, 1);
            double numeric = ((double)up - down) / (2.0 * h);
            CU_ASSERT_DOUBLE_EQUAL(d[i], 2.0 * numeric, 2e-3);
        }
    }
}

static void test_inverses(void)
{
    static const net_activation_t fs[] = {NET_ACT_SIGMOID, NET_ACT_TANH};
    for (size_t k = 0; k < sizeof fs / sizeof *fs; k++)
        for (double z = -3.0; z <= 3.0; z += 0.25) {
            float y = (float)z;
            activation_apply(fs[k], &y, 1);
            CU_ASSERT_DOUBLE_EQUAL(activation_inverse(fs[k], y), z, 1e-5 * (1.0 + fabs(z) * 10));
        }
    CU_ASSERT_DOUBLE_EQUAL(activation_inverse(NET_ACT_SIGMOID, 0.99), log(99.0), 1e-12);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"the book's sigmoid, bit for bit", test_book_sigmoid_bits},
        {"the sigmoid's vectors = 1/(1+expf(-z)) on 70 million floats", test_sigmoid_vectors_bits},
        {"ReLU and its slope, to the bit (NaN, zeros)", test_relu_bits},
        {"the sigmoid's slope, to the bit", test_sigmoid_slope_bits},
        {"slopes through the output = central differences", test_slopes},
        {"inverses undo their functions", test_inverses},
        {NULL, NULL},
    };
    return testutil_run("activation", cases);
}
