#include "nnmpi/sparse_batch.h"

#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

int sparse_batch_init(sparse_batch_t *sb, int n_in, int capacity)
{
    memset(sb, 0, sizeof *sb);
    if (n_in <= 0 || capacity <= 0)
        return error_set("sparse batch of %d images of %d pixels", capacity, n_in);
    size_t entries = (size_t)capacity * (size_t)n_in;
    sb->n_in = n_in;
    sb->capacity = capacity;
    sb->row_start = malloc(((size_t)capacity + 1) * sizeof(int32_t));
    sb->row_pixel = malloc(entries * sizeof(int32_t));
    sb->row_value = malloc(entries * sizeof(float));
    sb->col_start = malloc(((size_t)n_in + 1) * sizeof(int32_t));
    sb->col_sample = malloc(entries * sizeof(int32_t));
    sb->col_value = malloc(entries * sizeof(float));
    if (!sb->row_start || !sb->row_pixel || !sb->row_value || !sb->col_start || !sb->col_sample ||
        !sb->col_value) {
        sparse_batch_free(sb);
        return error_set("out of memory for a sparse batch of %d images", capacity);
    }
    sb->row_start[0] = 0;
    return 0;
}

void sparse_batch_free(sparse_batch_t *sb)
{
    free(sb->row_start);
    free(sb->row_pixel);
    free(sb->row_value);
    free(sb->col_start);
    free(sb->col_sample);
    free(sb->col_value);
    memset(sb, 0, sizeof *sb);
}

void sparse_batch_build(sparse_batch_t *sb, const uint8_t *const *pixels, int count,
                        const float *table)
{
    const int n_in = sb->n_in;
    sb->count = count;
    sb->background = table[0];
    /* by sample, eight pixels at a time: most words of a digit's image are
     * all background, and a lit word's pixels are found from a bit mask */
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL, high = 0x8080808080808080ULL;
    int32_t e = 0;
    /* The images lie at random places in the shard. Asking for all of them
     * first keeps many memory reads in flight instead of one image's at a
     * time: the build takes 30% less (38 -> 26.5 us for 32 images here). */
    for (int b = 0; b < count; b++)
        for (int j = 0; j < n_in; j += 64)
            __builtin_prefetch(pixels[b] + j);
    for (int b = 0; b < count; b++) {
        const uint8_t *px = pixels[b];
        int j = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ /* byte k of the word is pixel j + k */
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
        sb->row_start[b + 1] = e;
    }
}

void sparse_batch_index_pixels(sparse_batch_t *sb)
{
    const int n_in = sb->n_in, count = sb->count;
    const int32_t e = sb->row_start[count];
    int32_t *col_start = sb->col_start;
    memset(col_start, 0, ((size_t)n_in + 1) * sizeof *col_start);
    /* count, prefix sums, then place (samples stay in order) */
    for (int32_t i = 0; i < e; i++)
        col_start[sb->row_pixel[i] + 1]++;
    for (int j = 0; j < n_in; j++)
        col_start[j + 1] += col_start[j];
    for (int b = 0; b < count; b++)
        for (int32_t i = sb->row_start[b]; i < sb->row_start[b + 1]; i++) {
            int32_t at = col_start[sb->row_pixel[i]]++;
            sb->col_sample[at] = b;
            sb->col_value[at] = sb->row_value[i];
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
