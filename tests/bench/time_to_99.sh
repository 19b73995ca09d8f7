#!/usr/bin/env bash
# Time to 99.0% test accuracy for the book's 784-200-10 net on 2 ranks,
# data preparation included (issue 15's figure): from the start of
# `nnmpi prepare` (configs/best.ini's data: 540,000 rows) to the end of the
# first epoch of configs/best.ini that reaches 99.0%, for seeds 1 and 2.
# The run's own clock says when that epoch ended; the time after it (the
# remaining epochs, writing the model) is taken off the whole mpirun, so
# the figure is an upper bound (it keeps the launch and the data's load).
#
#   tests/bench/time_to_99.sh      SEEDS="1 2"  NNMPI=build/nnmpi  NP=2
set -euo pipefail
cd "$(dirname "$0")/../.."
NNMPI=${NNMPI:-build/nnmpi}
SEEDS=${SEEDS:-1 2}
NP=${NP:-2}
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for seed in $SEEDS; do
  s=$(date +%s.%N)
  "$NNMPI" prepare --mnist data/mnist --rotations -10,10 --shifts 1 --elastic 2 \
    -o "$work/data.h5" -q
  p=$(date +%s.%N)
  mpirun -np "$NP" "$NNMPI" train -c configs/best.ini --set data.file="$work/data.h5" --fresh \
    --set train.seed="$seed" --set output.dir="$work/run-$seed" --set output.backquery=false \
    >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  e=$(date +%s.%N)
  awk -F, -v s="$s" -v p="$p" -v e="$e" -v seed="$seed" -v np="$NP" '
    NR > 1 && !at && $4 >= 0.99 {at = $7; epoch = $1}
    NR > 1 {last = $7; final = $4}
    END {
      if (!at) {printf "seed %s: 99.0%% not reached (final %s)\n", seed, final; exit}
      printf "seed %s, %s ranks: 99.0%% after epoch %s, %.1f s from the start (prepare %.1f s, " \
             "training %.1f s to that epoch); final %.2f%% after %.1f s in all\n",
             seed, np, epoch, (e - s) - (last - at), p - s, at, 100 * final, e - s
    }' "$work/run-$seed/metrics.csv"
done
