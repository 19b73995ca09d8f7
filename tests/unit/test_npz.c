/* npz: arrays written by npz_add_array come back exactly, with their
 * list and headers; and the reader refuses, before allocating anything
 * from them, a member that claims more bytes than its compressed data can
 * unpack to (a 357-byte archive could make import allocate gigabytes) and a
 * version 1 .npy header shorter than its own preamble (read as a length
 * of -2 bytes: "Invalid argument"). Both were found with fuzz_npz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "nnmpi/error.h"
#include "nnmpi/npz.h"
#include "testutil.h"

static char *dir;

/* An archive at path of one member `name` holding data[0, n), compressed
 * with method (ZIP_CM_STORE, ZIP_CM_DEFLATE, ...). */
static void write_member(const char *path, const char *name, const void *data, size_t n,
                         zip_int32_t method)
{
    int code = 0;
    zip_t *zip = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zip);
    zip_source_t *src = zip_source_buffer(zip, data, n, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    zip_int64_t at = zip_file_add(zip, name, src, 0);
    CU_ASSERT_FATAL(at >= 0);
    CU_ASSERT_FATAL(zip_set_file_compression(zip, (zip_uint64_t)at, method, 0) == 0);
    CU_ASSERT_FATAL(zip_close(zip) == 0);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* Rewrites the uncompressed size of every entry of the archive at path to
 * claim (in its local header and in the central directory alike, so that
 * libzip's consistency check passes), as a damaged or hostile file can. */
static void claim_size(const char *path, uint32_t claim)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static uint8_t b[1 << 16];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    for (size_t i = 0; i + 46 <= n; i++) {
        if (!memcmp(b + i, "PK\x03\x04", 4))
            put32(b + i + 22, claim);
        else if (!memcmp(b + i, "PK\x01\x02", 4))
            put32(b + i + 24, claim);
    }
    CU_ASSERT_FATAL(testutil_write_file(path, b, n) == 0);
}

/* A version 1 .npy of a float32 array of `shape` text, then `values`
 * bytes of zeros, into buf; its length. */
static size_t npy_bytes(uint8_t *buf, const char *shape, size_t values)
{
    char dict[128];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                     shape);
    size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)(total - 10);
    buf[9] = (uint8_t)((total - 10) >> 8);
    memset(buf + 10, ' ', total - 11);
    memcpy(buf + 10, dict, (size_t)n);
    buf[total - 1] = '\n';
    memset(buf + total, 0, values);
    return total + values;
}

static void test_round_trip(void)
{
    const char *path = testutil_path(dir, "two.npz");
    const float a[6] = {1, -2, 3.5f, 0.25f, 5, 6}, v[3] = {7, 8, 9};
    const uint64_t sa[2] = {2, 3}, sv[1] = {3};
    npz_t z;
    CU_ASSERT_FATAL(npz_create(&z, path) == 0);
    CU_ASSERT_FATAL(npz_add_array(&z, "a", a, 2, sa) == 0 && npz_add_array(&z, "v", v, 1, sv) == 0);
    CU_ASSERT_FATAL(npz_add_bytes(&z, "meta.json", "{}", 2) == 0);
    CU_ASSERT_FATAL(npz_save(&z) == 0);
    npz_close(&z);

    CU_ASSERT_FATAL(npz_open(&z, path) == 0);
    char list[64];
    npz_list_arrays(&z, list, sizeof list);
    CU_ASSERT_STRING_EQUAL(list, "a, v");
    CU_ASSERT(npz_has_array(&z, "a") && !npz_has_array(&z, "meta"));
    npy_header_t h;
    CU_ASSERT_FATAL(npz_array_header(&z, "a", &h) == 0);
    CU_ASSERT(h.ndim == 2 && h.shape[0] == 2 && h.shape[1] == 3 && h.itemsize == 4);
    float out[6];
    CU_ASSERT_FATAL(npz_read_array(&z, "a", &h, out) == 0);
    CU_ASSERT_EQUAL(memcmp(out, a, sizeof a), 0);
    CU_ASSERT_EQUAL(npz_array_header(&z, "b", &h), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "no array 'b'"));
    npz_close(&z);
}

/* The archive at path opens, and its member NAME.npy is refused with a
 * message holding fragment. */
static void expect_refused(const char *path, const char *name, const char *fragment)
{
    npz_t z;
    npy_header_t h;
    CU_ASSERT_FATAL(npz_open(&z, path) == 0);
    CU_ASSERT_EQUAL(npz_array_header(&z, name, &h), -1);
    if (!strstr(error_message(), fragment))
        fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", error_message(), fragment);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), fragment));
    npz_close(&z);
}

/* A deflated member whose claimed size its compressed bytes cannot hold:
 * refused at its header, before any allocation follows the header. */
static void test_size_lie(void)
{
    const char *path = testutil_path(dir, "lie.npz");
    static uint8_t npy[256];
    size_t n = npy_bytes(npy, "(8192, 784)", 64);   /* the header promises 25 MB */
    write_member(path, "wih.npy", npy, n, ZIP_CM_DEFLATE);
    claim_size(path, (uint32_t)(n - 64 + 8192u * 784u * 4u));
    expect_refused(path, "wih", "wih.npy claims 25690240 bytes, more than its");
    write_member(path, "wih.npy", npy, n, ZIP_CM_STORE);   /* stored: its own size */
    claim_size(path, (uint32_t)n + 1);
    expect_refused(path, "wih", "stored bytes can hold");
}

/* A version 1 header of length 0: shorter than the 12 bytes read to learn
 * its length. */
static void test_short_header(void)
{
    const char *path = testutil_path(dir, "short.npz");
    uint8_t npy[100] = "\x93NUMPY\x01\x00\x00\x00";
    memset(npy + 10, 'x', sizeof npy - 10);
    write_member(path, "wih.npy", npy, sizeof npy, ZIP_CM_STORE);
    expect_refused(path, "wih", "wih.npy: .npy header is not a dict");
}

/* Members compressed otherwise than NumPy writes: no bound on their
 * expansion, refused (where this libzip can write one to test with). */
static void test_other_method(void)
{
    if (!zip_compression_method_supported(ZIP_CM_BZIP2, 1))
        return;
    const char *path = testutil_path(dir, "bzip2.npz");
    static uint8_t npy[256];
    size_t n = npy_bytes(npy, "(2, 3)", 24);
    write_member(path, "a.npy", npy, n, ZIP_CM_BZIP2);
    expect_refused(path, "a", "zip method 12");
}

int main(void)
{
    dir = testutil_tmpdir();
    static const testutil_case_t cases[] = {
        {"arrays, list and headers come back exactly", test_round_trip},
        {"a member claiming more than its bytes can hold", test_size_lie},
        {"a .npy header shorter than its preamble", test_short_header},
        {"members compressed otherwise than stored or deflated", test_other_method},
        {NULL, NULL},
    };
    int rc = testutil_run("npz", cases);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
