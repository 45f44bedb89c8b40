/**
 * The verification evaluator on the product's own renderers and metrics. Per sample:
 * - the camera is the sample's crop (`cropView`), rendered at 2·pixels square and box-filtered to `pixels`;
 * - the reference glTF is rendered as the job's render spec says: path traced with the bake's own transport
 *   (render/pathtrace.ts), or by the ray-core preview ('shaded') or unlit ('albedo': material colours with their
 *   textures' means and emission, what a splat converted from the surfaces carries);
 * - the candidate is rendered as it will be seen: a lightmapped glTF lit only by its decoded MOZ_lightmap pages
 *   (render/lightmapped.ts), primitives without a lightmap as the reference is; a glTF without any lightmap like
 *   the reference; a splat file (PLY or SPZ) by the splat rasterizer (native/splat.ts); a hybrid artifact
 *   (io/hybrid-artifact.ts) as its glTF, with its splats drawn over it by depth (render/hybrid.ts), as the
 *   producer's own check draws it;
 * - both are compared as displayed (ACES tone map, sRGB, 8 bits, as `ote optimize` compares its own check) with
 *   PSNR, SSIM on luma and FLIP.
 * Every random number comes from the sample's `renderSeed`, and everything runs on the CPU by default, where the
 * renderers and metrics are deterministic: honest nodes compute the same numbers, so any deviation is a real
 * disagreement. (CUDA nodes agree only to ~1e-6; the consensus tolerance absorbs that.)
 */
import { sceneFromGlb, SceneCache } from './blob-scenes.js';
import type { SampleEvaluator, SampleResult } from './evaluator.js';
import { cropView, turnedView, viewScale } from './sample-view.js';
import type { SampleSpec } from './sampling.js';
import { DEFAULT_RENDER, PSNR_CAP, type ArtifactKind, type RenderSpec } from './types.js';
import type { FloatImage } from '../image/float-image.js';
import type { LightmappedGltf } from '../render/lightmapped-gltf.js';
import type { Scene } from '../scene/types.js';
import { withEnvironmentSun } from '../plan/environment.js';
import type { RenderEnvironment } from './types.js';
import type { View } from '../scene/view.js';
import type { GaussianModel } from '../scene/gaussians.js';
import { isSpzBytes } from '../io/spz.js';

/**
 * Splat files are told apart by their bytes: PLY starts with "ply", SPZ is gzip (versions 2 and 3) or starts with
 * "NGSP" (version 4, isSpzBytes), .splat is neither.
 */
function splatFormatOfBytes(b: Uint8Array): 'ply' | 'spz' | 'splat' {
  if (b[0] === 0x70 && b[1] === 0x6c && b[2] === 0x79) return 'ply';
  if (isSpzBytes(b)) return 'spz';
  return 'splat';
}

/** A lightmapped candidate, decoded once per blob (render/lightmapped-gltf.ts draws it, here and in `ote optimize`). */
async function decodeLitCandidate(bytes: Uint8Array, hash?: string): Promise<LightmappedGltf> {
  const { decodeLightmappedGltf } = await import('../render/lightmapped-gltf.js');
  return decodeLightmappedGltf(await sceneFromGlb(bytes, hash));
}

/** A hybrid candidate's two parts, decoded once per blob. */
async function decodeHybridCandidate(bytes: Uint8Array): Promise<{ lit: LightmappedGltf; splats: GaussianModel }> {
  const { decodeHybridArtifact } = await import('../io/hybrid-artifact.js');
  const parts = decodeHybridArtifact(bytes);
  return { lit: await decodeLitCandidate(parts.glb), splats: await decodeSplatBlob(parts.splats) };
}

/**
 * Per material, the linear RGBA an unlit view shows: base colour factor × the mean of its base colour texture,
 * plus emission × the mean of its emissive texture. The same terms a splat converted from the surface carries
 * (splat/convert.ts), averaged over the texture because the preview renderer shades per material.
 */
