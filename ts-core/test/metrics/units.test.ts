// Pure TypeScript parts: verdicts, the registry, heatmaps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COLOR_MAPS } from '../../src/image/colormaps.js';
import { heatmap } from '../../src/image/heatmap.js';
import {
  computeMetrics,
  DEFAULT_THRESHOLDS,
  judge,
  listMetrics,
  metricsFor,
  registerMetricProvider,
  VERDICT_SSIM,
  type MetricsResult,
} from '../../src/metrics/index.js';
import { synthetic8 } from './fixtures.js';

const base: MetricsResult = { width: 1, height: 1, backend: 'cpu', psnr: 40, ssimLuma: 0.99, flip: 0.01 };

test('verdicts use SSIM on luma and check each threshold in its direction', () => {
  assert.is(VERDICT_SSIM, 'ssimLuma');
  assert.ok(judge(base).pass);
  const v = judge({ ...base, ssim: 0.1, ssimLuma: 0.9 }, { minSsim: 0.95 });
  assert.not.ok(v.pass);
  assert.equal(v.checks, [{ metric: 'ssimLuma', value: 0.9, limit: 0.95, op: '>=', pass: false }]);
  assert.not.ok(judge({ ...base, flip: 0.2 }, { maxFlip: 0.05 }).pass);
  assert.ok(judge({ ...base, psnr: Infinity }, { minPsnr: 60 }).pass, 'identical images pass any PSNR bound');
  assert.equal(metricsFor({ minPsnr: 1, minSsim: 0.5, maxFlip: 0.1 }), ['psnr', 'ssimLuma', 'flip']);
});

test('a missing or NaN metric fails its check rather than passing', () => {
  const v = judge({ width: 1, height: 1, backend: 'cpu', psnr: NaN }, { minPsnr: 30, maxFlip: 0.1 });
  assert.not.ok(v.pass);
  assert.ok(v.checks.every((c) => !c.pass));
  assert.ok(DEFAULT_THRESHOLDS.maxFlip > 0);
});

test('a provider plugged in later takes over a placeholder id (how LPIPS or VMAF would be added)', async () => {
  assert.is(listMetrics().find((m) => m.id === 'lpips')!.available, false);
  registerMetricProvider({
    name: 'fake-lpips',
    metrics: [
      { id: 'lpips', name: 'LPIPS', unit: 'error', better: 'lower', description: 'test double', reference: 'test' },
    ],
    unavailableReason: () => null,
    compute: async (a, b, req) => ({ values: { lpips: a.width * 1000 + b.height + req.metrics.length } }),
  });
  const { ref, test: t } = synthetic8(20, 12);
  const r = await computeMetrics(ref, t, { metrics: ['psnr', 'lpips'] });
  assert.is(r.lpips, 20 * 1000 + 12 + 1);
  assert.type(r.psnr, 'number');
  assert.is(listMetrics().find((m) => m.id === 'lpips')!.provider, 'fake-lpips');
  assert.is(listMetrics().find((m) => m.id === 'psnr')!.provider, 'native', 'other ids keep their provider');
});

test('heatmap: magma endpoints, clamping, inversion and NaN grey', () => {
  const map = { width: 5, height: 1, data: new Float32Array([0, 1, 2, -1, NaN]) };
  const h = heatmap(map);
  const px = (i: number) => Array.from(h.data.slice(4 * i, 4 * i + 4));
  const magma = COLOR_MAPS.magma;
  assert.equal(px(0), [magma[0], magma[1], magma[2], 255]);
  assert.equal(px(1), [magma[765], magma[766], magma[767], 255]);
  assert.equal(px(2), px(1), 'values above the range clamp');
  assert.equal(px(3), px(0), 'values below the range clamp');
  assert.equal(px(4), [128, 128, 128, 255]);
  assert.equal(Array.from(heatmap(map, { invert: true }).data.slice(0, 4)), px(1));
  assert.ok(magma[765] > 200 && magma[0] < 10, 'magma runs dark to light');
});

test('progress only moves forward across the phases and ends at 1; aborting cancels', async () => {
  const { ref, test: t } = synthetic8(400, 300);
  const seen: number[] = [];
  await computeMetrics(ref, t, {
    metrics: ['psnr', 'ssim', 'ssimLuma', 'msssim', 'flip'],
    onProgress: (f) => seen.push(f),
  });
  assert.ok(seen.length > 3, `${seen.length} progress reports`);
  for (let i = 1; i < seen.length; i++)
    assert.ok(seen[i] >= seen[i - 1], `progress went back: ${seen[i - 1]} -> ${seen[i]}`);
  assert.is(seen[seen.length - 1], 1);
  const ac = new AbortController();
  ac.abort();
  try {
    await computeMetrics(ref, t, { metrics: ['flip'], signal: ac.signal });
    assert.unreachable('not cancelled');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'CANCELLED');
  }
});

test.run();
