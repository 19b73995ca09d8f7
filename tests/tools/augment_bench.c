/* augment_bench: microseconds per image of the distortions, on MNIST
 * training images (or synthetic digits without a directory), for the issue
 * 15 measurements (docs/design.md, "Distortions on the fly").
 *
 *   augment_bench [MNIST_DIR] [COUNT]
 *
 * Prints one line per distortion: augment_rotate at angles uniform in
 * +-15, augment_elastic at alpha 34, sigma 4, and augment_live_apply with
 * rotate 15, shift 2, elastic 34/4, probability 1: fresh fields, then a
 * bank of 64 (elastic_bank); and the share of lit pixels before and after
 * (what the sparse training step visits). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/augment_live.h"
#include "nnmpi/error.h"
#include "nnmpi/idx.h"
#include "nnmpi/imageset.h"
#include "testutil.h"

/* COUNT images [COUNT, 28, 28]: MNIST's first ones, or synthetic digits. */
static uint8_t *load_images(const char *dir, int count)
{
    uint8_t *px = malloc((size_t)count * 784);
    if (!px)
        return NULL;
    if (!dir) {
        testutil_synthetic_digits(px, NULL, count, 1);
        return px;
    }
    char images[4096], labels[4096];
    imageset_t set;
    if (idx_mnist_paths(dir, "train", images, labels, sizeof images) < 0 ||
        idx_read(images, labels, &set) < 0) {
        fprintf(stderr, "augment_bench: %s\n", error_message());
        free(px);
        return NULL;
    }
    int n = set.count < count ? (int)set.count : count;
    for (int i = 0; i < count; i++)
        memcpy(px + (size_t)i * 784, imageset_image(&set, i % n), 784);
    imageset_free(&set);
    return px;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
    int count = argc > 2 ? atoi(argv[2]) : 20000;
    uint8_t *px = load_images(dir, count), out[784];
    augment_elastic_t e;
    augment_live_t live, banked;
    augment_live_params_t p = {.rotate = 15, .shift = 2, .alpha = 34, .sigma = 4,
                               .probability = 1};
    if (!px || count <= 0 || augment_elastic_init(&e, 28, 28, 34, 4) < 0 ||
        augment_live_init(&live, &p, 28, 28) < 0)
        return 1;
    p.elastic_bank = 64;
    if (augment_live_init(&banked, &p, 28, 28) < 0)
        return 1;
    unsigned sum = 0;
    double t0 = testutil_seconds();
    for (int i = 0; i < count; i++) {
        augment_rotate(px + (size_t)i * 784, out, 28, 28, -15.0 + 30.0 * (i % 1000) / 999, 0);
        sum += out[400];
    }
    double t1 = testutil_seconds();
    rng_t rng;
    rng_seed(&rng, 1, 2);
    for (int i = 0; i < count; i++) {
        augment_elastic(&e, px + (size_t)i * 784, out, &rng, 0);
        sum += out[400];
    }
    double t2 = testutil_seconds();
    for (int i = 0; i < count; i++) {
        augment_live_apply(&live, 1, 1, i, px + (size_t)i * 784, out);
        sum += out[400];
    }
    double t3 = testutil_seconds();
    size_t lit_in = 0, lit_out = 0; /* what the training step visits */
    for (int i = 0; i < count; i++) {
        augment_live_apply(&banked, 1, 1, i, px + (size_t)i * 784, out);
        sum += out[400];
    }
    double t4 = testutil_seconds();
    for (int i = 0; i < count; i++) {
        augment_live_apply(&banked, 1, 1, i, px + (size_t)i * 784, out);
        for (int j = 0; j < 784; j++)
            lit_in += px[(size_t)i * 784 + j] != 0, lit_out += out[j] != 0;
    }
    printf("rotate  %.2f us/image\nelastic %.2f us/image\nlive    %.2f us/image "
           "(rotate 15, shift 2, elastic 34/4)\nbank    %.2f us/image (the same, "
           "elastic_bank 64)\nlit pixels: %.1f%% of the originals', %.1f%% distorted\n"
           "(checksum %u)\n", 1e6 * (t1 - t0) / count, 1e6 * (t2 - t1) / count,
           1e6 * (t3 - t2) / count, 1e6 * (t4 - t3) / count, 100.0 * lit_in / (784.0 * count),
           100.0 * lit_out / (784.0 * count), sum);
    augment_live_free(&banked);
    augment_elastic_free(&e);
    augment_live_free(&live);
    free(px);
    return 0;
}
