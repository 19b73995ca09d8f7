#define _GNU_SOURCE
#include "testutil.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nnmpi/rng.h"

int testutil_run(const char *suite, const testutil_case_t *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s)
        return 2;
    for (const testutil_case_t *c = cases; c->name; c++)
        if (!CU_add_test(s, c->name, c->func))
            return 2;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (run == 0)
        return 2;
    return failed ? 1 : 0;
}

char *testutil_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    if (asprintf(&path, "%s/nnmpi-test-XXXXXX", base ? base : "/tmp") < 0)
        return NULL;
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

void testutil_rmtree(const char *dir)
{
    if (dir && !getenv("NNMPI_KEEP_TMP"))
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *testutil_path(const char *dir, const char *name)
{
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

int testutil_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

uint8_t *testutil_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = size >= 0 ? malloc(size > 0 ? (size_t)size : 1) : NULL;
    if (b && fread(b, 1, (size_t)size, f) != (size_t)size) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = b ? (size_t)size : 0;
    return b;
}

int testutil_write_text(const char *path, const char *text)
{
    return testutil_write_file(path, text, strlen(text));
}

int testutil_count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    return n;
}

static void put_be32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    fwrite(b, 1, 4, f);
}

int testutil_write_idx_images(const char *path, const uint8_t *pixels,
                              uint32_t n, uint32_t rows, uint32_t cols)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    put_be32(f, 0x00000803);
    put_be32(f, n);
    put_be32(f, rows);
    put_be32(f, cols);
    size_t bytes = (size_t)n * rows * cols;
    size_t w = fwrite(pixels, 1, bytes, f);
    return (fclose(f) == 0 && w == bytes) ? 0 : -1;
}

int testutil_write_idx_labels(const char *path, const uint8_t *labels, uint32_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    put_be32(f, 0x00000801);
    put_be32(f, n);
    size_t w = fwrite(labels, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

void testutil_synthetic_digits(uint8_t *pixels, uint8_t *labels, int n, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 77);
    for (int i = 0; i < n; i++) {
        int label = (int)rng_below(&rng, 10);
        uint8_t *img = pixels + (size_t)i * 784;
        memset(img, 0, 784);
        /* a thick stroke from a label-dependent start to end point, jittered */
        double x0 = 6 + (label % 5) * 4 + rng_uniform(&rng) * 2 - 1;
        double y0 = 5 + rng_uniform(&rng) * 2 - 1;
        double x1 = 22 - (label / 5) * 12 + (label % 3) * 2 + rng_uniform(&rng) * 2 - 1;
        double y1 = 22 + rng_uniform(&rng) * 2 - 1;
        for (int t = 0; t <= 40; t++) {
            double x = x0 + (x1 - x0) * t / 40.0, y = y0 + (y1 - y0) * t / 40.0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int px = (int)(x + 0.5) + dx, py = (int)(y + 0.5) + dy;
                    if (px >= 0 && px < 28 && py >= 0 && py < 28)
                        img[py * 28 + px] = (uint8_t)(200 + rng_below(&rng, 56));
                }
        }
        if (labels)
            labels[i] = (uint8_t)label;
    }
}

void testutil_random_net(net_t *net, int n_in, int n_hidden, int n_out, uint64_t seed)
{
    CU_ASSERT_FATAL(net_init(net, n_in, n_hidden, n_out) == 0);
    rng_t rng;
    rng_seed(&rng, seed, 0);
    net_init_weights(net, &rng);
}

int testutil_compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double testutil_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
