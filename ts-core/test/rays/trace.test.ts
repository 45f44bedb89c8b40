import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as THREE from 'three';
import { MeshBVH, SAH } from 'three-mesh-bvh';
import { GENERATORS } from '../../../examples/generators/index.js';
import { NO_HIT, SceneBvh, type ClosestHits } from '../../src/native/rays.js';
import { addMesh, addNode } from '../../src/scene/build.js';
import { flattenScene, type FlatScene } from '../../src/scene/flatten.js';
import { transformPoint } from '../../src/scene/transform.js';
import { createScene, type Scene } from '../../src/scene/types.js';
import { Rng } from '../../src/util/rng.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { repoRoot, sharedScenes } from '../helpers.js';

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
  const mesh = addMesh(s, 'quad', [
    {
      positions: Float32Array.of(-0.5, -0.5, 0, 0.5, -0.5, 0, 0.5, 0.5, 0, -0.5, 0.5, 0),
      indices: Uint32Array.of(0, 1, 2, 0, 2, 3),
      material: -1,
    },
  ]);
  for (const t of translations) addNode(s, { mesh, translation: t });
  return s;
}

test('closest hit: t, triangle, instance, barycentrics, normal; misses carry NO_HIT', async () => {
  const bvh = await SceneBvh.build(
    flattenScene(
      quads([
        [0, 0, 0],
        [0, 0, -2],
      ]),
    ),
  );
  assert.is(bvh.stats.triangles, 2);
  assert.is(bvh.stats.instancedTriangles, 4);
  const o = Float32Array.of(0.25, -0.25, 3, 0.25, -0.25, -1, 5, 5, 3);
  const d = Float32Array.of(0, 0, -1, 0, 0, -1, 0, 0, -1);
  const h = await bvh.traceRays(o, d, { normals: true, backend: 'cpu' });
  assert.is(h.prim[0], 0);
  assert.is(h.instance[0], 0);
  assert.ok(Math.abs(h.t[0] - 3) < 1e-6, `t ${h.t[0]}`);
  // p = (1-u-v) v0 + u v1 + v v2 with v0 (-.5,-.5), v1 (.5,-.5), v2 (.5,.5) → (0.25,-0.25): u = 0.5, v = 0.25
  assert.ok(
    Math.abs(h.barycentrics[0] - 0.5) < 1e-6 && Math.abs(h.barycentrics[1] - 0.25) < 1e-6,
    `bary ${h.barycentrics.slice(0, 2)}`,
  );
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
  const bvh = await SceneBvh.build(
    flattenScene(
      quads([
        [0, 0, 0],
        [0, 0, -2],
      ]),
    ),
  );
  const o = Float32Array.of(0.25, -0.25, 3, 5, 5, 3),
    d = Float32Array.of(0, 0, -1, 0, 0, -1);
  const fresh = await bvh.traceRays(o, d, { normals: true, backend: 'cpu' });
  const into = {
    t: new Float32Array(2).fill(-7),
    prim: new Uint32Array(2).fill(9),
    instance: new Uint32Array(2).fill(9),
    barycentrics: new Float32Array(4).fill(-7),
    normal: new Float32Array(6).fill(-7),
  };
  const reused = await bvh.traceRays(o, d, { normals: true, backend: 'cpu', into });
  for (const k of ['t', 'prim', 'instance', 'barycentrics', 'normal'] as const) {
    assert.ok(reused[k] === into[k], `${k} is the given array`);
    assert.equal(Array.from(reused[k]!), Array.from(fresh[k]!), k);
  }
  const occluded = Uint8Array.of(7, 7);
  const occ = await bvh.traceRays(o, d, { anyHit: true, backend: 'cpu', into: { occluded } });
  assert.ok(occ.occluded === occluded);
  assert.equal(Array.from(occluded), [1, 0]);
  await rejects(
    () => bvh.traceRays(o, d, { backend: 'cpu', into: { prim: new Uint32Array(3) } }),
    /into\.prim must be a Uint32Array of length 2/,
  );
  await rejects(
    () => bvh.traceRays(o, d, { backend: 'cpu', into: { t: new Float64Array(2) as unknown as Float32Array } }),
    /into\.t must be a Float32Array/,
  );
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
  const perRay = await bvh.traceRays(o, d, {
    tminPerRay: Float32Array.of(0, 0, 0, 0, 1.5),
    tmaxPerRay: Float32Array.of(2, 2, 2, 2, 2),
  });
  assert.equal(
    Array.from(perRay.prim.slice(0, 2)).map((p) => p !== NO_HIT),
    [true, true],
  );
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
  const mesh = addMesh(s, 'bad', [
    {
      positions: Float32Array.of(0, 0, 0, 1, 0, 0, 2, 0, 0, NaN, 1, 1, 0, 1, 0),
      indices: Uint32Array.of(0, 1, 2, 0, 3, 4, 0, 0, 4),
      material: -1,
    },
  ]);
  addNode(s, { mesh });
  const bvh = await SceneBvh.build(flattenScene(s));
  assert.is(bvh.stats.degenerateTriangles, 3);
  assert.is(bvh.stats.triangles, 0);
  const r = await bvh.traceRays(Float32Array.of(0.5, 0.1, 1), Float32Array.of(0, 0, -1), { anyHit: true });
  assert.is(r.occluded[0], 0);
});

