/** Test data for the trust suites: a real reference scene and artifacts that are close to it or clearly not. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cornellBox } from '../../../examples/generators/cornell.js';
import { exportGltf } from '../../src/io/gltf-write.js';
import type { Scene } from '../../src/scene/types.js';
import { bakeScene } from '../../src/bake/bake.js';
import { encodeLightmapPages } from '../../src/bake/pages.js';
import { applyLightmaps } from '../../src/bake/writeback.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';
import { encodeSplats } from '../../src/io/splat-formats.js';
import { convertScene } from '../../src/splat/convert.js';
import type { RenderSpec } from '../../src/trust/types.js';
import { tempDir } from '../helpers.js';

async function glb(scene: Scene, name: string, dir: string): Promise<Uint8Array> {
  const path = join(dir, `${name}.glb`);
  await exportGltf(scene, path);
  return new Uint8Array(readFileSync(path));
}

export interface Blobs { reference: Uint8Array; good: Uint8Array; bad: Uint8Array }

/** reference: the Cornell box; good: every colour 1% darker (a faithful optimization); bad: every colour shifted and a block shrunk. */
export async function trustBlobs(): Promise<Blobs> {
  const dir = tempDir('ote-trust-blobs-');
  const reference = await glb(cornellBox(), 'reference', dir);
  const g = cornellBox();
  for (const m of g.materials) m.baseColorFactor = [m.baseColorFactor[0] * 0.99, m.baseColorFactor[1] * 0.99, m.baseColorFactor[2] * 0.99, m.baseColorFactor[3]];
  const good = await glb(g, 'good', dir);
  const b = cornellBox();
  // Every surface changes (white ones too), so every sampled view sees the damage and the expected verdict does not
  // depend on which views the seed picks (a defect visible from few views is a sampling-coverage question, not a
  // Byzantine one).
  for (const m of b.materials) m.baseColorFactor = [m.baseColorFactor[2] * 0.5, m.baseColorFactor[0] * 0.8, m.baseColorFactor[1], m.baseColorFactor[3]];
  const victim = b.nodes.findIndex((n, i) => i > 0 && n.mesh !== undefined && /box|block|tall|short/i.test(n.name));
  if (victim >= 0) b.nodes[victim].scale = [0.3, 0.3, 0.3];
  const bad = await glb(b, 'bad', dir);
  return { reference, good, bad };
}

export const THRESHOLDS = { psnr: 30, ssim: 0.9, flip: 0.1 };

/**
 * How long a test waits for something that must eventually happen (a certificate, a reassignment). A liveness
 * bound, not a speed check: generous, because nodes path trace on a 2-core machine that may be busy with other
 * suites; it only delays the report of a real hang.
 */
export const LIVENESS_MS = 120_000;

/**
 * The render spec of the protocol and Byzantine tests: the ray-core preview on small crops. Those tests are about
 * consensus, not lighting, and cheap renders keep them fast; the bake and splat tests use the real references.
 */
export const FAST_RENDER = { reference: 'shaded', spp: 1, bounces: 0, pixels: 24 } as const;

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
  for (const m of doubled.materials) if (m.lightmap) m.lightmap = { ...m.lightmap, intensity: m.lightmap.intensity * 2 };
  const bakeX2 = await sceneToGlb(doubled);
  const splats = convertScene(scene, { budget: 20_000, seed: 1 });
  const recoloured = cornellBox();
  for (const m of recoloured.materials) m.baseColorFactor = [m.baseColorFactor[2], m.baseColorFactor[0], m.baseColorFactor[1], 1];
  return {
    reference, bake, bakeX2, ply: encodeSplats(splats, 'ply'), spz: encodeSplats(splats, 'spz'),
    spzOther: encodeSplats(convertScene(recoloured, { budget: 20_000, seed: 1 }), 'spz'),
  };
}

/** Path traced on small crops at modest samples: separates a ×2 bake by ~15 dB, cheap enough for the suite. */
export const PATHTRACED_TEST: RenderSpec = { reference: 'pathtrace', spp: 32, bounces: 3, pixels: 24 };
/** Unlit reference for splats converted from surfaces. */
export const ALBEDO_TEST: RenderSpec = { reference: 'albedo', spp: 4, bounces: 0, pixels: 24 };
