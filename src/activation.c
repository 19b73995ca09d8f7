/* activation: one implementation of each neuron function (activation.h),
 * shared by the book's net and the others so that they cannot drift. */
#include "activation.h"

#include <math.h>

void activation_apply(net_activation_t f, float *v, size_t n)
{
    switch (f) {
    case NET_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            v[i] = tanhf(v[i]);
        break;
    case NET_ACT_RELU:
        for (size_t i = 0; i < n; i++)
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
        for (size_t i = 0; i < n; i++)
            d[i] = y[i] > 0.0f ? d[i] : 0.0f;
        break;
    case NET_ACT_SIGMOID:
    default: /* the book's */
        for (size_t i = 0; i < n; i++)
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
