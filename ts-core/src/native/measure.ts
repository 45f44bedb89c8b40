/** Per-triangle world area and normal, per-instance totals and scene bounds (native-cuda/include/ote/measure.h). */
import type { FlatScene } from '../scene/flatten.js';
import { addon, type Backend } from './addon.js';
import type { MeasureOutputs } from './addon-api.js';
import { runJob, type JobOptions } from './job.js';

export interface MeasureOptions extends JobOptions {
  backend?: Backend;
  /** Also return per-instance-triangle area and normal arrays (memory: 16 bytes per drawn triangle). */
  perTriangle?: boolean;
}

export interface MeasureResult {
  backend: 'cpu' | 'cuda';
  totalArea: number;
  degenerateCount: number;
  /** min xyz, max xyz; Infinity/-Infinity when nothing valid was drawn. */
  sceneBounds: [number, number, number, number, number, number];
  instanceArea: Float64Array;
  instanceBounds: Float32Array;
  instanceDegenerate: Uint32Array;
  triangleArea?: Float32Array;
  triangleNormal?: Float32Array;
}

export async function measureTriangles(flat: FlatScene, opts: MeasureOptions = {}): Promise<MeasureResult> {
  const n = flat.instanceMesh.length;
  const outputs: MeasureOutputs = {
    instanceArea: new Float64Array(n),
    instanceBounds: new Float32Array(6 * n),
    instanceDegenerate: new Uint32Array(n),
  };
  if (opts.perTriangle) {
    outputs.triangleArea = new Float32Array(flat.instancedTriangleCount);
    outputs.triangleNormal = new Float32Array(3 * flat.instancedTriangleCount);
  }
  const r = await runJob(
    (onProgress) => addon().measureTriangles(flat, outputs, { backend: opts.backend ?? 'auto', onProgress }),
    opts,
  );
  return { ...r, ...outputs };
}
