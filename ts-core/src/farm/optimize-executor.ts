/**
 * The executor the farm's workers run by default: `ote optimize` on the job's scene and profile, in the worker's
 * scratch directory, with the job's cancellation. Progress is the stage's place in the pipeline plus its own
 * fraction. Its artifacts are the files `ote optimize` writes (scene.glb, splats, previews, report.json, the
 * certificate); the exit code is optimize's own.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ResultCache } from '../optimize/cache.js';
import { optimize } from '../optimize/run.js';
import { OPTIMIZE_STAGES } from '../optimize/stages/index.js';
import { builtinProfile, resolveProfile } from '../plan/profile.js';
import type { FarmBlobs } from './blobs.js';
import type { Executor } from './local-worker.js';

export function optimizeExecutor(blobs: FarmBlobs): Executor {
  const order = ['import', ...OPTIMIZE_STAGES.map((s) => s.name)];
  return async (job, ctx) => {
    const { scene, profile: p, verify } = job.spec;
    const input = join(ctx.workDir, basename(scene.name) || 'scene.glb');
    writeFileSync(input, blobs.read(scene.hash));
    const profile = typeof p === 'string' ? builtinProfile(p) : resolveProfile(p, `job ${job.id} profile`);
    const outDir = join(ctx.workDir, 'out');
    const result = await optimize({
      input,
      outDir,
      profile,
      profileSource: typeof p === 'string' ? p : 'TD file',
      noVerify: !verify,
      cache: new ResultCache(join(ctx.workDir, 'cache'), false),
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.type === 'log') ctx.log(e.message);
        else {
          const i = Math.max(0, order.indexOf(e.stage));
          ctx.progress(e.stage, (i + Math.min(1, e.fraction)) / order.length);
        }
      },
    });
    const artifacts: Record<string, Uint8Array> = {};
    for (const name of readdirSync(outDir))
      if (statSync(join(outDir, name)).isFile()) artifacts[name] = readFileSync(join(outDir, name));
    return {
      exitCode: result.exitCode,
      reason: result.report.exit.reason,
      verdict: result.report.verification?.verdict,
      artifacts,
    };
  };
}
