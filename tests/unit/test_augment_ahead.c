/* augment_ahead: the distortions made a batch ahead on the helper thread
 * are byte for byte augment_live_apply's, for batches of every size, with
 * the helper on and off, whether the training thread comes for them at
 * once or late; a slot started and then drained (a stop) leaves the next
 * batch right; freeing with a slot started is safe. */
#include <string.h>
#include <time.h>

#include "nnmpi/augment_ahead.h"
#include "testutil.h"

enum { S = 28, N = S * S, IMAGES = 97, CAP = 40 };

static uint8_t images[IMAGES][N];

static void nap(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Batches of 0..CAP images of rows (k * 7 + i) mod IMAGES, two in flight,
 * against augment_live_apply; returns the images that differed. */
static int run_batches(int threaded, int slow)
{
    const augment_live_params_t p = {.rotate = 12, .shift = 2, .alpha = 34, .sigma = 4,
                                     .probability = 0.7};
    augment_ahead_t a;
    augment_live_t ref;
    CU_ASSERT_FATAL(augment_ahead_init(&a, &p, 9, S, S, CAP, threaded) == 0);
    CU_ASSERT_FATAL(augment_live_init(&ref, &p, S, S) == 0);
    int wrong = 0, counts[2] = {0}, firsts[2] = {0};
    for (int k = 0; k <= 30; k++) {
        int s = k & 1, count = (k * 13) % (CAP + 1);
        if (k < 30) { /* start batch k, then take batch k - 1 */
            for (int i = 0; i < count; i++)
                augment_ahead_add(&a, s, images[(k * 7 + i) % IMAGES], 1000 + (k * 7 + i) % IMAGES);
            augment_ahead_start(&a, s, 3);
            counts[s] = count, firsts[s] = k * 7;
        }
        if (k == 0)
            continue;
        if (slow)
            nap(200); /* the helper gets there first */
        int prev = !s;
        const uint8_t *out = augment_ahead_finish(&a, prev);
        for (int i = 0; i < counts[prev]; i++) {
            uint8_t want[N];
            int row = (firsts[prev] + i) % IMAGES;
            augment_live_apply(&ref, 9, 3, 1000 + row, images[row], want);
            wrong += memcmp(out + i * N, want, N) != 0;
        }
    }
    augment_live_free(&ref);
    augment_ahead_free(&a);
    return wrong;
}

static void test_same_bytes(void)
{
    testutil_synthetic_digits(&images[0][0], NULL, IMAGES, 4);
    CU_ASSERT_EQUAL(run_batches(0, 0), 0);
    CU_ASSERT_EQUAL(run_batches(1, 0), 0);
    CU_ASSERT_EQUAL(run_batches(1, 1), 0);
}

static void test_drain_and_free(void)
{
    const augment_live_params_t p = {.rotate = 5, .alpha = 34, .sigma = 4, .probability = 1};
    augment_ahead_t a;
    CU_ASSERT_FATAL(augment_ahead_init(&a, &p, 1, S, S, CAP, 1) == 0);
    for (int i = 0; i < CAP; i++)
        augment_ahead_add(&a, 0, images[i], i);
    augment_ahead_start(&a, 0, 1);
    augment_ahead_drain(&a);
    augment_ahead_add(&a, 0, images[5], 5);
    augment_ahead_start(&a, 0, 1);
    const uint8_t *out = augment_ahead_finish(&a, 0);
    augment_live_t ref;
    uint8_t want[N];
    CU_ASSERT_FATAL(augment_live_init(&ref, &p, S, S) == 0);
    augment_live_apply(&ref, 1, 1, 5, images[5], want);
    CU_ASSERT_EQUAL(memcmp(out, want, N), 0);
    for (int i = 0; i < CAP; i++) /* freed with a slot at work */
        augment_ahead_add(&a, 1, images[i], i);
    augment_ahead_start(&a, 1, 2);
    augment_ahead_free(&a);
    augment_ahead_free(&a); /* twice */
    augment_live_free(&ref);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"the same bytes as augment_live_apply, helper on and off", test_same_bytes},
        {"drained and freed with work in flight", test_drain_and_free},
        {NULL, NULL},
    };
    return testutil_run("augment_ahead", cases);
}
