#!/usr/bin/env bash
# Training throughput benchmark, side by side with PyTorch on the same
# network (784-200-10 sigmoid, no biases), the same data (the 180,000 rows
# of MNIST with +-10 degree rotations) and the same batch, in one run.
#
# For each configuration: nnmpi's samples/s over one epoch (median of RUNS
# runs), the share of this machine's nominal fp32 peak, the speed-up of 2
# ranks over 1 (runs of 1 and 2 ranks alternate; the median of their
# ratios) and what the two cores' own speeds allow (see pairs) -- 2 ranks
# as configured by default (tensor_parallel = auto: in sync mode both
# ranks compute slices of the hidden units of every sample, up to a batch
# of 512, which they share) and 2 ranks the other way (tensor_parallel = 1,
# data-parallel, or 2 at batch 512) --, the peak resident memory per rank,
# and -- when PyTorch is
# installed (--torch installs Debian's python3-torch) -- the best samples/s
# of the PyTorch reference (../shared/bench/torch_mlp.py, or TORCH_MLP=...)
# over its fast "manual" implementation on 1 and 2 threads, with OpenBLAS's
# kernels as the environment sets them and, on a CPU with AVX-512, with its
# SkylakeX (AVX-512) kernels too -- nnmpi's own kernels use AVX-512 where the
# CPU has it, so PyTorch gets the same chance -- and the ratio.
#
# Last, a deeper net (DEEP_LAYERS, default 784-1000-500-10: ReLU, softmax and
# cross-entropy, biases) on the 60,000 originals, beside its PyTorch
# reference tests/bench/torch_deep.py (the same net, batch and lr, written
# out as matrix products: PyTorch's fastest CPU path).
#
# "% of fp32 peak" counts the dense network's 639,200 FLOP per sample; nnmpi
# skips the products of unlit pixels (about three quarters of them on
# MNIST), so it is the dense-equivalent rate, not the FLOP the CPU ran.
# Then distortions on the fly ([augment] rotate + shift + elastic, fresh
# fields and elastic_bank 64) against none, on 1 and 2 ranks. Also the time
# of `nnmpi prepare` and of evaluating the 10,000 test images.
#
#   tests/bench/run.sh [--torch] [--quick]
#     RUNS=3  NNMPI=build/nnmpi  PEAK_GFLOPS=157 (2 cores x AVX2 FMA x 2.45 GHz)
#     BENCH_CHART_DIR=DIR keeps the report (and chart) of time to 98.4% against
#     ranks, the measured runs beside docs/time-to-accuracy-predicted.csv
#     BENCH_KEEP=1 keeps the working directory (every round's figures), and
#     says where it is
#
# Timings on a shared machine are noisy: compare rows of one run, not runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
NNMPI=${NNMPI:-build/nnmpi}
RUNS=${RUNS:-3}
PEAK_GFLOPS=${PEAK_GFLOPS:-157}
TORCH_MLP=${TORCH_MLP:-../shared/bench/torch_mlp.py}
FLOP=639200   # per training sample: forward + both weight gradients + hidden error
torch=0 quick=0
for a in "$@"; do
  case $a in
    --torch) torch=1 ;;
    --quick) quick=1 RUNS=1 ;;
    *) echo "usage: tests/bench/run.sh [--torch] [--quick]" >&2; exit 2 ;;
  esac
done
[ -x "$NNMPI" ] || jobs/build.sh build
jobs/fetch-mnist.sh data/mnist >/dev/null
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [ $torch = 1 ] && ! /usr/bin/python3 -c "import torch, scipy" 2>/dev/null; then
  jobs/install-deps.sh python3-torch python3-scipy python3-numpy >&2
fi
have_torch=0
[ -f "$TORCH_MLP" ] && /usr/bin/python3 -c "import torch, scipy" 2>/dev/null && have_torch=1
work=$(mktemp -d)
trap '[ -n "${BENCH_KEEP:-}" ] && echo "figures of every round: $work" || rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) print 0; else print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
seconds() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN{print a - b}'; }

# prepare: seconds (median); the file is the benchmark's data
for i in $(seq "$RUNS"); do
  s=$(date +%s.%N)
  "$NNMPI" prepare --mnist data/mnist -o "$work/data.h5" -q
  seconds "$s"