test('refit: moved instances are hit at their new place', async () => {
  const flat = flattenScene(
    quads([
      [0, 0, 0],
      [3, 0, 0],
    ]),
  );
  const bvh = await SceneBvh.build(flat);
  const moved = flat.instanceTransforms.slice();
  moved[12] += 10; // instance 0 moves to x = 10
  await bvh.refit(moved);
  const h = await bvh.traceRays(
    Float32Array.of(0, 0, 1, 10, 0, 1, 3, 0, 1),
    Float32Array.of(0, 0, -1, 0, 0, -1, 0, 0, -1),
  );
  assert.equal(Array.from(h.instance), [NO_HIT, 0, 1]);
  await rejects(() => bvh.refit(moved.subarray(16)), /instanceTransforms has length 16, expected 32/);
});

/** World-space point that hit i's barycentrics name on its triangle, as drawn by its instance. */
function hitPoint(flat: FlatScene, h: ClosestHits, i: number): [number, number, number] {
  const m = flat.instanceTransforms.subarray(16 * h.instance[i], 16 * h.instance[i] + 16);
  const u = h.barycentrics[2 * i],
    v = h.barycentrics[2 * i + 1],
    w = [1 - u - v, u, v];
  const p: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const c = flat.indices[3 * h.prim[i] + k];
    const q = transformPoint(m, flat.positions[3 * c], flat.positions[3 * c + 1], flat.positions[3 * c + 2]);
    for (let a = 0; a < 3; a++) p[a] += w[k] * q[a];
  }
  return p;
}

/** All instances' triangles in world space, for a peer BVH. */
function worldSoup(flat: FlatScene): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < flat.instanceMesh.length; i++) {
    const m = flat.instanceTransforms.subarray(16 * i, 16 * i + 16),
      mesh = flat.instanceMesh[i];
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
  const o = new Float32Array(3 * n),
    d = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    // Origins inside the atrium's volume, unit directions uniformly on the sphere.
    o.set([rng.range(-8, 8), rng.range(0.2, 6), rng.range(-8, 8)], 3 * i);
    const z = rng.range(-1, 1),
      phi = rng.range(0, 2 * Math.PI),
      r = Math.sqrt(1 - z * z);
    d.set([r * Math.cos(phi), r * Math.sin(phi), z], 3 * i);
  }
  const h = await bvh.traceRays(o, d);
  const ray = new THREE.Ray();
  let hits = 0,
    bad = 0;
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

