/* MNIST's stroke width, the target of image_stroke_redraw:
 *   mnist_stroke_width IMAGES.idx LABELS.idx
 * binarises each digit at 128 (half coverage: where the edge of the pen
 * was), measures it with image_stroke_width and prints the percentiles of
 * the widths in pixels (of the 28x28 frame, the same as of the 20x20 box the
 * digits were scaled into). IMAGE_STROKE_WIDTH/MIN/MAX in
 * nnmpi/image_clean.h come from this on the test set. */
#include <stdio.h>
#include <stdlib.h>

#include "nnmpi/error.h"
#include "nnmpi/idx.h"
#include "nnmpi/image_clean.h"
#include "testutil.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mnist_stroke_width IMAGES.idx LABELS.idx\n");
        return 2;
    }
    imageset_t set;
    if (idx_read(argv[1], argv[2], &set) < 0) {
        fprintf(stderr, "mnist_stroke_width: %s\n", error_message());
        return 1;
    }
    double *widths = malloc((size_t)set.count * sizeof *widths);
    image_t mask;
    if (!widths || image_alloc(&mask, set.height, set.width) < 0) {
        fprintf(stderr, "mnist_stroke_width: out of memory\n");
        return 1;
    }
    const int64_t n = imageset_image_size(&set);
    for (int64_t i = 0; i < set.count; i++) {
        const uint8_t *px = imageset_image(&set, i);
        for (int64_t k = 0; k < n; k++)
            mask.pixels[k] = px[k] >= 128;
        if (image_stroke_width(&mask, &widths[i]) < 0) {
            fprintf(stderr, "mnist_stroke_width: %s\n", error_message());
            return 1;
        }
    }
    qsort(widths, (size_t)set.count, sizeof *widths, testutil_compare_doubles);
    printf("%lld digits, stroke width in pixels of the 20x20 box:\n", (long long)set.count);
    const double q[] = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++)
        printf("  %2.0f%%  %.2f\n", q[k] * 100, widths[(size_t)(q[k] * (double)(set.count - 1))]);
    free(widths);
    image_free(&mask);
    imageset_free(&set);
    return 0;
}
