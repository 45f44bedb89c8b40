/**
 * CPU against CUDA on a device (npm run test:gpu): the forward image within 1e-3 (max absolute), every parameter
 * gradient within 1e-2 relative, the fused training step alike, the device-resident training session against the
 * CPU step (loss on the device, Adam, densification statistics, read/write round trip), a short training run on
 * the device, and a 1080p frame with many Gaussians.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeInfo } from '../../src/native/addon.js';
import {
  createAdam,
  createDensifyStats,
  createGrads,
  renderSplats,
  renderSplatsRaw,
  splatBackward,
  splatTrainStep,
  SplatTrainSession,
} from '../../src/native/splat.js';
import { heroObject } from '../../../examples/generators/index.js';
import { decodeSceneTextures } from '../../src/io/textures.js';
import { sceneBounds } from '../../src/scene/bounds.js';
import { convertScene } from '../../src/splat/convert.js';
import { placeCameras, trainSplats } from '../../src/splat/train.js';
import { splatCamera } from '../../src/native/splat-camera.js';
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

for (const [n, w, h, antialiased] of [
  [40, 128, 96, false],
  [3000, 320, 240, false],
  [3000, 320, 240, true], // Mip-Splatting's compensation: the same OTE_HD projection, same tolerances
] as const) {
  test(`forward and backward agree on CPU and CUDA (${n} Gaussians, ${w}x${h}${antialiased ? ', antialiased' : ''})`, async () => {
    const model = {
      ...randomModel(n, 21, { shDegree: 3, spread: 1, scale: [0.01, 0.12], opacity: [0.2, 0.95] }),
      antialiased,
    };
    const cam = splatCamera(orbitView(0.7, 0.25, 3, w, h));
    const a = await renderSplatsRaw(model, cam, { backend: 'cpu', background: bg });
    const b = await renderSplatsRaw(model, cam, { backend: 'cuda', background: bg });
    assert.is(b.stats.backend, 'cuda');
    // Rounding (FMA on the device) can move a 3-sigma rect across a tile edge now and then.
    assert.ok(
      Math.abs(a.stats.intersections - b.stats.intersections) <= 1e-3 * a.stats.intersections + 2,
      `intersections ${a.stats.intersections} vs ${b.stats.intersections}`,
    );
    assert.ok(maxAbs(a.rgb, b.rgb) <= 1e-3, `rgb differs by ${maxAbs(a.rgb, b.rgb)}`);
    assert.ok(maxAbs(a.alpha, b.alpha) <= 1e-3, `alpha differs by ${maxAbs(a.alpha, b.alpha)}`);
    const rng = new Rng(4);
    const d = {
      rgb: Float32Array.from({ length: 3 * w * h }, () => rng.range(-1, 1)),
      alpha: Float32Array.from({ length: w * h }, () => rng.range(-1, 1)),
    };
    const ga = (await splatBackward(model, cam, d, { backend: 'cpu', background: bg })).grads;
    const gb = (await splatBackward(model, cam, d, { backend: 'cuda', background: bg })).grads;
    for (const k of ['means', 'logScales', 'quats', 'opacity', 'sh', 'mean2dGradNorm'] as const)
      assert.ok(rel(ga[k], gb[k]) <= 1e-2, `${k}: relative difference ${rel(ga[k], gb[k])}`);
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
  const a = await run('cpu'),
    b = await run('cuda');
  assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `loss ${a.loss} vs ${b.loss}`);
  // Adam's first step moves each parameter by about lr * sign(g): equal unless a gradient is ~0 on one side.
  assert.ok(maxAbs(a.m.means, b.m.means) < 2.1e-3, 'means after one step');
});

test('the device session steps like the CPU training step, and its state round-trips', async () => {
  const cam = splatCamera(orbitView(0.2, 0.3, 3, 96, 80));
  const target = Float32Array.from({ length: 3 * 96 * 80 }, (_, i) => 0.3 + 0.4 * ((i >> 5) % 2));
  const lr = { means: 1e-3, scales: 5e-3, quats: 1e-3, opacity: 5e-2, shDc: 2.5e-3, shRest: 1.25e-4 };
  const m0 = randomModel(500, 8, { shDegree: 2 });
  const copy = () => ({
    ...m0,
    means: m0.means.slice(),
    logScales: m0.logScales.slice(),
    quats: m0.quats.slice(),
    opacity: m0.opacity.slice(),
    sh: m0.sh.slice(),
  });
  // CPU: two fused steps on host arrays.
  const a = copy(),
    adamA = createAdam(a),
    grads = createGrads(a);
  const lossA: number[] = [];
  for (let k = 0; k < 2; k++)
    lossA.push(
      (await splatTrainStep(a, cam, target, adamA, lr, grads, { backend: 'cpu', background: bg, shDegree: 1 })).loss,
    );
  // CUDA session: the same two steps with everything on the device.
  const b = copy(),
    adamB = createAdam(b);
  const session = await SplatTrainSession.create(b, [{ camera: cam, target }]);
  try {
    const lossB: number[] = [];
    for (let k = 0; k < 2; k++)
      lossB.push(await session.step(0, adamB, lr, { shDegree: 1, background: bg, accumulate: true, ndcScale: 48 }));
    for (let k = 0; k < 2; k++)
      assert.ok(
        Math.abs(lossA[k] - lossB[k]) <= 1e-4 * Math.max(1, lossA[k]),
        `step ${k} loss ${lossA[k]} vs ${lossB[k]}`,
      );
    const stats = createDensifyStats(b.count);
    await session.read(b, adamB, stats);
    // Adam moves each parameter by about lr * sign(g): equal unless a gradient is ~0 on one side.
    assert.ok(maxAbs(a.means, b.means) < 4.1e-3, `means after two steps differ by ${maxAbs(a.means, b.means)}`);
    assert.ok(rel(adamA.m, adamB.m) <= 1e-2, `Adam first moments: relative difference ${rel(adamA.m, adamB.m)}`);
    let seen = 0;
    for (let i = 0; i < b.count; i++)
      if (stats.denom[i] > 0) {
        seen++;
        assert.ok(stats.gradAccum[i] >= 0 && stats.maxRadii[i] > 0);
      }
    assert.ok(seen > 100, `only ${seen} Gaussians have statistics`);
    // Write an edited (smaller) state back and read it again: exact.
    const half = {
      ...b,
      count: 250,
      means: b.means.slice(0, 750),
      logScales: b.logScales.slice(0, 750),
      quats: b.quats.slice(0, 1000),
      opacity: b.opacity.slice(0, 250),
      sh: b.sh.slice(0, 250 * 27),
    };
    const halfStats = {
      gradAccum: stats.gradAccum.slice(0, 250),
      denom: stats.denom.slice(0, 250),
      maxRadii: stats.maxRadii.slice(0, 250),
    };
    await session.write(half, undefined, halfStats);
    const back = {
      ...half,
      means: new Float32Array(750),
      logScales: new Float32Array(750),
      quats: new Float32Array(1000),
      opacity: new Float32Array(250),
      sh: new Float32Array(250 * 27),
    };
    const backStats = createDensifyStats(250),
      backAdam = createAdam(back);
    backAdam.m.fill(1);
    await session.read(back, backAdam, backStats);
    assert.equal(back.means, half.means);
    assert.equal(back.sh, half.sh);
    assert.equal(backStats.denom, halfStats.denom);
    assert.ok(
      backAdam.m.every((x) => x === 0),
      'omitted Adam moments restart at zero',
    );
  } finally {
    session.close();
  }
});

test("a short training run on the device reaches the CPU run's quality", async () => {
  const scene = heroObject({ scale: 1 });
  const { textures } = await decodeSceneTextures(scene);
  const reference = convertScene(scene, { budget: 20000, textures, seed: 1 });
  const init = convertScene(scene, { budget: 3000, textures, seed: 2 });
  const bounds = sceneBounds(scene),
    white: [number, number, number] = [1, 1, 1];
  const views = async (seed: string, count: number) =>
    Promise.all(
      placeCameras(bounds, { count, width: 96, height: 96, seed }).map(async (view) => ({
        view,
        target: (await renderSplats(reference, splatCamera(view), { background: white, backend: 'cpu' })).image,
      })),
    );
  const train = await views('train', 16),
    held = await views('held-out', 4);
  const psnr = async (m: typeof init) => {
    let sum = 0;
    for (const v of held) {
      const r = (await renderSplats(m, splatCamera(v.view), { background: white, backend: 'cpu' })).image;
      let e = 0;
      for (let i = 0; i < r.data.length; i++) if (i % 4 !== 3) e += (r.data[i] - v.target.data[i]) ** 2;
      sum += 10 * Math.log10(1 / (e / (96 * 96 * 3)));
    }
    return sum / held.length;
  };
  const opts = { iterations: 300, shDegree: 1, background: white, maxGaussians: 12000, densifyEvery: 50, seed: 3 };
  const gpu = await trainSplats(init, train, { ...opts, backend: 'cuda' });
  const cpu = await trainSplats(init, train, { ...opts, backend: 'cpu' });
  const pg = await psnr(gpu.model),
    pc = await psnr(cpu.model);
  assert.ok(pg >= 28, `device-trained held-out PSNR ${pg.toFixed(2)} dB`);
  assert.ok(Math.abs(pg - pc) < 1.5, `device ${pg.toFixed(2)} dB vs CPU ${pc.toFixed(2)} dB`);
  assert.ok(gpu.model.count > init.count && gpu.model.count <= 12000, `count ${gpu.model.count}`);
  // Over random backgrounds the device session takes each step's re-composited target as an upload: the two
  // backends train the same schedule on the same targets (tolerance as above).
  const rOpts = { ...opts, randomBackground: true };
  const rg = await psnr((await trainSplats(init, train, { ...rOpts, backend: 'cuda' })).model),
    rc = await psnr((await trainSplats(init, train, { ...rOpts, backend: 'cpu' })).model);
  assert.ok(Math.abs(rg - rc) < 1.5, `random backgrounds: device ${rg.toFixed(2)} dB vs CPU ${rc.toFixed(2)} dB`);
});

test('1080p with 1M Gaussians renders on CUDA', async () => {
  const m = randomModel(1_000_000, 3, { shDegree: 3, spread: 4, scale: [0.005, 0.03] });
  const r = await renderSplatsRaw(m, splatCamera(orbitView(0.3, 0.2, 9, 1920, 1080)), { backend: 'cuda' });
  assert.ok(r.stats.visible > 500_000, `visible ${r.stats.visible}`);
  assert.ok(r.alpha.some((a) => a > 0.5));
});

test.run();