done | median >"$work/prepare"
data=$work/data.h5
# the originals alone, for the deeper net's row
"$NNMPI" prepare --mnist data/mnist --rotations '' -o "$work/plain.h5" -q
plain=$work/plain.h5
DEEP_LAYERS=${DEEP_LAYERS:-784,1000,500,10}

# nnmpi NP ARGS...: one one-epoch run, "samples/s peakMiB"; NP = 1@C: one
# rank on core C; N@none: N ranks bound to no core
nnmpi() {
  local np=$1 pin=(); shift
  case $np in
    *@none) pin=(--bind-to none); np=${np%@none} ;;
    1@*) pin=(--bind-to none -np 1 taskset -c "${np#1@}"); np=1 ;;
  esac
  mpirun --oversubscribe -np "$np" "${pin[@]}" "$NNMPI" train --set data.file="$data" --fresh \
    --set train.epochs=1 --set output.dir="$work/run" --set output.backquery=false \
    --set checkpoint.every_epochs=0 "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  echo "$(tail -1 "$work/run/metrics.csv" | cut -d, -f6)" \
    "$(sed -n 's/.* peak memory per rank \([0-9]*\) MiB.*/\1/p' "$work/log")"
}

# pairs ARGS...: RUNS rounds of runs -- 1 rank (Open MPI binds it to core
# 0), 1 rank on core 1, 2 ranks -- so that all see the same minute of this
# shared host. Prints the medians "one rss1 two rss2 speedup ceiling": the
# speed-up is the median of the rounds' own ratios, and the ceiling what
# the two cores allow: sync steps wait for the slower core, so 2 ranks gain
# at most 2 x (the slower core's speed) / (core 0's speed). The cores of a
# virtual machine need not be equally fast (here they have differed by up to
# 45%, varying from one minute to the next).
pairs() {  # pairs ALT ARGS...: ALT the tensor_parallel of the other split than auto's
  local alt=$1; shift
  for i in $(seq "$RUNS"); do
    read -r one rss1 < <(nnmpi 1 "$@")
    read -r core1 _ < <(nnmpi 1@1 "$@")
    read -r two rss2 < <(nnmpi 2 "$@")
    read -r dp rss_dp < <(nnmpi 2 "$@" --set train.tensor_parallel="$alt")
    echo "$one $rss1 $two $rss2" \
      "$(awk -v a="$two" -v b="$one" -v c="$core1" 'BEGIN{print a/b, 2*(c < b ? c : b)/b}')" \
      "$dp $rss_dp $(awk -v a="$dp" -v b="$one" 'BEGIN{print a/b}')"
  done >"$work/pairs"
  local k out=""
  for k in 1 2 3 4 5 6 7 8 9; do out="$out $(cut -d' ' -f$k "$work/pairs" | median)"; done
  echo $out
}

# OpenBLAS core types to try for PyTorch: the environment's, and SkylakeX
# (AVX-512) where the CPU has AVX-512
coretypes=("${OPENBLAS_CORETYPE:-}")
grep -qw avx512f /proc/cpuinfo && [ "${OPENBLAS_CORETYPE:-}" != SkylakeX ] && coretypes+=(SkylakeX)

# torch CORE BATCH RULE: the best samples/s of the reference over 1 and 2
# threads with that OpenBLAS core type ('' = the environment's choice); RULE
# "deep" is the deeper net's reference (tests/bench/torch_deep.py, DEEP_LAYERS)
torch_best() {
  local best=0 how=- core=$1; shift
  for threads in 1 2; do
    local out ref
    if [ "$2" = deep ]; then
      ref=(tests/bench/torch_deep.py --data data/mnist --layers "$DEEP_LAYERS" --batch "$1" --lr 0.1)
    else
      ref=("$TORCH_MLP" --data data/mnist --rotations --batch "$1" --lr 0.1 --rule "$2" --impl manual)
    fi
    out=$(env ${core:+OPENBLAS_CORETYPE=$core} OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 "${ref[@]}" \
      --threads "$threads" --epochs 1 --no-test $( [ $quick = 1 ] && echo --limit 40000 ) \
      2>/dev/null | sed -n 's/.*  \([0-9]*\) samples\/s.*/\1/p')
    if [ -n "$out" ] && [ "$out" -gt "$best" ]; then
      best=$out how="manual, $threads thread$([ "$threads" = 1 ] || echo s)"
    fi
  done
  echo "$best|$how"
}

