/**
 * Engine metallic and smoothness (or roughness) maps as glTF's metallicRoughness texture (issue #22, "Materials"):
 * glTF reads metallic from B and perceptual roughness from G, each times its factor. Unity packs metallic in R and
 * smoothness in A (Standard and URP Lit's _MetallicGlossMap, HDRP Lit's _MaskMap) or takes smoothness from the
 * base map's alpha; Unreal masters use an ORM texture (occlusion R, roughness G, metallic B: glTF's own channels) or
 * separate metallic and roughness textures. So the glue reads the textures' pixels as stored (linear data), and the
 * pixels are repacked here, with each shader's remapping folded in and the factors left at 1. Pure: runs in Puerts'
 * V8.
 *
 * Per shader (the shaders' own sources: Unity's UnityStandardInput.cginc MetallicGloss, URP's LitInput.hlsl
 * SampleMetallicSpecGloss, HDRP's LitData.hlsl remaps):
 * - Standard: metallic = map.R; smoothness = (map.A, or the base map's A when _SmoothnessTextureChannel is 1) ×
 *   _GlossMapScale.
 * - URP Lit: the same with _Smoothness as the scale.
 * - HDRP Lit: metallic = lerp(_MetallicRemapMin, _MetallicRemapMax, mask.R); smoothness =
 *   lerp(_SmoothnessRemapMin, _SmoothnessRemapMax, mask.A).
 */
import { encodePngRgba8 } from '../image/png-encode.js';
import type { EngineImage, EngineMaterial } from './engine-scene.js';

/** One channel of an engine texture, remapped: value = from + (to − from) × texel (texel in [0, 1]). */
export interface ChannelSource {
  /** The texture's property (Unity) or parameter (Unreal) name. */
  texture: string;
  channel: 0 | 1 | 2 | 3;
  from: number;
  to: number;
}

export interface MetallicRoughnessRecipe {
  metallic: ChannelSource;
  /** Where roughness comes from; `smoothness` means roughness = 1 − the remapped value. */
  roughness: ChannelSource & { smoothness: boolean };
}

