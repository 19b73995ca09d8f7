/* query: the trained network seen from outside: answering a person's own
 * pictures, and drawing back-queries (the network run backwards). Shared
 * by `nnmpi query`, `nnmpi backquery` and rank 0 of `nnmpi train`. */
#ifndef NNMPI_QUERY_H
#define NNMPI_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "nnmpi/image.h"
#include "nnmpi/net.h"
#include "nnmpi/strlist.h"

#define QUERY_MAX_OUTPUTS 64

/* A list of picture paths. */
typedef struct {
    strlist_t paths;
    /* why entries of listed folders were passed over, one warning each
     * ("DIR/x.png: a FIFO, not a picture file; skipped") */
    strlist_t skipped;
} query_list_t;

/* Adds path: a PNG file as it is, or a folder's *.png files (any case, no
 * hidden files) in name order. Only regular files are pictures: the
 * folder's other *.png entries (FIFOs, sockets, sub-folders...) go to
 * list->skipped. A folder that cannot be listed or holds no PNG is an error
 * naming it. */
int query_list_add(query_list_t *list, const char *path);
void query_list_free(query_list_t *list);

/* What the network answered for one picture. */
typedef struct {
    int digit, runner_up;
    float confidence, runner_up_confidence;   /* the output neurons' values */
} query_answer_t;

/* The answer read off the outputs o[n]. */
query_answer_t query_answer(const float *o, int n);

/* The one forward pass of a normalised picture px [net->n_in] (ink,
 * 0..255, as image_normalise writes it), shared by query, train's [query]
 * images and serve: the answer, and the outputs in work->o [n_out] (work's
 * capacity >= 1; one work per thread). */
query_answer_t query_ask(const net_t *net, net_work_t *work, const uint8_t *px);

/* What query_run does with a list of pictures besides answering them. The
 * frame and size are required; every hook is optional, and each gets ctx. */
typedef struct {
    image_frame_t frame;   /* how a picture is made (image.h); mnist and book make 28x28 */
    int height, width;     /* the model's pictures: height * width = net->n_in */
    const char *montage_path;   /* a labelled montage of what the network saw; NULL: none */
    void *ctx;
    /* the picture at path into px [height * width] instead of
     * query_normalise (to trace the steps, say): 0, -1 (the picture
     * failed, the message names it) or -2 (an output of the hook's could
     * not be written: the run stops) */
    int (*normalise)(void *ctx, const char *path, uint8_t *px);
    /* the answer to the picture at path, px what the network saw; < 0
     * stops the run (an output could not be written) */
    int (*answered)(void *ctx, const char *path, const uint8_t *px, const query_answer_t *a);
    /* a picture that failed; the message names it */
    void (*failed)(void *ctx, const char *message);
    /* the montage could not be made ("no montage: ..."): no reason to fail */
    void (*warn)(void *ctx, const char *message);
} query_run_opts_t;

/* The picture at path (a PNG) made into the model's frame: px [h * w];
 * mnist and book need h = w = 28. Every message names path. */
int query_normalise(const char *path, image_frame_t frame, int h, int w, uint8_t *px);

/* The one loop of `nnmpi query` and train's [query] images: each picture
 * of list normalised, answered with net and handed to the hooks, then the
 * montage. A failed picture is counted in *failed and the others are still
 * answered; list->skipped is the caller's to report. -1 (the message set)
 * if the run could not start or a hook stopped it. */
int query_run(const net_t *net, const query_list_t *list, const query_run_opts_t *opts,
              size_t *answered, size_t *failed);

/* A labelled montage ("7 (0.98)") of n normalised h x w pictures [n, h*w]. */
int query_write_montage(const char *path, const uint8_t *seen, int h, int w,
                        const query_answer_t *answers, size_t n);

/* Back-queries target [net->n_out] into an h x w picture (h * w =
 * net->n_in) and writes DIR/backquery_NAME.png and, for scale > 1,
 * DIR/backquery_NAME_xSCALE.png; px receives the picture [h * w] (0..255,
 * high = strong signal). */
int query_backquery_png(const net_t *net, int h, int w, const float *target, const char *dir,
                        const char *name, int scale, uint8_t *px);

/* The back-query of every class (0.99 for it, 0.01 for the others):
 * DIR/backquery_D.png (+ enlarged copies) and DIR/backquery_all.png, the
 * labelled montage, of h x w pictures. DIR is made if missing. */
int query_backquery_all(const net_t *net, int h, int w, const char *dir, int scale);

#endif
