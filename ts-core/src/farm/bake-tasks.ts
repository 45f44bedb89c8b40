/**
 * A job's lightmap bake split over the farm (bake/split.ts): the job's worker lays out the bake, measures its cost
 * with the pre-pass, cuts it into ranges of equal predicted cost and queues one `bake-range` task per range; any
 * worker bakes a range from the laid-out scene it downloads; the job's worker merges the parts and post-processes
 * them once. Each texel is seeded by its ordinal, so the result is the one-machine bake's, bit for bit.
 *
 * What travels (nothing assumes a shared disk): one "bake package" blob per job, with the laid-out scene as GLB
 * and the layout and trace options as JSON; and one encoded part per task (bake/split.ts encodeBakePart). A final
 * gather (bake/final-gather.ts) splits each of its two passes so; the second's tasks also download the first pass's
 * finished pages, one blob (encodeGatherPages).
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
import { transportTextures } from '../io/textures.js';
import type { TaskRequest } from './queue.js';
import { decodeScenePackage, encodeScenePackage } from './scene-package.js';
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
  'lowDiscrepancy',
  'finalGather',
  'flattenWorld',
  'backend',
] as const;

const PACKAGE_MAGIC = 0x4b504b42; // "BKPK"

interface BakePackageHead {
  layout: { primitivePages: [number, number[]][]; pageWidth: number[]; pageHeight: number[] };
  atlas: PreparedBake['atlas'];
  options: Record<string, unknown>;
  aoDistance: number;
}

/** A prepared bake as a scene package (scene-package.ts): the laid-out scene, and the layout and trace options. */
export function encodeBakePackage(bake: PreparedBake): Promise<Uint8Array> {
  const options: Record<string, unknown> = {};
  for (const f of TRACE_FIELDS) if (bake.options[f] !== undefined) options[f] = bake.options[f];
  const head: BakePackageHead = {
    layout: {
      primitivePages: [...bake.layout.primitivePages],
      pageWidth: bake.layout.pageWidth,
      pageHeight: bake.layout.pageHeight,
    },
    atlas: bake.atlas,
    options,
    aoDistance: bake.aoDistance,
  };
  return encodeScenePackage(PACKAGE_MAGIC, head, bake.scene);
}

/**
 * A final gather's first-pass pages (PreparedBake.gatherPages) as one blob: every page's floats in page order, in
 * the platform's byte order (little-endian wherever Node runs). decodeGatherPages cuts them by the layout's pages.
 */
export function encodeGatherPages(pages: readonly Float32Array[]): Uint8Array {
  const out = new Uint8Array(pages.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of pages) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}

export function decodeGatherPages(bytes: Uint8Array, layout: PreparedBake['layout']): Float32Array[] {
  const sizes = layout.pageWidth.map((w, i) => 4 * w * layout.pageHeight[i]);
  const total = 4 * sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total)
    throw new OteError(
      'BAD_INPUT',
      `gather pages: ${bytes.byteLength} bytes, but the layout's ${sizes.length} pages hold ${total}`,
    );
  let at = 0;
  return sizes.map((n) => {
    // A copy: aligned and owning its memory whatever `bytes` is.
    const page = new Float32Array(n);
    new Uint8Array(page.buffer).set(bytes.subarray(at, at + 4 * n));
    at += 4 * n;
    return page;
  });
}

/** The prepared bake a package holds, ready for bakeRange (textures decoded from its scene, as prepareBake does). */
export async function decodeBakePackage(bytes: Uint8Array, signal?: AbortSignal): Promise<PreparedBake> {
  const { head, scene } = await decodeScenePackage<BakePackageHead>(PACKAGE_MAGIC, bytes, 'bake package');
  return {
    scene,
    atlas: head.atlas,
    layout: {
      primitivePages: new Map(head.layout.primitivePages),
      pageWidth: head.layout.pageWidth,
      pageHeight: head.layout.pageHeight,
    },
    options: { ...head.options, signal } as PreparedBake['options'],
    textures: await transportTextures(scene),
    aoDistance: head.aoDistance,
    twoSided: [], // the package's scene has its front and back copies already; the job's worker reports them
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
    const gather = bake.gatherPages && (await ctx.put(encodeGatherPages(bake.gatherPages)));
    const requests: TaskRequest[] = split.ranges.map((range, i) => ({
      kind: 'bake-range',
      spec: { bakeRange: { package: pkg, begin: range.begin, end: range.end, ...(gather ? { gather } : {}) } },
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
  if (spec.gather) bake.gatherPages = decodeGatherPages(await ctx.blob(spec.gather), bake.layout);
  const range: BakeRange = { begin: spec.begin, end: spec.end };
  const part = await bakeRange(bake, range, { onProgress: (f) => ctx.progress('bake-range', f) });
  return { exitCode: 0, artifacts: { 'part.bin': encodeBakePart(part) } };
};