async function unlitMaterialColors(scene: Scene): Promise<Float32Array> {
  const { decodeSceneTextures } = await import('../io/textures.js');
  const { SRGB8_TO_LINEAR: lut } = await import('../image/float-image.js');
  const { textures } = await decodeSceneTextures(scene);
  const means = new Map<number, number[]>();
  const mean = (index: number | undefined): number[] => {
    const t = index === undefined ? undefined : textures[index];
    if (!t) return [1, 1, 1, 1];
    let m = means.get(index!);
    if (!m) {
      const s = [0, 0, 0, 0],
        n = t.width * t.height;
      for (let i = 0; i < n; i++)
        for (let c = 0; c < 4; c++) s[c] += c < 3 ? lut[t.data[4 * i + c]] : t.data[4 * i + c] / 255;
      m = s.map((v) => v / Math.max(1, n));
      means.set(index!, m);
    }
    return m;
  };
  const out = new Float32Array(scene.materials.length * 4);
  scene.materials.forEach((mat, i) => {
    const b = mean(mat.baseColorTexture?.texture),
      e = mean(mat.emissiveTexture?.texture);
    for (let c = 0; c < 3; c++)
      out[4 * i + c] = mat.baseColorFactor[c] * b[c] + mat.emissiveFactor[c] * mat.emissiveStrength * e[c];
    out[4 * i + 3] = mat.baseColorFactor[3] * b[3];
  });
  return out;
}

async function decodeSplatBlob(bytes: Uint8Array): Promise<GaussianModel> {
  const { decodeSplats } = await import('../io/splat-formats.js');
  return decodeSplats(bytes, splatFormatOfBytes(bytes), 'splat artifact');
}

export class RenderedSampleEvaluator implements SampleEvaluator {
  readonly name = 'pathtrace|lightmapped|splat+metrics';
  readonly kinds: ArtifactKind[] = ['lightmap-gltf', 'splat', 'hybrid'];
  private references = new SceneCache<Scene>(sceneFromGlb);
  private lit = new SceneCache<LightmappedGltf>(decodeLitCandidate);
  private splats = new SceneCache<GaussianModel>(decodeSplatBlob, 4);
  private hybrids = new SceneCache(decodeHybridCandidate, 4);
  private unlit = new WeakMap<Scene, Promise<Float32Array>>();

  /**
   * `backend`: 'cpu' (default) for bit-identical results across nodes; 'cuda' nodes agree with CPU nodes within
   * the consensus tolerance (the path tracer and lightmapped renderer run on CPU threads either way).
   * `defaults`: the render spec of jobs that state none.
   */
  constructor(
    private backend: 'cpu' | 'cuda' = 'cpu',
    private defaults: RenderSpec = DEFAULT_RENDER,
  ) {}

  /**
   * Where the samples stand: the scene's cameras, else views a viewer would choose (render/views.ts, traced on the
   * CPU so that every node plans the same ones). Planned once per reference scene.
   */
  private anchors = new WeakMap<Scene, Promise<View[]>>();
  private async anchorsOf(reference: Scene): Promise<View[]> {
    let p = this.anchors.get(reference);
    if (!p) {
      p = import('../render/views.js').then(
        async ({ planSceneViews }) => (await planSceneViews(reference, { count: 3, width: 96 })).views,
      );
      this.anchors.set(reference, p);
    }
    return p;
  }

  /** The sample's camera for a reference scene, at the rendered (pre-filter) size. */
  async view(reference: Scene, sample: SampleSpec, spec: RenderSpec): Promise<View> {
    return cropView(turnedView(await this.anchorsOf(reference), sample), sample.crop, 2 * spec.pixels);
  }

