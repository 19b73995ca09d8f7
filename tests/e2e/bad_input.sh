# Bad input to train and eval: a one-line error naming the problem, a
# non-zero exit, no crash and no hang, also when only one rank has it.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
q=$TESTDATA/quick.h5
cat >"$WORK/unknown.ini" <<INI
[data]
file = $q
[train]
lr = 0.1
learning_rate = 0.1
INI
expect_fail 2 "unknown.ini:5: unknown key 'learning_rate' in \[train\]" run_np 2 train -c "$WORK/unknown.ini"
printf '[train]\nepochs = many\n' >"$WORK/badvalue.ini"
expect_fail 2 "badvalue.ini:2: \[train\] epochs = 'many': expected a whole number" run_np 2 train -c "$WORK/badvalue.ini"
printf '[net]\nhidden = -5\n' >"$WORK/negative.ini"
expect_fail 2 "negative.ini:2: \[net\] hidden = '-5'" run_np 1 train -c "$WORK/negative.ini"
expect_fail 2 "cannot open config" run_np 2 train -c "$WORK/missing.ini"
NNMPI_SIMD=sse9 expect_fail 2 "NNMPI_SIMD=sse9: expected avx512, avx2 or c" run_np 2 train --set data.file="$q"
expect_fail 1 "nowhere.h5: cannot open" run_np 2 train --set data.file="$WORK/nowhere.h5"
printf 'not hdf5 at all' >"$WORK/fake.h5"
expect_fail 1 "fake.h5: not an HDF5 file" run_np 2 train --set data.file="$WORK/fake.h5"
head -c 300000 "$q" >"$WORK/truncated.h5"
expect_fail 1 "truncated.h5" run_np 2 train --set data.file="$WORK/truncated.h5" --set output.dir="$WORK/r"
"$TOOLS/make_testdata" no-test "$WORK/notest.h5"
expect_fail 1 "notest.h5: no /test split (/test/images): not a file made by nnmpi prepare?" \
  "$NNMPI" info "$WORK/notest.h5"
expect_fail 1 "notest.h5: no /test split" run_np 2 train --set data.file="$WORK/notest.h5" \
  --set output.dir="$WORK/r"
"$TOOLS/make_testdata" bad-shape "$WORK/shape.h5"
expect_fail 1 "shape.h5: the training images are 27x27 but the test images 28x28" run_np 2 train --set data.file="$WORK/shape.h5"
"$NNMPI" prepare --mnist "$MNIST" --train-limit 3 --test-limit 10 --rotations '' -o "$WORK/three.h5" -q
expect_fail 1 "3 training rows are fewer than the 4 needed" run_np 4 train --set data.file="$WORK/three.h5" \
  --set train.mode=local --set output.dir="$WORK/r"
"$TOOLS/make_testdata" bad-label "$WORK/label.h5" 500
# only the last rank's shard holds the bad label: that rank names itself
# (data-parallel: each rank reads its own rows, and only rank 1's are bad)
expect_fail 1 "rank 1 (.*): .*label.h5.*11" run_np 2 train --set data.file="$WORK/label.h5" --set output.dir="$WORK/r" --set train.tensor_parallel=1
# (sharing each sample: the group's first rank reads the rows for both, in
# shared memory, and names the label; the other stops with it)
expect_fail 1 "rank 0 (.*): .*label.h5.*label 11" run_np 2 train --set data.file="$WORK/label.h5" --set output.dir="$WORK/r"
expect_fail 2 "\[train\] batch = 2 is less than the 4 ranks" run_np 4 train --set data.file="$q" --set train.batch=2 --set output.dir="$WORK/r"
expect_fail 2 "\[train\] batch = 1 is less than the 2 ranks" run_np 2 train --set data.file="$q" --set train.batch=1 --set output.dir="$WORK/r"
# the job scripts' check before they start mpirun
expect_fail 2 "\[train\] batch = 1 is less than the 2 ranks" "$NNMPI" train --set data.file="$q" --set train.batch=1 --print-config --ranks 2
"$NNMPI" train --set data.file="$q" --set train.batch=2 --print-config --ranks 2 >/dev/null || fail "--print-config --ranks 2 refused batch 2"
expect_fail 1 "model.h5" "$NNMPI" eval -m "$WORK/model.h5" -d "$q"
expect_fail 1 "is a 'nnmpi-dataset' file, expected 'nnmpi-checkpoint'" "$NNMPI" eval -m "$q" -d "$q"
expect_fail 1 "fake.h5: not an HDF5 file" "$NNMPI" info "$WORK/fake.h5"
