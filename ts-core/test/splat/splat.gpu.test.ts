/**
 * CPU against CUDA on a device (npm run test:gpu): the forward image within 1e-3 (max absolute), every parameter
 * gradient within 1e-2 relative, the fused training step alike, and a 1080p frame with many Gaussians.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeInfo } from '../../src/native/addon.js';
import { createAdam, createGrads, renderSplatsRaw, splatBackward, splatTrainStep } from '../../src/native/splat.js';
import { splatCamera } from '../../src/splat/camera.js';
import { Rng } from '../../src/util/rng.js';
import { orbitView, randomModel } from './fixtures.js';

const hasDevice = nativeInfo().devices.length > 0;
const bg: [number, number, number] = [0.1, 0.2, 0.3];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
/** Relative difference of two gradient vectors: the largest element error over the largest magnitude. */
function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]), Math.abs(b[i]));
  return m > 0 ? maxAbs(a, b) / m : 0;
}

test('a CUDA device is present', () => {
  assert.ok(hasDevice, 'npm run test:gpu needs a CUDA device');
});

for (const [n, w, h] of [[40, 128, 96], [3000, 320, 240]] as const) {
  test(`forward and backward agree on CPU and CUDA (${n} Gaussians, ${w}x${h})`, async () => {
    const model = randomModel(n, 21, { shDegree: 3, spread: 1, scale: [0.01, 0.12], opacity: [0.2, 0.95] });
    const cam = splatCamera(orbitView(0.7, 0.25, 3, w, h));
    const a = await renderSplatsRaw(model, cam, { backend: 'cpu', background: bg });
    const b = await renderSplatsRaw(model, cam, { backend: 'cuda', background: bg });
    assert.is(b.stats.backend, 'cuda');
    // Rounding (FMA on the device) can move a 3-sigma rect across a tile edge now and then.
    assert.ok(Math.abs(a.stats.intersections - b.stats.intersections) <= 1e-3 * a.stats.intersections + 2, `intersections ${a.stats.intersections} vs ${b.stats.intersections}`);
    assert.ok(maxAbs(a.rgb, b.rgb) <= 1e-3, `rgb differs by ${maxAbs(a.rgb, b.rgb)}`);
    assert.ok(maxAbs(a.alpha, b.alpha) <= 1e-3, `alpha differs by ${maxAbs(a.alpha, b.alpha)}`);
    const rng = new Rng(4);
    const d = { rgb: Float32Array.from({ length: 3 * w * h }, () => rng.range(-1, 1)), alpha: Float32Array.from({ length: w * h }, () => rng.range(-1, 1)) };
    const ga = (await splatBackward(model, cam, d, { backend: 'cpu', background: bg })).grads;
    const gb = (await splatBackward(model, cam, d, { backend: 'cuda', background: bg })).grads;
    for (const k of ['means', 'logScales', 'quats', 'opacity', 'sh', 'mean2dGradNorm'] as const) assert.ok(rel(ga[k], gb[k]) <= 1e-2, `${k}: relative difference ${rel(ga[k], gb[k])}`);
    let radiusDiff = 0;
    for (let i = 0; i < ga.radii.length; i++) if (ga.radii[i] !== gb.radii[i]) radiusDiff++;
    assert.ok(radiusDiff <= 2, `${radiusDiff} radii differ`);
  });
}

test('the fused training step gives the same loss and update on CPU and CUDA', async () => {
  const cam = splatCamera(orbitView(0.2, 0.3, 3, 96, 96));
  const target = Float32Array.from({ length: 3 * 96 * 96 }, (_, i) => 0.3 + 0.4 * ((i >> 5) % 2));
  const lr = { means: 1e-3, scales: 5e-3, quats: 1e-3, opacity: 5e-2, shDc: 2.5e-3, shRest: 1.25e-4 };
  const run = async (backend: 'cpu' | 'cuda') => {
    const m = randomModel(500, 8, { shDegree: 1 });
    const r = await splatTrainStep(m, cam, target, createAdam(m), lr, createGrads(m), { backend, background: bg });
    return { m, loss: r.loss };
  };
  const a = await run('cpu'), b = await run('cuda');
  assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `loss ${a.loss} vs ${b.loss}`);
  // Adam's first step moves each parameter by about lr * sign(g): equal unless a gradient is ~0 on one side.
  assert.ok(maxAbs(a.m.means, b.m.means) < 2.1e-3, 'means after one step');
});

test('1080p with 1M Gaussians renders on CUDA', async () => {
  const m = randomModel(1_000_000, 3, { shDegree: 3, spread: 4, scale: [0.005, 0.03] });
  const r = await renderSplatsRaw(m, splatCamera(orbitView(0.3, 0.2, 9, 1920, 1080)), { backend: 'cuda' });
  assert.ok(r.stats.visible > 500_000, `visible ${r.stats.visible}`);
  assert.ok(r.alpha.some((a) => a > 0.5));
});

test.run();
