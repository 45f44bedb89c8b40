/**
 * The neutral scene model. Engine adapters (Puerts) and file formats (glTF) convert to and from it at the edges;
 * everything between reads only this. Plain data: no classes, no Node builtins, so it runs inside Puerts' V8.
 */

export type Vec3 = [number, number, number];
export type Vec4 = [number, number, number, number];
/** Column-major 4x4, glTF order. */
export type Mat4 = Float32Array;

export interface Scene {
  name: string;
  nodes: SceneNode[];
  /** Indices of the nodes without a parent, in scene order. */
  roots: number[];
  meshes: Mesh[];
  materials: Material[];
  textures: Texture[];
  lights: Light[];
  cameras: Camera[];
  /** Where the scene came from, for error messages and reports (a file path, or an engine level name). */
  source?: string;
}

export interface SceneNode {
  name: string;
  parent: number; // -1 for roots
  children: number[];
  translation: Vec3;
  rotation: Vec4; // quaternion xyzw
  scale: Vec3;
  mesh?: number;
  light?: number;
  camera?: number;
  /**
   * GPU instancing (EXT_mesh_gpu_instancing): the copies of `mesh`, each placed by its own TRS inside the node's
   * space. Kept as TRS (as glTF stores them) so that a round trip is exact. Absent means the node draws its mesh once.
   */
  instances?: InstanceTRS;
  /** Animated, skinned, or movable in its engine (glTF extras `ote.dynamic`): the analyzer treats such nodes as dynamic. */
  dynamic?: boolean;
}

export interface InstanceTRS {
  translation: Float32Array; // xyz per copy
  rotation: Float32Array; // xyzw per copy
  scale: Float32Array; // xyz per copy
}

export function instanceCount(i: InstanceTRS): number {
  return i.translation.length / 3;
}

export interface Mesh {
  name: string;
  primitives: Primitive[];
}

/** A triangle list. Other topologies are converted (strips, fans) or reported (points, lines) by the importer. */
export interface Primitive {
  positions: Float32Array; // xyz
  normals?: Float32Array; // xyz
  tangents?: Float32Array; // xyzw
  uv0?: Float32Array; // uv
  uv1?: Float32Array; // uv, lightmap set
  colors?: Float32Array; // rgba, linear
  indices: Uint32Array; // 3 per triangle
  material: number; // -1 for the default material
}

export type AlphaMode = 'OPAQUE' | 'MASK' | 'BLEND';

export interface TextureTransform {
  offset: [number, number];
  rotation: number;
  scale: [number, number];
  texCoord?: number;
}

export interface TextureRef {
  texture: number;
  texCoord: number;
  transform?: TextureTransform;
}

export interface Material {
  name: string;
  baseColorFactor: Vec4;
  baseColorTexture?: TextureRef;
  metallicFactor: number;
  roughnessFactor: number;
  /** glTF metallicRoughness texture: G roughness, B metallic (R may hold occlusion: ORM). */
  metallicRoughnessTexture?: TextureRef;
  normalTexture?: TextureRef & { scale: number };
  occlusionTexture?: TextureRef & { strength: number };
  emissiveFactor: Vec3;
  /** KHR_materials_emissive_strength; 1 when absent. */
  emissiveStrength: number;
  emissiveTexture?: TextureRef;
  alphaMode: AlphaMode;
  alphaCutoff: number;
  doubleSided: boolean;
  /** KHR_materials_unlit. */
  unlit: boolean;
  /** KHR_materials_transmission factor, 0 when absent. */
  transmission: number;
  /** Lightmap written by the baking pipeline (MOZ_lightmap): a texture read with uv1. */
  lightmap?: { texture: number; intensity: number };
}

export interface Texture {
  name: string;
  mimeType: string;
  /** Encoded image bytes (PNG, JPEG, KTX2, ...), kept as authored. */
  image: Uint8Array;
  width: number;
  height: number;
}

export interface Light {
  name: string;
  type: 'directional' | 'point' | 'spot';
  color: Vec3;
  /** lux for directional, candela for point and spot (KHR_lights_punctual). */
  intensity: number;
  range?: number;
  innerConeAngle: number;
  outerConeAngle: number;
  /** Emitter size for soft shadows: radius in metres for point/spot, angular diameter in radians for directional. */
  size?: number;
  /**
   * Its light is already in the lightmaps of the scene's lightmapped meshes; it stays only for what is not
   * lightmapped (written as extras.ote.baked, see bake/baked-lights.ts).
   */
  baked?: boolean;
}

export interface Camera {
  name: string;
  type: 'perspective' | 'orthographic';
  yfov: number;
  aspectRatio?: number;
  znear: number;
  zfar?: number;
  xmag: number;
  ymag: number;
}

export function createScene(name = 'scene'): Scene {
  return { name, nodes: [], roots: [], meshes: [], materials: [], textures: [], lights: [], cameras: [] };
}

export function defaultMaterial(name = 'default'): Material {
  return {
    name,
    baseColorFactor: [1, 1, 1, 1],
    metallicFactor: 1,
    roughnessFactor: 1,
    emissiveFactor: [0, 0, 0],
    emissiveStrength: 1,
    alphaMode: 'OPAQUE',
    alphaCutoff: 0.5,
    doubleSided: false,
    unlit: false,
    transmission: 0,
  };
}
