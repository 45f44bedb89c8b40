/**
 * Typed wrapper over the native image metrics (native-cuda/include/ote/metrics/metrics.h): PSNR, SSIM (per-channel
 * mean and BT.601 luma), MS-SSIM and LDR-FLIP in one pass over two images. Callers normally use
 * `computeMetrics` in ../metrics/, which adds the registry, crops and error mapping.
 */
import { addon, type Backend } from './addon.js';
import { runJob, type JobOptions } from './job.js';

/** Interleaved pixels as the addon reads them. 8/16-bit data are sRGB-encoded; alpha (channel 4) is ignored. */
export interface NativeImage {
  data: Uint8Array | Uint16Array | Float32Array;
  width: number;
  height: number;
  channels: 3 | 4;
  /** Pixels per row in `data` (>= width); lets a crop of a larger image be passed without copying. */
  rowStride?: number;
  /** Overrides the options' dataRange / encoding for this image (e.g. a float render against an 8-bit PNG). */
  dataRange?: number;
  encoding?: 'stored' | 'linear-srgb';
}

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

export interface NativeMetricsResult {
  backend: 'cpu' | 'cuda';
  psnr?: number;
  mse?: number;
  psnrChannels?: [number, number, number];
  mseChannels?: [number, number, number];
  ssimRgb?: number;
  ssimChannels?: [number, number, number];
  ssimLuma?: number;
  msssim?: number;
  /** Per-scale terms: contrast-structure for scales 1-4, full SSIM for scale 5. */
  msssimScales?: number[];
  flip?: number;
  /** CUDA only: time spent in the SSIM/FLIP kernels, excluding transfers. */
  kernelMs?: number;
}

export function computeImageMetricsNative(reference: NativeImage, test: NativeImage, opts: NativeMetricsOptions = {}): Promise<NativeMetricsResult> {
  const { signal, onProgress: _p, maps, ...native } = opts;
  return runJob<NativeMetricsResult>(
    (onProgress) => addon().computeImageMetrics(reference, test, { ...native, backend: opts.backend ?? 'cpu', onProgress }, maps ?? {}),
    { signal, onProgress: opts.onProgress },
  );
}
