/** PNG encode/decode (8- and 16-bit, via pngjs). Pixels are RGBA, row-major, top row first. */
import pngjs from 'pngjs';

export interface RgbaImage<T extends Uint8Array | Uint16Array = Uint8Array | Uint16Array> {
  width: number;
  height: number;
  /** 8 or 16 bits per channel; `data` is Uint8Array or Uint16Array accordingly, 4 channels per pixel. */
  bitDepth: 8 | 16;
  data: T;
}

export function decodePng(bytes: Uint8Array): RgbaImage {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  const depth = png.depth === 16 ? 16 : 8;
  if (depth === 16) {
    // pngjs with skipRescale leaves 16-bit samples in a Uint16Array-compatible buffer (native endianness).
    const data = new Uint16Array(png.width * png.height * 4);
    const src = png.data as unknown as Uint16Array | Buffer;
    if (src instanceof Uint16Array) data.set(src);
    else for (let i = 0; i < data.length; i++) data[i] = (src as Buffer).readUInt16LE(i * 2);
    return { width: png.width, height: png.height, bitDepth: 16, data };
  }
  return {
    width: png.width,
    height: png.height,
    bitDepth: 8,
    data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
  };
}

export function encodePng(img: RgbaImage<Uint8Array>): Uint8Array {
  const png = new pngjs.PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(pngjs.PNG.sync.write(png));
}
