# nnmpi report over three tiny real runs (quick data with +-10 degree
# rotations, and a file without rotations): report.csv and report.md
# contents, the printed table, the two PNG charts and their size; a
# directory without metrics.csv or with a damaged one is named, the others
# are still reported, and the exit status is 1.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist

cfg=$NNMPI_SRC/configs/quick.ini
"$NNMPI" prepare --mnist "$MNIST" --train-limit 2000 --test-limit 1000 --rotations '' \
  -o "$WORK/norot.h5" -q
train() {  # train NAME DATA ARGS...
  local name=$1 data=$2; shift 2
  run_np 2 train -c "$cfg" --set data.file="$data" --set output.dir="$WORK/runs/$name" "$@" \
    >"$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log"; fail "training $name failed"; }
}
train lr2 "$TESTDATA/quick.h5" --set train.epochs=2
train lr1 "$TESTDATA/quick.h5" --set train.epochs=1 --set train.lr=1
train norot "$WORK/norot.h5" --set train.epochs=2 --set train.lr_schedule=linear --set train.lr_end=0.5

"$NNMPI" report "$WORK/runs/lr2" "$WORK/runs/lr1" "$WORK/runs/norot/" -o "$WORK/rep" >"$WORK/out" \
  || { cat "$WORK/out"; fail "report failed"; }
cat "$WORK/out"

# report.csv: header and one row per run, in the order given
csv=$WORK/rep/report.csv
head -1 "$csv" | grep -q "^run,dir,data,augmentation,max_angle,hidden,rule,mode,batch,lr,lr_schedule,lr_end,epochs,epochs_planned,ranks,best_test_accuracy,best_epoch,final_test_accuracy,samples_per_s,wall_s$" \
  || fail "report.csv header: $(head -1 "$csv")"
[ "$(wc -l <"$csv")" -eq 4 ] || fail "report.csv should have 3 rows"
[ "$(cut -d, -f1 "$csv" | tail -3 | tr '\n' ' ')" = "lr2 lr1 norot " ] || fail "run names/order"
row() { grep "^$1," "$csv"; }
row lr2 | grep -q ",\"rotations=-10,10\",10,100,gradient,sync,16,2,constant,0,2,2,2," \
  || fail "lr2 row: $(row lr2)"
row lr1 | grep -q ",1,constant,0,1,1,2," || fail "lr1 row: $(row lr1)"
row norot | grep -q ",none,0,100,gradient,sync,16,2,linear,0.5,2,2,2," || fail "norot row: $(row norot)"
for r in lr2 lr1 norot; do
  final=$(metric "$WORK/runs/$r/metrics.csv" test_accuracy)
  # final_test_accuracy is the 18th field (the quoted augmentation adds a comma for lr2/lr1)
  row $r | grep -q ",$final,[0-9]*,[0-9.]*$" || fail "$r final accuracy $final not in: $(row $r)"
done
ok "report.csv"

# report.md and the printed table
md=$WORK/rep/report.md
grep -q "^| run | augmentation | hidden | lr | epochs | ranks | best test | final test | samples/s | wall time |$" "$md" \
  || fail "report.md header"
grep -q "^| lr2 | rotations=-10,10 | 100 | 2 | 2 | 2 | " "$md" || fail "report.md lr2 row"
grep -q "^| norot | none | 100 | 2 -> 0.5 linear | 2 | 2 | " "$md" || fail "report.md norot row"
grep -q "accuracy_per_epoch.png" "$md" || fail "report.md does not show the charts"
grep -q "^| lr1 | rotations=-10,10 | 100 | 1 | 1 | 2 | " "$WORK/out" || fail "table not printed"
ok "report.md"

