# Faults of a multi-host job, on the simulated 3-machine cluster of
# tests/netns_lib.sh (network namespaces nnmpi1-3, a launcher agent in place
# of ssh), through jobs/mpirun.sh with a hostfile as a user runs it. Each is
# a way a cluster job fails that one machine cannot show:
# 1. the data path between two compute hosts fails (blackhole routes between
#    nnmpi2 and nnmpi3) while mpirun's own connections to them stay up:
#    Open MPI's keepalive sees nothing wrong, so only nnmpi's
#    [train] stall_timeout can end the job. It must end within the timeout
#    plus a few seconds, non-zero, the stall message naming a rank and host;
# 2. a stop (SIGTERM to jobs/mpirun.sh) at several moments of the start-up
#    (its configuration check, mpirun starting the other hosts, the ranks
#    starting, the first steps): what the script reports and its exit
#    status must agree with the run directory -- 0 only with the finished
#    model, 75 only with a checkpoint that exists and loads, otherwise
#    non-zero with a report, never "done";
# 3. a run directory that is not shared (each host sees its own copy of
#    one path, as on a local disk): rank 0 warns which hosts do not see it,
#    and --resume auto with rank 0 on another host is refused, naming the
#    host that sees the checkpoints, rather than starting afresh there;
# 4. a host that does not answer, with the real ssh as launcher: the start
#    fails in seconds (mpirun.sh's ssh ConnectTimeout), not after ssh's own
#    two minutes, naming the host.
# Every case stops what it started by PID, also on failure, and checks that
# the job left no process on any host; the namespaces are deleted at the
# end. Needs root, iproute2 and openssh-client (installed if missing);
# skips (77) without them, unless NNMPI_REQUIRE_ALL=1.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
# shellcheck source=tests/netns_lib.sh
source "$NNMPI_SRC/tests/netns_lib.sh"
need_command ssh openssh-client
netns_up
args=("$NNMPI_SRC/configs/quick.ini" --set "data.file=$TESTDATA/quick.h5")
epochs=3      # configs/quick.ini's
problems=()   # case 2 goes through every delay before it fails
status=0      # the exit status of the last job
verdict=""    # what case 2 saw of the last one

# problem WHAT: a failure noted, reported at the end
problem() { echo "not ok: $*" >&2; problems+=("$*"); }
# since T0: the seconds from T0 (date +%s.%N) to now
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}'; }

# left_behind: whether processes are still on the hosts 10 s after a job
# ended (mpirun must end its daemons and ranks everywhere); lists them
left_behind() {
  local i pids
  for ((i = 0; i < 50; i++)); do
    pids=$(for h in "${hosts[@]}"; do ip netns pids "$h"; done | tr '\n' ',')
    [ -n "$pids" ] || return 1
    sleep 0.2
  done
  ps -o pid=,args= -p "${pids%,}" | cut -c1-160 >&2
  return 0
}
# clean_hosts: ends whatever is left on the hosts, for the next case
clean_hosts() {
  local h
  for h in "${hosts[@]}"; do kill_ns "$h"; done
}
# finish_job: $status, the exit status of the background job that ended
finish_job() {
  status=0
  wait "$job" || status=$?
  job=""
}

# --- 1. the data path between two compute hosts cut ----------------------------
# only_ranks_between A B: the connections between hosts A and B are the
# ranks' own (Open MPI's control channel runs from mpirun on nnmpi1 to each
# host), so cutting A-B leaves mpirun's view of both hosts intact
only_ranks_between() {
  local conns
  conns=$(ip netns exec "$1" ss -tnpH state established dst "$2")
  [ -n "$conns" ] || fail "cut: no connection between $1 and $2 to cut"
  if grep -v '(("nnmpi",' <<<"$conns" | grep -q .; then
    echo "$conns"; fail "cut: Open MPI's control traffic uses the path $1-$2"
  fi
}
# blackhole OP: adds or deletes the routes that drop nnmpi2 <-> nnmpi3
blackhole() {
  ip -n nnmpi2 route "$1" blackhole 10.77.0.3/32
  ip -n nnmpi3 route "$1" blackhole 10.77.0.2/32
}
case_cut() {
  local log=$WORK/cut.log t0 after
  start_on_cluster "$log" "${args[@]}" --set "output.dir=$WORK/cut" \
    --set train.epochs=300 --set train.stall_timeout=5
  wait_log "$log" "^epoch 1/" 120
  only_ranks_between nnmpi2 10.77.0.3
  blackhole add
  t0=$(date +%s.%N)
  wait_job 120 || { cat "$log"; fail "cut: still running 120 s after the cut"; }
  after=$(since "$t0")
  finish_job
  [ "$status" -ne 0 ] || { cat "$log"; fail "cut: exit status 0"; }
  grep -E "^nnmpi: error: rank [0-9]+ \(nnmpi[123]\): no answer from the other ranks for [5-9] s in .*\(\[train\] stall_timeout\)" "$log" >"$WORK/stall" \
    || { cat "$log"; fail "cut: no stall message naming a rank and its host"; }
  ! left_behind || fail "cut: processes left on the hosts"
  blackhole del
  ok "nnmpi2-nnmpi3 cut (mpirun's links up): the job ended ${after} s later (stall_timeout 5 s), exit status $status"
  echo "its message: $(head -n 1 "$WORK/stall" | cut -c1-150)..."
}

