# nnmpi prepare: IDX and CSV input give the same file; layout, counts,
# angles and shuffling as documented; bad input refused.
source "$NNMPI_SRC/tests/e2e_lib.sh"

mkdir -p "$WORK/idx" "$WORK/csv"
"$TOOLS/make_testdata" idx "$WORK/idx" 300 40 11
"$TOOLS/make_testdata" csv "$WORK/csv" 300 40 11
"$NNMPI" prepare --mnist "$WORK/idx" --rotations -10,10 --seed 3 -o "$WORK/a.h5" >"$WORK/log"
grep -q "900 training rows" "$WORK/log" || { cat "$WORK/log"; fail "300 images + 2 rotations != 900 rows"; }
"$NNMPI" prepare --csv-train "$WORK/csv/mnist_train.csv" --csv-test "$WORK/csv/mnist_test.csv" \
  --rotations -10,10 --seed 3 -o "$WORK/b.h5" -q
for d in /train/images /train/labels /train/origin /train/angle /test/images /test/labels; do
  h5diff "$WORK/a.h5" "$WORK/b.h5" "$d" "$d" || fail "IDX and CSV inputs differ in $d"
done
ok "IDX and CSV give identical datasets"

# layout: shapes, types, format attributes
h5dump -H "$WORK/a.h5" >"$WORK/h"
grep -q 'DATASET "images"' "$WORK/h" || fail "no images dataset"
grep -q "( 900, 28, 28 )" "$WORK/h" || fail "/train/images is not [900, 28, 28]"
grep -q "( 40, 28, 28 )" "$WORK/h" || fail "/test/images is not [40, 28, 28]"
h5dump -a format "$WORK/a.h5" | grep -q '"nnmpi-dataset"' || fail "format attribute"
h5dump -a augmentation "$WORK/a.h5" | grep -q '"rotations=-10,10"' || fail "augmentation attribute"
ok "layout"

# every original appears once per angle, and the stored order is shuffled
h5values "$WORK/a.h5" /train/angle >"$WORK/angles"
for a in 0 10 -10; do
  n=$(grep -cx -- "$a" "$WORK/angles" || true)
  [ "$n" -eq 300 ] || fail "$n rows with angle $a, expected 300"
done
h5values "$WORK/a.h5" /train/origin >"$WORK/origin"
[ "$(wc -l <"$WORK/origin")" -eq 900 ] || fail "900 origins expected"
[ "$(sort -n "$WORK/origin" | uniq -c | awk '$1 != 3' | wc -l)" -eq 0 ] || fail "an origin not used 3 times"
[ "$(head -20 "$WORK/origin" | tr '\n' ' ')" != "$(seq 0 19 | tr '\n' ' ')" ] || fail "not shuffled"
ok "angles, origins, shuffled order"

# same seed -> same file contents; another seed -> another order
"$NNMPI" prepare --mnist "$WORK/idx" --seed 3 -o "$WORK/c.h5" -q
h5diff "$WORK/a.h5" "$WORK/c.h5" /train/images /train/images || fail "same seed, different order"
"$NNMPI" prepare --mnist "$WORK/idx" --seed 4 -o "$WORK/d.h5" -q
! h5diff -q "$WORK/a.h5" "$WORK/d.h5" /train/origin /train/origin || fail "seed changes nothing"
ok "seeded order"

# no rotations
"$NNMPI" prepare --mnist "$WORK/idx" --rotations '' -o "$WORK/e.h5" | grep "300 training rows" >/dev/null \
  || fail "--rotations '' should keep only the originals"
ok "no rotations"

# bad input
expect_fail 1 "cannot open" "$NNMPI" prepare --mnist "$WORK/nowhere" -o "$WORK/x.h5"
cp -r "$WORK/idx" "$WORK/trunc"
head -c 5000 "$WORK/idx/train-images-idx3-ubyte" >"$WORK/trunc/train-images-idx3-ubyte"
expect_fail 1 "train-images-idx3-ubyte" "$NNMPI" prepare --mnist "$WORK/trunc" -o "$WORK/x.h5"
printf 'garbage!' >"$WORK/trunc/train-images-idx3-ubyte"
expect_fail 1 "train-images-idx3-ubyte" "$NNMPI" prepare --mnist "$WORK/trunc" -o "$WORK/x.h5"
printf '5,1,2,3\n' >"$WORK/csv/short.csv"
expect_fail 1 "short.csv:1" "$NNMPI" prepare --csv-train "$WORK/csv/short.csv" \
  --csv-test "$WORK/csv/mnist_test.csv" -o "$WORK/x.h5"
