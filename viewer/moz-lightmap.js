/**
 * MOZ_lightmap for three.js's GLTFLoader: the baked light of `ote optimize` / `ote bake` outputs, which three.js
 * does not load by itself (a baked scene renders black apart from its emitters without it).
 *
 * How `ote` stores a lightmap (ts-core/src/bake/writeback.ts, bake/encode.ts): `materials[i].extensions.MOZ_lightmap
 * = { index, texCoord: 1, intensity }`, a PNG page read on UV1, sRGB-encoded; decoded to linear, value × intensity
 * / π is L = E / π (irradiance over π), and a surface of Lambertian albedo a shows `emission + a × L`
 * (ts-core/src/render/lightmapped.ts). three.js multiplies `lightMap` by `lightMapIntensity` and then by albedo / π
 * (BRDF_Lambert), so `lightMapIntensity = intensity` exactly.
 *
 * By default the plugin also makes three.js shade a lightmapped material as our renderer and the path-traced
 * reference do, so that the screenshot matches `ote render --mode lightmapped` (README "Viewer"):
 * - albedo: three.js multiplies the lightmap by base × (1 − metalness) and takes away the Fresnel share of its
 *   specular lobe (4% and more at grazing angles); the bake folded metal/rough in as
 *   `base × ((1 − m) + m × r² / 2)` (native-cuda/include/ote/bake/surface.h lambert_albedo) with no Fresnel term,
 *   so the lightmap term uses that albedo (`matchAlbedo`);
 * - no light twice: the lightmap holds all the light a lightmapped surface gets, so such materials ignore punctual,
 *   ambient, hemisphere and light-probe light (`ignoreLights`). `ote optimize` removes the lights it baked from
 *   the output, or keeps them marked `extras.ote.baked` (three.js: `light.userData.ote.baked`) where some meshes
 *   are not lightmapped: they then still light those meshes only. The environment's reflections are turned off
 *   too (`envMapIntensity` 0), as the baked transport is Lambertian;
 * - the occlusion texture is dropped (`dropAoMap`): the lightmap already holds the occlusion, and three.js would
 *   darken the lightmap by it a second time;
 * - the page is sampled bilinearly without mipmaps (`bilinear`), as our renderer samples it: mip levels of an
 *   atlas bleed across the charts' 2-texel padding and darken seams.
 *
 * Usage:
 *   import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
 *   import { MozLightmapPlugin } from 'optimizer-trust-engine/viewer/moz-lightmap.js';
 *   const loader = new GLTFLoader().register((parser) => new MozLightmapPlugin(parser));
 */
import { LinearFilter, SRGBColorSpace } from 'three';

export const MOZ_LIGHTMAP = 'MOZ_lightmap';

/**
 * @typedef {object} MozLightmapOptions
 * @property {boolean} [matchAlbedo=true] lightmap × our Lambertian albedo (metal/rough folded in, no Fresnel loss)
 * @property {boolean} [ignoreLights=true] lightmapped materials take no punctual/ambient/probe light
 * @property {boolean} [dropAoMap=true] no occlusion texture on lightmapped materials
 * @property {boolean} [noEnvironment=true] envMapIntensity 0 on lightmapped materials
 * @property {boolean} [bilinear=true] sample lightmaps bilinearly, without mipmaps
 */

/** @type {Required<MozLightmapOptions>} */
const DEFAULTS = { matchAlbedo: true, ignoreLights: true, dropAoMap: true, noEnvironment: true, bilinear: true };

/** The lightmap term our way, before three's own lights_fragment_maps (which then no longer sees USE_LIGHTMAP). */
const LIGHTMAP_TERM = `
#ifdef USE_LIGHTMAP
	{
		vec3 oteLightmap = texture2D( lightMap, vLightMapUv ).rgb * lightMapIntensity;
		float oteMetal = saturate( metalnessFactor ), oteRough = saturate( roughnessFactor );
		vec3 oteAlbedo = diffuseColor.rgb * ( ( 1.0 - oteMetal ) + oteMetal * oteRough * oteRough * 0.5 );
		reflectedLight.indirectDiffuse += oteLightmap * RECIPROCAL_PI * oteAlbedo;
	}
	#undef USE_LIGHTMAP
#endif
#include <lights_fragment_maps>`;

/** Light from the scene's lights stops here for a lightmapped material (RE_Direct off, irradiance zeroed). */
const NO_LIGHTS = `
#undef RE_Direct
#undef RE_Direct_RectArea
#include <lights_fragment_begin>
#if defined( RE_IndirectDiffuse )
	irradiance = vec3( 0.0 );
#endif`;

/**
 * Throws the error a malformed extension gets: the field named as a glTF JSON path.
 * @param {number} material
 * @param {string} field
 * @param {string} what
 */
