/**
 * What a worker runs for each job kind. `optimize`: `ote optimize` on the job's scene and profile, in the worker's
 * scratch directory, with the job's cancellation; progress is the stage's place in the pipeline plus its own
 * fraction; the artifacts are the files `ote optimize` writes (scene.glb, splats, previews, report.json, the
 * certificate) and the exit code is optimize's own; its bake is split into `bake-range` tasks and its path-traced
 * images into `render-rows` tasks that any worker runs (bake-tasks.ts, render-tasks.ts). `simulated`: waits the job's seconds (GPU time stood in for, in
 * load tests and benchmarks) and reports progress as it goes.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FarmTaskRecord } from '../report/types.js';
import { bakeRangeExecutor, farmBakeTracer } from './bake-tasks.js';
import { farmPathtracer, renderRowsExecutor } from './render-tasks.js';
import type { Executor, ExecutorContext } from './worker.js';

export function optimizeExecutor(): Executor {
  return async (job, ctx) => {
    // The optimizer is loaded by the first job that needs it: it is most of what a worker imports (1.5 s of its
    // start on this 2-core VM), and a worker that runs only tasks or simulated jobs never does.
    const [{ optimize }, { ResultCache }, { OPTIMIZE_STAGES }, { builtinProfile, resolveProfile }] = await Promise.all([
      import('../optimize/run.js'),
      import('../optimize/cache.js'),
      import('../optimize/stages/index.js'),
      import('../plan/profile.js'),
    ]);
    const order = ['import', ...OPTIMIZE_STAGES.map((s) => s.name)];
    const { scene, profile: p = 'balanced', verify = true, bakeTasks, renderTasks } = job.spec;
    if (!scene) throw new Error(`job ${job.id}: an optimize job needs a scene`);
    const input = join(ctx.workDir, basename(scene.name) || 'scene.glb');
    writeFileSync(input, await ctx.scene());
    const profile = typeof p === 'string' ? builtinProfile(p) : resolveProfile(p, `job ${job.id} profile`);
    const outDir = join(ctx.workDir, 'out');
    // A second bake after a failed own check (optimize/rebake.ts) runs stages again: the job's progress holds.
    let shown = 0;
    // The tasks its bake and images run as, for report.json.
    const tasks: FarmTaskRecord[] = [];
    const tracked: ExecutorContext = {
      ...ctx,
      runTasks: async (requests, onProgress) => {
        const done = await ctx.runTasks(requests, onProgress);
        for (const t of done)
          tasks.push({
            kind: requests[t.index].kind,
            index: t.index,
            id: t.id,
            worker: t.worker,
            seconds: t.seconds,
            dispatch: t.dispatch,
          });
        return done;
      },
    };
    const result = await optimize({
      input,
      outDir,
      profile,
      profileSource: typeof p === 'string' ? p : 'TD file',
      noVerify: !verify,
      cache: new ResultCache(join(ctx.workDir, 'cache'), false),
      signal: ctx.signal,
      traceBake: farmBakeTracer(tracked, { tasks: bakeTasks }),
      pathtrace: farmPathtracer(tracked, { tasks: renderTasks }),
      farmTasks: () => tasks.slice(),
      economy: job.spec.economy,
      // The farm's engine when it verifies (its nodes re-render the results, not this worker), else an embedded one.
      engine: job.spec.engine,
      onEvent: (e) => {
        if (e.type === 'log') ctx.log(e.message);
        else {
          const i = Math.max(0, order.indexOf(e.stage));
          shown = Math.max(shown, (i + Math.min(1, e.fraction)) / order.length);
          ctx.progress(e.stage, shown);
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

/**
 * How a worker stands in for a slow or flaky machine (`ote farm worker --slowdown X --fail-rate P`), on simulated
 * jobs: each takes `slowdown` × its seconds (after its first `slowAfter` jobs, with `--slow-after N`: a machine
 * that slows down mid-run), and an attempt fails, half-way through, with probability `failRate` (drawn from a hash
 * of the worker, the job and the attempt, so a run is repeatable).
 */
export interface SimulatedFaults {
  slowdown: number;
  /** Jobs the worker runs at full speed before `slowdown` applies. */
  slowAfter: number;
  failRate: number;
}

export const SIMULATED_FAULTS_NONE: SimulatedFaults = { slowdown: 1, slowAfter: 0, failRate: 0 };

export function simulatedExecutorWith(faults: Partial<SimulatedFaults>): Executor {
  const f = { ...SIMULATED_FAULTS_NONE, ...faults };
  let started = 0;
  return async (job, ctx) => {
    const h = createHash('sha256').update(`${ctx.worker}\0${job.id}\0${job.attempts}`).digest();
    const fails = h.readUInt32BE(0) / 2 ** 32 < f.failRate;
    const seconds = (started++ >= f.slowAfter ? f.slowdown : 1) * (job.spec.simulatedSeconds ?? 0);
    await simulatedWait(fails ? seconds / 2 : seconds, ctx);
    if (fails) throw new Error(`injected failure (--fail-rate ${f.failRate})`);
    return { exitCode: 0, artifacts: {} };
  };
}

export const simulatedExecutor: Executor = async (job, ctx) => {
  await simulatedWait(job.spec.simulatedSeconds ?? 0, ctx);
  return { exitCode: 0, artifacts: {} };
};

/** Waits `seconds`, reporting progress, until the job is cancelled. */
async function simulatedWait(seconds: number, ctx: Parameters<Executor>[1]): Promise<void> {
  const ms = 1000 * seconds;
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
}

/** The executors a worker offers, by job kind. */
export function defaultExecutors(): Record<string, Executor> {
  return {
    optimize: optimizeExecutor(),
    'bake-range': bakeRangeExecutor,
    'render-rows': renderRowsExecutor,
    simulated: simulatedExecutor,
  };
}
