/* Tests of the sparse training step: sparse_batch's lists against the
 * images they come from, sparse_rows_combine (every implementation this CPU
 * has) against a double-precision loop, net_batch_update_pixels against
 * the dense net_batch_update on the same images -- digits, noise, blank and
 * fully lit images, odd layer sizes, both rules, both betas -- and the
 * per-sample loop over lit pixels against net_train_sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/net.h"
#include "nnmpi/rng.h"
#include "nnmpi/sparse_batch.h"
#include "nnmpi/sparse_rows.h"
#include "testutil.h"

static const char *const isas[] = {"c", "avx2", "avx512"};

/* Whether /proc/cpuinfo lists the CPU flag (0 where there is none). */
static int cpu_has_flag(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int found = 0;
    size_t n = strlen(flag);
    while (f && !found && fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5))
            for (const char *p = strstr(line, flag); p && !found; p = strstr(p + 1, flag))
                found = p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n');
    if (f)
        fclose(f);
    return found;
}

/* Selects the kernels of isa for what a test checks next: 1, or 0 when
 * this CPU lacks them, which is said. Kernels the CPU has but nnmpi does
 * not select fail the test: that skip would hide them. */
static int use_isa(const char *isa, const char *what)
{
    if (sparse_rows_set_isa(isa) == 0)
        return 1;
    const char *flag = !strcmp(isa, "avx512") ? "avx512f" : !strcmp(isa, "avx2") ? "avx2" : NULL;
    if (flag && cpu_has_flag(flag)) {
        printf("\n    (%s with %s: the CPU has %s but nnmpi did not select it)", what, isa, flag);
        CU_FAIL("kernels the CPU has were not selected");
    } else {
        printf("\n    (%s with %s skipped: this CPU lacks it)", what, isa);
    }
    return 0;
}

/* n_in pixels per image, about `lit` of them nonzero, at random */
static void random_images(uint8_t *px, int count, int n_in, double lit, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed, 0);
    for (int i = 0; i < count * n_in; i++)
        px[i] = rng_uniform(&r) < lit ? (uint8_t)(1 + rng_uniform(&r) * 254.999) : 0;
}

/* The lists of B images of N pixels, every lit pixel in order with its
 * value to the bit, against the images themselves. */
static void check_lists(int B, int N, double density, uint64_t seed)
{
    if (B < 1 || N < 1) { /* (and the compiler then knows the sizes below are sane) */
        CU_FAIL("check_lists needs at least one image of one pixel");
        return;
    }
    uint8_t *px = malloc((size_t)B * N);
    const uint8_t **rows = malloc((size_t)B * sizeof *rows);
    random_images(px, B, N, density, seed);
    memset(px, 0, (size_t)N);                   /* sample 0 blank */
    memset(px + (size_t)(B - 1) * N, 255, (size_t)N); /* the last fully lit */
    px[N] = 1;                                  /* the darkest nonzero value is lit */
    for (int j = 0; B > 2 && j < N; j++) /* every value, where the image is wide enough */
        px[(size_t)(B - 2) * N + j] = (uint8_t)(j % 256);
    for (int b = 0; b < B; b++)
        rows[b] = px + (size_t)b * N;
    const float *table = net_input_table();
    sparse_batch_t sb;
    CU_ASSERT_FATAL(sparse_batch_init(&sb, N, B) == 0);
    sparse_batch_build(&sb, rows, B, table);
    sparse_batch_index_pixels(&sb);
    CU_ASSERT_EQUAL(sb.count, B);
    CU_ASSERT_EQUAL(sb.background, table[0]);
    size_t lit = 0;
    for (int b = 0; b < B; b++) {
        int e = sb.row_start[b];
        for (int j = 0; j < N; j++) {
            if (!rows[b][j])
                continue;
            lit++;
            CU_ASSERT_EQUAL_FATAL(sb.row_pixel[e], j); /* every lit pixel, in order */
            CU_ASSERT_EQUAL_FATAL(sb.row_value[e], table[rows[b][j]] - table[0]);
            e++;
        }
        CU_ASSERT_EQUAL_FATAL(sb.row_start[b + 1], e); /* and nothing else */
    }
    CU_ASSERT_EQUAL(sb.row_start[1] - sb.row_start[0], 0);
    CU_ASSERT_EQUAL(sb.row_start[B] - sb.row_start[B - 1], N);
    CU_ASSERT_EQUAL(sparse_batch_lit(&sb), lit);
    CU_ASSERT_DOUBLE_EQUAL(sparse_batch_density(&sb), (double)lit / ((double)B * N), 1e-12);
    /* by pixel: the same entries, samples in increasing order */
    CU_ASSERT_EQUAL(sb.col_start[0], 0);
    CU_ASSERT_EQUAL((size_t)sb.col_start[N], lit);
    for (int j = 0; j < N; j++) {
        int e = sb.col_start[j];
        for (int b = 0; b < B; b++) {
            if (!rows[b][j])
                continue;
            CU_ASSERT_EQUAL_FATAL(sb.col[e].row, b);
            CU_ASSERT_EQUAL_FATAL(sb.col[e].value, table[rows[b][j]] - table[0]);
            e++;
        }
        CU_ASSERT_EQUAL_FATAL(sb.col_start[j + 1], e);
    }
    /* a smaller batch in the same lists */
    sparse_batch_build(&sb, rows, 1, table);
    sparse_batch_index_pixels(&sb);
    CU_ASSERT_EQUAL(sparse_batch_lit(&sb), 0);
    CU_ASSERT_EQUAL(sb.col_start[N], 0);
    sparse_batch_free(&sb);
    sparse_batch_free(&sb); /* safe on a zeroed struct */
    free(rows);
    free(px);
}

