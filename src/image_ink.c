/* image_ink: from luminance to ink strength (0 = paper) with the page's own
 * light taken out, and the threshold between ink and paper. The steps are
 * described in nnmpi/image_clean.h. Invariants: every buffer is sized from
 * an image already checked by image_alloc; the ink map has the size of the
 * luminance it came from. */
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image_clean.h"

#define GRID_CELLS 24      /* cells on the longer side, for the background */
#define GRID_MIN_CELL 4    /* pixels: a median of fewer would be noise */
#define GRID_OPEN_RADIUS 3 /* cells: the opening spans 7 x 7 cells */
#define VOTE_CELLS 16      /* cells on the longer side, for the polarity vote */
#define BORDER_EVEN 40     /* a border whose 5th-95th percentiles lie this close is even */
#define BORDER_CONTRAST 24 /* levels the ink's tail must reach beyond the border's paper */
#define VOTE_MIN_CELL 16

int image_work_copy(const image_t *in, image_t *out, int *factor)
{
    const int longest = in->height > in->width ? in->height : in->width;
    const int f = (longest + IMAGE_WORK_SIDE - 1) / IMAGE_WORK_SIDE;
    *factor = f;
    if (image_alloc(out, (in->height + f - 1) / f, (in->width + f - 1) / f) < 0)
        return -1;
    if (f == 1) {
        memcpy(out->pixels, in->pixels, (size_t)in->height * (size_t)in->width);
        return 0;
    }
    uint32_t *sum = calloc((size_t)out->width, sizeof *sum);   /* [out w] one block row */
    if (!sum) {
        image_free(out);
        return error_set("out of memory reducing a %d x %d picture", in->width, in->height);
    }
    for (int oy = 0; oy < out->height; oy++) {
        const int y0 = oy * f, y1 = y0 + f < in->height ? y0 + f : in->height;
        memset(sum, 0, (size_t)out->width * sizeof *sum);
        for (int y = y0; y < y1; y++) {
            const uint8_t *row = in->pixels + (size_t)y * (size_t)in->width;
            for (int x = 0; x < in->width; x++)
                sum[x / f] += row[x];
        }
        for (int ox = 0; ox < out->width; ox++) {
            const int x0 = ox * f, x1 = x0 + f < in->width ? x0 + f : in->width;
            const uint32_t n = (uint32_t)((y1 - y0) * (x1 - x0));
            out->pixels[(size_t)oy * (size_t)out->width + ox] = (uint8_t)((sum[ox] + n / 2) / n);
        }
    }
    free(sum);
    return 0;
}

/* ------------------------------------------------------------ the grid */

typedef struct {
    int cell, gy, gx;   /* cell side in pixels; cells down and across */
    uint32_t *hist;     /* [gy * gx, 256] luminance histogram of each cell */
    float *level;       /* [gy * gx] the paper's level (ink-ward units) */
    float *tmp;         /* [gy * gx] scratch for the opening */
} grid_t;

static void grid_free(grid_t *g)
{
    free(g->hist);
    free(g->level);
    free(g->tmp);
}

/* A grid of about `cells` cells on the longer side, each at least min_cell
 * pixels, and the histogram of each. */
static int grid_init(grid_t *g, const image_t *lum, int cells_across, int min_cell)
{
    const int longest = lum->height > lum->width ? lum->height : lum->width;
    int cell = (longest + cells_across - 1) / cells_across;
    if (cell < min_cell)
        cell = min_cell;
    *g = (grid_t){.cell = cell, .gy = (lum->height + cell - 1) / cell,
                  .gx = (lum->width + cell - 1) / cell};
    const size_t cells = (size_t)g->gy * (size_t)g->gx;   /* <= cells_across^2 */
    g->hist = calloc(cells * 256, sizeof *g->hist);
    g->level = malloc(cells * sizeof *g->level);
    g->tmp = malloc(cells * sizeof *g->tmp);
    if (!g->hist || !g->level || !g->tmp) {
        grid_free(g);
        return error_set("out of memory for the background grid");
    }
    for (int y = 0; y < lum->height; y++) {
        const uint8_t *row = lum->pixels + (size_t)y * (size_t)lum->width;
        uint32_t *cells_row = g->hist + (size_t)(y / cell) * (size_t)g->gx * 256;
        for (int x = 0; x < lum->width; x++)
            cells_row[(size_t)(x / cell) * 256 + row[x]]++;
    }
    return 0;
}

