/** Synthetic scenes for the texel-budget and unit tests: a metre-scale room with props, and a scaled copy of any scene. */
import { MeshBuilder } from '../../../examples/generators/shapes.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../src/scene/types.js';

/**
 * An 8 × 3 × 6 m room (floor, walls, ceiling as separate objects, ~25 cm cells) with `props` boxes of 0.3–1 m on the
 * floor (5 cm cells), each its own node named prop0…; `hero` names one more 0.5 m box for override tests.
 */
export function unitRoom(o: { props?: number; hero?: boolean } = {}): Scene {
  const scene = createScene('room');
  const mat = addMaterial(scene, {
    ...defaultMaterial('plaster'),
    baseColorFactor: [0.8, 0.8, 0.8, 1],
    metallicFactor: 0,
    roughnessFactor: 0.9,
  });
  const quad = (name: string, o0: number[], u: number[], v: number[]) => {
    const b = new MeshBuilder();
    b.quad(o0, u, v, Math.round(Math.hypot(...u) * 4), Math.round(Math.hypot(...v) * 4));
    addNode(scene, { name, mesh: addMesh(scene, name, [b.build(mat)]) });
  };
  quad('floor', [-4, 0, 3], [8, 0, 0], [0, 0, -6]);
  quad('ceiling', [-4, 3, -3], [8, 0, 0], [0, 0, 6]);
  quad('wall_n', [-4, 0, -3], [8, 0, 0], [0, 3, 0]);
  quad('wall_s', [4, 0, 3], [-8, 0, 0], [0, 3, 0]);
  quad('wall_w', [-4, 0, 3], [0, 0, -6], [0, 3, 0]);
  quad('wall_e', [4, 0, -3], [0, 0, 6], [0, 3, 0]);
  const box = (name: string, x: number, z: number, h: number) => {
    const b = new MeshBuilder();
    b.box([0, h, 0], [h, h, h], Math.max(1, Math.round(h / 0.05)));
    addNode(scene, { name, mesh: addMesh(scene, name, [b.build(mat)]), translation: [x, 0, z] });
  };
  const n = o.props ?? 12;
  for (let i = 0; i < n; i++)
    box(`prop${i}`, -3 + (i % 6) * 1.2, -1.5 + Math.floor(i / 6) * 2, 0.15 + (0.35 * ((i * 7) % 5)) / 4);
  if (o.hero) box('hero', 2.5, 2, 0.25);
  return scene;
}

/** The same scene under one more root node scaled by k: what an export in centimetres (100) or millimetres (1000) gives. */
export function scaled(scene: Scene, k: number): Scene {
  const roots = [...scene.roots];
  const root = scene.nodes.length;
  scene.nodes.push({
    name: 'units',
    parent: -1,
    children: roots,
    translation: [0, 0, 0],
    rotation: [0, 0, 0, 1],
    scale: [k, k, k],
  });
  for (const r of roots) scene.nodes[r].parent = root;
  scene.roots = [root];
  return scene;
}
