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
#   checkpoint, and the script exits with status 75, printing the command
#   that continues. A second Ctrl-C sends mpirun SIGTERM (which reaches the
#   ranks after the timeout below; they still checkpoint if they can), a
#   third kills the job (SIGKILL). mpirun runs in its own session, so a
#   Ctrl-C reaches it only through this script. Once mpirun has ended, a
#   stop is let pass: the script finishes its report of the run.
# - mpirun, sent SIGTERM, waits odls_base_sigkill_timeout seconds, passes
#   SIGTERM on to the ranks, waits as long again, then kills them: with
#   Open MPI's 1 s, too soon for a large network's checkpoint (784-100000-10
#   writes 318 MB in about 2 s). This script sets what the network needs
#   (nnmpi train --print-config says: 1 s for the book's net, 7 s for
#   784-100000-10), e.g. --mca odls_base_sigkill_timeout 7
# - what happened: rank 0 ends with an "outcome:" line; this script reports
#   from it (done, stopped with which checkpoint, failed, refused), not from
#   mpirun's exit status alone, and names files as HOST:PATH (the run
#   directory is on rank 0's host). No outcome line means nothing ran, or
#   the ranks were killed before they could say: the exit status is then
#   never 0.
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
#   10 s of the machine going away. With a hostfile, ssh gets
#     --mca plm_rsh_args "-o ConnectTimeout=10 -o ServerAliveInterval=10
#                         -o ServerAliveCountMax=3"
#   so an unreachable machine fails the start in seconds, not after ssh's
#   own two minutes. Your own value of any of these, as OMPI_MCA_* in the
#   environment or as --mca in NNMPI_MPIRUN_ARGS, replaces this script's
#   (mpirun refuses an --mca given twice, so the script then leaves that
#   one out). A failed link between compute hosts (MPI's own data path) is
#   caught by nnmpi itself: [train] stall_timeout.
# - root: adds --allow-run-as-root.
# - NNMPI_MPIRUN_ARGS: more mpirun options, split at spaces (e.g.
#   "--mca btl_tcp_if_include 10.0.0.0/24" or "--mca plm_rsh_agent AGENT").
# - binary: $NNMPI, else build/nnmpi next to this script (jobs/build.sh),
#   else nnmpi on the PATH.
#
# Exit status: nnmpi's (0 done, 1 failed, 2 bad configuration or ranks that
# disagree, 3 run directory in use by another job, 4 ranks stopped
# answering, 75 stopped: run again to continue -- with the checkpoint it
# names, or before mpirun started, when nothing ran); mpirun's own when it
# ended the job (e.g. a lost host), and 1 when mpirun said 0 but nothing
# ran.
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

# this run: the options as given, with --resume auto unless they say
# --fresh or --resume PATH; a continuation: the options without those
given=("$@") resume=(--resume auto) continue_opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --fresh) resume=() ;;
    -r|--resume) resume=(); shift ;;
    --resume=*) resume=() ;;
    *) continue_opts+=("$1") ;;
  esac
  shift
done
set -- "${given[@]}"
train=("$nnmpi" train -c "$config" "$@" "${resume[@]}")
# the command that continues this run, whatever this one was started with
continue_cmd=("$0" "${np[@]}" "${hostfile[@]}" "$config" "${continue_opts[@]}")

