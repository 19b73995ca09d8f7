# nnmpi serve end to end, over HTTP with curl: every endpoint; every error
# status (400, 403, 404, 405, 413) with its message; path-escape attempts;
# 200 parallel queries answered exactly as `nnmpi query` answers the same
# pictures, with the server's memory flat over a second 200; clients that
# hang up mid-request or send garbage; a run's metrics.csv read anew as it
# grows; SIGTERM and SIGINT stop it cleanly (exit 0, and no leak under ASan).
source "$NNMPI_SRC/tests/e2e_lib.sh"
command -v curl >/dev/null || skip "no curl (jobs/install-deps.sh installs it)"

# ---- a small model, on the MNIST subset if the fixture made one
if [ -f "$TESTDATA/quick.h5" ] && [ -f "$MNIST/t10k-images-idx3-ubyte" ]; then
  data=$TESTDATA/quick.h5 digits=$MNIST
else
  mkdir -p "$WORK/idx"
  "$TOOLS/make_testdata" idx "$WORK/idx" 2000 200 5
  "$NNMPI" prepare --mnist "$WORK/idx" --rotations '' -o "$WORK/data.h5" -q
  data=$WORK/data.h5 digits=$WORK/idx
fi
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_np 2 train --set data.file="$data" \
  --set output.dir="$WORK/runs/small" --set net.hidden=50 --set train.mode=local \
  --set train.sync_every=500 --set train.epochs=2 >"$WORK/train.log" \
  || { cat "$WORK/train.log"; fail "training the test model"; }
mkdir -p "$WORK/pics"
"$TOOLS/make_pngs" idx "$digits/t10k-images-idx3-ubyte" "$digits/t10k-labels-idx1-ubyte" "$WORK/pics" 20
"$NNMPI" query -m "$WORK/runs/small/model.h5" --csv "$WORK/pics" >"$WORK/cli.csv"
ok "model and 20 pictures; nnmpi query answered them"

