/** Procedural textures for the example scenes, encoded as PNG. */
import pngjs from 'pngjs';
import type { Texture } from '../../ts-core/src/scene/types.js';

export function pngTexture(
  name: string,
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
): Texture {
  const png = new pngjs.PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = pixel(x, y),
        o = (y * width + x) * 4;
      for (let k = 0; k < 4; k++) png.data[o + k] = Math.max(0, Math.min(255, Math.round(p[k])));
    }
  return { name, mimeType: 'image/png', image: new Uint8Array(pngjs.PNG.sync.write(png)), width, height };
}
