/**
 * The transport's inputs from the neutral scene: materials (base colour, metal/rough, emission, alpha), KHR_lights_punctual
 * lights in world space, the sky, and per flattened triangle its lightmap UV1, page and corner normals.
 * Validated here so that bad input fails with a message naming the light or mesh, before any native work.
 * Packed here, at the native boundary, because the bake and every renderer (path tracer, lightmapped, ray-core
 * preview) hand the same tables to the kernels.
 */
import { OteError } from '../errors.js';
import type { DecodedTexture } from '../io/textures.js';
import type { BakeNativeInputs } from './bake.js';
import {
  ALPHA_MODE,
  LIGHT_TYPE,
  PACKED_LIGHT,
  PACKED_MATERIAL,
  PACKED_SKY,
  PACKED_TEXTURE,
  PACKED_TEXTURE_REF,
  SKY_TYPE,
} from './layouts.js';
import { flattenScene, type FlatScene } from '../scene/flatten.js';
import { worldMatrices } from '../scene/transform.js';
import type { Material, Scene, TextureRef, TextureTransform, Vec3 } from '../scene/types.js';

/** Sky light: none (default; interiors), a constant radiance, or a vertical gradient (zenith/horizon/ground). */
export type Sky =
  | { type: 'none' }
  | { type: 'constant'; color: Vec3 }
  | { type: 'gradient'; zenith: Vec3; horizon: Vec3; ground: Vec3 };

/** Lightmap placement of every drawn object: node → atlas page of each primitive of its mesh. */
export interface LightmapLayout {
  primitivePages: Map<number, number[]>;
  pageWidth: number[];
  pageHeight: number[];
}

/** A decoded texture: sRGB-encoded RGBA8, top row first (io/textures.ts decodeSceneTextures gives these). */
export type BakeTextureImage = DecodedTexture;

/** KHR_texture_transform as the 2x3 affine map the native side applies to UV0: T(offset) · R(rotation) · S(scale). */
export function uvTransformMatrix(t: TextureTransform | undefined): number[] {
  if (!t) return [1, 0, 0, 0, 1, 0];
  const c = Math.cos(t.rotation),
    s = Math.sin(t.rotation),
    [sx, sy] = t.scale,
    [ox, oy] = t.offset;
  return [c * sx, s * sy, ox, -s * sx, c * sy, oy];
}

/** Floats per packed material (native/layouts.ts PACKED_MATERIAL; native ote::PackedMaterial). */
export const MATERIAL_FLOATS = PACKED_MATERIAL.size;
const M = PACKED_MATERIAL.offset,
  TEX = PACKED_TEXTURE_REF.offset;

/** Whether rays can see through parts of the material (alpha MASK or BLEND). */
export function isCutout(m: Material): boolean {
  return m.alphaMode === 'MASK' || m.alphaMode === 'BLEND';
}

export interface MaterialTable {
  materials: Float32Array;
  textures: Uint32Array;
  texels: Uint8Array;
  untextured: string[];
}

/**
 * Materials (MATERIAL_FLOATS each) and the flat texture table. A texture is used when it was decoded and is read
 * through UV0 (texCoord 0, also after KHR_texture_transform's override); otherwise the material falls back to its
 * factor and the reason is listed in `untextured`. The base colour is the factor (the native side folds metallic
 * and roughness in per hit: bake/surface.h lambert_albedo); the metallicRoughness texture is read linear.
 */
