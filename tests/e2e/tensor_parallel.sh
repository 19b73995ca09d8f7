# Hidden-unit (tensor) parallelism gives the mathematics of one rank:
# - sync mode, both rules: T = 2, 3 (100 hidden units: slices of 34, 33,
#   33), 4 ranks per sample, and 2 groups of 2, each within 1e-5 of the
#   weights of 1 rank (the output sums are added in another order);
# - local mode: T = 2 and 3 within 1e-5 of 1 rank (one worker), and 2
#   groups of 2 within 1e-5 of 2 ranks without slices (two workers);
# - resume across P x T: a mid-epoch checkpoint of 2 groups of 2 continues
#   on 1 group of 2 and on 1 rank, and one of 1 rank on 3 slices, each
#   within 1e-5 of the uninterrupted run;
# - other shapes, their first hidden layer sliced and the layers above it
#   replicated: a 784-64-32-10 ReLU/softmax/cross-entropy net with biases
#   (compared after 100 steps: later a ReLU that the rounding moves across
#   0 may make a discrete difference, as in e2e_deep_net) and a 784-30-10
#   tanh net with biases (compared at the end), each on T = 2, 3 (uneven
#   slices), 4 and 2 groups of 2 in sync mode within 1e-5 of 1 rank; in
#   local mode 3 slices (ReLU, after 10 rounds) and 2 slices (tanh, after
#   an epoch) of 1 rank, 2 groups of 2 of 2 workers; resume across P x T;
# - auto picks the ranks of the node (2 here) in sync mode and 1 in local
#   mode, and says so, for the deep net too but not for one whose layers
#   above the first outweigh it, nor for a batch large enough that sharing
#   it costs less (256 samples for 100 hidden units, which it says); a tensor_parallel that does not divide the
#   ranks is a configuration error (exit 2);
# - the group's training rows are held once, in shared memory, or one
#   copy a rank where the shared memory's directory has no room (said),
#   to the same weights;
# - tensor_parallel = 1 is data parallelism as before (e2e_sync_equivalence
#   and the resume tests hold it to that).
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
base=(--set data.file="$TESTDATA/quick.h5" --set net.hidden=100 --set train.epochs=2
      --set train.batch=32 --set train.lr=1 --set train.sync_every=200
      --set checkpoint.every_steps=100 --set checkpoint.keep=100)
