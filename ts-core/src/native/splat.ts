/**
 * Gaussian-splat rasterizer (native-cuda/include/ote/splat/splat.h): forward render, backward pass, the fused
 * training step and the training loss. Heavy work runs off the JavaScript thread; AbortSignal cancels it.
 */
import { createImage, type FloatImage } from '../image/float-image.js';
import { shCoeffs, type GaussianModel } from '../scene/gaussians.js';
import { addon, nativeInfo, type Backend } from './addon.js';
import type { NativeSplatSession, SplatStats } from './addon-api.js';
import { adamFloats } from './layouts.js';
import { runJob, type JobOptions } from './job.js';
import type { SplatCamera } from './splat-camera.js';

export interface SplatRenderOptions extends JobOptions {
  backend?: Backend;
  /** Linear RGB behind the splats (default black). */
  background?: [number, number, number];
  /** Active SH degree (default: the model's). */
  shDegree?: number;
}

export type { SplatStats } from './addon-api.js';

export interface SplatFrame {
  /** RGB composited over the background; alpha is coverage (1 - final transmittance). */
  image: FloatImage;
  /** Expected camera depth where alpha > 0 (sum of w z divided by alpha), 0 elsewhere. */
  depth: Float32Array;
  stats: SplatStats;
}

/** Parameter gradients, same layouts as the model, plus what densification reads. */
export interface SplatGrads {
  means: Float32Array;
  logScales: Float32Array;
  quats: Float32Array;
  opacity: Float32Array;
  sh: Float32Array;
  /** |dL/dmean2d| in pixels. */
  mean2dGradNorm: Float32Array;
  /** Screen radius in pixels (0 = culled). */
  radii: Int32Array;
}

function nativeModel(m: GaussianModel, shDegree?: number) {
  const deg = shDegree ?? m.shDegree;
  if (deg > m.shDegree || deg < 0) throw new RangeError(`active SH degree ${deg} exceeds the model's ${m.shDegree}`);
  return {
    means: m.means,
    logScales: m.logScales,
    quats: m.quats,
    opacity: m.opacity,
    sh: m.sh,
    shStride: shCoeffs(m.shDegree),
    shDegree: deg,
    antialiased: !!m.antialiased,
  };
}

export function createGrads(m: GaussianModel): SplatGrads {
  return {
    means: new Float32Array(3 * m.count),
    logScales: new Float32Array(3 * m.count),
    quats: new Float32Array(4 * m.count),
    opacity: new Float32Array(m.count),
    sh: new Float32Array(m.sh.length),
    mean2dGradNorm: new Float32Array(m.count),
    radii: new Int32Array(m.count),
  };
}

/** Pack native planar outputs (rgb, alpha) into an RGBA FloatImage. */
function toImage(w: number, h: number, rgb: Float32Array, alpha: Float32Array): FloatImage {
  const img = createImage(w, h);
  for (let i = 0; i < w * h; i++) {
    img.data[4 * i] = rgb[3 * i];
    img.data[4 * i + 1] = rgb[3 * i + 1];
    img.data[4 * i + 2] = rgb[3 * i + 2];
    img.data[4 * i + 3] = alpha[i];
  }
  return img;
}

export async function renderSplats(
  model: GaussianModel,
  cam: SplatCamera,
  opts: SplatRenderOptions = {},
): Promise<SplatFrame> {
  const out = await renderSplatsRaw(model, cam, opts);
  // The raw depth is the alpha-weighted sum; the frame's is the surface depth.
  for (let i = 0; i < out.depth.length; i++) out.depth[i] = out.alpha[i] > 1e-6 ? out.depth[i] / out.alpha[i] : 0;
  return { image: toImage(cam.width, cam.height, out.rgb, out.alpha), depth: out.depth, stats: out.stats };
}

