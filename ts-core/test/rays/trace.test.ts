import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as THREE from 'three';
import { MeshBVH, SAH } from 'three-mesh-bvh';
import { GENERATORS } from '../../../examples/generators/index.js';
import { NO_HIT, SceneBvh } from '../../src/native/rays.js';
import { addMesh, addNode } from '../../src/scene/build.js';
import { flattenScene, type FlatScene } from '../../src/scene/flatten.js';
import { transformPoint } from '../../src/scene/transform.js';
import { createScene, type Scene } from '../../src/scene/types.js';
import { Rng } from '../../src/util/rng.js';
import { repoRoot } from '../helpers.js';

/** uvu has no async throws(): await the promise and match its rejection message. */
async function rejects(f: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await f();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}

/** A unit quad in the z=0 plane facing +z (two counter-clockwise triangles), drawn by one node per translation. */
function quads(translations: [number, number, number][]): Scene {
  const s = createScene('quads');
  const mesh = addMesh(s, 'quad', [{
    positions: Float32Array.of(-0.5, -0.5, 0, 0.5, -0.5, 0, 0.5, 0.5, 0, -0.5, 0.5, 0),
    indices: Uint32Array.of(0, 1, 2, 0, 2, 3), material: -1,
  }]);
  for (const t of translations) addNode(s, { mesh, translation: t });
  return s;
}

test('closest hit: t, triangle, instance, barycentrics, normal; misses carry NO_HIT', async () => {
  const bvh = await SceneBvh.build(flattenScene(quads([[0, 0, 0], [0, 0, -2]])));
  assert.is(bvh.stats.triangles, 2);
  assert.is(bvh.stats.instancedTriangles, 4);
  const o = Float32Array.of(0.25, -0.25, 3, 0.25, -0.25, -1, 5, 5, 3);
  const d = Float32Array.of(0, 0, -1, 0, 0, -1, 0, 0, -1);
  const h = await bvh.traceRays(o, d, { normals: true, backend: 'cpu' });
  assert.is(h.prim[0], 0);
  assert.is(h.instance[0], 0);
  assert.ok(Math.abs(h.t[0] - 3) < 1e-6, `t ${h.t[0]}`);
  // p = (1-u-v) v0 + u v1 + v v2 with v0 (-.5,-.5), v1 (.5,-.5), v2 (.5,.5) → (0.25,-0.25): u = 0.5, v = 0.25
  assert.ok(Math.abs(h.barycentrics[0] - 0.5) < 1e-6 && Math.abs(h.barycentrics[1] - 0.25) < 1e-6, `bary ${h.barycentrics.slice(0, 2)}`);
  assert.equal(Array.from(h.normal!.slice(0, 3)), [0, 0, 1]);
  assert.is(h.instance[1], 1);
  assert.ok(Math.abs(h.t[1] - 1) < 1e-6);
  assert.is(h.prim[2], NO_HIT);
  assert.is(h.instance[2], NO_HIT);
  assert.is(h.t[2], Infinity);
  // The trace's own time (what bench:rays divides by on CUDA): measured, and within the call's wall time.
  const w0 = performance.now();
  const timed = await bvh.traceRays(o, d, { backend: 'cpu' });
  assert.ok(timed.traceMs > 0 && timed.traceMs <= performance.now() - w0, `traceMs ${timed.traceMs}`);
  bvh.dispose();
});

test('into: hits overwrite the given arrays (stale values included) and a wrong length is refused by name', async () => {
  const bvh = await SceneBvh.build(flattenScene(quads([[0, 0, 0], [0, 0, -2]])));
  const o = Float32Array.of(0.25, -0.25, 3, 5, 5, 3), d = Float32Array.of(0, 0, -1, 0, 0, -1);
  const fresh = await bvh.traceRays(o, d, { normals: true, backend: 'cpu' });
  const into = { t: new Float32Array(2).fill(-7), prim: new Uint32Array(2).fill(9), instance: new Uint32Array(2).fill(9),
    barycentrics: new Float32Array(4).fill(-7), normal: new Float32Array(6).fill(-7) };
  const reused = await bvh.traceRays(o, d, { normals: true, backend: 'cpu', into });
  for (const k of ['t', 'prim', 'instance', 'barycentrics', 'normal'] as const) {
    assert.ok(reused[k] === into[k], `${k} is the given array`);
    assert.equal(Array.from(reused[k]!), Array.from(fresh[k]!), k);
  }
  const occluded = Uint8Array.of(7, 7);
  const occ = await bvh.traceRays(o, d, { anyHit: true, backend: 'cpu', into: { occluded } });
  assert.ok(occ.occluded === occluded);
  assert.equal(Array.from(occluded), [1, 0]);
  await rejects(() => bvh.traceRays(o, d, { backend: 'cpu', into: { prim: new Uint32Array(3) } }), /into\.prim must be a Uint32Array of length 2/);
  await rejects(() => bvh.traceRays(o, d, { backend: 'cpu', into: { t: new Float64Array(2) as unknown as Float32Array } }), /into\.t must be a Float32Array/);
  bvh.dispose();
});

