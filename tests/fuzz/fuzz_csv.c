/* libFuzzer harness: the reader of the book's CSV files (csv_read). */
#include "fuzz_common.h"
#include "nnmpi/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(0, data, size);
    imageset_t set;
    error_clear();
    if (csv_read(path, 28, 28, &set) < 0) {
        fuzz_expect_message("csv_read");
        if (set.pixels || set.labels)
            abort();
        return 0;
    }
    if (set.count < 1 || set.height != 28 || set.width != 28 || !set.pixels || !set.labels)
        abort();
    for (int64_t i = 0; i < set.count; i++)
        if (set.labels[i] > 9)
            abort();
    volatile uint8_t last = imageset_image(&set, set.count - 1)[783];
    (void)last;
    imageset_free(&set);
    return 0;
}