export function materialTable(
  scene: Scene,
  textures: readonly (BakeTextureImage | undefined)[] | undefined,
): MaterialTable {
  const file = scene.source;
  const materials = new Float32Array(MATERIAL_FLOATS * scene.materials.length);
  const table: number[] = [],
    chunks: Uint8Array[] = [],
    slot = new Map<number, number>(),
    untextured: string[] = [];
  let pixels = 0;
  const bind = (ref: TextureRef | undefined, i: number, what: string): number => {
    if (!ref) return -1;
    const texCoord = ref.transform?.texCoord ?? ref.texCoord;
    const img = textures?.[ref.texture];
    if (texCoord !== 0) {
      untextured.push(`materials[${i}].${what}: reads TEXCOORD_${texCoord}; only TEXCOORD_0 is baked`);
      return -1;
    }
    if (!img) {
      untextured.push(`materials[${i}].${what}: textures[${ref.texture}] was not decoded`);
      return -1;
    }
    if (img.data.length !== 4 * img.width * img.height || img.width < 1 || img.height < 1)
      throw new OteError(
        'BAD_INPUT',
        `texture ${ref.texture} has ${img.data.length} bytes for ${img.width}x${img.height} RGBA8`,
        { file, path: `textures[${ref.texture}]` },
      );
    let k = slot.get(ref.texture);
    if (k === undefined) {
      k = table.length / PACKED_TEXTURE.size;
      slot.set(ref.texture, k);
      table.push(img.width, img.height, pixels); // PACKED_TEXTURE: width, height, firstPixel
      chunks.push(img.data);
      pixels += img.width * img.height;
    }
    return k;
  };
  // Factors outside [0, 1] (or NaN) are clamped, as a renderer would.
  const unit = (v: number) => (v >= 0 ? Math.min(1, v) : 0);
  // A texture ref: the table index (-1 none) and its UV0 transform.
  const ref = (o: number, texture: number, t: TextureRef | undefined) => {
    materials[o + TEX.texture] = texture;
    materials.set(uvTransformMatrix(t?.transform), o + TEX.uvTransform);
  };
  scene.materials.forEach((m, i) => {
    const o = MATERIAL_FLOATS * i;
    for (let c = 0; c < 3; c++) {
      materials[o + M.baseColor + c] = m.unlit ? 0 : m.baseColorFactor[c];
      materials[o + M.emission + c] = m.emissiveFactor[c] * m.emissiveStrength;
    }
    materials[o + M.doubleSided] = m.doubleSided ? 1 : 0;
    for (let c = 0; c < 3; c++)
      for (const v of [materials[o + M.baseColor + c], materials[o + M.emission + c]])
        if (!Number.isFinite(v) || v < 0)
          throw new OteError('BAD_INPUT', `material "${m.name}" has a negative or non-finite colour or emission`, {
            file,
            path: `materials[${i}]`,
          });
    // An unlit material reflects nothing, but its base colour texture's alpha still cuts it out.
    ref(
      o + M.baseColorTexture,
      m.unlit && !isCutout(m) ? -1 : bind(m.baseColorTexture, i, 'baseColorTexture'),
      m.baseColorTexture,
    );
    ref(o + M.emissiveTexture, bind(m.emissiveTexture, i, 'emissiveTexture'), m.emissiveTexture);
    materials[o + M.metallic] = unit(m.metallicFactor);
    materials[o + M.roughness] = unit(m.roughnessFactor);
    ref(
      o + M.metallicRoughnessTexture,
      m.unlit || m.metallicFactor === 0 ? -1 : bind(m.metallicRoughnessTexture, i, 'metallicRoughnessTexture'),
      m.metallicRoughnessTexture,
    );
    materials[o + M.alpha] = unit(m.baseColorFactor[3]);
    materials[o + M.alphaMode] = ALPHA_MODE[m.alphaMode] ?? ALPHA_MODE.OPAQUE;
    if (!Number.isFinite(m.alphaCutoff))
      throw new OteError('BAD_INPUT', `material "${m.name}" has alphaCutoff ${m.alphaCutoff}`, {
        file,
        path: `materials[${i}].alphaCutoff`,
      });
    materials[o + M.alphaCutoff] = m.alphaCutoff;
  });
  const texels = new Uint8Array(4 * pixels);
  let at = 0;
  for (const c of chunks) {
    texels.set(c, at);
    at += c.length;
  }
  return { materials, textures: Uint32Array.from(table), texels, untextured };
}

/**
 * Per flat triangle (scene/flatten.ts order: meshes, then primitives) UV0 corners (6 floats) and linear vertex
 * colours (9 floats, RGB; white where a primitive has none), each only when asked for.
 */
