import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bakeScene } from '../../src/bake/bake.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../../src/scene/types.js';

/** A horizontal `size` m square at height y, its winding and normals facing up (+y) or down. */
function quad(size: number, y: number, up: boolean, material: number): Primitive {
  const h = size / 2,
    s = up ? 1 : -1;
  return {
    positions: Float32Array.of(-h, y, -h, h, y, -h, h, y, h, -h, y, h),
    normals: Float32Array.of(0, s, 0, 0, s, 0, 0, s, 0, 0, s, 0),
    indices: up ? Uint32Array.of(0, 2, 1, 0, 3, 2) : Uint32Array.of(0, 1, 2, 0, 2, 3),
    material,
  };
}

/**
 * A pond: a 6 m ground (single-sided, up) and a double-sided 4 m water plane 0.2 m above it, authored facing
 * `waterUp` or down towards the ground, under a uniform sky.
 */
function pond(waterUp: boolean): Scene {
  const scene = createScene('pond.glb');
  const ground = addMaterial(scene, {
    ...defaultMaterial('ground'),
    metallicFactor: 0,
    baseColorFactor: [0.5, 0.5, 0.5, 1],
  });
  const water = addMaterial(scene, {
    ...defaultMaterial('water'),
    metallicFactor: 0,
    baseColorFactor: [0.2, 0.5, 0.8, 1],
    doubleSided: true,
  });
  addNode(scene, { name: 'ground', mesh: addMesh(scene, 'ground', [quad(6, 0, true, ground)]) });
  addNode(scene, { name: 'water', mesh: addMesh(scene, 'water', [quad(4, 0.2, waterUp, water)]) });
  return scene;
}

type Eye = readonly [number, number, number];

/** Mean L (green) over the texels of node `name`'s primitive `prim`. */
async function bakedLight(scene: Scene, name: string, viewpoints?: Eye[], prim = 0, twoSided = true): Promise<number> {
  const r = await bakeScene(scene, {
    texelsPerMeter: 8,
    samples: 64,
    minSamples: 64,
    bounces: 1,
    denoise: false,
    stitchSeams: false,
    backend: 'cpu',
    sky: { type: 'constant', color: [1, 1, 1] },
    viewpoints,
    twoSided,
  });
  const o = r.atlas.objects.find((x) => x.name === name)!;
  const page = r.pages[o.primitivePages[prim]],
    valid = r.valid[o.primitivePages[prim]];
  const p = r.scene.meshes[o.mesh].primitives[prim];
  const us = Array.from(p.uv1!).filter((_, i) => i % 2 === 0),
    vs = Array.from(p.uv1!).filter((_, i) => i % 2 === 1);
  let sum = 0,
    n = 0;
  for (let y = Math.floor(Math.min(...vs) * page.height); y < Math.ceil(Math.max(...vs) * page.height); y++)
    for (let x = Math.floor(Math.min(...us) * page.width); x < Math.ceil(Math.max(...us) * page.width); x++) {
      const k = y * page.width + x;
      if (valid[k]) {
        sum += page.data[4 * k + 1];
        n++;
      }
    }
  assert.ok(n > 20, `${n} texels of ${name}`);
  return sum / n;
}

const ABOVE: Eye = [0, 5, 6],
  BELOW: Eye = [0, 1.5, 6];

test('a double-sided plane authored facing the pond bed 20 cm below is baked for the face the viewers see', async () => {
  const up = await bakedLight(pond(true), 'water', [ABOVE]);
  // Under a unit sky an open horizontal plane gets L = 1.
  assert.ok(up > 0.95, `water authored facing up: L ${up.toFixed(3)}`);
  // Authored facing down and seen from above: baked for its top, as the viewer sees it.
  const down = await bakedLight(pond(false), 'water', [ABOVE]);
  assert.ok(
    down > 0.9 * up,
    `water authored facing down, seen from above: L ${down.toFixed(3)}, facing up ${up.toFixed(3)}`,
  );
  // With no viewpoints it keeps its authored face, which sees only the dim ground under it.
  const blind = await bakedLight(pond(false), 'water');
  assert.ok(blind < 0.5 * up, `water authored facing down, no viewpoints: L ${blind.toFixed(3)}`);
});

test('a double-sided sheet keeps its authored face unless it is seen only from its back, or bakes both when both are seen', async () => {
  // A sheet 3 m above grey ground (albedo 0.3), authored facing down: its underside sees the ground (L ≈ 0.3),
  // its top the sky (L = 1).
  const sheet = () => {
    const scene = createScene('sheet.glb');
    const ground = addMaterial(scene, {
      ...defaultMaterial('ground'),
      metallicFactor: 0,
      baseColorFactor: [0.3, 0.3, 0.3, 1],
    });
    const m = addMaterial(scene, { ...defaultMaterial('sheet'), metallicFactor: 0, doubleSided: true });
    addNode(scene, { name: 'ground', mesh: addMesh(scene, 'ground', [quad(40, 0, true, ground)]) });
    addNode(scene, { name: 'sheet', mesh: addMesh(scene, 'sheet', [quad(2, 3, false, m)]) });
    return scene;
  };
  const under = await bakedLight(sheet(), 'sheet', [BELOW]);
  assert.ok(under > 0.15 && under < 0.6, `seen from below: its underside, L ${under.toFixed(3)}`);
  const over = await bakedLight(sheet(), 'sheet', [ABOVE]);
  assert.ok(over > 0.95, `seen only from above: its top, L ${over.toFixed(3)}`);
  // Seen from both sides with one lightmap: its authored face.
  const one = await bakedLight(sheet(), 'sheet', [ABOVE, BELOW], 0, false);
  assert.ok(Math.abs(one - under) < 0.1, `seen from both sides, one lightmap: its authored face, L ${one.toFixed(3)}`);
  // By default, front and back copies (bake/two-sided.ts): the front copy (the authored face) keeps its place,
  // the back copy is appended to the mesh, and each holds its own face's light.
  const front = await bakedLight(sheet(), 'sheet', [ABOVE, BELOW], 0);
  const back = await bakedLight(sheet(), 'sheet', [ABOVE, BELOW], 1);
  assert.ok(Math.abs(front - under) < 0.1, `front copy: the underside, L ${front.toFixed(3)}`);
  assert.ok(back > 0.95, `back copy: the top, L ${back.toFixed(3)}`);
});

test.run();
