import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeScenePackage, encodeScenePackage } from '../../src/farm/scene-package.js';
import { importGltf } from '../../src/io/gltf-read.js';
import {
  type PathtraceRequest,
  renderBands,
  renderPathtraced,
  renderPathtracedBatch,
} from '../../src/render/pathtrace.js';
import { estimatePathtraceCost, joinPathtraceBands, planPathtraceSplit } from '../../src/render/pathtrace-split.js';
import { planSceneViews } from '../../src/render/views.js';
import { sceneBounds } from '../../src/scene/bounds.js';
import type { Scene } from '../../src/scene/types.js';
import { lookAt, type View } from '../../src/scene/view.js';
import { sharedScenesDir } from '../helpers.js';

// The shared Cornell box (../shared/scenes, SOURCES.md), seen from inside (every row covered) and from far outside
// (the box fills the middle rows: the top and bottom rows see nothing and cost a ray each).
let cornell: { scene: Scene; inside: View; outside: View } | undefined;
async function fixture() {
  if (cornell) return cornell;
  const { scene } = await importGltf(join(sharedScenesDir, 'cornell_box', 'CornellBox-Original.glb'));
  const inside = (await planSceneViews(scene, { count: 1, width: 96 })).views[0];
  const b = sceneBounds(scene);
  const c: [number, number, number] = [0, 1, 2].map((i) => (b.min[i] + b.max[i]) / 2) as [number, number, number];
  const outside: View = {
    cameraToWorld: lookAt([c[0], c[1], c[2] + 4 * (b.max[1] - b.min[1])], c),
    yfov: 0.6,
    width: 64,
    height: 80,
    znear: 0.01,
    zfar: 1000,
  };
  cornell = { scene, inside, outside };
  return cornell;
}

const COMMON = { bounces: 2 };

test('bands rendered apart, from the scene as a farm task receives it, join into the whole images bit for bit', async () => {
  const { scene, inside, outside } = await fixture();
  const requests: PathtraceRequest[] = [
    { view: inside, spp: 4, seed: 7 },
    { view: inside, spp: 4, seed: 8 },
    { view: outside, spp: 2, seed: 3 },
  ];
  const whole = await renderPathtracedBatch(scene, requests, COMMON);
  const cost = await estimatePathtraceCost(scene, requests, COMMON);
  const split = planPathtraceSplit(requests, cost, 5);
  assert.is(split.tasks.length, 5);
  // What a worker renders from: the scene through its package bytes (GLB), not the coordinator's object.
  const { scene: received } = await decodeScenePackage(0x1234, await encodeScenePackage(0x1234, {}, scene), 'test');
  const bands = split.tasks.flat();
  const parts = [];
  // Tasks in reverse order, as workers may finish them.
  for (const t of [...split.tasks].reverse()) parts.push(...(await renderBands(received, requests, t, COMMON)));
  const joined = joinPathtraceBands(requests, [...split.tasks].reverse().flat(), parts);
  for (const [i, img] of joined.entries()) {
    assert.is(img.width, whole[i].width);
    assert.is(img.height, whole[i].height);
    assert.ok(
      Buffer.from(img.data.buffer).equals(Buffer.from(whole[i].data.buffer)),
      `request ${i}: the joined image differs from the whole render`,
    );
  }
  assert.is(
    bands.reduce((s, b) => s + b.end - b.begin, 0),
    inside.height * 2 + outside.height,
  );
});

test('a band alone: its rows of the whole image and their rays; the native call refuses an empty band', async () => {
  const { scene, outside } = await fixture();
  const wholeRays = new Uint32Array(64 * 80),
    bandRays = new Uint32Array(64 * 11);
  const whole = await renderPathtraced(scene, outside, { spp: 2, seed: 5, bounces: 1, pixelRays: wholeRays });
  const band = await renderPathtraced(scene, outside, {
    spp: 2,
    seed: 5,
    bounces: 1,
    rows: { begin: 30, end: 41 },
    pixelRays: bandRays,
  });
  assert.is(band.height, 11);
  assert.equal(band.data, whole.data.subarray(4 * 64 * 30, 4 * 64 * 41));
  assert.equal(bandRays, wholeRays.subarray(64 * 30, 64 * 41));
  // A pixel that sees nothing traces its 2 camera rays; one that sees the box, its light paths besides.
  assert.is(wholeRays[0], 2);
  assert.ok(Math.max(...wholeRays) > 4, String(Math.max(...wholeRays)));
  try {
    await renderPathtraced(scene, outside, { spp: 1, rows: { begin: 20, end: 20 } });
    assert.unreachable('an empty band must be refused');
  } catch (e) {
    assert.match((e as Error).message, /rowBegin must be below/);
  }
});

test('equal-cost tasks: the rows that see nothing go to fewer, larger bands', async () => {
  const { scene, outside } = await fixture();
  const requests: PathtraceRequest[] = [{ view: outside, spp: 4, seed: 1 }];
  const cost = await estimatePathtraceCost(scene, requests, COMMON);
  const w = cost.rowWeights[0];
  // The box spans the middle rows: the first row sees only the background (one ray a sample), the middle one the
  // box (light paths).
  assert.ok(w[40] > 2 * w[0], `middle row ${w[40]} vs top row ${w[0]}`);
  assert.ok(cost.seconds[0] > 0);
  const { tasks, predictedSeconds } = planPathtraceSplit(requests, cost, 4);
  assert.is(tasks.length, 4);
  const rows = tasks.map((t) => t.reduce((s, b) => s + b.end - b.begin, 0));
  // The outer tasks hold the empty rows, so they take more rows than the inner ones for the same predicted cost.
  assert.ok(rows[0] > rows[1] && rows[3] > rows[2], `rows per task ${rows}`);
  const mean = predictedSeconds.reduce((a, b) => a + b, 0) / 4;
  assert.ok(Math.max(...predictedSeconds) / mean < 1.15, `predicted ${predictedSeconds}`);
});

test('a split that misses or repeats a row is refused', async () => {
  const { inside } = await fixture();
  const requests: PathtraceRequest[] = [{ view: inside, spp: 1, seed: 1 }];
  const band = (begin: number, end: number) => ({
    width: inside.width,
    height: end - begin,
    data: new Float32Array(4 * inside.width * (end - begin)),
  });
  assert.throws(
    () => joinPathtraceBands(requests, [{ request: 0, begin: 0, end: 10 }], [band(0, 10)]),
    /row 10 of request 0 rendered 0 times/,
  );
  assert.throws(
    () =>
      joinPathtraceBands(
        requests,
        [
          { request: 0, begin: 0, end: inside.height },
          { request: 0, begin: 5, end: 6 },
        ],
        [band(0, inside.height), band(5, 6)],
      ),
    /row 5 of request 0 rendered 2 times/,
  );
});

test.run();
