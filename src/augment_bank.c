/* A bank of elastic fields, and a sample's whole geometric distortion in
 * one resampling (augment.h).
 *
 * The fields are augment_elastic_field's, smoothed once on a larger grid;
 * a window at least the kernel's reach from the grid's edges never sees
 * the truncated kernel there, so every window is a field of one law (a
 * fresh 28 x 28 field is weaker near its own border instead). The
 * resampling is in floats, 16 pixels at a time with AVX-512 (gathers)
 * where the sparse kernels use it, one at a time otherwise: the same float
 * operations in the same order (the file is built with -ffp-contract=off),
 * so a distortion is the same bytes on every CPU, as sync mode's global
 * batch and a tensor-parallel group need. */
#include "nnmpi/augment.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/rng.h"
#include "nnmpi/sparse_rows.h"

#define BANK_STREAM 0x62616e6bULL /* "bank" */
/* Every rank and helper thread holds its own bank: keep it well below a
 * rank's memory (64 fields at sigma 4 take 4.3 MB, at sigma 20 25 MB). */
#define BANK_MAX_BYTES (1 << 30)

int augment_bank_init(augment_bank_t *b, int h, int w, int count, double sigma)
{
    memset(b, 0, sizeof *b);
    if (count < 1 || count > AUGMENT_MAX_BANK)
        return error_set("a bank of %d elastic fields: expected 1 to %d", count,
                         AUGMENT_MAX_BANK);
    if (h <= 0 || w <= 0 || h > 4096 || w > 4096)
        return error_set("a bank of elastic fields for %d x %d images: bad size", h, w);
    if (!(sigma >= 0.0 && sigma <= 100.0))
        return error_set("a bank of elastic fields: sigma %g must be a number from 0 to 100",
                         sigma);
    augment_elastic_t e;
    int reach = (int)(4.0 * sigma + 0.5); /* augment_elastic_init's radius */
    int size = (h > w ? h : w) + 2 * reach + AUGMENT_BANK_SPAN - 1;
    size_t one = 2 * (size_t)size * (size_t)size;
    if ((double)count * one * sizeof *b->fields > BANK_MAX_BYTES)
        return error_set("a bank of %d elastic fields of %d x %d (sigma %g) would take %.0f MB: "
                         "at most %d MB; fewer fields or a smaller sigma", count, size, size,
                         sigma, count * one * sizeof *b->fields / 1e6, BANK_MAX_BYTES >> 20);
    if (augment_elastic_init(&e, size, size, 1.0, sigma) < 0)
        return -1;
    b->fields = malloc((size_t)count * one * sizeof *b->fields);
    b->padded = calloc((size_t)(h + 3) * (size_t)(w + 3), sizeof *b->padded);
    b->quads = calloc((size_t)(h + 3) * (size_t)(w + 3), sizeof *b->quads);
    if (!b->fields || !b->padded || !b->quads) {
        augment_elastic_free(&e);
        augment_bank_free(b);
        return error_set("out of memory for a bank of %d elastic fields of %d x %d", count,
                         size, size);
    }
    for (int k = 0; k < count; k++) {
        rng_t rng;
        rng_seed(&rng, (uint64_t)count, rng_stream(BANK_STREAM, (uint64_t)k, 0));
        memcpy(b->fields + (size_t)k * one, augment_elastic_field(&e, &rng),
               one * sizeof *b->fields);
    }
    augment_elastic_free(&e);
    b->h = h;
    b->w = w;
    b->count = count;
    b->size = size;
    b->lo = reach;
    return 0;
}

void augment_bank_free(augment_bank_t *b)
{
    free(b->fields);
    free(b->padded);
    free(b->quads);
    memset(b, 0, sizeof *b);
}

/* Where the source has ink: rows r0..r1, columns c0..c1 (r0 > r1 if none). */
typedef struct {
    int r0, r1, c0, c1;
} ink_t;

/* The source inside a border of paper (one row and column before, two
 * after, so that every clamped sample point's four neighbours exist), and
 * where its ink is. */
