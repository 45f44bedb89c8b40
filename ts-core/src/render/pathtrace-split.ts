/**
 * A batch of path-traced images (render/pathtrace.ts PathtraceBatch) split into tasks of equal estimated cost,
 * and joined back bit-identical to rendering each image whole.
 *
 * A pixel's value depends only on its index in its image, the request's seed and samples, and the scene
 * (native bake.h ReferenceView::row_begin), so bands of rows rendered anywhere join into the whole image float for
 * float. A task renders one or more bands, of one request or of several (the splats' twenty small training views
 * go several to a task; the preview's large reference is cut across its rows).
 *
 *   const cost = await estimatePathtraceCost(scene, requests, common);   // a low-resolution pre-pass
 *   const { tasks } = planPathtraceSplit(requests, cost, 4);             // 4 lists of bands, equal predicted cost
 *   const parts = await Promise.all(tasks.map((bands) => renderBands(scene, requests, bands, common)));
 *   const images = joinPathtraceBands(requests, tasks.flat(), parts.flat());   // = renderPathtracedBatch(...)
 *
 * Pixels that see the sky cost a ray; pixels that see a surface cost its light paths: the cost of a row is taken
 * as its coverage (from a ray-core depth render at a quarter of the resolution) plus a small floor, and the cost
 * of a request as its paths (pixels × samples) times the seconds per path that the pre-pass measured here.
 */
import type { FloatImage } from '../image/float-image.js';
import { OteError } from '../errors.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';
import { type PathtraceCommon, type PathtraceRequest, renderPathtraced } from './pathtrace.js';
import { renderView, sceneBvh } from './render-view.js';

/** Rows [begin, end) of request `request`'s image. */
export interface PathtraceBand {
  request: number;
  begin: number;
  end: number;
}

/** What the pre-pass predicts: each request's seconds here, and how they spread over its rows (sums to 1). */
export interface PathtraceCost {
  seconds: number[];
  rowWeights: Float64Array[];
}

/** A row's cost when it sees nothing, relative to a fully covered row's (a camera ray that misses is cheap). */
const EMPTY_ROW_COST = 0.05;
/** The pre-pass renders at 1 / PREPASS_SCALE of the width and of the height. */
const PREPASS_SCALE = 4;

function scaled(view: View, scale: number): View {
  return {
    ...view,
    width: Math.max(8, Math.round(view.width / scale)),
    height: Math.max(8, Math.round(view.height / scale)),
  };
}

/**
 * The pre-pass: the seconds per light path, from two path-traced renders of the first request's view at a quarter
 * of its resolution (1 and 4 samples: their difference leaves out the scene setup both pay), and each distinct
 * view's row coverage from a ray-core depth render at that resolution.
 */
export async function estimatePathtraceCost(
  scene: Scene,
  requests: readonly PathtraceRequest[],
  common: PathtraceCommon,
): Promise<PathtraceCost> {
  if (!requests.length) return { seconds: [], rowWeights: [] };
  const low = scaled(requests[0].view, PREPASS_SCALE);
  const timed = async (spp: number) => {
    const t0 = performance.now();
    await renderPathtraced(scene, low, {
      spp,
      seed: 1,
      bounces: common.bounces,
      sky: common.sky,
      signal: common.signal,
    });
    return (performance.now() - t0) / 1000;
  };
  const t1 = await timed(1),
    t4 = await timed(4);
  const pixels = low.width * low.height;
  // Timer noise can make the difference tiny or negative: never below a quarter of the 4-sample render's rate.
  const perPath = Math.max((t4 - t1) / (3 * pixels), t4 / (16 * pixels));
  const bvh = await sceneBvh(scene, { signal: common.signal });
  const weightsOf = new Map<View, Float64Array>();
  const rowWeights: Float64Array[] = [];
  for (const r of requests) {
    let w = weightsOf.get(r.view);
    if (!w) {
      const lo = scaled(r.view, PREPASS_SCALE);
      const depth = await renderView(scene, lo, { mode: 'depth', bvh, signal: common.signal });
      const covered = new Float64Array(lo.height);
      for (let y = 0; y < lo.height; y++) {
        let c = 0;
        for (let x = 0; x < lo.width; x++) if (depth.data[4 * (y * lo.width + x) + 3] > 0) c++;
        covered[y] = c / lo.width;
      }
      w = new Float64Array(r.view.height);
      let sum = 0;
      for (let y = 0; y < r.view.height; y++) {
        w[y] = EMPTY_ROW_COST + covered[Math.min(lo.height - 1, Math.floor((y * lo.height) / r.view.height))];
        sum += w[y];
      }
      for (let y = 0; y < w.length; y++) w[y] /= sum;
      weightsOf.set(r.view, w);
    }
    rowWeights.push(w);
  }
  return { seconds: requests.map((r) => perPath * r.view.width * r.view.height * r.spp), rowWeights };
}

