/* Tests of ckptdir, the checkpoints of a run directory: names that sort as
 * positions and the names that are not checkpoints; listing newest first
 * and beside a position; links replaced atomically; a save that writes a
 * loadable checkpoint and moves latest.h5 and best.h5; pruning that keeps
 * the newest and best.h5's and names what it could not delete; the
 * temporaries of a killed run removed and nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnmpi/ckptdir.h"
#include "nnmpi/config.h"
#include "nnmpi/error.h"
#include "nnmpi/rng.h"
#include "testutil.h"

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void touch(const char *dir, const char *name)
{
    CU_ASSERT_FATAL(testutil_write_file(testutil_path(dir, name), "x", 1) == 0);
}

/* The checkpoint of epoch e, step s in dir, as an empty stand-in file. */
static void touch_ckpt(const char *dir, int e, int64_t s)
{
    char path[4096];
    CU_ASSERT_FATAL(ckptdir_path(dir, e, s, path, sizeof path) == 0);
    CU_ASSERT_FATAL(testutil_write_file(path, "x", 1) == 0);
}

static void test_names(void)
{
    char path[64];
    int e = -1;
    int64_t s = -1;
    CU_ASSERT_EQUAL(ckptdir_path("run", 12, 345, path, sizeof path), 0);
    CU_ASSERT_STRING_EQUAL(path, "run/ckpt-e000012-s00000000345.h5");
    CU_ASSERT_TRUE(ckptdir_parse_name(path + strlen("run/"), &e, &s));
    CU_ASSERT_EQUAL(e, 12);
    CU_ASSERT_EQUAL(s, 345);
    CU_ASSERT_TRUE(ckptdir_parse_name("ckpt-e000000-s00000000000.h5", NULL, NULL));
    static const char *const not_checkpoints[] = {
        "ckpt-e000012-s00000000345.h5x", "ckpt-e000012-s0000000345.h5", "ckpt-e00001a-s00000000345.h5",
        "ckpt-e-00001-s00000000345.h5",  "latest.h5",                   "ckpt-e000012-s00000000345.h5.tmp.h.1",
        "model.h5",                      "",
    };
    for (size_t i = 0; i < sizeof not_checkpoints / sizeof *not_checkpoints; i++)
        CU_ASSERT_FALSE(ckptdir_parse_name(not_checkpoints[i], NULL, NULL));
    /* a path that does not fit is refused, naming the directory */
    CU_ASSERT_EQUAL(ckptdir_path("a-run-directory", 1, 0, path, 20), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "a-run-directory"));
}

static void test_lists(void)
{
    char *dir = testutil_tmpdir();
    strlist_t none = ckptdir_list(testutil_path(dir, "absent"));
    CU_ASSERT_EQUAL(none.count, 0);
    touch_ckpt(dir, 2, 0);
    touch_ckpt(dir, 1, 500);
    touch_ckpt(dir, 10, 0);
    touch_ckpt(dir, 2, 7);
    touch(dir, "model.h5");
    touch(dir, "notes.txt");
    strlist_t all = ckptdir_list(dir);
    CU_ASSERT_EQUAL_FATAL(all.count, 4);
    CU_ASSERT_STRING_EQUAL(all.items[0], "ckpt-e000010-s00000000000.h5");
    CU_ASSERT_STRING_EQUAL(all.items[1], "ckpt-e000002-s00000000007.h5");
    CU_ASSERT_STRING_EQUAL(all.items[3], "ckpt-e000001-s00000000500.h5");
    strlist_t after = ckptdir_list_beside(dir, 2, 0, 0);
    CU_ASSERT_EQUAL_FATAL(after.count, 2);
    CU_ASSERT_STRING_EQUAL(after.items[1], "ckpt-e000002-s00000000007.h5");
    strlist_t before = ckptdir_list_beside(dir, 2, 0, 1);
    CU_ASSERT_EQUAL_FATAL(before.count, 1);
    CU_ASSERT_STRING_EQUAL(before.items[0], "ckpt-e000001-s00000000500.h5");
    strlist_t every = ckptdir_list_beside(dir, -1, 0, 0);
    CU_ASSERT_EQUAL(every.count, 4);
    strlist_free(&all);
    strlist_free(&after);
    strlist_free(&before);
    strlist_free(&every);
    testutil_rmtree(dir);
    free(dir);
}

static void test_links(void)
{
    char *dir = testutil_tmpdir();
    char name[256];
    ckptdir_link_target(dir, "latest.h5", name, sizeof name);
    CU_ASSERT_STRING_EQUAL(name, "");
    CU_ASSERT_EQUAL(ckptdir_set_link(dir, "latest.h5", "ckpt-e000001-s00000000000.h5"), 0);
    CU_ASSERT_EQUAL(ckptdir_set_link(dir, "latest.h5", "ckpt-e000002-s00000000000.h5"), 0);
    ckptdir_link_target(dir, "latest.h5", name, sizeof name);
    CU_ASSERT_STRING_EQUAL(name, "ckpt-e000002-s00000000000.h5");
    strlist_t left = ckptdir_list(dir); /* links are not checkpoints, temporaries gone */
    CU_ASSERT_EQUAL(left.count, 0);
    char tmp[64];
    snprintf(tmp, sizeof tmp, ".latest.h5.tmp.%ld", (long)getpid());
    CU_ASSERT_FALSE(exists(testutil_path(dir, tmp)));
    /* a link that cannot be made is an error naming it */
    CU_ASSERT_EQUAL(ckptdir_set_link(testutil_path(dir, "absent"), "best.h5", "x"), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "best.h5"));
    strlist_free(&left);
    testutil_rmtree(dir);
    free(dir);
}