stops=0 pid="" pending="" ended=""
stop() {  # stop SIGNAL: ask for a checkpoint, then SIGTERM, then SIGKILL
  # once mpirun has ended there is nothing to stop: the report is due
  [ -z "$ended" ] || return 0
  stops=$((stops + 1))
  if [ -z "$pid" ]; then
    log "got SIG$1 before mpirun started: nothing ran; to continue: $(printf '%q ' "${continue_cmd[@]}")"
    exit 75
  elif [ "$stops" -eq 1 ] && ! ranks_up "$out" 0; then
    log "got SIG$1 while the ranks start: they are asked to stop once they are up (again: SIGTERM)"
    pending=1
  elif [ "$stops" -eq 1 ]; then
    log "got SIG$1: asking the ranks to write a checkpoint and stop (SIGUSR1 to mpirun; again: SIGTERM)"
    kill -USR1 "$pid" 2>/dev/null || true
  elif [ "$stops" -eq 2 ]; then
    log "got SIG$1 again: SIGTERM to mpirun (the ranks still checkpoint if they can; again: SIGKILL)"
    kill -TERM "$pid" 2>/dev/null || true
  else
    log "got SIG$1 a third time: killing the job (SIGKILL)"
    kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop HUP' HUP

# the configuration is checked here, before any rank starts
ranks_check=()
[ ${#np[@]} -eq 0 ] || ranks_check=(--ranks "${np[1]}")
resolved=$("$nnmpi" train -c "$config" "$@" --print-config "${ranks_check[@]}" 2>&1) \
  || { echo "$resolved" >&2; die "the configuration is not valid (nothing was started)"; }
rundir=$(sed -n 's/^dir = //p' <<<"$resolved")

# shellcheck source=jobs/launch-lib.sh
source "$repo/jobs/launch-lib.sh"

launch=(mpirun)
[ "$(id -u)" -eq 0 ] && launch+=(--allow-run-as-root)
if [ ${#hostfile[@]} -eq 0 ] && [ ${#np[@]} -gt 0 ] && [ "${np[1]}" -gt "$(nproc)" ]; then
  launch+=(--oversubscribe)
fi
launch+=("${np[@]}" "${hostfile[@]}")
if [ ${#hostfile[@]} -gt 0 ]; then hosts=multi-host; else hosts=one-host; fi
mpirun_defaults "$(stop_seconds "$resolved")" "$hosts"
# shellcheck disable=SC2206
launch+=(${NNMPI_MPIRUN_ARGS:-})

log "run directory: $rundir"
log "running: ${launch[*]} ${train[*]}"


# rank 0's output is kept to read its outcome line; the copy (tee) ignores
# the stop signals that a Ctrl-C sends this script's process group
out=$(mktemp "${TMPDIR:-/tmp}/nnmpi-mpirun.XXXXXX") || die "cannot make a temporary file"
exec 3> >(trap '' INT TERM HUP; exec tee -a "$out")
teepid=$!
# its own session: a Ctrl-C in the terminal reaches this script only, which
# turns it into the SIGUSR1 that mpirun passes on to the ranks
setsid "${launch[@]}" "${train[@]}" >&3 &
pid=$!
exec 3>&-
while :; do
  wait "$pid"
  status=$?
  if [ "$status" -gt 128 ] && kill -0 "$pid" 2>/dev/null; then
    if [ -n "$pending" ]; then
      while kill -0 "$pid" 2>/dev/null && ! ranks_up "$out" 0 && [ "$stops" -eq 1 ]; do sleep 0.1; done
      [ "$stops" -gt 1 ] || kill -USR1 "$pid" 2>/dev/null || true
      pending=""
    fi
    # a stop: mpirun may linger after its SIGTERM; rank 0's word is enough
    if ! await_outcome "$pid" "$out" 0; then break; fi
    continue
  fi
  break
done
# a stop from here on would only cut the report short (and lose it)
ended=1
# the copy ends with mpirun's output; after an early return it need not
kill -0 "$pid" 2>/dev/null || for _ in $(seq 50); do kill -0 "$teepid" 2>/dev/null || break; sleep 0.1; done
outcome=$(outcome_of "$out")
rm -f "$out"

# what the run left, as rank 0 reported it
file=$(outcome_file "$outcome")
again="to continue: $(printf '%q ' "${continue_cmd[@]}")"
case $outcome in
  done*)
    log "done: ${outcome#done | } (metrics.csv beside it)"
    [ "$status" -eq 0 ] || log "(mpirun's exit status was $status: a stop came after the run had finished)"
    status=0 ;;
  stopped*)
    log "stopped at ${outcome#stopped | }; $again"
    status=75 ;;
  refused*|failed*)
    log "${outcome%% |*}; the lines above say why; newest checkpoint: ${file:-none}" ;;
  *)
    log "no outcome from rank 0: nothing ran, or the ranks were killed before they could say (mpirun exit status $status); the lines above say why; newest checkpoint: $(newest_checkpoint "$rundir" | grep . || echo "none seen from $(hostname)")"
    [ "$status" -ne 0 ] || status=1 ;;
esac
exit "$status"
