/**
 * An engine's separate opacity-mask texture as the alpha of glTF's base colour texture, where glTF keeps coverage
 * (issue #22, "Materials": opacity mask). Unreal masters often wire a texture of its own into Opacity Mask; glTF, and
 * the bake's cut-outs (base colour factor alpha × base colour texture alpha against alphaCutoff), read only the base
 * colour texture's alpha. Pure: runs in Puerts' V8.
 */
import { encodePngRgba8 } from '../image/png-encode.js';
import type { EngineImage } from './engine-scene.js';
import type { EnginePixels } from './metallic-roughness.js';

/**
 * RGB from `base` (its stored bytes: sRGB-encoded, as a base colour PNG holds them; white without a base texture),
 * alpha from `mask`'s `channel`. The larger of the two sets the size; the other is sampled nearest.
 */
export function withOpacityMask(
  base: EnginePixels | undefined,
  mask: EnginePixels,
  channel: 0 | 1 | 2 | 3 = 0,
): EngineImage {
  const width = Math.max(mask.width, base?.width ?? 1),
    height = Math.max(mask.height, base?.height ?? 1);
  const at = (p: EnginePixels, x: number, y: number) =>
    4 *
    (Math.min(p.height - 1, Math.floor(((y + 0.5) * p.height) / height)) * p.width +
      Math.min(p.width - 1, Math.floor(((x + 0.5) * p.width) / width)));
  const rgba = new Uint8Array(4 * width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const k = 4 * (y * width + x);
      if (base) rgba.set(base.rgba.subarray(at(base, x, y), at(base, x, y) + 3), k);
      else rgba.fill(255, k, k + 3);
      rgba[k + 3] = mask.rgba[at(mask, x, y) + channel];
    }
  return {
    name: `${base?.name ?? 'white'} + ${mask.name} (opacity)`,
    mimeType: 'image/png',
    image: encodePngRgba8(width, height, rgba),
    width,
    height,
    asset: base?.name ?? '',
  };
}