function bad(material, field, what) {
  throw new Error(`MOZ_lightmap: materials[${material}].extensions.MOZ_lightmap.${field}: ${what}`);
}

/**
 * The extension of one material, checked.
 * @param {any} json the glTF JSON
 * @param {number} i material index
 * @returns {{ index: number, texCoord: number, intensity: number } | undefined}
 */
export function readMozLightmap(json, i) {
  const ext = json.materials?.[i]?.extensions?.[MOZ_LIGHTMAP];
  if (ext === undefined) return undefined;
  if (typeof ext !== 'object' || ext === null) bad(i, '', 'expected an object');
  const { index, texCoord = 1, intensity = 1 } = ext;
  if (!Number.isInteger(index) || index < 0 || index >= (json.textures?.length ?? 0))
    bad(i, 'index', `expected a texture index below ${json.textures?.length ?? 0}, got ${JSON.stringify(index)}`);
  if (!Number.isInteger(texCoord) || texCoord < 0)
    bad(i, 'texCoord', `expected an integer >= 0, got ${JSON.stringify(texCoord)}`);
  if (typeof intensity !== 'number' || !Number.isFinite(intensity) || intensity < 0)
    bad(i, 'intensity', `expected a number >= 0, got ${JSON.stringify(intensity)}`);
  return { index, texCoord, intensity };
}

/**
 * Makes a lightmapped MeshStandardMaterial / MeshPhysicalMaterial shade as `ote` does (see the file's comment).
 * Other materials (MeshBasicMaterial from KHR_materials_unlit) are left as they are.
 * @param {import('three').Material & Record<string, any>} material
 * @param {MozLightmapOptions} [options]
 */
export function shadeAsBaked(material, options = {}) {
  const o = { ...DEFAULTS, ...options };
  if (!material.isMeshStandardMaterial) return;
  if (o.dropAoMap) material.aoMap = null;
  if (o.noEnvironment) material.envMapIntensity = 0;
  if (o.matchAlbedo || o.ignoreLights) {
    material.onBeforeCompile = (shader) => {
      if (o.ignoreLights)
        shader.fragmentShader = shader.fragmentShader.replace('#include <lights_fragment_begin>', NO_LIGHTS);
      if (o.matchAlbedo)
        shader.fragmentShader = shader.fragmentShader.replace('#include <lights_fragment_maps>', LIGHTMAP_TERM);
    };
    const key = `ote-moz-lightmap:${o.matchAlbedo ? 'a' : ''}${o.ignoreLights ? 'l' : ''}`;
    material.customProgramCacheKey = () => key;
  }
  material.needsUpdate = true;
}

/** GLTFLoader plugin: `loader.register((parser) => new MozLightmapPlugin(parser, options))`. */
export class MozLightmapPlugin {
  /**
   * @param {any} parser GLTFParser
   * @param {MozLightmapOptions} [options]
   */
  constructor(parser, options = {}) {
    this.parser = parser;
    this.name = MOZ_LIGHTMAP;
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Adds `lightMap` (UV set texCoord, sRGB) and `lightMapIntensity` to the material's parameters.
   * @param {number} materialIndex
   * @param {Record<string, any>} params
   */
  extendMaterialParams(materialIndex, params) {
    const ext = readMozLightmap(this.parser.json, materialIndex);
    if (!ext) return Promise.resolve();
    params.lightMapIntensity = ext.intensity;
    // Marked in userData, which survives the clones GLTFLoader makes (vertex colours, flat shading).
    params.userData = { ...params.userData, oteLightmap: { intensity: ext.intensity, texCoord: ext.texCoord } };
    return this.parser.getDependency('texture', ext.index).then((/** @type {any} */ shared) => {
      // A clone: the page texture's sampling and UV set are the lightmap's own.
      const texture = shared.clone();
      texture.channel = ext.texCoord;
      texture.colorSpace = SRGBColorSpace;
      if (this.options.bilinear) {
        texture.minFilter = LinearFilter;
        texture.magFilter = LinearFilter;
        texture.generateMipmaps = false;
      }
      texture.needsUpdate = true;
      params.lightMap = texture;
    });
  }

  /**
   * Lightmapped materials of every loaded scene shade as baked (see `shadeAsBaked`).
   * @param {{ scenes: import('three').Object3D[] }} result
   */
  afterRoot(result) {
    const seen = new Set();
    for (const root of result.scenes)
      root.traverse((/** @type {any} */ obj) => {
        for (const m of Array.isArray(obj.material) ? obj.material : obj.material ? [obj.material] : []) {
          if (seen.has(m) || !m.userData?.oteLightmap) continue;
          seen.add(m);
          shadeAsBaked(m, this.options);
        }
      });
    return Promise.resolve();
  }
}
