#!/usr/bin/env bash
# A real single-node SLURM (munge, slurmctld, slurmd from Debian's slurm-wlm)
# on this machine, to try the job scripts of jobs/ without a cluster and to
# test them. Needs root. Everything it writes lives in one state folder.
#
#   jobs/slurm-local.sh start     install slurm-wlm + munge if missing, write
#                                 the configuration, start the daemons, wait
#                                 until the node is idle
#   jobs/slurm-local.sh status    daemons, node and queue; exit 0 when up
#   jobs/slurm-local.sh stop      cancel the jobs, stop the daemons it
#                                 started (by the PIDs in their pid files)
#   jobs/slurm-local.sh env       the line to paste into your shell:
#                                 export SLURM_CONF=STATE/slurm.conf
#
# Then, in the repository:
#   export SLURM_CONF=/tmp/nnmpi-slurm/slurm.conf
#   sbatch -n 2 jobs/train.sbatch configs/quick.ini
#
# State folder: $NNMPI_SLURM_STATE, default /tmp/nnmpi-slurm (slurm.conf,
# state/, spool/, run/*.pid, log/*.log). The configuration is not written to
# /etc/slurm: every SLURM command needs SLURM_CONF pointing at it.
# munge uses the system's key (/etc/munge/munge.key, created if missing) and
# socket; a munged that is already running is used and left running.
# Exit status: 0 done, 1 failed (the message says why), 3 the packages are
# missing and cannot be installed.
set -euo pipefail

state=${NNMPI_SLURM_STATE:-/tmp/nnmpi-slurm}
export SLURM_CONF=$state/slurm.conf
say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: error: $*" >&2; exit "${2:-1}"; }

# pid_of NAME: the PID in state/run/NAME.pid if that process is alive and is
# still the program that wrote it (a PID can be reused after a crash)
pid_of() {
  local file=$state/run/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(tr -dc 0-9 <"$file")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  echo "$pid"
}

