# [train] optimizer = lars and momentum (sync mode):
# - the step's time is said with the optimizer's part;
# - the weights of 1 rank, of 2 ranks sharing each sample (T = 2), of 2
#   ranks sharing the batch and of 2 groups of 2 agree within 1e-5 (the
#   layers' sizes and the gradient are summed in another order);
# - a checkpoint holds the momentum (/optimizer, with its checksum): a
#   mid-epoch checkpoint resumed on 1 rank gives the uninterrupted run's
#   weights bit for bit, and on 2 slices within 1e-5; 2 data-parallel
#   ranks, each stepping half the weights, write the whole velocity (resumed
#   on 1 rank within 1e-5); one written without
#   momentum starts it at 0, and says so; a damaged one is refused;
# - it learns (a global batch of 256 on the quick data);
# - local mode refuses both keys (exit 2).
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
base=(--set data.file="$TESTDATA/quick.h5" --set net.hidden=100 --set net.rule=gradient
      --set train.epochs=3 --set train.batch=256 --set train.optimizer=lars --set train.momentum=0.9
      --set train.lr=1 --set train.warmup_epochs=0.5 --set train.lr_schedule=cosine
      --set checkpoint.every_steps=10 --set checkpoint.keep=100)
same_weights() {  # same_weights A.h5 B.h5 WHAT: within 1e-5
  for d in w_ih w_ho; do
    h5diff -d 1e-5 "$1" "$2" "/net/$d" "/net/$d" >"$WORK/diff" || { head -5 "$WORK/diff"; fail "$3: /net/$d differs by more than 1e-5"; }
  done
}
sha() { "$NNMPI" info "$1" | awk '/weights:/ { print $3 }'; }
run() {  # run NP DIR ARGS...
  local np=$1 d=$2; shift 2
  run_np "$np" train "${base[@]}" --set output.dir="$d" "$@" >"$d.log" 2>&1 || { cat "$d.log"; fail "training into $d"; }
}

one=$WORK/one
run 1 "$one" --set train.tensor_parallel=1
at_least "$(metric "$one/metrics.csv" test_accuracy)" 0.85 "LARS, batch 256, after 3 epochs"
for pt in 2x2 2x1 4x2; do
  np=${pt%x*} T=${pt#*x}
  run "$np" "$WORK/p$pt" --set train.tensor_parallel="$T"
  same_weights "$one/model.h5" "$WORK/p$pt/model.h5" "$np ranks in groups of $T"
done
grep -qE "^time per step: [0-9]+ us \([0-9]+ of them\); then the optimizer's step [0-9]+ us$" "$one.log" \
  || { cat "$one.log"; fail "1 rank: the optimizer's time per step not said"; }
grep -qE "^time per step: compute .*; then the optimizer's step [0-9]+ us$" "$WORK/p2x2.log" \
  || { cat "$WORK/p2x2.log"; fail "2 ranks: the optimizer's time per step not said"; }
ok "LARS with momentum: 1 rank, 2 slices, 2 data-parallel ranks, 2 groups of 2 agree within 1e-5"

mid=$(ls "$one"/ckpt-e000001-s*.h5 | grep -v s00000000000 | head -1)
h5ls "$mid/optimizer" | grep -q "^w_ih " || fail "no /optimizer/w_ih in $mid"
"$NNMPI" info "$mid" | grep -q "^  optimizer:  momentum of every weight" || fail "info does not show the momentum"
run_np 1 train --resume "$mid" --set output.dir="$WORK/r1" >"$WORK/r1.log" 2>&1 \
  || { cat "$WORK/r1.log"; fail "resume on 1 rank"; }
grep -q "^resuming from $mid" "$WORK/r1.log" || { cat "$WORK/r1.log"; fail "did not resume"; }
[ "$(sha "$WORK/r1/model.h5")" = "$(sha "$one/model.h5")" ] \
  || fail "resumed on 1 rank: not the uninterrupted run's weights"
run_np 2 train --resume "$mid" --set output.dir="$WORK/r2" --set train.tensor_parallel=2 \
  >"$WORK/r2.log" 2>&1 || { cat "$WORK/r2.log"; fail "resume on 2 slices"; }
same_weights "$one/model.h5" "$WORK/r2/model.h5" "resumed on 2 slices"
# 2 data-parallel ranks step half the weights each: their checkpoint holds
# the whole velocity
mid2=$(ls "$WORK/p2x1"/ckpt-e000001-s*.h5 | grep -v s00000000000 | head -1)
run_np 1 train --resume "$mid2" --set output.dir="$WORK/r6" >"$WORK/r6.log" 2>&1 \
  || { cat "$WORK/r6.log"; fail "resume of 2 data-parallel ranks on 1"; }
same_weights "$one/model.h5" "$WORK/r6/model.h5" "2 data-parallel ranks' checkpoint resumed on 1 rank"
ok "a mid-epoch checkpoint holds the momentum: resumed bit for bit on 1 rank, within 1e-5 on 2 slices, and 2 ranks' on 1"

# the same position without momentum: the run goes on with it from 0
plain=$WORK/plain
run 1 "$plain" --set train.optimizer=sgd --set train.momentum=0 --set train.epochs=1 --set train.lr=2
h5ls "$plain/ckpt-e000001-s00000000000.h5/optimizer" >/dev/null 2>&1 && fail "a checkpoint without momentum has /optimizer"
run_np 1 train --resume "$plain/ckpt-e000001-s00000000000.h5" --set train.epochs=3 \
  --set train.optimizer=lars --set train.momentum=0.9 --set output.dir="$WORK/r3" >"$WORK/r3.log" 2>&1 \
  && fail "optimizer changed on resume: accepted"
grep -q "optimizer is sgd in the checkpoint but lars now" "$WORK/r3.log" || { cat "$WORK/r3.log"; fail "optimizer change: no reason given"; }
run_np 1 train --resume "$plain/ckpt-e000001-s00000000000.h5" --set train.epochs=3 \
  --set train.momentum=0.9 --set output.dir="$WORK/r4" >"$WORK/r4.log" 2>&1 \
  || { cat "$WORK/r4.log"; fail "resume with momentum from a checkpoint without"; }
grep -q "the checkpoint holds no momentum" "$WORK/r4.log" || { cat "$WORK/r4.log"; fail "not said: no momentum"; }
ok "momentum added on resume starts at 0, said; the optimizer itself stays fixed"

expect_fail 2 "optimizer = lars and momentum = 0.9 are for mode = sync" \
  "$NNMPI" train "${base[@]}" --set train.mode=local --set output.dir="$WORK/local"

# damaged momentum: one byte of /optimizer/w_ho changed in place, so that
# the checksum no longer matches
bad=$WORK/bad.h5
cp "$mid" "$bad"
offset=$(h5dump -p -H -d /optimizer/w_ho "$bad" | awk '/OFFSET/ { print $2; exit }')
[ -n "$offset" ] || fail "no offset of /optimizer/w_ho in $bad"
printf '\x7f' | dd of="$bad" bs=1 seek=$((offset + 2)) conv=notrunc status=none
expect_fail 1 "does not match its checksum" run_np 1 train --resume "$bad" --set output.dir="$WORK/r5"
