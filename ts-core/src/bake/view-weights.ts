/**
 * How large each lightmap part's texels appear from where the scene is seen, as weights of its density when the
 * budget or the time target forces densities down (bake/budget.ts, w_op). A texel 8 m away covers a quarter of the
 * pixels, across, of one 2 m away, so at equal texels per metre the near arcade shows its lightmap's blur and the
 * far roof wastes texels; a baker's artist sets "Scale In Lightmap" by that judgement, and this sets it from the
 * viewpoints (the planned views' eyes: the scene's cameras, or where a viewer would stand).
 *
 * From each eye, rays spread evenly over the sphere find the parts it sees; a part's solid angle per unit of its
 * area, summed over the eyes, is how many pixels per square metre it takes (∝ cos / d²). Its texels look equally
 * large on screen at a density ∝ the square root of that, relative to the scene's (all solid angle over all area),
 * clamped to [min, max] so that a part no eye sees keeps a share (another view may show it) and one an eye stands
 * next to does not take the budget. Deterministic: the rays are a fixed lattice.
 *
 * The same rays give each part the inverse distance at which its nearer pixels see it (NEAR_SHARE: the value
 * exceeded by that share of the rays that see the part, pixel-weighted as a screen weighs it): a texel of side s
 * there spans about s × that / (radians per pixel) pixels across, whatever the part's slant (the long side of a
 * foreshortened texel). bake/uv.ts raises a part's density where that span exceeds the profile's
 * bake.maxTexelPixels (viewFloorScale below). Not the mean: a ground seen at a slant from an eye above it has its
 * near texels two to three times larger on screen than its mean, and the shadows there are what a viewer sees.
 */
import type { FlatScene } from '../scene/flatten.js';
import { NO_HIT, SceneBvh } from '../native/rays.js';
import type { JobOptions } from '../native/job.js';

export interface ViewWeightOptions extends JobOptions {
  /** Rays per eye, over the whole sphere. Default 16384. */
  raysPerEye?: number;
  /** Least weight: a part no eye sees keeps this share of the scene's density. Default 0.25. */
  min?: number;
  /** Most weight. Default 4. */
  max?: number;
}

export const VIEW_WEIGHT_DEFAULTS: Required<Omit<ViewWeightOptions, keyof JobOptions>> = {
  raysPerEye: 16384,
  min: 0.25,
  max: 4,
};

/** Parts as the UV generator concatenates them: world-space triangles, part p owning [first[p], first[p + 1]). */
export interface WorldParts {
  positions: Float32Array;
  indices: Uint32Array;
  partFirstTriangle: Uint32Array;
  /** World area of each part. */
  areas: readonly number[];
}

/** What the eyes see of each part. */
export interface ViewMeasures {
  /** Density weight (all 1 without eyes or without anything seen). */
  weights: number[];
  /**
   * 1 / distance exceeded by NEAR_SHARE of the rays that see the part first, per world unit; 0 where no ray does.
   */
  inverseDistance: number[];
}

/** The share of a part's pixels its texel span is judged at, nearest first (ViewMeasures.inverseDistance). */
export const NEAR_SHARE = 0.1;

