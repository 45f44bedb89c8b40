/**
 * A glTF as it ships after a bake: primitives with a MOZ_lightmap are lit only by their decoded lightmap pages
 * (render/lightmapped.ts); primitives without one (dynamic objects, unbaked scenes) are drawn by a renderer the
 * caller chooses, and the two are composited by per-material coverage. One implementation for the Trust Engine's
 * candidate render and `ote optimize`'s own before/after check, so the producer judges what the verifier judges.
 */
import { lightmapsFromScene } from './scene-lightmaps.js';
import type { FloatImage } from '../image/float-image.js';
import { decodePng } from '../io/png.js';
import type { LightmapLayout } from '../native/transport-inputs.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';
import { renderLightmapped } from './lightmapped.js';
import { renderView } from './render-view.js';
import type { Backend } from '../native/addon.js';

export interface LightmappedGltf {
  scene: Scene;
  /** Absent when the glTF carries no lightmap at all. */
  lit?: { layout: LightmapLayout; pages: FloatImage[] };
  /** Per material, RGBA 1 where the material shows a lightmap, 0 elsewhere (the composite's mask); absent when every drawn primitive is lightmapped. */
  mask?: Float32Array;
}

/** Decodes a scene's lightmap pages (PNG textures, 8 or 16 bit) once, so many views can be rendered from them. */
export function decodeLightmappedGltf(scene: Scene): LightmappedGltf {
  const { layout, pages } = lightmapsFromScene(scene, (t) => {
    if (t.mimeType !== 'image/png')
      throw new Error(`lightmap texture "${t.name}" is ${t.mimeType}; only PNG lightmaps can be decoded`);
    const png = decodePng(t.image);
    const max = png.bitDepth === 16 ? 65535 : 255;
    const data = new Float32Array(png.width * png.height * 4);
    for (let k = 0; k < data.length; k++) data[k] = png.data[k] / max;
    return { width: png.width, height: png.height, data };
  });
  if (!pages.length) return { scene };
  const litMaterial = scene.materials.map((m) => m.lightmap !== undefined);
  const drawnUnlit = scene.nodes.some(
    (n) =>
      n.mesh !== undefined &&
      scene.meshes[n.mesh].primitives.some((p) => p.material < 0 || !litMaterial[p.material] || !p.uv1),
  );
  const mask = drawnUnlit
    ? Float32Array.from(litMaterial.flatMap((l) => (l ? [1, 1, 1, 1] : [0, 0, 0, 1])))
    : undefined;
  return { scene, lit: { layout, pages }, mask };
}

export interface LightmappedGltfOptions {
  spp: number;
  seed: number;
  backend?: Backend;
  signal?: AbortSignal;
  /** Draws the scene where it has no lightmap (the whole view when it has none): the verifier's reference renderer. */
  renderUnlit: (scene: Scene, view: View) => Promise<FloatImage>;
}

/** Renders the glTF as it will be seen (linear RGBA; misses are black with alpha 0). */
export async function renderLightmappedGltf(
  c: LightmappedGltf,
  view: View,
  o: LightmappedGltfOptions,
): Promise<FloatImage> {
  if (!c.lit) return o.renderUnlit(c.scene, view);
  const baked = await renderLightmapped(c.scene, c.lit.layout, c.lit.pages, view, {
    spp: o.spp,
    seed: o.seed,
    signal: o.signal,
  });
  if (!c.mask) return baked;
  // Primitives without a lightmap (dynamic objects) are lit as the reference is, composited by coverage.
  const [rest, mask] = await Promise.all([
    o.renderUnlit(c.scene, view),
    renderView(c.scene, view, {
      mode: 'albedo',
      spp: o.spp,
      seed: o.seed,
      materialColors: c.mask,
      backend: o.backend,
      signal: o.signal,
    }),
  ]);
  for (let i = 0; i < baked.data.length; i += 4) {
    const m = mask.data[i];
    for (let k = 0; k < 3; k++) baked.data[i + k] = m * baked.data[i + k] + (1 - m) * rest.data[i + k];
  }
  return baked;
}
