/**
 * The pixels a person judges: the producer's own check and the verifier compare images as displayed, after the
 * same box filter, exposure and tone curve. One module, so both sides judge the same pixels.
 */
import { toRgba8, type FloatImage } from './float-image.js';

/** 2×2 box downsample of a linear image: averaging four pixels halves the path tracer's Monte Carlo noise. */
export function halve(img: FloatImage): FloatImage {
  const w = img.width >> 1,
    h = img.height >> 1,
    data = new Float32Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 4; c++) {
        const a = (2 * y * img.width + 2 * x) * 4 + c,
          b = a + img.width * 4;
        data[(y * w + x) * 4 + c] = (img.data[a] + img.data[a + 4] + img.data[b] + img.data[b + 4]) / 4;
      }
  return { width: w, height: h, data };
}

/** An 8-bit display image (the metrics' input): exposure in stops, ACES, sRGB; alpha forced opaque when asked. */
export interface DisplayImage {
  width: number;
  height: number;
  bitDepth: 8;
  data: Uint8Array;
}

export function display(img: FloatImage, opts: { exposure?: number; opaque?: boolean } = {}): DisplayImage {
  const data = toRgba8(img, { toneMap: 'aces', exposure: opts.exposure ?? 0 });
  if (opts.opaque) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: img.width, height: img.height, bitDepth: 8, data };
}

/** Rec. 709 luma of linear or display RGB. */
export const luma = (r: number, g: number, b: number) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

/** Key value of auto exposure: the log-average luminance is mapped to middle grey (Reinhard et al. 2002). */
export const MIDDLE_GREY = 0.18;

/**
 * Stops of exposure that map the image's log-average luminance (over covered pixels with any light) to middle
 * grey, clamped to ±16 stops. A black image gets 0: nothing can expose it, and it is not evidence anyway.
 */
export function autoExposure(img: FloatImage): number {
  let sum = 0,
    n = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const l = luma(img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]);
    if (l > 1e-6 && Number.isFinite(l)) {
      sum += Math.log(l);
      n++;
    }
  }
  // Mostly black frames (a few lit pixels) must not be blown up to grey: count dark pixels as very dark.
  if (n < 0.02 * img.width * img.height) return 0;
  const key = Math.exp(sum / n);
  return Math.max(-16, Math.min(16, Math.log2(MIDDLE_GREY / key)));
}

/** What a displayed view shows: its mean and standard deviation of 8-bit luma. */
export function displayStats(img: DisplayImage): { mean: number; std: number } {
  let s = 0,
    s2 = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const l = luma(img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]);
    s += l;
    s2 += l * l;
  }
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)) };
}

/**
 * A view that shows nothing to judge: black (mean luma under 3 of 255) or flat (standard deviation under 2 of
 * 255: one colour, such as empty sky). Comparing two such images says nothing about the artifact.
 */
export function isUninformative(img: DisplayImage): boolean {
  const s = displayStats(img);
  return s.mean < 3 || s.std < 2;
}
