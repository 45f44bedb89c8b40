/**
 * Routing on scenes built to fall on each side of each threshold of the decision matrix:
 * bake (baking_score > 0.7 and dynamic_score < 0.3), 3DGS (complexity > 0.8 or volumetric), hybrid otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornellBox } from '../../../examples/generators/cornell.js';
import { foliageField } from '../../../examples/generators/foliage.js';
import { MeshBuilder } from '../../../examples/generators/shapes.js';
import { analyzeScene } from '../../src/analyze/analyze.js';
import { measureTriangles } from '../../src/native/measure.js';
import { builtinProfile, resolveProfile } from '../../src/plan/profile.js';
import { explainPlan, planScene } from '../../src/plan/router.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { flattenScene } from '../../src/scene/flatten.js';
import { defaultMaterial, type Scene } from '../../src/scene/types.js';

async function plan(scene: Scene, profile = builtinProfile('balanced')) {
  const flat = flattenScene(scene);
  const analysis = await analyzeScene(scene, flat, await measureTriangles(flat, { backend: 'cpu' }));
  return { analysis, plan: planScene(scene, analysis, profile) };
}

/** A room with one extra object whose geometry we control. */
function roomWith(build: (scene: Scene) => void): Scene {
  const scene = cornellBox();
  build(scene);
  return scene;
}

/** A finely tessellated sphere: `n` segments → about 2n² triangles on a small radius. */
function sphere(scene: Scene, name: string, n: number, radius: number, material: number, at: [number, number, number]) {
  const b = new MeshBuilder();
  for (let j = 0; j <= n; j++)
    for (let i = 0; i <= n; i++) {
      const th = (j / n) * Math.PI,
        ph = (i / n) * 2 * Math.PI;
      const d = [Math.sin(th) * Math.cos(ph), Math.cos(th), Math.sin(th) * Math.sin(ph)];
      b.vertex(
        d.map((x) => x * radius),
        d,
        [i / n, j / n],
      );
    }
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const a = j * (n + 1) + i;
      b.triangle(a, a + n + 1, a + 1);
      b.triangle(a + 1, a + n + 1, a + n + 2);
    }
  addNode(scene, { name, mesh: addMesh(scene, name, [b.build(material)]), translation: at });
}

const decision = (p: Awaited<ReturnType<typeof plan>>, name: string) => {
  const d = p.plan.decisions.find((x) => x.name === name);
  assert.ok(d, `no decision for ${name}`);
  return { d: d!, o: p.analysis.objects.find((o) => o.features.name === name)! };
};

test('static opaque walls are baked (baking_score above 0.7, dynamic below 0.3)', async () => {
  const p = await plan(cornellBox());
  const { d, o } = decision(p, 'room');
  assert.ok(o.scores.bakingScore.value > 0.7 && o.scores.dynamicScore.value < 0.3);
  assert.is(d.route, 'bake');
  assert.is(p.plan.pipeline, 'baking');
});

test('the same object animated crosses dynamic_score 0.3 and is kept, not baked', async () => {
  const scene = cornellBox();
  scene.nodes.find((n) => n.name === 'tall_block')!.dynamic = true;
  const p = await plan(scene);
  const { d, o } = decision(p, 'tall_block');
  assert.ok(o.scores.dynamicScore.value >= 0.3);
  assert.is(d.route, 'keep');
});

test('a dense object on little screen crosses complexity 0.8 → 3DGS; a coarse one stays under it', async () => {
  // Baking off (bakeScore 1) isolates the complexity threshold.
  const noBake = resolveProfile({ extends: 'balanced', routing: { bakeScore: 1 } }, 'test');
  const dense = await plan(
    roomWith((s) => sphere(s, 'dense', 700, 0.05, 0, [0, 1.5, 0.5])),
    noBake,
  );
  const { d, o } = decision(dense, 'dense');
  assert.ok(o.features.drawnTriangles > 900_000);
  assert.ok(o.scores.complexity.value > 0.8, `complexity ${o.scores.complexity.value}`);
  assert.is(d.route, 'splat');
  const coarse = await plan(
    roomWith((s) => sphere(s, 'coarse', 16, 0.05, 0, [0, 1.5, 0.5])),
    noBake,
  );
  assert.ok(decision(coarse, 'coarse').o.scores.complexity.value < 0.8);
  // Under the threshold an all-opaque object is hybrid with nothing to splat, so it is baked.
  assert.is(decision(coarse, 'coarse').d.route, 'bake');
  assert.match(decision(coarse, 'coarse').d.reasons.join('\n'), /all primitives are opaque/);
});

