/**
 * Lightmap UVs: padding, stretch, density and overlaps on the example and shared scenes, a 100k-triangle mesh,
 * kept and replaced UV1 sets, instanced copies, determinism, bad input and seam stitching.
 *
 * test-runner: alone (it holds the charting to a wall-clock bound; scripts/test.mjs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GENERATORS, cornellBox, atrium } from '../../../examples/generators/index.js';
import { smoothBlobPrimitive, smoothBlobScene } from '../../../examples/generators/smooth-blob.js';
import { densityForPages, generateLightmapUvs, validUv1, type LightmapAtlas } from '../../src/bake/uv.js';
import { countUvOverlaps, generateLightmapUvsNative } from '../../src/native/bake.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Scene } from '../../src/scene/types.js';
import { worldMatrices } from '../../src/scene/transform.js';
import { sharedScenes } from '../helpers.js';
import { findSeams, stitchSeams } from '../../src/bake/post.js';

/** Independent overlap check on a written scene: every object's UV1 triangles, grouped by atlas page. */
function writtenOverlaps(scene: Scene, atlas: LightmapAtlas): number {
  const corners: number[] = [],
    page: number[] = [];
  for (const o of atlas.objects)
    scene.meshes[o.mesh].primitives.forEach((p, pi) => {
      assert.ok(p.uv1, `${o.name} primitive ${pi} has no uv1`);
      for (let i = 0; i < p.indices.length; i += 3) {
        for (let k = 0; k < 3; k++) corners.push(p.uv1![2 * p.indices[i + k]], p.uv1![2 * p.indices[i + k] + 1]);
        page.push(o.primitivePages[pi]);
      }
    });
  for (const v of corners) assert.ok(v >= 0 && v <= 1, `uv1 ${v} outside [0,1]`);
  return countUvOverlaps(Float32Array.from(corners), Uint32Array.from(page)).count;
}

/** Conservative coverage of a texel by a triangle (separating axes), written independently of the native test. */
function touches(tx: number[], ty: number[], x: number, y: number): boolean {
  if (Math.max(...tx) < x || Math.min(...tx) > x + 1 || Math.max(...ty) < y || Math.min(...ty) > y + 1) return false;
  const s = Math.sign((tx[1] - tx[0]) * (ty[2] - ty[0]) - (ty[1] - ty[0]) * (tx[2] - tx[0])) || 1;
  for (let e = 0; e < 3; e++) {
    const a = e,
      b = (e + 1) % 3;
    let inside = false;
    for (const [px, py] of [
      [x, y],
      [x + 1, y],
      [x, y + 1],
      [x + 1, y + 1],
    ])
      if (s * ((tx[b] - tx[a]) * (py - ty[a]) - (ty[b] - ty[a]) * (px - tx[a])) >= 0) inside = true;
    if (!inside) return false;
  }
  return true;
}

