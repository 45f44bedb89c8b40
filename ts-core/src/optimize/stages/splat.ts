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
import { trainObjectSplats } from '../../splat/object.js';
import { nativeDevice } from '../devices.js';
import { filterPrimitives } from '../filter-primitives.js';
import { defineStage } from '../stage.js';

/**
 * Deterministic cap on splat training work, in Gaussian-iterations: the profile's iterations are cut to
 * SPLAT_WORK_BOUND / (Gaussians trained), never to what a timer says, so two runs give the same splats on any
 * machine. Training views are 128 px, so at most 16,384 Gaussians are trained: 244 iterations, ~10 s on 2 loaded cores.
 */
export const SPLAT_WORK_BOUND = 4_000_000;
/** Samples per pixel of the path-traced splat training targets (128 px views; noise averages out over views). */
const SPLAT_TARGET_SPP = 16;

/** The iterations `ote optimize` trains: the override, else the profile's capped by the work bound. */
export function splatIterations(profile: Profile, override?: number): number {
  if (override !== undefined) return Math.max(0, Math.floor(override));
  const trained = Math.max(1, Math.min(profile.splat.budget, 128 * 128));
  return Math.max(1, Math.min(profile.splat.iterations, Math.floor(SPLAT_WORK_BOUND / trained)));
}

/** Share of the stage's progress each step of training takes, and where it starts. */
const STEP_SHARE = { targets: 0.2, convert: 0.05, train: 0.7, evaluate: 0.05 };
const STEP_START = { targets: 0, convert: 0.2, train: 0.25, evaluate: 0.95 };

export const splatStage = defineStage({
  name: 'splat',
  needs: ['scene', 'plan', 'decisions', 'environment', 'reference'],
  produces: ['splats'],
  device: nativeDevice,
  async run({ scene, plan, decisions, environment, reference }, ctx) {
    const o = ctx.options;
    const splatNodes = plan.decisions.filter((d) => d.splatPrimitives.length);
    if (!splatNodes.length) return { splats: undefined };
    const splatScene = filterPrimitives(scene, (n) => decisions.get(n)?.splatPrimitives ?? 'none');
    const splatLit = withEnvironmentSun(splatScene, environment);
    const { textures } = await decodeSceneTextures(splatScene);
    const nodes = splatNodes.map((d) => d.node),
      iterations = splatIterations(o.profile, o.splatIterations),
      exposure = reference.exposure;
    let choice: SplatChoice;
    let model: GaussianModel;
    if (iterations === 0) {
      choice = { kept: 'conversion', iterations: 0, targets: 'none', seconds: 0 };
      model = await convertScene(splatScene, {
        budget: o.profile.splat.budget,
        textures,
        seed: 1,
        nodes,
        exposure,
        onProgress: (f) => ctx.progress(f),
      });
    } else {
      // Targets are path traced with the bake's transport (the objects alone, over black), so the splats learn
      // the lighting the before/after check and the verifier compare with; the direct conversion carries only
      // unlit material colours. Fixed iterations: no wall-clock planning, reproducible.
      const r = await trainObjectSplats(splatScene, {
        profile: o.profile.splat,
        nodes,
        textures,
        iterations,
        exposure,
        seed: 1,
        backend: o.backend,
        signal: ctx.signal,
        renderTargets: (views, onProgress) =>
          (o.pathtrace ?? renderPathtracedBatch)(
            splatLit,
            views.map((view) => ({ view, spp: SPLAT_TARGET_SPP, seed: 11 })),
            {
              bounces: o.profile.bake.bounces,
              sky: environment?.sky,
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
        heldOutPsnr: r.heldOutPsnr,
        conversionPsnr: r.conversionPsnr,
        gaussians: model.count,
        seconds: r.seconds.total,
      };
      ctx.log(
        `splats: kept the ${choice.kept} model (held-out PSNR trained ${r.heldOutPsnr.toFixed(2)} dB vs conversion ${r.conversionPsnr.toFixed(2)} dB, ${r.iterations} iterations, ${r.seconds.total.toFixed(1)} s)`,
      );
    }
    // Verified against the objects it replaces; the SPZ is what ships (the PLY carries the same Gaussians).
    const artifact = encodeSplats(model, 'spz');
    ctx.write({ name: 'splats.ply', data: encodeSplats(model, 'ply') });
    ctx.write({ name: 'splats.spz', data: artifact });
    return { splats: { model, choice, reference: splatScene, artifact } };
  },
});
