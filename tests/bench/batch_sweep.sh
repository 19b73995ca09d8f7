#!/usr/bin/env bash
# Trains the book's 784-200-10 net (configs/fast.ini: exact gradient,
# constant lr, seed 1) for 30 epochs at six global batches, each with the
# lr and warm-up docs/time-to-accuracy.md found best for it, and draws their
# test accuracy per epoch with `nnmpi report` (the chart in that page).
#   tests/bench/batch_sweep.sh [OUT_DIR]        (default runs/batch-sweep)
# Sync mode's mathematics does not depend on the number of ranks, so each
# batch runs on one rank (RANKS=2 to share them; the curves stay the same up
# to float rounding). Accuracy per epoch is what it measures, not time: it
# may run on a busy machine. About 3 minutes of one core here. NNMPI names
# the binary (default build/nnmpi); needs data/mnist-rot10.h5 (README, quick start).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
nnmpi=${NNMPI:-$src/build/nnmpi}
out=${1:-runs/batch-sweep}
ranks=${RANKS:-1}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}

# batch lr warm-up-epochs, as in docs/time-to-accuracy.md's table
runs=("32 2 0" "128 16 1" "512 16 1" "1024 16 5" "2048 16 5" "4096 8 5")
dirs=()
for run in "${runs[@]}"; do
  read -r batch lr warm <<<"$run"
  name=batch-${batch}_lr-${lr}$([ "$warm" = 0 ] || echo "_warm-$warm")
  dirs+=("$out/$name")
  echo "== $name"
  mpirun -np "$ranks" "$nnmpi" train -c "$src/configs/fast.ini" --fresh \
    --set data.file="$src/data/mnist-rot10.h5" --set train.epochs=30 \
    --set train.batch="$batch" --set train.lr="$lr" --set train.warmup_epochs="$warm" \
    --set output.dir="$out/$name" --set output.backquery=false | grep -E '^(epoch 30|done)'
done
"$nnmpi" report "${dirs[@]}" -o "$out/report"
echo "chart: $out/report/accuracy_per_epoch.png"