/** A texture's pixels as the glue read them: RGBA, 8 bits, as stored (no colour conversion), top row first. */
export interface EnginePixels {
  /** The texture asset, for the image's name. */
  name: string;
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Unity's material properties the recipe reads: a texture is "set" when the material has it and it is not null. */
export interface UnityMetallicInputs {
  shader: string;
  floats: Record<string, number>;
  isSet: (texture: string) => boolean;
}

export const UNITY_METALLIC_FLOATS = [
  '_GlossMapScale',
  '_Smoothness',
  '_SmoothnessTextureChannel',
  '_MetallicRemapMin',
  '_MetallicRemapMax',
  '_SmoothnessRemapMin',
  '_SmoothnessRemapMax',
] as const;

/** The recipe for a Unity material, or undefined when it has no metallic map (its factors then say it all). */
export function unityMetallicRoughness(m: UnityMetallicInputs): MetallicRoughnessRecipe | undefined {
  const f = (n: string, d: number) => (Number.isFinite(m.floats[n]) ? m.floats[n] : d);
  if (/HDRP|HDRenderPipeline/.test(m.shader) || m.isSet('_MaskMap')) {
    if (!m.isSet('_MaskMap')) return undefined;
    return {
      metallic: { texture: '_MaskMap', channel: 0, from: f('_MetallicRemapMin', 0), to: f('_MetallicRemapMax', 1) },
      roughness: {
        texture: '_MaskMap',
        channel: 3,
        from: f('_SmoothnessRemapMin', 0),
        to: f('_SmoothnessRemapMax', 1),
        smoothness: true,
      },
    };
  }
  if (!m.isSet('_MetallicGlossMap')) return undefined;
  const urp = /Universal Render Pipeline/.test(m.shader);
  const scale = urp ? f('_Smoothness', 1) : f('_GlossMapScale', 1);
  const fromAlbedo = f('_SmoothnessTextureChannel', 0) === 1;
  const albedo = urp ? '_BaseMap' : '_MainTex';
  return {
    metallic: { texture: '_MetallicGlossMap', channel: 0, from: 0, to: 1 },
    roughness: {
      texture: fromAlbedo && m.isSet(albedo) ? albedo : '_MetallicGlossMap',
      channel: 3,
      from: 0,
      to: scale,
      smoothness: true,
    },
  };
}

/** Unreal texture parameters, compared without case, spaces or underscores (as adapters/materials.ts does). */
const key = (s: string) => s.toLowerCase().replace(/[\s_]/g, '');
export const UNREAL_METALLIC_TEXTURES = {
  /** Occlusion R, roughness G, metallic B: glTF's layout (the glTF importer's masters, and ORM masters). */
  packed: ['MetallicRoughnessTexture', 'ORM', 'OcclusionRoughnessMetallic', 'ORMTexture', 'ORMMap'],
  metallic: ['MetallicTexture', 'MetallicMap', 'MetalnessTexture', 'MetalnessMap'],
  roughness: ['RoughnessTexture', 'RoughnessMap'],
} as const;

/** The recipe for an Unreal material with texture parameters `names` set, or undefined. */
export function unrealMetallicRoughness(names: readonly string[]): MetallicRoughnessRecipe | undefined {
  const find = (list: readonly string[]) => names.find((n) => list.some((l) => key(l) === key(n)));
  const packed = find(UNREAL_METALLIC_TEXTURES.packed);
  if (packed)
    return {
      metallic: { texture: packed, channel: 2, from: 0, to: 1 },
      roughness: { texture: packed, channel: 1, from: 0, to: 1, smoothness: false },
    };
  const metal = find(UNREAL_METALLIC_TEXTURES.metallic),
    rough = find(UNREAL_METALLIC_TEXTURES.roughness);
  if (!metal && !rough) return undefined;
  // A map for one of the two: the other comes from its scalar, which the caller keeps as the factor.
  return {
    metallic: metal ? { texture: metal, channel: 0, from: 0, to: 1 } : { texture: '', channel: 0, from: 1, to: 1 },
    roughness: rough
      ? { texture: rough, channel: 0, from: 0, to: 1, smoothness: false }
      : { texture: '', channel: 0, from: 1, to: 1, smoothness: false },
  };
}

/**
 * The glTF metallicRoughness image (G roughness, B metallic, R and A 255) of `recipe` over `pixels` by texture
 * name. It has the size of the larger source; a smaller one is sampled nearest. A source with no texture (name '')
 * is its constant `from`.
 */
export function repackMetallicRoughness(
  recipe: MetallicRoughnessRecipe,
  pixels: Record<string, EnginePixels | undefined>,
): EngineImage {
  const sources = [recipe.metallic, recipe.roughness].map((s) => (s.texture ? pixels[s.texture] : undefined));
  for (const [i, s] of [recipe.metallic, recipe.roughness].entries())
    if (s.texture && !sources[i]) throw new RangeError(`metallic-roughness: no pixels for ${s.texture}`);
  const width = Math.max(1, ...sources.map((p) => p?.width ?? 1)),
    height = Math.max(1, ...sources.map((p) => p?.height ?? 1));
  const sample = (s: ChannelSource, p: EnginePixels | undefined, x: number, y: number) => {
    if (!p) return s.from;
    const px = Math.min(p.width - 1, Math.floor(((x + 0.5) * p.width) / width)),
      py = Math.min(p.height - 1, Math.floor(((y + 0.5) * p.height) / height));
    return s.from + (s.to - s.from) * (p.rgba[4 * (py * p.width + px) + s.channel] / 255);
  };
  const rgba = new Uint8Array(4 * width * height);
  const byte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const k = 4 * (y * width + x);
      const metal = sample(recipe.metallic, sources[0], x, y);
      const r = sample(recipe.roughness, sources[1], x, y);
      rgba[k] = 255;
      rgba[k + 1] = byte(recipe.roughness.smoothness ? 1 - r : r);
      rgba[k + 2] = byte(metal);
      rgba[k + 3] = 255;
    }
  const name = [...new Set(sources.filter(Boolean).map((p) => p!.name))].join('+');
  return {
    name: `${name} (metallicRoughness)`,
    mimeType: 'image/png',
    image: encodePngRgba8(width, height, rgba),
    width,
    height,
  };
}

/**
 * `material` with the repacked texture: a channel the texture carries gets factor 1 (the remap is in the pixels);
 * a constant one (no source texture) keeps the material's factor, which multiplies the 1 stored for it.
 */
export function withMetallicRoughness(
  material: EngineMaterial,
  recipe: MetallicRoughnessRecipe,
  image: EngineImage,
): EngineMaterial {
  return {
    ...material,
    metallic: recipe.metallic.texture ? 1 : material.metallic,
    roughness: recipe.roughness.texture ? 1 : material.roughness,
    metallicRoughnessTexture: image,
  };
}
