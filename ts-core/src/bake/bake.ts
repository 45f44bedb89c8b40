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
import { bakeLightmapsNative, type BakeNativeStats } from '../native/bake.js';
import type { Backend } from '../native/addon.js';
import { bakeInputs, type BakeTextureImage, type LightmapLayout, type Sky } from '../native/transport-inputs.js';
import { diagonal, sceneBounds } from '../scene/bounds.js';
import type { Scene } from '../scene/types.js';
import { length, triangleCross } from '../util/vec3.js';
import { denoise, dilate, findSeams, stitchSeams } from './post.js';
import { generateLightmapUvs, type LightmapAtlas, type LightmapUvOptions } from './uv.js';

export interface BakeOptions extends LightmapUvOptions {
  /** Most samples per texel (default 256); texels whose estimate has converged stop earlier. */
  samples?: number;
  /** Samples before a texel may stop (default 32). */
  minSamples?: number;
  /**
   * Early stop when the standard error of the mean luminance < noiseThreshold × mean (default 0.05), checked every
   * 16 samples. 0.05 is where it starts to pay: on the Cornell box 0.01–0.03 stop almost nothing (≤ 10%: path-
   * traced irradiance has a per-sample relative deviation near 1), 0.05 takes ~30% fewer samples for −0.2 dB of
   * lightmapped-vs-path-traced PSNR (39.8 → 39.6 dB after denoising), 0.1 ~57% fewer for −0.3 dB. 0 = always `samples`.
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
}

export const BAKE_DEFAULTS = { samples: 256, minSamples: 32, noiseThreshold: 0.05, bounces: 3, seed: 1 } as const;

export async function bakeScene(input: Scene, opts: BakeOptions = {}): Promise<BakeResult> {
  const t0 = performance.now();
  const samples = opts.samples ?? BAKE_DEFAULTS.samples, bounces = opts.bounces ?? BAKE_DEFAULTS.bounces;
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new OteError('BAD_PROFILE', `${name} must be an integer in [${lo}, ${hi}], got ${v}`, { path: name });
  };
  int(samples, 'samples', 1, 1 << 20);
  int(bounces, 'bounces', 0, 64);
  int(opts.seed ?? 1, 'seed', 0, 0xffffffff);
  const nt = opts.noiseThreshold ?? BAKE_DEFAULTS.noiseThreshold;
  if (!(nt >= 0 && nt <= 1)) throw new OteError('BAD_PROFILE', `noiseThreshold must be a number in [0, 1], got ${nt}`, { path: 'noiseThreshold' });
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
      throw new OteError('BAD_INPUT', `mesh "${mesh.name}" drawn by node "${node.name}" has no triangle with area; remove it or mark the node dynamic`, { file: input.source, path: `meshes[${node.mesh}]` });
  });

  const uv = await generateLightmapUvs(input, { ...opts, onProgress: opts.onProgress && ((f) => opts.onProgress!(0.05 * f)) });
  opts.onAtlas?.(uv.atlas);
  const layout: LightmapLayout = {
    primitivePages: new Map(uv.atlas.objects.map((o) => [o.node, o.primitivePages])),
    pageWidth: uv.atlas.pages.map((p) => p.width),
    pageHeight: uv.atlas.pages.map((p) => p.height),
  };
  const { flat, inputs, untextured } = bakeInputs(uv.scene, layout, opts.sky, opts.textures ?? await transportTextures(uv.scene));
  const aoDistance = opts.aoDistance ?? Math.max(1e-3, 0.1 * diagonal(sceneBounds(uv.scene)));
  const { pages: raw, stats } = await bakeLightmapsNative(flat, inputs, {
    samples, bounces, minSamples: opts.minSamples ?? BAKE_DEFAULTS.minSamples, noiseThreshold: opts.noiseThreshold ?? BAKE_DEFAULTS.noiseThreshold,
    seed: opts.seed ?? BAKE_DEFAULTS.seed, aoDistance, flattenWorld: opts.flattenWorld, backend: opts.backend ?? 'auto', signal: opts.signal,
    onProgress: opts.onProgress && ((f) => opts.onProgress!(0.05 + 0.9 * f)),
  });

  const t1 = performance.now();
  const pages: FloatImage[] = [];
  const density = Math.min(...uv.atlas.objects.map((o) => o.texelsPerMeter));
  raw.rgba.forEach((data, i) => {
    const img = { width: layout.pageWidth[i], height: layout.pageHeight[i], data };
    if (opts.denoise ?? true) denoise(img, { valid: raw.valid[i], position: raw.position[i], normal: raw.normal[i], texelSize: 1 / density });
    // Padding (2+) plus a ring for bilinear filtering of the dilated texels themselves.
    dilate(img, raw.valid[i], (opts.padding ?? 2) + 2);
    pages.push(img);
  });
  if (opts.stitchSeams ?? true) {
    const prims = [...layout.primitivePages].flatMap(([n, pgs]) => uv.scene.meshes[uv.scene.nodes[n].mesh!].primitives
      .flatMap((p, i) => (p.uv1 ? [{ positions: p.positions, indices: p.indices, uv1: p.uv1, page: pgs[i] }] : [])));
    stitchSeams(pages, findSeams(prims));
  }
  opts.onProgress?.(1);
  const t2 = performance.now();
  return {
    scene: uv.scene, atlas: uv.atlas, layout, pages, valid: raw.valid, tangent: raw.tangent, bitangent: raw.bitangent, untextured, warnings: uv.atlas.warnings,
    stats: {
      ...stats, uvMilliseconds: uv.atlas.milliseconds, postMilliseconds: t2 - t1, totalMilliseconds: t2 - t0,
      samplesPerTexel: stats.texels ? stats.texelSamples / stats.texels : 0,
    },
  };
}
