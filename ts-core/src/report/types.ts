/** The optimization report: what `ote optimize` writes as report.json and renders as report.html. */
import type { EnvironmentSky } from '../plan/environment.js';
import type { SceneClass } from '../analyze/scoring.js';
import type { Plan } from '../plan/router.js';
import type { CostEstimate } from './cost.js';

export interface MetricSummary {
  mean: number;
  /** Confidence interval at the profile's verification confidence. */
  ci: [number, number];
  threshold: number;
  /** 'min' metrics must stay above the threshold (PSNR, SSIM); 'max' below it (FLIP). */
  direction: 'min' | 'max';
  pass: boolean;
}

export interface ReportImage {
  label: string;
  /** File name inside the output directory (PNG). */
  file: string;
}

/** How the splats that ship were made: trained from the direct conversion, or the conversion when training did not beat it. */
export interface SplatChoice {
  kept: 'trained' | 'conversion';
  /** Training iterations run (0: not trained). */
  iterations: number;
  /** What the training targets were rendered with ('none' when not trained). */
  targets: 'pathtrace' | 'none';
  /** Samples per pixel of the path-traced targets (optimize/stages/splat.ts splatTargetSpp). */
  targetSpp?: number;
  /** Mean PSNR (dB, linear) on held-out views of the trained model and of the direct conversion. */
  heldOutPsnr?: number;
  conversionPsnr?: number;
  gaussians?: number;
  /**
   * Training targets: square size in pixels, views (held-out ones apart; close-ups and eye views included), how
   * many of them are close-ups of objects spread wider than one view shows finely, how many look from the planned
   * views' eyes, and the Gaussian cap they allow.
   */
  resolution?: number;
  views?: number;
  closeUps?: number;
  eyeViews?: number;
  cap?: number;
  /** Seconds of the whole training call (targets, conversion, training, evaluation). */
  seconds: number;
}

/**
 * A view as a camera a viewer can take (report.json `views.cameras`): world-space eye, a target on the line of
 * sight for orbiting (as deep as the scene's centre along it), the camera's up, the vertical field of view in
 * degrees, width / height, and the near plane. The report's images were rendered through exactly this camera.
 */
export interface ReportCamera {
  eye: [number, number, number];
  target: [number, number, number];
  up: [number, number, number];
  yfovDeg: number;
  aspect: number;
  znear: number;
}

/** One task of a farm job as report.json records it. */
export interface FarmTaskRecord {
  kind: string;
  index: number;
  id: string;
  worker: string | null;
  seconds: number | null;
  /** Why the farm's coordinator gave it to that worker (null: first come, first served). */
  dispatch: string | null;
}