# ---- start: port 0 takes a free port, the URL is printed
SERVER_PID=
stop_server() { [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true; }
trap 'stop_server; [ -n "${NNMPI_KEEP_TMP:-}" ] || rm -rf "$WORK"' EXIT
start_server() {  # start_server ARGS...: sets SERVER_PID and URL
  rm -f "$WORK/serve.out" "$WORK/serve.err"   # not the last server's words
  "$NNMPI" serve "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SERVER_PID=$!
  wait_log "$WORK/serve.out" "open http://" 30
  URL=$(sed -n 's|.*open \(http://[^ ]*\)/ .*|\1|p' "$WORK/serve.out" | sed 's|THIS-HOST|127.0.0.1|')
}
mkdir -p "$WORK/outside"
ln -s "$WORK/outside" "$WORK/runs/escape"          # a symbolic link out of the runs folder
cp "$WORK/runs/small/metrics.csv" "$WORK/outside/metrics.csv"
start_server -m "$WORK/runs/small" -m "$WORK/runs/small/model.h5" -r "$WORK/runs" --listen 127.0.0.1:0
ok "serving at $URL"

# get PATH [CURL ARGS...]: the body into $WORK/body, the status echoed
get() { local p=$1; shift; curl -s -o "$WORK/body" -w '%{http_code}' "$@" "$URL$p"; }
# expect STATUS PATTERN PATH [CURL ARGS...]
expect() {
  local want=$1 pattern=$2 p=$3; shift 3
  local got; got=$(get "$p" "$@")
  [ "$got" = "$want" ] || { cat "$WORK/body"; fail "$p: HTTP $got, expected $want"; }
  grep -qE -- "$pattern" "$WORK/body" || { cat "$WORK/body"; fail "$p: no '$pattern' in the answer"; }
}
# field JSON-FILE EXPR: a value of the JSON body, through python3
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# ---- the page, compiled in
expect 200 "<canvas id=\"pad\"" /
expect 200 "api/query" /app.js
expect 200 "#pad" /style.css
curl -sI "$URL/" | grep -qi "^content-security-policy: default-src 'self'" || fail "no CSP on the page"
ok "the page: index.html, app.js, style.css, with a Content-Security-Policy"

# ---- models, query, back-query
expect 200 '"name":"small".*"name":"small-2"' /api/models
[ "$(field "$WORK/body" 'd["models"][0]["hidden"]')" = 50 ] || fail "the model's hidden size"
pic=$(ls "$WORK"/pics/00000-*.png)
expect 200 '"digit":' /api/query -X POST --data-binary @"$pic" -H "Content-Type: image/png"
want=$(awk -F, 'NR == 2 { print $2 }' "$WORK/cli.csv")
[ "$(field "$WORK/body" 'd["digit"]')" = "$want" ] || fail "the server's answer is not nnmpi query's ($want)"
[ "$(field "$WORK/body" 'len(d["outputs"]), len(d["seen"]["pixels"]), max(d["seen"]["pixels"])')" = "10 784 255" ] \
  || fail "ten outputs and a 28x28 with its strongest pixel 255"
expect 200 '"model":"small-2"' "/api/query?model=small-2" -X POST --data-binary @"$pic"
ok "query: the digit nnmpi query gives ($want), ten outputs, the 28x28 seen"

expect 200 '"pixels":' "/api/backquery?model=small&digit=3"
[ "$(field "$WORK/body" 'len(d["pixels"]), d["target"].index(max(d["target"]))')" = "784 3" ] || fail "back-query of 3"
expect 200 '"pixels":' "/api/backquery?target=0.01,0.01,0.01,0.5,0.01,0.01,0.01,0.01,0.5,0.01"
ok "backquery: digit=3 and a target vector"

# ---- runs: the symbolic link out of the folder is not a run
expect 200 '"name":"small","epochs":2' /api/runs
grep -q escape "$WORK/body" && fail "a symbolic link out of the runs folder was listed"
expect 200 '"columns":\["epoch",.*"rows":\[\[1,' /api/runs/small/metrics
[ "$(field "$WORK/body" 'len(d["metrics"]["rows"])')" = 2 ] || fail "2 epochs in the metrics"
# a run starting later appears; its metrics grow as epochs are written
mkdir -p "$WORK/runs/later"
echo "[train]" >"$WORK/runs/later/config.ini"
expect 200 '"name":"later","epochs":0' /api/runs
expect 200 '"rows":\[\]' /api/runs/later/metrics
head -2 "$WORK/runs/small/metrics.csv" >"$WORK/runs/later/metrics.csv"
expect 200 '"rows":\[\[1,' /api/runs/later/metrics
head -3 "$WORK/runs/small/metrics.csv" >"$WORK/runs/later/metrics.csv"
[ "$(get /api/runs/later/metrics)" = 200 ] && [ "$(field "$WORK/body" 'len(d["metrics"]["rows"])')" = 2 ] \
  || fail "metrics.csv not read anew"
# a link to a file outside the runs (never to a system file: a test that
# later wrote through such a link would overwrite it)
echo "secret" >"$WORK/outside-secret.csv"
ln -sf "$WORK/outside-secret.csv" "$WORK/runs/later/metrics.csv"
expect 500 "symbolic link" /api/runs/later/metrics
ok "runs: listed, metrics as JSON read anew as they grow, a run started later found"

# ---- errors: each a status and a JSON message, never a crash
head -c 100 "$pic" >"$WORK/truncated.png"
"$TOOLS/make_pngs" blank "$WORK/blank.png" 50 40
# a PNG header claiming 100000 x 100000 pixels (refused before allocating)
python3 - "$WORK/huge.png" <<'PY'
import struct, sys, zlib
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100)))
PY
expect 404 "no such API endpoint" /api/nothing
expect 404 "no such page" /nothing.html
expect 405 "method not allowed" /api/query
expect 405 "method not allowed" /api/models -X POST
expect 405 "method not allowed" /api/runs -X DELETE
expect 400 "empty" /api/query -X POST
expect 400 "not a PNG" /api/query -X POST --data-binary "hello"
expect 400 "truncated" /api/query -X POST --data-binary @"$WORK/truncated.png"
expect 400 "no ink found" /api/query -X POST --data-binary @"$WORK/blank.png"
expect 400 "nnmpi reads at most" /api/query -X POST --data-binary @"$WORK/huge.png"
expect 404 "no model named 'nope'" "/api/query?model=nope" -X POST --data-binary @"$pic"
expect 400 "unknown or repeated argument 'colour'" "/api/query?colour=red" -X POST --data-binary @"$pic"
expect 400 "unknown or repeated argument 'model'" "/api/query?model=small&model=small" -X POST --data-binary @"$pic"
expect 400 "more than 8 arguments" "/api/models?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9"
expect 400 "digit must be" "/api/backquery?digit=10"
expect 400 "digit must be" "/api/backquery?digit=3x"
expect 400 "one of them" "/api/backquery"
expect 400 "one of them" "/api/backquery?digit=1&target=0.5"
expect 400 "strictly between 0 and 1" "/api/backquery?target=0.5,0.5"
expect 400 "strictly between 0 and 1" "/api/backquery?target=0,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1"
expect 400 "strictly between 0 and 1" "/api/backquery?target=nan,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1"
expect 400 "too long" "/api/backquery?target=$(printf '0.1%.0s' {1..400})"
expect 400 "take no arguments" "/?x=1"
expect 403 "localhost only" /api/models -H "Host: attacker.example:80"
expect 200 '"models"' /api/models -H "Host: localhost:9999"   # through ssh -L from another port
ok "4xx answers: unknown paths, methods, bad PNGs, bad arguments, foreign Host"

