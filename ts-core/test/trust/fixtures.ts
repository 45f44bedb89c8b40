/** Test data for the trust suites: a real reference scene and artifacts that are close to it or clearly not. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cornellBox } from '../../../examples/generators/cornell.js';
import { exportGltf } from '../../src/io/gltf-write.js';
import type { Scene } from '../../src/scene/types.js';
import type { RenderSpec } from '../../src/trust/types.js';
import { tempDir } from '../helpers.js';

// The real artifacts and the thresholds they are judged by are shared with bench/trust.ts.
export { realBlobs, THRESHOLDS, type RealBlobs } from '../../../examples/cornell-artifacts.js';

async function glb(scene: Scene, name: string, dir: string): Promise<Uint8Array> {
  const path = join(dir, `${name}.glb`);
  await exportGltf(scene, path);
  return new Uint8Array(readFileSync(path));
}

export interface Blobs {
  reference: Uint8Array;
  good: Uint8Array;
  bad: Uint8Array;
}

/** reference: the Cornell box; good: every colour 1% darker (a faithful optimization); bad: every colour shifted and a block shrunk. */
export async function trustBlobs(): Promise<Blobs> {
  const dir = tempDir('ote-trust-blobs-');
  const reference = await glb(cornellBox(), 'reference', dir);
  const g = cornellBox();
  for (const m of g.materials)
    m.baseColorFactor = [
      m.baseColorFactor[0] * 0.99,
      m.baseColorFactor[1] * 0.99,
      m.baseColorFactor[2] * 0.99,
      m.baseColorFactor[3],
    ];
  const good = await glb(g, 'good', dir);
  const b = cornellBox();
  // Every surface changes (white ones too), so every sampled view sees the damage and the expected verdict does not
  // depend on which views the seed picks (a defect visible from few views is a sampling-coverage question, not a
  // Byzantine one).
  for (const m of b.materials)
    m.baseColorFactor = [
      m.baseColorFactor[2] * 0.5,
      m.baseColorFactor[0] * 0.8,
      m.baseColorFactor[1],
      m.baseColorFactor[3],
    ];
  const victim = b.nodes.findIndex((n, i) => i > 0 && n.mesh !== undefined && /box|block|tall|short/i.test(n.name));
  if (victim >= 0) b.nodes[victim].scale = [0.3, 0.3, 0.3];
  const bad = await glb(b, 'bad', dir);
  return { reference, good, bad };
}

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

/** Path traced on small crops at modest samples: separates a ×2 bake by ~15 dB, cheap enough for the suite. */
export const PATHTRACED_TEST: RenderSpec = { reference: 'pathtrace', spp: 32, bounces: 3, pixels: 24 };
/** Unlit reference for splats converted from surfaces. */
export const ALBEDO_TEST: RenderSpec = { reference: 'albedo', spp: 4, bounces: 0, pixels: 24 };
