/* activation: the neuron functions of net.h's shapes (sigmoid, tanh, ReLU),
 * their slopes and their inverses, written once for the book's net
 * (net.c) and every other shape (mlp.c). Private to those two.
 *
 * The book's weights are fixed bit for bit (e2e_book_weights hashes them),
 * and they depend on these exact expressions: the sigmoid is
 * 1 / (1 + expf(-z)) in float (activation_sigmoid computes 16 at a time
 * the very floats glibc's expf gives, checked before use; no approximate
 * exp), its slope y (1 - y) through the output y, and the back-query's
 * logit log(y / (1 - y)) in double. Change one only with new hashes
 * measured. */
#ifndef NNMPI_ACTIVATION_H
#define NNMPI_ACTIVATION_H

#include <stddef.h>

#include "nnmpi/net.h"

/* v[0..n) = 1 / (1 + expf(-v)), in place: with AVX-512 sixteen at a time
 * in glibc's expf's own steps (activation_sigmoid.c), where a check at
 * first use finds they give this libm's floats; else one by one. */
void activation_sigmoid(float *v, size_t n);

/* Whether activation_sigmoid uses the vectors here (for the tests). */
int activation_sigmoid_vectors(void);

/* v[0..n) = f(v), in place. */
void activation_apply(net_activation_t f, float *v, size_t n);

/* d[0..n) *= f'(z), written through the function's output y = f(z): the
 * errors at a layer's outputs become the deltas of its pre-activations. */
void activation_times_slope(net_activation_t f, float *d, const float *y, size_t n);

/* z with f(z) = y: logit for sigmoid, atanh for tanh, y must lie in the
 * function's open range. ReLU has no inverse (its callers refuse it): y. */
double activation_inverse(net_activation_t f, double y);

#endif
