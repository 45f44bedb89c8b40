/**
 * Splitting big primitives so that a lightmap can span pages. MOZ_lightmap names one texture per material, so the
 * atlas packs each primitive whole onto one page; a level authored as one primitive (a Quake-style map, or Sponza's
 * floor and walls) would then be shrunk to one page's density. Like Bakery's and Unreal's "split by lightmap size",
 * such a primitive is cut into spatially compact pieces that each fit a fraction of a page at the requested
 * density, and the pieces are packed independently.
 *
 * The cut is a kd-split of triangle centroids: the longest axis of the centroids' box, at the area-weighted
 * median, recursively until each piece's estimated texels fit. Compact pieces keep seams short and charts whole
 * inside a piece. Deterministic: ties in the sort are broken by triangle index.
 */
import type { Primitive } from '../scene/types.js';

export interface SplitOptions {
  /** Texels per metre the primitive is asked to bake at. */
  texelsPerMeter: number;
  /** Largest estimated texels of a piece: area × density² × headroom. */
  maxPieceTexels: number;
  /** Page texels per chart texel (padding, packing loss), as in bake/budget.ts. Default 1.1. */
  headroom?: number;
}

export const SPLIT_DEFAULTS = { headroom: 1.1 };

/**
 * The triangles of primitive `p` (world-space positions in `world`, column-major 4×4) grouped into pieces that fit
 * `maxPieceTexels`. Returns one list of triangle indices per piece, in a deterministic order; a single piece (all
 * triangles) when the primitive already fits.
 */
export function splitTriangles(p: Primitive, world: ArrayLike<number>, opts: SplitOptions): Uint32Array[] {
  const headroom = opts.headroom ?? SPLIT_DEFAULTS.headroom;
  const nt = p.indices.length / 3;
  const all = Uint32Array.from({ length: nt }, (_, i) => i);
  const perArea = opts.texelsPerMeter * opts.texelsPerMeter * headroom;
  if (!(perArea > 0) || !(opts.maxPieceTexels > 0)) return [all];
  const area = new Float64Array(nt),
    centroid = new Float64Array(3 * nt);
  const P = p.positions,
    m = world;
  const w = (i: number, c: number) => m[c] * P[3 * i] + m[4 + c] * P[3 * i + 1] + m[8 + c] * P[3 * i + 2] + m[12 + c];
  let total = 0;
  for (let t = 0; t < nt; t++) {
    const a = p.indices[3 * t],
      b = p.indices[3 * t + 1],
      c = p.indices[3 * t + 2];
    const ax = w(a, 0),
      ay = w(a, 1),
      az = w(a, 2);
    const ux = w(b, 0) - ax,
      uy = w(b, 1) - ay,
      uz = w(b, 2) - az;
    const vx = w(c, 0) - ax,
      vy = w(c, 1) - ay,
      vz = w(c, 2) - az;
    const cx = uy * vz - uz * vy,
      cy = uz * vx - ux * vz,
      cz = ux * vy - uy * vx;
    area[t] = 0.5 * Math.sqrt(cx * cx + cy * cy + cz * cz) || 0;
    total += area[t];
    centroid[3 * t] = ax + (ux + vx) / 3;
    centroid[3 * t + 1] = ay + (uy + vy) / 3;
    centroid[3 * t + 2] = az + (uz + vz) / 3;
  }
  if (total * perArea <= opts.maxPieceTexels) return [all];

  const pieces: Uint32Array[] = [];
  const stack: Uint32Array[] = [all];
  while (stack.length) {
    const tris = stack.pop()!;
    let sum = 0;
    for (const t of tris) sum += area[t];
    if (sum * perArea <= opts.maxPieceTexels || tris.length < 2) {
      pieces.push(tris);
      continue;
    }
    const lo = [Infinity, Infinity, Infinity],
      hi = [-Infinity, -Infinity, -Infinity];
    for (const t of tris)
      for (let c = 0; c < 3; c++) {
        const x = centroid[3 * t + c];
        if (x < lo[c]) lo[c] = x;
        if (x > hi[c]) hi[c] = x;
      }
    const axis = [0, 1, 2].reduce((best, c) => (hi[c] - lo[c] > hi[best] - lo[best] ? c : best), 0);
    const sorted = Array.from(tris).sort((a, b) => centroid[3 * a + axis] - centroid[3 * b + axis] || a - b);
    // Area-weighted median: both halves carry about half the texels.
    let acc = 0,
      cut = 1;
    for (let i = 0; i < sorted.length - 1; i++) {
      acc += area[sorted[i]];
      if (acc >= sum / 2) {
        cut = i + 1;
        break;
      }
      cut = i + 1;
    }
    // Push the far half first so that pieces come out in axis order.
    stack.push(Uint32Array.from(sorted.slice(cut)), Uint32Array.from(sorted.slice(0, cut)));
  }
  return pieces;
}

/** The primitive made of triangles `tris` of `p`: only the vertices they use, every attribute carried. */
export function primitiveSubset(p: Primitive, tris: Uint32Array): Primitive {
  const remap = new Map<number, number>();
  const src: number[] = [];
  const indices = new Uint32Array(3 * tris.length);
  tris.forEach((t, i) => {
    for (let k = 0; k < 3; k++) {
      const v = p.indices[3 * t + k];
      let nv = remap.get(v);
      if (nv === undefined) {
        nv = src.length;
        remap.set(v, nv);
        src.push(v);
      }
      indices[3 * i + k] = nv;
    }
  });
  return { ...gatherVertices(p, src), indices };
}

/** Primitive `p` with its vertex attributes gathered at vertices `src` (indices left as they were). */
export function gatherVertices(p: Primitive, src: readonly number[]): Primitive {
  const gather = (a: Float32Array, k: number) => {
    const out = new Float32Array(src.length * k);
    for (let i = 0; i < src.length; i++) for (let c = 0; c < k; c++) out[i * k + c] = a[src[i] * k + c];
    return out;
  };
  const q: Primitive = { ...p, positions: gather(p.positions, 3) };
  if (p.normals) q.normals = gather(p.normals, 3);
  if (p.tangents) q.tangents = gather(p.tangents, 4);
  if (p.uv0) q.uv0 = gather(p.uv0, 2);
  if (p.uv1) q.uv1 = gather(p.uv1, 2);
  if (p.colors) q.colors = gather(p.colors, 4);
  return q;
}