export function triangleAttributes(scene: Scene, flat: FlatScene, want: { uv0?: boolean; color?: boolean }) {
  const T = flat.indices.length / 3;
  const triangleUv0 = want.uv0 ? new Float32Array(6 * T) : undefined;
  const triangleColor = want.color ? new Float32Array(9 * T).fill(1) : undefined;
  scene.meshes.forEach((mesh, mi) => {
    let f = flat.meshFirstTriangle[mi];
    for (const p of mesh.primitives) {
      if ((triangleUv0 && p.uv0) || (triangleColor && p.colors))
        for (let i = 0; i < p.indices.length; i++) {
          const v = p.indices[i];
          if (triangleUv0 && p.uv0) triangleUv0.set(p.uv0.subarray(2 * v, 2 * v + 2), 6 * f + 2 * i);
          if (triangleColor && p.colors) triangleColor.set(p.colors.subarray(4 * v, 4 * v + 3), 9 * f + 3 * i);
        }
      f += p.indices.length / 3;
    }
  });
  return { triangleUv0, triangleColor };
}

export interface BakeInputsResult {
  flat: FlatScene;
  inputs: BakeNativeInputs;
  /** Texture bindings the bake could not use (each names the material and why); they fall back to the factor. */
  untextured: string[];
}

/**
 * `textures`: the scene's textures decoded (index = scene texture index; undefined = not decoded). Without them
 * the bake uses colour factors only, as before textures were supported.
 */
export function bakeInputs(
  scene: Scene,
  layout: LightmapLayout | undefined,
  sky: Sky = { type: 'none' },
  textures?: readonly (BakeTextureImage | undefined)[],
): BakeInputsResult {
  const flat = flattenScene(scene);
  const file = scene.source;
  const { materials, textures: textureTable, texels, untextured } = materialTable(scene, textures);

  const world = worldMatrices(scene);
  const lightList: {
    type: number;
    color: number[];
    position: number[];
    direction: number[];
    size: number;
    range: number;
    cosInner: number;
    cosOuter: number;
  }[] = [];
  scene.nodes.forEach((node, n) => {
    if (node.light === undefined) return;
    const l = scene.lights[node.light];
    const path = `extensions.KHR_lights_punctual.lights[${node.light}]`;
    if (!l)
      throw new OteError('BAD_INPUT', `node "${node.name}" uses light ${node.light}, which does not exist`, {
        file,
        path: `nodes[${n}]`,
      });
    if (!(l.intensity >= 0) || !Number.isFinite(l.intensity))
      throw new OteError(
        'BAD_INPUT',
        `light "${l.name}" has intensity ${l.intensity}; it must be a finite number >= 0`,
        { file, path: `${path}.intensity` },
      );
    if (l.color.some((c) => !(c >= 0) || !Number.isFinite(c)))
      throw new OteError(
        'BAD_INPUT',
        `light "${l.name}" has colour [${l.color.join(', ')}]; components must be finite and >= 0`,
        { file, path: `${path}.color` },
      );
    if (l.size !== undefined && !(l.size >= 0 && Number.isFinite(l.size)))
      throw new OteError('BAD_INPUT', `light "${l.name}" has size ${l.size}; it must be a finite number >= 0`, {
        file,
        path: `${path}.size`,
      });
    const m = world[n];
    const d = [-m[8], -m[9], -m[10]],
      dl = Math.hypot(d[0], d[1], d[2]) || 1;
    lightList.push({
      type: LIGHT_TYPE[l.type],
      color: l.color.map((c) => c * l.intensity),
      position: [m[12], m[13], m[14]],
      direction: [d[0] / dl, d[1] / dl, d[2] / dl],
      size: l.size ?? 0,
      range: l.range ?? 0,
      cosInner: Math.cos(l.innerConeAngle),
      cosOuter: Math.cos(l.outerConeAngle),
    });
  });
  const L = PACKED_LIGHT.offset,
    lights = new Float32Array(PACKED_LIGHT.size * lightList.length);
  lightList.forEach((l, i) => {
    const o = PACKED_LIGHT.size * i;
    lights[o + L.type] = l.type;
    lights.set(l.color, o + L.color);
    lights.set(l.position, o + L.position);
    lights.set(l.direction, o + L.direction);
    lights[o + L.size] = l.size;
    lights[o + L.range] = l.range;
    lights[o + L.cosInner] = l.cosInner;
    lights[o + L.cosOuter] = l.cosOuter;
  });

  const skyArr = new Float32Array(PACKED_SKY.size),
    S = PACKED_SKY.offset;
  skyArr[S.type] = SKY_TYPE[sky.type];
  if (sky.type === 'constant') skyArr.set(sky.color, S.zenith);
  else if (sky.type === 'gradient') {
    skyArr.set(sky.zenith, S.zenith);
    skyArr.set(sky.horizon, S.horizon);
    skyArr.set(sky.ground, S.ground);
  }
  for (const v of skyArr)
    if (!(v >= 0) || !Number.isFinite(v))
      throw new OteError('BAD_PROFILE', 'sky colours must be finite and >= 0', { path: 'sky' });

  const T = flat.indices.length / 3;
  const triangleUv1 = new Float32Array(6 * T),
    trianglePage = new Int32Array(T).fill(-1),
    triangleNormals = new Float32Array(9 * T);
  // UV0 only when a texture is bound; vertex colours only when some primitive has them (others read white).
  const { triangleUv0, triangleColor } = triangleAttributes(scene, flat, {
    uv0: textureTable.length > 0,
    color: scene.meshes.some((m) => m.primitives.some((p) => p.colors)),
  });
  // Flat triangles follow meshes then primitives in order (scene/flatten.ts).
  const primFirst: number[][] = [];
  scene.meshes.forEach((mesh, mi) => {
    let t = flat.meshFirstTriangle[mi];
    primFirst.push(
      mesh.primitives.map((p) => {
        const f = t;
        t += p.indices.length / 3;
        return f;
      }),
    );
    mesh.primitives.forEach((p, pi) => {
      if (!p.normals) return;
      const f = primFirst[mi][pi];
      for (let i = 0; i < p.indices.length; i++)
        triangleNormals.set(p.normals.subarray(3 * p.indices[i], 3 * p.indices[i] + 3), 9 * f + 3 * i);
    });
  });
  if (layout) {
    for (const [n, pages] of layout.primitivePages) {
      const mi = scene.nodes[n].mesh!;
      scene.meshes[mi].primitives.forEach((p, pi) => {
        if (!p.uv1) return;
        const f = primFirst[mi][pi];
        for (let i = 0; i < p.indices.length; i++) {
          triangleUv1[6 * f + 2 * i] = p.uv1[2 * p.indices[i]];
          triangleUv1[6 * f + 2 * i + 1] = p.uv1[2 * p.indices[i] + 1];
        }
        trianglePage.fill(pages[pi], f, f + p.indices.length / 3);
      });
    }
  }
  return {
    flat,
    untextured,
    inputs: {
      materials,
      lights,
      sky: skyArr,
      triangleUv1,
      trianglePage,
      triangleNormals,
      triangleUv0,
      triangleColor,
      textures: textureTable,
      texels,
      pageWidth: Uint32Array.from(layout?.pageWidth ?? []),
      pageHeight: Uint32Array.from(layout?.pageHeight ?? []),
    },
  };
}