/* Every way the CPU can build the lists (the AVX-512 scan stores whole
 * vectors: a full batch of fully lit images reaches the lists' end), at
 * widths below, at and past the 8-pixel words and 64-pixel vectors; and
 * batches past 255 images, where the scan's byte counts are flushed. */
static void test_batch_lists(void)
{
    static const int widths[] = {13, 64, 200, 784};
    for (size_t s = 0; s < sizeof isas / sizeof isas[0]; s++) {
        if (!use_isa(isas[s], "the lists' scan"))
            continue;
        for (int vbmi2 = 0; vbmi2 < 2; vbmi2++) { /* AVX-512 with and without it */
            sparse_batch_allow_vbmi2(vbmi2);
            for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
                check_lists(6, widths[w], 0.3, 1 + w);
            check_lists(2, 784, 0.3, 9);
            check_lists(255, 64, 0.3, 10);
            check_lists(256, 13, 0.3, 11);
            check_lists(1000, 784, 0.3, 12); /* ~300 lit samples a pixel */
            check_lists(40, 784, 0.6, 13); /* blocks of 33-48 lit pixels too */
        }
    }
    for (size_t s = sizeof isas / sizeof isas[0]; s-- > 0;) /* back to the widest */
        if (sparse_rows_set_isa(isas[s]) == 0)
            break;
}

