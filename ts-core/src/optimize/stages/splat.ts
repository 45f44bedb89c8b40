/**
 * Splat: objects (or the cut-out primitives of hybrid objects) routed to 3DGS, converted directly from their
 * surfaces and then trained against path-traced views of them; the better of the two on held-out views ships.
 * Colours are display-referred (scene/gaussians.ts) at the reference's exposure, the one every displayed image of
 * the run uses, so a viewer that shows the splats over the tone-mapped meshes shows what the check judged.
 */
import { encodeSplats } from '../../io/splat-formats.js';
import { decodeSceneTextures } from '../../io/textures.js';
import type { Profile } from '../../plan/profile.js';
import { withEnvironmentSun } from '../../plan/environment.js';
import { renderPathtracedBatch } from '../../render/pathtrace.js';
import type { SplatChoice } from '../../report/types.js';
import type { GaussianModel } from '../../scene/gaussians.js';
import { convertScene } from '../../splat/convert.js';
import { nodeBounds, objectTrainingSize, trainObjectSplats } from '../../splat/object.js';
import { viewEye, type View } from '../../scene/view.js';
import { nativeDevice } from '../devices.js';
import { filterPrimitives, splatTargetScene } from '../filter-primitives.js';
import { defineStage } from '../stage.js';
import { samplesForFlipBound } from './reference.js';

/**
 * Deterministic cap on splat training work: the profile's iterations are cut to SPLAT_WORK_BOUND / (target pixels +
 * 2 × Gaussians trained), never to what a timer says, so two runs give the same splats on any machine. A CPU step
 * costs about 0.2 µs per target pixel and 0.4 µs per Gaussian on this project's 2-core machine (bench:splat), so
 * the bound is about four minutes of training there: 3,000 iterations at 384 px with 147k Gaussians, all of a
 * profile's at 128 px.
 */
export const SPLAT_WORK_BOUND = 1_300_000_000;
/**
 * Samples per pixel of the path-traced splat training targets at BALANCED's FLIP bound (noise averages out over
 * views), and the fewest any profile takes (splatTargetSpp).
 */
const SPLAT_TARGET_SPP = 16;
const SPLAT_TARGET_MIN_SPP = 8;

/**
 * Samples per pixel of a profile's training targets, scaled as the reference's are (reference.ts
 * samplesForFlipBound): a target's noise is held to the same share of the profile's FLIP bound, so a looser profile
 * takes fewer, from 16 at BALANCED down to 8 (REALTIME and ECONOMY). Measured on the forced-splat foliage under
 * REALTIME (`ote gen foliage --scale 0.2`, plants routed to splats, 150 iterations; 2026-12-07): 8 instead of 16
 * took the targets from 93 s to 52 s of a 112 s splat stage, and the own check from 22.66 to 22.52 dB (SSIM 0.9228
 * → 0.9205, FLIP 0.140 → 0.144).
 */
export const splatTargetSpp = (flipBound: number): number =>
  samplesForFlipBound(SPLAT_TARGET_SPP, flipBound, SPLAT_TARGET_MIN_SPP);
/** Training views around the splat objects (and a quarter as many held out). */
const SPLAT_VIEWS = 32;

/**
 * The iterations `ote optimize` trains: the override, else the profile's capped by the work bound for targets of
 * `resolution` pixels square and `gaussians` trained (objectTrainingSize).
 */
export function splatIterations(
  profile: Profile,
  override: number | undefined,
  size: { resolution: number; cap: number },
): number {
  if (override !== undefined) return Math.max(0, Math.floor(override));
  const perStep = size.resolution * size.resolution + 2 * size.cap;
  return Math.max(1, Math.min(profile.splat.iterations, Math.floor(SPLAT_WORK_BOUND / perStep)));
}

/**
 * World units per pixel of `view` at point `p`: the splats are judged at the reference view (the own check) and
 * seen at a viewer's, so their targets should be at least as fine there.
 */
function pixelSizeAt(view: View, p: [number, number, number]): number {
  const M = view.cameraToWorld,
    d = Math.hypot(p[0] - M[12], p[1] - M[13], p[2] - M[14]);
  return (2 * Math.tan(view.yfov / 2) * Math.max(d, view.znear)) / view.height;
}

/** The point of `bounds` nearest the view's eye (the eye itself when inside): where the splats are seen finest. */
function nearestPoint(
  bounds: { min: [number, number, number]; max: [number, number, number] },
  view: View,
): [number, number, number] {
  const eye = viewEye(view);
  return [0, 1, 2].map((a) => Math.min(bounds.max[a], Math.max(bounds.min[a], eye[a]))) as [number, number, number];
}

/** " (16 close-ups, 16 from the viewpoints)" for the log, or nothing. */
function viewKinds(r: { closeUps: number; eyeViews: number }): string {
  const kinds = [
    r.closeUps ? `${r.closeUps} close-ups` : '',
    r.eyeViews ? `${r.eyeViews} from the viewpoints` : '',
  ].filter(Boolean);
  return kinds.length ? ` (${kinds.join(', ')})` : '';
}

