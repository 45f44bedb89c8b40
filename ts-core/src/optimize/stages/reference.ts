/**
 * Reference: the path-traced reference at the first planned view that shows something, and the exposure every
 * displayed image of the run uses. It runs after the bake (a bake refused over budget costs no reference) and
 * before the splats, because splat colours are display-referred (scene/gaussians.ts): they are trained at this
 * exposure, so that the splats, the previews, the own check, the verifier and a viewer all show one picture.
 */
import { autoExposure, display, halve, isUninformative } from '../../image/display.js';
import type { FloatImage } from '../../image/float-image.js';
import { meanImage } from '../../image/noise.js';
import { computeMetrics } from '../../metrics/compute.js';
import { renderPathtracedBatch } from '../../render/pathtrace.js';
import type { Environment } from '../../plan/environment.js';
import type { Profile } from '../../plan/profile.js';
import type { Scene } from '../../scene/types.js';
import type { View } from '../../scene/view.js';
import { nativeDevice } from '../devices.js';
import type { OptimizeOptions } from '../options.js';
import { defineStage, type ReferenceProduct } from '../stage.js';

/**
 * Samples per pixel of the path-traced reference at BALANCED's FLIP bound (REFERENCE_FLIP_BOUND): it judges the
 * bake, so its own noise must not dominate the metrics. Compared after a 4×4 box filter that is 2,048 paths per
 * compared pixel; two such references of the Cornell box agree at SSIM 0.977. It is rendered as two independent
 * halves (seeds 7 and 8) whose mean is the reference and whose difference estimates its noise (image/noise.ts),
 * which the own check takes out of PSNR and SSIM.
 */
export const REFERENCE_SPP = 128;
export const REFERENCE_FLIP_BOUND = 0.08;
/** Fewest samples per pixel a reference starts with (16 per half). */
export const REFERENCE_MIN_SPP = 32;

/**
 * Samples per pixel a profile's reference starts with. The reference's noise adds to FLIP in proportion to its
 * amplitude, which falls as 1/√spp, so a profile whose FLIP bound is k times BALANCED's holds the same share of its
 * bound with 1/k² the samples (samplesForFlipBound): REALTIME (0.15) 32, ECONOMY (0.12) 32. A tighter bound starts
 * at REFERENCE_SPP and refines where FLIP alone decides. On the Cornell box under REALTIME the reference stage took
 * 19 s at 128 spp; under ECONOMY Sponza's took 162 s of its 270 (at 64 spp, 2026-12-03).
 */
export function referenceSpp(flipBound: number): number {
  return samplesForFlipBound(REFERENCE_SPP, flipBound, REFERENCE_MIN_SPP);
}

/**
 * `base` samples per pixel at BALANCED's FLIP bound (REFERENCE_FLIP_BOUND), scaled by (REFERENCE_FLIP_BOUND /
 * flipBound)² for another bound: the power of two at or below that, between `min` and `base`. At or below, not the
 * nearest: where the noise could change the own check's verdict, refineReference doubles the samples, so rounding
 * up only spent samples that decided nothing. ECONOMY's 56.9 took 64 before (2026-12-07): on the eight shared scenes
 * its own check passed with PSNR 39.9–52.4 dB and FLIP 0.004–0.043 against 28 and 0.12, or failed on PSNR, SSIM
 * and FLIP together (Sponza, 26.3 dB), and their reference stages took 236 s, Sponza's 132. At 32 (a slower hour)
 * they took 118 s, Sponza's 64. Every verdict stayed; where the time-targeted bake came out alike the own check
 * moved by under 0.2 dB and 0.007 SSIM (the garden and zdm2 baked differently and rose 1.6 and 2.4 dB).
 */
export function samplesForFlipBound(base: number, flipBound: number, min: number): number {
  const spp = base * (REFERENCE_FLIP_BOUND / flipBound) ** 2;
  return Math.min(base, Math.max(min, 2 ** Math.floor(Math.log2(spp) + 1e-9)));
}

/**
 * FLIP takes no such correction, so where the halves still differ by more than REFERENCE_NOISE_SHARE of the
 * profile's FLIP bound (a daylit interior: light found through openings), another pair of halves at the next seeds
 * doubles the samples, up to REFERENCE_MAX_SPP (refineReference). The own check asks for that only where it could
 * change the verdict: the noise-corrected PSNR and SSIM pass, FLIP alone fails, and a noise-free reference could
 * pass it (check.ts, referenceNoiseCouldPass). Noise only adds to
 * FLIP, so a pass stands without it, and a PSNR or SSIM below the bound stays below it. The rule reads only the
 * images, so every machine takes the same samples. Measured on Sponza (daylight through the atrium; 2026-12-03): the
 * halves' FLIP 0.084 at 128 spp, 0.050 at 512, while the own check's FLIP stayed at 0.13 (the bake's own error);
 * 512 took the preview from 82 s to 374 s, past the 10-minute budget of a scene, so the cap is 256.
 */
