/**
 * Training Gaussians against rendered views (3DGS-style): each iteration renders one view, takes
 * (1 - 0.2) L1 + 0.2 (1 - SSIM) against its target, back-propagates and steps Adam, all in one native call
 * (on CUDA through a device-resident session: nothing but the loss crosses the bus between densify steps).
 * Between iterations this module keeps the schedule: densify by cloning small and splitting large Gaussians
 * with a high view-space gradient, prune faint and oversized ones, reset opacity, raise the SH degree, and keep
 * the count under the profile's cap. Every random choice is seeded.
 */
import type { FloatImage } from '../image/float-image.js';
import type { Backend } from '../native/addon.js';
import { splatCamera, type SplatCamera } from '../native/splat-camera.js';
import { adamBlockOffset, SPLAT_PARAM_GROUPS, splatParamFloats } from '../native/layouts.js';
import {
  createAdam,
  createAdamFor,
  createDensifyStats,
  createGrads,
  deviceTrainingAvailable,
  renderSplats,
  splatTrainStep,
  SplatTrainSession,
  type AdamState,
  type LearningRates,
  type SplatGrads,
} from '../native/splat.js';
import { OteError } from '../errors.js';
import {
  logit,
  rgbToDc,
  selectGaussians,
  shCoeffs,
  sigmoid,
  withShDegree,
  type GaussianModel,
} from '../scene/gaussians.js';
import { lookAt, viewEye, type View } from '../scene/view.js';
import { Rng } from '../util/rng.js';

export interface TrainingView {
  view: View;
  /** What the splats should reproduce: display values (scene/gaussians.ts) composited over the training background. */
  target: FloatImage;
}

export interface TrainOptions {
  iterations?: number;
  /**
   * Before training, set each Gaussian's base colour to the mean of the target pixels it is visible in (depth
   * test against the splats' own depth). Conversion colours come from the materials; the targets are lit, so
   * this starts training from the lit look. Default true.
   */
  colorsFromViews?: boolean;
  /** Cap on the number of Gaussians (the profile's budget). Default 1M. */
  maxGaussians?: number;
  /** Highest SH degree (0..3); the active degree rises by one every `shEvery` iterations. */
  shDegree?: number;
  shEvery?: number;
  /** Densification window and cadence (iterations). Defaults scale with `iterations`. */
  densifyFrom?: number;
  densifyUntil?: number;
  densifyEvery?: number;
  /** View-space gradient (NDC units, as 3DGS) above which a Gaussian is cloned or split. */
  gradThreshold?: number;
  /** Gaussians larger than this fraction of the scene extent are split rather than cloned. */
  percentDense?: number;
  /** Opacity reset period (0 = never). */
  opacityResetEvery?: number;
  /** Opacity below which Gaussians are pruned. */
  minOpacity?: number;
  lambda?: number;
  /** The colour the targets' RGB is composited over (their alpha is the coverage). Default black. */
  background?: [number, number, number];
  /**
   * Train each iteration over a fresh seeded random background instead: the view's target is re-composited over
   * it (needs the targets' alpha) and the splats are rendered over it. Over one fixed colour a half-covered pixel
   * is fitted as well by a dark opaque splat as by a half-transparent one, and the dark ones show as fringes once
   * the splats are drawn over anything else (gsplat's `random_bkgd`). On the device the view's re-composited
   * target is uploaded each step. Default false.
   */
  randomBackground?: boolean;
  /**
   * Train with Mip-Splatting's 2D filter (GaussianModel.antialiased; gsplat's "antialiased" mode): the model learns
   * opacities that hold when it is drawn coarser than it was trained, and the result is marked so. Default: as
   * `init` is marked.
   */
  antialiased?: boolean;
  /** Learning rates; `means` is multiplied by the scene extent and decays 100x over training, as in 3DGS. */
  lr?: Partial<LearningRates>;
  seed?: number | string;
  backend?: Backend;
  signal?: AbortSignal;
  /**
   * Wall-clock limit in seconds (from the start of training, colour initialisation included). When it runs out
   * the loop stops after the current iteration and returns what it has (`iterations` says how many ran).
   * Plan `iterations` to fit (see trainObjectSplats): a cut-off schedule has not decayed its learning rates.
   */
  timeLimitSeconds?: number;
  onProgress?: (p: { iteration: number; iterations: number; loss: number; count: number }) => void;
}

