/**
 * Scene units: glTF says 1 unit = 1 m, but CAD exports (millimetres) and DCC/engine exports (centimetres) often
 * ignore it, and every metric quantity downstream (texels per metre, AO distance, splat budgets) is then off by
 * 100× or 1000×. This module only guesses and explains; it never rescales anything.
 *
 * The rule. Three absolute sizes are measured in scene units (world space, every drawn copy):
 *   extent          the largest side of the scene's bounding box
 *   medianObject    the median bounding-box diagonal of the drawn objects (only with >= 4 objects: with fewer,
 *                   the "objects" are the scene itself and say nothing extent does not)
 *   medianEdge      the median triangle edge length (only with >= 200 triangles)
 * Each has a range that real scenes fit when read in metres (UNIT_DEFAULTS.ranges: a bakeable scene is at most
 * ~1 km across, its objects at most ~30 m, its median triangle edge at most ~3 m). A reading (m, cm or mm) costs
 * the sum over the measures of how far, in decades (log10), the measure falls outside its range when converted.
 * A warning is given when reading in metres costs >= `margin` (0.3 decades: a measure at least 2× outside its
 * range) and the best of centimetres/millimetres costs at least `margin` less. When several non-metre readings
 * cost nothing (geometry alone cannot tell a 7 m machine in cm from a 0.7 m one in mm), the one whose measures lie
 * nearest typical values (UNIT_DEFAULTS.typical: a 20 m scene of 1 m objects with 10 cm edges, about what the
 * metre-scale test scenes show) is named first, and the other is named as the alternative.
 */
import { flattenScene } from '../scene/flatten.js';
import type { Scene } from '../scene/types.js';

export type SceneUnit = 'm' | 'cm' | 'mm';

/** Metres per scene unit for each reading. */
export const METRES_PER_UNIT: Record<SceneUnit, number> = { m: 1, cm: 0.01, mm: 0.001 };

export interface UnitMeasures {
  /** Largest side of the scene bounding box, in scene units. */
  extent: number;
  /** Median bounding-box diagonal of the drawn objects; undefined when too few objects to mean anything. */
  medianObject?: number;
  /** Median triangle edge length; undefined when too few triangles. */
  medianEdge?: number;
  objects: number;
  triangles: number;
}

export interface UnitOptions {
  /** Plausible [min, max] in metres for each measure. */
  ranges?: { extent: [number, number]; medianObject: [number, number]; medianEdge: [number, number] };
  /** Typical values in metres: break ties between equally plausible readings. */
  typical?: { extent: number; medianObject: number; medianEdge: number };
  /** Decades by which metres must be implausible, and the alternative better, before warning. */
  margin?: number;
  /** Fewest objects for medianObject, fewest triangles for medianEdge. */
  minObjects?: number;
  minTriangles?: number;
}

export const UNIT_DEFAULTS: Required<UnitOptions> = {
  ranges: { extent: [0.05, 1000], medianObject: [0.01, 30], medianEdge: [1e-4, 3] },
  typical: { extent: 20, medianObject: 1, medianEdge: 0.1 },
  margin: 0.3,
  minObjects: 4,
  minTriangles: 200,
};

export interface UnitGuess {
  /** Most likely unit: 'm' when the scene reads plausibly in metres (no warning). */
  unit: SceneUnit;
  /** Factor to scale the scene by to make it metres (1, 0.01 or 0.001). */
  scaleToMetres: number;
  /** The other non-metre reading when it is as plausible (cm vs mm cannot always be told apart). */
  alternative?: SceneUnit;
  /** Cost (decades outside the ranges) of each reading. */
  cost: Record<SceneUnit, number>;
  measures: UnitMeasures;
  /** Set when unit !== 'm': says what was seen, the likely unit, and what to do. */
  warning?: string;
}

const MEASURES = ['extent', 'medianObject', 'medianEdge'] as const;

function readingCost(
  m: UnitMeasures,
  unit: SceneUnit,
  o: Required<UnitOptions>,
): { outside: number; offTypical: number } {
  let outside = 0,
    offTypical = 0;
  for (const k of MEASURES) {
    const v = m[k];
    if (v === undefined || !(v > 0)) continue;
    const x = Math.log10(v * METRES_PER_UNIT[unit]),
      lo = Math.log10(o.ranges[k][0]),
      hi = Math.log10(o.ranges[k][1]);
    outside += Math.max(0, lo - x, x - hi);
    offTypical += Math.abs(x - Math.log10(o.typical[k]));
  }
  return { outside, offTypical };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(2));
const NAMES: Record<SceneUnit, string> = { m: 'metres', cm: 'centimetres', mm: 'millimetres' };

