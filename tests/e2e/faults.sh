# Faults with real processes:
#  (a) one rank killed with kill -9 mid-training: the job ends within 10 s,
#      Open MPI's message names the rank, --resume auto finishes the run;
#  (b) one rank's step turns NaN (the NNMPI_FAULT test hook: the sigmoid net
#      saturates instead of overflowing, so no configuration makes a real
#      NaN): every rank stops within seconds naming the step, the cause and
#      the rank, and the checkpoints are untouched (sha256); a failed MPI
#      call (NNMPI_FAULT=mpi) ends every rank with one message naming the
#      rank, host and collective, and --resume auto continues;
#  (c) checkpoints cannot be written (a full file system, a read-only run
#      directory, ulimit -f): a warning and training goes on with the previous
#      checkpoint whole; after 3 failures in a row it stops with exit 1; a
#      model.h5 that cannot be written is exit 1 with a message;
#  (d) kill -9 of the whole job at >= 50 random moments of a run writing a
#      checkpoint every step: the newest checkpoint always loads, and every
#      file under a final name is whole.
# (c) needs root for a tmpfs and a read-only bind mount; without it the
# unwritable directory is made with chmod and the full disk is skipped.
# NNMPI_FAULTS_PARTS (default "a b c d") runs only some of the parts.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
# kill -9 leaves Open MPI's shared-memory segments and session directories
# behind: keep them in $WORK, which is removed at the end
export OMPI_MCA_btl_vader_backing_directory=$WORK OMPI_MCA_orte_tmpdir_base=$WORK
tiny=$TESTDATA/tiny.h5 quick=$TESTDATA/quick.h5

# no_processes DIR: no nnmpi rank of DIR is left running
no_processes() {
  ranks_gone "$1" || fail "ranks of $1 still running"
}

# checkpoint_ok FILE: nnmpi info loads it and verifies its checksum
checkpoint_ok() {
  "$NNMPI" info "$1" >/dev/null 2>&1
}

part() { [[ " ${NNMPI_FAULTS_PARTS:-a b c d} " == *" $1 "* ]]; }

# ---------------------------------------------------------------- (a)
if part a; then
d=$WORK/kill-rank
args=(--set data.file="$quick" --set net.hidden=50 --set train.batch=16 --set train.epochs=3
      --set checkpoint.every_steps=100 --set output.dir="$d")
setsid mpirun --oversubscribe -np 2 "$NNMPI" train "${args[@]}" >"$d.log" 2>&1 &
job=$!
wait_log "$d.log" "checkpoint .*ckpt-e000000-s00000000200" 60
victim=$(pid_of "$d" 1) || fail "(a) no rank 1 found"
kill -9 "$victim"
t0=$(date +%s.%N)
for ((i = 0; i < 1000; i++)); do kill -0 "$job" 2>/dev/null || break; sleep 0.01; done
status=0; wait "$job" || status=$?
took=$(echo "$(date +%s.%N) - $t0" | bc)
awk -v t="$took" 'BEGIN{exit !(t < 10)}' || { kill -9 -- -"$job"; cat "$d.log"; fail "(a) the job ran on for $took s after rank 1 was killed"; }
[ "$status" -ne 0 ] || fail "(a) exit status 0 after a rank was killed"
grep -q "process rank 1 .*exited on signal 9" "$d.log" || { cat "$d.log"; fail "(a) no message naming rank 1"; }
no_processes "$d"
newest=$(ls "$d"/ckpt-*.h5 | sort | tail -1)
ok "(a) rank 1 killed: the job ended in ${took%???????} s with status $status: $(grep -m1 'process rank 1' "$d.log" | sed 's/ with PID [0-9]*//')"
run_np 2 train "${args[@]}" --resume auto >"$d.resume.log" 2>&1 || { cat "$d.resume.log"; fail "(a) --resume auto after the kill"; }
grep -q "^resuming from $newest" "$d.resume.log" || { cat "$d.resume.log"; fail "(a) did not resume from $newest"; }
[ "$(($(wc -l <"$d/metrics.csv") - 1))" -eq 3 ] && [ -f "$d/model.h5" ] || fail "(a) the resumed run did not finish"
ok "(a) --resume auto continued from $(basename "$newest") to the end"
fi

