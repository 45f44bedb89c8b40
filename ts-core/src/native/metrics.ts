/**
 * Typed wrapper over the native image metrics (native-cuda/include/ote/metrics/metrics.h): PSNR, SSIM (per-channel
 * mean and BT.601 luma), MS-SSIM and LDR-FLIP in one pass over two images. Callers normally use
 * `computeMetrics` in ../metrics/, which adds the registry, crops and error mapping.
 */
import { addon, type Backend } from './addon.js';
import type { NativeImage, NativeMetricsResult } from './addon-api.js';
import { runJob, type JobOptions } from './job.js';

export type { NativeImage, NativeMetricsResult } from './addon-api.js';

export interface NativeMetricsOptions extends JobOptions {
  psnr?: boolean;
  ssimRgb?: boolean;
  ssimLuma?: boolean;
  msssim?: boolean;
  flip?: boolean;
  /** Stored units that map to 1.0. Default: 255 for Uint8, 65535 for Uint16, 1 for Float32. */
  dataRange?: number;
  /** 'stored' (default): values / dataRange. 'linear-srgb': linear float, clamped to [0,1] and sRGB-encoded first. */
  encoding?: 'stored' | 'linear-srgb';
  /** FLIP pixels per degree (default 67.0206: 0.7 m from a 0.7 m wide 3840-pixel display). */
  ppd?: number;
  backend?: Backend;
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
