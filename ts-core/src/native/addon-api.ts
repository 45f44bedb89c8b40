/**
 * The native addon's surface as the bindings register it (addon/src/*_binding.cpp): every function, its arguments
 * and its result. The typed wrappers in this folder are what the rest of the core calls; this file is what the
 * compiler checks them against. ts-core/test/native/addon-api.test.ts checks that the loaded addon exports exactly
 * ADDON_FUNCTIONS, which the compiler ties to this interface's keys.
 *
 * Conventions of every binding: arrays are typed arrays of the stated type, and a wrong type or length throws a
 * TypeError or RangeError naming the argument and field ("bakeLightmaps: inputs.materials[3].metallic must be a
 * number in [0, 1], got 2"); outputs are caller-allocated arrays the call fills; long calls return a
 * NativeJobHandle at once and run on a worker thread, `options.onProgress` receiving fractions in [0, 1].
 * Packed records (materials, lights, sky, texture table) are laid out as native/layouts.ts says.
 */
import type { FlatScene } from '../scene/flatten.js';
import type { View } from '../scene/view.js';
import type { SplatCamera } from './splat-camera.js';

/** A running native job: the promise settles when it ends; cancel() asks it to stop at the next chunk. */
export interface NativeJobHandle<T> {
  promise: Promise<T>;
  cancel(): void;
}

export interface NativeInfo {
  cudaCompiled: boolean;
  threads: number;
  devices: { name: string; computeCapability: string; memoryBytes: number; multiprocessors: number }[];
  backend: 'cpu' | 'cuda';
  cudaUnavailableReason?: string;
}

export type Backend = 'auto' | 'cpu' | 'cuda';

type Progress = { onProgress?: (fraction: number) => void };
type BackendOption = { backend?: Backend };

// ---- layouts ------------------------------------------------------------------------------------------------

/** A field of a packed record, in 4-byte elements. */
export interface NativePackedField {
  offset: number;
  count: number;
}
export interface NativePackedRecord {
  /** The typed array the records are packed into. */
  element: 'f32' | 'u32';
  /** Elements per record. */
  size: number;
  /** Every field, in order. */
  fields: Record<string, NativePackedField>;
}
/** What layouts() reports from the C++ declarations (native-cuda/include/ote/bake/packed.h, splat/param_layout.h). */
export interface NativeLayouts {
  records: Record<string, NativePackedRecord>;
  /** The Gaussian parameter groups in Adam-block order; `perShCoefficient` groups have floats × shStride. */
  splatParamGroups: { name: string; floats: number; perShCoefficient: boolean }[];
}

// ---- measure ------------------------------------------------------------------------------------------------

export interface MeasureOutputs {
  instanceArea: Float64Array;
  instanceBounds: Float32Array;
  instanceDegenerate: Uint32Array;
  triangleArea?: Float32Array;
  triangleNormal?: Float32Array;
}
export interface MeasureStats {
  backend: 'cpu' | 'cuda';
  totalArea: number;
  degenerateCount: number;
  /** min xyz, max xyz; Infinity/-Infinity when nothing valid was drawn. */
  sceneBounds: [number, number, number, number, number, number];
}

// ---- metrics ------------------------------------------------------------------------------------------------

export interface NativeImage {
  data: Uint8Array | Uint16Array | Float32Array;
  width: number;
  height: number;
  channels: 3 | 4;
  /** Pixels per row in `data` (>= width); lets a crop of a larger image be passed without copying. */
  rowStride?: number;
  /** Overrides the options' dataRange / encoding for this image (e.g. a float render against an 8-bit PNG). */
  dataRange?: number;
  encoding?: 'stored' | 'linear-srgb';
}
export interface RawMetricsOptions extends BackendOption, Progress {
  psnr?: boolean;
  ssimRgb?: boolean;
  ssimLuma?: boolean;
  msssim?: boolean;
  flip?: boolean;
  /** Stored units that map to 1.0. Default: 255 for Uint8, 65535 for Uint16, 1 for Float32. */
  dataRange?: number;
  /** 'stored' (default): values / dataRange. 'linear-srgb': linear float, clamped to [0,1] and sRGB-encoded first. */
  encoding?: 'stored' | 'linear-srgb';
  /** FLIP pixels per degree (default 67.0206: 0.7 m from a 0.7 m wide 3840-pixel display). */
  ppd?: number;
  /**
   * The reference's own noise (ote/metrics/metrics.h MetricsRequest::reference_noise): Float32Array, the reference's
   * size, signed, in normalised units; half the difference of two independent renders whose mean is the reference.
   * PSNR and SSIM are then corrected for it; FLIP is not; MS-SSIM refuses it.
   */
  referenceNoise?: NativeImage;
}
export interface NativeMetricsResult {
  backend: 'cpu' | 'cuda';
  psnr?: number;
  mse?: number;
  psnrChannels?: [number, number, number];
  mseChannels?: [number, number, number];
  ssimRgb?: number;
  ssimChannels?: [number, number, number];
  ssimLuma?: number;
  msssim?: number;
  /** Per-scale terms: contrast-structure for scales 1-4, full SSIM for scale 5. */
  msssimScales?: number[];
  flip?: number;
  /** CUDA only: time spent in the SSIM/FLIP kernels, excluding transfers. */
  kernelMs?: number;
}