test('any hit, t range, back-face culling and invalid rays', async () => {
  const bvh = await SceneBvh.build(flattenScene(quads([[0, 0, 0]])));
  const o = Float32Array.of(0, 0, 1, 0, 0, -1, 0, 0, 1, 0, 0, 1, 0, 0, 1);
  const d = Float32Array.of(0, 0, -1, 0, 0, 1, 0, 0, 0, NaN, 0, -1, 0, 0, -1);
  const any = await bvh.traceRays(o, d, { anyHit: true });
  assert.equal(Array.from(any.occluded), [1, 1, 0, 0, 1], 'zero and NaN directions must miss');
  const culled = await bvh.traceRays(o, d, { anyHit: true, backfaceCull: true });
  assert.equal(Array.from(culled.occluded), [1, 0, 0, 0, 1], 'the back of the quad is culled');
  const short = await bvh.traceRays(o, d, { tmax: 0.5 });
  assert.equal(Array.from(short.prim), [NO_HIT, NO_HIT, NO_HIT, NO_HIT, NO_HIT]);
  const perRay = await bvh.traceRays(o, d, { tminPerRay: Float32Array.of(0, 0, 0, 0, 1.5), tmaxPerRay: Float32Array.of(2, 2, 2, 2, 2) });
  assert.equal(Array.from(perRay.prim.slice(0, 2)).map((p) => p !== NO_HIT), [true, true]);
  assert.is(perRay.prim[4], NO_HIT, 'per-ray tmin beyond the quad');
  await rejects(() => bvh.traceRays(o, d.subarray(3)), /must be equal multiples of 3/);
  bvh.dispose();
  await rejects(() => bvh.traceRays(o, d), /after dispose/);
});

test('an empty scene and an all-degenerate scene build and miss everything; degenerate triangles are counted', async () => {
  const empty = await SceneBvh.build(flattenScene(createScene('empty')));
  const h = await empty.traceRays(Float32Array.of(0, 0, 0), Float32Array.of(0, 0, 1));
  assert.is(h.prim[0], NO_HIT);
  const s = createScene('degenerate');
  const mesh = addMesh(s, 'bad', [{
    positions: Float32Array.of(0, 0, 0, 1, 0, 0, 2, 0, 0, NaN, 1, 1, 0, 1, 0),
    indices: Uint32Array.of(0, 1, 2, 0, 3, 4, 0, 0, 4), material: -1,
  }]);
  addNode(s, { mesh });
  const bvh = await SceneBvh.build(flattenScene(s));
  assert.is(bvh.stats.degenerateTriangles, 3);
  assert.is(bvh.stats.triangles, 0);
  const r = await bvh.traceRays(Float32Array.of(0.5, 0.1, 1), Float32Array.of(0, 0, -1), { anyHit: true });
  assert.is(r.occluded[0], 0);
});

test('refit: moved instances are hit at their new place', async () => {
  const flat = flattenScene(quads([[0, 0, 0], [3, 0, 0]]));
  const bvh = await SceneBvh.build(flat);
  const moved = flat.instanceTransforms.slice();
  moved[12] += 10; // instance 0 moves to x = 10
  await bvh.refit(moved);
  const h = await bvh.traceRays(Float32Array.of(0, 0, 1, 10, 0, 1, 3, 0, 1), Float32Array.of(0, 0, -1, 0, 0, -1, 0, 0, -1));
  assert.equal(Array.from(h.instance), [NO_HIT, 0, 1]);
  await rejects(() => bvh.refit(moved.subarray(16)), /instanceTransforms has length 16, expected 32/);
});

