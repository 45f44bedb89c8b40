/**
 * Bake: the whole scene casts light and shadow; lightmaps are written on the objects routed to baking, their pages
 * encoded into the glTF (MOZ_lightmap on UV1) or beside it (HDR side files).
 */
import { finishBake, prepareBake, traceBake, traceFinalGather } from '../../bake/bake.js';
import { describeFinalGather } from '../../bake/final-gather.js';
import { encodeLightmapPages } from '../../bake/pages.js';
import { describeTwoSided } from '../../bake/two-sided.js';
import { applyLightmaps } from '../../bake/writeback.js';
import { viewEye } from '../../scene/view.js';
import { nativeDevice } from '../devices.js';
import { defineStage } from '../stage.js';

export const bakeStage = defineStage({
  name: 'bake',
  needs: ['lit', 'plan', 'views', 'units', 'environment'],
  produces: ['bake'],
  device: nativeDevice,
  async run({ lit, plan, views, units, environment }, ctx) {
    const profile = ctx.options.profile;
    const bakeNodes = plan.decisions.filter((d) => d.bakePrimitives.length);
    if (!bakeNodes.length) return { bake: undefined };
    const splatPrimitives = new Set(
      plan.decisions.flatMap((d) => d.splatPrimitives.map((i) => `${lit.nodes[d.node].mesh}/${i}`)),
    );
    const objectTexelsPerMeter = Object.fromEntries(
      bakeNodes.filter((d) => d.texelsPerMeter !== profile.bake.texelsPerMeter).map((d) => [d.name, d.texelsPerMeter]),
    );
    // The profile's density is per metre. In a scene that reads as centimetres or millimetres, one unit is not a
    // metre, so the density per unit follows the likely unit (a TD's per-object densities are taken as written).
    const unitDensity = profile.bake.texelsPerMeter * units.scaleToMetres;
    if (units.warning)
      ctx.log(
        `lightmap density: ${profile.bake.texelsPerMeter} texels per metre is ${unitDensity.toPrecision(3)} per unit at the likely unit (${units.unit})`,
      );
    // Objects that become splats whole still cast shadow and bounce light, but take no lightmap: as the bake's
    // dynamic nodes (no UV1, no chart, still traced) their charts do not fill the pages with texels nothing ships.
    const splatOnly = new Set(
      plan.decisions.filter((d) => !d.bakePrimitives.length && d.splatPrimitives.length).map((d) => d.node),
    );
    const bakeInput = splatOnly.size
      ? { ...lit, nodes: lit.nodes.map((n, i) => (splatOnly.has(i) ? { ...n, dynamic: true } : n)) }
      : lit;
    const prepared = await prepareBake(bakeInput, {
      texelsPerMeter: unitDensity,
      objectTexelsPerMeter,
      maxPageSize: profile.bake.maxPageSize,
      samples: profile.bake.samples,
      noiseThreshold: profile.bake.noiseThreshold,
      bounces: profile.bake.bounces,
      denoise: profile.bake.denoise,
      finalGather: profile.bake.finalGather,
      seed: 1,
      sky: environment?.sky,
      targetSeconds: profile.bake.targetSeconds,
      viewpoints: views.views.map(viewEye),
      // The finest of the planned views' pixels: where they see a texel over maxTexelPixels across, the density
      // may rise; it does in the second bake of a run whose first failed its own check (optimize/rebake.ts).
      viewPixel: Math.min(...views.views.map((v) => v.yfov / v.height)),
      maxTexelPixels: profile.bake.maxTexelPixels,
      viewFloor: ctx.options.bakeViewFloor === true,
      // Primitives that become splats stay whole: a back copy would ship as a mesh beside their splats.
      twoSided: profile.bake.twoSided !== false && {
        skip: (mesh, prim) => splatPrimitives.has(`${mesh}/${prim}`),
      },
      backend: ctx.options.backend,
      signal: ctx.signal,
      onProgress: (f) => ctx.progress(f),
    });
    // Traced here, or by the caller's tracer (a farm job's bake, split into tasks): the same texels either way.
    const trace = ctx.options.traceBake ?? ((b, onProgress) => traceBake(b, { onProgress }));
    const traced = await traceFinalGather(prepared, trace, (f) => ctx.progress(0.05 + 0.9 * f));
    const result = await finishBake(traced.bake, traced.raw);
    for (const w of result.atlas.warnings) ctx.log(w);
    if (result.finalGather) ctx.log(describeFinalGather(result.finalGather));
    const twoSided = result.twoSided.filter((s) => s.split);
    for (const s of twoSided) ctx.log(describeTwoSided(s));
    const { encoded, sideFiles } = encodeLightmapPages(result.pages, 'scene', { hdr: profile.bake.encoding === 'hdr' });
    for (const f of sideFiles) ctx.write(f);
    return {
      bake: {
        scene: applyLightmaps(result.scene, result.layout, encoded),
        files: [...sideFiles.map((f) => f.name), ...encoded.map((_, i) => `scene.glb#lightmap${i}`)],
        report: {
          texels: result.atlas.pageTexels,
          budget: result.atlas.texelBudget,
          warnings: result.atlas.warnings,
          objects: result.atlas.objects.map((x) => ({
            name: x.name,
            requested: x.requestedTexelsPerMeter,
            effective: x.texelsPerMeter,
            densest: x.maxTexelsPerMeter,
          })),
          seconds: {
            uv: result.stats.uvMilliseconds / 1000,
            setup: result.stats.setupSeconds,
            trace: result.stats.traceSeconds,
            post: result.stats.postMilliseconds / 1000,
          },
          coveredTexels: result.stats.texels,
          samplesPerTexel: result.stats.samplesPerTexel,
          pageBytes: encoded.reduce((n, e) => n + e.png.length, 0),
          twoSided: twoSided.map(({ name, front, back }) => ({ name, front, back })),
          timeTarget: result.timeTarget,
          viewFloor: result.atlas.viewFloor,
          finalGather: result.finalGather,
        },
      },
    };
  },
});
