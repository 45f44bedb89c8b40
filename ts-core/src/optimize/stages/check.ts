/**
 * Check: the producer's own check before any verifier is asked. It compares the shipped output with the reference
 * at the chosen view, flags objects the path tracer shows black where their material is not (an independent cue,
 * black-objects.ts), and decides the exit this implies (exit-policy.ts).
 */
import type { DisplayImage } from '../../image/display.js';
import type { FloatImage } from '../../image/float-image.js';
import { heatmap } from '../../image/heatmap.js';
import { displayedNoise } from '../../image/noise.js';
import { encodePng } from '../../io/png.js';
import { computeMetrics } from '../../metrics/compute.js';
import type { MetricsResult } from '../../metrics/types.js';
import { PSNR_CAP } from '../../trust/types.js';
import { errorByObject, flagBlackObjects, objectCells } from '../black-objects.js';
import { nativeDevice } from '../devices.js';
import { ownCheckExit } from '../exit-policy.js';
import { defineStage } from '../stage.js';
import { shownPng } from './preview.js';
import { atCheckScale, flipAloneFails, referenceNoiseCouldPass, refineReference } from './reference.js';

export const checkStage = defineStage({
  name: 'check',
  needs: ['scene', 'lit', 'views', 'environment', 'preview'],
  produces: ['check'],
  device: nativeDevice,
  async run({ scene, lit, views, environment, preview }, ctx) {
    const { view, after, exposure, informative } = preview;
    let { reference, referenceHalves, spp } = preview;
    const quality = ctx.options.profile.quality;
    const cells = await objectCells(scene, view, { signal: ctx.signal });
    const blackObjects = informative
      ? await flagBlackObjects(lit, view, cells, reference, exposure, { signal: ctx.signal })
      : [];
    type Measured = { psnr: number; ssim: number; flip: number };
    let claimed: Measured | undefined, uncorrected: Measured | undefined, noiseFloor: Measured | undefined;
    let worstObjects: { name: string; mean: number; share: number }[] = [];
    let flipImage: { name: string; data: Uint8Array } | undefined,
      beforeImage: { name: string; data: Uint8Array } | undefined;
    if (after) {
      // Compared after a 4×4 box filter (192×108 of a 768×432 view): the path-traced reference keeps Monte Carlo
      // noise that is not the bake's error. Two independent 128-spp references of the Cornell box agree at SSIM 0.90
      // after a 2×2 filter and 0.977 after 4×4, so at 2×2 the noise alone would sink BALANCED's 0.95.
      // The reference's own noise is taken out of PSNR and SSIM (image/noise.ts), so what is judged is the output's
      // distance from the noise-free reference; the uncorrected figures and the noise floor are reported beside them.
      const shown = (img: FloatImage) => atCheckScale(img, exposure);
      const metrics = ['psnr', 'ssimLuma', 'flip'];
      const measured = (m: MetricsResult, flip = m.flip!): Measured => ({
        // Identical images have an infinite PSNR; the report, like the verifier, caps it (PSNR_CAP).
        psnr: Math.min(PSNR_CAP, m.psnr ?? PSNR_CAP),
        ssim: m.ssimLuma!,
        flip,
      });
      const out = shown(after);
      const flipAgainstNoise = async (flip: number, halves: DisplayImage[]) => {
        let sum = 0;
        for (const h of halves) sum += (await computeMetrics(h, out, { metrics: ['flip'], signal: ctx.signal })).flip!;
        const againstHalves = sum / halves.length;
        const could = referenceNoiseCouldPass(flip, againstHalves, quality.flip);
        if (!could)
          ctx.log(
            `own check: FLIP ${flip.toFixed(3)} against the reference and ${againstHalves.toFixed(3)} against its halves, so a noise-free reference would still give about ${(flip - Math.max(0, againstHalves - flip)).toFixed(3)}, over ${quality.flip}: the reference keeps its ${spp} spp`,
          );
        return could;
      };
      const compare = async () => {
        const [ref, a, b] = [reference, ...referenceHalves].map(shown);
        const referenceNoise = displayedNoise(a, b);
        const m = await computeMetrics(ref, out, { metrics, maps: ['flip'], referenceNoise, signal: ctx.signal });
        return { m, a, b };
      };
      let { m, a, b } = await compare();
      // A noisy reference adds to FLIP alone (PSNR and SSIM are corrected): more samples only where FLIP alone
      // decides the verdict and a noise-free reference could pass it (reference.ts, refineReference).
      const refine =
        informative &&
        flipAloneFails({ psnr: m.psnr!, ssim: m.ssimLuma!, flip: m.flip! }, quality) &&
        (await flipAgainstNoise(m.flip!, [a, b]));
      if (refine) {
        const refined = await refineReference(preview, lit, environment, ctx.options, ctx.signal, (detail) =>
          ctx.progress(0.5, detail),
        );
        if (refined.spp !== spp) {
          ({ reference, referenceHalves, spp } = refined);
          ({ m, a, b } = await compare());
          beforeImage = { name: 'before.png', data: shownPng(reference, exposure) };
          ctx.write(beforeImage);
        }
      }
      claimed = measured(m);
      // FLIP takes no noise correction: the corrected call's FLIP is the uncorrected one.
      const plain = await computeMetrics(shown(reference), out, { metrics: ['psnr', 'ssimLuma'], signal: ctx.signal });
      uncorrected = measured(plain, claimed.flip);
      noiseFloor = measured(await computeMetrics(a, b, { metrics, signal: ctx.signal }));
      if (m.maps?.flip) {
        worstObjects = errorByObject(scene, cells, m.maps.flip, 0.25).slice(0, 5);
        flipImage = { name: 'flip.png', data: encodePng(heatmap(m.maps.flip)) };
        ctx.write(flipImage);
      }
    }
    const exit = ownCheckExit({
      informative,
      viewsPlanned: views.views.length,
      environment: !!environment,
      blackObjects,
      claimed,
      worstObjects,
      quality,
    });
    return {
      check: {
        referenceSpp: spp,
        beforeImage,
        claimed,
        uncorrected,
        noiseFloor,
        blackObjects,
        worstObjects,
        flipImage,
        exit,
      },
    };
  },
});