/** All instances' triangles in world space, for a peer BVH. */
function worldSoup(flat: FlatScene): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < flat.instanceMesh.length; i++) {
    const m = flat.instanceTransforms.subarray(16 * i, 16 * i + 16), mesh = flat.instanceMesh[i];
    for (let t = flat.meshFirstTriangle[mesh]; t < flat.meshFirstTriangle[mesh + 1]; t++)
      for (let k = 0; k < 3; k++) {
        const v = flat.indices[3 * t + k];
        out.push(...transformPoint(m, flat.positions[3 * v], flat.positions[3 * v + 1], flat.positions[3 * v + 2]));
      }
  }
  return Float32Array.from(out);
}

test('agrees with three-mesh-bvh on random rays through an instanced scene', async () => {
  const scene = GENERATORS.atrium(1);
  const flat = flattenScene(scene);
  const bvh = await SceneBvh.build(flat);
  const geom = new THREE.BufferGeometry();
  geom.setAttribute('position', new THREE.BufferAttribute(worldSoup(flat), 3));
  const peer = new MeshBVH(geom, { strategy: SAH });
  const rng = new Rng(11);
  const n = 4000;
  const o = new Float32Array(3 * n), d = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    // Origins inside the atrium's volume, unit directions uniformly on the sphere.
    o.set([rng.range(-8, 8), rng.range(0.2, 6), rng.range(-8, 8)], 3 * i);
    const z = rng.range(-1, 1), phi = rng.range(0, 2 * Math.PI), r = Math.sqrt(1 - z * z);
    d.set([r * Math.cos(phi), r * Math.sin(phi), z], 3 * i);
  }
  const h = await bvh.traceRays(o, d);
  const ray = new THREE.Ray();
  let hits = 0, bad = 0;
  for (let i = 0; i < n; i++) {
    ray.origin.set(o[3 * i], o[3 * i + 1], o[3 * i + 2]);
    ray.direction.set(d[3 * i], d[3 * i + 1], d[3 * i + 2]);
    const p = peer.raycastFirst(ray, THREE.DoubleSide);
    const mine = h.prim[i] !== NO_HIT;
    if (mine) hits++;
    if (mine !== !!p || (p && Math.abs(p.distance - h.t[i]) > 1e-3 * Math.max(1, p.distance))) bad++;
  }
  assert.ok(hits > n / 2, `only ${hits} hits`);
  // Möller-Trumbore (three) and the watertight test may disagree on rays grazing an edge; allow a handful.
  assert.ok(bad <= 2, `${bad} of ${n} rays disagree with three-mesh-bvh`);
});

test('one instance with a rotation, scale and translation (the walk that skips the TLAS) hits where the world copy does', async () => {
  // A single node: the traversal goes straight to its BLAS through world_to_object.
  const scene = createScene('one');
  const src = GENERATORS.hero(1);
  const mesh = addMesh(scene, 'm', src.meshes[0].primitives.map((p) => ({ positions: p.positions, indices: p.indices, material: -1 })));
  const h2 = Math.SQRT1_2;
  addNode(scene, { mesh, translation: [1, 2, -3], rotation: [0, h2, 0, h2], scale: [2, 0.5, 1.5] });
  const flat = flattenScene(scene);
  assert.is(flat.instanceMesh.length, 1);
  const bvh = await SceneBvh.build(flat);
  const geom = new THREE.BufferGeometry();
  geom.setAttribute('position', new THREE.BufferAttribute(worldSoup(flat), 3));
  const peer = new MeshBVH(geom, { strategy: SAH });
  geom.computeBoundingBox();
  const box = geom.boundingBox!, c = box.getCenter(new THREE.Vector3()), size = box.getSize(new THREE.Vector3()).length();
  const rng = new Rng(5);
  const n = 2000;
  const o = new Float32Array(3 * n), d = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    // From a sphere around the mesh towards random points of its box: most rays hit, some graze or miss.
    const z = rng.range(-1, 1), phi = rng.range(0, 2 * Math.PI), r = Math.sqrt(1 - z * z);
    const org = [c.x + size * r * Math.cos(phi), c.y + size * r * Math.sin(phi), c.z + size * z];
    const to = [rng.range(box.min.x, box.max.x), rng.range(box.min.y, box.max.y), rng.range(box.min.z, box.max.z)];
    o.set(org, 3 * i);
    d.set([to[0] - org[0], to[1] - org[1], to[2] - org[2]], 3 * i);
  }
  const h = await bvh.traceRays(o, d, { backend: 'cpu' });
  const occ = await bvh.traceRays(o, d, { backend: 'cpu', anyHit: true });
  const ray = new THREE.Ray();
  let hits = 0, bad = 0;
  for (let i = 0; i < n; i++) {
    const dir = new THREE.Vector3(d[3 * i], d[3 * i + 1], d[3 * i + 2]);
    const len = dir.length();
    ray.origin.set(o[3 * i], o[3 * i + 1], o[3 * i + 2]);
    ray.direction.copy(dir.multiplyScalar(1 / len));
    const p = peer.raycastFirst(ray, THREE.DoubleSide);
    const mine = h.prim[i] !== NO_HIT;
    if (mine) hits++;
    assert.is(occ.occluded[i] === 1, mine, `ray ${i}: any hit and closest hit disagree`);
    // t is in units of the unnormalised direction.
    if (mine !== !!p || (p && Math.abs(p.distance - h.t[i] * len) > 1e-3 * Math.max(1, p.distance))) bad++;
    if (mine) assert.is(h.instance[i], 0);
  }
  assert.ok(hits > n / 4, `only ${hits} hits`);
  assert.ok(bad <= 2, `${bad} of ${n} rays disagree with three-mesh-bvh`);
  bvh.dispose();
});

