#include "nnmpi/sparse_batch.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/sparse_rows.h"

/* Entries the AVX-512 scan may write past the last one it keeps (it stores
 * whole vectors of 16 and moves on by the lit ones). */
#define SLACK 16

/* count8's size: whole vectors of 64 bytes. */
static size_t count8_bytes(int n_in)
{
    return ((size_t)n_in + 63) / 64 * 64;
}

int sparse_batch_init(sparse_batch_t *sb, int n_in, int capacity)
{
    memset(sb, 0, sizeof *sb);
    if (n_in <= 0 || capacity <= 0)
        return error_set("sparse batch of %d images of %d pixels", capacity, n_in);
    size_t entries = (size_t)capacity * (size_t)n_in + SLACK;
    sb->n_in = n_in;
    sb->capacity = capacity;
    sb->row_start = malloc(((size_t)capacity + 1) * sizeof(int32_t));
    sb->row_pixel = malloc(entries * sizeof(int32_t));
    sb->row_value = malloc(entries * sizeof(float));
    sb->col_start = malloc(((size_t)n_in + 1) * sizeof(int32_t));
    sb->col = malloc(entries * sizeof *sb->col);
    sb->count8 = aligned_alloc(64, count8_bytes(n_in));
    if (!sb->row_start || !sb->row_pixel || !sb->row_value || !sb->col_start || !sb->col ||
        !sb->count8) {
        sparse_batch_free(sb);
        return error_set("out of memory for a sparse batch of %d images", capacity);
    }
    memset(sb->count8, 0, count8_bytes(n_in)); /* and each flush leaves it so */
    sb->row_start[0] = 0;
    return 0;
}

void sparse_batch_free(sparse_batch_t *sb)
{
    free(sb->row_start);
    free(sb->row_pixel);
    free(sb->row_value);
    free(sb->col_start);
    free(sb->col);
    free(sb->count8);
    memset(sb, 0, sizeof *sb);
}

/* One image's lit pixels from pixel j on, one at a time, at entry e;
 * returns the next entry. Eight pixels at a time: most words of a digit's
 * image are all background, and a lit word's pixels come from a bit mask. */
static int32_t scan_words(sparse_batch_t *sb, const uint8_t *px, int j, int32_t e,
                          const float *table)
{
    const int n_in = sb->n_in;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ /* byte k of the word is pixel j + k */
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL, high = 0x8080808080808080ULL;
    for (; j + 8 <= n_in; j += 8) {
        uint64_t w;
        memcpy(&w, px + j, sizeof w);
        uint64_t lit = (((w & low7) + low7) | w) & high; /* top bit of each nonzero byte */
        while (lit) {
            int at = j + __builtin_ctzll(lit) / 8;
            sb->row_pixel[e] = at;
            sb->row_value[e++] = table[px[at]] - sb->background;
            lit &= lit - 1;
        }
    }
#endif
    for (; j < n_in; j++)
        if (px[j]) {
            sb->row_pixel[e] = j;
            sb->row_value[e++] = table[px[j]] - sb->background;
        }
    return e;
}

#define AVX512 __attribute__((target("avx512f,avx512bw")))

/* table[v] for 16 pixel values without a gather: net_input_table's
 * v / 255 * 0.99 + 0.01 in doubles, rounded once to float, is the float
 * of one fused v * (0.99 / 255) + 0.01 in doubles for every v in 0..255
 * (checked for all 256 by test_sparse), and a division costs far more. */