# wait_for SECONDS WHAT CMD...: poll CMD every half second until it succeeds
wait_for() {
  local limit=$1; shift 2   # $2 names what is awaited, for the reader
  local i
  for ((i = 0; i < limit * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  return 1
}

# stop_pid NAME PID: TERM, then KILL after 10 s
stop_pid() {
  local name=$1 pid=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 20; i++)); do
    [ -d "/proc/$pid" ] || { say "stopped $name (pid $pid)"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  say "killed $name (pid $pid): it ignored SIGTERM for 10 s"
}

install_packages() {
  local missing=() p
  for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get" 3
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # the install says "policy-rc.d denied execution of start": expected, the
  # daemons are started below, by hand
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$state/log/apt.log" 2>&1; then
    apt-get update -q >>"$state/log/apt.log" 2>&1 || true
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$state/log/apt.log" 2>&1 \
      || { tail -n 5 "$state/log/apt.log" >&2; die "cannot install ${missing[*]} (log: $state/log/apt.log)" 3; }
  fi
}

# the configuration of ../shared/infra/slurm-local.md, every path under $state
write_config() {
  local hw
  # the node's CPU layout as slurmd sees it (CPUs Boards SocketsPerBoard
  # CoresPerSocket ThreadsPerCore); slurmd -C reads no configuration
  hw=$(slurmd -C | head -n 1 | tr ' ' '\n' |
       grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
  [ -n "$hw" ] || die "slurmd -C did not describe the node"
  cat >"$SLURM_CONF.tmp" <<EOF
# written by jobs/slurm-local.sh: a single-node SLURM on this machine
ClusterName=nnmpi
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# a job credential lives 120 s by default, and a requeued job may start
# again only after its old credential expired: 10 s keeps that test short
AuthInfo=cred_expire=10
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SwitchType=switch/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
# SLURM's default: scancel's ranks need time for a large network's checkpoint
KillWait=30
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 ${hw}RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$SLURM_CONF.tmp" "$SLURM_CONF"
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
ctld_up() { scontrol ping 2>/dev/null | grep -q "is UP"; }
node_idle() { [ "$(sinfo -h -N -n localhost -o %t 2>/dev/null)" = idle ]; }

start() {
  [ "$(id -u)" -eq 0 ] || die "needs root (the daemons run as root here)"
  mkdir -p "$state"/{state,spool,run,log}
  install_packages
  if pid=$(pid_of slurmctld) && pid2=$(pid_of slurmd); then
    say "already running (slurmctld $pid, slurmd $pid2)"
    ctld_up && node_idle && { say "export SLURM_CONF=$SLURM_CONF"; return 0; }
  fi
  # the configuration first: without one, SLURM commands look the
  # controller up in DNS
  if ! pid_of slurmctld >/dev/null; then
    # SLURM's fixed ports: another SLURM on this machine would take them
    if command -v ss >/dev/null && [ -n "$(ss -Hltn 'sport = :6817 or sport = :6818' 2>/dev/null)" ]; then
      die "ports 6817/6818 are taken (another SLURM running? jobs/slurm-local.sh status, or NNMPI_SLURM_STATE of the other one)"
    fi
    write_config
  fi

  if munge_works; then
    say "munge: using the munged that is running"
  else
    if [ ! -s /etc/munge/munge.key ]; then
      say "munge: creating /etc/munge/munge.key"
      mungekey --create
      chown munge:munge /etc/munge/munge.key
      chmod 0400 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged
    # remember that this munged is ours, to stop it again
    cp /run/munge/munged.pid "$state/run/munged.pid"
    wait_for 30 munge munge_works || die "munged does not answer (munge -n | unmunge)"
    say "munge: started munged (pid $(cat "$state/run/munged.pid"))"
  fi

  if ! pid_of slurmctld >/dev/null; then
    slurmctld
  fi
  wait_for 60 slurmctld ctld_up || die "slurmctld is not up after 60 s (log: $state/log/slurmctld.log)"
  say "slurmctld is up (pid $(pid_of slurmctld))"

  # the machine's host name is not "localhost", the node's name
  pid_of slurmd >/dev/null || slurmd -N localhost
  wait_for 60 slurmd node_idle || die "node localhost is not idle after 60 s (log: $state/log/slurmd.log)"
  say "slurmd is up (pid $(pid_of slurmd)), node localhost idle: $(sinfo -h -N -o '%c CPUs')"
  say "export SLURM_CONF=$SLURM_CONF"
}

stop() {
  local pid i
  if pid_of slurmctld >/dev/null && ctld_up; then
    # the jobs first, so that no job step outlives slurmd
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
      say "cancelling jobs $jobs"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 120; i++)); do
        [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
        sleep 0.5
      done
      [ -z "$(squeue -h -o %A 2>/dev/null)" ] || say "warning: jobs still listed after 60 s: $(squeue -h -o '%A %T' | tr '\n' ' ')"
    fi
  fi
  for name in slurmd slurmctld munged; do
    if pid=$(pid_of "$name"); then stop_pid "$name" "$pid"; fi
    rm -f "$state/run/$name.pid"
  done
  say "stopped (state and logs kept in $state)"
}

status() {
  local up=0 name pid
  for name in munged slurmctld slurmd; do
    if pid=$(pid_of "$name"); then
      say "$name running (pid $pid)"
    elif [ "$name" = munged ] && munge_works; then
      say "munged running (not started here)"
    else
      say "$name not running"; up=1
    fi
  done
  if [ "$up" -eq 0 ]; then
    sinfo -N -o '%N %t %c' || true
    squeue || true
  fi
  return "$up"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$SLURM_CONF" ;;
  *) echo "usage: jobs/slurm-local.sh start|stop|status|env   (state folder: \$NNMPI_SLURM_STATE, default /tmp/nnmpi-slurm)" >&2
     exit 2 ;;
esac
