/** Every externally authored scene imports, shows the triangle count its SOURCES.md states, and survives a round trip. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { exportGltf } from '../../src/io/gltf-write.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { hashScene } from '../../src/scene/hash.js';
import { sceneStats } from '../../src/scene/stats.js';
import { sharedScenes, tempDir } from '../helpers.js';

// Triangles after instancing and texture counts, as SOURCES.md states them.
const EXPECTED: Record<string, { tris: number; textures: number }> = {
  sponza_crytek: { tris: 262_267, textures: 65 },
  cornell_box: { tris: 36, textures: 0 },
  polyhaven_dutch_ship: { tris: 69_162, textures: 9 },
  intel_sponza_ivy: { tris: 15_870, textures: 3 },
  japanese_bridge_garden: { tris: 21_883, textures: 0 },
  zdm2_sauerbraten: { tris: 58_772, textures: 0 },
  godot_living_room: { tris: 5_088, textures: 0 },
  cylinder_engine_2: { tris: 121_496, textures: 0 },
};

const dir = tempDir();
const scenes = sharedScenes();

test('all shared scenes are present', () => {
  assert.equal(scenes.map((s) => s.name).sort(), Object.keys(EXPECTED).sort());
});

for (const { name, path } of scenes) {
  test(`${name}: imports with the stated counts and re-exports with an unchanged hash`, async () => {
    const { scene } = await importGltf(path);
    const stats = sceneStats(scene);
    assert.is(stats.instancedTriangles, EXPECTED[name].tris, 'triangles after instancing');
    assert.is(stats.textures.length, EXPECTED[name].textures, 'textures');
    for (const t of stats.textures) assert.ok(t.width > 0 && t.height > 0, `texture ${t.name} has a size`);
    const before = hashScene(scene).scene;
    const out = join(dir, `${name}.glb`);
    await exportGltf(scene, out);
    const again = await importGltf(out);
    assert.is(hashScene(again.scene).scene, before);
  });
}

test('2CylinderEngine: instancing keeps 29 shared meshes for 67 nodes, one drawn 20 times', async () => {
  const { scene } = await importGltf(scenes.find((s) => s.name === 'cylinder_engine_2')!.path);
  assert.is(scene.meshes.length, 29);
  assert.is(scene.nodes.filter((n) => n.mesh !== undefined).length, 67);
  const uses = new Map<number, number>();
  for (const n of scene.nodes) if (n.mesh !== undefined) uses.set(n.mesh, (uses.get(n.mesh) ?? 0) + 1);
  assert.is(Math.max(...uses.values()), 20);
});

test('Cornell box: emissive light keeps KHR_materials_emissive_strength 17', async () => {
  const { scene } = await importGltf(scenes.find((s) => s.name === 'cornell_box')!.path);
  const light = scene.materials.find((m) => m.emissiveFactor.some((c) => c > 0));
  assert.ok(light, 'an emissive material');
  assert.is(light!.emissiveStrength, 17);
  assert.equal(
    light!.emissiveFactor.map((c) => Math.round(c * 1000) / 1000),
    [1, 0.706, 0.235],
  );
});

test('japanese garden: spec/gloss materials are converted with a warning', async () => {
  const { scene, warnings } = await importGltf(scenes.find((s) => s.name === 'japanese_bridge_garden')!.path);
  assert.ok(warnings.some((w) => w.includes('pbrSpecularGlossiness')));
  assert.ok(scene.materials.length > 0);
});

test.run();