AVX512 static __m512 input_values(__m512i v)
{
    const __m512d k = _mm512_set1_pd(0.99 / 255.0), c = _mm512_set1_pd(0.01);
    __m512d lo = _mm512_cvtepi32_pd(_mm512_castsi512_si256(v));
    __m512d hi = _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(v, 1));
    lo = _mm512_fmadd_pd(lo, k, c);
    hi = _mm512_fmadd_pd(hi, k, c);
    __m512d low = _mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)));
    return _mm512_castpd_ps(_mm512_insertf64x4(low, _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

/* scan_words with AVX-512, 64 pixels a test: the lit pixels' indices and
 * input values, compressed to the lit ones and stored as whole vectors of
 * 16 (SLACK). The same entries, the same values to the bit. Each pixel's
 * lit count goes up by one in count8 as it goes (the last, partial 64
 * too, whose entries scan_words makes). */

/* Block [j, j+64)'s lit pixels as a mask, counted into count8. */
AVX512 static uint64_t count_block(sparse_batch_t *sb, __m512i v, int j)
{
    uint64_t lit = _mm512_test_epi8_mask(v, v);
    __m512i *count = (__m512i *)(sb->count8 + j);
    *count = _mm512_sub_epi8(*count, _mm512_movm_epi8(lit)); /* a lit byte's mask is -1 */
    return lit;
}

/* The pixels from j on, fewer than 64, counted. */
AVX512 static void count_tail(sparse_batch_t *sb, const uint8_t *px, int j)
{
    if (j < sb->n_in)
        count_block(sb, _mm512_maskz_loadu_epi8(~0ULL >> (64 - (sb->n_in - j)), px + j), j);
}

/* Entries for 16 lit pixels: their offsets in the block and their bytes in
 * the low lanes (16 bytes each), stored at e. */
AVX512 static inline __attribute__((always_inline)) void
store_16(sparse_batch_t *sb, int32_t e, int j, __m128i offsets, __m128i bytes)
{
    __m512i index = _mm512_add_epi32(_mm512_set1_epi32(j), _mm512_cvtepu8_epi32(offsets));
    __m512 x = _mm512_sub_ps(input_values(_mm512_cvtepu8_epi32(bytes)),
                             _mm512_set1_ps(sb->background));
    _mm512_storeu_si512(sb->row_pixel + e, index);
    _mm512_storeu_ps(sb->row_value + e, x);
}

/* Each quarter of a block with a lit pixel: its 16 pixels, the lit ones
 * compressed. */
AVX512 static int32_t scan_avx512(sparse_batch_t *sb, const uint8_t *px, int32_t e,
                                  const float *table)
{
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 bg = _mm512_set1_ps(sb->background);
    int j = 0;
    for (; j + 64 <= sb->n_in; j += 64) {
        uint64_t lit = count_block(sb, _mm512_loadu_si512(px + j), j);
        for (int k = 0; lit; k++, lit >>= 16) {
            __mmask16 m = (__mmask16)(lit & 0xffff);
            if (!m)
                continue;
            __m512i value = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(px + j + 16 * k)));
            __m512i index = _mm512_add_epi32(lanes, _mm512_set1_epi32(j + 16 * k));
            __m512 x = input_values(value);
            _mm512_storeu_si512(sb->row_pixel + e, _mm512_maskz_compress_epi32(m, index));
            _mm512_storeu_ps(sb->row_value + e, _mm512_maskz_compress_ps(m, _mm512_sub_ps(x, bg)));
            e += __builtin_popcount(m);
        }
    }
    count_tail(sb, px, j);
    return scan_words(sb, px, j, e, table);
}

#define VBMI2 __attribute__((target("avx512f,avx512bw,avx512vbmi2")))

/* With VBMI2's byte compression: a block's lit bytes and their offsets
 * first, then 16 entries a step, fewer steps than by quarters (a digit's
 * lit pixels fill few of them): the lists of 64 digits fresh from memory
 * in 5.9 us instead of 8.6 here, the same lists. */
VBMI2 static int32_t scan_vbmi2(sparse_batch_t *sb, const uint8_t *px, int32_t e,
                                const float *table)
{
    const __m512i offsets = _mm512_set_epi8(
        63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42,
        41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
        19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    int j = 0;
    for (; j + 64 <= sb->n_in; j += 64) {
        __m512i v = _mm512_loadu_si512(px + j);
        uint64_t lit = count_block(sb, v, j);
        if (!lit)
            continue;
        __m512i at = _mm512_maskz_compress_epi8(lit, offsets);
        __m512i bytes = _mm512_maskz_compress_epi8(lit, v);
        int n = __builtin_popcountll(lit);
        store_16(sb, e, j, _mm512_castsi512_si128(at), _mm512_castsi512_si128(bytes));
        if (n > 16)
            store_16(sb, e + 16, j, _mm512_extracti32x4_epi32(at, 1),
                     _mm512_extracti32x4_epi32(bytes, 1));
        if (n > 32)
            store_16(sb, e + 32, j, _mm512_extracti32x4_epi32(at, 2),
                     _mm512_extracti32x4_epi32(bytes, 2));
        if (n > 48)
            store_16(sb, e + 48, j, _mm512_extracti32x4_epi32(at, 3),
                     _mm512_extracti32x4_epi32(bytes, 3));
        e += n;
    }
    count_tail(sb, px, j);
    return scan_words(sb, px, j, e, table);
}

/* Adds count8 into col_start[1..n_in] and zeroes it. */
AVX512 static void flush_counts(sparse_batch_t *sb)
{
    for (int j = 0; j < sb->n_in; j += 16) {
        __mmask16 k = sb->n_in - j >= 16 ? 0xffff : (__mmask16)((1u << (sb->n_in - j)) - 1);
        /* count8 is padded to 64: the 16 bytes are there */
        __m512i add = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(sb->count8 + j)));
        __m512i *at = (__m512i *)(sb->col_start + 1 + j);
        _mm512_mask_storeu_epi32(at, k, _mm512_add_epi32(_mm512_maskz_loadu_epi32(k, at), add));
    }
    memset(sb->count8, 0, count8_bytes(sb->n_in));
}

