/**
 * Plan: routes each object to baking, splats or both under the profile, and plans where a viewer would look (the
 * scene's cameras, or views in its free space found with the ray core). The before/after and the verifier's samples
 * use these views, and the bake gives double-sided surfaces the face these eyes see.
 */
import { planScene } from '../../plan/router.js';
import { planSceneViews } from '../../render/views.js';
import { nativeCpuDevice } from '../devices.js';
import { defineStage } from '../stage.js';

/** The report's previews: views planned (render/views.ts), their width (16:9 unless the camera says otherwise). */
export const PREVIEW_VIEWS = 3;
export const PREVIEW_WIDTH = 768;

export const planStage = defineStage({
  name: 'plan',
  needs: ['scene', 'analysis'],
  produces: ['plan', 'decisions', 'views'],
  device: nativeCpuDevice,
  async run({ scene, analysis }, ctx) {
    const plan = planScene(scene, analysis, ctx.options.profile);
    const views = await planSceneViews(scene, { count: PREVIEW_VIEWS, width: PREVIEW_WIDTH, signal: ctx.signal });
    return { plan, decisions: new Map(plan.decisions.map((d) => [d.node, d])), views };
  },
});
