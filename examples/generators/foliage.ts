/**
 * A field of instanced plants: one plant mesh of alpha-tested leaf cards (a generated RGBA leaf texture, MASK mode)
 * drawn through EXT_mesh_gpu_instancing over a ground plane. `scale` sets the count: 1000 plants × scale,
 * each of 128 triangles (scale 80 gives about 10M instanced triangles).
 */
import { addMaterial, addMesh, addNode } from '../../ts-core/src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../ts-core/src/scene/types.js';
import { Rng } from '../../ts-core/src/util/rng.js';
import { MeshBuilder, lookAtRotation } from './shapes.js';
import { pngTexture } from './textures.js';

export interface FoliageOptions {
  scale?: number;
  seed?: number;
}

export function foliageField(o: FoliageOptions = {}): Scene {
  const count = Math.max(1, Math.round(1000 * (o.scale ?? 1)));
  const rng = new Rng(o.seed ?? 7);
  const scene = createScene('foliage');
  scene.textures.push(
    pngTexture('leaf', 64, 64, (x, y) => {
      // An ellipse leaf with a midrib; alpha 0 outside, so alpha testing cuts the card.
      const u = ((x + 0.5) / 64) * 2 - 1,
        v = ((y + 0.5) / 64) * 2 - 1;
      const inside = (u * u) / 0.35 + v * v < 1;
      const rib = Math.abs(u) < 0.05 ? 0.7 : 1;
      return [40 * rib, 140 * rib, 40 * rib, inside ? 255 : 0];
    }),
  );
  const leaf = addMaterial(scene, {
    ...defaultMaterial('leaf'),
    metallicFactor: 0,
    roughnessFactor: 0.6,
    alphaMode: 'MASK',
    alphaCutoff: 0.5,
    doubleSided: true,
    baseColorTexture: { texture: 0, texCoord: 0 },
  });
  const soil = addMaterial(scene, {
    ...defaultMaterial('soil'),
    baseColorFactor: [0.35, 0.25, 0.15, 1],
    metallicFactor: 0,
  });

  const plant = new MeshBuilder();
  const prng = new Rng(1234);
  for (let i = 0; i < 64; i++) {
    // Leaves spiral up a stem; each card is a 2-triangle quad tilted outward.
    const a = i * 2.399963,
      h = 0.1 + (i / 64) * 0.8,
      len = 0.25 * (1 - i / 96);
    const dx = Math.cos(a),
      dz = Math.sin(a),
      tilt = 0.5 + prng.next() * 0.4;
    const o0 = [dx * 0.02 - dz * 0.04, h, dz * 0.02 + dx * 0.04];
    plant.quad(o0, [dz * 0.08, 0, -dx * 0.08], [dx * len, len * tilt, dz * len]);
  }
  const plantMesh = addMesh(scene, 'plant', [plant.build(leaf)]);
  const side = Math.sqrt(count) * 0.8; // ~0.64 m² per plant
  const translation = new Float32Array(count * 3),
    rotation = new Float32Array(count * 4),
    scale = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    translation.set([rng.range(-side / 2, side / 2), 0, rng.range(-side / 2, side / 2)], i * 3);
    const yaw = rng.range(0, Math.PI * 2);
    rotation.set([0, Math.sin(yaw / 2), 0, Math.cos(yaw / 2)], i * 4);
    const sc = rng.range(0.7, 1.3);
    scale.set([sc, sc, sc], i * 3);
  }
  addNode(scene, { name: 'plants', mesh: plantMesh, instances: { translation, rotation, scale } });
  const ground = new MeshBuilder();
  ground.quad([-side / 2 - 1, 0, side / 2 + 1], [side + 2, 0, 0], [0, 0, -(side + 2)], 4, 4);
  addNode(scene, { name: 'ground', mesh: addMesh(scene, 'ground', [ground.build(soil)]) });
  scene.lights.push({
    name: 'sun',
    type: 'directional',
    color: [1, 0.96, 0.9],
    intensity: 3,
    innerConeAngle: 0,
    outerConeAngle: Math.PI / 4,
    size: 0.0093,
  });
  addNode(scene, { name: 'sun', light: 0, rotation: lookAtRotation([0, 0, 0], [0.3, -1, -0.5]) });
  scene.cameras.push({
    name: 'overview',
    type: 'perspective',
    yfov: 0.9,
    aspectRatio: 16 / 9,
    znear: 0.05,
    zfar: 1000,
    xmag: 1,
    ymag: 1,
  });
  const eye = [0, side * 0.35 + 1.5, side * 0.6 + 2];
  addNode(scene, {
    name: 'camera',
    camera: 0,
    translation: eye as [number, number, number],
    rotation: lookAtRotation(eye, [0, 0, 0]),
  });
  return scene;
}