/** Per part, its density weight and its mean inverse distance from `eyes`. */
export async function viewMeasures(
  parts: WorldParts,
  eyes: readonly (readonly [number, number, number])[],
  opts: ViewWeightOptions = {},
): Promise<ViewMeasures> {
  const o = { ...VIEW_WEIGHT_DEFAULTS, ...opts };
  const count = parts.partFirstTriangle.length - 1;
  const triangles = parts.indices.length / 3;
  const unseen = (): ViewMeasures => ({ weights: new Array(count).fill(1), inverseDistance: new Array(count).fill(0) });
  if (!eyes.length || !triangles) return unseen();
  const n = Math.max(1, Math.floor(o.raysPerEye));
  const origins = new Float32Array(3 * n * eyes.length),
    directions = new Float32Array(3 * n * eyes.length);
  const golden = Math.PI * (3 - Math.sqrt(5));
  eyes.forEach((e, j) => {
    for (let i = 0; i < n; i++) {
      const y = 1 - (2 * (i + 0.5)) / n,
        r = Math.sqrt(1 - y * y),
        a = golden * i,
        k = 3 * (j * n + i);
      origins.set(e, k);
      directions[k] = r * Math.cos(a);
      directions[k + 1] = y;
      directions[k + 2] = r * Math.sin(a);
    }
  });
  // The parts alone, in world space: one mesh drawn once.
  const flat: FlatScene = {
    positions: parts.positions,
    indices: parts.indices,
    meshFirstTriangle: Uint32Array.of(0, triangles),
    triangleMaterial: new Int32Array(triangles).fill(-1),
    meshFirstVertex: Uint32Array.of(0, parts.positions.length / 3),
    instanceMesh: Uint32Array.of(0),
    instanceTransforms: Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1),
    instanceNode: Uint32Array.of(0),
    instanceCopy: Uint32Array.of(0),
    instancedTriangleCount: triangles,
  };
  const bvh = await SceneBvh.build(flat, { signal: opts.signal });
  let prim: Uint32Array, dist: Float32Array;
  try {
    ({ prim, t: dist } = await bvh.traceRays(origins, directions, { backend: 'cpu', signal: opts.signal }));
  } finally {
    bvh.dispose();
  }
  // Part of each triangle, by the first-triangle table.
  const partOf = new Uint32Array(triangles);
  for (let p = 0; p < count; p++) partOf.fill(p, parts.partFirstTriangle[p], parts.partFirstTriangle[p + 1]);
  const hits = new Float64Array(count),
    inverse: number[][] = Array.from({ length: count }, () => []);
  prim.forEach((t, i) => {
    if (t === NO_HIT) return;
    hits[partOf[t]]++;
    if (dist[i] > 0) inverse[partOf[t]].push(1 / dist[i]);
  });
  const seen = hits.reduce((s, h) => s + h, 0),
    area = parts.areas.reduce((s, a) => s + a, 0);
  if (!(seen > 0) || !(area > 0)) return unseen();
  return {
    // Solid angle per area over the scene's (the ray count's 4π / n cancels).
    weights: Array.from(hits, (h, p) =>
      parts.areas[p] > 0 ? Math.min(o.max, Math.max(o.min, Math.sqrt(h / parts.areas[p] / (seen / area)))) : 1,
    ),
    inverseDistance: inverse.map((v) => {
      if (!v.length) return 0;
      v.sort((a, b) => b - a);
      return v[Math.min(v.length - 1, Math.floor(NEAR_SHARE * v.length))];
    }),
  };
}

/** Defaults of viewFloorScale. */
export const VIEW_FLOOR_DEFAULTS = {
  /** Most pixels across a lightmap texel of a seen part: bake.maxTexelPixels' default. */
  maxTexelPixels: 4,
  /** Most a view floor multiplies a part's density by: an eye that stands next to a wall does not take the pages. */
  maxRaise: 4,
} as const;

/**
 * How much a part's density must rise so that its texels span at most `maxTexelPixels` pixels of `viewPixel`
 * radians where the eyes see it (1: not at all, or unseen), at most `maxRaise`. `density` is the part's asked
 * texels per world unit; `inverseDistance` is viewMeasures' (per world unit).
 */
export function viewFloorScale(
  density: number,
  inverseDistance: number,
  viewPixel: number,
  maxTexelPixels: number = VIEW_FLOOR_DEFAULTS.maxTexelPixels,
  maxRaise: number = VIEW_FLOOR_DEFAULTS.maxRaise,
): number {
  if (!(inverseDistance > 0) || !(viewPixel > 0) || !(density > 0)) return 1;
  // A texel of side 1/density spans (1/density) × inverseDistance / viewPixel pixels.
  const pixels = inverseDistance / (density * viewPixel);
  return Math.min(maxRaise, Math.max(1, pixels / maxTexelPixels));
}
