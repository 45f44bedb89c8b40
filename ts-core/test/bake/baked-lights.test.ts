import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settleBakedLights } from '../../src/bake/baked-lights.js';
import { DEFAULT_ENVIRONMENT, resolveEnvironment, withEnvironmentSun } from '../../src/plan/environment.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../src/scene/types.js';

/** Two triangles (the second optionally without a lightmap) and a point light on its own node. */
function scene(bothBaked: boolean): Scene {
  const s = createScene('s');
  const baked = addMaterial(s, { ...defaultMaterial('baked'), lightmap: { texture: 0, intensity: 1 } });
  const plain = addMaterial(s, defaultMaterial('plain'));
  const tri = (material: number) => ({
    positions: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0]),
    indices: Uint32Array.from([0, 1, 2]),
    material,
  });
  addNode(s, { name: 'a', mesh: addMesh(s, 'a', [tri(baked)]) });
  addNode(s, { name: 'b', mesh: addMesh(s, 'b', [tri(bothBaked ? baked : plain)]) });
  s.lights.push({
    name: 'lamp',
    type: 'point',
    color: [1, 1, 1],
    intensity: 5,
    innerConeAngle: 0,
    outerConeAngle: 0.7,
  });
  addNode(s, { name: 'lamp', light: 0, translation: [0, 2, 0] });
  return s;
}

test('when every drawn primitive is lightmapped, baked lights and the nodes that only carried them are removed', () => {
  const r = settleBakedLights(scene(true));
  assert.equal(r.removed, ['lamp']);
  assert.equal(r.kept, []);
  assert.is(r.scene.lights.length, 0);
  assert.equal(
    r.scene.nodes.map((n) => n.name),
    ['a', 'b'],
  );
  assert.equal(r.scene.roots, [0, 1]);
});

test('when something is not lightmapped, the lights stay for it, marked baked', () => {
  const r = settleBakedLights(scene(false));
  assert.equal(r.kept, ['lamp']);
  assert.is(r.scene.lights.length, 1);
  assert.is(r.scene.lights[0].baked, true);
  assert.is(r.scene.nodes[2].light, 0);
});

test("the environment's sun never reaches the output, even beside kept lights", () => {
  const s = scene(false);
  const env = resolveEnvironment(s, { ...DEFAULT_ENVIRONMENT, mode: 'always' });
  const r = settleBakedLights(withEnvironmentSun(s, env));
  assert.equal(
    r.scene.nodes.map((n) => n.name),
    ['a', 'b', 'lamp'],
  );
  assert.equal(
    r.scene.lights.map((l) => l.name),
    ['lamp'],
  );
  assert.equal(r.removed, []);
});

test.run();
