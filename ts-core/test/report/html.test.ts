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

const mode = (ms: number, calls: number, triangles: number, shadow: number) => ({
  medianMs: ms,
  roundMs: [ms, ms, ms],
  calls,
  triangles,
  bytes: { geometry: 1 << 20, textures: 0, splats: 0, shadowMaps: shadow },
  gpuBytes: (1 << 20) + shadow,
  splats: 0,
});

test('the gain line: frame time once measured, and how close the result looks to the reference', () => {
  const flip = { ...metric, mean: 0.0412, direction: 'max' as const, threshold: 0.15 };
  const verified = { ...report, verification: { ...report.verification!, metrics: { flip } } };
  assert.match(
    renderReportHtml(verified, {}),
    /<p class="gain">Frame time not measured yet \(`ote view &lt;outdir&gt; --measure` times it in Chromium\); looks within FLIP 0\.041 of the path-traced reference\.<\/p>/,
  );
  const runtime = {
    measuredAt: '2026-12-04T05:00:00Z',
    browser: 'Chromium 150.0.7871.100',
    gpu: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)',
    size: 512,
    frames: 60,
    rounds: 3,
    before: mode(36, 27, 142, 16 << 20),
    after: mode(12, 5, 34, 0),
    speedup: 3,
  };
  const html = renderReportHtml({ ...verified, runtime }, {});
  assert.match(
    html,
    /Renders 3\.0× faster in three\.js: 12\.0 ms a frame against 36\.0 ms lit live, 5 draw calls against 27 \(Chromium 150\.0\.7871\.100, SwiftShader on the CPU, 512×512\); looks within FLIP 0\.041/,
  );
  assert.match(
    html,
    /A frame draws 34 triangles against 142 \(shadow passes included\) and holds 1\.0 MB of GPU memory against 17\.0 MB\./,
  );
  // Slower after (a scene made heavier by splats, say) is said as it is, and without a check there is no FLIP.
  const slower = renderReportHtml(
    {
      ...report,
      verification: undefined,
      runtime: { ...runtime, before: mode(10, 5, 34, 0), after: mode(12, 5, 34, 0), speedup: 10 / 12 },
    },
    {},
  );
  assert.match(slower, /<p class="gain">Renders no faster in three\.js: 12\.0 ms a frame against 10\.0 ms lit live/);
  assert.not.match(slower, /FLIP 0\./);
});

test('the size line: what a viewer loads against the input, and why when it is larger', () => {
  const files = [
    { name: 'scene.glb', bytes: 700_000 },
    { name: 'splats.spz', bytes: 160_000 },
  ];
  const lean = renderReportHtml(
    { ...report, size: { input: 3_260_000, output: 860_000, files, lightmaps: 600_000 } },
    {},
  );
  assert.match(
    lean,
    /<p>Writes 860\.0 KB \(scene\.glb 700\.0 KB, splats\.spz 160\.0 KB\) for an input of 3\.26 MB: 0\.26×\.<\/p>/,
  );
  const larger = renderReportHtml(
    {
      ...report,
      size: {
        input: 6_268,
        output: 21_472,
        files: [{ name: 'scene.glb', bytes: 21_472 }],
        lightmaps: 11_378,
        larger: 'the lightmap pages are 11.4 KB',
      },
    },
    {},
  );
  assert.match(
    larger,
    /<p>Writes 21\.5 KB \(scene\.glb 21\.5 KB\) for an input of 6\.3 KB: 3\.43×, larger because the lightmap pages are 11\.4 KB\.<\/p>/,
  );
});

test.run();
