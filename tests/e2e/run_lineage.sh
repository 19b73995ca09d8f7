# One lineage per run directory (issue: never lose or mix a user's run):
# - rollback, then --resume auto: auto follows latest.h5 (the rolled-back
#   lineage), and the abandoned future is set aside whole, never resumed;
# - --resume FILE into a directory holding another run: refused naming
#   both runs, that directory untouched;
# - --fresh sets the previous run aside, all of it;
# - a refused resume (another hidden size, a missing data file) leaves
#   config.ini as it was;
# - fewer epochs than done: refused, model.h5 and metrics.csv unchanged;
# - another test set is another dataset: refused;
# - every checkpoint damaged: auto sets them aside and starts afresh, and
#   the next --resume auto continues the new run;
# - nnmpi info DIR shows the run, its lineage and the set-aside folders.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
q=$TESTDATA/quick.h5
base=(--set data.file="$q" --set net.hidden=30 --set train.batch=64 --set train.lr=1)
ckpt() { printf '%s/ckpt-e%06d-s%011d.h5' "$1" "$2" 0; }
# tree_sum DIR: a checksum of every file under DIR (names and contents) but
# the run lock, which every job that takes it rewrites with its own name
tree_sum() { (cd "$1" && find . -type f ! -name run.lock -print0 | sort -z | xargs -0 sha256sum) | sha256sum; }
train() { run_np 2 train "${base[@]}" "$@"; }

# --- rollback, then auto ------------------------------------------------------
d=$WORK/roll
train --set output.dir="$d" --set train.epochs=4 >"$WORK/roll1.log" 2>&1 || { cat "$WORK/roll1.log"; fail "4 epochs"; }
old_e4=$(sha256sum <"$(ckpt "$d" 4)")
train --set output.dir="$d" --resume "$(ckpt "$d" 2)" --set train.lr=0.5 --set train.epochs=3 \
  >"$WORK/roll2.log" 2>&1 || { cat "$WORK/roll2.log"; fail "resume from epoch 2"; }
aside=$(ls -d "$d"/abandoned-*/ 2>/dev/null | head -1)
[ -n "$aside" ] || { ls -la "$d"; fail "no abandoned- folder after the rollback"; }
grep -q "set aside .* into ${aside%/}: the future abandoned" "$WORK/roll2.log" || { cat "$WORK/roll2.log"; fail "the set-aside is not logged"; }
for f in ckpt-e000003-s00000000000.h5 ckpt-e000004-s00000000000.h5 model.h5 metrics.csv config.ini latest.h5; do
  [ -e "$aside/$f" ] || { ls -la "$aside"; fail "the abandoned future lacks $f"; }
done
[ "$(sha256sum <"$aside/ckpt-e000004-s00000000000.h5")" = "$old_e4" ] || fail "the abandoned epoch 4 changed"
[ "$(readlink "$aside/latest.h5")" = ckpt-e000004-s00000000000.h5 ] || fail "the abandoned latest.h5 moved"
[ ! -e "$(ckpt "$d" 4)" ] || fail "epoch 4 of the abandoned future is still in $d"
[ "$(readlink "$d/latest.h5")" = ckpt-e000003-s00000000000.h5 ] || fail "latest.h5 -> $(readlink "$d/latest.h5")"
grep -q "^lr = 0.5$" "$d/config.ini" || fail "config.ini is not the new session's"
[ "$(awk -F, 'NR>1{print $1}' "$d/metrics.csv" | tr '\n' ' ')" = "1 2 3 " ] || fail "metrics.csv: $(cat "$d/metrics.csv")"
new_e3=$(sha256sum <"$(ckpt "$d" 3)")
# what train.sbatch does on every start: auto continues the new lineage
train --set output.dir="$d" --set train.epochs=4 --resume auto >"$WORK/roll3.log" 2>&1 || { cat "$WORK/roll3.log"; fail "auto after the rollback"; }
grep -q "^resuming from $d/ckpt-e000003-s00000000000.h5: 3 epochs done" "$WORK/roll3.log" || { cat "$WORK/roll3.log"; fail "auto did not take the new epoch 3"; }
[ "$(sha256sum <"$aside/ckpt-e000004-s00000000000.h5")" = "$old_e4" ] || fail "auto touched the abandoned future"
[ "$(ls -d "$d"/abandoned-* | wc -l)" -eq 1 ] || fail "auto set something aside again"
[ "$(awk -F, 'NR>1{print $1}' "$d/metrics.csv" | tr '\n' ' ')" = "1 2 3 4 " ] || fail "metrics.csv after auto: $(cat "$d/metrics.csv")"
# latest.h5 one behind (a kill between a checkpoint's rename and the link's):
# auto takes the newer checkpoint of the same lineage; a stray checkpoint of
# the abandoned future put back in the directory is not taken, but set aside
ln -sfn ckpt-e000003-s00000000000.h5 "$d/latest.h5"
cp "$aside/ckpt-e000004-s00000000000.h5" "$WORK/old-e4.h5"
train --set output.dir="$d" --set train.epochs=4 --resume auto >"$WORK/roll4.log" 2>&1 || { cat "$WORK/roll4.log"; fail "auto with latest.h5 behind"; }
grep -q "^--resume auto: $(ckpt "$d" 4) is newer than latest.h5's $(ckpt "$d" 3), and of the same lineage" "$WORK/roll4.log" &&
  grep -q "^resuming from $(ckpt "$d" 4): 4 epochs done" "$WORK/roll4.log" || { cat "$WORK/roll4.log"; fail "auto did not catch up with latest.h5"; }
