/**
 * Engine normal maps as glTF's (tangent space, +Y up the texture's V: OpenGL's convention, RGB = n × 0.5 + 0.5),
 * from the pixels the glue reads (issue #22, "Materials"). Pure: runs in Puerts' V8.
 * - Unity: the texture as the GPU holds it, which is packed: DXT5nm/BC5 layouts keep X in A (R at 1) or in R (A at
 *   1). Unity's own UnpackNormalmapRGorAG reads X = R × A for both, Y = G, and Z = √(1 − X² − Y²); so does this.
 *   Unity's convention is OpenGL's already.
 * - Unreal: the source art, an RGB normal map in DirectX's convention (+Y down the texture): G is flipped.
 */
import { encodePngRgba8 } from '../image/png-encode.js';
import type { EngineImage } from './engine-scene.js';
import type { EnginePixels } from './metallic-roughness.js';

export type NormalMapSource = 'unity-gpu' | 'directx-source';

export function normalMapImage(p: EnginePixels, source: NormalMapSource): EngineImage {
  const out = new Uint8Array(p.rgba.length);
  const byte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v * 0.5 + 0.5)));
  for (let k = 0; k < p.rgba.length; k += 4) {
    const r = p.rgba[k] / 255,
      g = p.rgba[k + 1] / 255,
      b = p.rgba[k + 2] / 255,
      a = p.rgba[k + 3] / 255;
    let x: number, y: number, z: number;
    if (source === 'unity-gpu') {
      x = r * a * 2 - 1;
      y = g * 2 - 1;
      z = Math.sqrt(Math.max(0, 1 - x * x - y * y));
    } else {
      x = r * 2 - 1;
      y = 1 - g * 2;
      z = b * 2 - 1;
    }
    out[k] = byte(x);
    out[k + 1] = byte(y);
    out[k + 2] = byte(z);
    out[k + 3] = 255;
  }
  return {
    name: `${p.name} (normal)`,
    mimeType: 'image/png',
    image: encodePngRgba8(p.width, p.height, out),
    width: p.width,
    height: p.height,
  };
}
