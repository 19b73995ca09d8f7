# A rank that stops answering ends the job instead of holding it for ever
# ([train] stall_timeout): one rank of a 2-rank run is stopped with
# kill -STOP (as the OS, a hung file system or a swapping node would stop
# it) -- rank 1 of a sync run, rank 0 (the run directory's holder) of a
# local-mode run. The waiting rank says who waited, for how long, on which
# step (and rank 0, when it waited, its outcome line); the job ends within
# the timeout plus a few seconds with exit status 4; no rank is left; the
# last checkpoint loads and --resume auto finishes the run.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
export OMPI_MCA_btl_vader_backing_directory=$WORK OMPI_MCA_orte_tmpdir_base=$WORK
base=(--set data.file="$TESTDATA/quick.h5" --set net.hidden=30 --set train.batch=32
      --set train.sync_every=200 --set train.epochs=300 --set train.stall_timeout=3)

for case in "sync 1" "local 0"; do
  read -r mode victim_rank <<<"$case"
  d=$WORK/$mode
  setsid mpirun --oversubscribe -np 2 "$NNMPI" train "${base[@]}" --set train.mode="$mode" \
    --set output.dir="$d" >"$d.log" 2>&1 &
  job=$!
  wait_log "$d.log" "^  checkpoint .*ckpt-e000001" 120
  victim=$(pid_of "$d" "$victim_rank") || fail "$mode: no rank $victim_rank"
  kill -STOP "$victim"
  t0=$(date +%s.%N)
  for _ in $(seq 1200); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$job" 2>/dev/null; then
    kill -9 "$job"; pkill -9 -f "nnmpi train .*output.dir=$d( |$)"; cat "$d.log"; fail "$mode: still waiting 120 s after the stop"
  fi
  st=0; wait "$job" || st=$?
  took=$(echo "$(date +%s.%N) - $t0" | bc)
  kill -CONT "$victim" 2>/dev/null || true
  [ "$st" -eq 4 ] || { cat "$d.log"; fail "$mode: exit status $st, expected 4"; }
  waiter=$((1 - victim_rank))
  grep -q "nnmpi: error: rank $waiter ($(hostname)): no answer from the other ranks for [3-9] s in the \(reduction\|.*\) at epoch [0-9]* step [0-9]* (\[train\] stall_timeout)" "$d.log" \
    || { cat "$d.log"; fail "$mode: no message from the waiting rank $waiter"; }
  # rank 0, when it is the one that gave up, still says how the run ended
  [ "$waiter" -ne 0 ] || grep -q "^outcome: failed (exit status 4) | checkpoint $(hostname):.*/ckpt-" "$d.log" \
    || { cat "$d.log"; fail "$mode: no outcome line from rank 0"; }
  ranks_gone "$d" || fail "$mode: ranks left running"
  "$NNMPI" info "$d/latest.h5" >/dev/null || fail "$mode: the last checkpoint does not load"
  # to the end of the epoch after the last one done
  done_epochs=$("$NNMPI" info "$d/latest.h5" | sed -n 's/^  training: *\([0-9]*\) epoch.*/\1/p')
  run_np 2 train "${base[@]}" --set train.mode="$mode" --set train.epochs=$((done_epochs + 1)) \
    --set output.dir="$d" --resume auto >"$d.resume.log" 2>&1 || { cat "$d.resume.log"; fail "$mode: resume after the stall"; }
  grep -q "^resuming from $d/ckpt-" "$d.resume.log" && [ -f "$d/model.h5" ] || fail "$mode: did not resume and finish"
  ok "$mode: rank $victim_rank stopped; rank $waiter gave up after the 3 s timeout, the job ended $(printf %.1f "$took") s after the stop with exit 4; resumed to the end"
done