mv "$(ckpt "$d" 4)" "$WORK/new-e4.h5"
cp "$WORK/old-e4.h5" "$(ckpt "$d" 4)"
ln -sfn ckpt-e000003-s00000000000.h5 "$d/latest.h5"
train --set output.dir="$d" --set train.epochs=4 --resume auto >"$WORK/roll5.log" 2>&1 || { cat "$WORK/roll5.log"; fail "auto with a stray checkpoint"; }
grep -q "^resuming from $(ckpt "$d" 3): 3 epochs done" "$WORK/roll5.log" || { cat "$WORK/roll5.log"; fail "auto took the abandoned future's checkpoint"; }
[ "$(ls -d "$d"/abandoned-* | wc -l)" -eq 2 ] || fail "the stray checkpoint was not set aside"
ok "latest.h5 one behind: auto caught up with the lineage; a stray checkpoint of another lineage was set aside, not resumed"
run_a=$("$NNMPI" info "$(ckpt "$d" 4)" | sed -n 's/^  run: *\([0-9a-f]*\).*/\1/p')
[ ${#run_a} -eq 16 ] || fail "no run id in the checkpoint"
"$NNMPI" info "$d" >"$WORK/info" || { cat "$WORK/info"; fail "nnmpi info DIR"; }
grep -q "run: *$run_a" "$WORK/info" && grep -q "set aside: *$(basename "$aside")" "$WORK/info" &&
  [ "$(grep -c "UTC  " "$WORK/info")" -eq 3 ] && grep -q "resumed $(ckpt "$d" 2)" "$WORK/info" \
  || { cat "$WORK/info"; fail "nnmpi info DIR does not show the run, its 3 sessions and the set-aside folder"; }
ok "rollback to epoch 2 set epochs 3-4 aside in $(basename "$aside"); --resume auto then continued the new epoch 3; info shows the lineage"

# --- --resume FILE into a directory holding another run ----------------------
x=$WORK/x2
train --set output.dir="$x" --set train.seed=7 --set train.epochs=2 >/dev/null 2>&1 || fail "seed-7 run"
before=$(tree_sum "$x")
run_x=$("$NNMPI" info "$x/model.h5" | sed -n 's/^  run: *\([0-9a-f]*\).*/\1/p')
expect_fail 1 "cannot resume $(ckpt "$d" 2) into $x: that directory holds another run (run $run_x, .*the checkpoint belongs to run $run_a" \
  run_np 2 train --resume "$(ckpt "$d" 2)" --set output.dir="$x"
[ "$(tree_sum "$x")" = "$before" ] || fail "the refused resume changed $x"
# into a new directory it is a copy that goes on: allowed, same run id
train --resume "$(ckpt "$d" 2)" --set output.dir="$WORK/fork" >/dev/null 2>&1 || fail "resume into a new directory"
"$NNMPI" info "$WORK/fork/model.h5" | grep -q "run: *$run_a, continued from ckpt-e000002-s00000000000.h5 sha256:" || fail "the fork lost its lineage"
ok "--resume of run $run_a into $x (run $run_x) refused, $x untouched; into a new directory allowed"

# --- --fresh sets the previous run aside ---------------------------------------
before=$(tree_sum "$x")
train --set output.dir="$x" --set train.epochs=1 --fresh >"$WORK/fresh.log" 2>&1 || { cat "$WORK/fresh.log"; fail "--fresh"; }
prev=$(ls -d "$x"/previous-*/ | head -1)
[ -n "$prev" ] && [ "$(tree_sum "$prev")" = "$before" ] || { ls -la "$x" "$prev"; fail "--fresh did not set all of the previous run aside"; }
[ "$(awk -F, 'NR>1' "$x/metrics.csv" | wc -l)" -eq 1 ] || fail "metrics.csv mixes the runs"
new_x=$("$NNMPI" info "$x/model.h5" | sed -n 's/^  run: *\([0-9a-f]*\).*/\1/p')
[ -n "$new_x" ] && [ "$new_x" != "$run_x" ] || fail "--fresh kept the run id"
expect_fail 1 "$x holds an earlier run" run_np 2 train "${base[@]}" --set output.dir="$x"
ok "--fresh moved the whole previous run into $(basename "$prev") (run $run_x), new run $new_x"

# --- a refused resume leaves config.ini alone --------------------------------
sum=$(sha256sum <"$d/config.ini")
expect_fail 1 "cannot resume: \[net\] hidden is 30 in the checkpoint but 300 now" \
  run_np 2 train "${base[@]}" --set output.dir="$d" --set train.epochs=5 --set net.hidden=300 --resume auto
expect_fail 1 "cannot open\|No such file" \
  run_np 2 train "${base[@]}" --set output.dir="$d" --set train.epochs=5 --set data.file="$WORK/typo.h5" --resume auto
[ "$(sha256sum <"$d/config.ini")" = "$sum" ] || fail "a refused resume rewrote config.ini"
ok "refused resumes left config.ini as it was"

# --- fewer epochs than done ---------------------------------------------------
sums=$(sha256sum "$d/model.h5" "$d/metrics.csv")
expect_fail 1 "the run has 4 epochs done, more than \[train\] epochs = 2" \
  run_np 2 train "${base[@]}" --set output.dir="$d" --set train.epochs=2 --resume auto
[ "$(sha256sum "$d/model.h5" "$d/metrics.csv")" = "$sums" ] || fail "model.h5 or metrics.csv changed"
train --set output.dir="$d" --set train.epochs=4 --resume auto >"$WORK/same.log" 2>&1 || fail "epochs = done"
grep -q "nothing to train" "$WORK/same.log" && "$NNMPI" info "$d/model.h5" | grep -q "4 epochs done" || fail "epochs = done: model.h5"
ok "fewer epochs than done refused, model.h5 and metrics.csv unchanged; as many: nothing to train"

# --- another test set is another dataset ----------------------------------------
"$NNMPI" prepare --mnist "$MNIST" --train-limit 6000 --test-limit 50 -o "$WORK/quick-test50.h5" -q
expect_fail 1 "cannot resume: it was trained on another dataset" \
  run_np 2 train "${base[@]}" --set output.dir="$d" --set train.epochs=5 --set data.file="$WORK/quick-test50.h5" --resume auto
ok "the same training rows with another test set are refused"

# --- every checkpoint damaged --------------------------------------------------
g=$WORK/damaged
train --set output.dir="$g" --set train.epochs=2 >/dev/null 2>&1 || fail "run to damage"
for f in "$g"/ckpt-*.h5 "$g/model.h5"; do head -c 3000 "$f" >"$WORK/cut" && cat "$WORK/cut" >"$f"; done
train --set output.dir="$g" --set train.epochs=2 --resume auto >"$WORK/dmg.log" 2>&1 || { cat "$WORK/dmg.log"; fail "auto over damaged checkpoints"; }
aside=$(ls -d "$g"/damaged-*/ | head -1)
[ -n "$aside" ] && [ -e "$aside/ckpt-e000001-s00000000000.h5" ] && [ -e "$aside/model.h5" ] || { ls -la "$g"; fail "the damaged files were not set aside"; }
grep -q "skipping a damaged checkpoint: $g/ckpt-e000002-s00000000000.h5" "$WORK/dmg.log" &&
  grep -q "set aside .* into ${aside%/}" "$WORK/dmg.log" || { cat "$WORK/dmg.log"; fail "the damaged files are not named"; }
train --set output.dir="$g" --set train.epochs=3 --resume auto >"$WORK/dmg2.log" 2>&1 || { cat "$WORK/dmg2.log"; fail "auto after the fresh start"; }
grep -q "^resuming from $g/ckpt-e000002" "$WORK/dmg2.log" || { cat "$WORK/dmg2.log"; fail "the next auto did not continue"; }
ok "every checkpoint damaged: set aside in $(basename "$aside"), a new run started, the next auto continued it"