pct() { awk -v s="$1" -v f=$FLOP -v p="$PEAK_GFLOPS" 'BEGIN{printf "%.0f%%", 100*s*f/(p*1e9)}'; }

avx512_col=0
[ "${#coretypes[@]}" -gt 1 ] && avx512_col=1
header="| configuration | ranks | nnmpi samples/s | % of fp32 peak | 2 ranks / 1 rank | peak RSS per rank | PyTorch as configured | nnmpi / PyTorch |"
rule="|---|---|---|---|---|---|---|---|"
if [ $avx512_col = 1 ]; then
  header="$header PyTorch, AVX-512 OpenBLAS | nnmpi / PyTorch |"
  rule="$rule---|---|"
fi
echo "$header"
echo "$rule"
row() {  # row LABEL BATCH TORCH_RULE ARGS...
  local label=$1 batch=$2 trule=$3; shift 3
  local one rss1 two rss2 speedup ceiling dp rss_dp dp_speedup
  # auto shares batches of 512 on 2 ranks (tensor.c): the other row slices
  local alt=1 alt_label="2, data-parallel"
  [ "$batch" -ge 512 ] && alt=2 alt_label="2, sliced (tensor_parallel = 2)"
  read -r one rss1 two rss2 speedup ceiling dp rss_dp dp_speedup < <(pairs "$alt" "$@")
  local t="-" ratio="-" t5="-" ratio5="-"
  if [ $have_torch = 1 ]; then
    IFS='|' read -r tb how < <(torch_best "${coretypes[0]}" "$batch" "$trule")
    t="$tb ($how)"
    ratio=$(awk -v a="$two" -v b="$tb" 'BEGIN{if (b > 0) printf "%.2fx", a/b; else print "-"}')
    if [ $avx512_col = 1 ]; then
      IFS='|' read -r tb how < <(torch_best SkylakeX "$batch" "$trule")
      t5="$tb ($how)"
      ratio5=$(awk -v a="$two" -v b="$tb" 'BEGIN{if (b > 0) printf "%.2fx", a/b; else print "-"}')
    fi
  fi
  local extra1="" extra2=""
  if [ $avx512_col = 1 ]; then extra1=" | |"; extra2=" $t5 | $ratio5 |"; fi
  speedup=$(awk -v r="$speedup" -v c="$ceiling" 'BEGIN{printf "%.2fx (cores allow %.2fx)", r, c}')
  printf "| %s | 1 | %.0f | %s | | %s MiB | | |%s\n" "$label" "$one" "$(pct "$one")" "$rss1" "$extra1"
  printf "| %s | 2 | %.0f | %s | %s | %s MiB | %s | %s |%s\n" "$label" "$two" "$(pct "$two")" \
    "$speedup" "$rss2" "$t" "$ratio" "$extra2"
  printf "| %s | %s | %.0f | %s | %.2fx | %s MiB | | |%s\n" "$label" "$alt_label" "$dp" \
    "$(pct "$dp")" "$dp_speedup" "$rss_dp" "$extra1"
}
for b in 32 128; do
  row "sync, batch $b, exact gradient" "$b" grad --set train.mode=sync --set train.batch=$b \
    --set net.rule=gradient --set train.lr=1
done
[ $quick = 1 ] || row "sync, batch 512, exact gradient" 512 grad --set train.mode=sync \
  --set train.batch=512 --set net.rule=gradient --set train.lr=1
row "local, batch 1 (the book's loop)" 1 book --set train.mode=local --set net.rule=book \
  --set train.lr=0.01
