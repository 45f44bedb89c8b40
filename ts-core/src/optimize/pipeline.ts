/**
 * Runs stages in their registered order over one set of products. Before a stage runs, everything it needs must
 * be there; after, everything it declared must be there and nothing else new. Each stage is timed on the device
 * it reports, with its own progress events, and the files it writes are collected in order.
 */
import { OteError } from '../errors.js';
import type { OptimizeOptions } from './options.js';
import type { AnyStage, OutputFile, ProductName, Products, StageContext, StageTiming } from './stage.js';

export interface PipelineState {
  products: Partial<Products>;
  files: OutputFile[];
  timings: StageTiming[];
}

export function newPipelineState(): PipelineState {
  return { products: {}, files: [], timings: [] };
}

function stageContext(stage: AnyStage, o: OptimizeOptions, state: PipelineState): StageContext {
  return {
    options: o,
    signal: o.signal,
    progress: (fraction, detail) =>
      o.onEvent({ type: 'stage', stage: stage.name, fraction, ...(detail === undefined ? {} : { detail }) }),
    log: (message) => o.onEvent({ type: 'log', message }),
    // A stage run again (a second bake, rebake.ts) writes its files again: the last write of a name wins.
    write: (f) => {
      const at = state.files.findIndex((g) => g.name === f.name);
      if (at < 0) state.files.push(f);
      else state.files[at] = f;
    },
    timings: () => state.timings,
  };
}

/** Runs `stages` in order, adding their products to `state`. */
export async function runStages(stages: readonly AnyStage[], state: PipelineState, o: OptimizeOptions): Promise<void> {
  for (const stage of stages) {
    const missing = stage.needs.filter((n) => !(n in state.products));
    if (missing.length)
      throw new Error(`optimize: stage "${stage.name}" needs ${missing.join(', ')}, which no earlier stage produced`);
    if (o.signal.aborted) throw new OteError('CANCELLED', `cancelled before ${stage.name}`);
    const ctx = stageContext(stage, o, state);
    const { device, cores } = stage.device(ctx);
    const t0 = performance.now();
    ctx.progress(0);
    const input = Object.fromEntries(stage.needs.map((n) => [n, state.products[n]]));
    const made = await stage.run(input, ctx);
    const keys = Object.keys(made) as ProductName[];
    const undeclared = keys.filter((k) => !stage.produces.includes(k));
    const absent = stage.produces.filter((p) => !(p in made));
    if (undeclared.length || absent.length)
      throw new Error(
        `optimize: stage "${stage.name}" made [${keys.join(', ')}] but declares [${stage.produces.join(', ')}]`,
      );
    Object.assign(state.products, made);
    state.timings.push({ stage: stage.name, seconds: (performance.now() - t0) / 1000, cached: false, device, cores });
    ctx.progress(1);
  }
}
