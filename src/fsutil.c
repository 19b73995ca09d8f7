#include "nnmpi/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnmpi/error.h"

/* This machine's name as temporaries carry it ('/' made '_'). */
static void host_name(char *buf, size_t size)
{
    if (gethostname(buf, size) != 0 || !buf[0])
        snprintf(buf, size, "unknown");
    buf[size - 1] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '/')
            *p = '_';
}

int fs_tmp_name(const char *path, char *tmp, size_t size)
{
    char host[256];
    host_name(host, sizeof host);
    int n = snprintf(tmp, size, "%s.tmp.%s.%ld", path, host, (long)getpid());
    return n < 0 || (size_t)n >= size ? error_set("%s: path too long", path) : 0;
}

/* The pid in name if name is prefix followed by digits only, else 0. */
static long tmp_writer(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) || !name[n] || strspn(name + n, "0123456789") != strlen(name + n))
        return 0;
    errno = 0;
    long pid = strtol(name + n, NULL, 10);
    return errno ? 0 : pid;
}

/* path's folder (dirname) and last name (basename), each PATH_MAX bytes;
 * 0, or -1 if path is too long. */
static int split_path(const char *path, char *folder, char *name)
{
    char copy[PATH_MAX];
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
        return -1;
    snprintf(name, PATH_MAX, "%s", basename(copy));
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(folder, PATH_MAX, "%s", dirname(copy));
    return 0;
}

int fs_remove_stale_tmps(const char *path)
{
    char folder[PATH_MAX], base[PATH_MAX], host[256], prefix[PATH_MAX + 300];
    if (split_path(path, folder, base) < 0)
        return error_set("%s: path too long", path);
    host_name(host, sizeof host);
    snprintf(prefix, sizeof prefix, "%s.tmp.%s.", base, host);
    DIR *d = opendir(folder);
    if (!d)
        return 0;   /* no folder, no temporaries */
    int removed = 0, rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        long pid = tmp_writer(e->d_name, prefix);
        /* kill(pid, 0) fails with ESRCH only when no such process exists */
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char stale[2 * PATH_MAX];
        snprintf(stale, sizeof stale, "%s/%s", folder, e->d_name);
        if (unlink(stale) == 0)
            removed++;
        else if (errno != ENOENT)
            rc = error_set("%s: cannot remove this stale temporary: %s", stale, strerror(errno));
    }
    closedir(d);
    return rc ? rc : removed;
}

/* What the handler removes; written before `guarded` is set. */
static char guarded_path[4096];
static volatile sig_atomic_t guarded;

/* Async-signal-safe: unlink and raise only. SA_RESETHAND has restored the
 * default action, so the raised signal ends the process once this returns. */
static void remove_and_reraise(int sig)
{
    if (guarded)
        unlink(guarded_path);
    raise(sig);
}

int fs_remove_on_signal(const char *tmp)
{
    guarded = 0;
    if (!tmp)
        return 0;
    if (strlen(tmp) >= sizeof guarded_path)
        return error_set("%s: path too long", tmp);
    strcpy(guarded_path, tmp);
    static const int signals[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction old, sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_and_reraise;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        if (sigaction(signals[i], &sa, NULL) != 0)
            return error_set("cannot set a handler for signal %d: %s", signals[i],
                             strerror(errno));
    }
    guarded = 1;
    return 0;
}

static int fsync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    /* some file systems refuse fsync on a directory; the rename still holds */
    if (rc != 0 && directory && (errno == EINVAL || errno == EBADF))
        rc = 0;
    close(fd);
    return rc;
}

