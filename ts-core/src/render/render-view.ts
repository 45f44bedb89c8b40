/**
 * The primary-ray preview renderer: albedo, normals, ambient occlusion, simple shading and depth, on the native
 * ray-tracing core. Camera rays see what the path tracer's see: back faces of single-sided materials and alpha
 * cut-outs are skipped. Rays are generated and shaded in native code (CPU threads or CUDA); this module only prepares
 * the inputs. Splat training views, Trust verification views and `ote render` all come through here.
 */
import { createImage, type FloatImage } from '../image/float-image.js';
import type { Backend } from '../native/addon.js';
import type { JobOptions } from '../native/job.js';
import { SceneBvh } from '../native/rays.js';
import { renderViewNative } from '../native/view.js';
import { isCutout, materialTable, triangleAttributes, type BakeTextureImage } from '../native/transport-inputs.js';
import { diagonal, sceneBounds } from '../scene/bounds.js';
import { flattenScene } from '../scene/flatten.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';

export type RenderMode = 'albedo' | 'normals' | 'ao' | 'shaded' | 'depth';
export const RENDER_MODES: readonly RenderMode[] = ['albedo', 'normals', 'ao', 'shaded', 'depth'];
const MODE_ID: Record<RenderMode, number> = { albedo: 0, normals: 1, ao: 2, shaded: 3, depth: 4 };

export interface RenderOptions extends JobOptions {
  /** Default 'shaded'. 'normals' writes world normals as n*0.5+0.5; 'depth' writes the view-axis distance. */
  mode?: RenderMode;
  /** Jittered camera samples per pixel (stratified); default 1 (pixel centres, deterministic edges). */
  spp?: number;
  /** Occlusion rays per camera sample for 'ao' and 'shaded'; default 16 for 'ao', 4 for 'shaded'. */
  aoSamples?: number;
  /** Occluders farther than this (scene units) do not darken; default 10% of the scene's diagonal. */
  aoDistance?: number;
  /** Seed of the per-pixel random numbers; the same seed gives the same image on either backend. */
  seed?: number;
  backend?: Backend;
  /** Linear RGBA of pixels that see nothing; default transparent black (alpha is coverage). */
  background?: [number, number, number, number];
  /** World direction towards the key light of 'shaded'; default from above and behind-right of +Z. */
  sunDirection?: [number, number, number];
  /** Linear base colour (RGBA) per scene material, overriding the materials' baseColorFactor (e.g. texture means). */
  materialColors?: Float32Array;
  /** A BVH built for this scene; by default one is built once per Scene object and cached. */
  bvh?: SceneBvh;
  /**
   * The scene's textures decoded (index = scene texture), for the alpha of alpha-tested (MASK, BLEND) materials'
   * base colour textures. Omitted: those textures alone are decoded, once per Scene object (cutoutTextures).
   */
  textures?: readonly (BakeTextureImage | undefined)[];
}

const cutoutCache = new WeakMap<Scene, Promise<(BakeTextureImage | undefined)[] | undefined>>();

/**
 * The decoded base colour textures of the scene's alpha-tested materials (others undefined), once per Scene object;
 * undefined when no alpha-tested material has one. What every renderer reads cut-outs from when not given textures.
 */
export function cutoutTextures(scene: Scene): Promise<(BakeTextureImage | undefined)[] | undefined> {
  const needed = new Set(
    scene.materials.flatMap((m) => (isCutout(m) && m.baseColorTexture ? [m.baseColorTexture.texture] : [])),
  );
  if (!needed.size) return Promise.resolve(undefined);
  let p = cutoutCache.get(scene);
  if (!p) {
    p = (async () => {
      const { decodeSceneTextures } = await import('../io/textures.js');
      // Textures no cut-out reads are left undecoded (a mime type nothing decodes).
      const only = {
        ...scene,
        textures: scene.textures.map((t, i) => (needed.has(i) ? t : { ...t, mimeType: 'application/x-not-needed' })),
      };
      return (await decodeSceneTextures(only)).textures;
    })();
    cutoutCache.set(scene, p);
    p.catch(() => cutoutCache.delete(scene));
  }
  return p;
}

interface SurfaceInputs {
  materials: Float32Array;
  textures: Uint32Array;
  texels: Uint8Array;
  triangleUv0?: Float32Array;
}
const surfaceCache = new WeakMap<Scene, { textures: unknown; surface: SurfaceInputs }>();

