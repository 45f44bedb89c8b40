/**
 * Image files the metrics read and write: PNG (8- and 16-bit, sRGB-encoded) and OpenEXR (linear float). The format
 * is sniffed from the bytes, not the extension, so a mislabelled file still reads or fails with the right reason.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import pngjs from 'pngjs';
import { OteError } from '../errors.js';
import type { FloatImage } from '../image/float-image.js';
import { writeFileAtomic } from './atomic-write.js';
import type { ExrOptions } from './exr.js';
import { decodePng, encodePng, type RgbaImage } from './png.js';

export type ImageFileKind = 'png8' | 'png16' | 'exr';

export interface LoadedImage {
  file: string;
  kind: ImageFileKind;
  /** RgbaImage for PNG (sRGB-encoded integers), FloatImage for EXR (linear float). */
  image: RgbaImage | FloatImage;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function sniff(bytes: Uint8Array): string {
  const has = (sig: number[], at = 0) => bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b);
  if (has([0xff, 0xd8, 0xff])) return 'JPEG';
  if (has([0x47, 0x49, 0x46, 0x38])) return 'GIF';
  if (has([0x52, 0x49, 0x46, 0x46]) && has([0x57, 0x45, 0x42, 0x50], 8)) return 'WebP';
  if (has([0x42, 0x4d])) return 'BMP';
  if (has([0x49, 0x49, 0x2a, 0x00]) || has([0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (has([0x23, 0x3f, 0x52, 0x41, 0x44, 0x49, 0x41, 0x4e, 0x43, 0x45])) return 'Radiance HDR';
  if (has([0x44, 0x44, 0x53, 0x20])) return 'DDS';
  if (has([0xab, 0x4b, 0x54, 0x58])) return 'KTX';
  return bytes.length === 0 ? 'an empty file' : 'unknown';
}

// three.js (the EXR codec) loads only when an EXR is read or written: most comparisons are PNG.
const exr = () => import('./exr.js');
const EXR_MAGIC = [0x76, 0x2f, 0x31, 0x01];

export async function decodeImage(bytes: Uint8Array, file: string): Promise<LoadedImage> {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) {
    let image: RgbaImage;
    try {
      image = decodePng(bytes);
    } catch (e) {
      throw new OteError('BAD_INPUT', `cannot decode PNG: ${(e as Error).message}`, { file });
    }
    if (image.width === 0 || image.height === 0)
      throw new OteError('BAD_INPUT', `PNG is empty (${image.width}x${image.height})`, { file });
    return { file, kind: image.bitDepth === 16 ? 'png16' : 'png8', image };
  }
  if (EXR_MAGIC.every((b, i) => bytes[i] === b))
    return { file, kind: 'exr', image: (await exr()).decodeExr(bytes, file) };
  const what = sniff(bytes);
  throw new OteError(
    'BAD_INPUT',
    `unsupported image format (${what === 'unknown' ? 'unrecognised bytes' : what}); expected PNG (8/16-bit) or OpenEXR`,
    { file },
  );
}

export async function readImageFile(file: string): Promise<LoadedImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new OteError('BAD_INPUT', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      file,
    });
  }
  return decodeImage(bytes, file);
}

/** 16-bit RGBA PNG (png.ts encodes 8-bit only). */
export function encodePng16(img: RgbaImage<Uint16Array>): Uint8Array {
  const opts = {
    width: img.width,
    height: img.height,
    bitDepth: 16 as const,
    colorType: 6 as const,
    inputColorType: 6 as const,
    inputHasAlpha: true,
  };
  const png = new pngjs.PNG(opts);
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(pngjs.PNG.sync.write(png, opts));
}

/** Write by extension: .png (8- or 16-bit RgbaImage) or .exr (FloatImage). Atomic, like every output. */
export async function writeImageFile(
  file: string,
  image: RgbaImage | FloatImage,
  exrOpts: ExrOptions = {},
): Promise<void> {
  const ext = extname(file).toLowerCase();
  if (ext === '.exr') {
    if (!(image.data instanceof Float32Array))
      throw new OteError('BAD_INPUT', 'an EXR output needs a float image', { file });
    await writeFileAtomic(file, await (await exr()).encodeExr(image as FloatImage, exrOpts));
  } else if (ext === '.png') {
    const img = image as RgbaImage;
    if (img.data instanceof Uint8Array) await writeFileAtomic(file, encodePng(img as RgbaImage<Uint8Array>));
    else if (img.data instanceof Uint16Array) await writeFileAtomic(file, encodePng16(img as RgbaImage<Uint16Array>));
    else throw new OteError('BAD_INPUT', 'a PNG output needs 8- or 16-bit RGBA; use .exr for float images', { file });
  } else {
    throw new OteError('BAD_INPUT', `unsupported output extension '${ext || '(none)'}'; use .png or .exr`, { file });
  }
}
