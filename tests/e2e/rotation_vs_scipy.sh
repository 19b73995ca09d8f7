#!/usr/bin/env bash
# rotation_vs_scipy: augment_rotate against scipy.ndimage.rotate(order=1,
# reshape=False, mode='constant', cval=0) on the first 1000 real MNIST
# training images, for several angles. Fails if any pixel differs by more
# than one grey level after rounding scipy's float result to nearest.
#
# Environment (set by ctest): NNMPI_BUILD, NNMPI_SRC; optional
# NNMPI_MNIST_DIR (default $NNMPI_SRC/data/mnist), NNMPI_PYTHON (default
# /usr/bin/python3). Without the MNIST files or scipy the test is skipped
# (exit 77), unless NNMPI_REQUIRE_ALL=1. As root it first tries to install
# python3-scipy with apt-get.
set -euo pipefail

: "${NNMPI_BUILD:?NNMPI_BUILD must name the build directory}"
: "${NNMPI_SRC:?NNMPI_SRC must name the source directory}"
mnist=${NNMPI_MNIST_DIR:-$NNMPI_SRC/data/mnist}
images=$mnist/train-images-idx3-ubyte
labels=$mnist/train-labels-idx1-ubyte
tool=$NNMPI_BUILD/tests/rotate_dump
check=$NNMPI_SRC/tests/tools/check_rotation.py
python=${NNMPI_PYTHON:-/usr/bin/python3} # the system Python, where apt puts scipy

skip() {
    if [[ ${NNMPI_REQUIRE_ALL:-0} == 1 ]]; then
        echo "rotation_vs_scipy: FAIL: $* (NNMPI_REQUIRE_ALL=1)" >&2
        exit 1
    fi
    echo "rotation_vs_scipy: SKIP: $*"
    exit 77
}

have_scipy() {
    [[ -x $python ]] && "$python" -c 'import numpy, scipy.ndimage' 2>/dev/null
}

if [[ ! -f $images || ! -f $labels ]]; then
    skip "no MNIST IDX files in $mnist (scripts/fetch-mnist.sh fetches them, or set NNMPI_MNIST_DIR)"
fi
if ! have_scipy; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "rotation_vs_scipy: installing python3-scipy" >&2
        apt-get install -y python3-scipy python3-numpy >&2 ||
            { apt-get update >&2 && apt-get install -y python3-scipy python3-numpy >&2; } || true
    fi
    have_scipy || skip "$python cannot import scipy (apt-get install python3-scipy)"
fi
if [[ ! -x $tool ]]; then
    echo "rotation_vs_scipy: FAIL: $tool is not built" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for angle in 10 -10 5 -15 3.7; do
    "$tool" "$images" "$labels" 0 1000 "$angle" "$tmp/rotated.raw"
    if ! "$python" "$check" "$images" 0 1000 "$angle" "$tmp/rotated.raw" 1; then
        echo "rotation_vs_scipy: angle $angle differs from scipy by more than 1 grey level" >&2
        failed=1
    fi
done
if [[ $failed == 1 ]]; then
    echo "rotation_vs_scipy: FAIL" >&2
    exit 1
fi
echo "rotation_vs_scipy: OK"
