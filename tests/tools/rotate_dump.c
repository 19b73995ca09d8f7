/* rotate_dump: rotates some images of an IDX file with augment_rotate and
 * writes the raw bytes, for comparison with scipy (tests/e2e/rotation_vs_scipy.sh).
 *
 *   rotate_dump IMAGES_IDX LABELS_IDX FIRST COUNT ANGLE OUT.raw
 *
 * OUT.raw holds COUNT images [COUNT, rows, cols] uint8, fill 0, made with
 * augment_rotate; augment_rotate_many must give the same bytes. The speed of
 * both is printed to stderr in images/s. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnmpi/augment.h"
#include "nnmpi/error.h"
#include "nnmpi/idx.h"

static int parse_long(const char *s, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return (errno || end == s || *end) ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s IMAGES_IDX LABELS_IDX FIRST COUNT ANGLE OUT.raw\n", argv[0]);
        return 2;
    }
    long long first, count;
    char *end;
    double angle = strtod(argv[5], &end);
    if (parse_long(argv[3], &first) || parse_long(argv[4], &count) || first < 0 || count < 0 ||
        end == argv[5] || *end) {
        fprintf(stderr, "rotate_dump: FIRST and COUNT must be whole numbers >= 0 and ANGLE a number\n");
        return 2;
    }
    imageset_t set = {0};
    if (idx_read(argv[1], argv[2], &set) != 0) {
        fprintf(stderr, "rotate_dump: %s\n", error_message());
        return 1;
    }
    if (first + count > set.count) {
        fprintf(stderr, "rotate_dump: images [%lld, %lld) requested but %s holds %lld\n", first,
                first + count, argv[1], (long long)set.count);
        imageset_free(&set);
        return 1;
    }
    size_t size = (size_t)imageset_image_size(&set);
    uint8_t *out = malloc(count ? (size_t)count * size : 1); /* [count, rows, cols] */
    if (!out) {
        fprintf(stderr, "rotate_dump: out of memory\n");
        imageset_free(&set);
        return 1;
    }
    /* the output comes from augment_rotate; augment_rotate_many must agree
     * with it byte for byte */
    uint8_t *many = malloc(count ? (size_t)count * size : 1);
    if (!many) {
        fprintf(stderr, "rotate_dump: out of memory\n");
        free(out);
        imageset_free(&set);
        return 1;
    }
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long long i = 0; i < count; i++)
        augment_rotate(imageset_image(&set, first + i), out + (size_t)i * size, set.height,
                       set.width, angle, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = augment_rotate_many(imageset_image(&set, first), many, count, set.height,
                                 set.width, angle, 0);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (rc != 0 || memcmp(out, many, (size_t)count * size) != 0) {
        fprintf(stderr, "rotate_dump: augment_rotate_many %s\n",
                rc ? error_message() : "differs from augment_rotate");
        free(many);
        free(out);
        imageset_free(&set);
        return 1;
    }
    free(many);
    double s1 = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    double s2 = (double)(t2.tv_sec - t1.tv_sec) + 1e-9 * (double)(t2.tv_nsec - t1.tv_nsec);
    fprintf(stderr, "rotate_dump: %lld images: augment_rotate %.0f images/s, "
            "augment_rotate_many %.0f images/s (identical output)\n", count,
            s1 > 0 ? (double)count / s1 : 0.0, s2 > 0 ? (double)count / s2 : 0.0);

    FILE *f = fopen(argv[6], "wb");
    int ok = f && fwrite(out, 1, (size_t)count * size, f) == (size_t)count * size;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "rotate_dump: %s: cannot write: %s\n", argv[6], strerror(errno));
    free(out);
    imageset_free(&set);
    return ok ? 0 : 1;
}
