#!/usr/bin/env bash
# One nnmpi training run with mpirun, without a scheduler: on this machine or
# on several machines listed in a hostfile.
#
#   jobs/mpirun.sh [-np N] [--hostfile FILE] CONFIG [nnmpi train options...]
#
#   jobs/mpirun.sh -np 2 configs/fast.ini
#   jobs/mpirun.sh --hostfile hosts configs/fast.ini --set output.dir=runs/fast-4
#
# - ranks: -np N; without it, mpirun's own default (one per core here, or
#   every slot of the hostfile). More ranks than cores on this machine (no
#   hostfile) adds --oversubscribe.
# - hostfile: Open MPI's format, one machine a line, e.g. `node1 slots=4`.
#   mpirun starts the remote ranks over ssh (passwordless), so the nnmpi
#   binary, the config and the data file must be at the same paths on every
#   machine (a shared file system, or copies); only rank 0 writes the run
#   directory (on its own machine).
# - it always adds --resume auto: a second call continues from the newest
#   checkpoint of the run directory (a finished run does nothing more).
#   --fresh or --resume PATH given here replace it.
# - stopping: Ctrl-C, SIGTERM or SIGHUP to this script are passed to mpirun
#   as SIGUSR1: every rank stops at the next step, rank 0 writes a
#   checkpoint, and the script exits with status 75 (run it again to
#   continue). A second Ctrl-C stops mpirun at once (SIGTERM). mpirun runs
#   in its own session, so a Ctrl-C reaches it only through this script.
# - a lost machine: by default Open MPI notices a dead TCP peer only after
#   the kernel's keepalive time (hours), so a machine that vanishes (power,
#   cable, network) leaves the others waiting in a collective forever. This
#   script makes the TCP keepalive of Open MPI's control channel (mpirun
#   and its daemons on the other machines) probe after 5 s idle, every 1 s,
#   and give up after 3 failed probes:
#     --mca oob_tcp_keepalive_time 5
#     --mca oob_tcp_keepalive_intvl 1
#     --mca oob_tcp_keepalive_probes 3
#   so mpirun reports the lost daemon and ends the whole job within about
#   10 s of the machine going away. Your own value of any of them, as
#   OMPI_MCA_oob_tcp_keepalive_* in the environment or as --mca in
#   NNMPI_MPIRUN_ARGS, replaces this script's (mpirun refuses an --mca
#   given twice, so the script then leaves that one out).
# - root: adds --allow-run-as-root.
# - NNMPI_MPIRUN_ARGS: more mpirun options, split at spaces (e.g.
#   "--mca btl_tcp_if_include 10.0.0.0/24" or "--mca plm_rsh_agent AGENT").
# - binary: $NNMPI, else build/nnmpi next to this script (jobs/build.sh),
#   else nnmpi on the PATH.
#
# Exit status: nnmpi's (0 done, 1 failed, 2 bad configuration, 75 stopped
# with a checkpoint); mpirun's own when it ended the job (e.g. a lost host).
set -uo pipefail

me=mpirun.sh
log() { echo "[$(date '+%F %T')] $me: $*"; }
die() { echo "$me: error: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

np=() hostfile=()
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -np|-n|--np) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "$1 needs a number of ranks"; np=(-np "$2"); shift 2 ;;
    --hostfile|-hostfile|--machinefile) [ $# -ge 2 ] || die "$1 needs a file"
      [ -f "$2" ] || die "no hostfile '$2'"; hostfile=(--hostfile "$2"); shift 2 ;;
    -*) die "unknown option '$1' before the config (mpirun options: NNMPI_MPIRUN_ARGS)" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
config=$1; shift
[ -f "$config" ] || die "no config file '$config' (relative to $PWD)"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nnmpi=${NNMPI:-}
if [ -z "$nnmpi" ]; then
  if [ -x "$repo/build/nnmpi" ]; then nnmpi=$repo/build/nnmpi
  else nnmpi=$(command -v nnmpi || true)
  fi
fi
[ -n "$nnmpi" ] && [ -x "$nnmpi" ] || die "no nnmpi binary: build it (jobs/build.sh) or set NNMPI=/path/to/nnmpi"

resume=(--resume auto)
for a in "$@"; do
  case $a in --fresh|--resume|--resume=*|-r) resume=() ;; esac
done
train=("$nnmpi" train -c "$config" "$@" "${resume[@]}")

# the configuration is checked here, before any rank starts
resolved=$("$nnmpi" train -c "$config" "$@" --print-config 2>&1) \
  || { echo "$resolved" >&2; die "the configuration is not valid (nothing was started)"; }
rundir=$(sed -n 's/^dir = //p' <<<"$resolved")

# keepalive: the TCP keepalive settings for mpirun's control channel (see
# jobs/mpirun.sh), on the command line so that mpirun hands them to the
# daemons on the other nodes too; a setting you give yourself (OMPI_MCA_* in
# the environment, or --mca in NNMPI_MPIRUN_ARGS) is left alone, as mpirun
# refuses an --mca given twice
keepalive() {
  local kv name
  for kv in time=5 intvl=1 probes=3; do
    name=oob_tcp_keepalive_${kv%=*}
    [ -z "$(printenv "OMPI_MCA_$name")" ] || continue
    case " ${NNMPI_MPIRUN_ARGS:-} " in *" $name "*) continue ;; esac
    launch+=(--mca "$name" "${kv#*=}")
  done
}

launch=(mpirun)
[ "$(id -u)" -eq 0 ] && launch+=(--allow-run-as-root)
if [ ${#hostfile[@]} -eq 0 ] && [ ${#np[@]} -gt 0 ] && [ "${np[1]}" -gt "$(nproc)" ]; then
  launch+=(--oversubscribe)
fi
launch+=("${np[@]}" "${hostfile[@]}")
keepalive
# shellcheck disable=SC2206
launch+=(${NNMPI_MPIRUN_ARGS:-})

log "run directory: $rundir"
log "running: ${launch[*]} ${train[*]}"

stops=0 pid=""
stop() {  # stop SIGNAL: first time ask for a checkpoint, then stop at once
  stops=$((stops + 1))
  if [ -z "$pid" ]; then
    log "got SIG$1 before mpirun started: not starting it"; exit 75
  elif [ "$stops" -eq 1 ]; then
    log "got SIG$1: asking the ranks to write a checkpoint and stop (SIGUSR1 to mpirun; again to stop at once)"
    kill -USR1 "$pid" 2>/dev/null || true
  else
    log "got SIG$1 again: stopping mpirun now (SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
  fi
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop HUP' HUP

# its own session: a Ctrl-C in the terminal reaches this script only, which
# turns it into the SIGUSR1 that mpirun passes on to the ranks
setsid "${launch[@]}" "${train[@]}" &
pid=$!
while :; do
  wait "$pid"
  status=$?
  if [ "$status" -gt 128 ] && kill -0 "$pid" 2>/dev/null; then continue; fi
  break
done
trap - INT TERM HUP

case $status in
  0) log "done: $rundir/model.h5, $rundir/metrics.csv" ;;
  75) log "stopped with checkpoint $rundir/$(readlink "$rundir/latest.h5" 2>/dev/null); run the same command again to continue" ;;
  *) log "mpirun exited with status $status (the lines above say why)" ;;
esac
exit "$status"
