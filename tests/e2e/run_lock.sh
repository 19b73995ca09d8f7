# One job per run directory, and stops that always checkpoint (issue:
# never lose or mix a user's run):
# - a second job into a directory in use refuses at once (exit 3), naming
#   the holder's host, pid and SLURM job, and changes nothing there; the
#   first job's run stays whole;
# - a holder killed with kill -9 does not keep the directory locked; the
#   same with the fallback lock of file systems without fcntl locks
#   (NNMPI_RUN_LOCK=file), which also lets a requeued start of the same
#   SLURM job take over from its predecessor;
# - a stop signal during start-up (before MPI_Init is done) is a stop with
#   a checkpoint and exit 75, not a killed rank;
# - a stop signal while a large network's checkpoint is written stops the
#   run with that checkpoint, without another step or write;
# - mpirun's SIGTERM with a large network (784-100000-10, a 318 MB
#   checkpoint): with time enough, the checkpoint is written (mpirun
#   passes the SIGTERM on after that time); a plain mpirun is
#   warned at start;
# - jobs/mpirun.sh reports what rank 0 says: the exact command that
#   continues (without --fresh), "done" when the run finished whatever
#   mpirun's status, and never "done" when nothing ran.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
export OMPI_MCA_btl_vader_backing_directory=$WORK OMPI_MCA_orte_tmpdir_base=$WORK
q=$TESTDATA/quick.h5
base=(--set data.file="$q" --set net.hidden=30 --set train.batch=64)

# start DIR LOG [mpirun options...] -- [train options...]: a 2-rank job in
# its own process group, in the background ($job); returns once it trains
start() {
  local d=$1 log=$2 mpi=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do mpi+=("$1"); shift; done
  shift
  setsid mpirun --oversubscribe -np 2 "${mpi[@]}" "$NNMPI" train "${base[@]}" \
    --set output.dir="$d" "$@" >"$log" 2>&1 &
  job=$!
  wait_log "$log" "^epoch [0-9]*/" 120
}
# signal_job SIGNAL JOB DIR: to mpirun ($JOB) and to the ranks training into
# DIR, which Open MPI puts in process groups of their own
signal_job() {
  kill -"$1" "$2" 2>/dev/null || true
  pkill -"$1" -f "nnmpi train .*output.dir=$3( |$)" 2>/dev/null || true
}
# kill_job JOB DIR: kill -9 of the whole job, until it has ended
kill_job() {
  signal_job KILL "$1" "$2"
  signal_job CONT "$1" "$2"
  wait "$1" 2>/dev/null || true
  ranks_gone "$2" || fail "the ranks of $2 did not end"
}

# --- a second job into a directory in use ------------------------------------
d=$WORK/shared
start "$d" "$WORK/a.log" -x SLURM_JOB_ID=4242 -- --set train.lr=2 --set train.epochs=400 --resume auto
holder=$(pid_of "$d" 0) || fail "no rank 0"
sum=$(sha256sum <"$d/config.ini")
t0=$(date +%s)
expect_fail 3 "$d is in use by another training job (host $(hostname), pid $holder, SLURM job 4242, since " \
  run_np 2 train "${base[@]}" --set output.dir="$d" --set train.lr=0.3 --set train.epochs=2 --resume auto
[ $(( $(date +%s) - t0 )) -lt 60 ] || fail "the refusal took long"
[ "$(sha256sum <"$d/config.ini")" = "$sum" ] || fail "the refused job touched config.ini"
"$NNMPI" info "$d" | grep -q "in use: *by a training job: host $(hostname), pid $holder, SLURM job 4242" \
  || { "$NNMPI" info "$d"; fail "nnmpi info DIR does not name the holder"; }
