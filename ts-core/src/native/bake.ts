/**
 * Typed wrappers over the baking bindings (native-cuda/include/ote/bake/). Flat arrays in, flat arrays out; the
 * scene-level orchestration lives in ts-core/src/bake/.
 */
import type { FlatScene } from '../scene/flatten.js';
import type { View } from '../scene/view.js';
import { addon, type Backend } from './addon.js';
import { runJob, type JobOptions } from './job.js';

export interface LightmapUvNativeInput {
  /** World-space xyz per vertex, all objects concatenated. */
  positions: Float32Array;
  indices: Uint32Array;
  /** Object o owns triangles [objectFirstTriangle[o], objectFirstTriangle[o+1]). */
  objectFirstTriangle: Uint32Array;
  objectTexelsPerMeter: Float32Array;
  /** Existing UV1 per triangle corner (6 per triangle), read for objects flagged in objectKeepUv. */
  cornerUv?: Float32Array;
  objectKeepUv?: Uint8Array;
}

export interface LightmapUvNativeOptions extends JobOptions {
  /** Largest page, square, in texels (default 1024). Each page is cropped to its content (a multiple of 4 texels). */
  pageSize?: number;
  /** Empty texels between the conservative footprints of any two charts, and to the page edge (default 2). */
  padding?: number;
  /** Charts grow while normals stay within this cone (default 40°): bounds stretch at 1/cos. */
  maxConeDegrees?: number;
}

export interface LightmapUvNativeResult {
  /** Per triangle corner: UV1 in its object's page, v down. */
  cornerUv: Float32Array;
  triangleChart: Uint32Array;
  chartCount: number;
  objectPage: Float64Array;
  objectCharts: Float64Array;
  /** Texels touched by the object's triangles (conservative), and of its charts' padded bounding boxes. */
  objectTexels: Float64Array;
  objectBoxTexels: Float64Array;
  /** max(σmax, 1/σmin) of the world→texel map relative to the effective density: 1 is no stretch. */
  objectMaxStretch: Float64Array;
  objectMeanStretch: Float64Array;
  objectOverlaps: Float64Array;
  /** Density used: lower than asked when the object had to shrink to fit one page. */
  objectTexelsPerMeter: Float64Array;
  pageWidth: Float64Array;
  pageHeight: Float64Array;
  pageTexels: Float64Array;
}

export async function generateLightmapUvsNative(input: LightmapUvNativeInput, opts: LightmapUvNativeOptions = {}): Promise<LightmapUvNativeResult> {
  const t = input.indices.length / 3;
  const outputs = { cornerUv: new Float32Array(6 * t), triangleChart: new Uint32Array(t) };
  const r = await runJob<Omit<LightmapUvNativeResult, 'cornerUv' | 'triangleChart'>>((onProgress) => addon().generateLightmapUvs(input, outputs, {
    ...(opts.pageSize !== undefined && { pageSize: opts.pageSize }),
    ...(opts.padding !== undefined && { padding: opts.padding }),
    ...(opts.maxConeDegrees !== undefined && { maxConeDegrees: opts.maxConeDegrees }),
    onProgress,
  }), opts);
  return { ...r, ...outputs };
}

/**
 * Triangles whose UV triangles overlap another's by more than 1e-6 (touching edges do not count). `page` (one per
 * triangle) restricts the comparison to triangles on the same page.
 */
export function countUvOverlaps(cornerUv: Float32Array, page?: Uint32Array): { count: number; flags: Uint8Array } {
  return addon().countUvOverlaps(cornerUv, page);
}

/**
 * What the transport reads besides the flat scene (layouts documented in addon/src/bake_binding.cpp):
 * materials 33 floats each (transport-inputs.ts MATERIAL_FLOATS): [0-2] base colour factor rgb (0 for unlit),
 * [3-5] emission rgb, [6] doubleSided, [7-13] base-colour texture, [14-20] emissive texture, [21] metallic,
 * [22] roughness (perceptual), [23-29] metallicRoughness texture (read linear: B metallic, G roughness),
 * [30] base colour alpha, [31] alphaMode (0 OPAQUE, 1 MASK, 2 BLEND), [32] alphaCutoff; a texture is an index into
 * `textures` (-1 none) and a 2x3 UV0 transform. The transport's Lambertian albedo at a hit is
 * base × ((1 − metallic) + metallic × roughness² / 2) (native bake/surface.h). Lights 14 floats each (type 0 directional /
 * 1 point / 2 spot, colour × intensity rgb, position, direction of travel, size, range, cos inner, cos outer),
 * sky 10 floats (type 0 none / 1 constant / 2 gradient, zenith, horizon, ground), and per flat triangle its UV1
 * corners, lightmap page (-1 none) and object-space corner normals. Textures are a flat table: 3 uint32 each
 * (width, height, first pixel) into `texels`, sRGB RGBA8, top row first; `triangleUv0` (6 per triangle) and
 * `triangleColor` (linear RGB, 9 per triangle) are read at hits.
 */
