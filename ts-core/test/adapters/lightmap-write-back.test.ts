/**
 * The write-back plan (adapters/lightmap-write-back.ts) on a level laid out by the bake's own UV1 generation and
 * written and read back as the run's scene.glb: which page, which mesh and lightmap UVs, which scale and offset per
 * renderer, in each engine's frame, units and winding; movable and instanced objects left to the engine.
 */
import { WebIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EngineFrame, toGltfVector, UNITY_FRAME, UNREAL_FRAME } from '../../src/adapters/engine-frame.js';
import { type EngineSceneDump, engineToScene } from '../../src/adapters/engine-scene.js';
import { describeWriteBack, planLightmapWriteBack, uniqueAssetNames } from '../../src/adapters/lightmap-write-back.js';
import { generateLightmapUvs, layoutOf } from '../../src/bake/uv.js';
import { applyLightmaps } from '../../src/bake/writeback.js';
import { OteError } from '../../src/errors.js';
import { documentToScene } from '../../src/io/gltf-document-read.js';
import { sceneToDocument } from '../../src/io/gltf-document.js';
import { MOZLightmap } from '../../src/io/moz-lightmap.js';
import { encodePng } from '../../src/io/png.js';
import type { Scene } from '../../src/scene/types.js';

/** Through glTF and back with the pure reader, as the editor's V8 reads the run's scene.glb. */
async function throughGlb(scene: Scene): Promise<Scene> {
  const io = new WebIO().registerExtensions([...ALL_EXTENSIONS, MOZLightmap]);
  return (await documentToScene(await io.readBinary(await io.writeBinary(sceneToDocument(scene))), 'scene.glb')).scene;
}

/** A w × w engine-unit floor facing the engine's up axis, as an engine mesh with `n`² quads. */
function floor(frame: EngineFrame, w: number, n: number) {
  const up = frame === UNREAL_FRAME ? 2 : 1,
    across = frame === UNREAL_FRAME ? 1 : 2;
  const positions: number[] = [],
    normals: number[] = [],
    uv0: number[] = [],
    indices: number[] = [];
  for (let j = 0; j <= n; j++)
    for (let i = 0; i <= n; i++) {
      const p = [0, 0, 0];
      p[0] = (i / n - 0.5) * w;
      p[across] = (j / n - 0.5) * w;
      const nrm = [0, 0, 0];
      nrm[up] = 1;
      positions.push(...p);
      normals.push(...nrm);
      uv0.push(i / n, j / n);
    }
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const a = j * (n + 1) + i;
      indices.push(a, a + 1, a + n + 1, a + 1, a + n + 2, a + n + 1);
    }
  return { positions, normals, uv0, indices };
}

/** A cube of half-size h with 24 vertices: the top face in section 1, the rest in section 0. */
function cube(h: number) {
  const P: number[] = [],
    N: number[] = [],
    U: number[] = [],
    sides: number[] = [],
    top: number[] = [];
  const faces = [
    [0, 1, 0],
    [0, -1, 0],
    [1, 0, 0],
    [-1, 0, 0],
    [0, 0, 1],
    [0, 0, -1],
  ];
  for (const n of faces) {
    const b = P.length / 3;
    const t = n[1] !== 0 ? [1, 0, 0] : [0, 1, 0];
    const s = [n[1] * t[2] - n[2] * t[1], n[2] * t[0] - n[0] * t[2], n[0] * t[1] - n[1] * t[0]];
    for (const [a, c] of [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ]) {
      for (let k = 0; k < 3; k++) P.push(h * (n[k] + a * t[k] + c * s[k]));
      N.push(...n);
      U.push((a + 1) / 2, (c + 1) / 2);
    }
    (n[1] === 1 ? top : sides).push(b, b + 1, b + 2, b, b + 2, b + 3);
  }
  return { positions: P, normals: N, uv0: U, sides, top };
}

const still = {
  rotation: [0, 0, 0, 1] as [number, number, number, number],
  scale: [1, 1, 1] as [number, number, number],
};

/** Engine meshes are authored with clockwise fronts (the cross product of consecutive vertices opposes the normal). */
function clockwise<T extends { positions: number[]; normals: number[]; indices: number[] }>(m: T): T {
  for (let t = 0; t < m.indices.length; t += 3) {
    const tri = m.indices.slice(t, t + 3);
    if ([...windings(m.positions, m.normals, tri)][0] > 0) [m.indices[t + 1], m.indices[t + 2]] = [tri[2], tri[1]];
  }
  return m;
}