/** Smallest Chebyshev gap (empty texels) between conservative footprints of different charts, per page. */
async function minChartGap(scene: Scene, pageSize = 1024): Promise<{ gap: number; charts: number; pages: number }> {
  const world = worldMatrices(scene);
  const tris: number[] = [],
    first = [0];
  const pos: number[] = [];
  scene.nodes.forEach((n, i) => {
    if (n.mesh === undefined) return;
    const m = world[i];
    for (const p of scene.meshes[n.mesh].primitives) {
      const base = pos.length / 3;
      for (let v = 0; v < p.positions.length; v += 3) {
        const [x, y, z] = [p.positions[v], p.positions[v + 1], p.positions[v + 2]];
        pos.push(
          m[0] * x + m[4] * y + m[8] * z + m[12],
          m[1] * x + m[5] * y + m[9] * z + m[13],
          m[2] * x + m[6] * y + m[10] * z + m[14],
        );
      }
      for (const ix of p.indices) tris.push(ix + base);
      first.push(tris.length / 3);
    }
  });
  const r = await generateLightmapUvsNative(
    {
      positions: Float32Array.from(pos),
      indices: Uint32Array.from(tris),
      objectFirstTriangle: Uint32Array.from(first),
      objectTexelsPerMeter: new Float32Array(first.length - 1).fill(32),
    },
    { pageSize, padding: 2 },
  );
  let gap = Infinity;
  for (let pg = 0; pg < r.pageWidth.length; pg++) {
    const W = r.pageWidth[pg],
      H = r.pageHeight[pg];
    const label = new Int32Array(W * H).fill(-1);
    for (let o = 0; o + 1 < first.length; o++) {
      if (r.objectPage[o] !== pg) continue;
      for (let t = first[o]; t < first[o + 1]; t++) {
        const tx = [0, 1, 2].map((k) => r.cornerUv[6 * t + 2 * k] * W),
          ty = [0, 1, 2].map((k) => r.cornerUv[6 * t + 2 * k + 1] * H);
        for (
          let y = Math.max(0, Math.floor(Math.min(...ty)) - 1);
          y <= Math.min(H - 1, Math.floor(Math.max(...ty)));
          y++
        )
          for (
            let x = Math.max(0, Math.floor(Math.min(...tx)) - 1);
            x <= Math.min(W - 1, Math.floor(Math.max(...tx)));
            x++
          )
            if (touches(tx, ty, x, y)) {
              const c = r.triangleChart[t];
              assert.ok(
                label[y * W + x] === -1 || label[y * W + x] === c,
                `texel (${x},${y}) on page ${pg} covered by charts ${label[y * W + x]} and ${c}`,
              );
              label[y * W + x] = c;
              // Footprints must stay `padding` texels inside the page too.
              gap = Math.min(gap, x, y, W - 1 - x, H - 1 - y);
            }
      }
    }
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const c = label[y * W + x];
        if (c < 0) continue;
        for (let dy = -3; dy <= 3; dy++)
          for (let dx = -3; dx <= 3; dx++) {
            const X = x + dx,
              Y = y + dy;
            if (X < 0 || Y < 0 || X >= W || Y >= H) continue;
            const d = label[Y * W + X];
            if (d >= 0 && d !== c) gap = Math.min(gap, Math.max(Math.abs(dx), Math.abs(dy)) - 1);
          }
      }
  }
  return { gap, charts: r.chartCount, pages: r.pageWidth.length };
}

test('cornell and atrium: at least 2 empty texels between any two charts and to the page edge', async () => {
  for (const [name, scene] of [
    ['cornell', cornellBox()],
    ['atrium', atrium()],
  ] as const) {
    const { gap, charts } = await minChartGap(scene);
    assert.ok(charts > 5, `${name}: ${charts} charts`);
    assert.ok(gap >= 2, `${name}: charts ${gap} texels apart`);
  }
});

test('cornell: planar walls are unstretched, density is honoured, nothing overlaps', async () => {
  const scene = cornellBox();
  const { scene: out, atlas } = await generateLightmapUvs(scene, { texelsPerMeter: 40 });
  assert.is(writtenOverlaps(out, atlas), 0);
  assert.is(atlas.overlaps, 0);
  for (const o of atlas.objects) {
    assert.ok(Math.abs(o.maxStretch - 1) < 1e-3, `${o.name}: stretch ${o.maxStretch}`);
    assert.is(o.texelsPerMeter, 40);
  }
  // The room: 5 faces of 4 m² → 20 m² × 40² = 32,000 texels before conservative borders.
  const room = atlas.objects.find((o) => o.name === 'room')!;
  assert.ok(room.texels >= 32_000 && room.texels < 32_000 * 1.15, `room covers ${room.texels} texels`);
  assert.is(atlas.pages.length, 1);
  // The input is untouched.
  assert.is(scene.meshes[0].primitives[0].uv1, undefined);
});

test('zero UV overlaps on every example scene', async () => {
  for (const [kind, make] of Object.entries(GENERATORS)) {
    const scene = make(1);
    const { scene: out, atlas } = await generateLightmapUvs(scene);
    assert.is(atlas.overlaps, 0, `${kind}: native check`);
    assert.is(writtenOverlaps(out, atlas), 0, `${kind}: written UV1`);
    assert.ok(atlas.objects.length > 0);
    for (const o of atlas.objects) assert.ok(o.maxStretch < 2.05, `${kind} ${o.name}: stretch ${o.maxStretch}`);
  }
});

test('zero UV overlaps on every shared scene', async () => {
  for (const { name, path } of sharedScenes()) {
    const { scene } = await importGltf(path);
    // Shared scenes come in many units (the engine is in millimetres): fit them to two 1024² pages.
    const { scene: out, atlas } = await generateLightmapUvs(scene, { texelsPerMeter: densityForPages(scene, 2, 1024) });
    assert.is(atlas.overlaps, 0, `${name}: native check`);
    assert.is(writtenOverlaps(out, atlas), 0, `${name}: written UV1`);
    const t = out.meshes.reduce((s, m) => s + m.primitives.reduce((q, p) => q + p.indices.length / 3, 0), 0);
    assert.ok(t > 0, name);
  }
});

