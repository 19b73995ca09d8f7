/* libFuzzer harness: the IDX reader (idx_read; the plain path, .gz files
 * are not fuzzed yet), which takes an images file and a labels file. Input layout: 2 bytes little-endian L, then the
 * images file, then the labels file as the last L bytes (L clamped to what
 * is there), so one input mutates both files and their agreement. */
#include "fuzz_common.h"
#include "nnmpi/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t labels = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    if (labels > size)
        labels = size;
    const char *images_path = fuzz_file(0, data, size - labels);
    const char *labels_path = fuzz_file(1, data + size - labels, labels);
    imageset_t set;
    error_clear();
    if (idx_read(images_path, labels_path, &set) < 0) {
        fuzz_expect_message("idx_read");
        if (set.pixels || set.labels)
            abort();
        return 0;
    }
    /* what the reader promises on success (labels may be 0..255: the
     * caller checks them against its classes, idx.h) */
    if (set.count < 1 || set.height < 1 || set.width < 1 || !set.pixels || !set.labels)
        abort();
    /* touch the last pixel and label: the buffers hold every image */
    volatile uint8_t last_label = set.labels[set.count - 1];
    (void)last_label;
    volatile uint8_t last = imageset_image(&set, set.count - 1)[imageset_image_size(&set) - 1];
    (void)last;
    imageset_free(&set);
    return 0;
}
