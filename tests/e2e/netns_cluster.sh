# A simulated 3-machine cluster: three network namespaces act as hosts
# (nnmpi1-3, 10.77.0.1-3 on a bridge in a fourth namespace, nothing added to
# the machine's own network), Open MPI talks TCP between them, and a small
# launcher agent stands in for ssh (mpirun --mca plm_rsh_agent). Through
# jobs/mpirun.sh with a hostfile:
# - 3 ranks on 3 hosts train the quick config in sync mode to the same
#   weights (h5diff -d 1e-5) as 3 ranks on one host;
# - a longer run loses one host (its link cut): the job must end within 30 s
#   with Open MPI's message and a non-zero exit status.
# Everything it starts it stops by PID, also on failure; the namespaces and
# their files are deleted. Needs root and iproute2 (installed if missing);
# skips (77) without root or when it cannot be installed, unless
# NNMPI_REQUIRE_ALL=1.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
if ! command -v ip >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iproute2 >"$WORK/apt.log" 2>&1 ||
    { apt-get update -q >>"$WORK/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iproute2 >>"$WORK/apt.log" 2>&1; } ||
    skip "cannot install iproute2"
fi

hosts=(nnmpi1 nnmpi2 nnmpi3)
switch=nnmpisw
subnet=10.77.0.0/24
job=""   # PID of a jobs/mpirun.sh running in the background

# kill_ns NS: end every process left in namespace NS (TERM, then KILL)
kill_ns() {
  local pids i
  pids=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
  [ -n "${pids// /}" ] || return 0
  echo "cleanup: processes left in $1: $pids"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  # shellcheck disable=SC2046
  kill -KILL $(ip netns pids "$1") 2>/dev/null || true
  sleep 0.5
}
teardown() {
  local ns
  if [ -n "$job" ] && kill -0 "$job" 2>/dev/null; then
    # twice: the first asks for a checkpoint, the second stops mpirun
    kill -TERM "$job" 2>/dev/null; sleep 1; kill -TERM "$job" 2>/dev/null
    for _ in $(seq 20); do kill -0 "$job" 2>/dev/null || break; sleep 0.5; done
  fi
  for ns in "${hosts[@]}" "$switch"; do
    if ip netns list | grep -qw "$ns"; then
      kill_ns "$ns"
      [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || echo "cleanup: warning: processes still in $ns" >&2
      ip netns del "$ns" 2>/dev/null || echo "cleanup: warning: could not delete namespace $ns" >&2
    fi
  done
  for ns in "${hosts[@]}"; do
    rm -rf "/etc/netns/$ns" "/tmp/ompi.$ns".*
  done
  rmdir /etc/netns 2>/dev/null || true
}
cleanup() {
  local status=$?
  teardown
  [ -n "${NNMPI_KEEP_TMP:-}" ] || rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
teardown   # leftovers of an earlier run that could not clean up

# --- the "machines" ------------------------------------------------------------
ip netns add "$switch" || fail "cannot create a network namespace"
ip -n "$switch" link add br0 type bridge || fail "cannot create a bridge"
ip -n "$switch" link set br0 up
for i in 1 2 3; do
  h=${hosts[$((i - 1))]}
  ip netns add "$h"
  ip -n "$switch" link add "port$i" type veth peer name mpi0 netns "$h" || fail "cannot create a veth pair"
  ip -n "$switch" link set "port$i" master br0 up
  ip -n "$h" addr add "10.77.0.$i/24" dev mpi0
  ip -n "$h" link set mpi0 up
  ip -n "$h" link set lo up
  mkdir -p "/etc/netns/$h"
  { echo "127.0.0.1 localhost"
    for j in 1 2 3; do echo "10.77.0.$j ${hosts[$((j - 1))]}"; done; } >"/etc/netns/$h/hosts"
done
ok "3 hosts on $subnet"

# the launcher agent: called like ssh (AGENT [options] HOST COMMAND...), runs
# COMMAND in namespace HOST under that host name
agent=$WORK/netns-agent.sh
cat >"$agent" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -o) shift 2 ;; -*) shift ;; *) break ;; esac; done
host=$1; shift
exec ip netns exec "$host" unshare --uts sh -c "hostname $host; $*"
EOF
chmod +x "$agent"
printf '%s slots=1\n' "${hosts[@]}" >"$WORK/hostfile"

