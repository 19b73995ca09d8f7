/* query: the picture list (files as given, a folder's regular *.png files in
 * name order, its other *.png entries passed over with a reason, a folder
 * without PNGs refused), the answer read off the outputs (digit, runner-up,
 * ties), one forward pass per picture, and the loop over a list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "nnmpi/query.h"
#include "testutil.h"

static void touch(const char *path)
{
    CU_ASSERT_FATAL(testutil_write_file(path, "x", 1) == 0);
}

static void test_list(void)
{
    char *dir = testutil_tmpdir();
    const char *pics = testutil_path(dir, "pics");
    CU_ASSERT_FATAL(mkdir(pics, 0755) == 0);
    static const char *const names[] = {"b.png", "a.PNG", "c.png", ".hidden.png", "notes.txt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", pics, names[i]);
        touch(path);
    }
    char sub[4200], fifo[4200];
    snprintf(sub, sizeof sub, "%s/folder.png", pics);
    snprintf(fifo, sizeof fifo, "%s/pipe.png", pics);
    CU_ASSERT_FATAL(mkdir(sub, 0755) == 0 && mkfifo(fifo, 0644) == 0);

    query_list_t list = {0};
    CU_ASSERT_EQUAL(query_list_add(&list, "given/as/is.png"), 0);   /* a file: as it is */
    CU_ASSERT_EQUAL_FATAL(query_list_add(&list, pics), 0);
    CU_ASSERT_EQUAL_FATAL(list.paths.count, 4);
    CU_ASSERT_STRING_EQUAL(list.paths.items[0], "given/as/is.png");
    CU_ASSERT_PTR_NOT_NULL(strstr(list.paths.items[1], "/a.PNG"));   /* name order, any case */
    CU_ASSERT_PTR_NOT_NULL(strstr(list.paths.items[3], "/c.png"));
    CU_ASSERT_EQUAL_FATAL(list.skipped.count, 2);   /* the sub-folder and the FIFO, with why */
    CU_ASSERT_PTR_NOT_NULL(strstr(list.skipped.items[0], "folder.png"));
    CU_ASSERT_PTR_NOT_NULL(strstr(list.skipped.items[1], "a FIFO"));

    const char *empty = testutil_path(dir, "empty");
    CU_ASSERT_FATAL(mkdir(empty, 0755) == 0);
    CU_ASSERT_EQUAL(query_list_add(&list, empty), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "holds no PNG"));
    query_list_free(&list);
    testutil_rmtree(dir);
    free(dir);
}

