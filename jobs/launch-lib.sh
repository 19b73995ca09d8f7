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

# mpirun_defaults [multi-host]: what every nnmpi job asks of mpirun
# - TCP keepalive on the control channel (mpirun and its daemons on the
#   other nodes): a lost node ends the job in about 10 s, not after the
#   kernel's keepalive time (hours);
# - 60 s between passing a SIGTERM on and killing the ranks (Open MPI's
#   default is 1 s): enough for the largest network's checkpoint;
# - with several hosts, ssh options so that an unreachable host fails the
#   start in seconds and a dead one ends the job (ssh's own connect timeout
#   is about two minutes).
mpirun_defaults() {
  mca_default oob_tcp_keepalive_time 5
  mca_default oob_tcp_keepalive_intvl 1
  mca_default oob_tcp_keepalive_probes 3
  mca_default odls_base_sigkill_timeout 60
  if [ "${1:-}" = multi-host ]; then
    mca_default plm_rsh_args "-o ConnectTimeout=10 -o ServerAliveInterval=10 -o ServerAliveCountMax=3"
  fi
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