test('smooth 100k-triangle mesh: charts and packs 10× faster than xatlas (49 s), low stretch, decent utilization', async () => {
  const scene = smoothBlobScene(100_000);
  const density = densityForPages(scene, 1, 1024, 0.6);
  const t0 = performance.now();
  const { scene: out, atlas } = await generateLightmapUvs(scene, { texelsPerMeter: density });
  const ms = performance.now() - t0;
  assert.ok(ms < 4900, `took ${ms.toFixed(0)} ms`);
  assert.is(atlas.overlaps, 0);
  assert.is(writtenOverlaps(out, atlas), 0);
  const o = atlas.objects[0];
  assert.ok(o.maxStretch < 2 && o.meanStretch < 1.15, `stretch max ${o.maxStretch} mean ${o.meanStretch}`);
  assert.ok(atlas.pages[0].utilization > 0.45, `page utilization ${atlas.pages[0].utilization}`);
  assert.ok(o.charts < 2000, `${o.charts} charts`);
});

test('keeps a valid UV1 (moved and uniformly scaled) and replaces an overlapping one', async () => {
  const scene = createScene('uv1');
  addMaterial(scene, defaultMaterial());
  const quad = () => ({
    positions: Float32Array.of(0, 0, 0, 2, 0, 0, 2, 0, -1, 0, 0, -1),
    indices: Uint32Array.of(0, 1, 2, 0, 2, 3),
    material: 0,
  });
  const good = { ...quad(), uv1: Float32Array.of(0, 0, 1, 0, 1, 0.5, 0, 0.5) };
  const bad = { ...quad(), uv1: Float32Array.of(0, 0, 1, 0, 0, 1, 1, 1) }; // the two triangles fold onto each other
  assert.ok(validUv1({ name: 'g', primitives: [good] }));
  assert.not.ok(validUv1({ name: 'b', primitives: [bad] }));
  addNode(scene, { name: 'good', mesh: addMesh(scene, 'good', [good]) });
  addNode(scene, { name: 'bad', mesh: addMesh(scene, 'bad', [bad]), translation: [0, 1, 0] });
  const { scene: out, atlas } = await generateLightmapUvs(scene);
  assert.equal(
    atlas.objects.map((o) => o.keptUv1),
    [true, false],
  );
  assert.is(writtenOverlaps(out, atlas), 0);
  const p = out.meshes[atlas.objects[0].mesh].primitives[0];
  // Same layout up to offset and uniform scale: u spans twice v, and corners keep their order.
  // Compared in texels: pages are cropped to their content, so normalized u and v scale differently.
  const pg = atlas.pages[atlas.objects[0].primitivePages[0]];
  const u = (i: number) => p.uv1![2 * i] * pg.width,
    v = (i: number) => p.uv1![2 * i + 1] * pg.height;
  const s = u(1) - u(0);
  assert.ok(s > 0);
  assert.ok(
    Math.abs(v(2) - v(1) - 0.5 * s) < 1e-3 && Math.abs(u(2) - u(1)) < 1e-3 && Math.abs(v(1) - v(0)) < 1e-3,
    `corners ${[0, 1, 2, 3].map((i) => `(${u(i).toFixed(2)}, ${v(i).toFixed(2)})`).join(' ')}`,
  );
});

test('meshes drawn several times and GPU-instanced nodes get a UV1 region per drawn copy', async () => {
  const scene = createScene('shared');
  addMaterial(scene, defaultMaterial());
  const blob = addMesh(scene, 'blob', [smoothBlobPrimitive(2000)]);
  addNode(scene, { name: 'a', mesh: blob });
  addNode(scene, { name: 'b', mesh: blob, translation: [3, 0, 0] });
  addNode(scene, {
    name: 'many',
    mesh: blob,
    translation: [0, 0, 4],
    instances: {
      translation: Float32Array.of(0, 0, 0, 3, 0, 0, 6, 0, 0),
      rotation: Float32Array.of(0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1),
      scale: Float32Array.of(1, 1, 1, 1, 1, 1, 2, 2, 2),
    },
  });
  const { scene: out, atlas } = await generateLightmapUvs(scene);
  assert.is(atlas.objects.length, 5);
  assert.is(new Set(atlas.objects.map((o) => o.mesh)).size, 5, 'each drawn copy owns its mesh');
  assert.is(writtenOverlaps(out, atlas), 0);
  assert.is(out.nodes[2].instances, undefined);
  // The copy scaled 2× covers about 4× the texels of an unscaled one.
  const ratio = atlas.objects[4].texels / atlas.objects[2].texels;
  assert.ok(ratio > 3.3 && ratio < 4.5, `texel ratio ${ratio}`);
});

