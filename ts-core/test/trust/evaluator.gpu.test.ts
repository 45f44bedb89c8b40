/**
 * GPU: a verifier node on the CUDA backend must agree with CPU nodes within the consensus tolerance, or honest
 * GPU nodes would be flagged as Byzantine. CUDA changes the preview renderer, the splat rasterizer and the metrics
 * (the path tracer and the lightmapped renderer run on CPU threads either way). Runs with `npm run test:gpu` on a
 * machine with a device.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RenderedSampleEvaluator } from '../../src/trust/evaluator-render.js';
import { deviates, DEFAULT_CONSENSUS } from '../../src/trust/consensus.js';
import { sampleSpecs, METRICS } from '../../src/trust/sampling.js';
import type { ArtifactKind, RenderSpec } from '../../src/trust/types.js';
import { ALBEDO_TEST, FAST_RENDER, PATHTRACED_TEST, realBlobs, trustBlobs } from './fixtures.js';

test('CUDA and CPU evaluations of the same samples agree within the consensus tolerance', async () => {
  const blobs = await trustBlobs(),
    real = await realBlobs();
  const cpu = new RenderedSampleEvaluator('cpu'),
    gpu = new RenderedSampleEvaluator('cuda');
  const cases: [Uint8Array, Uint8Array, ArtifactKind, RenderSpec][] = [
    [blobs.reference, blobs.good, 'lightmap-gltf', FAST_RENDER],
    [blobs.reference, blobs.bad, 'lightmap-gltf', FAST_RENDER],
    [real.reference, real.bake, 'lightmap-gltf', PATHTRACED_TEST],
    [real.reference, real.bakeX2, 'lightmap-gltf', PATHTRACED_TEST],
    [real.reference, real.spz, 'splat', ALBEDO_TEST],
    [real.reference, real.spzOther, 'splat', ALBEDO_TEST],
  ];
  for (const [reference, artifact, kind, render] of cases) {
    for (const s of sampleSpecs('ef'.repeat(32), 6)) {
      const a = await cpu.evaluate(reference, artifact, kind, s, render);
      const b = await gpu.evaluate(reference, artifact, kind, s, render);
      for (const k of METRICS)
        assert.not.ok(
          deviates(b[k], a[k], k, DEFAULT_CONSENSUS),
          `${kind}/${render.reference} sample ${s.index} ${k}: cpu ${a[k]} vs cuda ${b[k]}`,
        );
      assert.ok(Math.abs(a.flip - b.flip) < 1e-2, `flip ${a.flip} vs ${b.flip}`);
    }
  }
});

test.run();
