/**
 * Decoded textures for mesh-to-splat conversion. PNG is decoded here (pngjs); other encodings (JPEG, KTX2, WebP)
 * are reported as undecoded, and conversion falls back to those materials' colour factors.
 */
import type { DecodedTexture } from '../splat/convert.js';
import type { Scene } from '../scene/types.js';
import { decodePng } from './png.js';

export function decodeSceneTextures(scene: Scene): { textures: (DecodedTexture | undefined)[]; undecoded: string[] } {
  const undecoded: string[] = [];
  const textures = scene.textures.map((t, i) => {
    if (t.mimeType !== 'image/png') { undecoded.push(`textures[${i}] (${t.name || 'unnamed'}, ${t.mimeType})`); return undefined; }
    try {
      const img = decodePng(t.image);
      if (img.bitDepth === 8) return { width: img.width, height: img.height, data: img.data as Uint8Array };
      const d8 = new Uint8Array(img.data.length);
      for (let k = 0; k < d8.length; k++) d8[k] = img.data[k] >> 8;
      return { width: img.width, height: img.height, data: d8 };
    } catch {
      undecoded.push(`textures[${i}] (${t.name || 'unnamed'}: PNG failed to decode)`);
      return undefined;
    }
  });
  return { textures, undecoded };
}