function level(frame: EngineFrame): EngineSceneDump {
  const u = 1 / frame.metersPerUnit;
  const c = cube(0.5 * u);
  const box = { positions: c.positions, normals: c.normals, uv0: c.uv0 };
  const mat = (asset: string, rgb: number[]) => ({
    asset,
    baseColor: [...rgb, 1] as [number, number, number, number],
    metallic: 0,
    roughness: 0.8,
    emissive: [0, 0, 0] as [number, number, number],
    blend: 'opaque' as const,
    twoSided: false,
  });
  return {
    level: 'WriteBack',
    materials: [mat('M_Floor', [0.8, 0.8, 0.8]), mat('M_Red', [0.8, 0.1, 0.1]), mat('M_Lid', [0.1, 0.1, 0.8])],
    meshes: [
      { asset: 'SM_Floor', sections: [{ ...clockwise(floor(frame, 20 * u, 24)), material: 0 }] },
      {
        asset: 'SM_Box',
        sections: [
          { ...clockwise({ ...box, indices: c.sides }), material: 1 },
          { ...clockwise({ ...box, indices: c.top }), material: 2 },
        ],
      },
    ],
    objects: [
      { path: 'Floor', mesh: 0, translation: [0, 0, 0], ...still, movable: false },
      { path: 'BoxA', mesh: 1, translation: [2 * u, u, 0], ...still, movable: false },
      {
        path: 'BoxB',
        mesh: 1,
        translation: [-2 * u, 0, u],
        rotation: [0, 0.38268343, 0, 0.92387953],
        scale: [1, 2, 1],
        movable: false,
      },
      { path: 'Door', mesh: 1, translation: [0, 3 * u, 0], ...still, movable: true },
    ],
    instancers: [
      {
        path: 'Foliage/SM_Box',
        mesh: 1,
        translations: [5 * u, 0, 5 * u, -5 * u, 0, 5 * u],
        rotations: [0, 0, 0, 1, 0, 0, 0, 1],
        scales: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
        movable: false,
      },
      // GPU-instanced renderers: each copy an engine object of its own.
      {
        path: 'Instanced/SM_Box',
        mesh: 1,
        translations: [6 * u, 0, -6 * u, -6 * u, 0, -6 * u],
        rotations: [0, 0, 0, 1, 0, 0.38268343, 0, 0.92387953],
        scales: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        movable: false,
        copies: ['Crate', 'Crate (2)'],
      },
    ],
    lights: [],
  };
}

/** The level through level.glb, laid out by the bake (20 texels/m on 256² pages: the floor spans pages), as scene.glb. */
async function optimized(dump: EngineSceneDump, frame: EngineFrame): Promise<Scene> {
  const sent = await throughGlb(engineToScene(dump, frame));
  const { scene, atlas } = await generateLightmapUvs(sent, { texelsPerMeter: 20, maxPageSize: 256 });
  const pages = atlas.pages.map((p) => ({
    png: encodePng({ width: p.width, height: p.height, bitDepth: 8, data: new Uint8Array(4 * p.width * p.height) }),
    width: p.width,
    height: p.height,
    scale: 1,
  }));
  return throughGlb(applyLightmaps(scene, layoutOf(atlas), pages));
}

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);
/** Per triangle: the sign of its geometric normal against its vertex normals, in whatever frame the arrays are. */
function windings(positions: ArrayLike<number>, normals: ArrayLike<number>, indices: ArrayLike<number>): Set<number> {
  const out = new Set<number>();
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [indices[t], indices[t + 1], indices[t + 2]].map((i) => 3 * i);
    const e1 = [0, 1, 2].map((k) => positions[b + k] - positions[a + k]),
      e2 = [0, 1, 2].map((k) => positions[c + k] - positions[a + k]);
    const g = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    out.add(sign([0, 1, 2].reduce((s, k) => s + g[k] * (normals[a + k] + normals[b + k] + normals[c + k]), 0)));
  }
  return out;
}

