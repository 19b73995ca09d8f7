#include "nnmpi/watchdog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/exitstatus.h"
#include "nnmpi/log.h"

static atomic_llong timeout_ns;   /* 0: disabled */
static atomic_llong waiting_since; /* CLOCK_MONOTONIC ns; 0: not in a collective */
static const char *_Atomic waiting_what;
static atomic_int waiting_epoch;
static atomic_llong waiting_step;
static int started;
static void (*last_words)(int status, void *arg);
static void *last_words_arg;

static long long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void watchdog_describe(char *buf, size_t size)
{
    const char *what = atomic_load(&waiting_what);
    int epoch = atomic_load(&waiting_epoch);
    long long step = atomic_load(&waiting_step);
    if (!what || atomic_load(&waiting_since) == 0)
        snprintf(buf, size, "an MPI call");
    else if (epoch > 0)
        snprintf(buf, size, "%s at epoch %d step %lld", what, epoch, step);
    else
        snprintf(buf, size, "%s", what);
}

void watchdog_say_last_words(int status)
{
    if (last_words)
        last_words(status, last_words_arg);
    fflush(stdout);
}

static void give_up(long long waited_ns)
{
    char where[160];
    watchdog_describe(where, sizeof where);
    log_error("no answer from the other ranks for %.0f s in %s ([train] stall_timeout): a rank "
              "is stopped or hung (kill -STOP, a hung file system, a swapping node) or the "
              "network between hosts failed; ending the job (exit status %d); the last "
              "checkpoint stays, continue with --resume auto",
              waited_ns / 1e9, where, EXIT_STALLED);
    watchdog_say_last_words(EXIT_STALLED);
    _exit(EXIT_STALLED);
}

static void *watch(void *unused)
{
    (void)unused;
    for (;;) {
        struct timespec tick = {0, 250000000}; /* a quarter second */
        nanosleep(&tick, NULL);
        long long limit = atomic_load(&timeout_ns), since = atomic_load(&waiting_since);
        if (limit <= 0 || since == 0)
            continue;
        long long waited = monotonic_ns() - since;
        if (waited > limit && atomic_load(&waiting_since) == since)
            give_up(waited);
    }
    return NULL;
}

int watchdog_start(double timeout_s)
{
    atomic_store(&timeout_ns, (long long)(timeout_s * 1e9));
    if (started)
        return 0;
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&thread, &attr, watch, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return error_set("cannot start the stall watchdog thread");
    started = 1;
    return 0;
}

void watchdog_on_give_up(void (*say)(int status, void *arg), void *arg)
{
    last_words_arg = arg;
    last_words = say;
}

void watchdog_enter(const char *what, int epoch, int64_t step)
{
    atomic_store_explicit(&waiting_what, what, memory_order_relaxed);
    if (epoch >= 0) {
        atomic_store_explicit(&waiting_epoch, epoch, memory_order_relaxed);
        atomic_store_explicit(&waiting_step, (long long)step, memory_order_relaxed);
    }
    atomic_store_explicit(&waiting_since, monotonic_ns(), memory_order_release);
}

void watchdog_leave(void)
{
    atomic_store_explicit(&waiting_since, 0, memory_order_release);
}
