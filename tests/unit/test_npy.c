/* npy: the header writer gives NumPy's own bytes (the expected headers were
 * made by numpy 1.24's np.save of float32 zeros), the reader reads them
 * back and NumPy's other spellings (float64, big-endian, Fortran order,
 * version 2.0), and refuses what is not a float array of up to 2
 * dimensions with a message naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/npy.h"
#include "testutil.h"

/* a version 1.0 .npy header around dict, padded as NumPy pads */
static size_t make_header(char *buf, const char *dict)
{
    size_t n = strlen(dict);
    size_t total = (10 + n + 1 + 63) / 64 * 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)((total - 10) & 0xff);
    buf[9] = (char)((total - 10) >> 8);
    memcpy(buf + 10, dict, n);
    memset(buf + 10 + n, ' ', total - 10 - n - 1);
    buf[total - 1] = '\n';
    return total;
}

static void check_numpy_bytes(int ndim, const uint64_t *shape, const char *dict)
{
    char mine[256], numpys[256];
    size_t n = npy_header_write(mine, sizeof mine, ndim, shape);
    size_t expected = make_header(numpys, dict);
    CU_ASSERT_EQUAL(n, expected);
    CU_ASSERT_EQUAL(n % 64, 0);
    CU_ASSERT(memcmp(mine, numpys, n) == 0);
    npy_header_t h;
    CU_ASSERT_EQUAL_FATAL(npy_header_read(mine, n, &h), 0);
    CU_ASSERT_EQUAL(h.header_len, n);
    CU_ASSERT_EQUAL(h.ndim, ndim);
    CU_ASSERT_EQUAL(h.itemsize, 4);
    CU_ASSERT_EQUAL(h.fortran_order, 0);
    for (int i = 0; i < ndim; i++)
        CU_ASSERT_EQUAL(h.shape[i], shape[i]);
}

static void test_writer_is_numpys(void)
{
    const char *grow19 = "                   ", *grow20 = "                    ";
    char dict[256];
    uint64_t s2[2] = {3, 4}, s1[1] = {5}, big[2] = {200, 784};
    snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }%s ",
             grow19);
    check_numpy_bytes(2, s2, dict);
    snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }%s",
             grow20);
    check_numpy_bytes(1, s1, dict);
    check_numpy_bytes(0, NULL, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
    snprintf(dict, sizeof dict,
             "{'descr': '<f4', 'fortran_order': False, 'shape': (200, 784), }%s", "                  ");
    check_numpy_bytes(2, big, dict);
    char tiny[32];
    CU_ASSERT_EQUAL(npy_header_write(tiny, sizeof tiny, 2, s2), 0);
}

static int read_dict(const char *dict, npy_header_t *h)
{
    char buf[512];
    size_t n = make_header(buf, dict);
    return npy_header_read(buf, n, h);
}

static void test_reader_spellings(void)
{
    npy_header_t h;
    CU_ASSERT_EQUAL(read_dict("{\"shape\":(200,784),\"fortran_order\":True,\"descr\":\">f8\"}", &h), 0);
    CU_ASSERT_EQUAL(h.itemsize, 8);
    CU_ASSERT_EQUAL(h.big_endian, 1);
    CU_ASSERT_EQUAL(h.fortran_order, 1);
    CU_ASSERT_EQUAL(h.count, 200 * 784);
    CU_ASSERT_EQUAL(read_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (10, 0), }", &h), 0);
    CU_ASSERT_EQUAL(h.count, 0);
    /* version 2.0: a 4-byte header length */
    char v2[128] = "\x93NUMPY\x02\x00";
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    size_t len = 128 - 12;
    v2[8] = (char)len;
    memset(v2 + 9, 0, 3);
    memset(v2 + 12, ' ', len);
    memcpy(v2 + 12, dict, strlen(dict));
    v2[127] = '\n';
    CU_ASSERT_EQUAL(npy_header_size(v2, 12), 128);
    CU_ASSERT_EQUAL_FATAL(npy_header_read(v2, sizeof v2, &h), 0);
    CU_ASSERT_EQUAL(h.shape[0], 2);
}

static void expect_refused(const char *dict, const char *words)
{
    npy_header_t h;
    error_clear();
    CU_ASSERT_EQUAL(read_dict(dict, &h), -1);
    if (!strstr(error_message(), words))
        fprintf(stderr, "\n'%s' -> '%s', expected '%s'\n", dict, error_message(), words);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), words));
}

static void test_reader_refuses(void)
{
    expect_refused("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                   "dtype '<i8' is not float32 or float64");
    expect_refused("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", "dtype '|O'");
    expect_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }",
                   "more than 2 dimensions");
    expect_refused("{'descr': '<f4', 'shape': (3,), }", "lacks descr, fortran_order or shape");
    expect_refused("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,), }",
                   "unreadable or unknown 'fortran_order'");
    expect_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", "'shape'");
    expect_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999,), }",
                   "'shape'");
    expect_refused("['descr']", "not a dict");
    expect_refused("{'descr': '<f4' 'fortran_order': False}", "not a dict");
    npy_header_t h;
    CU_ASSERT_EQUAL(npy_header_read("PK\x03\x04 not npy at all", 20, &h), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "not an .npy array"));
    CU_ASSERT_EQUAL(npy_header_read("\x93NUMPY\x07\x00\x10\x00", 10, &h), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "version 7.0"));
    CU_ASSERT_EQUAL(npy_header_read("\x93NUMPY\x01\x00\x70\x00{'de", 15, &h), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "truncated"));
}

static void test_values(void)
{
    npy_header_t h;
    CU_ASSERT_EQUAL_FATAL(read_dict("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", &h), 0);
    /* Fortran order: column after column of [[1,2,3],[4,5,6]] */
    double f64[6] = {1, 4, 2, 5, 3, 6};
    float out[6];
    npy_to_float(&h, f64, out);
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(out[i], (float)(i + 1));
    CU_ASSERT_EQUAL_FATAL(read_dict("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", &h), 0);
    const unsigned char be[8] = {0x3f, 0x80, 0, 0, 0xc0, 0x00, 0, 0}; /* 1.0, -2.0 */
    npy_to_float(&h, be, out);
    CU_ASSERT_EQUAL(out[0], 1.0f);
    CU_ASSERT_EQUAL(out[1], -2.0f);
    CU_ASSERT_EQUAL_FATAL(read_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &h), 0);
    double third = 1.0 / 3.0;
    npy_to_float(&h, &third, out);
    CU_ASSERT_EQUAL(out[0], (float)third);
    char text[32];
    CU_ASSERT_EQUAL_FATAL(read_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 200), }", &h), 0);
    npy_shape_text(&h, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "[10, 200]");
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"the writer gives NumPy's bytes", test_writer_is_numpys},
        {"the reader takes NumPy's spellings", test_reader_spellings},
        {"the reader refuses other arrays, naming them", test_reader_refuses},
        {"values: float64, big-endian, Fortran order", test_values},
        {NULL, NULL},
    };
    return testutil_run("npy", cases);
}