/** Raw planar render (rgb 3/pixel, alpha, un-normalised depth), as the gradient checks see it. */
export async function renderSplatsRaw(model: GaussianModel, cam: SplatCamera, opts: SplatRenderOptions = {}) {
  const n = cam.width * cam.height;
  const out = { rgb: new Float32Array(3 * n), alpha: new Float32Array(n), depth: new Float32Array(n) };
  const stats = await runJob<SplatStats>(
    (onProgress) =>
      addon().splatRender(nativeModel(model, opts.shDegree), cam, out, {
        backend: opts.backend ?? 'auto',
        background: opts.background,
        onProgress,
      }),
    opts,
  );
  return { ...out, stats };
}

/** Gradients of sum(dRgb . rgb) + sum(dAlpha . alpha) + sum(dDepth . depth) (raw depth, see renderSplatsRaw). */
export async function splatBackward(
  model: GaussianModel,
  cam: SplatCamera,
  d: { rgb?: Float32Array; alpha?: Float32Array; depth?: Float32Array },
  opts: SplatRenderOptions = {},
): Promise<{ grads: SplatGrads; stats: SplatStats }> {
  const grads = createGrads(model);
  const stats = await runJob<SplatStats>(
    (onProgress) =>
      addon().splatBackward(nativeModel(model, opts.shDegree), cam, d, grads, {
        backend: opts.backend ?? 'auto',
        background: opts.background,
        onProgress,
      }),
    opts,
  );
  return { grads, stats };
}

export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  step: number;
}

export interface LearningRates {
  means: number;
  scales: number;
  quats: number;
  opacity: number;
  shDc: number;
  shRest: number;
}

/** Zero Adam state for `model`: moments laid out as native/layouts.ts says (one block per parameter group). */
export function createAdam(model: GaussianModel): AdamState {
  return createAdamFor(model.count, shCoeffs(model.shDegree));
}

/** Zero Adam state for `count` Gaussians of `shStride` SH coefficients per channel. */
export function createAdamFor(count: number, shStride: number): AdamState {
  const n = adamFloats(count, shStride);
  return { m: new Float32Array(n), v: new Float32Array(n), step: 0 };
}

/**
 * One training iteration in native code: render, (1 - lambda) L1 + lambda (1 - SSIM) against `target` (RGB, 3 per
 * pixel), backward, Adam. Updates the model's arrays and `adam` in place; `grads` receives the raw gradients.
 */
export async function splatTrainStep(
  model: GaussianModel,
  cam: SplatCamera,
  target: Float32Array,
  adam: AdamState,
  lr: LearningRates,
  grads: SplatGrads,
  opts: SplatRenderOptions & { lambda?: number; outRgb?: Float32Array } = {},
): Promise<SplatStats & { loss: number }> {
  adam.step++;
  return runJob(
    (onProgress) =>
      addon().splatTrainStep(
        nativeModel(model, opts.shDegree),
        cam,
        { rgb: target },
        {
          m: adam.m,
          v: adam.v,
          step: adam.step,
          lrMeans: lr.means,
          lrScales: lr.scales,
          lrQuats: lr.quats,
          lrOpacity: lr.opacity,
          lrShDc: lr.shDc,
          lrShRest: lr.shRest,
        },
        grads,
        opts.outRgb ? { rgb: opts.outRgb } : {},
        { backend: opts.backend ?? 'auto', background: opts.background, lambda: opts.lambda ?? 0.2, onProgress },
      ),
    opts,
  );
}

/** (1 - lambda) L1 + lambda (1 - SSIM) over RGB (3 per pixel); fills dRgb with its gradient when given. */
export function splatImageLoss(
  rgb: Float32Array,
  target: Float32Array,
  width: number,
  height: number,
  lambda = 0.2,
  dRgb?: Float32Array,
): { loss: number; ssim: number } {
  return addon().splatImageLoss({ rgb, target, width, height, lambda, dRgb });
}

/** Densification statistics per Gaussian (see densify in splat/train.ts). */
export interface DensifyStats {
  /** Sum of the view-space gradient norm in NDC units over the steps that saw the Gaussian. */
  gradAccum: Float32Array;
  /** How many steps saw it. */
  denom: Float32Array;
  /** Largest screen radius in pixels. */
  maxRadii: Float32Array;
}

