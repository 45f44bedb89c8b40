import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { GENERATORS } from '../../../examples/generators/index.js';
import { exportGltf } from '../../src/io/gltf-write.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { hashScene } from '../../src/scene/hash.js';
import { sceneStats } from '../../src/scene/stats.js';
import { tempDir } from '../helpers.js';

const dir = tempDir();

for (const [kind, make] of Object.entries(GENERATORS)) {
  test(`${kind}: deterministic, and a glb and gltf round trip keeps the scene hash`, async () => {
    const a = make(1),
      b = make(1);
    const hash = hashScene(a).scene;
    assert.is(hashScene(b).scene, hash, 'two generations differ');
    for (const ext of ['glb', 'gltf']) {
      const path = join(dir, `${kind}.${ext}`);
      await exportGltf(a, path);
      const { scene } = await importGltf(path);
      assert.is(hashScene(scene).scene, hash, `${ext} round trip changed the hash`);
    }
  });
}

test('scale knobs grow the scenes', () => {
  const tris = (kind: string, s: number) => sceneStats(GENERATORS[kind](s)).instancedTriangles;
  assert.ok(tris('atrium', 10) > 900_000 && tris('atrium', 10) < 1_400_000, `atrium@10 = ${tris('atrium', 10)}`);
  assert.ok(tris('atrium', 1) < 30_000);
  assert.is(
    tris('foliage', 2) - tris('foliage', 1),
    1000 * 128,
    'foliage adds 1000 plants of 128 triangles per unit of scale',
  );
  assert.ok(tris('hero', 4) > 10 * tris('hero', 1));
  assert.is(tris('cornell', 4) - 2, 16 * (tris('cornell', 1) - 2), 'every face but the lamp is subdivided');
});

test.run();
