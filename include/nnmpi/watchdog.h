/* watchdog: a job whose ranks stop answering ends instead of waiting
 * forever.
 *
 * A rank stopped by the OS (kill -STOP), stuck on a hung file system or a
 * swapping node, or cut off by a failed network link between hosts leaves
 * every other rank waiting in a collective for ever, holding the
 * allocation. Each collective of the training is bracketed by
 * watchdog_enter/watchdog_leave (a clock read and two stores: nothing the
 * step's time shows); a thread of the watchdog's own wakes four times a second and,
 * when the rank has waited in one collective longer than the timeout
 * ([train] stall_timeout), prints which rank waited, for how long and on
 * which step, and ends the process with EXIT_STALLED (exitstatus.h). mpirun then
 * ends the others. Checkpoints are written atomically, so the last one
 * stays loadable and --resume auto continues from it. The thread calls no
 * MPI function, so MPI_THREAD_FUNNELED suffices. */
#ifndef NNMPI_WATCHDOG_H
#define NNMPI_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>

/* Default timeout, seconds (until the configuration is known). */
#define WATCHDOG_DEFAULT_S 600.0

/* Starts the thread (once) or changes the timeout; 0 disables it. */
int watchdog_start(double timeout_s);

/* This rank starts waiting in a collective: `what` (a static string such
 * as "the reduction") at epoch/step for the message (epoch 0: before
 * training; epoch < 0: where the last call said). */
void watchdog_enter(const char *what, int epoch, int64_t step);

/* Something to say before giving up (rank 0's last line for the job
 * scripts, given the exit status); called from the watchdog's thread just
 * before the exit, or by watchdog_say_last_words. */
void watchdog_on_give_up(void (*say)(int status, void *arg), void *arg);

/* ... and is out of it. */
void watchdog_leave(void);

/* Into buf: the collective this rank waits in, with its epoch and step
 * ("the reduction at epoch 2 step 17"), or "an MPI call" outside one. For
 * the messages of a rank that cannot go on (mpierror.h). */
void watchdog_describe(char *buf, size_t size);

/* The on_give_up words for exit status `status`, now (if any were
 * registered on this rank). */
void watchdog_say_last_words(int status);

#endif
