/** Engine frames → glTF: positions, rotations, winding and UVs convert consistently for Unreal and Unity. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { vec3, quat } from 'gl-matrix';
import {
  UNITY_FRAME,
  UNREAL_FRAME,
  toGltfQuaternion,
  toGltfVector,
  type EngineFrame,
} from '../../src/adapters/engine-frame.js';
import { engineToScene, type EngineSceneDump } from '../../src/adapters/engine-scene.js';
import { Rng } from '../../src/util/rng.js';
import { OteError } from '../../src/errors.js';
import { sceneToGlb } from '../../src/io/gltf-write.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { hashScene } from '../../src/scene/hash.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-5) =>
  Array.from(a).every((x, i) => Math.abs(x - b[i]) < eps);

for (const frame of [UNREAL_FRAME, UNITY_FRAME]) {
  test(`${frame.name}: converting then rotating equals rotating then converting`, () => {
    const rng = new Rng(frame.name);
    for (let k = 0; k < 200; k++) {
      const q = quat.normalize(quat.create(), [rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)]);
      const v = vec3.fromValues(rng.range(-5, 5), rng.range(-5, 5), rng.range(-5, 5));
      const rotatedThenConverted = toGltfVector(frame, vec3.transformQuat(vec3.create(), v, q));
      const convertedThenRotated = vec3.transformQuat(
        vec3.create(),
        toGltfVector(frame, v),
        toGltfQuaternion(frame, q),
      );
      assert.ok(close(rotatedThenConverted, convertedThenRotated), `q=${Array.from(q)} v=${Array.from(v)}`);
    }
  });
}

/** A floor quad facing the engine's up axis, with the given index order and engine normals. */
function floorDump(
  frame: EngineFrame,
  up: [number, number, number],
  corners: number[][],
  indices: number[],
): EngineSceneDump {
  return {
    level: 'test',
    materials: [
      {
        asset: 'M',
        baseColor: [1, 1, 1, 1],
        metallic: 0,
        roughness: 1,
        emissive: [0, 0, 0],
        blend: 'opaque',
        twoSided: false,
      },
    ],
    meshes: [
      {
        asset: 'floor',
        sections: [
          {
            positions: corners.flat(),
            normals: corners.flatMap(() => up),
            uv0: [0, 0, 1, 0, 1, 1, 0, 1],
            uv1: [0, 0.25, 1, 0.25, 1, 0.75, 0, 0.75],
            indices,
            material: 0,
          },
        ],
      },
    ],
    objects: [
      {
        path: 'Floor_1',
        mesh: 0,
        translation: frame === UNREAL_FRAME ? [100, 200, 300] : [1, 3, 2],
        rotation: [0, 0, 0, 1],
        scale: [1, 1, 1],
        movable: false,
      },
    ],
    lights: [],
  };
}

function geometricNormals(p: Float32Array, idx: Uint32Array): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < idx.length; t += 3) {
    const [a, b, c] = [idx[t], idx[t + 1], idx[t + 2]].map((i) => [p[3 * i], p[3 * i + 1], p[3 * i + 2]]);
    const e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]],
      e2 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    const n = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const l = Math.hypot(n[0], n[1], n[2]);
    out.push(n.map((x) => x / l));
  }
  return out;
}

test('unreal: centimetres Z-up become metres Y-up, and the floor faces +Y whatever the engine winding', () => {
  for (const indices of [
    [0, 1, 2, 0, 2, 3],
    [0, 2, 1, 0, 3, 2],
  ]) {
    const scene = engineToScene(
      floorDump(
        UNREAL_FRAME,
        [0, 0, 1],
        [
          [0, 0, 0],
          [100, 0, 0],
          [100, 100, 0],
          [0, 100, 0],
        ],
        indices,
      ),
      UNREAL_FRAME,
    );
    const p = scene.meshes[0].primitives[0];
    assert.equal(scene.nodes[0].translation, [1, 3, 2]);
    assert.ok(close(p.positions.subarray(3, 6), [1, 0, 0]));
    assert.ok(close(p.positions.subarray(9, 12), [0, 0, 1]));
    for (const n of geometricNormals(p.positions, p.indices)) assert.ok(close(n, [0, 1, 0]), `normal ${n}`);
    assert.ok(close(p.normals!.subarray(0, 3), [0, 1, 0]));
  }
});

