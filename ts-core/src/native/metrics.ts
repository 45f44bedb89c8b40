/**
 * Typed wrapper over the native image metrics (native-cuda/include/ote/metrics/metrics.h): PSNR, SSIM (per-channel
 * mean and BT.601 luma), MS-SSIM and LDR-FLIP in one pass over two images. Callers normally use
 * `computeMetrics` in ../metrics/, which adds the registry, crops and error mapping.
 */
import { addon } from './addon.js';
import type { NativeImage, NativeMetricsResult, RawMetricsOptions } from './addon-api.js';
import { runJob, type JobOptions } from './job.js';

export type { NativeImage, NativeMetricsResult } from './addon-api.js';

/** The addon's metric options (addon-api.ts RawMetricsOptions), with cancellation and per-pixel maps. */
export interface NativeMetricsOptions extends JobOptions, Omit<RawMetricsOptions, 'onProgress'> {
  /** Per-pixel maps to fill (width * height each). */
  maps?: { ssimLuma?: Float32Array; flip?: Float32Array };
}

export function computeImageMetricsNative(
  reference: NativeImage,
  test: NativeImage,
  opts: NativeMetricsOptions = {},
): Promise<NativeMetricsResult> {
  const { signal, onProgress: _p, maps, ...native } = opts;
  return runJob<NativeMetricsResult>(
    (onProgress) =>
      addon().computeImageMetrics(
        reference,
        test,
        { ...native, backend: opts.backend ?? 'cpu', onProgress },
        maps ?? {},
      ),
    { signal, onProgress: opts.onProgress },
  );
}
