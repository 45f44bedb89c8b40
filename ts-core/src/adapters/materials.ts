/**
 * Engine materials to the dump's EngineMaterial (glTF metallic-roughness: linear factors, textures on UV0), for the
 * editor adapters (issue #22, "Materials"). Pure: runs in Puerts' V8. The glue reads a material's parameters by
 * name and exports its textures as encoded images; this module decides what they mean.
 *
 * Unity, by shader (property names as each shader declares them; Material.GetColor gives sRGB colours, decoded here):
 * - Standard: _Color, _MainTex, _Metallic, _Glossiness, _EmissionColor and _EmissionMap when the _EMISSION keyword
 *   is on, _BumpMap; _Mode 0 opaque, 1 cutout (_Cutoff), 2 fade and 3 transparent; always one-sided.
 * - Universal Render Pipeline/Lit and Simple Lit: _BaseColor, _BaseMap, _Metallic, _Smoothness, _EmissionColor
 *   (_EMISSION), _EmissionMap, _BumpMap; _Surface 1 transparent, else _AlphaClip 1 cutout (_Cutoff); _Cull 0
 *   (off) two-sided.
 * - HDRP/Lit: _BaseColor, _BaseColorMap, _Metallic, _Smoothness, _EmissiveColor (linear already, and in HDRP's
 *   luminance units), _EmissiveColorMap, _NormalMap; _SurfaceType 1 transparent, _AlphaCutoffEnable (_AlphaCutoff),
 *   _DoubleSidedEnable.
 * - Any other shader: whichever of those names it has, and `guessed` says so.
 * glTF roughness is perceptual roughness, which is 1 − Unity's smoothness.
 *
 * Unreal material instances: parameters by the names common masters give them, compared without case, spaces or
 * underscores. The glTF importer's masters (BaseColorFactor, MetallicFactor, RoughnessFactor, EmissiveFactor and
 * their textures) come first, then the usual hand-made names (BaseColor, Color, Tint, Albedo; Metallic; Roughness;
 * Emissive, EmissiveColor, EmissiveStrength). Vector parameters are FLinearColor: linear already. The blend mode
 * and two-sidedness come from the material itself. A slot none of the names fills keeps glTF's default and is
 * listed in `missing`.
 *
 * Emission brighter than 1 is kept as a factor of at most 1 and a strength (KHR_materials_emissive_strength).
 * Metallic and smoothness (or roughness) maps are repacked into glTF's metallicRoughness by metallic-roughness.ts,
 * from the pixels the glue reads; the factors the mapping gives here then apply only where no map covers them.
 */
import type { EngineImage, EngineMaterial } from './engine-scene.js';
import { srgbToLinear } from '../image/float-image.js';

export type Rgba = [number, number, number, number];

export interface UnityMaterialSettings {
  name: string;
  /** `material.shader.name`. */
  shader: string;
  /** GetColor of each colour property the material has, as Unity returns it (sRGB, HDR above 1). */
  colors: Record<string, Rgba>;
  floats: Record<string, number>;
  /** The enabled shader keywords (`material.shaderKeywords`). */
  keywords: string[];
  /** The exported image of each texture property that is set. */
  textures: Record<string, EngineImage | undefined>;
}

export interface UnrealMaterialSettings {
  name: string;
  /** EBlendMode: 0 opaque, 1 masked, 2 translucent, 3 additive, 4 modulate, 5 alpha composite, 6 alpha holdout. */
  blendMode: number;
  twoSided: boolean;
  /** OpacityMaskClipValue of a masked material. */
  opacityMaskClipValue?: number;
  vectors: Record<string, Rgba>;
  scalars: Record<string, number>;
  textures: Record<string, EngineImage | undefined>;
}

export interface MappedMaterial {
  material: EngineMaterial;
  /** Unity: the shader is none of the known ones, so the properties were matched by name only. */
  guessed: boolean;
  /** Unreal: slots no parameter name filled (they keep glTF's defaults). */
  missing: string[];
}

/** Every property `unityMaterial` reads, by kind: the glue queries these (the ones a material has) and no others. */
export const UNITY_PROPERTY_NAMES = {
  colors: ['_Color', '_BaseColor', '_EmissionColor', '_EmissiveColor'],
  floats: [
    '_Metallic',
    '_Glossiness',
    '_Smoothness',
    '_Mode',
    '_Cutoff',
    '_Surface',
    '_AlphaClip',
    '_Cull',
    '_SurfaceType',
    '_AlphaCutoffEnable',
    '_AlphaCutoff',
    '_DoubleSidedEnable',
    '_BumpScale',
    '_NormalScale',
  ],
  /** Colour textures, exported as PNG. */
  textures: ['_MainTex', '_BaseMap', '_BaseColorMap', '_EmissionMap', '_EmissiveColorMap'],
  /** Normal maps: the GPU holds them packed, so their pixels are read and unpacked (adapters/normal-maps.ts). */
  normalTextures: ['_BumpMap', '_NormalMap'],
} as const;