/* The luminance below which a fraction q of the cell's pixels lie. */
static int cell_percentile(const uint32_t *hist, double q)
{
    uint32_t n = 0;
    for (int v = 0; v < 256; v++)
        n += hist[v];
    const double rank = q * (n ? n - 1 : 0);
    uint32_t seen = 0;
    for (int v = 0; v < 256; v++) {
        seen += hist[v];
        if (seen > rank)
            return v;
    }
    return 255;
}

/* Grey-level erosion (take = min) or dilation (max) of the cell levels over
 * a square of GRID_OPEN_RADIUS cells, from src into dst. */
static void grid_filter(const grid_t *g, const float *src, float *dst, int take_min)
{
    const int r = GRID_OPEN_RADIUS;
    for (int y = 0; y < g->gy; y++)
        for (int x = 0; x < g->gx; x++) {
            float best = src[y * g->gx + x];
            for (int yy = y - r; yy <= y + r; yy++)
                for (int xx = x - r; xx <= x + r; xx++) {
                    if (yy < 0 || yy >= g->gy || xx < 0 || xx >= g->gx)
                        continue;
                    const float v = src[yy * g->gx + xx];
                    if (take_min ? v < best : v > best)
                        best = v;
                }
            dst[y * g->gx + x] = best;
        }
}

/* The paper's level per cell in ink-ward units (ink = higher): the cell's
 * median, then an opening (erosion, dilation) so that cells covered by a
 * stroke take their neighbours' paper while a shadow's slope stays. */
static void grid_paper_levels(grid_t *g, int dark_ink)
{
    for (int c = 0; c < g->gy * g->gx; c++) {
        const int median = cell_percentile(g->hist + (size_t)c * 256, 0.5);
        g->level[c] = (float)(dark_ink ? 255 - median : median);
    }
    grid_filter(g, g->level, g->tmp, 1);
    grid_filter(g, g->tmp, g->level, 0);
}

/* Bilinear position of pixel p between cell centres along one axis: the
 * lower cell *i0, the upper *i1 and the upper's weight. */
static float cell_weight(int p, int cell, int cells, int *i0, int *i1)
{
    const float t = ((float)p + 0.5f) / (float)cell - 0.5f;
    if (t <= 0.0f || cells == 1) {
        *i0 = *i1 = 0;
        return 0.0f;
    }
    if (t >= (float)(cells - 1)) {
        *i0 = *i1 = cells - 1;
        return 0.0f;
    }
    *i0 = (int)t;
    *i1 = *i0 + 1;
    return t - (float)*i0;
}

/* ink = (luminance in ink-ward units) - (interpolated paper level), >= 0. */
static int subtract_paper(const grid_t *g, const image_t *lum, int dark_ink, image_t *ink)
{
    const int w = lum->width;
    float *rows = malloc((size_t)g->gy * (size_t)w * sizeof *rows);   /* [gy, w] */
    if (!rows)
        return error_set("out of memory for the background of a %d x %d picture", w,
                         lum->height);
    for (int j = 0; j < g->gy; j++)   /* each grid row interpolated across */
        for (int x = 0; x < w; x++) {
            int i0, i1;
            const float a = cell_weight(x, g->cell, g->gx, &i0, &i1);
            const float *lv = g->level + (size_t)j * (size_t)g->gx;
            rows[(size_t)j * (size_t)w + x] = lv[i0] + a * (lv[i1] - lv[i0]);
        }
    for (int y = 0; y < lum->height; y++) {
        int j0, j1;
        const float b = cell_weight(y, g->cell, g->gy, &j0, &j1);
        const float *r0 = rows + (size_t)j0 * (size_t)w, *r1 = rows + (size_t)j1 * (size_t)w;
        const uint8_t *src = lum->pixels + (size_t)y * (size_t)w;
        uint8_t *dst = ink->pixels + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++) {
            const float v = (float)(dark_ink ? 255 - src[x] : src[x]);
            const float d = v - (r0[x] + b * (r1[x] - r0[x]));
            dst[x] = d <= 0.0f ? 0 : d >= 255.0f ? 255 : (uint8_t)(d + 0.5f);
        }
    }
    free(rows);
    return 0;
}

