# libFuzzer smoke run: builds the nine harnesses of tests/fuzz with clang
# (-fsanitize=fuzzer,address,undefined) in $NNMPI_BUILD/fuzz, or uses
# NNMPI_FUZZ_BUILD if given; replays each one's committed corpus
# tests/fuzz/corpus/NAME and fuzzes on from it for 5 s (NNMPI_FUZZ_SECONDS),
# as many at a time as there are cores. A smoke test: every harness builds,
# its seeds (the regression inputs among them) pass, and it runs clean; the
# long runs (NNMPI_FUZZ_SECONDS=1800 and more) are in docs/hardening.md.
# Any crash, leak or sanitizer report in nnmpi's code fails the test (the
# input is kept in $NNMPI_BUILD/fuzz-artifacts/); those inside HDF5 1.10
# itself are listed and tolerated (tests/fuzz/triage.sh tells them apart).
# Installs clang and libclang-rt-14-dev when root and missing.
source "$NNMPI_SRC/tests/e2e_lib.sh"
seconds=${NNMPI_FUZZ_SECONDS:-5}

have_libfuzzer() {
  command -v clang >/dev/null &&
    echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
      clang -x c -fsanitize=fuzzer -o "$WORK/probe" - >/dev/null 2>&1
}
if ! have_libfuzzer; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y clang libclang-rt-14-dev || { apt-get update && apt-get install -y clang libclang-rt-14-dev; }) >"$WORK/apt.log" 2>&1 \
      || { cat "$WORK/apt.log"; skip "cannot install clang and libclang-rt-14-dev"; }
  fi
  have_libfuzzer || skip "no clang with libFuzzer (apt-get install clang libclang-rt-14-dev)"
fi

fb=${NNMPI_FUZZ_BUILD:-$NNMPI_BUILD/fuzz}
if [ ! -f "$fb/CMakeCache.txt" ]; then
  # a build of its own: clang, and no sanitizer flags from the environment
  env -u LD_PRELOAD CC=clang cmake -S "$NNMPI_SRC" -B "$fb" -DNNMPI_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; fail "configuring $fb"; }
fi
env -u LD_PRELOAD cmake --build "$fb" --target fuzzers -j "$(nproc)" >"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log"; fail "building the fuzzers in $fb"; }

keep=$NNMPI_BUILD/fuzz-artifacts
names="png idx idx_gz npy npz csv config checkpoint serve"
# fuzz_one NAME: one harness's run; its exit status into $WORK/NAME.status.
# Fork mode keeps fuzzing past a finding, so that findings inside HDF5
# itself (tests/fuzz/triage.sh) do not hide ours; new inputs go to a
# scratch directory, the committed corpus is only read.
fuzz_one() {
  local name=$1 corpus=$NNMPI_SRC/tests/fuzz/corpus/$1 status=0
  mkdir -p "$WORK/new-$name" "$WORK/art-$name"
  env -u LD_PRELOAD nice -n 19 "$fb/tests/fuzz/fuzz_$name" -fork=1 -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds" -timeout=25 -max_len=20000 \
    -artifact_prefix="$WORK/art-$name/" "$WORK/new-$name" "$corpus" >"$WORK/$name.log" 2>&1 || status=$?
  echo "$status" >"$WORK/$name.status"
}
# as many harnesses at a time as there are cores: each still gets its
# seconds of one core, the suite a fraction of the wall time
for name in $names; do
  [ -n "$(ls "$NNMPI_SRC/tests/fuzz/corpus/$name")" ] || fail "empty corpus tests/fuzz/corpus/$name"
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
  fuzz_one "$name" &
done
wait
for name in $names; do
  status=$(cat "$WORK/$name.status")
  last=$(grep -E '^#[0-9]+: cov: ' "$WORK/$name.log" | tail -1)
  execs=$(sed -n 's/^#\([0-9]*\): .*/\1/p' <<<"$last")
  cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$last")
  findings=$(find "$WORK/art-$name" -type f | sort)
  # fork mode ends with status 1 when it ignored findings: triaged below
  { [ "$status" -eq 0 ] || [ -n "$findings" ]; } && [ -n "$execs" ] \
    || { tail -40 "$WORK/$name.log"; fail "fuzz_$name did not run (status $status)"; }
  if [ -n "$findings" ]; then
    # shellcheck disable=SC2086
    if ! env -u LD_PRELOAD "$NNMPI_SRC/tests/fuzz/triage.sh" "$fb/tests/fuzz/fuzz_$name" $findings >"$WORK/$name.triage"; then
      mkdir -p "$keep"
      cp -r "$WORK/art-$name" "$keep/$name"
      cat "$WORK/$name.triage"
      fail "fuzz_$name: a finding in nnmpi's code (inputs kept in $keep/$name)"
    fi
    sed 's/^/  (known, inside HDF5 1.10) /' "$WORK/$name.triage"
  fi
  ok "fuzz_$name: ${seconds} s, $execs executions, coverage $cov edges, $(echo "$findings" | grep -c . || true) finding(s) inside HDF5, none in nnmpi"
done
