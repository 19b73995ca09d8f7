/* preempt: noticing that the job is asked to stop (SIGTERM from scancel or
 * mpirun, SIGUSR1 from SLURM's --signal before the time limit, SIGINT from
 * Ctrl-C), so that training can checkpoint at the next step boundary and
 * exit with EXIT_STOPPED (exitstatus.h) instead of dying mid-step.
 *
 * The handlers are installed before MPI_Init (a stop during start-up must
 * not kill the rank: the job script would not requeue it); a stop that
 * comes before training is acted on at the first step. */
#ifndef NNMPI_PREEMPT_H
#define NNMPI_PREEMPT_H

/* Seconds after the first stop signal from which another one ends the
 * process at once (for a rank stuck waiting on a peer that died). */
#define PREEMPT_GRACE_S 10

/* Installs the handlers (they only record the signal) and unblocks the
 * signals, which main blocks before it re-executes itself so that none is
 * lost in between (a blocked signal stays pending across exec). */
void preempt_install(void);

/* Blocks the stop signals (until preempt_install). */
void preempt_block(void);

/* The first stop signal received, or 0. */
int preempt_signal(void);

#endif
