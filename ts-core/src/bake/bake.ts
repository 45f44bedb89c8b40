/**
 * The baking pipeline for a scene: lightmap UVs (bake/uv.ts), texel setup and progressive path tracing (native,
 * CPU threads or CUDA), dilation and denoising (bake/post.ts). The result keeps float pages; bake/writeback.ts
 * turns them into glTF textures and MOZ_lightmap materials.
 *
 *   const r = await bakeScene(scene, { texelsPerMeter: 32, samples: 256, bounces: 3 });
 *   r.pages[0]   // FloatImage: RGB = irradiance/π (a surface of albedo a reflects a × L), A = ambient occlusion
 */
import { OteError } from '../errors.js';
import type { FloatImage } from '../image/float-image.js';
import { transportTextures } from '../io/textures.js';
import { bakeLightmapsNative, type BakeNativePages, type BakeNativeStats } from '../native/bake.js';
import { postprocessLightmapPageNative } from '../native/lightmap-post.js';
import type { Backend } from '../native/addon.js';
import { bakeInputs, type BakeTextureImage, type LightmapLayout, type Sky } from '../native/transport-inputs.js';
import { diagonal, sceneBounds } from '../scene/bounds.js';
import type { Primitive, Scene } from '../scene/types.js';
import { length, triangleCross } from '../util/vec3.js';
import {
  type FinalGatherOptions,
  finalGatherOptions,
  type FinalGatherReport,
  gatherSamplesForTime,
  gatherSecondsAt,
  firstPassSamples,
} from './final-gather.js';
import { findSeams, LIGHTMAP_DENOISE_DEFAULTS, type SeamMesh, stitchSeams } from './post.js';
import { CHECK_TEXELS, layoutForTime, type TimeTarget } from './time-target.js';
import { splitTwoSided, type TwoSidedOptions, type TwoSidedSurface } from './two-sided.js';
import { generateLightmapUvs, layoutOf, type LightmapAtlas, type LightmapUvOptions } from './uv.js';

export type { FinalGatherOptions, FinalGatherReport } from './final-gather.js';
export type { TimeTarget } from './time-target.js';

export interface BakeOptions extends LightmapUvOptions {
  /** Most samples per texel (default 256); texels whose estimate has converged stop earlier. */
  samples?: number;
  /** Samples before a texel may stop (default 32). */
  minSamples?: number;
  /**
   * Early stop when the standard error of the mean luminance < noiseThreshold × mean (default 0.05), checked every
   * 16 samples after `minSamples`. The spread counts one extra sample at the scene's mean luminance
   * (native-cuda/include/ote/bake/texel_step.h), so a texel whose samples so far were all dark keeps sampling:
   * trusting such runs darkened a room lit through a small skylight by 56% (test/bake/early-stop.test.ts), and
   * Sponza's sky-lit galleries by 4 dB of the own check. 0 = always `samples`.
   */
  noiseThreshold?: number;
  /** Indirect bounces (default 3). */
  bounces?: number;
  /** Edge-aware denoise (default true). */
  denoise?: boolean;
  /** Stitch chart seams on smooth surfaces (default true). */
  stitchSeams?: boolean;
  /** Seed of every random choice: two bakes with the same seed are identical (default 1). */
  seed?: number;
  /** AO channel distance in world units (default: 10% of the scene diagonal). */
  aoDistance?: number;
  sky?: Sky;
  /**
   * Stratify each texel's samples at the first path vertex with a scrambled Sobol' sequence (default true; native
   * ote/qmc.h): on sponza_crytek FLIP 0.088 → 0.081 at the same samples. false = independent random numbers, for
   * A/B comparisons.
   */
  lowDiscrepancy?: boolean;
  /**
   * World-space eye positions the result will be seen from (the scene's cameras, planned views). A double-sided
   * surface has one lightmap value for both faces: where a texel is seen from these eyes, all on its back, it is
   * baked for its back (a pond authored facing its bed and seen from above). Default: none, every double-sided
   * texel bakes the face its authored normals face.
   */
  viewpoints?: readonly (readonly [number, number, number])[];
  /**
   * Where the viewpoints see both faces of a double-sided primitive, bake it as two single-sided copies, front and
   * back, each with its own lightmap (bake/two-sided.ts): true or options (which primitives to leave whole), or
   * false (default true). Without viewpoints nothing is split.
   */
  twoSided?: boolean | TwoSidedOptions;
  /**
   * The scene's textures decoded (index = scene texture; io/textures.ts decodeSceneTextures gives them):
   * base-colour and emissive textures then colour the bounce light and the emitters. Default: the textures the
   * transport reads, decoded once per scene (io/textures.ts).
   */
  textures?: readonly (BakeTextureImage | undefined)[];
  backend?: Backend;
  /**
   * Trace a world-space copy of the static scene: one BVH, no per-ray instance transforms (default true). It is
   * skipped by itself where instancing would more than double the triangles stored (past 4M); false forces the
   * two-level BVH (a baseline for benchmarks).
   */
  flattenWorld?: boolean;
  /**
   * Aim the bake (texel setup, tracing, denoising) at about this many seconds on this machine and backend. A
   * calibration bakes every k-th texel of the layout (bake/time-target.ts) and measures seconds per texel. Over the
   * target, the samples per texel fall first (down to half of `samples`: time-target.ts samplesForTime), then
   * the texel budget shrinks to fit, densities scaling down per object as they do for `maxTexels` (bake/budget.ts),
   * never below the minimal useful density. The result says what was chosen and predicted (`timeTarget`). Absent:
   * none.
   */
  targetSeconds?: number;
  /**
   * Bake in two passes, the second gathering its bounce light from the first's lightmap (bake/final-gather.ts):
   * true or options, or false to trace every path to its end in one pass. Default: where no point or spot light
   * lights the scene (final-gather.ts useFinalGather). No effect without bounces.
   */
  finalGather?: boolean | FinalGatherOptions;
  /** Called once the atlas is laid out, before tracing: lets a progress display show texel counts. */
  onAtlas?: (atlas: LightmapAtlas) => void;
}

