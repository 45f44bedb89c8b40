/**
 * The CPU blender's fast paths against the plain one: the AVX2 blender (bit-for-bit) and its backward (eight pixels
 * at once) against the scalar loops (OTE_SIMD=0, read per call), the forward-only render against the forward of a
 * training step, and pooled frames reused across sizes against fresh renders. Odd image sizes put partial tiles
 * and partial 8-pixel segments on the right and bottom edges.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAdam, createGrads, renderSplatsRaw, splatBackward, splatTrainStep } from '../../src/native/splat.js';
import { Rng } from '../../src/util/rng.js';
import { splatCamera } from '../../src/native/splat-camera.js';
import { orbitView, randomModel } from './fixtures.js';

const background: [number, number, number] = [0.1, 0.2, 0.3];
// Many overlapping, fairly opaque Gaussians: pixels saturate, so early termination is exercised.
const model = randomModel(3000, 5, { shDegree: 2, spread: 0.8, scale: [0.01, 0.09], opacity: [0.3, 0.99] });
const cam = splatCamera(orbitView(0.7, 0.25, 2.6, 203, 117));

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function withSimd<T>(simd: boolean, f: () => Promise<T>): Promise<T> {
  const prev = process.env.OTE_SIMD;
  if (simd) delete process.env.OTE_SIMD;
  else process.env.OTE_SIMD = '0';
  try {
    return await f();
  } finally {
    if (prev === undefined) delete process.env.OTE_SIMD;
    else process.env.OTE_SIMD = prev;
  }
}
const render = (simd: boolean, c = cam) =>
  withSimd(simd, () => renderSplatsRaw(model, c, { backend: 'cpu', background }));

test('the SIMD blender matches the scalar one', async () => {
  const fast = await render(true),
    plain = await render(false);
  assert.ok(plain.stats.visible > 2500, `only ${plain.stats.visible} visible`);
  let saturated = 0;
  for (const a of plain.alpha) if (a > 0.999) saturated++;
  assert.ok(saturated > 1000, `only ${saturated} saturated pixels: early termination is not exercised`);
  // The AVX2 lanes evaluate splat_math.h's splat_exp, blend_alpha and blend_accumulate operation for operation.
  assert.is(maxDiff(fast.rgb, plain.rgb), 0, 'rgb differs');
  assert.is(maxDiff(fast.alpha, plain.alpha), 0, 'alpha differs');
  assert.is(maxDiff(fast.depth, plain.depth), 0, 'depth differs');
});

test('the SIMD backward matches the scalar one', async () => {
  const rng = new Rng(9),
    n = cam.width * cam.height;
  const d = {
    rgb: Float32Array.from({ length: 3 * n }, () => rng.range(-1, 1)),
    alpha: Float32Array.from({ length: n }, () => rng.range(-1, 1)),
    depth: Float32Array.from({ length: n }, () => rng.range(-0.3, 0.3)),
  };
  const fast = (await withSimd(true, () => splatBackward(model, cam, d, { backend: 'cpu', background }))).grads;
  const plain = (await withSimd(false, () => splatBackward(model, cam, d, { backend: 'cpu', background }))).grads;
  for (const k of ['means', 'logScales', 'quats', 'opacity', 'sh', 'mean2dGradNorm'] as const) {
    let scale = 0;
    for (const v of plain[k]) scale = Math.max(scale, Math.abs(v));
    assert.ok(scale > 0, `${k}: all zero`);
    // The same splat_exp on both sides, but each splat's gradient is summed in another order (lanes, then rows,
    // against pixel by pixel), and some products fuse differently: a small relative error, no more.
    assert.ok(
      maxDiff(fast[k], plain[k]) <= 1e-4 * scale,
      `${k}: differs by ${maxDiff(fast[k], plain[k])} (scale ${scale})`,
    );
  }
  assert.equal(fast.radii, plain.radii);
});

test('forward-only rendering and the training step render the same image', async () => {
  const fwd = await renderSplatsRaw(model, cam, { backend: 'cpu', background });
  const copy = {
    ...model,
    means: model.means.slice(),
    logScales: model.logScales.slice(),
    quats: model.quats.slice(),
    opacity: model.opacity.slice(),
    sh: model.sh.slice(),
  };
  const outRgb = new Float32Array(3 * cam.width * cam.height);
  const target = new Float32Array(outRgb.length).fill(0.5);
  const lr = { means: 1e-3, scales: 1e-3, quats: 1e-3, opacity: 1e-2, shDc: 1e-3, shRest: 1e-4 };
  await splatTrainStep(copy, cam, target, createAdam(copy), lr, createGrads(copy), {
    backend: 'cpu',
    background,
    outRgb,
  });
  assert.is(maxDiff(fwd.rgb, outRgb), 0);
});

test('reused frames give the same image as a fresh render, across sizes', async () => {
  const first = await render(true);
  await render(true, splatCamera(orbitView(0.7, 0.25, 2.6, 640, 360))); // a larger frame grows the pooled buffers
  await render(true, splatCamera(orbitView(0.2, 0.1, 4, 31, 17))); // a smaller one leaves stale data behind
  const again = await render(true);
  assert.is(maxDiff(first.rgb, again.rgb), 0);
  assert.is(maxDiff(first.alpha, again.alpha), 0);
  assert.is(maxDiff(first.depth, again.depth), 0);
});

test.run();
