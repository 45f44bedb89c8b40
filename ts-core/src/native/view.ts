/**
 * The ray core's primary-ray view renderer (native `renderView`): one ray per jittered camera sample, shaded as
 * albedo, normals, ambient occlusion, simple shading or depth. render/render-view.ts prepares the inputs.
 */
import type { Backend } from './addon.js';
import { addon } from './addon.js';
import { runJob, type JobOptions } from './job.js';
import type { SceneBvh } from './rays.js';

export interface NativeViewParams {
  /** Column-major 4×4 camera-to-world matrix (16 floats); the camera looks down its −Z. */
  cameraToWorld: ArrayLike<number>;
  /** Vertical field of view, radians. */
  yfov: number;
  width: number;
  height: number;
  znear: number;
  zfar: number;
  /** 0 albedo, 1 normals, 2 ambient occlusion, 3 shaded, 4 depth (render-view.ts RENDER_MODES). */
  mode: number;
  spp: number;
  aoSamples: number;
  aoDistance: number;
  seed: number;
  sunDirection?: Float32Array;
  /** Linear RGBA of pixels that see nothing. */
  background?: Float32Array;
}

export interface NativeViewMaterials {
  /** Linear RGBA per material, 4 floats each. */
  baseColor: Float32Array;
  /** Material index per triangle of the flattened scene (-1: defaultColor). */
  triangleMaterial: Int32Array;
  defaultColor: Float32Array;
  /** What camera rays pass through (single-sided back faces, alpha cut-outs): native bake/surface.h. */
  surface: { materials: Float32Array; textures: Uint32Array; texels: Uint8Array; triangleUv0?: Float32Array };
}

/** Renders into `out` (width × height × 4 floats, linear RGBA, alpha = coverage). */
export function renderViewNative(bvh: SceneBvh, params: NativeViewParams, materials: NativeViewMaterials, out: Float32Array,
  opts: JobOptions & { backend?: Backend } = {}): Promise<void> {
  return runJob((onProgress) => addon().renderView(bvh.handle, params, materials, out, { backend: opts.backend ?? 'auto', onProgress }), opts).then(() => undefined);
}