export interface TrainResult {
  model: GaussianModel;
  /** Mean loss over each block of 50 iterations. */
  lossHistory: number[];
  /** Iterations run (fewer than asked when timeLimitSeconds cut training short). */
  iterations: number;
  seconds: number;
}

const DEFAULT_LR: LearningRates = {
  means: 0.00016,
  scales: 0.005,
  quats: 0.001,
  opacity: 0.05,
  shDc: 0.0025,
  shRest: 0.0025 / 20,
};

/** Radius of the training cameras around their centroid (3DGS's "cameras extent"), at least `floor`. */
export function cameraExtent(views: View[], floor = 1e-3): number {
  const c = [0, 0, 0];
  for (const v of views)
    viewEye(v).forEach((x, a) => {
      c[a] += x / views.length;
    });
  let r = 0;
  for (const v of views) r = Math.max(r, Math.hypot(...viewEye(v).map((x, a) => x - c[a])));
  return Math.max(floor, 1.1 * r);
}

export interface CameraPlacement {
  count: number;
  width: number;
  height: number;
  yfov?: number;
  /** Fraction of the cameras placed inside the bounds looking outwards (for scenes); default 0. */
  inside?: number;
  seed?: number | string;
}

/** The vertical field of view of placeCameras' views unless given, radians. */
export const PLACED_YFOV = 0.7;

/** The bounding sphere's radius and the distance at which a view of field `yfov` frames it with a 5% margin. */
function framing(bounds: { min: [number, number, number]; max: [number, number, number] }, yfov: number) {
  const r = Math.max(
    1e-3,
    0.5 * Math.hypot(bounds.max[0] - bounds.min[0], bounds.max[1] - bounds.min[1], bounds.max[2] - bounds.min[2]),
  );
  return { r, dist: (r / Math.sin(yfov / 2)) * 1.05 };
}

/**
 * The square size at which placeCameras' views around `bounds` (outside ones, at the default field) show the bounds'
 * centre at `pixelSize` world units per pixel or finer.
 */
export function resolutionForPixelSize(
  bounds: { min: [number, number, number]; max: [number, number, number] },
  pixelSize: number,
): number {
  return Math.ceil(placedPixelSize(bounds, 1) / pixelSize);
}

/** World units per pixel at the bounds' centre of placeCameras' outside views at `resolution` (default field). */
export function placedPixelSize(
  bounds: { min: [number, number, number]; max: [number, number, number] },
  resolution: number,
): number {
  return (2 * Math.tan(PLACED_YFOV / 2) * framing(bounds, PLACED_YFOV).dist) / resolution;
}

export interface CloseUpPlacement {
  count: number;
  /** Square size in pixels. */
  resolution: number;
  /** World units per pixel wanted at the point looked at: sets the distance. */
  pixelSize: number;
  /** How far the farthest point of what is looked at may be: sets the far plane. */
  extent: number;
  seed?: number | string;
}

/**
 * Close-ups of `points` (xyz triples on the objects' surfaces; a seeded choice of them): each view looks at one from
 * the distance at which it is `pixelSize` per pixel, from above the horizon (objects stand on something), so the
 * splats of objects spread wider than one view can show finely are trained at the pixel they are judged at.
 */
export function placeCloseUps(points: Float32Array, p: CloseUpPlacement): View[] {
  const rng = new Rng(p.seed ?? 'close-ups');
  const n = Math.floor(points.length / 3);
  if (!n) return [];
  const yfov = PLACED_YFOV,
    dist = (p.pixelSize * p.resolution) / (2 * Math.tan(yfov / 2));
  const views: View[] = [];
  for (let i = 0; i < p.count; i++) {
    const k = Math.min(n - 1, Math.floor(rng.next() * n));
    const at: [number, number, number] = [points[3 * k], points[3 * k + 1], points[3 * k + 2]];
    const y = rng.range(0.1, 0.9),
      rad = Math.sqrt(1 - y * y),
      th = rng.next() * 2 * Math.PI;
    const eye: [number, number, number] = [
      at[0] + dist * rad * Math.cos(th),
      at[1] + dist * y,
      at[2] + dist * rad * Math.sin(th),
    ];
    views.push({
      cameraToWorld: lookAt(eye, at, [0, 1, 0]),
      yfov,
      width: p.resolution,
      height: p.resolution,
      znear: dist * 1e-3,
      zfar: dist + 2 * p.extent,
    });
  }
  return views;
}