// ---- rays ---------------------------------------------------------------------------------------------------

/** Opaque native handle of a scene BVH; pass to renderView() and other native kernels. */
export type NativeBvhHandle = object;

export interface BvhStats {
  blasNodes: number;
  tlasNodes: number;
  /** Valid triangles stored in the BLASes. */
  triangles: number;
  /** Stored triangles skipped because they have no area or a non-finite corner. */
  degenerateTriangles: number;
  /** Valid triangles drawn, counting instances. */
  instancedTriangles: number;
  /** Instances with a singular or non-finite transform, or a mesh with nothing to hit. */
  skippedInstances: number;
  /** Instances built in world space into the shared world BVH (see mergeIntoWorld). */
  mergedInstances: number;
  /** Triangles in the world BVH beyond the stored ones: copies of meshes drawn several times (see copyBudget). */
  copiedTriangles: number;
  /** Host memory of nodes, triangles, instances and the world BVH's per-triangle instances. */
  bytes: number;
  buildSeconds: number;
  maxDepth: number;
}
/** What every trace reports besides its hits. */
export interface TraceTiming {
  backend: 'cpu' | 'cuda';
  /** Milliseconds spent tracing, without moving rays and hits: the kernels on CUDA, the threads on the CPU. */
  traceMs: number;
}
export interface RawRays {
  origins: Float32Array;
  directions: Float32Array;
  /** Per-ray t range, overriding options.tmin / tmax. */
  tmin?: Float32Array;
  tmax?: Float32Array;
}
/** Closest hits (t, prim, instance, barycentrics, normal?) or, with options.anyHit, `occluded`. */
export type RawHits =
  | { t: Float32Array; prim: Uint32Array; instance: Uint32Array; barycentrics: Float32Array; normal?: Float32Array }
  | { occluded: Uint8Array };
export interface RawTraceOptions extends BackendOption, Progress {
  anyHit: boolean;
  tmin: number;
  tmax: number;
  backfaceCull: boolean;
}
/** renderView's camera and mode (native ray/render.h RenderParams). */
export interface RawRenderViewParams {
  cameraToWorld: Float32Array;
  yfov: number;
  width: number;
  height: number;
  znear: number;
  zfar: number;
  /** ray/render.h RenderMode. */
  mode: number;
  spp: number;
  aoSamples: number;
  aoDistance: number;
  seed: number;
  sunDirection?: Float32Array;
  /** Linear RGBA. */
  background?: Float32Array;
}
/** What camera rays see through: the bake's packed materials, texture table and UV0 (native/transport-inputs.ts). */
export interface RawSurface {
  materials: Float32Array;
  textures?: Uint32Array;
  texels?: Uint8Array;
  triangleUv0?: Float32Array;
}
export interface RawRenderViewMaterials {
  /** Linear RGBA per material. */
  baseColor?: Float32Array;
  triangleMaterial?: Int32Array;
  defaultColor?: Float32Array;
  surface?: RawSurface;
}

