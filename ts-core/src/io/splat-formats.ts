/**
 * Compact splat formats, and loading/saving any supported format by extension.
 *
 * - antimatter15 `.splat`: 32 bytes per Gaussian, no header: position 3 x f32, linear scale 3 x f32, RGBA u8
 *   (colour = 0.5 + C0 * dc, alpha = opacity), rotation 4 x u8 (w x y z, (q + 1) * 128). SH degree 0 only.
 * - Niantic `.spz` (version 3 written; 2 and 3 read): gzip of a 16-byte header (magic "NGSP", version, count,
 *   SH degree, fractional bits, flags) then attribute planes: 24-bit fixed-point positions, u8 alpha, u8 colour
 *   (dc * 0.15 + 0.5), u8 log scale ((s + 10) * 16), rotation (v2: xyz u8 with w >= 0; v3: smallest three in
 *   32 bits, ~0.1 degree, where v2 loses up to 10 degrees near w = 0), u8 SH (coefficient-major, rgb inner; 5 bits for degree 1, 4 bits above). Coordinates are stored
 *   as the scene has them (glTF: right, up, back, which is spz's own convention).
 *
 * Each format round-trips exactly within its quantization (see ts-core/test/splat/formats.test.ts).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { inputError, OteError } from '../errors.js';
import {
  createModel,
  invalidGaussian,
  logit,
  rgbToDc,
  dcToRgb,
  shCoeffs,
  sigmoid,
  withShDegree,
  type GaussianModel,
} from '../scene/gaussians.js';
import { writeFileAtomic } from './atomic-write.js';
import { decodeSplatPly, encodeSplatPly } from './splat-ply.js';

const u8 = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function normQuat(m: GaussianModel, i: number): [number, number, number, number] {
  const q: [number, number, number, number] = [
    m.quats[4 * i],
    m.quats[4 * i + 1],
    m.quats[4 * i + 2],
    m.quats[4 * i + 3],
  ];
  const l = Math.hypot(...q) || 1;
  return [q[0] / l, q[1] / l, q[2] / l, q[3] / l];
}

// ---------------------------------------------------------------------------------------------------------------
// .splat
export function encodeDotSplat(m: GaussianModel): Uint8Array {
  const out = new Uint8Array(32 * m.count),
    view = new DataView(out.buffer);
  const K = shCoeffs(m.shDegree);
  for (let i = 0; i < m.count; i++) {
    const o = 32 * i;
    for (let a = 0; a < 3; a++) view.setFloat32(o + 4 * a, m.means[3 * i + a], true);
    for (let a = 0; a < 3; a++) view.setFloat32(o + 12 + 4 * a, Math.exp(m.logScales[3 * i + a]), true);
    for (let c = 0; c < 3; c++) out[o + 24 + c] = u8(dcToRgb(m.sh[3 * K * i + c]) * 255);
    out[o + 27] = u8(sigmoid(m.opacity[i]) * 255);
    const q = normQuat(m, i);
    for (let a = 0; a < 4; a++) out[o + 28 + a] = u8(q[a] * 128 + 128);
  }
  return out;
}

export function decodeDotSplat(bytes: Uint8Array, file?: string): GaussianModel {
  if (bytes.length % 32)
    throw inputError(file, 'size', `${bytes.length} bytes is not a multiple of 32 (one .splat record)`);
  const n = bytes.length / 32,
    m = createModel(n, 0),
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const o = 32 * i;
    for (let a = 0; a < 3; a++) m.means[3 * i + a] = view.getFloat32(o + 4 * a, true);
    for (let a = 0; a < 3; a++)
      m.logScales[3 * i + a] = Math.log(Math.max(1e-30, view.getFloat32(o + 12 + 4 * a, true)));
    for (let c = 0; c < 3; c++) m.sh[3 * i + c] = rgbToDc(bytes[o + 24 + c] / 255);
    m.opacity[i] = logit(bytes[o + 27] / 255);
    for (let a = 0; a < 4; a++) m.quats[4 * i + a] = (bytes[o + 28 + a] - 128) / 128;
  }
  const bad = invalidGaussian(m);
  if (bad) throw inputError(file, `splat[${bad.index}]`, bad.problem);
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// .spz
const SPZ_MAGIC = 0x5053474e,
  SPZ_COLOR_SCALE = 0.15;

function shBits(k: number): number {
  return k < 4 ? 5 : 4; // coefficient index k >= 1: degree 1 are k = 1..3
}
function quantizeSh(x: number, bits: number): number {
  const bucket = 1 << (8 - bits);
  const q = Math.round(x * 128 + 128);
  return Math.max(0, Math.min(255, Math.floor((q + bucket / 2) / bucket) * bucket));
}

/** Fractional bits for the 24-bit positions: as many as the largest coordinate allows (at most 16). */
export function spzFractionalBits(m: GaussianModel): number {
  let max = 0;
  for (let i = 0; i < m.means.length; i++) max = Math.max(max, Math.abs(m.means[i]));
  let bits = 16;
  while (bits > 0 && max * (1 << bits) > 0x7fffff - 1) bits--;
  return bits;
}

