/**
 * Trained splats for one object (or any set of nodes), for `ote optimize`: convert the object's surfaces
 * directly, then train that model against ray-traced renders of the object from cameras around it, within a
 * wall-clock budget of seconds. Returns the trained model (world space, like convertScene) and its PSNR on
 * held-out views next to the direct conversion's, so the caller can keep whichever is better.
 *
 * Time: targets are rendered at `resolution`, or as fine as the pixel the splats are judged at (`pixelSize`,
 * objectTrainingSize), and the iteration count is the given one, else the profile's capped by what fits the budget
 * after timing a few steps of this very model; the schedule (densification window, SH degree ramp, learning-rate
 * decay) is then planned for that count, so a short run is a complete, compressed schedule rather than a long one
 * cut off. The number of Gaussians trained is the profile's budget, capped by what the training views can resolve
 * (one per target pixel): more would only add render time at this resolution.
 */
import { autoExposure } from '../image/display.js';
import { toDisplayImage, type FloatImage } from '../image/float-image.js';
import type { DecodedTexture } from '../io/textures.js';
import type { Backend } from '../native/addon.js';
import { splatCamera } from '../native/splat-camera.js';
import { createAdam, createGrads, renderSplats, splatTrainStep } from '../native/splat.js';
import { renderView, sceneBvh } from '../render/render-view.js';
import { emptyBounds, expand, isEmpty, meshBounds, type Bounds } from '../scene/bounds.js';
import { flattenScene } from '../scene/flatten.js';
import { selectGaussians, withShDegree, type GaussianModel } from '../scene/gaussians.js';
import { transformPoint } from '../scene/transform.js';
import type { Scene } from '../scene/types.js';
import { viewEye, type View } from '../scene/view.js';
import { OteError } from '../errors.js';
import { convertScene } from './convert.js';
import {
  placeCameras,
  placeCloseUps,
  placeFromViewpoints,
  placedPixelSize,
  resolutionForPixelSize,
  trainSplats,
  type TrainingView,
} from './train.js';

/** The profile's `splat` section (plan/profile.ts). */
export interface SplatProfile {
  /** Cap on the number of Gaussians. */
  budget: number;
  /** Training iterations wanted (fewer when the time budget does not allow them). */
  iterations: number;
  /** Highest SH degree (0..3). */
  shDegree: number;
}

export interface ObjectSplatOptions {
  profile: SplatProfile;
  /** Nodes to convert (default: every node with a mesh). Cameras frame these nodes' bounds. */
  nodes?: number[];
  /** Decoded textures by scene texture index (decodeSceneTextures); missing ones use the material factors. */
  textures?: (DecodedTexture | undefined)[];
  /** Seconds for the whole call (targets, conversion, training, evaluation). Default 15. Ignored with `iterations`. */
  timeBudgetSeconds?: number;
  /**
   * Train exactly this many iterations: no timing, no time budget, no wall-clock stop, so the result depends only
   * on the inputs and the seed (what `ote optimize` needs for reproducible outputs).
   */
  iterations?: number;
  /**
   * Renders the training and held-out targets, in order (linear RGBA over black, colour premultiplied by alpha =
   * coverage; they are taken to display values here); onProgress
   * takes the fraction done. Default: the preview renderer's shaded mode at 4 spp, one view after the other.
   * `ote optimize` passes a path tracer so the splats learn the lighting its before/after check and the verifier
   * compare against (all views at once, so a farm job can spread them over its workers).
   */
  renderTargets?: (views: View[], onProgress: (f: number) => void) => Promise<FloatImage[]>;
  /** Target images are resolution x resolution pixels. Default: from `pixelSize`, else 128. */
  resolution?: number;
  /**
   * World units per pixel of the finest view the splats will be judged at or seen in, at the objects. The targets
   * are made as fine (objectTrainingSize), so that the splats learn the detail that view shows.
   */
  pixelSize?: number;
  /**
   * The same at the part of the objects nearest that view (at most `pixelSize`): the targets' size is made from
   * it, so that no part is judged finer than it was trained; close-ups keep `pixelSize`. Default `pixelSize`.
   */
  nearestPixelSize?: number;
  /**
   * The planned views (where a viewer stands): half as many training and held-out views again are turned from their
   * eyes at their pixel (train.ts placeFromViewpoints), and the conversions training starts from, and is compared
   * with, spread their Gaussians finer near those eyes (convert.ts ConvertOptions.eyes). Default: none, by area.
   */
  viewpoints?: readonly View[];
  /** Training and held-out views around the objects (close-ups add half as many again; objectTrainingSize). Defaults 16 and 4. */
  views?: number;
  heldOutViews?: number;
  /** Fraction of the cameras placed inside the bounds looking out (for rooms); default 0. */
  inside?: number;
  /**
   * Stops of exposure of the display curve that the targets (linear renders) go through before training: splat
   * colours are display-referred (scene/gaussians.ts). `ote optimize` passes its reference's exposure, so that the
   * splats match its previews. Default: auto exposure over the training targets.
   */
  exposure?: number;
  /**
   * Train with Mip-Splatting's 2D filter (GaussianModel.antialiased), so the splats keep their coverage when drawn
   * coarser than the targets, as a verifier's crops and a distant viewer draw them. Default true.
   */
  antialiased?: boolean;
  seed?: number;
  backend?: Backend;
  signal?: AbortSignal;
  /** Stage and fraction done, in [0, 1]. */
  onProgress?: (p: { stage: 'targets' | 'convert' | 'train' | 'evaluate'; fraction: number; detail?: string }) => void;
}

