import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BakeOptions, finishBake, prepareBake, type RawBake, traceBake } from '../../src/bake/bake.js';
import {
  type BakeCostProfile,
  type BakeRangePart,
  bakeRange,
  decodeBakePart,
  encodeBakePart,
  equalSizeSplit,
  estimateBakeCost,
  mergeBakeRanges,
  planBakeSplit,
  predictedRangeRays,
} from '../../src/bake/split.js';
import { importGltf } from '../../src/io/gltf-read.js';
import type { Scene } from '../../src/scene/types.js';
import { sharedScenesDir } from '../helpers.js';

// The shared Cornell box (../shared/scenes, SOURCES.md) at 30 texels/m: 25k covered texels, more than the 16384
// scene-mean texels, so a range's bake traces a subsample of texels outside its range for the stop rule's mean.
// 64 samples with the early stop from 16: texels take different sample counts, so the scene mean matters.
const OPTS: BakeOptions = {
  texelsPerMeter: 30,
  maxPageSize: 512,
  samples: 64,
  minSamples: 16,
  bounces: 2,
  seed: 7,
  backend: 'cpu',
};

let cornell: Scene | undefined;
async function scene(): Promise<Scene> {
  cornell ??= (await importGltf(join(sharedScenesDir, 'cornell_box', 'CornellBox-Original.glb'))).scene;
  return cornell;
}

type Arrays = Record<string, ArrayLike<number>[]>;
const KEYS = ['rgba', 'valid', 'samples', 'position', 'normal', 'tangent', 'bitangent', 'direct'] as const;
function snapshot(raw: RawBake): Arrays {
  return Object.fromEntries(KEYS.map((k) => [k, raw.pages[k].map((a) => a.slice())]));
}
/** Bit-identical, float for float (compared as the bytes' integers: -0 and NaN would count too). */
function assertSame(a: ArrayLike<number>[], b: ArrayLike<number>[], what: string) {
  assert.is(a.length, b.length, `${what}: pages`);
  a.forEach((x, pg) => {
    const y = b[pg];
    assert.is(x.length, y.length, `${what}[${pg}]: length`);
    const bits = (v: ArrayLike<number>) =>
      v instanceof Float32Array ? new Uint32Array(v.buffer, v.byteOffset, v.length) : v;
    const bx = bits(x),
      by = bits(y);
    let diff = 0,
      firstAt = -1;
    for (let i = 0; i < bx.length; i++)
      if (bx[i] !== by[i]) {
        diff++;
        if (firstAt < 0) firstAt = i;
      }
    assert.is(diff, 0, `${what}[${pg}]: ${diff} values differ, first at ${firstAt}: ${x[firstAt]} vs ${y[firstAt]}`);
  });
}

function maxOverMean(xs: readonly number[]): number {
  return Math.max(...xs) / (xs.reduce((s, x) => s + x, 0) / xs.length);
}

