# Local mode (per-sample SGD per rank, weights averaged every sync_every
# samples): reproducible on the same ranks, runs on 1, 2, 4 ranks, learns.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
args=(--set data.file="$TESTDATA/quick.h5" --set train.mode=local --set net.rule=book
      --set train.lr=0.1 --set train.epochs=1 --set train.sync_every=500)
for np in 1 2 4; do
  run_np "$np" train "${args[@]}" --set output.dir="$WORK/l$np" >"$WORK/log" 2>&1 \
    || { cat "$WORK/log"; fail "local mode on $np ranks"; }
  at_least "$(metric "$WORK/l$np/metrics.csv" test_accuracy)" 0.85 "local mode, $np ranks"
done
run_np 2 train "${args[@]}" --set output.dir="$WORK/again" >/dev/null 2>&1
h5diff "$WORK/l2/model.h5" "$WORK/again/model.h5" /net/w_ih /net/w_ih >/dev/null \
  || fail "local mode on 2 ranks is not reproducible"
ok "local mode reproducible"
