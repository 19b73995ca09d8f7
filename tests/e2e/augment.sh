# nnmpi prepare with rotations, shifts and elastic copies together on a
# subset of real MNIST (and with thickness, scale, gaps and noise copies): rows per kind (/train/augment), angles, origins, the
# augmentation attribute (also through nnmpi info), reproducibility, the
# option errors, and that training on the file works.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist

n=1000
"$NNMPI" prepare --mnist "$MNIST" --train-limit $n --test-limit 1000 \
  --rotations -10,10 --shifts 1,2 --elastic 2 --seed 5 -o "$WORK/all.h5" >"$WORK/log"
cat "$WORK/log"
copies=$((1 + 2 + 8 + 2))
grep -q "$copies copies per original, $((n * copies)) training rows" "$WORK/log" \
  || fail "expected $copies copies per original"

# rows per kind: 0 original, 1 rotation, 2 shift, 3 elastic
h5values "$WORK/all.h5" /train/augment | sort -n | uniq -c | awk '{print $2 ":" $1}' \
  | tr '\n' ' ' >"$WORK/kinds"
[ "$(cat "$WORK/kinds")" = "0:$n 1:$((2 * n)) 2:$((8 * n)) 3:$((2 * n)) " ] \
  || fail "rows per kind: $(cat "$WORK/kinds")"
ok "rows per kind: $(cat "$WORK/kinds")"

# every original once per copy; angles only on the rotated rows
h5values "$WORK/all.h5" /train/origin >"$WORK/origin"
[ "$(sort -n "$WORK/origin" | uniq -c | awk -v c=$copies '$1 != c' | wc -l)" -eq 0 ] \
  || fail "an original without exactly $copies rows"
h5values "$WORK/all.h5" /train/angle >"$WORK/angle"
h5values "$WORK/all.h5" /train/augment >"$WORK/kind"
paste -d' ' "$WORK/kind" "$WORK/angle" | sort | uniq -c | awk '{print $2 "/" $3 ":" $1}' \
  | tr '\n' ' ' >"$WORK/ka"
[ "$(cat "$WORK/ka")" = "0/0:$n 1/-10:$n 1/10:$n 2/0:$((8 * n)) 3/0:$((2 * n)) " ] \
  || fail "kind/angle pairs: $(cat "$WORK/ka")"
ok "origins and angles"

# the attribute, as stored and as nnmpi info shows it
want="rotations=-10,10;shifts=1,2;elastic=2,alpha=34,sigma=4"
h5dump -a augmentation "$WORK/all.h5" | grep -qF "\"$want\"" || fail "augmentation attribute"
"$NNMPI" info "$WORK/all.h5" | grep -F "augmentation: $want" >/dev/null || fail "nnmpi info"
ok "attribute: $want"

# reproducible: same options and seed, same file; another seed, other elastic copies
"$NNMPI" prepare --mnist "$MNIST" --train-limit $n --test-limit 1000 \
  --rotations -10,10 --shifts 1,2 --elastic 2 --seed 5 -o "$WORK/again.h5" -q
for d in /train/images /train/labels /train/origin /train/angle /train/augment; do
  h5diff "$WORK/all.h5" "$WORK/again.h5" "$d" "$d" || fail "same seed, different $d"
done
"$NNMPI" prepare --mnist "$MNIST" --train-limit 50 --test-limit 10 --rotations '' \
  --elastic 1 --elastic-alpha 20 --elastic-sigma 3 --seed 6 -o "$WORK/other.h5" -q
h5dump -a augmentation "$WORK/other.h5" | grep -qF '"elastic=1,alpha=20,sigma=3"' \
  || fail "alpha and sigma in the attribute"
"$NNMPI" prepare --mnist "$MNIST" --train-limit 50 --test-limit 10 --rotations '' \
  --elastic 1 --elastic-bank 8 --seed 6 -o "$WORK/bank.h5" -q
h5dump -a augmentation "$WORK/bank.h5" | grep -qF '"elastic=1,alpha=34,sigma=4,bank=8"' \
  || fail "the bank in the attribute"
