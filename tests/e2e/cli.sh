# The command line: help texts, unknown commands and options, exit statuses.
source "$NNMPI_SRC/tests/e2e_lib.sh"

# (output to a file first: grep -q stops reading early, and under pipefail
# the writer's SIGPIPE would fail the pipeline)
"$NNMPI" --help >"$WORK/help" && grep -q "prepare" "$WORK/help" || fail "nnmpi --help lists no commands"
for cmd in prepare train augment-preview eval info; do
  "$NNMPI" "$cmd" --help >"$WORK/help" || fail "nnmpi $cmd --help exits non-zero"
  grep -q "usage: .*nnmpi $cmd" "$WORK/help" || fail "nnmpi $cmd --help has no usage line"
done
"$NNMPI" train --help >"$WORK/help" && grep -q "sync_every" "$WORK/help" || fail "train --help does not list the config keys"
ok "help texts"

expect_fail 2 "unknown command 'bogus'" "$NNMPI" bogus
expect_fail 2 "no output file" "$NNMPI" prepare --mnist "$WORK"
expect_fail 2 "give one input: --mnist DIR, --idx DIR" "$NNMPI" prepare -o "$WORK/x.h5"
expect_fail 2 "unknown or incomplete option '--frobnicate'" "$NNMPI" prepare --frobnicate
expect_fail 2 "needs -m MODEL.h5 -d DATA.h5" "$NNMPI" eval -m x.h5
expect_fail 2 "rotations" "$NNMPI" prepare --mnist "$WORK" --rotations 10,abc -o "$WORK/x.h5"
expect_fail 2 "train.lr=0.05" "$NNMPI" train --set lr=0.1
expect_fail 2 "\[data\] file is not set" "$NNMPI" train

# --print-config shows the resolved values, overrides included
"$NNMPI" train --set data.file=x.h5 --set train.lr=0.25 --print-config >"$WORK/cfg"
grep -qx "lr = 0.25" "$WORK/cfg" || fail "--set train.lr=0.25 not in --print-config"
grep -qx "dir = runs/default" "$WORK/cfg" || fail "default run directory is not runs/default"
ok "print-config"

# every shipped configuration is valid for the ranks it names
for c in "$NNMPI_SRC"/configs/*.ini; do
  ranks=$(sed -n 's/^;.*mpirun -np \([0-9]*\) .*/\1/p' "$c" | head -1)
  "$NNMPI" train -c "$c" --print-config --ranks "${ranks:-1}" >"$WORK/cfg" 2>&1 \
    || { cat "$WORK/cfg"; fail "$(basename "$c") is not a valid configuration"; }
done
ok "shipped configurations are valid"
