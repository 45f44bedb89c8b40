/**
 * An atrium: a paved courtyard ringed by two storeys of arcades (columns and semicircular arches) under open sky,
 * lit by a sun. `scale` raises the tessellation: about 12k triangles at 1, about 1.1M at 10.
 */
import { addMaterial, addMesh, addNode } from '../../ts-core/src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../ts-core/src/scene/types.js';
import { MeshBuilder, axisAngle, lookAtRotation } from './shapes.js';

export interface AtriumOptions {
  scale?: number;
}

export function atrium(o: AtriumOptions = {}): Scene {
  const s = Math.max(0.25, o.scale ?? 1);
  const segments = Math.max(6, Math.round(12 * s));
  const rings = Math.max(1, Math.round(6 * s));
  const archSegments = Math.max(4, Math.round(12 * s));
  const scene = createScene('atrium');
  const stone = addMaterial(scene, {
    ...defaultMaterial('stone'),
    baseColorFactor: [0.76, 0.7, 0.6, 1],
    metallicFactor: 0,
    roughnessFactor: 0.8,
  });
  const plaster = addMaterial(scene, {
    ...defaultMaterial('plaster'),
    baseColorFactor: [0.85, 0.82, 0.75, 1],
    metallicFactor: 0,
    roughnessFactor: 0.9,
  });
  const floorMat = addMaterial(scene, {
    ...defaultMaterial('paving'),
    baseColorFactor: [0.5, 0.45, 0.4, 1],
    metallicFactor: 0,
    roughnessFactor: 0.7,
  });

  const W = 12,
    D = 20,
    H = 4; // courtyard half-width, half-depth; storey height
  const floor = new MeshBuilder();
  floor.quad(
    [-W - 3, 0, D + 3],
    [2 * (W + 3), 0, 0],
    [0, 0, -2 * (D + 3)],
    Math.round(8 * s),
    Math.round(12 * s),
    [8, 12],
  );
  addNode(scene, { name: 'floor', mesh: addMesh(scene, 'floor', [floor.build(floorMat)]) });

  const walls = new MeshBuilder();
  for (let storey = 0; storey < 2; storey++) {
    const y0 = storey * H;
    // Back walls behind the arcades, facing inward.
    walls.quad([-W - 3, y0, -D - 3], [2 * (W + 3), 0, 0], [0, H, 0], Math.round(6 * s), 2);
    walls.quad([W + 3, y0, D + 3], [-2 * (W + 3), 0, 0], [0, H, 0], Math.round(6 * s), 2);
    walls.quad([-W - 3, y0, D + 3], [0, 0, -2 * (D + 3)], [0, H, 0], Math.round(8 * s), 2);
    walls.quad([W + 3, y0, -D - 3], [0, 0, 2 * (D + 3)], [0, H, 0], Math.round(8 * s), 2);
    // Gallery floor slab above the ground storey.
    if (storey === 1) {
      walls.quad([-W - 3, y0, D + 3], [2 * (W + 3), 0, 0], [0, 0, -3], Math.round(6 * s), 1);
      walls.quad([-W - 3, y0, -D], [2 * (W + 3), 0, 0], [0, 0, -3], Math.round(6 * s), 1);
    }
  }
  addNode(scene, { name: 'walls', mesh: addMesh(scene, 'walls', [walls.build(plaster)]) });

  // One arcade bay (column + arch), instanced as separate nodes around the court: the mesh is shared.
  const bay = new MeshBuilder();
  const r = 0.3,
    span = 4;
  bay.cylinder(0, 0, r, 0, H - span / 2 - 0.2, segments, rings);
  bay.box([0, H - span / 2 - 0.1, 0], [r + 0.1, 0.1, r + 0.1]);
  bay.arch([0, 0, 0], [span, 0, 0], H - span / 2, 0.6, archSegments);
  const bayMesh = addMesh(scene, 'arcade_bay', [bay.build(stone)]);
  let n = 0;
  for (let storey = 0; storey < 2; storey++) {
    for (let x = -W; x < W; x += span) {
      addNode(scene, { name: `bay_n${n++}`, mesh: bayMesh, translation: [x, storey * H, -D] });
      addNode(scene, {
        name: `bay_s${n++}`,
        mesh: bayMesh,
        translation: [x + span, storey * H, D],
        rotation: axisAngle([0, 1, 0], Math.PI),
      });
    }
    for (let z = -D; z < D; z += span) {
      addNode(scene, {
        name: `bay_w${n++}`,
        mesh: bayMesh,
        translation: [-W, storey * H, z + span],
        rotation: axisAngle([0, 1, 0], Math.PI / 2),
      });
      addNode(scene, {
        name: `bay_e${n++}`,
        mesh: bayMesh,
        translation: [W, storey * H, z],
        rotation: axisAngle([0, 1, 0], -Math.PI / 2),
      });
    }
  }

  scene.lights.push({
    name: 'sun',
    type: 'directional',
    color: [1, 0.95, 0.85],
    intensity: 3,
    innerConeAngle: 0,
    outerConeAngle: Math.PI / 4,
    size: 0.0093,
  });
  addNode(scene, { name: 'sun', light: 0, rotation: lookAtRotation([0, 0, 0], [-0.4, -1, -0.3]) });
  scene.cameras.push({
    name: 'court',
    type: 'perspective',
    yfov: 1.0,
    aspectRatio: 16 / 9,
    znear: 0.1,
    zfar: 200,
    xmag: 1,
    ymag: 1,
  });
  const eye = [W - 2, 1.7, D - 2];
  addNode(scene, {
    name: 'camera',
    camera: 0,
    translation: eye as [number, number, number],
    rotation: lookAtRotation(eye, [-W / 2, 3, -D / 2]),
  });
  return scene;
}
