# nnmpi serve in a real browser: headless Chromium, driven by puppeteer-core
# (tests/browser/serve_page.mjs), draws a 7 and a 1 on the page's canvas
# with the mouse and checks the answers shown; opens the runs tab and
# checks the chart grows when an epoch is appended to metrics.csv. Leaves
# the screenshots docs/serve.png and docs/serve-runs.png show in
# $NNMPI_BUILD/serve.png and serve-runs.png (NNMPI_SCREENSHOT=docs/serve.png
# remakes the documentation's).
# Installs Debian's chromium when root and missing, and puppeteer-core
# from npm into $NNMPI_BUILD/browser (once); skips, saying why, without.
source "$NNMPI_SRC/tests/e2e_lib.sh"
need_mnist
[ -f "$TESTDATA/quick.h5" ] || skip "no $TESTDATA/quick.h5 (the data fixture makes it)"
PUPPETEER_VERSION=24.10.2   # node >= 18, as Debian 12's nodejs
chromium=$(command -v chromium || true)
if [ -z "$chromium" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }) \
    >"$WORK/apt.log" 2>&1 || { tail "$WORK/apt.log"; skip "cannot install chromium"; }
  chromium=$(command -v chromium || true)
fi
[ -n "$chromium" ] || skip "no chromium (apt-get install chromium)"
command -v node >/dev/null && command -v npm >/dev/null || skip "no node/npm (apt-get install npm)"
modules=$NNMPI_BUILD/browser
if [ ! -d "$modules/node_modules/puppeteer-core" ]; then
  mkdir -p "$modules"
  npm install --no-audit --no-fund --no-save --prefix "$modules" "puppeteer-core@$PUPPETEER_VERSION" \
    >"$WORK/npm.log" 2>&1 || { tail "$WORK/npm.log"; skip "cannot install puppeteer-core from npm"; }
fi

# a model trained on the MNIST subset, and a run directory to chart
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_np 2 train -c "$NNMPI_SRC/configs/quick.ini" \
  --set data.file="$TESTDATA/quick.h5" --set output.dir="$WORK/runs/quick" >"$WORK/train.log" 2>&1 \
  || { cat "$WORK/train.log"; fail "training the model"; }
"$NNMPI" serve -m "$WORK/runs/quick" -r "$WORK/runs" --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true; [ -n "${NNMPI_KEEP_TMP:-}" ] || rm -rf "$WORK"' EXIT
wait_log "$WORK/serve.out" "open http://" 30
url=$(sed -n 's|.*open \(http://[^ ]*/\) .*|\1|p' "$WORK/serve.out")

shot=${NNMPI_SCREENSHOT:-$NNMPI_BUILD/serve.png}
picture=$NNMPI_SRC/docs/own-digits/digit3_a.png
want=$("$NNMPI" query -m "$WORK/runs/quick/model.h5" --csv "$picture" | awk -F, 'NR == 2 { print $2 }')
# the script imports puppeteer-core from $modules: run a copy there
cp "$NNMPI_SRC/tests/browser/serve_page.mjs" "$modules/"
timeout -k 5 180 node "$modules/serve_page.mjs" "$url" "$chromium" "$shot" "$WORK/runs/quick/metrics.csv" \
  "$picture" "$want" \
  || { cat "$WORK/serve.err"; fail "the page in Chromium"; }
kill -TERM "$server"
status=0; wait "$server" || status=$?
[ "$status" = 0 ] || { cat "$WORK/serve.err"; fail "the server: exit $status"; }
if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$WORK/serve.err"; then
  cat "$WORK/serve.err"; fail "sanitizer report from the server"
fi
ok "the page in Chromium: a 7 and a 1 drawn and recognised, a file answered, the runs chart grows"
