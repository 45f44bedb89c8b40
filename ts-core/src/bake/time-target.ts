/**
 * A bake time target (BakeOptions.targetSeconds): the lightmap layout whose bake is predicted to take about that
 * long on this machine and backend.
 *
 * Bake time is linear in covered texels at fixed samples, and what a texel costs depends on the scene (its
 * triangles, lights, alpha cut-outs, how fast texels converge, which differs between a sunlit court and a gallery
 * lit by bounce light) and on the machine. So the layout the memory budget allows is laid out, and a calibration
 * bakes every k-th of its covered texels (about CALIBRATION_TEXELS, spread evenly over every page and so over the
 * scene's area) with the bake's own settings. Its cost per texel predicts the whole, as do the raster's cost per
 * page texel and a post-processing rate timed once per process. When the prediction is over the target, the samples
 * per texel fall first (samplesForTime; the calibration's own texels price them, raysAt), then the page texels are
 * capped to fit and the scene is laid out again, tighter while the prediction overshoots by more than 20%. The
 * layout chosen is calibrated once more and laid out again at its own rate when that rate puts it more than 5% off
 * the target (CHECKED_BAND). The calibrations are time the bake does not get, so they are small: on four shared scenes 8k texels
 * priced a texel within 4% of what 32k did (2026-12-05).
 *
 * A bake with a final gather (final-gather.ts) is priced as its two passes: a few samples of paths to their end,
 * then gathered samples that stop at the first bounce's hit, a fraction of a path's rays. A second calibration of
 * the same texels gathers over pages of zeros (the rays do not depend on what the pages hold) and gives each texel's
 * rays per gathered sample (gatherRaysAt). Priced as paths to their end, Sponza's layout was held to 1.3M page
 * texels at 128 samples under BALANCED's 240 s (2026-12-05): its second pass then took 192, and the bake 213 s.
 */
import { OteError } from '../errors.js';
import type { BakeNativeStats } from '../native/bake.js';
import type { LightmapLayout } from '../native/transport-inputs.js';
import type { Scene } from '../scene/types.js';
import { postprocessLightmapPageNative } from '../native/lightmap-post.js';
import { LIGHTMAP_DENOISE_DEFAULTS } from './post.js';
import { generateLightmapUvs, layoutOf, type LightmapAtlas, type LightmapUvOptions } from './uv.js';

export interface TimeTarget {
  seconds: number;
  /**
   * Texels the first calibration baked (every `stride`-th covered texel of the memory-budget layout), and the
   * seconds of every calibration together (it and the one of the layout chosen: layoutForTime).
   */
  calibration: { texels: number; stride: number; seconds: number };
  /** Most samples per texel: the bake's own, or fewer where the target binds (samplesForTime). */
  samples: number;
  /** The bake's own most samples per texel: what a final gather's second pass may take where time allows. */
  askedSamples: number;
  /** Page texels the target allows (the memory budget when the target did not bind). */
  texelCap: number;
  /** Calibration plus the predicted bake of the layout baked. */
  predictedSeconds: number;
  /** Whether the prediction is within 20% of the target (false when even the tightest layout that fits is over). */
  met: boolean;
  /** Whether the target cut anything: fewer samples, a tighter layout, or not even the tightest fitting. */
  bound: boolean;
}

/**
 * Covered texels the calibration bakes: 1.4–4.5 s at 256 samples on two CPU cores on the shared scenes. Measured
 * against 32k texels on Sponza, zdm2, the Japanese garden and the Dutch ship (2026-12-05), 8k priced a texel within
 * 4% on each and 4k within 12%.
 */
export const CALIBRATION_TEXELS = 8 * 1024;
/** Covered texels of the check calibration of the layout chosen, when it is not the memory budget's. */
export const CHECK_TEXELS = 8 * 1024;

/**
 * Share of the time left that a layout priced by the memory-budget layout's calibration aims at: that price is
 * within about 20% for a tighter layout (see layoutForTime), so it aims under the target.
 */
export const AIM = 0.95;
/**
 * Share of the time left that the layout chosen aims at once its own calibration priced it (to within a few percent),
 * and how far off the target its prediction may be before it is laid out again at that price.
 */
export const CHECKED_AIM = 0.98;
export const CHECKED_BAND = 0.05;

/** What a calibration returns: the native stats, and per page the samples and the rays each texel took. */
export interface Calibration {
  stats: BakeNativeStats;
  samples: Uint32Array[];
  rays: Uint32Array[];
}

/**
 * Bakes every `texelStride`-th covered texel of a layout at `samples` (no post), counting each texel's rays. With
 * `gather`, as a final gather's second pass does, over first-pass pages of zeros: its rays do not depend on what the
 * pages hold (the lookup reads only UV1), so their count per sample is the second pass's before any first pass.
 */
