/**
 * The ray core's primary-ray view renderer (native `renderView`): one ray per jittered camera sample, shaded as
 * albedo, normals, ambient occlusion, simple shading or depth. render/render-view.ts prepares the inputs; their
 * shapes are the addon's (addon-api.ts RawRenderViewParams, RawRenderViewMaterials).
 */
import type { Backend } from './addon.js';
import { addon } from './addon.js';
import type { RawRenderViewMaterials, RawRenderViewParams } from './addon-api.js';
import { runJob, type JobOptions } from './job.js';
import type { SceneBvh } from './rays.js';

export type {
  RawRenderViewMaterials as NativeViewMaterials,
  RawRenderViewParams as NativeViewParams,
} from './addon-api.js';

/** Renders into `out` (width × height × 4 floats, linear RGBA, alpha = coverage). */
export async function renderViewNative(
  bvh: SceneBvh,
  params: RawRenderViewParams,
  materials: RawRenderViewMaterials,
  out: Float32Array,
  opts: JobOptions & { backend?: Backend } = {},
): Promise<void> {
  await runJob(
    (onProgress) =>
      addon().renderView(bvh.handle, params, materials, out, { backend: opts.backend ?? 'auto', onProgress }),
    opts,
  );
}
