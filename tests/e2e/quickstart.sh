# jobs/quickstart.sh, the main job, end to end (one epoch instead of ten):
# it installs nothing new here, builds, reuses the MNIST download, prepares
# data/mnist-rot10.h5 if needed, trains on 2 ranks and evaluates; a second
# run reuses the prepared file and the finished training (--resume auto).
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
cat >"$WORK/qs.ini" <<INI
[data]
file = data/mnist-rot10.h5
[net]
rule = gradient
[train]
batch = 32
lr = 2
epochs = 1
[output]
dir = $WORK/run
INI
for run in 1 2; do
  "$NNMPI_SRC/jobs/quickstart.sh" "$WORK/qs.ini" >"$WORK/log$run" 2>&1 || { cat "$WORK/log$run"; fail "quickstart run $run"; }
  grep -q "^accuracy 0\.9" "$WORK/log$run" || { cat "$WORK/log$run"; fail "no accuracy line"; }
  grep -q "^model: *$WORK/run/model.h5" "$WORK/log$run" || fail "model location not printed"
done
grep -q "is there already" "$WORK/log2" || fail "the second run prepared the data again"
grep -q "nothing to train" "$WORK/log2" || fail "the second run trained the finished run again"
ok "quickstart twice"
