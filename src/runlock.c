#include "nnmpi/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"

/* What the lock file says about its holder. */
typedef struct {
    char host[256], job[64], restart[32], since[64];
    long pid;
} holder_t;

static void env_or_empty(const char *name, char *buf, size_t size)
{
    const char *v = getenv(name);
    snprintf(buf, size, "%s", v ? v : "");
}

static void holder_self(holder_t *h)
{
    memset(h, 0, sizeof *h);
    if (gethostname(h->host, sizeof h->host - 1) != 0)
        snprintf(h->host, sizeof h->host, "?");
    h->pid = (long)getpid();
    env_or_empty("SLURM_JOB_ID", h->job, sizeof h->job);
    env_or_empty("SLURM_RESTART_COUNT", h->restart, sizeof h->restart);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(h->since, sizeof h->since, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* The record's text: key=value lines. */
static int holder_format(const holder_t *h, char *buf, size_t size)
{
    return snprintf(buf, size, "host=%s\npid=%ld\njob=%s\nrestart=%s\nsince=%s\n", h->host,
                    h->pid, h->job, h->restart, h->since);
}

static void holder_parse(const char *text, holder_t *h)
{
    memset(h, 0, sizeof *h);
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), line);
        char *eq = strchr(buf, '=');
        if (eq) {
            *eq = '\0';
            const char *v = eq + 1;
            if (!strcmp(buf, "host"))
                snprintf(h->host, sizeof h->host, "%s", v);
            else if (!strcmp(buf, "pid"))
                h->pid = strtol(v, NULL, 10);
            else if (!strcmp(buf, "job"))
                snprintf(h->job, sizeof h->job, "%s", v);
            else if (!strcmp(buf, "restart"))
                snprintf(h->restart, sizeof h->restart, "%s", v);
            else if (!strcmp(buf, "since"))
                snprintf(h->since, sizeof h->since, "%s", v);
        }
        line = end ? end + 1 : NULL;
    }
}

/* "host H, pid P, SLURM job J, since T" (what is known of it). */
static void holder_describe(const holder_t *h, char *text, size_t size)
{
    snprintf(text, size, "host %s, pid %ld%s%s, since %s", h->host[0] ? h->host : "?", h->pid,
             h->job[0] ? ", SLURM job " : "", h->job, h->since[0] ? h->since : "?");
}

static void holder_read_fd(int fd, holder_t *h)
{
    char text[1024];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    holder_parse(text, h);
}

static int busy(const char *dir, const holder_t *h)
{
    char who[512];
    holder_describe(h, who, sizeof who);
    return error_set("%s is in use by another training job (%s): two jobs in one run directory "
                     "would mix their runs; wait for it to end, stop it, or choose another "
                     "[output] dir", dir, who), RUNLOCK_BUSY;
}

