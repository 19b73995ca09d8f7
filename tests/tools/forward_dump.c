/* forward_dump: a model's outputs on the first images of a dataset's test
 * set, by the forward pass nnmpi eval runs (eval.c: net_scale_input, then
 * net_forward in batches), for comparison with other runtimes
 * (tests/e2e/export_onnx.sh).
 *
 *   forward_dump MODEL.h5 DATA.h5 COUNT IMAGES.u8 SCORES.f32
 *
 * IMAGES.u8: COUNT images [COUNT, 784] uint8 (0 the background);
 * SCORES.f32: the outputs [COUNT, classes], float32 little-endian. */
#include <stdio.h>
#include <stdlib.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/net.h"

#define BATCH 100

static int write_file(const char *path, const void *data, size_t size, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, size, n, f) == n;
    return (f && fclose(f) == 0 && ok) ? 0 : error_set("cannot write %s", path);
}

/* The outputs of images [count, n_in] into scores [count, n_out]. */
static int forward(const net_t *net, const uint8_t *images, int count, float *scores)
{
    net_work_t work;
    if (net_work_init(&work, net, BATCH) < 0)
        return -1;
    for (int start = 0; start < count; start += BATCH) {
        int B = count - start < BATCH ? count - start : BATCH;
        net_scale_input(images + (size_t)start * net->n_in, work.x, (size_t)B * net->n_in);
        net_forward(net, &work, B);
        for (size_t i = 0; i < (size_t)B * net->n_out; i++)
            scores[(size_t)start * net->n_out + i] = work.o[i];
    }
    net_work_free(&work);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: forward_dump MODEL.h5 DATA.h5 COUNT IMAGES.u8 SCORES.f32\n");
        return 2;
    }
    net_t net;
    ckpt_meta_t meta;
    imageset_t set = {0};
    int count = atoi(argv[3]);
    int rc = ckpt_read(argv[1], &net, &meta);
    rc = rc ? rc : dataset_read_split(argv[2], "test", &set);
    if (!rc && (count < 1 || count > set.count || imageset_image_size(&set) != net.n_in))
        rc = error_set("%s has %lld test images of %lld pixels, not %d of %d", argv[2],
                       (long long)set.count, (long long)imageset_image_size(&set), count, net.n_in);
    float *scores = rc ? NULL : malloc((size_t)count * net.n_out * sizeof *scores);
    rc = rc ? rc : scores ? forward(&net, set.pixels, count, scores) : error_set("out of memory");
    rc = rc ? rc : write_file(argv[4], set.pixels, (size_t)net.n_in, (size_t)count);
    rc = rc ? rc : write_file(argv[5], scores, sizeof *scores, (size_t)count * net.n_out);
    if (rc)
        fprintf(stderr, "forward_dump: %s\n", error_message());
    free(scores);
    imageset_free(&set);
    net_free(&net); /* safe after a failed ckpt_read, which leaves both zeroed */
    ckpt_meta_free(&meta);
    return rc ? 1 : 0;
}
