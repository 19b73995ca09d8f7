# Stopping and killing: SIGUSR1 to mpirun (SLURM's warning before the time
# limit), SIGTERM to one rank, SIGTERM to mpirun: a checkpoint is written and
# the ranks exit with status 75 (mpirun itself reports 1 when it is the one
# terminated, and may drop rank 0's last lines: then the stop's checkpoint
# says it); --resume auto then finishes the run, with the same weights as
# an uninterrupted run. kill -9 of the whole job at random moments, several
# times: --resume auto always finds a loadable checkpoint and finishes.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
# 100 epochs (about 3 s here): long enough that a stop sent once the first
# epoch is logged arrives before the end (mpirun sends its ranks SIGCONT at
# once and SIGTERM a second later; 40 epochs, 1.2 s once training got
# faster, were too few)
epochs=100
args=(--set data.file="$TESTDATA/quick.h5" --set net.hidden=50 --set train.epochs=$epochs
      --set train.lr=2 --set net.rule=gradient --set train.batch=16 --set checkpoint.every_steps=300)
run_np 2 train "${args[@]}" --set output.dir="$WORK/straight" >/dev/null 2>&1 || fail "uninterrupted run"

# start_job DIR LOG PATTERN: training in the background in its own process
# group; returns once LOG shows PATTERN (e.g. the first epoch's line)
start_job() {
  setsid mpirun --oversubscribe -np 2 "$NNMPI" train "${args[@]}" --set output.dir="$1" \
    --resume auto >"$2" 2>&1 &
  job=$!
  for _ in $(seq 600); do grep -q "$3" "$2" 2>/dev/null && return; sleep 0.1; done
  cat "$2"; fail "training did not start"
}

# Whether DIR's newest checkpoint is one a stop wrote: at a step where no
# regular one falls (every 300 steps of 1,125 an epoch, quick.h5's 18,000
# rows in batches of 16, and each epoch's end). mpirun stops reading its
# ranks' output once it is told to end the job, so rank 0's last lines,
# the stop message among them, may never reach the log; rank 0 stops
# waiting for them (log.c) and the checkpoint says the stop happened.
stop_checkpoint() {
  local name e s
  name=$(readlink "$1/latest.h5") || return 1
  [[ $name =~ ^ckpt-e0*([0-9]+)-s0*([0-9]+)\.h5$ ]] || return 1
  e=${BASH_REMATCH[1]} s=${BASH_REMATCH[2]:-0}
  [ "$s" -ne 0 ] && [ $(((e * 1125 + s) % 300)) -ne 0 ]
}

for how in usr1-mpirun term-rank term-mpirun; do
  d=$WORK/$how
  start_job "$d" "$d.log" "^epoch 1/"
  case $how in
    usr1-mpirun) kill -USR1 "$job" ;;
    term-mpirun) kill -TERM "$job" ;;
    term-rank) pkill -TERM -f "nnmpi train .*output.dir=$d" -n ;;
  esac
  status=0; wait "$job" || status=$?
  said=", said so"
  grep -q "stopped by .* checkpoint .*continue with --resume auto (exit status 75)" "$d.log" \
    || { [ $how = term-mpirun ] && stop_checkpoint "$d" && said=", the message lost, the stop's checkpoint there"; } \
    || { cat "$d.log"; fail "$how: no stop message"; }
  case $how in
    term-mpirun) [ "$status" -ne 0 ] || fail "$how: exit status 0" ;;
    *) [ "$status" -eq 75 ] || { cat "$d.log"; fail "$how: exit status $status, expected 75"; } ;;
  esac
  epochs_before=$(($(wc -l <"$d/metrics.csv") - 1))
  [ "$epochs_before" -lt "$epochs" ] || fail "$how: the stop came too late to test anything"
  run_np 2 train "${args[@]}" --set output.dir="$d" --resume auto >>"$d.log" 2>&1 || fail "$how: resume"
  h5diff "$WORK/straight/model.h5" "$d/model.h5" /net/w_ih /net/w_ih >/dev/null \
    || fail "$how: stopped + resumed differs from the uninterrupted run"
  ok "$how: stopped after $epochs_before epochs with status $status$said, resumed, identical to uninterrupted"
done

# kill -9 of the whole job at random moments, then --resume auto, until done
d=$WORK/killed
for i in 1 2 3 4 5; do
  # the first run is killed only once it has written a checkpoint (so that
  # every later one has something to resume), the others once they resumed
  start_job "$d" "$d.log$i" "^  checkpoint \|^resuming from"
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 -- -"$job" 2>/dev/null || true
  wait "$job" 2>/dev/null || true
  pkill -9 -f "nnmpi train .*output.dir=$d" 2>/dev/null || true
  [ "$i" -eq 1 ] || grep -q "^resuming from" "$d.log$i" || { cat "$d.log$i"; fail "run $i did not resume"; }
done
run_np 2 train "${args[@]}" --set output.dir="$d" --resume auto >"$d.log" 2>&1 || { tail "$d.log"; fail "final resume after kills"; }
grep -q "^resuming from" "$d.log" || fail "the last run did not resume"
! cat "$d".log* | grep -q "skipping a damaged checkpoint" || fail "a kill -9 left a damaged checkpoint under a final name"
h5diff "$WORK/straight/model.h5" "$d/model.h5" /net/w_ih /net/w_ih >/dev/null || fail "killed 5 times: weights differ"
ls "$d" | grep -q "\.tmp\." && fail "temporary files left behind"
ok "killed -9 five times at random moments, resumed each time, identical result"
