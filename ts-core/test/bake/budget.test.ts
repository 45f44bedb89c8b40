import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitDensities, estimatePageTexels, type BudgetObject } from '../../src/bake/budget.js';
import { generateLightmapUvs, type LightmapAtlas } from '../../src/bake/uv.js';
import { countUvOverlaps } from '../../src/native/bake.js';
import type { Scene } from '../../src/scene/types.js';
import { scaled, unitRoom } from './budget-scenes.js';

const obj = (area: number, requested = 32, importance = 1, minDensity = 1): BudgetObject => ({
  partAreas: [area],
  requested,
  importance,
  minDensity,
});

test('fitDensities: untouched when it fits; otherwise within budget, big surfaces shrink first, never above the ask or below the floor', () => {
  const objects = [
    obj(400, 32, 1, 0.01),
    obj(100, 32, 1, 0.01),
    obj(1, 32, 1, 0.01),
    obj(1, 32, 2, 0.01),
    obj(0.25, 32, 1, 0.01),
  ];
  const asked = estimatePageTexels(
    objects,
    objects.map(() => 1),
    4096 ** 2,
    1.1,
  );
  const easy = fitDensities(objects, asked * 1.01, 4096 ** 2);
  assert.equal(easy.scale, [1, 1, 1, 1, 1]);
  assert.ok(easy.fits);

  const budget = asked * 0.01;
  const fit = fitDensities(objects, budget, 4096 ** 2);
  assert.ok(fit.fits);
  assert.ok(
    fit.estimate <= budget && fit.estimate > 0.98 * budget,
    `estimate ${fit.estimate} vs budget ${budget}: the whole budget is used`,
  );
  const [huge, big, small, hero, tiny] = fit.scale;
  assert.ok(huge < big && big < small && small < tiny && tiny < 1, `by size: ${fit.scale}`);
  // sizeExponent 0.25: 4× the area keeps 1/√2 of the relative density.
  assert.ok(Math.abs(huge / big - Math.SQRT1_2) < 1e-3, `${huge / big}`);
  assert.ok(hero > small, 'an important (overridden) object keeps more than an ordinary one of its size');
  for (const [i, s] of fit.scale.entries())
    assert.ok(s <= 1 && s * objects[i].requested >= objects[i].minDensity - 1e-9);
});

test('fitDensities: the page cap (a part never takes more than a page) and refusal below the floors', () => {
  // One part far over a page: the packer shrinks it to a page anyway, so it alone never forces scaling.
  const capped = fitDensities([obj(1e6), obj(1)], 2 * 1024 * 1024, 1024 * 1024, { headroom: 1 });
  assert.equal(capped.scale, [1, 1]);
  const none = fitDensities([obj(100, 32, 1, 10), obj(100, 32, 1, 10)], 1000, 4096 ** 2);
  assert.not.ok(none.fits);
  assert.ok(none.minimumEstimate > 1000);
});

test('fitDensities: part weights scale the parts of one object apart, within its floor and its ask', () => {
  // One object of four equal parts, weighted as the viewpoints would see them (bake/view-weights.ts).
  const o: BudgetObject = {
    partAreas: [25, 25, 25, 25],
    partWeights: [4, 1, 1, 0.25],
    requested: 32,
    importance: 1,
    minDensity: 0.5,
  };
  const asked = estimatePageTexels([o], [1], 4096 ** 2, 1.1);
  const fit = fitDensities([o], asked * 0.05, 4096 ** 2);
  assert.ok(fit.fits && fit.estimate <= asked * 0.05 * 1.000001, `estimate ${fit.estimate}`);
  const [near, mid, mid2, far] = fit.partScale[0];
  assert.ok(Math.abs(near / mid - 4) < 1e-9 && mid === mid2 && Math.abs(mid / far - 4) < 1e-9, `${fit.partScale[0]}`);
  assert.equal(fit.scale[0], far, "the object's scale is its least dense part's");
  // Without weights the same budget gives every part one scale; weighted, the near part packs at 4 × √(4 / 18.0625)
  // of it (the same texels: Σ w² = 16 + 1 + 1 + 1/16 against 4).
  const plain = fitDensities([{ ...o, partWeights: undefined }], asked * 0.05, 4096 ** 2);
  const even = plain.partScale[0][0];
  assert.ok(
    plain.partScale[0].every((x) => x === even),
    `${plain.partScale[0]}`,
  );
  assert.ok(Math.abs(near / even - 4 * Math.sqrt(4 / 18.0625)) < 1e-4, `near ${near} against even ${even}`);
  // A part at its floor (weighted next to nothing) while the others are above it: a tighter fit still exists.
  const pinned = fitDensities([{ ...o, partWeights: [4, 1, 1, 1e-6] }], asked * 0.05, 4096 ** 2);
  assert.ok(pinned.scale[0] === 0.5 / 32 && !pinned.atFloor, `${pinned.partScale[0]}`);
  assert.ok(fitDensities([o], 1, 4096 ** 2).atFloor, 'below the floors everything sits at them');
  // Never above the ask: with room for all, every part is as asked.
  assert.equal(fitDensities([o], asked * 2, 4096 ** 2).partScale[0], [1, 1, 1, 1]);
});

