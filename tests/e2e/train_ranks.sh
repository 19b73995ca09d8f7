# Training on 1, 2 and 4 ranks of real (quick) MNIST: the run directory's
# files, the progress lines, where a step's time goes, and an accuracy that
# shows it learned.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
cfg=$NNMPI_SRC/configs/quick.ini
for np in 1 2 4; do
  dir=$WORK/np$np
  run_np "$np" train -c "$cfg" --set data.file="$TESTDATA/quick.h5" --set output.dir="$dir" \
    >"$WORK/log$np" 2>&1 || { cat "$WORK/log$np"; fail "training on $np ranks failed"; }
  [ -f "$dir/model.h5" ] || fail "no model.h5 after $np ranks"
  [ -f "$dir/config.ini" ] || fail "no config.ini after $np ranks"
  head -1 "$dir/metrics.csv" | grep -q "^epoch,train_loss,train_accuracy,test_accuracy,lr,samples_per_s,wall_s" \
    || fail "metrics.csv header"
  [ "$(wc -l <"$dir/metrics.csv")" -eq 4 ] || fail "metrics.csv should have 3 epoch rows"
  [ "$(grep -c '^epoch [123]/3 ' "$WORK/log$np")" -eq 3 ] || fail "not one progress line per epoch"
  grep -q "^lr = 2$" "$WORK/log$np" || fail "resolved configuration not printed"
  # where a step's time goes: on several ranks compute and reduction apart
  if [ "$np" = 1 ]; then
    grep -qE "^time per step: [0-9]+ us \([0-9]+ of them\)$" "$WORK/log$np" || fail "step time, 1 rank"
  else
    grep -qE "^time per step: compute [0-9]+ us \(the slowest rank [0-9]+ us\), reduction [0-9]+ us .*: [0-9]+% of the time" \
      "$WORK/log$np" || fail "step time on $np ranks"
  fi
  # OpenBLAS's kernels as wide as the CPU's vectors, whatever it detected
  if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512bw /proc/cpuinfo; then
    grep -qE "^BLAS: OpenBLAS (SkylakeX|CooperLake|SapphireRapids)," "$WORK/log$np" \
      || fail "not OpenBLAS's AVX-512 kernels: $(grep '^BLAS:' "$WORK/log$np")"
  fi
  [ "$(metric "$dir/metrics.csv" ranks)" -eq "$np" ] || fail "ranks column"
  at_least "$(metric "$dir/metrics.csv" test_accuracy)" 0.90 "test accuracy on $np ranks"
  "$NNMPI" eval -m "$dir/model.h5" -d "$TESTDATA/quick.h5" >"$WORK/eval"
  tail -1 "$WORK/eval" | grep -qE "^accuracy 0\.[0-9]{4}$" || fail "eval's last line"
  # eval on the same test set agrees with what training logged
  [ "$(tail -1 "$WORK/eval" | cut -d' ' -f2)" = "$(metric "$dir/metrics.csv" test_accuracy)" ] \
    || fail "eval and metrics.csv disagree"
  "$NNMPI" info "$dir/model.h5" | grep "784-100-10" >/dev/null || fail "info of the model"
done
ok "1, 2 and 4 ranks"