int fs_commit(const char *tmp, const char *path)
{
    if (fsync_path(tmp, 0) != 0) {
        int e = errno;
        unlink(tmp);
        return error_set("%s: cannot flush to disk: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return error_set("%s: cannot rename the new file into place: %s", path, strerror(e));
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    fsync_path(dirname(dir), 1);
    return 0;
}

/* path with its folder resolved (realpath) and its last name kept as it
 * is, for a file that may not exist yet; 0 or -1. */
static int resolve_path(const char *path, char *out, size_t size)
{
    char dir[PATH_MAX], name[PATH_MAX], real[PATH_MAX];
    if (split_path(path, dir, name) < 0 || !realpath(dir, real))
        return -1;
    int n = snprintf(out, size, "%s/%s", real, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int fs_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ra[2 * PATH_MAX], rb[2 * PATH_MAX];
    return resolve_path(a, ra, sizeof ra) == 0 && resolve_path(b, rb, sizeof rb) == 0 &&
           !strcmp(ra, rb);
}

int fs_mkdir_p(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return error_set("'%s': not a usable directory name", dir);
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return error_set("%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return error_set("%s: cannot create directory: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return error_set("%s: exists but is not a directory", buf);
    return 0;
}

/* Writes data[0, n) to a new file tmp; the message names path and errno
 * (a short write with no errno is a full disk). */
static int write_all(const char *tmp, const char *path, const void *data, size_t n)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return error_set("%s: cannot write: %s", path, strerror(errno));
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close(fd);
            return error_set("%s: cannot write: %s", path, strerror(e));
        }
        p += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0)
        return error_set("%s: cannot write: %s", path, strerror(errno));
    return 0;
}

int fs_write_bytes(const char *path, const void *data, size_t n)
{
    char tmp[4096];
    if (fs_tmp_name(path, tmp, sizeof tmp) < 0)
        return -1;
    if (write_all(tmp, path, data, n) < 0) {
        unlink(tmp);
        return -1;
    }
    return fs_commit(tmp, path);
}

int fs_write_text(const char *path, const char *text)
{
    return fs_write_bytes(path, text, strlen(text));
}

/* Reads the next part of f onto text[*size], growing it when full: 1
 * while there may be more, 0 at the end (or a read error: ferror says),
 * -1 out of memory. */
static int read_more(FILE *f, char **text, size_t *cap, size_t *size)
{
    if (*size + 1 >= *cap) {
        char *t = realloc(*text, 2 * *cap);
        if (!t)
            return -1;
        *text = t;
        *cap *= 2;
    }
    size_t n = fread(*text + *size, 1, *cap - *size - 1, f);
    *size += n;
    return n > 0;
}

char *fs_read_text(const char *path, const char *what, size_t limit)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_set("%s: cannot open %s: %s", path, what, strerror(errno));
        return NULL;
    }
    size_t size = 0, cap = 4096;
    char *text = malloc(cap);
    int more = text ? 1 : -1;
    while (more == 1 && size <= limit)
        more = read_more(f, &text, &cap, &size);
    int mib = limit % (1 << 20) == 0;
    int rc = more < 0      ? error_set("%s: out of memory", path)
             : size > limit ? error_set("%s: %s file larger than %zu %s", path, what,
                                        mib ? limit >> 20 : limit, mib ? "MiB" : "bytes")
             : ferror(f)    ? error_set("%s: cannot read %s: %s", path, what, strerror(errno))
                            : 0;
    fclose(f);
    if (!rc) {
        text[size] = '\0';
        if (strlen(text) != size)
            rc = error_set("%s: not a text file (contains a NUL byte)", path);
    }
    if (rc) {
        free(text);
        return NULL;
    }
    return text;
}

const char *fs_kind(mode_t mode)
{
    return S_ISDIR(mode)                    ? "a folder"
           : S_ISFIFO(mode)                 ? "a FIFO"
           : S_ISSOCK(mode)                 ? "a socket"
           : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
           : S_ISLNK(mode)                  ? "a symbolic link"
           : S_ISREG(mode)                  ? "a regular file"
                                            : "not a regular file";
}

int fs_check_size_limit(const char *path, unsigned long long bytes)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        bytes <= (unsigned long long)rl.rlim_cur)
        return 0;
    return error_set("%s: the file will be about %llu bytes, more than the file size limit "
                     "(ulimit -f) of %llu bytes", path, bytes, (unsigned long long)rl.rlim_cur);
}
