#!/usr/bin/env bash
# The whole pipeline on one machine, in one command:
#   install missing packages -> build -> fetch MNIST -> prepare the HDF5 file
#   (originals + rotations of +-10 degrees) -> train on 2 ranks -> evaluate.
# A second run reuses the packages, the build, the download and the prepared
# file, and continues the training from its newest checkpoint (--resume auto):
# a finished run is not trained again, an interrupted one goes on. To train
# from scratch: remove the run directory, or pass --fresh to nnmpi train.
#
#   jobs/quickstart.sh [CONFIG]      default configs/fast.ini
#   NP=4 jobs/quickstart.sh          another number of ranks
set -euo pipefail
cd "$(dirname "$0")/.."

config=${1:-configs/fast.ini}
np=${NP:-2}
data=data/mnist-rot10.h5

step() { printf '\n== %s\n' "$*"; }

step "packages"
jobs/install-deps.sh
step "build"
jobs/build.sh build
step "MNIST"
jobs/fetch-mnist.sh data/mnist
step "dataset"
if build/nnmpi info "$data" >/dev/null 2>&1; then
  echo "$data is there already (nnmpi info $data shows it)"
else
  build/nnmpi prepare --mnist data/mnist --rotations -10,10 -o "$data"
fi

step "train: mpirun -np $np nnmpi train -c $config"
flags=()
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
[ "$np" -gt "$(nproc)" ] && flags+=(--oversubscribe)
mpirun "${flags[@]}" -np "$np" build/nnmpi train -c "$config" --resume auto

dir=$(build/nnmpi train -c "$config" --print-config | sed -n 's/^dir = //p')
step "evaluate"
build/nnmpi eval -m "$dir/model.h5" -d "$data" | tail -n 1
cat <<MSG

model:    $dir/model.h5    (nnmpi info $dir/model.h5)
metrics:  $dir/metrics.csv
config:   $dir/config.ini
next:     mpirun -np 2 build/nnmpi train -c configs/book.ini   (the book's own run)
MSG
