import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findSeams, stitchSeams, type SeamMesh } from '../../src/bake/post.js';
import { primitiveSubset, splitTriangles } from '../../src/bake/split-primitives.js';
import { generateLightmapUvs } from '../../src/bake/uv.js';
import { applyLightmaps } from '../../src/bake/writeback.js';
import { countUvOverlaps } from '../../src/native/bake.js';
import { addMesh, addNode } from '../../src/scene/build.js';
import { createScene, type Primitive } from '../../src/scene/types.js';

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** A `size` m square floor of n×n quads at y = 0, with normals and UV0, and no material (glTF's default). */
function floor(size: number, n: number): Primitive {
  const positions: number[] = [],
    normals: number[] = [],
    uv0: number[] = [],
    indices: number[] = [];
  for (let j = 0; j <= n; j++)
    for (let i = 0; i <= n; i++) {
      positions.push((i / n - 0.5) * size, 0, (j / n - 0.5) * size);
      normals.push(0, 1, 0);
      uv0.push(i / n, j / n);
    }
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const a = j * (n + 1) + i;
      indices.push(a, a + n + 1, a + 1, a + 1, a + n + 1, a + n + 2);
    }
  return {
    positions: Float32Array.from(positions),
    normals: Float32Array.from(normals),
    uv0: Float32Array.from(uv0),
    indices: Uint32Array.from(indices),
    material: -1,
  };
}

test('splitTriangles: pieces fit the limit, cover every triangle once, are compact and deterministic', () => {
  const p = floor(100, 60); // 10,000 m² at 20 texels/m: 4.4M estimated texels
  const opts = { texelsPerMeter: 20, maxPieceTexels: 0.5 * 1024 * 1024 };
  const pieces = splitTriangles(p, IDENTITY, opts);
  assert.ok(pieces.length >= 8 && pieces.length <= 16, `${pieces.length} pieces`);
  const seen = new Uint8Array(p.indices.length / 3);
  for (const tris of pieces) {
    const sub = primitiveSubset(p, tris);
    let area = 0,
      lo = Infinity,
      hi = -Infinity;
    for (let t = 0; t < sub.indices.length; t += 3) {
      const [a, b, c] = [sub.indices[t], sub.indices[t + 1], sub.indices[t + 2]].map((v) => [
        sub.positions[3 * v],
        sub.positions[3 * v + 2],
      ]);
      area += Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) / 2;
      for (const q of [a, b, c]) {
        lo = Math.min(lo, q[0]);
        hi = Math.max(hi, q[0]);
      }
    }
    assert.ok(area * 400 * 1.1 <= opts.maxPieceTexels + 1, `piece of ${area.toFixed(0)} m² over the limit`);
    // Compact: a kd-split piece is no longer than twice its width plus a quad, never a 100 m strip.
    assert.ok(hi - lo < 60, `piece ${(hi - lo).toFixed(1)} m long`);
    // Every attribute is carried, every index points at a kept vertex.
    assert.is(sub.uv0!.length / 2, sub.positions.length / 3);
    assert.is(sub.normals!.length, sub.positions.length);
    assert.ok(sub.indices.every((v) => v < sub.positions.length / 3));
    for (const t of tris) {
      assert.is(seen[t], 0, `triangle ${t} in two pieces`);
      seen[t] = 1;
    }
  }
  assert.ok(
    seen.every((s) => s === 1),
    'every triangle in a piece',
  );
  assert.equal(splitTriangles(p, IDENTITY, opts), pieces, 'deterministic');
  assert.is(splitTriangles(floor(10, 4), IDENTITY, opts).length, 1, 'a primitive that fits stays whole');
});

