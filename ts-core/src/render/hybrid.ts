/**
 * A hybrid output (a glTF and the splats shipped with it) as a viewer draws it: the glTF's render, then the splats
 * blended over its displayed pixels by depth (compositeByDepth). Splat colours are display-referred
 * (scene/gaussians.ts), so the blend happens on display values at the run's exposure, as in a viewer, and the
 * result goes back to linear radiance, whose display transform then gives those very pixels. The preview (and so
 * the own check) and the verifier's hybrid jobs both draw with this one function.
 */
import { fromDisplayImage, toDisplayImage, type FloatImage } from '../image/float-image.js';
import { renderSplats } from '../native/splat.js';
import { splatCamera } from '../native/splat-camera.js';
import type { Backend } from '../native/addon.js';
import type { GaussianModel } from '../scene/gaussians.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';
import { compositeByDepth } from './composite.js';
import { renderView } from './render-view.js';

/**
 * `mesh`: the glTF `scene` rendered at `view` (linear RGBA, misses with alpha 0). Returns the composite, linear.
 */
export async function drawSplatsOver(
  mesh: FloatImage,
  scene: Scene,
  splats: GaussianModel,
  view: View,
  exposure: number,
  opts: { backend?: Backend; signal?: AbortSignal } = {},
): Promise<FloatImage> {
  const d = await renderView(scene, view, { mode: 'depth', backend: opts.backend, signal: opts.signal });
  // Pixels whose centre sees no mesh never hide a splat.
  const depth = Float32Array.from({ length: view.width * view.height }, (_, i) =>
    d.data[4 * i + 3] > 0 ? d.data[4 * i] : Infinity,
  );
  const frame = await renderSplats(splats, splatCamera(view), {
    background: [0, 0, 0],
    backend: opts.backend,
    signal: opts.signal,
  });
  const shown = toDisplayImage(mesh, exposure);
  const blended = compositeByDepth({ image: shown, depth }, { image: frame.image, depth: frame.depth });
  return fromDisplayImage(blended, exposure);
}