test('instanced alpha-tested foliage: baking_score falls below 0.7 and complexity passes 0.8 → 3DGS', async () => {
  const p = await plan(foliageField({ scale: 1 }));
  const { d, o } = decision(p, 'plants');
  assert.ok(o.scores.bakingScore.value <= 0.7, `baking ${o.scores.bakingScore.value}`);
  assert.ok(o.scores.complexity.value > 0.8, `complexity ${o.scores.complexity.value}`);
  assert.is(d.route, 'splat');
  assert.is(decision(p, 'ground').d.route, 'bake');
  assert.is(p.plan.pipeline, 'hybrid');
  assert.match(explainPlan(p.plan, p.analysis), /plants: splat\n\s+baking_score [\d.]+ ≤ 0\.70/);
});

test('fewer plants fall under complexity 0.8: alpha-tested cards bake with their stems; blended cards make the object hybrid', async () => {
  const scene = foliageField({ scale: 0.02 });
  const plantMesh = scene.meshes[scene.nodes.find((n) => n.name === 'plants')!.mesh!];
  const cards = scene.materials[plantMesh.primitives[0].material];
  assert.is(cards.alphaMode, 'MASK');
  // Give the plant an opaque stem primitive so the object is mixed.
  const stem = new MeshBuilder();
  stem.cylinder(0, 0, 0.01, 0, 0.9, 6, 1);
  const bark = addMaterial(scene, { ...defaultMaterial('bark'), metallicFactor: 0 });
  plantMesh.primitives.push(stem.build(bark));
  const p = await plan(scene);
  const { d, o } = decision(p, 'plants');
  assert.ok(o.scores.complexity.value <= 0.8, `complexity ${o.scores.complexity.value}`);
  assert.ok(o.scores.bakingScore.value <= 0.7, `baking ${o.scores.bakingScore.value}`);
  // The bake honours alpha cut-outs, so alpha-tested cards are baked like the opaque stem.
  assert.is(d.route, 'bake');
  assert.equal(d.bakePrimitives, [0, 1]);
  // Blended cards are partial coverage, which a lightmap cannot hold: in a hybrid object they become splats.
  cards.alphaMode = 'BLEND';
  const hybridProfile = resolveProfile(
    { extends: 'balanced', objects: [{ match: 'plants', route: 'hybrid' }] },
    'td.json',
  );
  const blended = decision(await plan(scene, hybridProfile), 'plants').d;
  assert.is(blended.route, 'hybrid', blended.reasons.join('; '));
  assert.equal(blended.bakePrimitives, [1]);
  assert.equal(blended.splatPrimitives, [0]);
});

test('a profile with a lower splat threshold moves the same object to 3DGS', async () => {
  const scene = roomWith((s) => sphere(s, 'ball', 120, 0.2, 0, [0, 1, 0]));
  const strict = await plan(scene);
  const c = decision(strict, 'ball').o.scores.complexity.value;
  assert.is(decision(strict, 'ball').d.route, 'bake');
  const splatHappy = resolveProfile(
    { extends: 'balanced', routing: { bakeScore: 1, splatComplexity: Math.max(0, c - 0.01) } },
    'test',
  );
  const loose = await plan(scene, splatHappy);
  assert.ok(c > 0.05, `complexity ${c}`);
  assert.is(decision(loose, 'ball').d.route, 'splat', decision(loose, 'ball').d.reasons.join('; '));
});

test('per-object overrides win and say so', async () => {
  const profile = resolveProfile(
    {
      extends: 'balanced',
      objects: [
        { match: 'short_*', route: 'splat' },
        { match: 'room', texelsPerMeter: 99 },
      ],
    },
    'test',
  );
  const p = await plan(cornellBox(), profile);
  assert.is(decision(p, 'short_block').d.route, 'splat');
  assert.match(decision(p, 'short_block').d.reasons[0], /profile override "short_\*"/);
  assert.is(decision(p, 'room').d.texelsPerMeter, 99);
  assert.is(decision(p, 'tall_block').d.texelsPerMeter, 40);
});

test.run();