static int write_holder(int fd, const char *path)
{
    holder_t me;
    holder_self(&me);
    char text[1024];
    int n = holder_format(&me, text, sizeof text);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n)
        return error_set("%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------- fcntl */

/* lock_fcntl's status when the file system has no fcntl locks. */
#define NO_FCNTL_LOCKS 1

static int lock_fcntl(const char *dir, runlock_t *lock)
{
    int fd = open(lock->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_set("%s: cannot open the run directory's lock: %s", lock->path,
                         strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) == 0) {
        lock->fd = fd;
        return write_holder(fd, lock->path);
    }
    int e = errno;
    holder_t h;
    if (e == EACCES || e == EAGAIN)
        holder_read_fd(fd, &h);
    close(fd);
    if (e == EACCES || e == EAGAIN)
        return busy(dir, &h);
    if (e == ENOLCK || e == ENOSYS || e == EOPNOTSUPP || e == EINVAL)
        return NO_FCNTL_LOCKS;
    return error_set("%s: cannot lock: %s", lock->path, strerror(e));
}

/* ------------------------------------------------- exclusive-file fallback */

/* Whether process pid of this host has ended: no such process, or one that
 * has exited and waits to be reaped (a zombie still answers kill(pid, 0);
 * an orphan's zombie may wait long for a container's init to reap it). */
static int process_ended(long pid)
{
    if (pid <= 0)
        return 0;
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *paren = strrchr(text, ')'); /* "pid (comm) S ..." */
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

/* Whether the holder of an exclusive lock file is gone (see runlock.h). */
static int holder_gone(const holder_t *h, const struct stat *st, char *why, size_t size)
{
    holder_t me;
    holder_self(&me);
    if (!strcmp(h->host, me.host) && process_ended(h->pid))
        return snprintf(why, size, "its process is gone"), 1;
    if (h->job[0] && !strcmp(h->job, me.job) && strcmp(h->restart, me.restart) != 0)
        return snprintf(why, size, "it was an earlier start of this SLURM job"), 1;
    if (time(NULL) - st->st_mtime > RUNLOCK_STALE_S)
        return snprintf(why, size, "untouched for %lld s", (long long)(time(NULL) - st->st_mtime)),
               1;
    return 0;
}

static int lock_exclusive(const char *dir, runlock_t *lock)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(lock->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            lock->fd = fd;
            lock->exclusive_file = 1;
            return write_holder(fd, lock->path);
        }
        if (errno != EEXIST)
            return error_set("%s: cannot create the run directory's lock: %s", lock->path,
                             strerror(errno));
        fd = open(lock->path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            if (fd >= 0)
                close(fd);
            continue; /* released meanwhile: try again */
        }
        holder_t h;
        holder_read_fd(fd, &h);
        close(fd);
        char why[128], who[512];
        if (!holder_gone(&h, &st, why, sizeof why))
            return busy(dir, &h);
        holder_describe(&h, who, sizeof who);
        snprintf(lock->taken_over, sizeof lock->taken_over, "%s (%s)", who, why);
        unlink(lock->path); /* a stale holder's; two takers race on O_EXCL above */
    }
    return error_set("%s: cannot take the run directory's lock (it keeps changing hands)",
                     lock->path);
}

/* ------------------------------------------------------------- the API */

int runlock_acquire(const char *dir, runlock_t *lock)
{
    memset(lock, 0, sizeof *lock);
    lock->fd = -1;
    if (fs_mkdir_p(dir) < 0)
        return error_prefix("[output] dir");
    const char *mode = getenv("NNMPI_RUN_LOCK");
    int forced = mode && !strcmp(mode, "file");
    if (mode && *mode && !forced && strcmp(mode, "fcntl"))
        return error_set("NNMPI_RUN_LOCK=%s: expected fcntl or file", mode);
    if (!forced) {
        snprintf(lock->path, sizeof lock->path, "%s/%s", dir, RUNLOCK_NAME);
        int rc = lock_fcntl(dir, lock);
        if (rc != NO_FCNTL_LOCKS)
            return rc;
    }
    snprintf(lock->path, sizeof lock->path, "%s/%s", dir, RUNLOCK_EXCL_NAME);
    return lock_exclusive(dir, lock);
}

void runlock_heartbeat(runlock_t *lock)
{
    if (lock->fd >= 0 && lock->exclusive_file)
        futimens(lock->fd, NULL);
}

/* Whether path is still the file lock->fd has open: a holder taken for
 * stale (stopped for longer than RUNLOCK_STALE_S, say) that wakes up must
 * not remove its successor's lock. */
static int still_ours(const runlock_t *lock)
{
    struct stat mine, there;
    return fstat(lock->fd, &mine) == 0 && stat(lock->path, &there) == 0 &&
           mine.st_dev == there.st_dev && mine.st_ino == there.st_ino;
}

void runlock_release(runlock_t *lock)
{
    if (lock->fd < 0)
        return;
    if (lock->exclusive_file && still_ours(lock))
        unlink(lock->path);
    close(lock->fd); /* drops an fcntl lock too */
    lock->fd = -1;
}

int runlock_holder(const char *dir, char *text, size_t size)
{
    char path[4096];
    holder_t h;
    snprintf(path, sizeof path, "%s/%s", dir, RUNLOCK_EXCL_NAME);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        holder_read_fd(fd, &h);
        close(fd);
        holder_describe(&h, text, size);
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, RUNLOCK_NAME);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : error_set("%s: %s", path, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    if (held)
        holder_read_fd(fd, &h);
    close(fd);
    if (held)
        holder_describe(&h, text, size);
    return held;
}