for (const mergeIntoWorld of [true, false])
  test(`one instance with a rotation, scale and translation hits where the world copy does (${mergeIntoWorld ? 'built in world space' : 'object space under its matrix'})`, async () => {
    // A single node: the traversal goes straight to its BLAS, the world BLAS or the mesh's own under world_to_object.
    const scene = createScene('one');
    const src = GENERATORS.hero(1);
    const mesh = addMesh(
      scene,
      'm',
      src.meshes[0].primitives.map((p) => ({ positions: p.positions, indices: p.indices, material: -1 })),
    );
    const h2 = Math.SQRT1_2;
    addNode(scene, { mesh, translation: [1, 2, -3], rotation: [0, h2, 0, h2], scale: [2, 0.5, 1.5] });
    const flat = flattenScene(scene);
    assert.is(flat.instanceMesh.length, 1);
    const bvh = await SceneBvh.build(flat, { mergeIntoWorld });
    assert.is(bvh.stats.mergedInstances, mergeIntoWorld ? 1 : 0);
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(worldSoup(flat), 3));
    const peer = new MeshBVH(geom, { strategy: SAH });
    geom.computeBoundingBox();
    const box = geom.boundingBox!,
      c = box.getCenter(new THREE.Vector3()),
      size = box.getSize(new THREE.Vector3()).length();
    const rng = new Rng(5);
    const n = 2000;
    const o = new Float32Array(3 * n),
      d = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      // From a sphere around the mesh towards random points of its box: most rays hit, some graze or miss.
      const z = rng.range(-1, 1),
        phi = rng.range(0, 2 * Math.PI),
        r = Math.sqrt(1 - z * z);
      const org = [c.x + size * r * Math.cos(phi), c.y + size * r * Math.sin(phi), c.z + size * z];
      const to = [rng.range(box.min.x, box.max.x), rng.range(box.min.y, box.max.y), rng.range(box.min.z, box.max.z)];
      o.set(org, 3 * i);
      d.set([to[0] - org[0], to[1] - org[1], to[2] - org[2]], 3 * i);
    }
    const h = await bvh.traceRays(o, d, { backend: 'cpu' });
    const occ = await bvh.traceRays(o, d, { backend: 'cpu', anyHit: true });
    const ray = new THREE.Ray();
    let hits = 0,
      bad = 0;
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