static void test_answer(void)
{
    const float o[10] = {0.1f, 0.7f, 0.2f, 0.9f, 0.0f, 0.7f, 0.3f, 0.1f, 0.05f, 0.0f};
    query_answer_t a = query_answer(o, 10);
    CU_ASSERT_EQUAL(a.digit, 3);
    CU_ASSERT_EQUAL(a.runner_up, 1);   /* 1 and 5 tie: the first */
    CU_ASSERT_DOUBLE_EQUAL(a.confidence, 0.9, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(a.runner_up_confidence, 0.7, 1e-6);
    const float one[1] = {0.4f};
    a = query_answer(one, 1);
    CU_ASSERT_EQUAL(a.digit, 0);
    CU_ASSERT_EQUAL(a.runner_up, -1);
}

/* query_ask: the network's answer to a 28x28 picture, the same as the
 * forward pass of the picture scaled as training scales it. */
static void test_ask(void)
{
    net_t net;
    testutil_random_net(&net, IMAGE_PIXELS, 20, 10, 3);
    net_work_t work;
    CU_ASSERT_FATAL(net_work_init(&work, &net, 1) == 0);
    uint8_t px[IMAGE_PIXELS], label;
    testutil_synthetic_digits(px, &label, 1, 5);
    query_answer_t a = query_ask(&net, &work, px);
    float o[10];
    memcpy(o, work.o, sizeof o);
    net_scale_input(px, work.x, IMAGE_PIXELS);
    net_forward(&net, &work, 1);
    CU_ASSERT_EQUAL(memcmp(o, work.o, sizeof o), 0);
    CU_ASSERT_EQUAL(a.digit, net_argmax(o, 10));
    CU_ASSERT_EQUAL(a.confidence, o[a.digit]);
    net_work_free(&work);
    net_free(&net);
}

/* What the hooks of a query_run saw. */
typedef struct {
    int answered, failed, warned;
    int stop_after;            /* the answered hook stops the run at this answer; 0: never */
    char last_failure[256];
    uint8_t first_seen[IMAGE_PIXELS];
} seen_t;

static int hook_answered(void *ctx, const char *path, const uint8_t *px, const query_answer_t *a)
{
    seen_t *s = ctx;
    (void)path;
    CU_ASSERT(a->digit >= 0 && a->digit < 10);
    if (s->answered++ == 0)
        memcpy(s->first_seen, px, IMAGE_PIXELS);
    return s->answered == s->stop_after ? error_set("out.png: cannot write") : 0;
}

static void hook_failed(void *ctx, const char *message)
{
    seen_t *s = ctx;
    s->failed++;
    snprintf(s->last_failure, sizeof s->last_failure, "%s", message);
}

static void hook_warn(void *ctx, const char *message)
{
    (void)message;
    ((seen_t *)ctx)->warned++;
}

/* query_run: every picture normalised by the frame and answered, the bad
 * ones named and counted, the run stopped by a hook that fails. */
static void test_run(void)
{
    char *dir = testutil_tmpdir();
    uint8_t ink[IMAGE_PIXELS], label;
    testutil_synthetic_digits(ink, &label, 1, 7);
    image_t img = {IMAGE_SIDE, IMAGE_SIDE, ink};   /* written dark on light, as people draw */
    query_list_t list = {0};
    const char *good = testutil_path(dir, "good.png"), *bad = testutil_path(dir, "bad.png");
    CU_ASSERT_FATAL(image_write_png(good, &img, 1, IMAGE_HIGH_DARK) == 0);
    CU_ASSERT_FATAL(testutil_write_file(bad, "not a png", 9) == 0);
    CU_ASSERT_FATAL(strlist_add(&list.paths, good) == 0 && strlist_add(&list.paths, bad) == 0 &&
                    strlist_add(&list.paths, good) == 0);
    net_t net;
    testutil_random_net(&net, IMAGE_PIXELS, 20, 10, 3);

    seen_t s = {0};
    query_run_opts_t run = {.frame = IMAGE_FRAME_BOOK, .height = IMAGE_SIDE,
                            .width = IMAGE_SIDE, .ctx = &s, .answered = hook_answered,
                            .failed = hook_failed, .warn = hook_warn};
    size_t answered, failed;
    CU_ASSERT_EQUAL(query_run(&net, &list, &run, &answered, &failed), 0);
    CU_ASSERT(answered == 2 && failed == 1 && s.answered == 2 && s.failed == 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.last_failure, "bad.png"));
    CU_ASSERT_EQUAL(memcmp(s.first_seen, ink, IMAGE_PIXELS), 0);   /* the book's 255 - x */

    s = (seen_t){.stop_after = 1};   /* an output that cannot be written stops the run */
    CU_ASSERT_EQUAL(query_run(&net, &list, &run, &answered, &failed), -1);
    CU_ASSERT(s.answered == 1 && s.failed == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "out.png"));

    run.height = 14;   /* a frame of 28x28 pictures for a model of 784 inputs only */
    CU_ASSERT_EQUAL(query_run(&net, &list, &run, &answered, &failed), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "784 inputs"));
    query_list_free(&list);
    net_free(&net);
    testutil_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"pictures: files as given, a folder's PNGs in order, others passed over", test_list},
        {"the answer: digit, runner-up, confidences", test_answer},
        {"query_ask: one forward pass of the scaled picture", test_ask},
        {"query_run: each picture answered or named, a failing hook stops it", test_run},
        {NULL, NULL},
    };
    return testutil_run("query", cases);
}