export interface ViewpointPlacement {
  count: number;
  /** Square size in pixels. */
  resolution: number;
  seed?: number | string;
}

/**
 * Views from where the scene is seen (`anchors`: the planned views), as a viewer and the verifier see it: each
 * stands at an anchor's eye (in turn), turned to a seeded direction inside the anchor's field, square, with the
 * anchor's pixel (radians per pixel at the centre). Splats trained only from around the objects are judged from
 * these eyes, at their distances and angles; these views train them there too.
 */
export function placeFromViewpoints(anchors: readonly View[], p: ViewpointPlacement): View[] {
  const rng = new Rng(p.seed ?? 'viewpoints');
  const views: View[] = [];
  if (!anchors.length) return views;
  for (let i = 0; i < p.count; i++) {
    const a = anchors[i % anchors.length],
      M = a.cameraToWorld;
    const tanY = Math.tan(a.yfov / 2),
      tanX = tanY * (a.width / a.height);
    // The anchor's pixel at the new size, and a direction whose view stays (mostly) inside the anchor's field.
    const tanHalf = (tanY * p.resolution) / a.height;
    const sx = Math.max(0, tanX - tanHalf),
      sy = Math.max(0, tanY - tanHalf);
    const cx = rng.range(-sx, sx),
      cy = rng.range(-sy, sy);
    const dir = [0, 1, 2].map((k) => M[k] * cx + M[4 + k] * cy - M[8 + k]);
    const eye: [number, number, number] = [M[12], M[13], M[14]];
    views.push({
      cameraToWorld: lookAt(eye, [eye[0] + dir[0], eye[1] + dir[1], eye[2] + dir[2]], [M[4], M[5], M[6]]),
      yfov: 2 * Math.atan(tanHalf),
      width: p.resolution,
      height: p.resolution,
      znear: a.znear,
      zfar: a.zfar,
    });
  }
  return views;
}

/**
 * Cameras around (on a Fibonacci sphere, framing the bounds) and optionally inside the bounds (looking outwards,
 * roughly level). The same seed gives the same cameras; held-out views use another seed.
 */
export function placeCameras(
  bounds: { min: [number, number, number]; max: [number, number, number] },
  p: CameraPlacement,
): View[] {
  const rng = new Rng(p.seed ?? 'cameras');
  const yfov = p.yfov ?? PLACED_YFOV;
  const c: [number, number, number] = [0, 1, 2].map((a) => (bounds.min[a] + bounds.max[a]) / 2) as [
    number,
    number,
    number,
  ];
  const { r, dist } = framing(bounds, yfov);
  const nInside = Math.round((p.inside ?? 0) * p.count),
    nAround = p.count - nInside;
  const views: View[] = [];
  const phase = rng.next() * 2 * Math.PI;
  for (let i = 0; i < nAround; i++) {
    // Fibonacci sphere, biased to the upper hemisphere (objects stand on something).
    const y = 0.85 - (1.2 * (i + 0.5)) / nAround;
    const rad = Math.sqrt(Math.max(0, 1 - y * y)),
      th = phase + i * Math.PI * (3 - Math.sqrt(5));
    const eye: [number, number, number] = [
      c[0] + dist * rad * Math.cos(th),
      c[1] + dist * y,
      c[2] + dist * rad * Math.sin(th),
    ];
    const up: [number, number, number] = Math.abs(y) > 0.99 ? [0, 0, 1] : [0, 1, 0];
    views.push({
      cameraToWorld: lookAt(eye, c, up),
      yfov,
      width: p.width,
      height: p.height,
      znear: dist * 1e-3,
      zfar: dist + 4 * r,
    });
  }
  for (let i = 0; i < nInside; i++) {
    const eye: [number, number, number] = [0, 1, 2].map(
      (a) => bounds.min[a] + (0.25 + 0.5 * rng.next()) * (bounds.max[a] - bounds.min[a]),
    ) as [number, number, number];
    const th = rng.next() * 2 * Math.PI,
      el = rng.range(-0.3, 0.3);
    const at: [number, number, number] = [
      eye[0] + Math.cos(th) * Math.cos(el),
      eye[1] + Math.sin(el),
      eye[2] + Math.sin(th) * Math.cos(el),
    ];
    views.push({
      cameraToWorld: lookAt(eye, at),
      yfov: Math.max(yfov, 1.2),
      width: p.width,
      height: p.height,
      znear: r * 1e-3,
      zfar: 4 * r,
    });
  }
  return views;
}

