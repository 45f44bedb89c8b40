/** The built-in metric provider: PSNR, SSIM, SSIM on luma, MS-SSIM and LDR-FLIP from the native addon, in one pass. */
import { OteError } from '../errors.js';
import { computeImageMetricsNative, type NativeImage } from '../native/metrics.js';
import type { MetricProvider, ProviderRequest, ProviderResult } from './registry.js';
import type { MetricImage, MetricInfo, MetricMap } from './types.js';

export const NATIVE_METRICS: MetricInfo[] = [
  {
    id: 'psnr',
    name: 'PSNR',
    unit: 'dB',
    better: 'higher',
    description: 'peak signal-to-noise ratio over R, G and B; data range stated explicitly',
    reference: 'scikit-image peak_signal_noise_ratio',
  },
  {
    id: 'ssim',
    name: 'SSIM (RGB mean)',
    unit: 'index',
    better: 'higher',
    description: 'mean of per-channel SSIM, 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, valid region',
    reference: 'Wang et al. 2004; scikit-image structural_similarity(gaussian_weights=True, channel_axis)',
  },
  {
    id: 'ssimLuma',
    name: 'SSIM (luma)',
    unit: 'index',
    better: 'higher',
    description: 'SSIM on BT.601 luma Y = 0.299R + 0.587G + 0.114B',
    reference: 'Wang et al. 2004',
  },
  {
    id: 'msssim',
    name: 'MS-SSIM',
    unit: 'index',
    better: 'higher',
    description: '5-scale MS-SSIM on luma, weights 0.0448 0.2856 0.3001 0.2363 0.1333, 2x2 box downsampling',
    reference: 'Wang, Simoncelli, Bovik 2003',
  },
  {
    id: 'flip',
    name: 'LDR-FLIP',
    unit: 'error',
    better: 'lower',
    description: 'mean LDR-FLIP error at 67.02 pixels per degree by default',
    reference: 'Andersson et al. 2020; NVIDIA FLIP tool v1.6',
  },
];

function isFloat(img: MetricImage): boolean {
  return img.data instanceof Float32Array;
}

/** A crop of `img` as a zero-copy view: the data starts at the crop origin and rows keep the full stride. */
function nativeView(img: MetricImage, req: ProviderRequest, which: string): NativeImage {
  const c = req.crop ?? { x: 0, y: 0, width: img.width, height: img.height };
  const channels = 4;
  const start = (c.y * img.width + c.x) * channels;
  const end = ((c.y + c.height - 1) * img.width + c.x + c.width) * channels;
  if (img.data.length < img.width * img.height * channels)
    throw new OteError(
      'BAD_INPUT',
      `${which} image data has ${img.data.length} values, ${img.width * img.height * channels} expected for ${img.width}x${img.height} RGBA`,
    );
  const data = img.data.subarray(start, end) as NativeImage['data'];
  const view: NativeImage = { data, width: c.width, height: c.height, channels, rowStride: img.width };
  if (isFloat(img)) {
    view.encoding = req.floatEncoding;
    if (req.dataRange !== undefined) view.dataRange = req.dataRange;
  } else {
    view.encoding = 'stored';
    // An explicit data range applies to integer images only when both images are integers (e.g. 10-bit in 16).
    if (req.dataRange !== undefined) view.dataRange = req.dataRange;
  }
  return view;
}

export const nativeMetricsProvider: MetricProvider = {
  name: 'native',
  metrics: NATIVE_METRICS,
  unavailableReason: () => null,
  async compute(reference, test, req): Promise<ProviderResult> {
    const want = new Set(req.metrics);
    const c = req.crop ?? { x: 0, y: 0, width: reference.width, height: reference.height };
    const n = c.width * c.height;
    const maps: { ssimLuma?: Float32Array; flip?: Float32Array } = {};
    for (const m of req.maps) maps[m] = new Float32Array(n);
    const r = await computeImageMetricsNative(nativeView(reference, req, 'reference'), nativeView(test, req, 'test'), {
      psnr: want.has('psnr'),
      ssimRgb: want.has('ssim'),
      ssimLuma: want.has('ssimLuma'),
      msssim: want.has('msssim'),
      flip: want.has('flip'),
      ppd: req.ppd,
      referenceNoise: req.referenceNoise && {
        ...nativeView(req.referenceNoise, req, 'referenceNoise'),
        encoding: 'stored',
        dataRange: 1,
      },
      backend: req.backend,
      maps,
      signal: req.signal,
      onProgress: req.onProgress,
    });
    const values: Record<string, unknown> = {};
    if (r.psnr !== undefined) Object.assign(values, { psnr: r.psnr, psnrChannels: r.psnrChannels, mse: r.mse });
    if (r.ssimRgb !== undefined) Object.assign(values, { ssim: r.ssimRgb, ssimChannels: r.ssimChannels });
    if (r.ssimLuma !== undefined) values.ssimLuma = r.ssimLuma;
    if (r.msssim !== undefined) Object.assign(values, { msssim: r.msssim, msssimScales: r.msssimScales });
    if (r.flip !== undefined) values.flip = r.flip;
    if (r.kernelMs !== undefined) values.kernelMs = r.kernelMs;
    const outMaps: Record<string, MetricMap> = {};
    for (const [k, data] of Object.entries(maps)) outMaps[k] = { width: c.width, height: c.height, data };
    return { backend: r.backend, values, maps: outMaps };
  },
};