test('a bake split into 3 equal-cost ranges, each baked on its own and merged, is the single bake float for float, before and after post', async () => {
  const single = await prepareBake(await scene(), OPTS);
  const raw = await traceBake(single);
  const before = snapshot(raw);
  const whole = await finishBake(single, raw);
  const covered = raw.stats.coveredTexels;
  assert.ok(covered > 16384, `${covered} covered texels`);
  assert.is(raw.stats.texels, covered);
  assert.is(raw.stats.probeTexels, 0, 'a whole bake traces no texel outside itself');
  assert.ok(
    raw.stats.minTexelSamples < raw.stats.maxTexelSamples,
    `the early stop must act: ${raw.stats.minTexelSamples}..${raw.stats.maxTexelSamples} samples`,
  );

  const cost = await estimateBakeCost(single, { sampleTexels: 2048 });
  assert.is(cost.covered, covered);
  const { ranges } = planBakeSplit(cost, 3);
  // Each range is baked by its own preparation of the same scene and options, as a farm worker would, and its
  // part travels as bytes.
  const parts: BakeRangePart[] = [];
  for (const r of ranges) {
    const worker = await prepareBake(await scene(), OPTS);
    const part = await bakeRange(worker, r);
    assert.ok(part.stats.texels > 0 && part.stats.texels === r.end - r.begin, `range [${r.begin}, ${r.end})`);
    assert.ok(part.stats.probeTexels > 0, 'a range traces the scene-mean texels outside it');
    // As a worker's file comes back: a Node Buffer at an odd offset into a larger one.
    const bytes = Buffer.concat([Buffer.alloc(3), encodeBakePart(part)]).subarray(3);
    parts.push(decodeBakePart(bytes));
  }
  // Merged in another order than baked: the merge places texels, it does not append.
  const merged = mergeBakeRanges([parts[2], parts[0], parts[1]]);
  for (const k of KEYS) assertSame(merged.pages[k], before[k], `raw ${k}`);
  assert.is(merged.stats.texels, covered);

  const split = await finishBake(await prepareBake(await scene(), OPTS), merged);
  assertSame(
    split.pages.map((p) => p.data),
    whole.pages.map((p) => p.data),
    'post-processed pages',
  );
  assertSame(split.valid, whole.valid, 'valid');
  assertSame(split.tangent, whole.tangent, 'tangent');
});