export interface ObjectSplatResult {
  /** The trained Gaussians, world space. */
  model: GaussianModel;
  /** Mean PSNR (dB) of the trained model on the held-out views. */
  heldOutPsnr: number;
  /** The same for the direct conversion the training started from. */
  conversionPsnr: number;
  /** The direct conversion itself (same count cap), for callers that keep it when training does not pay. */
  conversion: GaussianModel;
  iterations: number;
  /** Training views, close-ups and eye views included, and how many of them are close-ups and eye views. */
  views: number;
  closeUps: number;
  eyeViews: number;
  /** The exposure the colours were made at (the option, or the one chosen from the targets). */
  exposure: number;
  seconds: { targets: number; convert: number; train: number; evaluate: number; total: number };
}

/** World bounds of the instances of `nodes` (all instances when omitted), from their mesh-bounds corners. */
export function nodeBounds(scene: Scene, nodes?: number[]): Bounds {
  const flat = flattenScene(scene),
    local = meshBounds(scene),
    keep = nodes ? new Set(nodes) : undefined;
  const b = emptyBounds();
  for (let i = 0; i < flat.instanceMesh.length; i++) {
    if (keep && !keep.has(flat.instanceNode[i])) continue;
    const lb = local[flat.instanceMesh[i]];
    if (isEmpty(lb)) continue;
    const m = flat.instanceTransforms.subarray(16 * i, 16 * i + 16);
    for (let c = 0; c < 8; c++) {
      const p = transformPoint(
        m,
        c & 1 ? lb.max[0] : lb.min[0],
        c & 2 ? lb.max[1] : lb.min[1],
        c & 4 ? lb.max[2] : lb.min[2],
      );
      expand(b, p[0], p[1], p[2]);
    }
  }
  return b;
}

/** Images of one width stacked into one, for statistics over all of them. */
function stacked(images: FloatImage[]): FloatImage {
  const width = images[0]?.width ?? 0,
    height = images.reduce((h, img) => h + img.height, 0),
    data = new Float32Array(4 * width * height);
  let o = 0;
  for (const img of images) {
    data.set(img.data, o);
    o += img.data.length;
  }
  return { width, height, data };
}

function psnr(a: FloatImage, b: FloatImage): number {
  let e = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) e += (a.data[i] - b.data[i]) ** 2;
  return 10 * Math.log10(1 / Math.max(1e-12, e / (a.width * a.height * 3)));
}

/**
 * Target sizes made from `pixelSize` are clamped to this range. Below 128 px the views resolve too little of any
 * object. The ivy's nearest leaves ask 512 px (session 24: verification FLIP over 24 fixed crops 0.089 at 384 px and
 * 2,938 iterations, 0.080 at 432 and 2,321, 0.077 at 512 and 1,653; the own check 35.3, 36.9 and 38.2 dB); larger
 * views make each iteration dearer, so fewer fit the work bound.
 */
export const TARGET_RESOLUTION = { min: 128, max: 512 } as const;

/**
 * Views from the planned viewpoints (ObjectSplatOptions.viewpoints), as a share of the views around the objects.
 * Measured on the forced-splat foliage under REALTIME (`ote gen foliage --scale 0.2`, plants to splats, 500
 * iterations from the cap; 2026-12-07): own check 24.16 dB without them, 25.29 with half as many, 25.42 with as
 * many (22 s more of targets).
 */
const EYE_VIEW_SHARE = 0.5;

