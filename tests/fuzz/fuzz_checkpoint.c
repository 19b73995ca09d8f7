/* libFuzzer harness: the checkpoint/model loader (ckpt_read, and
 * ckpt_inspect which `nnmpi info` uses and which goes on past a checksum
 * mismatch), with HDF5 reading the fuzzer's bytes as a file (on tmpfs). A checkpoint
 * that loads also has its stored configuration parsed, as a resume does.
 *
 * Also checked: no HDF5 object is left open (a leaked handle would keep the
 * file open and hand the next open stale metadata). */
#include "fuzz_common.h"

#include <string.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/config.h"
#include "nnmpi/h5util.h"

/* HDF5 1.10.8 itself leaks a little on many damaged files: blocks it
 * allocates while decoding an object header or a datatype message and drops
 * on the error path (in H5Fopen under H5G_mkroot, in H5Dopen2 under
 * H5O_msg_read...; corpus/checkpoint/regress-hdf5-*.h5). Nothing nnmpi
 * holds or could free, so leaks allocated by libhdf5 are suppressed here.
 * What that could hide: memory HDF5 hands to nnmpi and nnmpi must give back
 * (only the variable-length string of h5_attr_read_str, freed with
 * H5free_memory; unit_hostile reads one, under the sanitizer run, which has
 * no HDF5 suppression). Leaked HDF5 handles are still caught below. */
/* A damaged object header can also make HDF5 ask for absurd memory (128 GB
 * in H5C_protect, regress-hdf5-huge-alloc.h5); it checks for NULL and fails
 * the open, as it does under glibc, so a failing allocation returns NULL
 * here as there (as in the sanitizer run), instead of aborting. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libhdf5\n";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    h5_quiet();
    return 0;
}

static void check_no_open_objects(void)
{
    ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (open != 0) {
        fprintf(stderr, "%zd HDF5 objects left open\n", open);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmpfile(data, size);
    net_t net;
    ckpt_meta_t meta;
    int verified = 0;
    error_clear();
    if (ckpt_inspect(path, &net, &meta, &verified) < 0) {
        fuzz_expect_message("ckpt_inspect");
        check_no_open_objects();
        return 0;
    }
    if (!net.params || net.n_in < 1 || net.n_hidden < 1 || net.n_out < 1)
        abort();
    if (meta.config_text) {
        static config_t cfg;
        config_defaults(&cfg);
        error_clear();
        if (config_load_text(&cfg, meta.config_text, path) < 0)
            fuzz_expect_message("config_load_text of a checkpoint's config");
    }
    net_free(&net);
    ckpt_meta_free(&meta);

    /* the strict reader agrees with inspect's verdict on the checksum */
    error_clear();
    int rc = ckpt_read(path, &net, &meta);
    if ((rc == 0) != (verified != 0))
        abort();
    if (rc == 0) {
        net_free(&net);
        ckpt_meta_free(&meta);
    } else {
        fuzz_expect_message("ckpt_read");
    }
    check_no_open_objects();
    return 0;
}