// ---- bake ---------------------------------------------------------------------------------------------------

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
export interface RawLightmapUvOptions extends Progress {
  pageSize?: number;
  padding?: number;
  maxConeDegrees?: number;
}
/** Per object and per page figures of generateLightmapUvs; the per-corner arrays are the caller's outputs. */
export interface LightmapUvNativeStats {
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

/**
 * What the transport reads besides the flat scene. `materials`, `lights` and `sky` are packed records
 * (native/layouts.ts PACKED_MATERIAL, PACKED_LIGHT, PACKED_SKY; declared in native-cuda/include/ote/bake/packed.h);
 * `textures` is the flat texture table (PACKED_TEXTURE records) into `texels`, sRGB RGBA8, top row first. Per flat
 * triangle: its UV1 corners (6 floats), lightmap page (-1 none), object-space corner normals (9), and, read at hits,
 * UV0 (6) and linear RGB vertex colours (9). The transport's Lambertian albedo at a hit is
 * base × ((1 − metallic) + metallic × roughness² / 2) (native bake/surface.h).
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
  /**
   * Per flat instance, 1 where it is lighting-only (Unity's "Shadows Only"): camera rays of the reference renderer
   * pass through it, every transport ray sees it (native bake/surface.h camera_hidden).
   */
  instanceCameraHidden?: Uint8Array;
  /**
   * bakeLightmaps only: the final gather's lightmap, a finished bake of this same layout (per page width × height × 4
   * floats, RGB = L, A = AO, dilated into the padding). The first bounce of each path reads it where it lands on the
   * lit face of a lightmapped single-sided surface, and the path ends there (native bake/transport.h incident).
   */
  gatherPages?: Float32Array[];
  textures?: Uint32Array;
  texels?: Uint8Array;
  pageWidth: Uint32Array;
  pageHeight: Uint32Array;
}
/** Per page arrays the bake fills; the guides (3 floats per texel) only when given. */
export interface RawBakeOutputs {
  rgba: Float32Array[];
  valid: Uint8Array[];
  samples: Uint32Array[];
  position?: Float32Array[];
  normal?: Float32Array[];
  tangent?: Float32Array[];
  bitangent?: Float32Array[];
  /**
   * Per page, 3 floats per texel: the part of RGB that next-event samples at the texel found, direct light from
   * lights, emitters and the sky through portals (native BakeOutput::page_direct); RGB less it came by bounce rays.
   */
  direct?: Float32Array[];
  /**
   * Rays traced per texel (0 where invalid): all its samples' rays, deterministic like its value, so a measure of
   * its cost independent of the machine and of which other texels were baked (native BakeOutput::page_rays).
   */
  rays?: Uint32Array[];
}
/** Light transport options; ranges and defaults: native bake/options.h kTransportOptions. */
export interface RawTransportOptions extends BackendOption, Progress {
  /** Indirect bounces after the first surface (default 3). */
  bounces?: number;
  /** Russian roulette from this bounce on (default 2). */
  russianRouletteFrom?: number;
  /** AO channel: occluders nearer than this (world units) darken (default 1). */
  aoDistance?: number;
  /** Clamp of indirect path contributions against fireflies; 0 = off (default). */
  clampIndirect?: number;
  /**
   * With gather pages (BakeNativeInputs.gatherPages): a bounce ray reads them only where it travelled farther than
   * this many of the hit's lightmap texels; nearer, the path goes on (default 3; 0: everywhere).
   */
  gatherNear?: number;
  /**
   * Point and spot lights also reach path vertices through one light vertex per sample, MIS-weighted against bounce
   * rays (default true): the bounce light of hotspots next to lights without its fireflies. false = bounce rays
   * only (same expectation, for A/B comparisons).
   */
  lightVertices?: boolean;
  /**
   * The sky is also sampled through the openings it gets in by (sky portals, found per scene: native
   * bake/sky_portals.h), MIS-weighted against bounce rays that escape (default true): daylit interiors with far less
   * noise. false = bounce rays only (same expectation, for A/B comparisons).
   */
  skyPortals?: boolean;
  /**
   * The sun that gets in through the sky portals also reaches path vertices through a light vertex shot through
   * the portals along the light, where its light lands (default true): the bounce light of a sunlit patch in a
   * daylit interior. false = bounce rays only (same expectation, for A/B comparisons).
   */
  sunVertices?: boolean;
  /**
   * The first path vertex's decisions (bounce direction, light and portal samples, the light vertex) take each
   * texel's or pixel's samples from an Owen-scrambled Sobol' sequence, stratified among themselves (native
   * ote/qmc.h), instead of independent random numbers (default true): less noise at the same samples. false =
   * independent numbers (same expectation, for A/B comparisons).
   */
  lowDiscrepancy?: boolean;
}
/** Bake options; ranges and defaults: native bake/options.h kBakeOptions. */
export interface RawBakeOptions extends RawTransportOptions {
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
  /**
   * Bake only the covered texels whose ordinal is in [texelBegin, texelEnd) (default all; with texelStride, the
   * multiples of it among them); the others come back invalid. The ordinal is a texel's index among all covered
   * texels of the layout, page-major then raster order. A texel's result depends only on its ordinal, never on the
   * range (native bake.h BakeParams::texel_begin), so ranges that partition [0, coveredTexels) merge into exactly
   * the whole bake (bake/split.ts).
   */
  texelBegin?: number;
  texelEnd?: number;
  /** Trace a world-space copy of the scene (one BVH, no instance transforms) when memory allows (default true). */
  flattenWorld?: boolean;
}
export interface BakeNativeStats {
  backend: 'cpu' | 'cuda';
  /** Texels baked. */
  texels: number;
  /** Covered texels of the whole layout: the ordinals texelBegin/texelEnd index are [0, coveredTexels). */
  coveredTexels: number;
  /**
   * Texels outside the stride and range traced for the first pass only, for the early stop's scene mean
   * (native texel_step.h kSceneMeanTexels); texelSamples and rays include their samples.
   */
  probeTexels: number;
  texelSamples: number;
  rays: number;
  repairedTexels: number;
  setupSeconds: number;
  /** The part of setupSeconds spent on the conservative raster, which visits every page texel. */
  rasterSeconds: number;
  /**
   * The part of setupSeconds spent on the whole scene, whichever texels are baked (emitters, texel sizes, sky and sun
   * portals): a calibration pays it once, as the bake does.
   */
  sceneSeconds: number;
  traceSeconds: number;
  /** Process CPU time while tracing (on a loaded machine, wall time overstates the cost). */
  traceCpuSeconds: number;
  /** Whether the world-space copy was traced (flattenWorld and not too heavily instanced). */
  flattened: boolean;
  /** Fewest and most samples a texel took (progressive early stop). */
  minTexelSamples: number;
  maxTexelSamples: number;
}
export interface RawRenderReferenceOptions extends RawTransportOptions {
  mode: 'pathtrace' | 'lightmapped';
  spp?: number;
  seed?: number;
  /** Rows rendered, [rowBegin, rowEnd) (rowEnd 0 or absent: to the last row); outputs.rgba holds just these rows. */
  rowBegin?: number;
  rowEnd?: number;
}

