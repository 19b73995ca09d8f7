# The job scripts on a real single-node SLURM (munge, slurmctld, slurmd from
# Debian's slurm-wlm, installed if missing and started by jobs/slurm-local.sh;
# stopped again at the end, also on failure):
# - jobs/train.sbatch with 2 tasks on the quick config: model, metrics, the
#   run directory named after the job;
# - a 3-task jobs/sweep.sbatch array of configs/sweeps/quick.sweep (data and
#   runs under a temporary folder): each task's data file, model and metrics,
#   and nnmpi report over the three runs (when nnmpi has report);
# - three tasks preparing the same sweep data file at once: one prepares it,
#   the others wait for it;
# - scancel of a running job: it checkpointed and says so; submitted again,
#   it resumes and finishes;
# - SIGUSR1 to the batch script (what --signal=B:USR1@120 sends before the
#   time limit): checkpoint, the job requeues itself, starts again (once
#   its old job credential expired: 10 s here, jobs/slurm-local.sh's
#   cred_expire) and resumes to the end (its config cut to 3 epochs more
#   than were done meanwhile).
# Needs root (the daemons); skips (77) without root or when the packages
# cannot be installed, unless NNMPI_REQUIRE_ALL=1.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
[ "$(id -u)" -eq 0 ] || skip "needs root to run the SLURM daemons"