static void test_combine_every_isa(void)
{
    enum { ROWS = 60, LD = 340 };
    static const int widths[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 79, 80, 81, 127, 128, 129,
                                 160, 161, 200, 255, 256, 257, 333};
    static const int counts[] = {0, 1, 3, 40};
    float *M = malloc(sizeof(float) * ROWS * LD), A[LD], C[LD], out[LD], val[40];
    int32_t idx[40];
    rng_t r;
    rng_seed(&r, 2, 0);
    for (int i = 0; i < ROWS * LD; i++)
        M[i] = (float)rng_normal(&r);
    for (int i = 0; i < LD; i++) {
        A[i] = (float)rng_normal(&r);
        C[i] = (float)rng_normal(&r);
    }
    for (int p = 0; p < 40; p++) {
        idx[p] = (int32_t)(rng_uniform(&r) * ROWS) % ROWS;
        val[p] = (float)rng_uniform(&r);
    }
    int tried = 0;
    for (size_t s = 0; s < sizeof isas / sizeof *isas; s++) {
        if (!use_isa(isas[s], "sparse_rows_combine"))
            continue;
        tried++;
        CU_ASSERT_STRING_EQUAL(sparse_rows_isa(), isas[s]);
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
            for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
                for (int terms = 0; terms < 4; terms++) {
                    int n = widths[w], nnz = counts[c];
                    const float *a = terms & 1 ? A : NULL, *cc = terms & 2 ? C : NULL;
                    for (int k = 0; k < LD; k++)
                        out[k] = -99.0f; /* beyond n: must stay */
                    sparse_rows_combine(n, out, 0.5f, a, -2.0f, cc, 0.25f, nnz, idx, val, M, LD);
                    for (int k = 0; k < LD; k++) {
                        if (k >= n) {
                            CU_ASSERT_EQUAL_FATAL(out[k], -99.0f);
                            continue;
                        }
                        double want = (a ? 0.5 * A[k] : 0.0) + (cc ? -2.0 * C[k] : 0.0);
                        for (int p = 0; p < nnz; p++)
                            want += 0.25 * val[p] * M[(size_t)idx[p] * LD + k];
                        CU_ASSERT_DOUBLE_EQUAL_FATAL(out[k], want, 1e-5 * (1 + fabs(want)));
                    }
                }
        /* in place: A is out itself */
        memcpy(out, A, sizeof A);
        sparse_rows_combine(200, out, 1.0f, out, 1.0f, C, 1.0f, 3, idx, val, M, LD);
        for (int k = 0; k < 200; k++) {
            double want = A[k] + C[k];
            for (int p = 0; p < 3; p++)
                want += val[p] * M[(size_t)idx[p] * LD + k];
            CU_ASSERT_DOUBLE_EQUAL_FATAL(out[k], want, 1e-5 * (1 + fabs(want)));
        }
    }
    CU_ASSERT(tried >= 1);
    CU_ASSERT_EQUAL(sparse_rows_set_isa("sse9"), -1);
    free(M);
}

/* sparse_rows_update over many rows = sparse_rows_combine row by row, to
 * the bit, with every implementation: its AVX-512 passes (all rows a
 * pass, C in registers, at most 13 vectors) do the same operations. Rows
 * without entries, beta 0 (W not read: a NaN there must not leak), 1 and
 * another, widths up to more than one pass; rows n apart and, W's and M's,
 * padded to whole lines (net.h's ld0), W's pads left as they were. */
static void test_update_equals_combine(void)
{
    enum { ROWS = 50, SAMPLES = 40 };
    static const int widths[] = {1, 5, 16, 100, 200, 207, 208, 209, 256, 333, 1000};
    static const float betas[] = {0.0f, 1.0f, 0.75f};
    rng_t r;
    rng_seed(&r, 5, 0);
    int32_t start[ROWS + 1], idx[ROWS * 8];
    float val[ROWS * 8];
    sparse_entry_t entries[ROWS * 8];
    start[0] = 0;
    for (int i = 0; i < ROWS; i++) { /* 0..7 samples a row, in order */
        int n = 0;
        for (int b = 0; b < SAMPLES && n < 8; b++)
            if (rng_uniform(&r) < 0.1) {
                idx[start[i] + n] = b;
                val[start[i] + n] = (float)rng_uniform(&r);
                entries[start[i] + n] = (sparse_entry_t){b, val[start[i] + n]};
                n++;
            }
        start[i + 1] = start[i] + n;
    }
    for (size_t s = 0; s < sizeof isas / sizeof *isas; s++) {
        if (!use_isa(isas[s], "sparse_rows_update"))
            continue;
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
            for (size_t k = 0; k < sizeof betas / sizeof *betas; k++) { /* beta 1: rows padded */
                int n = widths[w];
                size_t ld = k == 1 ? (size_t)(n + 15) / 16 * 16 : (size_t)n;
                float beta = betas[k];
                float *M = malloc(sizeof(float) * SAMPLES * ld), *C = malloc(sizeof(float) * n);
                float *W = malloc(sizeof(float) * ROWS * ld);
                float *want = malloc(sizeof(float) * ROWS * ld);
                for (size_t i = 0; i < SAMPLES * ld; i++)
                    M[i] = (float)rng_normal(&r);
                for (int i = 0; i < n; i++)
                    C[i] = (float)rng_normal(&r);
                for (size_t i = 0; i < ROWS * ld; i++)
                    W[i] = want[i] = i % ld >= (size_t)n ? 12345.0f /* a pad */
                                     : beta != 0.0f      ? (float)rng_normal(&r)
                                                         : NAN;
                for (int i = 0; i < ROWS; i++) {
                    float *row = want + (size_t)i * ld;
                    sparse_rows_combine(n, row, beta, beta != 0.0f ? row : NULL, -0.5f, C, 0.25f,
                                        start[i + 1] - start[i], idx + start[i], val + start[i],
                                        M, ld);
                }
                sparse_rows_update(ROWS, n, W, ld, beta, -0.5f, C, 0.25f, start, entries, M, ld);
                CU_ASSERT_EQUAL_FATAL(memcmp(W, want, sizeof(float) * ROWS * ld), 0);
                free(M);
                free(C);
                free(W);
                free(want);
            }
    }
}