# --- 2. a stop during the multi-host start-up --------------------------------------
# checkpoint_loads HOST:PATH DIR WHAT: the checkpoint a report names is in
# the run directory DIR of rank 0 (nnmpi1) and loads
checkpoint_loads() {
  local host=${1%%:*} path=${1#*:}
  [ "$host" = nnmpi1 ] && [ "${path%/*}" = "$2" ] \
    || { problem "$3: names $1, not a checkpoint in nnmpi1:$2"; return 1; }
  "$NNMPI" info "$path" >/dev/null 2>&1 || { problem "$3: the checkpoint $path does not load"; return 1; }
}
# judge_stop DIR LOG WHAT: mpirun.sh's report and $status agree with the
# run directory DIR; $verdict says what happened ("" after a problem)
judge_stop() {
  local d=$1 log=$2 what=$3 report named model
  verdict=""
  report=$(grep -E "mpirun\.sh: (done|stopped at|no outcome|failed|refused|got SIG[A-Z]* before mpirun started)" "$log" | tail -n 1 || true)
  named=$(sed -n 's/.*checkpoint:\{0,1\} \([^ ;]*:[^ ;]*\).*/\1/p' <<<"$report")
  case $status in
    0)
      grep -q "mpirun\.sh: done: $epochs of $epochs epochs" <<<"$report" \
        || { problem "$what: exit 0 without 'done'"; return; }
      model=$("$NNMPI" info "$d/model.h5" 2>/dev/null || true)
      grep -q "training: *$epochs epochs done" <<<"$model" \
        || { problem "$what: exit 0, but no model.h5 of $epochs epochs"; return; }
      verdict="done, model.h5 of $epochs epochs" ;;
    75)
      if grep -q "before mpirun started: nothing ran; to continue: " <<<"$report"; then
        [ ! -e "$d" ] || { problem "$what: 'nothing ran', but $d exists"; return; }
        verdict="stopped before mpirun started, nothing ran"; return
      fi
      grep -q "mpirun\.sh: stopped at epoch [0-9]* step [0-9]* | checkpoint " <<<"$report" \
        || { problem "$what: exit 75 without naming a checkpoint (${report:-no report})"; return; }
      checkpoint_loads "$named" "$d" "$what" || return
      verdict="stopped, ${named##*/} loads" ;;
    *)
      [ -n "$report" ] && ! grep -q "mpirun\.sh: \(done\|stopped at\)" <<<"$report" \
        || { problem "$what: exit $status with ${report:-no report from mpirun.sh}"; return; }
      [ ! -e "$d/model.h5" ] || { problem "$what: exit $status, but the run finished"; return; }
      if [ -n "$named" ]; then checkpoint_loads "$named" "$d" "$what" || return; fi
      verdict="'$(sed 's/.*mpirun\.sh: //; s/[;(].*//' <<<"$report")'" ;;
  esac
}
# stop_after DELAY: SIGTERM to jobs/mpirun.sh DELAY s after its start
stop_after() {
  local d=$WORK/stop-$1 log=$WORK/stop-$1.log what="SIGTERM after $1 s" t0
  t0=$(date +%s.%N)
  start_on_cluster "$log" "${args[@]}" --set "output.dir=$d"
  sleep "$1"
  kill -TERM "$job" 2>/dev/null || true
  if ! wait_job 120; then
    problem "$what: jobs/mpirun.sh still running 120 s later"; stop_job; clean_hosts; return
  fi
  finish_job
  judge_stop "$d" "$log" "$what"
  if left_behind; then problem "$what: processes left on the hosts"; clean_hosts; fi
  [ -z "$verdict" ] || ok "$what: exit $status, $verdict (ended $(since "$t0") s after the start)"
}
case_stops() {
  local delay
  # mpirun.sh's configuration check takes ~0.4 s here, mpirun starts the
  # hosts until ~0.6 s, the first steps follow, and the 3 epochs end ~2 s
  for delay in 0.2 0.4 0.5 0.6 0.8 1.5; do stop_after "$delay"; done
}

