/**
 * What an engine adapter hands the core: a dump of the level in the engine's own frame and units, built by the
 * thin Puerts glue in plugin-unreal/ and plugin-unity/. engineToScene converts it into the neutral scene
 * (lightmap-write-back.ts plans the way back). Pure functions: they run inside the editor's V8.
 */
import { inputError } from '../errors.js';
import { addMaterial, addMesh, addNode } from '../scene/build.js';
import { checkIndex, checkLight, checkNumber, checkUnitQuaternion, checkVector } from '../util/check-values.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../scene/types.js';
import { triangleCross } from '../util/vec3.js';
import { toGltfLightRotation, toGltfQuaternion, toGltfScale, toGltfVector, type EngineFrame } from './engine-frame.js';

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

/** A texture as the glue exported it: encoded bytes, read on UV0. */
export interface EngineImage {
  /** The texture asset, e.g. /Game/Textures/T_Brick or Assets/Textures/Brick.png: images of one name are stored once. */
  name: string;
  mimeType: 'image/png' | 'image/jpeg';
  image: Uint8Array;
  width: number;
  height: number;
  /**
   * The engine texture asset the image was made from, where `name` is not one (an image the adapters composed:
   * opacity-mask.ts; '' when it comes from no asset of its own); the write-back points engine materials at it.
   */
  asset?: string;
}