export type CalibrationBake = (
  scene: Scene,
  layout: LightmapLayout,
  texelStride: number,
  samples: number,
  gather?: boolean,
) => Promise<Calibration>;

/**
 * Rays a calibration's texels would trace at `most` samples instead of the calibration's own: each texel's rays
 * times its share of samples kept, min(n, most) / n. Exact in the samples, since a texel's first passes do not
 * depend on the most it may take (the early stop reads only its own samples and the scene mean of the first pass);
 * approximate in the rays, taken as even over a texel's samples. So a cut in samples is priced without baking again:
 * on the four scenes measured for CALIBRATION_TEXELS, the cost per texel at half the samples came within 3–7% of
 * what a calibration at those samples measured.
 */
export function raysAt(cal: Pick<Calibration, 'samples' | 'rays'>, most: number): number {
  let rays = 0;
  cal.samples.forEach((samples, p) => {
    const r = cal.rays[p];
    for (let i = 0; i < samples.length; i++) {
      const n = samples[i];
      if (n > 0) rays += (r[i] * Math.min(n, most)) / n;
    }
  });
  return rays;
}

/**
 * Rays a final gather would trace over a calibration's texels: its first pass, paths to their end at `first`
 * samples (taken from the full-path calibration `full`; the pass runs one bounce short, so this is a little over),
 * then its second at `most` samples, each texel taking the samples the full-path calibration's texel took (a gathered
 * estimate is less noisy, so it stops no later) at the rays per sample the gather calibration's texel traced.
 * `full` and `gather` bake the same texels (one layout and stride).
 */
export function gatherRaysAt(
  full: Pick<Calibration, 'samples' | 'rays'>,
  gather: Pick<Calibration, 'samples' | 'rays'>,
  first: number,
  most: number,
): number {
  let rays = raysAt(full, first);
  full.samples.forEach((samples, p) => {
    const gs = gather.samples[p],
      gr = gather.rays[p];
    for (let i = 0; i < samples.length; i++) {
      const n = samples[i],
        g = gs?.[i] ?? 0;
      if (n > 0 && g > 0) rays += (Math.min(n, most) * gr[i]) / g;
    }
  });
  return rays;
}

/** Samples are never cut below this share of the bake's own, nor below its minimum samples. */
export const SAMPLES_FLOOR_SHARE = 1 / 2;

/**
 * The samples per texel a bake should take when the layout the memory budget allows, at `samples`, would take
 * `overrun` times the time there is. The denoiser takes noise out; nothing brings back the shadow edges and creases a
 * coarser texel loses. An edge's error grows with the texel's size h, noise's with 1 / samples, and time with
 * samples / h²: their sum at a fixed time is least with samples ∝ time^(1/3) and texel area ∝ time^(2/3). So, taking
 * the bake's own samples as right for the asked density, samples fall by overrun^(1/3), in whole passes of 16, and
 * the texels take the rest of the cut; but no further than SAMPLES_FLOOR_SHARE of the bake's own (nor below
 * `minSamples`), because the model undervalues noise that the denoiser leaves. Measured on Sponza under BALANCED
 * (240 s target, overrun about 37; 2026-12-05): 256 samples held the lightmap to 0.9M page texels and the own check
 * to 28.87 dB / SSIM 0.948 / FLIP 0.109; 128 to 1.7M and 30.40 / 0.950 / 0.093; 64 (what overrun^(1/3) asks) to
 * 2.9M and 29.14 / 0.940 / 0.096.
 */
export function samplesForTime(samples: number, overrun: number, minSamples: number): number {
  if (!(overrun > 1)) return samples;
  const floor = Math.max(minSamples, Math.ceil(samples * SAMPLES_FLOOR_SHARE));
  const wanted = Math.floor((samples * overrun ** (-1 / 3)) / 16) * 16;
  return Math.min(samples, Math.max(floor, wanted));
}

export type LaidOut = Awaited<ReturnType<typeof generateLightmapUvs>>;

/** Covered texels of an atlas (page texels × the packer's utilization): what setup and tracing scale with. */
function coveredTexels(atlas: LightmapAtlas): number {
  return atlas.pages.reduce((s, p) => s + p.width * p.height * p.utilization, 0);
}

