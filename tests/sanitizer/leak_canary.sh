# ctest (sanitizer build only): LeakSanitizer, with the suppressions of the
# sanitizer run, must report the canary's planted leak, by name, and no other.
set -euo pipefail
: "${LEAK_CANARY:?}"
[ -n "${LSAN_OPTIONS:-}" ] || { echo "SKIP: run through tests/sanitize.sh (no LSAN_OPTIONS)"; exit 77; }
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader,tcp}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
mpirun --oversubscribe -np 2 "$LEAK_CANARY" >"$out" 2>&1 || status=$?
cat "$out"
[ "$status" -ne 0 ] || { echo "FAIL: the planted leak did not fail the run"; exit 1; }
grep -q "nnmpi_planted_leak" "$out" || { echo "FAIL: the report does not name nnmpi_planted_leak"; exit 1; }
# one summary per rank, each with exactly the 4242 planted bytes
[ "$(grep -c "SUMMARY: AddressSanitizer: 4242 byte(s) leaked in 1 allocation(s)" "$out")" -eq 2 ] \
  || { echo "FAIL: expected exactly the planted 4242 bytes per rank (other leaks unsuppressed?)"; exit 1; }
echo "ok: the planted leak is reported on both ranks, nothing else"