# ---- no path from a request is opened
for p in "/api/runs/../metrics" "/api/runs/%2e%2e/metrics" "/api/runs/..%2F..%2Fetc/metrics" \
  "/api/runs/%2Fetc/metrics" "/api/runs/escape/metrics" "/api/runs/small%2F..%2Fsmall/metrics"; do
  st=$(get "$p" --path-as-is)
  [ "$st" = 404 ] || { cat "$WORK/body"; fail "$p: HTTP $st, expected 404"; }
done
for m in ../../etc/passwd /etc/passwd "$WORK/runs/small/model.h5" small/../small; do
  st=$(get "/api/backquery?digit=1&model=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$m")")
  [ "$st" = 404 ] || { cat "$WORK/body"; fail "model=$m: HTTP $st, expected 404"; }
done
for p in "/../../../../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/web/index.html" "/..%2f..%2fetc%2fpasswd"; do
  st=$(get "$p" --path-as-is)
  [ "$st" = 404 ] || { cat "$WORK/body"; fail "$p: HTTP $st, expected 404"; }
done
ok "path escapes (../, %2e%2e, absolute paths, a symbolic link out): all 404"

# ---- bodies over 4 MiB: 413, declared or not
head -c $((4 * 1024 * 1024 + 1)) /dev/zero >"$WORK/big.bin"
expect 413 "over 4 MiB" /api/query -X POST --data-binary @"$WORK/big.bin"
expect 413 "over 4 MiB" /api/query -X POST -H "Transfer-Encoding: chunked" --data-binary @"$WORK/big.bin"
# (a length past 64 bits: libmicrohttpd answers 413 itself, before us)
expect 413 "." /api/query -X POST -H "Content-Length: 99999999999999999999" --data-binary "x"
ok "413 for a body over 4 MiB (by Content-Length, chunked, absurd length)"

