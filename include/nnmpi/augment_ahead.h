/* augment_ahead: a batch's fresh distortions (augment_live.h) made on a
 * helper thread while the batch before it trains.
 *
 * Two slots, each a list of (image, global row) and room for their
 * distortions. The training thread fills a slot and starts it; the helper
 * thread distorts its images; augment_ahead_finish hands the distortions
 * back, the training thread distorting what the helper has not reached
 * yet, so that neither core idles when distorting is the slower. Every
 * image is distorted by exactly one thread, by augment_live_apply, whose
 * result depends on (seed, epoch, row) alone: the bytes are the same with
 * the helper or without it (threaded 0), in any interleaving.
 *
 * What each thread touches: the helper, its own augment_live_t scratch, the
 * images it claims (an atomic counter hands out each index once) and, under
 * the mutex, the slot's bookkeeping; the source images are only read. The
 * training thread writes a slot's lists only while the slot is idle (not
 * started, or finished: then no helper is inside it), and reads its
 * distortions only after finish saw, under the mutex, every image done and
 * the helper out of the slot. No MPI call is made here.
 *
 * Nothing here prints or exits; fallible functions return 0 or -1 with a
 * message in error_message(). */
#ifndef NNMPI_AUGMENT_AHEAD_H
#define NNMPI_AUGMENT_AHEAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "nnmpi/augment_live.h"

typedef struct {
    const uint8_t **src;  /* [capacity] the images to distort */
    int64_t *row;         /* [capacity] their global rows */
    uint8_t *out;         /* [capacity, h w] their distortions */
    int count, epoch;
    int started;          /* handed to the helper and not finished yet */
    uint64_t ticket;      /* the order of starting: older first */
    atomic_int next;      /* the first image no thread has claimed */
    int done;             /* images distorted (under the mutex) */
    int helpers;          /* helper threads inside the slot (under the mutex) */
} augment_slot_t;

typedef struct {
    uint64_t seed;
    int h, w, capacity, threaded;
    augment_slot_t slot[2];
    uint64_t tickets;
    augment_live_t mine;    /* the training thread's scratch */
    augment_live_t helper;  /* the helper thread's */
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t wake;     /* work started, or quit */
    pthread_cond_t progress; /* a slot's images done */
    int quit;
} augment_ahead_t;

/* Slots for `capacity` images of h x w, distorted as p says with `seed`;
 * threaded 1 starts the helper thread. 0 or -1 with a message. */
int augment_ahead_init(augment_ahead_t *a, const augment_live_params_t *p, uint64_t seed,
                       int h, int w, int capacity, int threaded);

/* Stops and joins the helper, frees; safe on a zeroed struct. */
void augment_ahead_free(augment_ahead_t *a);

/* Appends image src (global row `row`) to idle slot s (at most capacity). */
void augment_ahead_add(augment_ahead_t *a, int s, const uint8_t *src, int64_t row);

/* Hands slot s's images, to be distorted for `epoch`, to the helper. */
void augment_ahead_start(augment_ahead_t *a, int s, int epoch);

/* Started slot s's distortions [count, h w], in the order added, once all are made
 * (some, or all without the helper, on this thread); the slot is then idle
 * and empty, its distortions valid until it is started again. */
const uint8_t *augment_ahead_finish(augment_ahead_t *a, int s);

/* Finishes any started slot, its distortions unused (a stop, an epoch's
 * end). */
void augment_ahead_drain(augment_ahead_t *a);

#endif
