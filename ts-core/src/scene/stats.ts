/** Counts and memory for `ote info` and the analyzer. */
import { sceneBounds, type Bounds } from './bounds.js';
import { flattenScene } from './flatten.js';
import type { Primitive, Scene } from './types.js';

export interface SceneStats {
  nodes: number;
  meshes: number;
  primitives: number;
  instances: number;
  /** Unique triangles stored, and triangles drawn counting instances. */
  triangles: number;
  instancedTriangles: number;
  vertices: number;
  materials: number;
  textures: { name: string; mimeType: string; width: number; height: number; bytes: number }[];
  lights: { directional: number; point: number; spot: number; emissiveMaterials: number };
  cameras: number;
  bounds: Bounds;
  /** Bytes of geometry arrays and encoded textures held by the model. */
  memory: { geometryBytes: number; textureBytes: number };
}

function primitiveBytes(p: Primitive): number {
  let n = p.positions.byteLength + p.indices.byteLength;
  for (const a of [p.normals, p.tangents, p.uv0, p.uv1, p.colors]) if (a) n += a.byteLength;
  return n;
}

export function sceneStats(scene: Scene): SceneStats {
  const flat = flattenScene(scene);
  let primitives = 0,
    triangles = 0,
    vertices = 0,
    geometryBytes = 0;
  for (const m of scene.meshes)
    for (const p of m.primitives) {
      primitives++;
      triangles += p.indices.length / 3;
      vertices += p.positions.length / 3;
      geometryBytes += primitiveBytes(p);
    }
  const lights = { directional: 0, point: 0, spot: 0, emissiveMaterials: 0 };
  for (const l of scene.lights) lights[l.type]++;
  lights.emissiveMaterials = scene.materials.filter(
    (m) => m.emissiveFactor.some((c) => c > 0) && m.emissiveStrength > 0,
  ).length;
  return {
    nodes: scene.nodes.length,
    meshes: scene.meshes.length,
    primitives,
    instances: flat.instanceMesh.length,
    triangles,
    instancedTriangles: flat.instancedTriangleCount,
    vertices,
    materials: scene.materials.length,
    textures: scene.textures.map((t) => ({
      name: t.name,
      mimeType: t.mimeType,
      width: t.width,
      height: t.height,
      bytes: t.image.byteLength,
    })),
    lights,
    cameras: scene.cameras.length,
    bounds: sceneBounds(scene),
    memory: { geometryBytes, textureBytes: scene.textures.reduce((s, t) => s + t.image.byteLength, 0) },
  };
}
