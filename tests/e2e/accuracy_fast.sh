# configs/fast.ini on 2 ranks reaches >= 98.3% test accuracy on real MNIST
# within its 10 epochs (the core issue's target).
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
run_np 2 train -c "$NNMPI_SRC/configs/fast.ini" --set data.file="$TESTDATA/rot10.h5" \
  --set output.dir="$WORK/fast" | grep -E "^(epoch|done)"
epochs=$(($(wc -l <"$WORK/fast/metrics.csv") - 1))
[ "$epochs" -le 10 ] || fail "fast.ini runs $epochs epochs, more than 10"
at_least "$(metric "$WORK/fast/metrics.csv" test_accuracy)" 0.983 "fast.ini on 2 ranks"
