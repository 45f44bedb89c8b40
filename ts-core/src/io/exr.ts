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
    const s = (height - 1 - y) * width * srcChannels, d = y * width * 4;
    for (let x = 0; x < width; x++) {
      const i = s + x * srcChannels, o = d + x * 4;
      if (srcChannels === 4) {
        dst.data[o] = src[i], dst.data[o + 1] = src[i + 1], dst.data[o + 2] = src[i + 2], dst.data[o + 3] = src[i + 3];
      } else if (srcChannels === 2) {
        dst.data[o] = src[i], dst.data[o + 1] = src[i + 1], dst.data[o + 2] = 0, dst.data[o + 3] = 1;
      } else {  // a single channel (Y or R) is grey
        dst.data[o] = dst.data[o + 1] = dst.data[o + 2] = src[i], dst.data[o + 3] = 1;
      }
    }
  }
}

/** Decode an EXR file's first part to linear RGBA float. `file` only names the file in errors. */
export function decodeExr(bytes: Uint8Array, file?: string): FloatImage {
  if (!isExr(bytes)) throw new OteError('BAD_INPUT', 'not an OpenEXR file (bad magic number)', { file });
  const loader = new EXRLoader();
  loader.setDataType(FloatType);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let parsed: { width: number; height: number; data: Float32Array | Uint16Array; format: number; type: number };
  const origError = console.error;
  let logged = '';
  console.error = (...a: unknown[]) => { logged += a.map(String).join(' ') + ' '; };  // the loader logs, then throws
  try {
    parsed = loader.parse(buffer) as unknown as typeof parsed;
  } catch (e) {
    throw new OteError('BAD_INPUT', `cannot decode OpenEXR: ${(e as Error).message}${logged ? ` (${logged.trim()})` : ''}`, { file });
  } finally {
    console.error = origError;
  }
  const channels = parsed.format === RGBAFormat ? 4 : parsed.format === RGFormat ? 2 : parsed.format === RedFormat ? 1 : 0;
  if (!channels || !(parsed.data instanceof Float32Array))
    throw new OteError('BAD_INPUT', `unsupported OpenEXR channel layout (three format ${parsed.format})`, { file });
  if (parsed.width <= 0 || parsed.height <= 0) throw new OteError('BAD_INPUT', `OpenEXR image is empty (${parsed.width}x${parsed.height})`, { file });
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
  for (let y = 0; y < img.height; y++) flipped.set(img.data.subarray(y * row, (y + 1) * row), (img.height - 1 - y) * row);
  const tex = new DataTexture(flipped, img.width, img.height, RGBAFormat, FloatType);
  const out = await new EXRExporter().parse(tex, {
    type: opts.type === 'float' ? FloatType : HalfFloatType,
    compression: opts.compression === 'none' ? NO_COMPRESSION : ZIP_COMPRESSION,
  });
  return out;
}
