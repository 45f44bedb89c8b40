/**
 * OpenEXR read/write for FloatImage, through three.js's EXRLoader (uncompressed, RLE, ZIP, ZIPS, PIZ, PXR24, B44,
 * DWA; half/float/uint) and EXRExporter (half or float, uncompressed or ZIP). three works with bottom-up rows, so
 * rows are flipped at this boundary: FloatImage is top row first, like every image in the core.
 */
import { DataTexture, FloatType, HalfFloatType, RGBAFormat, RGFormat, RedFormat } from 'three';
import { EXRLoader } from 'three/examples/jsm/loaders/EXRLoader.js';
import { EXRExporter, NO_COMPRESSION, ZIP_COMPRESSION } from 'three/examples/jsm/exporters/EXRExporter.js';
import { OteError } from '../errors.js';
import { createImage, type FloatImage } from '../image/float-image.js';

export const EXR_MAGIC = [0x76, 0x2f, 0x31, 0x01];

export function isExr(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && EXR_MAGIC.every((b, i) => bytes[i] === b);
}

function flipRowsInto(src: Float32Array, width: number, height: number, srcChannels: number, dst: FloatImage): void {
  for (let y = 0; y < height; y++) {
    const s = (height - 1 - y) * width * srcChannels,
      d = y * width * 4;
    for (let x = 0; x < width; x++) {
      const i = s + x * srcChannels,
        o = d + x * 4;
      if (srcChannels === 4) {
        for (let c = 0; c < 4; c++) dst.data[o + c] = src[i + c];
      } else if (srcChannels === 2) {
        dst.data[o] = src[i];
        dst.data[o + 1] = src[i + 1];
        dst.data[o + 2] = 0;
        dst.data[o + 3] = 1;
      } else {
        // a single channel (Y or R) is grey
        dst.data.fill(src[i], o, o + 3);
        dst.data[o + 3] = 1;
      }
    }
  }
}

/**
 * Walk the header with bounds checks before three.js sees the bytes: its parser loops forever on an unterminated
 * string, so a truncated or corrupt file must be rejected here. Returns a reason, or null when the header is sound.
 */
export function checkExrHeader(bytes: Uint8Array): string | null {
  if (bytes.length < 8) return 'file is shorter than the OpenEXR magic number and version';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = dv.getUint32(4, true);
  if ((flags & 0xff) !== 2) return `unsupported OpenEXR version ${flags & 0xff}`;
  if (flags & 0x200) return 'tiled OpenEXR files are not supported (scanline only)';
  if (flags & 0x800) return 'deep OpenEXR files are not supported';
  if (flags & 0x1000) return 'multi-part OpenEXR files are not supported';
  let o = 8;
  const cstring = (max: number): string | null => {
    const end = bytes.indexOf(0, o);
    if (end < 0 || end - o > max) return null;
    const str = new TextDecoder().decode(bytes.subarray(o, end));
    o = end + 1;
    return str;
  };
  const seen = new Map<string, { type: string; at: number; size: number }>();
  for (;;) {
    if (o >= bytes.length) return 'header is truncated (no end-of-header byte)';
    if (bytes[o] === 0) {
      o++;
      break;
    }
    const name = cstring(255),
      type = name === null ? null : cstring(255);
    if (name === null || type === null) return 'header has an unterminated attribute name or type';
    if (o + 4 > bytes.length) return `header is truncated in attribute '${name}'`;
    const size = dv.getUint32(o, true);
    o += 4;
    if (o + size > bytes.length) return `header is truncated in attribute '${name}' (${size} bytes declared)`;
    seen.set(name, { type, at: o, size });
    o += size;
  }
  for (const req of ['channels', 'compression', 'dataWindow', 'displayWindow', 'lineOrder'])
    if (!seen.has(req)) return `header lacks the required '${req}' attribute`;
  const ch = seen.get('channels')!;
  if (ch.size < 1 || bytes[ch.at + ch.size - 1] !== 0) return "the 'channels' attribute is malformed";
  const dw = seen.get('dataWindow')!;
  if (dw.size !== 16) return "the 'dataWindow' attribute is malformed";
  const w = dv.getInt32(dw.at + 8, true) - dv.getInt32(dw.at, true) + 1;
  const h = dv.getInt32(dw.at + 12, true) - dv.getInt32(dw.at + 4, true) + 1;
  if (!(w > 0 && h > 0)) return `data window is empty (${w}x${h})`;
  const comp = bytes[seen.get('compression')!.at];
  const lines = [1, 1, 1, 16, 32, 16, 32, 32, 256, 16][comp] ?? 0;
  if (!lines) return `unknown compression ${comp}`;
  if (o + Math.ceil(h / lines) * 8 > bytes.length) return 'file is truncated (the scanline offset table does not fit)';
  return null;
}

