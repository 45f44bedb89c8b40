/**
 * The scene's textures decoded to 8-bit RGBA, for every consumer that samples them (the bake, the renderers,
 * splat conversion): PNG through pngjs (synchronous, exact 16-bit handling), JPEG and WebP through sharp. Textures
 * that neither decodes (KTX2/Basis) are reported, and their consumers fall back to the materials' factors.
 */
import sharp from 'sharp';
import type { Scene } from '../scene/types.js';
import { decodePng } from './png.js';

/** A decoded texture: 8-bit RGBA (sRGB-encoded as stored), row-major, top row first (as io/png.ts decodes it). */
export interface DecodedTexture {
  width: number;
  height: number;
  data: Uint8Array;
}

async function decodeOne(image: Uint8Array, mimeType: string): Promise<DecodedTexture> {
  if (mimeType === 'image/png') {
    const img = decodePng(image);
    if (img.bitDepth === 8) return { width: img.width, height: img.height, data: img.data as Uint8Array };
    const d8 = new Uint8Array(img.data.length);
    for (let k = 0; k < d8.length; k++) d8[k] = img.data[k] >> 8;
    return { width: img.width, height: img.height, data: d8 };
  }
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export async function decodeSceneTextures(scene: Scene): Promise<{ textures: (DecodedTexture | undefined)[]; undecoded: string[] }> {
  const undecoded: string[] = [];
  const textures = await Promise.all(scene.textures.map(async (t, i) => {
    if (!['image/png', 'image/jpeg', 'image/webp'].includes(t.mimeType)) { undecoded.push(`textures[${i}] (${t.name || 'unnamed'}, ${t.mimeType})`); return undefined; }
    try {
      return await decodeOne(t.image, t.mimeType);
    } catch (e) {
      undecoded.push(`textures[${i}] (${t.name || 'unnamed'}: ${t.mimeType} failed to decode: ${(e as Error).message})`);
      return undefined;
    }
  }));
  return { textures, undecoded };
}