for (const frame of [UNITY_FRAME, UNREAL_FRAME])
  test(`${frame.name}: each lightmapped object gets a mesh in engine units and winding, and its page, scale and offset`, async () => {
    const dump = level(frame);
    const result = await optimized(dump, frame);
    const plan = planLightmapWriteBack(result, dump, frame, 'scene.glb');

    // Movable and instanced objects stay as the engine has them; the rest are written back.
    assert.equal(plan.kept.map((k) => k.object).sort(), ['Door', 'Foliage/SM_Box'], JSON.stringify(plan.kept));
    assert.match(plan.kept.find((k) => k.object === 'Door')!.reason, /movable/);
    assert.equal([...new Set(plan.renderers.map((r) => r.object))].sort(), [
      'BoxA',
      'BoxB',
      'Crate',
      'Crate (2)',
      'Floor',
    ]);
    const floorParts = plan.renderers.filter((r) => r.object === 'Floor');
    assert.ok(floorParts.length >= 2, `the floor spans ${floorParts.length} pages`);
    assert.equal(
      floorParts.map((r) => r.part),
      floorParts.map((_, k) => k),
    );
    assert.is(new Set(floorParts.map((r) => r.page)).size, floorParts.length, 'one page per part');
    assert.is(plan.meshes[floorParts[1].mesh].name, 'Floor (lightmap part 1)');
    for (const p of plan.pages) assert.match(p.file, /^scene\.lightmap\d+\.exr$/);

    const copyNode = (path: string) => {
      const g = dump.instancers!.find((i) => i.copies?.includes(path));
      return g ? `${g.path}#${g.copies!.indexOf(path)}` : path;
    };
    const engineMesh = (path: string) =>
      dump.meshes[
        (dump.objects.find((o) => o.path === path) ?? dump.instancers!.find((i) => i.copies?.includes(path)))!.mesh
      ];
    assert.ok(
      plan.renderers.every((r) => r.page >= 0),
      'every primitive of this level is lightmapped: no unlit part',
    );
    for (const r of plan.renderers) {
      const mesh = { ...plan.meshes[r.mesh], uv1: plan.meshes[r.mesh].uv1! };
      const node = result.nodes.find((n) => n.name === copyNode(r.object))!;
      const page = plan.pages[r.page];
      const prims = result.meshes[node.mesh!].primitives.filter(
        (p) => result.textures[result.materials[p.material].lightmap!.texture].name === page.file.split('.')[1],
      );
      // Lightmap UVs in [0, 1]², placed on the page by the renderer's scale and offset: exactly the run's UV1.
      const [su, sv, ou, ov] = r.scaleOffset;
      let k = 0,
        worst = 0;
      for (const p of prims)
        for (let v = 0; v < p.uv1!.length / 2; v++, k++) {
          const u = mesh.uv1[2 * k],
            w = mesh.uv1[2 * k + 1];
          assert.ok(u >= 0 && u <= 1 && w >= 0 && w <= 1, `${r.object}: lightmap UV ${u}, ${w}`);
          const pageV = w * sv + ov;
          worst = Math.max(
            worst,
            Math.abs(u * su + ou - p.uv1![2 * v]),
            Math.abs((frame.flipV ? 1 - pageV : pageV) - p.uv1![2 * v + 1]),
          );
          // Positions are the run's, in engine axes and units.
          const back = toGltfVector(frame, mesh.positions.subarray(3 * k, 3 * k + 3), frame.metersPerUnit);
          for (let c = 0; c < 3; c++) assert.ok(Math.abs(back[c] - p.positions[3 * v + c]) < 1e-5);
        }
      assert.is(k, mesh.positions.length / 3, `${r.object}: every vertex of the part`);
      assert.ok(worst < 1e-6, `${r.object}: page UV off by ${worst}`);
      // Every vertex is a vertex of the engine's source mesh (the unwrap only splits them), and every triangle
      // faces as the source's do in the engine's own convention.
      const src = engineMesh(r.object).sections[0];
      for (let v = 0; v < mesh.positions.length / 3; v++) {
        let best = Infinity;
        for (let s = 0; s < src.positions.length / 3; s++)
          best = Math.min(
            best,
            Math.hypot(...[0, 1, 2].map((c) => mesh.positions[3 * v + c] - src.positions[3 * s + c])),
          );
        assert.ok(best < 1e-3 / frame.metersPerUnit, `${r.object}: vertex ${v} is ${best} from the source's`);
      }
      // Both engines' fronts: the cross product of consecutive vertices opposes the normal (clockwise).
      for (const s of mesh.sections)
        assert.equal([...windings(mesh.positions, mesh.normals!, s.indices)], [-1], `${r.object}: winding`);
    }
    // The box's two sections keep their engine materials; the page clones' names are not engine assets.
    const boxA = plan.renderers.filter((r) => r.object === 'BoxA').flatMap((r) => plan.meshes[r.mesh].sections);
    assert.equal([...new Set(boxA.map((s) => s.material))].sort(), ['M_Lid', 'M_Red']);
    assert.is(
      boxA.filter((s) => s.material === 'M_Lid').reduce((n, s) => n + s.indices.length, 0),
      6,
    );
    assert.match(
      describeWriteBack(plan),
      new RegExp(
        `^lightmaps written back: 5 objects on ${plan.pages.length} pages \\(${plan.renderers.length - 5} more parts? as child objects\\); left as they were: Door \\(movable: .*\\), Foliage/SM_Box \\(instanced: .*\\)$`,
      ),
    );
  });

