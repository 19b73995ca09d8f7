#!/usr/bin/env bash
# Regenerates the committed seed corpora tests/fuzz/corpus/NAME/ from
# nnmpi's own writers (tests/tools/make_fuzz_seeds.c) and configs/*.ini.
# Regression inputs (files named regress-*) are kept as they are.
#   tests/fuzz/make_corpus.sh [BUILD_DIR]     (default build/, must be built)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
tool=$build/tests/make_fuzz_seeds
[ -x "$tool" ] || { echo "no $tool: build first (jobs/build.sh $build)" >&2; exit 1; }
corpus=$src/tests/fuzz/corpus
for name in png idx idx_gz npy npz csv config checkpoint serve; do
  mkdir -p "$corpus/$name"
  find "$corpus/$name" -type f ! -name 'regress-*' -delete
done
"$tool" "$corpus"
cp "$src"/configs/*.ini "$corpus/config/"
# nnmpi serve's requests (tests/fuzz/fuzz_serve.c's layout): method byte,
# path, key=value lines, an empty line, the body
serve=$corpus/serve
printf 'G/api/models\n\n' >"$serve/models"
printf 'G/api/runs\n\n' >"$serve/runs"
printf 'G/api/runs/run/metrics\n\n' >"$serve/metrics"
printf 'G/api/backquery\nmodel=fast\ndigit=3\n\n' >"$serve/backquery-digit"
printf 'G/api/backquery\ntarget=0.01,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.99\n\n' >"$serve/backquery-target"
printf 'G/\n\n' >"$serve/page"
{ printf 'P/api/query\nmodel=fast\n\n'; cat "$src/docs/own-digits/digit7_a.png"; } >"$serve/query"
du -sh "$corpus"