// ---- splat --------------------------------------------------------------------------------------------------

/** A Gaussian model as the splat bindings read it: one array per parameter group (native/layouts.ts). */
export interface RawSplatModel {
  means: Float32Array;
  logScales: Float32Array;
  quats: Float32Array;
  opacity: Float32Array;
  sh: Float32Array;
  /** SH coefficients per Gaussian per channel in `sh`. */
  shStride: number;
  /** Active SH degree, (shDegree + 1)² <= shStride. */
  shDegree: number;
  /** Mip-Splatting's opacity compensation (GaussianModel.antialiased); absent: classic 3DGS. */
  antialiased?: boolean;
}
/** Planar image arrays (rgb 3 per pixel, alpha, depth); any may be absent. */
export interface RawSplatImage {
  rgb?: Float32Array;
  alpha?: Float32Array;
  depth?: Float32Array;
}
export interface RawSplatGrads {
  means: Float32Array;
  logScales: Float32Array;
  quats: Float32Array;
  opacity: Float32Array;
  sh: Float32Array;
  mean2dGradNorm?: Float32Array;
  radii?: Int32Array;
}
export interface RawSplatOptions extends BackendOption, Progress {
  background?: [number, number, number];
}
/** Adam's step (1-based, for bias correction) and learning rate per parameter group. */
export interface RawAdamHyper {
  step: number;
  lrMeans: number;
  lrScales: number;
  lrQuats: number;
  lrOpacity: number;
  lrShDc: number;
  lrShRest: number;
}
/** Adam moments: one array each, the parameter groups' blocks in order (native/layouts.ts adamBlockOffset). */
export interface RawAdamMoments {
  m: Float32Array;
  v: Float32Array;
}
export interface RawDensifyStats {
  gradAccum: Float32Array;
  denom: Float32Array;
  maxRadii: Float32Array;
}
export interface SplatStats {
  backend: 'cpu' | 'cuda';
  visible: number;
  intersections: number;
  projectMs: number;
  sortMs: number;
  rasterMs: number;
  backwardMs: number;
  /** A CPU training step's image loss with its gradient, and its Adam update; 0 where not timed apart. */
  lossMs: number;
  adamMs: number;
}
/** Opaque handle of a device-resident training session. */
export type NativeSplatSession = object;