export NNMPI_SLURM_STATE=$WORK/slurm
export SLURM_CONF=$NNMPI_SLURM_STATE/slurm.conf
slurm=$NNMPI_SRC/jobs/slurm-local.sh
cleanup() {
  local status=$?
  "$slurm" stop >"$WORK/slurm-stop.log" 2>&1 || cat "$WORK/slurm-stop.log" >&2
  [ -n "${NNMPI_KEEP_TMP:-}" ] || rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

start_status=0
"$slurm" start >"$WORK/slurm-start.log" 2>&1 || start_status=$?
cat "$WORK/slurm-start.log"
case $start_status in
  0) ;;
  3) skip "cannot install slurm-wlm and munge" ;;
  *) cat "$NNMPI_SLURM_STATE"/log/*.log 2>/dev/null | tail -n 30; fail "SLURM did not start" ;;
esac
ok "SLURM up"

# everything the jobs write goes below $WORK; jobs run in the repository
# (paths in configs and sweep files are relative to it) and see these
export NNMPI_RUNS_DIR=$WORK/runs NNMPI_DATA_DIR=$WORK/data
mkdir -p "$WORK/logs"
cd "$NNMPI_SRC" || fail "no $NNMPI_SRC"
quick=(configs/quick.ini --set "data.file=$TESTDATA/quick.h5")

# submit ARGS...: sbatch, the job's id on stdout
submit() {
  sbatch --parsable -o "$WORK/logs/%x-%j.out" "$@" | cut -d';' -f1
}
# state ID: the state of job ID (of the first task listed for an array)
state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
# job_log ID: the job's log file
job_log() { scontrol show job "$1" | sed -n 's/.*StdOut=//p' | head -n 1; }
show() {  # show ID: what a failing test needs to see
  scontrol show job "$1" >&2 || true
  for f in $(scontrol show job "$1" | sed -n 's/.*StdOut=//p'); do echo "--- $f" >&2; cat "$f" >&2; done
}
# wait_end ID [SECONDS]: poll until every task of job ID has ended (generous:
# a loaded machine is slow, but nothing here takes minutes of CPU)
wait_end() {
  local id=$1 limit=${2:-900} i states
  for ((i = 0; i < limit * 2; i++)); do
    states=$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u | tr '\n' ' ')
    [ -n "$states" ] || { show "$id"; fail "job $id is unknown to SLURM"; }
    case " $states" in
      *" PENDING "*|*" RUNNING "*|*" CONFIGURING "*|*" COMPLETING "*|*" REQUEUED "*|*" SUSPENDED "*) sleep 0.5 ;;
      *) return 0 ;;
    esac
  done
  show "$id"; fail "job $id has not ended after $limit s"
}
# wait_log ID PATTERN: poll until the job's log shows PATTERN
wait_log() {
  local i f
  for ((i = 0; i < 1800; i++)); do
    f=$(job_log "$1")
    grep -q "$2" "$f" 2>/dev/null && return 0
    case $(state "$1") in PENDING|RUNNING|CONFIGURING) ;; *) show "$1"; fail "job $1 ended before its log showed '$2'" ;; esac
    sleep 0.5
  done
  show "$1"; fail "job $1's log never showed '$2'"
}
expect_state() {  # expect_state ID STATE [EXITCODE]
  local got
  got=$(state "$1")
  [ "$got" = "$2" ] || { show "$1"; fail "job $1 is $got, expected $2"; }
  if [ -n "${3:-}" ]; then
    scontrol show job "$1" | grep -qE "ExitCode=$3( |$)" || { show "$1"; fail "job $1: exit code not $3"; }
  fi
}
epochs_in() { echo $(($(wc -l <"$1/metrics.csv") - 1)); }

# --- 1. one training job, 2 tasks, run directory named after the job --------
t0=$SECONDS
id=$(submit -n 2 -J e2e-train jobs/train.sbatch "${quick[@]}")
wait_end "$id"
took=$((SECONDS - t0))
expect_state "$id" COMPLETED 0:0
run=$WORK/runs/e2e-train
[ -f "$run/model.h5" ] || { show "$id"; fail "no model.h5 in $run"; }
[ "$(epochs_in "$run")" -eq 3 ] || fail "metrics.csv: $(epochs_in "$run") epochs, expected 3"
[ "$(metric "$run/metrics.csv" ranks)" -eq 2 ] || fail "not trained on 2 ranks"
at_least "$(metric "$run/metrics.csv" test_accuracy)" 0.90 "test accuracy of the SLURM job"
log=$(job_log "$id")
grep -q "train.sbatch: done: 3 of 3 epochs | model $(hostname):$run/model.h5" "$log" || { show "$id"; fail "no done line"; }
grep -q -- "--resume auto" "$log" || fail "not started with --resume auto"
[ -L "$run/slurm-$id.out" ] || fail "the job's log is not linked into the run directory"
ok "train.sbatch -n 2: done in $took s from sbatch, $(metric "$run/metrics.csv" test_accuracy) test accuracy"

# --- 2. SIGUSR1 to the batch script: checkpoint and requeue (runs on while
# the next parts go on; SLURM holds a requeued job until its old credential
# expired) -------------------------------------------------------------------
# epochs enough (about 0.1 s each here) that the signal, which takes SLURM a
# second or two to deliver, comes before the end however fast training gets;
# in a config file of the job's own, which is cut to 3 epochs more than
# were done once the job has requeued itself (epochs may change on resume):
# the second start would otherwise train the rest of 150 epochs, a minute
# under ASan, holding a CPU that part 5's job waits for
requeue_ini=$WORK/requeue.ini
sed 's/^epochs = .*/epochs = 150/' configs/quick.ini >"$requeue_ini"
requeued=$(submit -n 1 -J e2e-requeue jobs/train.sbatch "$requeue_ini" --set "data.file=$TESTDATA/quick.h5")
wait_log "$requeued" "^epoch 2/"
scancel --batch --signal=USR1 "$requeued"
wait_log "$requeued" "requeueing job $requeued"
rlog=$(job_log "$requeued")
grep -q "stopped by signal 10 (SIGUSR1) .* checkpoint " "$rlog" || { show "$requeued"; fail "requeue: no checkpoint line"; }
requeue_total=$(($(epochs_in "$WORK/runs/e2e-requeue") + 3))
sed -i "s/^epochs = 150\$/epochs = $requeue_total/" "$requeue_ini"
! grep -q "train.sbatch: job $requeued '.*', start 2" "$rlog" || fail "requeue: started again before its epochs were cut"
ok "SIGUSR1 to the batch script: checkpoint written, job requeued"

# --- 3. a sweep: 3 array tasks of configs/sweeps/quick.sweep ---------------
# the shipped sweep file, reading MNIST from where the tests have it; it is
# submitted from outside the repository (so its base config is named by its
# absolute path), which the tasks must find from the job's own record
sed -e "s|^mnist = .*|mnist = $MNIST|" -e "s|^base = |base = $NNMPI_SRC/|" \
  configs/sweeps/quick.sweep >"$WORK/quick.sweep"
