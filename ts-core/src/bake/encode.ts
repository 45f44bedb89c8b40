/**
 * Lightmap encodings, in plain TypeScript (no Node builtins):
 * - `encodeExr`: OpenEXR 2.0, scanline, uncompressed, half-float RGBA — the HDR store every engine can import;
 * - `encodeRgbm`: RGBM 8-bit (rgb / (M × range), M in alpha), the 8-bit HDR encoding of Unity and others;
 * - `encodeScaled8`: 8-bit sRGB-encoded RGB of the page divided by a scale, for glTF viewers that sample the
 *   lightmap as a colour texture (three.js `lightMap` with colorSpace sRGB and MOZ_lightmap intensity = scale × π;
 *   see bake/writeback.ts). The sRGB curve spends its codes where the eye sees steps: a linear 8-bit page whose
 *   scale a bright hotspot sets leaves the walls on 3–5 codes, and per-channel rounding turns them into coloured
 *   blotches.
 */
import { linearToSrgb, type FloatImage } from '../image/float-image.js';

/** IEEE 754 binary16 from a float (round to nearest even, with overflow to infinity and subnormals). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1),
      half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

export function encodeExr(img: FloatImage): Uint8Array {
  const { width: W, height: H } = img;
  const header: number[] = [];
  const str = (s: string) => {
    for (const ch of s) header.push(ch.charCodeAt(0));
    header.push(0);
  };
  const u32 = (v: number) => header.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const f32 = (v: number) => {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    header.push(...b);
  };
  const attr = (name: string, type: string, bytes: () => void, size: number) => {
    str(name);
    str(type);
    u32(size);
    bytes();
  };
  u32(20000630); // magic
  u32(2); // version 2, scanline, single part
  // Channels sorted alphabetically: A, B, G, R; HALF (1); pLinear 0; reserved; sampling 1,1.
  const channels = ['A', 'B', 'G', 'R'];
  attr(
    'channels',
    'chlist',
    () => {
      for (const c of channels) {
        str(c);
        u32(1);
        header.push(0, 0, 0, 0);
        u32(1);
        u32(1);
      }
      header.push(0);
    },
    channels.length * 18 + 1,
  );
  attr('compression', 'compression', () => header.push(0), 1);
  attr(
    'dataWindow',
    'box2i',
    () => {
      u32(0);
      u32(0);
      u32(W - 1);
      u32(H - 1);
    },
    16,
  );
  attr(
    'displayWindow',
    'box2i',
    () => {
      u32(0);
      u32(0);
      u32(W - 1);
      u32(H - 1);
    },
    16,
  );
  attr('lineOrder', 'lineOrder', () => header.push(0), 1);
  attr('pixelAspectRatio', 'float', () => f32(1), 4);
  attr(
    'screenWindowCenter',
    'v2f',
    () => {
      f32(0);
      f32(0);
    },
    8,
  );
  attr('screenWindowWidth', 'float', () => f32(1), 4);
  header.push(0); // end of header
  const lineBytes = W * 2 * 4;
  const tableStart = header.length;
  const out = new Uint8Array(tableStart + 8 * H + H * (8 + lineBytes));
  out.set(header);
  const dv = new DataView(out.buffer);
  let off = tableStart + 8 * H;
  for (let y = 0; y < H; y++) {
    dv.setBigUint64(tableStart + 8 * y, BigInt(off), true);
    dv.setInt32(off, y, true);
    dv.setInt32(off + 4, lineBytes, true);
    let p = off + 8;
    for (const c of [3, 2, 1, 0]) // A B G R
      for (let x = 0; x < W; x++, p += 2) dv.setUint16(p, toHalf(img.data[4 * (y * W + x) + c]), true);
    off += 8 + lineBytes;
  }
  return out;
}

/** RGBM with the given range (default 8): rgb = rgbm.rgb × rgbm.a × range; values stored with an sRGB-free ramp. */
export function encodeRgbm(img: FloatImage, range = 8): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    const r = img.data[4 * i] / range,
      g = img.data[4 * i + 1] / range,
      b = img.data[4 * i + 2] / range;
    let m = Math.min(1, Math.max(r, g, b, 1e-6));
    m = Math.ceil(m * 255) / 255;
    out[4 * i] = Math.round(Math.min(1, r / m) * 255);
    out[4 * i + 1] = Math.round(Math.min(1, g / m) * 255);
    out[4 * i + 2] = Math.round(Math.min(1, b / m) * 255);
    out[4 * i + 3] = Math.round(m * 255);
  }
  return out;
}

/** The scale for `encodeScaled8`: the 99.9th percentile of the brightest channel, so a few hot texels do not crush the rest. */
export function lightmapScale(img: FloatImage): number {
  const v: number[] = [];
  for (let i = 0; i < img.width * img.height; i++)
    v.push(Math.max(img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]));
  v.sort((a, b) => a - b);
  return Math.max(1e-6, v[Math.min(v.length - 1, Math.floor(0.999 * v.length))] ?? 1);
}

/** sRGB-encoded 8-bit RGB of rgb / scale (clamped); alpha carries AO, linear. */
export function encodeScaled8(img: FloatImage, scale: number): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++)
      out[4 * i + c] = Math.round(linearToSrgb(Math.min(1, Math.max(0, img.data[4 * i + c] / scale))) * 255);
    out[4 * i + 3] = Math.round(Math.min(1, Math.max(0, img.data[4 * i + 3])) * 255);
  }
  return out;
}
