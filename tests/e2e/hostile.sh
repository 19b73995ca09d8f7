# Hostile and damaged input (tests/hostile/cases.txt): every case must end
# with its exit status and its one-line message, never with a signal, a
# sanitizer report or a hang. The binary cases are generated at test time by
# tests/tools/make_hostile.c; the small text ones are in tests/hostile/files.
# Run under the sanitizer build (tests/sanitize.sh), the same cases also
# prove that no bad input makes nnmpi read or write out of bounds or leak.
# Cases run NNMPI_HOSTILE_JOBS (default 4) at a time: most of a case is
# mpirun starting up, not computing.
source "$NNMPI_SRC/tests/e2e_lib.sh"
H=$WORK/hostile
F=$NNMPI_SRC/tests/hostile/files
"$TOOLS/make_hostile" "$H" || fail "make_hostile could not write the generated cases"

# trim VAR TEXT: TEXT without surrounding blanks, into VAR (no subshell:
# under load every fork counts)
trim() {
  local t=$2
  t=${t#"${t%%[![:space:]]*}"}
  t=${t%"${t##*[![:space:]]}"}
  printf -v "$1" '%s' "$t"
}

names=() wants=() patterns=() commands=()
while IFS= read -r line; do
  case $line in ''|'#'*) continue ;; esac
  # name | status | pattern (may itself contain '|') | arguments
  [[ $line =~ ^([^|]*)\|([^|]*)\|(.*)\|([^|]*)$ ]] || fail "cannot parse case: $line"
  trim name "${BASH_REMATCH[1]}"; trim want "${BASH_REMATCH[2]}"
  trim pattern "${BASH_REMATCH[3]}"; trim args "${BASH_REMATCH[4]}"
  names+=("$name") wants+=("$want") patterns+=("$pattern") commands+=("$args")
done <"$NNMPI_SRC/tests/hostile/cases.txt"
total=${#names[@]}
[ "$total" -ge 50 ] || fail "only $total cases read"

# run_case I: runs case I, leaving stdout, stderr, status and the command
# line in $WORK/out/NAME
run_case() {
  local out=$WORK/out/${names[$1]} args=${commands[$1]} status=0 cmd
  mkdir -p "$out"
  args=${args//\{H\}/$H}
  args=${args//\{F\}/$F}
  args=${args//\{OUT\}/$out/run}
  read -ra argv <<<"$args"
  if [[ ${argv[0]} =~ ^np([0-9]+)$ ]]; then
    cmd=(mpirun --oversubscribe -np "${BASH_REMATCH[1]}" "$NNMPI" "${argv[@]:1}")
  else
    cmd=("$NNMPI" "${argv[@]}")
  fi
  echo "${cmd[*]}" >"$out/command"
  local t0=$SECONDS
  # a session directory base of the case's own: jobs starting and ending
  # side by side race over a shared one (open-mpi/ompi#8510)
  OMPI_MCA_orte_tmpdir_base=$out timeout -k 5 120 "${cmd[@]}" >"$out/stdout" 2>"$out/stderr" </dev/null || status=$?
  echo "$status" >"$out/status"
  echo "$((SECONDS - t0))" >"$out/seconds"
}

parallel=${NNMPI_HOSTILE_JOBS:-4}
for ((i = 0; i < total; i++)); do
  run_case "$i" &
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
done
wait

crash_re='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|Segmentation fault|core dumped|Aborted|exited on signal|terminated with signal|Bus error|Floating point exception|Killed'
LC_ALL=C   # match bytes as bytes: messages may quote any byte of a file
failed=0
for ((i = 0; i < total; i++)); do
  name=${names[$i]} want=${wants[$i]} pattern=${patterns[$i]}
  out=$WORK/out/$name
  read -r status <"$out/status"
  read -r seconds <"$out/seconds"
  msg= crash=
  while IFS= read -r l || [ -n "$l" ]; do
    [ -z "$msg" ] && [[ $l == "nnmpi: error: "* ]] && msg=$l
    [ -z "$crash" ] && [[ $l =~ $crash_re ]] && crash=$l
  done <"$out/stderr"
  why=
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then why="hung (killed after 120 s)"
  elif [ -n "$crash" ]; then why="crashed: $crash"
  elif [ "$status" -ge 128 ]; then why="died of signal $((status - 128))"
  elif [ "$status" -ne "$want" ]; then why="exit status $status, expected $want"
  elif [ -z "$msg" ]; then why="no 'nnmpi: error:' line"
  elif [[ $msg =~ [[:cntrl:]] ]]; then why="control characters in the message"
  elif ! [[ $msg =~ $pattern ]]; then why="message does not match '$pattern'"
  fi
  if [ -n "$why" ]; then
    failed=$((failed + 1))
    echo "FAIL: $name: $why"
    echo "  command: $(cat "$out/command")"
    sed 's/^/  stderr: /' "$out/stderr" | head -20
  else
    echo "ok: $name ($status, $seconds s): ${msg#nnmpi: error: }"
  fi
done
[ "$failed" -eq 0 ] || fail "$failed of $total hostile-input cases failed"
ok "all $total hostile-input cases refused with their message, no crash, no hang"
