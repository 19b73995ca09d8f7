/* sha256: the FIPS 180-2 example vectors, padding boundaries, streaming in odd
 * pieces, files larger than the 1 MiB read block, a missing file, and a
 * zeroed hash that may be freed.
 * Expected digests of the boundary cases were computed independently with
 * Python's hashlib.sha256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/sha256.h"
#include "testutil.h"

static void check_buffer(const void *data, size_t n, const char *expected)
{
    char hex[65];
    CU_ASSERT_EQUAL(sha256_buffer_hex(data, n, hex), 0);
    CU_ASSERT_STRING_EQUAL(hex, expected);
}

static void test_known_vectors(void)
{
    check_buffer("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_buffer("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_buffer(m448, strlen(m448),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_buffer(m896, strlen(m896),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void)
{
    char *a = malloc(1000000);
    CU_ASSERT_FATAL(a != NULL);
    memset(a, 'a', 1000000);
    check_buffer(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Lengths around the 55/56 and 64 byte padding boundaries: bytes (i*37+11) & 255. */
static void test_padding_boundaries(void)
{
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        {55, "2900465fcb533e05a158fd2b3be0e5e3b03740d83060aa3580e0d98a96bf2384"},
        {56, "31454ff48ef36af2f08fd511bdc37d9d5855ac23e992e5ff5445cb6b7674a674"},
        {63, "5f6401b96532c36de4e65beec0409b69b1d181864c8009b7a04f43e5d56350d1"},
        {64, "94eb5de4943613fd048dc93393ab06877405faa39c11f53e9386083339833e7e"},
        {65, "fc518669b6eb4b4dd91827ecacef86689c725bd5bab888fd3b26dbb196eec954"},
        {119, "b0dc41b1a384e2f1203f0351b38fbeaafceef577ce1191d5bfc25da39f721eae"},
        {120, "5df24dd802ac26132ce608dcb5f09841eef039ee0f152acf98d26d17fe4e88e6"},
    };
    uint8_t buf[128];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        check_buffer(buf, cases[k].n, cases[k].hex);
}

/* Feeding the same bytes in pieces of 1, 63, 64, 65, ... gives the same digest. */
static void test_streaming(void)
{
    enum { N = 5000 };
    uint8_t *data = malloc(N);
    CU_ASSERT_FATAL(data != NULL);
    for (int i = 0; i < N; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 8));
    char whole[65], pieces[65];
    CU_ASSERT_EQUAL(sha256_buffer_hex(data, N, whole), 0);
    static const size_t steps[] = {1, 63, 64, 65, 3, 127, 200, 0, 7};
    sha256_t h = {0};
    CU_ASSERT_EQUAL_FATAL(sha256_init(&h), 0);
    size_t at = 0;
    for (int k = 0; at < N; k++) {
        size_t step = steps[k % (sizeof steps / sizeof steps[0])];
        if (step > N - at)
            step = N - at;
        CU_ASSERT_EQUAL(sha256_update(&h, data + at, step), 0);
        at += step;
    }
    CU_ASSERT_EQUAL(sha256_final_hex(&h, pieces), 0);
    CU_ASSERT_PTR_NULL(h.md);
    CU_ASSERT_STRING_EQUAL(pieces, whole);

    /* the raw digest is the hex one's bytes */
    uint8_t digest[32];
    CU_ASSERT_EQUAL(sha256_buffer(data, N, digest), 0);
    char first[3];
    snprintf(first, sizeof first, "%02x", digest[0]);
    CU_ASSERT_EQUAL(strncmp(first, whole, 2), 0);
    free(data);
}

/* A file of 3 MiB + 17 bytes (several read blocks and a partial one) hashes
 * like the same bytes in memory; so does an empty file. */
static void test_file(void)
{
    char *dir = testutil_tmpdir();
    CU_ASSERT_FATAL(dir != NULL);
    size_t n = 3 * (1 << 20) + 17;
    uint8_t *data = malloc(n);
    CU_ASSERT_FATAL(data != NULL);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        data[i] = (uint8_t)(x >> 24);
    }
    const char *path = testutil_path(dir, "data.bin");
    CU_ASSERT_FATAL(testutil_write_file(path, data, n) == 0);
    char from_file[65], from_memory[65];
    CU_ASSERT_EQUAL(sha256_file_hex(path, from_file), 0);
    CU_ASSERT_EQUAL(sha256_buffer_hex(data, n, from_memory), 0);
    CU_ASSERT_STRING_EQUAL(from_file, from_memory);

    const char *empty = testutil_path(dir, "empty.bin");
    CU_ASSERT_FATAL(testutil_write_file(empty, "", 0) == 0);
    CU_ASSERT_EQUAL(sha256_file_hex(empty, from_file), 0);
    CU_ASSERT_STRING_EQUAL(from_file,
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(data);
    testutil_rmtree(dir);
    free(dir);
}

static void test_missing_file(void)
{
    char hex[65];
    error_clear();
    CU_ASSERT_EQUAL(sha256_file_hex("/nonexistent/nnmpi/no-such-file.bin", hex), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "/nonexistent/nnmpi/no-such-file.bin"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "No such file or directory"));
}

/* Freeing a zeroed hash, or one twice, is safe (error paths rely on it);
 * a finished hash refuses more input with a message. */
static void test_free_and_misuse(void)
{
    sha256_t h = {0};
    sha256_free(&h);
    CU_ASSERT_EQUAL(sha256_init(&h), 0);
    sha256_free(&h);
    sha256_free(&h);
    error_clear();
    CU_ASSERT_EQUAL(sha256_update(&h, "x", 1), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "SHA-256"));
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"FIPS example vectors", test_known_vectors},
        {"one million 'a'", test_million_a},
        {"padding boundaries 55..120 bytes", test_padding_boundaries},
        {"streaming in odd pieces", test_streaming},
        {"file hash equals buffer hash", test_file},
        {"missing file names the file", test_missing_file},
        {"free is safe; a finished hash refuses input", test_free_and_misuse},
        {NULL, NULL},
    };
    return testutil_run("sha256", cases);
}