test('a dynamic node keeps the mesh it shares with static ones as authored: no UV1, not lightmapped', async () => {
  const scene = createScene('door');
  addMaterial(scene, defaultMaterial());
  const blob = addMesh(scene, 'blob', [smoothBlobPrimitive(500)]);
  // The dynamic draw comes first and last, so neither node order lets a static node take the original.
  const first = addNode(scene, { name: 'door', mesh: blob });
  addNode(scene, { name: 'wall', mesh: blob, translation: [3, 0, 0] });
  const last = addNode(scene, { name: 'gate', mesh: blob, translation: [6, 0, 0] });
  scene.nodes[first].dynamic = true;
  scene.nodes[last].dynamic = true;
  const { scene: out, atlas } = await generateLightmapUvs(scene);
  assert.equal(
    atlas.objects.map((o) => o.name),
    ['wall'],
  );
  assert.is(out.nodes[first].mesh, blob);
  assert.is(out.nodes[last].mesh, blob);
  assert.is(out.meshes[blob].primitives[0].uv1, undefined, 'the dynamic nodes draw the mesh without UV1');
  assert.is.not(atlas.objects[0].mesh, blob);
});

test('deterministic', async () => {
  const a = await generateLightmapUvs(atrium());
  const b = await generateLightmapUvs(atrium());
  a.scene.meshes.forEach((m, i) =>
    m.primitives.forEach((p, j) => assert.equal(p.uv1, b.scene.meshes[i].primitives[j].uv1)),
  );
});

test('bad input: non-positive density, a budget too small even for the minimal density, cancellation', async () => {
  const rejects = async (p: Promise<unknown>, re: RegExp) => {
    try {
      await p;
    } catch (e) {
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable('did not reject');
  };
  await rejects(generateLightmapUvs(cornellBox(), { texelsPerMeter: 0 }), /texelsPerMeter/);
  await rejects(generateLightmapUvs(cornellBox(), { objectTexelsPerMeter: { room: -1 } }), /room/);
  try {
    // Over-dense requests are scaled to fit (test/bake/budget.test.ts); only a budget below the floors is refused.
    await generateLightmapUvs(cornellBox(), { texelsPerMeter: 10_000, maxTexels: 100 });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'TOO_BIG');
    assert.match((e as Error).message, /minimal useful density/);
  }
  const ac = new AbortController();
  ac.abort();
  try {
    await generateLightmapUvs(atrium(), { signal: ac.signal });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'CANCELLED');
  }
});

test('seam stitching: chart cuts on a smooth surface are found (creases are not) and their two sides converge', async () => {
  const { scene: out, atlas } = await generateLightmapUvs(smoothBlobScene(4000), { texelsPerMeter: 40 });
  const p = out.meshes[atlas.objects[0].mesh].primitives[0];
  const seams = findSeams([{ positions: p.positions, indices: p.indices, uv1: p.uv1!, page: 0 }]);
  assert.ok(seams.length > 20, `${seams.length} seam edges`);
  const box = findSeams([
    {
      positions: cornellBox().meshes[1].primitives[0].positions,
      indices: cornellBox().meshes[1].primitives[0].indices,
      uv1: new Float32Array((2 * cornellBox().meshes[1].primitives[0].positions.length) / 3).map((_, i) => i / 100),
      page: 0,
    },
  ]);
  assert.is(box.length, 0, 'box edges are creases');
  const page = atlas.pages[0];
  const img = {
    width: page.width,
    height: page.height,
    data: new Float32Array(4 * page.width * page.height).map((_, i) => ((i * 2654435761) % 1000) / 1000),
  };
  const mismatch = () => {
    let d = 0;
    for (const e of seams)
      for (let c = 0; c < 3; c++) {
        const at = (u: number, v: number) =>
          img.data[
            4 *
              (Math.min(page.height - 1, Math.floor(v * page.height)) * page.width +
                Math.min(page.width - 1, Math.floor(u * page.width))) +
              c
          ];
        d += Math.abs(
          at((e.a0[0] + e.a1[0]) / 2, (e.a0[1] + e.a1[1]) / 2) - at((e.b0[0] + e.b1[0]) / 2, (e.b0[1] + e.b1[1]) / 2),
        );
      }
    return d;
  };
  const before = mismatch();
  stitchSeams([img], seams, 16);
  const after = mismatch();
  assert.ok(after < 0.5 * before, `seam mismatch ${before.toFixed(2)} → ${after.toFixed(2)}`);
});

test.run();