export interface OptimizeReport {
  version: 1;
  tool: string;
  createdAt: string;
  input: { file: string; hash: string; triangles: number; drawnTriangles: number; warnings: string[] };
  profile: { name: string; source: string };
  analysis: {
    class: SceneClass;
    hints: string[];
    objects: {
      name: string;
      triangles: number;
      instances: number;
      screenCoverage: number;
      complexity: number;
      bakingScore: number;
      dynamicScore: number;
      hints: string[];
    }[];
  };
  plan: Plan;
  outputs: { scene?: string; lightmaps: string[]; splats: string[]; certificate?: string };
  /** Present when objects became splats. */
  splats?: SplatChoice;
  verification?: {
    verdict: 'accepted' | 'rejected' | 'skipped';
    reason?: string;
    metrics: Record<string, MetricSummary>;
    samples: number;
    nodes: string[];
    byzantine: string[];
    logIndex?: number;
    /** Every verified artifact's own verdict (the scene glTF, and the splat file where objects became splats). */
    artifacts?: {
      file: string;
      kind: 'lightmap-gltf' | 'splat' | 'hybrid';
      verdict: 'accepted' | 'rejected';
      reason: string;
      certificate: string;
      reference: string;
    }[];
  };
  images: ReportImage[];
  /** What lit the bake and the reference, and where the lights went in the output. */
  lighting?: {
    /** 'scene': its own lights; 'default': the profile's sky and sun (no lights in the scene); 'profile': both. */
    source: 'scene' | 'default' | 'profile';
    environment?: {
      sky: string;
      sun?: string;
      /** The sky and sun as numbers (linear RGB radiance of the sky; the sun's travel direction and irradiance). */
      light?: { sky: EnvironmentSky; sun?: { direction: [number, number, number]; color: [number, number, number] } };
    };
    /** Lights removed from the output glTF (their light is in the lightmaps), and lights kept, marked baked. */
    removedLights: string[];
    keptLights: string[];
  };
  /**
   * The producer's own check at the chosen view (as displayed, after a 4×4 box filter), with the reference's own
   * path noise taken out of PSNR and SSIM (FLIP is as measured); absent when nothing was compared.
   */
  ownCheck?: { psnr: number; ssim: number; flip: number };
  /** The own check without the noise correction. */
  ownCheckUncorrected?: { psnr: number; ssim: number; flip: number };
  /** The reference's two independent halves against each other: what path noise alone does to the metrics. */
  referenceNoiseFloor?: { psnr: number; ssim: number; flip: number };
  /** The views the report and the own check show, and how they were chosen (render/views.ts). */
  views?: {
    kind: 'camera' | 'interior' | 'exterior';
    used: number;
    skipped: string[];
    exposure: number;
    width: number;
    height: number;
    spp: number;
    /**
     * Every planned view as a camera (added for `ote view`; absent in older reports), in planned order: the images
     * show cameras[used − 1].
     */
    cameras?: ReportCamera[];
  };
  /** The own check's independent cue: objects the path tracer shows black where their unlit material is not. */
  blackObjects?: { name: string; pixels: number; share: number }[];
  /** The objects with the highest mean FLIP error in the own check, worst first (each over 0.5% of the view). */
  worstObjects?: { name: string; mean: number; share: number }[];
  /** Lightmap density per baked object: requested by the profile, and effective after fitting the budget. */
  lightmap?: {
    texels: number;
    budget?: number;
    /** Per object: its asked density, its least dense part's and its densest part's (texels per metre). */
    objects: { name: string; requested: number; effective: number; densest?: number }[];
    warnings: string[];
    /** Where the bake's time went (seconds), and the samples a covered texel took on average (adaptive stop). */
    seconds?: { uv: number; setup: number; trace: number; post: number };
    coveredTexels?: number;
    /** Bytes of the PNG pages the glTF carries. */
    pageBytes?: number;
    samplesPerTexel?: number;
    /** Double-sided primitives whose two faces the views see, baked as front and back copies (bake/two-sided.ts). */
    twoSided?: { name: string; front: number; back: number }[];
    /** The profile's bake time target, its calibration and prediction (bake/bake.ts TimeTarget). */
    timeTarget?: {
      seconds: number;
      predictedSeconds: number;
      texelCap: number;
      met: boolean;
      calibration: { texels: number; seconds: number };
      /** Most samples per texel the bake took: the profile's, or fewer where the target bound. */
      samples?: number;
      /** Whether the target cut samples or texels. */
      bound?: boolean;
    };
    /**
     * Objects whose texels the planned views see over `maxTexelPixels` (the profile's bake.maxTexelPixels) across,
     * and how much their densest part would rise (at most 4×); `applied`: this bake raised them (a second bake after
     * a failed own check, optimize/rebake.ts).
     */
    viewFloor?: { applied: boolean; maxTexelPixels: number; objects: { name: string; raise: number }[] };
    /**
     * The bake's two passes (bake/final-gather.ts): the first's most samples and seconds, the second's most samples
     * and the seconds of its setup and tracing, and under a time target the second's calibration, the seconds it was
     * given and those the calibration predicted.
     */
    finalGather?: {
      firstSamples: number;
      firstSeconds: number;
      samples: number;
      secondSeconds?: number;
      calibration?: { texels: number; seconds: number };
      budgetSeconds?: number;
      predictedSeconds?: number;
    };
  };
  timings: { stage: string; seconds: number; cached: boolean; device: 'cpu' | 'cuda' }[];
  cost: CostEstimate;
  /** On a farm: each task the bake and the path-traced images ran as, its worker and why it went there. */
  farm?: { tasks: FarmTaskRecord[] };
  /** When the run was given a deadline: Economy Offline's plan for it (where and when, and what it saved). */
  economy?: EconomyReport;
  /** What the run wrote against what the input weighs, and why the output is larger when it is. */
  size?: OutputSize;
  /**
   * Frame time in three.js, before (the input lit live, shadows on) against after (the optimized scene), written by
   * `ote view --measure` (viewer/measure.ts); absent until measured.
   */
  runtime?: ViewerRuntime;
  exit: { code: number; reason: string };
}

