/* fuzz_common: what the libFuzzer harnesses share.
 *
 * nnmpi's readers take paths, so a harness hands them the fuzzer's bytes as
 * a file: an anonymous memory file (memfd_create) reached through
 * /proc/self/fd/N. The real code paths run (fopen, fstat, HDF5's own open),
 * nothing touches the disk, and one file per slot is reused for every input
 * (truncated and rewritten), so there is no per-input file descriptor.
 * (HDF5 cannot open such a file: see fuzz_tmpfile.) */
#ifndef NNMPI_FUZZ_COMMON_H
#define NNMPI_FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nnmpi/error.h"

#define FUZZ_SLOTS 2

/* Path of memory file `slot` (0..FUZZ_SLOTS-1) now holding data[0, size). */
static inline const char *fuzz_file(int slot, const uint8_t *data, size_t size)
{
    static int fd[FUZZ_SLOTS] = {-1, -1};
    static char path[FUZZ_SLOTS][64];
    if (fd[slot] < 0) {
        fd[slot] = memfd_create("nnmpi-fuzz", 0);
        if (fd[slot] < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
    }
    if (ftruncate(fd[slot], 0) != 0) {
        perror("ftruncate");
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd[slot], data + done, size - done, (off_t)done);
        if (n <= 0) {
            perror("pwrite");
            abort();
        }
        done += (size_t)n;
    }
    return path[slot];
}

/* HDF5 resolves a symbolic link to its target before opening (realpath),
 * which a memory file does not survive; so the checkpoint harness writes a
 * real file instead, in a private directory on tmpfs (/dev/shm, else
 * $TMPDIR or /tmp), removed at exit. */
static char fuzz_tmp_dir[256], fuzz_tmp_path[300];

static void fuzz_tmp_remove(void)
{
    unlink(fuzz_tmp_path);
    rmdir(fuzz_tmp_dir);
}

static inline const char *fuzz_tmpfile(const uint8_t *data, size_t size)
{
    if (!fuzz_tmp_path[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                           : getenv("TMPDIR")            ? getenv("TMPDIR")
                                                         : "/tmp";
        snprintf(fuzz_tmp_dir, sizeof fuzz_tmp_dir, "%s/nnmpi-fuzz.XXXXXX", base);
        if (!mkdtemp(fuzz_tmp_dir)) {
            perror("mkdtemp");
            abort();
        }
        snprintf(fuzz_tmp_path, sizeof fuzz_tmp_path, "%s/input.h5", fuzz_tmp_dir);
        atexit(fuzz_tmp_remove);
    }
    FILE *f = fopen(fuzz_tmp_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(fuzz_tmp_path);
        abort();
    }
    return fuzz_tmp_path;
}

/* The design's promise: every refusal leaves a one-line message. A failing
 * reader that says nothing (or several lines) is a finding. */
static inline void fuzz_expect_message(const char *what)
{
    const char *m = error_message();
    int newline = 0;
    for (const char *p = m; *p; p++)
        newline |= *p == '\n';
    if (!m[0] || newline) {
        fprintf(stderr, "%s failed without a one-line message: '%s'\n", what, m);
        abort();
    }
}

#endif