# the charts: PNG, RGB, at least 800 x 500 (read from the IHDR chunk)
for png in accuracy_per_epoch accuracy_vs_angle; do
  f=$WORK/rep/$png.png
  [ -s "$f" ] || fail "$png.png missing"
  [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png.png is not a PNG"
  read -r w h <<<"$(od -An -tu1 -j16 -N8 "$f" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')"
  ctype=$(od -An -tu1 -j25 -N1 "$f" | tr -d ' ')
  [ "$w" -ge 800 ] && [ "$h" -ge 500 ] || fail "$png.png is $w x $h"
  [ "$ctype" -eq 2 ] || fail "$png.png colour type $ctype, expected RGB (2)"
  ok "$png.png: $w x $h RGB"
done

# --target: the time each run took to the target, as a table and a chart
# beside a prediction; lr2's own metrics.csv says when it got there
target=$(awk -F, 'NR == 2 {printf "%.2f", 100 * $4 - 0.01}' "$WORK/runs/lr2/metrics.csv")
printf 'ranks,seconds\n2,5\n4,3\n8,2.5\n' >"$WORK/predicted.csv"
"$NNMPI" report "$WORK/runs/lr2" "$WORK/runs/lr1" -o "$WORK/rep-t" --target "$target" \
  --predicted "$WORK/predicted.csv" >"$WORK/out-t" || { cat "$WORK/out-t"; fail "report --target failed"; }
wall=$(awk -F, 'NR == 2 {printf "%.1f", $7}' "$WORK/runs/lr2/metrics.csv")
grep -q "^## Time to $target% test accuracy" "$WORK/rep-t/report.md" || fail "no time table in report.md"
grep -q "^| lr2 | 2 | 1 | $wall |" "$WORK/rep-t/report.md" || fail "lr2's time to $target% is not epoch 1, $wall s"
[ -s "$WORK/rep-t/time_to_target.png" ] || fail "time_to_target.png missing"
grep -q "time_to_target.png" "$WORK/rep-t/report.md" || fail "report.md does not show the time chart"
expect_fail 2 "test accuracy in percent (0-100], not .101." "$NNMPI" report "$WORK/runs/lr2" -o "$WORK/rep-x" --target 101
expect_fail 2 "needs --target" "$NNMPI" report "$WORK/runs/lr2" -o "$WORK/rep-x" \
  --predicted "$WORK/predicted.csv"
printf '2,5\n4\n' >"$WORK/bad.csv"
expect_fail 1 "bad.csv:2: expected RANKS,SECONDS" "$NNMPI" report "$WORK/runs/lr2" -o "$WORK/rep-x" \
  --target 90 --predicted "$WORK/bad.csv"
ok "--target: time table and chart; bad targets and predictions refused"

# bad input: named, the others still reported, exit 1
mkdir -p "$WORK/runs/empty" "$WORK/runs/damaged"
cp "$WORK/runs/lr1/config.ini" "$WORK/runs/damaged/"
printf 'epoch,train_loss,train_accuracy,test_accuracy,lr,samples_per_s,wall_s,ranks\n1,0.1,0.9,0.91,2,1000,1.0,2\n2,0.1,0.9,oops,2,1000,2.0,2\n' \
  >"$WORK/runs/damaged/metrics.csv"
status=0
"$NNMPI" report "$WORK/runs/lr2" "$WORK/runs/empty" "$WORK/runs/damaged" "$WORK/runs/norot" \
  -o "$WORK/rep2" >"$WORK/out2" 2>"$WORK/err2" || status=$?
cat "$WORK/err2"
[ "$status" -eq 1 ] || fail "exit $status with unreadable run directories, expected 1"
grep -q "runs/empty: no metrics.csv" "$WORK/err2" || fail "the directory without metrics.csv is not named"
grep -q "runs/damaged/metrics.csv:3: test_accuracy \"oops\" is not a number" "$WORK/err2" \
  || fail "the damaged line is not named"
[ "$(wc -l <"$WORK/rep2/report.csv")" -eq 3 ] || fail "the two good runs are not reported"
ok "bad run directories named, others reported"

# a run whose data file is gone: '?' and a warning, still reported
rm "$WORK/norot.h5"
"$NNMPI" report "$WORK/runs/norot" -o "$WORK/rep3" -q >/dev/null 2>"$WORK/err3" || fail "missing data file is not an error"
grep -q "warning.*norot.h5" "$WORK/err3" || fail "no warning about the missing data file"
grep -q ",?,,100," "$WORK/rep3/report.csv" || fail "unknown augmentation not shown as ?"
ok "missing data file: augmentation ?"

expect_fail 2 "no run directories" "$NNMPI" report
expect_fail 1 "no run could be read" "$NNMPI" report "$WORK/runs/empty" -o "$WORK/rep4"
[ ! -e "$WORK/rep4" ] || fail "nothing should be written when no run could be read"
