/**
 * A job's lightmap bake split over the farm (bake/split.ts): the job's worker lays out the bake, measures its cost
 * with the pre-pass, cuts it into ranges of equal predicted cost and queues one `bake-range` task per range; any
 * worker bakes a range from the laid-out scene it downloads; the job's worker merges the parts and post-processes
 * them once. Each texel is seeded by its ordinal, so the result is the one-machine bake's, bit for bit.
 *
 * What travels (nothing assumes a shared disk): one "bake package" blob per job, with the laid-out scene as GLB
 * and the layout and trace options as JSON; and one encoded part per task (bake/split.ts encodeBakePart).
 */
import { type PreparedBake, type RawBake, traceBake } from '../bake/bake.js';
import {
  type BakeRange,
  bakeRange,
  decodeBakePart,
  encodeBakePart,
  estimateBakeCost,
  mergeBakeRanges,
  planBakeSplit,
} from '../bake/split.js';
import { OteError } from '../errors.js';
import { documentToScene } from '../io/gltf-read.js';
import { gltfIO } from '../io/gltf-io.js';
import { sceneToGlb } from '../io/gltf-write.js';
import { transportTextures } from '../io/textures.js';
import type { TaskRequest } from './queue.js';
import type { Executor, ExecutorContext } from './worker.js';

export interface BakeSplitOptions {
  /** Tasks to split into; absent or 0: one per `secondsPerTask` of predicted bake time, up to `maxTasks`. */
  tasks?: number;
  /** Predicted seconds of bake per task when the count is chosen (default 20 s). */
  secondsPerTask: number;
  maxTasks: number;
}

export const BAKE_SPLIT_DEFAULTS: BakeSplitOptions = { secondsPerTask: 20, maxTasks: 16 };

/** The trace options a task needs: every BakeOptions field the native trace reads, as JSON. */
const TRACE_FIELDS = [
  'samples',
  'minSamples',
  'noiseThreshold',
  'bounces',
  'seed',
  'sky',
  'viewpoints',
  'flattenWorld',
  'backend',
] as const;

const PACKAGE_MAGIC = 0x4b504b42; // "BKPK"

/**
 * A prepared bake as bytes: [magic, JSON length] + JSON (layout, atlas, trace options, AO distance), padded to 4
 * bytes + the laid-out scene (GLB).
 */
export async function encodeBakePackage(bake: PreparedBake): Promise<Uint8Array> {
  const options: Record<string, unknown> = {};
  for (const f of TRACE_FIELDS) if (bake.options[f] !== undefined) options[f] = bake.options[f];
  const json = new TextEncoder().encode(
    JSON.stringify({
      layout: {
        primitivePages: [...bake.layout.primitivePages],
        pageWidth: bake.layout.pageWidth,
        pageHeight: bake.layout.pageHeight,
      },
      atlas: bake.atlas,
      options,
      aoDistance: bake.aoDistance,
    }),
  );
  const glb = await sceneToGlb(bake.scene);
  // The GLB starts 4-byte aligned: its reader views its chunks as 32-bit words.
  const head = (json.length + 3) & ~3;
  const out = new Uint8Array(8 + head + glb.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PACKAGE_MAGIC, true);
  dv.setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(glb, 8 + head);
  return out;
}

/** The prepared bake a package holds, ready for bakeRange (textures decoded from its scene, as prepareBake does). */
export async function decodeBakePackage(bytes: Uint8Array, signal?: AbortSignal): Promise<PreparedBake> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || dv.getUint32(0, true) !== PACKAGE_MAGIC)
    throw new OteError('BAD_INPUT', 'bake package: not a bake package (bad magic)');
  const n = dv.getUint32(4, true);
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  // A copy: aligned and owning its memory whatever `bytes` is (a view into a Buffer pool may start anywhere).
  const doc = await (await gltfIO()).readBinary(new Uint8Array(bytes.subarray(8 + ((n + 3) & ~3))));
  const { scene } = await documentToScene(doc, 'bake package');
  return {
    scene,
    atlas: head.atlas,
    layout: {
      primitivePages: new Map(head.layout.primitivePages),
      pageWidth: head.layout.pageWidth,
      pageHeight: head.layout.pageHeight,
    },
    options: { ...head.options, signal },
    textures: await transportTextures(scene),
    aoDistance: head.aoDistance,
    startedAt: performance.now(),
  };
}

/**
 * A tracer for the optimize run's bake stage (OptimizeOptions.traceBake) that splits the bake into farm tasks.
 * Few predicted seconds (one task's worth) trace here, as `ote optimize` does.
 */
export function farmBakeTracer(
  ctx: ExecutorContext,
  options: Partial<BakeSplitOptions> = {},
): (bake: PreparedBake, onProgress: (f: number) => void) => Promise<RawBake> {
  const o = { ...BAKE_SPLIT_DEFAULTS, ...options };
  return async (bake, onProgress) => {
    const cost = await estimateBakeCost(bake);
    // The pre-pass traced every stride-th texel: the whole bake takes about stride times as long.
    const predicted = cost.seconds * cost.stride;
    const tasks = o.tasks || Math.min(o.maxTasks, Math.max(1, Math.round(predicted / o.secondsPerTask)));
    ctx.log(
      `bake: ${cost.covered} texels, about ${predicted.toFixed(1)} s here; ${tasks === 1 ? 'not split' : `split into ${tasks} tasks of equal predicted cost`}`,
    );
    if (tasks <= 1) return traceBake(bake, { onProgress });
    const split = planBakeSplit(cost, tasks);
    const total = split.predictedRays.reduce((a, b) => a + b, 0);
    const pkg = await ctx.put(await encodeBakePackage(bake));
    const requests: TaskRequest[] = split.ranges.map((range, i) => ({
      kind: 'bake-range',
      spec: { bakeRange: { package: pkg, begin: range.begin, end: range.end } },
      predictedSeconds: (predicted * split.predictedRays[i]) / total,
    }));
    const done = await ctx.runTasks(requests, onProgress);
    const parts = [];
    for (const t of done) {
      const hash = t.artifacts['part.bin'];
      if (!hash) throw new Error(`bake task ${t.index} (${t.id}) returned no part.bin`);
      parts.push(decodeBakePart(await ctx.blob(hash)));
    }
    return mergeBakeRanges(parts);
  };
}

/** What a `bake-range` task runs: one range of a bake package, returned as part.bin. */
export const bakeRangeExecutor: Executor = async (job, ctx) => {
  const spec = job.spec.bakeRange;
  if (!spec) throw new Error(`job ${job.id}: a bake-range task needs its bakeRange`);
  const bake = await decodeBakePackage(await ctx.blob(spec.package), ctx.signal);
  const range: BakeRange = { begin: spec.begin, end: spec.end };
  const part = await bakeRange(bake, range, { onProgress: (f) => ctx.progress('bake-range', f) });
  return { exitCode: 0, artifacts: { 'part.bin': encodeBakePart(part) } };
};