export interface BakeStats extends BakeNativeStats {
  uvMilliseconds: number;
  postMilliseconds: number;
  totalMilliseconds: number;
  samplesPerTexel: number;
}

export interface BakeResult {
  /** The scene with UV1 on every lightmapped object (each drawn copy owns its mesh). No lightmap materials yet. */
  scene: Scene;
  atlas: LightmapAtlas;
  layout: LightmapLayout;
  /** One per atlas page: RGB = L (irradiance / π), A = AO; dilated into the padding, denoised. */
  pages: FloatImage[];
  /** Per page: 1 where a triangle covers the texel. */
  valid: Uint8Array[];
  /** Per page, 3 floats per texel (0 where invalid): the texel's tangent frame, +U1 and +V1 directions orthonormal to its normal. */
  tangent: Float32Array[];
  bitangent: Float32Array[];
  /** Texture bindings that could not be baked (they fell back to their factor), each naming material and reason. */
  untextured: string[];
  /**
   * For the report: densities scaled down to fit the texel budget, primitives shrunk to fit a page (atlas.warnings).
   * Per-object effective and requested densities are in atlas.objects; atlas.densityScale is the overall ratio.
   */
  warnings: string[];
  stats: BakeStats;
  /** With `targetSeconds`: the calibration, the texel cap it set, and the seconds predicted for the layout baked. */
  timeTarget?: TimeTarget;
  /** The double-sided primitives the viewpoints see, and which of them were split into front and back copies. */
  twoSided: TwoSidedSurface[];
  /** With a final gather: its two passes' samples and seconds. */
  finalGather?: FinalGatherReport;
}

export const BAKE_DEFAULTS = { samples: 256, minSamples: 32, noiseThreshold: 0.05, bounces: 3, seed: 1 } as const;

/**
 * A bake laid out and ready to trace: the scene with its lightmap UVs, the atlas and the options. bakeScene traces
 * all of it; a split bake (bake/split.ts) traces ranges of its covered texels, possibly on other machines, and
 * merges them. Preparing is deterministic for the same scene and options unless `targetSeconds` is set (the time
 * target's calibration is timed, so its layout depends on the machine): prepare a split bake once and hand the same
 * prepared layout to every task.
 */