export async function layoutForTime(
  input: Scene,
  opts: LightmapUvOptions & { onProgress?: (f: number) => void },
  target: number,
  sampling: { samples: number; minSamples: number; gather?: { firstSamples: number } },
  calibrate: CalibrationBake,
): Promise<{ uv: LaidOut; timeTarget: TimeTarget }> {
  if (!(target > 0) || !Number.isFinite(target))
    throw new OteError('BAD_PROFILE', `targetSeconds must be a positive number, got ${target}`, {
      path: 'targetSeconds',
    });
  const progress = opts.onProgress && ((f: number) => opts.onProgress!(0.05 * f));
  const full = await generateLightmapUvs(input, { ...opts, onProgress: progress });
  // A calibration bakes every stride-th covered texel of a layout; what does not scale with texels (packing the
  // inputs, building the BVH) the bake pays again. `traceShare` scales the tracing to fewer samples (raysAt).
  // A final gather sets up, traces and post-processes twice (bake.ts traceFinalGather).
  const passes = sampling.gather ? 2 : 1;
  const postRate = await postSecondsPerTexel();
  const rateOf = (
    laid: LaidOut,
    cal: Calibration,
    stride: number,
    seconds: number,
    traceShare: number,
    gatherCal?: Calibration,
  ) => {
    const { stats } = cal;
    const g = gatherCal?.stats;
    // The scene's own setup (emitters, portals) is paid once a pass, whatever the texels (final-gather.ts
    // gatherSecondsAt).
    const fixed =
      Math.max(0, seconds - stats.setupSeconds - stats.traceSeconds - (g ? g.setupSeconds + g.traceSeconds : 0)) +
      passes * stats.sceneSeconds;
    const perTexel =
      (passes * (stats.setupSeconds - stats.rasterSeconds - stats.sceneSeconds) + traceShare * stats.traceSeconds) /
      Math.max(1, stats.texels);
    const perPageTexel = passes * (stats.rasterSeconds / Math.max(1, laid.atlas.pageTexels) + postRate);
    const bakeSeconds = (atlas: LightmapAtlas) =>
      fixed + coveredTexels(atlas) * perTexel + atlas.pageTexels * perPageTexel;
    return { cal, gatherCal, stride, seconds, fixed, bakeSeconds };
  };
  // The share of the full-path calibration's tracing that the bake at `most` samples traces: its samples cut
  // (raysAt), or under a final gather its two passes (gatherRaysAt).
  const shareAt = (cal: Calibration, gatherCal: Calibration | undefined, most: number) =>
    (gatherCal && sampling.gather
      ? gatherRaysAt(cal, gatherCal, Math.min(most, sampling.gather.firstSamples), most)
      : raysAt(cal, most)) / Math.max(1, raysAt(cal, Number.POSITIVE_INFINITY));
  const price = async (laid: LaidOut, samples: number, texels: number) => {
    const stride = Math.max(1, Math.round(coveredTexels(laid.atlas) / texels));
    const t0 = performance.now();
    const layout = layoutOf(laid.atlas);
    const cal = await calibrate(laid.scene, layout, stride, samples);
    // The gather's rays per sample, at the first pass's few samples: cheap, and all the second pass's price needs.
    const gatherCal = sampling.gather
      ? await calibrate(laid.scene, layout, stride, sampling.gather.firstSamples, true)
      : undefined;
    return rateOf(laid, cal, stride, (performance.now() - t0) / 1000, shareAt(cal, gatherCal, samples), gatherCal);
  };
  let samples = sampling.samples;
  let rate = await price(full, samples, CALIBRATION_TEXELS);
  const first = rate;
  let seconds = rate.seconds;
  // The calibration spends part of the target; the bake gets the rest (at least a quarter of it).
  const leftAfter = (spent: number) => Math.max(target - spent, 0.25 * target);
  const over = (laid: LaidOut) => seconds + rate.bakeSeconds(laid.atlas) > 1.2 * target;
  if (over(full)) {
    const overrun = (rate.bakeSeconds(full.atlas) - rate.fixed) / Math.max(1e-9, leftAfter(seconds) - rate.fixed);
    const fewer = samplesForTime(samples, overrun, sampling.minSamples);
    if (fewer < samples) {
      samples = fewer;
      rate = rateOf(
        full,
        first.cal,
        first.stride,
        first.seconds,
        shareAt(first.cal, first.gatherCal, fewer),
        first.gatherCal,
      );
    }
  }
  // The page texels that bring a layout's predicted bake to `aim` of what is left of the target, at most `most`.
  const capFor = (laid: LaidOut, most: number, aim: number) =>
    Math.min(
      most,
      laid.atlas.pageTexels *
        ((Math.max(0, leftAfter(seconds) - rate.fixed) / (rate.bakeSeconds(laid.atlas) - rate.fixed)) * aim),
    );
  const layOut = (cap: number) =>
    generateLightmapUvs(input, { ...opts, maxTexels: cap, maxPages: undefined, onProgress: progress });
  let uv = full,
    cap = full.atlas.texelBudget,
    fits = true;
  try {
    for (let attempt = 0; attempt < 3 && over(uv); attempt++) {
      cap = capFor(uv, 0.95 * Math.min(cap, uv.atlas.pageTexels), AIM);
      uv = await layOut(cap);
    }
    // A texel of the layout baked does not cost what one of the memory-budget layout did: the cut moves texels
    // between parts (view-weighted parts keep more), and a sunlit court and a gallery lit by bounce light differ.
    // So the layout chosen is calibrated too, and laid out again at that price until it is within CHECKED_BAND of the
    // target: time the bake leaves unused is density it could have had (on Sponza a layout predicted at 90% of the
    // target baked in 89% of it, 2026-12-05). The packer lands under a cap (5–10% on Sponza), so each try asks for
    // the page texels wanted over the share of its cap the last layout got. Laying out costs no calibration.
    if (uv !== full) {
      rate = await price(uv, samples, CHECK_TEXELS);
      seconds += rate.seconds;
      for (let attempt = 0; attempt < 3; attempt++) {
        if (Math.abs((seconds + rate.bakeSeconds(uv.atlas)) / target - 1) <= CHECKED_BAND) break;
        const got = Math.min(1, uv.atlas.pageTexels / cap);
        const next = Math.min(full.atlas.texelBudget, capFor(uv, Number.POSITIVE_INFINITY, CHECKED_AIM) / got);
        if (!(Math.abs(next / cap - 1) > 0.01)) break;
        uv = await layOut(next);
        cap = next;
      }
    }
  } catch (e) {
    // Not even the minimal useful density fits the time: bake the tightest layout that fitted, and say so.
    if ((e as { code?: string }).code !== 'TOO_BIG') throw e;
    fits = false;
  }
  const predictedSeconds = seconds + rate.bakeSeconds(uv.atlas);
  const met = fits && predictedSeconds <= 1.2 * target;
  const cuts = [
    ...(samples < sampling.samples ? [`texels take ${samples} samples instead of ${sampling.samples}`] : []),
    ...(uv !== full ? [`the lightmap is held to ${(cap / 1e6).toFixed(1)}M page texels`] : []),
  ];
  if (!fits)
    uv.atlas.warnings.push(
      `the bake is predicted to take ${predictedSeconds.toFixed(0)} s, over its ${target} s target, even near the minimal useful density`,
    );
  else if (cuts.length)
    uv.atlas.warnings.push(
      `bake time target ${target} s: a calibration bake of ${(first.cal.stats.texels / 1e6).toFixed(2)}M texels (1 in ${first.stride}) took ${first.seconds.toFixed(1)} s, so ${cuts.join(' and ')} (predicted ${predictedSeconds.toFixed(0)} s, calibrations included)`,
    );
  return {
    uv,
    timeTarget: {
      seconds: target,
      calibration: { texels: first.cal.stats.texels, stride: first.stride, seconds },
      samples,
      askedSamples: sampling.samples,
      texelCap: cap,
      predictedSeconds,
      met,
      bound: !fits || cuts.length > 0,
    },
  };
}