# ---- clients that hang up mid-request or send garbage
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }
port=${URL##*:}
# (each in a subshell: the server closing first raises SIGPIPE in the writer)
send() { (cat >/dev/tcp/127.0.0.1/"$port") 2>/dev/null || true; }
for i in 1 2 3 4 5; do
  # a body promised and never sent, then the connection dropped
  printf 'POST /api/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n%s' \
    "$(head -c 100 "$pic" | base64)" | send
  head -c 3000 /dev/urandom | send
  printf 'GET /api/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: %s\r\n\r\n' \
    "$(head -c 100000 /dev/zero | tr '\0' a)" | send
done
timeout 5 curl -s -o /dev/null -X POST -H "Content-Length: 100000" --data-binary @"$pic" --max-time 1 "$URL/api/query" || true
expect 200 '"models"' /api/models
kill -0 "$SERVER_PID" || fail "the server died"
ok "hung-up clients, random bytes and a 100 kB header: still serving"

# ---- 200 queries at once, each answered as nnmpi query answers its picture
ask_all() {  # ask_all DIR: 200 queries (10 per picture), answers into DIR
  mkdir -p "$1"
  local start; start=$(date +%s.%N)
  for k in $(seq 0 9); do ls "$WORK"/pics/*.png | sed "s|\$| $k|"; done |
    xargs -P 200 -n 2 sh -c 'curl -s -X POST --data-binary @"$0" "'"$URL"'/api/query" >"'"$1"'/$(basename "$0").$1"'
  awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", 200 / (e - s) }'
}
rss0=$(rss)
qps=$(ask_all "$WORK/answers1")
rss1=$(rss)
python3 - "$WORK/cli.csv" "$WORK/answers1" <<'PY' || fail "a parallel answer differs from nnmpi query's"
import csv, json, os, sys
want = {os.path.basename(r["file"]): (int(r["digit"]), float(r["confidence"])) for r in csv.DictReader(open(sys.argv[1]))}
answers = os.listdir(sys.argv[2])
assert len(answers) == 200, f"{len(answers)} answers"
for name in answers:
    d = json.load(open(os.path.join(sys.argv[2], name)))
    digit, conf = want[name.rsplit(".", 1)[0]]
    assert d["digit"] == digit and abs(d["confidence"] - conf) < 6e-5, (name, d["digit"], digit)
PY
qps2=$(ask_all "$WORK/answers2")
rss2=$(rss)
echo "200 parallel queries: $qps/s, then $qps2/s; server RSS ${rss0} kB -> ${rss1} kB -> ${rss2} kB"
# (under ASan freed memory waits in its quarantine, up to 256 MB, so RSS
# says nothing there; LeakSanitizer checks at the server's exit instead)
if ! sanitized; then
  [ $((rss2 - rss1)) -lt 20000 ] || fail "the server grew by $((rss2 - rss1)) kB over the second 200 queries"
fi
ok "200 parallel queries answered as nnmpi query does ($qps/s); memory flat over another 200"

# ---- stopping: SIGTERM, and SIGINT on a server listening beyond loopback
kill -TERM "$SERVER_PID"
status=0; wait "$SERVER_PID" || status=$?; SERVER_PID=
[ "$status" = 0 ] || { cat "$WORK/serve.err"; fail "SIGTERM: exit $status"; }
grep -q "stopping (SIGTERM)" "$WORK/serve.out" || fail "no word on stopping"
if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$WORK/serve.err"; then
  cat "$WORK/serve.err"; fail "sanitizer report from the server"
fi
start_server -r "$WORK/runs" --listen 0.0.0.0:0
grep -q "warning: listening on 0.0.0.0: the page has no password" "$WORK/serve.err" || fail "no warning for 0.0.0.0"
expect 404 "without models" /api/query -X POST --data-binary @"$pic" -H "Host: some.host"
kill -INT "$SERVER_PID"
status=0; wait "$SERVER_PID" || status=$?; SERVER_PID=
[ "$status" = 0 ] || { cat "$WORK/serve.err"; fail "SIGINT: exit $status"; }
ok "SIGTERM and SIGINT stop it with exit 0; 0.0.0.0 warned about"

# ---- bad command lines
expect_fail 2 "needs -m MODEL or -r RUNS" "$NNMPI" serve
expect_fail 2 "is not HOST:PORT" "$NNMPI" serve -r "$WORK/runs" --listen 127.0.0.1:99999
expect_fail 2 "unexpected operand" "$NNMPI" serve -m "$WORK/runs/small" extra
expect_fail 1 "nowhere.h5" "$NNMPI" serve -m "$WORK/nowhere.h5"
expect_fail 1 "no model.h5" "$NNMPI" serve -m "$WORK/outside"
expect_fail 1 "not an IPv4 address" "$NNMPI" serve -r "$WORK/runs" --listen nohost:8080
"$NNMPI" serve --help | grep -q "ssh -L" || fail "serve --help does not explain ssh -L"
ok "nnmpi serve"
