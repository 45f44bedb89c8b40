/** Shared types of the metrics API. No Node builtins: this runs inside the editor's V8 too. */
import type { FloatImage } from '../image/float-image.js';
import type { RgbaImage } from '../io/png.js';
import type { Backend } from '../native/addon.js';

/** Metric identifiers. Built in: psnr, ssim (mean of per-channel SSIM), ssimLuma, msssim, flip; providers may add more. */
export type MetricId = 'psnr' | 'ssim' | 'ssimLuma' | 'msssim' | 'flip' | 'lpips' | 'vmaf' | (string & {});

/** Either a renderer's linear float image or a decoded 8/16-bit (sRGB-encoded) PNG. */
export type MetricImage = FloatImage | RgbaImage;

export interface MetricInfo {
  id: MetricId;
  name: string;
  unit: 'dB' | 'index' | 'error';
  /** Which direction means "closer to the reference". */
  better: 'higher' | 'lower';
  description: string;
  /** Where the definition comes from; results must match that reference. */
  reference: string;
}

export interface Crop {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ComputeMetricsOptions {
  /** Default: ['psnr', 'ssim', 'ssimLuma', 'flip']. */
  metrics?: MetricId[];
  /**
   * Stored units that map to 1.0 for both images. Default: 255 for 8-bit, 65535 for 16-bit, 1 for float. PSNR is
   * 10·log10(1 / MSE) on the normalised signal, so this is the data range of the PSNR definition.
   */
  dataRange?: number;
  /**
   * How float images are read. 'linear-srgb' (default, FloatImage is linear by contract): clamp to [0,1] and
   * sRGB-encode, i.e. compare what toRgba8() would display. 'stored': use values / dataRange as they are.
   * 8/16-bit images are always read as stored (they are already display-encoded).
   */
  floatEncoding?: 'linear-srgb' | 'stored';
  /** Compare only this rectangle of both images. */
  crop?: Crop;
  /** Per-pixel maps to return: 'ssimLuma' and/or 'flip'. */
  maps?: ('ssimLuma' | 'flip')[];
  /** FLIP pixels per degree; default 67.0206 (0.7 m from a 0.7 m wide 3840-pixel display). */
  ppd?: number;
  /**
   * For a reference that is itself a Monte Carlo render: an estimate of its noise, RGBA floats of the reference's
   * size, signed, in the normalised display units the metrics compare (1 = full range), such as half the difference
   * of two independent half-sample renders whose mean is the reference (image/noise.ts). PSNR and SSIM then judge
   * the test against the noise-free reference in expectation: each MSE loses the noise's mean square and each SSIM
   * window's reference variance loses the noise's. FLIP is not corrected; MS-SSIM refuses it.
   */
  referenceNoise?: MetricMap;
  /**
   * 'cpu' (default) gives results that are bit-identical on every x86-64 node and any thread count; 'cuda' or
   * 'auto' is faster but agrees with the CPU only to ~1e-6.
   */
  backend?: Backend;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface MetricMap {
  width: number;
  height: number;
  /** One value per pixel, row-major, top row first. */
  data: Float32Array;
}

export interface MetricsResult {
  width: number;
  height: number;
  backend: 'cpu' | 'cuda';
  /** dB over R, G and B together; Infinity when the images are identical. */
  psnr?: number;
  psnrChannels?: [number, number, number];
  mse?: number;
  /** Mean of the per-channel SSIM (scikit-image `channel_axis` semantics). */
  ssim?: number;
  ssimChannels?: [number, number, number];
  /** SSIM on BT.601 luma: the SSIM the verdicts use (see VERDICT_SSIM). */
  ssimLuma?: number;
  msssim?: number;
  msssimScales?: number[];
  /** Mean LDR-FLIP error in [0, 1]. */
  flip?: number;
  /** Values from plugged-in providers (e.g. lpips, vmaf). */
  [metric: string]: unknown;
  maps?: { ssimLuma?: MetricMap; flip?: MetricMap };
}