kill -USR1 "$job"; st=0; wait "$job" || st=$?
[ "$st" -eq 75 ] || { cat "$WORK/a.log"; fail "the first job: exit $st after SIGUSR1"; }
grep -q "^lr = 2$" "$d/config.ini" && ! grep -rq "0.3" "$d/config.ini" || fail "config.ini is not the first job's"
ok "a second job into a directory in use refused with exit 3, naming host, pid $holder and SLURM job 4242"

# --- kill -9 of the holder frees the directory -----------------------------------
start "$d" "$WORK/b.log" -- --set train.epochs=400 --resume auto
kill_job "$job" "$d"
start "$d" "$WORK/c.log" -- --set train.epochs=400 --resume auto   # fails unless the lock is free
kill -USR1 "$job"; wait "$job" || true
ok "kill -9 of the holder: the next job took the directory at once"

# --- the fallback lock (file systems without fcntl locks) ----------------------
export NNMPI_RUN_LOCK=file
f=$WORK/fallback
start "$f" "$WORK/f1.log" -x SLURM_JOB_ID=77 -x SLURM_RESTART_COUNT=0 -- --set train.epochs=400 --resume auto
[ -f "$f/run.lock.excl" ] || fail "no run.lock.excl in fallback mode"
expect_fail 3 "$f is in use by another training job (host $(hostname), pid $(pid_of "$f" 0), SLURM job 77" \
  run_np 2 train "${base[@]}" --set output.dir="$f" --resume auto
# a requeued start of the same SLURM job takes over from its stalled predecessor
signal_job STOP "$job" "$f"
stalled=$job
start "$f" "$WORK/f2.log" -x SLURM_JOB_ID=77 -x SLURM_RESTART_COUNT=1 -- --set train.epochs=400 --resume auto
grep -q "took over the run lock of a job that is gone: host $(hostname), .*SLURM job 77.*(it was an earlier start of this SLURM job)" "$WORK/f2.log" \
  || { cat "$WORK/f2.log"; fail "the takeover is not said"; }
kill -USR1 "$job"; wait "$job" || true
kill_job "$stalled" "$f"
# a holder that died: its pid is gone
start "$f" "$WORK/f3.log" -- --set train.epochs=400 --resume auto
kill_job "$job" "$f"
[ -f "$f/run.lock.excl" ] || fail "kill -9 removed run.lock.excl (it should stay, stale)"
start "$f" "$WORK/f4.log" -- --set train.epochs=400 --resume auto   # fails unless taken over
grep -q "took over the run lock of a job that is gone: .*(its process is gone)" "$WORK/f4.log" || { cat "$WORK/f4.log"; fail "stale lock not said"; }
kill -USR1 "$job"; wait "$job" || true
[ ! -e "$f/run.lock.excl" ] || fail "run.lock.excl left after the job ended"
unset NNMPI_RUN_LOCK
ok "fallback lock: refused while held; taken over from a stopped earlier start of the same SLURM job and from a dead holder"

# --- a stop during start-up ------------------------------------------------------
s=$WORK/early
setsid mpirun --oversubscribe -np 1 "$NNMPI" train "${base[@]}" --set output.dir="$s" --set train.epochs=3 \
  >"$WORK/early.log" 2>&1 &
job=$!
# the moment the rank is there with its handlers (or the signals blocked)
victim=""
for _ in $(seq 1000); do
  if p=$(pid_of "$s" 0); then   # the rank, not mpirun
    # SIGTERM (15) is bit 0x4000 of the blocked or caught signal masks
    for mask in $(sed -n 's/^Sig\(Blk\|Cgt\):\s*//p' "/proc/$p/status" 2>/dev/null); do
      (( 0x$mask & 0x4000 )) && victim=$p
    done
  fi
  [ -z "$victim" ] || break
  sleep 0.005