export interface PreparedBake {
  /** The scene with UV1 on every lightmapped object (each drawn copy owns its mesh). */
  scene: Scene;
  atlas: LightmapAtlas;
  layout: LightmapLayout;
  options: BakeOptions;
  /** The decoded textures the transport reads (options.textures, or decoded once here; undefined: none). */
  textures: readonly (BakeTextureImage | undefined)[] | undefined;
  /** The AO distance the bake uses (options.aoDistance, or 10% of the scene diagonal). */
  aoDistance: number;
  timeTarget?: TimeTarget;
  /** The double-sided primitives the viewpoints see, and which were split (bake/two-sided.ts). */
  twoSided: TwoSidedSurface[];
  /** performance.now() when preparation began: BakeResult.stats.totalMilliseconds counts from here. */
  startedAt: number;
  /**
   * The second pass of a final gather: the first pass's finished pages (per page width × height × 4 floats), which
   * its bounce rays read (bake/final-gather.ts), and what the two passes did. Absent: paths run to their end.
   */
  gatherPages?: Float32Array[];
  finalGather?: FinalGatherReport;
}

/** Raw per-page results of tracing (before post) with the native stats. */
export interface RawBake {
  pages: BakeNativePages;
  stats: BakeNativeStats;
  /** Texture bindings that could not be baked (they fell back to their factor). */
  untextured: string[];
}

/** What a trace of a prepared layout may restrict or add (native/addon-api.ts RawBakeOptions). */
export interface TraceBakeOptions {
  texelStride?: number;
  texelBegin?: number;
  texelEnd?: number;
  /** Per-texel guides (position, normal, tangent frame): post needs them (default true). */
  guides?: boolean;
  /** Rays traced per texel (pages.rays; default false). */
  rays?: boolean;
  onProgress?: (f: number) => void;
}

/** Validates the options, decodes the textures and lays out the lightmap UVs (with a time target, calibrated). */
export async function prepareBake(source: Scene, opts: BakeOptions = {}): Promise<PreparedBake> {
  const startedAt = performance.now();
  const samples = opts.samples ?? BAKE_DEFAULTS.samples,
    bounces = opts.bounces ?? BAKE_DEFAULTS.bounces;
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new OteError('BAD_PROFILE', `${name} must be an integer in [${lo}, ${hi}], got ${v}`, { path: name });
  };
  int(samples, 'samples', 1, 1 << 20);
  int(bounces, 'bounces', 0, 64);
  int(opts.seed ?? 1, 'seed', 0, 0xffffffff);
  const nt = opts.noiseThreshold ?? BAKE_DEFAULTS.noiseThreshold;
  if (!(nt >= 0 && nt <= 1))
    throw new OteError('BAD_PROFILE', `noiseThreshold must be a number in [0, 1], got ${nt}`, {
      path: 'noiseThreshold',
    });
  // Both faces of a double-sided surface in view: two copies, two lightmaps (before the layout, which gives them charts).
  const { scene: input, surfaces: twoSided } =
    opts.viewpoints?.length && opts.twoSided !== false
      ? await splitTwoSided(source, opts.viewpoints, {
          ...(typeof opts.twoSided === 'object' ? opts.twoSided : {}),
          signal: opts.signal,
        })
      : { scene: source, surfaces: [] };
  // Static meshes with no area cannot be lightmapped: say which, rather than bake an empty chart.
  input.nodes.forEach((node) => {
    if (node.mesh === undefined || node.dynamic) return;
    const mesh = input.meshes[node.mesh];
    let area = 0;
    for (const p of mesh.primitives)
      for (let i = 0; i < p.indices.length && area === 0; i += 3) {
        area += length(triangleCross(p.positions, 3 * p.indices[i], 3 * p.indices[i + 1], 3 * p.indices[i + 2]));
      }
    if (!(area > 0))
      throw new OteError(
        'BAD_INPUT',
        `mesh "${mesh.name}" drawn by node "${node.name}" has no triangle with area; remove it or mark the node dynamic`,
        { file: input.source, path: `meshes[${node.mesh}]` },
      );
  });

  const textures = opts.textures ?? (await transportTextures(input));
  const aoDistance = opts.aoDistance ?? Math.max(1e-3, 0.1 * diagonal(sceneBounds(input)));
  const firstPass = firstPassSamples(opts.finalGather, input, samples, bounces);
  const { uv, timeTarget } =
    opts.targetSeconds === undefined
      ? {
          uv: await generateLightmapUvs(input, {
            ...opts,
            onProgress: opts.onProgress && ((f) => opts.onProgress!(0.05 * f)),
          }),
          timeTarget: undefined,
        }
      : await layoutForTime(
          input,
          opts,
          opts.targetSeconds,
          {
            samples,
            minSamples: opts.minSamples ?? BAKE_DEFAULTS.minSamples,
            // A final gather's two passes are priced as such (time-target.ts gatherRaysAt): on Sponza its second
            // pass traced 2.35 rays per sample against 6.56 for paths to their end.
            ...(firstPass === undefined ? {} : { gather: { firstSamples: firstPass } }),
          },
          // The calibration bakes every texelStride-th texel of a candidate layout the way the bake will.
          async (s, l, texelStride, samples, gather) => {
            const gatherPages = gather
              ? l.pageWidth.map((w, p) => new Float32Array(4 * w * l.pageHeight[p]))
              : undefined;
            const { stats, pages } = await traceLayout(
              {
                options: {
                  ...opts,
                  samples,
                  minSamples: Math.min(samples, opts.minSamples ?? BAKE_DEFAULTS.minSamples),
                },
                textures,
                aoDistance,
                gatherPages,
              },
              s,
              l,
              { texelStride, guides: false, rays: true },
            );
            return { stats, samples: pages.samples, rays: pages.rays };
          },
        );
  opts.onAtlas?.(uv.atlas);
  return {
    scene: uv.scene,
    atlas: uv.atlas,
    layout: layoutOf(uv.atlas),
    // A binding time target may take fewer samples per texel: the prepared bake, and every task of a split one, trace
    // with what it chose.
    options: timeTarget ? { ...opts, samples: timeTarget.samples } : opts,
    textures,
    aoDistance,
    timeTarget,
    twoSided,
    startedAt,
  };
}