type Family = 'standard' | 'urp' | 'hdrp' | 'other';

function family(shader: string): Family {
  if (shader === 'Standard' || shader === 'Standard (Specular setup)') return 'standard';
  if (shader.startsWith('Universal Render Pipeline/')) return 'urp';
  if (shader.startsWith('HDRP/')) return 'hdrp';
  return 'other';
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));

/** An emissive colour (linear, possibly above 1) as a factor ≤ 1 and a strength ≥ 1. */
function emission(c: readonly number[] | undefined): Pick<EngineMaterial, 'emissive' | 'emissiveStrength'> {
  if (!c) return { emissive: [0, 0, 0], emissiveStrength: 1 };
  const rgb = [0, 1, 2].map((i) => Math.max(0, Number.isFinite(c[i]) ? c[i] : 0));
  const strength = Math.max(1, ...rgb);
  return { emissive: rgb.map((v) => v / strength) as EngineMaterial['emissive'], emissiveStrength: strength };
}

const first = <T>(bag: Record<string, T>, names: readonly string[]): T | undefined => {
  for (const n of names) if (bag[n] !== undefined) return bag[n];
  return undefined;
};

/** A Unity material's properties as the dump's material. */
export function unityMaterial(m: UnityMaterialSettings): MappedMaterial {
  const f = family(m.shader);
  // Standard and URP use their emission only with the keyword on; HDRP's is always on, and linear already.
  const emits = f === 'hdrp' || f === 'other' || m.keywords.includes('_EMISSION');
  const base = first(m.colors, f === 'standard' ? ['_Color'] : ['_BaseColor', '_Color']);
  const smooth = first(m.floats, f === 'standard' ? ['_Glossiness'] : ['_Smoothness', '_Glossiness']);
  const emissiveLinear = !emits
    ? undefined
    : f === 'hdrp'
      ? m.colors._EmissiveColor
      : m.colors._EmissionColor?.map((c, i) => (i < 3 ? srgbToLinear(c) : c));
  let blend: EngineMaterial['blend'] = 'opaque';
  let cutoff = m.floats._Cutoff;
  if (f === 'standard') blend = m.floats._Mode === 1 ? 'masked' : (m.floats._Mode ?? 0) >= 2 ? 'translucent' : 'opaque';
  else if (f === 'hdrp') {
    blend = m.floats._SurfaceType === 1 ? 'translucent' : m.floats._AlphaCutoffEnable === 1 ? 'masked' : 'opaque';
    cutoff = m.floats._AlphaCutoff;
  } else blend = m.floats._Surface === 1 ? 'translucent' : m.floats._AlphaClip === 1 ? 'masked' : 'opaque';
  const twoSided = f === 'hdrp' ? m.floats._DoubleSidedEnable === 1 : f === 'standard' ? false : m.floats._Cull === 0;
  const tex = (names: string[]) => first(m.textures, names);
  // Standard and URP scale the normal map by _BumpScale, HDRP by _NormalScale: glTF's normalTexture.scale.
  const normalMap = tex(['_NormalMap', '_BumpMap']);
  const normalScale = first(m.floats, f === 'hdrp' ? ['_NormalScale'] : ['_BumpScale']);
  const emissiveTexture = emits ? tex(['_EmissiveColorMap', '_EmissionMap']) : undefined;
  return {
    material: {
      asset: m.name,
      baseColor: base ? (base.map((c, i) => (i < 3 ? srgbToLinear(clamp01(c)) : clamp01(c))) as Rgba) : [1, 1, 1, 1],
      metallic: clamp01(m.floats._Metallic ?? 0),
      roughness: clamp01(1 - (smooth ?? 0.5)),
      ...emission(emissiveLinear),
      blend,
      ...(blend === 'masked' ? { alphaCutoff: clamp01(cutoff ?? 0.5) } : {}),
      twoSided,
      ...optional('baseColorTexture', tex(['_BaseColorMap', '_BaseMap', '_MainTex'])),
      ...optional('normalTexture', normalMap),
      ...(normalMap && normalScale !== undefined ? { normalScale } : {}),
      ...optional('emissiveTexture', emissiveTexture),
    },
    guessed: f === 'other',
    missing: [],
  };
}

const key = (s: string) => s.toLowerCase().replace(/[\s_]/g, '');

