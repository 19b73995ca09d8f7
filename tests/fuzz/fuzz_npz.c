/* libFuzzer harness: the .npz reader (src/npz.c through libzip) and the
 * import on top of it (model_npz_read_book, `nnmpi import --npz`). The
 * input is the archive. Every .npy member's header is read and, if it
 * parses, its values; then the book's net is imported. Nothing may crash,
 * every refusal leaves one line, and a header the reader accepts may not
 * promise more values than the archive's bytes can unpack to (deflate:
 * 1032-fold), since the values' buffers are allocated from it. */
#include "fuzz_common.h"

#include <string.h>
#include <zip.h>

#include "nnmpi/model_npz.h"
#include "nnmpi/npz.h"

/* Reads member `name` (without ".npy") as npz_array_header and
 * npz_read_array would for import. */
static void read_member(npz_t *z, const char *name, size_t archive_size)
{
    npy_header_t h;
    error_clear();
    if (npz_array_header(z, name, &h) < 0) {
        fuzz_expect_message("npz_array_header");
        return;
    }
    if (h.count * (uint64_t)h.itemsize > (uint64_t)archive_size * 1032) {
        fprintf(stderr, "%s.npy: %llu values of %d bytes accepted from a %zu-byte archive\n",
                name, (unsigned long long)h.count, h.itemsize, archive_size);
        abort();
    }
    float *out = malloc(h.count ? h.count * sizeof *out : 1);
    if (!out)
        abort();
    error_clear();
    if (npz_read_array(z, name, &h, out) < 0)
        fuzz_expect_message("npz_read_array");
    free(out);
}

/* Every *.npy member of the open archive (at most 16), read. */
static void read_members(npz_t *z, size_t archive_size)
{
    char list[1024];
    npz_list_arrays(z, list, sizeof list);
    zip_int64_t n = zip_get_num_entries(z->zip, 0);
    for (zip_int64_t i = 0; i < n && i < 16; i++) {
        const char *member = zip_get_name(z->zip, (zip_uint64_t)i, 0);
        size_t len = member ? strlen(member) : 0;
        char name[64];
        if (len <= 4 || len - 4 >= sizeof name || strcmp(member + len - 4, ".npy") != 0)
            continue;
        memcpy(name, member, len - 4);
        name[len - 4] = '\0';
        if (npz_has_array(z, name))
            read_member(z, name, archive_size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(0, data, size);
    npz_t z;
    error_clear();
    if (npz_open(&z, path) < 0) {
        fuzz_expect_message("npz_open");
        if (z.zip || z.path)
            abort();
        return 0;
    }
    read_members(&z, size);
    npz_close(&z);

    net_t net;
    error_clear();
    if (model_npz_read_book(path, &net) < 0) {
        fuzz_expect_message("model_npz_read_book");
        if (net.params)
            abort();
        return 0;
    }
    if (!net_is_finite(&net))
        abort();
    net_free(&net);
    return 0;
}