export function createDensifyStats(count: number): DensifyStats {
  return { gradAccum: new Float32Array(count), denom: new Float32Array(count), maxRadii: new Float32Array(count) };
}

/** Whether a device-resident training session can run for this backend choice (CUDA compiled and a device). */
export function deviceTrainingAvailable(backend: Backend = 'auto'): boolean {
  if (backend === 'cpu') return false;
  const info = nativeInfo();
  return info.backend === 'cuda' || (backend === 'cuda' && info.cudaCompiled && info.devices.length > 0);
}

/**
 * Training state resident on the CUDA device (native-cuda/include/ote/splat/splat.h, session_*): the Gaussians,
 * Adam moments, gradients, densification statistics and every target stay in device memory between steps; a
 * step brings back only its loss. read() copies the state to host arrays when the set of Gaussians must change
 * (densify, prune, opacity reset); write() replaces it. close() frees the device memory (the finalizer would
 * too, later).
 */
export class SplatTrainSession {
  private constructor(
    private handle: NativeSplatSession,
    private shStride: number,
    public count: number,
  ) {}

  static async create(
    model: GaussianModel,
    views: { camera: SplatCamera; target: Float32Array }[],
    opts: JobOptions = {},
  ): Promise<SplatTrainSession> {
    const handle = await runJob(() => addon().splatSessionCreate(nativeModel(model), views), opts);
    return new SplatTrainSession(handle, shCoeffs(model.shDegree), model.count);
  }

  /** One iteration on view `view`; `adam.step` is advanced here, as splatTrainStep does. */
  async step(
    view: number,
    adam: { step: number },
    lr: LearningRates,
    opts: {
      shDegree: number;
      lambda?: number;
      background?: [number, number, number];
      accumulate?: boolean;
      ndcScale?: number;
    } & JobOptions,
  ): Promise<number> {
    adam.step++;
    const r = await runJob<{ loss: number }>(
      (onProgress) =>
        addon().splatSessionStep(this.handle, view, {
          adam: {
            step: adam.step,
            lrMeans: lr.means,
            lrScales: lr.scales,
            lrQuats: lr.quats,
            lrOpacity: lr.opacity,
            lrShDc: lr.shDc,
            lrShRest: lr.shRest,
          },
          shDegree: opts.shDegree,
          lambda: opts.lambda ?? 0.2,
          background: opts.background,
          accumulate: opts.accumulate ?? false,
          ndcScale: opts.ndcScale ?? 0,
          onProgress,
        }),
      opts,
    );
    return r.loss;
  }

  /** Copies the device state into `model` (same count), and optionally the Adam moments and the statistics. */
  async read(model: GaussianModel, adam?: AdamState, stats?: DensifyStats): Promise<void> {
    if (model.count !== this.count)
      throw new RangeError(`session holds ${this.count} Gaussians, model has ${model.count}`);
    await runJob(() =>
      addon().splatSessionRead(this.handle, nativeModel(model), adam ? { m: adam.m, v: adam.v } : undefined, stats),
    );
  }

  /** Replaces the device state by `model`, its Adam moments and its statistics (each zero when omitted). */
  async write(model: GaussianModel, adam?: AdamState, stats?: DensifyStats): Promise<void> {
    if (shCoeffs(model.shDegree) !== this.shStride)
      throw new RangeError('a session keeps the SH degree it was created with');
    await runJob(() =>
      addon().splatSessionWrite(this.handle, nativeModel(model), adam ? { m: adam.m, v: adam.v } : undefined, stats),
    );
    this.count = model.count;
  }

  /** Replaces view `view`'s target (RGB, 3 per pixel): for targets re-composited over a new background each step. */
  async setTarget(view: number, rgb: Float32Array): Promise<void> {
    await runJob(() => addon().splatSessionTarget(this.handle, view, { rgb }));
  }

  close(): void {
    addon().splatSessionClose(this.handle);
  }
}
