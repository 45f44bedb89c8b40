/**
 * The lightmaps of a scene baked with MOZ_lightmap, read back out of the scene model for the lightmapped renderer
 * (`ote render --mode lightmapped`, and the shipped glTF the own check and the verifier render). The inverse of
 * bake/writeback.ts `applyLightmaps`: pages are stored sRGB-encoded, and decoded value × intensity / π = L.
 */
import { storedSrgbToLinear, type FloatImage } from '../image/float-image.js';
import type { LightmapLayout } from '../native/transport-inputs.js';
import type { Scene, Texture } from '../scene/types.js';

/**
 * Layout and float pages of a scene baked with MOZ_lightmap: every node whose primitives' materials carry a
 * lightmap and whose primitives have UV1. `decode` turns a texture's bytes into its stored values in [0,1] (RGBA, as
 * encoded: this function decodes the sRGB curve).
 */
export function lightmapsFromScene(
  scene: Scene,
  decode: (t: Texture) => FloatImage,
): { layout: LightmapLayout; pages: FloatImage[] } {
  const pageOfTexture = new Map<string, number>();
  const pages: FloatImage[] = [];
  const layout: LightmapLayout = { primitivePages: new Map(), pageWidth: [], pageHeight: [] };
  scene.nodes.forEach((node, n) => {
    if (node.mesh === undefined) return;
    const prims = scene.meshes[node.mesh].primitives;
    const lm = prims.map((p) => (p.material >= 0 ? scene.materials[p.material].lightmap : undefined));
    if (!lm.some(Boolean)) return;
    layout.primitivePages.set(
      n,
      prims.map((p, i) => {
        const l = lm[i];
        if (!l || !p.uv1) return -1;
        const key = `${l.texture}/${l.intensity}`;
        let page = pageOfTexture.get(key);
        if (page === undefined) {
          const img = decode(scene.textures[l.texture]);
          for (let k = 0; k < img.data.length; k++)
            if (k % 4 !== 3) img.data[k] = (storedSrgbToLinear(img.data[k]) * l.intensity) / Math.PI;
          pages.push(img);
          layout.pageWidth.push(img.width);
          layout.pageHeight.push(img.height);
          page = pages.length - 1;
          pageOfTexture.set(key, page);
        }
        return page;
      }),
    );
  });
  return { layout, pages };
}
