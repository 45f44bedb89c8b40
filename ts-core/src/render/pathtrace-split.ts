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
 * A pixel that sees the sky costs one ray; one that sees a surface costs its light paths, longer in a room lit
 * through its windows than under the open sky. So the pre-pass path traces each view at a quarter of its resolution
 * and counts the rays of every pixel (deterministic, the same on any machine): a row's share of those rays is its
 * share of the image's cost, and the seconds per ray measured here price the whole.
 */
import type { FloatImage } from '../image/float-image.js';
import { OteError } from '../errors.js';
import type { Scene } from '../scene/types.js';
import type { View } from '../scene/view.js';
import { type PathtraceBand, type PathtraceCommon, type PathtraceRequest, renderPathtraced } from './pathtrace.js';

/** What the pre-pass predicts: each request's seconds here, and how they spread over its rows (sums to 1). */
export interface PathtraceCost {
  seconds: number[];
  rowWeights: Float64Array[];
}

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
 * The pre-pass: each distinct view path traced at a quarter of its resolution, counting the rays each pixel traces
 * (camera rays included; native ReferenceView::pixel_rays): a row's share of its image's rays is its share of the
 * cost, as the bake's pre-pass weighs texels. The first view is traced at 1 and at 4 samples, and the difference of
 * their times over the difference of their rays is the seconds per ray here (leaving out the scene setup both pay).
 */
export async function estimatePathtraceCost(
  scene: Scene,
  requests: readonly PathtraceRequest[],
  common: PathtraceCommon,
): Promise<PathtraceCost> {
  if (!requests.length) return { seconds: [], rowWeights: [] };
  const trace = async (view: View, spp: number) => {
    const low = scaled(view, PREPASS_SCALE);
    const rays = new Uint32Array(low.width * low.height);
    const t0 = performance.now();
    await renderPathtraced(scene, low, {
      spp,
      seed: 1,
      bounces: common.bounces,
      sky: common.sky,
      cameraHidden: common.cameraHidden,
      pixelRays: rays,
      signal: common.signal,
    });
    const seconds = (performance.now() - t0) / 1000;
    // Rays per sample of each low-resolution row.
    const rowRays = new Float64Array(low.height);
    for (let i = 0; i < rays.length; i++) rowRays[Math.floor(i / low.width)] += rays[i] / spp;
    return { low, seconds, rowRays, total: rowRays.reduce((a, b) => a + b, 0) * spp };
  };
  const first = await trace(requests[0].view, 1);
  const second = await trace(requests[0].view, 4);
  // Timer noise can make the difference tiny or negative: never below a quarter of the 4-sample pass's rate.
  const perRay = Math.max(
    (second.seconds - first.seconds) / Math.max(1, second.total - first.total),
    second.seconds / (4 * Math.max(1, second.total)),
  );
  const profiles = new Map<View, Awaited<ReturnType<typeof trace>>>([[requests[0].view, second]]);
  const seconds: number[] = [];
  const rowWeights: Float64Array[] = [];
  for (const r of requests) {
    let p = profiles.get(r.view);
    if (!p) {
      p = await trace(r.view, 2);
      profiles.set(r.view, p);
    }
    const { low, rowRays } = p;
    const perSample = rowRays.reduce((a, b) => a + b, 0);
    const w = new Float64Array(r.view.height);
    let sum = 0;
    for (let y = 0; y < r.view.height; y++) {
      w[y] = rowRays[Math.min(low.height - 1, Math.floor((y * low.height) / r.view.height))];
      sum += w[y];
    }
    for (let y = 0; y < w.length; y++) w[y] = sum > 0 ? w[y] / sum : 1 / w.length;
    rowWeights.push(w);
    // The full image traces about (its pixels / the pass's pixels) × its samples × the pass's rays per sample.
    seconds.push(perRay * perSample * ((r.view.width * r.view.height) / (low.width * low.height)) * r.spp);
  }
  return { seconds, rowWeights };
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