# on_cluster ARGS...: jobs/mpirun.sh --hostfile ARGS, started on nnmpi1
# (never longer than 20 min: a hang fails instead of blocking the tests).
# The "hosts" share this machine's cores, which mpirun cannot know: ranks
# that spin while they wait would starve each other (40x slower here), so
# they yield.
export NNMPI_MPIRUN_ARGS="--mca plm_rsh_agent $agent --mca btl tcp,self --mca btl_tcp_if_include $subnet --mca oob_tcp_if_include $subnet --mca mpi_yield_when_idle 1"
on_cluster() {
  ip netns exec nnmpi1 unshare --uts sh -c 'hostname nnmpi1; exec "$@"' sh \
    timeout -k 10 1200 "$NNMPI_SRC/jobs/mpirun.sh" --hostfile "$WORK/hostfile" "$@"
}
args=("$NNMPI_SRC/configs/quick.ini" --set "data.file=$TESTDATA/quick.h5")

# --- 3 hosts give what one host gives --------------------------------------
t0=$SECONDS
on_cluster "${args[@]}" --set "output.dir=$WORK/cluster" >"$WORK/cluster.log" 2>&1 \
  || { cat "$WORK/cluster.log"; fail "training on 3 hosts"; }
took=$((SECONDS - t0))
grep -q "^nnmpi train: 3 ranks" "$WORK/cluster.log" || { cat "$WORK/cluster.log"; fail "not 3 ranks"; }
grep -q -- "--mca oob_tcp_keepalive_time 5" "$WORK/cluster.log" || fail "mpirun.sh did not set the keepalive"
NNMPI_MPIRUN_ARGS="" timeout -k 10 900 "$NNMPI_SRC/jobs/mpirun.sh" -np 3 "${args[@]}" \
  --set "output.dir=$WORK/onehost" >"$WORK/onehost.log" 2>&1 \
  || { cat "$WORK/onehost.log"; fail "training on one host"; }
for d in /net/w_ih /net/w_ho; do
  h5diff -d 1e-5 "$WORK/cluster/model.h5" "$WORK/onehost/model.h5" "$d" "$d" >"$WORK/diff" \
    || { head "$WORK/diff"; fail "$d differs between 3 hosts and one host"; }
done
[ "$(metric "$WORK/cluster/metrics.csv" test_accuracy)" = "$(metric "$WORK/onehost/metrics.csv" test_accuracy)" ] \
  || fail "test accuracy differs between 3 hosts and one host"
ok "3 ranks on 3 hosts ($took s) = 3 ranks on one host: same weights, $(metric "$WORK/cluster/metrics.csv" test_accuracy) test accuracy"

# --- a host is lost in the middle of a run ---------------------------------
on_cluster "${args[@]}" --set "output.dir=$WORK/lost" --set train.epochs=500 >"$WORK/lost.log" 2>&1 &
job=$!
for _ in $(seq 1200); do
  grep -q "^epoch 1/" "$WORK/lost.log" && break
  kill -0 "$job" 2>/dev/null || { cat "$WORK/lost.log"; fail "the long run ended early"; }
  sleep 0.5
done
grep -q "^epoch 1/" "$WORK/lost.log" || { cat "$WORK/lost.log"; fail "the long run did not get going"; }
ip -n nnmpi3 link set mpi0 down
cut=$(date +%s.%N)
# wait for it to end (not forever: the cleanup stops it if it hangs)
for _ in $(seq 240); do kill -0 "$job" 2>/dev/null || break; sleep 0.25; done
ended=$(date +%s.%N)
after=$(awk -v a="$cut" -v b="$ended" 'BEGIN{printf "%.1f", b - a}')
if kill -0 "$job" 2>/dev/null; then
  cat "$WORK/lost.log"; fail "still running ${after} s after the link of nnmpi3 was cut"
fi
status=0; wait "$job" || status=$?
job=""
awk -v t="$after" 'BEGIN{exit !(t <= 30)}' || { cat "$WORK/lost.log"; fail "ended ${after} s after the cut, more than 30 s"; }
[ "$status" -ne 0 ] || { cat "$WORK/lost.log"; fail "exit status 0 after losing a host"; }
grep -qiE "lost communication|lost connection|unable to reach|daemon.*(died|lost|fail)|process was killed|terminated" "$WORK/lost.log" \
  || { cat "$WORK/lost.log"; fail "no message saying what happened"; }
ok "link of nnmpi3 cut: the job ended ${after} s later, exit status $status"
echo "its message:"; grep -iE -A3 "lost communication|lost connection|unable to reach" "$WORK/lost.log" | head -n 8