/* How far an ink map's ink stands out: its 99.9th percentile. */
static int ink_peak(const image_t *ink)
{
    uint32_t hist[256] = {0};
    const size_t n = (size_t)ink->height * (size_t)ink->width;
    for (size_t i = 0; i < n; i++)
        hist[ink->pixels[i]]++;
    return cell_percentile(hist, 0.999);
}

/* The vote of a coarse grid's cells for dark ink on light paper: in each
 * cell the ink, if any, is the long tail on one side of the median (its
 * paper). The cells are large so that few lie inside a stroke. */
static int cells_vote_dark(const image_t *lum)
{
    grid_t coarse, *g = &coarse;
    if (grid_init(g, lum, VOTE_CELLS, VOTE_MIN_CELL) < 0)
        return 1;   /* out of memory: the usual case */
    long dark = 0, light = 0;
    for (int c = 0; c < g->gy * g->gx; c++) {
        const uint32_t *h = g->hist + (size_t)c * 256;
        const int lo = cell_percentile(h, 0.01), mid = cell_percentile(h, 0.5),
                  hi = cell_percentile(h, 0.99);
        dark += mid - lo;
        light += hi - mid;
    }
    grid_free(g);
    return dark >= light;
}

/* The polarity an even border says: 1 dark ink, 0 light ink, -1 when the
 * border is uneven (a photo's shadow, a desk, grain) or the picture has no
 * contrast, and the ink maps must decide. A drawing program's or a browser
 * canvas's border is one paper level, and the ink is the long tail of the
 * picture's histogram on the far side of it. This comes first because a
 * marker's strokes on such a canvas are as wide as the grid's cells: the
 * map of the wrong polarity then finds the paper between the strokes. */
static int border_says_dark(const image_t *lum)
{
    const int h = lum->height, w = lum->width;
    uint32_t border[256] = {0}, all[256] = {0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t v = lum->pixels[(size_t)y * w + x];
            all[v]++;
            if (y == 0 || y == h - 1 || x == 0 || x == w - 1)
                border[v]++;
        }
    const int paper = cell_percentile(border, 0.5);
    if (cell_percentile(border, 0.95) - cell_percentile(border, 0.05) > BORDER_EVEN)
        return -1;
    const int dark_tail = paper - cell_percentile(all, 0.005);
    const int light_tail = cell_percentile(all, 0.995) - paper;
    if (dark_tail < BORDER_CONTRAST && light_tail < BORDER_CONTRAST)
        return -1;
    return dark_tail >= light_tail;
}

/* Whether the dark-ink map is the right one. With the wrong polarity the
 * strokes come out as 0, and on a large page only noise and the blur of a
 * shadow's edge remain: the right map's ink stands out further. On a small
 * page the paper next to the strokes may stand out as far, and the cells
 * decide (cells_vote_dark). */
static int dark_is_right(const image_t *lum, const image_t *dark, const image_t *light)
{
    const int d = ink_peak(dark), l = ink_peak(light);
    if (d >= l * 1.25 + 8)
        return 1;
    if (l >= d * 1.25 + 8)
        return 0;
    return cells_vote_dark(lum);
}

/* The ink map for one polarity into *ink (allocated). */
static int ink_map_as(grid_t *g, const image_t *lum, int dark_ink, image_t *ink)
{
    grid_paper_levels(g, dark_ink);
    if (image_alloc(ink, lum->height, lum->width) < 0)
        return -1;
    if (subtract_paper(g, lum, dark_ink, ink) < 0) {
        image_free(ink);
        return -1;
    }
    return 0;
}

int image_ink_map(const image_t *lum, image_t *ink, int *dark_ink)
{
    /* both polarities are tried, see dark_is_right */
    grid_t g;
    image_t light = {0};
    if (grid_init(&g, lum, GRID_CELLS, GRID_MIN_CELL) < 0)
        return -1;
    int rc = ink_map_as(&g, lum, 1, ink);
    if (rc == 0 && (rc = ink_map_as(&g, lum, 0, &light)) < 0)
        image_free(ink);
    const int border = border_says_dark(lum);
    if (rc == 0)
        *dark_ink = border >= 0 ? border : dark_is_right(lum, ink, &light);
    grid_free(&g);
    if (rc < 0)
        return -1;
    if (!*dark_ink) {
        image_free(ink);
        *ink = light;
    } else {
        image_free(&light);
    }
    return 0;
}

