/* libFuzzer harness: PNG reading (image_read_png, libpng underneath) and
 * both normalisations of what it returns (image_normalise_mnist/_book),
 * i.e. everything `nnmpi query` does with a picture from anywhere. */
#include "fuzz_common.h"

#include <string.h>

#include "nnmpi/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(0, data, size);
    image_t img;
    error_clear();
    if (image_read_png(path, &img) < 0) {
        fuzz_expect_message("image_read_png");
        if (img.pixels || img.width || img.height)
            abort(); /* documented: *out is zeroed on failure */
        return 0;
    }
    if (img.width < 1 || img.height < 1 || img.width > IMAGE_MAX_SIDE ||
        img.height > IMAGE_MAX_SIDE || !img.pixels)
        abort();
    uint8_t out[IMAGE_PIXELS];
    error_clear();
    if (image_normalise(&img, IMAGE_FRAME_MNIST, out) < 0) {
        fuzz_expect_message("image_normalise_mnist");
    } else {
        /* the strongest ink is stretched to 255 and survives the 20x20 box */
        uint8_t peak = 0;
        for (int i = 0; i < IMAGE_PIXELS; i++)
            peak = out[i] > peak ? out[i] : peak;
        if (peak == 0)
            abort();
    }
    error_clear();
    if (image_normalise(&img, IMAGE_FRAME_BOOK, out) < 0)
        fuzz_expect_message("image_normalise_book");
    image_free(&img);
    return 0;
}