/** Texel setup and tracing of one layout, natively: the bake proper, ranges of it, and calibrations. */
async function traceLayout(
  bake: Pick<PreparedBake, 'options' | 'textures' | 'aoDistance' | 'gatherPages'>,
  uvScene: Scene,
  layout: LightmapLayout,
  extra: TraceBakeOptions,
): Promise<RawBake> {
  const opts = bake.options;
  const { flat, inputs, untextured } = bakeInputs(uvScene, layout, opts.sky, bake.textures);
  if (opts.viewpoints?.length) inputs.viewpoints = Float32Array.from(opts.viewpoints.flat());
  if (bake.gatherPages) inputs.gatherPages = bake.gatherPages;
  const { pages, stats } = await bakeLightmapsNative(flat, inputs, {
    samples: opts.samples ?? BAKE_DEFAULTS.samples,
    bounces: opts.bounces ?? BAKE_DEFAULTS.bounces,
    minSamples: opts.minSamples ?? BAKE_DEFAULTS.minSamples,
    noiseThreshold: opts.noiseThreshold ?? BAKE_DEFAULTS.noiseThreshold,
    seed: opts.seed ?? BAKE_DEFAULTS.seed,
    aoDistance: bake.aoDistance,
    lowDiscrepancy: opts.lowDiscrepancy,
    flattenWorld: opts.flattenWorld,
    backend: opts.backend ?? 'auto',
    signal: opts.signal,
    ...(bake.gatherPages ? { gatherNear: finalGatherOptions(opts.finalGather).nearTexels } : {}),
    ...extra,
  });
  return { pages, stats, untextured };
}

/** Traces a prepared bake: all of it, or the stride or range `extra` says (raw pages, before post). */
export function traceBake(bake: PreparedBake, extra: TraceBakeOptions = {}): Promise<RawBake> {
  return traceLayout(bake, bake.scene, bake.layout, extra);
}

