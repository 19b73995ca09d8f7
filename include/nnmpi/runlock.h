/* runlock: one training job per run directory.
 *
 * Rank 0 holds DIR/run.lock for the whole run, so a second job aimed at the
 * same directory refuses at once, naming the holder, before it touches
 * anything. The lock is an fcntl (POSIX record) lock: the kernel releases it
 * when the holder dies however it dies (kill -9, a lost node's NFS lock
 * manager reclaiming it), so a requeued job never waits for a dead
 * predecessor. The file keeps the holder's host, pid, SLURM job and start
 * time for the message.
 *
 * Where the file system has no fcntl locks (ENOLCK, ENOSYS, EOPNOTSUPP: NFS
 * without its lock manager, Lustre mounted without flock) the lock falls
 * back to creating DIR/run.lock.excl exclusively, removed at release. A
 * holder of that file counts as gone when it was on this host and its pid
 * no longer exists, when it was an earlier start of this same SLURM job (a
 * requeue keeps the job id), or when it has not been touched for
 * RUNLOCK_STALE_S seconds (the holder touches it every RUNLOCK_HEARTBEAT_S
 * while it trains). NNMPI_RUN_LOCK=file forces the fallback (to test it, or
 * where fcntl locks are known to misbehave). */
#ifndef NNMPI_RUNLOCK_H
#define NNMPI_RUNLOCK_H

#include <stddef.h>

#define RUNLOCK_NAME "run.lock"
#define RUNLOCK_EXCL_NAME "run.lock.excl"
#define RUNLOCK_HEARTBEAT_S 60
#define RUNLOCK_STALE_S 900

/* runlock_acquire's status when another job holds the directory. */
#define RUNLOCK_BUSY (-2)

typedef struct {
    int fd;             /* open while held; -1 when not */
    int exclusive_file; /* the fallback: path is ours to remove */
    char path[4096];
    char taken_over[700]; /* the fallback: whose stale lock was taken, and why */
} runlock_t;

/* Creates dir if needed and takes its lock. 0 when held; RUNLOCK_BUSY with a
 * message naming the holder; -1 on another error (message names dir). */
int runlock_acquire(const char *dir, runlock_t *lock);

/* Marks the lock as alive (the fallback's heartbeat; free for fcntl locks). */
void runlock_heartbeat(runlock_t *lock);

/* Releases the lock; safe on a zeroed or released lock. */
void runlock_release(runlock_t *lock);

/* Who holds dir's lock: 1 with a description in text ("host H, pid P,
 * SLURM job J, since T"), 0 when nobody does, -1 on error. Not for the
 * holder itself: closing any descriptor of the file drops a process's
 * fcntl locks. */
int runlock_holder(const char *dir, char *text, size_t size);

#endif
