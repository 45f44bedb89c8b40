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
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export async function decodeSceneTextures(
  scene: Scene,
): Promise<{ textures: (DecodedTexture | undefined)[]; undecoded: string[] }> {
  const undecoded: string[] = [];
  const textures = await Promise.all(
    scene.textures.map(async (t, i) => {
      if (!['image/png', 'image/jpeg', 'image/webp'].includes(t.mimeType)) {
        undecoded.push(`textures[${i}] (${t.name || 'unnamed'}, ${t.mimeType})`);
        return undefined;
      }
      try {
        return await decodeOne(t.image, t.mimeType);
      } catch (e) {
        undecoded.push(
          `textures[${i}] (${t.name || 'unnamed'}: ${t.mimeType} failed to decode: ${(e as Error).message})`,
        );
        return undefined;
      }
    }),
  );
  return { textures, undecoded };
}

const transportCache = new WeakMap<Scene['textures'], Promise<(DecodedTexture | undefined)[] | undefined>>();

/**
 * The textures light transport reads, decoded once: every material's base colour (albedo and its alpha cut-out),
 * emissive and metallic-roughness texture. The bake, the path-traced reference and the lightmapped renderer all
 * default to these, so a textured scene is baked and judged with the same material colours (its bounce light takes
 * the textures' colours, not the factors'). Cached per scene texture table, which derived scenes (the bake's copy
 * with UV1, a copy with the environment's sun) share with the scene they came from.
 * undefined when no material reads a texture; otherwise index = scene texture, undefined where not read or not decodable.
 */
export function transportTextures(scene: Scene): Promise<(DecodedTexture | undefined)[] | undefined> {
  const read = new Set(
    scene.materials.flatMap((m) =>
      [m.baseColorTexture, m.emissiveTexture, m.metallicRoughnessTexture].flatMap((r) => (r ? [r.texture] : [])),
    ),
  );
  if (!read.size) return Promise.resolve(undefined);
  let p = transportCache.get(scene.textures);
  if (!p) {
    // Textures the transport does not read (normal, occlusion maps) are left undecoded: a mime type nothing decodes.
    const only = {
      ...scene,
      textures: scene.textures.map((t, i) => (read.has(i) ? t : { ...t, mimeType: 'application/x-not-read' })),
    };
    p = decodeSceneTextures(only).then((r) => r.textures);
    transportCache.set(scene.textures, p);
    p.catch(() => transportCache.delete(scene.textures));
  }
  return p;
}
