/* runstart_choose_auto, the decision of --resume auto, on run directories
 * of real checkpoint files: latest.h5's checkpoint (the newest of the
 * lineage, not the highest epoch); one of the same lineage past the link
 * (a kill before the link moved); never a write in progress (a temporary),
 * a damaged file or what lies in set-aside folders; the next older one when
 * the newest does not load; model.h5 when no checkpoint is left; nothing,
 * with the run to be set aside, when nothing loads. And what each choice
 * tells runstart_begin to set aside. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnmpi/ckptdir.h"
#include "nnmpi/config.h"
#include "nnmpi/runstart.h"
#include "testutil.h"

static char *dir;
static net_t net;
static ckpt_meta_t meta;

static void setup(void)
{
    dir = testutil_tmpdir();
    testutil_random_net(&net, 4, 3, 2, 5);
    config_t cfg;
    config_defaults(&cfg);
    memset(&meta, 0, sizeof meta);
    meta.config_text = config_to_text(&cfg);
    meta.world_size = meta.tensor_parallel = 1;
}

static void teardown(void)
{
    net_free(&net);
    free(meta.config_text);
    testutil_rmtree(dir);
    free(dir);
}

/* A checkpoint at (epoch, step) of run `id` whose sessions are `lineage`,
 * in folder d; latest.h5 moves to it (as training moves it) when link is
 * set. */
static void save_into(const char *d, int epoch, int64_t step, const char *id,
                      const char *lineage, int link)
{
    meta.epoch = epoch;
    meta.step = step;
    snprintf(meta.run_id, sizeof meta.run_id, "%s", id);
    meta.lineage = (char *)lineage;
    char path[4096];
    if (link) {
        CU_ASSERT_FATAL(ckptdir_save(d, &net, &meta, 0, path, sizeof path) == 0);
    } else {
        CU_ASSERT_FATAL(ckptdir_path(d, epoch, step, path, sizeof path) == 0);
        CU_ASSERT_FATAL(ckpt_write(path, &net, &meta) == 0);
    }
    meta.lineage = NULL;
}

static void save(int epoch, int64_t step, const char *id, const char *lineage, int link)
{
    save_into(dir, epoch, step, id, lineage, link);
}

/* Overwrites dir/name with bytes that are not a checkpoint. */
static void damage(const char *name)
{
    CU_ASSERT_FATAL(testutil_write_text(testutil_path(dir, name), "not HDF5 at all") == 0);
}

/* runstart_choose_auto on dir takes the file `name` ("": none) and tells
 * runstart_begin to set aside `kind` (NULL: nothing) after (epoch, step). */
static void expect_choice(const char *name, const char *kind, int epoch, int64_t step)
{
    runstart_t s = {.lock.fd = -1};
    runstart_choose_auto(&s, dir);
    const char *slash = strrchr(s.path, '/');
    CU_ASSERT_EQUAL(s.found, name[0] != '\0');
    CU_ASSERT_STRING_EQUAL(s.found && slash ? slash + 1 : s.path, name);
    CU_ASSERT_STRING_EQUAL(s.aside_kind ? s.aside_kind : "(nothing)", kind ? kind : "(nothing)");
    if (kind)
        CU_ASSERT(s.aside_epoch == epoch && s.aside_step == step);
    if (s.found)   /* what was read is the file's own position */
        CU_ASSERT(!ckptdir_parse_name(name, NULL, NULL) ||
                  (s.meta.epoch == epoch && s.meta.step == step));
    runstart_free(&s);
}

#define RUN_A "00112233aaaaaaaa"
#define RUN_B "44556677bbbbbbbb"
static const char *const L1 = "2026-01-01 00:00:00 UTC  new run " RUN_A "\n";
static const char *const L12 = "2026-01-01 00:00:00 UTC  new run " RUN_A "\n"
                               "2026-01-02 00:00:00 UTC  resumed ...\n";