# a deeper net (ReLU, softmax + cross-entropy, biases), both sides on the
# 60,000 originals
data=$plain book_flop=$FLOP
FLOP=$(echo "$DEEP_LAYERS" | awk -F, '{for (l = 1; l < NF; l++) {f += 4 * $l * $(l + 1); if (l > 1) f += 2 * $l * $(l + 1)}; print f}')
row "$DEEP_LAYERS ReLU/softmax/biases, batch 128" 128 deep --set train.mode=sync \
  --set train.batch=128 --set train.lr=0.1 --set net.layers="$DEEP_LAYERS" \
  --set net.activation=relu --set net.output=softmax --set net.loss=cross_entropy \
  --set net.bias=true --set net.init=he --set net.rule=gradient
data=$work/data.h5 FLOP=$book_flop

# distortions on the fly ([augment] rotate 10, shift 2, elastic 34/4, every
# sample) against none, on the originals, batch 32, runs alternated, with
# --bind-to none so that a rank's helper thread may use the other core:
# fresh fields (prepare's bytes) and a bank of 64 (elastic_bank); and, what
# on the fly replaces, training on stored copies (best.ini's file: rotated,
# shifted and elastic copies, whose lit pixels are as many as distorted
# digits')
"$NNMPI" prepare --mnist data/mnist --rotations -10,10 --shifts 1 --elastic 2 -o "$work/copies.h5" -q
aug_run() {  # NP ARGS...: samples/s of one epoch
  local np=$1 speed; shift
  read -r speed _ < <(data=$plain nnmpi "$np@none" --set train.batch=32 --set train.lr=1 "$@")
  echo "$speed"
}
distort=(--set augment.rotate=10 --set augment.shift=2 --set augment.elastic_alpha=34)
for np in 1 2; do
  for i in $(seq "$RUNS"); do
    echo "$(aug_run $np) $(aug_run $np "${distort[@]}") $(aug_run $np "${distort[@]}" --set augment.elastic_bank=64)" \
      "$(aug_run $np --set data.file="$work/copies.h5")"
  done >"$work/augment-$np"
done

# evaluation of the 10,000 test images (nnmpi eval, whole process)
mpirun -np 1 "$NNMPI" train --set data.file="$data" --fresh --set train.epochs=1 \
  --set output.dir="$work/run" --set output.backquery=false >/dev/null 2>&1
for i in $(seq "$RUNS"); do
  s=$(date +%s.%N)
  "$NNMPI" eval -m "$work/run/model.h5" -d "$data" >/dev/null
  seconds "$s"
done | median >"$work/eval"

# time to accuracy on 1 and 2 ranks with configs/fast.ini (batch 32, 10
# epochs), configs/large-batch.ini (batch 128 with a warm-up, 12) and
# configs/sprint.ini (batch 64, warm-up and linear decay, 8), runs
# alternated: the run's own clock at the first epoch that reaches the book's
# 97.87% and 98.4% ("nan" if it does not), and the whole mpirun
# tta NP CONFIG ROUND: "t97 epoch97 t984 epoch984 total final"; the run
# directory stays as $work/tta-NP-CONFIG-ROUND for the chart
tta() {
  local s total dir=$work/tta-$1-$2-$3
  s=$(date +%s.%N)
  mpirun --oversubscribe -np "$1" "$NNMPI" train -c "configs/$2.ini" --set data.file="$data" --fresh \
    --set output.dir="$dir" --set output.backquery=false --set checkpoint.every_epochs=0 \
    >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  total=$(seconds "$s")
  awk -F, -v total="$total" 'NR > 1 && !a && $4 >= 0.9787 {a = $7 " " $1}
    NR > 1 && !b && $4 >= 0.984 {b = $7 " " $1} {last = $4}
    END {print (a ? a : "nan -"), (b ? b : "nan -"), total, last}' "$dir/metrics.csv"
}
tta_configs="fast large-batch sprint"
for i in $(seq "$RUNS"); do
  for c in $tta_configs; do
    tta 1 "$c" "$i" >>"$work/tta-1-$c.txt"
    tta 2 "$c" "$i" >>"$work/tta-2-$c.txt"
  done
