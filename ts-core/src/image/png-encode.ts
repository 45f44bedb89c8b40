/**
 * PNG encoding in plain TypeScript (zlib from fflate; no Node builtins), for the editor's V8, where io/png.ts
 * (pngjs, on Node's Buffer) cannot run: 8-bit RGBA, top row first, each row filtered "Up" (its difference from the
 * row above), which suits the smooth data textures the engine adapters repack (adapters/metallic-roughness.ts).
 */
import { zlibSync } from 'fflate';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG of `rgba` (4 bytes per pixel, width × height, top row first). */
export function encodePngRgba8(width: number, height: number, rgba: Uint8Array): Uint8Array {
  if (!(width >= 1 && height >= 1) || rgba.length !== 4 * width * height)
    throw new RangeError(`encodePngRgba8: ${rgba.length} bytes are not RGBA for ${width} × ${height}`);
  const stride = 4 * width;
  const filtered = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (stride + 1);
    filtered[at] = y ? 2 : 0; // Up; the first row has no row above
    for (let x = 0; x < stride; x++)
      filtered[at + 1 + x] = (rgba[y * stride + x] - (y ? rgba[(y - 1) * stride + x] : 0)) & 0xff;
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const h = new DataView(ihdr.buffer);
  h.setUint32(0, width);
  h.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, adaptive filtering, no interlace
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibSync(filtered, { level: 6 })),
    chunk('IEND', new Uint8Array(0)),
  ];
  // image/ sits beside util/ in the layers (test/core/layering.test.ts), so it joins the chunks itself.
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    png.set(p, at);
    at += p.length;
  }
  return png;
}
