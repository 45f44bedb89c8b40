/**
 * One stage of `ote optimize`: a named step that declares the products it needs and the products it makes, where
 * its heavy work runs, and reports its own progress. The stages are registered in order in stages/index.ts; the
 * runner (pipeline.ts) checks every declaration as it goes, times each stage on its device and collects the files
 * each one writes. A farm worker can run one stage given its needs, because a stage touches nothing else.
 */
import type { SceneAnalysis } from '../analyze/analyze.js';
import type { UnitGuess } from '../analyze/units.js';
import type { FloatImage } from '../image/float-image.js';
import type { MeasureResult } from '../native/measure.js';
import type { Environment } from '../plan/environment.js';
import type { Plan, RouteDecision } from '../plan/router.js';
import type { PlannedViews } from '../scene/viewpoints.js';
import type { OptimizeReport, SplatChoice } from '../report/types.js';
import type { FlatScene } from '../scene/flatten.js';
import type { GaussianModel } from '../scene/gaussians.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';
import type { ExitDecision } from './exit-policy.js';
import type { BlackObject } from './black-objects.js';
import type { OptimizeOptions } from './options.js';

/** Where a stage's heavy work ran: the cost model prices CPU core-hours and GPU-hours differently. */
export interface StageDevice {
  device: 'cpu' | 'cuda';
  cores: number;
}

/** A file of the output directory, written by the stage that made it. */
export interface OutputFile {
  name: string;
  data: Uint8Array | string;
}

/** A PNG of the output directory that the report embeds. */
export interface ImageFile {
  name: string;
  data: Uint8Array;
}

/** Everything the stages hand each other; each product is made by exactly one stage. */
export interface Products {
  /** The input file's bytes, as read (the verifier's reference when nothing became splats). */
  inputBytes: Uint8Array;
  /** The input's bytes with the files a .gltf references (io/gltf-size.ts), for the report's size. */
  inputSize: number;
  scene: Scene;
  /** Warnings about the input, for the report (its units, the importer's). */
  warnings: string[];
  /** The profile's sky and sun where they light the scene (plan/environment.ts); undefined: its own lights only. */
  environment: Environment | undefined;
  /** The scene as baked and judged: with the environment's sun as a light. */
  lit: Scene;
  units: UnitGuess;
  sceneHash: string;
  flat: FlatScene;
  measured: MeasureResult;
  analysis: SceneAnalysis;
  plan: Plan;
  /** The plan's decisions by node index. */
  decisions: Map<number, RouteDecision>;
  /** Where a viewer would look: the before/after, the own check and the verifier's samples use these views. */
  views: PlannedViews;
  /** The bake's result; undefined when no object was routed to baking. */
  bake: BakeProduct | undefined;
  /** The splats' result; undefined when no object was routed to splats. */
  splats: SplatProduct | undefined;
  /** The optimized glTF as it ships, and where the scene's lights went. */
  shipped: { glb: Uint8Array; removedLights: string[]; keptLights: string[] };
  /** The path-traced reference at the chosen view, and the exposure every displayed image of the run uses. */
  reference: ReferenceProduct;
  /** The reference and the shipped output rendered at the chosen view. */
  preview: PreviewProduct;
  /** The own check: its metrics, the independent cue and the exit it implies before verification. */
  check: CheckProduct;
  /** The Trust Engine's verdict, and the exit after it. */
  verification: { summary: OptimizeReport['verification']; exit: ExitDecision };
  report: OptimizeReport;
}

export interface BakeProduct {
  /** The lightmapped scene: lightmap texture references on UV1 (bake/writeback.ts). */
  scene: Scene;
  report: NonNullable<OptimizeReport['lightmap']>;
  /** The lightmaps as the report lists them: side files, then the pages inside scene.glb. */
  files: string[];
}

export interface SplatProduct {
  model: GaussianModel;
  choice: SplatChoice;
  /** The shipped splat file (SPZ). */
  artifact: Uint8Array;
}

export interface ReferenceProduct {
  view: View;
  /** The path-traced reference: the mean of referenceHalves. */
  reference: FloatImage;
  /** Two independent renders at half the reference's samples; their difference estimates its noise. */
  referenceHalves: [FloatImage, FloatImage];
  /** The reference's samples per pixel (both halves together): REFERENCE_SPP; the own check may refine it. */
  spp: number;
  /** Stops of exposure before the ACES curve, for every displayed image: previews, checks, splat colours. */
  exposure: number;
  /** False when every planned view's reference was black or flat. */
  informative: boolean;
  /** Views passed over, and why. */
  skipped: string[];
}

export interface PreviewProduct extends ReferenceProduct {
  /** The shipped output at the same view; undefined when nothing was baked or splatted. */
  after: FloatImage | undefined;
  /** The PNGs written (before.png, and after.png when there is an output), as displayed. */
  images: ImageFile[];
}

export interface CheckProduct {
  /** The reference's samples per pixel as judged: the preview's, or more where FLIP alone decided (reference.ts). */
  referenceSpp: number;
  /** before.png again, from the refined reference; undefined when the preview's stands. */
  beforeImage: ImageFile | undefined;
  /** The output against the reference, with the reference's own noise taken out of PSNR and SSIM. */
  claimed: { psnr: number; ssim: number; flip: number } | undefined;
  /** The same without that correction. */
  uncorrected: { psnr: number; ssim: number; flip: number } | undefined;
  /** The reference's two halves against each other: how far path noise alone moves the metrics. */
  noiseFloor: { psnr: number; ssim: number; flip: number } | undefined;
  blackObjects: BlackObject[];
  worstObjects: { name: string; mean: number; share: number }[];
  /** The FLIP heatmap (flip.png), when the output was compared. */
  flipImage: ImageFile | undefined;
  exit: ExitDecision;
}

export type ProductName = keyof Products;

export interface StageContext {
  readonly options: OptimizeOptions;
  readonly signal: AbortSignal;
  /** This stage's progress, 0..1. */
  progress(fraction: number, detail?: string): void;
  log(message: string): void;
  /** Adds a file to the output directory (written atomically with the rest when the run ends). */
  write(file: OutputFile): void;
  /** The stages timed so far, in order (the report prices them). */
  timings(): readonly StageTiming[];
}

export interface StageTiming extends StageDevice {
  stage: string;
  seconds: number;
  cached: boolean;
}

export interface Stage<N extends ProductName = ProductName, P extends ProductName = ProductName> {
  readonly name: string;
  readonly needs: readonly N[];
  readonly produces: readonly P[];
  /** Where the heavy work runs for these options (a native kernel follows the backend; JavaScript is one core). */
  device(ctx: StageContext): StageDevice;
  run(input: Pick<Products, N>, ctx: StageContext): Promise<Pick<Products, P>>;
}

/** A stage with its product types erased, as the registry and the runner hold it (the runner checks the names). */
export interface AnyStage {
  readonly name: string;
  readonly needs: readonly ProductName[];
  readonly produces: readonly ProductName[];
  device(ctx: StageContext): StageDevice;
  run(input: Partial<Products>, ctx: StageContext): Promise<Partial<Products>>;
}

/** Declares a stage; the type parameters tie `run`'s input and result to `needs` and `produces`. */
export function defineStage<N extends ProductName, P extends ProductName>(stage: Stage<N, P>): Stage<N, P> {
  return stage;
}