test('ranges cover every covered texel exactly once, and a merge refuses gaps and overlaps', async () => {
  const bake = await prepareBake(await scene(), { ...OPTS, samples: 16, minSamples: 16, bounces: 0 });
  const cost = await estimateBakeCost(bake, { sampleTexels: 1024 });
  for (const split of [planBakeSplit(cost, 5), equalSizeSplit(cost, 5), planBakeSplit(cost, 1)]) {
    assert.is(split.ranges[0].begin, 0);
    assert.is(split.ranges[split.ranges.length - 1].end, cost.covered);
    split.ranges.forEach((r, i) => {
      assert.ok(Number.isInteger(r.begin) && r.begin <= r.end);
      if (i > 0) assert.is(r.begin, split.ranges[i - 1].end);
    });
  }
  // Baked: every covered texel is valid in exactly one part, and their union is the whole bake's mask.
  const whole = await traceBake(bake, { guides: false });
  const parts = await Promise.all(planBakeSplit(cost, 4).ranges.map((r) => bakeRange(bake, r)));
  whole.pages.valid.forEach((v, pg) => {
    for (let i = 0; i < v.length; i++) {
      const n = parts.reduce((s, p) => s + p.pages.valid[pg][i], 0);
      if (n !== v[i]) assert.unreachable(`page ${pg} texel ${i}: covered ${v[i]}, baked by ${n} parts`);
    }
  });
  assert.is(
    parts.reduce((s, p) => s + p.stats.texels, 0),
    cost.covered,
  );
  assert.throws(
    () => mergeBakeRanges([parts[0], parts[1], parts[3]]),
    /^mergeBakeRanges: covered texels \[\d+, \d+\) are in no part/,
  );
  assert.throws(
    () => mergeBakeRanges([...parts, parts[2]]),
    /^mergeBakeRanges: covered texels \[\d+, \d+\) are in two parts/,
  );
  await bakeRange(bake, { begin: 5, end: 2 }).then(
    () => assert.unreachable('a reversed range'),
    (e: Error) => assert.match(e.message, /^bakeRange: a range is two integer ordinals/),
  );
  await bakeRange(bake, { begin: 0, end: cost.covered + 1 }).then(
    () => assert.unreachable('a range past the layout'),
    (e: Error) => assert.match(e.message, /^bakeRange: range \[0, \d+\) ends past the layout's \d+ covered texels/),
  );
  // An empty range bakes nothing and traces nothing.
  const empty = await bakeRange(bake, { begin: 10, end: 10 });
  assert.is(empty.stats.texels, 0);
  assert.is(empty.stats.rays, 0);
});

test('equal-cost ranges cut the cost prefix sum: on a profile whose cost varies 100x they are equal where equal sizes are not', () => {
  // 4000 covered texels sampled every 4th: the last quarter costs 100 rays a texel, the rest 1.
  const rays = Float64Array.from({ length: 1000 }, (_, j) => (j >= 750 ? 100 : 1));
  const profile: BakeCostProfile = { covered: 4000, stride: 4, rays, seconds: 0 };
  const opts = { texelOverheadRays: 0 };
  const cost = planBakeSplit(profile, 4, opts),
    size = equalSizeSplit(profile, 4, opts);
  assert.ok(maxOverMean(cost.predictedRays) < 1.01, `equal cost: ${cost.predictedRays}`);
  assert.ok(maxOverMean(size.predictedRays) > 3.5, `equal size: ${size.predictedRays}`);
  // Three of the four equal-cost ranges lie in the expensive quarter; the predictions add up to the total.
  assert.ok(cost.ranges[1].begin >= 3000, JSON.stringify(cost.ranges));
  const total = predictedRangeRays(profile, { begin: 0, end: 4000 }, opts);
  assert.ok(Math.abs(cost.predictedRays.reduce((s, x) => s + x, 0) - total) < 1e-6 * total);
  assert.is(total, 3000 + 100_000);
  assert.throws(() => planBakeSplit(profile, 0), /^planBakeSplit: tasks must be a positive integer/);
  assert.throws(
    () => planBakeSplit({ ...profile, rays: rays.subarray(1) }, 2),
    /^planBakeSplit: a cost profile of 4000 covered texels every 4-th needs 1000 samples/,
  );
});

test('on a real scene lit through its openings, equal-cost ranges are more equal in predicted and in actual rays than equal-size ones', async () => {
  // The shared living room under a sky: texels by the openings converge at minSamples with short paths, the back
  // of the room takes every sample with long ones.
  const { scene: room } = await importGltf(join(sharedScenesDir, 'godot_living_room', 'living_room.glb'));
  const bake = await prepareBake(room, {
    texelsPerMeter: 6,
    samples: 128,
    bounces: 3,
    backend: 'cpu',
    sky: { type: 'gradient', zenith: [0.22, 0.34, 0.62], horizon: [0.62, 0.68, 0.74], ground: [0.16, 0.14, 0.12] },
  });
  const cost = await estimateBakeCost(bake, { sampleTexels: 2048 });
  // The actual rays of every texel, from a whole bake.
  const whole = await traceBake(bake, { guides: false, rays: true });
  const actual = new Float64Array(cost.covered);
  let o = 0;
  whole.pages.valid.forEach((v, pg) => {
    for (let i = 0; i < v.length; i++) if (v[i]) actual[o++] = whole.pages.rays[pg][i] + 8;
  });
  assert.is(o, cost.covered);
  assert.is(
    actual.reduce((s, x) => s + x - 8, 0),
    whole.stats.rays,
    'the rays per texel add up to the rays of the bake',
  );
  const sorted = [...actual].sort((a, b) => a - b);
  const p95 = sorted[Math.floor(0.95 * (o - 1))],
    p5 = sorted[Math.floor(0.05 * (o - 1))];
  assert.ok(p95 / p5 >= 4, `per-texel cost varies ${p95} / ${p5}`);
  const actualOf = (ranges: { begin: number; end: number }[]) =>
    ranges.map((r) => actual.subarray(r.begin, r.end).reduce((s, x) => s + x, 0));
  for (const n of [2, 4]) {
    const c = planBakeSplit(cost, n),
      s = equalSizeSplit(cost, n);
    const pc = maxOverMean(c.predictedRays),
      ps = maxOverMean(s.predictedRays),
      ac = maxOverMean(actualOf(c.ranges)),
      as = maxOverMean(actualOf(s.ranges));
    const say = `${n} tasks: predicted ${pc.toFixed(3)} vs ${ps.toFixed(3)}, actual ${ac.toFixed(3)} vs ${as.toFixed(3)}`;
    assert.ok(pc < 1.01 && pc < ps, say);
    assert.ok(ac < 1.1 && ac < as && as > 1.15, say);
  }
});

test.run();