test("sections name the engine's materials through the bake's clones: per page, and per face of a split surface", async () => {
  const dump = level(UNITY_FRAME);
  dump.materials.push({ ...dump.materials[1], asset: 'M_Odd (back)' });
  const result = await optimized(dump, UNITY_FRAME);
  // What two-sided splitting (bake/two-sided.ts) and the page clones (bake/writeback.ts) name materials.
  const boxA = result.meshes[result.nodes.find((n) => n.name === 'BoxA')!.mesh!];
  const rename = (pi: number, name: string) => {
    result.materials.push({ ...result.materials[boxA.primitives[pi].material], name });
    boxA.primitives[pi] = { ...boxA.primitives[pi], material: result.materials.length - 1 };
  };
  rename(0, 'M_Red (back)@lightmap0');
  rename(1, 'M_Odd (back)');
  const names = (objects: Parameters<typeof planLightmapWriteBack>[1]) => {
    const plan = planLightmapWriteBack(result, objects, UNITY_FRAME, 'scene.glb');
    return plan.renderers
      .filter((r) => r.object === 'BoxA')
      .flatMap((r) => plan.meshes[r.mesh].sections.map((section) => section.material))
      .sort();
  };
  // The dump's own "M_Odd (back)" stays itself; the clone of M_Red is M_Red.
  assert.equal(names(dump), ['M_Odd (back)', 'M_Red']);
  // Without the dump's materials, every clone suffix goes.
  assert.equal(names({ objects: dump.objects }), ['M_Odd', 'M_Red']);
});

test('primitives the run left unlit go along as an unlit part: no lightmap, no lightmap UVs, nothing dropped', async () => {
  const dump = level(UNITY_FRAME);
  const result = await optimized(dump, UNITY_FRAME);
  // A blended lid, say: the run draws it with its material and no lightmap.
  const boxA = result.meshes[result.nodes.find((n) => n.name === 'BoxA')!.mesh!];
  const lid = boxA.primitives.findIndex((p) => result.materials[p.material].name.startsWith('M_Lid'));
  result.materials.push({ ...result.materials[boxA.primitives[lid].material], lightmap: undefined, name: 'M_Lid' });
  boxA.primitives[lid] = { ...boxA.primitives[lid], material: result.materials.length - 1, uv1: undefined };
  const plan = planLightmapWriteBack(result, dump, UNITY_FRAME, 'scene.glb');
  const parts = plan.renderers.filter((r) => r.object === 'BoxA');
  const unlit = parts.filter((r) => r.page === -1);
  assert.is(unlit.length, 1);
  assert.is(unlit[0].part, parts.length - 1, 'after the lightmapped parts');
  assert.equal(unlit[0].scaleOffset, [1, 1, 0, 0]);
  const mesh = plan.meshes[unlit[0].mesh];
  assert.equal(
    [mesh.name, mesh.uv1, mesh.sections.map((s) => s.material)],
    ['BoxA (unlit part)', undefined, ['M_Lid']],
  );
  // Every triangle of the object is in one of its parts.
  const written = parts.reduce((n, r) => n + plan.meshes[r.mesh].sections.reduce((t, s) => t + s.indices.length, 0), 0);
  assert.is(
    written,
    boxA.primitives.reduce((n, p) => n + p.indices.length, 0),
  );
});

test('asset names: safe as file names, never colliding', () => {
  assert.equal(uniqueAssetNames(['Floor', 'a/b', 'a_b', 'A_B', 'Wall: north?', '..', 'Floor (lightmap part 1)']), [
    'Floor',
    'a_b',
    'a_b 2',
    'A_B 3',
    'Wall_ north_',
    'object',
    'Floor (lightmap part 1)',
  ]);
});

test('a lightmap that is not one of the bake’s pages is a BAD_INPUT error naming the file and the primitive', async () => {
  const dump = level(UNITY_FRAME);
  const result = await optimized(dump, UNITY_FRAME);
  result.textures[0].name = 'bricks';
  try {
    planLightmapWriteBack(result, dump, UNITY_FRAME, 'Library/Optimizer/result/scene.glb');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, OteError);
    assert.match(
      (e as Error).message,
      /^Library\/Optimizer\/result\/scene\.glb: meshes\[\d+\]\.primitives\[\d+\]: the lightmap texture "bricks" is not one of the bake's pages/,
    );
  }
});

test.run();