/** A material in glTF's terms (linear factors; adapters/materials.ts maps each engine's). */
export interface EngineMaterial {
  asset: string;
  baseColor: [number, number, number, number];
  metallic: number;
  roughness: number;
  /** Emission as a factor ≤ 1 and a strength (KHR_materials_emissive_strength; 1 when absent). */
  emissive: [number, number, number];
  emissiveStrength?: number;
  blend: 'opaque' | 'masked' | 'translucent';
  /** Masked materials: the alpha below which the surface is cut out (glTF's default 0.5 when absent). */
  alphaCutoff?: number;
  twoSided: boolean;
  baseColorTexture?: EngineImage;
  /**
   * An opacity-mask texture asset of the engine's own (its R is coverage): glTF carries it as the base colour
   * texture's alpha (adapters/opacity-mask.ts), and the write-back's material samples the asset itself.
   */
  opacityMaskTexture?: string;
  /** glTF's packing, linear: G roughness, B metallic, times the factors (adapters/metallic-roughness.ts). */
  metallicRoughnessTexture?: EngineImage;
  normalTexture?: EngineImage;
  /** The normal map's strength (glTF normalTexture.scale: XY scaled); 1 when absent. */
  normalScale?: number;
  emissiveTexture?: EngineImage;
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

/**
 * Many copies of one mesh (Unreal's instanced and hierarchical instanced static meshes, foliage among them; Unity's
 * terrain trees), kept as instances: one glTF node with EXT_mesh_gpu_instancing, never one node per copy.
 */
export interface EngineInstancer {
  /** The component or foliage type, unique in the level. */
  path: string;
  mesh: number;
  /** World transforms of the copies in the engine's frame and units: xyz, xyzw and xyz per copy. */
  translations: ArrayLike<number>;
  rotations: ArrayLike<number>;
  scales: ArrayLike<number>;
  movable: boolean;
  /**
   * Where each copy is an engine object of its own (Unity's GPU-instanced renderers), their paths, one per copy:
   * the write-back gives each its lightmap. Absent where the instancer is one engine component (Unreal's ISM/HISM,
   * Unity's terrain trees).
   */
  copies?: string[];
}

export interface EngineSceneDump {
  level: string;
  meshes: EngineMesh[];
  materials: EngineMaterial[];
  objects: EngineObject[];
  lights: EngineLight[];
  instancers?: EngineInstancer[];
}

function convertSection(frame: EngineFrame, s: EngineSection, level: string, where: string): Primitive {
  const n = s.positions.length / 3;
  if (!Number.isInteger(n) || s.normals.length !== s.positions.length)
    throw inputError(
      level,
      where,
      `positions (${s.positions.length}) and normals (${s.normals.length}) must hold xyz per vertex`,
    );
  const positions = new Float32Array(n * 3),
    normals = new Float32Array(n * 3);
  for (let v = 0; v < n; v++) {
    positions.set(
      toGltfVector(frame, [s.positions[3 * v], s.positions[3 * v + 1], s.positions[3 * v + 2]], frame.metersPerUnit),
      3 * v,
    );
    normals.set(toGltfVector(frame, [s.normals[3 * v], s.normals[3 * v + 1], s.normals[3 * v + 2]]), 3 * v);
  }
  const indices = Uint32Array.from(s.indices);
  if (indices.length % 3)
    throw inputError(level, `${where}.indices`, `${indices.length} indices are not whole triangles`);
  for (let i = 0; i < indices.length; i++)
    if (indices[i] >= n || indices[i] !== s.indices[i])
      throw inputError(level, `${where}.indices`, `index ${s.indices[i]} at ${i} is not a vertex (there are ${n})`);
  orientToNormals(positions, normals, indices);
  const uv = (a: ArrayLike<number> | undefined, name: string) => {
    if (!a) return undefined;
    if (a.length !== 2 * n)
      throw inputError(level, `${where}.${name}`, `holds ${a.length} values, expected 2 per vertex (${2 * n})`);
    finite(level, `${where}.${name}`, a, 2);
    const out = Float32Array.from(a);
    if (frame.flipV) for (let i = 1; i < out.length; i += 2) out[i] = 1 - out[i];
    return out;
  };
  const p: Primitive = { positions, normals, indices, material: s.material };
  const uv0 = uv(s.uv0, 'uv0');
  if (uv0) p.uv0 = uv0;
  const uv1 = uv(s.uv1, 'uv1');
  if (uv1) p.uv1 = uv1;
  return p;
}

/**
 * Make counter-clockwise winding (glTF's front face) agree with the engine's vertex normals. Engines differ in
 * front-face convention and a frame change can mirror, so the normals, which every engine mesh carries, decide.
 */
export function orientToNormals(positions: Float32Array, normals: Float32Array, indices: Uint32Array): boolean {
  let agree = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const a = 3 * indices[t],
      b = 3 * indices[t + 1],
      c = 3 * indices[t + 2];
    const g = triangleCross(positions, a, b, c);
    const nx = normals[a] + normals[b] + normals[c],
      ny = normals[a + 1] + normals[b + 1] + normals[c + 1],
      nz = normals[a + 2] + normals[b + 2] + normals[c + 2];
    agree += Math.sign(g[0] * nx + g[1] * ny + g[2] * nz);
  }
  if (agree >= 0) return false;
  for (let t = 0; t < indices.length; t += 3) {
    const x = indices[t + 1];
    indices[t + 1] = indices[t + 2];
    indices[t + 2] = x;
  }
  return true;
}

/** Every value finite (engine arrays may be typed arrays, so this loops rather than using checkVector). */
function finite(level: string, path: string, a: ArrayLike<number>, stride: number): void {
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i]))
      throw inputError(
        level,
        path,
        `${stride === 3 ? 'vertex' : 'element'} ${Math.floor(i / stride)} has a non-finite value (${a[i]})`,
      );
}

/**
 * The dump as the engine glue built it, checked before conversion: indices into the dump's arrays exist, transforms,
 * colours and light values are finite and in range. Errors name the level, the field and the actor or asset.
 */
