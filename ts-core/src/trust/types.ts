/** Types shared by every part of the Trust Engine (wire messages, consensus, certificates). Pure. */
import type { SplatComposite } from '../render/composite.js';

export type MetricName = 'psnr' | 'ssim' | 'flip';

/** Per-metric limits: psnr and ssim are minimums, flip is a maximum. Absent metrics are not judged. */
export interface Thresholds {
  psnr?: number;
  ssim?: number;
  flip?: number;
}

export interface SampleMetrics {
  index: number;
  psnr: number;
  ssim: number;
  flip: number;
}

/**
 * What a job judges: a lightmapped glTF, a splat file, or a hybrid output (io/hybrid-artifact.ts: the glTF and the
 * splats drawn together, judged against the full scene as a player sees them).
 */
export type ArtifactKind = 'lightmap-gltf' | 'splat' | 'hybrid';

/**
 * How a job's reference scene is rendered on the nodes: 'pathtrace' (the bake's own light transport, the ground
 * truth for baked lighting), 'shaded' (the ray-core preview: key light + AO) or 'albedo' (unlit material colours,
 * what a splat converted from surfaces without a bake reproduces). The candidate is always rendered as it will be
 * seen: a lightmapped glTF lit by its lightmaps, a splat file by the splat rasterizer, a hybrid as both composited.
 */
export type ReferenceMode = 'pathtrace' | 'shaded' | 'albedo';

export interface RenderSpec {
  reference: ReferenceMode;
  /** Camera samples per pixel of the reference (path-traced: one light path each). */
  spp: number;
  /** Indirect bounces of the path-traced reference. */
  bounces: number;
  /** Side of the compared crop in pixels (rendered at twice that and box-filtered, which halves path noise). */
  pixels: number;
  /**
   * The light the reference scene is judged under besides its own (plan/environment.ts): the default sky and sun
   * of a scene without lights. Absent: the scene's lights only. The certificate records it.
   */
  environment?: RenderEnvironment;
  /**
   * Stops of exposure before the ACES tone curve, for both images (default 0). Chosen by the producer from the
   * reference's log-average luminance; a dark or black view is never evidence whatever the exposure (evaluators
   * replace such samples and fail the ones they cannot replace).
   */
  exposure?: number;
  /**
   * Radians per pixel at which the output is viewed (the producer's check views: field of view / height). Splats
   * blend in display space, so how they look depends on their size in pixels: a splat or hybrid candidate is drawn
   * that fine (sample-view.ts `viewScale`) and box-filtered down in linear light, as the viewer's frame would be.
   * Absent: drawn at the crop's render size. The reference and lightmapped candidates average linearly, so it
   * changes nothing for them.
   */
  viewPixel?: number;
  /**
   * How a hybrid candidate's splat layer is laid over its meshes: 'linear', decoded to linear light and composited
   * over the meshes' radiance, as engines do (render/hybrid.ts; what `ote optimize` asks since 2026-12-07); 'display',
   * blended over the meshes' displayed pixels, as a three.js canvas does. Absent: 'display', as every job before that
   * date was judged. Nodes on older code refuse a job that states it (the schema is strict) rather than judge it the
   * other way.
   */
  splatComposite?: SplatComposite;
}

/** Sky radiance (linear RGB) and a sun travelling along `direction` with illuminance `color` (plan/environment.ts). */
export interface RenderEnvironment {
  sky:
    | { type: 'none' }
    | { type: 'constant'; color: [number, number, number] }
    | {
        type: 'gradient';
        zenith: [number, number, number];
        horizon: [number, number, number];
        ground: [number, number, number];
      };
  sun?: { direction: [number, number, number]; color: [number, number, number]; angularDiameter: number };
}

/**
 * The default: path traced at 64 spp over 32×32 compared pixels. A node's cost per sample is bounded by these
 * numbers, not by the scene's frame size; the job states them, so every node computes the same images. The
 * reference's path noise is what SSIM mostly measures at low spp (a correct Cornell box bake: mean SSIM 0.89 at
 * 32 spp, 0.93 at 64, 0.95 at 128), so the spp must match the profile's SSIM threshold.
 */
export const DEFAULT_RENDER: RenderSpec = { reference: 'pathtrace', spp: 64, bounces: 3, pixels: 32 };

/** A node's signed answer for one job. */
export interface Vote {
  jobId: string;
  nodeKey: string; // hex Ed25519 public key
  samples: SampleMetrics[];
  means: Record<MetricName, number>;
  pass: boolean;
  /** hex Ed25519 signature over signingBytes('vote', vote without sig) */
  sig: string;
}

/** PSNR of identical images is infinite; JSON and medians need a number, so it is capped here. */
export const PSNR_CAP = 100;
