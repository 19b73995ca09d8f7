# Shared by jobs/mpirun.sh and jobs/train.sbatch (sourced, not run): the
# mpirun options they add, and reading how a run ended from rank 0's last
# line. Expects log() and an array named launch in the caller.

# mca_default NAME VALUE: adds --mca NAME VALUE to launch unless the user
# set NAME already (OMPI_MCA_NAME in the environment, or --mca NAME in
# NNMPI_MPIRUN_ARGS): mpirun refuses an --mca given twice
mca_default() {
  [ -z "$(printenv "OMPI_MCA_$1")" ] || return 0
  case " ${NNMPI_MPIRUN_ARGS:-} " in *" $1 "*) return 0 ;; esac
  launch+=(--mca "$1" "$2")
}

# mpirun_defaults SECONDS [multi-host]: what every nnmpi job asks of mpirun;
# SECONDS is what a stop needs (stop_seconds)
# - TCP keepalive on the control channel (mpirun and its daemons on the
#   other nodes): a lost node ends the job in about 10 s, not after the
#   kernel's keepalive time (hours);
# - time for the ranks' checkpoint after a SIGTERM: mpirun (or a daemon),
#   told to stop, waits odls_base_sigkill_timeout seconds, passes SIGTERM
#   on, waits as long again and kills the ranks; Open MPI's 1 s is too short
#   for a large network's checkpoint (784-100000-10: 318 MB, about 2 s).
#   nnmpi train --print-config says what the network needs (1 s for the
#   book's, 7 s for 784-100000-10), and no more is given: mpirun takes the
#   two waits whatever the ranks do, after a lost node too, and
#   await_outcome does not wait for it. Under SLURM the ranks get scancel's
#   SIGTERM at once (twice the timeout then), and SLURM's own KillWait
#   (often 30 s) is the other limit;
# - with several hosts, ssh options so that an unreachable host fails the
#   start in seconds and a dead one ends the job (ssh's own connect timeout
#   is about two minutes).
mpirun_defaults() {
  mca_default oob_tcp_keepalive_time 5
  mca_default oob_tcp_keepalive_intvl 1
  mca_default oob_tcp_keepalive_probes 3
  mca_default odls_base_sigkill_timeout "$1"
  if [ "${2:-}" = multi-host ]; then
    mca_default plm_rsh_args "-o ConnectTimeout=10 -o ServerAliveInterval=10 -o ServerAliveCountMax=3"
  fi
}

# await_outcome PID FILE FROM_BYTE: after a stop was asked, waits until the
# launcher PID has ended (0) or rank 0 has said how the run ended in FILE
# (1): mpirun told to stop by SIGTERM waits its kill timeout twice before it
# ends, however soon the ranks are done, and SLURM may kill this script in
# the meantime (KillWait)
await_outcome() {
  while kill -0 "$1" 2>/dev/null; do
    [ -z "$(outcome_of "$2" "$3")" ] || return 1
    sleep 0.2
  done
  return 0
}

# stop_seconds RESOLVED: the seconds a stop needs for the checkpoint, from
# nnmpi train --print-config's last line (1 if it does not say)
stop_seconds() {
  local s
  s=$(sed -n 's/.*odls_base_sigkill_timeout \([0-9][0-9]*\).*/\1/p' <<<"$1" | tail -n 1)
  echo "${s:-1}"
}

# ranks_up FILE FROM_BYTE: whether rank 0 has started training (its
# "nnmpi train: N ranks" line), so every rank has its stop handlers: a
# SIGUSR1 that reaches a rank still loading would kill it
ranks_up() {
  tail -c +"$(( ${2:-0} + 1 ))" "$1" 2>/dev/null | grep -q "^nnmpi train: [0-9]* rank"
}

# outcome_of FILE [FROM_BYTE]: rank 0's last "outcome:" line in FILE (after
# FROM_BYTE bytes), without the prefix; "" when there is none
outcome_of() {
  tail -c +"$(( ${2:-0} + 1 ))" "$1" 2>/dev/null | sed -n 's/^outcome: //p' | tail -n 1
}

# outcome_file OUTCOME: the HOST:PATH an outcome line ends with ("" if none)
outcome_file() {
  local last=${1##* }
  [ "$last" = none ] || echo "$last"
}

# newest_checkpoint DIR: the checkpoint latest.h5 names, as HOST:PATH, when
# this host sees DIR (for when rank 0 could not say)
newest_checkpoint() {
  local target
  target=$(readlink "$1/latest.h5" 2>/dev/null) || return 0
  echo "$(hostname):$(cd "$1" && pwd)/$target"
}
