// nnmpi serve's page: a drawing pad whose picture goes to POST /api/query,
// the answer and what the network saw; the back-query pictures of the
// chosen model; and a chart of each run's test accuracy, read every 2 s.
"use strict";

const $ = (id) => document.getElementById(id);
const PEN_WIDTH = 22;          // a marker on a 280 px pad: MNIST's stroke after scaling
const POLL_MS = 2000;

async function getJSON(url, options) {
  const res = await fetch(url, options);
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

function showError(id, err) {
  const el = $(id);
  el.hidden = !err;
  el.textContent = err ? String(err.message || err) : "";
}

// A 28x28 picture (values 0..255) into canvas; `dark` shows high values dark.
function drawPixels(canvas, pixels, dark) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = dark ? 255 - pixels[i] : pixels[i];
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

// ------------------------------------------------------------ the pad

const pad = $("pad");
const pen = pad.getContext("2d");
let drawing = false, inked = false, last = null;

function clearPad() {
  pen.fillStyle = "white";
  pen.fillRect(0, 0, pad.width, pad.height);
  inked = false;
  $("answer").textContent = "?";
  $("sureness").textContent = "draw a digit";
  $("bars").replaceChildren();
  drawPixels($("seen"), new Array(784).fill(0), false);
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return { x: (e.clientX - r.left) * pad.width / r.width, y: (e.clientY - r.top) * pad.height / r.height };
}

function strokeTo(p) {
  pen.strokeStyle = "black";
  pen.lineWidth = PEN_WIDTH;
  pen.lineCap = pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(last.x, last.y);
  pen.lineTo(p.x, p.y);
  pen.stroke();
  last = p;
  inked = true;
}

pad.addEventListener("pointerdown", (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  last = padPoint(e);
  strokeTo({ x: last.x + 0.1, y: last.y });   // a dot for a tap
});
pad.addEventListener("pointermove", (e) => { if (drawing) strokeTo(padPoint(e)); });
for (const type of ["pointerup", "pointercancel"])
  pad.addEventListener(type, () => { if (drawing) { drawing = false; ask(); } });
$("clear").addEventListener("click", clearPad);
$("file").addEventListener("change", (e) => {
  const file = e.target.files[0];
  if (!file) return;
  clearPad();
  ask(file);
});

// ------------------------------------------------------------ the answer

let asking = null;   // the latest request; an older answer arriving late is dropped

// The pad's picture, or `file` (a PNG chosen with the file input), asked.
async function ask(file) {
  if (!file && !inked) return;
  const blob = file || await new Promise((done) => pad.toBlob(done, "image/png"));
  const model = $("model").value;
  const mine = asking = Symbol();
  try {
    const a = await getJSON(`/api/query?model=${encodeURIComponent(model)}`,
      { method: "POST", headers: { "Content-Type": "image/png" }, body: blob });
    if (mine !== asking) return;
    showAnswer(a);
    showError("draw-error", null);
  } catch (err) {
    if (mine !== asking) return;
    $("answer").textContent = "?";
    showError("draw-error", err);
  }
}

function showAnswer(a) {
  $("answer").textContent = a.digit;
  $("sureness").textContent =
    `confidence ${a.confidence.toFixed(2)}; runner-up ${a.runner_up} (${a.runner_up_confidence.toFixed(2)})`;
  const rows = [];
  a.outputs.forEach((v, k) => {
    const label = document.createElement("span");
    label.textContent = k;
    const bar = document.createElement("div");
    bar.className = k === a.digit ? "bar best" : "bar";
    const fill = document.createElement("div");
    fill.style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
    bar.append(fill);
    const value = document.createElement("span");
    value.textContent = v.toFixed(3);
    rows.push(label, bar, value);
  });
  $("bars").replaceChildren(...rows);
  drawPixels($("seen"), a.seen.pixels, false);
}

// --------------------------------------------------- models, back-query

async function loadModels() {
  try {
    const { models } = await getJSON("/api/models");
    const select = $("model");
    select.replaceChildren(...models.map((m) => {
      const o = document.createElement("option");
      o.value = m.name;
      o.textContent = `${m.name} (784-${m.hidden}-${m.outputs})`;
      return o;
    }));
    if (models.length) loadBackquery();
    else showError("draw-error", "the server has no models (start it with -m MODEL)");
  } catch (err) {
    showError("draw-error", err);
  }
}

async function loadBackquery() {
  const model = $("model").value;
  const figures = [];
  for (let d = 0; d < 10; d++) {
    const fig = document.createElement("figure");
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 28;
    canvas.className = "pixels";
    const caption = document.createElement("figcaption");
    caption.textContent = d;
    fig.append(canvas, caption);
    figures.push(fig);
    getJSON(`/api/backquery?model=${encodeURIComponent(model)}&digit=${d}`)
      .then((b) => drawPixels(canvas, b.pixels, false))
      .catch((err) => showError("draw-error", err));
  }
  $("backquery").replaceChildren(...figures);
}

$("model").addEventListener("change", () => { loadBackquery(); ask(); });

// ------------------------------------------------------------------ runs

const COLOURS = ["#2f6fdf", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#0b7285", "#e67700", "#495057"];

function drawChart(series) {
  const canvas = $("chart"), ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 60, R = 20, T = 20, B = 44;
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, W, H);
  const points = series.flatMap((s) => s.points);
  const maxEpoch = Math.max(2, ...points.map((p) => p.epoch));
  const accs = points.map((p) => p.acc);
  let lo = accs.length ? Math.min(...accs) : 0.9, hi = accs.length ? Math.max(...accs) : 1;
  lo = Math.max(0, Math.floor((lo - 0.005) * 100) / 100);
  hi = Math.min(1, Math.ceil((hi + 0.005) * 100) / 100);
  if (hi - lo < 0.02) lo = Math.max(0, hi - 0.02);
  const x = (e) => L + (e - 1) / (maxEpoch - 1) * (W - L - R);
  const y = (a) => T + (hi - a) / (hi - lo) * (H - T - B);
  ctx.strokeStyle = "#ccc"; ctx.fillStyle = "#555"; ctx.font = "12px sans-serif"; ctx.lineWidth = 1;
  for (let i = 0; i <= 5; i++) {
    const a = lo + (hi - lo) * i / 5;
    ctx.beginPath(); ctx.moveTo(L, y(a)); ctx.lineTo(W - R, y(a)); ctx.stroke();
    ctx.fillText(`${(a * 100).toFixed(1)}%`, 8, y(a) + 4);
  }
  const step = Math.max(1, Math.ceil((maxEpoch - 1) / 10));
  for (let e = 1; e <= maxEpoch; e += step) ctx.fillText(e, x(e) - 3, H - B + 18);
  ctx.fillText("epoch", W / 2 - 15, H - 8);
  series.forEach((s, i) => {
    ctx.strokeStyle = ctx.fillStyle = COLOURS[i % COLOURS.length];
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach((p, k) => (k ? ctx.lineTo(x(p.epoch), y(p.acc)) : ctx.moveTo(x(p.epoch), y(p.acc))));
    ctx.stroke();
    for (const p of s.points) { ctx.beginPath(); ctx.arc(x(p.epoch), y(p.acc), 3, 0, 7); ctx.fill(); }
  });
  canvas.dataset.points = points.length;   // for the browser test: the chart grew
  $("legend").replaceChildren(...series.map((s, i) => {
    const span = document.createElement("span");
    span.style.setProperty("--c", COLOURS[i % COLOURS.length]);
    const last = s.points[s.points.length - 1];
    span.textContent = `${s.name}${last ? `: ${(last.acc * 100).toFixed(2)}% after ${last.epoch}` : ": no epoch yet"}`;
    return span;
  }));
}

async function pollRuns() {
  try {
    const { runs } = await getJSON("/api/runs");
    const series = await Promise.all(runs.map(async (r) => {
      const { metrics } = await getJSON(`/api/runs/${encodeURIComponent(r.name)}/metrics`);
      const e = metrics.columns.indexOf("epoch"), t = metrics.columns.indexOf("test_accuracy");
      const points = metrics.rows.filter((row) => row[t] !== null).map((row) => ({ epoch: row[e], acc: row[t] }));
      return { name: r.name, points };
    }));
    drawChart(series);
    showError("runs-error", runs.length ? null : "no runs (start the server with -r RUNS)");
  } catch (err) {
    showError("runs-error", err);
  }
}

// ------------------------------------------------------------------ tabs

let pollTimer = null;
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t === tab);
    $("draw").hidden = tab.dataset.tab !== "draw";
    $("runs").hidden = tab.dataset.tab !== "runs";
    clearInterval(pollTimer);
    if (tab.dataset.tab === "runs") { pollRuns(); pollTimer = setInterval(pollRuns, POLL_MS); }
  });
}

clearPad();
loadModels();