let measuredPostRate: number | undefined;

/**
 * Seconds of post-processing (denoise and dilation, native: ote/bake/lightmap_post.h) per page texel on this
 * machine, timed once per process on a 256² page half covered by 16-texel blocks, as packed charts leave them.
 */
async function postSecondsPerTexel(): Promise<number> {
  if (measuredPostRate !== undefined) return measuredPostRate;
  const W = 256,
    n = W * W;
  const valid = new Uint8Array(n),
    position = new Float32Array(3 * n),
    normal = new Float32Array(3 * n),
    data = new Float32Array(4 * n),
    direct = new Float32Array(3 * n);
  for (let y = 0; y < W; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      valid[i] = ((x >> 4) + (y >> 4)) & 1;
      position.set([x, 0, y], 3 * i);
      normal.set([0, 1, 0], 3 * i);
      data.set([0.5 + 0.1 * Math.sin(x * 0.7 + y), 0.5, 0.5, 1], 4 * i);
      direct.set([0.25, 0.25, 0.25], 3 * i);
    }
  let best = Infinity;
  // The first pass warms the caches and the thread pool; the faster of the next two is the rate.
  for (let r = 0; r < 3; r++) {
    const rgba = data.slice();
    const t0 = performance.now();
    // The settings finishBake uses (the denoise's defaults, the 4 rings of the default padding), not the addon's own.
    await postprocessLightmapPageNative(
      { width: W, height: W, rgba, valid, position, normal, direct, texelSize: 1 },
      { ...LIGHTMAP_DENOISE_DEFAULTS, dilateRings: 4 },
    );
    if (r > 0) best = Math.min(best, (performance.now() - t0) / 1000);
  }
  measuredPostRate = best / n;
  return measuredPostRate;
}
