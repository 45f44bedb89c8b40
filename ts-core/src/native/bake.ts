/**
 * Typed wrappers over the baking bindings (native-cuda/include/ote/bake/). Flat arrays in, flat arrays out; the
 * scene-level orchestration lives in ts-core/src/bake/.
 */
import { addon } from './addon.js';
import { runJob, type JobOptions } from './job.js';

export interface LightmapUvNativeInput {
  /** World-space xyz per vertex, all objects concatenated. */
  positions: Float32Array;
  indices: Uint32Array;
  /** Object o owns triangles [objectFirstTriangle[o], objectFirstTriangle[o+1]). */
  objectFirstTriangle: Uint32Array;
  objectTexelsPerMeter: Float32Array;
  /** Existing UV1 per triangle corner (6 per triangle), read for objects flagged in objectKeepUv. */
  cornerUv?: Float32Array;
  objectKeepUv?: Uint8Array;
}

export interface LightmapUvNativeOptions extends JobOptions {
  /** Largest page, square, in texels (default 1024). Each page is cropped to its content (a multiple of 4 texels). */
  pageSize?: number;
  /** Empty texels between the conservative footprints of any two charts, and to the page edge (default 2). */
  padding?: number;
  /** Charts grow while normals stay within this cone (default 40°): bounds stretch at 1/cos. */
  maxConeDegrees?: number;
}

export interface LightmapUvNativeResult {
  /** Per triangle corner: UV1 in its object's page, v down. */
  cornerUv: Float32Array;
  triangleChart: Uint32Array;
  chartCount: number;
  objectPage: Float64Array;
  objectCharts: Float64Array;
  /** Texels touched by the object's triangles (conservative), and of its charts' padded bounding boxes. */
  objectTexels: Float64Array;
  objectBoxTexels: Float64Array;
  /** max(σmax, 1/σmin) of the world→texel map relative to the effective density: 1 is no stretch. */
  objectMaxStretch: Float64Array;
  objectMeanStretch: Float64Array;
  objectOverlaps: Float64Array;
  /** Density used: lower than asked when the object had to shrink to fit one page. */
  objectTexelsPerMeter: Float64Array;
  pageWidth: Float64Array;
  pageHeight: Float64Array;
  pageTexels: Float64Array;
}

export async function generateLightmapUvsNative(input: LightmapUvNativeInput, opts: LightmapUvNativeOptions = {}): Promise<LightmapUvNativeResult> {
  const t = input.indices.length / 3;
  const outputs = { cornerUv: new Float32Array(6 * t), triangleChart: new Uint32Array(t) };
  const r = await runJob<Omit<LightmapUvNativeResult, 'cornerUv' | 'triangleChart'>>((onProgress) => addon().generateLightmapUvs(input, outputs, {
    ...(opts.pageSize !== undefined && { pageSize: opts.pageSize }),
    ...(opts.padding !== undefined && { padding: opts.padding }),
    ...(opts.maxConeDegrees !== undefined && { maxConeDegrees: opts.maxConeDegrees }),
    onProgress,
  }), opts);
  return { ...r, ...outputs };
}

/**
 * Triangles whose UV triangles overlap another's by more than 1e-6 (touching edges do not count). `page` (one per
 * triangle) restricts the comparison to triangles on the same page.
 */
export function countUvOverlaps(cornerUv: Float32Array, page?: Uint32Array): { count: number; flags: Uint8Array } {
  return addon().countUvOverlaps(cornerUv, page);
}
