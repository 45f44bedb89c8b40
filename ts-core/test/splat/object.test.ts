/**
 * The optimizer's entry point (trainObjectSplats): the hero object trained against its lit renders within a
 * time budget of seconds beats the direct conversion on held-out views by a wide margin, respects the profile's
 * cap, plans fewer iterations than a long profile asks for, is reproducible when the iteration count is fixed,
 * and cancels.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heroObject } from '../../../examples/generators/index.js';
import { decodeSceneTextures } from '../../src/io/textures.js';
import { nodeBounds, trainObjectSplats } from '../../src/splat/object.js';
import { sceneBounds } from '../../src/scene/bounds.js';

const scene = heroObject({ scale: 1 });
const { textures } = await decodeSceneTextures(scene);

test('within a seconds budget, training beats the direct conversion on held-out views', async () => {
  const budget = 8;
  const stages = new Set<string>();
  const r = await trainObjectSplats(scene, {
    profile: { budget: 1_000_000, iterations: 7000, shDegree: 3 },
    textures,
    timeBudgetSeconds: budget,
    resolution: 96,
    onProgress: (p) => stages.add(p.stage),
  });
  assert.equal([...stages], ['targets', 'convert', 'train', 'evaluate']);
  // A loaded 2-core machine can overrun the plan somewhat; minutes would mean the budget is ignored.
  assert.ok(r.seconds.total < 1.6 * budget + 2, `took ${r.seconds.total.toFixed(1)} s for a ${budget} s budget`);
  assert.ok(r.iterations >= 10 && r.iterations < 7000, `${r.iterations} iterations`);
  assert.ok(
    r.model.count <= 96 * 96 && r.conversion.count <= 96 * 96,
    `counts ${r.model.count} / ${r.conversion.count}`,
  );
  assert.ok(
    r.heldOutPsnr > r.conversionPsnr + 5,
    `held-out ${r.heldOutPsnr.toFixed(2)} dB vs conversion ${r.conversionPsnr.toFixed(2)} dB`,
  );
  assert.ok(r.heldOutPsnr > 20, `held-out ${r.heldOutPsnr.toFixed(2)} dB`);
});

test('a fixed iteration count is reproducible; an abort cancels', async () => {
  const opts = {
    profile: { budget: 2000, iterations: 15, shDegree: 1 },
    textures,
    timeBudgetSeconds: Infinity,
    resolution: 48,
    views: 6,
    heldOutViews: 2,
    seed: 4,
  };
  const a = await trainObjectSplats(scene, opts),
    b = await trainObjectSplats(scene, opts);
  assert.is(a.iterations, 15);
  assert.is(a.model.count, b.model.count);
  assert.equal(a.model.means, b.model.means);
  assert.equal(a.model.sh, b.model.sh);
  const ac = new AbortController();
  try {
    await trainObjectSplats(scene, {
      ...opts,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage === 'train') ac.abort();
      },
    });
    assert.unreachable('should have been cancelled');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'CANCELLED');
  }
});

test('node bounds cover only the chosen nodes', () => {
  const all = sceneBounds(scene);
  const meshNodes = scene.nodes.map((n, i) => (n.mesh !== undefined ? i : -1)).filter((i) => i >= 0);
  assert.equal(nodeBounds(scene), all);
  const one = nodeBounds(scene, [meshNodes[0]]);
  for (let a = 0; a < 3; a++) assert.ok(one.min[a] >= all.min[a] - 1e-6 && one.max[a] <= all.max[a] + 1e-6);
  assert.ok(nodeBounds(scene, []).min[0] > nodeBounds(scene, []).max[0], 'no nodes: empty bounds');
});

test.run();
