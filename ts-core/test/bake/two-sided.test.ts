import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { frontAndBack, normalsAgainstWinding, SHELL, splitTwoSided } from '../../src/bake/two-sided.js';
import type { FloatImage } from '../../src/image/float-image.js';
import type { Sky } from '../../src/native/transport-inputs.js';
import { renderPathtraced } from '../../src/render/pathtrace.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../../src/scene/types.js';
import { lookAt, type View } from '../../src/scene/view.js';

type Eye = readonly [number, number, number];

/**
 * A 2 m square sheet at height y, tilted `tilt` radians about x, wound to face up, with its corner normals bent
 * `bend` radians further (as foliage cards' normals are): the shading normal is not the geometric one.
 */
function sheet(y: number, material: number, tilt = 0, bend = 0): Primitive {
  const c = Math.cos(tilt),
    s = Math.sin(tilt);
  const corners = [
    [-1, -1],
    [1, -1],
    [1, 1],
    [-1, 1],
  ].flatMap(([x, z]) => [x, y - z * s, z * c]);
  const n = [0, Math.cos(tilt + bend), Math.sin(tilt + bend)];
  return {
    positions: Float32Array.from(corners),
    normals: Float32Array.from([...n, ...n, ...n, ...n]),
    uv0: Float32Array.of(0, 0, 1, 0, 1, 1, 0, 1),
    indices: Uint32Array.of(0, 2, 1, 0, 3, 2),
    material,
  };
}

/** A double-sided sheet 1.5 m above 40 m of grey ground, and the sun high in the sky. */
function sheetScene(opts: { tilt?: number; bend?: number; alphaMode?: 'OPAQUE' | 'BLEND' } = {}): Scene {
  const scene = createScene('sheet.glb');
  const ground = addMaterial(scene, {
    ...defaultMaterial('ground'),
    metallicFactor: 0,
    baseColorFactor: [0.3, 0.3, 0.3, 1],
  });
  const leaf = addMaterial(scene, {
    ...defaultMaterial('leaf'),
    metallicFactor: 0,
    baseColorFactor: [0.4, 0.8, 0.3, opts.alphaMode === 'BLEND' ? 0.5 : 1],
    alphaMode: opts.alphaMode ?? 'OPAQUE',
    doubleSided: true,
  });
  const g = sheet(0, ground);
  g.positions = g.positions.map((v) => v * 20);
  addNode(scene, { name: 'ground', mesh: addMesh(scene, 'ground', [g]) });
  addNode(scene, { name: 'leaf', mesh: addMesh(scene, 'leaf', [sheet(1.5, leaf, opts.tilt ?? 0, opts.bend ?? 0)]) });
  scene.lights.push({
    name: 'sun',
    type: 'directional',
    color: [1, 1, 1],
    intensity: 3,
    innerConeAngle: 0,
    outerConeAngle: 0.7,
  });
  // Pointing down and a little towards -z.
  addNode(scene, { name: 'sun', light: 0, rotation: [-0.64, 0, 0, 0.77] });
  return scene;
}

const ABOVE: Eye = [0, 6, 3],
  BELOW: Eye = [0, 0.3, 2.5];

test('frontAndBack: the back copy is the front turned over, each a hair off the surface on its own side', () => {
  const p = sheet(1, 0);
  p.tangents = Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1);
  // The second triangle's normals point against its winding: the front copy turns it to face them.
  p.indices = Uint32Array.of(0, 2, 1, 0, 2, 3);
  assert.equal([...normalsAgainstWinding(p)], [0, 1]);
  const [f, b] = frontAndBack(p, 3, 4);
  assert.equal([f.material, b.material], [3, 4]);
  assert.equal([...f.indices], [0, 2, 1, 0, 3, 2]);
  assert.equal([...b.indices], [0, 1, 2, 0, 2, 3]);
  assert.equal([...b.normals!.slice(0, 3)], [-0, -1, -0]);
  assert.equal([...b.tangents!.slice(0, 4)], [1, 0, 0, -1]);
  for (let v = 0; v < 4; v++) {
    const y = p.positions[3 * v + 1];
    // Offsets scale with the coordinates' magnitude (1.0 here, the largest being x or z).
    assert.ok(Math.abs(f.positions[3 * v + 1] - (y + SHELL)) < 1e-7, `front copy lifted at vertex ${v}`);
    assert.ok(Math.abs(b.positions[3 * v + 1] - (y - SHELL)) < 1e-7, `back copy lowered at vertex ${v}`);
  }
  assert.equal(p.indices[5], 3, 'the input is not changed');
});

