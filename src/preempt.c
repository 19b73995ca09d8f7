#include "nnmpi/preempt.h"

#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t received;
static volatile sig_atomic_t first_at; /* CLOCK_MONOTONIC seconds of the first */

/* The first stop signal is only noted: training checkpoints at the next step.
 * A rank can wait forever in a collective whose peer is gone; a stop signal
 * that comes PREEMPT_GRACE_S or more after the first then ends the process
 * as the signal's default action would. (Signals in quick succession, such
 * as SLURM's and mpirun's copies of one scancel, count as one.) */
static void on_signal(int sig)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!received) {
        received = sig;
        first_at = (sig_atomic_t)now.tv_sec;
        return;
    }
    if (now.tv_sec - first_at >= PREEMPT_GRACE_S) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGINT);
}

void preempt_block(void)
{
    sigset_t set;
    stop_signals(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

void preempt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* a signal must not fail an I/O call under way */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t set;
    stop_signals(&set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int preempt_signal(void)
{
    return received;
}