/** The parameter names each slot is read from, in order (see the header). */
export const UNREAL_PARAMETER_NAMES = {
  baseColor: ['BaseColorFactor', 'BaseColor', 'Color', 'Tint', 'Albedo', 'DiffuseColor'],
  metallic: ['MetallicFactor', 'Metallic', 'Metalness'],
  roughness: ['RoughnessFactor', 'Roughness'],
  emissive: ['EmissiveFactor', 'Emissive', 'EmissiveColor'],
  emissiveStrength: ['EmissiveStrength', 'EmissiveIntensity'],
  baseColorTexture: ['BaseColorTexture', 'BaseColor', 'BaseColorMap', 'Diffuse', 'Albedo', 'Texture'],
  normalTexture: ['NormalTexture', 'Normal', 'NormalMap'],
  emissiveTexture: ['EmissiveTexture', 'Emissive', 'EmissiveMap'],
  /** A texture wired into Opacity Mask on its own: its R becomes the base colour's alpha (opacity-mask.ts). */
  opacityMaskTexture: ['OpacityMask', 'OpacityMaskTexture', 'OpacityTexture', 'Opacity', 'AlphaMask', 'AlphaTexture'],
} as const;

/**
 * Whether the plugin exports an Unreal texture parameter as PNG: those the base colour and emissive slots read.
 * Normal maps go another way (unrealNormalParameter): Unreal's are in DirectX's convention (green pointing down),
 * glTF's in OpenGL's, so their pixels are read and converted (adapters/normal-maps.ts).
 */
export function unrealOpacityMaskParameter(parameter: string): boolean {
  const k = key(parameter);
  return UNREAL_PARAMETER_NAMES.opacityMaskTexture.some((n) => key(n) === k);
}

export function unrealNormalParameter(parameter: string): boolean {
  const k = key(parameter);
  return UNREAL_PARAMETER_NAMES.normalTexture.some((n) => key(n) === k);
}

export function unrealExportsTexture(parameter: string): boolean {
  const k = key(parameter);
  return [...UNREAL_PARAMETER_NAMES.baseColorTexture, ...UNREAL_PARAMETER_NAMES.emissiveTexture].some(
    (n) => key(n) === k,
  );
}

/** An Unreal material instance's parameters as the dump's material. */
export function unrealMaterial(m: UnrealMaterialSettings): MappedMaterial {
  // Each bag by its names without case, spaces or underscores, built once.
  const normalized = <T>(bag: Record<string, T>) => new Map(Object.entries(bag).map(([k, v]) => [key(k), v]));
  const bags = { vectors: normalized(m.vectors), scalars: normalized(m.scalars), textures: normalized(m.textures) };
  const find = <T>(bag: Map<string, T>, names: readonly string[]): T | undefined => {
    for (const n of names) {
      const v = bag.get(key(n));
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const N = UNREAL_PARAMETER_NAMES;
  const missing: string[] = [];
  const need = <T>(slot: string, v: T | undefined): T | undefined => {
    if (v === undefined) missing.push(slot);
    return v;
  };
  const baseTexture = find(bags.textures, N.baseColorTexture);
  const base = find(bags.vectors, N.baseColor);
  if (!base && !baseTexture) missing.push('base colour');
  const metallic = need('metallic', find(bags.scalars, N.metallic));
  const roughness = need('roughness', find(bags.scalars, N.roughness));
  const emissive = find(bags.vectors, N.emissive);
  const strength = find(bags.scalars, N.emissiveStrength) ?? 1;
  const e = emission(emissive?.map((c, i) => (i < 3 ? c * Math.max(0, strength) : c)));
  const blend: EngineMaterial['blend'] = m.blendMode === 1 ? 'masked' : m.blendMode === 0 ? 'opaque' : 'translucent';
  return {
    material: {
      asset: m.name,
      baseColor: base ? [clamp01(base[0]), clamp01(base[1]), clamp01(base[2]), clamp01(base[3])] : [1, 1, 1, 1],
      metallic: clamp01(metallic ?? 0),
      roughness: clamp01(roughness ?? 1),
      ...e,
      blend,
      ...(blend === 'masked' ? { alphaCutoff: clamp01(m.opacityMaskClipValue ?? 0.3333) } : {}),
      twoSided: m.twoSided,
      ...optional('baseColorTexture', baseTexture),
      ...optional('normalTexture', find(bags.textures, N.normalTexture)),
      ...optional('emissiveTexture', find(bags.textures, N.emissiveTexture)),
    },
    guessed: false,
    missing,
  };
}

function optional<K extends string>(k: K, v: EngineImage | undefined): Partial<Record<K, EngineImage>> {
  return v ? ({ [k]: v } as Record<K, EngineImage>) : {};
}

/** What a section without a material gets: a neutral grey, rough dielectric, so that a bake stays plausible. */
export function defaultEngineMaterial(name: string): EngineMaterial {
  return {
    asset: name,
    baseColor: [0.7, 0.7, 0.7, 1],
    metallic: 0,
    roughness: 0.8,
    emissive: [0, 0, 0],
    blend: 'opaque',
    twoSided: false,
  };
}