static void test_latest_is_the_newest(void)
{
    setup();
    save(1, 0, RUN_A, L1, 1);
    save(2, 0, RUN_A, L1, 1);
    save(2, 40, RUN_A, L1, 1);
    expect_choice("ckpt-e000002-s00000000040.h5", "abandoned", 2, 40);   /* nothing after it */
    teardown();
}

/* A rollback: the run resumed epoch 1 again, so latest.h5 names its epoch
 * 2 while the abandoned session's epoch 3 (another lineage) is still here:
 * the link wins, and epoch 3 is to be set aside. */
static void test_not_the_highest_epoch(void)
{
    setup();
    save(1, 0, RUN_A, L1, 1);
    save(3, 0, RUN_A, L1, 1);        /* the first session's future */
    save(2, 0, RUN_A, L12, 1);       /* the second session, resumed from epoch 1 */
    expect_choice("ckpt-e000002-s00000000000.h5", "abandoned", 2, 0);
    save(3, 5, RUN_B, L1, 0);        /* another run's file past the link: not taken */
    expect_choice("ckpt-e000002-s00000000000.h5", "abandoned", 2, 0);
    teardown();
}

/* Killed between renaming a checkpoint into place and moving the link:
 * the newer one of the same lineage is taken; a temporary (a write in
 * progress), a damaged newer file and a set-aside folder are not. */
static void test_past_the_link(void)
{
    setup();
    save(1, 0, RUN_A, L1, 1);
    save(2, 0, RUN_A, L1, 1);
    save(2, 30, RUN_A, L12, 0);      /* the same lineage, one session on */
    save(5, 0, RUN_A, L1, 0);
    damage("ckpt-e000005-s00000000000.h5");
    CU_ASSERT_FATAL(testutil_write_text(testutil_path(dir, "ckpt-e000006-s00000000000.h5.tmp.host.77"),
                                        "half a checkpoint") == 0);
    char old[4096];
    snprintf(old, sizeof old, "%s/abandoned-20260101-000000", dir);
    CU_ASSERT_FATAL(mkdir(old, 0755) == 0);
    save_into(old, 9, 0, RUN_A, L12, 0);   /* newer, but set aside */
    expect_choice("ckpt-e000002-s00000000030.h5", "abandoned", 2, 30);
    teardown();
}

/* The newest does not load: the next older one is taken, and everything
 * after it is to be set aside as damaged; the same without latest.h5. */
static void test_damaged_newest(void)
{
    setup();
    save(1, 0, RUN_A, L1, 1);
    save(2, 0, RUN_A, L1, 1);
    save(3, 0, RUN_A, L1, 1);
    damage("ckpt-e000003-s00000000000.h5");
    expect_choice("ckpt-e000002-s00000000000.h5", "damaged", 2, 0);
    unlink(testutil_path(dir, "latest.h5"));
    expect_choice("ckpt-e000002-s00000000000.h5", "damaged", 2, 0);
    teardown();
}

/* No checkpoint loads: model.h5 if there is one; else nothing, and the
 * run's files are to be set aside whole. An empty directory: nothing. */
static void test_nothing_loads(void)
{
    setup();
    expect_choice("", NULL, 0, 0);
    save(1, 0, RUN_A, L1, 1);
    save(2, 0, RUN_A, L1, 1);
    damage("ckpt-e000001-s00000000000.h5");
    damage("ckpt-e000002-s00000000000.h5");
    expect_choice("", "damaged", -1, 0);
    meta.epoch = 2;
    CU_ASSERT_FATAL(ckpt_write(testutil_path(dir, "model.h5"), &net, &meta) == 0);
    expect_choice("model.h5", "damaged", 2, 0);   /* the checkpoints that do not load */
    teardown();
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"latest.h5's checkpoint: the newest", test_latest_is_the_newest},
        {"the link, not the highest epoch, after a rollback", test_not_the_highest_epoch},
        {"past the link: the same lineage only; no temporary, damaged or set-aside file",
         test_past_the_link},
        {"a damaged newest: the next older one", test_damaged_newest},
        {"nothing loads: model.h5, else nothing", test_nothing_loads},
        {NULL, NULL},
    };
    return testutil_run("runstart_choose", cases);
}