export interface BakeNativeInputs {
  materials: Float32Array;
  lights: Float32Array;
  sky: Float32Array;
  triangleUv1: Float32Array;
  trianglePage: Int32Array;
  triangleNormals?: Float32Array;
  triangleUv0?: Float32Array;
  triangleColor?: Float32Array;
  /** World-space eye positions (3 per eye) the result will be seen from: double-sided texels bake the seen face. */
  viewpoints?: Float32Array;
  textures?: Uint32Array;
  texels?: Uint8Array;
  pageWidth: Uint32Array;
  pageHeight: Uint32Array;
}

export interface TransportOptions {
  /** Indirect bounces after the first surface (default 3). */
  bounces?: number;
  /** Russian roulette from this bounce on (default 2). */
  russianRouletteFrom?: number;
  /** AO channel: occluders nearer than this (world units) darken (default 1). */
  aoDistance?: number;
  /** Clamp of indirect path contributions against fireflies; 0 = off (default). */
  clampIndirect?: number;
  /**
   * Point and spot lights also reach path vertices through one light vertex per sample, MIS-weighted against bounce
   * rays (default true): the bounce light of hotspots next to lights without its fireflies. false = bounce rays
   * only (same expectation, for A/B comparisons).
   */
  lightVertices?: boolean;
  backend?: Backend;
}

export interface BakeNativeOptions extends JobOptions, TransportOptions {
  samples?: number;
  minSamples?: number;
  noiseThreshold?: number;
  batch?: number;
  seed?: number;
  /**
   * Bake only every texelStride-th covered texel, in page and raster order (default 1, all): a sample spread evenly
   * over the layout, which a time target's calibration times. The others come back invalid.
   */
  texelStride?: number;
  /** Return the per-texel position, normal and tangent frame (default true; a calibration needs none). */
  guides?: boolean;
  /** Trace a world-space copy of the scene (one BVH, no instance transforms) when memory allows (default true). */
  flattenWorld?: boolean;
}

export interface BakeNativePages {
  /** Per page RGBA float: L = irradiance/π, A = AO. */
  rgba: Float32Array[];
  valid: Uint8Array[];
  samples: Uint32Array[];
  position: Float32Array[];
  normal: Float32Array[];
  /** Per page, 3 floats per texel: unit directions of +U1 and +V1 on the surface, orthonormal to `normal`. */
  tangent: Float32Array[];
  bitangent: Float32Array[];
}

export interface BakeNativeStats {
  backend: 'cpu' | 'cuda';
  texels: number;
  texelSamples: number;
  rays: number;
  repairedTexels: number;
  setupSeconds: number;
  /** The part of setupSeconds spent on the conservative raster, which visits every page texel. */
  rasterSeconds: number;
  traceSeconds: number;
  /** Process CPU time while tracing (on a loaded machine, wall time overstates the cost). */
  traceCpuSeconds: number;
  /** Whether the world-space copy was traced (flattenWorld and not too heavily instanced). */
  flattened: boolean;
  /** Fewest and most samples a texel took (progressive early stop). */
  minTexelSamples: number;
  maxTexelSamples: number;
}

export async function bakeLightmapsNative(flat: FlatScene, inputs: BakeNativeInputs, opts: BakeNativeOptions = {}): Promise<{ pages: BakeNativePages; stats: BakeNativeStats }> {
  const sizes = Array.from(inputs.pageWidth, (w, i) => w * inputs.pageHeight[i]);
  const guides = opts.guides ?? true;
  const guide = () => (guides ? sizes.map((n) => new Float32Array(3 * n)) : []);
  const pages: BakeNativePages = {
    rgba: sizes.map((n) => new Float32Array(4 * n)),
    valid: sizes.map((n) => new Uint8Array(n)),
    samples: sizes.map((n) => new Uint32Array(n)),
    position: guide(), normal: guide(), tangent: guide(), bitangent: guide(),
  };
  const { signal: _s, onProgress: _p, guides: _g, ...native } = opts;
  // Guides not asked for are not passed at all: the addon fills only the arrays it is given.
  const out = guides ? pages : { rgba: pages.rgba, valid: pages.valid, samples: pages.samples };
  const stats = await runJob<BakeNativeStats>((onProgress) => addon().bakeLightmaps(flat, inputs, out, { ...native, onProgress }), opts);
  return { pages, stats };
}

export interface RenderReferenceOptions extends JobOptions, TransportOptions {
  mode: 'pathtrace' | 'lightmapped';
  spp?: number;
  seed?: number;
}

/** Render a view path-traced, or lit from lightmap pages (RGBA float, as bakeLightmapsNative returns them). */
export async function renderReferenceNative(flat: FlatScene, inputs: BakeNativeInputs, view: View,
  pages: Float32Array[] | undefined, opts: RenderReferenceOptions): Promise<Float32Array> {
  const rgba = new Float32Array(4 * view.width * view.height);
  const { signal: _s, onProgress: _p, ...native } = opts;
  await runJob((onProgress) => addon().renderReference(flat, inputs, view, { rgba, pages: pages ?? [] }, { ...native, onProgress }), opts);
  return rgba;
}
