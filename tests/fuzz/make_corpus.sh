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
for name in png idx csv config checkpoint; do
  mkdir -p "$corpus/$name"
  find "$corpus/$name" -type f ! -name 'regress-*' -delete
done
"$tool" "$corpus"
cp "$src"/configs/*.ini "$corpus/config/"
du -sh "$corpus"
