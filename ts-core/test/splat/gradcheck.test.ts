/**
 * Finite-difference check of the rasterizer's backward pass for every parameter group (means, log scales,
 * quaternions, opacity logits, every SH coefficient of degree 0..3), through the RGB, alpha and depth outputs
 * and a non-black background. Differences are taken in double precision on a reference forward pass (which must
 * match the native one), with small steps: 3DGS is discontinuous where a pixel crosses the 1/255 cut or a
 * 3-sigma tile edge. Where a step straddles one, the h and h/2 differences disagree; such entries are set aside
 * and must stay rare.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderSplatsRaw, splatBackward } from '../../src/native/splat.js';
import { splatCamera } from '../../src/native/splat-camera.js';
import type { GaussianModel } from '../../src/scene/gaussians.js';
import { Rng } from '../../src/util/rng.js';
import { orbitView, randomModel } from './fixtures.js';
import { referenceImageLoss, referenceRender, toRef, type RefModel } from './reference.js';

const W = 48,
  H = 40;
const cam = splatCamera(orbitView(0.4, 0.3, 3.2, W, H));
const background: [number, number, number] = [0.2, 0.3, 0.4];
const rng = new Rng(7);
const wRgb = Float32Array.from({ length: 3 * W * H }, () => rng.range(-1, 1));
const wAlpha = Float32Array.from({ length: W * H }, () => rng.range(-1, 1));
const wDepth = Float32Array.from({ length: W * H }, () => rng.range(-0.3, 0.3));

function loss(m: RefModel): number {
  const r = referenceRender(m, cam, background);
  let s = 0;
  for (let i = 0; i < r.rgb.length; i++) s += wRgb[i] * r.rgb[i];
  for (let i = 0; i < r.alpha.length; i++) s += wAlpha[i] * r.alpha[i] + wDepth[i] * r.depth[i];
  return s;
}

function fd(m: RefModel, arr: Float64Array, i: number, h: number): number {
  const v = arr[i];
  arr[i] = v + h;
  const lp = loss(m);
  arr[i] = v - h;
  const lm = loss(m);
  arr[i] = v;
  return (lp - lm) / (2 * h);
}

const model = randomModel(6, 11, { shDegree: 3 });
// The same Gaussians antialiased (Mip-Splatting's compensation), shrunk to a few pixels, where it weighs.
const small = randomModel(6, 11, { shDegree: 3 });
const antialiased: GaussianModel = {
  ...small,
  logScales: small.logScales.map((v) => v + Math.log(0.15)),
  antialiased: true,
};
const groups: (keyof Pick<GaussianModel, 'means' | 'logScales' | 'quats' | 'opacity' | 'sh'>)[] = [
  'means',
  'logScales',
  'quats',
  'opacity',
  'sh',
];
const h = 1e-6;

test('the forward pass covers the image and all Gaussians are visible', async () => {
  const r = await renderSplatsRaw(model, cam, { backend: 'cpu', background });
  assert.is(r.stats.visible, model.count);
  const covered = r.alpha.filter((a) => a > 0.05).length;
  assert.ok(covered > 0.2 * W * H, `only ${covered} pixels covered`);
  const e = referenceRender(toRef(model), cam, background);
  let worst = 0;
  for (let i = 0; i < r.rgb.length; i++) worst = Math.max(worst, Math.abs(r.rgb[i] - e.rgb[i]));
  for (let i = 0; i < r.alpha.length; i++)
    worst = Math.max(worst, Math.abs(r.alpha[i] - e.alpha[i]), Math.abs(r.depth[i] - e.depth[i]) / 4);
  assert.ok(worst < 1e-4, `native forward differs from the reference by ${worst}`);
});

test('antialiased: the compensation thins splats of a few pixels, as the reference computes it', async () => {
  const aa = await renderSplatsRaw(antialiased, cam, { backend: 'cpu', background });
  const classic = await renderSplatsRaw({ ...antialiased, antialiased: false }, cam, { backend: 'cpu', background });
  const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
  assert.ok(sum(aa.alpha) < 0.8 * sum(classic.alpha), `coverage ${sum(aa.alpha)} against ${sum(classic.alpha)}`);
  const e = referenceRender(toRef(antialiased), cam, background);
  let worst = 0;
  for (let i = 0; i < aa.rgb.length; i++) worst = Math.max(worst, Math.abs(aa.rgb[i] - e.rgb[i]));
  for (let i = 0; i < aa.alpha.length; i++) worst = Math.max(worst, Math.abs(aa.alpha[i] - e.alpha[i]));
  assert.ok(worst < 1e-4, `native forward differs from the reference by ${worst}`);
});

for (const [label, m] of [
  ['', model],
  ['antialiased, ', antialiased],
] as const)
  for (const name of groups) {
    const ref = toRef(m);
    test(`backward matches central differences: ${label}${name}`, async () => {
      const { grads } = await splatBackward(
        m,
        cam,
        { rgb: wRgb, alpha: wAlpha, depth: wDepth },
        { backend: 'cpu', background },
      );
      const analytic = grads[name];
      const arr = ref[name];
      const scale = Math.max(...Array.from(analytic, Math.abs));
      assert.ok(scale > 0, `${name}: all gradients are zero`);
      let checked = 0,
        skipped = 0;
      const bad: string[] = [];
      for (let i = 0; i < arr.length; i++) {
        const n1 = fd(ref, arr, i, h),
          n2 = fd(ref, arr, i, h / 2);
        // A discontinuity shows as two step sizes that disagree; smooth entries agree to a few percent.
        if (Math.abs(n1 - n2) > 0.05 * Math.max(Math.abs(n1), Math.abs(n2)) + 2e-3 * scale) {
          skipped++;
          continue;
        }
        checked++;
        const a = analytic[i],
          n = n2;
        if (Math.abs(a - n) > 1e-2 * Math.max(Math.abs(a), Math.abs(n)) + 2e-3 * scale)
          bad.push(`${name}[${i}] analytic ${a.toExponential(4)} numeric ${n.toExponential(4)}`);
      }
      assert.ok(
        skipped <= Math.max(1, 0.1 * arr.length),
        `${name}: ${skipped} of ${arr.length} entries straddle a discontinuity`,
      );
      assert.equal(bad, [], `${name}: ${bad.length} of ${checked} mismatch:\n${bad.slice(0, 10).join('\n')}`);
    });
  }

test('the loss (L1 + 0.2 D-SSIM) equals its definition, and its gradient central differences', async () => {
  const { splatImageLoss } = await import('../../src/native/splat.js');
  const w = 20,
    hgt = 14,
    r2 = new Rng(3);
  const x = Float32Array.from({ length: 3 * w * hgt }, () => r2.range(0.1, 0.9));
  const y = Float32Array.from({ length: 3 * w * hgt }, () => r2.range(0.1, 0.9));
  const d = new Float32Array(x.length);
  splatImageLoss(x, y, w, hgt, 0.2, d);
  const bad: string[] = [];
  for (let i = 0; i < x.length; i += 7) {
    const v = x[i],
      h = 1e-3;
    x[i] = v + h;
    const lp = splatImageLoss(x, y, w, hgt, 0.2).loss;
    x[i] = v - h;
    const lm = splatImageLoss(x, y, w, hgt, 0.2).loss;
    x[i] = v;
    const n = (lp - lm) / (2 * h);
    if (Math.abs(x[i] - y[i]) < 2 * h) continue; // L1's kink
    if (Math.abs(n - d[i]) > 2e-2 * Math.abs(n) + 2e-5) bad.push(`${i}: ${d[i]} vs ${n}`);
  }
  assert.equal(bad, []);
  // The value itself, against the loss written from its definition in double precision.
  const ref = referenceImageLoss(x, y, w, hgt, 0.2),
    got = splatImageLoss(x, y, w, hgt, 0.2).loss;
  assert.ok(Math.abs(got - ref) <= 1e-5 * ref, `loss ${got} vs the reference's ${ref}`);
  const same = splatImageLoss(y, y, w, hgt, 0.2);
  assert.ok(Math.abs(same.ssim - 1) < 1e-5 && same.loss < 1e-5, 'identical images have SSIM 1 and no loss');
});

test.run();