/** The input's bytes against the output's (report.json `size`). */
export interface OutputSize {
  /** The input scene file, with the files a .gltf references. */
  input: number;
  /** What a viewer loads: scene.glb and, with splats, splats.spz (splats.ply is the interchange copy beside it). */
  output: number;
  files: { name: string; bytes: number }[];
  /** The PNG lightmap pages inside scene.glb. */
  lightmaps: number;
  /** Present when the output is larger than the input: what makes it so. */
  larger?: string;
}

/** One mode of a viewer measurement: a frame's cost. */
export interface ViewerRuntimeMode {
  /** Median over rounds of each round's median frame time (ms), and each round's. */
  medianMs: number;
  roundMs: number[];
  /** Draw calls and triangles of one frame, shadow passes included. */
  calls: number;
  triangles: number;
  /** GPU memory the drawn objects hold (bytes, estimated from their buffers and textures; viewer/frame-stats.js). */
  bytes: { geometry: number; textures: number; splats: number; shadowMaps: number };
  gpuBytes: number;
  /** Gaussians drawn (the fewest of any round); 0 without splats. */
  splats: number;
  /** Frames each round timed (viewer/measure.ts framesPerRound; absent in reports before 2026-12-07: `frames`). */
  frames?: number;
}

/** The viewer's frame-time measurement (viewer/measure.ts). */
export interface ViewerRuntime {
  measuredAt: string;
  /** e.g. "Chromium/143.0.7499.169". */
  browser: string;
  /** The WebGL renderer string: SwiftShader where the machine has no GPU. */
  gpu: string;
  /**
   * The page is size × size CSS pixels; each mode had `rounds` rounds of at most `frames` frames (each mode's own
   * count is its `frames`).
   */
  size: number;
  frames: number;
  rounds: number;
  before: ViewerRuntimeMode;
  after: ViewerRuntimeMode;
  /** before.medianMs / after.medianMs. */
  speedup: number;
}

/** One window of a plan: consecutive hours on one class of machine, at one price tier. */
export interface EconomyWindow {
  classId: string;
  /** ISO 8601 (UTC). */
  from: string;
  to: string;
  /** Machine-hours used, and reference hours of work done. */
  hours: number;
  work: number;
  cost: number;
  kgCo2: number;
  tier: 'peak' | 'standard' | 'offPeak' | 'weekend' | 'spot';
}

/** Figures of one way to run the job. */
export interface EconomyFigures {
  cost: number;
  kWh: number;
  kgCo2: number;
  /** ISO 8601: when the work ends. */
  finish: string;
}

/**
 * Economy Offline's plan for a run (economy/): the baseline (run on submission on the pool's default class at the
 * standard price) against the plan, and the hourly timeline the plan chose from, for the report's chart.
 */
export interface EconomyReport {
  objective: 'cost' | 'carbon' | 'mix';
  /** The work the plan was made for, in reference hours, and where that estimate came from. */
  work: number;
  workSource: string;
  /** ISO 8601. */
  submitted: string;
  deadline: string;
  /** ISO 8601: when the work was held until (absent when it ran at once). */
  deferredUntil?: string;
  baseline: EconomyFigures;
  optimized: EconomyFigures;
  savingsPct: number;
  roiPct: number;
  co2SavingsPct: number;
  windows: EconomyWindow[];
  /** Where the carbon figures come from, in words (a recorded year, or a flat value). */
  carbonSource: string;
  /**
   * Hour by hour from submission to the deadline: each class's price (USD per machine-hour) and its grid's carbon
   * intensity (gCO2eq/kWh), and the machine-hours the plan used there. Arrays are per class, then per hour.
   */
  timeline: {
    start: string;
    stepMinutes: number;
    classes: { id: string; usdPerHour: number[]; gCo2PerKWh: number[]; usedHours: number[] }[];
  };
}
