/* make_pngs: PNG pictures for the end-to-end tests of nnmpi query.
 *
 *   make_pngs idx IMAGES LABELS OUTDIR N
 *       the first N images of an IDX pair as black-on-white PNGs named
 *       NNNNN-L.png (L the label), in four shapes by turns: 28x28 as is,
 *       enlarged 3x (84x84), placed off-centre on a 44x60 page, and
 *       enlarged 2x on a 70x90 page; so the PNG path sees sizes and
 *       positions that MNIST itself never had.
 *   make_pngs blank OUT.png WIDTH HEIGHT
 *       an empty white page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/idx.h"
#include "nnmpi/image.h"

/* Draws the 28x28 MNIST image (ink high) enlarged `scale` times into page
 * (ink high, 0 = paper) at (x0, y0). */
static void place(image_t *page, const uint8_t *digit, int scale, int x0, int y0)
{
    for (int y = 0; y < 28 * scale; y++)
        for (int x = 0; x < 28 * scale; x++)
            page->pixels[(size_t)(y0 + y) * page->width + x0 + x] = digit[(y / scale) * 28 + x / scale];
}

static int write_pictures(const char *images, const char *labels, const char *dir, long n)
{
    imageset_t set;
    if (idx_read(images, labels, &set) < 0)
        return -1;
    if (n > set.count)
        n = set.count;
    static const struct {
        int w, h, scale, x0, y0;
    } shapes[4] = {{28, 28, 1, 0, 0}, {84, 84, 3, 0, 0}, {44, 60, 1, 11, 25}, {70, 90, 2, 4, 30}};
    int rc = 0;
    for (long i = 0; rc == 0 && i < n; i++) {
        const int s = (int)(i % 4);
        image_t page;
        if ((rc = image_alloc(&page, shapes[s].h, shapes[s].w)) < 0)
            break;
        place(&page, imageset_image(&set, i), shapes[s].scale, shapes[s].x0, shapes[s].y0);
        char path[4096];
        snprintf(path, sizeof path, "%s/%05ld-%d.png", dir, i, set.labels[i]);
        rc = image_write_png(path, &page, 1, IMAGE_HIGH_DARK);   /* ink dark on white */
        image_free(&page);
    }
    imageset_free(&set);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = -1;
    if (argc == 6 && !strcmp(argv[1], "idx")) {
        rc = write_pictures(argv[2], argv[3], argv[4], atol(argv[5]));
    } else if (argc == 5 && !strcmp(argv[1], "blank")) {
        image_t page;
        rc = image_alloc(&page, atoi(argv[4]), atoi(argv[3]));
        if (rc == 0) {
            rc = image_write_png(argv[2], &page, 1, IMAGE_HIGH_DARK);   /* 0 -> white */
            image_free(&page);
        }
    } else {
        fprintf(stderr, "usage: make_pngs idx IMAGES LABELS OUTDIR N | blank OUT.png W H\n");
        return 2;
    }
    if (rc < 0)
        fprintf(stderr, "make_pngs: %s\n", error_message());
    return rc < 0 ? 1 : 0;
}
