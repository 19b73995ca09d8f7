// Drives nnmpi serve's page in headless Chromium through puppeteer-core
// (tests/e2e/serve_browser.sh runs it): draws a 7 and a 1 on the canvas
// with synthetic mouse events and reads the answers the page shows; saves
// a screenshot after the 7 (and SCREENSHOT-runs.png of the runs tab); opens the runs tab and checks that the chart
// grows when an epoch is appended to a run's metrics.csv.
// Then a PNG file chosen with the file input: the page must answer what
// `nnmpi query` answered for it (WANT).
//   node serve_page.mjs URL CHROMIUM SCREENSHOT.png METRICS.csv PICTURE.png WANT
import { appendFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const [url, chromium, screenshot, metricsCsv, picture, want] = process.argv.slice(2);
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };

// strokes in the pad's 280x280 coordinates
const DIGITS = {
  7: [[[70, 60], [215, 60], [120, 235]]],
  1: [[[120, 80], [150, 45], [150, 240]]],
};

async function draw(page, strokes) {
  const box = await (await page.$("#pad")).boundingBox();
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0];
    await page.mouse.move(box.x + x0, box.y + y0);
    await page.mouse.down();
    for (let i = 1; i < stroke.length; i++)
      await page.mouse.move(box.x + stroke[i][0], box.y + stroke[i][1], { steps: 15 });
    await page.mouse.up();
  }
}

async function answerFor(page, digit) {
  await page.click("#clear");
  const answered = page.waitForResponse((r) => r.url().includes("/api/query"));
  await draw(page, DIGITS[digit]);
  const res = await answered;
  if (!res.ok()) fail(`POST /api/query: HTTP ${res.status()}`);
  await page.waitForFunction(() => document.querySelector("#answer").textContent !== "?");
  const shown = await page.$eval("#answer", (e) => e.textContent);
  const bars = await page.$$eval("#bars .bar", (b) => b.length);
  if (bars !== 10) fail(`${bars} bars, not 10`);
  console.log(`ok: drew a ${digit}, the page answers ${shown} (${await page.$eval("#sureness", (e) => e.textContent)})`);
  return shown;
}

const browser = await puppeteer.launch({
  executablePath: chromium, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 760 });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: "networkidle0" });
  await page.waitForFunction(() => document.querySelectorAll("#model option").length > 0);
  await page.waitForFunction(() => document.querySelectorAll("#backquery canvas").length === 10);

  if ((await answerFor(page, 1)) !== "1") fail("the 1 was not recognised");
  if ((await answerFor(page, 7)) !== "7") fail("the 7 was not recognised");
  await new Promise((r) => setTimeout(r, 300));   // the back-query pictures drawn
  await page.screenshot({ path: screenshot });
  console.log(`ok: screenshot ${screenshot}`);

  const answered = page.waitForResponse((r) => r.url().includes("/api/query"));
  await (await page.$("#file")).uploadFile(picture);
  if (!(await answered).ok()) fail("POST /api/query of the uploaded file");
  await page.waitForFunction(() => document.querySelector("#answer").textContent !== "?");
  const shown = await page.$eval("#answer", (e) => e.textContent);
  if (shown !== want) fail(`the uploaded file: the page answers ${shown}, nnmpi query ${want}`);
  console.log(`ok: a PNG file chosen with the file input: ${shown}, as nnmpi query answers`);

  await page.click("#tab-runs");
  await page.waitForFunction(() => Number(document.querySelector("#chart").dataset.points) > 0);
  const before = Number(await page.$eval("#chart", (c) => c.dataset.points));
  // the next epoch, as training would write it
  appendFileSync(metricsCsv, `${before + 1},0.045,0.945,0.9305,2,170000,0.5,2\n`);
  await page.waitForFunction((n) => Number(document.querySelector("#chart").dataset.points) > n,
    { timeout: 10000 }, before);
  const after = Number(await page.$eval("#chart", (c) => c.dataset.points));
  console.log(`ok: runs tab: the chart grew from ${before} to ${after} points as an epoch was appended`);
  const runsShot = screenshot.replace(/\.png$/, "-runs.png");
  await page.screenshot({ path: runsShot });
  console.log(`ok: screenshot ${runsShot}`);
  if (problems.length) fail(problems.join("; "));
} finally {
  await browser.close();
}