"$NNMPI" prepare --mnist "$MNIST" --train-limit 50 --test-limit 10 --rotations '' \
  --elastic 1 --seed 6 -o "$WORK/fresh.h5" -q
h5diff -q "$WORK/bank.h5" "$WORK/fresh.h5" /train/images /train/images >/dev/null \
  && fail "copies from a bank equal fresh ones"
ok "reproducible from the seed; a bank's copies named"

# the pen's copies: thickness, scale, gaps, noise (kinds 4, 5, 6, 7)
"$NNMPI" prepare --mnist "$MNIST" --train-limit 200 --test-limit 10 --rotations -10,10 \
  --thickness -0.5,1 --scale -10,10 --gaps 2 --noise 1 --seed 5 -o "$WORK/pen.h5" >"$WORK/log"
grep -q "10 copies per original, 2000 training rows" "$WORK/log" || { cat "$WORK/log"; fail "pen copies"; }
h5values "$WORK/pen.h5" /train/augment | sort -n | uniq -c | awk '{print $2 ":" $1}' \
  | tr '\n' ' ' >"$WORK/kinds"
[ "$(cat "$WORK/kinds")" = "0:200 1:400 4:400 5:400 6:400 7:200 " ] \
  || fail "pen rows per kind: $(cat "$WORK/kinds")"
want="rotations=-10,10;thickness=-0.5,1;scale=-10,10;gaps=2;noise=1"
"$NNMPI" info "$WORK/pen.h5" | grep -F "augmentation: $want" >/dev/null || fail "pen attribute"
"$NNMPI" prepare --mnist "$MNIST" --train-limit 200 --test-limit 10 --rotations -10,10 \
  --thickness -0.5,1 --scale -10,10 --gaps 2 --noise 1 --seed 5 -o "$WORK/pen2.h5" -q
h5diff "$WORK/pen.h5" "$WORK/pen2.h5" /train/images /train/images || fail "pen copies not reproducible"
ok "pen copies: $(cat "$WORK/kinds")"

# option errors: exit 2, one line naming the option and the problem
expect_fail 2 "shifts.*0 is outside 1..13" "$NNMPI" prepare --mnist "$MNIST" --shifts 0 -o "$WORK/x.h5"
expect_fail 2 "shifts.*\"x\" is not a whole number" "$NNMPI" prepare --mnist "$MNIST" --shifts 1,x -o "$WORK/x.h5"
expect_fail 2 "elastic.*-2 is outside 0..100" "$NNMPI" prepare --mnist "$MNIST" --elastic -2 -o "$WORK/x.h5"
expect_fail 2 "sigma \"big\" is not a number" "$NNMPI" prepare --mnist "$MNIST" --elastic 1 \
  --elastic-sigma big -o "$WORK/x.h5"
expect_fail 2 "give --elastic N too" "$NNMPI" prepare --mnist "$MNIST" --elastic-alpha 30 -o "$WORK/x.h5"
expect_fail 2 "thickness.*\"3\" is outside -2..2" "$NNMPI" prepare --mnist "$MNIST" --thickness 3 -o "$WORK/x.h5"
expect_fail 2 "scale.*0 would be a plain copy" "$NNMPI" prepare --mnist "$MNIST" --scale -10,0 -o "$WORK/x.h5"
expect_fail 2 "gaps.*\"x\" is not a whole number" "$NNMPI" prepare --mnist "$MNIST" --gaps x -o "$WORK/x.h5"
expect_fail 2 "noise.*101 is outside 0..100" "$NNMPI" prepare --mnist "$MNIST" --noise 101 -o "$WORK/x.h5"
[ ! -e "$WORK/x.h5" ] || fail "a refused prepare wrote a file"

# training on it works and learns
run_np 2 train -c "$NNMPI_SRC/configs/quick.ini" --set data.file="$WORK/all.h5" \
  --set train.epochs=3 --set output.dir="$WORK/run" >"$WORK/train.log" 2>&1 \
  || { cat "$WORK/train.log"; fail "training on the augmented file failed"; }
at_least "$(metric "$WORK/run/metrics.csv" test_accuracy)" 0.85 "test accuracy after 3 epochs (1000 originals)"