test('fitDensities: a part the views ask to raise packs above the ask when it fits, and still shrinks when it does not', () => {
  const o: BudgetObject = {
    partAreas: [25, 25],
    partRaise: [2, 1],
    requested: 10,
    importance: 1,
    minDensity: 0.5,
  };
  const raised = estimatePageTexels([o], [[2, 1]], 4096 ** 2, 1.1);
  const free = fitDensities([o], raised * 1.01, 4096 ** 2);
  assert.equal(free.partScale[0], [2, 1]);
  assert.is(free.requestedEstimate, raised, 'as asked counts the raise');
  assert.is(free.scale[0], 1, "the object's scale is capped at its ask");
  // Half the texels: both parts scale down together until the raised one meets the ask of the other.
  const tight = fitDensities([o], raised * 0.5, 4096 ** 2);
  assert.ok(tight.fits && tight.estimate <= raised * 0.5 * 1.000001, `${tight.estimate}`);
  const [near, far] = tight.partScale[0];
  assert.ok(near > far && near < 2 && far <= 1, `${tight.partScale[0]}`);
});

async function atlasOf(
  scene: Scene,
  opts: Parameters<typeof generateLightmapUvs>[1],
): Promise<{ scene: Scene; atlas: LightmapAtlas }> {
  return generateLightmapUvs(scene, { maxPageSize: 1024, ...opts });
}

function overlaps(scene: Scene, atlas: LightmapAtlas): number {
  const corners: number[] = [],
    page: number[] = [];
  for (const o of atlas.objects)
    scene.meshes[o.mesh].primitives.forEach((p, pi) => {
      for (let i = 0; i < p.indices.length; i += 3) {
        for (let k = 0; k < 3; k++) corners.push(p.uv1![2 * p.indices[i + k]], p.uv1![2 * p.indices[i + k] + 1]);
        page.push(o.primitivePages[pi]);
      }
    });
  return countUvOverlaps(Float32Array.from(corners), Uint32Array.from(page)).count;
}

test('a room over the texel budget bakes at a scaled density inside it, props and the overridden hero keeping the most', async () => {
  const free = await atlasOf(unitRoom({ hero: true }), { texelsPerMeter: 64, objectTexelsPerMeter: { hero: 64 } });
  assert.is(free.atlas.densityScale, 1);
  assert.equal(free.atlas.warnings, []);
  assert.is(free.atlas.packs, 1);
  for (const o of free.atlas.objects) {
    assert.is(o.requestedTexelsPerMeter, 64);
    assert.ok(Math.abs(o.scale - 1) < 1e-6);
  }

  const budget = Math.round(free.atlas.pageTexels * 0.3);
  const { scene, atlas } = await atlasOf(unitRoom({ hero: true }), {
    texelsPerMeter: 64,
    objectTexelsPerMeter: { hero: 64 },
    maxTexels: budget,
  });
  assert.ok(atlas.pageTexels <= budget, `${atlas.pageTexels} page texels over the budget of ${budget}`);
  assert.is(atlas.texelBudget, budget);
  assert.ok(atlas.densityScale < 0.8 && atlas.densityScale > 0.2, `density scale ${atlas.densityScale}`);
  assert.is(overlaps(scene, atlas), 0);
  assert.is(atlas.warnings.length, 1, atlas.warnings.join('\n'));
  assert.match(
    atlas.warnings[0],
    /^lightmap density scaled to 0\.\d\d× \(64\.0 → \d+\.\d texels\/m on average\) to fit the \d+\.\dM-texel budget/,
  );
  const by = (name: string) => atlas.objects.find((o) => o.name === name)!;
  for (const o of atlas.objects) {
    assert.ok(
      Math.abs(o.texelsPerMeter - o.requestedTexelsPerMeter * o.scale) < 1e-3,
      `${o.name}: effective = requested × scale`,
    );
    assert.ok(o.scale <= 1 + 1e-6);
  }
  // Importance ordering: the floor (48 m²) shrinks most, then walls, then props by size (prop2 1 m, prop3 0.48 m,
  // prop0 0.3 m); the hero (0.5 m, a TD's override) keeps more than prop3, which is slightly smaller.
  const s = (name: string) => by(name).scale;
  assert.ok(s('floor') < s('wall_n') && s('wall_n') < s('wall_w'), 'floor 48 m² < wall 24 m² < wall 18 m²');
  assert.ok(
    s('wall_w') < s('prop2') && s('prop2') < s('prop3') && s('prop3') < s('prop0'),
    `walls < big prop < small prop: ${s('wall_w')}, ${s('prop2')}, ${s('prop3')}, ${s('prop0')}`,
  );
  assert.ok(s('hero') > s('prop3'), `hero ${s('hero')} vs a prop of about its size ${s('prop3')}`);
});

