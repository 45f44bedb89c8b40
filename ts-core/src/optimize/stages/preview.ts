/**
 * Preview: the output as it ships at the reference's view (the optimized glTF decoded from its bytes, the splats
 * composited over it by depth), and the reference beside it. Both are written exposed, tone mapped and
 * sRGB-encoded: the pixels the report shows and the own check compares.
 */
import { display } from '../../image/display.js';
import type { FloatImage } from '../../image/float-image.js';
import { gltfIO } from '../../io/gltf-io.js';
import { documentToScene } from '../../io/gltf-document-read.js';
import { encodePng } from '../../io/png.js';
import { type Environment, withEnvironmentSun } from '../../plan/environment.js';
import { drawSplatsOver } from '../../render/hybrid.js';
import { decodeLightmappedGltf, renderLightmappedGltf } from '../../render/lightmapped-gltf.js';
import { renderPathtraced } from '../../render/pathtrace.js';
import type { GaussianModel } from '../../scene/gaussians.js';
import type { View } from '../../scene/view.js';
import { nativeDevice } from '../devices.js';
import type { OptimizeOptions } from '../options.js';
import { defineStage } from '../stage.js';

/**
 * Camera samples per pixel of the shipped glTF's render (anti-aliasing only: the lightmap holds the light): half the
 * reference's, at least 16, so that its edge noise stays under the reference's own. The own check box-filters 4×4 of
 * these pixels. Under REALTIME and ECONOMY (32-spp references) that is 16: against 64 (2026-12-07) the own check
 * moved by at most 0.06 dB (the ivy's thin leaves: 42.00 → 41.94; the generated foliage, the engine and zdm2 by under
 * 0.01) and the stage took 2.5–3× less time (zdm2 7.3 → 3.3 s, the foliage 7.0 → 2.4 s). Under BALANCED (128) it
 * stays 64: at 16 the ivy's own check fell from 53.4 to 49.8 dB (`npm run bench:scenes`, the same day).
 */
export const afterSpp = (referenceSpp: number): number => Math.max(16, referenceSpp / 2);

export const previewStage = defineStage({
  name: 'preview',
  needs: ['reference', 'environment', 'shipped', 'bake', 'splats'],
  produces: ['preview'],
  device: nativeDevice,
  async run({ reference: r, environment, shipped, bake, splats }, ctx) {
    const o = ctx.options;
    const png = (img: FloatImage) => shownPng(img, r.exposure);
    const images = [{ name: 'before.png', data: png(r.reference) }];
    const after =
      bake || splats
        ? await renderShipped(shipped.glb, splats?.model, r.view, r.exposure, afterSpp(r.spp), environment, o)
        : undefined;
    if (after) images.push({ name: 'after.png', data: png(after) });
    for (const f of images) ctx.write(f);
    return { preview: { ...r, after, images } };
  },
});

/** An image as the report shows it: exposed, tone mapped, sRGB-encoded PNG (before.png, after.png). */
export const shownPng = (img: FloatImage, exposure: number): Uint8Array => encodePng(display(img, { exposure }));

/**
 * The optimized output as a viewer sees it: the shipped glTF decoded from its bytes (lightmapped primitives lit by
 * their encoded pages, the rest path traced as the reference is), then the splats blended over it by depth
 * (render/hybrid.ts).
 */
async function renderShipped(
  glb: Uint8Array,
  splats: GaussianModel | undefined,
  view: View,
  exposure: number,
  spp: number,
  env: Environment | undefined,
  o: OptimizeOptions,
): Promise<FloatImage> {
  const scene = (await documentToScene(await (await gltfIO()).readBinary(glb), 'scene.glb')).scene;
  const mesh = await renderLightmappedGltf(decodeLightmappedGltf(scene), view, {
    spp,
    seed: 7,
    backend: o.backend,
    signal: o.signal,
    renderUnlit: (s, v) =>
      renderPathtraced(withEnvironmentSun(s, env), v, {
        spp: 64,
        bounces: o.profile.bake.bounces,
        seed: 7,
        sky: env?.sky,
        signal: o.signal,
        backend: o.backend,
      }),
  });
  return splats ? drawSplatsOver(mesh, scene, splats, view, exposure, { backend: o.backend, signal: o.signal }) : mesh;
}
