import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importGltf } from '../../src/io/gltf-read.js';
import { planSceneViews } from '../../src/render/views.js';
import { sceneBounds } from '../../src/scene/bounds.js';
import { addMaterial, addMesh, addNode } from '../../src/scene/build.js';
import { createScene, defaultMaterial, type Primitive, type Scene } from '../../src/scene/types.js';
import { sharedScenes } from '../helpers.js';

/** An axis-aligned box of single-sided quads facing inwards (a room) or outwards (a solid block). */
function box(min: number[], max: number[], inwards: boolean, material: number): Primitive {
  const p: number[] = [],
    idx: number[] = [];
  for (let axis = 0; axis < 3; axis++)
    for (const side of [0, 1]) {
      const u = (axis + 1) % 3,
        v = (axis + 2) % 3,
        base = p.length / 3;
      for (const [a, b] of [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ]) {
        const q = [0, 0, 0];
        q[axis] = side ? max[axis] : min[axis];
        q[u] = a ? max[u] : min[u];
        q[v] = b ? max[v] : min[v];
        p.push(...q);
      }
      // Counter-clockwise seen from +axis for side 1; flip for the -axis side and again for inward faces.
      const flip = (side === 0) !== inwards;
      idx.push(
        ...(flip
          ? [base, base + 2, base + 1, base, base + 3, base + 2]
          : [base, base + 1, base + 2, base, base + 2, base + 3]),
      );
    }
  return { positions: Float32Array.from(p), indices: Uint32Array.from(idx), material };
}

function roomScene(): Scene {
  const s = createScene('room');
  const m = addMaterial(s, defaultMaterial('wall'));
  addNode(s, { mesh: addMesh(s, 'room', [box([-5, 0, -3], [5, 3, 3], true, m)]) });
  addNode(s, { mesh: addMesh(s, 'table', [box([-0.5, 0, -0.5], [0.5, 0.8, 0.5], false, m)]) });
  return s;
}

const eyeOf = (v: { cameraToWorld: Float32Array }) => [v.cameraToWorld[12], v.cameraToWorld[13], v.cameraToWorld[14]];
const forwardOf = (v: { cameraToWorld: Float32Array }) => [
  -v.cameraToWorld[8],
  -v.cameraToWorld[9],
  -v.cameraToWorld[10],
];

test('a closed room is seen from inside its free space, at eye height, looking along it, not from outside its walls', async () => {
  const p = await planSceneViews(roomScene(), { count: 2, width: 320 });
  assert.is(p.kind, 'interior');
  assert.ok(p.views.length >= 1);
  for (const v of p.views) {
    const [x, y, z] = eyeOf(v);
    assert.ok(x > -5 && x < 5 && y > 0 && y < 3 && z > -3 && z < 3, `eye ${[x, y, z]} is inside the room`);
    assert.ok(!(Math.abs(x) < 0.5 && Math.abs(z) < 0.5 && y < 0.8), 'not inside the table');
    assert.ok(y < 2, `eye height ${y} is below the ceiling's upper third`);
    // The room is longest along X: a viewer looks down its length.
    const f = forwardOf(v);
    assert.ok(Math.abs(f[0]) > Math.abs(f[2]), `looks along the room (forward ${f.map((c) => c.toFixed(2))})`);
    assert.is(v.width, 320);
    assert.is(v.height, 180);
  }
});

test('an object is framed from outside, with its whole bounding box in the frame', async () => {
  const s = createScene('block');
  const m = addMaterial(s, defaultMaterial('m'));
  addNode(s, { mesh: addMesh(s, 'block', [box([0, 0, 0], [4, 1, 2], false, m)]) });
  const p = await planSceneViews(s, { count: 3, width: 320 });
  assert.is(p.kind, 'exterior');
  assert.is(p.views.length, 3);
  const b = sceneBounds(s);
  for (const v of p.views) {
    const M = v.cameraToWorld,
      e = eyeOf(v),
      ty = Math.tan(v.yfov / 2),
      tx = (ty * v.width) / v.height;
    assert.ok(
      e.some((c, a) => c < b.min[a] || c > b.max[a]),
      'the eye is outside the bounds',
    );
    for (let k = 0; k < 8; k++) {
      const q = [
        (k & 1 ? b.max[0] : b.min[0]) - e[0],
        (k & 2 ? b.max[1] : b.min[1]) - e[1],
        (k & 4 ? b.max[2] : b.min[2]) - e[2],
      ];
      const cx = q[0] * M[0] + q[1] * M[1] + q[2] * M[2],
        cy = q[0] * M[4] + q[1] * M[5] + q[2] * M[6],
        cz = -(q[0] * M[8] + q[1] * M[9] + q[2] * M[10]);
      assert.ok(cz > 0 && Math.abs(cx / cz) <= tx + 1e-6 && Math.abs(cy / cz) <= ty + 1e-6, `corner ${k} in the frame`);
    }
  }
});

test('a scene with a camera is seen through it; planning is deterministic', async () => {
  const s = roomScene();
  s.cameras.push({
    name: 'cam',
    type: 'perspective',
    yfov: 0.7,
    aspectRatio: 2,
    znear: 0.1,
    zfar: 100,
    xmag: 1,
    ymag: 1,
  });
  addNode(s, { camera: 0, translation: [4, 1.5, 0] });
  const p = await planSceneViews(s, { width: 400 });
  assert.is(p.kind, 'camera');
  assert.equal(eyeOf(p.views[0]), [4, 1.5, 0]);
  assert.is(p.views[0].height, 200);
  const a = await planSceneViews(roomScene()),
    b = await planSceneViews(roomScene());
  assert.equal(
    a.views.map((v) => Array.from(v.cameraToWorld)),
    b.views.map((v) => Array.from(v.cameraToWorld)),
  );
});

test('shared scenes: interiors are seen from inside, objects from outside', async () => {
  const kinds: Record<string, string> = {};
  for (const sc of sharedScenes())
    kinds[sc.name] = (await planSceneViews((await importGltf(sc.path)).scene, { count: 1 })).kind;
  // Rooms and courtyards (walls around a free space) are interiors; a ship, a garden and loose ivy are not.
  for (const n of ['cornell_box', 'sponza_crytek', 'godot_living_room', 'zdm2_sauerbraten'])
    assert.is(kinds[n], 'interior', n);
  for (const n of ['polyhaven_dutch_ship', 'japanese_bridge_garden', 'intel_sponza_ivy'])
    assert.is(kinds[n], 'exterior', n);
  assert.is(kinds.cylinder_engine_2, 'camera');
});

test.run();