export function encodeSpz(m: GaussianModel, opts: { antialiased?: boolean } = {}): Uint8Array {
  const N = m.count,
    deg = m.shDegree,
    K = shCoeffs(deg),
    rest = K - 1,
    frac = spzFractionalBits(m);
  const size = 16 + N * (9 + 1 + 3 + 3 + 4 + 3 * rest);
  const out = new Uint8Array(size),
    view = new DataView(out.buffer);
  view.setUint32(0, SPZ_MAGIC, true);
  view.setUint32(4, 3, true);
  view.setUint32(8, N, true);
  out[12] = deg;
  out[13] = frac;
  out[14] = opts.antialiased ? 1 : 0;
  out[15] = 0;
  let o = 16;
  const scale = 1 << frac;
  for (let i = 0; i < 3 * N; i++) {
    const v = Math.max(-0x7fffff, Math.min(0x7fffff, Math.round(m.means[i] * scale)));
    out[o++] = v & 0xff;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = (v >> 16) & 0xff;
  }
  for (let i = 0; i < N; i++) out[o++] = u8(sigmoid(m.opacity[i]) * 255);
  for (let i = 0; i < N; i++)
    for (let c = 0; c < 3; c++) out[o++] = u8(m.sh[3 * K * i + c] * SPZ_COLOR_SCALE * 255 + 0.5 * 255);
  for (let i = 0; i < 3 * N; i++) out[o++] = u8((m.logScales[i] + 10) * 16);
  for (let i = 0; i < N; i++) {
    // Smallest three (x y z w order): the largest component is implied; the others get 9 bits and a sign.
    const [w, x, y, z] = normQuat(m, i);
    let q = [x, y, z, w],
      largest = 0;
    for (let a = 1; a < 4; a++) if (Math.abs(q[a]) > Math.abs(q[largest])) largest = a;
    if (q[largest] < 0) q = q.map((v) => -v);
    let packed = largest;
    for (let a = 0; a < 4; a++) {
      if (a === largest) continue;
      const mag = Math.min(511, Math.round((511 * Math.abs(q[a])) / Math.SQRT1_2));
      packed = ((packed << 10) | ((q[a] < 0 ? 1 : 0) << 9) | mag) >>> 0;
    }
    view.setUint32(o, packed, true);
    o += 4;
  }
  for (let i = 0; i < N; i++)
    for (let k = 1; k < K; k++)
      for (let c = 0; c < 3; c++) out[o++] = quantizeSh(m.sh[3 * K * i + 3 * k + c], shBits(k));
  return gzipSync(out, { level: 9 });
}