/**
 * The share of the cap that training starts from: a quarter when it has iterations to densify (3DGS grows a sparse
 * start where the views ask for detail; 1,000 and more), the whole cap when it is as short as REALTIME's 500, whose
 * few densify steps grew a quarter-cap start only from 50k to 67k Gaussians on the forced-splat foliage, its leaves
 * blurred (own check 25.89 dB against 26.22 from the cap, 2026-12-07); linear between. Longer training keeps the
 * quarter: the ivy's 1,653 iterations from the cap had not finished after 8 minutes, where the quarter-cap start
 * ran the whole job in 4.5 (BALANCED, TD file).
 */
export function startShare(iterations: number): number {
  const t = Math.min(1, Math.max(0, (iterations - 500) / 500));
  return 1 - 0.75 * t;
}

/**
 * The fewest visits training pays each training view on average when its iterations are fixed: a target that
 * training looks at once or twice cost a path-traced render for little. REALTIME's 500 iterations keep all 64 views
 * of the forced-splat foliage; `--splat-iterations 150` renders 39 and 11 held out instead of 64 and 16.
 */
export const MIN_VISITS_PER_VIEW = 4;

/**
 * How many views around the objects to train on and hold out: the asked counts, cut where fixed `iterations` would
 * visit each training view fewer than MIN_VISITS_PER_VIEW times (at least 4 and 2), the held-out views in
 * proportion. `trainedPerAround` is how many training views each view around the objects brings, itself included
 * (1, plus half for close-ups, plus EYE_VIEW_SHARE for views from the viewpoints; 2 with both).
 */
export function viewCounts(
  views: number,
  heldOut: number,
  iterations: number | undefined,
  trainedPerAround = 2,
): { train: number; heldOut: number } {
  if (iterations === undefined) return { train: views, heldOut };
  const train = Math.min(views, Math.max(4, Math.ceil(iterations / (trainedPerAround * MIN_VISITS_PER_VIEW))));
  return { train, heldOut: Math.min(heldOut, Math.max(2, Math.ceil((heldOut * train) / views))) };
}

/**
 * Close-ups are added when the views framing all the objects show them more than this many times coarser than the
 * pixel they are judged at (a field of plants, a wall of ivy: wider than one target can show finely).
 */
export const CLOSE_UP_RATIO = 1.5;

/** What objectTrainingSize decides. */
export interface ObjectTrainingSize {
  /** Square size of every target, pixels. */
  resolution: number;
  /** Most Gaussians trained. */
  cap: number;
  /**
   * World units per pixel of the close-ups, when the views framing the objects are too coarse (CLOSE_UP_RATIO): half
   * as many views again then look at points of their surfaces from the distance at which they are this fine.
   */
  closeUpPixel?: number;
}

/**
 * The target size and the Gaussian cap trainObjectSplats uses: the explicit resolution, else the one at which the
 * training views are as fine as `nearestPixelSize` (else `pixelSize`; clamped to TARGET_RESOLUTION), else 128.
 * Views framing all the objects coarser than `pixelSize` add close-ups at it. The cap is the profile's budget, at most one Gaussian per pixel
 * of the objects seen at the finest pixel the targets show (more would only add render time).
 */
export function objectTrainingSize(
  scene: Scene,
  opts: Pick<ObjectSplatOptions, 'profile' | 'nodes' | 'resolution' | 'pixelSize' | 'nearestPixelSize'>,
): ObjectTrainingSize {
  const bounds = nodeBounds(scene, opts.nodes),
    pixel = opts.pixelSize !== undefined && opts.pixelSize > 0 && !isEmpty(bounds) ? opts.pixelSize : undefined,
    near = opts.nearestPixelSize,
    finest = pixel !== undefined && near !== undefined && near > 0 ? Math.min(pixel, near) : pixel;
  let res = opts.resolution;
  if (res === undefined && finest !== undefined)
    res = Math.max(
      TARGET_RESOLUTION.min,
      Math.min(TARGET_RESOLUTION.max, 16 * Math.ceil(resolutionForPixelSize(bounds, finest) / 16)),
    );
  const resolution = Math.max(16, Math.floor(res ?? 128));
  const ratio = pixel === undefined ? 1 : placedPixelSize(bounds, resolution) / pixel,
    closeUp = ratio > CLOSE_UP_RATIO;
  const pixels = resolution * resolution * (closeUp ? ratio * ratio : 1);
  return {
    resolution,
    cap: Math.max(1, Math.min(Math.floor(opts.profile.budget), Math.floor(pixels))),
    ...(closeUp ? { closeUpPixel: pixel } : {}),
  };
}