function rgbOf(img: FloatImage): Float32Array {
  const out = new Float32Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = img.data[4 * i + c];
  return out;
}

/** `out` = the target's RGB moved from over `from` to over `to`: rgb + (1 - alpha) (to - from). */
function recomposite(img: FloatImage, from: number[], to: number[], out: Float32Array): Float32Array {
  const d = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
  for (let i = 0, n = img.width * img.height; i < n; i++) {
    const t = 1 - img.data[4 * i + 3];
    out[3 * i] = img.data[4 * i] + t * d[0];
    out[3 * i + 1] = img.data[4 * i + 1] + t * d[1];
    out[3 * i + 2] = img.data[4 * i + 2] + t * d[2];
  }
  return out;
}

/**
 * Rebuild Adam moments after the model was re-indexed: row j takes old row src[j], or zero when src[j] < 0, in every
 * parameter group's block (native/layouts.ts).
 */
function remapAdam(adam: AdamState, oldCount: number, shStride: number, src: Int32Array): AdamState {
  const n = src.length;
  const next = createAdamFor(n, shStride);
  next.step = adam.step;
  for (const { name } of SPLAT_PARAM_GROUPS) {
    const w = splatParamFloats(name, shStride);
    const oldOff = adamBlockOffset(name, oldCount, shStride),
      newOff = adamBlockOffset(name, n, shStride);
    for (let j = 0; j < n; j++) {
      const i = src[j];
      if (i < 0) continue;
      for (let k = 0; k < w; k++) {
        next.m[newOff + w * j + k] = adam.m[oldOff + w * i + k];
        next.v[newOff + w * j + k] = adam.v[oldOff + w * i + k];
      }
    }
  }
  return next;
}