/**
 * The native surface tables camera rays read (native/transport-inputs.ts layout): which materials are single-sided, and for
 * alpha-tested ones their coverage, with only their base colour textures bound (UV0 only then). Cached per Scene
 * object and textures array.
 */
function surfaceInputs(scene: Scene, textures: readonly (BakeTextureImage | undefined)[] | undefined): SurfaceInputs {
  const hit = surfaceCache.get(scene);
  if (hit && hit.textures === textures) return hit.surface;
  const needed = new Set(
    scene.materials.flatMap((m) => (isCutout(m) && m.baseColorTexture ? [m.baseColorTexture.texture] : [])),
  );
  const only = textures && needed.size ? textures.map((t, i) => (needed.has(i) ? t : undefined)) : undefined;
  const table = materialTable(scene, only);
  const { triangleUv0 } = triangleAttributes(scene, flattenScene(scene), { uv0: table.textures.length > 0 });
  const surface = { materials: table.materials, textures: table.textures, texels: table.texels, triangleUv0 };
  surfaceCache.set(scene, { textures, surface });
  return surface;
}

const bvhCache = new WeakMap<Scene, Promise<SceneBvh>>();

/** The scene's BVH, built once per Scene object (mutating the scene afterwards is not seen, as with flattenScene). */
export function sceneBvh(scene: Scene, opts: JobOptions = {}): Promise<SceneBvh> {
  let p = bvhCache.get(scene);
  if (!p) {
    p = SceneBvh.build(flattenScene(scene), opts);
    bvhCache.set(scene, p);
    p.catch(() => bvhCache.delete(scene)); // a cancelled or failed build is retried next time
  }
  return p;
}

/** Base colour factors of the scene's materials, linear RGBA, 4 floats per material. */
export function materialBaseColors(scene: Scene): Float32Array {
  const out = new Float32Array(scene.materials.length * 4);
  scene.materials.forEach((m, i) => out.set(m.baseColorFactor, i * 4));
  return out;
}

/** Render one view of the scene into a linear RGBA float image (alpha = coverage). */
export async function renderView(scene: Scene, view: View, opts: RenderOptions = {}): Promise<FloatImage> {
  const mode = opts.mode ?? 'shaded';
  if (!(mode in MODE_ID))
    throw new RangeError(`renderView: unknown mode "${mode}"; choose one of ${RENDER_MODES.join(', ')}`);
  if (!Number.isInteger(view.width) || !Number.isInteger(view.height) || view.width < 1 || view.height < 1)
    throw new RangeError(`renderView: view size ${view.width}x${view.height} must be positive integers`);
  const bvh = opts.bvh ?? (await sceneBvh(scene, { signal: opts.signal }));
  const flat = flattenScene(scene);
  const colors = opts.materialColors ?? materialBaseColors(scene);
  if (colors.length !== scene.materials.length * 4)
    throw new RangeError(
      `renderView: materialColors has length ${colors.length}, expected ${scene.materials.length * 4}`,
    );
  const img = createImage(view.width, view.height);
  const params = {
    cameraToWorld: view.cameraToWorld,
    yfov: view.yfov,
    width: view.width,
    height: view.height,
    znear: view.znear,
    zfar: view.zfar,
    mode: MODE_ID[mode],
    spp: Math.max(1, Math.floor(opts.spp ?? 1)),
    aoSamples: Math.max(0, Math.floor(opts.aoSamples ?? (mode === 'ao' ? 16 : 4))),
    aoDistance: opts.aoDistance ?? Math.max(1e-6, 0.1 * diagonal(sceneBounds(scene))),
    seed: (opts.seed ?? 0) >>> 0,
    sunDirection: opts.sunDirection ? Float32Array.from(opts.sunDirection) : undefined,
    background: opts.background ? Float32Array.from(opts.background) : undefined,
  };
  // Camera rays skip back faces of single-sided materials and alpha cut-outs, as the path tracer's and the
  // lightmapped renderer's do (one rule: native bake/surface.h passes_through).
  const surface = surfaceInputs(scene, opts.textures ?? (await cutoutTextures(scene)));
  const materials = {
    baseColor: colors,
    triangleMaterial: flat.triangleMaterial,
    defaultColor: Float32Array.of(0.8, 0.8, 0.8, 1),
    surface,
  };
  await renderViewNative(bvh, params, materials, img.data, opts);
  return img;
}
