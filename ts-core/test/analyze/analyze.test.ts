/** The analyzer on generated and externally authored scenes: classes, features and hints people read. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { foliageField } from '../../../examples/generators/foliage.js';
import { heroObject } from '../../../examples/generators/hero.js';
import { analyzeScene } from '../../src/analyze/analyze.js';
import { countComponents } from '../../src/analyze/components.js';
import { screenCoverage } from '../../src/analyze/screen.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { measureTriangles } from '../../src/native/measure.js';
import { flattenScene } from '../../src/scene/flatten.js';
import { lookAt } from '../../src/scene/view.js';
import type { Scene } from '../../src/scene/types.js';
import { sharedScenes } from '../helpers.js';

async function analyze(scene: Scene) {
  const flat = flattenScene(scene);
  return analyzeScene(scene, flat, await measureTriangles(flat, { backend: 'cpu' }));
}
const shared = (name: string) => sharedScenes().find((s) => s.name === name)!.path;

test('screen coverage: a sphere filling the view covers most of it, a far one almost nothing', () => {
  const view = {
    cameraToWorld: lookAt([0, 0, 5], [0, 0, 0]),
    yfov: 1,
    width: 1920,
    height: 1080,
    znear: 0.1,
    zfar: 100,
  };
  const near = screenCoverage({ min: [-2, -2, -2], max: [2, 2, 2] }, view);
  const far = screenCoverage({ min: [-0.01, -0.01, -50.01], max: [0.01, 0.01, -49.99] }, view);
  const behind = screenCoverage({ min: [-1, -1, 9], max: [1, 1, 11] }, view);
  assert.ok(near > 0.4, `near ${near}`);
  assert.ok(far > 0 && far < 1e-4, `far ${far}`);
  assert.is(behind, 0);
});

test('components: separate quads count separately, a welded grid is one', () => {
  const quads = new Float32Array([0, 0, 0, 1, 0, 0, 1, 1, 0, 5, 0, 0, 6, 0, 0, 6, 1, 0]);
  assert.is(countComponents(quads, Uint32Array.from([0, 1, 2, 3, 4, 5])), 2);
  // Same position, different vertex (a UV seam): still one piece.
  const seam = new Float32Array([0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 2, 1, 0]);
  assert.is(countComponents(seam, Uint32Array.from([0, 1, 2, 3, 5, 4])), 1);
});

test('Cornell box (shared): an interior with an emissive area light', async () => {
  const { scene } = await importGltf(shared('cornell_box'));
  const a = await analyze(scene);
  assert.is(a.class, 'interior');
  assert.ok(a.scene.enclosed > 0.8);
  assert.ok(a.scene.emissiveArea > 0);
  assert.ok(a.objects.some((o) => o.hints.some((h) => /emissive surface → used as an area light/.test(h))));
});

test('Sponza (shared): degenerate triangles reported, LOD potential found', async () => {
  const { scene } = await importGltf(shared('sponza_crytek'));
  const a = await analyze(scene);
  assert.match(a.hints.join('\n'), /scene: 42\d degenerate triangles/);
  const sponza = a.objects[0];
  assert.is(sponza.features.drawnTriangles, 262_267);
  assert.ok(sponza.features.lod.achievedRatio < 0.5, 'Sponza simplifies well below half its triangles');
  assert.ok(sponza.features.textureCount > 20);
});

test('foliage field: classified foliage, plants flagged as fragmented alpha-tested instances', async () => {
  const a = await analyze(foliageField({ scale: 1 }));
  assert.is(a.class, 'foliage');
  const plants = a.objects.find((o) => o.features.name === 'plants')!;
  assert.is(plants.features.instances, 1000);
  assert.is(plants.features.components, 64);
  assert.is(plants.features.alphaTestedShare, 1);
  assert.match(plants.hints.join('\n'), /64 disconnected pieces, 100\.0% alpha-tested → foliage/);
  assert.ok(a.scene.foliageShare > 0.99);
});

test('hero object: a hero asset whose knot is an LOD candidate', async () => {
  const a = await analyze(heroObject({ scale: 1 }));
  assert.is(a.class, 'hero_asset');
  const knot = a.objects.find((o) => o.features.name === 'knot')!;
  assert.is(knot.features.textureCount, 3);
  assert.match(knot.hints.join('\n'), /knot: reduces to 2\d\.\d% of its triangles at 0\.\d+% error → LOD candidate/);
});

test('2CylinderEngine (shared): instancing and CAD-like units are reported', async () => {
  const { scene } = await importGltf(shared('cylinder_engine_2'));
  const a = await analyze(scene);
  assert.is(a.objects.length, 67);
  assert.ok(a.scene.diagonal > 100, `diagonal ${a.scene.diagonal}`);
  assert.ok(a.objects.every((o) => o.scores.complexity.value >= 0 && o.scores.complexity.value <= 1));
});

test.run();
