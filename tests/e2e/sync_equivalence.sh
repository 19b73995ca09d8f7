# Sync mode does the same mathematics on any number of ranks: the same
# global batches give the same weights (to float rounding) on 1, 2, 3, 4
# ranks; the same config on the same ranks gives bit-identical weights; the
# sparse step's kernels (AVX-512, AVX2, plain C: NNMPI_SIMD) agree; and batch
# 1 in sync mode (the sparse step) equals the book's per-sample loop (local
# mode, dense GEMV) on one rank.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
common=(--set data.file="$TESTDATA/tiny.h5" --set net.hidden=30 --set train.epochs=2)
sync=("${common[@]}" --set train.mode=sync --set train.batch=12 --set train.lr=0.5 --set net.rule=gradient)

# same_weights A B WHAT: both weight matrices of models A and B within 1e-5,
# or fail with the first differences and "WHAT differ in <matrix>"
same_weights() {
  local w
  for w in /net/w_ih /net/w_ho; do
    h5diff -d 1e-5 "$1" "$2" $w $w >/dev/null \
      || { h5diff -d 1e-5 "$1" "$2" $w $w | head; fail "$3 differ in $w by more than 1e-5"; }
  done
}
for np in 1 2 3 4; do
  run_np "$np" train "${sync[@]}" --set output.dir="$WORK/s$np" >"$WORK/s$np.log" 2>&1 \
    || { cat "$WORK/s$np.log"; fail "sync on $np ranks"; }
done
for np in 2 3 4; do
  same_weights "$WORK/s1/model.h5" "$WORK/s$np/model.h5" "1 vs $np ranks"
done
ok "sync: 1, 2, 3, 4 ranks agree within 1e-5"

run_np 2 train "${sync[@]}" --set output.dir="$WORK/again" >/dev/null 2>&1
for w in /net/w_ih /net/w_ho; do
  h5diff "$WORK/s2/model.h5" "$WORK/again/model.h5" $w $w >/dev/null || fail "same run twice differs in $w"
done
ok "same config, same ranks: bit-identical"

# every kernel this CPU has gives the same weights (plain C on any CPU);
# one it lacks is skipped, saying so
default_isa=$(sed -n 's/.*sparse kernels: \([a-z0-9]*\).*/\1/p' "$WORK/s2.log" | head -1)
compared=()
for isa in c avx2; do
  if [ $isa = avx2 ] && ! grep -qw avx2 /proc/cpuinfo; then
    echo "skipped: NNMPI_SIMD=avx2 (this CPU lacks AVX2)"
    continue
  fi
  NNMPI_SIMD=$isa run_np 2 train "${sync[@]}" --set output.dir="$WORK/isa-$isa" >"$WORK/log" 2>&1 \
    || { cat "$WORK/log"; fail "NNMPI_SIMD=$isa"; }
  grep -q "sparse kernels: $isa" "$WORK/log" || { grep "sparse kernels" "$WORK/log"; fail "NNMPI_SIMD=$isa not taken"; }
  same_weights "$WORK/s2/model.h5" "$WORK/isa-$isa/model.h5" "NNMPI_SIMD=$isa and the default kernels"
  compared+=("$isa")
done
ok "NNMPI_SIMD=${compared[*]}: the same weights as the default kernels (${default_isa:-?}), within 1e-5"

# a different seed must change the result (the comparison above can fail)
run_np 2 train "${sync[@]}" --set train.seed=2 --set output.dir="$WORK/seed2" >/dev/null 2>&1
! h5diff -q -d 1e-5 "$WORK/s2/model.h5" "$WORK/seed2/model.h5" /net/w_ho /net/w_ho || fail "seed ignored"
ok "another seed, other weights"

for rule in book gradient; do
  run_np 1 train "${common[@]}" --set net.rule=$rule --set train.mode=sync --set train.batch=1 \
    --set train.lr=0.1 --set output.dir="$WORK/b1$rule" >/dev/null 2>&1 || fail "sync batch 1"
  run_np 1 train "${common[@]}" --set net.rule=$rule --set train.mode=local \
    --set train.lr=0.1 --set output.dir="$WORK/l1$rule" >/dev/null 2>&1 || fail "local 1 rank"
  same_weights "$WORK/b1$rule/model.h5" "$WORK/l1$rule/model.h5" \
    "rule $rule: sync batch 1 and the per-sample loop"
done
ok "sync batch 1 == per-sample loop, both rules"
