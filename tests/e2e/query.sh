# nnmpi query and backquery end to end: a small model trained here answers
# PNG pictures of MNIST test digits (in several sizes and positions) about as
# well as nnmpi eval answers the same digits directly; the normalised pictures
# and the back-query pictures are written as documented; bad pictures and bad
# command lines are refused with a message naming the culprit.
source "$NNMPI_SRC/tests/e2e_lib.sh"

# "WxH" from a PNG's IHDR, after checking the signature
png_size() {
  [ "$(od -An -tu1 -N8 "$1" | tr -s ' ')" = " 137 80 78 71 13 10 26 10" ] || { echo "not-a-png"; return; }
  od -An -tu1 -j16 -N8 "$1" |
    awk '{printf "%dx%d\n", (($1*256+$2)*256+$3)*256+$4, (($5*256+$6)*256+$7)*256+$8}'
}
expect_size() {  # expect_size FILE WxH
  [ -f "$1" ] || fail "$1 was not written"
  [ "$(png_size "$1")" = "$2" ] || fail "$1 is $(png_size "$1"), expected $2"
}
# run CMD..., failing on a non-zero exit or any sanitizer report
run_clean() {
  local status=0
  "$@" >"$WORK/run.out" 2>"$WORK/run.err" || status=$?
  if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$WORK/run.err"; then
    cat "$WORK/run.err" >&2; fail "sanitizer report: $*"
  fi
  [ "$status" -eq 0 ] || { cat "$WORK/run.err" >&2; fail "exit $status: $*"; }
}
# accuracy of a `query --csv` output whose files are named NNNNN-LABEL.png
csv_accuracy() {
  awk -F, 'NR > 1 { f = $1; sub(/\.png"?$/, "", f); n++; c += ($2 == substr(f, length(f), 1)) }
           END { if (n) printf "%.4f\n", c / n; else print "nan" }' "$1"
}

# ---- a small model: on an MNIST subset if the data fixture made one, else
# on synthetic digits (then the accuracy comparison at the end is skipped)
if [ -f "$TESTDATA/quick.h5" ] && [ -f "$MNIST/t10k-images-idx3-ubyte" ]; then
  data=$TESTDATA/quick.h5 digits=$MNIST n_test=2000 real=1
else
  mkdir -p "$WORK/idx"
  "$TOOLS/make_testdata" idx "$WORK/idx" 2000 200 5
  "$NNMPI" prepare --mnist "$WORK/idx" --rotations '' -o "$WORK/data.h5" -q
  data=$WORK/data.h5 digits=$WORK/idx n_test=200 real=0
fi
# (in a sanitizer build, Open MPI's and OpenBLAS's own never-freed
# allocations would fail the training run; leaks of query/backquery are
# still checked below)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_np 2 train --set data.file="$data" --set output.dir="$WORK/run" --set net.hidden=100 \
  --set train.mode=local --set train.sync_every=500 --set train.epochs=1 >"$WORK/train.log" \
  || { cat "$WORK/train.log"; fail "training the test model"; }
model=$WORK/run/model.h5
ok "trained a 784-100-10 model on $data"

# ---- help
for cmd in query backquery; do
  "$NNMPI" "$cmd" --help >"$WORK/help" || fail "nnmpi $cmd --help exits non-zero"
  grep -q "usage: nnmpi $cmd" "$WORK/help" || fail "nnmpi $cmd --help has no usage line"
done
"$NNMPI" query --help >"$WORK/help"
for o in --model --frame --csv --save-normalised --explain --help "exit status"; do
  grep -q -- "$o" "$WORK/help" || fail "query --help does not explain $o"
done
"$NNMPI" backquery --help >"$WORK/help"
for o in --model --output --target --scale --help "exit status"; do
  grep -q -- "$o" "$WORK/help" || fail "backquery --help does not explain $o"
done
ok "help texts"

# ---- the PNG path: test digits as black-on-white PNGs of four shapes
mkdir -p "$WORK/pics"
"$TOOLS/make_pngs" idx "$digits/t10k-images-idx3-ubyte" "$digits/t10k-labels-idx1-ubyte" \
  "$WORK/pics" "$n_test"
expect_size "$(ls "$WORK"/pics/00000-*.png)" 28x28
[ "$(ls "$WORK/pics" | wc -l)" -eq "$n_test" ] || fail "make_pngs wrote the wrong number of files"
expect_size "$(ls "$WORK"/pics/00001-*.png)" 84x84
expect_size "$(ls "$WORK"/pics/00002-*.png)" 44x60

