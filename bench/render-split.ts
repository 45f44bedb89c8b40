/**
 * `npx tsc -b && node dist/bench/render-split.js`: the preview's path-traced reference split into tasks
 * (ts-core/src/render/pathtrace-split.ts), as a farm job spreads it (farm/render-tasks.ts), on shared scenes at the
 * view `ote optimize` plans for them, lit as it lights them: the two 64-sample halves of a 768-pixel reference.
 *
 * - The pre-pass: its seconds, and the whole reference's predicted seconds against the measured (same threads).
 * - Balance of 4 tasks, equal-cost bands (the pre-pass's rays per row) against equal-row bands: each task rendered
 *   on its own, one after another, with the addon's threads; max/mean of the task seconds.
 * - The bands joined are checked bit-identical to the whole reference.
 * Prints a table and writes bench/results/render-split.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGltf } from '../ts-core/src/io/gltf-read.js';
import { PREVIEW_WIDTH } from '../ts-core/src/optimize/stages/plan.js';
import { resolveEnvironment, withEnvironmentSun } from '../ts-core/src/plan/environment.js';
import { type PathtraceRequest, renderBands, renderPathtracedBatch } from '../ts-core/src/render/pathtrace.js';
import {
  estimatePathtraceCost,
  joinPathtraceBands,
  type PathtraceCost,
  planPathtraceSplit,
} from '../ts-core/src/render/pathtrace-split.js';
import { planSceneViews } from '../ts-core/src/render/views.js';
import { describeMachine, machineRecord } from './machine.js';

const here = fileURLToPath(import.meta.url);
const root = resolve(dirname(here), '../..');
const sharedScenes = process.env.OTE_SHARED_SCENES ?? join(root, '..', 'shared', 'scenes');
const SCENES = [
  { name: 'japanese_bridge_garden', file: join('japanese_bridge_garden', 'japanese_bridge_garden.glb') },
  { name: 'godot_living_room', file: join('godot_living_room', 'living_room.glb') },
];
const TASKS = 4;
const BOUNCES = 3;

export interface RenderSplitRow {
  scene: string;
  viewKind: string;
  width: number;
  height: number;
  /** Seconds of the pre-pass (estimatePathtraceCost), and the whole reference's predicted and measured seconds. */
  prepassSeconds: number;
  predictedSeconds: number;
  wholeSeconds: number;
  predictedOverActual: number;
  balance: { split: 'equal cost' | 'equal rows'; taskSeconds: number[]; maxOverMean: number }[];
  identical: boolean;
}

async function benchScene(name: string, file: string): Promise<RenderSplitRow> {
  const { scene } = await importGltf(join(sharedScenes, file));
  const env = resolveEnvironment(scene);
  const lit = withEnvironmentSun(scene, env);
  const planned = await planSceneViews(scene, { count: 1, width: PREVIEW_WIDTH });
  const view = planned.views[0];
  const requests: PathtraceRequest[] = [7, 8].map((seed) => ({ view, spp: 64, seed }));
  const common = { bounces: BOUNCES, sky: env?.sky };
  // The first call pays the texture decode and the scene setup caches: warm them before timing anything.
  await renderPathtracedBatch(lit, [{ view: { ...view, width: 64, height: 36 }, spp: 1, seed: 1 }], common);
  let t0 = performance.now();
  const cost = await estimatePathtraceCost(lit, requests, common);
  const prepassSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const whole = await renderPathtracedBatch(lit, requests, common);
  const wholeSeconds = (performance.now() - t0) / 1000;
  const predictedSeconds = cost.seconds.reduce((a, b) => a + b, 0);
  const uniform: PathtraceCost = {
    seconds: cost.seconds,
    rowWeights: cost.rowWeights.map((w) => new Float64Array(w.length).fill(1 / w.length)),
  };
  const balance: RenderSplitRow['balance'] = [];
  let identical = true;
  for (const [split, c] of [
    ['equal cost', cost],
    ['equal rows', uniform],
  ] as const) {
    const plan = planPathtraceSplit(requests, c, TASKS);
    const taskSeconds: number[] = [];
    const parts = [];
    for (const bands of plan.tasks) {
      const t = performance.now();
      parts.push(...(await renderBands(lit, requests, bands, common)));
      taskSeconds.push((performance.now() - t) / 1000);
    }
    const joined = joinPathtraceBands(requests, plan.tasks.flat(), parts);
    identical &&= joined.every((img, i) => Buffer.from(img.data.buffer).equals(Buffer.from(whole[i].data.buffer)));
    const mean = taskSeconds.reduce((a, b) => a + b, 0) / taskSeconds.length;
    balance.push({ split, taskSeconds, maxOverMean: Math.max(...taskSeconds) / mean });
  }
  return {
    scene: name,
    viewKind: planned.kind,
    width: view.width,
    height: view.height,
    prepassSeconds,
    predictedSeconds,
    wholeSeconds,
    predictedOverActual: predictedSeconds / wholeSeconds,
    balance,
    identical,
  };
}

export async function benchRenderSplit(): Promise<RenderSplitRow[]> {
  const rows: RenderSplitRow[] = [];
  for (const s of SCENES) rows.push(await benchScene(s.name, s.file));
  return rows;
}

export function printRenderSplit(rows: RenderSplitRow[]) {
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(
    `render split: the preview reference (2 halves × 64 spp, ${BOUNCES} bounces, CPU) at the planned view, ${TASKS} tasks`,
  );
  console.log(
    'scene                    view      size      pre-pass s  predicted s  whole s  pred/actual  split       task seconds (one after another)  max/mean  identical',
  );
  for (const r of rows)
    for (const [i, b] of r.balance.entries())
      console.log(
        `${(i ? '' : r.scene).padEnd(23)}  ${(i ? '' : r.viewKind).padEnd(8)}  ${(i ? '' : `${r.width}×${r.height}`).padEnd(8)}  ${(i ? '' : f(r.prepassSeconds)).padStart(10)}  ${(i ? '' : f(r.predictedSeconds, 1)).padStart(11)}  ${(i ? '' : f(r.wholeSeconds, 1)).padStart(7)}  ${(i ? '' : f(r.predictedOverActual)).padStart(11)}  ${b.split.padEnd(10)}  ${b.taskSeconds
          .map((s) => f(s))
          .join(' ')
          .padEnd(32)}  ${f(b.maxOverMean).padStart(8)}  ${i ? '' : r.identical}`,
      );
}

if (process.argv[1] && resolve(process.argv[1]) === here) {
  const machine = machineRecord();
  const rows = await benchRenderSplit();
  printRenderSplit(rows);
  console.log(describeMachine(machine));
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', 'render-split.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2)}\n`,
  );
}
