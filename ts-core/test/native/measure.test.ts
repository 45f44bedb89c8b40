/**
 * The first native kernel: world-space triangle measures on the CPU path, with progress and cancellation.
 *
 * test-runner: alone (the cancel must take effect within a wall-clock bound; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cornellBox } from '../../../examples/generators/cornell.js';
import { foliageField } from '../../../examples/generators/foliage.js';
import { OteError } from '../../src/errors.js';
import { nativeInfo } from '../../src/native/addon.js';
import { measureTriangles } from '../../src/native/measure.js';
import { addMesh, addNode } from '../../src/scene/build.js';
import { flattenScene } from '../../src/scene/flatten.js';
import { createScene } from '../../src/scene/types.js';
import { repoRoot } from '../helpers.js';

test('info reports the build', () => {
  const info = nativeInfo();
  assert.type(info.cudaCompiled, 'boolean');
  assert.ok(info.threads >= 1);
  assert.ok(info.backend === 'cpu' || info.devices.length > 0, 'cuda backend needs a device');
  if (!info.devices.length) assert.type(info.cudaUnavailableReason, 'string');
});

test('Cornell box: analytic surface area and bounds', async () => {
  const r = await measureTriangles(flattenScene(cornellBox()), { backend: 'cpu' });
  // 5 walls of 4 m², blocks 0.6×1.2×0.6 (3.6 m²) and 0.6³ (2.16 m²), lamp 0.25 m².
  assert.ok(Math.abs(r.totalArea - 26.01) < 1e-5, `area ${r.totalArea}`);
  assert.equal(Array.from(r.sceneBounds), [-1, 0, -1, 1, 2, 1]);
  assert.is(r.degenerateCount, 0);
  assert.is(r.backend, 'cpu');
});

test("instanced foliage: area scales with each copy's scale squared", async () => {
  const scene = foliageField({ scale: 0.2 });
  const flat = flattenScene(scene);
  const r = await measureTriangles(flat, { backend: 'cpu', perTriangle: true });
  const plant = scene.nodes.find((n) => n.instances)!;
  const inst = plant.instances!;
  const first = flat.instanceNode.indexOf(scene.nodes.indexOf(plant));
  const base = r.instanceArea[first] / inst.scale[0] ** 2;
  for (let c = 1; c < 200; c++) {
    const expected = base * inst.scale[3 * c] ** 2;
    assert.ok(Math.abs(r.instanceArea[first + c] - expected) < 1e-4 * expected, `copy ${c}`);
  }
  assert.is(r.triangleArea!.length, flat.instancedTriangleCount);
  const sum = r.triangleArea!.reduce((s, a) => s + a, 0);
  assert.ok(Math.abs(sum - r.totalArea) < 1e-3 * r.totalArea);
  // every normal is unit length
  for (let i = 0; i < 3000; i += 3)
    assert.ok(
      Math.abs(Math.hypot(r.triangleNormal![i], r.triangleNormal![i + 1], r.triangleNormal![i + 2]) - 1) < 1e-5,
    );
});

test('degenerate and NaN triangles are counted and skipped', async () => {
  const scene = createScene('degenerate');
  const positions = Float32Array.from([
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    /* collinear */ 2,
    0,
    0,
    3,
    0,
    0,
    /* NaN */ NaN,
    0,
    0,
  ]);
  const indices = Uint32Array.from([0, 1, 2, 0, 3, 4, 0, 0, 1, 0, 1, 5]);
  addNode(scene, { mesh: addMesh(scene, 'm', [{ positions, indices, material: -1 }]) });
  const r = await measureTriangles(flattenScene(scene), { backend: 'cpu', perTriangle: true });
  assert.is(r.degenerateCount, 3);
  assert.ok(Math.abs(r.totalArea - 0.5) < 1e-7);
  assert.equal(Array.from(r.triangleArea!), [0.5, 0, 0, 0]);
  assert.equal(Array.from(r.sceneBounds), [0, 0, 0, 1, 1, 0], 'NaN corners do not widen the bounds');
});

test('an empty scene measures to nothing', async () => {
  const r = await measureTriangles(flattenScene(createScene('empty')), { backend: 'cpu' });
  assert.is(r.totalArea, 0);
  assert.is(r.sceneBounds[0], Infinity);
});

test('progress reaches 1 and only grows', async () => {
  const seen: number[] = [];
  await measureTriangles(flattenScene(foliageField({ scale: 2 })), { backend: 'cpu', onProgress: (f) => seen.push(f) });
  assert.ok(seen.length >= 1);
  assert.is(seen[seen.length - 1], 1);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1]);
});

test('cancellation stops a running job with CANCELLED and the event loop stays free', async () => {
  const flat = flattenScene(foliageField({ scale: 40 })); // 5.1M drawn triangles
  const controller = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  setTimeout(() => controller.abort(), 5);
  const t0 = Date.now();
  try {
    await measureTriangles(flat, { backend: 'cpu', signal: controller.signal, perTriangle: true });
    assert.unreachable('not cancelled');
  } catch (e) {
    assert.instance(e, OteError);
    assert.is((e as OteError).code, 'CANCELLED');
  } finally {
    clearInterval(timer);
  }
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(ticks > 0, 'timers ran while the native job worked');
});

test('bad arguments name the field', async () => {
  const flat = flattenScene(cornellBox());
  const bad = { ...flat, indices: new Float32Array(3) };
  const message = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
  assert.match(await message(measureTriangles(bad as never)), /measureTriangles: scene\.indices must be a Uint32Array/);
  const wrongMesh = { ...flat, instanceMesh: Uint32Array.from([99, 0, 0, 0]) };
  assert.match(await message(measureTriangles(wrongMesh as never)), /scene\.instanceMesh\[0\] is out of range/);
});

test('results do not depend on the thread count', () => {
  const script = `
    const { foliageField } = await import('${repoRoot}/dist/examples/generators/foliage.js');
    const { flattenScene } = await import('${repoRoot}/dist/ts-core/src/scene/flatten.js');
    const { measureTriangles } = await import('${repoRoot}/dist/ts-core/src/native/measure.js');
    const r = await measureTriangles(flattenScene(foliageField({ scale: 3 })), { backend: 'cpu' });
    console.log(JSON.stringify([r.totalArea, Array.from(r.instanceArea.slice(0, 50))]));`;
  const run = (threads: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, OTE_THREADS: threads },
      encoding: 'utf8',
    }).stdout;
  const one = run('1'),
    two = run('2');
  assert.ok(one.length > 10, one);
  assert.is(one, two);
});

test.run();
