// GPU tests (npm run test:gpu, on a machine with a CUDA device): a bake split into ranges on CUDA merges into the
// CUDA bake of the whole, float for float, as on the CPU (split.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/index.js';
import { prepareBake, traceBake } from '../../src/bake/bake.js';
import { bakeRange, estimateBakeCost, mergeBakeRanges, planBakeSplit } from '../../src/bake/split.js';

test('CUDA: 3 equal-cost ranges baked apart and merged equal the whole CUDA bake, float for float', async () => {
  // 30 texels/m: more covered texels than the 16384 scene-mean texels, so ranges trace some outside themselves.
  const bake = await prepareBake(cornellBox(), {
    texelsPerMeter: 30,
    samples: 64,
    minSamples: 16,
    bounces: 2,
    seed: 5,
    backend: 'cuda',
  });
  const whole = await traceBake(bake, { rays: true });
  assert.is(whole.stats.backend, 'cuda');
  assert.ok(whole.stats.coveredTexels > 16384, `${whole.stats.coveredTexels} covered texels`);
  const perTexel = whole.pages.rays.reduce((s, r) => s + r.reduce((a, x) => a + x, 0), 0);
  assert.is(perTexel, whole.stats.rays, 'the rays per texel add up to the rays of the bake');
  const cost = await estimateBakeCost(bake, { sampleTexels: 2048 });
  const parts = [];
  for (const r of planBakeSplit(cost, 3).ranges) parts.push(await bakeRange(bake, r));
  assert.ok(parts.every((p) => p.stats.probeTexels > 0));
  const merged = mergeBakeRanges(parts);
  for (const k of ['rgba', 'direct', 'valid', 'samples', 'position', 'normal'] as const)
    merged.pages[k].forEach((a, pg) => {
      const b = whole.pages[k][pg];
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
        y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      let diff = 0;
      for (let i = 0; i < x.length; i++) diff += x[i] !== y[i] ? 1 : 0;
      assert.is(diff, 0, `${k}[${pg}]: ${diff} bytes differ`);
    });
});

test.run();
