# Shared by the end-to-end tests (sourced). ctest sets NNMPI (the binary),
# NNMPI_BUILD and NNMPI_SRC.
set -euo pipefail
: "${NNMPI:?run through ctest}" "${NNMPI_BUILD:?}" "${NNMPI_SRC:?}"
TOOLS=$NNMPI_BUILD/tests
TESTDATA=$NNMPI_BUILD/testdata          # made once by the data fixture
MNIST=${NNMPI_MNIST_DIR:-$NNMPI_SRC/data/mnist}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nnmpi-e2e.XXXXXX")
[ -n "${NNMPI_KEEP_TMP:-}" ] || trap 'rm -rf "$WORK"' EXIT
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# keep Open MPI from probing networks it cannot use in a sandbox
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader,tcp}

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# skip (77) unless NNMPI_REQUIRE_ALL=1, where a missing prerequisite fails
skip() {
  if [ "${NNMPI_REQUIRE_ALL:-0}" = 1 ]; then fail "cannot run: $*"; fi
  echo "SKIP: $*"; exit 77
}

need_mnist() {
  [ -f "$MNIST/train-images-idx3-ubyte" ] || skip "no MNIST in $MNIST (jobs/fetch-mnist.sh)"
}

# run_np P ARGS...: nnmpi under mpirun with P ranks, never longer than 20 min
run_np() {
  local np=$1; shift
  timeout -k 10 1200 mpirun --oversubscribe -np "$np" "$NNMPI" "$@"
}

# h5values FILE DATASET: the values of a dataset, one per line
h5values() {
  h5dump -y -w 0 -d "$2" "$1" | sed -n '/DATA {/,/^ *}/p' | sed '1d;$d' | tr -s ', ' '\n' | grep -v '^$'
}

# expect_fail STATUS PATTERN CMD...: CMD must exit with STATUS (within 120 s)
# and print one error line matching PATTERN on stderr, without crashing.
# CMD may be run_np P ARGS...
expect_fail() {
  local want=$1 pattern=$2; shift 2
  if [ "$1" = run_np ]; then set -- mpirun --oversubscribe -np "$2" "$NNMPI" "${@:3}"; fi
  local out=$WORK/expect.out err=$WORK/expect.err status=0
  timeout -k 5 120 "$@" >"$out" 2>"$err" || status=$?
  [ "$status" -ne 124 ] || fail "hung (killed after 120 s): $*"
  [ "$status" -eq "$want" ] || { cat "$err" >&2; fail "exit $status, expected $want: $*"; }
  grep -q -- "$pattern" "$err" || { cat "$err" >&2; fail "no message matching '$pattern': $*"; }
  if grep -qiE "segmentation|core dumped|AddressSanitizer|runtime error" "$err"; then
    cat "$err" >&2; fail "crashed: $*"
  fi
  ok "refused ($status): $(grep -m1 -- "$pattern" "$err")"
}

# metric FILE COLUMN: the value of COLUMN in the last row of a metrics.csv
metric() {
  awk -F, -v col="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i; next} {v=$c} END{print v}' "$1"
}

# at_least VALUE MIN WHAT
at_least() {
  awk -v v="$1" -v m="$2" 'BEGIN{exit !(v+0 >= m+0)}' || fail "$3: $1 < $2"
  ok "$3: $1 >= $2"
}

# sanitized: whether $NNMPI is an AddressSanitizer build (about 8 times
# slower: a 318 MB checkpoint takes 4.6 s there, 1.7 s in a normal build)
sanitized() { ldd "$NNMPI" 2>/dev/null | grep -q libasan; }

# pid_of DIR RANK: the nnmpi process of rank RANK training into DIR
pid_of() {
  local p
  for p in $(pgrep -f "nnmpi train .*output.dir=$1( |$)"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
      echo "$p"; return 0
    fi
  done
  return 1
}

# ranks_gone DIR [SECONDS]: until no nnmpi rank trains into DIR (default
# 10 s); 1 if some still do then
ranks_gone() {
  local i
  for ((i = 0; i < ${2:-10} * 50; i++)); do
    pgrep -f "nnmpi train .*output.dir=$1( |$)" >/dev/null || return 0
    sleep 0.02
  done
  return 1
}

# wait_log FILE PATTERN SECONDS: until FILE shows PATTERN
wait_log() {
  local i
  for ((i = 0; i < $3 * 50; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.02
  done
  cat "$1" >&2; fail "no '$2' in $1 after $3 s"
}

# need_python "IMPORTS" PACKAGE...: Debian's Python (NNMPI_PYTHON, else
# /usr/bin/python3: apt puts its modules there, not in a pyenv) as $PY,
# able to `import IMPORTS`; installs the Debian PACKAGEs when root and they
# are missing, else skips naming them
need_python() {
  local imports=$1; shift
  PY=${NNMPI_PYTHON:-/usr/bin/python3}
  "$PY" -c "import $imports" 2>/dev/null && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    { apt-get install -y -q --no-install-recommends "$@" ||
      { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; }; } >"$WORK/apt.log" 2>&1 || true
  fi
  "$PY" -c "import $imports" 2>/dev/null || skip "$PY cannot import $imports (apt-get install $*)"
}

# train_small_nets DATA: one epoch on DATA of the book's net (quick.ini,
# 784-100-10) into $WORK/book and of a 784-32-16-10 ReLU net with biases,
# a softmax and cross-entropy into $WORK/deep: models for the exports
train_small_nets() {
  run_np 1 train -c "$NNMPI_SRC/configs/quick.ini" --set data.file="$1" --set train.epochs=1 \
    --set output.dir="$WORK/book" >"$WORK/book.log" 2>&1 || { cat "$WORK/book.log"; fail "training the book's net"; }
  run_np 1 train --set data.file="$1" --set net.layers=784,32,16,10 --set net.activation=relu \
    --set net.output=softmax --set net.loss=cross_entropy --set net.bias=true --set net.rule=gradient \
    --set train.lr=0.1 --set train.epochs=1 --set output.dir="$WORK/deep" >"$WORK/deep.log" 2>&1 \
    || { cat "$WORK/deep.log"; fail "training the deep net"; }
}
