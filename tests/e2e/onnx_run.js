// Runs an ONNX model exported by nnmpi in onnxruntime-node and compares its
// scores with nnmpi's own (tests/e2e/export_onnx.sh, via forward_dump).
//   node onnx_run.js MODEL.onnx IMAGES.u8 SCORES.f32 COUNT RAW TOLERANCE
// RAW 1: the model takes grey values 0..255 (export --raw-input); 0: it
// takes nnmpi's scaled inputs, computed here as nnmpi computes them.
// Prints the largest difference; exits 1 if it is above TOLERANCE.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, imagesPath, scoresPath, countText, rawText, tolText] = process.argv.slice(2);
  const count = Number(countText), raw = rawText === '1', tol = Number(tolText);
  const pixels = fs.readFileSync(imagesPath);
  const want = new Float32Array(new Uint8Array(fs.readFileSync(scoresPath)).buffer);
  const width = pixels.length / count;
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++)
    x[i] = raw ? pixels[i] : Math.fround(pixels[i] / 255 * 0.99 + 0.01);
  const session = await ort.InferenceSession.create(model);
  if (session.inputNames[0] !== 'image' || session.outputNames[0] !== 'scores')
    throw new Error(`inputs ${session.inputNames}, outputs ${session.outputNames}`);
  const result = await session.run({ image: new ort.Tensor('float32', x, [count, width]) });
  const got = result.scores;
  if (got.dims[0] !== count || got.data.length !== want.length)
    throw new Error(`scores of shape [${got.dims}], expected ${want.length} values`);
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got.data[i] - want[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  console.log(`${count} images, ${want.length} scores: largest difference ${worst.toExponential(2)}` +
              ` (score ${at}: onnxruntime ${got.data[at]}, nnmpi ${want[at]})`);
  process.exit(worst <= tol ? 0 : 1);
}
main().catch((e) => { console.error(`onnx_run: ${e.message}`); process.exit(1); });