grep -q "^mnist = $MNIST\$" "$WORK/quick.sweep" || fail "quick.sweep has no 'mnist =' line"
grep -q "^base = $NNMPI_SRC/configs/" "$WORK/quick.sweep" || fail "quick.sweep has no 'base =' line"
t0=$SECONDS
sweep=$(cd "$WORK" && submit --array=0-2 -n 1 "$NNMPI_SRC/jobs/sweep.sbatch" "$WORK/quick.sweep")
wait_end "$sweep"
took=$((SECONDS - t0))
# every task, also the one whose job id is the array's own (scontrol lists
# all the tasks for that id), completed and linked its log into its run
names=(none rot10 rot15) master=0
for task in 0 1 2; do
  expect_state "${sweep}_$task" COMPLETED 0:0
  jid=$(scontrol show job "${sweep}_$task" | sed -n 's/^JobId=\([0-9]*\) .*/\1/p' | head -n 1)
  [ "$jid" != "$sweep" ] || master=1
  [ -L "$WORK/runs/quick/${names[$task]}/slurm-$jid.out" ] \
    || { show "${sweep}_$task"; fail "sweep task $task (job $jid): its log is not linked into its run"; }
done
[ "$master" -eq 1 ] || fail "no task of array $sweep ran under the array's own job id"
for name in none rot10 rot15; do
  run=$WORK/runs/quick/$name
  [ -f "$run/model.h5" ] || { show "$sweep"; fail "sweep: no model in $run"; }
  [ "$(epochs_in "$run")" -eq 2 ] || fail "sweep $name: $(epochs_in "$run") epochs, expected 2"
  [ "$(metric "$run/metrics.csv" ranks)" -eq 1 ] || fail "sweep $name: not 1 rank (sbatch -n 1)"
  data=$(sed -n 's/^file = //p' "$run/config.ini")
  case $data in "$WORK/data/"*) ;; *) fail "sweep $name trained on $data, not a file of its own" ;; esac
  "$NNMPI" info "$data" >"$WORK/info" || fail "sweep $name: data file $data"
  ok "sweep $name: $(metric "$run/metrics.csv" test_accuracy) test accuracy, data $(basename "$data")"
done
grep -q "augmentation: none" <("$NNMPI" info "$(sed -n 's/^file = //p' "$WORK/runs/quick/none/config.ini")") \
  || fail "sweep none: its data has rotations"
grep -q "^lr = 1.5$" "$WORK/runs/quick/rot15/config.ini" || fail "sweep rot15: its train options were not applied"
[ "$(ls "$WORK"/data/*.h5 | wc -l)" -eq 3 ] || fail "expected 3 data files: $(ls "$WORK/data")"
ok "sweep of 3 array tasks: done in $took s from sbatch"