/** The pure rule (see the file comment) on measures taken by measureUnits or by hand. */
export function guessUnits(m: UnitMeasures, opts: UnitOptions = {}): UnitGuess {
  const o = {
    ...UNIT_DEFAULTS,
    ...opts,
    ranges: { ...UNIT_DEFAULTS.ranges, ...opts.ranges },
    typical: { ...UNIT_DEFAULTS.typical, ...opts.typical },
  };
  const costs = { m: readingCost(m, 'm', o), cm: readingCost(m, 'cm', o), mm: readingCost(m, 'mm', o) };
  const cost = { m: costs.m.outside, cm: costs.cm.outside, mm: costs.mm.outside };
  const [best, other] = (['cm', 'mm'] as const)
    .slice()
    .sort((a, b) => cost[a] - cost[b] || costs[a].offTypical - costs[b].offTypical);
  const base = { measures: m, cost };
  if (!(cost.m >= o.margin && cost[best] <= cost.m - o.margin)) return { ...base, unit: 'm', scaleToMetres: 1 };
  const alternative = cost[other] <= cost[best] + 1e-9 ? other : undefined;
  const seen = [
    `extent ${fmt(m.extent)} units`,
    ...(m.medianObject !== undefined ? [`median object ${fmt(m.medianObject)} units`] : []),
    ...(m.medianEdge !== undefined ? [`median triangle edge ${fmt(m.medianEdge)} units`] : []),
  ].join(', ');
  const across = (u: SceneUnit) => `${fmt(m.extent * METRES_PER_UNIT[u])} m across`;
  const s = METRES_PER_UNIT[best],
    f = 1 / s;
  const warning =
    `${seen}: likely ${NAMES[best]} (${across(best)})` +
    (alternative ? ` or ${NAMES[alternative]} (${across(alternative)})` : '') +
    `, implausible as metres; the bake treats 1 unit as 1 m: scale the scene by ${s}` +
    (alternative ? ` (${METRES_PER_UNIT[alternative]} for ${NAMES[alternative]})` : '') +
    ` or divide texelsPerMeter by ${f}`;
  return { ...base, unit: best, scaleToMetres: s, ...(alternative && { alternative }), warning };
}

/**
 * The three measures of a scene, world space, every drawn copy (instances included, dynamic objects too: units
 * are a property of the file). Edges are sampled (at most ~`maxEdges`) so that the cost stays linear and small.
 */
export function measureUnits(
  scene: Scene,
  opts: Pick<UnitOptions, 'minObjects' | 'minTriangles'> & { maxEdges?: number } = {},
): UnitMeasures {
  const minObjects = opts.minObjects ?? UNIT_DEFAULTS.minObjects,
    minTriangles = opts.minTriangles ?? UNIT_DEFAULTS.minTriangles;
  const flat = flattenScene(scene);
  const P = flat.positions,
    I = flat.indices;
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  const diagonals: number[] = [];
  const triangles = flat.instancedTriangleCount;
  const stride = Math.max(1, Math.floor(triangles / ((opts.maxEdges ?? 300_000) / 3)));
  const edges: number[] = [];
  let seen = 0;
  const w = new Float64Array(9);
  for (let i = 0; i < flat.instanceMesh.length; i++) {
    const m = flat.instanceTransforms.subarray(16 * i, 16 * i + 16),
      mesh = flat.instanceMesh[i];
    const first = flat.meshFirstTriangle[mesh],
      last = flat.meshFirstTriangle[mesh + 1];
    if (first === last) continue;
    const olo = [Infinity, Infinity, Infinity],
      ohi = [-Infinity, -Infinity, -Infinity];
    for (let t = first; t < last; t++, seen++) {
      for (let k = 0; k < 3; k++) {
        const v = 3 * I[3 * t + k],
          x = P[v],
          y = P[v + 1],
          z = P[v + 2];
        for (let c = 0; c < 3; c++) {
          const p = m[c] * x + m[4 + c] * y + m[8 + c] * z + m[12 + c];
          w[3 * k + c] = p;
          if (p < olo[c]) olo[c] = p;
          if (p > ohi[c]) ohi[c] = p;
        }
      }
      if (seen % stride) continue;
      for (let k = 0; k < 3; k++) {
        const a = 3 * k,
          b = 3 * ((k + 1) % 3);
        const e = Math.hypot(w[a] - w[b], w[a + 1] - w[b + 1], w[a + 2] - w[b + 2]);
        if (e > 0) edges.push(e);
      }
    }
    for (let c = 0; c < 3; c++) {
      lo[c] = Math.min(lo[c], olo[c]);
      hi[c] = Math.max(hi[c], ohi[c]);
    }
    diagonals.push(Math.hypot(ohi[0] - olo[0], ohi[1] - olo[1], ohi[2] - olo[2]));
  }
  const median = (a: number[]) => {
    a.sort((x, y) => x - y);
    return a[a.length >> 1];
  };
  return {
    extent: diagonals.length ? Math.max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) : 0,
    ...(diagonals.length >= minObjects && { medianObject: median(diagonals) }),
    ...(triangles >= minTriangles && edges.length && { medianEdge: median(edges) }),
    objects: diagonals.length,
    triangles,
  };
}

/** measureUnits then guessUnits: what `ote info` and the optimizer call. `warning` is set only when not metres. */
export function guessSceneUnits(scene: Scene, opts: UnitOptions = {}): UnitGuess {
  return guessUnits(measureUnits(scene, opts), opts);
}
