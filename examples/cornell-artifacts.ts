/**
 * Real artifacts of the product's own pipelines, made from the Cornell box example: its bake written back as
 * MOZ_lightmap (and a wrong one at twice the intensity) and its splats (and those of a recoloured box). The trust
 * suites and bench/trust.ts verify them.
 */
import { bakeScene } from '../ts-core/src/bake/bake.js';
import { encodeLightmapPages } from '../ts-core/src/bake/pages.js';
import { applyLightmaps } from '../ts-core/src/bake/writeback.js';
import { sceneToGlb } from '../ts-core/src/io/gltf-write.js';
import { encodeSplats } from '../ts-core/src/io/splat-formats.js';
import { convertScene } from '../ts-core/src/splat/convert.js';
import { cornellBox } from './generators/cornell.js';

/** The quality thresholds the trust suites and bench/trust.ts judge Cornell box artifacts by. */
export const THRESHOLDS = { psnr: 30, ssim: 0.9, flip: 0.1 };

export interface RealBlobs {
  /** The Cornell box, unbaked (the reference every job renders). */
  reference: Uint8Array;
  /** Its bake, written back as MOZ_lightmap (a correct lightmapped glTF). */
  bake: Uint8Array;
  /** The same lightmaps at twice their intensity (a wrong bake that keeps the geometry and materials). */
  bakeX2: Uint8Array;
  /** Splats converted from its surfaces, as PLY and SPZ. */
  ply: Uint8Array;
  spz: Uint8Array;
  /** Splats of the box with its colours rotated (the wrong scene's splats). */
  spzOther: Uint8Array;
}

/** Real artifacts of the product's own pipelines: a quick bake (64 samples, 16 texels/m) and 20k-splat conversions. */
export async function realBlobs(): Promise<RealBlobs> {
  const scene = cornellBox();
  const reference = await sceneToGlb(scene);
  const baked = await bakeScene(scene, { samples: 64, minSamples: 16, texelsPerMeter: 16, seed: 1 });
  const { encoded } = encodeLightmapPages(baked.pages, 'scene', {});
  const bake = await sceneToGlb(applyLightmaps(baked.scene, baked.layout, encoded));
  const doubled = applyLightmaps(baked.scene, baked.layout, encoded);
  for (const m of doubled.materials)
    if (m.lightmap) m.lightmap = { ...m.lightmap, intensity: m.lightmap.intensity * 2 };
  const bakeX2 = await sceneToGlb(doubled);
  const splats = convertScene(scene, { budget: 20_000, seed: 1 });
  const recoloured = cornellBox();
  for (const m of recoloured.materials)
    m.baseColorFactor = [m.baseColorFactor[2], m.baseColorFactor[0], m.baseColorFactor[1], 1];
  return {
    reference,
    bake,
    bakeX2,
    ply: encodeSplats(splats, 'ply'),
    spz: encodeSplats(splats, 'spz'),
    spzOther: encodeSplats(convertScene(recoloured, { budget: 20_000, seed: 1 }), 'spz'),
  };
}