export async function trainObjectSplats(scene: Scene, opts: ObjectSplatOptions): Promise<ObjectSplatResult> {
  const t0 = performance.now();
  const budgetS = opts.timeBudgetSeconds ?? 15;
  const { resolution: res, cap, closeUpPixel } = objectTrainingSize(scene, opts);
  const seed = opts.seed ?? 1,
    backend = opts.backend ?? 'auto',
    signal = opts.signal;
  const maxDeg = Math.max(0, Math.min(3, Math.floor(opts.profile.shDegree)));
  const report = opts.onProgress ?? (() => {});
  const bounds = nodeBounds(scene, opts.nodes);
  if (isEmpty(bounds)) throw new OteError('BAD_INPUT', `nodes ${opts.nodes?.join(', ') ?? '(all)'} draw no triangles`);

  // Targets: the preview renderer's shaded images over black (the splats learn coverage through their opacity).
  const bg: [number, number, number] = [0, 0, 0];
  const bvh = await sceneBvh(scene, { signal });
  const { train: nTrain, heldOut: nHeld } = viewCounts(
    opts.views ?? 16,
    opts.heldOutViews ?? 4,
    opts.iterations,
    1 + (closeUpPixel ? 0.5 : 0) + (opts.viewpoints?.length ? EYE_VIEW_SHARE : 0),
  );
  const place = (count: number, tag: string) =>
    placeCameras(bounds, { count, width: res, height: res, inside: opts.inside, seed: `${tag}-${seed}` });
  // Close-ups look at points of the objects' surfaces (a sparse direct conversion's centres), half as many again:
  // on the generated field of plants, 16 close-ups scored as well as 32 in half the render time.
  const points = closeUpPixel
    ? convertScene(scene, { budget: 4096, nodes: opts.nodes, seed: `close-up-points-${seed}` }).means
    : undefined;
  const close = (count: number, tag: string) =>
    points && closeUpPixel
      ? placeCloseUps(points, {
          count: Math.ceil(count / 2),
          resolution: res,
          pixelSize: closeUpPixel,
          extent: 0.5 * Math.hypot(...[0, 1, 2].map((a) => bounds.max[a] - bounds.min[a])),
          seed: `${tag}-${seed}`,
        })
      : [];
  const fromEyes = (count: number, tag: string) =>
    placeFromViewpoints(opts.viewpoints ?? [], {
      count: Math.ceil(count * EYE_VIEW_SHARE),
      resolution: res,
      seed: `${tag}-${seed}`,
    });
  const closeUps = close(nTrain, 'object-close'),
    nClose = closeUps.length;
  const trainViews = [...place(nTrain, 'object-train'), ...closeUps, ...fromEyes(nTrain, 'object-eye')],
    heldViews = [
      ...place(nHeld, 'object-held'),
      ...close(nHeld, 'object-close-held'),
      ...fromEyes(nHeld, 'object-eye-held'),
    ];
  const all = [...trainViews, ...heldViews];
  const rendered: TrainingView[] = [];
  if (opts.renderTargets) {
    const targets = await opts.renderTargets(all, (fraction) => report({ stage: 'targets', fraction }));
    for (const [i, view] of all.entries()) rendered.push({ view, target: targets[i] });
  } else
    for (const view of all) {
      const target = await renderView(scene, view, {
        mode: 'shaded',
        spp: 4,
        bvh,
        backend,
        signal,
        background: [...bg, 0], // alpha is coverage: training re-composites the targets over other backgrounds
        seed,
      });
      rendered.push({ view, target });
      report({ stage: 'targets', fraction: rendered.length / all.length });
    }
  // Targets to display values at one exposure for all of them (the splats are one model), edges as a viewer blends
  // them over black (toDisplayImage).
  const nTrainAll = trainViews.length;
  const exposure = opts.exposure ?? autoExposure(stacked(rendered.slice(0, nTrainAll).map((r) => r.target)));
  for (const r of rendered) r.target = toDisplayImage(r.target, exposure);
  const train = rendered.slice(0, nTrainAll),
    held = rendered.slice(nTrainAll);
  const t1 = performance.now();

  // The direct conversion at the cap (what training is compared with), and the start training densifies: sparser
  // when there are iterations to grow it (startShare).
  report({ stage: 'convert', fraction: 0 });
  const eyes = opts.viewpoints?.map(viewEye);
  const conversion = convertScene(scene, {
    budget: cap,
    nodes: opts.nodes,
    textures: opts.textures,
    exposure,
    eyes,
    seed,
  });
  const share = startShare(opts.iterations ?? opts.profile.iterations);
  const start =
    share >= 1
      ? conversion // trainSplats never changes the model it is given
      : convertScene(scene, {
          budget: Math.max(1, Math.floor(cap * share)),
          nodes: opts.nodes,
          textures: opts.textures,
          exposure,
          eyes,
          seed: seed + 1,
        });
  report({ stage: 'convert', fraction: 1 });
  const t2 = performance.now();

  const evaluate = async (m: GaussianModel) => {
    let s = 0;
    for (const v of held)
      s += psnr((await renderSplats(m, splatCamera(v.view), { background: bg, backend, signal })).image, v.target);
    return s / Math.max(1, held.length);
  };
  const conversionPsnr = held.length ? await evaluate(conversion) : NaN;

  // Plan the iteration count: time a few steps of the start model at its final size (densification grows it
  // towards the cap), then fit the profile's iterations into what is left of the budget, keeping a reserve for
  // the evaluation.
  const elapsed = (performance.now() - t0) / 1000;
  const evalReserve = Math.max(0.3, (1.5 * (performance.now() - t2)) / 1000);
  const trainBudget = Math.max(0.5, budgetS - elapsed - evalReserve);
  const fixed = opts.iterations !== undefined ? Math.max(1, Math.floor(opts.iterations)) : undefined;
  const stepSeconds = fixed ? 0 : await timeSteps(start, cap, train, maxDeg, bg, backend, signal);
  const iterations =
    fixed ?? Math.max(1, Math.min(Math.floor(opts.profile.iterations), Math.floor(trainBudget / stepSeconds)));
  report({ stage: 'train', fraction: 0, detail: `${iterations} iterations` });
  const trained = await trainSplats(start, train, {
    iterations,
    maxGaussians: cap,
    shDegree: maxDeg,
    background: bg,
    randomBackground: true, // the splats are drawn over other things than the targets' black
    antialiased: opts.antialiased ?? true,
    seed,
    backend,
    signal,
    densifyEvery: Math.max(10, Math.min(100, Math.floor(iterations / 12))),
    densifyFrom: Math.floor(iterations * 0.05),
    timeLimitSeconds: fixed ? undefined : trainBudget, // a hard stop in case the machine slows down mid-run
    onProgress: (p) =>
      report({
        stage: 'train',
        fraction: p.iteration / p.iterations,
        detail: `loss ${p.loss.toFixed(4)}, ${p.count} Gaussians`,
      }),
  });
  const t3 = performance.now();
  report({ stage: 'evaluate', fraction: 0 });
  const heldOutPsnr = held.length ? await evaluate(trained.model) : NaN;
  report({ stage: 'evaluate', fraction: 1 });
  const t4 = performance.now();
  return {
    model: trained.model,
    heldOutPsnr,
    conversionPsnr,
    conversion,
    iterations: trained.iterations,
    views: nTrainAll,
    closeUps: nClose,
    eyeViews: nTrainAll - nTrain - nClose,
    exposure,
    seconds: {
      targets: (t1 - t0) / 1000,
      convert: (t2 - t1) / 1000,
      train: (t3 - t2) / 1000,
      evaluate: (t4 - t3) / 1000,
      total: (t4 - t0) / 1000,
    },
  };
}

