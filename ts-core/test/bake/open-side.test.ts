import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bakeScene } from '../../src/bake/bake.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../../src/scene/types.js';

/** A horizontal `size` m square at height y, its winding and normals facing up (+y) or down. */
function quad(size: number, y: number, up: boolean, material: number): Primitive {
  const h = size / 2, s = up ? 1 : -1;
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
  const ground = addMaterial(scene, { ...defaultMaterial('ground'), metallicFactor: 0, baseColorFactor: [0.5, 0.5, 0.5, 1] });
  const water = addMaterial(scene, { ...defaultMaterial('water'), metallicFactor: 0, baseColorFactor: [0.2, 0.5, 0.8, 1], doubleSided: true });
  addNode(scene, { name: 'ground', mesh: addMesh(scene, 'ground', [quad(6, 0, true, ground)]) });
  addNode(scene, { name: 'water', mesh: addMesh(scene, 'water', [quad(4, 0.2, waterUp, water)]) });
  return scene;
}

async function waterLight(waterUp: boolean): Promise<number> {
  const r = await bakeScene(pond(waterUp), {
    texelsPerMeter: 8, samples: 64, minSamples: 64, bounces: 1, denoise: false, stitchSeams: false, backend: 'cpu',
    sky: { type: 'constant', color: [1, 1, 1] },
  });
  const o = r.atlas.objects.find((x) => x.name === 'water')!;
  const page = r.pages[o.primitivePages[0]], valid = r.valid[o.primitivePages[0]];
  // The water's texels: its primitive's UV1 footprint. Sum L over the valid texels it covers.
  const p = r.scene.meshes[o.mesh].primitives[0];
  let lo = [1, 1], hi = [0, 0];
  for (let i = 0; i < p.uv1!.length; i += 2) for (let c = 0; c < 2; c++) { lo[c] = Math.min(lo[c], p.uv1![i + c]); hi[c] = Math.max(hi[c], p.uv1![i + c]); }
  let sum = 0, n = 0;
  for (let y = Math.floor(lo[1] * page.height); y < Math.ceil(hi[1] * page.height); y++)
    for (let x = Math.floor(lo[0] * page.width); x < Math.ceil(hi[0] * page.width); x++) {
      const k = y * page.width + x;
      if (valid[k]) { sum += page.data[4 * k + 1]; n++; }
    }
  assert.ok(n > 50, `${n} water texels`);
  return sum / n;
}

test('a double-sided plane authored facing the ground 20 cm below is baked for its open side, as viewers see it', async () => {
  const up = await waterLight(true), down = await waterLight(false);
  // Under a unit sky an open horizontal plane gets L ≈ 1 (less what the ground's bounce does not return).
  assert.ok(up > 0.8, `water authored facing up: L ${up.toFixed(3)}`);
  // Baked for the side facing the ground it would see only the dim ground under it: L ≈ 0.1.
  assert.ok(down > 0.9 * up, `water authored facing down: L ${down.toFixed(3)}, facing up ${up.toFixed(3)}`);
});

test('a double-sided plane open on both sides keeps its authored side', async () => {
  // A floating sheet 3 m above the ground, facing down: its underside sees the lit ground 3 m away, as open as
  // the reach allows, so it stays baked for the side it was authored to face.
  const scene = createScene('sheet.glb');
  const ground = addMaterial(scene, { ...defaultMaterial('ground'), metallicFactor: 0, baseColorFactor: [0.3, 0.3, 0.3, 1] });
  const sheet = addMaterial(scene, { ...defaultMaterial('sheet'), metallicFactor: 0, doubleSided: true });
  addNode(scene, { name: 'ground', mesh: addMesh(scene, 'ground', [quad(40, 0, true, ground)]) });
  addNode(scene, { name: 'sheet', mesh: addMesh(scene, 'sheet', [quad(2, 3, false, sheet)]) });
  const r = await bakeScene(scene, { texelsPerMeter: 8, samples: 64, minSamples: 64, bounces: 1, denoise: false, stitchSeams: false, backend: 'cpu', sky: { type: 'constant', color: [1, 1, 1] } });
  const o = r.atlas.objects.find((x) => x.name === 'sheet')!;
  const page = r.pages[o.primitivePages[0]], valid = r.valid[o.primitivePages[0]];
  let sum = 0, n = 0;
  const p = r.scene.meshes[o.mesh].primitives[0];
  const us = Array.from(p.uv1!).filter((_, i) => i % 2 === 0), vs = Array.from(p.uv1!).filter((_, i) => i % 2 === 1);
  for (let y = Math.floor(Math.min(...vs) * page.height); y < Math.ceil(Math.max(...vs) * page.height); y++)
    for (let x = Math.floor(Math.min(...us) * page.width); x < Math.ceil(Math.max(...us) * page.width); x++) {
      const k = y * page.width + x;
      if (valid[k]) { sum += page.data[4 * k + 1]; n++; }
    }
  // Facing down it sees the grey ground (albedo 0.3 under a unit sky: radiance about 0.3) out to the horizon;
  // baked for its top it would see the sky, L ≈ 1.
  const L = sum / n;
  assert.ok(L > 0.15 && L < 0.6, `the sheet's underside: L ${L.toFixed(3)}`);
});

test.run();