function checkDump(dump: EngineSceneDump): void {
  const level = dump.level;
  const name = (s: string) => ` (${JSON.stringify(s)})`;
  dump.materials.forEach((m, i) => {
    const at = `materials[${i}]${name(m.asset)}`;
    checkVector(level, `${at}.baseColor`, m.baseColor, 4, { min: 0, max: 1 });
    checkNumber(level, `${at}.metallic`, m.metallic, { min: 0, max: 1 });
    checkNumber(level, `${at}.roughness`, m.roughness, { min: 0, max: 1 });
    checkVector(level, `${at}.emissive`, m.emissive, 3, { min: 0 });
    checkNumber(level, `${at}.emissiveStrength`, m.emissiveStrength, { min: 0 });
    checkNumber(level, `${at}.alphaCutoff`, m.alphaCutoff, { min: 0, max: 1 });
    checkNumber(level, `${at}.normalScale`, m.normalScale);
    for (const slot of ['baseColorTexture', 'metallicRoughnessTexture', 'normalTexture', 'emissiveTexture'] as const) {
      const t = m[slot];
      if (t === undefined) continue;
      if (!(t.image instanceof Uint8Array) || t.image.length === 0)
        throw inputError(
          level,
          `${at}.${slot}.image`,
          `${at}.${slot}: the image ${JSON.stringify(t.name)} has no bytes`,
        );
      checkNumber(level, `${at}.${slot}.width`, t.width, { min: 1 });
      checkNumber(level, `${at}.${slot}.height`, t.height, { min: 1 });
    }
  });
  dump.meshes.forEach((mesh, i) =>
    mesh.sections.forEach((s, j) => {
      const at = `meshes[${i}]${name(mesh.asset)}.sections[${j}]`;
      checkIndex(level, `${at}.material`, s.material, dump.materials.length, 'materials');
      finite(level, `${at}.positions`, s.positions, 3);
      finite(level, `${at}.normals`, s.normals, 3);
    }),
  );
  const transform = (at: string, o: { translation: unknown; rotation: unknown; scale?: unknown }) => {
    checkVector(level, `${at}.translation`, o.translation, 3);
    checkVector(level, `${at}.rotation`, o.rotation, 4);
    checkUnitQuaternion(level, `${at}.rotation`, o.rotation as number[]);
    checkVector(level, `${at}.scale`, o.scale, 3);
  };
  dump.objects.forEach((o, i) => {
    const at = `objects[${i}]${name(o.path)}`;
    checkIndex(level, `${at}.mesh`, o.mesh, dump.meshes.length, 'meshes');
    transform(at, o);
  });
  (dump.instancers ?? []).forEach((g, i) => {
    const at = `instancers[${i}]${name(g.path)}`;
    checkIndex(level, `${at}.mesh`, g.mesh, dump.meshes.length, 'meshes');
    const n = g.translations.length / 3;
    if (!Number.isInteger(n) || g.rotations.length !== 4 * n || g.scales.length !== 3 * n)
      throw inputError(
        level,
        `${at}.rotations`,
        `${at}: ${g.translations.length} translation, ${g.rotations.length} rotation and ${g.scales.length} scale values are not 3, 4 and 3 per copy`,
      );
    if (g.copies && g.copies.length !== n)
      throw inputError(level, `${at}.copies`, `${at}: ${g.copies.length} copy paths for ${n} copies`);
    finite(level, `${at}.translations`, g.translations, 1);
    finite(level, `${at}.scales`, g.scales, 1);
    for (let k = 0; k < n; k++)
      checkUnitQuaternion(
        level,
        `${at}.rotations[${k}]`,
        Array.from({ length: 4 }, (_, c) => g.rotations[4 * k + c]),
      );
  });
  dump.lights.forEach((l, i) => {
    const at = `lights[${i}]${name(l.path)}`;
    checkLight(level, at, l, at);
    checkNumber(level, `${at}.sourceSize`, l.sourceSize, { min: 0 });
    transform(at, l);
  });
}

