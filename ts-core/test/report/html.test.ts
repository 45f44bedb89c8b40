/** report.html shows every verified artifact's verdict and which splat model shipped. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderReportHtml } from '../../src/report/html.js';
import type { OptimizeReport } from '../../src/report/types.js';
import { minimalReport } from './fixtures.js';

const metric = { mean: 30, ci: [29, 31] as [number, number], threshold: 26, direction: 'min' as const, pass: true };
const report = {
  ...minimalReport,
  plan: { pipeline: 'hybrid', decisions: [] },
  outputs: { scene: 'scene.glb', lightmaps: [], splats: ['splats.spz'], certificate: 'certificate.json' },
  splats: {
    kept: 'trained',
    iterations: 244,
    targets: 'pathtrace',
    heldOutPsnr: 30.6,
    conversionPsnr: 25.8,
    gaussians: 13857,
    seconds: 6.1,
  },
  verification: {
    verdict: 'rejected',
    reason: 'splats.spz: SSIM below',
    metrics: { psnr: metric },
    samples: 8,
    nodes: ['a', 'b', 'c'],
    byzantine: [],
    artifacts: [
      {
        file: 'scene.glb',
        kind: 'lightmap-gltf',
        verdict: 'accepted',
        reason: '',
        certificate: 'certificate.json',
        reference: 'pathtrace',
      },
      {
        file: 'splats.spz',
        kind: 'splat',
        verdict: 'rejected',
        reason: 'SSIM <b>below</b>',
        certificate: 'certificate-splats.json',
        reference: 'pathtrace',
      },
    ],
  },
  exit: { code: 7, reason: 'verification rejected' },
} as unknown as OptimizeReport;

test('each artifact has a row with its verdict, reference and certificate; reasons are escaped', () => {
  const html = renderReportHtml(report, {});
  assert.match(
    html,
    /<tr class="pass"><td><code>scene\.glb<\/code><\/td><td>lightmap-gltf<\/td><td>pathtrace<\/td><td>accepted<\/td><td><code>certificate\.json/,
  );
  assert.match(
    html,
    /<tr class="fail"><td><code>splats\.spz<\/code><\/td><td>splat<\/td><td>pathtrace<\/td><td>rejected: SSIM &lt;b&gt;below&lt;\/b&gt;/,
  );
  assert.match(
    html,
    /Shipped the <b>trained<\/b> model \(13,857 Gaussians\): 244 training iterations against pathtrace targets, held-out PSNR trained 30\.60 dB vs direct conversion 25\.80 dB/,
  );
});

test('without artifacts or splats those sections are absent', () => {
  const html = renderReportHtml(
    { ...report, splats: undefined, verification: { ...report.verification!, artifacts: undefined } },
    {},
  );
  assert.not.match(html, /Verified artifacts/);
  assert.not.match(html, /<h2>Splats/);
});

test.run();
