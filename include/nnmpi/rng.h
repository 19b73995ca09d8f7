/* rng: explicit, seedable random number streams (xoshiro256**).
 *
 * Every random choice in nnmpi (initial weights, data order, the pre-shuffle
 * of a dataset) draws from an rng_t seeded from the config's seed and a
 * stream number, so a run is reproducible and never depends on hidden state.
 */
#ifndef NNMPI_RNG_H
#define NNMPI_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng_t;

/* Seeds a generator; different (seed, stream) pairs give independent streams.
 * Streams let e.g. the order of each epoch and lane be derived directly,
 * without drawing through earlier epochs. */
void rng_seed(rng_t *rng, uint64_t seed, uint64_t stream);

uint64_t rng_next(rng_t *rng);

/* Uniform double in [0, 1). */
double rng_uniform(rng_t *rng);

/* Uniform integer in [0, n), without modulo bias; n > 0. */
uint64_t rng_below(rng_t *rng, uint64_t n);

/* Standard normal deviate (Marsaglia's polar method). */
double rng_normal(rng_t *rng);

/* Fisher-Yates shuffle of a[0..n). */
void rng_shuffle_u32(rng_t *rng, uint32_t *a, size_t n);

/* A stream number from several small integers (e.g. epoch and lane), so
 * callers need not invent their own mixing. */
uint64_t rng_stream(uint64_t a, uint64_t b, uint64_t c);

#endif