static ink_t pad_source_c(augment_bank_t *b, const uint8_t *src)
{
    const int h = b->h, w = b->w, pw = w + 3;
    ink_t ink = {h, -1, w, -1};
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            uint8_t v = src[(size_t)r * w + c];
            b->padded[(size_t)(r + 1) * pw + c + 1] = v;
            if (v) {
                ink.r0 = r < ink.r0 ? r : ink.r0;
                ink.r1 = r;
                ink.c0 = c < ink.c0 ? c : ink.c0;
                ink.c1 = c > ink.c1 ? c : ink.c1;
            }
        }
    return ink;
}

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

/* The quads of b->padded, rows 0..h + 1 and columns 0..w + 1 (every
 * top-left neighbour a clamped point can have): one gather then fetches a
 * sample point's four neighbours. */
AVX512 static void make_quads(augment_bank_t *b)
{
    const int h = b->h, w = b->w, pw = w + 3;
    for (int r = 0; r <= h + 1; r++)
        for (int c = 0; c <= w + 1; c += 16) {
            int left = w + 2 - c;
            __mmask16 k = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
            const uint8_t *p = b->padded + (size_t)r * pw + c;
            __m512i q = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, p));
            __m512i right = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, p + 1));
            __m512i below = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, p + pw));
            __m512i corner = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, p + pw + 1));
            q = _mm512_or_si512(q, _mm512_slli_epi32(right, 8));
            q = _mm512_or_si512(q, _mm512_slli_epi32(below, 16));
            q = _mm512_or_si512(q, _mm512_slli_epi32(corner, 24));
            _mm512_mask_storeu_epi32(b->quads + (size_t)r * pw + c, k, q);
        }
}

/* pad_source_c 16 pixels at a time, then the quads. */
AVX512 static ink_t pad_source_avx512(augment_bank_t *b, const uint8_t *src)
{
    const int h = b->h, w = b->w, pw = w + 3;
    ink_t ink = {h, -1, w, -1};
    for (int r = 0; r < h; r++) {
        const uint8_t *row = src + (size_t)r * w;
        unsigned lit_row = 0;
        for (int c = 0; c < w; c += 16) {
            __mmask16 k = w - c >= 16 ? 0xffff : (__mmask16)((1u << (w - c)) - 1);
            __m128i v = _mm_maskz_loadu_epi8(k, row + c);
            _mm_mask_storeu_epi8(b->padded + (size_t)(r + 1) * pw + c + 1, k, v);
            unsigned lit = _mm_test_epi8_mask(v, v);
            if (!lit)
                continue;
            lit_row = 1;
            int first = c + __builtin_ctz(lit), last = c + 31 - __builtin_clz(lit);
            ink.c0 = first < ink.c0 ? first : ink.c0;
            ink.c1 = last > ink.c1 ? last : ink.c1;
        }
        if (lit_row) {
            ink.r0 = r < ink.r0 ? r : ink.r0;
            ink.r1 = r;
        }
    }
    make_quads(b);
    return ink;
}

static inline float clampf(float v, float lo, float hi)
{
    v = v > lo ? v : lo;
    return v < hi ? v : hi;
}

/* Where each output pixel of a row samples, and what it takes there. */
typedef struct {
    const uint8_t *padded;   /* [h + 3, w + 3] */
    const uint32_t *quads;   /* [h + 3, w + 3] */
    int pw;               /* w + 3 */
    float h, w;           /* the clamps: a point beyond has four paper neighbours */
    float m[4], centre[2], shift_centre[2], alpha;
    /* a point outside (ink[0], ink[1]) x (ink[2], ink[3]) has four paper
     * neighbours or weight 0 on the others: exactly 0 */
    float ink[4];
} resample_t;

/* One output row r of n pixels: the sample point of each, clamped to the
 * paper border, then bilinear. The truncation is a floor: the point is
 * >= -1. fy, fx: the row's field. */