/* ------------------------------------------------------- ruled lines */

/* The 10th percentile of the n values v[0], v[step], ...: the ink level
 * that 90% of a row or column reaches (a ruled line reaches it everywhere,
 * a digit's stroke never spans 90% of the picture). */
static int line_level(const uint8_t *v, int n, size_t step)
{
    uint32_t hist[256] = {0};
    for (int i = 0; i < n; i++)
        hist[v[(size_t)i * step]]++;
    return cell_percentile(hist, 0.1);
}

/* profile[i] minus its opening over 2*half+1 neighbours (a white top-hat):
 * what stands up along fewer than 2*half+1 rows, a ruled line, not a
 * stroke's broad bar. tmp has n entries. */
static void top_hat(int *profile, int n, int half, int *tmp)
{
    for (int i = 0; i < n; i++) {
        int m = profile[i];
        for (int k = i - half; k <= i + half; k++)
            if (k >= 0 && k < n && profile[k] < m)
                m = profile[k];
        tmp[i] = m;
    }
    for (int i = 0; i < n; i++) {
        int m = tmp[i];
        for (int k = i - half; k <= i + half; k++)
            if (k >= 0 && k < n && tmp[k] > m)
                m = tmp[k];
        profile[i] -= m;
    }
}

int image_ink_remove_lines(image_t *ink)
{
    const int h = ink->height, w = ink->width, longest = h > w ? h : w;
    const int half = 2 + longest / 400;   /* lines are 1-2 px, 3-4 on large photos */
    int *profile = malloc(2 * (size_t)longest * sizeof *profile);   /* [longest] + tmp */
    if (!profile)
        return error_set("out of memory looking for ruled lines");
    for (int pass = 0; pass < 2; pass++) {   /* rows, then columns */
        const int n = pass ? w : h, len = pass ? h : w;
        const size_t step = pass ? (size_t)w : 1, next = pass ? 1 : (size_t)w;
        for (int i = 0; i < n; i++)
            profile[i] = line_level(ink->pixels + (size_t)i * next, len, step);
        top_hat(profile, n, half, profile + longest);
        for (int i = 0; i < n; i++) {
            if (profile[i] <= 0)
                continue;
            uint8_t *p = ink->pixels + (size_t)i * next;
            for (int k = 0; k < len; k++) {
                const int v = p[(size_t)k * step] - profile[i];
                p[(size_t)k * step] = (uint8_t)(v > 0 ? v : 0);
            }
        }
    }
    free(profile);
    return 0;
}

/* --------------------------------------------------------- threshold */

/* Otsu: the level t maximising the between-class variance of (< t, >= t)
 * over the 255 levels of hist. */
static int otsu(const uint32_t hist[255], double n)
{
    double total = 0.0;
    for (int v = 0; v < 255; v++)
        total += (double)v * hist[v];
    double below = 0.0, sum_below = 0.0, best = -1.0;
    int t_best = 1;
    for (int t = 1; t < 255; t++) {
        below += hist[t - 1];
        sum_below += (double)(t - 1) * hist[t - 1];
        const double above = n - below;
        if (below == 0.0 || above == 0.0)
            continue;
        const double d = sum_below / below - (total - sum_below) / above;
        const double between = below * above * d * d;
        if (between > best) {
            best = between;
            t_best = t;
        }
    }
    return t_best;
}

int image_ink_threshold(const image_t *ink)
{
    uint32_t hist[256] = {0};
    const size_t n = (size_t)ink->height * (size_t)ink->width;
    for (size_t i = 0; i < n; i++)
        hist[ink->pixels[i]]++;
    /* ink 0 is certain paper: leaving it out makes the threshold the same
     * however much empty paper surrounds the digit */
    int t = otsu(hist + 1, (double)(n - hist[0])) + 1;
    const int top = cell_percentile(hist, 0.999);
    if (t < top / 3)
        t = top / 3;
    return t < 1 ? 1 : t;
}
