/** Small helpers for code that assembles scenes (generators, adapters, tests). */
import type { InstanceTRS, Material, Mesh, Primitive, Scene, SceneNode, Vec3, Vec4 } from './types.js';

export interface NodeOptions {
  name?: string;
  parent?: number;
  translation?: Vec3;
  rotation?: Vec4;
  scale?: Vec3;
  mesh?: number;
  light?: number;
  camera?: number;
  instances?: InstanceTRS;
}

/** Append a node and link it to its parent (or the roots); returns its index. */
export function addNode(scene: Scene, o: NodeOptions): number {
  const index = scene.nodes.length;
  const node: SceneNode = {
    name: o.name ?? `node${index}`,
    parent: o.parent ?? -1,
    children: [],
    translation: o.translation ?? [0, 0, 0],
    rotation: o.rotation ?? [0, 0, 0, 1],
    scale: o.scale ?? [1, 1, 1],
  };
  if (o.mesh !== undefined) node.mesh = o.mesh;
  if (o.light !== undefined) node.light = o.light;
  if (o.camera !== undefined) node.camera = o.camera;
  if (o.instances) node.instances = o.instances;
  scene.nodes.push(node);
  if (node.parent >= 0) scene.nodes[node.parent].children.push(index);
  else scene.roots.push(index);
  return index;
}

export function addMesh(scene: Scene, name: string, primitives: Primitive[]): number {
  scene.meshes.push({ name, primitives } satisfies Mesh);
  return scene.meshes.length - 1;
}

export function addMaterial(scene: Scene, material: Material): number {
  scene.materials.push(material);
  return scene.materials.length - 1;
}

export function triangleCount(p: Primitive): number {
  return p.indices.length / 3;
}