/* A row lit in more samples than the update's stretches (256) hold, and
 * with C absent (the path every implementation then takes): one combine
 * over all of them, to the bit. */
static void test_update_of_a_long_row(void)
{
    enum { SAMPLES = 700, N = 37 };
    static int32_t start[2] = {0, SAMPLES}, idx[SAMPLES];
    static float val[SAMPLES], M[SAMPLES * N], C[N], W[N], want[N];
    static sparse_entry_t entries[SAMPLES];
    rng_t r;
    rng_seed(&r, 8, 0);
    for (int b = 0; b < SAMPLES; b++) {
        idx[b] = b;
        val[b] = (float)rng_uniform(&r);
        entries[b] = (sparse_entry_t){b, val[b]};
    }
    for (int i = 0; i < SAMPLES * N; i++)
        M[i] = (float)rng_normal(&r);
    for (size_t s = 0; s < sizeof isas / sizeof *isas; s++) {
        if (!use_isa(isas[s], "sparse_rows_update, a long row"))
            continue;
        for (int with_c = 0; with_c < 2; with_c++) {
            for (int k = 0; k < N; k++) {
                W[k] = want[k] = (float)rng_normal(&r);
                C[k] = (float)rng_normal(&r);
            }
            sparse_rows_combine(N, want, 0.5f, want, -0.5f, with_c ? C : NULL, 0.25f, SAMPLES,
                                idx, val, M, N);
            sparse_rows_update(1, N, W, N, 0.5f, -0.5f, with_c ? C : NULL, 0.25f, start,
                               entries, M, N);
            CU_ASSERT_EQUAL(memcmp(W, want, sizeof W), 0);
        }
    }
    unsetenv("NNMPI_SIMD");
}

/* NNMPI_SIMD: unset, empty or an implementation the CPU has is fine; an
 * unknown name is refused with a message naming the variable. */
static void test_simd_env_checked(void)
{
    unsetenv("NNMPI_SIMD");
    CU_ASSERT_EQUAL(sparse_rows_check_env(), 0);
    setenv("NNMPI_SIMD", "", 1);
    CU_ASSERT_EQUAL(sparse_rows_check_env(), 0);
    setenv("NNMPI_SIMD", "c", 1);
    CU_ASSERT_EQUAL(sparse_rows_check_env(), 0);
    setenv("NNMPI_SIMD", "sse9", 1);
    CU_ASSERT_EQUAL(sparse_rows_check_env(), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "NNMPI_SIMD=sse9: expected avx512, avx2 or c"));
    unsetenv("NNMPI_SIMD");
}

