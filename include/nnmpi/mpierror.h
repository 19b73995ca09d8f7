/* mpierror: nnmpi's one policy for MPI errors.
 *
 * An MPI call that fails ends the whole job, at once, with a message that
 * says what failed: one error handler on MPI_COMM_WORLD (every
 * communicator split from it inherits it) prints, on the rank that saw the
 * error, MPI's own message and the collective it was in (watchdog.h),
 * with the log's rank and host; rank 0 adds the run's outcome line; then
 * MPI_Abort ends every rank (mpirun exits with EXIT_FAILURE_RUN). The last
 * checkpoint stays (checkpoints are written atomically) and --resume auto
 * continues from it.
 *
 * So nnmpi never checks the return code of an MPI call after
 * mpierror_install: with Open MPI 4 (no ULFM) a communicator is unusable
 * after a failed collective, and stopping "cleanly" would need more
 * collectives on it, which would hang; a rank that stops answering
 * without an error is the watchdog's. */
#ifndef NNMPI_MPIERROR_H
#define NNMPI_MPIERROR_H

/* Right after MPI_Init; collective (MPI_COMM_WORLD). */
void mpierror_install(void);

#endif
