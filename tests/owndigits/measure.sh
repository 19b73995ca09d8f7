#!/usr/bin/env bash
# Measures a model on digits as people really make them (issue 13): the
# accuracy of `nnmpi query` overall and per category, as a Markdown table.
#   tests/owndigits/measure.sh MODEL.h5 [DIR]
# DIR is a set written by generate.py (labels.csv beside the PNGs); without
# it the heldout set (500 images, seed 1013) is generated into a temporary
# folder. NNMPI names the binary (default build/nnmpi), NNMPI_PYTHON the
# Python with Pillow and numpy (default /usr/bin/python3, where apt puts them).
# A picture nnmpi refuses (e.g. "no ink found") counts as wrong and is listed
# under the table. Exit status: 0 measured, 1 something failed, 2 bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
nnmpi=${NNMPI:-$src/build/nnmpi}
python=${NNMPI_PYTHON:-/usr/bin/python3}
heldout=(--count 500 --seed 1013 --split heldout)

die() { echo "measure.sh: $*" >&2; exit 1; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '2,/^set -/s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
model=$1
[ -f "$model" ] || die "no model file $model"
[ -x "$nnmpi" ] || die "no nnmpi binary at $nnmpi (build it, or set NNMPI)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/owndigits.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 2 ]; then
  dir=$2
  set_name=$dir
else
  dir=$tmp/heldout
  "$python" "$here/generate.py" --out "$dir" "${heldout[@]}" || die "generating the heldout set"
  set_name="heldout (${heldout[*]})"
fi
[ -f "$dir/labels.csv" ] || die "$dir has no labels.csv (make it with tests/owndigits/generate.py)"

status=0
"$nnmpi" query -m "$model" --csv "$dir" >"$tmp/answers.csv" 2>"$tmp/query.err" || status=$?
[ "$status" -le 1 ] || { cat "$tmp/query.err" >&2; die "nnmpi query exit $status"; }
[ "$(head -1 "$tmp/answers.csv")" = "file,digit,confidence" ] || die "unexpected CSV header from nnmpi query"

echo "Model $model on $set_name:"
echo
# labels.csv: file,label,category; answers: file (a path, quoted if it has
# to be),digit,confidence. An image without an answer counts as wrong.
awk -F, '
  FNR == 1 { next }
  NR == FNR { label[$1] = $2; cat[$1] = $3; if (!($3 in n)) order[k++] = $3; n[$3]++; next }
  { f = $0; sub(/,[^,]*,[^,]*$/, "", f); gsub(/^"|"$/, "", f); sub(/.*\//, "", f)
    if (f in label) { answered++; conf[cat[f]] += $3; if ($2 == label[f]) right[cat[f]]++ } }
  END {
    print "| category | images | right | accuracy | mean confidence |"
    print "|---|---:|---:|---:|---:|"
    for (i = 0; i < k; i++) {
      c = order[i]; total += n[c]; all += right[c]; allconf += conf[c]
      printf "| %s | %d | %d | %.1f%% | %.3f |\n", c, n[c], right[c], 100 * right[c] / n[c], conf[c] / n[c]
    }
    printf "| **all** | %d | %d | **%.1f%%** | %.3f |\n", total, all, 100 * all / total, allconf / total
    if (answered < total) printf "\n%d of %d images got no answer\n", total - answered, total
  }' "$dir/labels.csv" "$tmp/answers.csv"

echo
echo "To see what the network saw (DIR/montage.png, the answers written on it):"
if [ $# -eq 2 ]; then
  echo "  $nnmpi query -m $model --save-normalised /tmp/owndigits-seen $dir"
else
  echo "  $python $here/generate.py --out /tmp/owndigits-heldout ${heldout[*]}"
  echo "  $nnmpi query -m $model --save-normalised /tmp/owndigits-seen /tmp/owndigits-heldout"
fi
if [ "$status" -ne 0 ]; then
  echo
  echo "Refused by nnmpi query (counted as wrong):"
  grep -v "every other picture was answered" "$tmp/query.err" | sed 's/^/  /'
fi
