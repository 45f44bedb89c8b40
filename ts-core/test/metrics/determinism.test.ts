// Identical results on every node: the same inputs give bit-identical values and maps across runs and thread
// counts (OTE_THREADS is read once per process, so each count runs in its own process).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { computeMetrics } from '../../src/metrics/index.js';
import { oteBin } from '../helpers.js';
import { sharedExpected, sharedImage, sharedMetricsDir } from './fixtures.js';

const e = sharedExpected();

test('two runs give bit-identical values and maps', async () => {
  const a = sharedImage(e.reference),
    b = sharedImage(e.pairs.jpeg30.test);
  const opts = {
    metrics: ['psnr', 'ssim', 'ssimLuma', 'msssim', 'flip'],
    maps: ['ssimLuma', 'flip'] as ('ssimLuma' | 'flip')[],
  };
  const r1 = await computeMetrics(a, b, opts),
    r2 = await computeMetrics(a, b, opts);
  const { maps: m1, ...v1 } = r1,
    { maps: m2, ...v2 } = r2;
  assert.equal(v1, v2);
  assert.ok(Buffer.from(m1!.flip!.data.buffer).equals(Buffer.from(m2!.flip!.data.buffer)), 'flip maps differ');
  assert.ok(Buffer.from(m1!.ssimLuma!.data.buffer).equals(Buffer.from(m2!.ssimLuma!.data.buffer)), 'ssim maps differ');
  // The SSIM map's valid region averages to the reported SSIM (the map is the same computation).
  const { width: w, height: h, data } = m1!.ssimLuma!;
  let s = 0;
  for (let y = 5; y < h - 5; y++) for (let x = 5; x < w - 5; x++) s += data[y * w + x];
  assert.ok(Math.abs(s / ((w - 10) * (h - 10)) - r1.ssimLuma!) < 1e-9);
});

test('1, 2 and 3 worker threads give bit-identical values', () => {
  const out = [1, 2, 3].map((threads) => {
    const r = spawnSync(
      process.execPath,
      [
        oteBin,
        'compare',
        join(sharedMetricsDir, e.reference),
        join(sharedMetricsDir, e.pairs.blur15.test),
        '--json',
        '--metric',
        'psnr,ssim,ssimLuma,msssim,flip',
      ],
      { encoding: 'utf8', env: { ...process.env, OTE_THREADS: String(threads) } },
    );
    assert.is(r.status, 0, r.stderr);
    const { ms: _ms, ...values } = JSON.parse(r.stdout);
    return values;
  });
  assert.equal(out[1], out[0]);
  assert.equal(out[2], out[0]);
});

test.run();
