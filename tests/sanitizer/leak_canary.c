/* leak_canary: proves that the sanitizer run's leak suppressions
 * (tests/sanitizer/lsan.supp) hide only Open MPI's and HDF5's own leaks.
 * It does what nnmpi does (MPI_Init, an HDF5 call, MPI_Finalize) and leaks
 * 4242 bytes from a function of its own; tests/sanitizer/leak_canary.sh
 * expects LeakSanitizer to report exactly that allocation, naming
 * nnmpi_planted_leak, and nothing else. */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *nnmpi_planted_leak(size_t n);

__attribute__((noinline)) void *nnmpi_planted_leak(size_t n)
{
    char *p = malloc(n);
    if (p)
        memset(p, 1, n);
    return p;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    unsigned major, minor, release;
    H5get_libversion(&major, &minor, &release);
    volatile char *leak = nnmpi_planted_leak(4242);
    leak = NULL; /* the only pointer is gone: a true leak */
    (void)leak;
    MPI_Finalize();
    return 0;
}
