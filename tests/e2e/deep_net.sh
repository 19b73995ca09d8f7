# Networks other than the book's: a 784-32-16-10 ReLU net with a softmax
# output, cross-entropy and biases trains in sync mode to the same weights
# on 1 and 2 ranks, the 2 sharing each sample (auto: its first hidden layer
# in slices, e2e_tensor_parallel) or the batch (tensor_parallel = 1)
# (within the rounding of the sums: after 100 steps within 1e-5; later a
# ReLU whose input the rounding moves across 0 makes a discrete difference,
# measured at step ~323 of this run, so at the end the accuracies are
# compared), resumes bit-exact from a mid-epoch checkpoint,
# and eval, info and query follow its shape; backquery refuses it (ReLU)
# and runs a tanh net backwards; local mode trains; the settings that do
# not fit are refused (exit 2); a model written before these networks
# still evaluates the same.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
deep=(--set data.file="$TESTDATA/quick.h5" --set net.layers=784,32,16,10 --set net.activation=relu
      --set net.output=softmax --set net.loss=cross_entropy --set net.bias=true --set net.init=he
      --set net.rule=gradient --set train.lr=0.1 --set train.epochs=2 --set output.backquery=false)
# same_net A.h5 B.h5 [h5diff options]: exit 0 if every layer is equal
same_net() {
  local a=$1 b=$2 d; shift 2
  for d in w1 b1 w2 b2 w3 b3; do h5diff "$@" "$a" "$b" /net/$d /net/$d >/dev/null || return 1; done
}

ckpts=(--set checkpoint.every_steps=100 --set checkpoint.keep=100)
run_np 2 train "${deep[@]}" "${ckpts[@]}" --set output.dir="$WORK/np2" >"$WORK/log2" 2>&1 \
  || { cat "$WORK/log2"; fail "2 ranks"; }
grep -q "network 784-32-16-10 relu, softmax + cross_entropy, biases" "$WORK/log2" || fail "the log names no deep net"
run_np 1 train "${deep[@]}" "${ckpts[@]}" --set output.dir="$WORK/np1" >"$WORK/log1" 2>&1 \
  || { cat "$WORK/log1"; fail "1 rank"; }
grep -q "^tensor parallel: 1 group of 2 ranks; .* (auto: the ranks of a node)" "$WORK/log2" \
  || fail "auto did not share the samples of the deep net"
run_np 2 train "${deep[@]}" "${ckpts[@]}" --set train.epochs=1 --set train.tensor_parallel=1 \
  --set output.dir="$WORK/np2dp" >"$WORK/log2dp" 2>&1 || { cat "$WORK/log2dp"; fail "2 ranks sharing the batch"; }
step100=ckpt-e000000-s00000000100.h5
same_net "$WORK/np1/$step100" "$WORK/np2/$step100" -d 1e-5 || fail "1 and 2 ranks differ after 100 steps"
same_net "$WORK/np1/$step100" "$WORK/np2dp/$step100" -d 1e-5 \
  || fail "1 and 2 data-parallel ranks differ after 100 steps"
ok "1 and 2 ranks (slices or shared batches): the same weights within 1e-5 after 100 steps"
acc=$(metric "$WORK/np2/metrics.csv" test_accuracy); acc1=$(metric "$WORK/np1/metrics.csv" test_accuracy)
awk -v a="$acc" -v b="$acc1" 'BEGIN{exit !(a - b < 0.01 && b - a < 0.01)}' || fail "2 ranks $acc, 1 rank $acc1"
ok "1 and 2 ranks after 2 epochs: test accuracy $acc1 and $acc"
at_least "$acc" 0.85 "784-32-16-10 test accuracy after 2 epochs of 18000 rows"

mid=$(ls "$WORK/np2"/ckpt-e000001-s0000000[0-9][0-9][1-9]*.h5 | head -1)
[ -n "$mid" ] || fail "no mid-epoch checkpoint"
run_np 2 train --resume "$mid" --set output.dir="$WORK/resumed" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "resume"; }
same_net "$WORK/np2/model.h5" "$WORK/resumed/model.h5" || fail "the resumed run differs"
ok "resumed from $(basename "$mid"): the same weights, bit for bit"

