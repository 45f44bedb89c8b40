/**
 * The TypeScript mirror of the layouts the native API declares: the packed records of the transport's inputs
 * (native-cuda/include/ote/bake/packed.h) and the Gaussian parameter groups with the Adam moments over them
 * (native-cuda/include/ote/splat/param_layout.h). ts-core/test/native/layouts.test.ts checks every record, field
 * and group here against what the addon reports from the C++ declarations (`layouts()`), so a change on one side
 * fails the test until the other follows.
 *
 *   const o = PACKED_MATERIAL.size * i;
 *   materials[o + PACKED_MATERIAL.offset.metallic] = 1;
 */

/** A packed record: `size` 4-byte elements of `element`, each field at `offset[name]`, `count[name]` long. */
export interface PackedRecord<F extends string> {
  element: 'f32' | 'u32';
  size: number;
  offset: Readonly<Record<F, number>>;
  count: Readonly<Record<F, number>>;
}

/** A record from its fields in order with their element counts (offsets follow, with no gaps). */
function packed<F extends string>(element: 'f32' | 'u32', counts: Record<F, number>): PackedRecord<F> {
  const offset = {} as Record<F, number>;
  let size = 0;
  for (const name of Object.keys(counts) as F[]) {
    offset[name] = size;
    size += counts[name];
  }
  return Object.freeze({ element, size, offset: Object.freeze(offset), count: Object.freeze({ ...counts }) });
}

/** A texture bound to a material: index into the texture table (-1 none) and the 2x3 UV0 transform. */
export const PACKED_TEXTURE_REF = packed('f32', { texture: 1, uvTransform: 6 });

/**
 * One material: base colour factor rgb (0 for unlit), emission rgb (factor × strength), doubleSided (0/1), three
 * texture refs (base colour and emissive sRGB; metallicRoughness linear, B metallic, G roughness), metallic and
 * roughness in [0, 1], alpha in [0, 1], alphaMode (ALPHA_MODE) and alphaCutoff.
 */
export const PACKED_MATERIAL = packed('f32', {
  baseColor: 3,
  emission: 3,
  doubleSided: 1,
  baseColorTexture: PACKED_TEXTURE_REF.size,
  emissiveTexture: PACKED_TEXTURE_REF.size,
  metallic: 1,
  roughness: 1,
  metallicRoughnessTexture: PACKED_TEXTURE_REF.size,
  alpha: 1,
  alphaMode: 1,
  alphaCutoff: 1,
});
export const ALPHA_MODE = { OPAQUE: 0, MASK: 1, BLEND: 2 } as const;

/**
 * One light in world space: type (LIGHT_TYPE), colour × intensity rgb, position, direction of travel, size (sphere
 * radius, or angular diameter of a directional light), range (0 infinite), cos inner and cos outer cone angle.
 */
export const PACKED_LIGHT = packed('f32', {
  type: 1,
  color: 3,
  position: 3,
  direction: 3,
  size: 1,
  range: 1,
  cosInner: 1,
  cosOuter: 1,
});
export const LIGHT_TYPE = { directional: 0, point: 1, spot: 2 } as const;

/** The sky: type (SKY_TYPE), zenith, horizon and ground radiance rgb (a constant sky is its zenith). */
export const PACKED_SKY = packed('f32', { type: 1, zenith: 3, horizon: 3, ground: 3 });
export const SKY_TYPE = { none: 0, constant: 1, gradient: 2 } as const;

/** One entry of the texture table (Uint32Array): size and first pixel (4 bytes each) in the texels array. */
export const PACKED_TEXTURE = packed('u32', { width: 1, height: 1, firstPixel: 1 });

/** Every packed record by the name the addon reports it under. */
export const PACKED_RECORDS = {
  textureRef: PACKED_TEXTURE_REF,
  material: PACKED_MATERIAL,
  light: PACKED_LIGHT,
  sky: PACKED_SKY,
  texture: PACKED_TEXTURE,
} as const;

/**
 * The parameter groups of a Gaussian model, in the order of the Adam moment blocks: floats per Gaussian, × the
 * model's SH stride (coefficients per channel) for the SH group.
 */
export const SPLAT_PARAM_GROUPS = [
  { name: 'means', floats: 3, perShCoefficient: false },
  { name: 'logScales', floats: 3, perShCoefficient: false },
  { name: 'quats', floats: 4, perShCoefficient: false },
  { name: 'opacity', floats: 1, perShCoefficient: false },
  { name: 'sh', floats: 3, perShCoefficient: true },
] as const;
export type SplatParamGroup = (typeof SPLAT_PARAM_GROUPS)[number]['name'];

/** Floats per Gaussian of one group. */
export function splatParamFloats(group: SplatParamGroup, shStride: number): number {
  const g = SPLAT_PARAM_GROUPS.find((x) => x.name === group)!;
  return g.perShCoefficient ? g.floats * shStride : g.floats;
}

/** Length of each Adam moment array (m, v) for `count` Gaussians. */
export function adamFloats(count: number, shStride: number): number {
  return SPLAT_PARAM_GROUPS.reduce((n, g) => n + count * splatParamFloats(g.name, shStride), 0);
}

/** Where group `group`'s block starts in the Adam moment arrays: count × floats of the groups before it. */
export function adamBlockOffset(group: SplatParamGroup, count: number, shStride: number): number {
  let offset = 0;
  for (const g of SPLAT_PARAM_GROUPS) {
    if (g.name === group) return offset;
    offset += count * splatParamFloats(g.name, shStride);
  }
  throw new RangeError(`unknown parameter group ${group}`);
}
