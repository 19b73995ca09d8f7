# The book's numbers on real MNIST (the floor nnmpi must reach):
#  - configs/book.ini (784-200-10, book rule, per-sample, lr 0.01, 10 epochs,
#    +-10 degree rotations) on one rank: >= 97.5% (the book's own code here:
#    97.62%; the printed book: 97.87%);
#  - one epoch at lr 0.1 with rotations (book 96.69%, its code here 96.00%)
#    and without (book 95.4%, its code here 95.47%).
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
run_np 1 train -c "$NNMPI_SRC/configs/book.ini" --set data.file="$TESTDATA/rot10.h5" \
  --set output.dir="$WORK/book" | grep -E "^(epoch|done)"
at_least "$(metric "$WORK/book/metrics.csv" test_accuracy)" 0.975 "book.ini, 10 epochs, 1 rank"

for set in rot10 norot; do
  run_np 1 train -c "$NNMPI_SRC/configs/book.ini" --set data.file="$TESTDATA/$set.h5" \
    --set train.lr=0.1 --set train.epochs=1 --set output.dir="$WORK/one-$set" | grep -E "^epoch"
done
at_least "$(metric "$WORK/one-rot10/metrics.csv" test_accuracy)" 0.960 "1 epoch, lr 0.1, rotations"
at_least "$(metric "$WORK/one-norot/metrics.csv" test_accuracy)" 0.950 "1 epoch, lr 0.1, no rotations"