"$NNMPI" info "$WORK/np2/model.h5" >"$WORK/info"
grep -q "network: *784-32-16-10 relu, softmax + cross_entropy, biases, rule gradient" "$WORK/info" \
  || { cat "$WORK/info"; fail "info"; }
"$NNMPI" eval -m "$WORK/np2/model.h5" -d "$TESTDATA/quick.h5" >"$WORK/eval"
grep -q "^model .*(784-32-16-10, epoch 2)" "$WORK/eval" || { cat "$WORK/eval"; fail "eval's heading"; }
awk -v a="$(awk '/^accuracy/{print $2}' "$WORK/eval")" -v b="$acc" 'BEGIN{exit !(a - b < 1e-4 && b - a < 1e-4)}' \
  || fail "eval's accuracy is not the run's test accuracy $acc"
mkdir -p "$WORK/pics"
"$TOOLS/make_pngs" idx "$MNIST/t10k-images-idx3-ubyte" "$MNIST/t10k-labels-idx1-ubyte" "$WORK/pics" 40
"$NNMPI" query -m "$WORK/np2/model.h5" --csv "$WORK/pics" >"$WORK/answers.csv"
right=$(awk -F, 'NR > 1 { f = $1; sub(/\.png"?$/, "", f); c += ($2 == substr(f, length(f), 1)) } END { print c + 0 }' "$WORK/answers.csv")
[ "$right" -ge 30 ] || { cat "$WORK/answers.csv"; fail "query: $right of 40 pictures right"; }
ok "info, eval and query follow the model's shape (query: $right of 40 test digits as PNGs)"
expect_fail 1 "a ReLU net cannot be run backwards" "$NNMPI" backquery -m "$WORK/np2/model.h5" -o "$WORK/bq"

# local mode, and a tanh net with a sigmoid output run backwards
run_np 1 train "${deep[@]}" --set data.file="$TESTDATA/tiny.h5" --set train.mode=local \
  --set train.sync_every=50 --set train.lr=0.01 --set net.activation=tanh --set net.output=sigmoid \
  --set output.backquery=true --set output.dir="$WORK/local" >"$WORK/log" 2>&1 \
  || { cat "$WORK/log"; fail "local mode"; }
ok "local mode trains a deep tanh net"
[ -f "$WORK/local/backquery/backquery_all.png" ] || fail "no back-query pictures of the tanh net"
"$NNMPI" backquery -m "$WORK/local/model.h5" -o "$WORK/bq" --target 0.01,0.01,0.01,0.5,0.01,0.01,0.01,0.01,0.5,0.01 >/dev/null \
  && [ -f "$WORK/bq/backquery_target.png" ] || fail "backquery of the tanh net"
ok "a tanh net runs backwards"

expect_fail 2 "rule = book is defined for the book's 3-layer sigmoid net" \
  run_np 1 train "${deep[@]}" --set net.rule=book --set output.dir="$WORK/x"
expect_fail 2 "output = softmax needs loss = cross_entropy, not mse" \
  run_np 1 train "${deep[@]}" --set net.loss=mse --set output.dir="$WORK/x"
expect_fail 2 "the first size must be 784 (the pixels of the data's 28x28 images), not 100" \
  run_np 1 train "${deep[@]}" --set net.layers=100,32,10 --set output.dir="$WORK/x"

# a model written by nnmpi 0.1.0 before other networks: the same answers
"$NNMPI" eval -m "$NNMPI_SRC/tests/fixtures/model-v1-784-8-10.h5" -d "$TESTDATA/quick.h5" | tail -2 >"$WORK/old"
cmp "$WORK/old" "$NNMPI_SRC/tests/fixtures/model-v1-784-8-10.eval" || fail "the old model evaluates otherwise"
ok "an old model evaluates as it did: $(tr '\n' ' ' <"$WORK/old")"
