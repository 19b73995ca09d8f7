#!/usr/bin/env bash
# Sorts the inputs a fuzzer flagged into nnmpi's bugs and HDF5's own.
#   tests/fuzz/triage.sh HARNESS INPUT...
# Runs HARNESS on each INPUT and reads the sanitizer's report. A finding is
# HDF5's own ("hdf5") when every stack of the report (the faulting access,
# and where the memory was allocated and freed) reaches HDF5 before any of
# nnmpi's code: a damaged file made libhdf5 read or write its own memory out
# of bounds, or crash. Everything else is "ours" -- including HDF5 writing
# past a buffer nnmpi allocated, which is how the h5_attr_read_str overflow
# showed (docs/hardening.md). Prints one line per input, "ours|hdf5|none
# INPUT: the report's summary"; exits 1 if any input is "ours".
# Debian 12's HDF5 1.10.8 has such bugs in decoding damaged object headers
# and attribute messages, which nnmpi cannot fix; fuzz_smoke.sh therefore
# fuzzes the checkpoint loader in fork mode, keeps going past them, and
# fails only on findings of ours.
set -uo pipefail
harness=$1
shift
ours=0
for input in "$@"; do
  report=$(timeout -k 5 120 "$harness" -timeout=25 "$input" 2>&1)
  verdict=$(awk '
    # a stack starts at a report line or an "allocated by"/"freed by" line
    /ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|allocated by|freed by|ALARM: working/ {
      if (open && !decided) undecided = 1
      open = 1; decided = 0; stacks++
      if ($0 ~ /runtime error:/ && $0 !~ /libhdf5/) { ours = 1; decided = 1 }
      next
    }
    open && !decided && /^ *#[0-9]+ / {
      if ($0 ~ /libhdf5/) { decided = 1; next }
      if ($0 ~ /\/(src|tests)\/[^ ]*\.c:[0-9]+/) { decided = 1; ours = 1; next }
    }
    END {
      if (stacks == 0) print "none"
      else if (ours || undecided || (open && !decided)) print "ours"
      else print "hdf5"
    }' <<<"$report")
  summary=$(grep -m1 -E "^SUMMARY:|runtime error:|deadly signal|ALARM" <<<"$report" | cut -c1-160)
  echo "$verdict $input: ${summary:-no report (does not reproduce)}"
  [ "$verdict" = ours ] && ours=$((ours + 1))
done
[ "$ours" -eq 0 ]