if "$NNMPI" report --help >/dev/null 2>&1; then
  "$NNMPI" report "$WORK"/runs/quick/{none,rot10,rot15} -o "$WORK/report" >"$WORK/report.log" 2>&1 \
    || { cat "$WORK/report.log"; fail "nnmpi report on the sweep"; }
  [ -s "$WORK/report/report.csv" ] && [ -s "$WORK/report/report.md" ] || fail "report: no report.csv/report.md"
  [ "$(wc -l <"$WORK/report/report.csv")" -eq 4 ] || fail "report.csv: not one row per run"
  ls "$WORK"/report/*.png >/dev/null 2>&1 || fail "report: no PNG charts"
  ok "nnmpi report on the sweep: $(cd "$WORK/report" && ls | tr '\n' ' ')"
fi

# --- 4. three tasks want the same data file at once -------------------------
for k in 1 2 3; do
  NNMPI_DATA_DIR=$WORK/data2 jobs/sweep.sbatch --prepare "$WORK/quick.sweep" 1 >"$WORK/prep$k.log" 2>&1 &
done
wait
[ "$(cat "$WORK"/prep?.log | grep -c "data: preparing")" -eq 1 ] || { cat "$WORK"/prep?.log; fail "not prepared exactly once"; }
[ "$(cat "$WORK"/prep?.log | grep -c "is there already")" -eq 2 ] || { cat "$WORK"/prep?.log; fail "the others did not reuse it"; }
[ "$(ls "$WORK"/data2/*.h5 | wc -l)" -eq 1 ] || fail "data2: $(ls "$WORK/data2")"
"$NNMPI" info "$WORK"/data2/*.h5 >/dev/null || fail "the shared data file is not valid"
! compgen -G "$WORK/data2/*tmp*" >/dev/null || fail "temporary files left: $(ls "$WORK/data2")"
ok "three tasks preparing one file at once: prepared once, reused twice"

# --- 5. scancel of a running job, then submitted again: it continues -------
long=(-n 2 -J e2e-cancel jobs/train.sbatch "${quick[@]}" --set train.epochs=300)
run=$WORK/runs/e2e-cancel
id=$(submit "${long[@]}")
wait_log "$id" "^epoch 2/"
t0=$SECONDS
scancel "$id"
wait_end "$id"
expect_state "$id" CANCELLED
log=$(job_log "$id")
grep -q "^stopped by signal 15 (SIGTERM) .*checkpoint $run/ckpt-" "$log" || { show "$id"; fail "scancel: no 'stopped by' line"; }
cont=$(sed -n 's/.*train.sbatch: stopped by SIGTERM at epoch .* | checkpoint [^ ]*:.*ckpt-.*; to continue: \(sbatch .*\)$/\1/p' "$log")
[ -n "$cont" ] || { show "$id"; fail "scancel: train.sbatch did not say where it stopped and how to continue"; }
ls "$run"/ckpt-*.h5 >/dev/null 2>&1 || fail "scancel: no checkpoint in $run"
done_before=$(epochs_in "$run")
[ "$done_before" -lt 300 ] || fail "scancel came too late to test anything"
ok "scancel: checkpointed after $done_before epochs, ended in $((SECONDS - t0)) s"
# submitted again with the command it printed, asking for 3 epochs more than
# were done (epochs may change on resume; the rest of 300 would take minutes
# under the sanitizers)
total=$((done_before + 3))
id2=$(eval "sbatch --parsable -o '$WORK/logs/%x-%j.out' ${cont#sbatch } --set train.epochs=$total" | cut -d';' -f1)
wait_end "$id2"
expect_state "$id2" COMPLETED 0:0
grep -q "^resuming from $run/ckpt-" "$(job_log "$id2")" || { show "$id2"; fail "resubmitted job did not resume"; }
[ "$(epochs_in "$run")" -eq "$total" ] || fail "resumed run: $(epochs_in "$run") epochs, expected $total"
ok "submitted again as it said ($cont): resumed and finished its $total epochs"

# --- 6. scancel of a large network (784-100000-10: a 318 MB checkpoint) -----
# scancel's SIGTERM reaches the ranks and mpirun's daemons at once; the
# daemons would kill the ranks 2 s later by Open MPI's default, before such
# a checkpoint is written (train.sbatch gives them 7 s each way, 14 in all;
# KillWait is SLURM's default, 30)
big=(-n 2 -J e2e-big jobs/train.sbatch configs/quick.ini --set "data.file=$TESTDATA/tiny.h5"
     --set net.hidden=100000 --set train.epochs=50 --set output.log_every=1 --set output.backquery=false)
run=$WORK/runs/e2e-big
id=$(submit "${big[@]}")
wait_log "$id" "^  epoch 1 step 2/"
scancel "$id"
wait_end "$id"
log=$(job_log "$id")
grep -q "^stopped by signal 15 (SIGTERM) .*checkpoint $run/ckpt-" "$log" &&
  grep -q "train.sbatch: stopped by SIGTERM at epoch .* | checkpoint $(hostname):$run/ckpt-" "$log" \
  || { show "$id"; fail "scancel of 784-100000-10: no checkpoint"; }
"$NNMPI" info "$run/latest.h5" >/dev/null || fail "scancel of 784-100000-10: the checkpoint does not load"
ok "scancel of 784-100000-10: $(grep -m1 "^  checkpoint" "$log" | sed 's/^ *//')"

# --- 2, continued: the requeued job starts again and finishes --------------
wait_end "$requeued" 1200
expect_state "$requeued" COMPLETED 0:0
scontrol show job "$requeued" | grep -q "Restarts=1" || { show "$requeued"; fail "requeue: not restarted once"; }
grep -q "^resuming from $WORK/runs/e2e-requeue/ckpt-" "$rlog" || { show "$requeued"; fail "requeued job did not resume"; }
grep -q "train.sbatch: job $requeued '.*', start 2" "$rlog" || fail "no second start in the log"
grep -q "changed: train.epochs 150 -> $requeue_total" "$rlog" || { show "$requeued"; fail "requeue: the cut epochs were not applied"; }
[ "$(epochs_in "$WORK/runs/e2e-requeue")" -eq "$requeue_total" ] || fail "requeued run: not $requeue_total epochs"
ok "requeued job started again, resumed and finished"