  /** The scene with the job's environment sun added (the sky goes to the path tracer directly); cached per scene. */
  private sunlit = new WeakMap<Scene, { key: string; scene: Scene }>();
  private withEnvironment(scene: Scene, env: RenderEnvironment | undefined): Scene {
    if (!env?.sun) return scene;
    const key = JSON.stringify(env.sun),
      hit = this.sunlit.get(scene);
    if (hit?.key === key) return hit.scene;
    const out = withEnvironmentSun(scene, env);
    this.sunlit.set(scene, { key, scene: out });
    return out;
  }

  /** Renders a glTF scene the way `spec.reference` says (the reference, and candidates without baked lighting). */
  async renderLikeReference(scene: Scene, view: View, spec: RenderSpec, seed: number): Promise<FloatImage> {
    if (spec.reference === 'pathtrace') {
      const { renderPathtraced } = await import('../render/pathtrace.js');
      return renderPathtraced(this.withEnvironment(scene, spec.environment), view, {
        spp: spec.spp,
        bounces: spec.bounces,
        seed,
        sky: spec.environment?.sky,
      });
    }
    const { renderView } = await import('../render/render-view.js');
    let materialColors: Float32Array | undefined;
    if (spec.reference === 'albedo') {
      let p = this.unlit.get(scene);
      if (!p) {
        p = unlitMaterialColors(scene);
        this.unlit.set(scene, p);
      }
      materialColors = await p;
    }
    return renderView(scene, view, {
      mode: spec.reference,
      spp: spec.spp,
      seed,
      backend: this.backend,
      materialColors,
    });
  }

  /**
   * Renders the candidate as it will be seen. Splats (a splat or hybrid candidate) are drawn as fine as the job's
   * viewing pixel (`viewScale`), up to 4× the crop's render size, and box-filtered back to it: the viewer's frame,
   * averaged as the eye would. The samples per pixel shrink with the pixels, so the mesh costs what it would.
   */
  async renderCandidate(
    artifact: Uint8Array,
    kind: ArtifactKind,
    view: View,
    spec: RenderSpec,
    seed: number,
  ): Promise<FloatImage> {
    const k = kind === 'lightmap-gltf' ? 1 : viewScale(view, spec.viewPixel);
    if (k === 1) return this.drawCandidate(artifact, kind, view, spec, seed);
    const { halve } = await import('../image/display.js');
    const fine = { ...view, width: view.width * k, height: view.height * k };
    let img = await this.drawCandidate(
      artifact,
      kind,
      fine,
      { ...spec, spp: Math.max(1, Math.round(spec.spp / (k * k))) },
      seed,
    );
    for (let f = 1; f < k; f *= 2) img = halve(img);
    return img;
  }

  /** The candidate drawn at `view`'s own size. */
  private async drawCandidate(
    artifact: Uint8Array,
    kind: ArtifactKind,
    view: View,
    spec: RenderSpec,
    seed: number,
  ): Promise<FloatImage> {
    if (kind === 'splat') {
      const { renderSplats } = await import('../native/splat.js');
      const { splatCamera } = await import('../native/splat-camera.js');
      const { fromDisplayImage } = await import('../image/float-image.js');
      const model = await this.splats.get(artifact);
      const frame = await renderSplats(model, splatCamera(view), { background: [0, 0, 0], backend: this.backend });
      // Splat colours are display values at the job's exposure (scene/gaussians.ts), blended in display space over
      // black as a viewer draws them (render/hybrid.ts draws a hybrid's the same way): back to linear radiance, so
      // that one display transform shows both images.
      return fromDisplayImage(frame.image, spec.exposure ?? 0);
    }
    const { renderLightmappedGltf } = await import('../render/lightmapped-gltf.js');
    const hybrid = kind === 'hybrid' ? await this.hybrids.get(artifact) : undefined;
    const lit = hybrid?.lit ?? (await this.lit.get(artifact));
    const mesh = await renderLightmappedGltf(lit, view, {
      spp: spec.spp,
      seed,
      backend: this.backend,
      renderUnlit: (scene, v) => this.renderLikeReference(scene, v, spec, seed),
    });
    if (!hybrid) return mesh;
    const { drawSplatsOver } = await import('../render/hybrid.js');
    return drawSplatsOver(mesh, lit.scene, hybrid.splats, view, spec.exposure ?? 0, {
      backend: this.backend,
      composite: spec.splatComposite ?? 'display',
    });
  }