test('unity: Z is negated, V is flipped, and lightmap UVs flip back on write-back', () => {
  const scene = engineToScene(
    floorDump(
      UNITY_FRAME,
      [0, 1, 0],
      [
        [0, 0, 0],
        [1, 0, 0],
        [1, 0, 1],
        [0, 0, 1],
      ],
      [0, 2, 1, 0, 3, 2],
    ),
    UNITY_FRAME,
  );
  const p = scene.meshes[0].primitives[0];
  assert.ok(close(p.positions.subarray(6, 9), [1, 0, -1]));
  for (const n of geometricNormals(p.positions, p.indices)) assert.ok(close(n, [0, 1, 0]));
  assert.ok(close(p.uv0!.subarray(0, 4), [0, 1, 1, 1]));
  assert.ok(close(p.uv1!.subarray(0, 2), [0, 0.75]));
});

test('movable objects are dynamic, through level.glb too, and an engine scene round-trips through glTF with a stable hash', async () => {
  const dump = floorDump(
    UNREAL_FRAME,
    [0, 0, 1],
    [
      [0, 0, 0],
      [100, 0, 0],
      [100, 100, 0],
      [0, 100, 0],
    ],
    [0, 1, 2, 0, 2, 3],
  );
  dump.objects.push({
    ...dump.objects[0],
    path: 'Door',
    movable: true,
    rotation: [0, 0, Math.sin(0.4), Math.cos(0.4)],
  });
  dump.lights.push({
    path: 'Sun',
    type: 'directional',
    color: [1, 1, 1],
    intensity: 5,
    translation: [0, 0, 1000],
    rotation: [0, Math.sin(0.5), 0, Math.cos(0.5)],
    sourceSize: 0.01,
  });
  const scene = engineToScene(dump, UNREAL_FRAME);
  assert.is(scene.nodes.find((n) => n.name === 'Door')!.dynamic, true);
  const path = join(tempDir(), 'engine.glb');
  writeFileSync(path, await sceneToGlb(scene));
  const { scene: back } = await importGltf(path);
  // glTF has no "movable" flag: node extras (ote.dynamic) carry it, so a movable object is not baked by the run.
  assert.is(back.nodes.find((n) => n.name === 'Door')!.dynamic, true);
  assert.is(back.nodes.find((n) => n.name === 'Floor_1')!.dynamic, undefined);
  assert.is(hashScene(back).scene, hashScene(scene).scene);
});

test("lights shine where the engine points them: a glTF light's −Z is the engine's forward axis (Unreal +X, Unity +Z)", () => {
  const rng = new Rng('light-forward');
  for (const frame of [UNREAL_FRAME, UNITY_FRAME]) {
    for (let k = 0; k < 20; k++) {
      const q = quat.normalize(quat.create(), [rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5]);
      const engineDir = vec3.transformQuat(vec3.create(), frame.lightForward, q);
      const expected = toGltfVector(frame, engineDir);
      const dump: EngineSceneDump = { level: 'L', meshes: [], materials: [], objects: [], lights: [] };
      dump.lights.push({
        path: 'Spot',
        type: 'spot',
        color: [1, 1, 1],
        intensity: 10,
        translation: [0, 0, 0],
        rotation: [q[0], q[1], q[2], q[3]],
      });
      const node = engineToScene(dump, frame).nodes.find((n) => n.light !== undefined)!;
      const got = vec3.transformQuat(vec3.create(), [0, 0, -1], node.rotation as unknown as quat);
      for (let i = 0; i < 3; i++)
        assert.ok(
          Math.abs(got[i] - expected[i]) < 1e-5,
          `${frame.name}: light along ${[...got]}, engine points it along ${expected}`,
        );
    }
  }
});