run_clean "$NNMPI" query -m "$model" --csv "$WORK/pics"
cp "$WORK/run.out" "$WORK/answers.csv"
[ "$(head -1 "$WORK/answers.csv")" = "file,digit,confidence" ] || fail "CSV header"
[ "$(($(wc -l <"$WORK/answers.csv") - 1))" -eq "$n_test" ] || fail "not one CSV row per picture"
awk -F, 'NR > 1 && !($2 ~ /^[0-9]$/ && $3 >= 0 && $3 <= 1) { bad++ } END { exit bad > 0 }' \
  "$WORK/answers.csv" || fail "a CSV row is not file,digit,confidence"
ok "query --csv answers all $n_test pictures"

png_acc=$(csv_accuracy "$WORK/answers.csv")
"$NNMPI" eval -m "$model" -d "$data" >"$WORK/eval.log" || fail "nnmpi eval"
eval_acc=$(awk '/^accuracy/ { print $2 }' "$WORK/eval.log")
gap=$(awk -v a="$png_acc" -v b="$eval_acc" 'BEGIN { d = a - b; printf "%.4f\n", d < 0 ? -d : d }')
echo "PNG path accuracy $png_acc, nnmpi eval $eval_acc on the same $n_test digits: gap $gap"
if [ "$real" = 1 ]; then
  awk -v g="$gap" 'BEGIN { exit !(g <= 0.01) }' || fail "the PNG path is $gap away from eval"
  at_least "$png_acc" 0.80 "PNG path accuracy"
  ok "the PNG path agrees with eval within 1 point"
fi

# ---- sentences, normalised pictures, montage
run_clean "$NNMPI" query -m "$model" --save-normalised "$WORK/seen" "$WORK"/pics/0000[0-7]-*.png
[ "$(wc -l <"$WORK/run.out")" -eq 8 ] || fail "not one line per picture"
grep -vqE '^.+\.png: [0-9] \(confidence [01]\.[0-9]{3}; runner-up [0-9], [01]\.[0-9]{3}\)$' \
  "$WORK/run.out" && { cat "$WORK/run.out"; fail "an answer line has the wrong form"; }
for f in "$WORK"/pics/0000[0-7]-*.png; do expect_size "$WORK/seen/$(basename "$f")" 28x28; done
[ -s "$WORK/seen/montage.png" ] || fail "no montage of the normalised pictures"
[ "$(png_size "$WORK/seen/montage.png")" != not-a-png ] || fail "montage.png is not a PNG"
# the normalised pictures are already in the MNIST frame: asked again they
# give (nearly always) the same answers
cut -d' ' -f2 "$WORK/run.out" >"$WORK/first"
run_clean "$NNMPI" query -m "$model" "$WORK"/seen/0000[0-7]-*.png
cut -d' ' -f2 "$WORK/run.out" >"$WORK/second"
same=$(paste "$WORK/first" "$WORK/second" | awk '$1 == $2' | wc -l)
[ "$same" -ge 7 ] || fail "only $same of 8 normalised pictures keep their answer"
ok "--save-normalised: 28x28 pictures + montage; re-asked, $same of 8 answers unchanged"

# two pictures with the same name from different folders are both kept
mkdir -p "$WORK/other"
cp "$WORK"/pics/00000-*.png "$WORK/other/"
run_clean "$NNMPI" query -m "$model" --save-normalised "$WORK/dup" "$WORK"/pics/00000-*.png \
  "$WORK"/other/00000-*.png
[ "$(ls "$WORK/dup" | grep -c '^00000-.*png$')" -eq 2 ] || fail "same-named pictures overwrote each other"
ok "same-named pictures saved under distinct names"

# CSV quoting of awkward names
cp "$WORK"/pics/00000-*.png "$WORK/a,b \"c\".png"
run_clean "$NNMPI" query -m "$model" --csv "$WORK/a,b \"c\".png"
grep -qF "\"$WORK/a,b \"\"c\"\".png\"," "$WORK/run.out" || { cat "$WORK/run.out"; fail "CSV quoting"; }
ok "CSV quotes a file name with a comma and quotes"

# the book frame: 28x28 only
run_clean "$NNMPI" query -m "$model" --frame book "$WORK"/pics/00000-*.png
expect_fail 1 "28 x 28" "$NNMPI" query -m "$model" --frame book "$WORK"/pics/00001-*.png
ok "--frame book"