done
[ -n "$victim" ] || fail "the rank never appeared"
kill -TERM "$victim"
st=0; wait "$job" || st=$?
grep -q "^nnmpi train: 1 rank" "$WORK/early.log" || { cat "$WORK/early.log"; fail "the job did not start up after the signal"; }
[ "$st" -eq 75 ] || { cat "$WORK/early.log"; fail "a stop during start-up: exit $st, expected 75"; }
grep -q "stopped by signal 15 (SIGTERM) at epoch 1 step 1/" "$WORK/early.log" && [ -e "$s/latest.h5" ] \
  || { cat "$WORK/early.log"; fail "no checkpoint after a stop during start-up"; }
ok "SIGTERM during start-up: the run started, checkpointed at its first step, exit 75"

# --- a large network stopped by mpirun's SIGTERM --------------------------------
big=(--set data.file="$TESTDATA/tiny.h5" --set net.hidden=100000 --set train.batch=16 --set train.epochs=50
     --set output.backquery=false --set output.log_every=1)
# a stop signal while a checkpoint is written stops with that checkpoint: no
# further step, no second 318 MB write (which took mpirun's 7 s past its end)
b=$WORK/big-during
setsid mpirun --oversubscribe -np 2 "$NNMPI" train "${big[@]}" --set output.dir="$b" >"$WORK/big.log" 2>&1 &
job=$!
for ((i = 0; i < 300 * 50; i++)); do
  tmp=$(compgen -G "$b/ckpt-*.h5.tmp.*" || true)
  [ -z "$tmp" ] || break
  sleep 0.02
done
[ -n "$tmp" ] || { cat "$WORK/big.log"; fail "never saw a checkpoint being written"; }
pkill -TERM -P "$job" -f "nnmpi train" # the ranks alone: mpirun would kill them 1 s later
st=0; wait "$job" || st=$?
ckpt=${tmp%%.tmp.*}
[ "$st" -eq 75 ] && grep -q "stopped by signal 15 (SIGTERM) at epoch [0-9]* step [0-9]*/7: checkpoint $ckpt;" "$WORK/big.log" \
  && ! sed -n "\|^  checkpoint $ckpt |,\$p" "$WORK/big.log" | grep -q "^  epoch " \
  || { cat "$WORK/big.log"; fail "a stop during the write of $ckpt: exit $st, not stopped with it at once"; }
ok "SIGTERM while $(basename "$ckpt") was written: stopped with it, no step more, exit 75"

# what the job scripts give it, 7 s (--print-config says so; less is
# warned), as e2e_slurm does; more in a sanitized build (5 s for the step
# and the checkpoint there, 1-2 s normally): the mechanism is the same.
# mpirun sleeps the whole timeout twice (SIGCONT, wait, SIGTERM, wait,
# SIGKILL) however soon the ranks end: each second here is two of the test's.
enough=7
! sanitized || enough=12
for timeout in "$enough" default; do
  b=$WORK/big-$timeout
  opts=()
  [ "$timeout" = default ] || opts=(--mca odls_base_sigkill_timeout "$timeout")
  setsid mpirun --oversubscribe -np 2 "${opts[@]}" "$NNMPI" train "${big[@]}" --set output.dir="$b" \
    >"$WORK/big.log" 2>&1 &
  job=$!
  wait_log "$WORK/big.log" "^  epoch 1 step 2/" 300
  if [ "$timeout" = default ]; then
    grep -q "warning: .*mpirun kills the ranks 1 s after passing on a SIGTERM .*odls_base_sigkill_timeout 7" "$WORK/big.log" \
      || { cat "$WORK/big.log"; fail "no warning about mpirun's 1 s"; }
    kill_job "$job" "$b"
    break
  fi
  ! grep -q "mpirun kills the ranks" "$WORK/big.log" || fail "warned although the timeout is $timeout s"
  kill -TERM "$job"
  wait "$job" 2>/dev/null || true
  grep -q "stopped by signal 15 (SIGTERM) at epoch [0-9]* step [0-9]*/7: checkpoint $b/ckpt-" "$WORK/big.log" \
    || { cat "$WORK/big.log"; fail "784-100000-10: no checkpoint after mpirun's SIGTERM"; }
  "$NNMPI" info "$b/latest.h5" >/dev/null || fail "the big checkpoint does not load"
  ok "784-100000-10 stopped by mpirun's SIGTERM with $timeout s: $(grep '^  checkpoint' "$WORK/big.log" | tail -n 1 | sed 's/^ *//')"
