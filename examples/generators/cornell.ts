/**
 * A Cornell box, 2 m on a side: white floor, ceiling and back wall, red left and green right walls, two white
 * blocks, an emissive area light under the ceiling (or, in the `point` variant, a point light), and a camera.
 * `scale` subdivides every face into scale × scale cells (more triangles, same picture).
 */
import { addMaterial, addMesh, addNode } from '../../ts-core/src/scene/build.js';
import { createScene, defaultMaterial, type Material, type Scene } from '../../ts-core/src/scene/types.js';
import { MeshBuilder, axisAngle } from './shapes.js';

export interface CornellOptions {
  scale?: number;
  variant?: 'area' | 'point';
}

const diffuse = (name: string, rgb: [number, number, number]): Material => ({
  ...defaultMaterial(name),
  baseColorFactor: [...rgb, 1],
  metallicFactor: 0,
  roughnessFactor: 1,
});

export function cornellBox(o: CornellOptions = {}): Scene {
  const sub = Math.max(1, Math.round(o.scale ?? 1));
  const scene = createScene(o.variant === 'point' ? 'cornell-point' : 'cornell');
  const white = addMaterial(scene, diffuse('white', [0.73, 0.73, 0.73]));
  const red = addMaterial(scene, diffuse('red', [0.65, 0.05, 0.05]));
  const green = addMaterial(scene, diffuse('green', [0.12, 0.45, 0.15]));

  // Room interior faces point inward; the box spans x,z in [-1,1], y in [0,2].
  const walls = new MeshBuilder();
  walls.quad([-1, 0, 1], [2, 0, 0], [0, 0, -2], sub, sub); // floor, +y
  walls.quad([-1, 2, -1], [2, 0, 0], [0, 0, 2], sub, sub); // ceiling, -y
  walls.quad([-1, 0, -1], [2, 0, 0], [0, 2, 0], sub, sub); // back, +z
  const left = new MeshBuilder();
  left.quad([-1, 0, 1], [0, 0, -2], [0, 2, 0], sub, sub); // +x
  const right = new MeshBuilder();
  right.quad([1, 0, -1], [0, 0, 2], [0, 2, 0], sub, sub); // -x
  const room = addMesh(scene, 'room', [walls.build(white), left.build(red), right.build(green)]);
  addNode(scene, { name: 'room', mesh: room });

  const tall = new MeshBuilder();
  tall.box([0, 0.6, 0], [0.3, 0.6, 0.3], sub);
  addNode(scene, {
    name: 'tall_block',
    mesh: addMesh(scene, 'tall_block', [tall.build(white)]),
    translation: [-0.35, 0, -0.3],
    rotation: axisAngle([0, 1, 0], 0.3),
  });
  const short = new MeshBuilder();
  short.box([0, 0.3, 0], [0.3, 0.3, 0.3], sub);
  addNode(scene, {
    name: 'short_block',
    mesh: addMesh(scene, 'short_block', [short.build(white)]),
    translation: [0.35, 0, 0.35],
    rotation: axisAngle([0, 1, 0], -0.3),
  });

  if (o.variant === 'point') {
    scene.lights.push({
      name: 'bulb',
      type: 'point',
      color: [1, 0.85, 0.6],
      intensity: 8,
      innerConeAngle: 0,
      outerConeAngle: Math.PI / 4,
      size: 0.05,
    });
    addNode(scene, { name: 'bulb', light: 0, translation: [0, 1.9, 0] });
  } else {
    const emitter = addMaterial(scene, {
      ...diffuse('light', [0.78, 0.78, 0.78]),
      emissiveFactor: [1, 0.85, 0.6],
      emissiveStrength: 12,
    });
    const lamp = new MeshBuilder();
    lamp.quad([-0.25, 1.995, -0.25], [0.5, 0, 0], [0, 0, 0.5]); // faces -y
    addNode(scene, { name: 'area_light', mesh: addMesh(scene, 'area_light', [lamp.build(emitter)]) });
  }
  scene.cameras.push({
    name: 'front',
    type: 'perspective',
    yfov: 0.69,
    aspectRatio: 1,
    znear: 0.05,
    zfar: 100,
    xmag: 1,
    ymag: 1,
  });
  addNode(scene, { name: 'camera', camera: 0, translation: [0, 1, 3.9] });
  return scene;
}
