/**
 * What a worker runs for each job kind. `optimize`: `ote optimize` on the job's scene and profile, in the worker's
 * scratch directory, with the job's cancellation; progress is the stage's place in the pipeline plus its own
 * fraction; the artifacts are the files `ote optimize` writes (scene.glb, splats, previews, report.json, the
 * certificate) and the exit code is optimize's own; its bake is split into `bake-range` tasks and its path-traced
 * images into `render-rows` tasks that any worker runs (bake-tasks.ts, render-tasks.ts). `simulated`: waits the job's seconds (GPU time stood in for, in
 * load tests and benchmarks) and reports progress as it goes.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ResultCache } from '../optimize/cache.js';
import { optimize } from '../optimize/run.js';
import { OPTIMIZE_STAGES } from '../optimize/stages/index.js';
import { builtinProfile, resolveProfile } from '../plan/profile.js';
import { bakeRangeExecutor, farmBakeTracer } from './bake-tasks.js';
import { farmPathtracer, renderRowsExecutor } from './render-tasks.js';
import type { Executor } from './worker.js';

export function optimizeExecutor(): Executor {
  const order = ['import', ...OPTIMIZE_STAGES.map((s) => s.name)];
  return async (job, ctx) => {
    const { scene, profile: p = 'balanced', verify = true, bakeTasks, renderTasks } = job.spec;
    if (!scene) throw new Error(`job ${job.id}: an optimize job needs a scene`);
    const input = join(ctx.workDir, basename(scene.name) || 'scene.glb');
    writeFileSync(input, await ctx.scene());
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
      traceBake: farmBakeTracer(ctx, { tasks: bakeTasks }),
      pathtrace: farmPathtracer(ctx, { tasks: renderTasks }),
      // The farm's engine when it verifies (its nodes re-render the results, not this worker), else an embedded one.
      engine: job.spec.engine,
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

export const simulatedExecutor: Executor = async (job, ctx) => {
  const ms = 1000 * (job.spec.simulatedSeconds ?? 0);
  const t0 = Date.now();
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (Date.now() - t0 < ms) {
      if (ctx.signal.aborted) throw new Error('cancelled');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(100, ms - (Date.now() - t0)));
      });
      ctx.progress('simulated', (Date.now() - t0) / ms);
    }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  return { exitCode: 0, artifacts: {} };
};

/** The executors a worker offers, by job kind. */
export function defaultExecutors(): Record<string, Executor> {
  return {
    optimize: optimizeExecutor(),
    'bake-range': bakeRangeExecutor,
    'render-rows': renderRowsExecutor,
    simulated: simulatedExecutor,
  };
}
