/**
 * GPU: a verifier node on the CUDA backend must agree with CPU nodes within the consensus tolerance, or honest
 * GPU nodes would be flagged as Byzantine. Runs with `npm run test:gpu` on a machine with a device.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RenderedSampleEvaluator } from '../../src/trust/evaluator-render.js';
import { deviates, DEFAULT_CONSENSUS } from '../../src/trust/consensus.js';
import { sampleSpecs, METRICS } from '../../src/trust/sampling.js';
import { trustBlobs } from './fixtures.js';

test('CUDA and CPU evaluations of the same samples agree within the consensus tolerance', async () => {
  const blobs = await trustBlobs();
  const cpu = new RenderedSampleEvaluator('cpu'), gpu = new RenderedSampleEvaluator('cuda');
  for (const artifact of [blobs.good, blobs.bad]) {
    for (const s of sampleSpecs('ef'.repeat(32), 8)) {
      const a = await cpu.evaluate(blobs.reference, artifact, 'lightmap-gltf', s);
      const b = await gpu.evaluate(blobs.reference, artifact, 'lightmap-gltf', s);
      for (const k of METRICS) assert.not.ok(deviates(b[k], a[k], k, DEFAULT_CONSENSUS), `sample ${s.index} ${k}: cpu ${a[k]} vs cuda ${b[k]}`);
      assert.ok(Math.abs(a.flip - b.flip) < 1e-3, `flip ${a.flip} vs ${b.flip}`);
    }
  }
});

test.run();