# --explain: a strip of the steps per picture, also for a refused one
mkdir -p "$WORK/toexplain"
cp "$WORK"/pics/0000[0-1]-*.png "$WORK/toexplain/"
"$TOOLS/make_pngs" blank "$WORK/toexplain/blank.png" 50 40
status=0
"$NNMPI" query -m "$model" --explain "$WORK/why" "$WORK/toexplain" >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" -eq 1 ] || { cat "$WORK/err"; fail "--explain: exit $status with a blank picture, expected 1"; }
grep -q "blank.png: no ink found" "$WORK/err" || { cat "$WORK/err"; fail "--explain: the blank picture is not named"; }
[ "$(wc -l <"$WORK/out")" -eq 2 ] || fail "--explain: the 2 good pictures were not answered"
for f in "$WORK"/toexplain/*.png; do
  size=$(png_size "$WORK/why/$(basename "$f")")
  h=${size#*x}
  [ "$h" -ge 112 ] && [ "$h" -le 200 ] || fail "--explain: $(basename "$f")'s strip is $size"
done
w_good=$(png_size "$WORK/why/$(basename "$WORK"/toexplain/00000-*.png)")
w_blank=$(png_size "$WORK/why/blank.png")
[ "${w_good%x*}" -gt "${w_blank%x*}" ] || fail "--explain: the refused picture's strip ($w_blank) is not shorter ($w_good)"
expect_fail 2 "the book frame has one" "$NNMPI" query -m "$model" --frame book --explain "$WORK/why" \
  "$WORK"/pics/00000-*.png
ok "--explain: a strip of the steps per picture ($w_good), the refused one's steps so far ($w_blank)"

# ---- bad pictures: each named, the good ones still answered, exit 1
mkdir -p "$WORK/mixed" "$WORK/nopng"
cp "$WORK"/pics/0000[0-2]-*.png "$WORK/mixed/"
head -c 100 "$WORK"/pics/00004-*.png >"$WORK/mixed/truncated.png"
: >"$WORK/mixed/zero.png"
echo "not a picture" >"$WORK/mixed/text.png"
"$TOOLS/make_pngs" blank "$WORK/mixed/blank.png" 50 40
echo "notes" >"$WORK/nopng/readme.txt"
status=0
"$NNMPI" query -m "$model" --csv "$WORK/mixed" "$WORK/missing.png" "$WORK/nopng" \
  >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" -eq 1 ] || { cat "$WORK/err"; fail "exit $status with bad pictures, expected 1"; }
grep -qE "segmentation|AddressSanitizer|runtime error" "$WORK/err" && { cat "$WORK/err"; fail "crashed"; }
[ "$(($(wc -l <"$WORK/out") - 1))" -eq 3 ] || { cat "$WORK/out"; fail "the 3 good pictures were not all answered"; }
for pat in "truncated.png: .*truncated" "zero.png: .*empty" "text.png: not a PNG" \
  "blank.png: no ink found" "missing.png: cannot open" "nopng: the folder holds no PNG"; do
  grep -qE -- "$pat" "$WORK/err" || { cat "$WORK/err"; fail "no message matching '$pat'"; }
done
ok "bad pictures named one per line, good ones answered, exit 1"

# ---- a FIFO and a sub-folder named *.png beside a real picture: only
# regular files are pictures, the others are skipped with a warning and
# never opened blocking (a FIFO without a writer would hang the open)
mkdir -p "$WORK/fifo/sub.png"
cp "$WORK"/pics/00000-*.png "$WORK/fifo/"
mkfifo "$WORK/fifo/a.png"
status=0
timeout -k 5 60 "$NNMPI" query -m "$model" --csv "$WORK/fifo" >"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" -ne 124 ] || fail "query hung on the FIFO $WORK/fifo/a.png"
[ "$status" -eq 0 ] || { cat "$WORK/err"; fail "exit $status with a FIFO beside a good picture, expected 0"; }
[ "$(($(wc -l <"$WORK/out") - 1))" -eq 1 ] && grep -q "fifo/00000-.*\.png," "$WORK/out" \
  || { cat "$WORK/out"; fail "the real picture beside the FIFO was not answered"; }
grep -q "warning: .*fifo/a.png: a FIFO, not a picture file; skipped" "$WORK/err" \
  || { cat "$WORK/err"; fail "no warning naming the FIFO"; }
grep -q "warning: .*fifo/sub.png: a folder, not a picture file; skipped" "$WORK/err" \
  || { cat "$WORK/err"; fail "no warning naming the sub-folder"; }
expect_fail 1 "fifo/a.png: a FIFO, not a picture file" "$NNMPI" query -m "$model" "$WORK/fifo/a.png"
ok "a FIFO and a folder named *.png: skipped with a warning, the real picture answered"

# the same through [query] images of a training run (answered after its
# last epoch, where a FIFO used to hang the job)
status=0
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout -k 10 300 \
  mpirun --oversubscribe -np 1 "$NNMPI" train --set data.file="$data" --set net.hidden=20 \
  --set train.epochs=1 --set query.images="$WORK/fifo" --set output.dir="$WORK/fifo-run" \
  >"$WORK/fifo-train.log" 2>&1 || status=$?
[ "$status" -ne 124 ] || fail "training hung answering [query] images with a FIFO"
[ "$status" -eq 0 ] || { cat "$WORK/fifo-train.log"; fail "training with a FIFO in [query] images: exit $status"; }
grep -q "warning: .*fifo/a.png: a FIFO, not a picture file; skipped" "$WORK/fifo-train.log" \
  || { cat "$WORK/fifo-train.log"; fail "training: no warning naming the FIFO"; }
grep -q "own pictures: 1 answered" "$WORK/fifo-train.log" || { cat "$WORK/fifo-train.log"; fail "training: the real picture not answered"; }
ok "train with [query] images holding a FIFO: warned, answered the real picture, ended"

expect_fail 1 "nowhere.h5" "$NNMPI" query -m "$WORK/nowhere.h5" "$WORK/mixed"
expect_fail 2 "at least one PNG" "$NNMPI" query -m "$model"
expect_fail 2 "unknown frame 'lecun'" "$NNMPI" query -m "$model" --frame lecun "$WORK/mixed"
expect_fail 2 "unknown or incomplete option '--bogus'" "$NNMPI" query --bogus

# ---- back-query
run_clean "$NNMPI" backquery -m "$model" -o "$WORK/bq"
for d in 0 1 2 3 4 5 6 7 8 9; do
  expect_size "$WORK/bq/backquery_$d.png" 28x28
  expect_size "$WORK/bq/backquery_${d}_x10.png" 280x280
done
size=$(png_size "$WORK/bq/backquery_all.png")
[ "${size%x*}" -gt 560 ] || fail "backquery_all.png is only $size"
ok "backquery: ten 28x28 pictures, 280x280 copies, montage $size"

run_clean "$NNMPI" backquery -m "$model" -o "$WORK/bq" --scale 3 \
  --target 0.01,0.01,0.01,0.5,0.01,0.01,0.01,0.01,0.5,0.01
expect_size "$WORK/bq/backquery_target.png" 28x28
expect_size "$WORK/bq/backquery_target_x3.png" 84x84
ok "backquery --target (half 3, half 8) --scale 3"

expect_fail 2 "10 outputs" "$NNMPI" backquery -m "$model" -o "$WORK/bq" --target 0.5,0.5
expect_fail 2 "strictly between 0 and 1" "$NNMPI" backquery -m "$model" -o "$WORK/bq" \
  --target 0.01,0.01,0.01,1,0.01,0.01,0.01,0.01,0.5,0.01
expect_fail 2 "--scale" "$NNMPI" backquery -m "$model" -o "$WORK/bq" --scale 0
expect_fail 2 "needs -m MODEL.h5 -o DIR" "$NNMPI" backquery -m "$model"
expect_fail 1 "nowhere.h5" "$NNMPI" backquery -m "$WORK/nowhere.h5" -o "$WORK/bq"

[ "$real" = 1 ] || skip "the PNG-path vs eval accuracy comparison needs MNIST in $MNIST"
ok "query and backquery"

# ---- rank 0 of train answers [query] images and draws the back-query at the end
run_np 2 train -c "$NNMPI_SRC/configs/quick.ini" --set data.file="$TESTDATA/quick.h5" \
  --set query.images="$NNMPI_SRC/docs/own-digits" --set query.every_epoch=true \
  --set train.epochs=2 --set output.dir="$WORK/trained" >"$WORK/train.log" 2>&1 \
  || { cat "$WORK/train.log"; fail "train with [query] images"; }
[ "$(grep -c "own pictures: 20 answered" "$WORK/train.log")" -eq 2 ] || fail "not answered after each epoch"
[ "$(wc -l <"$WORK/trained/own_images.csv")" -eq 21 ] || fail "own_images.csv should have 20 rows"
head -1 "$WORK/trained/own_images.csv" | grep -q "^file,digit,confidence" || fail "own_images.csv header"
right=$(awk -F, 'NR>1 { f = $1; sub(/.*digit/, "", f); if (substr(f, 1, 1) == $2) n++ } END { print n+0 }' "$WORK/trained/own_images.csv")
[ "$right" -ge 14 ] || fail "only $right of the 20 drawn digits recognised after 2 quick epochs"
[ -s "$WORK/trained/own_images.png" ] || fail "no own_images.png"
expect_size "$WORK/trained/backquery/backquery_3.png" 28x28
[ -s "$WORK/trained/backquery/backquery_all.png" ] || fail "no backquery_all.png after training"
ok "train: [query] images answered each epoch ($right/20 right), back-query written"
