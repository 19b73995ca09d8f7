/* augment_ahead: distortions made a batch ahead on a helper thread
 * (augment_ahead.h, which says what each thread touches). */
#include "nnmpi/augment_ahead.h"

#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

/* Distorts the images of slot s this thread claims, with scratch `live`;
 * returns how many it did. Outside the mutex: the claims are atomic and
 * each image's bytes belong to the one thread that claimed it. */
static int distort_claimed(augment_ahead_t *a, augment_slot_t *s, augment_live_t *live)
{
    const size_t size = (size_t)a->h * (size_t)a->w;
    int did = 0;
    for (int i; (i = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed)) < s->count;
         did++)
        augment_live_apply(live, a->seed, s->epoch, s->row[i], s->src[i], s->out + i * size);
    return did;
}

/* The started slot with unclaimed images that was started first, or NULL. */
static augment_slot_t *oldest_work(augment_ahead_t *a)
{
    augment_slot_t *best = NULL;
    for (int k = 0; k < 2; k++) {
        augment_slot_t *s = &a->slot[k];
        if (s->started && atomic_load(&s->next) < s->count && (!best || s->ticket < best->ticket))
            best = s;
    }
    return best;
}

static void *helper_main(void *arg)
{
    augment_ahead_t *a = arg;
    pthread_mutex_lock(&a->mutex);
    while (!a->quit) {
        augment_slot_t *s = oldest_work(a);
        if (!s) {
            pthread_cond_wait(&a->wake, &a->mutex);
            continue;
        }
        s->helpers++; /* the slot's lists stay as they are while we are in */
        pthread_mutex_unlock(&a->mutex);
        int did = distort_claimed(a, s, &a->helper);
        pthread_mutex_lock(&a->mutex);
        s->done += did;
        s->helpers--;
        pthread_cond_broadcast(&a->progress);
    }
    pthread_mutex_unlock(&a->mutex);
    return NULL;
}

int augment_ahead_init(augment_ahead_t *a, const augment_live_params_t *p, uint64_t seed,
                       int h, int w, int capacity, int threaded)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mutex, NULL);
    pthread_cond_init(&a->wake, NULL);
    pthread_cond_init(&a->progress, NULL);
    a->seed = seed;
    a->h = h;
    a->w = w;
    a->capacity = capacity; /* also: the mutex and conditions exist */
    if (augment_live_init(&a->mine, p, h, w) < 0 || augment_live_init(&a->helper, p, h, w) < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        augment_slot_t *s = &a->slot[k];
        s->src = malloc((size_t)capacity * sizeof *s->src);
        s->row = malloc((size_t)capacity * sizeof *s->row);
        s->out = malloc((size_t)capacity * (size_t)h * (size_t)w);
        if (!s->src || !s->row || !s->out)
            return error_set("out of memory for the distorted images of a batch");
    }
    if (threaded && pthread_create(&a->thread, NULL, helper_main, a) != 0)
        return error_set("cannot start the thread that distorts the next batch");
    a->threaded = threaded;
    return 0;
}

void augment_ahead_free(augment_ahead_t *a)
{
    if (a->threaded) {
        pthread_mutex_lock(&a->mutex);
        a->quit = 1;
        pthread_cond_broadcast(&a->wake);
        pthread_mutex_unlock(&a->mutex);
        pthread_join(a->thread, NULL);
    }
    if (a->capacity) {
        pthread_mutex_destroy(&a->mutex);
        pthread_cond_destroy(&a->wake);
        pthread_cond_destroy(&a->progress);
    }
    for (int k = 0; k < 2; k++) {
        free(a->slot[k].src);
        free(a->slot[k].row);
        free(a->slot[k].out);
    }
    augment_live_free(&a->mine);
    augment_live_free(&a->helper);
    memset(a, 0, sizeof *a);
}

void augment_ahead_add(augment_ahead_t *a, int s, const uint8_t *src, int64_t row)
{
    augment_slot_t *slot = &a->slot[s];
    slot->src[slot->count] = src;
    slot->row[slot->count++] = row;
}

void augment_ahead_start(augment_ahead_t *a, int s, int epoch)
{
    augment_slot_t *slot = &a->slot[s];
    pthread_mutex_lock(&a->mutex);
    slot->epoch = epoch;
    slot->done = 0;
    atomic_store(&slot->next, 0);
    slot->ticket = ++a->tickets;
    slot->started = 1;
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->mutex);
}

const uint8_t *augment_ahead_finish(augment_ahead_t *a, int s)
{
    augment_slot_t *slot = &a->slot[s];
    int did = distort_claimed(a, slot, &a->mine);
    pthread_mutex_lock(&a->mutex);
    slot->done += did;
    while (slot->done < slot->count || slot->helpers > 0)
        pthread_cond_wait(&a->progress, &a->mutex);
    slot->started = 0;
    slot->count = 0;
    pthread_mutex_unlock(&a->mutex);
    return slot->out;
}

void augment_ahead_drain(augment_ahead_t *a)
{
    for (int k = 0; k < 2; k++)
        if (a->slot[k].started)
            augment_ahead_finish(a, k);
}
