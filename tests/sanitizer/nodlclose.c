/* nodlclose: an LD_PRELOAD shim for the sanitizer runs only (tests/sanitize.sh).
 *
 * Open MPI loads its components (mca_*.so, and through them pmix, hwloc,
 * libevent) with dlopen and unloads them with dlclose in MPI_Finalize.
 * LeakSanitizer reports at exit, after that: the frames of memory a
 * component left allocated then belong to no mapped module, print as
 * "<unknown module>", and no suppression can name them. With dlclose a
 * no-op every component stays mapped, its frames keep their library name,
 * and tests/sanitizer/lsan.supp can suppress them by library, narrowly.
 *
 * Built without sanitizers: it is preloaded into every process of the test
 * run (bash, mpirun, python too), where it changes nothing but unloading. */
int dlclose(void *handle);

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
