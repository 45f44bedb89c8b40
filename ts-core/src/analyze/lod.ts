/**
 * LOD potential: how much geometric error meshoptimizer's simplifier needs to reach a quarter of the triangles.
 * A small relative error means the mesh is over-tessellated for its shape and cheap to reduce.
 */
import { MeshoptSimplifier } from 'meshoptimizer';
import type { Mesh } from '../scene/types.js';

export interface LodEstimate {
  /** Error relative to the mesh extent when simplified to `targetRatio` of its triangles (0 = free). */
  relativeError: number;
  /** Triangle ratio the simplifier reached (it may stop above the target to protect borders). */
  achievedRatio: number;
}

/** Meshes above this size are estimated on a triangle subset so that analysis stays interactive. */
const MAX_TRIANGLES = 200_000;

export async function estimateLod(mesh: Mesh, targetRatio = 0.25): Promise<LodEstimate> {
  await MeshoptSimplifier.ready;
  let total = 0,
    weightedError = 0,
    kept = 0;
  for (const p of mesh.primitives) {
    let indices = p.indices;
    if (indices.length / 3 > MAX_TRIANGLES) indices = indices.subarray(0, MAX_TRIANGLES * 3);
    const tris = indices.length / 3;
    if (tris < 4) continue;
    const target = Math.max(3, Math.floor(tris * targetRatio) * 3);
    const [out, error] = MeshoptSimplifier.simplify(indices, p.positions, 3, target, 1, ['LockBorder']);
    total += tris;
    kept += out.length / 3;
    weightedError += error * tris;
  }
  if (total === 0) return { relativeError: 0, achievedRatio: 1 };
  return { relativeError: weightedError / total, achievedRatio: kept / total };
}