// ---- lightmap post-processing (lightmap_post_binding.cpp; ote/bake/lightmap_post.h) ----------------------------

/** One lightmap page, width × height texels row-major; `rgba` is denoised and dilated in place. */
export interface RawLightmapPage {
  width: number;
  height: number;
  /** 4 per texel: RGB light, AO in A. */
  rgba: Float32Array;
  /** 1 where a triangle covers the texel. */
  valid: Uint8Array;
  /** 3 per texel each: world position and unit normal (required to denoise). */
  position?: Float32Array;
  normal?: Float32Array;
  /** 3 per texel: the part of RGB next-event samples found; absent or empty: RGB is denoised as one. */
  direct?: Float32Array;
  /** World size of a texel where the page cannot tell, > 0. */
  texelSize: number;
}

export interface RawDenoiseStep {
  iterations?: number;
  lumaSigma?: number;
}

/** Defaults: bake/post.ts LIGHTMAP_DENOISE_DEFAULTS, 4 dilation rings. */
export interface RawLightmapPostOptions extends Progress {
  denoise?: boolean;
  direct?: RawDenoiseStep;
  bounced?: RawDenoiseStep;
  whole?: RawDenoiseStep;
  dilateRings?: number;
}

// ---- the addon ----------------------------------------------------------------------------------------------

export interface RawAddon {
  /** The build: CUDA compiled in, devices, threads (addon.cpp). */
  info(): NativeInfo;
  /** The packed records and parameter layouts, from the C++ declarations (layouts_binding.cpp). */
  layouts(): NativeLayouts;

  /** World-space triangle measures per instance into `outputs` (measure_binding.cpp). */
  measureTriangles(
    scene: FlatScene,
    outputs: MeasureOutputs,
    options: BackendOption & Progress,
  ): NativeJobHandle<MeasureStats>;

  /** Denoises and dilates one lightmap page in place (lightmap_post_binding.cpp). */
  postprocessLightmapPage(page: RawLightmapPage, options: RawLightmapPostOptions): NativeJobHandle<void>;

  /** PSNR, SSIM, MS-SSIM and FLIP of `test` against `reference`; `maps` receive per-pixel SSIM (luma) and FLIP. */
  computeImageMetrics(
    reference: NativeImage,
    test: NativeImage,
    options: RawMetricsOptions,
    maps: { ssimLuma?: Float32Array; flip?: Float32Array },
  ): NativeJobHandle<NativeMetricsResult>;

  /** A two-level BVH over `scene`, kept until disposeSceneBvh or garbage collection (rays_binding.cpp). */
  createSceneBvh(
    scene: FlatScene,
    options: { maxLeafSize?: number; mergeIntoWorld?: boolean; copyBudget?: number } & Progress,
  ): NativeJobHandle<{ handle: NativeBvhHandle; stats: BvhStats }>;
  disposeSceneBvh(handle: NativeBvhHandle): void;
  /** New instance transforms (scene.instanceTransforms); the rest of `scene` must be the one the BVH was built from. */
  refitSceneBvh(handle: NativeBvhHandle, scene: FlatScene, options: Progress): NativeJobHandle<BvhStats>;
  traceRays(
    handle: NativeBvhHandle,
    rays: RawRays,
    out: RawHits,
    options: RawTraceOptions,
  ): NativeJobHandle<TraceTiming>;
  /** The ray-core preview renderer into `out` (linear RGBA float, width × height × 4). */
  renderView(
    handle: NativeBvhHandle,
    params: RawRenderViewParams,
    materials: RawRenderViewMaterials,
    out: Float32Array,
    options: BackendOption & Progress,
  ): NativeJobHandle<{ backend: 'cpu' | 'cuda' }>;

