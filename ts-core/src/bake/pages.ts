/**
 * Lightmap pages to files: the 8-bit page the glTF references (scaled, see encodeScaled8), optionally the sRGB page
 * for the unlit option, and the HDR side files (float EXR and RGBM PNG). Shared by `ote bake` and `ote optimize`.
 */
import type { FloatImage } from '../image/float-image.js';
import { linearToSrgb } from '../image/float-image.js';
import { encodePng } from '../io/png.js';
import { encodeExr, encodeRgbm, encodeScaled8, lightmapScale } from './encode.js';
import type { EncodedPage } from './writeback.js';

export function encodeLightmapPages(
  pages: FloatImage[],
  stem: string,
  opts: { unlit?: boolean; hdr?: boolean; onPage?: (i: number) => void } = {},
) {
  const sideFiles: { name: string; data: Uint8Array }[] = [];
  const encoded: EncodedPage[] = pages.map((img, i) => {
    const scale = lightmapScale(img);
    const page: EncodedPage = {
      png: encodePng({ width: img.width, height: img.height, bitDepth: 8, data: encodeScaled8(img, scale) }),
      width: img.width,
      height: img.height,
      scale,
    };
    if (opts.unlit) {
      const px = new Uint8Array(img.width * img.height * 4);
      for (let k = 0; k < img.width * img.height; k++) {
        for (let c = 0; c < 3; c++)
          px[4 * k + c] = Math.round(linearToSrgb(Math.min(1, Math.max(0, img.data[4 * k + c]))) * 255);
        px[4 * k + 3] = 255;
      }
      page.unlitPng = encodePng({ width: img.width, height: img.height, bitDepth: 8, data: px });
    }
    if (opts.hdr) {
      sideFiles.push({ name: `${stem}.lightmap${i}.exr`, data: encodeExr(img) });
      sideFiles.push({
        name: `${stem}.lightmap${i}.rgbm.png`,
        data: encodePng({ width: img.width, height: img.height, bitDepth: 8, data: encodeRgbm(img) }),
      });
    }
    opts.onPage?.(i);
    return page;
  });
  return { encoded, sideFiles };
}