done
echo
for c in $tta_configs; do
  for np in 1 2; do
    f=$work/tta-$np-$c.txt
    printf "time to accuracy, configs/%s.ini on %d rank%s: 97.87%% after %.1f s of training (epoch %s)," \
      "$c" "$np" "$([ "$np" = 1 ] || echo s)" "$(cut -d' ' -f1 "$f" | median)" "$(cut -d' ' -f2 "$f" | sort -n | tail -1)"
    printf " 98.4%% after %.1f s (epoch %s); the whole run %.1f s, final accuracy %s\n" \
      "$(cut -d' ' -f3 "$f" | median)" "$(cut -d' ' -f4 "$f" | sort -n | tail -1)" \
      "$(cut -d' ' -f5 "$f" | median)" "$(cut -d' ' -f6 "$f" | median)"
    echo "$(cut -d' ' -f3 "$f" | median) $c" >>"$work/tta-best-$np.txt"
  done
done
# each rank count with the configuration that reached 98.4% sooner (a run
# that missed it counts as nan and loses)
best1=$(sort -g "$work/tta-best-1.txt" | grep -v '^nan' | head -1)
best2=$(sort -g "$work/tta-best-2.txt" | grep -v '^nan' | head -1)
if [ -n "$best1" ] && [ -n "$best2" ]; then
  awk -v a="${best2% *}" -v b="${best1% *}" -v ca="${best2#* }" -v cb="${best1#* }" \
    'BEGIN {printf "time to 98.4%%, each with its best configuration: 2 ranks (%s) / 1 rank (%s): %.2f\n", ca, cb, a / b}'
  # the chart of docs/performance.md and docs/time-to-accuracy.md: the median run of each
  # rank count's best configuration, beside the model's prediction
  median_run() { # NP CONFIG: the round whose time to 98.4% is the median
    local t
    t=$(cut -d' ' -f3 "$work/tta-$1-$2.txt" | median)
    echo "$work/tta-$1-$2-$(awk -v t="$t" '$3 == t {print NR; exit}' "$work/tta-$1-$2.txt")"
  }
  chart=${BENCH_CHART_DIR:-$work/chart}
  mkdir -p "$work/np1" "$work/np2"
  ln -sfn "$(median_run 1 "${best1#* }")" "$work/np1/1-rank-${best1#* }"
  ln -sfn "$(median_run 2 "${best2#* }")" "$work/np2/2-ranks-${best2#* }"
  "$NNMPI" report -q --target 98.4 --predicted docs/time-to-accuracy-predicted.csv -o "$chart" \
    "$work"/np1/* "$work"/np2/* >/dev/null && echo "chart of time to 98.4% against ranks: $chart/time_to_target.png"
fi
for np in 1 2; do
  f=$work/augment-$np
  read -r none fresh bank stored < <(for k in 1 2 3 4; do cut -d' ' -f$k "$f" | median; done | xargs)
  awk -v np="$np" -v n="$none" -v f="$fresh" -v b="$bank" -v s="$stored" 'BEGIN {
    printf "distortions on the fly (rotate 10, shift 2, elastic 34/4), %d rank%s, batch 32: none %.0f samples/s, fresh fields %.0f (%.0f%%), elastic_bank 64 %.0f (%.0f%%); stored copies instead %.0f (the bank: %.0f%% of it)\n",
      np, (np > 1 ? "s" : ""), n, f, 100 * f / n, b, 100 * b / n, s, 100 * b / s}'
done
printf "nnmpi prepare (60,000 + 2 x 60,000 rotated, written as HDF5): %.2f s\n" "$(cat "$work/prepare")"
printf "nnmpi eval (10,000 test images, whole process): %.2f s\n" "$(cat "$work/eval")"
echo "peak: $PEAK_GFLOPS GFLOP/s = $(awk -v p="$PEAK_GFLOPS" -v f=$FLOP 'BEGIN{printf "%.0f", p*1e9/f}') samples/s;" \
  "BLAS kernels: $(sed -n 's/^BLAS: OpenBLAS \([A-Za-z0-9]*\),.*/\1/p' "$work/log" | head -1)" \
  "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset};" \
  "nnmpi's sparse kernels: $(sed -n 's/.*sparse kernels: \([a-z0-9]*\).*/\1/p' "$work/log" | head -1)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
[ $have_torch = 1 ] || echo "(PyTorch not installed or $TORCH_MLP missing: run with --torch)"