test('bad engine data is a BAD_INPUT error naming the level, the field and the asset or actor', () => {
  const corners = [
    [0, 0, 0],
    [100, 0, 0],
    [100, 100, 0],
    [0, 100, 0],
  ];
  const cases: [(d: EngineSceneDump) => void, RegExp][] = [
    [
      (d) => {
        d.instancers = [
          {
            path: 'Bushes',
            mesh: 0,
            translations: [0, 0, 0, 1, 1, 1],
            rotations: [0, 0, 0, 1],
            scales: [1, 1, 1, 1, 1, 1],
            movable: false,
          },
        ];
      },
      /instancers\[0\] \("Bushes"\)\.rotations: .*6 translation, 4 rotation and 6 scale values are not 3, 4 and 3 per copy/,
    ],
    [
      (d) => {
        d.instancers = [
          {
            path: 'Bushes',
            mesh: 0,
            translations: [0, 0, 0],
            rotations: [0, 0, 0, 2],
            scales: [1, 1, 1],
            movable: false,
          },
        ];
      },
      /instancers\[0\] \("Bushes"\)\.rotations\[0\]/,
    ],
    [
      (d) => {
        d.meshes[0].sections[0].indices = [0, 1, 7];
      },
      /^test: meshes\[0\] \("floor"\)\.sections\[0\]\.indices: index 7 at 2 is not a vertex \(there are 4\)/,
    ],
    [
      (d) => {
        d.meshes[0].sections[0].indices = [0, 1];
      },
      /sections\[0\]\.indices: 2 indices are not whole triangles/,
    ],
    [
      (d) => {
        (d.meshes[0].sections[0].positions as number[])[4] = NaN;
      },
      /sections\[0\]\.positions: vertex 1 has a non-finite value \(NaN\)/,
    ],
    [
      (d) => {
        d.meshes[0].sections[0].uv1 = [0, 0, 1];
      },
      /sections\[0\]\.uv1: holds 3 values, expected 2 per vertex \(8\)/,
    ],
    [
      (d) => {
        d.meshes[0].sections[0].material = 3;
      },
      /sections\[0\]\.material: refers to materials\[3\], which does not exist/,
    ],
    [
      (d) => {
        d.objects[0].mesh = 2;
      },
      /objects\[0\] \("Floor_1"\)\.mesh: refers to meshes\[2\]/,
    ],
    [
      (d) => {
        d.objects[0].rotation = [0, 0, 0, 0];
      },
      /objects\[0\] \("Floor_1"\)\.rotation: \[0, 0, 0, 0\] is not a unit quaternion/,
    ],
    [
      (d) => {
        d.objects[0].scale = [1, Infinity, 1];
      },
      /objects\[0\] \("Floor_1"\)\.scale\[1\]: Infinity is not a finite number/,
    ],
    [
      (d) => {
        d.materials[0].baseColor = [2, 1, 1, 1];
      },
      /materials\[0\] \("M"\)\.baseColor\[0\]: 2 is out of range/,
    ],
    [
      (d) => {
        d.lights.push({
          path: 'Sun',
          type: 'directional',
          color: [1, 1, 1],
          intensity: -1,
          translation: [0, 0, 0],
          rotation: [0, 0, 0, 1],
        });
      },
      /lights\[0\] \("Sun"\)\.intensity: -1 is out of range \(must be >= 0\)/,
    ],
  ];
  for (const [mutate, pattern] of cases) {
    const dump = floorDump(UNREAL_FRAME, [0, 0, 1], corners, [0, 1, 2, 0, 2, 3]);
    mutate(dump);
    try {
      engineToScene(dump, UNREAL_FRAME);
      assert.unreachable(`accepted: ${pattern}`);
    } catch (e) {
      assert.instance(e, OteError, String(e));
      assert.is((e as OteError).code, 'BAD_INPUT');
      assert.match((e as Error).message, pattern);
    }
  }
});

test.run();