export function engineToScene(dump: EngineSceneDump, frame: EngineFrame): Scene {
  checkDump(dump);
  const scene = createScene(dump.level);
  scene.source = `${frame.name}:${dump.level}`;
  // Images of one name are one texture, however many materials use them.
  const textures = new Map<string, number>();
  const ref = (t: EngineImage | undefined) => {
    if (!t) return undefined;
    let i = textures.get(t.name);
    if (i === undefined) {
      i =
        scene.textures.push({ name: t.name, mimeType: t.mimeType, image: t.image, width: t.width, height: t.height }) -
        1;
      textures.set(t.name, i);
    }
    return { texture: i, texCoord: 0 };
  };
  for (const m of dump.materials) {
    const base = ref(m.baseColorTexture),
      metalRough = ref(m.metallicRoughnessTexture),
      normal = ref(m.normalTexture),
      emissive = ref(m.emissiveTexture);
    addMaterial(scene, {
      ...defaultMaterial(m.asset),
      baseColorFactor: m.baseColor,
      metallicFactor: m.metallic,
      roughnessFactor: m.roughness,
      emissiveFactor: m.emissive,
      emissiveStrength: m.emissiveStrength ?? 1,
      alphaMode: m.blend === 'masked' ? 'MASK' : m.blend === 'translucent' ? 'BLEND' : 'OPAQUE',
      ...(m.alphaCutoff !== undefined ? { alphaCutoff: m.alphaCutoff } : {}),
      doubleSided: m.twoSided,
      ...(base ? { baseColorTexture: base } : {}),
      ...(metalRough ? { metallicRoughnessTexture: metalRough } : {}),
      ...(normal ? { normalTexture: { ...normal, scale: m.normalScale ?? 1 } } : {}),
      ...(emissive ? { emissiveTexture: emissive } : {}),
    });
  }
  dump.meshes.forEach((mesh, mi) =>
    addMesh(
      scene,
      mesh.asset,
      mesh.sections.map((s, si) =>
        convertSection(frame, s, dump.level, `meshes[${mi}] (${JSON.stringify(mesh.asset)}).sections[${si}]`),
      ),
    ),
  );
  for (const o of dump.objects) {
    const node = addNode(scene, {
      name: o.path,
      mesh: o.mesh,
      translation: toGltfVector(frame, o.translation, frame.metersPerUnit),
      rotation: toGltfQuaternion(frame, o.rotation),
      scale: toGltfScale(frame, o.scale),
    });
    if (o.movable) scene.nodes[node].dynamic = true;
  }
  for (const g of dump.instancers ?? []) {
    const n = g.translations.length / 3;
    const instances = {
      translation: new Float32Array(3 * n),
      rotation: new Float32Array(4 * n),
      scale: new Float32Array(3 * n),
    };
    for (let k = 0; k < n; k++) {
      const at3 = (a: ArrayLike<number>) => [a[3 * k], a[3 * k + 1], a[3 * k + 2]];
      instances.translation.set(toGltfVector(frame, at3(g.translations), frame.metersPerUnit), 3 * k);
      instances.rotation.set(
        toGltfQuaternion(
          frame,
          [0, 1, 2, 3].map((c) => g.rotations[4 * k + c]),
        ),
        4 * k,
      );
      instances.scale.set(toGltfScale(frame, at3(g.scales)), 3 * k);
    }
    const node = addNode(scene, { name: g.path, mesh: g.mesh, instances });
    if (g.movable) scene.nodes[node].dynamic = true;
  }
  for (const l of dump.lights) {
    scene.lights.push({
      name: l.path,
      type: l.type,
      color: l.color,
      intensity: l.intensity,
      innerConeAngle: l.innerConeAngle ?? 0,
      outerConeAngle: l.outerConeAngle ?? Math.PI / 4,
      ...(l.sourceSize !== undefined
        ? { size: l.type === 'directional' ? l.sourceSize : l.sourceSize * frame.metersPerUnit }
        : {}),
    });
    addNode(scene, {
      name: l.path,
      light: scene.lights.length - 1,
      translation: toGltfVector(frame, l.translation, frame.metersPerUnit),
      rotation: toGltfLightRotation(frame, l.rotation),
    });
  }
  return scene;
}
