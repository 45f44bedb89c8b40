/**
 * `ote optimize`: the stages of stages/index.ts (import → measure → analyze → plan → bake → reference → splat →
 * output → preview → check → verify → report), run by pipeline.ts. A run whose own check failed where lightmap
 * texels look large may bake again at raised densities before verification (rebake.ts). Everything is written into a staging directory that
 * replaces the output directory only at the end, so a failed or cancelled run leaves it as it was. A finished run
 * is cached by the content hash of its inputs, so running again on an unchanged scene and profile copies the
 * cached result, with report.json and report.html rewritten for this run (its input path, its time). report.html
 * carries the viewer when asked (`--self-contained`, options.ts viewerPage); the cache keeps the plain one.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SceneAnalysis } from '../analyze/analyze.js';
import type { Plan } from '../plan/router.js';
import type { OptimizeReport } from '../report/types.js';
import { buildFingerprint, cacheKey, reportForThisRun } from './cache.js';
import type { OptimizeOptions } from './options.js';
import { newPipelineState, runStages } from './pipeline.js';
import { writeReportHtml } from './report-html-file.js';
import { StagedDirectory } from './staging.js';
import { rebakeReason } from './rebake.js';
import { AFTER_CHECK, IMPORT_STAGE, OPTIMIZE_STAGES, REBAKE_STAGES, TOOL_VERSION } from './stages/index.js';

export type { OptimizeEvent, OptimizeOptions } from './options.js';
export { REFERENCE_SPP, SPLAT_WORK_BOUND, splatIterations, TOOL_VERSION } from './stages/index.js';

export interface OptimizeResult {
  report: OptimizeReport;
  exitCode: number;
  cached: boolean;
  analysis?: SceneAnalysis;
  plan: Plan;
}

export async function optimize(o: OptimizeOptions): Promise<OptimizeResult> {
  const state = newPipelineState();
  await runStages([IMPORT_STAGE], state, o);
  const sceneHash = state.products.sceneHash!;
  const key = cacheKey('optimize', {
    sceneHash,
    profile: o.profile,
    // The iterations follow from the scene and the profile (stages/splat.ts), both in the key; only an override adds.
    splatIterations: o.splatIterations ?? 'profile',
    // Raised from the first bake on the caller's word; the second bake after a failed check follows from the rest.
    bakeViewFloor: o.bakeViewFloor ?? false,
    verify: !o.noVerify,
    engine: o.engine?.url ?? 'embedded',
    tool: TOOL_VERSION,
    // Read only where the cache is used: without it the key is never looked up.
    build: o.cache.enabled ? await buildFingerprint() : '',
  });

  const staged = await StagedDirectory.create(o.outDir);
  try {
    const hit = await o.cache.get(key);
    if (hit) {
      await cp(hit, staged.path, { recursive: true, filter: (src) => !src.endsWith('.complete') });
      const reportFile = join(staged.path, 'report.json');
      const cached = JSON.parse(await readFile(reportFile, 'utf8')) as OptimizeReport;
      const report = reportForThisRun(cached, { ...o, warnings: state.products.warnings });
      await writeFile(reportFile, `${JSON.stringify(report, null, 2)}\n`);
      await writeReportHtml(staged.path, report, o.viewerPage);
      await staged.commit();
      o.onEvent({
        type: 'log',
        message: `reused the cached result for scene ${sceneHash.slice(0, 12)} and profile ${o.profile.name}`,
      });
      return { report, exitCode: report.exit.code, cached: true, plan: report.plan };
    }
    await runStages(OPTIMIZE_STAGES.slice(0, AFTER_CHECK), state, o);
    const rebake = rebakeReason(state.products, o);
    if (rebake) {
      o.onEvent({ type: 'log', message: rebake });
      await runStages(REBAKE_STAGES, state, { ...o, bakeViewFloor: true });
    }
    await runStages(OPTIMIZE_STAGES.slice(AFTER_CHECK), state, o);
    for (const f of state.files) await writeFile(join(staged.path, f.name), f.data);
    // Cache before committing (the staging directory moves away on commit), and before the viewer goes in.
    await o.cache.put(key, staged.path);
    const { report, analysis, plan } = state.products;
    if (o.viewerPage) await writeReportHtml(staged.path, report!, o.viewerPage);
    await staged.commit();
    return { report: report!, exitCode: report!.exit.code, cached: false, analysis, plan: plan! };
  } catch (e) {
    await staged.discard();
    throw e;
  }
}