# an output that is one of the inputs (by any name) is refused before
# anything is written: it would replace its own input
cp "$WORK/csv/mnist_train.csv" "$WORK/in.csv"
ln "$WORK/in.csv" "$WORK/hard.csv"
ln -s in.csv "$WORK/soft.csv"
before=$(sha256sum <"$WORK/in.csv")
for out in "$WORK/in.csv" "$WORK/./in.csv" "$WORK/hard.csv" "$WORK/soft.csv"; do
  expect_fail 2 "prepare: -o $out is the input file $WORK/in.csv: it would be replaced" \
    "$NNMPI" prepare --csv-train "$WORK/in.csv" --csv-test "$WORK/csv/mnist_test.csv" -o "$out"
done
expect_fail 2 "t10k-labels-idx1-ubyte is the input file" \
  "$NNMPI" prepare --mnist "$WORK/idx" -o "$WORK/idx/../idx/t10k-labels-idx1-ubyte"
[ "$(sha256sum <"$WORK/in.csv")" = "$before" ] || fail "prepare changed its own input"
"$NNMPI" prepare --mnist "$WORK/idx" -o "$WORK/y.h5" -q || fail "the refused prepare damaged its IDX input"
rm -f "$WORK/in.csv" "$WORK/hard.csv" "$WORK/soft.csv" "$WORK/y.h5"
[ ! -e "$WORK/x.h5" ] || fail "a failed prepare left an output file"
ls "$WORK" | grep -q "tmp" && fail "a failed prepare left a temporary file"
ok "bad input refused, nothing left behind"

# ---- SIGTERM while the file is written: the temporary goes with the prepare
# (prepare takes about a second here, its temporary lives only the last
# fraction of it: busy-wait for it, then TERM at once)
mkdir -p "$WORK/big"
"$TOOLS/make_testdata" idx "$WORK/big" 40000 100 7
"$NNMPI" prepare --mnist "$WORK/big" --rotations -10,-5,5,10 --shifts 1 -o "$WORK/big.h5" -q &
pid=$!
t0=$SECONDS
until compgen -G "$WORK/big.h5.tmp.*" >/dev/null || [ -e "$WORK/big.h5" ] ||
      [ $((SECONDS - t0)) -gt 120 ]; do :; done
compgen -G "$WORK/big.h5.tmp.*" >/dev/null || { wait "$pid" || true; fail "never saw the temporary of big.h5"; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 143 ] || fail "prepare sent SIGTERM while writing: exit $status, expected 143 (128 + 15)"
! compgen -G "$WORK/big.h5*" >/dev/null || fail "left behind after SIGTERM: $(cd "$WORK" && echo big.h5*)"
ok "SIGTERM while writing: exit 143, no temporary left"

# ---- a temporary of a writer on this host that no longer runs is removed
# by the next prepare of that name; another host's, or a running writer's,
# is not
(exit 0) &
dead=$!
wait "$dead" || true
host=$(hostname)
: >"$WORK/s.h5.tmp.$host.$dead"
: >"$WORK/s.h5.tmp.elsewhere.$dead"
: >"$WORK/s.h5.tmp.$host.$$"
"$NNMPI" prepare --mnist "$WORK/idx" --rotations '' -o "$WORK/s.h5" >"$WORK/log"
[ "$(grep -c "stale temporary" "$WORK/log")" -eq 1 ] &&
  grep -q "^removed 1 stale temporary file of $WORK/s.h5 " "$WORK/log" \
  || { cat "$WORK/log"; fail "no one line saying the stale temporary was removed"; }
[ ! -e "$WORK/s.h5.tmp.$host.$dead" ] || fail "the stale temporary of dead pid $dead is still there"
[ -e "$WORK/s.h5.tmp.elsewhere.$dead" ] || fail "another host's temporary was removed"
[ -e "$WORK/s.h5.tmp.$host.$$" ] || fail "the temporary of a running writer (pid $$) was removed"
"$NNMPI" info "$WORK/s.h5" >/dev/null || fail "s.h5 not written"
rm -f "$WORK"/s.h5.tmp.*
ok "a dead writer's temporary removed (and said so), others left alone"
