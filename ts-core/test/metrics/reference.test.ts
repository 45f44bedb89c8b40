// The shared reference pairs: scikit-image PSNR/SSIM within 1e-4, NVIDIA FLIP within 1e-3, MS-SSIM (float64
// reference in scripts/metrics-expected.py) within 1e-4. Also through the 16-bit and float read paths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMetrics } from '../../src/metrics/index.js';
import type { RgbaImage } from '../../src/io/png.js';
import { extraExpected, sharedExpected, sharedImage } from './fixtures.js';

const expected = sharedExpected();
const extra = extraExpected();
const ref = sharedImage(expected.reference);

function near(got: number | undefined, want: number, tol: number, what: string) {
  assert.type(got, 'number', `${what} missing`);
  assert.ok(
    Math.abs(got! - want) <= tol,
    `${what}: got ${got}, expected ${want} ± ${tol} (diff ${(got! - want).toExponential(2)})`,
  );
}

function to16(img: RgbaImage): RgbaImage<Uint16Array> {
  return { width: img.width, height: img.height, bitDepth: 16, data: Uint16Array.from(img.data, (v) => v * 257) };
}

function toFloatStored(img: RgbaImage): { width: number; height: number; data: Float32Array } {
  return { width: img.width, height: img.height, data: Float32Array.from(img.data, (v) => v / 255) };
}

for (const [name, e] of Object.entries(expected.pairs)) {
  test(`${name}: PSNR, SSIM (RGB mean, luma), MS-SSIM and FLIP match the reference implementations`, async () => {
    const t = sharedImage(e.test);
    const r = await computeMetrics(ref, t, { metrics: ['psnr', 'ssim', 'ssimLuma', 'msssim', 'flip'] });
    near(r.psnr, e.psnr_db, 1e-4, 'psnr');
    near(r.ssim, e.ssim_rgb_mean, 1e-4, 'ssim (RGB mean)');
    near(r.ssimLuma, e.ssim_luma_bt601, 1e-4, 'ssim (luma)');
    near(r.flip, e.flip_ldr_mean, 1e-3, 'flip');
    near(r.msssim, extra.shared_msssim[name], 1e-4, 'msssim');
    assert.ok(r.msssimScales!.length === 5);
  });
}

test('16-bit and float inputs of the same pixels give the same values (data range follows the pixel type)', async () => {
  const t = sharedImage(expected.pairs.jpeg30.test);
  const e = expected.pairs.jpeg30;
  const r16 = await computeMetrics(to16(ref), to16(t), { metrics: ['psnr', 'ssim', 'ssimLuma', 'flip'] });
  near(r16.psnr, e.psnr_db, 1e-4, '16-bit psnr');
  near(r16.ssim, e.ssim_rgb_mean, 1e-4, '16-bit ssim');
  near(r16.ssimLuma, e.ssim_luma_bt601, 1e-4, '16-bit ssim luma');
  near(r16.flip, e.flip_ldr_mean, 1e-3, '16-bit flip');
  const rf = await computeMetrics(toFloatStored(ref), toFloatStored(t), {
    metrics: ['psnr', 'ssim', 'flip'],
    floatEncoding: 'stored',
  });
  near(rf.psnr, e.psnr_db, 1e-4, 'float psnr');
  near(rf.ssim, e.ssim_rgb_mean, 1e-4, 'float ssim');
  near(rf.flip, e.flip_ldr_mean, 1e-3, 'float flip');
  // A float image against the 8-bit PNG it came from: identical signal, so PSNR is infinite.
  const mixed = await computeMetrics(toFloatStored(ref), ref, { metrics: ['psnr'], floatEncoding: 'stored' });
  assert.ok(mixed.psnr! > 120, `float vs its 8-bit source: psnr ${mixed.psnr}`);
});

test('an explicit data range rescales PSNR as 20·log10(range ratio)', async () => {
  const t = sharedImage(expected.pairs.noise8.test);
  const r = await computeMetrics(ref, t, { metrics: ['psnr'], dataRange: 510 });
  near(r.psnr, expected.pairs.noise8.psnr_db + 20 * Math.log10(2), 1e-4, 'psnr at data range 510');
});

test.run();