/** Inputs a renderer asked for, per Scene object: each with the layout, sky and textures it was packed for. */
const renderCache = new WeakMap<
  Scene,
  { layout: LightmapLayout | undefined; sky: string; textures: unknown; result: Readonly<BakeInputsResult> }[]
>();
/** Packings kept per scene: a run renders one scene with one sky, its candidate with one layout. */
const RENDER_CACHE_PER_SCENE = 4;

/**
 * bakeInputs for the renderers, which draw one scene many times (a reference's halves and bands, a verifier's
 * samples): packed once per Scene object, layout, sky and textures array, and shared, so callers must not change
 * what it returns (the bake adds its own fields, so it packs its own). Mutating the scene afterwards is not seen, as
 * with flattenScene. On the Dutch ship a packing took 120 ms of each 230 ms render call's fixed cost; a verifier
 * node makes two such calls per sample (2026-12-07).
 */
export function renderInputs(
  scene: Scene,
  layout: LightmapLayout | undefined,
  sky: Sky | undefined,
  textures: readonly (BakeTextureImage | undefined)[] | undefined,
): Readonly<BakeInputsResult> {
  const key = JSON.stringify(sky ?? null);
  let entries = renderCache.get(scene);
  const hit = entries?.find((e) => e.layout === layout && e.sky === key && e.textures === textures);
  if (hit) return hit.result;
  const result = bakeInputs(scene, layout, sky, textures);
  if (!entries) {
    entries = [];
    renderCache.set(scene, entries);
  }
  if (entries.length >= RENDER_CACHE_PER_SCENE) entries.shift();
  entries.push({ layout, sky: key, textures, result });
  return result;
}