/**
 * Post: denoise, dilate into the padding (plus a ring for bilinear filtering of the dilated texels themselves),
 * and stitch seams; one seam mesh per object, so that edges where a split primitive's pieces meet are stitched
 * across pages too. The one post path, for a whole bake and for ranges merged (bake/split.ts mergeBakeRanges).
 * Post-processes `raw.pages.rgba` in place. Denoise and dilation run natively, threaded and cancellable
 * (ote/bake/lightmap_post.h; bake/post.ts is their reference, held to it bit for bit in test/bake/post-native.test.ts).
 */
export async function finishBake(bake: PreparedBake, raw: RawBake): Promise<BakeResult> {
  const { options: opts, layout, atlas } = bake;
  const t1 = performance.now();
  const density = leastDensity(atlas);
  const pages: FloatImage[] = [];
  for (const [i, data] of raw.pages.rgba.entries()) {
    const img = { width: layout.pageWidth[i], height: layout.pageHeight[i], data };
    await postprocessLightmapPageNative(
      {
        width: img.width,
        height: img.height,
        rgba: data,
        valid: raw.pages.valid[i],
        position: raw.pages.position[i],
        normal: raw.pages.normal[i],
        direct: raw.pages.direct[i],
        texelSize: 1 / density,
      },
      {
        ...LIGHTMAP_DENOISE_DEFAULTS,
        denoise: opts.denoise ?? true,
        dilateRings: (opts.padding ?? 2) + 2,
        signal: opts.signal,
      },
    );
    pages.push(img);
  }
  if (opts.stitchSeams ?? true) {
    const meshes = [...layout.primitivePages].map(([n, pgs]) =>
      seamMesh(bake.scene.meshes[bake.scene.nodes[n].mesh!].primitives, pgs),
    );
    stitchSeams(pages, findSeams(meshes.filter((m) => m.indices.length > 0)));
  }
  const postMilliseconds = performance.now() - t1;
  opts.onProgress?.(1);
  const t2 = performance.now();
  const { stats } = raw;
  return {
    scene: bake.scene,
    atlas,
    layout,
    pages,
    valid: raw.pages.valid,
    tangent: raw.pages.tangent,
    bitangent: raw.pages.bitangent,
    untextured: raw.untextured,
    warnings: atlas.warnings,
    timeTarget: bake.timeTarget,
    twoSided: bake.twoSided,
    finalGather: bake.finalGather,
    stats: {
      ...stats,
      uvMilliseconds: atlas.milliseconds,
      postMilliseconds,
      totalMilliseconds: t2 - bake.startedAt,
      samplesPerTexel: stats.texels ? stats.texelSamples / stats.texels : 0,
    },
  };
}

/** Traces a prepared bake with a tracer of the caller's: here (traceBake) or split over a farm (farm/bake-tasks.ts). */
export type BakeTracer = (bake: PreparedBake, onProgress: (f: number) => void) => Promise<RawBake>;

/**
 * Traces a prepared bake through `trace`, in the two passes of a final gather where its options ask for one
 * (bake/final-gather.ts), and returns the bake the result belongs to (the second pass's, with its gather pages and
 * report) with its raw pages: finishBake(bake, raw) then post-processes it as any bake.
 */
