/**
 * `ote render --mode pathtrace`: the ground truth for baked lighting. Camera rays hit the scene; each hit shows its
 * emission plus albedo × L, where L is estimated by the same transport that bakes lightmaps (bake/transport.h:
 * punctual lights with soft shadows, emissive triangles with NEE + MIS, sky, N bounces). Camera rays skip back faces
 * of single-sided materials and alpha cut-outs, as every renderer's do (native bake/surface.h), and lighting-only
 * nodes (`cameraHidden`). Native, CPU threads.
 */
import type { FloatImage } from '../image/float-image.js';
import { transportTextures } from '../io/textures.js';
import type { Backend } from '../native/addon.js';
import type { JobOptions } from '../native/job.js';
import { renderReferenceNative, type TransportOptions } from '../native/bake.js';
import { renderInputs, type BakeTextureImage, type Sky } from '../native/transport-inputs.js';
import { diagonal, sceneBounds } from '../scene/bounds.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';

export interface PathtraceOptions extends JobOptions, TransportOptions {
  /** Camera samples per pixel, each with its own light path (default 64). */
  spp?: number;
  seed?: number;
  sky?: Sky;
  /** The scene's textures, decoded (io/textures.ts decodeSceneTextures): base colour and emission read them. */
  textures?: readonly (BakeTextureImage | undefined)[];
  /** Rows [begin, end) only: the image returned is that band (its height end − begin), seeded as in the whole. */
  rows?: { begin: number; end: number };
  /** Filled with the rays each pixel traced, camera rays included (width × rows entries): its cost. */
  pixelRays?: Uint32Array;
  /**
   * Nodes that are lighting-only (Unity's "Shadows Only"): camera rays pass through their meshes, while they still
   * cast shadows and bounce light. The splat stage renders the objects it trains lit by the rest of the scene so.
   */
  cameraHidden?: readonly number[];
}

/** Per flat instance of `scene`, 1 where its node is in `nodes`. */
function hiddenInstances(instanceNode: Uint32Array, nodes: readonly number[]): Uint8Array {
  const hidden = new Set(nodes),
    out = new Uint8Array(instanceNode.length);
  for (let i = 0; i < out.length; i++) out[i] = hidden.has(instanceNode[i]) ? 1 : 0;
  return out;
}

export async function renderPathtraced(scene: Scene, view: View, opts: PathtraceOptions = {}): Promise<FloatImage> {
  // Without textures given, the ones the transport reads are decoded once per scene (io/textures.ts); the tables
  // are packed once per scene too (renderInputs).
  const { flat, inputs } = renderInputs(scene, undefined, opts.sky, opts.textures ?? (await transportTextures(scene)));
  const hidden = opts.cameraHidden?.length
    ? { ...inputs, instanceCameraHidden: hiddenInstances(flat.instanceNode, opts.cameraHidden) }
    : inputs;
  const data = await renderReferenceNative(flat, hidden, view, undefined, {
    mode: 'pathtrace',
    spp: opts.spp ?? 64,
    seed: opts.seed ?? 1,
    bounces: opts.bounces ?? 3,
    aoDistance: opts.aoDistance ?? Math.max(1e-3, 0.1 * diagonal(sceneBounds(scene))),
    russianRouletteFrom: opts.russianRouletteFrom,
    clampIndirect: opts.clampIndirect,
    lightVertices: opts.lightVertices,
    skyPortals: opts.skyPortals,
    sunVertices: opts.sunVertices,
    lowDiscrepancy: opts.lowDiscrepancy,
    rows: opts.rows,
    pixelRays: opts.pixelRays,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  return { width: view.width, height: data.length / (4 * view.width), data };
}

/** One image of a batch: a view at its samples per pixel and seed. */
export interface PathtraceRequest {
  view: View;
  spp: number;
  seed: number;
}

/** What every image of a batch shares. */
export interface PathtraceCommon {
  bounces: number;
  sky?: Sky;
  /** Sample the sky through the scene's portals too (default true; TransportOptions.skyPortals). */
  skyPortals?: boolean;
  /** Shoot the sun's light vertices through the portals (default true; TransportOptions.sunVertices). */
  sunVertices?: boolean;
  /** Stratify the first vertex's samples per pixel (default true; TransportOptions.lowDiscrepancy). */
  lowDiscrepancy?: boolean;
  /** Lighting-only nodes, which camera rays pass through (PathtraceOptions.cameraHidden). */
  cameraHidden?: readonly number[];
  backend?: Backend;
  signal?: AbortSignal;
  /** Fraction of the whole batch done, in [0, 1]. */
  onProgress?: (f: number) => void;
}

/**
 * Path-traces several views of one scene; the images come back in request order. The default renders them here,
 * one after the other; a farm job's spreads their rows over the farm's workers (farm/render-tasks.ts), with the
 * same pixels, bit for bit.
 */
export type PathtraceBatch = (
  scene: Scene,
  requests: PathtraceRequest[],
  common: PathtraceCommon,
) => Promise<FloatImage[]>;

export const renderPathtracedBatch: PathtraceBatch = (scene, requests, common) =>
  renderBands(
    scene,
    requests,
    requests.map((r, request) => ({ request, begin: 0, end: r.view.height })),
    common,
  );

/** Rows [begin, end) of request `request`'s image. */
export interface PathtraceBand {
  request: number;
  begin: number;
  end: number;
}

/** The bands a task renders, in its order (each a FloatImage of the band's rows). */
export async function renderBands(
  scene: Scene,
  requests: readonly PathtraceRequest[],
  bands: readonly PathtraceBand[],
  common: PathtraceCommon,
): Promise<FloatImage[]> {
  const rows = bands.reduce((s, b) => s + (b.end - b.begin), 0);
  const images: FloatImage[] = [];
  let done = 0;
  for (const b of bands) {
    const r = requests[b.request];
    images.push(
      await renderPathtraced(scene, r.view, {
        spp: r.spp,
        seed: r.seed,
        bounces: common.bounces,
        sky: common.sky,
        skyPortals: common.skyPortals,
        sunVertices: common.sunVertices,
        lowDiscrepancy: common.lowDiscrepancy,
        cameraHidden: common.cameraHidden,
        rows: { begin: b.begin, end: b.end },
        backend: common.backend,
        signal: common.signal,
        onProgress: common.onProgress && ((f) => common.onProgress!((done + f * (b.end - b.begin)) / rows)),
      }),
    );
    done += b.end - b.begin;
  }
  return images;
}