static void save_at(const char *dir, const net_t *net, ckpt_meta_t *meta, int epoch, int best)
{
    meta->epoch = epoch;
    char path[4096];
    CU_ASSERT_EQUAL_FATAL(ckptdir_save(dir, net, meta, best, path, sizeof path), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(path, "ckpt-e0000"));
}

static void test_save_and_prune(void)
{
    char *dir = testutil_tmpdir();
    net_t net, back;
    rng_t rng;
    CU_ASSERT_FATAL(net_init(&net, 4, 3, 2) == 0);
    rng_seed(&rng, 5, 0);
    net_init_weights(&net, &rng);
    ckpt_meta_t meta, got;
    memset(&meta, 0, sizeof meta);
    config_t cfg;
    config_defaults(&cfg);
    meta.config_text = config_to_text(&cfg);
    meta.world_size = 1;
    meta.tensor_parallel = 1;
    snprintf(meta.run_id, sizeof meta.run_id, "0011223344556677");
    for (int e = 1; e <= 5; e++)
        save_at(dir, &net, &meta, e, e == 2);
    char name[256];
    ckptdir_link_target(dir, "latest.h5", name, sizeof name);
    CU_ASSERT_STRING_EQUAL(name, "ckpt-e000005-s00000000000.h5");
    ckptdir_link_target(dir, "best.h5", name, sizeof name);
    CU_ASSERT_STRING_EQUAL(name, "ckpt-e000002-s00000000000.h5");
    int read = ckpt_read(testutil_path(dir, "latest.h5"), &back, &got);
    if (read != 0)
        fprintf(stderr, "%s\n", error_message());
    CU_ASSERT_EQUAL_FATAL(read, 0);
    CU_ASSERT_EQUAL(got.epoch, 5);
    CU_ASSERT_EQUAL(memcmp(back.params, net.params, net.n_params * sizeof(float)), 0);
    net_free(&back);
    ckpt_meta_free(&got);

    /* the newest 2 and best.h5's stay */
    CU_ASSERT_EQUAL(ckptdir_prune(dir, 2), 0);
    strlist_t left = ckptdir_list(dir);
    CU_ASSERT_EQUAL_FATAL(left.count, 3);
    CU_ASSERT_STRING_EQUAL(left.items[0], "ckpt-e000005-s00000000000.h5");
    CU_ASSERT_STRING_EQUAL(left.items[1], "ckpt-e000004-s00000000000.h5");
    CU_ASSERT_STRING_EQUAL(left.items[2], "ckpt-e000002-s00000000000.h5");
    strlist_free(&left);

    /* what cannot be deleted (here a directory of that name) is named */
    CU_ASSERT_FATAL(mkdir(testutil_path(dir, "ckpt-e000000-s00000000001.h5"), 0755) == 0);
    touch(testutil_path(dir, "ckpt-e000000-s00000000001.h5"), "inside");
    CU_ASSERT_EQUAL(ckptdir_prune(dir, 1), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "ckpt-e000000-s00000000001.h5"));
    CU_ASSERT_FALSE(exists(testutil_path(dir, "ckpt-e000004-s00000000000.h5")));
    CU_ASSERT_TRUE(exists(testutil_path(dir, "ckpt-e000002-s00000000000.h5")));
    net_free(&net);
    free(meta.config_text);
    testutil_rmtree(dir);
    free(dir);
}

static void test_clean_temporaries(void)
{
    char *dir = testutil_tmpdir();
    static const char *const temporaries[] = {
        "ckpt-e000001-s00000000000.h5.tmp.node7.123", "model.h5.tmp.node7.123",
        "metrics.csv.tmp.node7.9", "config.ini.tmp.h.1", ".latest.h5.tmp.77", ".best.h5.tmp.78",
    };
    static const char *const kept[] = {
        "ckpt-e000001-s00000000000.h5", "model.h5", "notes.tmp.1", "mine.tmp.node7.5", "metrics.csv",
    };
    for (size_t i = 0; i < sizeof temporaries / sizeof *temporaries; i++)
        touch(dir, temporaries[i]);
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        touch(dir, kept[i]);
    ckptdir_clean_temporaries(dir);
    for (size_t i = 0; i < sizeof temporaries / sizeof *temporaries; i++)
        CU_ASSERT_FALSE(exists(testutil_path(dir, temporaries[i])));
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        CU_ASSERT_TRUE(exists(testutil_path(dir, kept[i])));
    ckptdir_clean_temporaries(testutil_path(dir, "absent")); /* no directory: nothing to do */
    testutil_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"names sort as positions; other names are not checkpoints", test_names},
        {"listing newest first, after and before a position", test_lists},
        {"links replaced atomically, no temporary left", test_links},
        {"save moves latest/best; prune keeps newest and best, names failures",
         test_save_and_prune},
        {"a killed run's temporaries go, other files stay", test_clean_temporaries},
        {NULL, NULL},
    };
    return testutil_run("ckptdir", cases);
}
