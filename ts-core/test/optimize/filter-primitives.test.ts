/** What the shipped glTF keeps once objects become splats: no node left empty by it, every authored one kept. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gltfIO } from '../../src/io/gltf-io.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';
import { emptiedNodes, filterPrimitives } from '../../src/optimize/filter-primitives.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { removeNodes } from '../../src/scene/remove-nodes.js';
import { createScene, defaultMaterial } from '../../src/scene/types.js';

/** ground; group → (plant, plant); a locator the author left empty; a plant that carries a camera. */
function garden() {
  const scene = createScene('garden');
  const quad = {
    positions: Float32Array.of(0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0),
    indices: Uint32Array.of(0, 1, 2, 0, 2, 3),
  };
  const leaf = addMaterial(scene, { ...defaultMaterial('leaf'), baseColorFactor: [0.1, 0.6, 0.1, 1] });
  const soil = addMaterial(scene, defaultMaterial('soil'));
  const ground = addMesh(scene, 'ground', [{ ...quad, material: soil }]);
  const plant = addMesh(scene, 'plant', [{ ...quad, material: leaf }]);
  addNode(scene, { name: 'ground', mesh: ground });
  const group = addNode(scene, { name: 'group', mesh: plant });
  addNode(scene, { name: 'plant-a', mesh: plant, parent: group });
  addNode(scene, { name: 'plant-b', mesh: plant, parent: group });
  addNode(scene, { name: 'locator' });
  scene.cameras.push({ name: 'cam', type: 'perspective', yfov: 0.8, znear: 0.1 } as never);
  addNode(scene, { name: 'plant-cam', mesh: plant, camera: 0 });
  return scene;
}

test('nodes emptied by the splat routing go, children first; authored empties and cameras stay; unused meshes are pruned', async () => {
  const scene = garden();
  const plants = new Set(['group', 'plant-a', 'plant-b', 'plant-cam']);
  const kept = filterPrimitives(scene, (n) => (plants.has(scene.nodes[n].name) ? 'none' : 'all'));
  const drop = emptiedNodes(scene, kept);
  assert.equal(
    [...drop].map((n) => scene.nodes[n].name).sort(),
    ['group', 'plant-a', 'plant-b'],
    'the group goes with its plants; the camera node and the locator stay',
  );
  const out = removeNodes(kept, drop);
  assert.equal(
    out.nodes.map((n) => n.name),
    ['ground', 'locator', 'plant-cam'],
  );
  // Written lean, the plant mesh and its material are gone; nodes are as the scene has them.
  const doc = await (await gltfIO()).readBinary(await sceneToGlb(out, { prune: true }));
  assert.equal(
    doc
      .getRoot()
      .listMeshes()
      .map((m) => m.getName()),
    ['ground'],
  );
  assert.equal(
    doc
      .getRoot()
      .listMaterials()
      .map((m) => m.getName()),
    ['soil'],
  );
  assert.is(doc.getRoot().listNodes().length, 3);
  // Without the option every mesh is written, as before.
  const full = await (await gltfIO()).readBinary(await sceneToGlb(out));
  assert.is(full.getRoot().listMeshes().length, 2);
});

test.run();
