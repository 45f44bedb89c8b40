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

/** srgbToLinear of each 8-bit code value (code / 255), exact per code: no pow per texel where bytes are at hand. */
export const SRGB8_TO_LINEAR: Float32Array = Float32Array.from({ length: 256 }, (_, i) => srgbToLinear(i / 255));

let srgb16ToLinear: Float32Array | undefined;
/**
 * srgbToLinear of a value a decoder stored as code / 255 or code / 65535 (8- or 16-bit PNG), from a table of every
 * 16-bit code (an 8-bit code c is 257·c there); any other value is computed. Reading a scene's lightmap pages back
 * (render/scene-lightmaps.ts) with Math.pow took 311–365 ms per 1024² RGB page, 73–109 ms by table (2026-12-07);
 * a verifier node reads every page of every candidate it renders.
 */
export function storedSrgbToLinear(v: number): number {
  const k = Math.round(v * 65535);
  if (!(k >= 0 && k <= 65535 && Math.abs(v * 65535 - k) < 0.01)) return srgbToLinear(v);
  if (!srgb16ToLinear) srgb16ToLinear = Float32Array.from({ length: 65536 }, (_, i) => srgbToLinear(i / 65535));
  return srgb16ToLinear[k];
}

export type ToneMap = 'clamp' | 'aces';

/** ACES filmic approximation (Narkowicz 2015): keeps highlights from clipping in previews and comparisons. */
export function aces(x: number): number {
  return Math.max(0, Math.min(1, (x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14)));
}

/**
 * The linear input that `aces` maps to y in [0, 1] (y = 1 gives the smallest input that reaches 1, about 7.24).
 * The curve is a ratio of quadratics, so this is the positive root of (2.43y − 2.51)x² + (0.59y − 0.03)x + 0.14y,
 * in whichever of the two equivalent forms avoids cancellation.
 */
export function acesInverse(y: number): number {
  const t = Math.max(0, Math.min(1, y));
  const a = 2.43 * t - 2.51,
    b = 0.59 * t - 0.03,
    c = 0.14 * t;
  const s = Math.sqrt(b * b - 4 * a * c);
  return b > 0 ? (b + s) / (-2 * a) : (2 * c) / (s - b || 1);
}

/**
 * One channel of linear radiance as displayed: × 2^exposure, the ACES curve, sRGB-encoded; in [0, 1]. The
 * previews, the checks and the splat colours (scene/gaussians.ts) all use this curve.
 */
export function toDisplayValue(c: number, exposure: number): number {
  return linearToSrgb(aces(c * 2 ** exposure));
}

/** The linear radiance that `toDisplayValue` shows as v (v clamped to [0, 1]). */
export function fromDisplayValue(v: number, exposure: number): number {
  return acesInverse(srgbToLinear(Math.max(0, Math.min(1, v)))) / 2 ** exposure;
}

/** Each colour channel of an image through `f` (alpha kept): a new image. */
export function mapColour(img: FloatImage, f: (c: number) => number): FloatImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? img.data[i] : f(img.data[i]);
  return { width: img.width, height: img.height, data };
}

/**
 * A linear render whose alpha is coverage, shown over black as 3DGS viewers show splats: every colour channel, the
 * premultiplied edge pixels included, through `toDisplayValue`; alpha kept. Viewers (Spark, three.js, SuperSplat)
 * blend splats in display space, and 3DGS trains on photos whose edge pixels are the display value of a linear mix;
 * splats trained on targets of this form show the reference's edges over black, and a splat layer of them decoded
 * back to linear (fromDisplayImage) is coverage × radiance, which composites over meshes as light mixes
 * (render/hybrid.ts). A half-covered pixel reads brighter here than its surface colour's display value times its
 * coverage (the curve is concave).
 */
export function toDisplayImage(img: FloatImage, exposure: number): FloatImage {
  return mapColour(img, (c) => toDisplayValue(c, exposure));
}

/** The inverse of toDisplayImage: what a display-space blend over black (a splat render) shows, as linear radiance. */
export function fromDisplayImage(img: FloatImage, exposure: number): FloatImage {
  return mapColour(img, (v) => fromDisplayValue(v, exposure));
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

/** Display-referred values (already encoded: splat renders) as 8-bit RGBA, with no transfer function. */
export function displayToRgba8(img: FloatImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.max(0, Math.min(1, img.data[i])) * 255);
  return out;
}