same_weights() {  # same_weights A.h5 B.h5 WHAT [LAYERS...]: within 1e-5 (default the book's)
  local a=$1 b=$2 what=$3 d; shift 3
  [ $# -gt 0 ] || set -- w_ih w_ho
  for d in "$@"; do
    h5diff -d 1e-5 "$a" "$b" "/net/$d" "/net/$d" >"$WORK/diff" || { head -5 "$WORK/diff"; fail "$what: /net/$d differs by more than 1e-5"; }
  done
}
run() {  # run NP DIR ARGS...
  local np=$1 d=$2; shift 2
  run_np "$np" train "${base[@]}" --set output.dir="$d" "$@" >"$d.log" 2>&1 || { cat "$d.log"; fail "training into $d"; }
}

for rule in gradient book; do
  one=$WORK/sync-$rule-1
  run 1 "$one" --set net.rule=$rule --set train.tensor_parallel=1
  for pt in 2x2 3x3 4x4 4x2; do
    np=${pt%x*} T=${pt#*x}
    d=$WORK/sync-$rule-$pt
    run "$np" "$d" --set net.rule=$rule --set train.tensor_parallel="$T"
    grep -q "^tensor parallel: $((np / T)) groups\? of $T ranks" "$d.log" || { cat "$d.log"; fail "$pt: not $((np / T)) group(s) of $T"; }
    same_weights "$one/model.h5" "$d/model.h5" "sync $rule, $np ranks in groups of $T"
  done
  ok "sync, rule $rule: slices of 2, 3, 4 ranks and 2 groups of 2 give 1 rank's weights within 1e-5"
done

# (per-sample SGD at the book's lr 0.1: a large lr would amplify the
# rounding of the output sums sample after sample)
local=(--set train.mode=local --set train.lr=0.1)
one=$WORK/local-1
run 1 "$one" "${local[@]}"
for T in 2 3; do
  run "$T" "$WORK/local-t$T" "${local[@]}" --set train.tensor_parallel="$T"
  same_weights "$one/model.h5" "$WORK/local-t$T/model.h5" "local, $T slices"
done
run 2 "$WORK/local-dp" "${local[@]}" --set train.tensor_parallel=1
run 4 "$WORK/local-2x2" "${local[@]}" --set train.tensor_parallel=2
same_weights "$WORK/local-dp/model.h5" "$WORK/local-2x2/model.h5" "local, 2 groups of 2"
ok "local mode: 2 and 3 slices give 1 rank's weights, 2 groups of 2 those of 2 workers, within 1e-5"

# resume across P x T (sync: the same global batches whatever the split)
ref=$WORK/sync-gradient-1
src=$WORK/sync-gradient-4x2
mid=$(ls "$src"/ckpt-e000001-s*.h5 | grep -v s00000000000 | head -1)
[ -n "$mid" ] || fail "no mid-epoch checkpoint in $src"
"$NNMPI" info "$mid" | grep -q "written by 4 ranks" || fail "$mid: not written by 4 ranks"
for pt in 2x2 1x1; do
  np=${pt%x*} T=${pt#*x}
  d=$WORK/resume-$pt
  run_np "$np" train --resume "$mid" --set output.dir="$d" --set train.tensor_parallel="$T" >"$d.log" 2>&1 \
    || { cat "$d.log"; fail "resume on $pt"; }
  grep -q "^resuming from $mid: 1 epoch done" "$d.log" || { cat "$d.log"; fail "$pt: did not resume"; }
  same_weights "$ref/model.h5" "$d/model.h5" "resumed on $np ranks in groups of $T"
done
mid1=$(ls "$ref"/ckpt-e000001-s*.h5 | grep -v s00000000000 | head -1)
run_np 3 train --resume "$mid1" --set output.dir="$WORK/resume-3x3" --set train.tensor_parallel=3 \
  >"$WORK/resume-3x3.log" 2>&1 || { cat "$WORK/resume-3x3.log"; fail "resume of 1 rank on 3 slices"; }
same_weights "$ref/model.h5" "$WORK/resume-3x3/model.h5" "1 rank's checkpoint resumed on 3 slices"
ok "resume across P x T: 2x2 -> 1x2 and 1x1, 1x1 -> 1x3, each within 1e-5 of the uninterrupted run"

# other shapes: the first hidden layer sliced, the layers above replicated
relu=(--set net.hidden=64 --set net.layers=784,64,32,10 --set net.activation=relu
      --set net.output=softmax --set net.loss=cross_entropy --set net.bias=true --set net.init=he --set net.rule=gradient
      --set train.lr=0.1 --set train.epochs=1)
relu_layers=(w1 b1 w2 b2 w3 b3)
tanh=(--set net.hidden=30 --set net.layers=784,30,10 --set net.activation=tanh --set net.bias=true
      --set net.init=glorot --set net.rule=gradient --set train.lr=0.5)
step100=ckpt-e000000-s00000000100.h5
step200=ckpt-e000000-s00000000200.h5
run 1 "$WORK/relu-1" "${relu[@]}" --set train.tensor_parallel=1
run 1 "$WORK/tanh-1" "${tanh[@]}" --set train.tensor_parallel=1
for pt in 2x2 3x3 4x4 4x2; do
  np=${pt%x*} T=${pt#*x}
  run "$np" "$WORK/relu-$pt" "${relu[@]}" --set train.tensor_parallel="$T"
  grep -q "^tensor parallel: $((np / T)) groups\? of $T ranks; .* of the 64 units of the first hidden layer .*, and the layers above it whole" "$WORK/relu-$pt.log" \
    || { cat "$WORK/relu-$pt.log"; fail "relu $pt: not $((np / T)) group(s) of $T"; }
  same_weights "$WORK/relu-1/$step100" "$WORK/relu-$pt/$step100" "sync relu, $np ranks in groups of $T, step 100" "${relu_layers[@]}"
  run "$np" "$WORK/tanh-$pt" "${tanh[@]}" --set train.tensor_parallel="$T"
  same_weights "$WORK/tanh-1/model.h5" "$WORK/tanh-$pt/model.h5" "sync tanh, $np ranks in groups of $T" w1 b1 w2 b2
done
ok "sync, 784-64-32-10 relu (step 100) and 784-30-10 tanh (2 epochs), with biases: slices of 2, 3, 4 ranks and 2 groups of 2 give 1 rank's weights within 1e-5"

# local mode: every sample exchanges, so few runs; per-sample SGD amplifies
# rounding (a 784-30-10 tanh net on 1 rank with the C and the AVX-512
# kernels: 1e-5 apart after an epoch, 1e-2 after two)
local_relu=("${local[@]}" "${relu[@]}" --set train.lr=0.01 --set checkpoint.every_steps=10)
local_tanh=("${local[@]}" "${tanh[@]}" --set train.lr=0.1 --set train.epochs=1)
step10=ckpt-e000000-s00000000010.h5
run 1 "$WORK/local-relu-1" "${local_relu[@]}"
run 3 "$WORK/local-relu-t3" "${local_relu[@]}" --set train.tensor_parallel=3
same_weights "$WORK/local-relu-1/$step10" "$WORK/local-relu-t3/$step10" "local relu, 3 slices, round 10" "${relu_layers[@]}"
run 2 "$WORK/local-relu-dp" "${local_relu[@]}" --set train.tensor_parallel=1
run 4 "$WORK/local-relu-2x2" "${local_relu[@]}" --set train.tensor_parallel=2
same_weights "$WORK/local-relu-dp/$step10" "$WORK/local-relu-2x2/$step10" "local relu, 2 groups of 2, round 10" "${relu_layers[@]}"
run 1 "$WORK/local-tanh-1" "${local_tanh[@]}"
run 2 "$WORK/local-tanh-t2" "${local_tanh[@]}" --set train.tensor_parallel=2
same_weights "$WORK/local-tanh-1/model.h5" "$WORK/local-tanh-t2/model.h5" "local tanh, 2 slices" w1 b1 w2 b2
ok "local mode, relu: 3 slices give 1 rank's weights and 2 groups of 2 those of 2 workers after 10 rounds; tanh: 2 slices 1 rank's after an epoch; within 1e-5"

# resume across P x T: the full layout in the files, any split after
mid=$WORK/relu-4x2/$step100
for pt in 2x2 1x1; do
  np=${pt%x*} T=${pt#*x}
  d=$WORK/resume-relu-$pt
  run_np "$np" train --resume "$mid" --set output.dir="$d" --set train.tensor_parallel="$T" >"$d.log" 2>&1 \
    || { cat "$d.log"; fail "relu: resume on $pt"; }
  same_weights "$WORK/relu-1/$step200" "$d/$step200" "relu resumed on $np ranks in groups of $T, step 200" "${relu_layers[@]}"
done
mid1=$(ls "$WORK/tanh-1"/ckpt-e000001-s*.h5 | grep -v s00000000000 | head -1)
run_np 4 train --resume "$mid1" --set output.dir="$WORK/resume-tanh-4x4" --set train.tensor_parallel=4 \
  >"$WORK/resume-tanh-4x4.log" 2>&1 || { cat "$WORK/resume-tanh-4x4.log"; fail "tanh: resume of 1 rank on 4 slices"; }
same_weights "$WORK/tanh-1/model.h5" "$WORK/resume-tanh-4x4/model.h5" "tanh: 1 rank's checkpoint resumed on 4 slices" w1 b1 w2 b2
ok "resume across P x T, other shapes: relu 2x2 -> 1x2 and 1x1 (step 200), tanh 1x1 -> 1x4 (the end), within 1e-5"

# auto and refusals
run 2 "$WORK/auto-sync" --set train.epochs=1
grep -q "^tensor parallel: 1 group of 2 ranks; .* (auto: the ranks of a node)" "$WORK/auto-sync.log" \
  || { cat "$WORK/auto-sync.log"; fail "auto in sync mode did not take the node's 2 ranks"; }
# the group's rows once, in shared memory; where shared memory has no
# room (here: a directory that is not there), one copy a rank, the same run
grep -q "^data: .* in memory its group's ranks share" "$WORK/auto-sync.log" \
  || { cat "$WORK/auto-sync.log"; fail "the group's rows were not in shared memory"; }
grep -q "held once by each group of 2 ranks" "$WORK/auto-sync.log" || fail "the memory line does not say the rows are held once"
OMPI_MCA_osc_sm_backing_directory=$WORK/nowhere run 2 "$WORK/own-rows" --set train.epochs=1
grep -q "the training rows stay one copy a rank: cannot tell the free space of $WORK/nowhere" "$WORK/own-rows.log" \
  || { cat "$WORK/own-rows.log"; fail "no word of the rows staying one copy a rank"; }
! grep -q "ranks share" "$WORK/own-rows.log" || fail "the rows were shared without room"
weights() { "$NNMPI" info "$1" | awk '/weights:/ { print $3 }'; }
[ "$(weights "$WORK/auto-sync/model.h5")" = "$(weights "$WORK/own-rows/model.h5")" ] \
  || fail "shared rows and one copy a rank trained different weights"
ok "the group's rows: once in shared memory, or one copy a rank where it has no room, the same weights"
run 2 "$WORK/auto-large" --set train.epochs=1 --set train.batch=256
! grep -q "^tensor parallel:" "$WORK/auto-large.log" || fail "auto sliced a batch of 256 for 100 hidden units"
grep -q "^data parallel (tensor_parallel = auto): at a batch of 256" "$WORK/auto-large.log" \
  || { cat "$WORK/auto-large.log"; fail "auto did not say why it shares the batch"; }
run 2 "$WORK/auto-local" --set train.epochs=1 --set train.mode=local
! grep -q "^tensor parallel:" "$WORK/auto-local.log" || fail "auto in local mode took slices"
run 2 "$WORK/relu-auto" "${relu[@]}" --set data.file="$TESTDATA/tiny.h5"
grep -q "^tensor parallel: 1 group of 2 ranks; .* (auto: the ranks of a node)" "$WORK/relu-auto.log" \
  || { cat "$WORK/relu-auto.log"; fail "auto did not slice the deep net"; }
run 2 "$WORK/top-auto" "${relu[@]}" --set data.file="$TESTDATA/tiny.h5" --set net.hidden=40 \
  --set net.layers=784,40,400,400,10
! grep -q "^tensor parallel:" "$WORK/top-auto.log" || fail "auto sliced 784-40-400-400-10, whose replicated layers outweigh the slices"
expect_fail 2 "\[train\] tensor_parallel = 3: it must divide the 2 ranks into groups" \
  run_np 2 train "${base[@]}" --set output.dir="$WORK/x" --set train.tensor_parallel=3
expect_fail 2 "\[train\] tensor_parallel = 'two': expected a whole number from 1 to 4096, or auto" \
  "$NNMPI" train "${base[@]}" --set train.tensor_parallel=two --print-config
ok "auto: the node's ranks in sync mode (the deep net's too, not 784-40-400-400-10's, not at batch 256), 1 in local mode; a tensor_parallel that does not divide the ranks refused"
