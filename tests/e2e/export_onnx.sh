# nnmpi export to ONNX: the book's net and a deep ReLU net with biases and a
# softmax, each exported with scaled and with raw (--raw-input) inputs, run
# in a real ONNX runtime (npm's onnxruntime-node) on 1,000 MNIST test
# images: every score within 1e-5 of nnmpi's own forward pass (eval's:
# forward_dump); ONNX's own checker (Debian's python3-onnx) accepts every
# file and finds the stated opset; bad command lines and a file that is not
# an nnmpi model are refused in one line.
# onnxruntime-node is installed once into $NNMPI_BUILD/node-onnxruntime
# with `npm install --ignore-scripts` (its install script would fetch GPU
# libraries; the CPU runtime is inside the package); without npm or the
# registry the test is skipped, naming the reason.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
need_python "onnx, numpy" python3-onnx python3-numpy
ORT_VERSION=1.22.0

# onnxruntime-node into a cache shared by runs of this build
ort_dir=$NNMPI_BUILD/node-onnxruntime
ort_ready() { node -e "require('$ort_dir/node_modules/onnxruntime-node')" >/dev/null 2>&1; }
if ! ort_ready; then
  command -v node >/dev/null && command -v npm >/dev/null || skip "no node and npm to install onnxruntime-node"
  mkdir -p "$ort_dir"
  (cd "$ort_dir" && timeout 600 npm install --ignore-scripts --no-audit --no-fund --no-save \
     "onnxruntime-node@$ORT_VERSION") >"$WORK/npm.log" 2>&1 \
    || { tail -5 "$WORK/npm.log"; skip "npm install onnxruntime-node@$ORT_VERSION failed (no registry?)"; }
  ort_ready || skip "onnxruntime-node@$ORT_VERSION does not load here"
fi
export NODE_PATH=$ort_dir/node_modules

data=$TESTDATA/quick.h5
train_small_nets "$data"

for net in book deep; do
  model=$WORK/$net/model.h5
  "$TOOLS/forward_dump" "$model" "$data" 1000 "$WORK/$net.u8" "$WORK/$net.f32" || fail "forward_dump $net"
  for raw in 0 1; do
    onnx=$WORK/$net-$raw.onnx flag=()
    [ "$raw" = 1 ] && flag=(--raw-input)
    "$NNMPI" export -m "$model" -o "$onnx" "${flag[@]}" >"$WORK/export.log" || fail "export $net ${flag[*]}"
    "$PY" - "$onnx" "$raw" <<'PY' || fail "ONNX's checker refuses $onnx"
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
assert [(o.domain, o.version) for o in m.opset_import] == [("", 13)], m.opset_import
ops = [n.op_type for n in m.graph.node]
assert ops[:2] == (["Mul", "Add"] if sys.argv[2] == "1" else ["Gemm", ops[1]]), ops
assert [i.name for i in m.graph.input] == ["image"] and [o.name for o in m.graph.output] == ["scores"]
print("checker: ok,", " ".join(ops))
PY
    node "$NNMPI_SRC/tests/e2e/onnx_run.js" "$onnx" "$WORK/$net.u8" "$WORK/$net.f32" 1000 "$raw" 1e-5 \
      >"$WORK/run.log" 2>&1 || { cat "$WORK/run.log"; fail "onnxruntime's scores of $net (raw $raw) differ"; }
    ok "$net ${flag[*]:-(scaled input)}: $(cat "$WORK/run.log")"
  done
done
grep -q "Softmax" <("$PY" -c "import onnx; print([n.op_type for n in onnx.load('$WORK/deep-0.onnx').graph.node])") \
  || fail "the deep net's ONNX has no Softmax"

expect_fail 2 "ends in neither .onnx nor .npz" "$NNMPI" export -m "$WORK/book/model.h5" -o "$WORK/x.txt"
expect_fail 2 "raw-input is for .onnx" "$NNMPI" export -m "$WORK/book/model.h5" -o "$WORK/x.npz" --raw-input
expect_fail 2 "needs -m MODEL.h5" "$NNMPI" export -o "$WORK/x.onnx"
expect_fail 1 "$data" "$NNMPI" export -m "$data" -o "$WORK/x.onnx"
printf 'not a model' >"$WORK/text.h5"
expect_fail 1 "text.h5" "$NNMPI" export -m "$WORK/text.h5" -o "$WORK/x.onnx"
[ ! -e "$WORK/x.onnx" ] || fail "a refused export left $WORK/x.onnx"