  async evaluate(
    reference: Uint8Array,
    artifact: Uint8Array,
    kind: ArtifactKind,
    sample: SampleSpec,
    render?: RenderSpec,
  ): Promise<SampleResult> {
    if (!this.kinds.includes(kind)) throw new Error(`${this.name} cannot evaluate ${kind} artifacts`);
    const spec: RenderSpec = { ...this.defaults, ...render };
    // Loaded lazily: metrics load the native addon, which the pure parts of the trust module must not require.
    const { computeMetrics } = await import('../metrics/compute.js');
    const { display, halve, isUninformative } = await import('../image/display.js');
    const { displayedNoise, meanImage } = await import('../image/noise.js');
    const ref = await this.references.get(reference);
    // As displayed: box-filtered, opaque over black, exposed, tone mapped and 8-bit sRGB, the pixels a viewer (and
    // the producer's check) sees.
    const shown = (img: FloatImage) => display(halve(img), { exposure: spec.exposure, opaque: true });
    // A crop whose reference shows nothing (black, or one flat colour) is no evidence: widen it, then take the whole
    // anchor view, then the next anchor's. Every node tries the same views in the same order.
    for (const s of alternativeSamples(sample)) {
      const view = await this.view(ref, s, spec);
      // The reference as two independent halves (seeds renderSeed and the next): their mean is the reference and
      // their difference its noise, which PSNR and SSIM take out (image/noise.ts), as the producer's check does.
      // Only a path-traced reference is noisy; the preview and albedo references are rendered once.
      const halfSpp = Math.floor(spec.spp / 2);
      const halves =
        spec.reference === 'pathtrace' && halfSpp >= 1
          ? [
              await this.renderLikeReference(ref, view, { ...spec, spp: halfSpp }, s.renderSeed),
              await this.renderLikeReference(ref, view, { ...spec, spp: halfSpp }, (s.renderSeed + 1) >>> 0),
            ]
          : undefined;
      const a = shown(
        halves ? meanImage(halves[0], halves[1]) : await this.renderLikeReference(ref, view, spec, s.renderSeed),
      );
      if (isUninformative(a)) continue;
      const referenceNoise = halves ? displayedNoise(shown(halves[0]), shown(halves[1])) : undefined;
      const b = shown(await this.renderCandidate(artifact, kind, view, spec, s.renderSeed));
      const r = await computeMetrics(a, b, {
        metrics: ['psnr', 'ssimLuma', 'flip'],
        referenceNoise,
        backend: this.backend,
      });
      return { psnr: Math.min(PSNR_CAP, r.psnr ?? PSNR_CAP), ssim: r.ssimLuma ?? NaN, flip: r.flip ?? NaN };
    }
    // Nothing to see from any of them: no certificate may rest on black against black, so the sample fails.
    return { psnr: 0, ssim: 0, flip: 1 };
  }
}

/** The sample, then its crop doubled about the same centre, the whole anchor view, and the next anchor's. */
export function alternativeSamples(s: SampleSpec): SampleSpec[] {
  const cx = s.crop.x + s.crop.w / 2,
    cy = s.crop.y + s.crop.h / 2,
    w = Math.min(1, 2 * s.crop.w),
    h = Math.min(1, 2 * s.crop.h);
  const wide = { x: Math.min(1 - w, Math.max(0, cx - w / 2)), y: Math.min(1 - h, Math.max(0, cy - h / 2)), w, h };
  const whole = { x: 0, y: 0, w: 1, h: 1 };
  return [
    s,
    { ...s, crop: wide },
    { ...s, crop: whole },
    { ...s, azimuth: s.azimuth + (2 * Math.PI) / 3, crop: whole },
  ];
}