test('a one-primitive level spreads over pages at its asked density, seams stitched across pages, and is written as a lit dielectric', async () => {
  const scene = createScene('level.glb');
  addNode(scene, { name: 'level', mesh: addMesh(scene, 'level', [floor(100, 60)]) });
  const { scene: out, atlas } = await generateLightmapUvs(scene, { texelsPerMeter: 20, maxPageSize: 1024 });
  const object = atlas.objects[0];
  assert.ok(new Set(object.primitivePages).size >= 3, `pages ${[...new Set(object.primitivePages)]}`);
  // Without the split the floor would be held to one 1024² page: about 9 of 20 texels/m.
  assert.ok(object.texelsPerMeter > 0.9 * 20, `effective density ${object.texelsPerMeter.toFixed(1)} texels/m`);
  assert.ok(
    atlas.warnings.some((w) => /split into \d+ pieces/.test(w)),
    atlas.warnings.join('; '),
  );
  const prims = out.meshes[object.mesh].primitives;
  assert.ok(prims.length > 1 && prims.every((p) => p.material === -1));
  const corners: number[] = [],
    page: number[] = [];
  prims.forEach((p, i) => {
    for (const v of p.indices) corners.push(p.uv1![2 * v], p.uv1![2 * v + 1]);
    for (let t = 0; t < p.indices.length / 3; t++) page.push(object.primitivePages[i]);
  });
  assert.is(countUvOverlaps(Float32Array.from(corners), Uint32Array.from(page)).count, 0);

  // The pieces' shared edges are seams between pages; stitching pulls both sides together.
  const merged: SeamMesh[] = [];
  {
    let v = 0;
    const pos: number[] = [],
      uv: number[] = [],
      idx: number[] = [],
      pg: number[] = [];
    prims.forEach((p, i) => {
      pos.push(...p.positions);
      uv.push(...p.uv1!);
      for (const x of p.indices) idx.push(x + v);
      for (let t = 0; t < p.indices.length / 3; t++) pg.push(object.primitivePages[i]);
      v += p.positions.length / 3;
    });
    merged.push({
      positions: Float32Array.from(pos),
      indices: Uint32Array.from(idx),
      uv1: Float32Array.from(uv),
      page: pg,
    });
  }
  const seams = findSeams(merged);
  const across = seams.filter((e) => e.pageA !== e.pageB);
  assert.ok(across.length > 20, `${across.length} seam edges across pages`);
  const pages = atlas.pages.map((p, k) => ({
    width: p.width,
    height: p.height,
    data: new Float32Array(4 * p.width * p.height).fill(k),
  }));
  const gap = () =>
    across.reduce((s, e) => {
      const at = (k: number, u: number, v: number) => {
        const img = pages[k];
        return img.data[
          4 *
            (Math.min(img.height - 1, Math.floor(v * img.height)) * img.width +
              Math.min(img.width - 1, Math.floor(u * img.width)))
        ];
      };
      return (
        s +
        Math.abs(
          at(e.pageA, (e.a0[0] + e.a1[0]) / 2, (e.a0[1] + e.a1[1]) / 2) -
            at(e.pageB, (e.b0[0] + e.b1[0]) / 2, (e.b0[1] + e.b1[1]) / 2),
        )
      );
    }, 0);
  const before = gap();
  stitchSeams(pages, seams, 16);
  assert.ok(gap() < 0.5 * before, `seam mismatch across pages ${before.toFixed(1)} → ${gap().toFixed(1)}`);

  // Material-less primitives are written with an explicit dielectric: glTF's implicit default is a rough metal,
  // which a viewer's lightmap term multiplies by 1 − metalness = 0.
  const lit = applyLightmaps(
    out,
    {
      primitivePages: new Map([[object.node, object.primitivePages]]),
      pageWidth: atlas.pages.map((p) => p.width),
      pageHeight: atlas.pages.map((p) => p.height),
    },
    atlas.pages.map((p) => ({ png: new Uint8Array([0x89]), width: p.width, height: p.height, scale: 1 })),
  );
  for (const p of lit.meshes[object.mesh].primitives) {
    const m = lit.materials[p.material];
    assert.ok(m?.lightmap, 'a lightmapped material');
    assert.is(m.metallicFactor, 0);
  }
});

test.run();
