/**
 * The image type that renderers produce and metrics consume: linear RGBA float, row-major, top row first.
 * Conversions to display-referred 8-bit (sRGB, with optional tone mapping) live here too, once.
 */
export interface FloatImage {
  width: number;
  height: number;
  /** 4 floats per pixel: linear RGB and alpha (or coverage). */
  data: Float32Array;
}

export function createImage(width: number, height: number): FloatImage {
  return { width, height, data: new Float32Array(width * height * 4) };
}

/** Linear to sRGB transfer function (IEC 61966-2-1). */
export function linearToSrgb(c: number): number {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
}

export function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

export type ToneMap = 'clamp' | 'aces';

/** ACES filmic approximation (Narkowicz 2015): keeps highlights from clipping in previews and comparisons. */
function aces(x: number): number {
  return Math.max(0, Math.min(1, (x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14)));
}

/** Display-referred 8-bit RGBA: exposure, tone map, sRGB encode. Alpha is written as coverage (×255). */
export function toRgba8(img: FloatImage, opts: { exposure?: number; toneMap?: ToneMap } = {}): Uint8Array {
  const k = 2 ** (opts.exposure ?? 0),
    tm = opts.toneMap ?? 'clamp';
  const out = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) {
      let v = img.data[i * 4 + c] * k;
      v = tm === 'aces' ? aces(v) : Math.max(0, Math.min(1, v));
      out[i * 4 + c] = Math.round(linearToSrgb(v) * 255);
    }
    out[i * 4 + 3] = Math.round(Math.max(0, Math.min(1, img.data[i * 4 + 3])) * 255);
  }
  return out;
}