export const REFERENCE_MAX_SPP = 256;
export const REFERENCE_NOISE_SHARE = 0.5;
const REFERENCE_SEEDS = [7, 8] as const;

/** An image as the own check compares it: 4×4 box-filtered, exposed, tone mapped, sRGB-encoded. */
export const atCheckScale = (img: FloatImage, exposure: number) => display(halve(halve(img)), { exposure });

export const referenceStage = defineStage({
  name: 'reference',
  needs: ['lit', 'views', 'environment'],
  produces: ['reference'],
  device: nativeDevice,
  async run({ lit, views, environment }, ctx) {
    const o = ctx.options;
    // A view whose reference shows nothing (black, or flat) is no evidence: the next planned view is tried.
    const skipped: string[] = [];
    let chosen:
      | { view: View; reference: FloatImage; halves: [FloatImage, FloatImage]; exposure: number; informative: boolean }
      | undefined;
    const pathtrace = o.pathtrace ?? renderPathtracedBatch;
    const spp = referenceSpp(o.profile.quality.flip);
    for (const [i, view] of views.views.entries()) {
      const [a, b] = await pathtrace(
        lit,
        REFERENCE_SEEDS.map((seed) => ({ view, spp: spp / 2, seed })),
        { bounces: o.profile.bake.bounces, sky: environment?.sky, signal: ctx.signal, backend: o.backend },
      );
      const halves: [FloatImage, FloatImage] = [a, b];
      const reference = meanImage(...halves);
      const exposure = autoExposure(reference);
      const informative = !isUninformative(display(halve(reference), { exposure }));
      chosen = { view, reference, halves, exposure, informative };
      if (chosen.informative) break;
      skipped.push(
        `view ${i + 1} of ${views.views.length} (${views.kind}): the path-traced reference shows nothing (black or one flat colour)`,
      );
      ctx.progress((i + 1) / (views.views.length + 1));
    }
    const { view, reference, halves, exposure, informative } = chosen!;
    return {
      reference: { view, reference, referenceHalves: halves, spp, exposure, informative, skipped },
    };
  },
});

/**
 * Whether more reference samples could change the own check's verdict: PSNR and SSIM (noise-corrected) pass and
 * FLIP, which a noisy reference only raises, fails.
 */
export const flipAloneFails = (m: { psnr: number; ssim: number; flip: number }, q: Profile['quality']): boolean =>
  m.psnr >= q.psnr && m.ssim >= q.ssim && m.flip > q.flip;

/**
 * Whether a noise-free reference could bring FLIP under `bound`, so that more samples are worth their time. FLIP
 * against a reference rises with the reference's noise; each half carries twice the full reference's noise
 * variance, so FLIP against the halves (`flipHalves`, their mean) less FLIP against the full reference
 * (`flipFull`) is, to first order in the variance, what the full reference's noise adds. Twice that is taken off,
 * a margin for the curve. Measured on Sponza under BALANCED (2026-12-05): 0.0956 against its halves and 0.0929
 * against the reference, so a noise-free reference would give about 0.090 over the bound of 0.08; refining to 256
 * spp took 150 s and left FLIP at 0.094.
 */
export function referenceNoiseCouldPass(flipFull: number, flipHalves: number, bound: number): boolean {
  return flipFull - 2 * Math.max(0, flipHalves - flipFull) <= bound;
}

/**
 * The reference with its samples doubled (another pair of halves at the next seeds, each as many samples as all
 * before it) while its halves differ by more than REFERENCE_NOISE_SHARE of the profile's FLIP bound, up to
 * REFERENCE_MAX_SPP. The exposure stays the one every image of the run was already shown at (the splats were
 * trained at it); `onRound` hears each doubling.
 */
export async function refineReference(
  r: ReferenceProduct,
  lit: Scene,
  environment: Environment | undefined,
  o: OptimizeOptions,
  signal: AbortSignal,
  onRound?: (detail: string) => void,
): Promise<ReferenceProduct> {
  const pathtrace = o.pathtrace ?? renderPathtracedBatch;
  let halves = r.referenceHalves,
    spp = r.spp;
  for (let round = 1; spp < REFERENCE_MAX_SPP; round++) {
    const floor = await computeMetrics(atCheckScale(halves[0], r.exposure), atCheckScale(halves[1], r.exposure), {
      metrics: ['flip'],
      signal,
    });
    if (!(floor.flip! > REFERENCE_NOISE_SHARE * o.profile.quality.flip)) break;
    onRound?.(`reference noise FLIP ${floor.flip!.toFixed(3)} at ${spp} spp: rendering ${2 * spp}`);
    const more = await pathtrace(
      lit,
      REFERENCE_SEEDS.map((seed) => ({ view: r.view, spp: spp / 2, seed: seed + 2 * round })),
      { bounces: o.profile.bake.bounces, sky: environment?.sky, signal, backend: o.backend },
    );
    halves = [meanImage(halves[0], more[0]), meanImage(halves[1], more[1])];
    spp *= 2;
  }
  return spp === r.spp ? r : { ...r, reference: meanImage(...halves), referenceHalves: halves, spp };
}