/**
 * Tasks of equal predicted cost: the rows of all requests, in request order, cut where the running cost crosses
 * each k / tasks of the total. A task holds one band, or several when images are small; a row is never cut.
 */
export function planPathtraceSplit(
  requests: readonly PathtraceRequest[],
  cost: PathtraceCost,
  tasks: number,
): { tasks: PathtraceBand[][]; predictedSeconds: number[] } {
  const n = Math.max(1, Math.floor(tasks));
  const total = cost.seconds.reduce((a, b) => a + b, 0);
  const out: PathtraceBand[][] = [[]];
  const predicted = [0];
  let run = 0;
  for (const [r, req] of requests.entries()) {
    let begin = 0;
    for (let y = 0; y < req.view.height; y++) {
      const c = cost.seconds[r] * cost.rowWeights[r][y];
      run += c;
      predicted[out.length - 1] += c;
      // Close the task once the running cost reaches its share (the last task takes what is left).
      if (out.length < n && run >= (total * out.length) / n) {
        out[out.length - 1].push({ request: r, begin, end: y + 1 });
        begin = y + 1;
        out.push([]);
        predicted.push(0);
      }
    }
    if (begin < req.view.height) out[out.length - 1].push({ request: r, begin, end: req.view.height });
  }
  // A last task that got nothing (the total reached early by rounding) is dropped.
  while (out.length > 1 && !out[out.length - 1].length) {
    out.pop();
    predicted.pop();
  }
  return { tasks: out, predictedSeconds: predicted };
}

/** The bands a task renders, in its order (each a FloatImage of the band's rows). */
export async function renderBands(
  scene: Scene,
  requests: readonly PathtraceRequest[],
  bands: readonly PathtraceBand[],
  common: PathtraceCommon,
): Promise<FloatImage[]> {
  const rows = bands.reduce((s, b) => s + (b.end - b.begin), 0);
  const images: FloatImage[] = [];
  let done = 0;
  for (const b of bands) {
    const r = requests[b.request];
    images.push(
      await renderPathtraced(scene, r.view, {
        spp: r.spp,
        seed: r.seed,
        bounces: common.bounces,
        sky: common.sky,
        rows: { begin: b.begin, end: b.end },
        backend: common.backend,
        signal: common.signal,
        onProgress: common.onProgress && ((f) => common.onProgress!((done + f * (b.end - b.begin)) / rows)),
      }),
    );
    done += b.end - b.begin;
  }
  return images;
}

/** The whole images from their bands (any order); every row of every request must be covered exactly once. */
export function joinPathtraceBands(
  requests: readonly PathtraceRequest[],
  bands: readonly PathtraceBand[],
  parts: readonly FloatImage[],
): FloatImage[] {
  const images = requests.map((r) => ({
    width: r.view.width,
    height: r.view.height,
    data: new Float32Array(4 * r.view.width * r.view.height),
  }));
  const filled = requests.map((r) => new Uint8Array(r.view.height));
  for (const [i, b] of bands.entries()) {
    const img = images[b.request];
    const part = parts[i];
    if (!img || part.width !== img.width || part.data.length !== 4 * img.width * (b.end - b.begin))
      throw new OteError(
        'BAD_INPUT',
        `pathtrace split: band ${i} (request ${b.request}, rows ${b.begin}–${b.end}) does not fit its image`,
      );
    img.data.set(part.data, 4 * img.width * b.begin);
    for (let y = b.begin; y < b.end; y++) filled[b.request][y]++;
  }
  for (const [r, f] of filled.entries()) {
    const y = f.findIndex((c) => c !== 1);
    if (y >= 0) throw new OteError('BAD_INPUT', `pathtrace split: row ${y} of request ${r} rendered ${f[y]} times`);
  }
  return images;
}
