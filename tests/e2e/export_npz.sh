# nnmpi export to .npz and nnmpi import: numpy.load reads every array of the
# book's net and of a deep net with biases, with the documented names,
# shapes and dtype, and meta.json; NumPy's forward pass over the arrays
# gives nnmpi's scores; importing an exported .npz gives the same eval
# accuracy; arrays NumPy writes itself in the book's layout (float64 as the
# book's class holds them, savez_compressed, Fortran order, a fresh
# 784-50-10 net) import, and query, backquery, eval and info work on them;
# bad archives are refused in one line naming the fault.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
need_python numpy python3-numpy
data=$TESTDATA/quick.h5

train_small_nets "$data"
accuracy() { "$NNMPI" eval -m "$1" -d "$data" | awk '/^accuracy/{print $2}'; }

# ---- export: numpy.load, and NumPy's own forward pass
for net in book deep; do
  "$NNMPI" export -m "$WORK/$net/model.h5" -o "$WORK/$net.npz" >/dev/null || fail "export $net"
  "$TOOLS/forward_dump" "$WORK/$net/model.h5" "$data" 1000 "$WORK/$net.u8" "$WORK/$net.f32"
  "$PY" - "$WORK/$net.npz" "$WORK/$net.u8" "$WORK/$net.f32" "$net" <<'PY' || fail "numpy on $net.npz"
import json, sys
import numpy as np
z = np.load(sys.argv[1])
meta = json.loads(z["meta.json"])
book = sys.argv[4] == "book"
want = {"wih": (100, 784), "who": (10, 100)} if book else \
       {"w1": (32, 784), "b1": (32,), "w2": (16, 32), "b2": (16,), "w3": (10, 16), "b3": (10,)}
arrays = {k: z[k] for k in z.files if k != "meta.json"}
assert {k: a.shape for k, a in arrays.items()} == want, arrays.keys()
assert all(a.dtype == np.float32 for a in arrays.values())
assert meta["format"] == "nnmpi-npz" and meta["arrays"] == list(want)
assert meta["layers"] == ([784, 100, 10] if book else [784, 32, 16, 10]), meta
assert meta["classes"] == [str(d) for d in range(10)]
x = np.fromfile(sys.argv[2], np.uint8).reshape(1000, 784) / 255.0 * 0.99 + 0.01
sigmoid = lambda v: 1 / (1 + np.exp(-v))
if book:
    out = sigmoid(z["who"] @ sigmoid(z["wih"] @ x.T)).T
else:
    h = np.maximum(x @ z["w1"].T + z["b1"], 0)
    h = np.maximum(h @ z["w2"].T + z["b2"], 0)
    v = h @ z["w3"].T + z["b3"]
    out = np.exp(v - v.max(1, keepdims=True)); out /= out.sum(1, keepdims=True)
diff = np.abs(out - np.fromfile(sys.argv[3], np.float32).reshape(1000, 10)).max()
assert diff < 1e-5, diff
print(f"{len(arrays)} arrays {list(want)}, NumPy's scores within {diff:.1e}")
PY
  ok "$net.npz in numpy"
done

# ---- import: an exported .npz, and NumPy's own in the book's layout
"$NNMPI" import --npz "$WORK/book.npz" -o "$WORK/back.h5" >/dev/null || fail "import book.npz"
a=$(accuracy "$WORK/book/model.h5"); b=$(accuracy "$WORK/back.h5")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "eval accuracy $a of the model, $b after export and import"
ok "export and import: eval accuracy $a both"
"$PY" - "$WORK" <<'PY' || fail "writing .npz files with numpy"
import sys
import numpy as np
w, z = sys.argv[1], np.load(sys.argv[1] + "/book.npz")
wih, who = z["wih"].astype(np.float64), z["who"].astype(np.float64)
np.savez(w + "/f64.npz", wih=wih, who=who)   # as the book's class holds them
np.savez_compressed(w + "/compressed.npz", wih=wih, who=who)
np.savez(w + "/fortran.npz", wih=np.asfortranarray(wih), who=np.asfortranarray(who))
rng = np.random.default_rng(1)                # the book's initialisation
np.savez(w + "/fresh.npz", wih=rng.normal(0.0, 784 ** -0.5, (50, 784)),
         who=rng.normal(0.0, 50 ** -0.5, (10, 50)))