/**
 * Seconds per training step of a model grown to `count` Gaussians, the cap densification may reach (the start
 * model repeated, so its footprint on screen is realistic): median of a few steps after a warm-up, so the plan
 * errs on the short side. Throwaway copies: the start model is untouched.
 */
async function timeSteps(
  start: GaussianModel,
  count: number,
  views: TrainingView[],
  deg: number,
  bg: [number, number, number],
  backend: Backend,
  signal?: AbortSignal,
): Promise<number> {
  const idx = Array.from({ length: Math.max(1, count) }, (_, i) => i % start.count);
  const m = withShDegree(selectGaussians(start, idx), deg);
  const adam = createAdam(m),
    grads = createGrads(m);
  const lr = { means: 0, scales: 0, quats: 0, opacity: 0, shDc: 0, shRest: 0 };
  const times: number[] = [];
  for (let k = 0; k < 4; k++) {
    const v = views[k % views.length];
    const target = new Float32Array(3 * v.view.width * v.view.height);
    const t = performance.now();
    await splatTrainStep(m, splatCamera(v.view), target, adam, lr, grads, { background: bg, backend, signal });
    if (k > 0) times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  // Per-step JavaScript work in trainSplats (statistics, densification) comes on top: 20% margin.
  return 1.2 * times[times.length >> 1];
}
