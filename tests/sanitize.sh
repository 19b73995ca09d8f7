#!/usr/bin/env bash
# The whole ctest suite again, built with -fsanitize=address,undefined
# (NNMPI_SANITIZE=ON) in its own build directory: every unit test and every
# nnmpi process the end-to-end tests start (ranks under mpirun included)
# runs under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer, and any report fails the test that caused it.
#   tests/sanitize.sh [ctest options...]      e.g. tests/sanitize.sh -R unit_
# NNMPI_ASAN_BUILD picks the build directory (default build-asan). tests/run.sh
# calls this after the normal suite unless NNMPI_SANITIZE_CI=0.
# See docs/hardening.md for the suppressions and the measured time.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${NNMPI_ASAN_BUILD:-build-asan}

jobs/install-deps.sh python3-scipy python3-numpy
jobs/build.sh "$build" -DNNMPI_SANITIZE=ON
jobs/fetch-mnist.sh data/mnist

# halt_on_error: the first report ends the process with a non-zero status;
# allocator_may_return_null: a huge malloc returns NULL (nnmpi checks every
# one) rather than aborting, as glibc would; verify_asan_link_order=0: the
# dlclose shim below is preloaded ahead of the ASan runtime;
# fast_unwind_on_malloc=0: whole allocation stacks through Open MPI's
# libraries (built without frame pointers), so that tests/sanitizer/lsan.supp
# can name the library a leak comes from; intercept_tls_get_addr=0: GCC 12's
# LeakSanitizer misreads the dynamic TLS of a dlopen()ed Open MPI component
# when the process runs in a network namespace (the tracer dies with "Tracer
# caught signal 11" at a DTLS address near 0x4290, every time, in the netns
# tests); static TLS, stacks and the heap are still scanned.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1:verify_asan_link_order=0:detect_stack_use_after_return=0:fast_unwind_on_malloc=0:intercept_tls_get_addr=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$src/tests/sanitizer/lsan.supp:print_suppressions=0
# Open MPI's components stay loaded, so their leaks can be named (and
# suppressed) by library: tests/sanitizer/nodlclose.c
export LD_PRELOAD=$src/$build/tests/sanitizer/libnnmpi_nodlclose.so
[ -f "$LD_PRELOAD" ] || { echo "no $LD_PRELOAD: NNMPI_SANITIZE build incomplete" >&2; exit 1; }

export NNMPI_REQUIRE_ALL=1            # a skipped test is a failed test here
export NNMPI_MNIST_DIR=$src/data/mnist
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Not run here: e2e_fuzz_smoke, whose libFuzzer harnesses are built with
# ASan and UBSan anyway (in a clang build of their own), so running them
# again would only double the time; and the three accuracy tests, which
# check figures the normal build checks, with 10 epochs (8 million samples
# for best.ini) that take minutes under ASan. Their code runs here all the
# same: e2e_book_weights trains book.ini's and fast.ini's configurations
# (local mode with the book's rule, sync mode with the gradient) for an
# epoch on 1 and 2 ranks, on a tenth of the data through the same reader.
exclude=${NNMPI_SANITIZE_EXCLUDE:-e2e_fuzz_smoke|e2e_accuracy_best|e2e_accuracy_book|e2e_accuracy_fast}
cd "$build"
start=$(date +%s)
status=0
ctest --output-on-failure --timeout 3600 -E "^($exclude)\$" "$@" || status=$?
echo "sanitized suite: $(( $(date +%s) - start )) s, ctest status $status"
exit "$status"