export function decodeSpz(compressed: Uint8Array, file?: string): GaussianModel {
  let b: Uint8Array;
  try {
    b = gunzipSync(compressed);
  } catch (e) {
    throw inputError(file, 'gzip', `not a gzip stream: ${(e as Error).message}`);
  }
  if (b.length < 16) throw inputError(file, 'header', 'shorter than the 16-byte header');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(0, true) !== SPZ_MAGIC)
    throw inputError(file, 'header.magic', 'not an spz file (magic is not NGSP)');
  const version = view.getUint32(4, true),
    N = view.getUint32(8, true),
    deg = b[12],
    frac = b[13];
  if (version < 2 || version > 3)
    throw inputError(file, 'header.version', `version ${version} is not supported (2 or 3)`);
  if (deg > 3) throw inputError(file, 'header.shDegree', `SH degree ${deg} is not in 0..3`);
  const K = shCoeffs(deg),
    qBytes = version >= 3 ? 4 : 3;
  const need = 16 + N * (9 + 1 + 3 + 3 + qBytes + 3 * (K - 1));
  if (b.length < need) throw inputError(file, 'data', `truncated: ${N} Gaussians need ${need} bytes, got ${b.length}`);
  const m = createModel(N, deg);
  let o = 16;
  const inv = 2 ** -frac; // not 1 / (1 << frac): a shift by 31 or more bits wraps (the byte may hold up to 255)
  for (let i = 0; i < 3 * N; i++, o += 3) {
    let v = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
    if (v & 0x800000) v |= ~0xffffff;
    m.means[i] = v * inv;
  }
  for (let i = 0; i < N; i++) m.opacity[i] = logit(b[o++] / 255);
  for (let i = 0; i < N; i++) for (let c = 0; c < 3; c++) m.sh[3 * K * i + c] = (b[o++] / 255 - 0.5) / SPZ_COLOR_SCALE;
  for (let i = 0; i < 3 * N; i++) m.logScales[i] = b[o++] / 16 - 10;
  for (let i = 0; i < N; i++) {
    if (version >= 3) {
      // Smallest three: 2-bit index of the largest component, then three 10-bit values (9 bits + sign).
      const packed = view.getUint32(o, true);
      o += 4;
      const largest = packed >>> 30,
        q = [0, 0, 0, 0];
      let bits = packed,
        sum = 0;
      for (let a = 3; a >= 0; a--) {
        if (a === largest) continue;
        const mag = bits & 511,
          neg = (bits >>> 9) & 1;
        bits >>>= 10;
        q[a] = Math.SQRT1_2 * (mag / 511) * (neg ? -1 : 1);
        sum += q[a] * q[a];
      }
      q[largest] = Math.sqrt(Math.max(0, 1 - sum));
      // v3 stores x y z w; ours is w x y z.
      m.quats.set([q[3], q[0], q[1], q[2]], 4 * i);
    } else {
      const x = b[o] / 127.5 - 1,
        y = b[o + 1] / 127.5 - 1,
        z = b[o + 2] / 127.5 - 1;
      o += 3;
      m.quats.set([Math.sqrt(Math.max(0, 1 - x * x - y * y - z * z)), x, y, z], 4 * i);
    }
  }
  for (let i = 0; i < N; i++)
    for (let k = 1; k < K; k++) for (let c = 0; c < 3; c++) m.sh[3 * K * i + 3 * k + c] = (b[o++] - 128) / 128;
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
export type SplatFormat = 'ply' | 'splat' | 'spz';

export function splatFormatOf(path: string): SplatFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.ply') return 'ply';
  if (ext === '.splat') return 'splat';
  if (ext === '.spz') return 'spz';
  throw new OteError('BAD_INPUT', `unknown splat format "${ext || '(none)'}": use .ply, .splat or .spz`, {
    file: path,
  });
}

export function encodeSplats(m: GaussianModel, format: SplatFormat): Uint8Array {
  // PLY always carries the full 62-property layout (SH 3, zero-padded): what every 3DGS viewer expects.
  if (format === 'ply')
    return encodeSplatPly(withShDegree(m, 3), [
      'generated by ote (3DGS layout; log scales, logit opacity, rot w x y z)',
    ]);
  if (format === 'splat') return encodeDotSplat(withShDegree(m, 0));
  return encodeSpz(m);
}

export function decodeSplats(bytes: Uint8Array, format: SplatFormat, file?: string): GaussianModel {
  if (format === 'ply') return decodeSplatPly(bytes, file);
  if (format === 'splat') return decodeDotSplat(bytes, file);
  return decodeSpz(bytes, file);
}

export async function loadSplats(path: string): Promise<GaussianModel> {
  const format = splatFormatOf(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new OteError('BAD_INPUT', `cannot read: ${(e as Error).message}`, { file: path });
  }
  return decodeSplats(bytes, format, path);
}

/** Write atomically in the format the extension names; returns the byte size. */
export async function saveSplats(m: GaussianModel, path: string): Promise<number> {
  const bytes = encodeSplats(m, splatFormatOf(path));
  await writeFileAtomic(path, bytes);
  return bytes.length;
}
