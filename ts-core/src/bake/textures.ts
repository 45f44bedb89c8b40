/**
 * The textures light transport reads, decoded once: every material's base colour (albedo and its alpha cut-out),
 * emissive and metallic-roughness texture. The bake, the path-traced reference and the lightmapped renderer all
 * default to these, so a textured scene is baked and judged with the same material colours (its bounce light takes
 * the textures' colours, not the factors'). Cached per scene texture table, which derived scenes (the bake's copy
 * with UV1, a copy with the environment's sun) share with the scene they came from.
 */
import { decodeSceneTextures } from '../io/textures.js';
import type { Scene } from '../scene/types.js';
import type { BakeTextureImage } from './inputs.js';

const cache = new WeakMap<Scene['textures'], Promise<(BakeTextureImage | undefined)[] | undefined>>();

/** undefined when no material reads a texture; otherwise index = scene texture, undefined where not read or not decodable. */
export function transportTextures(scene: Scene): Promise<(BakeTextureImage | undefined)[] | undefined> {
  const read = new Set(scene.materials.flatMap((m) => [m.baseColorTexture, m.emissiveTexture, m.metallicRoughnessTexture].flatMap((r) => (r ? [r.texture] : []))));
  if (!read.size) return Promise.resolve(undefined);
  let p = cache.get(scene.textures);
  if (!p) {
    // Textures the transport does not read (normal, occlusion maps) are left undecoded: a mime type nothing decodes.
    const only = { ...scene, textures: scene.textures.map((t, i) => (read.has(i) ? t : { ...t, mimeType: 'application/x-not-read' })) };
    p = decodeSceneTextures(only).then((r) => r.textures);
    cache.set(scene.textures, p);
    p.catch(() => cache.delete(scene.textures));
  }
  return p;
}
