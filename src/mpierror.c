#include "nnmpi/mpierror.h"

#include <mpi.h>
#include <stdio.h>

#include "nnmpi/exitstatus.h"
#include "nnmpi/log.h"
#include "nnmpi/watchdog.h"

static void on_mpi_error(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    char text[MPI_MAX_ERROR_STRING] = "unknown error", where[160];
    int len = 0;
    MPI_Error_string(*code, text, &len);
    watchdog_describe(where, sizeof where);
    log_error("MPI failed in %s: %s; ending the job on every rank (exit status %d); the last "
              "checkpoint stays, continue with --resume auto", where, text, EXIT_FAILURE_RUN);
    watchdog_say_last_words(EXIT_FAILURE_RUN);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_RUN);
}

void mpierror_install(void)
{
    MPI_Errhandler handler;
    MPI_Comm_create_errhandler(on_mpi_error, &handler);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, handler);
    MPI_Errhandler_free(&handler); /* the communicator keeps its own reference */
}
