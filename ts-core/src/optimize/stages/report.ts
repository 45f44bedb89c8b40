/**
 * Report: report.json (everything the run decided and measured, with the exit) and report.html (the same, with
 * the before/after images and the FLIP heatmap), priced by where each stage ran.
 */
import { reportCameras } from '../../report/cameras.js';
import { estimateCost } from '../../report/cost.js';
import { renderReportHtml } from '../../report/html.js';
import { formatBytes } from '../../util/format-bytes.js';
import type { OptimizeReport, OutputSize } from '../../report/types.js';
import type { Environment } from '../../plan/environment.js';
import { sceneBounds } from '../../scene/bounds.js';
import { SCRIPT_DEVICE } from '../devices.js';
import { defineStage } from '../stage.js';

export const TOOL_VERSION = 'ote 0.2.0';

export const reportStage = defineStage({
  name: 'report',
  needs: [
    'scene',
    'sceneHash',
    'warnings',
    'environment',
    'analysis',
    'plan',
    'views',
    'bake',
    'splats',
    'shipped',
    'preview',
    'check',
    'verification',
    'inputSize',
  ],
  produces: ['report'],
  device: () => SCRIPT_DEVICE,
  async run(p, ctx) {
    const o = ctx.options,
      env = p.environment,
      summary = p.verification.summary;
    const images: OptimizeReport['images'] = [{ label: 'Reference (path traced)', file: 'before.png' }];
    if (p.preview.after)
      images.push({
        label: p.splats ? 'Optimized (lightmapped glTF + splats, composited by depth)' : 'Optimized (lightmapped)',
        file: 'after.png',
      });
    if (p.check.flipImage)
      images.push({ label: `FLIP error (mean ${p.check.claimed!.flip.toFixed(3)})`, file: p.check.flipImage.name });
    const verified = summary !== undefined && summary.verdict !== 'skipped';
    const timings = ctx.timings();
    const report: OptimizeReport = {
      version: 1,
      tool: TOOL_VERSION,
      createdAt: new Date().toISOString(),
      input: {
        file: o.input,
        hash: p.sceneHash,
        triangles: p.analysis.scene.triangles,
        drawnTriangles: p.analysis.scene.drawnTriangles,
        warnings: p.warnings,
      },
      profile: { name: o.profile.name, source: o.profileSource },
      analysis: {
        class: p.analysis.class,
        hints: p.analysis.hints,
        objects: p.analysis.objects.map((x) => ({
          name: x.features.name,
          triangles: x.features.drawnTriangles,
          instances: x.features.instances,
          screenCoverage: x.features.screenCoverage,
          complexity: x.scores.complexity.value,
          bakingScore: x.scores.bakingScore.value,
          dynamicScore: x.scores.dynamicScore.value,
          hints: x.hints,
        })),
      },
      plan: p.plan,
      outputs: {
        lightmaps: p.bake?.files ?? [],
        splats: p.splats ? ['splats.ply', 'splats.spz'] : [],
        scene: 'scene.glb',
        ...(verified ? { certificate: 'certificate.json' } : {}),
      },
      splats: p.splats?.choice,
      verification: summary,
      images,
      timings: timings.map(({ stage, seconds, cached, device }) => ({ stage, seconds, cached, device })),
      lighting: {
        source: env ? (env.reason === 'default' ? 'default' : 'profile') : 'scene',
        environment: env
          ? {
              sky: describeSky(env.sky),
              sun: env.sun
                ? `direction [${env.sun.direction.map((x) => x.toFixed(3)).join(', ')}], illuminance ${Math.max(...env.sun.color).toFixed(2)}, ${env.sun.angularDiameter}° disc`
                : undefined,
              // The same as numbers, for viewers that light the input the way the bake saw it.
              light: { sky: env.sky, sun: env.sun && { direction: env.sun.direction, color: env.sun.color } },
            }
          : undefined,
        removedLights: p.shipped.removedLights,
        keptLights: p.shipped.keptLights,
      },
      ownCheck: p.check.claimed,
      ownCheckUncorrected: p.check.uncorrected,
      referenceNoiseFloor: p.check.noiseFloor,
      views: {
        kind: p.views.kind,
        used: p.views.views.indexOf(p.preview.view) + 1,
        skipped: p.preview.skipped,
        exposure: p.preview.exposure,
        width: p.preview.view.width,
        height: p.preview.view.height,
        spp: p.check.referenceSpp,
        cameras: reportCameras(p.views.views, sceneBounds(p.scene)),
      },
      blackObjects: p.check.blackObjects,
      worstObjects: p.check.worstObjects,
      lightmap: p.bake?.report,
      cost: estimateCost({
        stages: timings.map((t) => ({ name: t.stage, seconds: t.seconds, device: t.device, cores: t.cores })),
      }),
      farm: ctx.options.farmTasks ? { tasks: ctx.options.farmTasks() } : undefined,
      economy: ctx.options.economy,
      size: outputSize(p.inputSize, p.shipped.glb, p.splats, p.bake?.report.pageBytes ?? 0),
      exit: p.verification.exit,
    };
    ctx.write({ name: 'report.json', data: `${JSON.stringify(report, null, 2)}\n` });
    const { beforeImage, flipImage } = p.check;
    const previews = p.preview.images.map((f) => (beforeImage && f.name === beforeImage.name ? beforeImage : f));
    const pngs = [...previews, ...(flipImage ? [flipImage] : [])];
    ctx.write({
      name: 'report.html',
      data: renderReportHtml(report, Object.fromEntries(pngs.map((f) => [f.name, f.data]))),
    });
    return { report };
  },
});

/** The input's bytes against what a viewer loads, with the reason when the output is larger. */
function outputSize(
  input: number,
  glb: Uint8Array,
  splats: { artifact: Uint8Array; model: { count: number } } | undefined,
  lightmaps: number,
): OutputSize {
  const files = [{ name: 'scene.glb', bytes: glb.length }];
  if (splats) files.push({ name: 'splats.spz', bytes: splats.artifact.length });
  const output = files.reduce((n, f) => n + f.bytes, 0);
  let larger: string | undefined;
  if (output > input) {
    const why: string[] = [];
    if (lightmaps) why.push(`the lightmap pages are ${formatBytes(lightmaps)}`);
    if (splats)
      why.push(`${splats.model.count.toLocaleString('en-US')} Gaussians are ${formatBytes(splats.artifact.length)}`);
    const rest = output - lightmaps - (splats?.artifact.length ?? 0);
    larger = `${why.length ? `${why.join(' and ')}, and ` : ''}the geometry with its lightmap UVs is ${formatBytes(Math.max(0, rest))}`;
  }
  return { input, output, files, lightmaps, ...(larger ? { larger } : {}) };
}

function describeSky(sky: Environment['sky']): string {
  const rgb = (c: number[]) => `[${c.map((x) => x.toFixed(2)).join(', ')}]`;
  if (sky.type === 'none') return 'none';
  if (sky.type === 'constant') return `constant ${rgb(sky.color)}`;
  return `gradient: zenith ${rgb(sky.zenith)}, horizon ${rgb(sky.horizon)}, ground ${rgb(sky.ground)}`;
}