test('splitTwoSided: only a double-sided surface that the eyes see from both sides is split', async () => {
  const both = await splitTwoSided(sheetScene(), [ABOVE, BELOW]);
  const leaf = both.surfaces.find((s) => s.name === 'leaf / 0')!;
  assert.ok(leaf.split && leaf.front > 0.99 && leaf.back > 0.99, JSON.stringify(leaf));
  const mesh = both.scene.meshes[1];
  assert.is(mesh.primitives.length, 2);
  const mats = mesh.primitives.map((p) => both.scene.materials[p.material]);
  assert.equal(
    mats.map((m) => [m.name, m.doubleSided]),
    [
      ['leaf', false],
      ['leaf (back)', false],
    ],
  );
  assert.is(both.scene.materials.length, 3, 'the front copy keeps the material, single-sided now');
  // A second leaf under the ground, seen by no eye, keeps the material double-sided: the front copy gets a clone.
  const two = sheetScene();
  addNode(two, { name: 'buried', mesh: addMesh(two, 'buried', [sheet(-5, 1)]) });
  const kept = await splitTwoSided(two, [ABOVE, BELOW]);
  assert.equal(
    kept.scene.materials.map((m) => [m.name, m.doubleSided]),
    [
      ['ground', false],
      ['leaf', true],
      ['leaf (front)', false],
      ['leaf (back)', false],
    ],
  );
  assert.equal(
    kept.scene.meshes.map((m) => m.primitives.map((p) => p.material)),
    [[0], [2, 3], [1]],
  );
  // Seen from one side, the one lightmap serves (the native bake picks the face seen): nothing changes.
  const above = sheetScene();
  const one = await splitTwoSided(above, [ABOVE]);
  assert.is(one.scene, above);
  assert.equal(
    one.surfaces.map((s) => [s.name, s.front, s.back, s.split]),
    [['leaf / 0', 1, 0, false]],
  );
  // A primitive the plan turns into splats stays whole (its back copy would ship as a mesh).
  const routed = sheetScene();
  const skipped = await splitTwoSided(routed, [ABOVE, BELOW], { skip: (m, p) => m === 1 && p === 0 });
  assert.is(skipped.scene, routed);
  assert.equal(skipped.surfaces, []);
  // Blended surfaces are not lightmapped: never split.
  assert.equal((await splitTwoSided(sheetScene({ alphaMode: 'BLEND' }), [ABOVE, BELOW])).surfaces, []);
});

test('splitTwoSided: a closed double-sided box seen from all around shows only its outside; a hidden back does not count', async () => {
  const scene = createScene('box.glb');
  const m = addMaterial(scene, { ...defaultMaterial('crate'), metallicFactor: 0, doubleSided: true });
  // A unit cube, each face wound outwards.
  const P = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1];
  const I = [
    0, 2, 1, 0, 3, 2, 4, 5, 6, 4, 6, 7, 0, 1, 5, 0, 5, 4, 3, 6, 2, 3, 7, 6, 0, 4, 7, 0, 7, 3, 1, 2, 6, 1, 6, 5,
  ];
  addNode(scene, {
    name: 'crate',
    mesh: addMesh(scene, 'crate', [{ positions: Float32Array.from(P), indices: Uint32Array.from(I), material: m }]),
  });
  const eyes: Eye[] = [
    [4, 3, 5],
    [-4, -2, 3],
    [0.5, 6, -4],
  ];
  const r = await splitTwoSided(scene, eyes);
  assert.equal(
    r.surfaces.map((s) => [s.front, s.back, s.split]),
    [[1, 0, false]],
  );
  // A sheet whose underside faces a wall 10 cm below it: the eye under the wall cannot see it.
  const walled = sheetScene();
  const wall = sheet(1.4, 0);
  wall.positions = wall.positions.map((v, i) => (i % 3 === 1 ? v : v * 2));
  addNode(walled, { name: 'wall', mesh: addMesh(walled, 'wall', [wall]) });
  const hidden = await splitTwoSided(walled, [ABOVE, [0, 0.5, 0]]);
  assert.equal(
    hidden.surfaces.filter((s) => s.name.startsWith('leaf')).map((s) => s.split),
    [false],
  );
});

/** Mean RGB over the image. */
function meanOf(img: FloatImage): number {
  let s = 0,
    n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    s += img.data[i] + img.data[i + 1] + img.data[i + 2];
    n++;
  }
  return s / n / 3;
}

test('the path tracer draws the split copies as it draws the double-sided surface, front and back, bent normals too', async () => {
  // Nearly upright (75°), corner normals bent 35° further, under a sky bright above and dark below: where a shading
  // normal points changes what it sees. The back face of a double-sided surface shows its corner normals reversed
  // (glTF), which is what the back copy carries.
  const scene = sheetScene({ tilt: 1.3, bend: 0.6 });
  const FRONT: Eye = [0, 2, 4],
    BACK: Eye = [0, 2, -4];
  const { scene: split, surfaces } = await splitTwoSided(scene, [FRONT, BACK]);
  assert.ok(surfaces[0]?.split, JSON.stringify(surfaces));
  const view = (eye: Eye): View => ({
    cameraToWorld: lookAt([...eye], [0, 1.5, 0]),
    yfov: 0.4,
    width: 48,
    height: 48,
    znear: 0.01,
    zfar: 100,
  });
  const sky = {
    type: 'gradient' as const,
    zenith: [1, 1, 1],
    horizon: [0.4, 0.4, 0.4],
    ground: [0.02, 0.02, 0.02],
  } as Sky;
  const render = (s: Scene, eye: Eye) => renderPathtraced(s, view(eye), { spp: 64, sky });
  // The back copy with its geometric normal: what the path tracer used to shade a double-sided back face with.
  const flat = structuredClone(split);
  const back = flat.meshes[1].primitives[1];
  const g = [0, -Math.cos(1.3), -Math.sin(1.3)];
  back.normals = Float32Array.from({ length: back.normals!.length }, (_, i) => g[i % 3]);
  for (const [where, eye] of [
    ['front', FRONT],
    ['back', BACK],
  ] as const) {
    const a = meanOf(await render(scene, eye)),
      b = meanOf(await render(split, eye)),
      c = meanOf(await render(flat, eye));
    assert.ok(
      Math.abs(b - a) < 0.02 * a,
      `seen from its ${where}: split ${b.toFixed(4)}, double-sided ${a.toFixed(4)}`,
    );
    if (where === 'back')
      assert.ok(Math.abs(c - a) > 0.05 * a, `a flat back normal differs: ${c.toFixed(4)} vs ${a.toFixed(4)}`);
  }
});

test.run();