test('refusal only below the minimal useful density, saying what to change (and the units when they look wrong)', async () => {
  // 4 texels across each object at 64 texels/m fits easily in a budget that 64 texels/m does not.
  const min = await atlasOf(unitRoom(), { texelsPerMeter: 64, maxTexels: 64 * 1024 });
  assert.ok(min.atlas.pageTexels <= 64 * 1024);
  const refuse = async (scene: Scene, maxTexels: number) => {
    try {
      await atlasOf(scene, { texelsPerMeter: 64, maxTexels });
    } catch (e) {
      return e as Error & { code: string };
    }
    assert.unreachable('did not refuse');
    throw new Error();
  };
  const e = await refuse(unitRoom(), 500);
  assert.is(e.code, 'TOO_BIG');
  assert.match(e.message, /minimal useful density \(4 texels across each of the 18 objects\)/);
  assert.match(e.message, /raise maxTexels/);
  assert.match(e.message, /route objects elsewhere/);
  assert.not.match(e.message, /units/);
  const mm = await refuse(scaled(unitRoom(), 1000), 500);
  assert.match(mm.message, /likely millimetres/);
});

test('maxPages caps the budget at pages × page size²', async () => {
  const { atlas } = await atlasOf(unitRoom(), { texelsPerMeter: 400, maxPages: 1 });
  assert.is(atlas.texelBudget, 1024 * 1024);
  assert.ok(atlas.pageTexels <= 1024 * 1024);
  assert.is(atlas.pages.length, 1);
  assert.match(atlas.warnings.join('\n'), /scaled to/);
});

test('viewFloor raises the density of what the eyes see near, not of a TD override; without it, only reports', async () => {
  // The room at 10 texels per metre from an eye 1.5 m above its floor: 10 cm texels a few metres away span
  // 10–40 pixels of a 2 mrad view pixel, so the seen parts rise to the cap (4×); a 0.3 m box a metre away too.
  const scene = unitRoom({ props: 2, hero: true });
  const eye: [number, number, number] = [0, 1.5, 0];
  const base = { texelsPerMeter: 10, viewpoints: [eye], viewPixel: 0.002, objectTexelsPerMeter: { hero: 10 } };
  const plain = await atlasOf(scene, base);
  const raised = await atlasOf(scene, { ...base, viewFloor: true });
  const byName = (a: LightmapAtlas, n: string) => a.objects.find((o) => o.name === n)!;
  assert.ok(plain.atlas.objects.every((o) => o.maxTexelsPerMeter <= 10.0001));
  // Reported alike either way: what would rise, and by how much at most.
  const reported = plain.atlas.viewFloor!;
  assert.equal(reported, { ...raised.atlas.viewFloor!, applied: false });
  assert.ok(reported.objects.some((o) => o.name === 'floor' && o.raise > 2) && reported.objects.length >= 3);
  assert.not.ok(reported.objects.some((o) => o.name === 'hero'));
  assert.is(raised.atlas.viewFloor!.applied, true);
  assert.is((await atlasOf(scene, { texelsPerMeter: 10, viewpoints: [eye] })).atlas.viewFloor, undefined);
  for (const n of ['floor', 'wall_n', 'prop0'])
    assert.ok(byName(raised.atlas, n).maxTexelsPerMeter > 2 * 10, `${n}: ${byName(raised.atlas, n).maxTexelsPerMeter}`);
  assert.ok(byName(raised.atlas, 'hero').maxTexelsPerMeter <= 10.0001, "the TD's density is taken as written");
  assert.match(raised.atlas.warnings.join('\n'), /lightmap density raised where the views see a texel over 4 pixels/);
  // A coarser allowance raises less.
  const loose = await atlasOf(scene, { ...base, viewFloor: true, maxTexelPixels: 16 });
  assert.ok(byName(loose.atlas, 'floor').maxTexelsPerMeter < byName(raised.atlas, 'floor').maxTexelsPerMeter);
  // The raise is honoured by the overlap-free packer like any density.
  assert.is(overlaps(raised.scene, raised.atlas), 0);
});

test("an instanced node's copies take its override", async () => {
  const scene = unitRoom({ props: 0 });
  const src = scene.nodes.find((n) => n.name === 'floor')!;
  const box = scene.nodes.length;
  scene.nodes.push({
    name: 'crates',
    parent: -1,
    children: [],
    translation: [0, 0, 0],
    rotation: [0, 0, 0, 1],
    scale: [1, 1, 1],
    mesh: src.mesh,
    instances: {
      translation: Float32Array.of(0, 1, 0, 0, 2, 0),
      rotation: Float32Array.of(0, 0, 0, 1, 0, 0, 0, 1),
      scale: Float32Array.of(0.1, 1, 0.1, 0.1, 1, 0.1),
    },
  });
  scene.roots.push(box);
  const { atlas } = await atlasOf(scene, { texelsPerMeter: 16, objectTexelsPerMeter: { crates: 24 } });
  const copies = atlas.objects.filter((o) => o.name.startsWith('crates#'));
  assert.is(copies.length, 2);
  for (const c of copies) assert.is(c.requestedTexelsPerMeter, 24);
});

test.run();
