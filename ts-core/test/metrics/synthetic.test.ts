// Synthetic pairs (odd sizes, the smallest SSIM size, 16-bit, float) against scikit-image values written by
// scripts/metrics-expected.py from the same integer formulas.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMetrics } from '../../src/metrics/index.js';
import { extraExpected, synthetic16, synthetic8 } from './fixtures.js';

const extra = extraExpected().synthetic;

function near(got: unknown, want: number, tol: number, what: string) {
  assert.type(got, 'number', `${what} missing`);
  assert.ok(Math.abs((got as number) - want) <= tol, `${what}: got ${got}, expected ${want}`);
}

for (const [name, e] of Object.entries(extra)) {
  test(`${name} (${e.width}x${e.height}, range ${e.data_range}) matches scikit-image`, async () => {
    const { ref, test: t } = e.data_range === 65535 ? synthetic16(e.width, e.height) : synthetic8(e.width, e.height);
    const metrics = ['psnr', 'ssim', 'ssimLuma', ...(e.msssim !== undefined ? ['msssim'] : [])];
    const r = await computeMetrics(ref, t, { metrics });
    near(r.psnr, e.psnr_db, 1e-4, 'psnr');
    near(r.ssim, e.ssim_rgb_mean, 1e-4, 'ssim');
    near(r.ssimLuma, e.ssim_luma_bt601, 1e-4, 'ssim luma');
    if (e.msssim !== undefined) near(r.msssim, e.msssim, 1e-4, 'msssim');
    // Alone, SSIM on luma streams luma rows from the integer pixels instead of the RGB planes: the same bits.
    assert.is((await computeMetrics(ref, t, { metrics: ['ssimLuma'] })).ssimLuma, r.ssimLuma);
    if (e.data_range === 65535) {
      // The same values as float in [0, 1], read as stored.
      const f = (d: Uint16Array) => ({
        width: e.width,
        height: e.height,
        data: Float32Array.from(d, (v) => v / 65535),
      });
      const rf = await computeMetrics(f(ref.data as Uint16Array), f(t.data as Uint16Array), {
        metrics: ['psnr', 'ssim'],
        floatEncoding: 'stored',
      });
      near(rf.psnr, e.psnr_db, 1e-4, 'float psnr');
      near(rf.ssim, e.ssim_rgb_mean, 1e-4, 'float ssim');
      const rl = await computeMetrics(f(ref.data as Uint16Array), f(t.data as Uint16Array), {
        metrics: ['ssimLuma'],
        floatEncoding: 'stored',
      });
      near(rl.ssimLuma, e.ssim_luma_bt601, 1e-4, 'float ssim luma');
    }
  });
}

test.run();