/** Decode an EXR file's first part to linear RGBA float. `file` only names the file in errors. */
export function decodeExr(bytes: Uint8Array, file?: string): FloatImage {
  if (!isExr(bytes)) throw new OteError('BAD_INPUT', 'not an OpenEXR file (bad magic number)', { file });
  const bad = checkExrHeader(bytes);
  if (bad) throw new OteError('BAD_INPUT', `cannot decode OpenEXR: ${bad}`, { file });
  const loader = new EXRLoader();
  loader.setDataType(FloatType);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let parsed: { width: number; height: number; data: Float32Array | Uint16Array; format: number; type: number };
  const origError = console.error;
  let logged = '';
  console.error = (...a: unknown[]) => {
    logged += `${a.map(String).join(' ')} `;
  }; // the loader logs, then throws
  try {
    parsed = loader.parse(buffer) as unknown as typeof parsed;
  } catch (e) {
    throw new OteError(
      'BAD_INPUT',
      `cannot decode OpenEXR: ${(e as Error).message}${logged ? ` (${logged.trim()})` : ''}`,
      { file },
    );
  } finally {
    console.error = origError;
  }
  const channels =
    parsed.format === RGBAFormat ? 4 : parsed.format === RGFormat ? 2 : parsed.format === RedFormat ? 1 : 0;
  if (!channels || !(parsed.data instanceof Float32Array))
    throw new OteError('BAD_INPUT', `unsupported OpenEXR channel layout (three format ${parsed.format})`, { file });
  if (parsed.width <= 0 || parsed.height <= 0)
    throw new OteError('BAD_INPUT', `OpenEXR image is empty (${parsed.width}x${parsed.height})`, { file });
  const img = createImage(parsed.width, parsed.height);
  flipRowsInto(parsed.data, parsed.width, parsed.height, channels, img);
  return img;
}

export interface ExrOptions {
  /** 'half' (default, as most tools write) or 'float' (exact round trip of Float32 data). */
  type?: 'half' | 'float';
  compression?: 'none' | 'zip';
}

/** Encode RGBA float to EXR (scanline, ZIP by default). */
export async function encodeExr(img: FloatImage, opts: ExrOptions = {}): Promise<Uint8Array> {
  if (img.data.length !== img.width * img.height * 4)
    throw new OteError('BAD_INPUT', `image data has ${img.data.length} values, expected ${img.width * img.height * 4}`);
  const flipped = new Float32Array(img.data.length);
  const row = img.width * 4;
  for (let y = 0; y < img.height; y++)
    flipped.set(img.data.subarray(y * row, (y + 1) * row), (img.height - 1 - y) * row);
  const tex = new DataTexture(flipped, img.width, img.height, RGBAFormat, FloatType);
  const out = await new EXRExporter().parse(tex, {
    type: opts.type === 'float' ? FloatType : HalfFloatType,
    compression: opts.compression === 'none' ? NO_COMPRESSION : ZIP_COMPRESSION,
  });
  return out;
}
