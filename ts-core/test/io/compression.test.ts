/** Compressed and quantized glTF (Draco, meshopt, KHR_mesh_quantization) decodes into the same geometry. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { draco, meshopt, quantize, reorder } from '@gltf-transform/functions';
import draco3d from 'draco3dgltf';
import { MeshoptEncoder } from 'meshoptimizer';
import { heroObject } from '../../../examples/generators/hero.js';
import { importGltf } from '../../src/io/gltf-read.js';
import { gltfIO } from '../../src/io/gltf-io.js';
import { sceneToDocument } from '../../src/io/gltf-write.js';
import { sceneStats } from '../../src/scene/stats.js';
import type { Scene } from '../../src/scene/types.js';
import { tempDir } from '../helpers.js';

const dir = tempDir();
const source = heroObject({ scale: 0.5 });

/** Area-weighted comparison is overkill here: same triangle count and positions within the codec's quantization. */
function assertSameGeometry(a: Scene, b: Scene, tolerance: number) {
  const sa = sceneStats(a),
    sb = sceneStats(b);
  assert.is(sb.triangles, sa.triangles);
  for (let k = 0; k < 3; k++) {
    assert.ok(
      Math.abs(sa.bounds.min[k] - sb.bounds.min[k]) <= tolerance,
      `min[${k}] ${sa.bounds.min[k]} vs ${sb.bounds.min[k]}`,
    );
    assert.ok(Math.abs(sa.bounds.max[k] - sb.bounds.max[k]) <= tolerance, `max[${k}]`);
  }
}

async function writeVariant(
  name: string,
  transform: (doc: ReturnType<typeof sceneToDocument>) => Promise<void>,
): Promise<string> {
  const io = await gltfIO();
  const doc = sceneToDocument(source);
  await transform(doc);
  const path = join(dir, name);
  writeFileSync(path, await io.writeBinary(doc));
  return path;
}

test('KHR_draco_mesh_compression decodes', async () => {
  const io = await gltfIO();
  io.registerDependencies({ 'draco3d.encoder': await draco3d.createEncoderModule() });
  const path = await writeVariant('draco.glb', async (doc) => {
    await doc.transform(draco({ quantizePosition: 14 }));
  });
  const { scene } = await importGltf(path);
  assert.ok(scene.meshes[0].primitives[0].positions instanceof Float32Array);
  assertSameGeometry(source, scene, 2e-3);
});

test('EXT_meshopt_compression decodes', async () => {
  await MeshoptEncoder.ready;
  const path = await writeVariant('meshopt.glb', async (doc) => {
    await doc.transform(reorder({ encoder: MeshoptEncoder }), meshopt({ encoder: MeshoptEncoder }));
  });
  const { scene } = await importGltf(path);
  assertSameGeometry(source, scene, 2e-3);
});

test('KHR_mesh_quantization is dequantized to float', async () => {
  const path = await writeVariant('quantized.glb', async (doc) => {
    await doc.transform(quantize({ quantizePosition: 14 }));
  });
  const { scene } = await importGltf(path);
  const p = scene.meshes[0].primitives[0];
  assert.ok(p.positions instanceof Float32Array && p.normals instanceof Float32Array && p.uv0 instanceof Float32Array);
  assertSameGeometry(source, scene, 2e-3);
});

test('KHR_texture_transform, emissive strength and unlit survive a round trip', async () => {
  const scene = heroObject({ scale: 0.25 });
  const m = scene.materials[0];
  m.baseColorTexture!.transform = { offset: [0.25, 0.5], rotation: 0.5, scale: [2, 3] };
  m.emissiveFactor = [1, 0.5, 0];
  m.emissiveStrength = 4;
  scene.materials[1].unlit = true;
  const io = await gltfIO();
  const path = join(dir, 'ext.glb');
  writeFileSync(path, await io.writeBinary(sceneToDocument(scene)));
  const back = (await importGltf(path)).scene;
  assert.equal(back.materials[0].baseColorTexture!.transform, { offset: [0.25, 0.5], rotation: 0.5, scale: [2, 3] });
  assert.is(back.materials[0].emissiveStrength, 4);
  assert.is(back.materials[1].unlit, true);
});

test.run();