/** Share of the stage's progress each step of training takes, and where it starts. */
const STEP_SHARE = { targets: 0.2, convert: 0.05, train: 0.7, evaluate: 0.05 };
const STEP_START = { targets: 0, convert: 0.2, train: 0.25, evaluate: 0.95 };

export const splatStage = defineStage({
  name: 'splat',
  needs: ['scene', 'plan', 'decisions', 'views', 'environment', 'reference'],
  produces: ['splats'],
  device: nativeDevice,
  async run({ scene, plan, decisions, views, environment, reference }, ctx) {
    const o = ctx.options;
    const splatNodes = plan.decisions.filter((d) => d.splatPrimitives.length);
    if (!splatNodes.length) return { splats: undefined };
    const splatScene = filterPrimitives(scene, (n) => decisions.get(n)?.splatPrimitives ?? 'none');
    // The targets see the splat objects in the whole scene: the rest shadows and lights them without being drawn.
    const targets = splatTargetScene(scene, (n) => decisions.get(n)?.splatPrimitives ?? []);
    const targetScene = withEnvironmentSun(targets.scene, environment);
    const { textures } = await decodeSceneTextures(splatScene);
    const nodes = splatNodes.map((d) => d.node),
      bounds = nodeBounds(splatScene, nodes),
      centre = [0, 1, 2].map((a) => (bounds.min[a] + bounds.max[a]) / 2) as [number, number, number],
      pixelSize = pixelSizeAt(reference.view, centre),
      nearestPixelSize = pixelSizeAt(reference.view, nearestPoint(bounds, reference.view)),
      size = objectTrainingSize(splatScene, { profile: o.profile.splat, nodes, pixelSize, nearestPixelSize }),
      iterations = splatIterations(o.profile, o.splatIterations, size),
      targetSpp = splatTargetSpp(o.profile.quality.flip),
      exposure = reference.exposure;
    let choice: SplatChoice;
    let model: GaussianModel;
    if (iterations === 0) {
      model = await convertScene(splatScene, {
        budget: o.profile.splat.budget,
        textures,
        seed: 1,
        nodes,
        exposure,
        // Finer Gaussians where a viewer stands near them: the planned views' eyes, as the bake's densities.
        eyes: views.views.map(viewEye),
        onProgress: (f) => ctx.progress(f),
      });
      choice = { kept: 'conversion', iterations: 0, targets: 'none', gaussians: model.count, seconds: 0 };
    } else {
      // Targets are path traced with the bake's transport (the objects over black, lit and shadowed by the whole
      // scene), so the splats learn the lighting the before/after check and the verifier compare with; the direct
      // conversion carries only unlit material colours. Fixed iterations: no wall-clock planning, reproducible.
      const r = await trainObjectSplats(splatScene, {
        profile: o.profile.splat,
        nodes,
        textures,
        iterations,
        exposure,
        seed: 1,
        resolution: size.resolution, // sized above from the pixel size, once
        pixelSize, // for the close-ups
        viewpoints: views.views,
        views: SPLAT_VIEWS,
        heldOutViews: SPLAT_VIEWS / 4,
        backend: o.backend,
        signal: ctx.signal,
        renderTargets: (views, onProgress) =>
          (o.pathtrace ?? renderPathtracedBatch)(
            targetScene,
            views.map((view) => ({ view, spp: targetSpp, seed: 11 })),
            {
              bounces: o.profile.bake.bounces,
              sky: environment?.sky,
              cameraHidden: targets.cameraHidden,
              signal: ctx.signal,
              backend: o.backend,
              onProgress,
            },
          ),
        onProgress: (p) => ctx.progress(STEP_START[p.stage] + p.fraction * STEP_SHARE[p.stage], p.detail),
      });
      const trainedWins = r.heldOutPsnr > r.conversionPsnr;
      model = trainedWins ? r.model : r.conversion;
      choice = {
        kept: trainedWins ? 'trained' : 'conversion',
        iterations: r.iterations,
        targets: 'pathtrace',
        targetSpp,
        heldOutPsnr: r.heldOutPsnr,
        conversionPsnr: r.conversionPsnr,
        gaussians: model.count,
        resolution: size.resolution,
        views: r.views,
        closeUps: r.closeUps,
        eyeViews: r.eyeViews,
        cap: size.cap,
        seconds: r.seconds.total,
      };
      ctx.log(
        `splats: kept the ${choice.kept} model (held-out PSNR trained ${r.heldOutPsnr.toFixed(2)} dB vs conversion ${r.conversionPsnr.toFixed(2)} dB, ${r.iterations} iterations on ${r.views} views of ${size.resolution} px at ${targetSpp} spp${viewKinds(r)}, ${r.seconds.total.toFixed(1)} s: targets ${r.seconds.targets.toFixed(1)} s, training ${r.seconds.train.toFixed(1)} s)`,
      );
    }
    // The SPZ is what ships and what the verifier draws with the glTF (the PLY carries the same Gaussians).
    const artifact = encodeSplats(model, 'spz');
    ctx.write({ name: 'splats.ply', data: encodeSplats(model, 'ply') });
    ctx.write({ name: 'splats.spz', data: artifact });
    return { splats: { model, choice, artifact } };
  },
});
