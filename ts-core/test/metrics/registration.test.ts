/**
 * computeMetrics needs no import for a side effect: a fresh process that imports only metrics/compute.js gets the
 * built-in metrics (what a programmatic optimize() relies on), and the built-ins never take an id from a provider
 * the host registered first. Each case runs in its own process, because the registry is per process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

const compute = new URL('../../src/metrics/compute.js', import.meta.url).href;
const registry = new URL('../../src/metrics/registry.js', import.meta.url).href;

/** Runs an ES module body in a fresh Node process and returns what it printed as JSON. */
function fresh(body: string): unknown {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// Two 16x16 opaque images that differ by 4 codes in every colour channel: PSNR = 10 log10(255² / 16).
const pair = `
  const ref = { width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(100) };
  const test = { width: 16, height: 16, data: ref.data.map((v, i) => (i % 4 === 3 ? 255 : v + 4)) };
  ref.data.forEach((_, i) => { if (i % 4 === 3) ref.data[i] = 255; });`;

test('a process that imports only compute.js computes the built-in metrics', () => {
  const r = fresh(`import { computeMetrics } from '${compute}';${pair}
    const m = await computeMetrics(ref, test, { metrics: ['psnr', 'ssim', 'flip'] });
    let lpips;
    try { await computeMetrics(ref, test, { metrics: ['lpips'] }); } catch (e) { lpips = e.message; }
    console.log(JSON.stringify({ psnr: m.psnr, ssim: m.ssim, flip: m.flip, lpips }));`) as {
    psnr: number;
    ssim: number;
    flip: number;
    lpips: string;
  };
  assert.ok(Math.abs(r.psnr - 10 * Math.log10((255 * 255) / 16)) < 1e-6, `psnr ${r.psnr}`);
  assert.ok(r.ssim > 0.9 && r.ssim <= 1, `ssim ${r.ssim}`);
  assert.ok(r.flip > 0 && r.flip < 0.1, `flip ${r.flip}`);
  assert.match(r.lpips, /LPIPS needs trained network weights/, 'the placeholders come with the built-ins');
});

test("the built-ins do not take over a host's provider registered before them", () => {
  const r = fresh(`import { computeMetrics } from '${compute}';
    import { registerMetricProvider, listMetrics } from '${registry}';${pair}
    registerMetricProvider({ name: 'host', metrics: [{ id: 'psnr', name: 'PSNR', unit: 'dB', better: 'higher', description: 'test double', reference: 'test' }],
      unavailableReason: () => null, compute: async () => ({ values: { psnr: 123 } }) });
    const m = await computeMetrics(ref, test, { metrics: ['psnr', 'flip'] });
    const by = Object.fromEntries(listMetrics().map((x) => [x.id, x.provider]));
    console.log(JSON.stringify({ psnr: m.psnr, flip: m.flip, psnrBy: by.psnr, flipBy: by.flip }));`) as {
    psnr: number;
    flip: number;
    psnrBy: string;
    flipBy: string;
  };
  assert.is(r.psnr, 123, "the host's PSNR");
  assert.equal([r.psnrBy, r.flipBy], ['host', 'native']);
  assert.ok(r.flip > 0 && r.flip < 0.1, 'FLIP from the built-in provider');
});

test.run();