export async function traceFinalGather(
  bake: PreparedBake,
  trace: BakeTracer,
  onProgress: (f: number) => void = () => {},
): Promise<{ bake: PreparedBake; raw: RawBake }> {
  const opts = bake.options;
  const samples = opts.samples ?? BAKE_DEFAULTS.samples,
    bounces = opts.bounces ?? BAKE_DEFAULTS.bounces;
  const firstSamples = firstPassSamples(opts.finalGather, bake.scene, samples, bounces);
  if (firstSamples === undefined) return { bake, raw: await trace(bake, onProgress) };
  const t0 = performance.now();
  // The first pass: every path to its end at few samples, finished like any bake (its own onProgress unset: it is
  // part of this one's progress). One bounce fewer: the second pass's gathered bounce is the last, so that the result
  // holds the bounces asked for, as the reference renderer's paths do (with all of them, a closed Cornell box came out
  // 2.8% brighter than paths traced to their end).
  const first: PreparedBake = {
    ...bake,
    options: {
      ...opts,
      bounces: bounces - 1,
      samples: firstSamples,
      minSamples: Math.min(firstSamples, opts.minSamples ?? BAKE_DEFAULTS.minSamples),
      onProgress: undefined,
    },
  };
  const firstRaw = await trace(first, (f) => onProgress(0.1 * f));
  const gatherPages = (await finishBake(first, firstRaw)).pages.map((p) => p.data);
  const firstSeconds = (performance.now() - t0) / 1000;
  const report: FinalGatherReport = { firstSamples, firstSeconds, samples };
  const second: PreparedBake = { ...bake, gatherPages, finalGather: report };
  const target = bake.timeTarget;
  if (target) {
    // The time left once this pass's post (as long as the first's) is done, priced by a calibration of this pass.
    const most = target.askedSamples;
    const stride = Math.max(1, Math.round(firstRaw.stats.texels / CHECK_TEXELS));
    const t1 = performance.now();
    const { stats, pages } = await traceLayout(
      { ...second, options: { ...opts, samples: most } },
      bake.scene,
      bake.layout,
      { texelStride: stride, guides: false, rays: true },
    );
    const postSeconds = finishSeconds(firstRaw, firstSeconds);
    const budgetSeconds = target.seconds - (performance.now() - bake.startedAt) / 1000 - postSeconds;
    report.calibration = { texels: stats.texels, seconds: (performance.now() - t1) / 1000 };
    report.budgetSeconds = budgetSeconds;
    report.samples = gatherSamplesForTime(
      { stats, samples: pages.samples, rays: pages.rays },
      firstRaw.stats.texels,
      budgetSeconds,
      most,
      Math.min(most, opts.minSamples ?? BAKE_DEFAULTS.minSamples),
    );
    report.predictedSeconds = gatherSecondsAt(
      { stats, samples: pages.samples, rays: pages.rays },
      firstRaw.stats.texels,
      report.samples,
    );
    second.options = { ...opts, samples: report.samples };
  }
  const raw = await trace(second, (f) => onProgress(0.1 + 0.9 * f));
  report.secondSeconds = raw.stats.setupSeconds + raw.stats.traceSeconds;
  return { bake: second, raw };
}

/** Seconds of a pass that were not its texel setup and tracing: its post, which the next pass pays again. */
function finishSeconds(raw: RawBake, passSeconds: number): number {
  return Math.max(0, passSeconds - raw.stats.setupSeconds - raw.stats.traceSeconds);
}

export async function bakeScene(input: Scene, opts: BakeOptions = {}): Promise<BakeResult> {
  const prepared = await prepareBake(input, opts);
  const { bake, raw } = await traceFinalGather(
    prepared,
    (b, onProgress) => traceBake(b, { onProgress }),
    opts.onProgress && ((f) => opts.onProgress!(0.05 + 0.9 * f)),
  );
  return finishBake(bake, raw);
}

/** The primitives of one object as one seam mesh (they share its object space), each triangle with its page. */
function seamMesh(prims: readonly Primitive[], pages: readonly number[]): SeamMesh {
  const withUv = prims.map((p, i) => ({ p, page: pages[i] })).filter(({ p, page }) => p.uv1 && page >= 0);
  if (withUv.length === 1) {
    const { p, page } = withUv[0];
    return { positions: p.positions, indices: p.indices, uv1: p.uv1!, page };
  }
  const nv = withUv.reduce((s, { p }) => s + p.positions.length / 3, 0),
    nt = withUv.reduce((s, { p }) => s + p.indices.length / 3, 0);
  const positions = new Float32Array(3 * nv),
    uv1 = new Float32Array(2 * nv),
    indices = new Uint32Array(3 * nt),
    page = new Uint32Array(nt);
  let v = 0,
    t = 0;
  for (const { p, page: pg } of withUv) {
    positions.set(p.positions, 3 * v);
    uv1.set(p.uv1!, 2 * v);
    for (let i = 0; i < p.indices.length; i++) indices[3 * t + i] = p.indices[i] + v;
    page.fill(pg, t, t + p.indices.length / 3);
    v += p.positions.length / 3;
    t += p.indices.length / 3;
  }
  return { positions, indices, uv1, page };
}

/** The least effective density of an atlas's objects: the denoiser's texel size. */
function leastDensity(atlas: LightmapAtlas): number {
  return Math.min(...atlas.objects.map((o) => o.texelsPerMeter));
}
