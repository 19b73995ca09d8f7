/* preempt: noticing that the job is asked to stop (SIGTERM from scancel or
 * mpirun, SIGUSR1 from SLURM's --signal before the time limit, SIGINT from
 * Ctrl-C), so that training can checkpoint at the next step boundary and
 * exit with PREEMPT_EXIT_STATUS instead of dying mid-step. */
#ifndef NNMPI_PREEMPT_H
#define NNMPI_PREEMPT_H

/* Exit status of a run stopped by a signal after writing its checkpoint:
 * EX_TEMPFAIL, "try again later": job scripts requeue on it and the next
 * run continues with --resume auto. */
#define PREEMPT_EXIT_STATUS 75

/* Seconds after the first stop signal from which another one ends the
 * process at once (for a rank stuck waiting on a peer that died). */
#define PREEMPT_GRACE_S 10

/* Installs the handlers (they only record the signal). */
void preempt_install(void);

/* The first stop signal received, or 0. */
int preempt_signal(void);

#endif
