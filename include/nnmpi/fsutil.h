/* fsutil: files that are replaced atomically, and directories.
 *
 * Writers create "<path>.tmp.<host>.<pid>" next to the final name, write and
 * close it, then fs_commit() fsyncs it, renames it over the final name and
 * fsyncs the directory: a reader (or a crash at any moment) sees either the
 * old complete file or the new complete file, never a partial one.
 *
 * A writer killed outright leaves its temporary behind. The name says who
 * wrote it, so a later writer of the same path can tell a stale one: a
 * temporary is stale when its host is this host and no process has its pid
 * any more. Temporaries of other hosts (a shared file system) are never
 * touched: their processes cannot be seen from here. */
#ifndef NNMPI_FSUTIL_H
#define NNMPI_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* The temporary name for path ("<path>.tmp.<host>.<pid>", host the
 * machine's name); 0 or -1 if too long. */
int fs_tmp_name(const char *path, char *tmp, size_t size);

/* Removes the stale temporaries of path (see above); returns how many, or
 * -1 with a message naming one that could not be removed. */
int fs_remove_stale_tmps(const char *path);

/* For commands writing one big temporary: until called again with NULL,
 * SIGTERM, SIGINT and SIGHUP remove tmp and then end the process by that
 * signal as usual (a shell sees status 128 + signal). A signal that was
 * ignored (nohup) stays ignored. Not for train, whose signals mean
 * "checkpoint and stop". */
int fs_remove_on_signal(const char *tmp);

/* fsync tmp, rename it to path, fsync path's directory. On failure tmp is
 * removed and the old path is left as it was. */
int fs_commit(const char *tmp, const char *path);

/* 1 if paths a and b name the same file: the same device and inode when
 * both exist, else the same path once their folders' links are resolved;
 * 0 otherwise. */
int fs_same_file(const char *a, const char *b);

/* mkdir -p; 0 or -1 with a message naming the directory. */
int fs_mkdir_p(const char *dir);

/* Writes a whole file atomically with plain write(2) calls: every failure
 * (ENOSPC, EFBIG, EROFS...) is a message naming path and errno, and leaves
 * the old path as it was. */
int fs_write_bytes(const char *path, const void *data, size_t n);

/* fs_write_bytes of a text. */
int fs_write_text(const char *path, const char *text);

/* A whole text file (a pipe too), NUL-terminated and malloc'd, or NULL
 * with a message naming path: it cannot be opened ("cannot open WHAT: ..."),
 * it holds more than limit bytes ("WHAT file larger than 1 MiB"), it holds a
 * NUL byte, or it cannot be read. */
char *fs_read_text(const char *path, const char *what, size_t limit);

/* What a file of this st_mode is, for messages about files that are not
 * regular: "a folder", "a FIFO", "a socket", "a device", "a symbolic link"
 * or "not a regular file". */
const char *fs_kind(mode_t mode);

/* Refuses (-1, a message naming path) a file of `bytes` that the process's
 * file size limit (ulimit -f) would cut short. For writers that cannot
 * survive a failed write themselves: HDF5 1.10, unable to extend a file at
 * close, leaves a dangling file ID that crashes the process at exit. */
int fs_check_size_limit(const char *path, unsigned long long bytes);

#endif