# --- 3. a run directory on each host's own disk -----------------------------------
# files_in DIR: the files under DIR, one a line ("" when none)
files_in() { (cd "$1" 2>/dev/null && find . -type f | sort) || true; }
case_unshared() {
  local dir=$WORK/local/run log=$WORK/unshared.log
  mkdir -p "$WORK/local" "$WORK/local".nnmpi{1,2,3}
  export NETNS_LOCAL=$WORK/local
  on_cluster "${args[@]}" --set "output.dir=$dir" >"$log" 2>&1 \
    || { cat "$log"; fail "unshared: training with rank 0 on nnmpi1"; }
  [ -f "$WORK/local.nnmpi1/run/model.h5" ] && [ -z "$(files_in "$WORK/local.nnmpi2")$(files_in "$WORK/local.nnmpi3")" ] \
    || fail "unshared: the run is not on nnmpi1's disk alone"
  grep -qF "nnmpi: warning: rank 0 (nnmpi1): the run directory $dir is on nnmpi1 only: 2 ranks on nnmpi2, nnmpi3 do not see it." "$log" \
    || { cat "$log"; fail "unshared: no warning naming nnmpi1 and the hosts that do not see the directory"; }
  ok "run directory on each host's own disk: rank 0 warns it $(grep -o "is on nnmpi1 only: [^.]*" "$log")"

  # Open MPI puts rank 0 on mpirun's own host when the hostfile lists it,
  # whatever the order: nnmpi2 first in the hostfile, and mpirun started there
  printf '%s slots=1\n' nnmpi2 nnmpi1 nnmpi3 >"$WORK/hostfile.nnmpi2"
  status=0
  head_host=nnmpi2 hostfile=$WORK/hostfile.nnmpi2 on_cluster "${args[@]}" --set "output.dir=$dir" >"$log" 2>&1 \
    || status=$?
  [ "$status" -ne 0 ] || { cat "$log"; fail "unshared: --resume auto with rank 0 on nnmpi2 was not refused"; }
  grep -qF -- "--resume auto: rank 0 (nnmpi2) finds no checkpoint in $dir, but rank 1 (nnmpi1) sees 3 there: the run directory is not shared between the hosts" "$log" \
    || { cat "$log"; fail "unshared: no refusal naming rank 1 on nnmpi1 and its checkpoints"; }
  # the directory and its job lock are all a refused start may leave
  [ "$(files_in "$WORK/local.nnmpi2")" = "$(printf './run/run.lock')" ] \
    || { files_in "$WORK/local.nnmpi2"; fail "unshared: the refused run wrote to nnmpi2's copy"; }
  ! left_behind || fail "unshared: processes left on the hosts"
  unset NETNS_LOCAL
  ok "--resume auto with rank 0 on nnmpi2: refused (exit $status), naming rank 1 (nnmpi1) and its 3 checkpoints; nnmpi2's copy holds run/run.lock alone"
}

# --- 4. a host that does not answer, with the real ssh ------------------------------
case_unreachable() {
  local log=$WORK/unreachable.log t0 took
  # 10.77.0.9 is nobody's. A permanent neighbour entry sends nnmpi1's packets
  # for it out without an ARP question, so they vanish as on the way to a
  # powered-off machine behind a router; without it the kernel would say "No
  # route to host" after 3 s and ssh's ConnectTimeout would not matter
  ip -n nnmpi1 neigh replace 10.77.0.9 lladdr 02:00:0a:4d:00:09 dev mpi0 nud permanent
  echo "10.77.0.9 slots=1" >"$WORK/hostfile.unreachable"
  t0=$(date +%s.%N) status=0
  NNMPI_MPIRUN_ARGS=$mpi_net_args hostfile=$WORK/hostfile.unreachable \
    on_cluster -np 1 "${args[@]}" --set "output.dir=$WORK/unreachable" >"$log" 2>&1 || status=$?
  took=$(since "$t0")
  awk -v t="$took" 'BEGIN{exit !(t <= 60)}' || { cat "$log"; fail "unreachable host: took ${took} s (ssh's own timeout?)"; }
  [ "$status" -ne 0 ] || { cat "$log"; fail "unreachable host: exit status 0"; }
  grep -q "10\.77\.0\.9" "$log" || { cat "$log"; fail "unreachable host: no message naming 10.77.0.9"; }
  grep -q "mpirun\.sh: no outcome from rank 0" "$log" || { cat "$log"; fail "unreachable host: no report from mpirun.sh"; }
  ! left_behind || fail "unreachable host: processes left on nnmpi1"
  ok "unreachable host: the start failed ${took} s later, exit status $status: $(grep -m1 "10\.77\.0\.9" "$log")"
}

case_cut
case_stops
case_unshared
case_unreachable
[ ${#problems[@]} -eq 0 ] || fail "a stop during start-up: $(printf '%s; ' "${problems[@]}")"