/** Rotate-and-scale a standard normal sample by Gaussian i's covariance (for split children). */
function sampleInGaussian(m: GaussianModel, i: number, rng: Rng): [number, number, number] {
  const g = () => {
    const u = Math.max(1e-12, rng.next()),
      v = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const s = [0, 1, 2].map((a) => Math.exp(m.logScales[3 * i + a]) * g());
  let [w, x, y, z] = Array.from(m.quats.subarray(4 * i, 4 * i + 4));
  const l = Math.hypot(w, x, y, z) || 1;
  w /= l;
  x /= l;
  y /= l;
  z /= l;
  const R = [
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ];
  return [
    R[0] * s[0] + R[1] * s[1] + R[2] * s[2],
    R[3] * s[0] + R[4] * s[1] + R[5] * s[2],
    R[6] * s[0] + R[7] * s[1] + R[8] * s[2],
  ];
}

export async function trainSplats(
  init: GaussianModel,
  views: TrainingView[],
  opts: TrainOptions = {},
): Promise<TrainResult> {
  if (views.length === 0) throw new OteError('BAD_INPUT', 'training needs at least one view');
  const iters = Math.max(1, Math.floor(opts.iterations ?? 3000));
  const maxDeg = opts.shDegree ?? 3,
    shEvery = opts.shEvery ?? Math.max(1, Math.floor(iters / (maxDeg + 2)));
  const densifyFrom = opts.densifyFrom ?? Math.floor(iters * 0.1),
    densifyUntil = opts.densifyUntil ?? Math.floor(iters * 0.6);
  const densifyEvery = opts.densifyEvery ?? 100,
    gradThreshold = opts.gradThreshold ?? 0.0002,
    percentDense = opts.percentDense ?? 0.01;
  const resetEvery = opts.opacityResetEvery ?? (iters >= 6000 ? 3000 : 0),
    minOpacity = opts.minOpacity ?? 0.005;
  const cap = Math.max(1, opts.maxGaussians ?? 1_000_000);
  const bg = opts.background ?? [0, 0, 0];
  const rng = new Rng(opts.seed ?? 'train');
  const extent = cameraExtent(views.map((v) => v.view));
  const lr0 = { ...DEFAULT_LR, ...opts.lr };

  let model = withShDegree(init, maxDeg);
  if (model === init)
    model = selectGaussians(
      init,
      Array.from({ length: init.count }, (_, i) => i),
    ); // never mutate the caller's model
  if (model.count > cap) model = selectGaussians(model, topOpacity(model, cap));
  if (opts.antialiased !== undefined) model = { ...model, antialiased: opts.antialiased };
  const shStride = shCoeffs(maxDeg);
  let adam = createAdam(model);
  let grads: SplatGrads | undefined;
  let stats = createDensifyStats(model.count);
  const cams: SplatCamera[] = views.map((v) => splatCamera(v.view));
  const targets = views.map((v) => {
    if (v.target.width !== v.view.width || v.target.height !== v.view.height)
      throw new OteError(
        'BAD_INPUT',
        `target ${v.target.width}x${v.target.height} does not match its view ${v.view.width}x${v.view.height}`,
      );
    return rgbOf(v.target);
  });

  const bgRng = opts.randomBackground ? new Rng(`${opts.seed ?? 'train'}-background`) : undefined;
  let scratch: Float32Array | undefined;
  const t0 = Date.now();
  if (opts.colorsFromViews ?? true) await colorsFromViews(model, views, cams, bg, opts);
  // On CUDA the whole state lives on the device between densification steps (see SplatTrainSession); on the CPU
  // the host arrays are the working memory and each step is one native call over them.
  if (opts.backend === 'cuda' && !deviceTrainingAvailable('cuda'))
    throw new OteError('BAD_INPUT', 'backend cuda was asked for, but no CUDA device is available');
  const device = deviceTrainingAvailable(opts.backend)
    ? await SplatTrainSession.create(
        model,
        cams.map((camera, i) => ({ camera, target: targets[i] })),
        { signal: opts.signal },
      )
    : undefined;
  const lossHistory: number[] = [];
  const deadline = opts.timeLimitSeconds !== undefined ? t0 + 1000 * opts.timeLimitSeconds : Infinity;
  let done = 0;
  try {
    let block = 0,
      blockN = 0,
      order: number[] = [];
    let resetDone = false;
    for (let it = 1; it <= iters; it++) {
      if (opts.signal?.aborted) throw new OteError('CANCELLED', `training cancelled at iteration ${it}`);
      if (order.length === 0) {
        // a fresh seeded permutation of the views per epoch
        order = views.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      const vi = order.pop()!;
      const cam = cams[vi];
      const t = (it - 1) / Math.max(1, iters - 1);
      const lr: LearningRates = { ...lr0, means: lr0.means * extent * 0.01 ** t };
      const deg = Math.min(maxDeg, Math.floor((it - 1) / shEvery));
      // Densification statistics: view-space gradient in NDC units (pixels x half the image size).
      const ndc = 0.5 * Math.max(cam.width, cam.height),
        accumulate = it <= densifyUntil;
      // A random background is drawn from its own stream, so turning it on leaves the views' order alone. The
      // view's target is re-composited over it here, for either backend (the device session takes it as an upload).
      const stepBg = bgRng ? ([bgRng.next(), bgRng.next(), bgRng.next()] as [number, number, number]) : bg;
      let target = targets[vi];
      if (bgRng) {
        if (scratch?.length !== target.length) scratch = new Float32Array(target.length);
        target = recomposite(views[vi].target, bg, stepBg, scratch);
      }
      let loss: number;
      if (device) {
        if (bgRng) await device.setTarget(vi, target);
        loss = await device.step(vi, adam, lr, {
          shDegree: deg,
          background: stepBg,
          lambda: opts.lambda ?? 0.2,
          accumulate,
          ndcScale: ndc,
          signal: opts.signal,
        });
      } else {
        grads ??= createGrads(model);
        loss = (
          await splatTrainStep(model, cam, target, adam, lr, grads, {
            shDegree: deg,
            background: stepBg,
            lambda: opts.lambda ?? 0.2,
            backend: 'cpu',
            signal: opts.signal,
          })
        ).loss;
        if (accumulate) {
          for (let i = 0; i < model.count; i++) {
            if (grads.radii[i] > 0) {
              stats.gradAccum[i] += grads.mean2dGradNorm[i] * ndc;
              stats.denom[i]++;
              stats.maxRadii[i] = Math.max(stats.maxRadii[i], grads.radii[i]);
            }
          }
        }
      }
      block += loss;
      blockN++;
      if (blockN === 50 || it === iters) {
        lossHistory.push(block / blockN);
        block = 0;
        blockN = 0;
      }

      const densify = it >= densifyFrom && it <= densifyUntil && it % densifyEvery === 0;
      const reset = resetEvery > 0 && it % resetEvery === 0 && it <= densifyUntil;
      if ((densify || reset) && device) await device.read(model, adam, stats); // the host edits, then writes back
      if (densify) {
        const before = model.count;
        const res = densifyAndPrune(model, stats.gradAccum, stats.denom, stats.maxRadii, {
          gradThreshold,
          percentDense,
          extent,
          cap,
          minOpacity,
          pruneBig: resetDone,
          rng,
        });
        model = res.model;
        adam = remapAdam(adam, before, shStride, res.source);
        grads = undefined;
        stats = createDensifyStats(model.count);
      }
      if (reset) {
        // Opacity reset: faint everything so densification can prune what later views do not need.
        const cut = logit(0.01);
        for (let i = 0; i < model.count; i++) model.opacity[i] = Math.min(model.opacity[i], cut);
        const opOff = adamBlockOffset('opacity', model.count, shStride);
        adam.m.fill(0, opOff, opOff + model.count);
        adam.v.fill(0, opOff, opOff + model.count);
        resetDone = true;
      }
      if ((densify || reset) && device) await device.write(model, adam, stats); // fresh statistics after a densify
      opts.onProgress?.({ iteration: it, iterations: iters, loss, count: model.count });
      done = it;
      if (Date.now() >= deadline) {
        if (blockN) lossHistory.push(block / blockN);
        break;
      }
    }
    if (device) await device.read(model);
  } finally {
    device?.close();
  }
  // Final clean-up: Gaussians that ended up invisible-faint cost memory and render time for nothing.
  const keep: number[] = [];
  for (let i = 0; i < model.count; i++) if (sigmoid(model.opacity[i]) >= minOpacity) keep.push(i);
  if (keep.length < model.count) model = selectGaussians(model, keep);
  return { model, lossHistory, iterations: done, seconds: (Date.now() - t0) / 1000 };
}

/** See TrainOptions.colorsFromViews. Higher-order SH coefficients are cleared (the lit colour is the new base). */
export async function colorsFromViews(
  model: GaussianModel,
  views: TrainingView[],
  cams: SplatCamera[],
  bg: [number, number, number],
  opts: { backend?: Backend; signal?: AbortSignal } = {},
): Promise<void> {
  const sum = new Float64Array(3 * model.count),
    weight = new Float64Array(model.count);
  for (let v = 0; v < views.length; v++) {
    const cam = cams[v],
      img = views[v].target;
    const frame = await renderSplats(model, cam, { background: bg, backend: opts.backend, signal: opts.signal });
    const V = cam.viewmat;
    for (let i = 0; i < model.count; i++) {
      const x = model.means[3 * i],
        y = model.means[3 * i + 1],
        z = model.means[3 * i + 2];
      const tz = V[6] * x + V[7] * y + V[8] * z + V[11];
      if (!(tz > cam.znear)) continue;
      const px = Math.floor((cam.fx * (V[0] * x + V[1] * y + V[2] * z + V[9])) / tz + cam.cx),
        py = Math.floor((cam.fy * (V[3] * x + V[4] * y + V[5] * z + V[10])) / tz + cam.cy);
      if (px < 0 || py < 0 || px >= cam.width || py >= cam.height) continue;
      const p = py * cam.width + px;
      // Visible when the splats' surface depth at that pixel is (nearly) this Gaussian's depth.
      const d = frame.depth[p];
      if (
        !(frame.image.data[4 * p + 3] > 0.5) ||
        Math.abs(d - tz) > 0.02 * tz + 3 * Math.exp(Math.max(model.logScales[3 * i], model.logScales[3 * i + 1]))
      )
        continue;
      // The target's own colour, not its blend with the background: premultiplied, weighted by coverage.
      const a = img.data[4 * p + 3];
      for (let c = 0; c < 3; c++) sum[3 * i + c] += img.data[4 * p + c] - (1 - a) * bg[c];
      weight[i] += a;
    }
  }
  const K = model.sh.length / model.count;
  for (let i = 0; i < model.count; i++) {
    if (!(weight[i] >= 1e-3)) continue; // too little coverage to tell a colour
    for (let c = 0; c < 3; c++) model.sh[K * i + c] = rgbToDc(sum[3 * i + c] / weight[i]);
    model.sh.fill(0, K * i + 3, K * (i + 1));
  }
}

function topOpacity(m: GaussianModel, n: number): number[] {
  return Array.from({ length: m.count }, (_, i) => i)
    .sort((a, b) => m.opacity[b] - m.opacity[a] || a - b)
    .slice(0, n)
    .sort((a, b) => a - b);
}

interface DensifyParams {
  gradThreshold: number;
  percentDense: number;
  extent: number;
  cap: number;
  minOpacity: number;
  pruneBig: boolean;
  rng: Rng;
}

/**
 * Clone (small) or split (large) Gaussians whose mean view-space gradient exceeds the threshold, highest first,
 * while the count stays under the cap; then prune faint ones (and, after an opacity reset, oversized ones).
 * Returns the new model and, per new Gaussian, the old index it came from (-1 for new ones: fresh Adam state).
 */
export function densifyAndPrune(
  m: GaussianModel,
  gradAccum: Float32Array,
  denom: Float32Array,
  maxRadii: Float32Array,
  p: DensifyParams,
): { model: GaussianModel; source: Int32Array } {
  const n = m.count;
  const cand: number[] = [];
  for (let i = 0; i < n; i++) if (denom[i] > 0 && gradAccum[i] / denom[i] >= p.gradThreshold) cand.push(i);
  cand.sort((a, b) => gradAccum[b] / denom[b] - gradAccum[a] / denom[a] || a - b);
  const maxScale = (i: number) =>
    Math.exp(Math.max(m.logScales[3 * i], m.logScales[3 * i + 1], m.logScales[3 * i + 2]));
  // Prune first, so the cap counts what survives.
  const prune = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (sigmoid(m.opacity[i]) < p.minOpacity) prune[i] = 1;
    else if (p.pruneBig && (maxRadii[i] > 20 || maxScale(i) > 0.1 * p.extent)) prune[i] = 1;
  }
  let count = n - prune.reduce((s, v) => s + v, 0);
  const clone: number[] = [],
    split: number[] = [];
  for (const i of cand) {
    if (prune[i]) continue;
    if (count + 1 > p.cap) break;
    if (maxScale(i) > p.percentDense * p.extent) split.push(i);
    else clone.push(i);
    count++; // a clone adds one; a split replaces one by two
  }
  const splitSet = new Uint8Array(n);
  for (const i of split) splitSet[i] = 1;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (!prune[i] && !splitSet[i]) keep.push(i);
  // Clones duplicate their parent (fresh optimiser state); split children are two samples inside the parent,
  // 1.6x smaller, as in 3DGS.
  const idx = [...keep, ...clone, ...split, ...split];
  const out = selectGaussians(m, idx);
  const source = new Int32Array(idx.length);
  for (let j = 0; j < idx.length; j++) source[j] = j < keep.length ? idx[j] : -1;
  const s0 = keep.length + clone.length;
  for (let j = s0; j < idx.length; j++) {
    const i = idx[j];
    const d = sampleInGaussian(m, i, p.rng);
    for (let a = 0; a < 3; a++) {
      out.means[3 * j + a] = m.means[3 * i + a] + d[a];
      out.logScales[3 * j + a] = m.logScales[3 * i + a] - Math.log(1.6);
    }
  }
  return { model: out, source };
}
