// `ote compare` end to end: text and JSON output, heatmaps, thresholds and exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePng } from '../../src/io/png.js';
import { oteBin, tempDir } from '../helpers.js';
import { sharedExpected, sharedMetricsDir } from './fixtures.js';

const dir = tempDir();
const e = sharedExpected();
const ref = join(sharedMetricsDir, e.reference);
const noisy = join(sharedMetricsDir, e.pairs.noise8.test);

function ote(...args: string[]) {
  const r = spawnSync(process.execPath, [oteBin, 'compare', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--json prints the metrics, identical images give PSNR "Infinity"', () => {
  const r = ote(ref, noisy, '--json', '--metric', 'psnr,ssim', '--metric', 'flip');
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.ok(Math.abs(j.psnr - e.pairs.noise8.psnr_db) < 1e-4);
  assert.ok(Math.abs(j.ssim - e.pairs.noise8.ssim_rgb_mean) < 1e-4);
  assert.ok(Math.abs(j.flip - e.pairs.noise8.flip_ldr_mean) < 1e-3);
  assert.is(j.reference.kind, 'png8');
  const same = JSON.parse(ote(ref, ref, '--json', '--metric', 'psnr').out);
  assert.is(same.psnr, 'Infinity');
  assert.is(Number(same.psnr), Infinity);
});

test('--heatmap writes a FLIP heatmap PNG of the compared size; a crop shrinks it', () => {
  const out = join(dir, 'heat.png');
  const r = ote(ref, noisy, '--heatmap', out, '--crop', '10,20,300,200');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /heatmap\s+.*heat\.png \(FLIP\)/);
  const png = decodePng(new Uint8Array(readFileSync(out)));
  assert.is(png.width, 300);
  assert.is(png.height, 200);
  const ssimOut = join(dir, 'ssim.exr');
  assert.is(ote(ref, noisy, '--heatmap', ssimOut, '--heatmap-metric', 'ssim').code, 0);
});

test('thresholds: a failing bound exits 6 and says which; a passing one exits 0', () => {
  const fail = ote(ref, noisy, '--max-flip', '0.05', '--min-psnr', '20');
  assert.is(fail.code, 6, fail.err);
  assert.match(fail.out, /FAIL\s+flip 0\.0653\d+ <= 0\.05/);
  assert.match(fail.out, /pass\s+psnr/);
  assert.is(ote(ref, noisy, '--max-flip', '0.1').code, 0);
});

test('usage and input errors exit 2 and 3 with a message', () => {
  const usage = ote(ref, noisy, '--metric', 'bogus');
  assert.is(usage.code, 2);
  assert.match(usage.err, /unknown metric "bogus"/);
  const input = ote(ref, join(sharedMetricsDir, 'README.md'));
  assert.is(input.code, 3);
  assert.match(input.err, /README\.md: unsupported image format/);
  const lpips = ote(ref, noisy, '--metric', 'lpips');
  assert.is(lpips.code, 3);
  assert.match(lpips.err, /not available: LPIPS needs trained network weights/);
});

test.run();
