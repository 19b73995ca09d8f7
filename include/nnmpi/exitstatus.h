/* exitstatus: the exit statuses of nnmpi's commands, in one place (each
 * command's --help says which it uses). Job scripts act on them: 75 is
 * requeued, 3 and 4 are not retried blindly. */
#ifndef NNMPI_EXITSTATUS_H
#define NNMPI_EXITSTATUS_H

enum {
    EXIT_OK = 0,
    EXIT_FAILURE_RUN = 1, /* something failed while working (the message says what) */
    EXIT_USAGE = 2,       /* bad command line or configuration, or ranks that disagree */
    EXIT_DIR_IN_USE = 3,  /* train: another job holds the run directory */
    EXIT_STALLED = 4,     /* train: the ranks stopped answering ([train] stall_timeout) */
    EXIT_STOPPED = 75,    /* train: stopped by a signal after a checkpoint (EX_TEMPFAIL:
                             requeue, continue with --resume auto) */
};

#endif