/* The sparse step and the dense one on the same images and weights. */
static void compare_steps(int H, int O, int B, const uint8_t *px, net_rule_t rule, float beta)
{
    net_t net;
    net_work_t sparse, dense;
    CU_ASSERT_FATAL(net_init(&net, 784, H, O) == 0);
    rng_t r;
    rng_seed(&r, 3, 0);
    net_init_weights(&net, &r);
    CU_ASSERT_FATAL(net_work_init_pixels(&sparse, &net, B) == 0);
    CU_ASSERT_FATAL(net_work_init(&dense, &net, B) == 0);
    const uint8_t *rows[64];
    uint8_t labels[64];
    for (int b = 0; b < B; b++) {
        rows[b] = px + (size_t)b * 784;
        labels[b] = (uint8_t)(b % O);
        net_scale_input(rows[b], dense.x + (size_t)b * 784, 784);
    }
    float *a = malloc(net.n_floats * sizeof *a), *d = malloc(net.n_floats * sizeof *d);
    for (size_t i = 0; i < net.n_floats; i++)
        a[i] = d[i] = net.params[i] * 0.5f; /* what beta scales */
    net_stats_t sa = {0}, sd = {0};
    net_batch_update_pixels(&net, &sparse, rows, labels, B, rule, 0.3f, beta, a, &sa);
    net_batch_update(&net, &dense, labels, B, rule, 0.3f, beta, d, &sd);
    double worst = 0.0;
    for (size_t i = 0; i < net.n_floats; i++) {
        double err = fabs((double)a[i] - d[i]) / (1e-6 + 1e-4 * fabs(d[i]));
        worst = err > worst ? err : worst;
    }
    CU_ASSERT(worst <= 1.0);
    CU_ASSERT_DOUBLE_EQUAL(sa.loss_sum, sd.loss_sum, 1e-5 * (1 + sd.loss_sum));
    CU_ASSERT_EQUAL(sa.correct, sd.correct);
    CU_ASSERT_EQUAL(sa.count, B);
    free(a);
    free(d);
    net_work_free(&sparse);
    net_work_free(&dense);
    net_free(&net);
}

static void test_sparse_step_equals_dense(void)
{
    enum { B = 40 };
    uint8_t *digits = malloc((size_t)B * 784), *noise = malloc((size_t)B * 784);
    uint8_t *blank = calloc((size_t)B * 784, 1), *full = malloc((size_t)B * 784), labels[B];
    testutil_synthetic_digits(digits, labels, B, 4);
    random_images(noise, B, 784, 0.2, 5);
    memset(full, 200, (size_t)B * 784); /* denser than NET_DENSE_ABOVE: the dense path */
    const uint8_t *sets[] = {digits, noise, blank, full};
    static const int hidden[] = {200, 33, 7, 1};
    static const int batches[] = {1, 5, B};
    for (size_t s = 0; s < sizeof isas / sizeof *isas; s++) {
        if (!use_isa(isas[s], "the sparse step"))
            continue;
        for (int set = 0; set < 4; set++)
            for (size_t h = 0; h < sizeof hidden / sizeof *hidden; h++)
                for (size_t b = 0; b < sizeof batches / sizeof *batches; b++)
                    for (int rule = 0; rule < 2; rule++) {
                        compare_steps(hidden[h], 10, batches[b], sets[set], (net_rule_t)rule, 1.0f);
                        compare_steps(hidden[h], 3, batches[b], sets[set], (net_rule_t)rule, 0.0f);
                    }
    }
    free(digits);
    free(noise);
    free(blank);
    free(full);
}

/* beta = 0 must not read out: NaN there (a rank's stale buffer) stays out */
static void test_beta_zero_ignores_out(void)
{
    net_t net;
    net_work_t work;
    CU_ASSERT_FATAL(net_init(&net, 784, 20, 10) == 0);
    rng_t r;
    rng_seed(&r, 6, 0);
    net_init_weights(&net, &r);
    CU_ASSERT_FATAL(net_work_init_pixels(&work, &net, 4) == 0);
    uint8_t px[4 * 784], labels[4];
    testutil_synthetic_digits(px, labels, 4, 7);
    const uint8_t *rows[4] = {px, px + 784, px + 2 * 784, px + 3 * 784};
    float *out = malloc(net.n_floats * sizeof *out);
    for (size_t i = 0; i < net.n_floats; i++)
        out[i] = NAN;
    net_batch_update_pixels(&net, &work, rows, labels, 4, NET_RULE_BOOK, 0.1f, 0.0f, out, NULL);
    int finite = 1;
    for (size_t i = 0; i < net.n_floats; i++)
        finite &= isfinite(out[i]) != 0;
    CU_ASSERT(finite);
    free(out);
    net_work_free(&work);
    net_free(&net);
}