done
ok "a plain mpirun with its 1 s is warned for 784-100000-10"

# --- jobs/mpirun.sh reports what rank 0 says ---------------------------------------
m=$WORK/script
setsid "$NNMPI_SRC/jobs/mpirun.sh" -np 2 "$NNMPI_SRC/configs/quick.ini" "${base[@]}" --set output.dir="$m" \
  --set train.epochs=400 --fresh >"$WORK/m.log" 2>&1 &
job=$!
wait_log "$WORK/m.log" "^epoch 1/" 120
kill -TERM "$job"; st=0; wait "$job" || st=$?
[ "$st" -eq 75 ] || { cat "$WORK/m.log"; fail "mpirun.sh: exit $st after SIGTERM"; }
cont=$(sed -n 's/.*mpirun.sh: stopped at epoch .* | checkpoint [^:]*:\(.*\); to continue: \(.*\)$/\2/p' "$WORK/m.log")
[ -n "$cont" ] || { cat "$WORK/m.log"; fail "mpirun.sh did not print the command that continues"; }
case " $cont " in *" --fresh "*|*" --resume "*) fail "the continuing command keeps --fresh/--resume: $cont" ;; esac
# one epoch more than the stopped run did (on a loaded machine the stop can
# come after the second epoch)
done_epochs=$("$NNMPI" info "$m/latest.h5" | sed -n 's/^  training: *\([0-9]*\) epoch.*/\1/p')
eval "${cont/--set train.epochs=400/--set train.epochs=$((done_epochs + 1))}" >"$WORK/m2.log" 2>&1 || true
grep -q "^resuming from $m/ckpt-" "$WORK/m2.log" || { cat "$WORK/m2.log"; fail "the printed command did not continue the run"; }
ok "mpirun.sh: stopped, printed '$cont', which continues"
# a launcher that says 0 although nothing ran; one that fails after a finished run
fake=$WORK/fake-nnmpi
cat >"$fake" <<EOF
#!/bin/sh
case " \$* " in *" --print-config "*) exec "$NNMPI" "\$@" ;; esac
[ -z "\$FAKE_OUTCOME" ] || echo "outcome: \$FAKE_OUTCOME"
exit "\${FAKE_STATUS:-0}"
EOF
chmod +x "$fake"
st=0; NNMPI=$fake "$NNMPI_SRC/jobs/mpirun.sh" -np 1 "$NNMPI_SRC/configs/quick.ini" "${base[@]}" \
  --set output.dir="$WORK/none" >"$WORK/none.log" 2>&1 || st=$?
[ "$st" -ne 0 ] && grep -q "no outcome from rank 0: nothing ran" "$WORK/none.log" || { cat "$WORK/none.log"; fail "mpirun.sh: exit $st when nothing ran"; }
st=0; FAKE_OUTCOME="done | 3 of 3 epochs | model h:/x/model.h5" FAKE_STATUS=1 NNMPI=$fake \
  "$NNMPI_SRC/jobs/mpirun.sh" -np 1 "$NNMPI_SRC/configs/quick.ini" "${base[@]}" --set output.dir="$WORK/none" \
  >"$WORK/late.log" 2>&1 || st=$?
[ "$st" -eq 0 ] && grep -q "mpirun.sh: done: 3 of 3 epochs | model h:/x/model.h5" "$WORK/late.log" || { cat "$WORK/late.log"; fail "mpirun.sh: a finished run reported as $st"; }
ok "mpirun.sh: nothing ran -> not done, non-zero; a run that finished -> done whatever mpirun's status"