test('the AVX2 loops and the baseline loops (OTE_NO_AVX2=1) return the same hits on an instanced scene', () => {
  // Each run in its own process: the addon picks its loops once. The atrium's 66 instances carry transforms, so
  // both levels and the per-instance ray transform are exercised.
  const script = `
    import { GENERATORS } from ${JSON.stringify(join(repoRoot, 'dist/examples/generators/index.js'))};
    import { SceneBvh } from ${JSON.stringify(join(repoRoot, 'dist/ts-core/src/native/rays.js'))};
    import { flattenScene } from ${JSON.stringify(join(repoRoot, 'dist/ts-core/src/scene/flatten.js'))};
    import { Rng } from ${JSON.stringify(join(repoRoot, 'dist/ts-core/src/util/rng.js'))};
    const bvh = await SceneBvh.build(flattenScene(GENERATORS.atrium(1)));
    const rng = new Rng(17), n = 20000, o = new Float32Array(3 * n), d = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      o.set([rng.range(-8, 8), rng.range(0.2, 6), rng.range(-8, 8)], 3 * i);
      d.set([rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)], 3 * i);
    }
    const h = await bvh.traceRays(o, d, { backend: 'cpu' });
    const a = await bvh.traceRays(o, d, { backend: 'cpu', anyHit: true });
    process.stdout.write(JSON.stringify({ prim: Array.from(h.prim), t: Array.from(h.t), occ: Array.from(a.occluded) }));`;
  const run = (noAvx2: boolean) => {
    const env = { ...process.env };
    if (noAvx2) env.OTE_NO_AVX2 = '1';
    else delete env.OTE_NO_AVX2;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env, timeout: 120_000, maxBuffer: 64 << 20 });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { prim: number[]; t: number[]; occ: number[] };
  };
  const base = run(true), fast = run(false);
  let hits = 0, differ = 0;
  for (let i = 0; i < base.prim.length; i++) {
    if (base.prim[i] !== NO_HIT) hits++;
    // The AVX2 file may fuse the instance transform's multiply-adds: a ray through a shared edge may then pick the
    // neighbouring triangle, at the same distance.
    if (base.prim[i] !== fast.prim[i] || base.occ[i] !== fast.occ[i]) differ++;
    else if (Math.abs(base.t[i] - fast.t[i]) > 1e-5 * Math.max(1, Math.abs(base.t[i]))) differ++;
  }
  assert.ok(hits > base.prim.length / 2, `only ${hits} hits`);
  assert.ok(differ <= 2, `${differ} of ${base.prim.length} rays differ between the two loops`);
});

test('native core tests (build/test_bvh: brute force at every leaf size, watertightness on a closed mesh, bad input, refit)', () => {
  // test_bvh runs the SSE walk of the CPU; test_bvh_scalar the same checks on the scalar walk the CUDA kernels run.
  for (const name of ['test_bvh', 'test_bvh_scalar']) {
    const exe = join(repoRoot, 'build', name);
    assert.ok(existsSync(exe), `${exe} missing: run npm run build:native`);
    const r = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, `${name}: ${r.stderr}${r.stdout}`);
  }
});

test.run();