/* The per-sample loop over lit pixels (w_ih_t + 1.u^T between begin and
 * end) against net_train_sample on the dense input, sample by sample. */
static void test_loop_equals_train_sample(void)
{
    enum { N = 60 };
    static const int hidden[] = {200, 33, 7};
    uint8_t *px = malloc((size_t)N * 784), labels[N];
    testutil_synthetic_digits(px, labels, N / 2, 8);
    random_images(px + (size_t)(N / 2) * 784, N / 2, 784, 0.25, 9);
    memset(px + (size_t)7 * 784, 0, 784); /* a blank one */
    for (size_t s = 0; s < sizeof isas / sizeof *isas; s++) {
        if (!use_isa(isas[s], "the per-sample loop"))
            continue;
        for (size_t hh = 0; hh < sizeof hidden / sizeof *hidden; hh++)
            for (int rule = 0; rule < 2; rule++) {
                net_t a, b;
                net_work_t wa, wb;
                rng_t r;
                CU_ASSERT_FATAL(net_init(&a, 784, hidden[hh], 10) == 0);
                CU_ASSERT_FATAL(net_init(&b, 784, hidden[hh], 10) == 0);
                rng_seed(&r, 10, 0);
                net_init_weights(&a, &r);
                memcpy(b.params, a.params, a.n_floats * sizeof(float));
                CU_ASSERT_FATAL(net_work_init_pixels(&wa, &a, 1) == 0);
                CU_ASSERT_FATAL(net_work_init(&wb, &b, 1) == 0);
                net_stats_t sa = {0}, sb = {0};
                /* two rounds, as local mode runs them between averages */
                for (int round = 0; round < 2; round++) {
                    net_loop_begin(&a, &wa);
                    for (int i = round * N / 2; i < (round + 1) * N / 2; i++) {
                        const uint8_t *img = px + (size_t)i * 784;
                        net_loop_sample(&a, &wa, img, labels[i % (N / 2)], 0.3f, (net_rule_t)rule,
                                        &sa);
                        net_scale_input(img, wb.x, 784);
                        net_train_sample(&b, &wb, labels[i % (N / 2)], 0.3f, (net_rule_t)rule, &sb);
                    }
                    net_loop_end(&a, &wa);
                }
                double worst = 0.0;
                for (size_t i = 0; i < a.n_floats; i++) {
                    double err = fabs((double)a.params[i] - b.params[i]) /
                                 (1e-6 + 1e-4 * fabs(b.params[i]));
                    worst = err > worst ? err : worst;
                }
                CU_ASSERT(worst <= 1.0);
                CU_ASSERT_DOUBLE_EQUAL(sa.loss_sum, sb.loss_sum, 1e-4 * (1 + sb.loss_sum));
                CU_ASSERT_EQUAL(sa.correct, sb.correct);
                CU_ASSERT_EQUAL(sa.count, N);
                /* and the weights did move (the comparison can fail) */
                net_t c;
                CU_ASSERT_FATAL(net_init(&c, 784, hidden[hh], 10) == 0);
                rng_seed(&r, 10, 0);
                net_init_weights(&c, &r);
                CU_ASSERT(memcmp(c.params, a.params, a.n_floats * sizeof(float)) != 0);
                net_free(&c);
                net_work_free(&wa);
                net_work_free(&wb);
                net_free(&a);
                net_free(&b);
            }
    }
    free(px);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"sparse batch lists, by sample and by pixel", test_batch_lists},
        {"sparse_rows_combine, every implementation, against double", test_combine_every_isa},
        {"sparse_rows_update = sparse_rows_combine row by row, to the bit",
         test_update_equals_combine},
        {"sparse_rows_update of a row longer than its stretches", test_update_of_a_long_row},
        {"sparse step = dense step (digits, noise, blank, lit; sizes, rules, betas)",
         test_sparse_step_equals_dense},
        {"beta 0 never reads the output buffer", test_beta_zero_ignores_out},
        {"NNMPI_SIMD: an unknown name is refused", test_simd_env_checked},
        {"per-sample loop over lit pixels = net_train_sample", test_loop_equals_train_sample},
        {NULL, NULL},
    };
    return testutil_run("sparse", cases);
}
