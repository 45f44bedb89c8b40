/**
 * `ote render --mode lightmapped`: a view lit only by baked lightmaps — emission + albedo × lightmap(UV1),
 * bilinear — with the same camera samples (and the same culling of single-sided back faces and alpha cut-outs) as
 * the path-traced mode, so the two differ only by the bake's error.
 * Pages are the float pages of a bake (bake/bake.ts) or decoded from a baked glTF (bake/writeback.ts).
 */
import type { FloatImage } from '../image/float-image.js';
import { transportTextures } from '../io/textures.js';
import type { JobOptions } from '../native/job.js';
import { renderReferenceNative } from '../native/bake.js';
import { renderInputs, type BakeTextureImage, type LightmapLayout } from '../native/transport-inputs.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';

export interface LightmappedOptions extends JobOptions {
  /** Camera samples per pixel (anti-aliasing only; default 16). */
  spp?: number;
  seed?: number;
  /** Decoded scene textures, so the albedo that multiplies the lightmap is the textured one. */
  textures?: readonly (BakeTextureImage | undefined)[];
}

export async function renderLightmapped(
  scene: Scene,
  layout: LightmapLayout,
  pages: FloatImage[],
  view: View,
  opts: LightmappedOptions = {},
): Promise<FloatImage> {
  // Without textures given, the ones the transport reads are decoded once per scene (io/textures.ts); the tables
  // are packed once per scene and layout too (renderInputs).
  const { flat, inputs } = renderInputs(scene, layout, undefined, opts.textures ?? (await transportTextures(scene)));
  const data = await renderReferenceNative(
    flat,
    inputs,
    view,
    pages.map((p) => p.data),
    {
      mode: 'lightmapped',
      spp: opts.spp ?? 16,
      seed: opts.seed ?? 1,
      signal: opts.signal,
      onProgress: opts.onProgress,
    },
  );
  return { width: view.width, height: view.height, data };
}
