# A simulated 3-machine cluster: three network namespaces act as hosts
# (nnmpi1-3, 10.77.0.1-3 on a bridge in a fourth namespace, nothing added to
# the machine's own network), Open MPI talks TCP between them, and a small
# launcher agent stands in for ssh (mpirun --mca plm_rsh_agent). Through
# jobs/mpirun.sh with a hostfile:
# - 3 ranks on 3 hosts train the quick config in sync mode to the same
#   weights (h5diff -d 1e-5) as 3 ranks on one host;
# - a longer run loses one host (its link cut): the job must end within 30 s
#   with Open MPI's message and a non-zero exit status.
# Everything it starts it stops by PID, also on failure; the namespaces and
# their files are deleted (tests/netns_lib.sh: the namespaces, the agent,
# on_cluster). Needs root and iproute2 (installed if missing); skips (77)
# without root or when it cannot be installed, unless NNMPI_REQUIRE_ALL=1.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
# shellcheck source=tests/netns_lib.sh
source "$NNMPI_SRC/tests/netns_lib.sh"
netns_up
args=("$NNMPI_SRC/configs/quick.ini" --set "data.file=$TESTDATA/quick.h5")

# --- 3 hosts give what one host gives --------------------------------------
t0=$SECONDS
on_cluster "${args[@]}" --set "output.dir=$WORK/cluster" >"$WORK/cluster.log" 2>&1 \
  || { cat "$WORK/cluster.log"; fail "training on 3 hosts"; }
took=$((SECONDS - t0))
grep -q "^nnmpi train: 3 ranks" "$WORK/cluster.log" || { cat "$WORK/cluster.log"; fail "not 3 ranks"; }
grep -q -- "--mca oob_tcp_keepalive_time 5" "$WORK/cluster.log" || fail "mpirun.sh did not set the keepalive"
# (data-parallel like the 3 hosts, whose auto tensor_parallel is 1: one
# rank a host; on one host auto would slice the hidden units 3 ways)
NNMPI_MPIRUN_ARGS="" timeout -k 10 900 "$NNMPI_SRC/jobs/mpirun.sh" -np 3 "${args[@]}" \
  --set "output.dir=$WORK/onehost" --set train.tensor_parallel=1 >"$WORK/onehost.log" 2>&1 \
  || { cat "$WORK/onehost.log"; fail "training on one host"; }
for d in /net/w_ih /net/w_ho; do
  h5diff -d 1e-5 "$WORK/cluster/model.h5" "$WORK/onehost/model.h5" "$d" "$d" >"$WORK/diff" \
    || { head "$WORK/diff"; fail "$d differs between 3 hosts and one host"; }
done
[ "$(metric "$WORK/cluster/metrics.csv" test_accuracy)" = "$(metric "$WORK/onehost/metrics.csv" test_accuracy)" ] \
  || fail "test accuracy differs between 3 hosts and one host"
ok "3 ranks on 3 hosts ($took s) = 3 ranks on one host: same weights, $(metric "$WORK/cluster/metrics.csv" test_accuracy) test accuracy"

# --- a host is lost in the middle of a run ---------------------------------
start_on_cluster "$WORK/lost.log" "${args[@]}" --set "output.dir=$WORK/lost" --set train.epochs=500
for _ in $(seq 1200); do
  grep -q "^epoch 1/" "$WORK/lost.log" && break
  kill -0 "$job" 2>/dev/null || { cat "$WORK/lost.log"; fail "the long run ended early"; }
  sleep 0.5
done
grep -q "^epoch 1/" "$WORK/lost.log" || { cat "$WORK/lost.log"; fail "the long run did not get going"; }
ip -n nnmpi3 link set mpi0 down
cut=$(date +%s.%N)
# wait for it to end (not forever: the cleanup stops it if it hangs)
for _ in $(seq 240); do kill -0 "$job" 2>/dev/null || break; sleep 0.25; done
ended=$(date +%s.%N)
after=$(awk -v a="$cut" -v b="$ended" 'BEGIN{printf "%.1f", b - a}')
if kill -0 "$job" 2>/dev/null; then
  cat "$WORK/lost.log"; fail "still running ${after} s after the link of nnmpi3 was cut"
fi
status=0; wait "$job" || status=$?
job=""
awk -v t="$after" 'BEGIN{exit !(t <= 30)}' || { cat "$WORK/lost.log"; fail "ended ${after} s after the cut, more than 30 s"; }
[ "$status" -ne 0 ] || { cat "$WORK/lost.log"; fail "exit status 0 after losing a host"; }
grep -qiE "lost communication|lost connection|unable to reach|daemon.*(died|lost|fail)|process was killed|terminated" "$WORK/lost.log" \
  || { cat "$WORK/lost.log"; fail "no message saying what happened"; }
ok "link of nnmpi3 cut: the job ended ${after} s later, exit status $status"
echo "its message:"; grep -iE -A3 "lost communication|lost connection|unable to reach" "$WORK/lost.log" | head -n 8