static void resample_row_c(const resample_t *g, int r, const float *fy, const float *fx,
                           uint8_t *out, int n)
{
    for (int c = 0; c < n; c++) {
        float uy = (float)r + g->alpha * fy[c] - g->shift_centre[0];
        float ux = (float)c + g->alpha * fx[c] - g->shift_centre[1];
        float y = clampf(g->centre[0] + (g->m[0] * uy + g->m[1] * ux), -1.0f, g->h);
        float x = clampf(g->centre[1] + (g->m[2] * uy + g->m[3] * ux), -1.0f, g->w);
        if (!(y > g->ink[0] && y < g->ink[1] && x > g->ink[2] && x < g->ink[3])) {
            out[c] = 0;
            continue;
        }
        int iy = (int)(y + 1.0f), ix = (int)(x + 1.0f); /* floor + 1: padded row, column */
        float ty = y + 1.0f - (float)iy, tx = x + 1.0f - (float)ix;
        const uint8_t *p = g->padded + iy * g->pw + ix;
        float p00 = p[0], p01 = p[1], p10 = p[g->pw], p11 = p[g->pw + 1];
        float top = p00 + tx * (p01 - p00);
        float bottom = p10 + tx * (p11 - p10);
        float v = top + ty * (bottom - top);
        out[c] = (uint8_t)(int)(clampf(v, 0.0f, 255.0f) + 0.5f);
    }
}

/* resample_row_c 16 pixels at a time: the same float operations in the
 * same order (max/min are the clamps' comparisons, cvtt the casts), so the
 * same bytes; the lanes outside the ink gather nothing, and 16 of them at
 * once store zeros (most of a digit's picture is paper). */
AVX512 static void resample_row_avx512(const resample_t *g, int r, const float *fy,
                                       const float *fx, uint8_t *out, int n)
{
    const __m512 lanes = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 one = _mm512_set1_ps(1.0f), alpha = _mm512_set1_ps(g->alpha);
    const __m512 m0 = _mm512_set1_ps(g->m[0]), m1 = _mm512_set1_ps(g->m[1]);
    const __m512 m2 = _mm512_set1_ps(g->m[2]), m3 = _mm512_set1_ps(g->m[3]);
    const __m512 row = _mm512_set1_ps((float)r), low = _mm512_set1_ps(-1.0f);
    const __m512i pw = _mm512_set1_epi32(g->pw);
    for (int c = 0; c < n; c += 16) {
        const __mmask16 all = n - c >= 16 ? 0xffff : (__mmask16)((1u << (n - c)) - 1);
        __mmask16 k = all;
        __m512 col = _mm512_add_ps(_mm512_set1_ps((float)c), lanes);
        __m512 uy = _mm512_sub_ps(_mm512_add_ps(row, _mm512_mul_ps(alpha, _mm512_maskz_loadu_ps(k, fy + c))),
                                  _mm512_set1_ps(g->shift_centre[0]));
        __m512 ux = _mm512_sub_ps(_mm512_add_ps(col, _mm512_mul_ps(alpha, _mm512_maskz_loadu_ps(k, fx + c))),
                                  _mm512_set1_ps(g->shift_centre[1]));
        __m512 y = _mm512_add_ps(_mm512_set1_ps(g->centre[0]),
                                 _mm512_add_ps(_mm512_mul_ps(m0, uy), _mm512_mul_ps(m1, ux)));
        __m512 x = _mm512_add_ps(_mm512_set1_ps(g->centre[1]),
                                 _mm512_add_ps(_mm512_mul_ps(m2, uy), _mm512_mul_ps(m3, ux)));
        y = _mm512_min_ps(_mm512_max_ps(y, low), _mm512_set1_ps(g->h));
        x = _mm512_min_ps(_mm512_max_ps(x, low), _mm512_set1_ps(g->w));
        k &= _mm512_cmp_ps_mask(y, _mm512_set1_ps(g->ink[0]), _CMP_GT_OQ) &
             _mm512_cmp_ps_mask(y, _mm512_set1_ps(g->ink[1]), _CMP_LT_OQ) &
             _mm512_cmp_ps_mask(x, _mm512_set1_ps(g->ink[2]), _CMP_GT_OQ) &
             _mm512_cmp_ps_mask(x, _mm512_set1_ps(g->ink[3]), _CMP_LT_OQ);
        if (!k) {
            _mm512_mask_cvtepi32_storeu_epi8(out + c, all, _mm512_setzero_si512());
            continue;
        }
        __m512i iy = _mm512_cvttps_epi32(_mm512_add_ps(y, one));
        __m512i ix = _mm512_cvttps_epi32(_mm512_add_ps(x, one));
        __m512 ty = _mm512_sub_ps(_mm512_add_ps(y, one), _mm512_cvtepi32_ps(iy));
        __m512 tx = _mm512_sub_ps(_mm512_add_ps(x, one), _mm512_cvtepi32_ps(ix));
        __m512i at = _mm512_add_epi32(_mm512_mullo_epi32(iy, pw), ix);
        __m512i q = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), k, at, g->quads, 4);
        const __m512i byte = _mm512_set1_epi32(0xff);
        __m512 p00 = _mm512_cvtepi32_ps(_mm512_and_si512(q, byte));
        __m512 p01 = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(q, 8), byte));
        __m512 p10 = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(q, 16), byte));
        __m512 p11 = _mm512_cvtepi32_ps(_mm512_srli_epi32(q, 24));
        const __m512 zero = _mm512_setzero_ps();
        __m512 top = _mm512_add_ps(p00, _mm512_mul_ps(tx, _mm512_sub_ps(p01, p00)));
        __m512 bottom = _mm512_add_ps(p10, _mm512_mul_ps(tx, _mm512_sub_ps(p11, p10)));
        __m512 v = _mm512_add_ps(top, _mm512_mul_ps(ty, _mm512_sub_ps(bottom, top)));
        v = _mm512_min_ps(_mm512_max_ps(v, zero), _mm512_set1_ps(255.0f));
        __m512i grey = _mm512_cvttps_epi32(_mm512_add_ps(v, _mm512_set1_ps(0.5f)));
        _mm512_mask_cvtepi32_storeu_epi8(out + c, all, _mm512_maskz_mov_epi32(k, grey));
    }
}