  /** Lightmap charts and atlas pages (bake_binding.cpp); fills outputs.cornerUv (6 per triangle) and triangleChart. */
  generateLightmapUvs(
    input: LightmapUvNativeInput,
    outputs: { cornerUv: Float32Array; triangleChart: Uint32Array },
    options: RawLightmapUvOptions,
  ): NativeJobHandle<LightmapUvNativeStats>;
  /** Synchronous: triangles whose UV triangles overlap another's, optionally only within a page. */
  countUvOverlaps(cornerUv: Float32Array, page?: Uint32Array): { count: number; flags: Uint8Array };
  bakeLightmaps(
    scene: FlatScene,
    inputs: BakeNativeInputs,
    outputs: RawBakeOutputs,
    options: RawBakeOptions,
  ): NativeJobHandle<BakeNativeStats>;
  /** A view path traced, or lit from `outputs.pages` (RGBA float per page) in 'lightmapped' mode, into outputs.rgba. */
  renderReference(
    scene: FlatScene,
    inputs: BakeNativeInputs,
    view: View,
    /** rays (optional, path traced): rays traced per pixel of the rows rendered, camera rays included. */
    outputs: { rgba: Float32Array; pages: Float32Array[]; rays?: Uint32Array },
    options: RawRenderReferenceOptions,
  ): NativeJobHandle<Record<string, never>>;

  /** Forward render into planar outputs (splat_binding.cpp). */
  splatRender(
    model: RawSplatModel,
    camera: SplatCamera,
    outputs: RawSplatImage,
    options: RawSplatOptions,
  ): NativeJobHandle<SplatStats>;
  /** Gradients of sum(dImage · image) into `grads`. */
  splatBackward(
    model: RawSplatModel,
    camera: SplatCamera,
    dImage: RawSplatImage,
    grads: RawSplatGrads,
    options: RawSplatOptions,
  ): NativeJobHandle<SplatStats>;
  /** Render, loss against target.rgb, backward and Adam; updates the model's arrays and the moments in place. */
  splatTrainStep(
    model: RawSplatModel,
    camera: SplatCamera,
    target: { rgb: Float32Array },
    adam: RawAdamMoments & RawAdamHyper,
    grads: RawSplatGrads,
    outputs: RawSplatImage,
    options: RawSplatOptions & { lambda?: number },
  ): NativeJobHandle<SplatStats & { loss: number }>;
  /** Synchronous: (1 − lambda) L1 + lambda (1 − SSIM) over RGB, its gradient into dRgb when given. */
  splatImageLoss(args: {
    rgb: Float32Array;
    target: Float32Array;
    width: number;
    height: number;
    lambda?: number;
    dRgb?: Float32Array;
  }): { loss: number; ssim: number };
  splatSessionCreate(
    model: RawSplatModel,
    views: { camera: SplatCamera; target: Float32Array }[],
  ): NativeJobHandle<NativeSplatSession>;
  splatSessionStep(
    session: NativeSplatSession,
    view: number,
    options: {
      adam: RawAdamHyper;
      shDegree: number;
      lambda?: number;
      background?: [number, number, number];
      accumulate?: boolean;
      ndcScale?: number;
    } & Progress,
  ): NativeJobHandle<{ loss: number }>;
  splatSessionRead(
    session: NativeSplatSession,
    model?: RawSplatModel,
    adam?: RawAdamMoments,
    stats?: RawDensifyStats,
  ): NativeJobHandle<void>;
  splatSessionWrite(
    session: NativeSplatSession,
    model: RawSplatModel,
    adam?: RawAdamMoments,
    stats?: RawDensifyStats,
  ): NativeJobHandle<void>;
  /** Replaces view `view`'s target (RGB, 3 per pixel, the view's size). */
  splatSessionTarget(session: NativeSplatSession, view: number, target: { rgb: Float32Array }): NativeJobHandle<void>;
  /** Frees the session's device memory now (idempotent). */
  splatSessionClose(session: NativeSplatSession): void;
}

/**
 * Every function of RawAddon, as a runtime list: the object literal must name each key of RawAddon and no other
 * (the compiler refuses a missing or an extra one), so the list cannot drift from the interface.
 */
const FUNCTIONS: { readonly [K in keyof RawAddon]-?: true } = {
  info: true,
  layouts: true,
  measureTriangles: true,
  computeImageMetrics: true,
  postprocessLightmapPage: true,
  createSceneBvh: true,
  disposeSceneBvh: true,
  refitSceneBvh: true,
  traceRays: true,
  renderView: true,
  generateLightmapUvs: true,
  countUvOverlaps: true,
  bakeLightmaps: true,
  renderReference: true,
  splatRender: true,
  splatBackward: true,
  splatTrainStep: true,
  splatImageLoss: true,
  splatSessionCreate: true,
  splatSessionStep: true,
  splatSessionRead: true,
  splatSessionWrite: true,
  splatSessionTarget: true,
  splatSessionClose: true,
};
export const ADDON_FUNCTIONS = Object.keys(FUNCTIONS) as (keyof RawAddon)[];
