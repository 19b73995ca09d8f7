# A simulated 3-machine cluster for the end-to-end tests (sourced after
# tests/e2e_lib.sh by tests/e2e/netns_*.sh): three network namespaces act
# as hosts (nnmpi1-3, 10.77.0.1-3 on a bridge in a fourth namespace,
# nothing added to the machine's own network), Open MPI talks TCP between
# them, and a small launcher agent stands in for ssh (mpirun --mca
# plm_rsh_agent). The namespaces have fixed names: two scripts using this
# file must not run at the same time on one machine (ctest runs them one
# after the other). On exit, everything started in the namespaces is
# stopped and the namespaces and their files are deleted. Needs root and
# iproute2 (installed if missing); skips (77) without them, unless
# NNMPI_REQUIRE_ALL=1.

# need_command CMD PACKAGE: installs PACKAGE (Debian) when CMD is missing
need_command() {
  command -v "$1" >/dev/null && return 0
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2")
  "${apt[@]}" >"$WORK/apt.log" 2>&1 ||
    { apt-get update -q >>"$WORK/apt.log" 2>&1 && "${apt[@]}" >>"$WORK/apt.log" 2>&1; } ||
    skip "cannot install $2"
}
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
need_command ip iproute2

hosts=(nnmpi1 nnmpi2 nnmpi3)
switch=nnmpisw
subnet=10.77.0.0/24
hostfile=$WORK/hostfile   # what on_cluster passes to jobs/mpirun.sh
head_host=nnmpi1          # where on_cluster starts it
job=""                    # PID of a jobs/mpirun.sh running in the background

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
# stop_job: stops the background jobs/mpirun.sh ($job) as a user would,
# twice: the first asks for a checkpoint, the second stops mpirun
stop_job() {
  [ -n "$job" ] || return 0
  if kill -0 "$job" 2>/dev/null; then
    kill -TERM "$job" 2>/dev/null || true; sleep 1; kill -TERM "$job" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$job" 2>/dev/null || break; sleep 0.5; done
  fi
  wait "$job" 2>/dev/null || true
  job=""
}
teardown() {
  local ns
  stop_job
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

# netns_up: the "machines", each with the others' names in its /etc/hosts
netns_up() {
  local i j h
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
  printf '%s slots=1\n' "${hosts[@]}" >"$hostfile"
  ok "3 hosts on $subnet"
}

# "$on_host" HOST CMD...: CMD in namespace HOST under that host name, as
# the same process (exec), so that $! of `"$on_host" ... &` is CMD's PID. With
# NETNS_LOCAL=DIR in the environment, HOST sees its own DIR (DIR.HOST
# mounted over it, in a mount namespace of its own: the mount neither
# leaks out nor outlives the processes), as a directory on each machine's
# local disk would be.
on_host=$WORK/netns-host.sh
cat >"$on_host" <<'EOF'
#!/bin/sh
host=$1; shift
if [ -n "${NETNS_LOCAL:-}" ]; then
  exec ip netns exec "$host" unshare --uts --mount --propagation private sh -c \
    'hostname "$0" && mount --bind "$NETNS_LOCAL.$0" "$NETNS_LOCAL" && exec "$@"' "$host" "$@"
fi
exec ip netns exec "$host" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
EOF
# the launcher agent: called like ssh (AGENT [options] HOST COMMAND...),
# runs COMMAND on HOST
agent=$WORK/netns-agent.sh
cat >"$agent" <<EOF
#!/bin/sh
while [ \$# -gt 0 ]; do case \$1 in -o) shift 2 ;; -*) shift ;; *) break ;; esac; done
host=\$1; shift
exec "$on_host" "\$host" sh -c "\$*"
EOF
chmod +x "$on_host" "$agent"

# Open MPI on the namespaces' network only. The "hosts" share this
# machine's cores, which mpirun cannot know: ranks that spin while they
# wait would starve each other (40x slower here), so they yield.
mpi_net_args="--mca btl tcp,self --mca btl_tcp_if_include $subnet --mca oob_tcp_if_include $subnet --mca mpi_yield_when_idle 1"
export NNMPI_MPIRUN_ARGS="--mca plm_rsh_agent $agent $mpi_net_args"

# on_cluster ARGS...: jobs/mpirun.sh --hostfile $hostfile ARGS, started on
# $head_host (never longer than 20 min: a hang fails instead of blocking the
# tests)
on_cluster() {
  "$on_host" "$head_host" timeout -k 10 1200 "$NNMPI_SRC/jobs/mpirun.sh" --hostfile "$hostfile" "$@"
}
# start_on_cluster LOG ARGS...: the same in the background, output to LOG;
# $job is jobs/mpirun.sh's PID (stop_job and the cleanup stop it)
start_on_cluster() {
  local log=$1; shift
  "$on_host" "$head_host" "$NNMPI_SRC/jobs/mpirun.sh" --hostfile "$hostfile" "$@" >"$log" 2>&1 &
  job=$!
}
# wait_job SECONDS: until the background job ends (1 if it still runs)
wait_job() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    kill -0 "$job" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}
