#!/usr/bin/env bash
# The whole test suite in one command: installs what is missing, builds,
# fetches MNIST, and runs every test through ctest; then the same suite again
# under AddressSanitizer/UBSan/LeakSanitizer (tests/sanitize.sh, its own
# build in build-asan; NNMPI_SANITIZE_CI=0 skips it). Exits non-zero if any
# test fails (a test that cannot run counts as a failure here).
#   tests/run.sh [ctest options...]      e.g. tests/run.sh -R unit_
set -euo pipefail
cd "$(dirname "$0")/.."

jobs/install-deps.sh python3-scipy python3-numpy
jobs/build.sh build
jobs/fetch-mnist.sh data/mnist

export NNMPI_REQUIRE_ALL=1            # a skipped test is a failed test here
export NNMPI_MNIST_DIR=$PWD/data/mnist
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# the sanitized suite runs even when the plain one failed, so one run of
# CI shows both; the exit status is the first failure's
status=0
(cd build && ctest --output-on-failure --timeout 1800 "$@") || status=$?

if [ "${NNMPI_SANITIZE_CI:-1}" != 0 ]; then
  tests/sanitize.sh "$@" || { rc=$?; [ $status != 0 ] || status=$rc; }
fi
exit $status
