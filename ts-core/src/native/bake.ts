/**
 * Typed wrappers over the baking bindings (native-cuda/include/ote/bake/). Flat arrays in, flat arrays out; the
 * scene-level orchestration lives in ts-core/src/bake/.
 */
import type { FlatScene } from '../scene/flatten.js';
import type { View } from '../scene/view.js';
import { addon } from './addon.js';
import type {
  BakeNativeInputs,
  BakeNativeStats,
  LightmapUvNativeInput,
  LightmapUvNativeStats,
  RawBakeOptions,
  RawTransportOptions,
} from './addon-api.js';
import { runJob, type JobOptions } from './job.js';

export type { BakeNativeInputs, BakeNativeStats, LightmapUvNativeInput } from './addon-api.js';

export interface LightmapUvNativeOptions extends JobOptions {
  /** Largest page, square, in texels (default 1024). Each page is cropped to its content (a multiple of 4 texels). */
  pageSize?: number;
  /** Empty texels between the conservative footprints of any two charts, and to the page edge (default 2). */
  padding?: number;
  /** Charts grow while normals stay within this cone (default 40°): bounds stretch at 1/cos. */
  maxConeDegrees?: number;
}

/** generateLightmapUvs' figures plus, per triangle corner, UV1 in its object's page (v down) and each triangle's chart. */
export interface LightmapUvNativeResult extends LightmapUvNativeStats {
  cornerUv: Float32Array;
  triangleChart: Uint32Array;
}

export async function generateLightmapUvsNative(
  input: LightmapUvNativeInput,
  opts: LightmapUvNativeOptions = {},
): Promise<LightmapUvNativeResult> {
  const t = input.indices.length / 3;
  const outputs = { cornerUv: new Float32Array(6 * t), triangleChart: new Uint32Array(t) };
  const r = await runJob(
    (onProgress) =>
      addon().generateLightmapUvs(input, outputs, {
        ...(opts.pageSize !== undefined && { pageSize: opts.pageSize }),
        ...(opts.padding !== undefined && { padding: opts.padding }),
        ...(opts.maxConeDegrees !== undefined && { maxConeDegrees: opts.maxConeDegrees }),
        onProgress,
      }),
    opts,
  );
  return { ...r, ...outputs };
}

/**
 * Triangles whose UV triangles overlap another's by more than 1e-6 (touching edges do not count). `page` (one per
 * triangle) restricts the comparison to triangles on the same page.
 */
export function countUvOverlaps(cornerUv: Float32Array, page?: Uint32Array): { count: number; flags: Uint8Array } {
  return addon().countUvOverlaps(cornerUv, page);
}

/** Light transport options (addon-api.ts RawTransportOptions, documented there). */
export type TransportOptions = Omit<RawTransportOptions, 'onProgress'>;

/** Bake options (addon-api.ts RawBakeOptions), with cancellation and which outputs to return. */
export interface BakeNativeOptions extends JobOptions, Omit<RawBakeOptions, 'onProgress'> {
  /**
   * Return what post needs per texel: position, normal and tangent frame, and the direct light (default true; a
   * calibration needs none).
   */
  guides?: boolean;
  /** Return the rays traced per texel (`pages.rays`; default false). */
  rays?: boolean;
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
  /**
   * Per page, 3 floats per texel, with the guides: the part of RGB that next-event samples at the texel found
   * (direct light from lights, emitters and the sky through portals); RGB less it came by bounce rays (post
   * filters the two apart, bake/post.ts).
   */
  direct: Float32Array[];
  /** Per page, rays traced per texel when asked for (`rays: true`), else empty. */
  rays: Uint32Array[];
}

export async function bakeLightmapsNative(
  flat: FlatScene,
  inputs: BakeNativeInputs,
  opts: BakeNativeOptions = {},
): Promise<{ pages: BakeNativePages; stats: BakeNativeStats }> {
  const sizes = Array.from(inputs.pageWidth, (w, i) => w * inputs.pageHeight[i]);
  const guides = opts.guides ?? true;
  const guide = () => (guides ? sizes.map((n) => new Float32Array(3 * n)) : []);
  const pages: BakeNativePages = {
    rgba: sizes.map((n) => new Float32Array(4 * n)),
    valid: sizes.map((n) => new Uint8Array(n)),
    samples: sizes.map((n) => new Uint32Array(n)),
    position: guide(),
    normal: guide(),
    tangent: guide(),
    bitangent: guide(),
    direct: guide(),
    rays: opts.rays ? sizes.map((n) => new Uint32Array(n)) : [],
  };
  const { signal: _s, onProgress: _p, guides: _g, rays: _r, ...native } = opts;
  // Guides and rays not asked for are not passed at all: the addon fills only the arrays it is given.
  const { rgba, valid, samples, position, normal, tangent, bitangent, direct, rays } = pages;
  const out = {
    rgba,
    valid,
    samples,
    ...(guides && { position, normal, tangent, bitangent, direct }),
    ...(opts.rays && { rays }),
  };
  const stats = await runJob((onProgress) => addon().bakeLightmaps(flat, inputs, out, { ...native, onProgress }), opts);
  return { pages, stats };
}

export interface RenderReferenceOptions extends JobOptions, TransportOptions {
  mode: 'pathtrace' | 'lightmapped';
  spp?: number;
  seed?: number;
  /**
   * Rows to render, [begin, end) (default: all). The result holds only these rows; each pixel is seeded by its
   * index in the whole image, so bands rendered apart (on other machines) join into the whole image bit for bit.
   */
  rows?: { begin: number; end: number };
  /** Filled with the rays each pixel traced (camera rays included): width × rows entries. */
  pixelRays?: Uint32Array;
}

/** Render a view path-traced, or lit from lightmap pages (RGBA float, as bakeLightmapsNative returns them). */
export async function renderReferenceNative(
  flat: FlatScene,
  inputs: BakeNativeInputs,
  view: View,
  pages: Float32Array[] | undefined,
  opts: RenderReferenceOptions,
): Promise<Float32Array> {
  const { signal: _s, onProgress: _p, rows, pixelRays, ...native } = opts;
  const [begin, end] = rows ? [rows.begin, rows.end] : [0, view.height];
  const rgba = new Float32Array(4 * view.width * Math.max(0, end - begin));
  await runJob(
    (onProgress) =>
      addon().renderReference(
        flat,
        inputs,
        view,
        { rgba, pages: pages ?? [], ...(pixelRays && { rays: pixelRays }) },
        { ...native, ...(rows && { rowBegin: begin, rowEnd: end }), onProgress },
      ),
    opts,
  );
  return rgba;
}
