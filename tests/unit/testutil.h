/* testutil: what the CUnit test programs share: a runner, temporary
 * directories, and writers for the small input files the tests make. */
#ifndef NNMPI_TESTUTIL_H
#define NNMPI_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

#include "nnmpi/net.h"

typedef struct {
    const char *name;
    CU_TestFunc func;
} testutil_case_t;

/* Runs one suite of cases (terminated by {NULL, NULL}) and returns the
 * process exit status: 0 if all passed. */
int testutil_run(const char *suite, const testutil_case_t *cases);

/* A fresh temporary directory (removed with its files by
 * testutil_rmtree); the returned string is malloc'd: free it. */
char *testutil_tmpdir(void);
void testutil_rmtree(const char *dir);

/* dir + "/" + name in a static rotating buffer. */
const char *testutil_path(const char *dir, const char *name);

/* Writes bytes (or a string) to a file; 0 on success. */
int testutil_write_file(const char *path, const void *data, size_t n);
int testutil_write_text(const char *path, const char *text);

/* A whole file's bytes (malloc'd, *n their count), or NULL. */
uint8_t *testutil_read_file(const char *path, size_t *n);

/* Files in dir whose name holds ".tmp" (an atomic writer's leftovers), or
 * -1 if dir cannot be read. */
int testutil_count_tmp(const char *dir);

/* Writes an IDX images file [n, rows, cols] / labels file [n]. */
int testutil_write_idx_images(const char *path, const uint8_t *pixels,
                              uint32_t n, uint32_t rows, uint32_t cols);
int testutil_write_idx_labels(const char *path, const uint8_t *labels, uint32_t n);

/* Fills n 28x28 images with simple, label-dependent synthetic "digits"
 * (a bar whose position and angle depend on the label) plus noise, so small
 * nets can learn them; deterministic in seed. */
void testutil_synthetic_digits(uint8_t *pixels, uint8_t *labels, int n, uint64_t seed);

/* Seconds on the monotonic clock, for the benchmark tools' timings. */
double testutil_seconds(void);

/* qsort's comparison of two doubles, in ascending order. */
int testutil_compare_doubles(const void *a, const void *b);

/* A book-shaped net n_in-n_hidden-n_out with the book's initial weights
 * drawn from stream 0 of seed (net_free it); a failure fails the test. */
void testutil_random_net(net_t *net, int n_in, int n_hidden, int n_out, uint64_t seed);

#endif
