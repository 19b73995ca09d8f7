# The book's net, bit for bit: one epoch of configs/fast.ini (sync) and
# configs/book.ini (local, the book's rule) on the quick fixture data, on 1
# and 2 ranks, must give the weights whose SHA-256 nnmpi 0.1.0 gave before
# networks of other shapes were added (measured with the binary of commit
# 4973dfa). The float sums depend on the kernels, so the hashes hold for
# the kernels they were measured with: OpenBLAS's Haswell kernels, asked
# for by name (any AVX2 CPU runs them, whatever OpenBLAS would pick), and
# nnmpi's AVX-512 ones; machines without AVX-512 skip.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
grep -qw avx2 /proc/cpuinfo && export OPENBLAS_CORETYPE=Haswell
kernels="OpenBLAS Haswell, 1 thread per rank; sparse kernels: avx512"
expect() {  # expect CONFIG RANKS SHA256
  local dir=$WORK/$1-np$2
  run_np "$2" train -c "$NNMPI_SRC/configs/$1.ini" --set data.file="$TESTDATA/quick.h5" \
    --set train.epochs=1 --set output.backquery=false --set output.dir="$dir" >"$WORK/log" 2>&1 \
    || { cat "$WORK/log"; fail "$1 on $2 ranks"; }
  grep -q "BLAS: $kernels" "$WORK/log" || skip "the hashes are for '$kernels', not '$(grep -o 'OpenBLAS.*' "$WORK/log")'"
  local got
  got=$("$NNMPI" info "$dir/model.h5" | awk '/weights:/ { print $3 }')
  [ "$got" = "$3" ] || fail "$1 on $2 ranks: weights sha256 $got, the book's net gave $3"
  ok "$1 on $2 ranks: the same weights as before, sha256 ${got:0:16}"
}
expect fast 1 e8ea34569424c90b1bf0705444c19075c23866786e9c90e44d860ba77b589ffc
expect fast 2 26cc6d443df9d46a350e1a06ed8de852334ce2129a4d42894827749e797d376d
expect book 1 7d23d90a1775c76783218185833e36e3b978e5c9c3759a736a050e623d584279
expect book 2 2e4ec9faa5f4e2a85c4c6f30cf614d21bfdc2ca57a252d1e2c6698b97928b8cc