# bad ones
np.savez(w + "/no_who.npz", wih=wih)
np.savez(w + "/bad_shape.npz", wih=wih, who=who[:, :99])
np.savez(w + "/vector.npz", wih=wih[0], who=who)
np.savez(w + "/int.npz", wih=wih.astype(np.int64), who=who)
np.savez(w + "/nan.npz", wih=np.where(wih > 0.1, np.nan, wih), who=who)
np.savez(w + "/three_d.npz", wih=wih.reshape(100, 28, 28), who=who)
PY
for f in f64 compressed fortran; do
  "$NNMPI" import --npz "$WORK/$f.npz" -o "$WORK/$f.h5" >/dev/null || fail "import $f.npz"
  c=$(accuracy "$WORK/$f.h5")
  [ "$c" = "$a" ] || fail "$f.npz: eval accuracy $c, the model's $a"
done
ok "NumPy's float64, compressed and Fortran-order arrays import: eval accuracy $a each"
"$NNMPI" import --npz "$WORK/fresh.npz" -o "$WORK/fresh.h5" | grep -q "784-50-10 sigmoid" || fail "import fresh.npz"
"$NNMPI" info "$WORK/fresh.h5" >"$WORK/info" || fail "info on an imported model"
grep -q "784-50-10" "$WORK/info" || { cat "$WORK/info"; fail "info shows no 784-50-10 net"; }
"$NNMPI" eval -m "$WORK/fresh.h5" -d "$data" | grep -q "^accuracy 0\." || fail "eval on an imported model"
mkdir -p "$WORK/pics"
"$TOOLS/make_pngs" idx "$MNIST/t10k-images-idx3-ubyte" "$MNIST/t10k-labels-idx1-ubyte" "$WORK/pics" 5
"$NNMPI" query -m "$WORK/f64.h5" "$WORK/pics" >"$WORK/query" || fail "query on an imported model"
"$NNMPI" backquery -m "$WORK/f64.h5" -o "$WORK/bq" >/dev/null || fail "backquery on an imported model"
[ -f "$WORK/bq/backquery_all.png" ] || fail "backquery wrote no backquery_all.png"
ok "a fresh NumPy net imports; info, eval, query and backquery work on imported models"

# ---- bad input: one line naming the fault, exit 1, no model written
expect_fail 1 "no array 'who' (it holds wih" "$NNMPI" import --npz "$WORK/no_who.npz" -o "$WORK/x.h5"
expect_fail 1 "no array 'wih' (it holds w1, b1, w2" "$NNMPI" import --npz "$WORK/deep.npz" -o "$WORK/x.h5"
expect_fail 1 "who needs 100 columns" "$NNMPI" import --npz "$WORK/bad_shape.npz" -o "$WORK/x.h5"
expect_fail 1 "wih is \[784\], not a matrix" "$NNMPI" import --npz "$WORK/vector.npz" -o "$WORK/x.h5"
expect_fail 1 "wih.npy: dtype '<i8' is not float32 or float64" "$NNMPI" import --npz "$WORK/int.npz" -o "$WORK/x.h5"
expect_fail 1 "more than 2 dimensions" "$NNMPI" import --npz "$WORK/three_d.npz" -o "$WORK/x.h5"
expect_fail 1 "not finite" "$NNMPI" import --npz "$WORK/nan.npz" -o "$WORK/x.h5"
head -c 3000 "$WORK/f64.npz" >"$WORK/cut.npz"
expect_fail 1 "cut.npz: not a readable .npz archive" "$NNMPI" import --npz "$WORK/cut.npz" -o "$WORK/x.h5"
cp "$WORK/f64.npz" "$WORK/flipped.npz"   # values damaged inside the archive: the CRC says so
printf 'XXXXXXXX' | dd of="$WORK/flipped.npz" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_fail 1 "flipped.npz" "$NNMPI" import --npz "$WORK/flipped.npz" -o "$WORK/x.h5"
expect_fail 1 "model.h5: not a readable .npz archive" "$NNMPI" import --npz "$WORK/book/model.h5" -o "$WORK/x.h5"
expect_fail 1 "cannot open $WORK/none.npz" "$NNMPI" import --npz "$WORK/none.npz" -o "$WORK/x.h5"
expect_fail 2 "needs --npz FILE.npz" "$NNMPI" import -o "$WORK/x.h5"
[ ! -e "$WORK/x.h5" ] || fail "a refused import left $WORK/x.h5"
