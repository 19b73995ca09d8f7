/* image_blobs: which ink is the digit. Connected components (8-connected,
 * two raster passes with union-find) of the ink above a low threshold; the
 * rules that keep a digit's pieces and drop specks are at
 * image_blobs_digit in nnmpi/image_clean.h. Labels are int32: a picture
 * here has at most IMAGE_WORK_SIDE^2 pixels. */
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image_clean.h"

#define BLOBS_CANDIDATES 64      /* largest components considered besides the seed */
#define BLOBS_MIN_SHARE 0.02     /* of the seed's pixels, to count as a piece */
#define BLOBS_REACH 0.25         /* of the digit's longer side: how far a piece may be */

typedef struct {
    long area;
    int strong;          /* reaches t_hi somewhere */
    image_box_t box;
    int kept;
} blob_t;

static int find_root(int *parent, int a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];   /* path halving */
        a = parent[a];
    }
    return a;
}

static void unite(int *parent, int a, int b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* First pass: provisional labels (1..) for pixels with ink >= t_lo, joined
 * with the already labelled neighbours (W, NW, N, NE). Returns the count. */
static int label_pass(const image_t *ink, int t_lo, int *label, int *parent)
{
    const int h = ink->height, w = ink->width;
    int next = 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const size_t i = (size_t)y * (size_t)w + (size_t)x;
            label[i] = 0;
            if (ink->pixels[i] < t_lo)
                continue;
            const int nb[4] = {x > 0 ? label[i - 1] : 0,
                               y > 0 && x > 0 ? label[i - (size_t)w - 1] : 0,
                               y > 0 ? label[i - (size_t)w] : 0,
                               y > 0 && x + 1 < w ? label[i - (size_t)w + 1] : 0};
            int l = 0;
            for (int k = 0; k < 4; k++)
                if (nb[k]) {
                    if (!l)
                        l = nb[k];
                    else
                        unite(parent, l, nb[k]);
                }
            if (!l) {
                l = next++;
                parent[l] = l;
            }
            label[i] = l;
        }
    return next;
}

/* Second pass: final labels (roots) and each component's area, box and
 * whether it reaches t_hi. */
static void measure_blobs(const image_t *ink, int t_hi, int *label, int *parent, blob_t *blobs)
{
    const int h = ink->height, w = ink->width;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const size_t i = (size_t)y * (size_t)w + (size_t)x;
            if (!label[i])
                continue;
            const int r = label[i] = find_root(parent, label[i]);
            blob_t *b = &blobs[r];
            if (!b->area)
                b->box = (image_box_t){y, y, x, x};
            b->area++;
            b->strong |= ink->pixels[i] >= t_hi;
            if (y > b->box.y1) b->box.y1 = y;
            if (x < b->box.x0) b->box.x0 = x;
            if (x > b->box.x1) b->box.x1 = x;
        }
}

/* Gap in pixels between two boxes (0 if they touch or overlap). */
static int box_gap(const image_box_t *a, const image_box_t *b)
{
    const int gy = a->y0 > b->y1 ? a->y0 - b->y1 : b->y0 > a->y1 ? b->y0 - a->y1 : 0;
    const int gx = a->x0 > b->x1 ? a->x0 - b->x1 : b->x0 > a->x1 ? b->x0 - a->x1 : 0;
    return gy > gx ? gy : gx;
}

static void box_join(image_box_t *a, const image_box_t *b)
{
    if (b->y0 < a->y0) a->y0 = b->y0;
    if (b->y1 > a->y1) a->y1 = b->y1;
    if (b->x0 < a->x0) a->x0 = b->x0;
    if (b->x1 > a->x1) a->x1 = b->x1;
}

static int by_area_desc(const void *a, const void *b)
{
    const blob_t *const *x = a, *const *y = b;
    return (*x)->area < (*y)->area ? 1 : (*x)->area > (*y)->area ? -1 : 0;
}

/* Marks the digit's components kept and returns its box; -1 if none is
 * strong. cand has room for every label. */
static int choose_digit(blob_t *blobs, int count, blob_t **cand, image_box_t *box)
{
    int n = 0;
    for (int l = 1; l < count; l++)
        if (blobs[l].area && blobs[l].strong)
            cand[n++] = &blobs[l];
    if (!n)
        return -1;
    qsort(cand, (size_t)n, sizeof *cand, by_area_desc);
    if (n > BLOBS_CANDIDATES + 1)
        n = BLOBS_CANDIDATES + 1;
    cand[0]->kept = 1;
    *box = cand[0]->box;
    const double min_area = BLOBS_MIN_SHARE * (double)cand[0]->area;
    for (int grew = 1; grew;) {
        grew = 0;
        const int h = box->y1 - box->y0 + 1, w = box->x1 - box->x0 + 1;
        const double reach = BLOBS_REACH * (h > w ? h : w) + 1.0;
        for (int k = 1; k < n; k++)
            if (!cand[k]->kept && (double)cand[k]->area >= min_area &&
                box_gap(box, &cand[k]->box) <= reach) {
                cand[k]->kept = 1;
                box_join(box, &cand[k]->box);
                grew = 1;
            }
    }
    return 0;
}

int image_blobs_digit(const image_t *ink, int t_lo, int t_hi, image_t *mask, image_box_t *box)
{
    const size_t n = (size_t)ink->height * (size_t)ink->width;
    int *label = malloc(n * sizeof *label);             /* [h, w] */
    int *parent = malloc((n + 1) * sizeof *parent);     /* [labels] */
    blob_t *blobs = NULL;
    blob_t **cand = NULL;
    int rc = -1;
    memset(mask, 0, sizeof *mask);
    if (!label || !parent) {
        error_set("out of memory finding the digit in a %d x %d picture", ink->width,
                  ink->height);
        goto done;
    }
    const int count = label_pass(ink, t_lo, label, parent);
    blobs = calloc((size_t)count, sizeof *blobs);
    cand = malloc((size_t)count * sizeof *cand);
    if (!blobs || !cand) {
        error_set("out of memory for %d ink components", count);
        goto done;
    }
    measure_blobs(ink, t_hi, label, parent, blobs);
    if (choose_digit(blobs, count, cand, box) < 0) {
        error_set("no ink found: nothing reaches the ink threshold %d", t_hi);
        goto done;
    }
    if (image_alloc(mask, ink->height, ink->width) < 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        mask->pixels[i] = label[i] && blobs[label[i]].kept;
    rc = 0;
done:
    free(label);
    free(parent);
    free(blobs);
    free(cand);
    return rc;
}
