# Every rank agrees at start, or the job stops loudly (issue: every host
# agrees). Single-host MPMD jobs (mpirun -np 1 nnmpi train A : -np 1 nnmpi
# train B) stand for two hosts that differ; in each case every rank ends
# promptly with one error line naming what differs (or what failed), the
# rank and its host, and a non-zero status -- no mixture, hang or crash:
# - a config value (lr, epochs, batch) different on one rank;
# - a data file prepared with another --seed, with other rows, or a copy
#   whose header is the same but whose pixels differ;
# - a config file missing on one rank, an invalid one on another;
# - other CPU kernels on one rank (NNMPI_SIMD=c, as a node without AVX).
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
q=$TESTDATA/quick.h5
common=(--set net.hidden=30 --set train.epochs=2)
cfg=$NNMPI_SRC/configs/quick.ini
sed 's/^lr = .*/lr = 0.5/' "$cfg" >"$WORK/lr05.ini"
grep -q "^lr = 0.5$" "$WORK/lr05.ini" || fail "quick.ini has no 'lr =' line to change"
printf '[train]\nlearning_rate = 2\n' >"$WORK/invalid.ini"
"$NNMPI" prepare --mnist "$MNIST" --train-limit 6000 --test-limit 2000 --seed 2 -o "$WORK/seed2.h5" -q
cp "$q" "$WORK/touched.h5"
"$TOOLS/make_testdata" touch-pixel "$WORK/touched.h5" || fail "cannot make a copy with another pixel"
host=$(hostname)

# mpmd NAME PATTERN STATUS A_ARGS... -- B_ARGS...: rank 0 runs train A_ARGS,
# rank 1 train B_ARGS (mpirun options may lead either, e.g. -x VAR=VALUE)
mpmd() {
  local name=$1 pattern=$2 status=$3 a=() b=()
  shift 3
  while [ "$1" != -- ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  local d=$WORK/$name a_mpi=() b_mpi=()
  while [ "${a[0]}" = -x ]; do a_mpi+=(-x "${a[1]}"); a=("${a[@]:2}"); done
  while [ "${b[0]}" = -x ]; do b_mpi+=(-x "${b[1]}"); b=("${b[@]:2}"); done
  expect_fail "$status" "$pattern" mpirun --oversubscribe \
    -np 1 "${a_mpi[@]}" "$NNMPI" train "${common[@]}" "${a[@]}" --set output.dir="$d" : \
    -np 1 "${b_mpi[@]}" "$NNMPI" train "${common[@]}" "${b[@]}" --set output.dir="$d"
  [ "$(grep -c "nnmpi: error:" "$WORK/expect.err")" -eq 1 ] || { cat "$WORK/expect.err"; fail "$name: not one error line"; }
  ranks_gone "$d" || fail "$name: ranks left running"
  [ ! -e "$d/config.ini" ] || fail "$name: the refused run wrote config.ini"
}

mpmd lr "the ranks disagree on \[train\] lr: '2' on rank 0 ($host), '0.5' on rank 1 ($host)" 2 \
  -c "$cfg" --set data.file="$q" -- -c "$WORK/lr05.ini" --set data.file="$q"
mpmd epochs "the ranks disagree on \[train\] epochs: '2' on rank 0 ($host), '3' on rank 1 ($host)" 2 \
  -c "$cfg" --set data.file="$q" -- -c "$cfg" --set data.file="$q" --set train.epochs=3
mpmd batch "the ranks disagree on \[train\] batch: '16' on rank 0 ($host), '32' on rank 1 ($host)" 2 \
  -c "$cfg" --set data.file="$q" -- -c "$cfg" --set data.file="$q" --set train.batch=32
ok "a config value different on one rank: refused, naming the key, both values, ranks and hosts"

mpmd seed "the ranks disagree on the data file's order seed: '1' on rank 0 ($host), '2' on rank 1 ($host)" 2 \
  -c "$cfg" --set data.file="$q" -- -c "$cfg" --set data.file="$WORK/seed2.h5"
mpmd rows "the ranks disagree on the data file's training rows: '18000' on rank 0 ($host), '100' on rank 1 ($host)" 2 \
  -c "$cfg" --set data.file="$q" -- -c "$cfg" --set data.file="$TESTDATA/tiny.h5"
mpmd pixels "the ranks disagree on the data file's rows (a sample): 'sha256 [0-9a-f]*' on rank 0 ($host), 'sha256 [0-9a-f]*' on rank 1 ($host)" 2 \
  -c "$cfg" --set data.file="$q" -- -c "$cfg" --set data.file="$WORK/touched.h5"
ok "data copies that differ (order seed, rows, a pixel): refused, naming what differs"

mpmd missing "rank 1 ($host): $WORK/missing.ini: cannot open config: No such file or directory" 2 \
  -c "$cfg" --set data.file="$q" -- -c "$WORK/missing.ini" --set data.file="$q"
mpmd invalid "rank 0 ($host): $WORK/invalid.ini:2: unknown key 'learning_rate' in \[train\]" 2 \
  -c "$WORK/invalid.ini" --set data.file="$q" -- -c "$cfg" --set data.file="$q"
mpmd no-data "rank 1 ($host): $WORK/nowhere.h5: cannot open" 1 \
  -c "$cfg" --set data.file="$q" -- -c "$cfg" --set data.file="$WORK/nowhere.h5"
ok "a config missing or invalid on one rank, a data file missing on one: every rank ends, naming rank, host, cause"

if ! grep -qw avx2 /proc/cpuinfo; then
  echo "SKIP (part): this CPU runs the plain C kernels already: no other kernels to differ from"
else
  mpmd isa "the ranks disagree on the CPU kernels: '[a-z0-9]*' on rank 0 ($host), 'c' on rank 1 ($host)" 2 \
    -c "$cfg" --set data.file="$q" -- -x NNMPI_SIMD=c -c "$cfg" --set data.file="$q"
  ok "other CPU kernels on one rank: refused"
fi
