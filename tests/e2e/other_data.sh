# Data other than MNIST, made here (make_testdata classes: class c lights
# cell c of a grid over grey noise, so the classes are clearly separable):
# prepare reads IDX files plain and gzip-compressed, transposed (EMNIST),
# and the book's CSV at another size, for 3 to 47 classes; a net learns the
# 3-class set to >= 95% in sync mode on 1 and 2 ranks with layers = auto
# (12*10 inputs, 3 outputs); an explicit layers list that disagrees with the
# data is refused naming both; the class names reach the model, and info,
# eval and query show them; query scales a person's picture to 12x10, and so
# does train's [query]; back-query draws 12x10 pictures.
source "$NNMPI_SRC/tests/e2e_lib.sh"

mk() { "$TOOLS/make_testdata" classes "$@" || fail "make_testdata classes $*"; }
mkdir -p "$WORK"/{three,many,emnist,csv}
mk "$WORK/three" 12x10 3 600 150 7 z      # gzip
mk "$WORK/many" 9x7 47 940 470 3 -        # plain
mk "$WORK/emnist" 9x7 47 940 470 3 t      # the same, stored transposed
mk "$WORK/csv" 5x8 5 200 50 9 c           # and as CSV
ls "$WORK/three"/*.gz >/dev/null 2>&1 || fail "no .gz files made"

names="Up,Middle,Down"
"$NNMPI" prepare -q --idx "$WORK/three" --class-names "$names" --rotations '' -o "$WORK/three.h5" \
  || fail "prepare --idx (gzip)"
"$NNMPI" info "$WORK/three.h5" >"$WORK/info" || fail "info of the 3-class file"
grep -q "train: *600 images 12x10" "$WORK/info" || { cat "$WORK/info"; fail "info: size"; }
grep -q "classes: *3: $names" "$WORK/info" || { cat "$WORK/info"; fail "info: classes"; }
ok "prepare --idx: gzip, 12x10, 3 named classes"

# 47 classes, augmented every way there is, plain and transposed: the same
# images once turned back
aug=(--rotations -8,8 --shifts 1 --elastic 1 --thickness 1 --scale -10 --gaps 1 --noise 1)
"$NNMPI" prepare -q --idx "$WORK/many" "${aug[@]}" -o "$WORK/many.h5" || fail "prepare 47 classes"
"$NNMPI" prepare -q --idx "$WORK/emnist" --transpose "${aug[@]}" -o "$WORK/emnist.h5" \
  || fail "prepare --transpose"
h5diff "$WORK/many.h5" "$WORK/emnist.h5" /train/images /train/images >/dev/null \
  || fail "--transpose does not give back the upright images"
grep -q "classes: *47$" <("$NNMPI" info "$WORK/many.h5") || fail "info: 47 classes"
ok "prepare --idx: 47 classes, 9x7, every augmentation; --transpose gives the same file"

# the four files named one by one, and the CSV at 5x8
d=$WORK/three
"$NNMPI" prepare -q --idx-train-images "$d/train-images-idx3-ubyte.gz" \
  --idx-train-labels "$d/train-labels-idx1-ubyte.gz" --idx-test-images "$d/t10k-images-idx3-ubyte.gz" \
  --idx-test-labels "$d/t10k-labels-idx1-ubyte.gz" --rotations '' -o "$WORK/named.h5" \
  || fail "prepare --idx-train-images ..."
h5diff "$WORK/three.h5" "$WORK/named.h5" /test/images /test/images >/dev/null || fail "named files differ"
"$NNMPI" prepare -q --csv-train "$WORK/csv/train.csv" --csv-test "$WORK/csv/test.csv" --size 5x8 \
  -o "$WORK/csv.h5" || fail "prepare --csv --size 5x8"
grep -q "train: *600 images 5x8" <("$NNMPI" info "$WORK/csv.h5") || fail "info: the CSV's 5x8"
ok "prepare: the four IDX files by name; CSV with --size 5x8 and 5 classes"

expect_fail 1 "label 4 of image 4 is outside 0..3" \
  "$NNMPI" prepare --csv-train "$WORK/csv/train.csv" --csv-test "$WORK/csv/test.csv" --size 5x8 \
  --classes 4 -o "$WORK/x.h5"

# train: layers = auto is 120-H-3, on 1 and 2 ranks, to >= 95%
run=(--set data.file="$WORK/three.h5" --set net.hidden=20 --set train.epochs=3
     --set train.batch=16 --set train.lr=0.3 --set output.backquery=false)
for np in 1 2; do
  run_np $np train "${run[@]}" --set output.dir="$WORK/r$np" >"$WORK/log$np" 2>&1 \
    || { cat "$WORK/log$np"; fail "train on $np rank(s)"; }
  grep -q "network 120-20-3" "$WORK/log$np" || fail "the log names no 120-20-3 net"
  at_least "$(metric "$WORK/r$np/metrics.csv" test_accuracy)" 0.95 "3 classes, $np rank(s), test accuracy"
done
expect_fail 2 "layers = 784,20,3: the first size must be 120 (the pixels of the data's 12x10 images), not 784" \
  run_np 1 train "${run[@]}" --set net.layers=784,20,3 --set output.dir="$WORK/x"
expect_fail 2 "the last size must be 3 (the data's classes), not 10" \
  run_np 1 train "${run[@]}" --set net.layers=120,20,10 --set output.dir="$WORK/x"

# the names in the model, info, eval and query
model=$WORK/r2/model.h5
"$NNMPI" info "$model" | grep -q "data: *12x10 images, 3 classes: $names" || fail "info of the model"
"$NNMPI" eval -m "$model" -d "$WORK/three.h5" >"$WORK/eval" || fail "eval"
grep -qE "^ +2 Down +\| +[0-9]+ +[0-9]+ +[0-9]+ \|" "$WORK/eval" || { cat "$WORK/eval"; fail "eval rows"; }
ok "info and eval name the classes"
mkdir -p "$WORK/pics"
"$TOOLS/make_testdata" class-pngs "$WORK/pics" 12x10 3 5 || fail "class-pngs"
"$NNMPI" query -m "$model" "$WORK/pics" >"$WORK/query" || fail "query"
for c in 0:Up 1:Middle 2:Down; do
  grep -q "class-${c%%:*}.png: ${c%%:*} ${c#*:} (confidence" "$WORK/query" || { cat "$WORK/query"; fail "query $c"; }
done
"$NNMPI" query -m "$model" --csv "$WORK/pics/class-2.png" | grep -q ",2,[0-9.]*,Down$" || fail "query --csv"
expect_fail 2 "frame mnist makes 28x28 pictures; .* takes 12x10 (use --frame scale)" \
  "$NNMPI" query -m "$model" --frame mnist "$WORK/pics"
ok "query scales a 60x50 picture to 12x10 and names the class"

# train's [query] images take the scale frame for 12x10 data, and its
# back-query (on by default) draws 12x10 pictures, as `nnmpi backquery` does
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}'; }
run_np 1 train "${run[@]}" --set output.backquery=true --set query.images="$WORK/pics" \
  --set output.dir="$WORK/rq" >"$WORK/logq" 2>&1 || { cat "$WORK/logq"; fail "train with [query] images"; }
grep -q "\[query\] frame: the scale frame, for the data's 12x10 pictures" "$WORK/logq" || fail "the frame is not said"
for c in 0 1 2; do
  grep -q "/class-$c.png,$c," "$WORK/rq/own_images.csv" || { cat "$WORK/rq/own_images.csv"; fail "own_images.csv: class $c"; }
done
[ "$(png_size "$WORK/rq/backquery/backquery_2.png")" = 10x12 ] || fail "train's back-query is not 12 high, 10 wide"
"$NNMPI" backquery -m "$model" -o "$WORK/bq" --scale 3 >/dev/null || fail "backquery of a 12x10 model"
[ "$(png_size "$WORK/bq/backquery_0.png")" = 10x12 ] && [ "$(png_size "$WORK/bq/backquery_0_x3.png")" = 30x36 ] \
  || fail "backquery sizes: $(png_size "$WORK/bq/backquery_0.png"), $(png_size "$WORK/bq/backquery_0_x3.png")"
[ -f "$WORK/bq/backquery_all.png" ] && [ ! -e "$WORK/bq/backquery_3.png" ] || fail "backquery files of 3 classes"
"$NNMPI" backquery -m "$model" -o "$WORK/bqt" --target 0.01,0.01,0.99 >/dev/null || fail "backquery --target"
[ "$(png_size "$WORK/bqt/backquery_target.png")" = 10x12 ] || fail "backquery --target size"
ok "[query] images at 12x10 (scale frame), back-query pictures of 12x10"
