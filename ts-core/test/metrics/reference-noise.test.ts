/**
 * Noise-corrected PSNR and SSIM (ComputeMetricsOptions.referenceNoise): a reference that is the mean of two noisy
 * half renders A and B is passed with its noise estimate (A - B) / 2. The test image is then judged against the clean
 * signal: a perfect image scores as perfect, a wrong one keeps the score it has against the clean signal, and a zero
 * estimate changes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FloatImage } from '../../src/image/float-image.js';
import { computeMetrics } from '../../src/metrics/index.js';
import { Rng } from '../../src/util/rng.js';

const W = 160,
  H = 96;

function image(f: (x: number, y: number, c: number) => number): FloatImage {
  const data = new Float32Array(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) data[4 * (y * W + x) + c] = f(x, y, c);
      data[4 * (y * W + x) + 3] = 1;
    }
  return { width: W, height: H, data };
}

// A clean signal with edges and texture, in [0.15, 0.85].
const clean = image((x, y, c) => 0.5 + 0.2 * Math.sin(x * 0.21 + c) * Math.cos(y * 0.17) + (x > 80 ? 0.15 : -0.15));
const rng = new Rng(11);
function gaussian(): number {
  const u = Math.max(rng.next(), 1e-12),
    v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
const sigma = 0.02; // per half render: two halves agree at SSIM 0.89 on luma, like two 64-spp path traces
const halfA = image((x, y, c) => clean.data[4 * (y * W + x) + c] + sigma * gaussian());
const halfB = image((x, y, c) => clean.data[4 * (y * W + x) + c] + sigma * gaussian());
const mix = (k: number) =>
  image((x, y, c) => {
    const i = 4 * (y * W + x) + c;
    return 0.5 * halfA.data[i] + k * 0.5 * halfB.data[i];
  });
const reference = mix(1); // (A + B) / 2
const noise = mix(-1); // (A - B) / 2
// A real error: the clean signal shifted by two pixels and a little darker.
const wrong = image((x, y, c) => 0.97 * clean.data[4 * (y * W + Math.max(0, x - 2)) + c]);
const opts = { metrics: ['psnr', 'ssim', 'ssimLuma'], floatEncoding: 'stored' as const };

test('a perfect image against a noisy reference scores as perfect once the noise is taken out', async () => {
  const plain = await computeMetrics(reference, clean, opts);
  const fixed = await computeMetrics(reference, clean, { ...opts, referenceNoise: noise });
  assert.ok(plain.psnr! < 40, `plain PSNR ${plain.psnr}: the noise should dominate`);
  assert.ok(plain.ssimLuma! < 0.98, `plain SSIM ${plain.ssimLuma}: the noise should dominate`);
  assert.ok(fixed.psnr! > 45, `corrected PSNR ${fixed.psnr}`);
  assert.ok(fixed.ssimLuma! > 0.99, `corrected SSIM luma ${fixed.ssimLuma}`);
  assert.ok(fixed.ssim! > 0.99, `corrected SSIM ${fixed.ssim}`);
});

test('a wrong image keeps the score it has against the clean signal', async () => {
  const truth = await computeMetrics(clean, wrong, opts);
  const plain = await computeMetrics(reference, wrong, opts);
  const fixed = await computeMetrics(reference, wrong, { ...opts, referenceNoise: noise });
  assert.ok(truth.ssimLuma! < 0.95 && truth.psnr! < 30, `the error is not large enough: ${JSON.stringify(truth)}`);
  assert.ok(
    Math.abs(fixed.psnr! - truth.psnr!) < 0.5,
    `PSNR ${fixed.psnr} against ${truth.psnr} (plain ${plain.psnr})`,
  );
  assert.ok(
    Math.abs(fixed.ssimLuma! - truth.ssimLuma!) < 0.02,
    `SSIM luma ${fixed.ssimLuma} against ${truth.ssimLuma} (plain ${plain.ssimLuma})`,
  );
  assert.ok(Math.abs(fixed.ssimLuma! - truth.ssimLuma!) < Math.abs(plain.ssimLuma! - truth.ssimLuma!) / 3);
});

test('a zero noise estimate changes no bit', async () => {
  const zero = { width: W, height: H, data: new Float32Array(W * H * 4) };
  const plain = await computeMetrics(reference, wrong, opts);
  const fixed = await computeMetrics(reference, wrong, { ...opts, referenceNoise: zero });
  assert.is(fixed.psnr, plain.psnr);
  assert.is(fixed.ssim, plain.ssim);
  assert.is(fixed.ssimLuma, plain.ssimLuma);
});

test('a noise estimate of the wrong size, or with MS-SSIM, is refused by name', async () => {
  const small = { width: W - 1, height: H, data: new Float32Array((W - 1) * H * 4) };
  await computeMetrics(reference, clean, { ...opts, referenceNoise: small }).then(
    () => assert.unreachable('accepted'),
    (e) => assert.match(e.message, /referenceNoise must be 160x96/),
  );
  await computeMetrics(reference, clean, { metrics: ['msssim'], referenceNoise: noise }).then(
    () => assert.unreachable('accepted'),
    (e) => assert.match(e.message, /referenceNoise does not apply to MS-SSIM/),
  );
  const bad = { width: W, height: H, data: noise.data.slice() };
  bad.data[4 * (3 * W + 7)] = Number.NaN;
  await computeMetrics(reference, clean, { ...opts, referenceNoise: bad }).then(
    () => assert.unreachable('accepted'),
    (e) => assert.match(e.message, /options\.referenceNoise has a non-finite value .* at pixel \(7, 3\)/),
  );
});

test.run();
