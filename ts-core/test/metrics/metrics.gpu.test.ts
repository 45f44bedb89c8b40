// CUDA backend (npm run test:gpu, on a machine with a device): the SSIM and FLIP kernels match the reference values
// and the CPU backend, give the same result every run, and report their kernel time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMetrics } from '../../src/metrics/index.js';
import { nativeInfo } from '../../src/native/addon.js';
import { extraExpected, sharedExpected, sharedImage, synthetic8 } from './fixtures.js';

const e = sharedExpected();
const extra = extraExpected();
const ref = sharedImage(e.reference);
const all = ['psnr', 'ssim', 'ssimLuma', 'msssim', 'flip'];

test('a CUDA device is visible', () => {
  assert.ok(nativeInfo().devices.length > 0, `no CUDA device: ${nativeInfo().cudaUnavailableReason}`);
});

for (const [name, p] of Object.entries(e.pairs)) {
  test(`${name}: CUDA matches the references and the CPU backend`, async () => {
    const t = sharedImage(p.test);
    const g = await computeMetrics(ref, t, { metrics: all, backend: 'cuda' });
    const c = await computeMetrics(ref, t, { metrics: all, backend: 'cpu' });
    assert.is(g.backend, 'cuda');
    assert.ok(Math.abs(g.ssim! - p.ssim_rgb_mean) < 1e-4, `ssim ${g.ssim}`);
    assert.ok(Math.abs(g.ssimLuma! - p.ssim_luma_bt601) < 1e-4, `ssim luma ${g.ssimLuma}`);
    assert.ok(Math.abs(g.flip! - p.flip_ldr_mean) < 1e-3, `flip ${g.flip}`);
    assert.ok(Math.abs(g.msssim! - extra.shared_msssim[name]) < 1e-4, `msssim ${g.msssim}`);
    for (const k of ['ssim', 'ssimLuma', 'msssim', 'flip'] as const)
      assert.ok(Math.abs(g[k]! - c[k]!) < 1e-5, `${k}: cuda ${g[k]} vs cpu ${c[k]}`);
    assert.ok(typeof g.kernelMs === 'number' && g.kernelMs > 0);
  });
}

test('CUDA maps agree with the CPU maps and repeat bit for bit', async () => {
  const t = sharedImage(e.pairs.patch.test);
  const opts = { metrics: ['flip', 'ssimLuma'], maps: ['flip', 'ssimLuma'] as ('flip' | 'ssimLuma')[] };
  const g1 = await computeMetrics(ref, t, { ...opts, backend: 'cuda' });
  const g2 = await computeMetrics(ref, t, { ...opts, backend: 'cuda' });
  const c = await computeMetrics(ref, t, { ...opts, backend: 'cpu' });
  assert.is(g1.flip, g2.flip);
  assert.is(g1.ssimLuma, g2.ssimLuma);
  for (const m of ['flip', 'ssimLuma'] as const) {
    let worst = 0;
    const a = g1.maps![m]!.data,
      b = c.maps![m]!.data;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    assert.ok(worst < 1e-3, `${m} map: worst per-pixel difference ${worst}`);
  }
});

test('noise-corrected SSIM agrees between CUDA and the CPU within 1e-5', async () => {
  // A noise estimate with structure: a ±0.02 checkerboard over the whole image, so every window is corrected.
  const t = sharedImage(e.pairs.patch.test);
  const referenceNoise = { width: ref.width, height: ref.height, data: new Float32Array(ref.width * ref.height * 4) };
  for (let y = 0; y < ref.height; y++)
    for (let x = 0; x < ref.width; x++)
      for (let ch = 0; ch < 3; ch++) referenceNoise.data[4 * (y * ref.width + x) + ch] = (x + y) % 2 ? 0.02 : -0.02;
  const opts = { metrics: ['psnr', 'ssim', 'ssimLuma'], referenceNoise };
  const g = await computeMetrics(ref, t, { ...opts, backend: 'cuda' });
  const c = await computeMetrics(ref, t, { ...opts, backend: 'cpu' });
  const plain = await computeMetrics(ref, t, { metrics: ['ssimLuma'], backend: 'cpu' });
  assert.ok(c.ssimLuma! > plain.ssimLuma!, 'the correction did not apply');
  for (const k of ['psnr', 'ssim', 'ssimLuma'] as const)
    assert.ok(Math.abs(g[k]! - c[k]!) < 1e-5, `${k}: cuda ${g[k]} vs cpu ${c[k]}`);
});

test('odd sizes and the smallest SSIM size run on the device', async () => {
  for (const [w, h] of [
    [11, 11],
    [97, 61],
    [1, 1],
  ]) {
    const { ref: a, test: b } = synthetic8(w, h);
    const metrics = w >= 11 ? ['ssim', 'flip'] : ['flip'];
    const g = await computeMetrics(a, b, { metrics, backend: 'cuda' });
    const c = await computeMetrics(a, b, { metrics, backend: 'cpu' });
    for (const k of metrics) assert.ok(Math.abs((g[k] as number) - (c[k] as number)) < 1e-5, `${w}x${h} ${k}`);
  }
});

test.run();
