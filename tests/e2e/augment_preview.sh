# nnmpi augment-preview end to end, on a small generated set (no download):
# the PNG is as large as it says and holds the original and one tile per
# epoch, the "as is" tiles equal to the original and every distorted tile
# different from it and from the others; the same command gives the same
# bytes, another seed another picture; and the refusals (no distortion
# configured, probability 0, a row the file lacks, a missing data file, bad
# options and values), each one line naming the culprit.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_python "PIL, numpy" python3-pil python3-numpy

mkdir -p "$WORK/idx"
"$TOOLS/make_testdata" idx "$WORK/idx" 300 50 3
"$NNMPI" prepare --mnist "$WORK/idx" --rotations '' -o "$WORK/data.h5" -q
cfg=$WORK/augment.ini
cat >"$cfg" <<EOF
[data]
file = $WORK/data.h5
[augment]
rotate = 10
shift = 2
elastic_alpha = 34
scale = 15
shear = 15
stroke = 0.5
probability = 0.75
EOF

"$NNMPI" augment-preview -c "$cfg" --row 7 --count 20 -o "$WORK/p.png" >"$WORK/log" \
  || { cat "$WORK/log"; fail "augment-preview"; }
cat "$WORK/log"
line=$(grep "^wrote $WORK/p.png (" "$WORK/log") || fail "no 'wrote' line"
said=$(sed -E 's/^wrote [^ ]+ \(([0-9]+) x ([0-9]+)\).*/\1x\2/' <<<"$line")
as_is=$(sed -E 's/.*: ([0-9]+) distorted, ([0-9]+) as is$/\2/' <<<"$line")
grep -q "training row 7 of $WORK/data.h5 (class [0-9]) as stored, then epochs 1..20 of seed 1" \
  <<<"$line" || fail "the line does not say what was drawn"

# the tiles: 84 x 84 (28 x 28 enlarged 3 times) inside a grey (160) frame;
# prints the picture's size, the tiles, those equal to the first and the
# distinct ones among the others
"$PY" - "$WORK/p.png" >"$WORK/tiles" <<'EOF'
import sys
import numpy
from PIL import Image
img = Image.open(sys.argv[1])
a = numpy.asarray(img.convert("L")).astype(int)
side = 86
frame = a == 160
h, w = frame.shape[0] - side + 1, frame.shape[1] - side + 1
corners = frame[:h, :w] & frame[side - 1:, :w] & frame[:h, side - 1:] & frame[side - 1:, side - 1:]
tiles = []
for y, x in numpy.argwhere(corners):  # row by row: the original first
    if (frame[y, x:x + side].all() and frame[y + side - 1, x:x + side].all()
            and frame[y:y + side, x].all() and frame[y:y + side, x + side - 1].all()):
        tiles.append(a[y + 1:y + side - 1, x + 1:x + side - 1])
first = tiles[0]
same = sum(1 for t in tiles[1:] if (t == first).all())
distinct = len({t.tobytes() for t in tiles[1:] if not (t == first).all()})
print("%dx%d" % img.size, len(tiles), same, distinct)
EOF
read -r size n same distinct <"$WORK/tiles"
[ "$size" = "$said" ] || fail "the PNG is $size, the command said $said"
[ "$n" = 21 ] || fail "$n tiles, expected the original and 20 epochs"
[ "$same" = "$as_is" ] || fail "$same tiles equal the original, the command said $as_is as is"
[ "$distinct" = $((20 - as_is)) ] || fail "only $distinct different distorted tiles of $((20 - as_is))"
[ "$as_is" -lt 12 ] || fail "$as_is of 20 as is at probability 0.75"
ok "$size: the original and 20 epochs, $as_is as is, $distinct distinct distortions"

# the same command, the same picture; another seed, another
"$NNMPI" augment-preview -c "$cfg" --row 7 --count 20 -o "$WORK/again.png" >/dev/null
cmp -s "$WORK/p.png" "$WORK/again.png" || fail "the same command drew another picture"
"$NNMPI" augment-preview -c "$cfg" --set train.seed=2 --row 7 --count 20 -o "$WORK/seed2.png" >/dev/null
! cmp -s "$WORK/p.png" "$WORK/seed2.png" || fail "another seed drew the same picture"
ok "reproducible; the seed's"

# the defaults: row 0, 64 epochs
"$NNMPI" augment-preview -c "$cfg" -o "$WORK/default.png" | grep -q "training row 0 .* epochs 1..64 " \
  || fail "defaults: row 0, 64 epochs"
ok "defaults: row 0, 64 epochs"

# refusals: one line each, naming what is wrong
p=(augment-preview -o "$WORK/x.png")
expect_fail 2 "sets no \[augment\] distortion: rotate, shift, scale, shear, stroke and elastic_alpha are all 0" \
  "$NNMPI" "${p[@]}" --set data.file="$WORK/data.h5"
expect_fail 2 "\[augment\] probability is 0" "$NNMPI" "${p[@]}" -c "$cfg" --set augment.probability=0
expect_fail 2 "\[data\] file is not set" "$NNMPI" "${p[@]}" --set augment.rotate=10
expect_fail 2 "--row 300: $WORK/data.h5 has 300 training rows (0..299)" "$NNMPI" "${p[@]}" -c "$cfg" --row 300
expect_fail 2 "--row '-1': expected a whole number, 0 or more" "$NNMPI" "${p[@]}" -c "$cfg" --row -1
expect_fail 2 "--count '0': expected a whole number from 1 to 256" "$NNMPI" "${p[@]}" -c "$cfg" --count 0
expect_fail 2 "\[augment\] shear = '50': expected a number from 0 to 45" \
  "$NNMPI" "${p[@]}" -c "$cfg" --set augment.shear=50
expect_fail 2 "needs -c CONFIG.ini -o FILE.png" "$NNMPI" augment-preview -c "$cfg"
expect_fail 2 "unknown or incomplete option '--rows'" "$NNMPI" "${p[@]}" -c "$cfg" --rows 3
expect_fail 1 "$WORK/missing.h5" "$NNMPI" "${p[@]}" -c "$cfg" --set data.file="$WORK/missing.h5"
expect_fail 1 "$WORK/no/such/dir/x.png" "$NNMPI" augment-preview -c "$cfg" -o "$WORK/no/such/dir/x.png"
[ ! -e "$WORK/x.png" ] || fail "a refused preview wrote a picture"
"$NNMPI" augment-preview --help | grep -q "E: as is" || fail "--help"
ok "refusals and --help"
