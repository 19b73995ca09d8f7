/* activation: one implementation of each neuron function (activation.h),
 * shared by the book's net and the others so that they cannot drift. */
#include "activation.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

/* ReLU and its slope four at a time with SSE2, which every x86-64 has: the
 * loops below compile to a branch per element, taken at random (about half
 * the units are 0), and cost 30% of a deep ReLU net's step. The same
 * floats: max(v, 0) is 0 where v is NaN or a zero of either sign, as
 * "v > 0 ? v : 0" is, and the mask of y > 0 is clear where y is NaN. The
 * sigmoid's slope too (the compiler leaves that loop scalar, for d and y
 * might overlap): the same two products, lane by lane. */
static size_t relu4(float *v, size_t n)
{
    const __m128 zero = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(v + i, _mm_max_ps(_mm_loadu_ps(v + i), zero));
    return i;
}

static size_t relu_slope4(float *d, const float *y, size_t n)
{
    const __m128 zero = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(d + i, _mm_and_ps(_mm_loadu_ps(d + i),
                                        _mm_cmpgt_ps(_mm_loadu_ps(y + i), zero)));
    return i;
}

static size_t sigmoid_slope4(float *d, const float *y, size_t n)
{
    const __m128 one = _mm_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 yi = _mm_loadu_ps(y + i);
        _mm_storeu_ps(d + i, _mm_mul_ps(_mm_loadu_ps(d + i), _mm_mul_ps(yi, _mm_sub_ps(one, yi))));
    }
    return i;
}
#else
static size_t relu4(float *v, size_t n)
{
    (void)v, (void)n;
    return 0;
}

static size_t relu_slope4(float *d, const float *y, size_t n)
{
    (void)d, (void)y, (void)n;
    return 0;
}

static size_t sigmoid_slope4(float *d, const float *y, size_t n)
{
    (void)d, (void)y, (void)n;
    return 0;
}
#endif

void activation_apply(net_activation_t f, float *v, size_t n)
{
    switch (f) {
    case NET_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            v[i] = tanhf(v[i]);
        break;
    case NET_ACT_RELU:
        for (size_t i = relu4(v, n); i < n; i++)
            v[i] = v[i] > 0.0f ? v[i] : 0.0f;
        break;
    case NET_ACT_SIGMOID:
    default: /* the book's: see activation.h before touching it */
        activation_sigmoid(v, n);
    }
}

void activation_times_slope(net_activation_t f, float *d, const float *y, size_t n)
{
    switch (f) {
    case NET_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            d[i] *= 1.0f - y[i] * y[i];
        break;
    case NET_ACT_RELU:
        for (size_t i = relu_slope4(d, y, n); i < n; i++)
            d[i] = y[i] > 0.0f ? d[i] : 0.0f;
        break;
    case NET_ACT_SIGMOID:
    default: /* the book's */
        for (size_t i = sigmoid_slope4(d, y, n); i < n; i++)
            d[i] *= y[i] * (1.0f - y[i]);
    }
}

double activation_inverse(net_activation_t f, double y)
{
    switch (f) {
    case NET_ACT_TANH:
        return atanh(y);
    case NET_ACT_RELU:
        return y;
    case NET_ACT_SIGMOID:
    default:
        return log(y / (1.0 - y));
    }
}
