/**
 * A job's path-traced images (the preview's reference, the splats' training targets) spread over the farm
 * (render/pathtrace-split.ts): the job's worker measures their cost with a low-resolution pre-pass, cuts their rows
 * into tasks of equal predicted cost and queues one `render-rows` task per cut; any worker renders its bands from
 * the scene it downloads; the job's worker joins them. Each pixel is seeded by its place in its image, so the
 * images are the ones a single machine renders, bit for bit.
 *
 * What travels: one scene package (scene-package.ts) per scene the job path-traces, uploaded once; each task's
 * spec names it, with the views, samples and seeds of its requests and the bands it renders; each task returns its
 * bands' pixels as one float32 blob, in band order.
 */
import type { FloatImage } from '../image/float-image.js';
import {
  type PathtraceBand,
  type PathtraceBatch,
  type PathtraceCommon,
  type PathtraceRequest,
  renderBands,
  renderPathtracedBatch,
} from '../render/pathtrace.js';
import { estimatePathtraceCost, joinPathtraceBands, planPathtraceSplit } from '../render/pathtrace-split.js';
import type { Scene } from '../scene/types.js';
import type { TaskRequest } from './queue.js';
import type { PathtraceRequestJson } from './store.js';
import { decodeScenePackage, encodeScenePackage } from './scene-package.js';
import type { Executor, ExecutorContext } from './worker.js';

export interface RenderSplitOptions {
  /** Tasks per batch; absent or 0: one per `secondsPerTask` of predicted render time, up to `maxTasks`. */
  tasks?: number;
  /** Predicted seconds of rendering per task when the count is chosen (default 20 s). */
  secondsPerTask: number;
  maxTasks: number;
}

export const RENDER_SPLIT_DEFAULTS: RenderSplitOptions = { secondsPerTask: 20, maxTasks: 16 };

const PACKAGE_MAGIC = 0x4b505452; // "RTPK"

const toJson = (r: PathtraceRequest): PathtraceRequestJson => ({
  view: { ...r.view, cameraToWorld: Array.from(r.view.cameraToWorld) },
  spp: r.spp,
  seed: r.seed,
});
const fromJson = (r: PathtraceRequestJson): PathtraceRequest => ({
  view: { ...r.view, cameraToWorld: Float32Array.from(r.view.cameraToWorld) },
  spp: r.spp,
  seed: r.seed,
});

/**
 * A path tracer for the optimize run (OptimizeOptions.pathtrace) that spreads a batch over farm tasks. A batch
 * predicted at one task's worth renders here, as `ote optimize` does.
 */
export function farmPathtracer(ctx: ExecutorContext, options: Partial<RenderSplitOptions> = {}): PathtraceBatch {
  const o = { ...RENDER_SPLIT_DEFAULTS, ...options };
  // One upload per scene: the preview tries its views one batch at a time, all of the same scene.
  const packages = new WeakMap<Scene, Promise<string>>();
  return async (scene, requests, common) => {
    if (o.tasks === 1) return renderPathtracedBatch(scene, requests, common);
    const cost = await estimatePathtraceCost(scene, requests, common);
    const predicted = cost.seconds.reduce((a, b) => a + b, 0);
    const tasks = o.tasks || Math.min(o.maxTasks, Math.max(1, Math.round(predicted / o.secondsPerTask)));
    ctx.log(
      `pathtrace: ${requests.length} image(s), about ${predicted.toFixed(1)} s here; ${tasks === 1 ? 'not split' : `split into ${tasks} tasks of equal predicted cost`}`,
    );
    if (tasks <= 1) return renderPathtracedBatch(scene, requests, common);
    const split = planPathtraceSplit(requests, cost, tasks);
    let pkg = packages.get(scene);
    if (!pkg) {
      pkg = encodeScenePackage(PACKAGE_MAGIC, {}, scene).then((bytes) => ctx.put(bytes));
      packages.set(scene, pkg);
    }
    const base = {
      package: await pkg,
      requests: requests.map(toJson),
      bounces: common.bounces,
      sky: common.sky,
      cameraHidden: common.cameraHidden?.length ? [...common.cameraHidden] : undefined,
    };
    const taskRequests: TaskRequest[] = split.tasks.map((bands, i) => ({
      kind: 'render-rows',
      spec: { renderRows: { ...base, bands } },
      predictedSeconds: split.predictedSeconds[i],
    }));
    const done = await ctx.runTasks(taskRequests, common.onProgress);
    const bands: PathtraceBand[] = [];
    const parts: FloatImage[] = [];
    for (const t of done) {
      const hash = t.artifacts['rows.bin'];
      if (!hash) throw new Error(`render task ${t.index} (${t.id}) returned no rows.bin`);
      const bytes = await ctx.blob(hash);
      // A copy, so the floats are aligned whatever buffer the blob came in.
      const data = new Float32Array(new Uint8Array(bytes).buffer);
      let at = 0;
      for (const b of split.tasks[t.index]) {
        const width = requests[b.request].view.width,
          n = 4 * width * (b.end - b.begin);
        if (at + n > data.length) throw new Error(`render task ${t.index} (${t.id}): rows.bin is short`);
        bands.push(b);
        parts.push({ width, height: b.end - b.begin, data: data.subarray(at, at + n) });
        at += n;
      }
      if (at !== data.length) throw new Error(`render task ${t.index} (${t.id}): rows.bin is long`);
    }
    return joinPathtraceBands(requests, bands, parts);
  };
}

/** What a `render-rows` task runs: its bands of the package's scene, returned as rows.bin (float32 RGBA, in order). */
export const renderRowsExecutor: Executor = async (job, ctx) => {
  const spec = job.spec.renderRows;
  if (!spec) throw new Error(`job ${job.id}: a render-rows task needs its renderRows`);
  const { scene } = await decodeScenePackage(PACKAGE_MAGIC, await ctx.blob(spec.package), 'render package');
  const common: PathtraceCommon = {
    bounces: spec.bounces,
    sky: spec.sky,
    cameraHidden: spec.cameraHidden,
    signal: ctx.signal,
    onProgress: (f) => ctx.progress('render-rows', f),
  };
  const images = await renderBands(scene, spec.requests.map(fromJson), spec.bands, common);
  const out = new Float32Array(images.reduce((s, img) => s + img.data.length, 0));
  let at = 0;
  for (const img of images) {
    out.set(img.data, at);
    at += img.data.length;
  }
  return { exitCode: 0, artifacts: { 'rows.bin': new Uint8Array(out.buffer) } };
};
