# Hidden-unit (tensor) parallelism gives the mathematics of one rank:
# - sync mode, both rules: T = 2, 3 (100 hidden units: slices of 34, 33,
#   33), 4 ranks per sample, and 2 groups of 2, each within 1e-5 of the
#   weights of 1 rank (the output sums are added in another order);
# - local mode: T = 2 and 3 within 1e-5 of 1 rank (one worker), and 2
#   groups of 2 within 1e-5 of 2 ranks without slices (two workers);
# - resume across P x T: a mid-epoch checkpoint of 2 groups of 2 continues
#   on 1 group of 2 and on 1 rank, and one of 1 rank on 3 slices, each
#   within 1e-5 of the uninterrupted run;
# - auto picks the ranks of the node (2 here) in sync mode and 1 in local
#   mode, and says so; a tensor_parallel that does not divide the ranks is
#   a configuration error (exit 2);
# - tensor_parallel = 1 is data parallelism as before (e2e_sync_equivalence
#   and the resume tests hold it to that).
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
base=(--set data.file="$TESTDATA/quick.h5" --set net.hidden=100 --set train.epochs=2
      --set train.batch=32 --set train.lr=1 --set train.sync_every=200
      --set checkpoint.every_steps=100 --set checkpoint.keep=100)
same_weights() {  # same_weights A.h5 B.h5 WHAT: within 1e-5
  local d
  for d in /net/w_ih /net/w_ho; do
    h5diff -d 1e-5 "$1" "$2" "$d" "$d" >"$WORK/diff" || { head -5 "$WORK/diff"; fail "$3: $d differs by more than 1e-5"; }
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

# auto and refusals
run 2 "$WORK/auto-sync" --set train.epochs=1
grep -q "^tensor parallel: 1 group of 2 ranks; .* (auto: the ranks of a node)" "$WORK/auto-sync.log" \
  || { cat "$WORK/auto-sync.log"; fail "auto in sync mode did not take the node's 2 ranks"; }
run 2 "$WORK/auto-local" --set train.epochs=1 --set train.mode=local
! grep -q "^tensor parallel:" "$WORK/auto-local.log" || fail "auto in local mode took slices"
expect_fail 2 "\[train\] tensor_parallel = 3: it must divide the 2 ranks into groups" \
  run_np 2 train "${base[@]}" --set output.dir="$WORK/x" --set train.tensor_parallel=3
expect_fail 2 "\[train\] tensor_parallel = 'two': expected a whole number from 1 to 4096, or auto" \
  "$NNMPI" train "${base[@]}" --set train.tensor_parallel=two --print-config
ok "auto: the node's ranks in sync mode, 1 in local mode; a tensor_parallel that does not divide the ranks refused"