# ---------------------------------------------------------------- (b)
if part b; then
# sync and local mode data-parallel (the rank is named), and sync mode with
# both ranks computing slices of one group's samples (the group is named:
# the NaN reaches its shared outputs)
for how in sync:1 local:1 sync:2; do
  mode=${how%:*} tensor=${how#*:}
  d=$WORK/nan-$mode-$tensor
  args=(--set data.file="$quick" --set net.hidden=50 --set train.batch=16 --set train.mode=$mode
        --set train.sync_every=16 --set checkpoint.every_epochs=1 --set output.dir="$d"
        --set train.tensor_parallel=$tensor)
  run_np 2 train "${args[@]}" --set train.epochs=1 >"$d.log" 2>&1 || { cat "$d.log"; fail "(b) first epoch"; }
  (cd "$d" && sha256sum ckpt-*.h5 model.h5 >"$d.sha256" && readlink latest.h5 >"$d.latest")
  # the fault's step is counted over the run, 1-based: mid-epoch 2 (an
  # epoch of quick.h5's 18000 rows is 1125 global batches of 16 in sync
  # mode, and 563 averaging rounds of 16 samples per rank in local mode)
  if [ "$mode" = sync ]; then fault_step=$((1125 + 300)); else fault_step=$((563 + 200)); fi
  t0=$(date +%s.%N); status=0
  NNMPI_FAULT=nan:1:$fault_step timeout -k 5 60 mpirun --oversubscribe -np 2 "$NNMPI" train \
    "${args[@]}" --set train.epochs=3 --resume auto >"$d.log2" 2>&1 || status=$?
  took=$(echo "$(date +%s.%N) - $t0" | bc)
  [ "$status" -eq 1 ] || { cat "$d.log2"; fail "(b) $mode: exit status $status, expected 1"; }
  msg=$(grep -m1 "nnmpi: error: " "$d.log2") || { cat "$d.log2"; fail "(b) $mode: no error line"; }
  who="on rank 1"
  [ "$tensor" = 1 ] || who="in the group of ranks 0-1"
  echo "$msg" | grep -qE "nnmpi: error: training diverged at epoch 2 step [0-9]+: the loss is -?nan $who" \
    || { cat "$d.log2"; fail "(b) $mode: the message does not name the cause and the rank"; }
  [ "$(grep -c "nnmpi: error" "$d.log2")" -eq 1 ] || { cat "$d.log2"; fail "(b) $mode: more than one error line"; }
  awk -v t="$took" 'BEGIN{exit !(t < 30)}' || fail "(b) $mode: took $took s"
  no_processes "$d"
  (cd "$d" && sha256sum -c --quiet "$d.sha256") || fail "(b) $mode: a checkpoint changed"
  [ "$(ls "$d"/ckpt-*.h5 | wc -l)" -eq 1 ] || { ls "$d"; fail "(b) $mode: a checkpoint was written after the NaN"; }
  [ "$(readlink "$d/latest.h5")" = "$(cat "$d.latest")" ] || fail "(b) $mode: latest.h5 moved"
  checkpoint_ok "$d/latest.h5" || fail "(b) $mode: the last good checkpoint does not load"
  ok "(b) $mode, tensor_parallel $tensor: all ranks stopped in ${took%???????} s: ${msg#nnmpi: error: }; checkpoints unchanged (sha256)"
done
# an MPI call that fails (NNMPI_FAULT=mpi: rank 0's reduction gets a
# negative count, which MPI refuses): the one error handler (mpierror.h)
# names the rank, its host and the collective, rank 0 says the outcome, the
# job ends on every rank, and --resume auto continues from the checkpoint
d=$WORK/nan-sync-1
status=0
NNMPI_FAULT=mpi:0:$((1125 + 300)) timeout -k 5 60 mpirun --oversubscribe -np 2 "$NNMPI" train \
  --set data.file="$quick" --set net.hidden=50 --set train.batch=16 --set train.sync_every=16 \
  --set checkpoint.every_epochs=1 --set output.dir="$d" --set train.tensor_parallel=1 \
  --set train.epochs=3 --resume auto >"$d.log3" 2>&1 || status=$?
[ "$status" -eq 1 ] || { cat "$d.log3"; fail "(b) MPI failure: exit status $status, expected 1"; }
grep -qE "^nnmpi: error: rank 0 \($(hostname)\): MPI failed in the reduction at epoch 2 step 300: MPI_ERR_COUNT" "$d.log3" \
  || { cat "$d.log3"; fail "(b) MPI failure: no message naming the rank, host, collective and error"; }
grep -q "^outcome: failed (exit status 1) | checkpoint $(hostname):.*/ckpt-e000001-" "$d.log3" \
  || { cat "$d.log3"; fail "(b) MPI failure: rank 0 did not say the outcome"; }
no_processes "$d"
(cd "$d" && sha256sum -c --quiet "$d.sha256") || fail "(b) MPI failure: a checkpoint changed"
run_np 2 train --set data.file="$quick" --set net.hidden=50 --set train.batch=16 \
  --set checkpoint.every_epochs=1 --set output.dir="$d" --set train.tensor_parallel=1 \
  --set train.epochs=3 --resume auto >"$d.log4" 2>&1 || { cat "$d.log4"; fail "(b) MPI failure: resume"; }
grep -q "^outcome: done | 3 of 3 epochs" "$d.log4" || { cat "$d.log4"; fail "(b) MPI failure: resume did not finish"; }
ok "(b) a failed MPI call ends every rank: $(grep -m1 -o 'MPI failed in .*: MPI_ERR_COUNT' "$d.log3"); --resume auto finished the run"
fi

# ---------------------------------------------------------------- (c)
if part c; then
small=(--set data.file="$tiny" --set net.hidden=50 --set train.batch=16)
full=$WORK/full ro=$WORK/ro
mkdir -p "$full" "$ro"
# (set -e holds in the trap too: every command of it must succeed)
trap 'umount "$full" 2>/dev/null || true; umount "$ro" 2>/dev/null || true; [ -n "${NNMPI_KEEP_TMP:-}" ] || rm -rf "$WORK"' EXIT
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m tmpfs "$full" 2>/dev/null; then
  # (c1) a full file system: a 2 MiB tmpfs holds the run directory
  d=$full/run
  run_np 2 train "${small[@]}" --set output.dir="$d" --set train.epochs=1 >"$WORK/full1.log" 2>&1 \
    || { cat "$WORK/full1.log"; fail "(c1) first epoch"; }
  good=$d/ckpt-e000001-s00000000000.h5
  sum=$(sha256sum "$good")
  rm -f "$d/model.h5"
  # fill it, leaving 64 KiB: room for config.ini and metrics.csv, not for
  # a 160 KB checkpoint
  dd if=/dev/zero of="$full/spare" bs=64k count=1 2>/dev/null
  dd if=/dev/zero of="$full/filler" bs=16k 2>/dev/null || true
  rm -f "$full/spare"
  status=0
  run_np 2 train "${small[@]}" --set output.dir="$d" --set train.epochs=3 --resume auto \
    >"$WORK/full2.log" 2>&1 || status=$?
  [ "$status" -eq 1 ] || { cat "$WORK/full2.log"; fail "(c1) full disk: exit $status, expected 1"; }
  grep -q "warning: .*checkpoint not written (1 in a row; training stops at 3), training goes on (the previous one is intact): .*No space left on device" "$WORK/full2.log" \
    || { cat "$WORK/full2.log"; fail "(c1) no warning for the failed checkpoint"; }
  # (stdout and stderr reach the log by separate ways: their order there
  # is not the order they were written in)
  grep -q "checkpoint not written (1 in a row.*ckpt-e000002-s00000000000.h5" "$WORK/full2.log" &&
    grep -q "^epoch 3/3" "$WORK/full2.log" \
    || { cat "$WORK/full2.log"; fail "(c1) training did not go on after the failed checkpoint"; }
  grep -q "nnmpi: error: .*model.h5.*No space left on device" "$WORK/full2.log" \
    || { cat "$WORK/full2.log"; fail "(c1) no error naming model.h5 and the full disk"; }
  [ "$(sha256sum "$good")" = "$sum" ] && checkpoint_ok "$good" || fail "(c1) the previous checkpoint was damaged"
  ! ls "$d" | grep -q "\.tmp\." || { ls -la "$d"; fail "(c1) temporary files left on the full disk"; }
  ok "(c1) full disk: checkpoints warned, training went on to the end, then: $(grep -m1 'nnmpi: error' "$WORK/full2.log" | sed 's/.*error: //')"
  # 3 failures in a row stop training; the last good checkpoint stays
  status=0
  run_np 2 train "${small[@]}" --set output.dir="$d" --set train.epochs=6 --set checkpoint.every_steps=2 \
    --resume auto >"$WORK/full3.log" 2>&1 || status=$?
  [ "$status" -eq 1 ] || { cat "$WORK/full3.log"; fail "(c1) 3 failures: exit $status, expected 1"; }
  grep -q "nnmpi: error: .*3 checkpoints in a row could not be written, stopping (resume from the last good one.*No space left" "$WORK/full3.log" \
    || { cat "$WORK/full3.log"; fail "(c1) no message for 3 failed checkpoints"; }
  [ "$(grep -c "checkpoint not written" "$WORK/full3.log")" -eq 2 ] || { cat "$WORK/full3.log"; fail "(c1) expected 2 warnings before the stop"; }
  [ "$(sha256sum "$good")" = "$sum" ] || fail "(c1) the last good checkpoint changed"
  ok "(c1) 3 failed checkpoints in a row: $(grep -m1 'nnmpi: error' "$WORK/full3.log" | sed 's/.*error: //')"
  # space again: --resume auto continues from the last good checkpoint
  rm -f "$full/filler"
  run_np 2 train "${small[@]}" --set output.dir="$d" --set train.epochs=3 --resume auto \
    >"$WORK/full4.log" 2>&1 || { cat "$WORK/full4.log"; fail "(c1) resume once there is space"; }
  grep -q "^resuming from $good:" "$WORK/full4.log" && [ -f "$d/model.h5" ] || fail "(c1) did not finish from $good"
  ok "(c1) with space again, --resume auto finished the run from $(basename "$good")"
  umount "$full"
else
  [ "${NNMPI_REQUIRE_ALL:-0}" != 1 ] || fail "(c1) cannot mount a tmpfs (needs root)"
  echo "SKIP (part): (c1) a full file system needs root to mount a small tmpfs"
fi

# (c2) a run directory that cannot be written: refused at the start, with
# the checkpoints in it untouched
run_np 1 train "${small[@]}" --set output.dir="$ro" --set train.epochs=1 >/dev/null 2>&1 || fail "(c2) setup run"
sum=$(sha256sum "$ro"/ckpt-*.h5)
if [ "$(id -u)" -ne 0 ]; then
  chmod 555 "$ro"; why="Permission denied"
elif mount --bind "$ro" "$ro" 2>/dev/null && mount -o remount,ro,bind "$ro" 2>/dev/null; then
  why="Read-only file system"   # root ignores permissions: a read-only bind mount
else
  umount "$ro" 2>/dev/null || true
  why=
fi
if [ -n "$why" ]; then
  # refused before anything is written: at the run lock (its file is there
  # from the first run: opened for writing, or for its lock), or at config.ini
  expect_fail 1 "\(run.lock: cannot open the run directory's lock\|config.ini: cannot write\): $why" run_np 2 train "${small[@]}" \
    --set output.dir="$ro" --set train.epochs=2 --resume auto
  [ "$(id -u)" -ne 0 ] && chmod 755 "$ro" || umount "$ro"
  [ "$(sha256sum "$ro"/ckpt-*.h5)" = "$sum" ] || fail "(c2) checkpoint changed"
else
  [ "${NNMPI_REQUIRE_ALL:-0}" != 1 ] || fail "(c2) cannot make a read-only bind mount"
  echo "SKIP (part): (c2) cannot make the run directory unwritable"
fi

# (c3) ulimit -f: a write past the limit fails (EFBIG) instead of killing
# the process with SIGXFSZ. Open MPI's own shared-memory segment is 4 MiB,
# so the limit is 5000 KiB and the network big enough (784-2000-10, a 6.4 MB
# checkpoint) to pass it.
d=$WORK/fsize
status=0
(ulimit -f 5000; exec timeout -k 5 120 mpirun --oversubscribe -np 2 "$NNMPI" train \
   --set data.file="$tiny" --set net.hidden=2000 --set train.batch=16 --set output.dir="$d" \
   --set train.epochs=2 --set output.backquery=false) >"$WORK/fsize.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || { cat "$WORK/fsize.log"; fail "(c3) ulimit -f: exit $status, expected 1"; }
! grep -qi "signal\|File size limit exceeded" "$WORK/fsize.log" || { cat "$WORK/fsize.log"; fail "(c3) killed by a signal"; }
[ "$(grep -c "checkpoint not written .*File too large" "$WORK/fsize.log")" -eq 2 ] \
  || { cat "$WORK/fsize.log"; fail "(c3) expected a warning for each of the 2 checkpoints"; }
grep -q "nnmpi: error: .*model.h5.*File too large" "$WORK/fsize.log" || { cat "$WORK/fsize.log"; fail "(c3) no error for model.h5"; }
! ls "$d" | grep -q "\.tmp\." || fail "(c3) temporary files left behind"
ok "(c3) ulimit -f: 2 checkpoint warnings, then $(grep -m1 'nnmpi: error' "$WORK/fsize.log" | sed 's/.*error: //')"
# prepare writes its dataset with HDF5 directly: it checks the limit first
status=0
(ulimit -f 1000; exec "$NNMPI" prepare --mnist "$MNIST" --train-limit 3000 --test-limit 100 \
   --rotations '' -o "$WORK/limited.h5" -q) >"$WORK/prepare-fsize.log" 2>&1 || status=$?
[ "$status" -eq 1 ] && grep -q "limited.h5: the file will be about [0-9]* bytes, more than the file size limit (ulimit -f)" "$WORK/prepare-fsize.log" \
  || { cat "$WORK/prepare-fsize.log"; fail "(c3) prepare under ulimit -f: exit $status"; }
ok "(c3) prepare under ulimit -f: $(sed 's/.*error: //' "$WORK/prepare-fsize.log")"
fi

# ---------------------------------------------------------------- (d)
if part d; then
# NNMPI_FAULT_KILLS kills (default 50) in NNMPI_FAULT_LANES independent run
# directories side by side (default 5: most of a round is mpirun starting)
kills=${NNMPI_FAULT_KILLS:-50} lanes=${NNMPI_FAULT_LANES:-5}

# kill_lane L N: N rounds of (resume, wait for a checkpoint, kill -9 the job
# at a random moment, check the directory); writes "ROUNDS MIDWRITE" or
# "FAIL why" to $WORK/lane-L.result
kill_lane() {
  local d=$WORK/kill-writes-$1 log=$WORK/kill-writes-$1.log newest= mid=0 k job f p st
  local ompi_tmp=$WORK/ompi-lane-$1
  mkdir -p "$ompi_tmp"
  local args=(--set data.file="$tiny" --set train.batch=16 --set train.epochs=1000000
              --set checkpoint.every_steps=1 --set checkpoint.every_epochs=1 --set output.dir="$d")
  for ((k = 1; k <= $2; k++)); do
    # the job truncates its log only once it runs: the previous round's
    # lines must not be taken for this one's
    rm -f "$log"
    # a session directory base of the lane's own: mpiruns starting at the
    # same moment race to create a shared one ("orte_session_dir failed")
    OMPI_MCA_orte_tmpdir_base=$ompi_tmp \
      setsid mpirun --oversubscribe -np 1 "$NNMPI" train "${args[@]}" --resume auto >"$log" 2>&1 &
    job=$!
    # no time limit: under a sanitizer and load, starting takes a while;
    # a job that ends without a checkpoint is caught below
    while kill -0 "$job" 2>/dev/null && ! grep -q "  checkpoint " "$log" 2>/dev/null; do sleep 0.02; done
    # a random moment 0..150 ms into the stream of checkpoints (one a step)
    sleep "0.$(printf %06d $(( (RANDOM * 32768 + RANDOM) % 150000 )))"
    kill -9 -- -"$job" 2>/dev/null || true
    st=0; wait "$job" 2>/dev/null || st=$?
    for p in $(pgrep -f "nnmpi train .*output.dir=$d( |$)"); do kill -9 "$p" 2>/dev/null || true; done
    if ! grep -q "  checkpoint " "$log"; then echo "FAIL round $k: no checkpoint written (status $st): $(tail -3 "$log")"; return; fi
    if [ -n "$newest" ] && ! grep -q "^resuming from $newest:" "$log"; then
      echo "FAIL round $k: --resume auto did not take the newest checkpoint $newest: $(grep -m1 resuming "$log")"; return
    fi
    if grep -q "skipping a damaged checkpoint" "$log"; then echo "FAIL round $k: $(grep -m1 skipping "$log")"; return; fi
    ls "$d" | grep -q "\.tmp\." && mid=$((mid + 1))
    for f in "$d"/ckpt-*.h5 "$d/latest.h5"; do
      checkpoint_ok "$f" || { echo "FAIL round $k: $f does not load: $("$NNMPI" info "$f" 2>&1 | tail -1)"; return; }
    done
    newest=$(ls "$d"/ckpt-*.h5 | sort | tail -1)
  done
  echo "$2 $mid"
}

for ((l = 0; l < lanes; l++)); do
  n=$(( kills / lanes + (l < kills % lanes ? 1 : 0) ))
  kill_lane "$l" "$n" >"$WORK/lane-$l.result" 2>"$WORK/lane-$l.err" &
done
wait
done_kills=0 mid_write=0
for ((l = 0; l < lanes; l++)); do
  read -r a b <"$WORK/lane-$l.result" || true
  [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] || fail "(d) lane $l: $(cat "$WORK/lane-$l.result" "$WORK/lane-$l.err")"
  done_kills=$((done_kills + a)) mid_write=$((mid_write + b))
done
[ "$done_kills" -ge "$kills" ] || fail "(d) only $done_kills kills"
ok "(d) kill -9 at $done_kills random moments of checkpoint-every-step runs ($mid_write left a temporary file: killed mid-write): every checkpoint under a final name loads, --resume auto took the newest each time"
fi
