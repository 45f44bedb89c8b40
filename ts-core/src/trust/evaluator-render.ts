/**
 * The verification evaluator on the product's own renderer and metrics: both scenes are rendered at the sample's
 * view by the ray-core preview renderer (`renderView`, shaded mode, fixed seed) and compared over the sample's
 * crop with `computeMetrics` (PSNR, SSIM on luma, FLIP). Both run on the CPU backend: the metrics branch
 * guarantees bit-identical results on every x86-64 node there, so honest nodes agree exactly and any deviation is
 * a real disagreement. (CUDA would be faster but agrees only to ~1e-6; the consensus tolerance would absorb it.)
 *
 * What it does not do yet: render the candidate through its baked lightmap (the bake branch's renderLightmapped)
 * or the reference path-traced, and splat artifacts; see the profile notes in the report.
 */
import type { SampleEvaluator, SampleResult } from './evaluator.js';
import { sampleView, sceneFromGlb, SceneCache } from './evaluator.js';
import type { SampleSpec } from './sampling.js';
import { PSNR_CAP, type ArtifactKind } from './types.js';
import type { Scene } from '../scene/types.js';

export class RenderedSampleEvaluator implements SampleEvaluator {
  readonly name = 'ray-core+metrics';
  readonly kinds: ArtifactKind[] = ['lightmap-gltf'];
  private cache = new SceneCache<Scene>(sceneFromGlb);

  /**
   * `size`: the sample view's image size in pixels (the crop is a part of it). `backend`: 'cpu' (default) for
   * bit-identical results across nodes; 'cuda' nodes agree with CPU nodes within the consensus tolerance.
   */
  constructor(private size = 96, private backend: 'cpu' | 'cuda' = 'cpu') {}

  async evaluate(reference: Uint8Array, artifact: Uint8Array, kind: ArtifactKind, sample: SampleSpec): Promise<SampleResult> {
    if (kind !== 'lightmap-gltf') throw new Error(`${this.name} cannot evaluate ${kind} artifacts yet (needs the splat renderer)`);
    // Loaded lazily: they load the native addon, which the pure parts of the trust module must not require.
    const { renderView } = await import('../render/render-view.js');
    const { computeMetrics } = await import('../metrics/index.js'); // index registers the native provider
    const [ref, art] = await Promise.all([this.cache.get(reference), this.cache.get(artifact)]);
    const view = sampleView(ref, sample, this.size);
    const opts = { mode: 'shaded' as const, spp: 1, seed: 1, backend: this.backend };
    const [a, b] = await Promise.all([renderView(ref, view, opts), renderView(art, view, opts)]);
    const S = this.size, min = 11; // SSIM's 11x11 window needs at least that many pixels
    const w = Math.min(S, Math.max(min, Math.round(sample.crop.w * S))), h = Math.min(S, Math.max(min, Math.round(sample.crop.h * S)));
    const crop = { x: Math.min(S - w, Math.floor(sample.crop.x * S)), y: Math.min(S - h, Math.floor(sample.crop.y * S)), width: w, height: h };
    const r = await computeMetrics(a, b, { metrics: ['psnr', 'ssimLuma', 'flip'], crop, backend: this.backend });
    return { psnr: Math.min(PSNR_CAP, r.psnr ?? PSNR_CAP), ssim: r.ssimLuma ?? NaN, flip: r.flip ?? NaN };
  }
}