test('cylinder_engine_2: the world BVH (meshes drawn once, and copies of shared ones) returns the hits of per-mesh BVHs', async () => {
  // An externally authored scene with both kinds of mesh: 29 meshes, 14 of them drawn by several of its 67 nodes.
  const entry = sharedScenes().find((e) => e.name === 'cylinder_engine_2');
  assert.ok(entry, 'cylinder_engine_2 missing from ../shared/scenes');
  const flat = flattenScene((await importGltf(entry!.path)).scene);
  const separate = await SceneBvh.build(flat, { mergeIntoWorld: false });
  const once = await SceneBvh.build(flat, { copyBudget: 0 });
  const world = await SceneBvh.build(flat);
  const stored = flat.indices.length / 3;
  assert.is(separate.stats.mergedInstances, 0);
  assert.ok(
    once.stats.mergedInstances > 0 &&
      once.stats.mergedInstances < flat.instanceMesh.length &&
      once.stats.copiedTriangles === 0,
    `copyBudget 0: ${once.stats.mergedInstances} merged, ${once.stats.copiedTriangles} copied`,
  );
  assert.is(world.stats.mergedInstances, flat.instanceMesh.length);
  assert.ok(
    world.stats.copiedTriangles > 0 && world.stats.copiedTriangles <= stored,
    `copied ${world.stats.copiedTriangles} of ${stored}`,
  );
  for (const b of [once, world]) {
    assert.is(b.stats.instancedTriangles, separate.stats.instancedTriangles);
    assert.is(b.stats.triangles, separate.stats.triangles);
  }
  // Rays from a sphere around the scene through random points of its bounds.
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  const soup = worldSoup(flat);
  for (let k = 0; k < soup.length; k++) {
    lo[k % 3] = Math.min(lo[k % 3], soup[k]);
    hi[k % 3] = Math.max(hi[k % 3], soup[k]);
  }
  const rng = new Rng(9);
  const n = 20000,
    radius = Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]);
  const o = new Float32Array(3 * n),
    d = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const z = rng.range(-1, 1),
      phi = rng.range(0, 2 * Math.PI),
      r = Math.sqrt(1 - z * z);
    for (let a = 0; a < 3; a++) {
      const c = (lo[a] + hi[a]) / 2,
        u = [r * Math.cos(phi), r * Math.sin(phi), z][a];
      o[3 * i + a] = c + radius * u;
      d[3 * i + a] = rng.range(lo[a], hi[a]) - o[3 * i + a];
    }
  }
  const ref = await separate.traceRays(o, d, { backend: 'cpu', backfaceCull: true, normals: true });
  let hits = 0;
  for (let i = 0; i < n; i++) hits += ref.prim[i] !== NO_HIT ? 1 : 0;
  assert.ok(hits > n / 3, `only ${hits} of ${n} rays hit`);
  for (const [name, b] of [
    ['copyBudget 0', once],
    ['default', world],
  ] as const) {
    const h = await b.traceRays(o, d, { backend: 'cpu', backfaceCull: true, normals: true });
    let differ = 0,
      coincident = 0;
    for (let i = 0; i < n; i++) {
      if ((h.prim[i] === NO_HIT) !== (ref.prim[i] === NO_HIT)) {
        differ++;
        continue;
      }
      if (ref.prim[i] === NO_HIT) continue;
      const tOk = Math.abs(h.t[i] - ref.t[i]) <= 1e-5 * Math.max(1, ref.t[i]);
      if (h.prim[i] !== ref.prim[i] || h.instance[i] !== ref.instance[i]) {
        // The same distance on another triangle: coincident surfaces (the engine has overlapping duplicate faces),
        // where the tie goes either way once corners are rounded in world space.
        if (tOk) coincident++;
        else differ++;
        continue;
      }
      const dot =
        h.normal![3 * i] * ref.normal![3 * i] +
        h.normal![3 * i + 1] * ref.normal![3 * i + 1] +
        h.normal![3 * i + 2] * ref.normal![3 * i + 2];
      // Barycentrics must name the same point: on small triangles far from the ray origin they carry the rounding
      // of the ray's distance, so compare the points they give, to 1e-5 of that distance.
      const reach = ref.t[i] * Math.hypot(d[3 * i], d[3 * i + 1], d[3 * i + 2]);
      const p = hitPoint(flat, h, i),
        q = hitPoint(flat, ref, i);
      const gap = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
      if (!tOk || gap > 1e-5 * reach || dot < 0.9999) differ++;
    }
    assert.is(differ, 0, `${name}: ${differ} of ${n} rays differ from per-mesh BVHs`);
    assert.ok(coincident <= n / 500, `${name}: ${coincident} of ${n} rays took another triangle at the same distance`);
  }
  await rejects(() => SceneBvh.build(flat, { copyBudget: -1 }), /options\.copyBudget must be a number >= 0/);
  for (const b of [separate, once, world]) b.dispose();
});

test('the AVX2 loops and the baseline loops (OTE_SIMD=0) return the same hits on an instanced scene', () => {
  // Each run in its own process, with or without OTE_SIMD=0 (ote/cpu_simd.h). The atrium's 66 instances carry transforms, so
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
    if (noAvx2) env.OTE_SIMD = '0';
    else delete env.OTE_SIMD;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env,
      timeout: 120_000,
      maxBuffer: 64 << 20,
    });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { prim: number[]; t: number[]; occ: number[] };
  };
  const base = run(true),
    fast = run(false);
  let hits = 0,
    differ = 0;
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
