/**
 * What a verifier node needs from the renderers and metrics: render the reference and the candidate at one seeded
 * sample and compare them. The node code depends only on `SampleEvaluator`; the product's evaluator is
 * RenderedSampleEvaluator (evaluator-render.ts: the path tracer, lightmapped and splat renderers, and the
 * PSNR/SSIM/FLIP metrics), so renderers and metrics change without touching the protocol.
 */
import type { SampleSpec } from './sampling.js';
import type { ArtifactKind, RenderSpec } from './types.js';

export interface SampleResult {
  psnr: number;
  ssim: number;
  flip: number;
}

export interface SampleEvaluator {
  readonly name: string;
  /** Artifact kinds it can evaluate; a node declares these to the engine. */
  readonly kinds: ArtifactKind[];
  /** `render`: how the job says to render (absent in jobs from before render specs: the evaluator's default). */
  evaluate(
    reference: Uint8Array,
    artifact: Uint8Array,
    kind: ArtifactKind,
    sample: SampleSpec,
    render?: RenderSpec,
  ): Promise<SampleResult>;
}
