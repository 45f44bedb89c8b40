/**
 * What an engine adapter hands the core: a dump of the level in the engine's own frame and units, built by the
 * thin Puerts glue in plugin-unreal/ and plugin-unity/. engineToScene converts it into the neutral scene;
 * lightmapWriteBack converts results back into the engine's frame. Pure functions: they run inside the editor's V8.
 */
import { addMaterial, addMesh, addNode } from '../scene/build.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../scene/types.js';
import { toGltfQuaternion, toGltfScale, toGltfVector, type EngineFrame } from './engine-frame.js';

export interface EngineSection {
  /** Engine-space positions, normals (xyz each) and UV sets, as the engine stores them. */
  positions: ArrayLike<number>;
  normals: ArrayLike<number>;
  uv0?: ArrayLike<number>;
  /** The engine's lightmap UV set, if the mesh has one. */
  uv1?: ArrayLike<number>;
  indices: ArrayLike<number>;
  material: number;
}

export interface EngineMesh {
  /** Asset path, e.g. /Game/Props/SM_Chair or Assets/Models/Chair.fbx:Chair. */
  asset: string;
  sections: EngineSection[];
}

export interface EngineMaterial {
  asset: string;
  baseColor: [number, number, number, number];
  metallic: number;
  roughness: number;
  emissive: [number, number, number];
  blend: 'opaque' | 'masked' | 'translucent';
  twoSided: boolean;
}

export interface EngineObject {
  /** The actor label or GameObject hierarchy path, unique in the level. */
  path: string;
  mesh: number;
  translation: [number, number, number];
  rotation: [number, number, number, number];
  scale: [number, number, number];
  /** Movable objects (and skinned ones) are dynamic: never baked. */
  movable: boolean;
}

export interface EngineLight {
  path: string;
  type: 'directional' | 'point' | 'spot';
  color: [number, number, number];
  /** Already in glTF units (lux / candela); the glue converts from engine units. */
  intensity: number;
  translation: [number, number, number];
  rotation: [number, number, number, number];
  innerConeAngle?: number;
  outerConeAngle?: number;
  /** Source radius in engine units (point/spot) or angular diameter in radians (directional). */
  sourceSize?: number;
}

export interface EngineSceneDump {
  level: string;
  meshes: EngineMesh[];
  materials: EngineMaterial[];
  objects: EngineObject[];
  lights: EngineLight[];
}

function convertSection(frame: EngineFrame, s: EngineSection, where: string): Primitive {
  const n = s.positions.length / 3;
  if (!Number.isInteger(n) || s.normals.length !== s.positions.length)
    throw new Error(`${where}: positions (${s.positions.length}) and normals (${s.normals.length}) must hold xyz per vertex`);
  const positions = new Float32Array(n * 3), normals = new Float32Array(n * 3);
  for (let v = 0; v < n; v++) {
    positions.set(toGltfVector(frame, [s.positions[3 * v], s.positions[3 * v + 1], s.positions[3 * v + 2]], frame.metersPerUnit), 3 * v);
    normals.set(toGltfVector(frame, [s.normals[3 * v], s.normals[3 * v + 1], s.normals[3 * v + 2]]), 3 * v);
  }
  const indices = Uint32Array.from(s.indices);
  for (let i = 0; i < indices.length; i++) if (indices[i] >= n) throw new Error(`${where}: index ${indices[i]} at ${i} is past the vertex count ${n}`);
  orientToNormals(positions, normals, indices);
  const uv = (a: ArrayLike<number> | undefined) => {
    if (!a) return undefined;
    const out = Float32Array.from(a);
    if (frame.flipV) for (let i = 1; i < out.length; i += 2) out[i] = 1 - out[i];
    return out;
  };
  const p: Primitive = { positions, normals, indices, material: s.material };
  const uv0 = uv(s.uv0); if (uv0) p.uv0 = uv0;
  const uv1 = uv(s.uv1); if (uv1) p.uv1 = uv1;
  return p;
}

/**
 * Make counter-clockwise winding (glTF's front face) agree with the engine's vertex normals. Engines differ in
 * front-face convention and a frame change can mirror, so the normals, which every engine mesh carries, decide.
 */