static int vbmi2_allowed = 1;

void sparse_batch_allow_vbmi2(int allow)
{
    vbmi2_allowed = allow;
}

/* The scan: AVX-512 when the sparse kernels run it (NNMPI_SIMD may narrow
 * them) and the CPU has the byte instructions too, with VBMI2's where it
 * has them; else NULL (scan_words alone). */
typedef int32_t (*scan_fn)(sparse_batch_t *, const uint8_t *, int32_t, const float *);
static scan_fn wide_scan(void)
{
    static int has_bw = -1, has_vbmi2;
    if (has_bw < 0) {
        __builtin_cpu_init();
        has_bw = __builtin_cpu_supports("avx512bw");
        has_vbmi2 = has_bw && __builtin_cpu_supports("avx512vbmi2");
    }
    if (!has_bw || strcmp(sparse_rows_isa(), "avx512"))
        return NULL;
    return has_vbmi2 && vbmi2_allowed ? scan_vbmi2 : scan_avx512;
}

void sparse_batch_build(sparse_batch_t *sb, const uint8_t *const *pixels, int count,
                        const float *table)
{
    const int n_in = sb->n_in;
    const scan_fn scan = wide_scan();
    const int wide = scan != NULL;
    sb->count = count;
    sb->background = table[0];
    int32_t e = 0;
    /* The images lie at random places in the shard. Asking for all of them
     * first keeps many memory reads in flight instead of one image's at a
     * time: the build takes 30% less (38 -> 26.5 us for 32 images here). */
    for (int b = 0; b < count; b++)
        for (int j = 0; j < n_in; j += 64)
            __builtin_prefetch(pixels[b] + j);
    if (wide)
        memset(sb->col_start, 0, ((size_t)n_in + 1) * sizeof *sb->col_start);
    for (int b = 0; b < count; b++) {
        e = wide ? scan(sb, pixels[b], e, table) : scan_words(sb, pixels[b], 0, e, table);
        sb->row_start[b + 1] = e;
        if (wide && (b + 1) % 255 == 0) /* before a byte count could wrap */
            flush_counts(sb);
    }
    if (wide)
        flush_counts(sb);
    sb->counted = wide;
}

void sparse_batch_index_pixels(sparse_batch_t *sb)
{
    const int n_in = sb->n_in, count = sb->count;
    const int32_t e = sb->row_start[count];
    int32_t *col_start = sb->col_start;
    /* count (unless the scan did), prefix sums, then place (samples stay
     * in order) */
    if (!sb->counted) {
        memset(col_start, 0, ((size_t)n_in + 1) * sizeof *col_start);
        for (int32_t i = 0; i < e; i++)
            col_start[sb->row_pixel[i] + 1]++;
    }
    sb->counted = 0; /* col_start becomes the starts */
    for (int j = 0; j < n_in; j++)
        col_start[j + 1] += col_start[j];
    for (int b = 0; b < count; b++)
        for (int32_t i = sb->row_start[b]; i < sb->row_start[b + 1]; i++) {
            int32_t at = col_start[sb->row_pixel[i]]++;
            sb->col[at] = (sparse_entry_t){b, sb->row_value[i]};
        }
    /* placing advanced each start to the next pixel's: shift back */
    memmove(col_start + 1, col_start, (size_t)n_in * sizeof *col_start);
    col_start[0] = 0;
}

size_t sparse_batch_lit(const sparse_batch_t *sb)
{
    return sb->count > 0 ? (size_t)sb->row_start[sb->count] : 0;
}

double sparse_batch_density(const sparse_batch_t *sb)
{
    return sb->count > 0 ? (double)sparse_batch_lit(sb) / ((double)sb->count * sb->n_in) : 0.0;
}
