/**
 * Our display transform in three.js, so a three.js app shows a baked scene as `ote` shows it (report images,
 * `ote render`): linear radiance × 2^exposure (stops), the Narkowicz ACES fit
 * `x(2.51x + 0.03) / (x(2.43x + 0.59) + 0.14)` clamped to [0, 1], then sRGB encoding (three's output colour space).
 * That is ts-core/src/image/float-image.ts `toRgba8` with `toneMap: 'aces'`. three.js's own
 * ACESFilmicToneMapping is a different curve (the RRT+ODT fit with a 1/0.6 exposure boost), so this one goes in as
 * THREE.CustomToneMapping, whose GLSL three lets an app replace.
 *
 * Usage (before the first render, which compiles the shaders):
 *   import { useOteToneMapping } from 'optimizer-trust-engine/viewer/tone-mapping.js';
 *   useOteToneMapping(renderer, report.views.exposure);
 */
import { CustomToneMapping, SRGBColorSpace, ShaderChunk } from 'three';

/** The GLSL of the curve, as three's CustomToneMapping (toneMappingExposure is 2^stops). */
export const OTE_ACES_GLSL = `vec3 CustomToneMapping( vec3 color ) {
	color *= toneMappingExposure;
	return saturate( ( color * ( 2.51 * color + 0.03 ) ) / ( color * ( 2.43 * color + 0.59 ) + 0.14 ) );
}`;

const STOCK = /vec3 CustomToneMapping\( vec3 color \) \{ return color; \}/;

/**
 * Puts our curve into three's shader chunks (once; later calls do nothing). Throws when this three.js has no
 * replaceable CustomToneMapping (the chunk's text changed), rather than showing an image with the wrong curve.
 */
export function installOteToneMapping() {
  const chunk = ShaderChunk.tonemapping_pars_fragment;
  if (chunk.includes(OTE_ACES_GLSL)) return;
  if (!STOCK.test(chunk))
    throw new Error(
      'tone-mapping.js: this three.js has no stock CustomToneMapping in ShaderChunk.tonemapping_pars_fragment to replace',
    );
  ShaderChunk.tonemapping_pars_fragment = chunk.replace(STOCK, OTE_ACES_GLSL);
}

/**
 * Sets a renderer to show images as `ote` does, at `exposureStops` (report.json `views.exposure`).
 * @param {import('three').WebGLRenderer} renderer
 * @param {number} [exposureStops]
 */
export function useOteToneMapping(renderer, exposureStops = 0) {
  if (!Number.isFinite(exposureStops))
    throw new Error(`tone-mapping.js: exposure must be a number of stops, got ${exposureStops}`);
  installOteToneMapping();
  renderer.toneMapping = CustomToneMapping;
  renderer.toneMappingExposure = 2 ** exposureStops;
  renderer.outputColorSpace = SRGBColorSpace;
}

/**
 * The same curve on the CPU, for one linear channel value: what a pixel of `ote`'s images holds before 8-bit
 * rounding (tests and colour pickers).
 * @param {number} linear
 * @param {number} [exposureStops]
 * @returns {number} the sRGB-encoded display value in [0, 1]
 */
export function oteDisplayValue(linear, exposureStops = 0) {
  const x = linear * 2 ** exposureStops;
  const y = Math.max(0, Math.min(1, (x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14)));
  return y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055;
}