/* AVX-512 when the sparse kernels run it (NNMPI_SIMD may narrow them) and
 * the CPU has the byte and short-vector instructions too. */
static int use_avx512(void)
{
    static int has = -1;
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    }
    return has && !strcmp(sparse_rows_isa(), "avx512");
}

void augment_bank_apply(augment_bank_t *b, const uint8_t *src, uint8_t *dst,
                        const augment_bank_warp_t *warp)
{
    const int h = b->h, w = b->w, size = b->size;
    const int wide = use_avx512();
    const ink_t ink = wide ? pad_source_avx512(b, src) : pad_source_c(b, src);
    const resample_t g = {
        .padded = b->padded, .quads = b->quads, .pw = w + 3, .h = (float)h, .w = (float)w,
        .m = {(float)warp->m[0], (float)warp->m[1], (float)warp->m[2], (float)warp->m[3]},
        .centre = {(float)((h - 1) / 2.0), (float)((w - 1) / 2.0)},
        .shift_centre = {(float)(warp->dy + (h - 1) / 2.0), (float)(warp->dx + (w - 1) / 2.0)},
        .alpha = (float)warp->alpha,
        .ink = {ink.r0 - 1.0f, ink.r1 + 1.0f, ink.c0 - 1.0f, ink.c1 + 1.0f}};
    const float *field = b->fields + (size_t)warp->field * 2 * size * size;
    const float *fy = field + (size_t)(b->lo + warp->y) * size + b->lo + warp->x;
    const float *fx = fy + (size_t)size * size;
    for (int r = 0; r < h; r++) {
        const float *ry = fy + (size_t)r * size, *rx = fx + (size_t)r * size;
        if (wide)
            resample_row_avx512(&g, r, ry, rx, dst + (size_t)r * w, w);
        else
            resample_row_c(&g, r, ry, rx, dst + (size_t)r * w, w);
    }
}
