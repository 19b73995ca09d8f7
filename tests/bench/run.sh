#!/usr/bin/env bash
# Training throughput benchmark: samples/s of one epoch over the 180,000
# rotated MNIST rows (median of RUNS runs), for sync mode at global batch
# 32/128/512 on 1 and 2 ranks, local mode (the book's per-sample loop), and
# the time of `nnmpi prepare`. Prints a Markdown table.
#   tests/bench/run.sh            (RUNS=3 by default; NNMPI=path to binary)
# Timings on a shared machine are noisy: compare rows of one run, not runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
NNMPI=${NNMPI:-build/nnmpi}
RUNS=${RUNS:-3}
data=${DATA:-data/mnist-rot10.h5}
[ -x "$NNMPI" ] || jobs/build.sh build
[ -f data/mnist/train-images-idx3-ubyte ] || jobs/fetch-mnist.sh data/mnist
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# prepare: seconds (median)
for i in $(seq "$RUNS"); do
  s=$(date +%s.%N)
  "$NNMPI" prepare --mnist data/mnist -o "$work/prep.h5" -q
  awk -v a="$(date +%s.%N)" -v b="$s" 'BEGIN{print a - b}'
done | median >"$work/prep"
[ -f "$data" ] || cp "$work/prep.h5" "$data"

# train NP ARGS...: median samples/s and peak MiB per rank of one epoch
train() {
  local np=$1; shift
  for i in $(seq "$RUNS"); do
    mpirun --oversubscribe -np "$np" "$NNMPI" train --set data.file="$data" --fresh \
      --set train.epochs=1 --set output.dir="$work/run" "$@" >"$work/log" 2>&1 \
      || { cat "$work/log" >&2; exit 1; }
    echo "$(tail -1 "$work/run/metrics.csv" | cut -d, -f6)" \
      "$(sed -n 's/.* peak memory per rank \([0-9]*\) MiB.*/\1/p' "$work/log")"
  done >"$work/t"
  echo "$(cut -d' ' -f1 "$work/t" | median) $(cut -d' ' -f2 "$work/t" | sort -n | tail -1)"
}

echo "| configuration | ranks | samples/s (median of $RUNS) | GFLOP/s | speed-up vs 1 rank | peak RSS per rank |"
echo "|---|---|---|---|---|---|"
flop=639200   # FLOP per training sample of 784-200-10 (forward + both weight gradients)
row() {  # row LABEL NP BASE ARGS...
  local label=$1 np=$2 base=$3; shift 3
  read -r sps rss < <(train "$np" "$@")
  local speedup="-"
  [ -z "$base" ] || speedup=$(awk -v a="$sps" -v b="$base" 'BEGIN{printf "%.2fx", a/b}')
  printf "| %s | %d | %.0f | %.1f | %s | %s MiB |\n" "$label" "$np" "$sps" \
    "$(awk -v s="$sps" -v f=$flop 'BEGIN{print s*f/1e9}')" "$speedup" "$rss"
  last=$sps
}
for b in 32 128 512; do
  row "sync, batch $b, gradient" 1 "" --set train.mode=sync --set train.batch=$b --set net.rule=gradient
  row "sync, batch $b, gradient" 2 "$last" --set train.mode=sync --set train.batch=$b --set net.rule=gradient
done
row "local, batch 1 (book loop)" 1 "" --set train.mode=local --set net.rule=book --set train.lr=0.01
row "local, batch 1 (book loop)" 2 "$last" --set train.mode=local --set net.rule=book --set train.lr=0.01
echo
printf "nnmpi prepare (60,000 + 2x60,000 rotated, HDF5 write): %.2f s (median of %d)\n" "$(cat "$work/prep")" "$RUNS"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