export function orientToNormals(positions: Float32Array, normals: Float32Array, indices: Uint32Array): boolean {
  let agree = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const a = 3 * indices[t], b = 3 * indices[t + 1], c = 3 * indices[t + 2];
    const e1 = [positions[b] - positions[a], positions[b + 1] - positions[a + 1], positions[b + 2] - positions[a + 2]];
    const e2 = [positions[c] - positions[a], positions[c + 1] - positions[a + 1], positions[c + 2] - positions[a + 2]];
    const g = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const nx = normals[a] + normals[b] + normals[c], ny = normals[a + 1] + normals[b + 1] + normals[c + 1], nz = normals[a + 2] + normals[b + 2] + normals[c + 2];
    agree += Math.sign(g[0] * nx + g[1] * ny + g[2] * nz);
  }
  if (agree >= 0) return false;
  for (let t = 0; t < indices.length; t += 3) { const x = indices[t + 1]; indices[t + 1] = indices[t + 2]; indices[t + 2] = x; }
  return true;
}

export function engineToScene(dump: EngineSceneDump, frame: EngineFrame): Scene {
  const scene = createScene(dump.level);
  scene.source = `${frame.name}:${dump.level}`;
  for (const m of dump.materials)
    addMaterial(scene, {
      ...defaultMaterial(m.asset), baseColorFactor: m.baseColor, metallicFactor: m.metallic, roughnessFactor: m.roughness,
      emissiveFactor: m.emissive, alphaMode: m.blend === 'masked' ? 'MASK' : m.blend === 'translucent' ? 'BLEND' : 'OPAQUE', doubleSided: m.twoSided,
    });
  dump.meshes.forEach((mesh) => addMesh(scene, mesh.asset, mesh.sections.map((s, si) => convertSection(frame, s, `${mesh.asset} section ${si}`))));
  for (const o of dump.objects) {
    const node = addNode(scene, {
      name: o.path, mesh: o.mesh,
      translation: toGltfVector(frame, o.translation, frame.metersPerUnit),
      rotation: toGltfQuaternion(frame, o.rotation),
      scale: toGltfScale(frame, o.scale),
    });
    if (o.movable) scene.nodes[node].dynamic = true;
  }
  for (const l of dump.lights) {
    scene.lights.push({
      name: l.path, type: l.type, color: l.color, intensity: l.intensity,
      innerConeAngle: l.innerConeAngle ?? 0, outerConeAngle: l.outerConeAngle ?? Math.PI / 4,
      ...(l.sourceSize !== undefined ? { size: l.type === 'directional' ? l.sourceSize : l.sourceSize * frame.metersPerUnit } : {}),
    });
    addNode(scene, { name: l.path, light: scene.lights.length - 1, translation: toGltfVector(frame, l.translation, frame.metersPerUnit), rotation: toGltfQuaternion(frame, l.rotation) });
  }
  return scene;
}

/** Per object: the lightmap UV set in the engine's UV convention and the lightmap image to assign. */
export interface LightmapWriteBack {
  path: string;
  sections: { uv1: Float32Array }[];
  lightmapTexture: number | undefined;
  intensity: number;
}

/** The lightmap results of an optimized scene, ready for the engine glue to apply (UV set + texture). */
export function lightmapWriteBack(scene: Scene, frame: EngineFrame): LightmapWriteBack[] {
  const out: LightmapWriteBack[] = [];
  for (const node of scene.nodes) {
    if (node.mesh === undefined) continue;
    const prims = scene.meshes[node.mesh].primitives;
    if (!prims.some((p) => p.uv1)) continue;
    const lm = prims.map((p) => scene.materials[p.material]?.lightmap).find(Boolean);
    out.push({
      path: node.name,
      sections: prims.map((p) => {
        const uv1 = Float32Array.from(p.uv1 ?? []);
        if (frame.flipV) for (let i = 1; i < uv1.length; i += 2) uv1[i] = 1 - uv1[i];
        return { uv1 };
      }),
      lightmapTexture: lm?.texture,
      intensity: lm?.intensity ?? 1,
    });
  }
  return out;
}
